"""Shape and arrangement: ``roll``, ``rot90``, ``tile``, ``repeat``, ``pad``, ``flip*``,
composed from reshapes, broadcasts, slices, gathers and concatenations (so each is
differentiable through their rules).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array, namespace_of
from gpugrad.core.concrete import array_namespace, concrete_value
from gpugrad.core.trace import Tracer
from gpugrad.numpy import _reductions as R
from gpugrad.numpy._shape import broadcast_to, concatenate, flip, ravel, reshape, transpose
from gpugrad.numpy.operands import to_array
from gpugrad.numpy.order_statistics import median
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather

__all__ = [
    "copy", "fliplr", "flipud", "pad", "repeat", "roll", "rollaxis", "rot90", "tile",
]


def _slice(x: Any, axis: int, start: int | None, stop: int | None) -> Any:
    return gather(x, (slice(None),) * axis + (slice(start, stop),))


def _take(x: Any, axis: int, idx: Any) -> Any:
    return gather(x, (slice(None),) * axis + (np.asarray(idx, dtype=np.intp),))


def fliplr(m: Any) -> Any:
    """Reverse the columns (axis 1).

    Example:
        >>> gnp.fliplr(gnp.array([[1.0, 2.0]]))
        array([[2., 1.]], dtype=float32)
    """
    m = to_array(m)
    if m.ndim < 2:
        raise ValueError("fliplr needs an array of at least 2 dimensions")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    """Reverse the rows (axis 0).

    Example:
        >>> gnp.flipud(gnp.array([1.0, 2.0]))
        array([2., 1.], dtype=float32)
    """
    m = to_array(m)
    if m.ndim < 1:
        raise ValueError("flipud needs an array of at least 1 dimension")
    return flip(m, 0)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Rotate elements along ``axis`` by ``shift`` (of the flattened array by default).

    Example:
        >>> gnp.roll(gnp.array([1.0, 2.0, 3.0]), 1)
        array([3., 1., 2.], dtype=float32)
    """
    a = to_array(a)
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
        >>> gnp.rollaxis(gnp.ones((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    a = to_array(a)
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
        >>> gnp.rot90(gnp.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[2., 4.],
               [1., 3.]], dtype=float32)
    """
    m = to_array(m)
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
        >>> gnp.tile(gnp.array([1.0, 2.0]), 2)
        array([1., 2., 1., 2.], dtype=float32)
    """
    A = to_array(A)
    reps_t = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    d = max(len(reps_t), A.ndim)
    shape = (1,) * (d - A.ndim) + A.shape
    reps_t = (1,) * (d - len(reps_t)) + reps_t
    spread = [v for s in shape for v in (1, s)]
    target = [v for r, s in zip(reps_t, shape) for v in (r, s)]
    out = broadcast_to(reshape(A, spread), target)
    return reshape(out, tuple(r * s for r, s in zip(reps_t, shape)))


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """Repeat each element ``repeats`` times along ``axis`` (flattened by default).

    Example:
        >>> gnp.repeat(gnp.array([1.0, 2.0]), 2)
        array([1., 1., 2., 2.], dtype=float32)
    """
    a = to_array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = int(axis) % a.ndim
    # The counts decide the length of the result, a shape (JAX's repeat takes
    # total_repeat_length= for this): they are read as values.
    reps = concrete_value(repeats, "repeat", "repeats", "the length of the result",
                          "Pass it as a static argument (a Python int or list).")
    if np.ndim(reps) == 0 or np.size(reps) == 1:
        r = int(np.asarray(reps).reshape(()))
        expanded = reshape(a, a.shape[: axis + 1] + (1,) + a.shape[axis + 1 :])
        target = a.shape[: axis + 1] + (r,) + a.shape[axis + 1 :]
        out_shape = a.shape[:axis] + (a.shape[axis] * r,) + a.shape[axis + 1 :]
        return reshape(broadcast_to(expanded, target), out_shape)
    reps = np.asarray(reps.get() if is_cupy_array(reps) else reps)
    return _take(a, axis, np.repeat(np.arange(a.shape[axis]), reps))


_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")
_STAT_MODES: dict[str, Any] = {"maximum": R.max, "minimum": R.min, "mean": R.mean}


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """Pad ``array``: modes ``constant`` (``constant_values``), ``edge``, ``reflect``,
    ``symmetric``, ``wrap``, ``maximum``, ``minimum``, ``mean``, ``median``, ``empty``.

    The index modes are gathers whose indices come from ``numpy.pad`` of an ``arange``, so
    they agree with NumPy by construction. Axes are padded in order, as in NumPy.

    Example:
        >>> gnp.pad(gnp.array([1.0, 2.0]), (1, 2), mode="edge")
        array([1., 1., 2., 2., 2.], dtype=float32)
    """
    x = to_array(array)
    # The widths are the result's shape: they are read as values.
    widths = concrete_value(pad_width, "pad", "pad_width", "the shape of the result")
    widths = np.broadcast_to(np.asarray(widths, dtype=np.int64), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError("pad: pad widths must be non-negative")
    if mode == "empty":
        mode = "constant"
    stat: Any = None
    if mode == "constant":
        values = kwargs.pop("constant_values", 0)
    elif mode == "median":
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
            idx = np.pad(np.arange(x.shape[ax]), (before, after), mode=mode)  # type: ignore[call-overload]
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
    v = np.empty(np.shape(_values_of(values)), dtype=object)  # holds tracers as they are
    if v.ndim == 0:
        return values, values
    for idx in np.ndindex(v.shape):
        item = values
        for i in idx:
            item = item[i]
        v[idx] = item
    pairs = np.broadcast_to(v, (ndim, 2))
    return pairs[ax, 0], pairs[ax, 1]


def _values_of(nested: Any) -> Any:
    """``nested`` with each tracer replaced by a stand-in of its shape (to read the nesting's
    shape; no value is read)."""
    if isinstance(nested, (list, tuple)):
        return [_values_of(v) for v in nested]
    return np.broadcast_to(False, nested.shape) if isinstance(nested, Tracer) else nested


def _block(value: Any, shape: tuple[int, ...], like: Any) -> Any:
    if isinstance(value, Tracer):
        return broadcast_to(S.convert(value, like.dtype), shape)
    return array_namespace(like).full(shape, value, dtype=like.dtype)


def copy(a: Any, order: str = "K") -> Any:
    """A copy of ``a`` (traced values are immutable, so inside a transformation: ``a``).

    Example:
        >>> gnp.copy(gnp.array([1.0]))
        array([1.], dtype=float32)
    """
    a = to_array(a)
    if isinstance(a, Tracer):
        return a
    return namespace_of(a).array(a, copy=True)
