"""``cupy.ufunc`` on the host: one launch per call, CuPy's argument rules, NumPy's arithmetic.

CuPy's ufunc (``cupy/_core/_kernel.pyx``, ``ufunc.__call__``) passes every argument through
``_preprocess_args``: a CuPy array stays an array, anything else becomes a ``CScalar``, whose
constructor (``cupy/_core/_scalar.pyx``) takes Python and NumPy scalars only and raises
``TypeError: Unsupported type <class 'numpy.ndarray'>`` for a NumPy array (of any rank, 0-d
included) and likewise for a list. ``reduce``/``accumulate`` exist only for ``add`` and
``multiply``, ``reduceat`` only for ``add``; ``at`` only for the ufuncs with a scatter
operation (add, subtract, maximum, minimum, bitwise and/or/xor); the others raise
``NotImplementedError`` as CuPy does. Dtypes follow NumPy 2's promotion, which CuPy 14
follows too (NEP 50: Python scalars are weak).

NumPy's override protocols on stand-in arrays are answered here too, as
``cupy/_core/core.pyx`` does. ``__array_ufunc__``: NumPy hands over a ufunc call
(``numpy.add(x, y)``, and ``np_a + x`` after NumPy's own operator defers); CuPy calls its
ufunc of the same name with the inputs as they are, so a NumPy array among them meets
CuPy's ``TypeError``. An input that is neither a scalar, a NumPy or CuPy array, nor
CUDA-array-like makes it return ``NotImplemented``; for comparisons a 0-d NumPy array is
first turned into a Python scalar. ``__array_function__``: ``numpy.f(x)`` calls ``cupy.f``
(``numpy.linalg.f`` calls ``cupy.linalg.f``) when CuPy has it and every argument type is a
CuPy or NumPy array, otherwise ``NotImplemented`` (NumPy then raises ``TypeError``).

Example:
    >>> import numpy as np
    >>> from tools.cupy_standin._array import wrap
    >>> add = ufunc("add", np.add, nin=2, nout=1)
    >>> add(wrap(np.ones(2, np.float32)), 1.0).dtype
    dtype('float32')
    >>> add(wrap(np.ones(2)), np.ones(2))
    Traceback (most recent call last):
    ...
    TypeError: Unsupported type <class 'numpy.ndarray'>
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from tools.cupy_standin import _stats
from tools.cupy_standin._array import SCALAR_TYPES, ndarray, unsupported, wrap_result

__all__ = ["array_function", "array_ufunc", "ufunc"]

# cupy/_core/_routines_indexing.pyx _scatter_op: the ops ufunc.at can run.
_SCATTER_UFUNCS = {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or",
                   "bitwise_xor"}


def kernel_arg(x: Any) -> Any:
    """The host value of one elementwise-kernel argument, by CuPy's ``_preprocess_arg``."""
    if isinstance(x, ndarray):
        return x._host
    if type(x) in (bool, int, float, complex) or isinstance(x, np.generic):
        return x
    raise unsupported(x)


class ufunc:
    """A CuPy universal function computed by its NumPy namesake on the host."""

    __module__ = "cupy"

    def __init__(self, name: str, impl: Callable[..., Any], nin: int, nout: int) -> None:
        self.__name__ = name
        self.name = f"cupy_{name}"  # CuPy's kernel name (ufunc.name)
        self._impl = impl
        self.nin = nin
        self.nout = nout
        self.nargs = nin + nout
        self.__doc__ = f"cupy.{name} (stand-in): NumPy's {name} on the host, one launch."

    @property
    def types(self) -> list[str]:
        return list(getattr(self._impl, "types", []))

    def __repr__(self) -> str:
        return f"<ufunc '{self.__name__}'>"

    def __call__(self, *args: Any, out: Any = None, dtype: Any = None, casting: str = "same_kind",
                 **kwargs: Any) -> Any:
        if len(args) > self.nin:  # outputs given positionally, as NumPy allows
            out = tuple(args[self.nin:]) if self.nout > 1 else args[self.nin]
            args = args[: self.nin]
        if len(args) != self.nin:
            raise TypeError(f"Wrong number of arguments for {self.name}")
        hosts = [kernel_arg(a) for a in args]
        inputs: dict[int, ndarray] = {}
        if out is not None:
            outs = out if isinstance(out, tuple) else (out,)
            for o in outs:
                if not isinstance(o, ndarray):
                    raise TypeError("Output arguments must be cupy.ndarray")
                inputs[id(o._host)] = o
            kwargs["out"] = tuple(o._host for o in outs) if isinstance(out, tuple) \
                else out._host
        if dtype is not None:
            kwargs["dtype"] = dtype
        for key in ("where",):
            if key in kwargs:
                kwargs[key] = kernel_arg(kwargs[key])
        _stats.record_launch(self.name)
        result = self._impl(*hosts, casting=casting, **kwargs) if isinstance(
            self._impl, np.ufunc) else self._impl(*hosts, **kwargs)
        return wrap_result(result, inputs)

    def _reduction(self, method: str, allowed: set[str], array: Any, *args: Any,
                   **kwargs: Any) -> Any:
        if self.__name__ not in allowed:
            raise NotImplementedError(f"`{self.name}.{method}` is not supported yet")
        if not isinstance(array, ndarray):
            raise AttributeError(f"{type(array).__name__!r} object has no attribute "
                                 f"{'sum' if self.__name__ == 'add' else 'prod'!r}")
        out = kwargs.get("out")
        inputs = {id(out._host): out} if isinstance(out, ndarray) else {}
        if isinstance(out, ndarray):
            kwargs["out"] = out._host
        _stats.record_launch(f"{self.name}_{method}")
        hosts = [kernel_arg(a) if isinstance(a, ndarray) else a for a in args]
        return wrap_result(getattr(self._impl, method)(array._host, *hosts, **kwargs), inputs)

    def reduce(self, array: Any, axis: Any = 0, dtype: Any = None, out: Any = None,
               keepdims: bool = False) -> Any:
        return self._reduction("reduce", {"add", "multiply"}, array, axis=axis, dtype=dtype,
                               out=out, keepdims=keepdims)

    def accumulate(self, array: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        return self._reduction("accumulate", {"add", "multiply"}, array, axis=axis,
                               dtype=dtype, out=out)

    def reduceat(self, array: Any, indices: Any, axis: int = 0, dtype: Any = None,
                 out: Any = None) -> Any:
        return self._reduction("reduceat", {"add"}, array, indices, axis=axis, dtype=dtype,
                               out=out)

    def outer(self, a: Any, b: Any, **kwargs: Any) -> Any:
        # CuPy's outer runs core.array on both operands first (a host array is copied over).
        from tools.cupy_standin._creation import array

        a, b = array(a), array(b)
        ndim_a, ndim_b = a.ndim, b.ndim
        a = a.reshape(a.shape + (1,) * ndim_b)
        b = b.reshape((1,) * ndim_a + b.shape)
        return self(a, b, **kwargs)

    def at(self, a: Any, indices: Any, b: Any = None) -> None:
        if self.__name__ not in _SCATTER_UFUNCS:
            raise NotImplementedError(f"`{self.name}.at` is not supported yet")
        from tools.cupy_standin._indexing import host_index

        index, _ = host_index(indices)
        value = b._host if isinstance(b, ndarray) else np.asarray(b)
        if isinstance(b, np.ndarray):
            _stats.record_h2d(b.nbytes)
        _stats.record_launch(f"{self.name}_at")
        getattr(self._impl, "at")(a._host, index, value)  # noqa: B009


# -- NumPy's override protocols (ndarray.__array_ufunc__, __array_function__) --------------
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
    from tools.cupy_standin._module import cupy_module

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
    from tools.cupy_standin._module import cupy_module

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
