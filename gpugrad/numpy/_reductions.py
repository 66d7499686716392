"""Reductions with ``axis`` and ``keepdims``: sum, mean, prod, max, min, var, std (composed
from the reduction primitives), and the non-differentiable argmax, argmin, any, all.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Tracer, bind, raw_value
from gpugrad.dtypes import default_float, default_int
from gpugrad.numpy._ufuncs import FUNCTIONS, operand
from gpugrad.primitives.reductions import reduce_max, reduce_min, reduce_prod
from gpugrad.primitives.structural import convert, reduce_sum, reduce_sum_p, reshape

__all__ = ["all", "any", "argmax", "argmin", "max", "mean", "min", "prod", "std", "sum", "var"]


def _array(x: Any) -> Any:
    x = operand(x)
    if not hasattr(x, "shape"):
        from gpugrad.numpy._creation import asarray

        x = asarray(x)
    return x


def _axes(x: Any, axis: Any) -> tuple[int, ...]:
    ndim = x.ndim
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % builtins.max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def _keep(x_shape: tuple[int, ...], out: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if not keepdims:
        return out
    return reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x_shape)))


def sum(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Sum over ``axis`` (all axes by default).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.sum(gnp.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        array([4., 6.], dtype=float32)
    """
    if (axis is None and dtype is None and not keepdims
            and (type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype.kind in "fc"):
        ndim = x.ndim  # the common case, a full sum of a floating array: straight to the rule
        return bind(reduce_sum_p, x, axes=_ALL_AXES[ndim]) if ndim else x
    x = _array(x)
    if dtype is not None:
        x = convert(x, dtype)
    elif x.dtype.kind == "b" or (x.dtype.kind in "iu" and x.dtype.itemsize < 4):
        x = convert(x, default_int())
    axes = _axes(x, axis)
    return _keep(x.shape, reduce_sum(x, axes), axes, keepdims)


_ALL_AXES = [tuple(range(n)) for n in range(65)]


def mean(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis``; integer inputs give the default float dtype.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.mean(gnp.array([1.0, 2.0, 6.0]))
        array(3., dtype=float32)
    """
    x = _array(x)
    if x.dtype.kind not in "fc" or dtype is not None:
        x = convert(x, dtype or default_float())
    axes = _axes(x, axis)
    count = math.prod([x.shape[a] for a in axes])
    return FUNCTIONS["true_divide"](sum(x, axis=axes, keepdims=keepdims), float(count))


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.var(gnp.array([1.0, 3.0]))
        array(1., dtype=float32)
    """
    x = _array(x)
    if x.dtype.kind not in "fc":
        x = convert(x, default_float())
    axes = _axes(x, axis)
    count = math.prod([x.shape[a] for a in axes])
    centered = FUNCTIONS["subtract"](x, mean(x, axis=axes, keepdims=True))
    squares = FUNCTIONS["square"](FUNCTIONS["abs"](centered) if x.dtype.kind == "c" else centered)
    return FUNCTIONS["true_divide"](sum(squares, axis=axes, keepdims=keepdims),
                                    float(builtins.max(count - ddof, 0)))


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis``.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.std(gnp.array([1.0, 3.0]))
        array(1., dtype=float32)
    """
    return FUNCTIONS["sqrt"](var(x, axis=axis, ddof=ddof, keepdims=keepdims))


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over ``axis``; its derivative is exact when elements are zero.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.prod(gnp.array([2.0, 3.0]))
        array(6., dtype=float32)
    """
    x = _array(x)
    if x.dtype.kind == "b":
        x = convert(x, default_int())
    axes = _axes(x, axis)
    return _keep(x.shape, reduce_prod(x, axes), axes, keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis``; ties share the derivative equally (as in JAX).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.max(gnp.array([1.0, 3.0, 2.0]))
        array(3., dtype=float32)
    """
    x = _array(x)
    axes = _axes(x, axis)
    _check_nonempty(x, axes, "max")
    return _keep(x.shape, reduce_max(x, axes), axes, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis``; ties share the derivative equally (as in JAX).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.min(gnp.array([1.0, 3.0, 2.0]))
        array(1., dtype=float32)
    """
    x = _array(x)
    axes = _axes(x, axis)
    _check_nonempty(x, axes, "min")
    return _keep(x.shape, reduce_min(x, axes), axes, keepdims)


def _check_nonempty(x: Any, axes: tuple[int, ...], name: str) -> None:
    if builtins.any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{name} of an empty array has no identity: reduce over a "
                         "non-empty axis")


def _concrete(name: str) -> Any:
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        raw = raw_value(_array(x))
        xp = namespace_of(raw)
        if name in ("argmax", "argmin"):
            out = getattr(xp, name)(raw, axis=axis, keepdims=keepdims)
            out = out.astype(default_int())
        else:
            out = getattr(xp, name)(raw, axis=axis, keepdims=keepdims)
        return np.asarray(out) if isinstance(out, np.generic) else out

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{name}`` over ``axis`` (no derivative: the result is a constant).\n\n"
                  f"Example:\n    >>> import gpugrad.numpy as gnp\n"
                  f"    >>> int(gnp.{name}(gnp.array([1.0, 3.0, 2.0])))\n"
                  f"    {dict(argmax=1, argmin=0, any=1, all=1)[name]}\n")
    return fn


argmax = _concrete("argmax")
argmin = _concrete("argmin")
any = _concrete("any")
all = _concrete("all")
