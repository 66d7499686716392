"""The operators and methods of the stand-in ``ndarray``, attached to the class on import.

Operators follow ``cupy/_core/core.pyx``: ``x + y`` with ``y`` a CuPy array calls CuPy's
ufunc; otherwise, if ``y`` opts out of NumPy's ufunc protocol (``__array_ufunc__ = None``, or
a higher ``__array_priority__`` without ``__array_ufunc__``: ``_should_use_rop``) it returns
``NotImplemented``; otherwise it calls ``numpy.add(x, y)``, which comes back through
``__array_ufunc__`` to CuPy's ufunc and so refuses a NumPy operand. The reflected operators
call CuPy's ufunc directly, and the in-place ones write into ``self`` (``out=self``).

Example:
    >>> import numpy as np
    >>> from tools.cupy_standin._array import wrap
    >>> x = wrap(np.arange(3.0))
    >>> (2 * x + 1).get()
    array([1., 3., 5.])
    >>> np.ones(3) + x
    Traceback (most recent call last):
    ...
    TypeError: Unsupported type <class 'numpy.ndarray'>
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tools.cupy_standin import _stats
from tools.cupy_standin._array import ndarray, record_unless_view, unwrap, wrap_result

__all__: list[str] = []

_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "lshift": "left_shift",
    "rshift": "right_shift", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "divmod": "divmod", "matmul": "matmul",
}
_COMPARISONS = {"lt": "less", "le": "less_equal", "eq": "equal", "ne": "not_equal",
                "gt": "greater", "ge": "greater_equal"}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}


def _cupy(name: str) -> Any:
    from tools.cupy_standin._module import cupy_module

    return getattr(cupy_module(), name)


def _should_use_rop(x: Any, y: Any) -> bool:
    # cupy/_core/core.pyx _should_use_rop: NEP 13, with CuPy's __array_priority__ fallback.
    y_ufunc = getattr(y, "__array_ufunc__", _should_use_rop)
    if y_ufunc is not _should_use_rop:
        return y_ufunc is None
    return bool(getattr(x, "__array_priority__", 0) < getattr(y, "__array_priority__", 0))


def _binary(name: str) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    def op(self: ndarray, other: Any) -> Any:
        if isinstance(other, ndarray):
            return _cupy(name)(self, other)
        if _should_use_rop(self, other):
            return NotImplemented
        return getattr(np, name)(self, other)

    def rop(self: ndarray, other: Any) -> Any:
        return _cupy(name)(other, self)

    def iop(self: ndarray, other: Any) -> Any:
        return _cupy(name)(self, other, out=self)

    return op, rop, iop


def _comparison(name: str) -> Callable[..., Any]:
    def op(self: ndarray, other: Any) -> Any:
        if isinstance(other, ndarray):
            return _cupy(name)(self, other)
        if _should_use_rop(self, other):
            return NotImplemented
        if isinstance(other, np.ndarray) and other.ndim == 0:
            other = other.item()  # CuPy's workaround for old NumPy: a 0-d host array is let in
        if name in ("equal", "not_equal") and (other is None or (
                type(other).__eq__ is object.__eq__ and type(other).__ne__ is object.__ne__)):
            # an object that cannot equal an element: all False (ne: all True), no error
            return _cupy("zeros" if name == "equal" else "ones")(self.shape, dtype=bool)
        return getattr(np, name)(self, other)

    return op


def _unary(name: str) -> Callable[..., Any]:
    def op(self: ndarray) -> Any:
        return _cupy(name)(self)

    return op


for _dunder, _name in _OPERATORS.items():
    _op, _rop, _iop = _binary(_name)
    setattr(ndarray, f"__{_dunder}__", _op)
    setattr(ndarray, f"__r{_dunder}__", _rop)
    if _dunder not in ("divmod", "matmul"):
        setattr(ndarray, f"__i{_dunder}__", _iop)
for _dunder, _name in _COMPARISONS.items():
    setattr(ndarray, f"__{_dunder}__", _comparison(_name))
for _dunder, _name in _UNARY.items():
    setattr(ndarray, f"__{_dunder}__", _unary(_name))


def _host_method(name: str, *, host_indices: bool = False,
                 syncs: bool = False) -> Callable[..., Any]:
    """A method computed by NumPy's method of the same name on ``_host``.

    ``host_indices``: CuPy runs ``core.array`` on the first argument (take, put), so a host
    array is accepted there and copied over. ``syncs``: the output size depends on the data,
    so CuPy reads a count back to the host first (nonzero).
    """

    def method(self: ndarray, *args: Any, **kwargs: Any) -> Any:
        if host_indices and args and isinstance(args[0], (np.ndarray, list)):
            first = np.asarray(args[0])
            _stats.record_h2d(first.nbytes)
            args = (first, *unwrap(args[1:]))
        else:
            args = unwrap(args)
        inputs = {id(self._host): self}
        out = kwargs.get("out")
        if isinstance(out, ndarray):
            inputs[id(out._host)] = out
        kwargs = unwrap(kwargs)
        if syncs:
            _stats.record_d2h(8)
        host_fn = getattr(self._host, name, None)
        result = host_fn(*args, **kwargs) if host_fn is not None else getattr(np, name)(
            self._host, *args, **kwargs)
        record_unless_view(name, result, [self._host, args])
        if result is None:  # in-place methods (sort, fill, put, partition)
            _stats.record_launch(name)
            return None
        return wrap_result(result, inputs)

    method.__name__ = name
    method.__doc__ = f"cupy.ndarray.{name} (stand-in): NumPy's {name} on the host."
    return method


_PLAIN_METHODS = [
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "choose", "clip", "compress",
    "conj", "conjugate", "cumprod", "cumsum", "diagonal", "dot", "max", "mean", "min",
    "partition", "prod", "ptp", "ravel", "repeat", "round", "searchsorted", "sort", "squeeze",
    "std", "sum", "swapaxes", "trace", "transpose", "var", "flatten", "view", "byteswap",
]
for _name in _PLAIN_METHODS:
    setattr(ndarray, _name, _host_method(_name))
ndarray.take = _host_method("take", host_indices=True)  # type: ignore[attr-defined]
ndarray.put = _host_method("put", host_indices=True)  # type: ignore[attr-defined]
ndarray.nonzero = _host_method("nonzero", syncs=True)  # type: ignore[attr-defined]


def _reshape(self: ndarray, *shape: Any, order: str = "C", copy: Any = None) -> ndarray:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    result = self._host.reshape(shape, order=order, copy=copy)  # type: ignore[call-overload]
    record_unless_view("reshape", result, self._host)
    return wrap_result(result)  # type: ignore[no-any-return]


def _astype(self: ndarray, dtype: Any, order: Any = "K", casting: Any = None,
            subok: Any = None, copy: bool = True) -> ndarray:
    result = self._host.astype(dtype, order=order, copy=copy)
    record_unless_view("astype", result, self._host)
    return self if result is self._host else wrap_result(result)  # type: ignore[no-any-return]


def _copy(self: ndarray, order: str = "C") -> ndarray:
    _stats.record_launch("copy")
    return wrap_result(self._host.copy(order=order))  # type: ignore[arg-type,no-any-return]


def _fill(self: ndarray, value: Any) -> None:
    # cupy/_core/core.pyx ndarray.fill: a CuPy array must be 0-d; anything else goes through
    # numpy.asarray and must be 0-d too (a host scalar is a kernel argument, not a copy).
    if isinstance(value, ndarray):
        if value.shape != ():
            raise ValueError("non-scalar cupy.ndarray cannot be used for fill")
        value = value._host
    else:
        value = np.asarray(value, dtype=self.dtype)
        if value.shape != ():
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
    _stats.record_launch("fill")
    self._host.fill(value)


def _scatter(op: str) -> Callable[..., None]:
    def method(self: ndarray, slices: Any, value: Any) -> None:
        _cupy(op).at(self, slices, value)

    return method


ndarray.reshape = _reshape  # type: ignore[attr-defined]
ndarray.astype = _astype  # type: ignore[attr-defined]
ndarray.copy = _copy  # type: ignore[attr-defined]
ndarray.fill = _fill  # type: ignore[attr-defined]
ndarray.scatter_add = _scatter("add")  # type: ignore[attr-defined]
ndarray.scatter_max = _scatter("maximum")  # type: ignore[attr-defined]
ndarray.scatter_min = _scatter("minimum")  # type: ignore[attr-defined]
