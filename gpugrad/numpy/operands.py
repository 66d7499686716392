"""Operands as arrays: the helpers with which ``gpugrad.numpy`` and the namespaces built on
it (``gpugrad.lax``, ``gpugrad.scipy``) accept what NumPy accepts, and read axes as NumPy does;
``array`` and ``asarray`` themselves, which every other module of ``gpugrad.numpy`` builds on.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from gpugrad.backend import get_xp, namespace_of
from gpugrad.core.trace import Tracer
from gpugrad.dtypes import dtype_of, result_type, to_inexact
from gpugrad.primitives import operations
from gpugrad.primitives.operations import SCALARS, register_operand_conversion
from gpugrad.primitives.structural import convert

__all__ = ["array", "asarray", "check_same_shapes", "contains_tracer", "inexact_array",
           "normalize_axes", "operand", "to_array"]


def _leaves(obj: Any) -> list[Any]:
    """The leaves of a nested list or tuple (``obj`` itself when it is neither)."""
    if isinstance(obj, (list, tuple)):
        return [leaf for o in obj for leaf in _leaves(o)]
    return [obj]


def contains_tracer(obj: Any) -> bool:
    """Whether a tracer is among the leaves of ``obj`` (a nested list or tuple, or a value)."""
    return any(isinstance(leaf, Tracer) for leaf in _leaves(obj))


def _stack_on_device(obj: Any, dtype: Any, xp: Any) -> Any:
    # CuPy refuses np.asarray on its arrays, so a list holding them is stacked level by level
    # on the device.
    if isinstance(obj, (list, tuple)):
        return xp.stack([_stack_on_device(o, dtype, xp) for o in obj])
    return xp.asarray(obj, dtype=dtype)


def array(obj: Any, dtype: Any = None, copy: bool = True) -> Any:
    """An array from ``obj`` (array, scalar, nested list) on the default backend.

    Example:
        >>> gnp.array([1.0, 2.0])
        array([1., 2.], dtype=float32)
        >>> gnp.array([1, 2]).dtype
        dtype('int32')
    """
    if isinstance(obj, Tracer):
        return obj if dtype is None else convert(obj, dtype)
    if isinstance(obj, (list, tuple)) and contains_tracer(obj):
        rows = [array(o) for o in obj]
        check_same_shapes(rows)
        out = operations.stack(rows, 0)
        return out if dtype is None else convert(out, dtype)
    if hasattr(obj, "__cuda_array_interface__"):
        xp = namespace_of(obj)
        return xp.array(obj, dtype=dtype, copy=copy)
    if isinstance(obj, np.ndarray):
        xp = get_xp()
        if xp is np:
            return np.array(obj, dtype=dtype, copy=copy)
        return xp.asarray(obj, dtype=dtype)
    if isinstance(obj, (list, tuple)):
        leaves = _leaves(obj)
        if dtype is None and any(hasattr(leaf, "dtype") for leaf in leaves):
            # JAX's promotion, with Python numbers weak: [x, 1.0] keeps float32 x's dtype
            # (NumPy's np.asarray would give float64).
            dtype = result_type(*leaves)
        on_device = [leaf for leaf in leaves if hasattr(leaf, "__cuda_array_interface__")]
        if on_device:  # e.g. jnp.array([x, y]) of CuPy 0-d results
            return _stack_on_device(obj, dtype, namespace_of(*on_device))
    if dtype is None:
        dtype = dtype_of(obj)
    xp = get_xp()
    return xp.asarray(np.asarray(obj, dtype=dtype))


def asarray(obj: Any, dtype: Any = None) -> Any:
    """Like :func:`array`, without copying arrays that already fit.

    Example:
        >>> x = np.ones(2)
        >>> gnp.asarray(x) is x
        True
    """
    if isinstance(obj, Tracer):
        return obj if dtype is None else convert(obj, dtype)
    if type(obj) is np.ndarray or hasattr(obj, "__cuda_array_interface__"):
        if dtype is None or obj.dtype == np.dtype(dtype):
            return obj
        return obj.astype(dtype)
    return array(obj, dtype=dtype, copy=False)



# Rules promote their operands below this layer; NumPy scalars and lists become arrays here.
register_operand_conversion(asarray)


def check_same_shapes(xs: list[Any]) -> None:
    """NumPy's error when arrays to be stacked differ in shape."""
    if len({x.shape for x in xs}) != 1:
        raise ValueError(f"all input arrays must have the same shape, got "
                         f"{[x.shape for x in xs]}")


def operand(x: Any) -> Any:
    """Accept what NumPy accepts: arrays and tracers as they are, Python scalars as weak
    scalars, NumPy scalars and (nested) lists as arrays of the default backend."""
    if isinstance(x, Tracer) or isinstance(x, SCALARS):
        return x
    if type(x) is np.ndarray or hasattr(x, "__cuda_array_interface__"):
        return x
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
