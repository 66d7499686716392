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
