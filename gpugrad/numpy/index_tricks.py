"""Index expressions and index generators: ``r_`` and ``c_`` (concatenation written as
indexing, ``r_[0:1:5j, x]``), and ``triu_indices``/``tril_indices`` with their ``*_from``
forms.

``r_`` and ``c_`` build each piece with gpugrad's ``arange``/``linspace``/``asarray`` and
join them with ``concatenate``, so array pieces keep their derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.dtypes import default_int
from gpugrad.numpy._creation import arange, linspace
from gpugrad.numpy._shape import concatenate, reshape, transpose
from gpugrad.numpy.operands import to_array

__all__ = [
    "c_", "r_", "tril_indices", "tril_indices_from", "triu_indices", "triu_indices_from",
]


def _slice_piece(s: slice) -> Any:
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        # A complex step is a number of points, the stop included (NumPy's convention).
        return linspace(start, s.stop, int(abs(step)), endpoint=True)
    if s.stop is None:
        raise ValueError("r_/c_: a slice needs a stop (as in r_[0:5])")
    return arange(start, s.stop, step)


def _parse_directive(text: str, axis: int, ndmin: int, trans1d: int
                     ) -> tuple[str | None, int, int, int]:
    if text in ("r", "c"):
        return text, axis, ndmin, trans1d
    try:
        parts = [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"r_/c_: could not understand the directive {text!r}: use 'r', 'c' "
                         "or 'axis[,ndmin[,trans1d]]' such as '0,2'") from None
    if len(parts) > 3:
        raise ValueError(f"r_/c_: the directive {text!r} has more than three numbers")
    axis = parts[0]
    ndmin = parts[1] if len(parts) > 1 else ndmin
    trans1d = parts[2] if len(parts) > 2 else trans1d
    return None, axis, ndmin, trans1d


def _raise_rank(x: Any, ndmin: int, trans1d: int) -> Any:
    """``x`` with ones added to its shape up to ``ndmin`` axes; ``trans1d`` says where its
    own axes go (-1: last, as NumPy's ``array(x, ndmin=...)``)."""
    k = x.ndim
    if k >= ndmin:
        return x
    x = reshape(x, (1,) * (ndmin - k) + tuple(x.shape))
    if trans1d == -1:
        return x
    # The new (leading) axes split around the original ones, which start at trans1d.
    added = ndmin - k
    first = trans1d + added + 1 if trans1d < 0 else trans1d
    order = list(range(ndmin))
    return transpose(x, order[:first] + order[added:] + order[first:added])


class _AxisConcatenator:
    """Concatenation written as indexing: ``obj[a, b, 0:3]`` (see ``r_`` and ``c_``)."""

    def __init__(self, name: str, axis: int, ndmin: int, trans1d: int) -> None:
        self._name, self._axis, self._ndmin, self._trans1d = name, axis, ndmin, trans1d

    def __getitem__(self, key: Any) -> Any:
        items = list(key) if isinstance(key, tuple) else [key]
        matrix, axis, ndmin, trans1d = None, self._axis, self._ndmin, self._trans1d
        if items and isinstance(items[0], str):
            matrix, axis, ndmin, trans1d = _parse_directive(items.pop(0), axis, ndmin,
                                                            trans1d)
        if not items:
            raise IndexError(f"{self._name}[]: nothing to concatenate; give arrays, "
                             "scalars or slices")
        pieces = []
        for item in items:
            if isinstance(item, str):
                raise ValueError(f"{self._name}: a string directive must come first, got "
                                 f"{item!r} later")
            piece = _slice_piece(item) if isinstance(item, slice) else to_array(item)
            if piece.ndim == 0:
                piece = reshape(piece, (1,))
            pieces.append(_raise_rank(piece, ndmin, trans1d))
        out = concatenate(pieces, axis=axis)
        if matrix is not None and out.ndim == 1:  # a 1-D result as a row or a column
            out = reshape(out, (1, -1) if matrix == "r" else (-1, 1))
        return out

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"gpugrad.numpy.{self._name}"


r_ = _AxisConcatenator("r_", axis=0, ndmin=1, trans1d=-1)
r_.__doc__ = """Concatenation along the first axis written as indexing: slices become ranges
(``0:1:5j`` is five points from 0 to 1, the end included), scalars become 1-element arrays,
and a leading string sets ``'axis,ndmin,trans1d'`` or asks for a row (``'r'``) or column
(``'c'``) matrix.

Example:
    >>> gnp.r_[0:1:5j]
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    >>> gnp.r_[1:4, 0, gnp.array([5.0, 6.0])]
    array([1., 2., 3., 0., 5., 6.], dtype=float32)
"""

c_ = _AxisConcatenator("c_", axis=-1, ndmin=2, trans1d=0)
c_.__doc__ = """Concatenation along the last axis written as indexing, with 1-D pieces as
columns (``r_['-1,2,0', ...]``).

Example:
    >>> gnp.c_[gnp.array([1.0, 2.0]), gnp.array([3.0, 4.0])]
    array([[1., 3.],
           [2., 4.]], dtype=float32)
"""


def _index_pair(rows: Any, cols: Any) -> tuple[Any, Any]:
    return rows.astype(default_int()), cols.astype(default_int())


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Any, Any]:
    """Row and column indices of the upper triangle of an ``(n, m)`` array, from the
    ``k``-th diagonal up.

    Example:
        >>> gnp.triu_indices(3, 1)
        (array([0, 0, 1], dtype=int32), array([1, 2, 2], dtype=int32))
    """
    return _index_pair(*np.triu_indices(int(n), int(k), None if m is None else int(m)))


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Any, Any]:
    """Row and column indices of the lower triangle of an ``(n, m)`` array, up to the
    ``k``-th diagonal.

    Example:
        >>> gnp.tril_indices(2)
        (array([0, 1, 1], dtype=int32), array([0, 0, 1], dtype=int32))
    """
    return _index_pair(*np.tril_indices(int(n), int(k), None if m is None else int(m)))


def _matrix_shape(arr: Any, name: str) -> tuple[int, int]:
    shape = tuple(to_array(arr).shape)
    if len(shape) != 2:
        raise ValueError(f"{name}: the input must be 2-D, got shape {shape}")
    return shape[0], shape[1]


def triu_indices_from(arr: Any, k: int = 0) -> tuple[Any, Any]:
    """:func:`triu_indices` for the shape of the 2-D array ``arr``.

    Example:
        >>> gnp.triu_indices_from(gnp.ones((2, 3)), 1)
        (array([0, 0, 1], dtype=int32), array([1, 2, 2], dtype=int32))
    """
    n, m = _matrix_shape(arr, "triu_indices_from")
    return triu_indices(n, k, m)


def tril_indices_from(arr: Any, k: int = 0) -> tuple[Any, Any]:
    """:func:`tril_indices` for the shape of the 2-D array ``arr``.

    Example:
        >>> gnp.tril_indices_from(gnp.ones((3, 2)), -1)
        (array([1, 2, 2], dtype=int32), array([0, 0, 1], dtype=int32))
    """
    n, m = _matrix_shape(arr, "tril_indices_from")
    return tril_indices(n, k, m)
