"""``gpugrad.lax``'s slices: static (``slice``, ``slice_in_dim``, ``index_in_dim``) and
dynamic (``dynamic_slice``, ``dynamic_update_slice`` and their one-axis forms).

A dynamic start index may be a traced value (an integer computed in the function, one
start per example under ``vmap``). It is never read: the slice is a gather whose index
arrays are ``start + arange(size)`` per axis, and the update a scatter of the update into
zeros with the same index, chosen by a mask, so the start stays an operand of the
primitives (``gpugrad/primitives/indexing.py``). As in JAX, a negative start counts from
the end, and a start is then clamped so that the slice fits in the array: a slice never
reads or writes out of bounds, whatever the index. Starts that are plain Python or NumPy
integers take the cheaper route of ordinary slices.

Example:
    >>> lax.dynamic_slice(np.arange(10), (8,), (4,))  # the start is clamped to 6
    array([6, 7, 8, 9])
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.core.concrete import array_namespace
from gpugrad.lax.operands import same_dtype, static_ints
from gpugrad.numpy.operands import to_array
from gpugrad.primitives.indexing import gather, scatter_add

__all__ = [
    "dynamic_index_in_dim", "dynamic_slice", "dynamic_slice_in_dim", "dynamic_update_index_in_dim",
    "dynamic_update_slice", "dynamic_update_slice_in_dim", "index_in_dim", "slice",
    "slice_in_dim",
]

_slice = slice  # the builtin, which this module's ``slice`` shadows


def slice(operand: Any, start_indices: Any, limit_indices: Any, strides: Any = None) -> Any:
    """``operand[start:limit:stride]`` along every axis, with nonnegative static bounds.

    Example:
        >>> lax.slice(np.arange(10), (1,), (8,), (3,))
        array([1, 4, 7])
    """
    x = to_array(operand)
    starts = static_ints("slice", "start_indices", start_indices)
    limits = static_ints("slice", "limit_indices", limit_indices)
    steps = (1,) * x.ndim if strides is None else static_ints("slice", "strides", strides)
    shape = tuple(x.shape)
    if not len(starts) == len(limits) == len(steps) == x.ndim:
        raise TypeError(f"lax.slice: start_indices {starts}, limit_indices {limits} and "
                        f"strides {steps} must each have one entry per axis of the operand "
                        f"of shape {shape}")
    problems = [
        (any(s < 0 for s in starts), f"start_indices {starts} must be nonnegative"),
        (any(lim > n for lim, n in zip(limits, shape)),
         f"limit_indices {limits} must be at most the operand shape {shape}"),
        (any(lim < s for s, lim in zip(starts, limits)),
         f"limit_indices {limits} must be at least the start_indices {starts}"),
        (any(st < 1 for st in steps), f"strides {steps} must be positive"),
    ]
    for bad, message in problems:
        if bad:
            raise TypeError(f"lax.slice: {message}")
    return x[tuple(_slice(*b) for b in zip(starts, limits, steps))]


def _axis(x: Any, axis: int) -> int:
    axis = operator.index(axis)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for an operand of shape "
                         f"{tuple(x.shape)}")
    return axis % x.ndim


def slice_in_dim(operand: Any, start_index: int | None, limit_index: int | None,
                 stride: int = 1, axis: int = 0) -> Any:
    """``slice`` along one axis; ``None`` means the axis's start or end and negative bounds
    count from the end.

    Example:
        >>> lax.slice_in_dim(np.arange(10), -3, None)
        array([7, 8, 9])
    """
    x = to_array(operand)
    axis = _axis(x, axis)
    n = x.shape[axis]
    start = 0 if start_index is None else operator.index(start_index)
    limit = n if limit_index is None else operator.index(limit_index)
    start, limit = (start + n if start < 0 else start), (limit + n if limit < 0 else limit)
    starts, limits, strides = [0] * x.ndim, list(x.shape), [1] * x.ndim
    starts[axis], limits[axis], strides[axis] = start, limit, stride
    return slice(x, starts, limits, strides)


def index_in_dim(operand: Any, index: int, axis: int = 0, keepdims: bool = True) -> Any:
    """Element ``index`` (static; negative counts from the end) along ``axis``, the axis
    kept with length 1 unless ``keepdims`` is False.

    Example:
        >>> lax.index_in_dim(np.arange(6).reshape(2, 3), -1, axis=1, keepdims=False)
        array([2, 5])
    """
    x = to_array(operand)
    axis = _axis(x, axis)
    n = x.shape[axis]
    i = operator.index(index)
    if not -n <= i < n:
        raise IndexError(f"lax.index_in_dim: index {i} is out of bounds for axis {axis} "
                         f"with size {n}")
    i %= n
    out = slice_in_dim(x, i, i + 1, axis=axis)
    return out if keepdims else gnp.squeeze(out, axis=axis)


def _static_int(s: Any) -> int | None:
    """A start known without reading a device or a tracer: a Python or NumPy integer."""
    if isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)):
        return int(s)
    if type(s) is np.ndarray and s.ndim == 0 and s.dtype.kind in "iu":
        return int(s)
    return None


def _window(name: str, x: Any, start_indices: Any, sizes: tuple[int, ...]) -> tuple[Any, ...]:
    """The index of the window of ``sizes`` at the (wrapped, clamped) starts: slices where
    every start is static, else one ``start + arange(size)`` array per axis, shaped to
    broadcast as an open mesh (``numpy.ix_``)."""
    starts = list(start_indices)
    shape = tuple(x.shape)
    if len(starts) != x.ndim:
        raise ValueError(f"lax.{name}: {len(starts)} start indices were given for an operand "
                         f"of shape {shape}; give one per axis")
    if any(s > n for s, n in zip(sizes, shape)):
        raise TypeError(f"lax.{name}: the slice sizes {sizes} must be at most the operand "
                        f"shape {shape}")
    static = [_static_int(s) for s in starts]
    bounds = _clamped(static, shape, sizes)
    if all(b is not None for b in bounds):
        return tuple(_slice(b, None if b is None else b + k) for b, k in zip(bounds, sizes))
    index = []
    xp = array_namespace(x)  # the window's offsets live where x does
    for axis, (s, b, n, k) in enumerate(zip(starts, bounds, shape, sizes)):
        if b is not None:  # known: a constant run of indices
            offsets = xp.arange(b, b + k)
        else:
            s = to_array(s)
            if s.ndim or s.dtype.kind not in "iu":
                raise TypeError(f"lax.{name}: start indices must be integer scalars, got "
                                f"{s.dtype} of shape {tuple(s.shape)}")
            s = gnp.clip(gnp.where(s < 0, s + n, s), 0, n - k)  # computed, never read
            offsets = s + xp.arange(k, dtype=s.dtype)
        mesh = [1] * x.ndim
        mesh[axis] = k
        index.append(gnp.reshape(offsets, mesh))
    return tuple(index)


def _clamped(starts: list[int | None], shape: tuple[int, ...], sizes: tuple[int, ...]
             ) -> list[int | None]:
    """The known starts wrapped (a negative one counts from the end) and clamped so that
    the window fits; None where a start is not known."""
    return [None if s is None else min(max(s + n if s < 0 else s, 0), n - k)
            for s, n, k in zip(starts, shape, sizes)]


def dynamic_slice(operand: Any, start_indices: Any, slice_sizes: Any) -> Any:
    """The window of ``slice_sizes`` at ``start_indices`` (traced or not), clamped into
    the operand.

    Example:
        >>> lax.dynamic_slice(np.arange(12).reshape(3, 4), (1, -1), (2, 2))
        array([[ 6,  7],
               [10, 11]])
    """
    x = to_array(operand)
    sizes = static_ints("dynamic_slice", "slice_sizes", slice_sizes)
    if len(sizes) != x.ndim:
        raise TypeError(f"lax.dynamic_slice: slice_sizes {sizes} must have one entry per axis "
                        f"of the operand of shape {tuple(x.shape)}")
    if any(k < 0 for k in sizes):
        raise TypeError(f"lax.dynamic_slice: slice_sizes {sizes} must be nonnegative")
    index = _window("dynamic_slice", x, start_indices, sizes)
    return gather(x, index)


def dynamic_update_slice(operand: Any, update: Any, start_indices: Any) -> Any:
    """``operand`` with ``update`` (same dtype and rank) written at ``start_indices``
    (traced or not), clamped so that all of ``update`` fits.

    Example:
        >>> lax.dynamic_update_slice(np.zeros(5), np.ones(2), (4,))
        array([0., 0., 0., 1., 1.])
    """
    x, y = same_dtype("dynamic_update_slice", operand, update)
    if y.ndim != x.ndim:
        raise TypeError(f"lax.dynamic_update_slice: the update must have the operand's rank, "
                        f"got update shape {tuple(y.shape)} for operand shape "
                        f"{tuple(x.shape)}")
    index = _window("dynamic_update_slice", x, start_indices, tuple(y.shape))
    # The window's elements are distinct, so adding into zeros places the update exactly;
    # the mask then keeps the operand elsewhere, and each side keeps its own derivative.
    placed = scatter_add(gnp.zeros_like(x), index, y)
    hit = scatter_add(gnp.zeros_like(x, dtype=np.int8), index, gnp.ones_like(y, dtype=np.int8))
    return gnp.where(hit > 0, placed, x)


def dynamic_slice_in_dim(operand: Any, start_index: Any, slice_size: int, axis: int = 0
                         ) -> Any:
    """``dynamic_slice`` along one axis (the others whole).

    Example:
        >>> lax.dynamic_slice_in_dim(np.arange(10), 7, 5)
        array([5, 6, 7, 8, 9])
    """
    x = to_array(operand)
    axis = _axis(x, axis)
    starts: list[Any] = [0] * x.ndim
    sizes = list(x.shape)
    starts[axis], sizes[axis] = start_index, slice_size
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(operand: Any, index: Any, axis: int = 0, keepdims: bool = True
                         ) -> Any:
    """Element ``index`` (traced or not; clamped) along ``axis``.

    Example:
        >>> lax.dynamic_index_in_dim(np.arange(6).reshape(2, 3), 1, axis=1, keepdims=False)
        array([1, 4])
    """
    x = to_array(operand)
    axis = _axis(x, axis)
    out = dynamic_slice_in_dim(x, index, 1, axis)
    return out if keepdims else gnp.squeeze(out, axis=axis)


def dynamic_update_slice_in_dim(operand: Any, update: Any, start_index: Any, axis: int
                                ) -> Any:
    """``dynamic_update_slice`` along one axis.

    Example:
        >>> lax.dynamic_update_slice_in_dim(np.zeros((2, 3)), np.ones((2, 1)), 1, axis=1)
        array([[0., 1., 0.],
               [0., 1., 0.]])
    """
    x = to_array(operand)
    axis = _axis(x, axis)
    starts: list[Any] = [0] * x.ndim
    starts[axis] = start_index
    return dynamic_update_slice(x, update, starts)


def dynamic_update_index_in_dim(operand: Any, update: Any, index: Any, axis: int) -> Any:
    """``operand`` with ``update`` written at element ``index`` of ``axis``; ``update`` may
    lack that axis.

    Example:
        >>> lax.dynamic_update_index_in_dim(np.zeros((3, 2)), np.ones(2), -1, axis=0)
        array([[0., 0.],
               [0., 0.],
               [1., 1.]])
    """
    x, y = to_array(operand), to_array(update)
    axis = _axis(x, axis)
    if y.ndim == x.ndim - 1:
        y = gnp.expand_dims(y, axis)
    return dynamic_update_slice_in_dim(x, y, index, axis)
