"""gpugrad.lax's slices against jax.lax: static and dynamic, start indices concrete, traced
and batched (clamped into the array as in JAX), derivatives, and the errors for a wrong
number of start indices, slice sizes larger than the operand and mismatched dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import lax
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, check_vmap, host

X = np.arange(24.0).reshape(4, 6)
STARTS = [(0, 0), (1, 2), (3, 5), (-1, -2), (-9, 100), (2, -30)]


@pytest.mark.parametrize("starts", STARTS)
def test_dynamic_slice_clamps_as_jax(starts: tuple[int, int], xp: Any, jax_x64: Any) -> None:
    want = np.asarray(jax_x64.lax.dynamic_slice(X, starts, (2, 3)))
    np.testing.assert_array_equal(host(lax.dynamic_slice(xp.asarray(X), starts, (2, 3))), want)
    # The same starts as traced values (reverse mode traces argmax) give the same window,
    # and the cotangent lands on the window.
    out, vjp_fn = gpugrad.vjp(lambda x: lax.dynamic_slice(
        x, [s + 0 * gnp.argmax(x) for s in starts], (2, 3)), xp.asarray(X))
    np.testing.assert_array_equal(host(out), want)
    (ct,) = vjp_fn(xp.asarray(np.ones((2, 3))))
    np.testing.assert_array_equal(host(ct), host(lax.dynamic_update_slice(
        xp.zeros_like(xp.asarray(X)), xp.ones((2, 3)), starts)))
    assert host(ct).sum() == 6


@pytest.mark.parametrize("starts", STARTS)
def test_dynamic_update_slice_clamps_as_jax(starts: tuple[int, int], xp: Any, jax_x64: Any
                                            ) -> None:
    update = -np.arange(6.0).reshape(2, 3) - 1
    want = np.asarray(jax_x64.lax.dynamic_update_slice(X, update, starts))
    got = lax.dynamic_update_slice(xp.asarray(X), xp.asarray(update), starts)
    np.testing.assert_array_equal(host(got), want)
    index_arrays = [xp.asarray(np.int32(s)) for s in starts]  # device arrays: the array route
    got = lax.dynamic_update_slice(xp.asarray(X), xp.asarray(update), index_arrays)
    np.testing.assert_array_equal(host(got), want)


def test_start_index_computed_in_the_function_is_an_operand(jax_x64: Any) -> None:
    # The start is argmax of the input: a traced integer, never read, under grad and jvp.
    x = np.array([0.5, 3.0, 1.0, -2.0, 0.25, 2.0])

    def f(v: Any) -> Any:
        i = gnp.argmax(v)
        return gnp.sum(lax.dynamic_slice(v, (i,), (3,)) ** 2)

    def jf(v: Any) -> Any:
        return (jax_x64.lax.dynamic_slice(v, (jax_x64.numpy.argmax(v),), (3,)) ** 2).sum()

    np.testing.assert_allclose(f(x), float(jf(x)))
    np.testing.assert_allclose(gpugrad.grad(f)(x), np.asarray(jax_x64.grad(jf)(x)))
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


def test_dynamic_slices_differentiate(jax_x64: Any) -> None:
    rng = np.random.default_rng(0)
    x, u = rng.normal(size=(4, 5)), rng.normal(size=(2, 2))
    for starts in ((1, 3), (3, -1), (-7, 2)):
        check_grads(lambda v, s=starts: lax.dynamic_slice(v, s, (2, 2)), (x,), order=2)
        check_grads(lambda v, w, s=starts: lax.dynamic_update_slice(v, w, s), (x, u), order=2)
        want = jax_x64.grad(lambda v, w: (jax_x64.lax.dynamic_update_slice(v, w, starts) ** 3)
                            .sum(), (0, 1))(x, u)
        got = gpugrad.grad(lambda v, w: gnp.sum(lax.dynamic_update_slice(v, w, starts) ** 3),
                           (0, 1))(x, u)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, np.asarray(w), rtol=1e-12)


def test_batched_start_indices(xp: Any, jax_x64: Any) -> None:
    rng = np.random.default_rng(1)
    x = xp.asarray(rng.normal(size=(5, 7)))
    starts = xp.asarray(np.array([0, 3, 6, -1, -20], np.int32))
    u = xp.asarray(rng.normal(size=(5, 3)))
    check_layouts(lambda v, s: lax.dynamic_slice(v, (s,), (3,)), [x, starts])
    check_layouts(lambda v, w, s: lax.dynamic_update_slice(v, w, (s,)), [x, u, starts])
    check_layouts(lambda v, s: lax.dynamic_index_in_dim(v, s, 0, keepdims=False), [x, starts])
    check_layouts(lambda v, w, s: lax.dynamic_update_index_in_dim(v, w[0], s, 0), [x, u, starts])
    # batched starts, one operand shared by every example (in_axes None): against jax.vmap
    table = rng.normal(size=(6, 4))
    s = np.array([5, 0, -2, 3, 9])  # int64, as JAX wants beside the Python int 1
    got = gpugrad.vmap(lambda i: lax.dynamic_slice(xp.asarray(table), (i, 1), (2, 3)))(
        xp.asarray(s))
    want = jax_x64.vmap(lambda i: jax_x64.lax.dynamic_slice(table, (i, 1), (2, 3)))(s)
    np.testing.assert_array_equal(host(got), np.asarray(want))
    got = gpugrad.vmap(lambda i: lax.dynamic_update_slice_in_dim(xp.asarray(table),
                                                                 xp.zeros((6, 2)), i, 1))(
        xp.asarray(s))
    want = jax_x64.vmap(lambda i: jax_x64.lax.dynamic_update_slice_in_dim(
        table, np.zeros((6, 2)), i, 1))(s)
    np.testing.assert_array_equal(host(got), np.asarray(want))


def test_batched_starts_differentiate() -> None:
    rng = np.random.default_rng(2)
    x, u = rng.normal(size=(3, 6)), rng.normal(size=(3, 2))
    s = np.array([4, -1, 1], np.int32)

    def f(v: Any, w: Any) -> Any:
        per = gpugrad.vmap(lambda a, b, i: lax.dynamic_update_slice(a, b * a[0], (i,)))
        return per(v, w, s)

    check_grads(f, (x, u), order=2, modes=("fwd", "rev"))
    check_vmap(lambda v, i: gpugrad.grad(lambda a: gnp.sum(lax.dynamic_slice(a, (i,), (2,))
                                                           ** 3))(v), [x, s])


def test_in_dim_forms_match_jax(xp: Any, jax_x64: Any) -> None:
    x = np.arange(12).reshape(3, 4)
    j = jax_x64.lax
    cases = [
        (lambda m, a: m.slice_in_dim(a, -3, None, axis=1), None),
        (lambda m, a: m.slice_in_dim(a, None, -1, 2, axis=1), None),
        (lambda m, a: m.slice_in_dim(a, 1, 3), None),
        (lambda m, a: m.index_in_dim(a, -1, 1), None),
        (lambda m, a: m.index_in_dim(a, 0, 0, keepdims=False), None),
        (lambda m, a: m.dynamic_slice_in_dim(a, 3, 3, axis=1), None),
        (lambda m, a: m.dynamic_index_in_dim(a, 7, 1, keepdims=False), None),
        (lambda m, a: m.dynamic_update_slice_in_dim(a, a[:, :2] * 0 - 1, 3, 1), None),
        (lambda m, a: m.dynamic_update_index_in_dim(a, a[0] * 0 - 1, 5, 0), None),
        (lambda m, a: m.dynamic_update_index_in_dim(a, a[:1] * 0 - 1, -1, 0), None),
        (lambda m, a: m.slice(a, (1, 0), (3, 4), (1, 3)), None),
    ]
    for f, _ in cases:
        np.testing.assert_array_equal(host(f(lax, xp.asarray(x))), np.asarray(f(j, x)))


def test_errors_are_jax_like() -> None:
    x = np.arange(10)
    with pytest.raises(ValueError, match="2 start indices were given for an operand of shape"):
        lax.dynamic_slice(x, (1, 2), (4,))
    with pytest.raises(TypeError, match=r"slice sizes \(11,\) must be at most the operand shape"):
        lax.dynamic_slice(x, (1,), (11,))
    with pytest.raises(TypeError, match=r"slice_sizes \(2, 2\) must have one entry per axis"):
        lax.dynamic_slice(x, (1,), (2, 2))
    with pytest.raises(TypeError, match=r"the update must have the operand's rank"):
        lax.dynamic_update_slice(x, np.zeros((1, 3), x.dtype), (2,))
    with pytest.raises(TypeError, match=r"slice sizes \(11,\) must be at most"):
        lax.dynamic_update_slice(x, np.zeros(11, x.dtype), (2,))
    with pytest.raises(TypeError, match=r"lax.dynamic_update_slice requires arguments to have "
                                        r"the same dtypes, got int64, float32"):
        lax.dynamic_update_slice(x, np.zeros(3, np.float32), (2,))
    with pytest.raises(TypeError, match="start indices must be integer scalars, got float64"):
        gpugrad.grad(lambda v: gnp.sum(lax.dynamic_slice(v, (v[0],), (2,))))(np.ones(3))
    with pytest.raises(TypeError, match=r"limit_indices \(11,\) must be at most the operand"):
        lax.slice(x, (1,), (11,))
    with pytest.raises(TypeError, match=r"start_indices \(-1,\) must be nonnegative"):
        lax.slice(x, (-1,), (5,))
    with pytest.raises(TypeError, match=r"strides \(0,\) must be positive"):
        lax.slice(x, (1,), (5,), (0,))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 1 with size 4"):
        lax.index_in_dim(x.reshape(2, 5)[:, :4], 5, 1)
