"""Functional index updates: ``x.at[idx].set/add/multiply/divide/min/max/power/get``.

Indices are concrete (they carry no derivative), so the flat position each update lands
on is known: indexing ``arange(x.size).reshape(x.shape)`` with the same index gives it.
``add`` is one scatter-add (repeated indices accumulate). The other updates combine
repeated indices in order of appearance: the updates are split into *rounds* in which
every position occurs at most once (the k-th occurrence of each position goes to round k),
and each round is applied with a gather-free ``where`` over the whole array. So ``set``
keeps the last update, ``multiply`` multiplies them all, and ``min``/``max``/``power``
apply each in turn — all differentiable, since every step is a gpugrad operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array
from gpugrad.core.concrete import array_namespace
from gpugrad.numpy._reductions import to_array
from gpugrad.numpy._ufuncs import FUNCTIONS, where
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather, normalize_index, scatter_add

__all__ = ["IndexUpdateHelper", "at"]


def _rounds(positions: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
    """Group update elements so each group hits every flat position at most once.

    Returns, per round, the indices (into the flattened updates) of the elements in it.
    """
    flat = positions.ravel()
    if flat.size == 0:
        return []
    order = np.argsort(flat, kind="stable")  # stable: occurrences keep their order
    sorted_pos = flat[order]
    starts = np.r_[True, sorted_pos[1:] != sorted_pos[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(flat.size), 0))
    rank = np.empty(flat.size, np.intp)
    rank[order] = np.arange(flat.size) - group_start
    return [np.nonzero(rank == r)[0] for r in range(int(rank.max()) + 1)]


class _IndexUpdateRef:
    def __init__(self, x: Any, index: Any) -> None:
        self.x = x
        self.index, self.advanced = normalize_index(index, x.ndim)

    def _updates(self, y: Any) -> Any:
        target_shape = gather(S.stop_gradient(self.x), self.index, self.advanced).shape
        y = S.convert(to_array(y), self.x.dtype)
        return S.broadcast_to(y, target_shape)

    def get(self) -> Any:
        return gather(self.x, self.index, self.advanced)

    def add(self, y: Any) -> Any:
        return scatter_add(self.x, self.index, self._updates(y), self.advanced)

    def _apply(self, y: Any, combine: Callable[[Any, Any], Any]) -> Any:
        """Apply ``combine(current, update)`` where updates land, round by round."""
        y = self._updates(y)
        # The index is already concrete (normalize_index read it); only the shape, size and
        # dtype of x are needed here.
        x = self.x
        host_index = tuple(k.get() if is_cupy_array(k) else k for k in self.index)
        positions = np.asarray(np.arange(x.size).reshape(x.shape)[host_index])
        flat_y = S.reshape(y, (int(np.prod(y.shape, dtype=np.int64)),))
        out = S.reshape(x, (x.size,))
        xp = array_namespace(x)
        for members in _rounds(positions):
            where_to = positions.ravel()[members]
            mask = np.zeros(x.size, bool)
            mask[where_to] = True
            spread = scatter_add(xp.zeros(x.size, x.dtype), (where_to,),
                                 gather(flat_y, (members,), True), True)
            out = where(xp.asarray(mask), combine(out, spread), out)
        return S.reshape(out, x.shape)

    def set(self, y: Any) -> Any:
        return self._apply(y, lambda current, update: update)

    def multiply(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["multiply"])

    def divide(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["true_divide"])

    def min(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["minimum"])

    def max(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["maximum"])

    def power(self, y: Any) -> Any:
        from gpugrad.numpy._ufuncs import power

        return self._apply(y, power)


class IndexUpdateHelper:
    """``x.at[index]``: ``.set``, ``.add``, ``.multiply``, ``.divide``, ``.min``, ``.max``,
    ``.power`` and ``.get``, each returning a new array (JAX's functional updates).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.IndexUpdateHelper(gnp.zeros(3))[1].add(2.0)
        array([0., 2., 0.], dtype=float32)
        >>> gnp.IndexUpdateHelper(gnp.ones(3))[gnp.array([0, 0])].multiply(3.0)
        array([9., 1., 1.], dtype=float32)
    """

    def __init__(self, x: Any) -> None:
        self.x = x

    def __getitem__(self, index: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(to_array(self.x), index)


def at(x: Any) -> IndexUpdateHelper:
    """``x.at`` for any array: plain NumPy/CuPy arrays have no ``.at``, so write
    ``gnp.at(x)[idx].set(y)`` where JAX code writes ``x.at[idx].set(y)`` on a plain array
    (inside transformations ``x.at`` works on the traced value too).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.at(gnp.zeros(3))[0].set(5.0)
        array([5., 0., 0.], dtype=float32)
    """
    return IndexUpdateHelper(x)
