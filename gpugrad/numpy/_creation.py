"""Array creation on the default backend, with gpugrad's dtype policy (api.md): Python
floats become float32 (float64 in 64-bit mode), ints int32 (int64), and arrays keep theirs.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from gpugrad.backend import get_xp
from gpugrad.core.concrete import array_namespace, concrete_value
from gpugrad.dtypes import default_float, default_int, dtype_of
from gpugrad.naming import example_doc, named
from gpugrad.numpy._shape import broadcast_arrays, broadcast_to, moveaxis, reshape
from gpugrad.numpy._ufuncs import where
from gpugrad.numpy.operands import array, asarray, contains_tracer
from gpugrad.primitives.structural import convert

__all__ = [
    "arange", "array", "asarray", "eye", "full", "full_like", "linspace", "ones",
    "ones_like", "zeros", "zeros_like",
]


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


def zeros(shape: Any, dtype: Any = None) -> Any:
    """Zeros of ``shape`` (default dtype float32, or float64 in 64-bit mode).

    Example:
        >>> gnp.zeros(2)
        array([0., 0.], dtype=float32)
    """
    return get_xp().zeros(_shape(shape), dtype or default_float())


def ones(shape: Any, dtype: Any = None) -> Any:
    """Ones of ``shape``.

    Example:
        >>> gnp.ones((1, 2))
        array([[1., 1.]], dtype=float32)
    """
    return get_xp().ones(_shape(shape), dtype or default_float())


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``shape`` filled with ``fill_value``.

    Example:
        >>> gnp.full(2, 7)
        array([7, 7], dtype=int32)
    """
    if contains_tracer(fill_value):  # a traced fill broadcasts, so its derivative flows
        return _traced_fill(_shape(shape), fill_value, dtype)
    return get_xp().full(_shape(shape), fill_value, dtype or dtype_of(fill_value))


def _traced_fill(shape: tuple[int, ...], fill_value: Any, dtype: Any) -> Any:
    fill = array(fill_value)
    return broadcast_to(fill if dtype is None else convert(fill, dtype), shape)


def _like(x: Any) -> tuple[Any, Any]:
    """The backend module of ``x`` and ``x`` itself (an array if it was a number or list):
    only its shape and dtype are read."""
    if not hasattr(x, "shape"):
        x = asarray(x)
    return array_namespace(x), x


class LikeFactory(Protocol):
    """The type of ``zeros_like`` and ``ones_like``."""

    def __call__(self, x: Any, dtype: Any = None) -> Any: ...


def _constant_like(fill: str, summary: str, call: str, result: str) -> LikeFactory:
    """``zeros_like`` or ``ones_like``: the backend's ``fill`` (``zeros`` or ``ones``) with
    the shape and dtype of ``x``, documented by ``summary`` and the doctest ``call`` and its
    printed ``result``."""

    def fn(x: Any, dtype: Any = None) -> Any:
        xp, raw = _like(x)
        return getattr(xp, fill)(raw.shape, dtype or raw.dtype)

    return named(fn, f"{fill}_like", example_doc(summary, call, result))


zeros_like = _constant_like("zeros",
                            "Zeros with the shape and dtype of ``x`` (a constant: no derivative).",
                            ">>> gnp.zeros_like(gnp.ones(2))", "array([0., 0.], dtype=float32)")
ones_like = _constant_like("ones", "Ones with the shape and dtype of ``x``.",
                           ">>> gnp.ones_like(gnp.zeros(2))", "array([1., 1.], dtype=float32)")


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``fill_value`` with the shape and dtype of ``x``.

    Example:
        >>> gnp.full_like(gnp.zeros(2), 3.0)
        array([3., 3.], dtype=float32)
    """
    xp, raw = _like(x)
    if contains_tracer(fill_value):
        return _traced_fill(raw.shape, fill_value, dtype or raw.dtype)
    return xp.full(raw.shape, fill_value, dtype or raw.dtype)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    """The identity matrix (ones on diagonal ``k``).

    Example:
        >>> gnp.eye(2, 3, k=1)
        array([[0., 1., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    return get_xp().eye(N, M, k, dtype=dtype or default_float())


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """Evenly spaced values in ``[start, stop)``; int arguments give int32 (int64 in x64).

    Example:
        >>> gnp.arange(3)
        array([0, 1, 2], dtype=int32)
    """
    # The bounds decide the length of the result, a shape: they are read as values.
    args = [concrete_value(a, "arange", name, "the length of the result")
            for a, name in ((start, "start"), (stop, "stop"), (step, "step")) if a is not None]
    if dtype is None:
        is_int = all(isinstance(a, (int, np.integer)) for a in args)
        dtype = default_int() if is_int else default_float()
    return get_xp().arange(*args, dtype=dtype)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (NumPy's and JAX's
    arguments); differentiable in ``start`` and ``stop``.

    Example:
        >>> gnp.linspace(0.0, 1.0, 3)
        array([0. , 0.5, 1. ], dtype=float32)
        >>> gnp.linspace(0.0, 1.0, 4, endpoint=False, retstep=True)
        (array([0.  , 0.25, 0.5 , 0.75], dtype=float32), array(0.25, dtype=float32))
    """
    dtype = dtype or default_float()
    if contains_tracer(start) or contains_tracer(stop):
        out = moveaxis(traced_linspace(start, stop, num, endpoint, dtype), 0, axis)
        if not retstep:
            return out
        div = (int(num) - 1) if endpoint else int(num)
        span = convert(array(stop), dtype) - convert(array(start), dtype)
        return out, span / div if div > 0 else span * np.nan
    xp = get_xp()
    if not retstep:
        return xp.linspace(start, stop, num, endpoint=endpoint, axis=axis).astype(dtype)
    out, step = xp.linspace(start, stop, num, endpoint=endpoint, retstep=True, axis=axis)
    return out.astype(dtype), xp.asarray(step, dtype=dtype)


def traced_linspace(start: Any, stop: Any, num: int, endpoint: bool, dtype: Any) -> Any:
    """:func:`linspace` composed from differentiable operations, for traced ``start`` or
    ``stop`` (arrays broadcast, the new axis first): ``start + (stop - start) * k / div``.

    Only ``num`` and ``endpoint`` must be concrete (they fix the shape).

    Example:
        >>> gpugrad.grad(lambda s: gnp.sum(gnp.linspace(s, 2.0, 3)))(0.0)
        array(1.5, dtype=float32)
    """
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    first, last = (convert(array(v), dtype) for v in (start, stop))
    first, last = broadcast_arrays(first, last)
    div = (num - 1) if endpoint else num
    # The fractions k / div are constants: they depend on num and endpoint only.
    steps = np.arange(num, dtype=np.float64) / max(div, 1)
    frac = get_xp().asarray(steps.astype(dtype).reshape((num,) + (1,) * first.ndim))
    out = reshape(first, (1,) + first.shape) + frac * reshape(last - first, (1,) + first.shape)
    if endpoint and num > 1:  # the last point is ``stop`` exactly, as NumPy and JAX give it
        is_last = np.arange(num).reshape(frac.shape) == num - 1
        out = where(get_xp().asarray(is_last), reshape(last, (1,) + last.shape), out)
    return out
