"""Reductions with ``axis`` and ``keepdims``: sum, mean, prod, max, min, var, std (composed
from the reduction primitives), and the non-differentiable argmax, argmin, any, all.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from gpugrad.core.trace import Tracer, bind
from gpugrad.dtypes import default_int, result_type, to_inexact
from gpugrad.naming import example_doc, named
from gpugrad.numpy._creation import asarray
from gpugrad.numpy._ufuncs import FUNCTIONS
from gpugrad.numpy._ufuncs import where as _where
from gpugrad.numpy.operands import inexact_array, normalize_axes, to_array
from gpugrad.primitives.broadcasting import broadcast_to, reduce_sum, reduce_sum_p
from gpugrad.primitives.discrete import reduce_discrete
from gpugrad.primitives.reductions import reduce_max, reduce_min, reduce_prod
from gpugrad.primitives.structural import convert, reshape

__all__ = ["all", "any", "argmax", "argmin", "max", "mean", "min", "prod", "std", "sum", "var"]


def _keep(x_shape: tuple[int, ...], out: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if not keepdims:
        return out
    return reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x_shape)))


def _accumulator(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """JAX's dtype for sums and products: integers and bools widen to the default
    (unsigned) integer, floats stay as they are."""
    if dtype.kind not in "biu":
        return dtype
    wide = default_int()
    if dtype.kind == "u":
        wide = np.dtype(f"uint{wide.itemsize * 8}")
    return wide if dtype.kind == "b" or dtype.itemsize < wide.itemsize else dtype


def _sum_dtype(dtype: np.dtype[Any], requested: Any, promote_integers: bool) -> np.dtype[Any]:
    if requested is not None:
        return np.dtype(requested)
    if not promote_integers and dtype.kind in "iu":
        return dtype
    return _accumulator(dtype)


def _masked(x: Any, where: Any, fill: Any) -> Any:
    """``x`` with ``fill`` where the mask ``where`` is false (the mask broadcast to x)."""
    if where is None:
        return x
    mask = to_array(where)
    if mask.dtype.kind != "b":
        raise TypeError(f"where= must be a boolean mask, got dtype {mask.dtype}")
    return _where(broadcast_to(mask, x.shape), x, fill)


def _accumulate(x: Any, axis: Any, dtype: Any, keepdims: bool, initial: Any, where: Any,
                promote_integers: bool, reduce: Callable[[Any, tuple[int, ...]], Any],
                identity: int, combine: str) -> Any:
    """``sum`` or ``prod``: ``reduce`` over ``axis`` in the accumulator's dtype, masked
    entries set to the ``identity``, then ``initial`` joined by the ufunc ``combine``."""
    x = to_array(x)
    want = _sum_dtype(x.dtype, dtype, promote_integers)
    if x.dtype != want:
        x = convert(x, want)
    x = _masked(x, where, identity)
    axes = normalize_axes(x, axis)
    out = reduce(x, axes)
    if out.dtype != want:  # NumPy's integer sums widen to int64: back to JAX's dtype
        out = convert(out, want)
    if initial is not None:
        out = FUNCTIONS[combine](out, initial)
    return _keep(x.shape, out, axes, keepdims)


def sum(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, *,
        initial: Any = None, where: Any = None, promote_integers: bool = True) -> Any:
    """Sum over ``axis`` (all axes by default), of the entries where the mask ``where`` is
    true, plus ``initial``. Integers sum in JAX's dtype: int8/int16/int32/bool give int32
    (int64 in 64-bit mode), unsigned ones uint32 (uint64); ``promote_integers=False`` keeps
    the input's integer dtype.

    Example:
        >>> gnp.sum(gnp.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        array([4., 6.], dtype=float32)
        >>> gnp.sum(gnp.array([1.0, 2.0, 3.0]), where=gnp.array([True, False, True]), initial=10)
        array(14., dtype=float32)
    """
    if (axis is None and dtype is None and not keepdims and initial is None and where is None
            and (type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype.kind in "fc"):
        ndim = x.ndim  # the common case, a full sum of a floating array: straight to the rule
        return bind(reduce_sum_p, x, axes=_ALL_AXES[ndim]) if ndim else x
    return _accumulate(x, axis, dtype, keepdims, initial, where, promote_integers, reduce_sum, 0,
                       "add")


_ALL_AXES = [tuple(range(n)) for n in range(65)]


def _count(x: Any, axes: tuple[int, ...], keepdims: bool, where: Any) -> Any:
    """How many entries each reduction averages: a number, or per slice with a mask."""
    if where is None:
        return float(math.prod([x.shape[a] for a in axes]))
    mask = broadcast_to(to_array(where), x.shape)
    return convert(sum(mask, axis=axes, keepdims=keepdims), x.dtype)


def mean(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, *,
         where: Any = None) -> Any:
    """Arithmetic mean over ``axis`` (of the entries where ``where`` is true); integer
    inputs give the default float dtype.

    Example:
        >>> gnp.mean(gnp.array([1.0, 2.0, 6.0]))
        array(3., dtype=float32)
        >>> gnp.mean(gnp.array([1.0, 2.0, 6.0]), where=gnp.array([True, True, False]))
        array(1.5, dtype=float32)
    """
    x = to_array(x)
    if x.dtype.kind not in "fc" or dtype is not None:
        x = convert(x, dtype or to_inexact(x.dtype))
    axes = normalize_axes(x, axis)
    total = sum(x, axis=axes, keepdims=keepdims, where=where)
    return FUNCTIONS["true_divide"](total, _count(x, axes, keepdims, where))


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, *,
        where: Any = None) -> Any:
    """Variance over ``axis`` (of the entries where ``where`` is true) with ``ddof`` delta
    degrees of freedom.

    Example:
        >>> gnp.var(gnp.array([1.0, 3.0]))
        array(1., dtype=float32)
    """
    x = inexact_array(x)
    axes = normalize_axes(x, axis)
    centered = FUNCTIONS["subtract"](x, mean(x, axis=axes, keepdims=True, where=where))
    squares = FUNCTIONS["square"](FUNCTIONS["abs"](centered) if x.dtype.kind == "c" else centered)
    count = _count(x, axes, keepdims, where)
    total = sum(squares, axis=axes, keepdims=keepdims, where=where)
    # JAX's convention: divide by count - ddof, then NaN where that is not positive, with the
    # quotient's derivative masked there (tangent 0; gradient 0 / (count - ddof), NaN at 0).
    if isinstance(count, float):  # a Python number without a mask: it stays weak (float16)
        out = FUNCTIONS["true_divide"](total, count - ddof)
        return out if count - ddof > 0 else _where(False, out, np.nan)
    normalizer = FUNCTIONS["subtract"](count, float(ddof))
    return _where(FUNCTIONS["greater"](normalizer, 0.0),
                  FUNCTIONS["true_divide"](total, normalizer), np.nan)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, *,
        where: Any = None) -> Any:
    """Standard deviation over ``axis`` (of the entries where ``where`` is true).

    Example:
        >>> gnp.std(gnp.array([1.0, 3.0]))
        array(1., dtype=float32)
    """
    return FUNCTIONS["sqrt"](var(x, axis=axis, ddof=ddof, keepdims=keepdims, where=where))


def prod(x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, *,
         initial: Any = None, where: Any = None, promote_integers: bool = True) -> Any:
    """Product over ``axis`` (of the entries where ``where`` is true, times ``initial``);
    its derivative is exact when elements are zero. Integers multiply in JAX's dtype (as
    :func:`sum`).

    Example:
        >>> gnp.prod(gnp.array([2.0, 3.0]))
        array(6., dtype=float32)
    """
    return _accumulate(x, axis, dtype, keepdims, initial, where, promote_integers, reduce_prod,
                       1, "multiply")


class Extremum(Protocol):
    """The type of ``max`` and ``min``."""

    def __call__(self, x: Any, axis: Any = None, keepdims: bool = False, *,
                 initial: Any = None, where: Any = None) -> Any: ...


def _extremum(name: str, *session: str) -> Extremum:
    """``max`` or ``min`` over ``axis``, documented by the doctest lines ``session``."""
    extremum = {"max": "Maximum", "min": "Minimum"}[name]

    def fn(x: Any, axis: Any = None, keepdims: bool = False, *, initial: Any = None,
           where: Any = None) -> Any:
        x = to_array(x)
        axes = normalize_axes(x, axis)
        if initial is None:
            if where is not None:
                raise ValueError(f"{name} with where= needs initial= (the value of a slice "
                                 "with no selected entry), as in JAX and NumPy")
            _check_nonempty(x, axes, name)
        reduce, pick = (reduce_max, "maximum") if name == "max" else (reduce_min, "minimum")
        if builtins.any(x.shape[a] == 0 for a in axes):  # only the initial value is left
            shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
            out = broadcast_to(_of_dtype(initial, result_type(x, initial)), shape)
            return _keep(x.shape, out, axes, keepdims)
        if where is not None:
            # Unselected entries become initial itself: they can never beat it.
            x = _masked(x, where, _of_dtype(initial, x.dtype))
        out = reduce(x, axes)
        if initial is not None:
            out = FUNCTIONS[pick](out, initial)
        return _keep(x.shape, out, axes, keepdims)

    return named(fn, name, example_doc(
        f"{extremum} over ``axis`` (of ``initial`` and the entries where ``where`` is true: a\n"
        "mask needs ``initial``); ties share the derivative equally (as in JAX).", *session))


max = _extremum("max", ">>> gnp.max(gnp.array([1.0, 3.0, 2.0]))", "array(3., dtype=float32)",
                ">>> gnp.max(gnp.array([1.0, 3.0, 2.0]), where=gnp.array([True, False, True]), "
                "initial=0)", "array(2., dtype=float32)")
min = _extremum("min", ">>> gnp.min(gnp.array([1.0, 3.0, 2.0]))", "array(1., dtype=float32)")


def _of_dtype(value: Any, dtype: np.dtype[Any]) -> Any:
    """``value`` as an array of ``dtype`` (a Python number converts exactly, not through
    the default float)."""
    if isinstance(value, (bool, int, float, complex)):
        return asarray(value, dtype=dtype)  # on the default backend
    value = to_array(value)
    return value if value.dtype == dtype else convert(value, dtype)


def _check_nonempty(x: Any, axes: tuple[int, ...], name: str) -> None:
    if builtins.any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{name} of an empty array has no identity: reduce over a "
                         "non-empty axis, or give initial=")


class Discrete(Protocol):
    """The type of ``argmax`` and ``argmin``."""

    def __call__(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any: ...


class Truth(Protocol):
    """The type of ``any`` and ``all``: a :class:`Discrete` reduction that also takes a mask."""

    def __call__(self, x: Any, axis: Any = None, keepdims: bool = False, *,
                 where: Any = None) -> Any: ...


def _concrete(name: str) -> Truth:
    # One function serves all four; argmax and argmin are typed Discrete (no where=), which
    # is what they accept when called.
    def fn(x: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        mask = kwargs.pop("where", None)
        if kwargs or (mask is not None and name not in ("any", "all")):
            raise TypeError(f"{name}() got unexpected arguments {sorted(kwargs)}")
        dtype = default_int() if name in ("argmax", "argmin") else None
        return reduce_discrete(name, to_array(x), None if mask is None else to_array(mask), axis,
                               keepdims, dtype)

    return named(fn, name, example_doc(
        f"``{name}`` over ``axis`` (no derivative: the result is a constant).",
        f">>> int(gnp.{name}(gnp.array([1.0, 3.0, 2.0])))",
        str(dict(argmax=1, argmin=0, any=1, all=1)[name])))


argmax: Discrete = _concrete("argmax")
argmin: Discrete = _concrete("argmin")
any = _concrete("any")
all = _concrete("all")
