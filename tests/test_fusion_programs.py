"""Random elementwise programs on large arrays: the lazy forward, rematerialization and the
fused backward give the same values, gradients and dtypes as evaluating node by node.

Hypothesis draws a program (a list of steps, each an operation on earlier values, the inputs
or a constant); it is run with fusion on (the default: large arrays are lazy) and off, and
the two must agree to rounding. Arrays are large enough (70,000 or 20,000 elements) for
the fused paths to be taken, and of two shapes that broadcast against each other.
"""

from __future__ import annotations

from collections.abc import Callable
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
]
BINARY: list[Callable[[Any, Any], Any]] = [
    gnp.add, gnp.subtract, gnp.multiply, gnp.maximum, gnp.minimum,
    lambda a, b: a / (b * b + 1.0), lambda a, b: gnp.where(a > b, a * b, a - b),
]

step = st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))


def run(program: list[tuple[bool, int, int, int]], x: Any, y: Any) -> Any:
    values = [x, y]
    for binary, op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(BINARY[op % len(BINARY)](a, b) if binary else UNARY[op % len(UNARY)](a))
    return gnp.sum(gnp.tanh(values[-1])) + gnp.sum(values[-2] * 0.125)


@pytest.fixture(scope="module", params=[700, 200], ids=["lazy", "rematerialized"])
def inputs(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    """70,000 elements: lazy forward and fused backward; 20,000: evaluated forward with
    rematerialization and a fused backward."""
    rng = np.random.default_rng(7)
    return rng.uniform(-1, 1, (request.param, 100)), rng.uniform(-1, 1, (100,))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(step, min_size=1, max_size=12), float32=st.booleans())
def test_fused_and_lazy_agree_with_node_by_node(program, float32, inputs) -> None:
    x, y = (a.astype(np.float32) for a in inputs) if float32 else inputs

    def f(x: Any, y: Any) -> Any:
        return run(program, x, y)

    value, grads = gpugrad.value_and_grad(f, (0, 1))(x, y)
    gpugrad.config.update("fuse_backward", False)
    try:
        value_ref, grads_ref = gpugrad.value_and_grad(f, (0, 1))(x, y)
    finally:
        gpugrad.config.update("fuse_backward", True)
    rtol = 2e-4 if float32 else 1e-10
    assert value.dtype == value_ref.dtype
    np.testing.assert_allclose(value, value_ref, rtol=rtol, atol=rtol)
    for g, g_ref in zip(grads, grads_ref):
        assert g.dtype == g_ref.dtype == x.dtype and g.shape == g_ref.shape
        scale = max(float(np.abs(g_ref).max()), 1.0)
        np.testing.assert_allclose(g, g_ref, rtol=rtol, atol=rtol * scale)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    gpugrad.config.update("fuse_backward", False)
    try:
        h_ref = gpugrad.grad(second, (0, 1))(x, y)
    finally:
        gpugrad.config.update("fuse_backward", True)
    for a, b in zip(h, h_ref):
        scale = max(float(np.abs(b).max()), 1.0)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * scale)
