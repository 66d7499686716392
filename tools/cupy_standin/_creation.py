"""Where host data crosses to the device and back: ``array``, ``asarray``, ``asnumpy``, ...

CuPy's ``array`` (``cupy/_core/core.pyx``, ``_array_default``) copies host data over (one
host-to-device copy): a NumPy array, a nested list, a scalar. A CuPy array is copied on the
device (``array``) or returned as it is (``asarray`` when the dtype already matches). A list
that holds CuPy arrays is concatenated on the device (``_array_from_nested_cupy_sequence``);
mixing NumPy arrays into it raises CuPy's ``TypeError``. ``asnumpy`` copies to the host
(one device-to-host copy) and passes NumPy input through ``numpy.asarray``.

Example:
    >>> import numpy as np
    >>> x = asarray(np.arange(3))
    >>> type(x).__module__, asnumpy(x)
    ('cupy', array([0, 1, 2]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.cupy_standin import _stats
from tools.cupy_standin._array import ndarray, wrap

__all__ = ["array", "asanyarray", "asarray", "ascontiguousarray", "asfortranarray", "asnumpy",
           "from_host"]


def _holds_device_arrays(obj: Any) -> bool:
    if isinstance(obj, ndarray):
        return True
    return isinstance(obj, (list, tuple)) and any(_holds_device_arrays(v) for v in obj)


def _nested_device(obj: Any) -> Any:
    if isinstance(obj, ndarray):
        return obj._host
    if isinstance(obj, (list, tuple)):
        return [_nested_device(v) for v in obj]
    if isinstance(obj, np.ndarray) or not np.isscalar(obj):
        raise TypeError("Nested array has incorrect type "
                        f"(expected {ndarray}, got {type(obj)}).")
    return obj


def from_host(obj: Any, dtype: Any = None, order: Any = "K", ndmin: int = 0) -> ndarray:
    """A new device array from host data: one counted host-to-device copy."""
    host = np.array(obj, dtype=dtype, order=order, ndmin=ndmin, copy=True)
    if host.dtype.kind in "OUSMm":  # CuPy has no object, string or datetime arrays
        raise ValueError(f"Unsupported dtype {host.dtype}")
    _stats.record_h2d(host.nbytes)
    return wrap(host)


def array(obj: Any, dtype: Any = None, copy: Any = True, order: Any = "K",
          subok: bool = False, ndmin: int = 0, blocking: bool = False) -> ndarray:
    """``cupy.array``: copy host data over, or copy a device array on the device."""
    if isinstance(obj, ndarray):
        host = np.array(obj._host, dtype=dtype, copy=copy, order=order,
                        ndmin=ndmin)
        if host is obj._host:
            return obj
        if not np.shares_memory(host, obj._host):
            _stats.record_launch("copy")
        return wrap(host)
    if _holds_device_arrays(obj):
        _stats.record_launch("concatenate")
        return wrap(np.array(_nested_device(obj), dtype=dtype, order=order, ndmin=ndmin))
    if copy is False:
        raise ValueError("Unable to avoid copy while creating an array from given object.")
    return from_host(obj, dtype, order, ndmin)


def asarray(a: Any, dtype: Any = None, order: str | None = None, *,
            blocking: bool = False) -> ndarray:
    """``cupy.asarray``: ``array(a, dtype, copy=None)``."""
    return array(a, dtype, copy=None, order=order or "K", blocking=blocking)


def asanyarray(a: Any, dtype: Any = None, order: str | None = None) -> ndarray:
    """``cupy.asanyarray``: the same as :func:`asarray` (CuPy has no subclasses)."""
    return asarray(a, dtype, order)


def ascontiguousarray(a: Any, dtype: Any = None) -> ndarray:
    """``cupy.ascontiguousarray``: C order, a copy only where needed."""
    return array(a, dtype, copy=None, order="C")


def asfortranarray(a: Any, dtype: Any = None) -> ndarray:
    """``cupy.asfortranarray``: Fortran order, a copy only where needed."""
    return array(a, dtype, copy=None, order="F")


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None, *,
            blocking: bool = True) -> np.ndarray:
    """``cupy.asnumpy``: a device array copied to the host; host data as ``numpy.asarray``."""
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    result = np.asarray(a, order=order)  # type: ignore[call-overload]
    if out is not None:
        out[...] = result
        return out  # type: ignore[no-any-return]
    return result  # type: ignore[no-any-return]
