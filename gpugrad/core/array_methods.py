"""The array face of a tracer: operators, attributes and methods, all through gpugrad.numpy.

Inside a transformation the user's function sees tracers where it was given arrays; these
methods make them behave like NumPy arrays. ``bool()`` reads the concrete value (tracing is
eager), so Python control flow on values works. Taking a number out of a floating tracer
(``float()``, ``x.item()``, ``math.sin(x)``, ``np.asarray(x)``...) would drop its derivative
and raises instead (see ``concrete.py``); integer and bool tracers convert freely.

NumPy's own functions given a tracer (``np.sin(x)``, ``np.sum(x)``) call ``__array_ufunc__``
or ``__array_function__``; those hand the call to gpugrad.numpy's dispatch, which registers
itself here on import (``register_numpy_dispatch``), so that the core imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from gpugrad.core.concrete import ConcretizationError, convertible, index_value
from gpugrad.core.traced import Traced, raw_value

# NumPy's own indexing (table[i] with a NumPy table) reads the index's value; gpugrad's does not.
_INDEXING_HINT = ("If this came from indexing a NumPy array with a traced index (table[i]), "
                  "index with gpugrad instead: gpugrad.numpy.getitem(table, i) or "
                  "gpugrad.numpy.take(table, i, axis=0)")

_gnp: ModuleType | None = None


def _np() -> ModuleType:
    """The module whose functions the operators call: gpugrad.numpy, registered on its import
    (the core sits below it and does not import it)."""
    if _gnp is None:
        raise RuntimeError("an operator was used on a tracer before gpugrad.numpy registered "
                           "its functions with the core; import gpugrad first")
    return _gnp


class _Functions(dict[str, Callable[..., Any]]):
    """gpugrad.numpy's functions by name, each looked up on its first use: the operators call
    them through this table, one dict lookup per call."""

    def __missing__(self, name: str) -> Callable[..., Any]:
        function = self[name] = getattr(_np(), name)
        return function


_functions = _Functions()


UfuncHandler = Callable[[Any, str, tuple[Any, ...], dict[str, Any]], Any]
FunctionHandler = Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]


class _Dispatch:
    """Where NumPy's calls on tracers go: set by gpugrad.numpy (see register_numpy_dispatch)."""

    __slots__ = ("function", "ufunc", "ufuncs")

    def __init__(self) -> None:
        self.ufunc: UfuncHandler | None = None
        self.function: FunctionHandler | None = None
        self.ufuncs: dict[Any, Callable[..., Any]] = {}  # plain calls: ufunc -> function


_dispatch = _Dispatch()


def register_numpy_dispatch(ufunc: UfuncHandler, function: FunctionHandler,
                            ufuncs: dict[Any, Callable[..., Any]], namespace: ModuleType) -> None:
    """Install the handlers of NumPy ufuncs ``(ufunc, method, inputs, kwargs)`` and NumPy
    functions ``(func, args, kwargs)`` called on tracers (gpugrad.numpy does, on import),
    the table of plain ufunc calls, which ``__array_ufunc__`` looks up itself, and the module
    whose functions the operators and methods call (``x + y`` is ``namespace.add(x, y)``)."""
    global _gnp
    _dispatch.ufunc, _dispatch.function, _dispatch.ufuncs = ufunc, function, ufuncs
    _gnp = namespace
    _functions.clear()


def _operator(name: str) -> Callable[[Any, Any], Any]:
    """The operator method that calls gpugrad.numpy's function ``name`` on ``(self, other)``."""
    def method(self: Any, other: Any) -> Any:
        return _functions[name](self, other)

    return method


def _reflected(name: str) -> Callable[[Any, Any], Any]:
    """The reflected operator method, which calls ``name`` on ``(other, self)``: Python calls
    ``x.__rsub__(y)`` for ``y - x`` where ``y`` is not an array."""
    def method(self: Any, other: Any) -> Any:
        return _functions[name](other, self)

    return method


class ArrayMethods(Traced):
    """Mixin giving tracers NumPy's operators and methods."""

    __slots__ = ()

    @property
    def shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def ndim(self) -> int:
        raise NotImplementedError

    # Arithmetic: ``x - y`` is gpugrad.numpy's subtract(x, y); ``y - x`` is subtract(y, x).
    __add__, __radd__ = _operator("add"), _reflected("add")
    __sub__, __rsub__ = _operator("subtract"), _reflected("subtract")
    __mul__, __rmul__ = _operator("multiply"), _reflected("multiply")
    __truediv__, __rtruediv__ = _operator("true_divide"), _reflected("true_divide")
    __floordiv__, __rfloordiv__ = _operator("floor_divide"), _reflected("floor_divide")
    __mod__, __rmod__ = _operator("remainder"), _reflected("remainder")
    __pow__, __rpow__ = _operator("power"), _reflected("power")
    __matmul__, __rmatmul__ = _operator("matmul"), _reflected("matmul")

    def __neg__(self) -> Any:
        return _np().negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _np().abs(self)

    # Comparisons (no derivative) and logic. Python reflects a comparison by swapping it
    # (``2 < x`` calls ``x.__gt__(2)``), so these need no reflected forms.
    __eq__ = _operator("equal")  # type: ignore[assignment]
    __ne__ = _operator("not_equal")  # type: ignore[assignment]
    __lt__ = _operator("less")
    __le__ = _operator("less_equal")
    __gt__ = _operator("greater")
    __ge__ = _operator("greater_equal")
    __and__ = _operator("logical_and")
    __or__ = _operator("logical_or")

    def __invert__(self) -> Any:
        return _np().logical_not(self)

    __hash__ = None  # type: ignore[assignment]  # arrays are unhashable

    # Concrete values (eager tracing: these read the value being traced). Only bool() reads
    # any tracer; the conversions to numbers refuse floating ones (concrete.py).
    def __bool__(self) -> bool:
        return bool(raw_value(self))

    def __float__(self) -> float:
        return float(convertible(self, "float(x) (which math.exp(x) and the like call)"))

    def __int__(self) -> int:
        return int(convertible(self, "int(x)"))

    def __trunc__(self) -> int:
        return int(convertible(self, "math.trunc(x)"))

    def __round__(self, ndigits: int | None = None) -> Any:
        # As JAX: Python's round() of a traced value is gpugrad.numpy.round, an array with a
        # zero derivative, not a number taken out of the tracer.
        return _np().round(self, ndigits or 0)

    def __index__(self) -> int:
        try:
            return index_value(self)
        except ConcretizationError as e:
            raise ConcretizationError(f"{e}. {_INDEXING_HINT}") from None

    def __complex__(self) -> complex:
        return complex(convertible(self, "complex(x)"))

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        try:
            value = convertible(self, "np.asarray(x) (converting to a NumPy array, as indexing "
                                      "a NumPy array with x or storing x into one also does)")
        except ConcretizationError as e:
            raise ConcretizationError(f"{e}. {_INDEXING_HINT}") from None
        return np.array(value, dtype=dtype, copy=True) if copy else np.asarray(value, dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:  # `ndarray * x`, np.sin(x): one lookup
            target = _dispatch.ufuncs.get(ufunc)
            if target is not None:
                return target(*inputs)
        if _dispatch.ufunc is None:
            _np()  # raises: gpugrad.numpy has not registered its dispatch
        return _dispatch.ufunc(ufunc, method, inputs, kwargs)  # type: ignore[misc]

    def __array_function__(self, func: Any, types: Any, args: tuple[Any, ...],
                           kwargs: dict[str, Any]) -> Any:
        if _dispatch.function is None:
            _np()  # raises, as above
        return _dispatch.function(func, args, kwargs)  # type: ignore[misc]

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self) -> Any:
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index: Any) -> Any:
        return _np().getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "arrays being traced are immutable: instead of x[idx] = y use "
            "x = x.at[idx].set(y)"
        )

    def __repr__(self) -> str:
        return f"Traced<{raw_value(self)!r}>"

    def __str__(self) -> str:
        return str(raw_value(self))

    def __format__(self, spec: str) -> str:
        return format(raw_value(self), spec)

    # Attributes and methods.
    @property
    def T(self) -> Any:
        return _np().transpose(self)

    @property
    def mT(self) -> Any:
        return _np().swapaxes(self, -1, -2)

    @property
    def at(self) -> Any:
        return _np().IndexUpdateHelper(self)

    @property
    def real(self) -> Any:
        return _np().real(self)

    @property
    def imag(self) -> Any:
        return _np().imag(self)

    def conj(self) -> Any:
        return _np().conj(self)

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _np().reshape(self, shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _np().transpose(self, axes or None)

    def swapaxes(self, a: int, b: int) -> Any:
        return _np().swapaxes(self, a, b)

    def ravel(self) -> Any:
        return _np().ravel(self)

    def flatten(self) -> Any:
        return _np().ravel(self)

    def squeeze(self, axis: Any = None) -> Any:
        return _np().squeeze(self, axis)

    def astype(self, dtype: Any) -> Any:
        return _np().astype(self, dtype)

    def sum(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        return _np().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        return _np().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().min(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return _np().var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return _np().std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def argmax(self, axis: Any = None) -> Any:
        return _np().argmax(self, axis=axis)

    def argmin(self, axis: Any = None) -> Any:
        return _np().argmin(self, axis=axis)

    def any(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().any(self, axis=axis, keepdims=keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().all(self, axis=axis, keepdims=keepdims)

    def clip(self, min: Any = None, max: Any = None) -> Any:
        return _np().clip(self, min, max)

    def dot(self, other: Any) -> Any:
        return _np().dot(self, other)

    def cumsum(self, axis: Any = None) -> Any:
        return _np().cumsum(self, axis=axis)

    def item(self, *args: Any) -> Any:
        return convertible(self, "x.item()").item(*args)

    def tolist(self) -> Any:
        return convertible(self, "x.tolist()").tolist()
