"""Indexing a stand-in array as CuPy does (``cupy/_core/_routines_indexing.pyx``).

``_prepare_slice_list`` converts every index that is a list, a tuple or a NumPy array (and a
boolean scalar) with ``core.array``: a host-to-device copy, which CuPy allows for indices.
A Python integer, a slice, ``None`` and ``...`` stay as they are; a NumPy array of another
dtype than integer or boolean raises ``IndexError``. Basic indexing returns a view (no
kernel), integer indexing down to no dimension a 0-d *view*, never a scalar. Advanced
indexing runs a kernel; a boolean mask first reads the number of selected elements back to
the host (a sync). Assignment (``_scatter_op``): with basic indexing a value that is not a
CuPy array goes through ``ndarray.fill``, so it must be a scalar (a NumPy array or a list
that is not 0-d is refused, CuPy gh-2079); with advanced indexing it is copied over with
``core.array``.

Example:
    >>> import numpy as np
    >>> from tools.cupy_standin._array import wrap
    >>> x = wrap(np.arange(6.0).reshape(2, 3))
    >>> x[1, 2].shape, x[np.array([1])].shape
    ((), (1, 3))
    >>> x[0] = np.ones(3)
    Traceback (most recent call last):
    ...
    ValueError: non-scalar numpy.ndarray cannot be used for fill
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.cupy_standin import _stats
from tools.cupy_standin._array import ndarray, wrap

__all__ = ["getitem", "host_index", "setitem"]


def _host_index_array(s: Any) -> np.ndarray:
    fix_empty = isinstance(s, (list, tuple))
    try:
        host = np.asarray(s)
    except ValueError:
        raise
    if host.dtype.kind not in "biu":
        if isinstance(s, np.ndarray) or host.size:
            raise IndexError("arrays used as indices must be of integer or boolean type "
                             f"(actual: {host.dtype.type})")
        if fix_empty:  # an empty list means no indices, not an empty mask
            host = host.astype(np.int32)
    _stats.record_h2d(host.nbytes)
    return host


def host_index(key: Any) -> tuple[Any, bool]:
    """NumPy's index for ``key`` and whether it is advanced (CuPy's ``_prepare_slice_list``)."""
    items = list(key) if isinstance(key, tuple) else [key]
    advanced = False
    for i, s in enumerate(items):
        if s is None or s is Ellipsis or isinstance(s, slice):
            continue
        if isinstance(s, ndarray):
            items[i] = s._host
            advanced = True
        elif isinstance(s, (bool, np.bool_)) or not np.isscalar(s):
            items[i] = _host_index_array(s)
            advanced = True
    return tuple(items), advanced


def _has_mask(index: tuple[Any, ...]) -> bool:
    return any(isinstance(s, np.ndarray) and s.dtype == bool for s in index)


def getitem(x: ndarray, key: Any) -> ndarray:
    """``x[key]``: a view for basic indexing, a new array (one launch) for advanced."""
    index, advanced = host_index(key)
    if not advanced:
        if Ellipsis not in index:
            index = (*index, Ellipsis)  # NumPy then returns a 0-d view, not a scalar
        return wrap(x._host[index])
    if _has_mask(index):
        _stats.record_d2h(8)  # the count of True elements decides the output size
    _stats.record_launch("getitem")
    return wrap(np.asarray(x._host[index]))


def setitem(x: ndarray, key: Any, value: Any) -> None:
    """``x[key] = value`` with CuPy's rules for ``value`` (see the module docstring)."""
    index, advanced = host_index(key)
    if isinstance(value, ndarray):
        host_value: Any = value._host
    elif advanced:
        host_value = np.asarray(value, dtype=x.dtype)
        if isinstance(value, (np.ndarray, list, tuple)):
            _stats.record_h2d(host_value.nbytes)
    else:
        host_value = np.asarray(value, dtype=x.dtype)
        if host_value.shape != ():
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
    if advanced and _has_mask(index):
        _stats.record_d2h(8)
    _stats.record_launch("scatter_update" if advanced else "copy")
    x._host[index] = host_value
