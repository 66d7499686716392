"""Joining and splitting: the ``*stack`` and ``*split`` families, ``atleast_*d`` and
``meshgrid``, composed from reshapes, broadcasts, slices and concatenations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.numpy._shape import broadcast_arrays, concatenate, ravel, reshape, split
from gpugrad.numpy.operands import to_array

__all__ = [
    "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "dsplit",
    "dstack", "hsplit", "hstack", "meshgrid", "row_stack", "vsplit", "vstack",
]


def atleast_1d(*arys: Any) -> Any:
    """Each input as an array of at least one dimension (a list when there are several).

    Example:
        >>> gnp.atleast_1d(1.0).shape
        (1,)
    """
    out = [reshape(a, (1,)) if a.ndim == 0 else a for a in map(to_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any) -> Any:
    """Each input with at least two dimensions (a 1-D array becomes one row).

    Example:
        >>> gnp.atleast_2d(gnp.ones(3)).shape
        (1, 3)
    """
    out = [reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a
           for a in map(to_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any) -> Any:
    """Each input with at least three dimensions (``(N,)`` becomes ``(1, N, 1)``, ``(M, N)``
    becomes ``(M, N, 1)``).

    Example:
        >>> gnp.atleast_3d(gnp.ones((2, 3))).shape
        (2, 3, 1)
    """
    out = []
    for a in map(to_array, arys):
        shape = {0: (1, 1, 1), 1: (1,) + a.shape + (1,), 2: a.shape + (1,)}.get(a.ndim, a.shape)
        out.append(reshape(a, shape))
    return out[0] if len(out) == 1 else out


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy"
             ) -> list[Any]:
    """Coordinate arrays from coordinate vectors (``indexing`` ``"xy"`` or ``"ij"``).

    Example:
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
        out.append(reshape(ravel(to_array(x)), tuple(shape)))
    return out if sparse else broadcast_arrays(*out)


def hstack(tup: Any) -> Any:
    """Stack arrays horizontally (along axis 1, or axis 0 for 1-D arrays).

    Example:
        >>> gnp.hstack([gnp.ones(2), gnp.zeros(1)])
        array([1., 1., 0.], dtype=float32)
    """
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if arrs and arrs[0].ndim == 1 else 1)


def vstack(tup: Any) -> Any:
    """Stack arrays vertically (1-D arrays become rows).

    Example:
        >>> gnp.vstack([gnp.ones(2), gnp.zeros(2)]).shape
        (2, 2)
    """
    return concatenate([atleast_2d(a) for a in tup], 0)


def dstack(tup: Any) -> Any:
    """Stack arrays along the third axis.

    Example:
        >>> gnp.dstack([gnp.ones(2), gnp.zeros(2)]).shape
        (1, 2, 2)
    """
    return concatenate([atleast_3d(a) for a in tup], 2)


def column_stack(tup: Any) -> Any:
    """Stack 1-D arrays as columns of a 2-D array (2-D arrays as they are).

    Example:
        >>> gnp.column_stack([gnp.ones(2), gnp.zeros(2)]).shape
        (2, 2)
    """
    arrs = []
    for a in map(to_array, tup):
        arrs.append(reshape(a, (-1, 1)) if a.ndim < 2 else a)
    return concatenate(arrs, 1)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split into pieces along ``axis``; unlike :func:`split`, sections need not be equal.

    Example:
        >>> [p.shape for p in gnp.array_split(gnp.ones(5), 2)]
        [(3,), (2,)]
    """
    x = to_array(ary)
    if np.ndim(indices_or_sections) != 0:
        return split(x, indices_or_sections, axis)
    n = x.shape[int(axis) % x.ndim]
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError("array_split: number of sections must be larger than 0")
    # The first n % sections pieces are one longer: split at the ends of all but the last.
    each, extras = divmod(n, sections)
    sizes = extras * [each + 1] + (sections - extras) * [each]
    return split(x, np.cumsum(sizes)[:-1].tolist(), axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """:func:`split` along axis 1 (axis 0 for 1-D arrays).

    Example:
        >>> len(gnp.hsplit(gnp.ones((2, 4)), 2))
        2
    """
    x = to_array(ary)
    if x.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(x, indices_or_sections, 1 if x.ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """:func:`split` along axis 0 (arrays of 2 or more dimensions).

    Example:
        >>> len(gnp.vsplit(gnp.ones((4, 2)), 2))
        2
    """
    x = to_array(ary)
    if x.ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(x, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """:func:`split` along axis 2 (arrays of 3 or more dimensions).

    Example:
        >>> len(gnp.dsplit(gnp.ones((1, 2, 4)), 2))
        2
    """
    x = to_array(ary)
    if x.ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(x, indices_or_sections, 2)


def row_stack(tup: Any) -> Any:
    """NumPy's older name of :func:`vstack` (JAX has dropped it).

    Example:
        >>> gnp.row_stack([gnp.array([1.0, 2.0]), gnp.array([3.0, 4.0])]).shape
        (2, 2)
    """
    return vstack(tup)
