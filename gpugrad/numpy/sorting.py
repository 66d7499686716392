"""Sorting, searching and gathering: ``take``, ``take_along_axis``, ``choose``, ``sort``,
``partition``, and the functions with concrete integer or boolean results (``argsort``,
``searchsorted``, ``isclose``, ...; ``nonzero`` and its kin are in ``counting.py``).

Everything differentiable here is a gather: ``sort(x)`` is ``take_along_axis(x, argsort(x))``,
so its derivative is the same gather applied to the tangent (and a scatter-add of the
cotangent), to any order. Integer and boolean results are the primitives of
``gpugrad.primitives.discrete``: they carry no derivative, as in JAX. Integer index arrays
are operands of the gather, so traced (or ``vmap``-batched) indices need no value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.core.trace import Tracer
from gpugrad.dtypes import default_int
from gpugrad.numpy._shape import broadcast_to, ravel, reshape, stack
from gpugrad.numpy._ufuncs import FUNCTIONS
from gpugrad.numpy.operands import to_array
from gpugrad.primitives import discrete as D
from gpugrad.primitives.indexing import gather

__all__ = [
    "allclose", "argpartition", "argsort", "choose", "isclose", "partition", "searchsorted",
    "signbit", "sort", "take", "take_along_axis",
]


def _index_array(indices: Any, function: str, argument: str = "indices") -> Any:
    """An integer index array (an operand of the gather: its value is not read)."""
    idx = to_array(indices)
    if idx.dtype.kind not in "iu":
        raise IndexError(f"{function}: {argument} must be integers, got {idx.dtype}")
    return idx


def _check_range(idx: Any, low: int, high: int, error: Exception) -> None:
    """Raise ``error`` for an index outside ``[low, high)``; a traced index is checked by
    the gather itself when it runs (its value is not known here under ``vmap``)."""
    if isinstance(idx, Tracer) or not idx.size:
        return
    if int(idx.max()) >= high or int(idx.min()) < low:
        raise error


def _wrap_or_clip(idx: Any, n: int, mode: str | None) -> Any:
    if mode == "wrap":
        return FUNCTIONS["remainder"](idx, n)
    if mode == "clip":
        return FUNCTIONS["minimum"](FUNCTIONS["maximum"](idx, 0), n - 1)
    return idx


def as_array(out: Any) -> Any:
    """A 0-d array where NumPy's operators on concrete 0-d arrays returned a scalar."""
    return np.asarray(out) if isinstance(out, np.generic) else out


def _axis(axis: Any, ndim: int) -> int:
    axis = int(axis)
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % max(ndim, 1)


def take(a: Any, indices: Any, axis: int | None = None, mode: str | None = None) -> Any:
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array by default).

    ``mode`` is ``"raise"`` (default: out-of-range indices are an error), ``"wrap"`` or
    ``"clip"``. The indices carry no derivative.

    Example:
        >>> gnp.take(gnp.array([[1.0, 2.0], [3.0, 4.0]]), [3, 0])
        array([4., 1.], dtype=float32)
    """
    a = to_array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim)
    n = a.shape[axis]
    idx = _index_array(indices, "take")
    if mode not in (None, "raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if mode in (None, "raise"):
        _check_range(idx, -n, n,
                     IndexError(f"take: index out of range for axis {axis} of size {n}"))
    idx = _wrap_or_clip(idx, n, mode)
    return gather(a, (slice(None),) * axis + (idx,))


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    """Pick values along ``axis`` at the (broadcastable) integer ``indices``, as NumPy.

    Example:
        >>> x = gnp.array([[3.0, 1.0], [2.0, 5.0]])
        >>> gnp.take_along_axis(x, gnp.argsort(x, axis=1), axis=1)
        array([[1., 3.],
               [2., 5.]], dtype=float32)
    """
    arr = to_array(arr)
    idx = _index_array(indices, "take_along_axis")
    if axis is None:
        arr, axis = ravel(arr), 0
    if idx.ndim != arr.ndim:
        raise ValueError(f"take_along_axis: indices has {idx.ndim} dimensions but the array "
                         f"has {arr.ndim}")
    axis = _axis(axis, arr.ndim)
    index: list[Any] = []
    for d in range(arr.ndim):
        if d == axis:
            index.append(idx)
        else:
            shape = [1] * arr.ndim
            shape[d] = arr.shape[d]
            index.append(np.arange(arr.shape[d]).reshape(shape))
    return gather(arr, tuple(index))


def choose(a: Any, choices: Any, mode: str = "raise") -> Any:
    """``choices[a[i]][i]`` elementwise (all broadcast together); differentiable in the
    choices.

    Example:
        >>> gnp.choose(gnp.array([0, 1, 0]), [gnp.zeros(3), gnp.ones(3)])
        array([0., 1., 0.], dtype=float32)
    """
    idx = _index_array(a, "choose", "a")
    n = len(choices)
    if mode not in ("wrap", "clip"):
        _check_range(idx, 0, n, ValueError("choose: invalid entry in choice array"))
    idx = _wrap_or_clip(idx, n, mode)
    arrays = [to_array(c) for c in choices]
    shape = np.broadcast_shapes(idx.shape, *[c.shape for c in arrays])
    stacked = stack([broadcast_to(c, shape) for c in arrays])
    idx = reshape(broadcast_to(idx, shape), (1, *shape))
    return take_along_axis(stacked, idx, 0)[0]


def argsort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None,
            *, stable: bool | None = None, descending: bool = False) -> Any:
    """Indices that sort ``a`` along ``axis`` (a stable sort; NaN last). No derivative.

    Example:
        >>> gnp.argsort(gnp.array([3.0, 1.0, 2.0]))
        array([1, 2, 0], dtype=int32)
    """
    return D.argsort(to_array(a), axis, descending, default_int())


def sort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None,
         *, stable: bool | None = None, descending: bool = False) -> Any:
    """Sorted copy of ``a`` along ``axis`` (flattened when ``axis`` is None).

    The derivative moves with the values: ``sort(x)`` is the gather
    ``take_along_axis(x, argsort(x))``.

    Example:
        >>> gnp.sort(gnp.array([3.0, 1.0, 2.0]))
        array([1., 2., 3.], dtype=float32)
    """
    a = to_array(a)
    if axis is None:
        a, axis = ravel(a), -1
    if a.ndim == 0:
        return a
    return take_along_axis(a, argsort(a, axis, descending=descending), axis)


def argpartition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect",
                 order: Any = None) -> Any:
    """Indices that partition ``a`` around the ``kth`` element(s), as NumPy. No derivative.

    Example:
        >>> int(gnp.argpartition(gnp.array([3.0, 1.0, 2.0]), 0)[0])
        1
    """
    return D.argpartition(to_array(a), kth, axis, default_int())


def partition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect",
              order: Any = None) -> Any:
    """``a`` partially sorted so the ``kth`` element(s) are in their sorted place (a gather
    by :func:`argpartition`, differentiable like :func:`sort`).

    Example:
        >>> float(gnp.partition(gnp.array([3.0, 1.0, 2.0]), 1)[1])
        2.0
    """
    a = to_array(a)
    if axis is None:
        a, axis = ravel(a), -1
    return take_along_axis(a, argpartition(a, kth, axis), axis)


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """Indices where ``v`` would be inserted into sorted ``a`` to keep it sorted.

    Example:
        >>> gnp.searchsorted(gnp.array([1.0, 2.0, 3.0]), gnp.array([2.5, 0.0]))
        array([2, 0], dtype=int32)
    """
    return D.searchsorted(to_array(a), to_array(v), sorter, side, default_int())


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Any:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (boolean, no derivative).

    Example:
        >>> gnp.isclose(gnp.array([1.0, 2.0]), gnp.array([1.0, 2.1]))
        array([ True, False])
    """
    # The result is boolean (no derivative), so traced tolerances are plain operands.
    return D.isclose(to_array(a), to_array(b), rtol, atol, equal_nan)


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Any:
    """True (a 0-d boolean array, as JAX's) when every element of ``a`` is close to ``b``
    (see :func:`isclose`).

    Example:
        >>> gnp.allclose(gnp.array([1.0, 2.0]), gnp.array([1.0, 2.0000001]))
        array(True)
    """
    out = isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan).all()
    return np.asarray(out) if isinstance(out, np.generic) else out


def signbit(x: Any) -> Any:
    """True where the sign bit is set (negative numbers, ``-0.0``). No derivative.

    Example:
        >>> gnp.signbit(gnp.array([-1.0, -0.0, 2.0]))
        array([ True,  True, False])
    """
    return D.signbit(to_array(x))
