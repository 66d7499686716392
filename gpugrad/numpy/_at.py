"""Functional index updates: ``x.at[idx].set/add/multiply/divide/min/max/power/get``.

Indices carry no derivative; the flat position each update lands on is the same index
applied to ``arange(x.size).reshape(x.shape)``. ``add`` is one scatter-add (repeated indices
accumulate), ``get`` one gather: neither reads the index's value. The other updates combine
repeated indices in order of appearance: the updates are split into *rounds* in which
every position occurs at most once (the k-th occurrence of each position goes to round k),
and each round is applied with a gather-free ``where`` over the whole array. So ``set``
keeps the last update, ``multiply`` multiplies them all, and ``min``/``max``/``power``
apply each in turn — all differentiable, since every step is a gpugrad operation. Planning
the rounds reads the positions; where they have no value yet (an index batched by ``vmap``)
one dense step compares every update with every element instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array
from gpugrad.core.concrete import ConcretizationError, array_namespace, concrete_value
from gpugrad.numpy import _reductions as R
from gpugrad.numpy._ufuncs import FUNCTIONS, power, where
from gpugrad.numpy.operands import to_array
from gpugrad.primitives import broadcasting
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
        self.index = normalize_index(index, x.ndim)

    def _updates(self, y: Any) -> Any:
        target_shape = gather(S.stop_gradient(self.x), self.index).shape
        y = S.convert(to_array(y), self.x.dtype)
        return broadcasting.broadcast_to(y, target_shape)

    def get(self) -> Any:
        return gather(self.x, self.index)

    def add(self, y: Any) -> Any:
        return scatter_add(self.x, self.index, self._updates(y))

    def _apply(self, y: Any, combine: Callable[[Any, Any], Any], dense: str) -> Any:
        """Apply ``combine(current, update)`` where updates land, round by round."""
        y = self._updates(y)
        x = self.x
        xp = array_namespace(x)
        # The flat position of each update: the same gather of the element numbers.
        positions = gather(xp.arange(x.size).reshape(x.shape), self.index)
        try:  # the rounds are planned from the positions' values (a static plan)...
            known = concrete_value(positions, "at", "index", "which updates land together")
        except ConcretizationError:  # ...unknown under vmap or staging: one dense step
            return self._dense(y, positions, combine, dense)
        host = np.asarray(known.get() if is_cupy_array(known) else known)
        flat_y = S.reshape(y, (int(np.prod(y.shape, dtype=np.int64)),))
        out = S.reshape(x, (x.size,))
        for members in _rounds(host):
            where_to = host.ravel()[members]
            mask = np.zeros(x.size, bool)
            mask[where_to] = True
            spread = scatter_add(xp.zeros(x.size, x.dtype), (where_to,),
                                 gather(flat_y, (members,)))
            out = where(xp.asarray(mask), combine(out, spread), out)
        return S.reshape(out, x.shape)

    def _dense(self, y: Any, positions: Any, combine: Callable[[Any, Any], Any], dense: str
               ) -> Any:
        """The update without the positions' values: a (updates, elements) table of which
        update lands where, reduced over the updates (memory: their product)."""
        x = self.x
        xp = array_namespace(x)
        k = int(np.prod(y.shape, dtype=np.int64))
        flat_x = S.reshape(x, (1, x.size))
        hits = FUNCTIONS["equal"](S.reshape(positions, (k, 1)), xp.arange(x.size)[None])
        updates = S.reshape(y, (k, 1))
        if dense == "set":  # the last update at each element wins
            order = xp.arange(k).reshape(k, 1)
            last = R.max(where(hits, order, -1), axis=0, keepdims=True)
            wins = FUNCTIONS["logical_and"](hits, FUNCTIONS["equal"](order, last))
            landed = S.convert(R.sum(where(wins, updates, 0), axis=0), x.dtype)
            out = where(FUNCTIONS["greater_equal"](last[0], 0), landed, flat_x[0])
        elif dense in ("min", "max"):  # x itself is among the candidates
            out = getattr(R, dense)(where(hits, updates, flat_x), axis=0)
        else:  # the updates at an element multiply before combining (an empty product: 1)
            factor = S.convert(R.prod(where(hits, updates, 1), axis=0), x.dtype)
            out = combine(flat_x[0], factor)
        return S.reshape(out, x.shape)

    def set(self, y: Any) -> Any:
        return self._apply(y, lambda current, update: update, "set")

    def multiply(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["multiply"], "product")

    def divide(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["true_divide"], "product")

    def min(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["minimum"], "min")

    def max(self, y: Any) -> Any:
        return self._apply(y, FUNCTIONS["maximum"], "max")

    def power(self, y: Any) -> Any:
        # Dense (under vmap): x ** (y1 * y2), which is (x ** y1) ** y2 wherever that is real.
        return self._apply(y, power, "product")


class IndexUpdateHelper:
    """``x.at[index]``: ``.set``, ``.add``, ``.multiply``, ``.divide``, ``.min``, ``.max``,
    ``.power`` and ``.get``, each returning a new array (JAX's functional updates).

    Example:
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
        >>> gnp.at(gnp.zeros(3))[0].set(5.0)
        array([5., 0., 0.], dtype=float32)
    """
    return IndexUpdateHelper(x)
