"""NumPy's override protocols on stand-in arrays, as ``cupy/_core/core.pyx`` answers them.

``__array_ufunc__``: NumPy hands over a ufunc call (``numpy.add(x, y)``, and ``np_a + x``
after NumPy's own operator defers). CuPy looks up its ufunc of the same name and calls it
with the inputs as they are, so a NumPy array among them meets CuPy's ``TypeError``. An
input that is neither a scalar, a NumPy or CuPy array, nor CUDA-array-like makes it return
``NotImplemented``; for comparisons a 0-d NumPy array is first turned into a Python scalar.
``__array_function__``: ``numpy.f(x)`` calls ``cupy.f`` (``numpy.linalg.f`` calls
``cupy.linalg.f``) when CuPy has it and every argument type is a CuPy or NumPy array,
otherwise ``NotImplemented`` (NumPy then raises ``TypeError``).

Example:
    >>> import numpy as np
    >>> from tools.cupy_standin._array import wrap
    >>> type(np.sum(wrap(np.ones(3)))).__module__
    'cupy'
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tools.cupy_standin._array import SCALAR_TYPES, ndarray
from tools.cupy_standin._module import cupy_module

__all__ = ["array_function", "array_ufunc"]

_COMPARISONS = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"}
_METHODS = {"__call__", "outer", "at", "reduce", "accumulate", "reduceat"}


def _cupy_like(x: Any) -> bool:
    return (type(x) in (bool, int, float, complex) or isinstance(x, SCALAR_TYPES)
            or isinstance(x, (ndarray, np.ndarray)) or hasattr(x, "__cuda_array_interface__"))


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    """``ndarray.__array_ufunc__``."""
    inout = inputs
    if "out" in kwargs:
        out = kwargs["out"]
        if len(out) != 1:
            raise ValueError("The 'out' parameter must have exactly one array value")
        inout += out
        kwargs["out"] = out[0]
    if method not in _METHODS:
        return NotImplemented
    name = ufunc.__name__
    func = getattr(cupy_module(), name, None)  # cupyx.scipy.special: not modelled
    if func is None:
        return NotImplemented
    if method != "__call__":
        func = getattr(func, method, None)
        if func is None:
            return NotImplemented
    if not all(_cupy_like(x) for x in inout):
        return NotImplemented
    if name in _COMPARISONS:
        inputs = tuple(x.item() if isinstance(x, np.ndarray) and x.ndim == 0 else x
                       for x in inputs)
    return func(*inputs, **kwargs)


def array_function(func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """``ndarray.__array_function__``."""
    try:
        module = functools.reduce(getattr, func.__module__.split(".")[1:], cupy_module())
        cupy_func = getattr(module, func.__name__)
    except AttributeError:
        return NotImplemented
    if cupy_func is func:  # a NumPy object CuPy re-exports: no CuPy implementation
        return NotImplemented
    if not all(issubclass(t, (ndarray, np.ndarray)) for t in types):
        return NotImplemented
    return cupy_func(*args, **kwargs)
