"""Random elementwise programs: the lazy forward, rematerialization, the fused backward and
(on small arrays) the rules' shortcuts for concrete values give the same values, gradients
and dtypes as evaluating node by node through the general rules.

Hypothesis draws a program (a list of steps, each an operation on earlier values, the inputs
or a constant); it is run as usual and node by node (fusion off, no concrete shortcuts), and
the two must agree to rounding. Arrays are large enough (70,000 or 20,000 elements) for the
fused paths to be taken, or small (700) for the concrete shortcuts, and of two shapes that
broadcast against each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpugrad
import gpugrad.numpy as gnp

UNARY: list[Callable[[Any], Any]] = [
    gnp.sin, gnp.cos, gnp.tanh, gnp.exp, gnp.square, gnp.negative, gnp.arctan,
    lambda v: gnp.log1p(gnp.abs(v)), lambda v: gnp.sqrt(v * v + 1.0), lambda v: v * 0.5,
    lambda v: gnp.where(v > 0.1, v, -v * 0.25),
    # non-elementwise steps in the middle of a chain: they read (evaluate) lazy values
    lambda v: v - gnp.mean(v, axis=-1, keepdims=True),
    lambda v: v[..., ::-1] * 1.5,
    lambda v: gnp.tanh(v @ _W),
]
_W = np.random.default_rng(11).uniform(-0.2, 0.2, (100, 100))
BINARY: list[Callable[[Any, Any], Any]] = [
    gnp.add, gnp.subtract, gnp.multiply, gnp.maximum, gnp.minimum,
    lambda a, b: a / (b * b + 1.0), lambda a, b: gnp.where(a > b, a * b, a - b),
]

step = st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))


def values_of(program: list[tuple[bool, int, int, int]], x: Any, y: Any) -> list[Any]:
    values = [x, y]
    for binary, op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(BINARY[op % len(BINARY)](a, b) if binary else UNARY[op % len(UNARY)](a))
    return values


def run(program: list[tuple[bool, int, int, int]], x: Any, y: Any) -> Any:
    values = values_of(program, x, y)
    return gnp.sum(gnp.tanh(values[-1])) + gnp.sum(values[-2] * 0.125)


@pytest.fixture(scope="module", params=[700, 200, 7], ids=["lazy", "rematerialized", "small"])
def inputs(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    """70,000 elements: lazy forward and fused backward; 20,000: evaluated forward with
    rematerialization and a fused backward; 700: small arrays, evaluated at once, with the
    elementwise rules' generated functions."""
    rng = np.random.default_rng(7)
    return rng.uniform(-1, 1, (request.param, 100)), rng.uniform(-1, 1, (100,))


def assert_close(a: Any, b: Any, rtol: float) -> None:
    """``a`` equals ``b`` to ``rtol``, relative to the largest finite magnitude of ``b``; an
    overflowing program (``exp(exp(exp(x)))``) must give inf and NaN at the same places."""
    finite = np.isfinite(b)
    scale = max(float(np.abs(b[finite]).max()) if finite.any() else 0.0, 1.0)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


@contextlib.contextmanager
def node_by_node() -> Iterator[None]:
    """The reference: every operation through bind and its primitive's general rule (no
    fusion, no laziness). The rules' shortcuts for concrete NumPy values
    that stay (a contraction's planned products, a linear primitive applied to a tangent)
    run the very evaluation that bind would; the elementwise one, a generated function for
    value and tangent together, is for sizes under ``fusion_min_size`` and so is off."""
    saved_size = gpugrad.config.fusion_min_size
    gpugrad.config.update("fuse_backward", False)
    gpugrad.config.update("fusion_min_size", 0)  # no array is small enough for a shortcut
    try:
        yield
    finally:
        gpugrad.config.update("fuse_backward", True)
        gpugrad.config.update("fusion_min_size", saved_size)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(step, min_size=1, max_size=12), float32=st.booleans())
def test_fused_and_lazy_agree_with_node_by_node(program, float32, inputs) -> None:
    x, y = (a.astype(np.float32) for a in inputs) if float32 else inputs

    def f(x: Any, y: Any) -> Any:
        return run(program, x, y)

    value, grads = gpugrad.value_and_grad(f, (0, 1))(x, y)
    with node_by_node():
        value_ref, grads_ref = gpugrad.value_and_grad(f, (0, 1))(x, y)
    rtol = 2e-4 if float32 else 1e-10
    assert value.dtype == value_ref.dtype
    np.testing.assert_allclose(value, value_ref, rtol=rtol, atol=rtol)
    for g, g_ref in zip(grads, grads_ref):
        assert g.dtype == g_ref.dtype == x.dtype and g.shape == g_ref.shape
        assert_close(g, g_ref, rtol)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(step, min_size=1, max_size=8))
def test_second_order_agrees_with_node_by_node(program, inputs) -> None:
    """grad of (a scalar of) grad: the outer transformation sees the inner backward pass as
    operations on its own lazy values."""
    x, y = inputs

    def f(x: Any, y: Any) -> Any:
        return run(program, x, y)

    def second(x: Any, y: Any) -> Any:
        g = gpugrad.grad(f)(x, y)
        return gnp.sum(g * gnp.sin(x))

    h = gpugrad.grad(second, (0, 1))(x, y)
    with node_by_node():
        h_ref = gpugrad.grad(second, (0, 1))(x, y)
    for a, b in zip(h, h_ref):
        assert_close(a, b, 1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(step, min_size=1, max_size=10))
def test_array_outputs_and_their_vjp_agree_with_node_by_node(program, inputs) -> None:
    """Lazy values returned as outputs (and as aux), pulled back with a cotangent."""
    x, y = inputs

    def f(x: Any, y: Any) -> Any:
        values = values_of(program, x, y)
        return values[-1], values[len(values) // 2]

    out, f_vjp, aux = gpugrad.vjp(f, x, y, has_aux=True)
    ct = np.cos(np.arange(out.size)).reshape(out.shape)
    cts = f_vjp(ct)
    with node_by_node():
        out_ref, f_vjp_ref, aux_ref = gpugrad.vjp(f, x, y, has_aux=True)
        cts_ref = f_vjp_ref(ct)
    np.testing.assert_allclose(out, out_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(aux, aux_ref, rtol=1e-12, atol=1e-12)
    for a, b in zip(cts, cts_ref):
        assert_close(a, b, 1e-10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(step, min_size=1, max_size=8))
def test_jvp_and_hessian_vector_products_agree_with_node_by_node(program, inputs) -> None:
    """Forward mode (on small arrays, the JVP rule's shortcut: value and tangent from one
    evaluation), and forward over reverse (a Hessian-vector product)."""
    x, y = inputs
    tx, ty = np.cos(3 * x), np.sin(2 * y)

    def f(x: Any, y: Any) -> Any:
        return run(program, x, y)

    def both() -> Any:
        out, tangent = gpugrad.jvp(f, (x, y), (tx, ty))
        return out, tangent, gpugrad.jvp(gpugrad.grad(f), (x, y), (tx, ty))[1]

    results = both()
    with node_by_node():
        references = both()
    for a, b in zip(results, references):
        assert_close(a, b, 1e-10)


def test_a_primitive_is_its_evaluation_and_its_rules() -> None:
    """No per-primitive speed slots: laziness belongs to the values (one registered layer),
    and a rule's shortcut for concrete arrays lives inside the rule."""
    from gpugrad.core.trace import Primitive

    assert set(Primitive.__slots__) == {"abstract_eval", "batch", "impl", "jvp",
                                        "multiple_results", "name", "vjp", "vjp_forward"}
