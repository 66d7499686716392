"""Operands as arrays: the helpers with which ``gpugrad.numpy`` and the namespaces built on
it (``gpugrad.lax``, ``gpugrad.scipy``) accept what NumPy accepts, and read axes as NumPy does.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from gpugrad.core.trace import Tracer
from gpugrad.dtypes import to_inexact
from gpugrad.primitives.operations import SCALARS
from gpugrad.primitives.structural import convert

__all__ = ["inexact_array", "normalize_axes", "operand", "to_array"]


def operand(x: Any) -> Any:
    """Accept what NumPy accepts: arrays and tracers as they are, Python scalars as weak
    scalars, NumPy scalars and (nested) lists as arrays of the default backend."""
    if isinstance(x, Tracer) or isinstance(x, SCALARS):
        return x
    if type(x) is np.ndarray or hasattr(x, "__cuda_array_interface__"):
        return x
    from gpugrad.numpy._creation import asarray

    return asarray(x)


def to_array(x: Any) -> Any:
    """``x`` as an array or tracer: what NumPy accepts (Python and NumPy scalars, nested
    lists) becomes an array of the default backend; arrays and tracers pass as they are.

    Example:
        >>> from gpugrad.numpy.operands import to_array
        >>> to_array([1.0, 2.0])
        array([1., 2.], dtype=float32)
    """
    x = operand(x)
    if not hasattr(x, "shape"):
        from gpugrad.numpy._creation import asarray

        x = asarray(x)
    return x


def inexact_array(x: Any) -> Any:
    """``x`` as a floating or complex array: integers and bools become JAX's float for them
    (``gpugrad.dtypes.to_inexact``), differentiably where ``x`` is traced."""
    x = to_array(x)
    return x if x.dtype.kind in "fc" else convert(x, to_inexact(x.dtype))


def normalize_axes(x: Any, axis: Any) -> tuple[int, ...]:
    """The sorted, non-negative axes of ``x`` that ``axis`` names (None: all of them); an
    axis out of bounds raises NumPy's error.

    Example:
        >>> import numpy as np
        >>> from gpugrad.numpy.operands import normalize_axes
        >>> normalize_axes(np.zeros((2, 3, 4)), (-1, 0))
        (0, 2)
    """
    ndim = x.ndim
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % builtins.max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()
