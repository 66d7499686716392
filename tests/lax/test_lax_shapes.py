"""gpugrad.lax's shape operations, creation, reductions, contractions and scans against
jax.lax: values on both backends, derivatives (JAX's, and check_grads to the second order in
float64), vmap layouts, and the errors of bad configurations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import lax
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, host

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 3, 4))

# (name, function of (lax module, array)): shape operations of a (2, 3, 4) array
SHAPE_CASES = [
    ("broadcast", lambda m, a: m.broadcast(a, (2,))),
    ("broadcast_in_dim", lambda m, a: m.broadcast_in_dim(a[:, :1], (5, 2, 1, 4), (1, 2, 3))),
    ("broadcast_in_dim_ones", lambda m, a: m.broadcast_in_dim(a[:, :1, 0], (2, 3), (0, 1))),
    ("reshape", lambda m, a: m.reshape(a, (4, 6))),
    ("reshape_dimensions", lambda m, a: m.reshape(a, (6, 4), dimensions=(1, 0, 2))),
    ("squeeze", lambda m, a: m.squeeze(a[:1, :, 1:2], (0, 2))),
    ("expand_dims", lambda m, a: m.expand_dims(a, (0, 4))),
    ("transpose", lambda m, a: m.transpose(a, (2, 0, 1))),
    ("rev", lambda m, a: m.rev(a, (0, 2))),
    ("concatenate", lambda m, a: m.concatenate([a, a * 2, a[:, :1]], 1)),
    ("pad_interior", lambda m, a: m.pad(a, 0.5, [(1, 2, 1), (0, 0, 0), (0, 1, 2)])),
    ("pad_negative", lambda m, a: m.pad(a, -1.0, [(-1, 1, 0), (2, -2, 1), (-3, 0, 1)])),
    ("pad_cut_into_padding", lambda m, a: m.pad(a, 3.0, [(0, 0, 0), (-4, 3, 0), (0, 0, 0)])),
    ("reduce_sum", lambda m, a: m.reduce_sum(a, (0, 2))),
    ("reduce_max", lambda m, a: m.reduce_max(a, (1,))),
    ("reduce_min", lambda m, a: m.reduce_min(a, (0, 1, 2))),
    ("reduce_prod", lambda m, a: m.reduce_prod(a, (2,))),
    ("dot", lambda m, a: m.dot(a[0], a[1].T, precision=m.Precision.HIGHEST)),
    ("dot_vector", lambda m, a: m.dot(a[0, 0], a[1, 1])),
    ("dot_general_batch", lambda m, a: m.dot_general(a, a, (((2,), (2,)), ((0,), (0,))))),
    ("dot_general_mixed", lambda m, a: m.dot_general(
        a, m.transpose(a, (2, 1, 0)), (((1,), (1,)), ((2,), (0,))))),
    ("dot_general_outer", lambda m, a: m.dot_general(a[0], a[1], (((), ()), ((), ())))),
    ("cumsum", lambda m, a: m.cumsum(a, axis=1)),
    ("cumsum_reverse", lambda m, a: m.cumsum(a, axis=2, reverse=True)),
    ("cumprod", lambda m, a: m.cumprod(a, axis=2)),
    ("cumprod_reverse", lambda m, a: m.cumprod(a, axis=0, reverse=True)),
    ("cummax", lambda m, a: m.cummax(a, axis=2)),
    ("cummin_reverse", lambda m, a: m.cummin(a, axis=1, reverse=True)),
    ("cumlogsumexp", lambda m, a: m.cumlogsumexp(a, axis=2, reverse=True)),
]
NOT_SMOOTH = {"reduce_max", "reduce_min", "cummax", "cummin_reverse"}


@pytest.mark.parametrize(("name", "f"), SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_values_match_jax(name: str, f: Any, xp: Any, jax_x64: Any) -> None:
    want = np.asarray(f(jax_x64.lax, A))
    got = host(f(lax, xp.asarray(A)))
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(("name", "f"), SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_gradients_match_jax(name: str, f: Any, jax_x64: Any) -> None:
    weights = RNG.normal(size=np.asarray(f(jax_x64.lax, A)).shape)
    want = jax_x64.grad(lambda a: (f(jax_x64.lax, a) * weights).sum())(A)
    got = gpugrad.grad(lambda a: gnp.sum(f(lax, a) * weights))(A)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-10, atol=1e-12)
    if name not in NOT_SMOOTH:
        check_grads(lambda a: f(lax, a), (A,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["pad_interior", "pad_negative", "dot_general_batch",
                                  "dot_general_mixed", "cumlogsumexp", "cummax", "cumsum_reverse",
                                  "cumprod", "reshape_dimensions", "broadcast_in_dim", "squeeze",
                                  "rev", "concatenate", "reduce_max", "reduce_prod", "dot"])
def test_under_vmap(name: str, xp: Any) -> None:
    f = dict(SHAPE_CASES)[name]
    check_layouts(lambda a: f(lax, a), [xp.asarray(RNG.normal(size=(3, 2, 3, 4)))])


def test_arg_extrema_and_conversions_under_vmap(xp: Any) -> None:
    x = xp.asarray(RNG.normal(size=(3, 4, 5)) * 3)
    check_layouts(lambda a: lax.argmax(a, 1, np.int32), [x])
    check_layouts(lambda a: lax.argmin(a, 0, np.int64), [x])
    check_layouts(lambda a: lax.convert_element_type(a, np.int8), [x])
    check_layouts(lambda a: lax.full_like(a, 2.0, shape=(2,)) * lax.reduce_sum(a, (0, 1)), [x])


def test_pad_value_is_differentiable_and_interior_of_short_axes(jax_x64: Any) -> None:
    x, value = np.arange(3.0), np.float64(1.5)
    config = [(2, -1, 2)]
    want = jax_x64.grad(lambda v, p: (jax_x64.lax.pad(v, p, config) ** 2).sum(), (0, 1))(
        x, value)
    got = gpugrad.grad(lambda v, p: gnp.sum(lax.pad(v, p, config) ** 2), (0, 1))(x, value)
    np.testing.assert_allclose(got[0], np.asarray(want[0]))
    np.testing.assert_allclose(got[1], float(want[1]))
    check_grads(lambda v, p: lax.pad(v, p, config), (x, value), order=2)
    for n, cfg in ((1, (0, 0, 3)), (0, (1, 1, 2)), (2, (-2, 0, 1))):
        v = np.ones(n)
        np.testing.assert_array_equal(lax.pad(v, 0.0, [cfg]),
                                      np.asarray(jax_x64.lax.pad(v, 0.0, [cfg])))


def test_tied_maxima_share_as_in_jax(jax_x64: Any) -> None:
    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 0.0, 3.0])
    for name in ("cummax", "cummin"):
        for reverse in (False, True):
            want = jax_x64.grad(lambda v: getattr(jax_x64.lax, name)(v, reverse=reverse).sum())(x)
            got = gpugrad.grad(lambda v: gnp.sum(getattr(lax, name)(v, reverse=reverse)))(x)
            np.testing.assert_array_equal(got, np.asarray(want))
    want = jax_x64.grad(lambda v: jax_x64.lax.reduce_max(v, (0,)))(x)
    np.testing.assert_array_equal(gpugrad.grad(lambda v: lax.reduce_max(v, (0,)))(x),
                                  np.asarray(want))
    zeros = np.array([1.0, 0.0, 3.0, 2.0])
    want = jax_x64.grad(lambda v: jax_x64.lax.cumprod(v).sum())(zeros)
    np.testing.assert_array_equal(gpugrad.grad(lambda v: gnp.sum(lax.cumprod(v)))(zeros),
                                  np.asarray(want))


def test_creation_and_integer_reductions(xp: Any, jax_x64: Any) -> None:
    j = jax_x64.lax
    ints = np.array([[1, 3, 3], [2, 0, 2]], np.int32)
    pairs = [
        (lax.iota(np.int32, 5), j.iota(np.int32, 5)),
        (lax.broadcasted_iota(np.int16, (2, 3), 0), j.broadcasted_iota(np.int16, (2, 3), 0)),
        (lax.full((2, 2), 7, np.int8), j.full((2, 2), 7, np.int8)),
        (lax.full_like(xp.asarray(ints), 1.5), j.full_like(ints, 1.5)),
        (lax.full_like(xp.asarray(ints), 2, shape=(3,)), j.full_like(ints, 2, shape=(3,))),
        (lax.argmax(xp.asarray(ints), 1, np.int32), j.argmax(ints, 1, np.int32)),
        (lax.argmin(xp.asarray(ints), 0, np.int64), j.argmin(ints, 0, np.int64)),
        (lax.argmax(xp.asarray([1.0, np.nan, 3.0]), 0, np.int32),
         j.argmax(np.array([1.0, np.nan, 3.0]), 0, np.int32)),
        (lax.reduce_sum(xp.asarray(ints), (1,)), j.reduce_sum(ints, (1,))),
        (lax.reduce_prod(xp.asarray(ints), (0,)), j.reduce_prod(ints, (0,))),
        (lax.cumsum(xp.asarray(ints), 1, reverse=True), j.cumsum(ints, 1, reverse=True)),
        (lax.cummax(xp.asarray(ints), 1), j.cummax(ints, 1)),
    ]
    for k, (got, want) in enumerate(pairs):
        got, want = host(got), np.asarray(want)
        assert got.dtype == want.dtype, (k, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=str(k))
    fill = gpugrad.grad(lambda v: gnp.sum(lax.full((3,), v) * 2.0))(np.float64(1.0))
    assert fill == 6.0


def test_associative_scan_pytrees_axes_and_reverse(xp: Any, jax_x64: Any) -> None:
    # A pytree of (sum, product) pairs, and a non-commutative operation (2x2 matmul).
    def both(a: Any, b: Any) -> Any:
        return {"s": a["s"] + b["s"], "p": a["p"] * b["p"]}

    elems = {"s": RNG.normal(size=(3, 7)), "p": RNG.uniform(0.5, 1.5, (3, 7))}
    for n in (1, 2, 5, 7):
        for reverse in (False, True):
            part = {k: v[:, :n] for k, v in elems.items()}
            want = jax_x64.lax.associative_scan(both, part, reverse=reverse, axis=1)
            got = lax.associative_scan(both, {k: xp.asarray(v) for k, v in part.items()},
                                       reverse=reverse, axis=-1)
            for k in part:
                np.testing.assert_allclose(host(got[k]), np.asarray(want[k]), rtol=1e-12)
    mats = RNG.normal(size=(6, 2, 2))
    for reverse in (False, True):
        want = jax_x64.lax.associative_scan(jax_x64.numpy.matmul, mats, reverse=reverse)
        got = lax.associative_scan(gnp.matmul, xp.asarray(mats), reverse=reverse)
        np.testing.assert_allclose(host(got), np.asarray(want), rtol=1e-12)
    check_grads(lambda m: lax.associative_scan(gnp.matmul, m), (mats,), order=2)
    check_layouts(lambda m: lax.associative_scan(gnp.matmul, m, reverse=True),
                  [xp.asarray(RNG.normal(size=(3, 5, 2, 2)))])


def test_errors_are_jax_like() -> None:
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match=r"lax.concatenate requires arguments to have the same "
                                        r"dtypes, got float64, float32"):
        lax.concatenate([x, np.ones((2, 3), np.float32)], 0)
    with pytest.raises(TypeError, match=r"one number of dimensions, got shapes \(2, 3\), \(3,\)"):
        lax.concatenate([x, np.ones(3)], 0)
    with pytest.raises(TypeError, match=r"lax.pad requires arguments to have the same dtypes, "
                                        r"got float64, int"):
        lax.pad(x, 0, [(0, 0, 0)] * 2)
    with pytest.raises(ValueError, match="interior padding must be nonnegative"):
        lax.pad(x, 0.0, [(0, 0, -1), (0, 0, 0)])
    with pytest.raises(ValueError, match="axis 0 would have length -1"):
        lax.pad(x, 0.0, [(-3, 0, 0), (0, 0, 0)])
    with pytest.raises(ValueError, match=r"one \(low, high, interior\) per axis"):
        lax.pad(x, 0.0, [(1, 0, 0)])
    with pytest.raises(TypeError, match="broadcast_dimensions must list"):
        lax.broadcast_in_dim(np.ones(2), (3, 4), (0,))
    with pytest.raises(ValueError, match="the axes to remove must have length 1"):
        lax.squeeze(np.ones((1, 2)), (1,))
    with pytest.raises(TypeError, match=r"new_sizes .* have 4 elements"):
        lax.reshape(x, (2, 2))
    with pytest.raises(TypeError, match="the contracting dimensions"):
        lax.dot_general(x, x, (((1,), (0,)), ((), ())))
    with pytest.raises(TypeError, match="rank 1 or 2 whose inner lengths agree"):
        lax.dot(x, x)
    with pytest.raises(ValueError, match="the same length along axis 0"):
        lax.associative_scan(lambda a, b: a, (np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match=r"lax.reduce_sum does not accept dtype bool"):
        lax.reduce_sum(np.array([True]), (0,))
    with pytest.raises(TypeError, match=r"lax.cumsum does not accept dtype bool"):
        lax.cumsum(np.array([True]))
    with pytest.raises(TypeError, match=r"lax.cumlogsumexp does not accept dtype int32"):
        lax.cumlogsumexp(np.ones(2, np.int32))
    with pytest.raises(TypeError, match="index_dtype must be an integer dtype"):
        lax.argmax(x, 0, np.float32)
    with pytest.raises(TypeError, match="must be Python ints, not traced values"):
        gpugrad.vmap(lambda n: lax.full((n,), 1.0))(np.arange(3))
