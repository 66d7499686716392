"""``vmap`` of indexing: gather and scatter-add with the array batched, the indices batched, or
both, for every kind of index (basic, advanced adjacent or separated, ints among arrays, 0-d
and broadcasting index arrays), each checked against the Python loop over the examples in
several layouts, differentiated to second order, and compared with ``jax.vmap``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core.concrete import ConcretizationError
from gpugrad.primitives.indexing import ARRAY, SliceBounds, normalize_index, split_index
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, check_vmap, host

N = 3  # examples
ALL = slice(None)

# Each row: (name, index builder, index arrays of one example as (shape, high)). x holds
# examples of shape (4, 5, 6); an index array's values lie in [-high, high).
INDICES: list[tuple[str, Callable[..., Any], list[tuple[tuple[int, ...], int]]]] = [
    ("first_axis", lambda i: (i,), [((7,), 4)]),
    ("second_axis", lambda i: (ALL, i), [((7,), 5)]),
    ("adjacent", lambda i, j: (ALL, i, j), [((2, 3), 5), ((3,), 6)]),
    ("separated", lambda i, j: (i, ALL, j), [((4,), 4), ((4,), 6)]),
    ("separated_by_none", lambda i, j: (i, None, j), [((4,), 4), ((4,), 5)]),
    ("ellipsis", lambda i, j: (Ellipsis, i, j), [((3,), 5), ((3,), 6)]),
    ("int_then_slice_then_array", lambda i: (1, ALL, i), [((5,), 6)]),
    ("slice_array_int", lambda i: (slice(1, 3), i, 2), [((5,), 5)]),
    ("none_slices_and_step", lambda i: (None, slice(1, 3), i, slice(None, None, 2)),
     [((2, 2), 5)]),
    ("zero_d", lambda i: (i,), [((), 4)]),
    ("zero_d_separated", lambda i, j: (i, ALL, j), [((), 4), ((), 6)]),
    ("broadcast_pair", lambda i, j: (i[:, None], j[None, :]), [((3,), 4), ((2,), 5)]),
]


def test_index_arrays_are_operands_and_the_rest_a_hashable_template() -> None:
    i = np.array([0, 1])
    index = normalize_index((1, slice(0, 2), None, Ellipsis, i), 4)
    template, arrays = split_index(index)
    assert arrays == [i]
    assert template == (1, SliceBounds(0, 2, None), None, Ellipsis, ARRAY)
    assert hash(template) == hash((1, SliceBounds(0, 2, None), None, Ellipsis, ARRAY))


def _x(xp: Any, rng: np.random.Generator) -> Any:
    return xp.asarray(rng.normal(size=(N, 4, 5, 6)))


def _index_arrays(xp: Any, rng: np.random.Generator, spec: list[Any]) -> list[Any]:
    return [xp.asarray(rng.integers(-high, high, size=(N, *shape))) for shape, high in spec]


@pytest.mark.parametrize("name, index, spec", INDICES, ids=[r[0] for r in INDICES])
def test_gather(xp: Any, name: str, index: Callable[..., Any], spec: list[Any]) -> None:
    rng = np.random.default_rng(0)
    check_layouts(lambda x, *a: gnp.getitem(x, index(*a)), [_x(xp, rng),
                                                            *_index_arrays(xp, rng, spec)])


@pytest.mark.parametrize("name, index, spec", INDICES, ids=[r[0] for r in INDICES])
def test_scatter_add(xp: Any, name: str, index: Callable[..., Any], spec: list[Any]) -> None:
    # The updates come from x itself, so they are batched exactly when x is.
    rng = np.random.default_rng(1)

    def f(x: Any, *a: Any) -> Any:
        return gnp.at(x)[index(*a)].add(gnp.getitem(x, index(*a)) ** 2 + 1.0)

    check_layouts(f, [_x(xp, rng), *_index_arrays(xp, rng, spec)])


@pytest.mark.parametrize("index", [
    (1, slice(None, None, -1), None), (Ellipsis, 0), (slice(1, 3), None, 2, Ellipsis),
    (np.array([0, 2]), ALL, np.array([[1], [-1]])), (2, ALL, np.array([0, 0, 1])),
], ids=["basic", "ellipsis_int", "none_after_int", "static_separated", "static_int_array"])
def test_static_index_on_a_batched_array(xp: Any, index: tuple[Any, ...]) -> None:
    x = _x(xp, np.random.default_rng(2))
    check_layouts(lambda x: x[index], [x])
    y = xp.asarray(np.random.default_rng(3).normal(size=(N, *np.zeros((4, 5, 6))[index].shape)))
    check_layouts(lambda x, y: gnp.at(x)[index].add(y), [x, y])  # updates alone batched too


def test_repeated_indices_accumulate_per_example(xp: Any) -> None:
    x = xp.zeros((N, 4))
    i = xp.asarray([[0, 0, 0], [1, 2, 1], [3, 3, 2]])
    y = xp.asarray(np.arange(9.0).reshape(N, 3))
    out = check_vmap(lambda x, i, y: gnp.at(x)[i].add(y), [x, i, y])
    np.testing.assert_array_equal(host(out), [[3, 0, 0, 0], [0, 8, 4, 0], [0, 0, 8, 13]])
    # the same index for every example, updates batched: still one sum per example
    out = check_vmap(lambda y: gnp.at(xp.zeros(2))[xp.asarray([1, 1, 0])].add(y), [y])
    np.testing.assert_array_equal(host(out), [[2, 1], [5, 7], [8, 13]])


def test_unbatched_table_batched_indices_reads_no_copy_of_the_table(xp: Any) -> None:
    table = xp.asarray(np.arange(20.0).reshape(5, 4))
    idxs = xp.asarray([[3, 0], [1, 1], [3, 2]])
    out = gpugrad.vmap(lambda i: gnp.take(table, i, axis=0))(idxs)
    np.testing.assert_array_equal(host(out), host(table)[host(idxs)])
    out = gpugrad.vmap(lambda i: gnp.getitem(table, (i, i)))(idxs)
    np.testing.assert_array_equal(host(out), [[15, 0], [5, 5], [15, 10]])


def test_numpy_table_indexed_by_a_batched_index_names_the_fix() -> None:
    # NumPy's own indexing reads the index's value; the error says how to index instead.
    table = np.arange(5.0)
    for idxs in (np.array([1, 3]), np.array([[1, 2], [0, 4]])):
        with pytest.raises(ConcretizationError, match=r"gpugrad\.numpy\.getitem\(table, i\)"):
            gpugrad.vmap(lambda i: table[i])(idxs)


@pytest.mark.parametrize("name, index, spec", [r for r in INDICES if r[0] in (
    "second_axis", "separated", "int_then_slice_then_array", "broadcast_pair")])
def test_gradients_with_batched_indices(name: str, index: Callable[..., Any],
                                        spec: list[Any]) -> None:
    rng = np.random.default_rng(4)
    x = _x(np, rng)
    a = _index_arrays(np, rng, spec)

    def gather(x: Any) -> Any:
        return gpugrad.vmap(lambda x, *a: gnp.getitem(x, index(*a)) ** 2)(x, *a)

    def scatter(x: Any) -> Any:
        return gpugrad.vmap(lambda x, *a: gnp.sin(
            gnp.at(x)[index(*a)].add(gnp.getitem(x, index(*a)) ** 3)))(x, *a)

    check_grads(gather, (x,), order=2, modes=("fwd", "rev"))
    check_grads(scatter, (x,), order=2, modes=("fwd", "rev"))
    # the array unbatched, the indices batched: its cotangent sums over the examples
    check_grads(lambda x: gpugrad.vmap(lambda *a: gnp.getitem(x, index(*a)) ** 2)(*a),
                (x[0],), order=2, modes=("fwd", "rev"))


def test_batched_boolean_mask_is_a_clear_error() -> None:
    x = np.ones((N, 4))
    with pytest.raises(ConcretizationError, match="boolean mask"):
        gpugrad.vmap(lambda x: gnp.getitem(x, x > 0))(x)
    # an unbatched (concrete) mask is fine
    mask = np.array([True, False, True, True])
    check_layouts(lambda x: gnp.getitem(x, (ALL, mask)), [np.ones((N, 2, 4))])


def test_gather_and_scatter_match_jax(jax_x64: Any) -> None:
    jnp = jax_x64.numpy
    rng = np.random.default_rng(5)
    x = rng.normal(size=(N, 4, 5, 6))
    i = rng.integers(0, 4, size=(N, 6))
    j = rng.integers(-5, 5, size=(N, 6))
    for fg, fj in [
        (lambda x, i, j: gnp.getitem(x, (i, ALL, j)), lambda x, i, j: x[i, :, j]),
        (lambda x, i, j: gnp.getitem(x, (ALL, j)), lambda x, i, j: x[:, j]),
        (lambda x, i, j: gnp.at(x)[i, 1].add(gnp.getitem(x, (i, 1)) * 2.0), lambda x, i, j:
         x.at[i, 1].add(x[i, 1] * 2.0)),
    ]:
        for in_axes in [(0, 0, 0), (None, 0, 0), (0, None, None), (2, 0, None)]:
            laid_out = [np.moveaxis(x, 0, 2) if in_axes[0] == 2 else x, i, j]
            args = [a[0] if ax is None else a for a, ax in zip(laid_out, in_axes)]
            want = jax_x64.vmap(fj, in_axes=in_axes)(*map(jnp.asarray, args))
            got = gpugrad.vmap(fg, in_axes=in_axes)(*args)
            np.testing.assert_allclose(got, want, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# The discrete primitives (orders, searches, counts, tests) and the functions built on
# gathers, each in every layout. Arguments: examples along axis 0.

def _discrete_args(xp: Any) -> dict[str, Any]:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(N, 4, 5)).round(1)
    x[0, 1, 2] = np.nan
    return {name: xp.asarray(a) for name, a in {
        "x": x, "y": rng.normal(size=(N, 4, 5)).round(1),
        "sq": rng.normal(size=(N, 4, 4)),
        "sorted": np.sort(rng.integers(-3, 4, size=(N, 6)), axis=-1).astype(float),
        "v": rng.integers(-4, 5, size=(N, 2, 3)).astype(float),
        "ints": rng.integers(0, 3, size=(N, 4, 5)),
        "mask": rng.random((N, 4, 5)) > 0.5,
        "idx": rng.integers(0, 4, size=(N, 6)),
        "idx2": rng.integers(0, 4, size=(N, 4, 5)),
        "upd": rng.normal(size=(N, 6, 5)),
        "knots": np.sort(rng.normal(size=(N, 6)), axis=-1),
        "points": rng.normal(size=(N, 5)) * 2,
    }.items()}


DISCRETE: dict[str, tuple[Callable[..., Any], str]] = {
    "argsort": (lambda x: gnp.argsort(x), "x"),
    "argsort_axis0_descending": (lambda x: gnp.argsort(x, axis=0, descending=True), "x"),
    "argsort_flat": (lambda x: gnp.argsort(x, axis=None), "x"),
    "argpartition": (lambda x: gnp.argpartition(gnp.nan_to_num(x), 2, axis=0), "x"),
    "argpartition_flat": (lambda x: gnp.argpartition(gnp.nan_to_num(x), 3, axis=None), "x"),
    "searchsorted": (lambda a, v: gnp.searchsorted(a, v), "sorted v"),
    "searchsorted_right": (lambda a, v: gnp.searchsorted(a, v, side="right"), "sorted v"),
    "searchsorted_sorter": (lambda a, v: gnp.searchsorted(
        a[::-1], v, sorter=gnp.argsort(a[::-1])), "sorted v"),
    "searchsorted_nan": (lambda x, v: gnp.searchsorted(gnp.sort(x[0]), v[0]), "x v"),
    "count_nonzero": (lambda i: gnp.count_nonzero(i), "ints"),
    "count_nonzero_axis_keepdims": (lambda i: gnp.count_nonzero(i, axis=1, keepdims=True),
                                    "ints"),
    "count_nonzero_axes": (lambda i: gnp.count_nonzero(i, axis=(0, 1)), "ints"),
    "isclose": (lambda x, y: gnp.isclose(x, y, atol=0.5), "x y"),
    "isclose_traced_tolerance": (lambda x, y: gnp.isclose(x, 0.0, atol=gnp.abs(y)), "x y"),
    "allclose": (lambda x, y: gnp.allclose(x, y, atol=3.0), "x y"),
    "signbit": (gnp.signbit, "x"),
    "argmax": (gnp.argmax, "x"),
    "argmax_axis": (lambda x: gnp.argmax(x, axis=1), "x"),
    "argmin_keepdims": (lambda x: gnp.argmin(x, axis=0, keepdims=True), "x"),
    "argmax_flat_keepdims": (lambda x: gnp.argmax(x, keepdims=True), "x"),
    "any": (gnp.any, "mask"),
    "all_axis": (lambda m: gnp.all(m, axis=1), "mask"),
    "any_where": (lambda x, m: gnp.any(x > 0, where=m), "x mask"),
    "all_where_axis_keepdims": (lambda x, m: gnp.all(x > 0, axis=0, where=m[0],
                                                     keepdims=True), "x mask"),
    # functions built on gathers and scatters
    "take": (lambda x, i: gnp.take(x, i), "x idx"),
    "take_axis_wrap": (lambda x, i: gnp.take(x, i + 7, axis=0, mode="wrap"), "x idx"),
    "take_clip": (lambda x, i: gnp.take(x, i - 2, axis=1, mode="clip"), "x idx"),
    "take_along_axis": (lambda x, i: gnp.take_along_axis(x, i, axis=0), "x idx2"),
    "choose": (lambda i, x, y: gnp.choose(i % 2, [x, y]), "idx2 x y"),
    "at_get": (lambda x, i: gnp.at(x)[:, i].get(), "x idx"),
    "at_set": (lambda x, i, u: gnp.at(x)[i].set(u), "y idx upd"),
    "at_multiply": (lambda x, i, u: gnp.at(x)[i].multiply(u), "y idx upd"),
    "at_divide": (lambda x, i, u: gnp.at(x)[i].divide(u), "y idx upd"),
    "at_min": (lambda x, i, u: gnp.at(x)[i].min(u), "y idx upd"),
    "at_max": (lambda x, i, u: gnp.at(x)[i].max(u), "y idx upd"),
    "at_power": (lambda x, i, u: gnp.at(gnp.abs(x))[i].power(u), "y idx upd"),
    "sort": (lambda x: gnp.sort(x, axis=0), "x"),
    "sort_flat": (lambda x: gnp.sort(x, axis=None), "x"),
    "partition": (lambda y: gnp.partition(y, 2, axis=0), "y"),
    "median": (lambda y: gnp.median(y, axis=1), "y"),
    "nanquantile": (lambda x: gnp.nanquantile(x, [0.2, 0.7], axis=1, method="nearest"), "x"),
    "nanmedian": (lambda x: gnp.nanmedian(x, axis=0), "x"),
    "where": (lambda m, x, y: gnp.where(m, x, y), "mask x y"),
    "unique_size": (lambda i: gnp.unique(i, size=5, fill_value=-1), "idx"),
    "unique_all": (lambda x: gnp.unique(x, size=25, return_index=True, return_inverse=True,
                                        return_counts=True), "x"),
    "diag": (gnp.diag, "sq"),
    "diag_of_vector": (lambda x: gnp.diag(x[0], 1), "sq"),
    "diagonal": (lambda x: gnp.diagonal(x, -1), "sq"),
    "tril": (lambda x: gnp.tril(x, -1), "sq"),
    "triu": (lambda x: gnp.triu(x, 1), "x"),
    "roll": (lambda x: gnp.roll(x, 2, axis=1), "x"),
    "roll_flat": (lambda x: gnp.roll(x, 3), "x"),
    "flip": (lambda x: gnp.flip(x, 0), "x"),
    "flip_all": (gnp.flip, "x"),
    "nanargmax": (lambda x: gnp.nanargmax(x, axis=1), "x"),
    "delete_insert": (lambda x, y: gnp.insert(gnp.delete(x, [0, 2], axis=1), 1, y[0, :3], axis=0),
                      "x y"),
    "rot90_diagflat_trace": (lambda s: gnp.diagflat(gnp.rot90(s)[0]) + gnp.trace(s, 1), "sq"),
    "pad_reflect_wrap": (lambda y: gnp.pad(gnp.pad(y, 1, mode="reflect"), 2, mode="wrap"), "y"),
    "convolve": (lambda k, p: gnp.convolve(k, p, mode="same"), "knots points"),
    "index_from_argmax": (lambda x, y: gnp.getitem(x, (ALL, gnp.argmax(y, axis=1))), "x y"),
    "interp": (lambda p, k, f: gnp.interp(p, k, f[:, 0]), "points knots upd"),
    "interp_periodic": (lambda p, k, f: gnp.interp(p, k, f[:, 0], period=3.0), "points knots upd"),
}


@pytest.mark.parametrize("name", list(DISCRETE))
def test_discrete_and_gathering_functions(xp: Any, name: str) -> None:
    f, arg_names = DISCRETE[name]
    args = _discrete_args(xp)
    check_layouts(f, [args[a] for a in arg_names.split()])


@pytest.mark.parametrize("f", [
    gnp.argsort, lambda x: gnp.argpartition(x, 0), gnp.argmax,
    lambda x: gnp.argmin(x, axis=-1, keepdims=True), gnp.count_nonzero, gnp.any, gnp.sort,
], ids=["argsort", "argpartition", "argmax", "argmin_keepdims", "count_nonzero", "any",
        "sort"])
def test_scalar_examples(xp: Any, f: Callable[..., Any]) -> None:
    # NumPy orders a 0-d array as a 1-d one; each example of a vector is 0-d.
    check_vmap(f, [xp.asarray([2.0, 0.0, -1.0])])


def test_nested_vmap_of_batched_indices_and_searches(xp: Any) -> None:
    args = _discrete_args(xp)
    x, i, a, v = args["x"], args["idx"], args["sorted"], args["v"]
    hx, hi = host(x), host(i)

    def column(x: Any, i: Any) -> Any:
        return gnp.getitem(x, (ALL, i))

    # every array with every index row: got[b, m] = x[b][:, i[m]]
    got = gpugrad.vmap(gpugrad.vmap(column, in_axes=(None, 0)), in_axes=(0, None))(x, i)
    want = np.stack([np.stack([hx[b][:, hi[m]] for m in range(N)]) for b in range(N)])
    np.testing.assert_array_equal(host(got), want)
    # both batched twice: got[p, b] = x2[p, b][:, i2[p, b]]
    got = gpugrad.vmap(gpugrad.vmap(column))(xp.stack([x, x[::-1]]), xp.stack([i, i[::-1]]))
    pairs = np.stack([hx[b][:, hi[b]] for b in range(N)])
    want = np.stack([pairs, pairs[::-1]])
    np.testing.assert_array_equal(host(got), want)
    searches = gpugrad.vmap(gpugrad.vmap(gnp.searchsorted))(xp.stack([a, a]), xp.stack([v[:, 0],
                                                                                        v[:, 1]]))
    for b in range(2):
        for k in range(N):
            np.testing.assert_array_equal(host(searches)[b, k],
                                          np.searchsorted(host(a)[k], host(v)[k, b]))


def test_gradients_of_updates_with_batched_indices() -> None:
    args = _discrete_args(np)
    i, u = args["idx"], args["upd"]
    y = np.random.default_rng(8).normal(size=(N, 4, 5))  # not rounded: no ties to sort
    for method in ("set", "multiply", "min", "max"):
        check_grads(lambda y, u: gpugrad.vmap(
            lambda y, i, u: getattr(gnp.at(y)[i], method)(u) ** 2)(y, i, u), (y, u),
            order=2, modes=("fwd", "rev"))
    rows = np.argsort(np.random.default_rng(7).random((N, 4)), axis=1)  # no repeats: no ties
    check_grads(lambda y: gpugrad.vmap(lambda y, i: gnp.sort(y[i], axis=0))(y, rows),
                (y,), order=2, modes=("fwd", "rev"))


def test_searches_and_orders_match_jax(jax_x64: Any) -> None:
    jnp = jax_x64.numpy
    args = _discrete_args(np)
    a, v, x = args["sorted"], args["v"], args["x"]
    for side in ("left", "right"):
        want = jax_x64.vmap(lambda a, v: jnp.searchsorted(a, v, side=side))(a, v)
        got = gpugrad.vmap(lambda a, v: gnp.searchsorted(a, v, side=side))(a, v)
        np.testing.assert_array_equal(got, want)
    for fg, fj in [(lambda x: gnp.argsort(x, axis=0), lambda x: jnp.argsort(x, axis=0)),
                   (gnp.argmax, jnp.argmax), (lambda x: gnp.count_nonzero(x > 0, axis=1),
                                              lambda x: jnp.count_nonzero(x > 0, axis=1))]:
        np.testing.assert_array_equal(gpugrad.vmap(fg, in_axes=1)(x),
                                      jax_x64.vmap(fj, in_axes=1)(x))
    i, u = args["idx"], args["upd"]
    got = gpugrad.vmap(lambda y, i, u: gnp.at(y)[i].max(u))(args["y"], i, u)
    want = jax_x64.vmap(lambda y, i, u: y.at[i].max(u))(args["y"], i, u)
    np.testing.assert_allclose(got, want, rtol=1e-12)
