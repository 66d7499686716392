"""``associative_scan`` and the cumulative reductions of ``gpugrad.lax``.

``associative_scan(fn, elems)`` computes all prefixes ``[a, fn(a, b), fn(fn(a, b), c), ...]``
of an associative ``fn`` in ``O(log n)`` rounds of whole-array calls (Blelloch's scheme, the
one JAX documents): combine neighbouring pairs, scan the half-length result recursively (it
holds the prefixes at the odd positions), then fill in the even positions with one more
call. Every step is a strided slice, a call of ``fn`` on arrays, or a ``concatenate``, so
the scan differentiates, batches and stages like any gpugrad code.

``cummax``, ``cummin`` and ``cumlogsumexp`` are that scan of ``max``, ``min`` and
``logaddexp``, so their derivatives are those of the same tree of pairwise operations as in
JAX (a tie shares its derivative half and half at each ``max``). ``cumsum`` and ``cumprod``
use gpugrad.numpy's running sum and product, whose derivatives are exact.

Example:
    >>> lax.associative_scan(lambda a, b: a + b, np.arange(5))
    array([ 0,  1,  3,  6, 10])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.lax.operands import FLOATING, NUMBER, check_kinds
from gpugrad.lax.slicing import slice_in_dim
from gpugrad.naming import example_doc, named
from gpugrad.numpy.operands import to_array

__all__ = ["associative_scan", "cumlogsumexp", "cummax", "cummin", "cumprod", "cumsum"]


def _interleave(even: Any, odd: Any, axis: int) -> Any:
    """``even[0], odd[0], even[1], odd[1], ...`` along ``axis`` (``even`` has as many
    elements as ``odd``, or one more)."""
    n_odd = odd.shape[axis]
    pairs = gnp.stack([slice_in_dim(even, 0, n_odd, axis=axis), odd], axis=axis + 1)
    shape = list(odd.shape)
    shape[axis] = 2 * n_odd
    merged = gnp.reshape(pairs, shape)
    if even.shape[axis] == n_odd:
        return merged
    return gnp.concatenate([merged, slice_in_dim(even, n_odd, None, axis=axis)], axis=axis)


def associative_scan(fn: Callable[[Any, Any], Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """All prefix combinations of ``elems`` (a pytree of arrays sharing the length of
    ``axis``) under the associative ``fn``, which takes and returns pytrees like ``elems``
    and works elementwise on arrays. With ``reverse``, the suffixes: for ``[x, y, z]`` the
    result is ``[fn(fn(z, y), x), fn(z, y), z]``.

    Example:
        >>> lax.associative_scan(np.multiply, np.array([1, 2, 3, 4]), reverse=True)
        array([24, 24, 12,  4])
    """
    if not callable(fn):
        raise TypeError("lax.associative_scan: fn must be callable")
    leaves, tree = tree_util.tree_flatten(elems)
    if not leaves:
        raise ValueError("lax.associative_scan: elems has no arrays")
    leaves = [to_array(x) for x in leaves]
    ndim = leaves[0].ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"lax.associative_scan: axis {axis} is out of range for elements of "
                         f"shape {tuple(leaves[0].shape)}")
    axis %= ndim
    lengths = [x.shape[axis] if x.ndim > axis else None for x in leaves]
    if len(set(lengths)) != 1:
        raise ValueError(f"lax.associative_scan: the arrays of elems must have the same length "
                         f"along axis {axis}, got shapes {[tuple(x.shape) for x in leaves]}")
    if reverse:
        leaves = [gnp.flip(x, axis=axis) for x in leaves]

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        out = fn(tree_util.tree_unflatten(tree, a), tree_util.tree_unflatten(tree, b))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise TypeError(f"lax.associative_scan: fn must return the structure of elems "
                            f"({tree}), got {out_tree}")
        return [to_array(x) for x in out_leaves]

    def scan(xs: list[Any]) -> list[Any]:
        n = xs[0].shape[axis]
        if n < 2:
            return xs
        pairs = combine([slice_in_dim(x, 0, n - 1, 2, axis=axis) for x in xs],
                        [slice_in_dim(x, 1, None, 2, axis=axis) for x in xs])
        odd = scan(pairs)  # the prefixes ending at positions 1, 3, 5, ...
        # Positions 2, 4, ...: the prefix just before, combined with the element itself.
        before = odd if n % 2 else [slice_in_dim(o, 0, -1, axis=axis) for o in odd]
        even = combine(before, [slice_in_dim(x, 2, None, 2, axis=axis) for x in xs])
        even = [gnp.concatenate([slice_in_dim(x, 0, 1, axis=axis), e], axis=axis)
                for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan(leaves)
    if reverse:
        out = [gnp.flip(x, axis=axis) for x in out]
    return tree_util.tree_unflatten(tree, out)


class Cumulative(Protocol):
    """The type of ``lax.cumsum`` and the other running reductions."""

    def __call__(self, operand: Any, axis: int = 0, reverse: bool = False) -> Any: ...


def _cumulative(name: str, along: Callable[[Any, int], Any], kinds: str, summary: str,
                *session: str) -> Cumulative:
    """``lax.<name>(operand, axis=0, reverse=False)``: ``along(x, axis)``, the running
    reduction of an operand of ``kinds`` (from the end with ``reverse``), documented by
    ``summary`` and the doctest lines ``session``."""

    def fn(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
        x = to_array(operand)
        check_kinds(name, [x], kinds)
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"lax.{name}: axis {axis} is out of range for an operand of shape "
                             f"{tuple(x.shape)}")
        axis %= x.ndim
        if reverse:
            return gnp.flip(along(gnp.flip(x, axis=axis), axis), axis=axis)
        return along(x, axis)

    return named(fn, name, example_doc(summary, *session))


def _scan_of(combine: Callable[[Any, Any], Any]) -> Callable[[Any, int], Any]:
    return lambda x, a: associative_scan(combine, x, axis=a)


_ALL = "biufc"
cumsum = _cumulative(
    "cumsum", lambda x, a: gnp.cumsum(x, axis=a), NUMBER,
    "Running sums along ``axis`` (from the end with ``reverse``); the dtype is kept.",
    ">>> lax.cumsum(np.arange(5), reverse=True)", "array([10, 10,  9,  7,  4])")
cumprod = _cumulative(
    "cumprod", lambda x, a: gnp.cumprod(x, axis=a), NUMBER,
    "Running products along ``axis``, with exact derivatives where an element is zero.",
    ">>> lax.cumprod(np.array([1.0, 2.0, 3.0]))", "array([1., 2., 6.])")
cummax = _cumulative("cummax", _scan_of(gnp.maximum), _ALL, "Running maxima along ``axis``.",
                     ">>> lax.cummax(np.array([1, 3, 2, 5, 4]))", "array([1, 3, 3, 5, 5])")
cummin = _cumulative("cummin", _scan_of(gnp.minimum), _ALL, "Running minima along ``axis``.",
                     ">>> lax.cummin(np.array([4, 5, 2, 3, 1]), reverse=True)",
                     "array([1, 1, 1, 1, 1])")
cumlogsumexp = _cumulative(
    "cumlogsumexp", _scan_of(gnp.logaddexp), FLOATING,
    "Running ``log(sum(exp(x)))`` along ``axis``, without overflow.",
    ">>> lax.cumlogsumexp(np.array([0.0, 0.0, 1000.0]))[1:]",
    "array([6.93147181e-01, 1.00000000e+03])")
