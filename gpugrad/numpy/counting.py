"""Counting and finding the nonzero elements: ``count_nonzero``, ``nonzero``, ``argwhere``
and ``flatnonzero``. None has a derivative (integer results, as in JAX).

``nonzero`` and its kin return as many indices as there are nonzero elements, so a value
decides their result's shape: they are the functions here that ask for a concrete value
(``concrete_value``), and under ``jit`` or ``vmap`` they raise the concretization error with
the way out. ``count_nonzero`` has a fixed shape and is a primitive like any other. This
module sits below ``_ufuncs.py``, whose one-argument ``where`` is ``nonzero``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.concrete import concrete_value
from gpugrad.dtypes import default_int
from gpugrad.numpy.operands import to_array
from gpugrad.primitives import discrete as D

__all__ = ["argwhere", "count_nonzero", "flatnonzero", "nonzero"]


_SIZE_FIX = ("Pass it as a static argument, or compute the indices outside the traced "
             "function (JAX's nonzero, argwhere and flatnonzero take size= for this).")


def _result_shape_from(a: Any, function: str) -> Any:
    # The number of nonzero elements is the length of the result: a value decides a shape.
    return concrete_value(to_array(a), function, "a",
                          "the number of nonzero elements, which is the result's shape",
                          _SIZE_FIX)


def _ints(out: Any) -> Any:
    """An integer result in gpugrad's default int dtype (int32, or int64 in 64-bit mode)."""
    if isinstance(out, np.generic):
        out = np.asarray(out)
    return out.astype(default_int())


def nonzero(a: Any) -> tuple[Any, ...]:
    """Indices of the nonzero elements, one array per dimension. No derivative.

    Example:
        >>> gnp.nonzero(gnp.array([0.0, 2.0, 3.0]))
        (array([1, 2], dtype=int32),)
    """
    raw = _result_shape_from(a, "nonzero")
    if raw.ndim == 0:
        raise ValueError("nonzero of a 0-d array is not defined; use atleast_1d first")
    return tuple(_ints(i) for i in raw.nonzero())


def argwhere(a: Any) -> Any:
    """Indices of the nonzero elements as rows of an ``(N, a.ndim)`` array. No derivative.

    Example:
        >>> gnp.argwhere(gnp.array([[0.0, 1.0], [2.0, 0.0]]))
        array([[0, 1],
               [1, 0]], dtype=int32)
    """
    raw = _result_shape_from(a, "argwhere")
    return _ints(namespace_of(raw).argwhere(raw))


def flatnonzero(a: Any) -> Any:
    """Indices of the nonzero elements of the flattened array. No derivative.

    Example:
        >>> gnp.flatnonzero(gnp.array([[0.0, 1.0], [2.0, 0.0]]))
        array([1, 2], dtype=int32)
    """
    raw = _result_shape_from(a, "flatnonzero")
    return _ints(raw.ravel().nonzero()[0])


def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """Number of nonzero elements over ``axis``. No derivative.

    Example:
        >>> int(gnp.count_nonzero(gnp.array([0.0, 2.0, 3.0])))
        2
    """
    return D.count_nonzero(to_array(a), axis, keepdims, default_int())
