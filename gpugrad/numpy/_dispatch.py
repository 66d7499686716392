"""NumPy's own functions applied to tracers run gpugrad.numpy's: existing NumPy code
differentiates unchanged.

NumPy hands a call that has a tracer among its arguments to the tracer's ``__array_ufunc__``
(``np.sin(x)``, ``ndarray * x``, ``np.add.reduce(x)``) or ``__array_function__``
(``np.sum(x)``, ``np.linalg.norm(x)``, ``np.fft.fft(x)``); the core forwards both here (see
``gpugrad.core.array_methods.register_numpy_dispatch``). Each NumPy object is looked up, by
identity, in tables built once from gpugrad.numpy's names, and the gpugrad.numpy function of
the same name runs instead, so the result stays differentiable. A NumPy function without a
gpugrad counterpart, and anything that would write into an array (``out=``, ``a += x`` with a
NumPy array ``a``, ``np.add.at``), is a ``TypeError`` that says what to write instead.

Example:
    >>> gpugrad.grad(lambda x: np.sum(np.sin(x) * 2.0))(np.zeros(2))
    array([2., 2.])
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.core.array_methods import register_numpy_dispatch
from gpugrad.core.concrete import carries_derivative, concrete_value
from gpugrad.core.trace import Tracer

__all__ = ["install"]

# gpugrad.numpy itself, whose functions the ufunc methods call: handed over by its __init__
# (``install``), which imports this module.
_gnp: Any = None
_UFUNCS: dict[np.ufunc, Callable[..., Any]] = {}
_FUNCTIONS: dict[Any, Callable[..., Any]] = {}

# The ufunc methods with a gpugrad.numpy equivalent, by ufunc name.
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
           "logical_and": "all", "logical_or": "any"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}
# NumPy's order of the positional arguments after the array (it may pass them either way).
_REDUCE_PARAMS = ("axis", "dtype", "out", "keepdims", "initial", "where")
_ACCUMULATE_PARAMS = ("axis", "dtype", "out")

_WAY_OUT = ("write it with gpugrad.numpy functions (docs/coverage.md lists them), or call it "
            "on gpugrad.stop_gradient(x) to use the value without a derivative")


def _build(gnp: ModuleType) -> None:
    """Map each NumPy function and ufunc to the gpugrad.numpy function of the same name."""
    for theirs_module, ours_module, names in (
        (np, gnp, [n for n in vars(gnp) if not n.startswith("_")]),
        (np.linalg, gnp.linalg, gnp.linalg.__all__),
        (np.fft, gnp.fft, gnp.fft.__all__),
    ):
        for name in names:
            theirs, ours = getattr(theirs_module, name, None), getattr(ours_module, name)
            if (theirs is None or theirs is ours or not callable(ours)
                    or isinstance(ours, (type, ModuleType)) or isinstance(theirs, type)):
                continue  # not a function of both (a dtype, a constant, a NumPy re-export)
            if isinstance(theirs, np.ufunc):
                _UFUNCS[theirs] = ours
            elif callable(theirs):
                _FUNCTIONS[theirs] = ours
    # Functions that only read the dtype: NumPy's own code does, given dtypes for tracers.
    _FUNCTIONS[np.result_type] = lambda *args: np.result_type(*map(_dtype_of_tracer, args))
    _FUNCTIONS[np.iscomplexobj] = lambda x: _dtype_of_tracer(x).kind == "c"
    _FUNCTIONS[np.isrealobj] = lambda x: _dtype_of_tracer(x).kind != "c"


def _dtype_of_tracer(x: Any) -> Any:
    return x.dtype if isinstance(x, Tracer) else np.result_type(x)


def _name(func: Any) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module}.{getattr(func, '__name__', repr(func))}"


def _no_out(name: str, out: Any) -> None:
    if out is None or (isinstance(out, tuple) and all(o is None for o in out)):
        return
    raise TypeError(
        f"{name} was given out=, which would write a traced value into an existing array, "
        "and an array cannot hold its derivative. Use the returned value instead: "
        "`a = a + x`, not `a += x` or np.add(a, x, out=a), when a is a NumPy array and x a "
        "traced value (or use x.at[idx].set(...) to update part of a traced array)"
    )


def _unsupported(name: str, options: dict[str, Any]) -> TypeError:
    return TypeError(f"{name} on a traced value does not support {', '.join(sorted(options))}"
                     f"=; call the gpugrad.numpy function without it")


def ufunc_call(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
               ) -> Any:
    """``ufunc.method(*inputs, **kwargs)`` with a tracer among ``inputs`` (__array_ufunc__;
    it has already run the plain calls of ufuncs in ``_UFUNCS``)."""
    name = f"numpy.{ufunc.__name__}"
    qualified = name if method == "__call__" else f"{name}.{method}"
    if not _differentiated((inputs, kwargs)):
        return _numpy_itself(qualified, getattr(ufunc, method), inputs, kwargs)
    options = dict(kwargs)
    _no_out(qualified, options.pop("out", None))
    if method == "__call__":
        if options.pop("where", True) is not True:
            raise TypeError(f"{name}(..., where=...) on a traced value is not supported: use "
                            f"gpugrad.numpy.where(mask, gpugrad.numpy.{ufunc.__name__}(...), "
                            "other) to choose elementwise")
        if options:
            raise _unsupported(name, options)
        target = _UFUNCS.get(ufunc)
        if target is None:
            raise TypeError(f"{name} was called on a traced value, but gpugrad.numpy has no "
                            f"{ufunc.__name__}, so no derivative can be computed: {_WAY_OUT}")
        return target(*inputs)
    if method == "reduce" and ufunc.__name__ in _REDUCE:
        return _reduce(ufunc, inputs, options)
    if method == "accumulate" and ufunc.__name__ in _ACCUMULATE:
        return _accumulate(ufunc, inputs, options)
    if method == "outer" and ufunc in _UFUNCS and ufunc.nin == 2:
        if options.pop("where", True) is not True or options:
            raise _unsupported(f"{name}.outer", options)
        return _outer(_UFUNCS[ufunc], *inputs)
    if method == "at":
        raise TypeError(
            f"{name}.at updates an array in place, which a traced value cannot be; use the "
            f"functional update a = a.at[indices].{ufunc.__name__}(b) of gpugrad arrays "
            "(add, multiply, min, max, set)")
    raise TypeError(f"{name}.{method} on a traced value has no gpugrad.numpy equivalent: "
                    f"{_WAY_OUT}")


def _params(inputs: tuple[Any, ...], options: dict[str, Any], names: tuple[str, ...]
            ) -> dict[str, Any]:
    params = dict(zip(names, inputs[1:]))
    params.update(options)
    return params


def _reduce(ufunc: np.ufunc, inputs: tuple[Any, ...], options: dict[str, Any]) -> Any:
    name = f"numpy.{ufunc.__name__}.reduce"
    params = _params(inputs, options, _REDUCE_PARAMS)
    _no_out(name, params.pop("out", None))
    axis, dtype = params.pop("axis", 0), params.pop("dtype", None)  # NumPy's default axis: 0
    keepdims = params.pop("keepdims", False)
    if params.get("where", True) is True:
        params.pop("where", None)
    if params:
        raise _unsupported(name, params)
    x = inputs[0] if dtype is None else _gnp.astype(inputs[0], dtype)
    return getattr(_gnp, _REDUCE[ufunc.__name__])(x, axis=axis, keepdims=keepdims)


def _accumulate(ufunc: np.ufunc, inputs: tuple[Any, ...], options: dict[str, Any]) -> Any:
    name = f"numpy.{ufunc.__name__}.accumulate"
    params = _params(inputs, options, _ACCUMULATE_PARAMS)
    _no_out(name, params.pop("out", None))
    axis, dtype = params.pop("axis", 0), params.pop("dtype", None)
    if params:
        raise _unsupported(name, params)
    x = inputs[0] if dtype is None else _gnp.astype(inputs[0], dtype)
    return getattr(_gnp, _ACCUMULATE[ufunc.__name__])(x, axis=axis)


def _outer(target: Callable[..., Any], a: Any, b: Any) -> Any:
    """``ufunc.outer(a, b)``: ``a`` with one new axis per axis of ``b``, then broadcast."""
    a, b = _gnp.asarray(a), _gnp.asarray(b)
    return target(_gnp.reshape(a, tuple(a.shape) + (1,) * b.ndim), b)


def function_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)`` with a tracer among the arguments (__array_function__)."""
    target = _FUNCTIONS.get(func)
    if (target is None or "out" in kwargs) and not _differentiated((args, kwargs)):
        return _numpy_itself(_name(func), func, args, kwargs)
    if target is None:
        raise TypeError(
            f"{_name(func)} was called on a traced value, but gpugrad.numpy has no "
            f"{getattr(func, '__name__', 'such function')}, so no derivative can be computed: "
            f"{_WAY_OUT}")
    if "out" in kwargs:
        kwargs = dict(kwargs)
        _no_out(_name(func), kwargs.pop("out"))
    return target(*args, **kwargs)


def _differentiated(args: Any) -> bool:
    """Whether a tracer that carries a derivative is among ``args`` (a pytree)."""
    return any(isinstance(a, Tracer) and carries_derivative(a)
               for a in tree_util.tree_leaves(args))


def _numpy_itself(name: str, func: Callable[..., Any], args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> Any:
    """NumPy's own ``func`` on the values: integer and bool tracers carry no derivative, so
    whatever NumPy does with them (``out=``, functions gpugrad lacks) loses nothing. Only
    writing into a tracer is refused: the backward pass may read its value later."""
    if any(isinstance(o, Tracer) for o in tree_util.tree_leaves(kwargs.get("out"))):
        raise TypeError(f"{name} was given a traced value as out=, but traced values "
                        "are immutable: use the returned value, or x.at[idx].set(y)")
    # NumPy's own code runs on values, so it needs them (under a trace whose values are
    # abstract there are none, and the error says which function asked).
    def value_of(leaf: Any) -> Any:
        return concrete_value(leaf, name, "its traced arguments",
                              "running NumPy's own implementation",
                              "Use a gpugrad.numpy function instead of NumPy's, or call it "
                              "outside the traced function.")

    args, kwargs = tree_util.tree_map(value_of, (args, kwargs))
    return func(*args, **kwargs)


def install(gnp: ModuleType) -> None:
    """Build the tables from gpugrad.numpy's names (``gnp``, the package, all defined by now:
    its ``__init__`` calls this last) and register the handlers with the core."""
    global _gnp
    _gnp = gnp
    _build(gnp)
    register_numpy_dispatch(ufunc_call, function_call, _UFUNCS, gnp)
