"""Dtype questions: ``result_type`` (JAX's promotion), ``finfo``, ``iinfo``,
``issubdtype``, and the complex tests ``iscomplex``, ``isreal``, ``iscomplexobj``,
``isrealobj``.

``result_type`` follows :mod:`gpugrad.dtypes`: Python scalars (and the types ``bool``,
``int``, ``float``, ``complex``) are weak, integers meeting floats give the floating dtype,
and a weak scalar alone is the default dtype of its kind (float32/int32, or 64-bit in
64-bit mode). One difference from JAX: an explicit 64-bit dtype stays 64-bit when 64-bit mode
is off, because gpugrad keeps float64 and int64 arrays as they are (JAX truncates them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad import dtypes
from gpugrad.numpy._complex import imag
from gpugrad.numpy.operands import to_array

__all__ = [
    "finfo", "iinfo", "iscomplex", "iscomplexobj", "isreal", "isrealobj", "issubdtype",
    "result_type",
]

# NumPy's own classes: JAX re-exports them as they are for the standard dtypes.
finfo = np.finfo
iinfo = np.iinfo
_WEAK_TYPES = {bool: False, int: 0, float: 0.0, complex: 0j}


def _operand(arg: Any) -> Any:
    """What ``arg`` means to the promotion: a weak scalar, or something with a dtype."""
    if isinstance(arg, type) and arg in _WEAK_TYPES:
        return _WEAK_TYPES[arg]  # JAX treats the Python types as weak, like their values
    if isinstance(arg, (str, np.dtype)) or (isinstance(arg, type)
                                            and issubclass(arg, np.generic)):
        try:
            return np.zeros((), np.dtype(arg))
        except TypeError as e:
            raise TypeError(f"result_type: {arg!r} is not a dtype") from e
    if hasattr(arg, "dtype") or type(arg) in _WEAK_TYPES:
        return arg
    if isinstance(arg, (list, tuple)):
        raise TypeError("result_type takes arrays, scalars and dtypes, not a list: "
                        "pass gnp.asarray(values)")
    raise TypeError(f"result_type: cannot find a dtype for {type(arg).__name__} {arg!r}")


def result_type(*args: Any) -> np.dtype[Any]:
    """The dtype gpugrad computes an operation over ``args`` in (JAX's promotion rules).

    Example:
        >>> gnp.result_type(np.int8, 1), gnp.result_type(1, 2.0), gnp.result_type("uint8", "int8")
        (dtype('int8'), dtype('float32'), dtype('int16'))
    """
    if not args:
        raise ValueError("at least one array or dtype is required")
    return dtypes.result_type(*[_operand(a) for a in args])


def issubdtype(arg1: Any, arg2: Any) -> bool:
    """True when ``arg1`` is ``arg2`` or below it in NumPy's hierarchy (``gnp.floating``...).

    Example:
        >>> gnp.issubdtype(np.float32, np.floating), gnp.issubdtype("int8", np.floating)
        (True, False)
    """
    return bool(np.issubdtype(arg1, arg2))


def iscomplexobj(x: Any) -> bool:
    """True when ``x`` has a complex dtype (whatever its values).

    Example:
        >>> gnp.iscomplexobj(gnp.array([1.0 + 0j])), gnp.iscomplexobj(1.0)
        (True, False)
    """
    return dtypes.dtype_of(x).kind == "c"


def isrealobj(x: Any) -> bool:
    """True when ``x`` does not have a complex dtype.

    Example:
        >>> gnp.isrealobj(gnp.array([1.0 + 0j])), gnp.isrealobj(1.0)
        (False, True)
    """
    return not iscomplexobj(x)


def iscomplex(x: Any) -> Any:
    """Elementwise: true where the imaginary part is non-zero (boolean, no derivative).

    Example:
        >>> gnp.iscomplex(gnp.array([1.0 + 1j, 2.0]))
        array([ True, False])
    """
    return imag(to_array(x)) != 0


def isreal(x: Any) -> Any:
    """Elementwise: true where the imaginary part is zero (boolean, no derivative).

    Example:
        >>> gnp.isreal(gnp.array([1.0 + 1j, 2.0]))
        array([False,  True])
    """
    return imag(to_array(x)) == 0
