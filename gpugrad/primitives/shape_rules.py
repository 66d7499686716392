"""Shape and dtype rules shared by several primitives' ``abstract_eval``.

A primitive's abstract evaluation (``Primitive.abstract_eval``, see
``gpugrad.core.abstract``) says what its ``impl`` returns, shape and dtype, from its
arguments' :class:`~gpugrad.core.abstract.ShapedArray` values and its params alone. Each
rule sits beside its primitive; what several of them compute alike is here: the shape of
a reduction, NumPy's widening of integer sums, the dtype NumPy's ``linalg`` computes in,
the shape of a result packed from the factors of a matrix decomposition, and JAX's rule
for weak types (a result is weak only when every argument is).

Example:
    >>> reduced_shape((2, 3, 4), (0, 2), keepdims=False)
    (3,)
    >>> accumulated_dtype(np.dtype("int32")), linalg_dtype(np.dtype("int32"))
    (dtype('int64'), dtype('float64'))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad.core.abstract import ShapedArray

__all__ = [
    "accumulated_dtype", "all_weak", "broadcast_avals", "keep", "linalg_dtype",
    "matrix_result", "reduced_shape", "reduction_rule",
]


def _normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None: every axis; an int; a tuple) as non-negative axes of an ``ndim``-d
    array; a 0-d array has none."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(int(a) % ndim for a in axes) if ndim else ()


def reduced_shape(shape: tuple[int, ...], axis: Any, keepdims: bool) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axis`` (NumPy's meaning of ``axis``)."""
    axes = _normalize_axes(axis, len(shape))
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def accumulated_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype NumPy's sums and products (``add.reduce``, ``prod``, ``cumsum``) return:
    booleans and integers narrower than the platform's widen to it, as in NumPy (JAX would
    keep int32; gpugrad's ``impl`` is NumPy's, so its rule is too)."""
    if dtype.kind in "bi" and dtype.itemsize < np.dtype(np.int_).itemsize:
        return np.dtype(np.int_)
    if dtype.kind == "u" and dtype.itemsize < np.dtype(np.uint).itemsize:
        return np.dtype(np.uint)
    return dtype


def reduction_rule(widen: bool) -> Callable[..., ShapedArray]:
    """The rule of a reduction over ``axes`` (reduce_sum, reduce_prod: ``widen`` as NumPy
    widens integer sums; reduce_max, reduce_min: not): the input's weak type is kept."""
    def rule(x: ShapedArray, axes: tuple[int, ...]) -> ShapedArray:
        dtype = accumulated_dtype(x.dtype) if widen else x.dtype
        return keep(x, reduced_shape(x.shape, axes, False), dtype)

    return rule


def linalg_dtype(*dtypes: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype ``numpy.linalg`` computes and returns in: the operands' common dtype, with
    booleans and integers as float64."""
    dtype = np.result_type(*dtypes)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def all_weak(avals: Sequence[ShapedArray]) -> bool:
    """JAX's weak type of an elementwise result: weak only if every argument is."""
    return all(a.weak_type for a in avals)


def broadcast_avals(avals: Sequence[ShapedArray]) -> tuple[int, ...]:
    """The broadcast shape of ``avals`` (NumPy's rules; ValueError where they do not
    broadcast, as the evaluation would raise)."""
    return tuple(np.broadcast_shapes(*(a.shape for a in avals)))


def keep(x: ShapedArray, shape: tuple[int, ...], dtype: Any = None) -> ShapedArray:
    """A result of ``shape`` with ``x``'s dtype (or ``dtype``) and ``x``'s weak type: the
    rule of the operations that move or select values (reshape, gather, reductions)."""
    return ShapedArray(shape, x.dtype if dtype is None else dtype, x.weak_type)


def matrix_result(factors: Callable[[int, int], tuple[int, ...]],
                  dtype: Callable[[np.dtype[Any]], np.dtype[Any]] = linalg_dtype
                  ) -> Callable[..., ShapedArray]:
    """The rule of a primitive on a stack of ``m x n`` matrices ``(..., m, n)`` whose result
    keeps the stack's leading axes and has ``factors(m, n)`` axes after them (a
    decomposition packs its factors into one such array), of ``dtype(a.dtype)``.

    Example:
        >>> rule = matrix_result(lambda m, n: (n, m))  # a pseudo-inverse
        >>> rule(ShapedArray((5, 3, 2), np.float32))
        ShapedArray(float32[5,2,3])
    """
    def rule(a: ShapedArray, **params: Any) -> ShapedArray:
        m, n = a.shape[-2:]
        return ShapedArray(a.shape[:-2] + factors(m, n), dtype(a.dtype))

    return rule
