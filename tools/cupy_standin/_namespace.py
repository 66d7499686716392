"""The stand-in's ``cupy`` namespace, generated from NumPy and cut to CuPy 14.2's names.

``cupy_names.json`` lists every public name of real CuPy 14.2 (``dir(cupy)``, ``cupy.linalg``,
``cupy.fft``, ``cupy.random``, its ufuncs and ``cupy.ndarray``'s attributes), taken from the
real package with ``cupy.__version__ == "14.2.0"`` and NumPy 2.4. A name listed there and
present in NumPy is built from NumPy's function: arguments are unwrapped (stand-in arrays to
their host memory, also inside lists, tuples and ``out=``), a NumPy array argument raises
CuPy's ``TypeError``, NumPy computes, and every array or NumPy scalar in the result comes back
as a stand-in array. Names CuPy re-exports from NumPy (dtypes, ``finfo``, ``promote_types``,
...) are NumPy's own objects, as in CuPy. A name CuPy lacks raises ``AttributeError`` as
CuPy's module does; a CuPy name the stand-in does not model says so in its error.

CuPy's reductions that end in ``a.sum(...)`` call the first argument's own method, as
CuPy does: a list has none (``AttributeError``), a NumPy array computes on the host.

Not faithful: a Python list where CuPy wants an array is accepted by the stand-in's other
non-ufunc functions (NumPy converts it) where CuPy may raise; CuPy's ufuncs (and so the
stand-in's) do refuse it.

Example:
    >>> import numpy as np
    >>> from tools.cupy_standin._array import wrap
    >>> s = function("sum", np.sum)(wrap(np.arange(4.0)))
    >>> type(s).__module__, s.shape, float(s)
    ('cupy', (), 6.0)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from tools.cupy_standin import _stats
from tools.cupy_standin._array import ndarray, record_unless_view, unwrap, wrap, wrap_result

__all__ = ["function", "stand_ins"]

# Allocate without a kernel.
_NO_LAUNCH = {"empty", "empty_like"}
# The output size depends on the data: CuPy reads a count back to the host first.
_SYNCS = {"nonzero", "argwhere", "flatnonzero", "unique", "unique_values", "unique_counts",
          "unique_inverse", "unique_all", "extract", "compress", "trim_zeros"}
# Read host data (a file, a buffer, an iterator) into a new device array.
_FROM_HOST = {"frombuffer", "fromfile", "fromiter", "fromstring", "loadtxt", "genfromtxt",
              "load"}
# CuPy's sum, prod, amax, ... end in `return a.sum(...)` (cupy/_math/sumprod.py,
# _statistics/order.py, meanvar.py, _sorting/search.py): a first argument that is not a CuPy
# array answers with its own method (a NumPy array computes on the host, a list has none).
_METHOD_OF = {"sum": "sum", "prod": "prod", "amax": "max", "max": "max", "amin": "min",
              "min": "min", "mean": "mean", "var": "var", "std": "std", "argmax": "argmax",
              "argmin": "argmin"}
# NumPy returns a Python bool or int; CuPy a 0-d array (cupy/_logic/comparison.py, ...).
_ARRAY_RESULT = {"allclose", "array_equal", "array_equiv", "count_nonzero"}


def stand_ins(x: Any) -> list[ndarray]:
    """Every stand-in array in ``x`` (through lists, tuples and dicts)."""
    if isinstance(x, ndarray):
        return [x]
    if isinstance(x, (list, tuple)):
        return [a for v in x for a in stand_ins(v)]
    if isinstance(x, dict):
        return [a for v in x.values() for a in stand_ins(v)]
    return []


def function(name: str, impl: Callable[..., Any]) -> Callable[..., Any]:
    """``cupy.<name>`` computed by ``impl`` (NumPy's function) on the host."""

    @functools.wraps(impl)
    def call(*args: Any, **kwargs: Any) -> Any:
        if name in _METHOD_OF and args and not isinstance(args[0], ndarray):
            return getattr(args[0], _METHOD_OF[name])(*args[1:], **kwargs)
        inputs = {id(a._host): a for a in stand_ins((args, kwargs))}
        hosts, host_kwargs = unwrap(args), unwrap(kwargs)
        if name in _SYNCS or (name == "where" and len(args) == 1):
            _stats.record_d2h(8)
        result = impl(*hosts, **host_kwargs)
        if name in _FROM_HOST:
            _stats.record_h2d(np.asarray(result).nbytes)
        elif name not in _NO_LAUNCH:
            record_unless_view(name, result, (hosts, host_kwargs))
        if name in _ARRAY_RESULT and not isinstance(result, (np.ndarray, np.generic)):
            return wrap(np.asarray(result))
        return wrap_result(result, inputs)

    call.__module__ = "cupy"
    call.__doc__ = f"cupy.{name} (stand-in): NumPy's {getattr(impl, '__name__', name)} " \
        "on the host."
    return call


def _in1d(ar1: Any, ar2: Any, assume_unique: bool = False, invert: bool = False) -> Any:
    return np.isin(ar1, ar2, assume_unique=assume_unique, invert=invert).ravel()


def _msort(a: Any) -> Any:
    return np.sort(a, axis=0)


def _asfarray(a: Any, dtype: Any = np.float64) -> Any:
    dtype = np.dtype(dtype)
    return np.asarray(a, dtype=dtype if dtype.kind in "fc" else np.float64)


# CuPy names whose NumPy function has another name (or left NumPy in 2.0).
ALIASES: dict[str, Callable[..., Any]] = {
    "alltrue": np.all, "sometrue": np.any, "cumproduct": np.cumprod, "product": np.prod,
    "round_": np.round, "trapz": np.trapezoid, "in1d": _in1d, "msort": _msort,
    "asfarray": _asfarray,
}
# CuPy types and constants whose NumPy object moved or was removed in NumPy 2.
CONSTANTS: dict[str, Any] = {
    "AxisError": np.exceptions.AxisError, "ComplexWarning": np.exceptions.ComplexWarning,
    "ModuleDeprecationWarning": np.exceptions.ModuleDeprecationWarning,
    "RankWarning": np.exceptions.RankWarning, "TooHardError": np.exceptions.TooHardError,
    "VisibleDeprecationWarning": np.exceptions.VisibleDeprecationWarning,
    "float_": np.float64, "complex_": np.complex128, "cfloat": np.complex128,
    "singlecomplex": np.complex64, "Inf": float("inf"), "Infinity": float("inf"),
    "PINF": float("inf"), "infty": float("inf"), "NINF": float("-inf"), "NaN": float("nan"),
    "NAN": float("nan"), "PZERO": 0.0, "NZERO": -0.0,
}
