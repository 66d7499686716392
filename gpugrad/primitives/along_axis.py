"""Primitives along one axis: concatenate and cumsum.

Both are linear, so their JVPs apply the primitive itself to the tangents (``linear_jvp``).
The transpose of a concatenation slices the cotangent back into its pieces (``gather``);
the transpose of a running sum is the running sum from the other end. Under vmap the
example's axis moves one place right of a batch axis before it (``example_axis``), and
concatenate first brings every operand's batch axis to the front (``at_front``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.indexing import gather
from gpugrad.primitives.shape_rules import accumulated_dtype, all_weak, keep
from gpugrad.primitives.structural import batch_size, example_axis, linear_jvp

__all__ = ["concatenate", "concatenate_p", "cumsum", "cumsum_p"]


# ---------------------------------------------------------------------------------------
# concatenate along one axis; its transpose slices the cotangent back into pieces

concatenate_p = Primitive("concatenate")


def _concatenate_impl(*xs: Any, axis: int) -> Any:
    xp = namespace_of(*xs)
    if xp is not np:  # host arrays among device arrays move to the device (as in JAX)
        xs = tuple(xp.asarray(x) for x in xs)
    return xp.concatenate(xs, axis=axis)


concatenate_p.impl = _concatenate_impl
concatenate_p.jvp = linear_jvp(concatenate_p)


def _concatenate_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], axis: int
                     ) -> list[Any]:
    cts: list[Any] = []
    start = 0
    for x, w in zip(primals, wanted):
        stop = start + x.shape[axis]
        index = (slice(None),) * axis + (slice(start, stop),)
        cts.append(gather(ct, index) if w else None)
        start = stop
    return cts


concatenate_p.vjp = _concatenate_vjp


def _concatenate_batch(values: list[Any], dims: list[int | None], axis: int
                       ) -> tuple[Any, int]:
    n = batch_size(values, dims)
    xs = [at_front(x, d, n) for x, d in zip(values, dims)]
    return concatenate(xs, axis % (xs[0].ndim - 1) + 1), 0


concatenate_p.batch = _concatenate_batch


def _concatenate_abstract(*xs: ShapedArray, axis: int) -> ShapedArray:
    axis %= xs[0].ndim
    shape = list(xs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return ShapedArray(tuple(shape), np.result_type(*(x.dtype for x in xs)), all_weak(xs))


concatenate_p.abstract_eval = _concatenate_abstract


def concatenate(xs: list[Any], axis: int) -> Any:
    """The arrays ``xs`` joined along ``axis`` (a non-negative axis of each; one array is
    returned as it is).

    Example:
        >>> concatenate([np.array([1.0, 2.0]), np.array([3.0])], 0)
        array([1., 2., 3.])
    """
    if len(xs) == 1:
        return xs[0]
    return bind(concatenate_p, *xs, axis=axis)


# ---------------------------------------------------------------------------------------
# cumsum along one axis (optionally from the end); its transpose is the reverse cumsum

cumsum_p = Primitive("cumsum")


def _cumsum_impl(x: Any, axis: int, reverse: bool) -> Any:
    xp = namespace_of(x)
    if reverse:
        return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis), axis)
    return xp.cumsum(x, axis=axis)


cumsum_p.impl = _cumsum_impl
cumsum_p.jvp = linear_jvp(cumsum_p)
cumsum_p.vjp = lambda ct, primals, out, wanted, axis, reverse: [
    cumsum(ct, axis, not reverse)
]
cumsum_p.batch = lambda values, dims, axis, reverse: (cumsum(
    values[0], example_axis(axis % (values[0].ndim - 1), dims[0]), reverse), dims[0])
cumsum_p.abstract_eval = lambda x, axis, reverse: keep(x, x.shape, accumulated_dtype(x.dtype))


def cumsum(x: Any, axis: int, reverse: bool = False) -> Any:
    """The running sums of ``x`` along ``axis`` (a non-negative axis), from the end if
    ``reverse``.

    Example:
        >>> cumsum(np.array([1.0, 2.0, 3.0]), 0)
        array([1., 3., 6.])
        >>> cumsum(np.array([1.0, 2.0, 3.0]), 0, reverse=True)
        array([6., 5., 3.])
    """
    return bind(cumsum_p, x, axis=axis, reverse=reverse)
