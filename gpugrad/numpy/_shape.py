"""Shape manipulation and indexing, composed from the structural and indexing primitives."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.dtypes import result_type
from gpugrad.numpy.operands import check_same_shapes, normalize_axes, to_array
from gpugrad.primitives import along_axis, broadcasting
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather, normalize_index
from gpugrad.primitives.reductions import cumprod_last

__all__ = [
    "astype", "broadcast_arrays", "broadcast_to", "concatenate",
    "cumprod", "cumsum",
    "expand_dims", "flip", "getitem", "moveaxis", "ravel", "reshape", "split", "squeeze",
    "stack", "swapaxes", "transpose",
]


def reshape(x: Any, shape: Any, order: str = "C") -> Any:
    """Reshape ``x``; one dimension may be -1.

    Example:
        >>> gnp.reshape(gnp.arange(4), (2, -1)).shape
        (2, 2)
    """
    x = to_array(x)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) or np.ndim(shape) == 0 else (
        tuple(int(d) for d in shape))
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension (-1) in reshape")
    if -1 in shape:
        known = math.prod([d for d in shape if d != -1])
        if known == 0 or x.size % known:
            raise ValueError(f"cannot reshape array of size {x.size} into shape {shape}")
        shape = tuple(x.size // known if d == -1 else d for d in shape)
    if math.prod(shape) != x.size:
        raise ValueError(f"cannot reshape array of size {x.size} into shape {shape}")
    if order == "F":
        return transpose(S.reshape(transpose(x), shape[::-1]))
    if order != "C":
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    return S.reshape(x, shape)


def ravel(x: Any) -> Any:
    """Flatten to one dimension (row-major).

    Example:
        >>> gnp.ravel(gnp.ones((2, 2))).shape
        (4,)
    """
    x = to_array(x)
    return S.reshape(x, (x.size,))


def transpose(x: Any, axes: Any = None) -> Any:
    """Permute the axes (reverse them by default).

    Example:
        >>> gnp.transpose(gnp.ones((2, 3))).shape
        (3, 2)
    """
    x = to_array(x)
    perm = tuple(range(x.ndim))[::-1] if axes is None else tuple(int(a) % x.ndim for a in axes)
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"axes {axes} are not a permutation of the {x.ndim} axes")
    return S.transpose(x, perm)


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes.

    Example:
        >>> gnp.swapaxes(gnp.ones((2, 3)), 0, 1).shape
        (3, 2)
    """
    x = to_array(x)
    perm = list(range(x.ndim))
    a, b = axis1 % x.ndim, axis2 % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return S.transpose(x, tuple(perm))


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """Move axes to new positions, keeping the others in order.

    Example:
        >>> gnp.moveaxis(gnp.ones((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    x = to_array(x)
    src = [int(s) % x.ndim for s in np.atleast_1d(source)]
    dst = [int(d) % x.ndim for d in np.atleast_1d(destination)]
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(x, tuple(order))


def expand_dims(x: Any, axis: Any) -> Any:
    """Insert axes of length one at ``axis``.

    Example:
        >>> gnp.expand_dims(gnp.ones(3), 0).shape
        (1, 3)
    """
    x = to_array(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = x.ndim + len(axes)
    positions = sorted(int(a) % ndim for a in axes)
    shape = list(x.shape)
    for p in positions:
        shape.insert(p, 1)
    return S.reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Any:
    """Remove axes of length one.

    Example:
        >>> gnp.squeeze(gnp.ones((1, 3, 1))).shape
        (3,)
    """
    x = to_array(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = normalize_axes(x, axis)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"cannot squeeze axis {a}: it has length {x.shape[a]}, not 1")
    return S.reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def broadcast_to(x: Any, shape: Any) -> Any:
    """Broadcast ``x`` to ``shape`` (NumPy's rules).

    Example:
        >>> gnp.broadcast_to(gnp.ones(3), (2, 3)).shape
        (2, 3)
    """
    x = to_array(x)
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    np.broadcast_shapes(x.shape, shape)  # raises NumPy's clear error when incompatible
    return broadcasting.broadcast_to(x, shape)


def broadcast_arrays(*xs: Any) -> list[Any]:
    """Broadcast arrays against each other.

    Example:
        >>> [a.shape for a in gnp.broadcast_arrays(gnp.ones(3), gnp.ones((2, 1)))]
        [(2, 3), (2, 3)]
    """
    arrays = [to_array(x) for x in xs]
    shape = np.broadcast_shapes(*[a.shape for a in arrays])
    return [broadcasting.broadcast_to(a, shape) for a in arrays]


def astype(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` (derivative only between floating dtypes).

    Example:
        >>> gnp.astype(gnp.array([1.5]), "int32")
        array([1], dtype=int32)
    """
    return S.convert(to_array(x), dtype)


def concatenate(arrays: Any, axis: int | None = 0) -> Any:
    """Join arrays along an existing axis (``axis=None`` flattens them first).

    Example:
        >>> gnp.concatenate([gnp.ones(2), gnp.zeros(1)])
        array([1., 1., 0.], dtype=float32)
    """
    xs = [to_array(x) for x in arrays]
    if not xs:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    dtype = result_type(*xs)
    xs = [S.convert(x, dtype) for x in xs]
    axis = int(axis) % max(xs[0].ndim, 1)
    return along_axis.concatenate(xs, axis)


def stack(arrays: Any, axis: int = 0) -> Any:
    """Join arrays along a new axis.

    Example:
        >>> gnp.stack([gnp.ones(2), gnp.zeros(2)]).shape
        (2, 2)
    """
    xs = [to_array(x) for x in arrays]
    if not xs:
        raise ValueError("need at least one array to stack")
    check_same_shapes(xs)
    if all(type(x) is np.ndarray and x.dtype == xs[0].dtype for x in xs):
        return np.stack(xs, axis=axis)  # constants: what the traced route computes, at once
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into pieces along ``axis`` (equal sections, or at the given indices).

    Example:
        >>> [p.shape for p in gnp.split(gnp.ones(4), 2)]
        [(2,), (2,)]
    """
    x = to_array(x)
    axis = int(axis) % x.ndim
    n = x.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"array split does not result in an equal division: {n} "
                             f"elements into {sections} sections")
        bounds = [i * (n // sections) for i in range(sections + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    pre = (slice(None),) * axis
    return [gather(x, pre + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:])]


def flip(x: Any, axis: Any = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes by default).

    Example:
        >>> gnp.flip(gnp.arange(3))
        array([2, 1, 0], dtype=int32)
    """
    x = to_array(x)
    axes = normalize_axes(x, axis)
    return gather(x, tuple(slice(None, None, -1) if i in axes else slice(None)
                           for i in range(x.ndim)))


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with NumPy's basic, advanced and boolean-mask indexing.

    Example:
        >>> gnp.getitem(gnp.arange(5), slice(1, 3))
        array([1, 2], dtype=int32)
    """
    x = to_array(x)
    return gather(x, normalize_index(index, x.ndim))


def _running(x: Any, axis: int | None, along: Callable[[Any, int], Any]) -> Any:
    """``along(x, axis)``, a running sum or product of ``x`` (flattened when ``axis`` is
    None, bools counted as integers), in the input's dtype."""
    x = to_array(x)
    if axis is None:
        x, axis = ravel(x), 0
    if x.dtype.kind == "b":
        x = S.convert(x, result_type(x, 1))
    out = along(x, axis)
    # NumPy's running sums widen small integers to int64; JAX keeps the input's dtype.
    return out if out.dtype == x.dtype else S.convert(out, x.dtype)


def cumsum(x: Any, axis: int | None = None) -> Any:
    """Cumulative sum along ``axis`` (of the flattened array when ``axis`` is None).

    Example:
        >>> gnp.cumsum(gnp.array([1.0, 2.0, 3.0]))
        array([1., 3., 6.], dtype=float32)
    """
    return _running(x, axis, lambda x, axis: along_axis.cumsum(x, int(axis) % x.ndim))


def cumprod(x: Any, axis: int | None = None) -> Any:
    """Cumulative product along ``axis``; exact derivatives with zeros (a scan of products).

    Example:
        >>> gnp.cumprod(gnp.array([1.0, 2.0, 3.0]))
        array([1., 2., 6.], dtype=float32)
    """
    return _running(x, axis,
                    lambda x, axis: moveaxis(cumprod_last(moveaxis(x, axis, -1)), -1, axis))
