"""Shape and arrangement: ``roll``, ``rot90``, ``tile``, ``repeat``, ``pad``, the ``*stack``
and ``*split`` families, ``atleast_*d``, ``meshgrid``, composed from reshapes, broadcasts,
slices, gathers and concatenations (so each is differentiable through their rules).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Tracer, raw_value
from gpugrad.numpy._reductions import _array, max, mean, min
from gpugrad.numpy._shape import (
    broadcast_arrays,
    broadcast_to,
    concatenate,
    flip,
    ravel,
    reshape,
    split,
    transpose,
)
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather

__all__ = [
    "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "copy",
    "dsplit", "dstack", "fliplr", "flipud", "hsplit", "hstack", "meshgrid", "pad", "repeat",
    "roll", "rollaxis", "rot90", "tile", "vsplit", "vstack",
]


def _slice(x: Any, axis: int, start: int | None, stop: int | None) -> Any:
    return gather(x, (slice(None),) * axis + (slice(start, stop),))


def _take(x: Any, axis: int, idx: Any) -> Any:
    return gather(x, (slice(None),) * axis + (np.asarray(idx, dtype=np.intp),), True)


def fliplr(m: Any) -> Any:
    """Reverse the columns (axis 1).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fliplr(gnp.array([[1.0, 2.0]]))
        array([[2., 1.]], dtype=float32)
    """
    m = _array(m)
    if m.ndim < 2:
        raise ValueError("fliplr needs an array of at least 2 dimensions")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    """Reverse the rows (axis 0).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.flipud(gnp.array([1.0, 2.0]))
        array([2., 1.], dtype=float32)
    """
    m = _array(m)
    if m.ndim < 1:
        raise ValueError("flipud needs an array of at least 1 dimension")
    return flip(m, 0)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Rotate elements along ``axis`` by ``shift`` (of the flattened array by default).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.roll(gnp.array([1.0, 2.0, 3.0]), 1)
        array([3., 1., 2.], dtype=float32)
    """
    a = _array(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts: dict[int, int] = {}
    for s, ax in np.broadcast(shift, axis):
        ax = int(ax) % a.ndim
        shifts[ax] = shifts.get(ax, 0) + int(s)
    for ax, s in shifts.items():
        n = a.shape[ax]
        s = s % n if n else 0
        if s:
            a = concatenate([_slice(a, ax, n - s, None), _slice(a, ax, None, n - s)], ax)
    return a


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Roll ``axis`` backwards until it lies before position ``start`` (NumPy's rules).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.rollaxis(gnp.ones((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    a = _array(a)
    n = a.ndim
    axis = int(axis) % n
    start = int(start) + n if start < 0 else int(start)
    if not 0 <= start <= n:
        raise ValueError(f"rollaxis: start {start} is out of range for {n} dimensions")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return transpose(a, axes)


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.rot90(gnp.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[2., 4.],
               [1., 3.]], dtype=float32)
    """
    m = _array(m)
    a0, a1 = (int(ax) % m.ndim for ax in axes)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, a1), perm)
    return flip(transpose(m, perm), a1)


def tile(A: Any, reps: Any) -> Any:
    """Repeat the whole array ``reps`` times along each axis (a broadcast and a reshape).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.tile(gnp.array([1.0, 2.0]), 2)
        array([1., 2., 1., 2.], dtype=float32)
    """
    A = _array(A)
    reps_t = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    d = builtins_max(len(reps_t), A.ndim)
    shape = (1,) * (d - A.ndim) + A.shape
    reps_t = (1,) * (d - len(reps_t)) + reps_t
    spread = [v for s in shape for v in (1, s)]
    target = [v for r, s in zip(reps_t, shape) for v in (r, s)]
    out = broadcast_to(reshape(A, spread), target)
    return reshape(out, tuple(r * s for r, s in zip(reps_t, shape)))


def builtins_max(a: int, b: int) -> int:
    return a if a > b else b


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """Repeat each element ``repeats`` times along ``axis`` (flattened by default).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.repeat(gnp.array([1.0, 2.0]), 2)
        array([1., 1., 2., 2.], dtype=float32)
    """
    a = _array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = int(axis) % a.ndim
    reps = raw_value(repeats)
    if np.ndim(reps) == 0 or np.size(reps) == 1:
        r = int(np.asarray(reps).reshape(()))
        expanded = reshape(a, a.shape[: axis + 1] + (1,) + a.shape[axis + 1 :])
        target = a.shape[: axis + 1] + (r,) + a.shape[axis + 1 :]
        out_shape = a.shape[:axis] + (a.shape[axis] * r,) + a.shape[axis + 1 :]
        return reshape(broadcast_to(expanded, target), out_shape)
    reps = np.asarray(reps.get() if hasattr(reps, "get") else reps)
    return _take(a, axis, np.repeat(np.arange(a.shape[axis]), reps))


_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")
_STAT_MODES = {"maximum": max, "minimum": min, "mean": mean}


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """Pad ``array``: modes ``constant`` (``constant_values``), ``edge``, ``reflect``,
    ``symmetric``, ``wrap``, ``maximum``, ``minimum``, ``mean``, ``median``, ``empty``.

    The index modes are gathers whose indices come from ``numpy.pad`` of an ``arange``, so
    they agree with NumPy by construction. Axes are padded in order, as in NumPy.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.pad(gnp.array([1.0, 2.0]), (1, 2), mode="edge")
        array([1., 1., 2., 2., 2.], dtype=float32)
    """
    x = _array(array)
    widths = np.broadcast_to(np.asarray(raw_value(pad_width), dtype=np.int64), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError("pad: pad widths must be non-negative")
    if mode == "empty":
        mode = "constant"
    if mode == "constant":
        values = kwargs.pop("constant_values", 0)
    elif mode == "median":
        from gpugrad.numpy._extra_stats import median

        stat = median
    elif mode in _STAT_MODES:
        stat = _STAT_MODES[mode]
    elif mode not in _INDEX_MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not supported")
    unsupported = set(kwargs) - {"reflect_type"} if mode in ("reflect", "symmetric") else (
        set(kwargs))
    if unsupported or kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError(f"pad: options {sorted(kwargs)} are not supported")
    for ax in range(x.ndim):
        before, after = (int(w) for w in widths[ax])
        if before == 0 and after == 0:
            continue
        if mode == "constant":
            pair = _constant_pair(values, x.ndim, ax)
            shape_b = x.shape[:ax] + (before,) + x.shape[ax + 1 :]
            shape_a = x.shape[:ax] + (after,) + x.shape[ax + 1 :]
            x = concatenate([_block(pair[0], shape_b, x), x, _block(pair[1], shape_a, x)], ax)
        elif mode in _INDEX_MODES:
            idx = np.pad(np.arange(x.shape[ax]), (before, after), mode=mode)
            x = _take(x, ax, idx)
        else:
            s = stat(x, axis=ax, keepdims=True)
            blocks = [broadcast_to(s, x.shape[:ax] + (w,) + x.shape[ax + 1 :])
                      for w in (before, after)]
            x = concatenate([blocks[0], x, blocks[1]], ax)
    return x


def _constant_pair(values: Any, ndim: int, ax: int) -> tuple[Any, Any]:
    if isinstance(values, Tracer) or (hasattr(values, "shape") and values.ndim == 0):
        return values, values
    v = np.asarray(values, dtype=object)
    if v.ndim == 0:
        return values, values
    pairs = np.broadcast_to(v, (ndim, 2))
    return pairs[ax, 0], pairs[ax, 1]


def _block(value: Any, shape: tuple[int, ...], like: Any) -> Any:
    if isinstance(value, Tracer):
        return broadcast_to(S.convert(value, like.dtype), shape)
    raw = raw_value(like)
    return namespace_of(raw).full(shape, raw_value(value), dtype=raw.dtype)


def atleast_1d(*arys: Any) -> Any:
    """Each input as an array of at least one dimension (a list when there are several).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.atleast_1d(1.0).shape
        (1,)
    """
    out = [reshape(a, (1,)) if a.ndim == 0 else a for a in map(_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any) -> Any:
    """Each input with at least two dimensions (a 1-D array becomes one row).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.atleast_2d(gnp.ones(3)).shape
        (1, 3)
    """
    out = [reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a
           for a in map(_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any) -> Any:
    """Each input with at least three dimensions (``(N,)`` becomes ``(1, N, 1)``, ``(M, N)``
    becomes ``(M, N, 1)``).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.atleast_3d(gnp.ones((2, 3))).shape
        (2, 3, 1)
    """
    out = []
    for a in map(_array, arys):
        shape = {0: (1, 1, 1), 1: (1,) + a.shape + (1,), 2: a.shape + (1,)}.get(a.ndim, a.shape)
        out.append(reshape(a, shape))
    return out[0] if len(out) == 1 else out


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy"
             ) -> list[Any]:
    """Coordinate arrays from coordinate vectors (``indexing`` ``"xy"`` or ``"ij"``).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> [g.shape for g in gnp.meshgrid(gnp.ones(2), gnp.ones(3))]
        [(3, 2), (3, 2)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: indexing must be 'xy' or 'ij'")
    n = len(xi)
    out = []
    for i, x in enumerate(xi):
        shape = [1] * n
        shape[i] = -1
        if indexing == "xy" and n > 1 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        out.append(reshape(ravel(_array(x)), tuple(shape)))
    return out if sparse else broadcast_arrays(*out)


def hstack(tup: Any) -> Any:
    """Stack arrays horizontally (along axis 1, or axis 0 for 1-D arrays).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.hstack([gnp.ones(2), gnp.zeros(1)])
        array([1., 1., 0.], dtype=float32)
    """
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if arrs and arrs[0].ndim == 1 else 1)


def vstack(tup: Any) -> Any:
    """Stack arrays vertically (1-D arrays become rows).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.vstack([gnp.ones(2), gnp.zeros(2)]).shape
        (2, 2)
    """
    return concatenate([atleast_2d(a) for a in tup], 0)


def dstack(tup: Any) -> Any:
    """Stack arrays along the third axis.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.dstack([gnp.ones(2), gnp.zeros(2)]).shape
        (1, 2, 2)
    """
    return concatenate([atleast_3d(a) for a in tup], 2)


def column_stack(tup: Any) -> Any:
    """Stack 1-D arrays as columns of a 2-D array (2-D arrays as they are).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.column_stack([gnp.ones(2), gnp.zeros(2)]).shape
        (2, 2)
    """
    arrs = []
    for a in map(_array, tup):
        arrs.append(reshape(a, (-1, 1)) if a.ndim < 2 else a)
    return concatenate(arrs, 1)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into pieces along ``axis``; unlike :func:`split`, sections need not be equal.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> [p.shape for p in gnp.array_split(gnp.ones(5), 2)]
        [(3,), (2,)]
    """
    x = _array(ary)
    axis = int(axis) % x.ndim
    if np.ndim(indices_or_sections) != 0:
        return split(x, indices_or_sections, axis)
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError("array_split: number of sections must be larger than 0")
    each, extras = divmod(x.shape[axis], sections)
    sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
    bounds = np.cumsum(sizes)
    return [_slice(x, axis, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """:func:`split` along axis 1 (axis 0 for 1-D arrays).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> len(gnp.hsplit(gnp.ones((2, 4)), 2))
        2
    """
    x = _array(ary)
    if x.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(x, indices_or_sections, 1 if x.ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """:func:`split` along axis 0 (arrays of 2 or more dimensions).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> len(gnp.vsplit(gnp.ones((4, 2)), 2))
        2
    """
    x = _array(ary)
    if x.ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(x, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """:func:`split` along axis 2 (arrays of 3 or more dimensions).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> len(gnp.dsplit(gnp.ones((1, 2, 4)), 2))
        2
    """
    x = _array(ary)
    if x.ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(x, indices_or_sections, 2)


def copy(a: Any, order: str = "K") -> Any:
    """A copy of ``a`` (traced values are immutable, so inside a transformation: ``a``).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.copy(gnp.array([1.0]))
        array([1.], dtype=float32)
    """
    a = _array(a)
    if isinstance(a, Tracer):
        return a
    return namespace_of(a).array(a, copy=True)
