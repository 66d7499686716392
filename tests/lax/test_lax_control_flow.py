"""``gpugrad.lax`` control flow (cond, switch, while_loop, fori_loop, scan, map): values,
derivatives in both modes (closed forms, finite differences to order 2, JAX's numbers),
batching against a loop over the examples, composition with ``jit`` in both orders, and
JAX's errors for bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import lax
from gpugrad.core.trace import current_depth
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts


def piecewise(x: Any) -> Any:
    return lax.cond(gnp.sum(x) > 0, lambda v: gnp.sin(v) * 2.0, lambda v: v ** 3, x)


def three_way(i: Any, x: Any) -> Any:
    return lax.switch(i, [lambda v: v * 2.0, gnp.cos, lambda v: -v], x)


def power_loop(x: Any) -> Any:  # x ** 8 by squaring three times
    return lax.fori_loop(0, 3, lambda i, c: c * c, x)


def recurrence(x: Any) -> Any:
    def step(c: Any, xi: Any) -> Any:
        return c * gnp.tanh(xi) + xi, c * xi
    final, ys = lax.scan(step, gnp.ones_like(x[0]), x)
    return final + gnp.sum(ys, axis=0)


def halving(x: Any) -> Any:  # halve until below 1: how many times depends on the value
    return lax.while_loop(lambda c: c[0] > 1.0, lambda c: (c[0] * 0.5, c[1] * c[0]),
                          (x, gnp.ones_like(x)))[1]


def test_values_eagerly_and_jitted() -> None:
    pos, neg = np.array([0.3, 0.9]), np.array([-0.3, -0.9])
    for f, args, expected in [
        (piecewise, (pos,), 2 * np.sin(pos)), (piecewise, (neg,), neg ** 3),
        (three_way, (np.int32(1), pos), np.cos(pos)), (three_way, (np.int32(7), pos), -pos),
        (three_way, (np.int32(-2), pos), 2 * pos),  # the index is clamped, as in JAX
        (power_loop, (pos,), pos ** 8),
        (halving, (np.array(5.0),), np.array(5.0 * 2.5 * 1.25)),
    ]:
        np.testing.assert_allclose(f(*args), expected, rtol=1e-14)
        np.testing.assert_allclose(gpugrad.jit(f)(*args), expected, rtol=1e-14)
    xs = np.array([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]])
    c, total = np.ones(2), np.zeros(2)
    for row in xs:
        c, y = c * np.tanh(row) + row, c * row
        total = total + y
    np.testing.assert_allclose(recurrence(xs), c + total, rtol=1e-14)
    np.testing.assert_allclose(gpugrad.jit(recurrence)(xs), c + total, rtol=1e-14)
    np.testing.assert_allclose(lax.map(lambda r: r @ r, xs), (xs * xs).sum(1), rtol=1e-14)


def test_scan_reverse_length_and_pytrees() -> None:
    xs = {"a": np.arange(4.0), "b": np.arange(8.0).reshape(4, 2)}

    def step(c: Any, x: Any) -> Any:
        return (c[0] + x["a"], c[1] * 2), {"s": c[0], "pair": (x["b"].sum(), None)}

    carry, ys = lax.scan(step, (np.array(0.0), np.int32(1)), xs, reverse=True)
    assert float(carry[0]) == 6.0 and int(carry[1]) == 16
    np.testing.assert_allclose(ys["s"], [6.0, 5.0, 3.0, 0.0])
    np.testing.assert_allclose(ys["pair"][0], [1.0, 5.0, 9.0, 13.0])
    assert ys["pair"][1] is None
    count, ys = lax.scan(lambda c, _: (c + 1, c), np.int32(0), None, length=3)
    assert int(count) == 3 and list(ys) == [0, 1, 2]
    empty = lax.scan(lambda c, x: (c + x, x * 2), np.ones(2), np.zeros((0, 2)))
    assert float(empty[0].sum()) == 2.0 and empty[1].shape == (0, 2)


@pytest.mark.parametrize("f,x", [
    (piecewise, np.array([0.3, 0.9])), (piecewise, np.array([-0.3, -0.9])),
    (power_loop, np.array([0.7, 1.1])), (recurrence, np.array([[0.5, -1.0], [2.0, 0.25]])),
    (lambda x: three_way(np.int32(1), x), np.array([0.2, 0.4])),
])
def test_derivatives_to_order_two_in_both_modes(f: Any, x: Any) -> None:
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    check_grads(gpugrad.jit(f), (x,), order=2, modes=("fwd", "rev"))


def test_while_loop_forward_mode_and_the_reverse_mode_error() -> None:
    x = np.array(5.0)
    value, tangent = gpugrad.jvp(halving, (x,), (np.array(1.0),))
    # halving(x) = x * x/2 * x/4 = x**3 / 8 while the trip count stays 3
    np.testing.assert_allclose(value, 5.0 ** 3 / 8)
    np.testing.assert_allclose(tangent, 3 * 5.0 ** 2 / 8)
    np.testing.assert_allclose(gpugrad.jacfwd(gpugrad.jit(halving))(x), 3 * 5.0 ** 2 / 8)
    with pytest.raises(ValueError, match=r"Reverse-mode differentiation does not work for "
                                         r"lax\.while_loop"):
        gpugrad.grad(halving)(x)
    # Bounds known only when the program runs (jit): a while loop, as in JAX.
    looped = gpugrad.jit(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * 2.0, x))
    np.testing.assert_allclose(looped(x, 3), 40.0)
    with pytest.raises(ValueError, match="fori_loop with static start/stop"):
        gpugrad.grad(looped)(x, 3)
    assert current_depth() == 0


def test_against_jax(jax_x64: Any) -> None:
    jax, jl = jax_x64, pytest.importorskip("jax.lax")
    jnp = jax.numpy
    x = np.array([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]])

    def ours(x: Any) -> Any:
        return recurrence(x) * piecewise(x[0])

    def theirs(x: Any) -> Any:
        def step(c: Any, xi: Any) -> Any:
            return c * jnp.tanh(xi) + xi, c * xi
        final, ys = jl.scan(step, jnp.ones_like(x[0]), x)
        p = jl.cond(jnp.sum(x[0]) > 0, lambda v: jnp.sin(v) * 2.0, lambda v: v ** 3, x[0])
        return (final + jnp.sum(ys, axis=0)) * p

    np.testing.assert_allclose(gpugrad.jacrev(ours)(x), jax.jacrev(theirs)(x), rtol=1e-13)
    np.testing.assert_allclose(gpugrad.hessian(lambda v: gnp.sum(ours(v)))(x),
                               jax.hessian(lambda v: jnp.sum(theirs(v)))(x), rtol=1e-12)
    f_jax = jax.grad(lambda v: jl.fori_loop(1, 4, lambda i, c: c * i + jnp.sin(c), v))
    f_ours = gpugrad.grad(lambda v: lax.fori_loop(1, 4, lambda i, c: c * i + gnp.sin(c), v))
    np.testing.assert_allclose(f_ours(np.array(0.3)), f_jax(0.3), rtol=1e-14)


def test_batched_like_a_loop_over_examples() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, 3))
    x[1] = -np.abs(x[1])  # both branches taken across the batch
    x[2] = np.abs(x[2])
    check_layouts(piecewise, [x])
    check_layouts(recurrence, [rng.uniform(-1, 1, (3, 4, 2))])
    check_layouts(power_loop, [x])
    check_layouts(lambda i, v: three_way(i, v), [np.array([0, 1, 2, 5], np.int32), x])
    starts = np.array([5.0, 0.5, 20.0, 2.0])  # different trip counts per example
    check_layouts(halving, [starts])
    check_layouts(lambda v: gpugrad.grad(lambda u: gnp.sum(recurrence(u)))(v),
                  [rng.uniform(-1, 1, (2, 3, 2))])


def test_jit_and_vmap_compose_in_both_orders() -> None:
    x = np.random.default_rng(1).uniform(-1, 1, (4, 3))
    expected = gpugrad.vmap(piecewise)(x)
    np.testing.assert_allclose(gpugrad.jit(gpugrad.vmap(piecewise))(x), expected, rtol=1e-14)
    np.testing.assert_allclose(gpugrad.vmap(gpugrad.jit(piecewise))(x), expected, rtol=1e-14)
    g = gpugrad.grad(lambda v: gnp.sum(recurrence(v)))
    xs = x.reshape(2, 2, 3)
    np.testing.assert_allclose(gpugrad.jit(gpugrad.vmap(g))(xs), gpugrad.vmap(g)(xs),
                               rtol=1e-13)


def test_make_jaxpr_shows_the_branches() -> None:
    text = str(gpugrad.make_jaxpr(piecewise)(np.ones(2, np.float32)))
    assert "cond[branches=(" in text and "sin(x0)" in text
    text = str(gpugrad.make_jaxpr(power_loop)(np.ones(2, np.float32)))
    assert "scan[body=" in text and "length=3" in text


def test_errors_are_jax_errors() -> None:
    one = np.array(1.0)
    with pytest.raises(TypeError, match="cond branch outputs must have the same pytree "
                                        "structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, one)
    with pytest.raises(TypeError, match="float32\\[\\] but the corresponding output of "
                                        "false_fun has type int32\\[\\], so the dtypes"):
        lax.cond(True, lambda x: x, lambda x: x.astype(np.int32), np.float32(1.0))
    with pytest.raises(TypeError, match="so the shapes do not match"):
        lax.cond(True, lambda x: x, lambda x: gnp.ones(3), one)
    with pytest.raises(ValueError, match="Empty branch sequence"):
        lax.switch(1, [], one)
    with pytest.raises(TypeError, match="Pred must be a scalar"):
        lax.cond(np.ones(2) > 0, lambda x: x, lambda x: x, one)
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c + 1, 0)
    with pytest.raises(TypeError, match="carry input and carry output must have the same "
                                        "pytree structure"):
        lax.while_loop(lambda c: c < 3, lambda c: (c, c), 0)
    with pytest.raises(TypeError, match="so the shapes do not match"):
        lax.scan(lambda c, x: (gnp.ones(2), x), np.array(0.0), np.ones(3))
    with pytest.raises(ValueError, match="different leading axis sizes: 3, 4"):
        lax.scan(lambda c, x: (c, x), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match="no values to scan over and `length` not provided"):
        lax.scan(lambda c, x: (c, x), 0.0)
    assert current_depth() == 0


def test_weak_carries_widen_as_in_jax() -> None:
    out, ys = lax.scan(lambda c, x: (c + x, x), 0, np.ones(3, np.float32))
    assert out.dtype == np.float32 and float(out) == 3.0
    assert lax.while_loop(lambda c: c < 3, lambda c: c + 1.0, 0).dtype == np.float32


def test_python_number_operands_are_default_dtype_arrays() -> None:
    # Regression: cond and switch ran their branch on the raw Python floats, so 3.0 + 4.0
    # came out float64 where JAX (and the loops here) give float32.
    jl = pytest.importorskip("jax.lax")
    for library in (lax, jl):
        both = library.cond(True, lambda a, b: (a + b, a * b), lambda a, b: (a - b, a / b),
                            3.0, 4.0)
        picked = library.switch(2, [lambda a, b: a, lambda a, b: b, lambda a, b: a - b], 3.0, 4.0)
        assert [np.asarray(v).dtype for v in (*both, picked)] == [np.float32] * 3
        assert [float(v) for v in (*both, picked)] == [7.0, 12.0, -1.0]


@pytest.mark.gpu
def test_control_flow_on_cupy(cupy_module: Any) -> None:
    cp = cupy_module
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    g = gpugrad.jit(gpugrad.grad(lambda v: gnp.sum(recurrence(v) * piecewise(v[0]))))
    got = g(cp.asarray(x))
    assert isinstance(got, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(got), g(x), rtol=1e-12)
