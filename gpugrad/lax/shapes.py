"""``gpugrad.lax``'s shape operations and array creation, with lax's explicit arguments.

Every shape, axis and padding width is a static Python int (it sets the result's shape);
the arrays and the fill or padding values are operands, differentiable and batched like any
other. ``pad`` takes XLA's configuration: per axis ``(low, high, interior)``, where
``interior`` puts that many padding elements between neighbours and a negative ``low`` or
``high`` cuts elements off that end.

Example:
    >>> lax.pad(np.array([1.0, 2.0, 3.0]), 0.0, [(-1, 2, 1)])
    array([0., 2., 0., 3., 0., 0.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.core.concrete import array_namespace
from gpugrad.lax.operands import same_dtype, static_ints
from gpugrad.lax.slicing import slice_in_dim
from gpugrad.numpy.operands import to_array

__all__ = [
    "broadcast", "broadcast_in_dim", "broadcasted_iota", "concatenate", "expand_dims", "full",
    "full_like", "iota", "pad", "reshape", "rev", "squeeze", "transpose",
]


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (differentiable), of ``dtype`` or
    ``fill_value``'s.

    Example:
        >>> lax.full((2,), 1.5)
        array([1.5, 1.5], dtype=float32)
    """
    shape = static_ints("full", "shape", (shape,) if isinstance(shape, int) else shape)
    return gnp.full(shape, fill_value, dtype=dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    """An array like ``x`` (its dtype and shape, unless given) filled with ``fill_value``.

    Example:
        >>> lax.full_like(np.ones(2, np.int32), 7)
        array([7, 7], dtype=int32)
    """
    x = to_array(x)
    dtype = x.dtype if dtype is None else np.dtype(dtype)
    if shape is None:
        return gnp.full_like(x, fill_value, dtype)
    shape = static_ints("full_like", "shape", (shape,) if isinstance(shape, int) else shape)
    return gnp.full_like(array_namespace(x).empty(shape, dtype), fill_value)


def iota(dtype: Any, size: int) -> Any:
    """``0, 1, ..., size - 1`` as ``dtype``.

    Example:
        >>> lax.iota(np.int32, 4)
        array([0, 1, 2, 3], dtype=int32)
    """
    return gnp.arange(static_ints("iota", "size", (size,))[0], dtype=np.dtype(dtype))


def broadcasted_iota(dtype: Any, shape: Any, dimension: int) -> Any:
    """An array of ``shape`` counting along ``dimension``.

    Example:
        >>> lax.broadcasted_iota(np.int32, (2, 3), 1)
        array([[0, 1, 2],
               [0, 1, 2]], dtype=int32)
    """
    shape = static_ints("broadcasted_iota", "shape", shape)
    dimension = int(dimension) % len(shape)
    column = [1] * len(shape)
    column[dimension] = shape[dimension]
    return gnp.broadcast_to(gnp.reshape(iota(dtype, shape[dimension]), column), shape)


def broadcast(operand: Any, sizes: Any) -> Any:
    """``operand`` repeated over new leading axes of ``sizes``.

    Example:
        >>> lax.broadcast(np.array([1, 2]), (2,))
        array([[1, 2],
               [1, 2]])
    """
    x = to_array(operand)
    return gnp.broadcast_to(x, static_ints("broadcast", "sizes", sizes) + tuple(x.shape))


def broadcast_in_dim(operand: Any, shape: Any, broadcast_dimensions: Any) -> Any:
    """``operand`` broadcast to ``shape``, its axis ``i`` becoming the result's axis
    ``broadcast_dimensions[i]`` (of the same length, or of length 1).

    Example:
        >>> lax.broadcast_in_dim(np.array([1, 2]), (2, 3), (0,))
        array([[1, 1, 1],
               [2, 2, 2]])
    """
    x = to_array(operand)
    shape = static_ints("broadcast_in_dim", "shape", shape)
    dims = static_ints("broadcast_in_dim", "broadcast_dimensions", broadcast_dimensions)
    ok = (len(dims) == x.ndim and all(0 <= d < len(shape) for d in dims)
          and all(a < b for a, b in zip(dims, dims[1:]))
          and all(n in (1, shape[d]) for n, d in zip(x.shape, dims)))
    if not ok:
        raise TypeError(
            "lax.broadcast_in_dim: broadcast_dimensions must list, in increasing order, one "
            "axis of the target shape per operand axis, each operand axis of length 1 or of "
            f"that axis's length; got operand shape {tuple(x.shape)}, target shape {shape}, "
            f"broadcast_dimensions {dims}")
    placed = [1] * len(shape)
    for n, d in zip(x.shape, dims):
        placed[d] = n
    return gnp.broadcast_to(gnp.reshape(x, placed), shape)


def reshape(operand: Any, new_sizes: Any, dimensions: Any = None) -> Any:
    """``operand`` read in the order of ``dimensions`` (all axes, a permutation; the axes
    in order by default) and laid out as ``new_sizes``.

    Example:
        >>> lax.reshape(np.arange(6).reshape(2, 3), (3, 2), dimensions=(1, 0))
        array([[0, 3],
               [1, 4],
               [2, 5]])
    """
    x = to_array(operand)
    if dimensions is not None:
        x = transpose(x, dimensions)
    sizes = static_ints("reshape", "new_sizes", new_sizes)
    if int(np.prod(sizes)) != x.size:
        raise TypeError(f"lax.reshape: new_sizes {sizes} have {int(np.prod(sizes))} elements, "
                        f"the operand of shape {tuple(x.shape)} has {x.size}")
    return gnp.reshape(x, sizes)


def squeeze(array: Any, dimensions: Any) -> Any:
    """``array`` without the axes ``dimensions``, each of length 1.

    Example:
        >>> lax.squeeze(np.ones((1, 2, 1)), (0, 2))
        array([1., 1.])
    """
    x = to_array(array)
    dims = tuple(d % max(x.ndim, 1)
                 for d in static_ints("squeeze", "dimensions", dimensions))
    if any(x.shape[d] != 1 for d in dims):
        raise ValueError(f"lax.squeeze: the axes to remove must have length 1, got shape "
                         f"{tuple(x.shape)} and dimensions {dims}")
    return gnp.squeeze(x, axis=dims) if dims else x


def expand_dims(array: Any, dimensions: Any) -> Any:
    """``array`` with new axes of length 1 at ``dimensions`` (positions in the result).

    Example:
        >>> lax.expand_dims(np.ones(2), (0, 2)).shape
        (1, 2, 1)
    """
    dims = static_ints("expand_dims", "dimensions", dimensions)
    return gnp.expand_dims(to_array(array), dims)


def transpose(operand: Any, permutation: Any) -> Any:
    """``operand`` with its axes in the order ``permutation``.

    Example:
        >>> lax.transpose(np.ones((2, 3, 4)), (2, 0, 1)).shape
        (4, 2, 3)
    """
    x = to_array(operand)
    perm = static_ints("transpose", "permutation", permutation)
    if sorted(p % max(x.ndim, 1) for p in perm) != list(range(x.ndim)):
        raise ValueError(f"lax.transpose: permutation {perm} is not a permutation of the "
                         f"{x.ndim} axes of the operand")
    return gnp.transpose(x, perm)


def rev(operand: Any, dimensions: Any) -> Any:
    """``operand`` reversed along each axis in ``dimensions``.

    Example:
        >>> lax.rev(np.array([[1, 2, 3], [4, 5, 6]]), (1,))
        array([[3, 2, 1],
               [6, 5, 4]])
    """
    x = to_array(operand)
    dims = static_ints("rev", "dimensions", dimensions)
    return gnp.flip(x, axis=dims) if dims else x


def concatenate(operands: Any, dimension: int) -> Any:
    """The ``operands`` (one dtype, equal shapes except along ``dimension``) joined along
    ``dimension``.

    Example:
        >>> lax.concatenate([np.array([1.0, 2.0]), np.array([3.0])], 0)
        array([1., 2., 3.])
    """
    if not operands:
        raise ValueError("lax.concatenate needs at least one operand")
    arrays = same_dtype("concatenate", *operands, tip="gpugrad.numpy.concatenate")
    if len({a.ndim for a in arrays}) > 1:
        raise TypeError(f"lax.concatenate: the operands must have one number of dimensions, "
                        f"got shapes {', '.join(str(tuple(a.shape)) for a in arrays)}")
    return gnp.concatenate(arrays, axis=int(dimension))


def _interior(x: Any, axis: int, gap: int, value: Any) -> Any:
    """``x`` with ``gap`` copies of ``value`` between neighbours along ``axis``: each element
    is followed by ``gap`` fillers (one stack, one reshape), and the trailing ones dropped."""
    n = x.shape[axis]
    filler = gnp.broadcast_to(value, x.shape)
    spread = gnp.stack([x] + [filler] * gap, axis=axis + 1)
    shape = list(x.shape)
    shape[axis] = n * (gap + 1)
    return _cut(gnp.reshape(spread, shape), axis, 0, gap)


def _cut(x: Any, axis: int, low: int, high: int) -> Any:
    """``x`` without its first ``low`` and last ``high`` elements along ``axis``."""
    return slice_in_dim(x, low, x.shape[axis] - high, axis=axis)


def _extend(x: Any, axis: int, low: int, high: int, value: Any) -> Any:
    """``x`` with ``low`` and ``high`` copies of ``value`` at the ends of ``axis``."""
    if not (low or high):
        return x

    def block(width: int) -> Any:
        shape = list(x.shape)
        shape[axis] = width
        return gnp.broadcast_to(value, shape)

    return gnp.concatenate([block(low), x, block(high)], axis=axis)


def pad(operand: Any, padding_value: Any, padding_config: Any) -> Any:
    """``operand`` padded with ``padding_value`` (a scalar of its dtype, differentiable):
    per axis ``(low, high, interior)`` elements before, after and between neighbours; a
    negative ``low`` or ``high`` removes elements.

    Example:
        >>> lax.pad(np.array([1, 2]), 0, [(1, 2, 1)])
        array([0, 1, 0, 2, 0, 0])
    """
    x, value = same_dtype("pad", operand, padding_value)
    if value.ndim:
        raise TypeError(f"lax.pad: padding_value must be a scalar, got shape "
                        f"{tuple(value.shape)}")
    config = [static_ints("pad", "padding_config", c) for c in padding_config]
    if len(config) != x.ndim or any(len(c) != 3 for c in config):
        raise ValueError(f"lax.pad: padding_config needs one (low, high, interior) per axis "
                         f"of the operand of shape {tuple(x.shape)}, got {config}")
    for axis, (low, high, gap) in enumerate(config):
        n = x.shape[axis]
        if gap < 0:
            raise ValueError(f"lax.pad: interior padding must be nonnegative, got {config}")
        size = low + high + n + max(n - 1, 0) * gap
        if size < 0:
            raise ValueError(f"lax.pad: axis {axis} would have length {size} after padding "
                             f"{(low, high, gap)} of an axis of length {n}")
    for axis, (low, high, gap) in enumerate(config):
        if gap and x.shape[axis] > 1:
            x = _interior(x, axis, gap, value)
        # Extend before cutting: a cut may reach into the other end's padding.
        x = _extend(x, axis, max(low, 0), max(high, 0), value)
        x = _cut(x, axis, max(-low, 0), max(-high, 0))
    return x
