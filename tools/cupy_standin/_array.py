"""The stand-in ``cupy.ndarray``: device memory is a NumPy array held in ``_host``.

It is its own type (not a NumPy subclass), and its module reads ``cupy`` so that code that
recognises CuPy arrays by ``type(x).__module__`` sees one. What CuPy refuses it refuses:
implicit conversion to NumPy (``__array__``), NumPy arrays as operands, scalars from
indexing (a 0-d array comes back instead). Views share ``_host`` memory as CuPy views share
device memory. The conversions between stand-in and host values live here:
:func:`wrap`, :func:`unwrap` and :func:`wrap_result`.

Example:
    >>> import numpy as np
    >>> x = wrap(np.arange(3.0))
    >>> type(x[0]).__name__, x[0].shape
    ('ndarray', ())
    >>> np.asarray(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Implicit conversion to a NumPy array is not allowed. Please use `.get()` ...
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tools.cupy_standin import _stats
from tools.cupy_standin._memory import get_default_memory_pool

__all__ = ["ndarray", "record_unless_view", "unwrap", "wrap", "wrap_result"]

# numpy scalars and Python scalars: what CuPy's kernels take as scalar arguments
# (cupy/_core/_scalar.pyx: scalar_type_set = _python_scalar_type_set | _numpy_scalar_type_set).
SCALAR_TYPES = (bool, int, float, complex, np.generic)


def _root(a: np.ndarray) -> np.ndarray:
    """The NumPy array that owns the memory ``a`` views (the device allocation)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def wrap(a: np.ndarray) -> ndarray:
    """A stand-in array over ``a`` without copying (``a`` becomes its device memory)."""
    out = ndarray.__new__(ndarray)
    out._host = a
    get_default_memory_pool()._track(_root(a))
    return out


def unsupported(x: Any) -> TypeError:
    """CuPy's error for a kernel argument that is neither a CuPy array nor a scalar."""
    return TypeError(f"Unsupported type {type(x)}")


def unwrap(x: Any, *, lists: bool = True) -> Any:
    """The host value behind ``x`` for NumPy to compute on, refusing NumPy arrays.

    Stand-in arrays (also inside lists, tuples and dicts) become their ``_host``; a
    ``numpy.ndarray`` raises CuPy's ``TypeError`` (a real GPU run cannot read host memory).
    """
    if isinstance(x, ndarray):
        return x._host
    if isinstance(x, np.ndarray):
        raise unsupported(x)
    if lists and isinstance(x, (list, tuple)):
        items = [unwrap(v) for v in x]
        return items if isinstance(x, list) else type(x)(*items) if hasattr(x, "_fields") \
            else tuple(items)
    if lists and isinstance(x, dict):
        return {k: unwrap(v) for k, v in x.items()}
    return x


def wrap_result(r: Any, inputs: dict[int, ndarray] | None = None) -> Any:
    """Stand-in arrays for every NumPy array or NumPy scalar in ``r`` (CuPy has no scalars).

    ``inputs`` maps ``id(host)`` to the stand-in that owns it, so a result that *is* an input
    (``out=``, in-place methods) comes back as the same stand-in object, as in CuPy.
    """
    if isinstance(r, np.ndarray):
        if inputs is not None and id(r) in inputs:
            return inputs[id(r)]
        return wrap(r)
    if isinstance(r, np.generic):
        return wrap(np.asarray(r))
    if isinstance(r, tuple):
        items = [wrap_result(v, inputs) for v in r]
        return type(r)(*items) if hasattr(r, "_fields") else tuple(items)
    if isinstance(r, list):
        return [wrap_result(v, inputs) for v in r]
    return r


def _host_arrays(x: Any) -> list[np.ndarray]:
    if isinstance(x, np.ndarray):
        return [x]
    if isinstance(x, (list, tuple)):
        return [a for v in x for a in _host_arrays(v)]
    if isinstance(x, dict):
        return [a for v in x.values() for a in _host_arrays(v)]
    return []


def record_unless_view(name: str, result: Any, hosts: Any) -> None:
    """Count a launch of ``name`` unless every array in ``result`` views memory of ``hosts``.

    Views (reshape, transpose, basic slices) only make a new header in CuPy: no kernel.
    A NumPy scalar result is a fresh one-element device array in CuPy: a kernel wrote it.
    """
    outs = _host_arrays(result) + [np.asarray(v) for v in _flat_generic(result)]
    if not outs:
        return
    roots = {id(_root(h)) for h in _host_arrays(hosts)}
    if any(id(_root(o)) not in roots for o in outs):
        _stats.record_launch(name)


def _flat_generic(x: Any) -> list[np.generic]:
    if isinstance(x, np.generic):
        return [x]
    if isinstance(x, (list, tuple)):
        return [g for v in x for g in _flat_generic(v)]
    return []


class ndarray:
    """``cupy.ndarray`` on the host; construct with ``cupy.ndarray(shape, dtype)`` like CuPy."""

    __slots__ = ("__weakref__", "_host")
    __module__ = "cupy"
    __array_priority__ = 100  # cupy.ndarray.__array_priority__
    _host: np.ndarray

    def __init__(self, shape: Any, dtype: Any = float, memptr: Any = None,
                 strides: Any = None, order: Any = "C") -> None:
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy stand-in does not model memptr/strides")
        self._host = np.empty(shape, dtype, order=order)  # uninitialised, like CuPy
        get_default_memory_pool()._track(self._host)

    # -- what CuPy refuses -------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # cupy/_core/core.pyx, ndarray.__array__: the exact message.
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from tools.cupy_standin._ufuncs import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        from tools.cupy_standin._ufuncs import array_function

        return array_function(func, types, args, kwargs)

    # -- attributes ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._host.shape

    @shape.setter
    def shape(self, value: Any) -> None:
        self._host.shape = value

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._host.dtype

    @property
    def ndim(self) -> int:
        return self._host.ndim

    @property
    def size(self) -> int:
        return self._host.size

    @property
    def nbytes(self) -> int:
        return self._host.nbytes

    @property
    def itemsize(self) -> int:
        return self._host.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        return self._host.strides

    @property
    def flags(self) -> Any:
        return self._host.flags

    @property
    def T(self) -> ndarray:
        return wrap(self._host.T)

    @property
    def mT(self) -> ndarray:
        return wrap(self._host.mT)

    @property
    def base(self) -> ndarray | None:
        base = self._host.base
        return wrap(_root(self._host)) if isinstance(base, np.ndarray) else None

    @property
    def real(self) -> ndarray:
        return wrap(self._host.real)

    @property
    def imag(self) -> ndarray:
        return wrap(self._host.imag)

    @property
    def device(self) -> Any:
        from tools.cupy_standin._runtime import Device

        return Device(0)

    @property
    def data(self) -> Any:
        from tools.cupy_standin._runtime import MemoryPointer

        return MemoryPointer(self._host)

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        host = self._host
        return {
            "shape": host.shape,
            "typestr": host.dtype.str,
            "descr": host.dtype.descr,
            "data": (host.ctypes.data, False),
            "strides": None if host.flags.c_contiguous else host.strides,
            "version": 3,
            "stream": 1,
        }

    # -- device to host: every one is a sync, counted ---------------------------------
    def get(self, stream: Any = None, order: Any = "C", out: Any = None,
            blocking: bool = True) -> np.ndarray:
        """Copy to a new NumPy array (or into ``out``): one device-to-host copy."""
        _stats.record_d2h(self.nbytes)
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            np.copyto(out, self._host)
            return out
        return np.array(self._host, order=order, copy=True)

    def set(self, arr: Any, stream: Any = None) -> None:
        """Copy the NumPy array ``arr`` into this array: one host-to-device copy."""
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self.shape}, new shape: {arr.shape}")
        if arr.dtype != self.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self.dtype} array")
        _stats.record_h2d(arr.nbytes)
        np.copyto(self._host, arr)

    def item(self) -> Any:
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self.get().item()

    def tolist(self) -> Any:
        return self.get().tolist()

    def tobytes(self, order: Any = "C") -> bytes:
        return self.get().tobytes(order)

    def __int__(self) -> int:
        return int(self.get())

    def __float__(self) -> float:
        return float(self.get())

    def __complex__(self) -> complex:
        return complex(self.get())

    def __bool__(self) -> bool:
        if self.size == 1:
            return bool(self.get())
        if self.size == 0:
            # CuPy 14.2 still warns and answers False (NumPy 2 raises ValueError)
            warnings.warn("The truth value of an empty array is ambiguous. Returning False, "
                          "but in future this will result in an error. Use `array.size > 0` "
                          "to check that an array is not empty.", DeprecationWarning,
                          stacklevel=2)
            return False
        raise ValueError("The truth value of an array with more than one element is "
                         "ambiguous. Use a.any() or a.all()")

    def __repr__(self) -> str:
        return repr(self.get())

    def __str__(self) -> str:
        return str(self.get())

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)

    def __reduce__(self) -> Any:
        from tools.cupy_standin._creation import array

        return array, (self.get(),)

    # -- containers ---------------------------------------------------------------------
    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, key: Any) -> ndarray:
        from tools.cupy_standin._indexing import getitem

        return getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        from tools.cupy_standin._indexing import setitem

        setitem(self, key, value)

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> ndarray:
        return self.copy()  # type: ignore[attr-defined,no-any-return]

    def __deepcopy__(self, memo: Any) -> ndarray:
        return self.copy()  # type: ignore[attr-defined,no-any-return]


# Operators and methods are attached by tools.cupy_standin._methods (kept in its own file).
