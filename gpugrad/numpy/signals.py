"""Signals and polynomials: ``convolve``, ``correlate``, ``interp``, ``polyval``, ``vander``,
``trapezoid``.

``convolve`` and ``correlate`` gather the zero-padded signal into sliding windows (one
gather with a ``(length, taps)`` index) and contract the windows with the taps, so both
derivatives are a gather/scatter-add and a contraction. ``interp`` locates each point with
``searchsorted`` (an index operand, no value read), gathers the bracketing knots and
interpolates with arithmetic: it is differentiable in ``x``, ``xp`` and ``fp``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import on_one_backend
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Tracer
from gpugrad.dtypes import result_type
from gpugrad.numpy._reductions import sum as _sum
from gpugrad.numpy._shape import (
    broadcast_to,
    concatenate,
    cumprod,
    expand_dims,
    flip,
    moveaxis,
    ravel,
)
from gpugrad.numpy._ufuncs import FUNCTIONS, where
from gpugrad.numpy.operands import inexact_array, operand, to_array
from gpugrad.numpy.products import dot
from gpugrad.numpy.sorting import argsort, as_array, searchsorted
from gpugrad.primitives import broadcasting
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather

__all__ = ["convolve", "correlate", "interp", "polyval", "trapezoid", "vander"]


_float = inexact_array  # integers and bools become JAX's float for them


def _correlate_valid_first(a: Any, v: Any, mode: str) -> Any:
    """NumPy's correlation ``c[k] = sum_n a[n + k] v[n]`` for ``len(a) >= len(v)``."""
    n, m = a.shape[0], v.shape[0]
    left = {"full": m - 1, "same": m // 2, "valid": 0}[mode]
    right = {"full": m - 1, "same": m - 1 - m // 2, "valid": 0}[mode]
    xp = array_namespace(a)
    pieces = [xp.zeros(left, a.dtype), a, xp.zeros(right, a.dtype)]
    padded = concatenate([p for p in pieces if p.shape[0]], 0)
    length = n + left + right - m + 1
    windows = gather(padded, (np.arange(length)[:, None] + np.arange(m)[None, :],))

    return dot(windows, v)


def _signals(a: Any, v: Any, mode: str, name: str) -> tuple[Any, Any]:
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    # As JAX: integers and bools are convolved as floats (True * True + True * True is 2).
    a, v = ravel(_float(a)), ravel(_float(v))
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty")
    dtype = result_type(a, v)
    return S.convert(a, dtype), S.convert(v, dtype)


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """Discrete linear convolution of two 1-D sequences (modes ``full``, ``same``,
    ``valid``).

    Example:
        >>> gnp.convolve(gnp.array([1.0, 2.0, 3.0]), gnp.array([0.0, 1.0, 0.5]))
        array([0. , 1. , 2.5, 4. , 1.5], dtype=float32)
    """
    a, v = _signals(a, v, mode, "convolve")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    return _correlate_valid_first(a, flip(v), mode)


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """Cross-correlation of two 1-D sequences, ``c[k] = sum_n a[n + k] v[n]``.

    Example:
        >>> gnp.correlate(gnp.array([1.0, 2.0, 3.0]), gnp.array([0.0, 1.0, 0.5]), "full")
        array([0.5, 2. , 3.5, 3. , 0. ], dtype=float32)
    """
    a, v = _signals(a, v, mode, "correlate")
    if v.shape[0] > a.shape[0]:
        return flip(_correlate_valid_first(v, a, mode))
    return _correlate_valid_first(a, v, mode)


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Any:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at
    ``x``; differentiable in ``x``, ``xp`` and ``fp``.

    Example:
        >>> gnp.interp(gnp.array([0.5, 1.5]), gnp.array([0.0, 1.0, 2.0]),
        ...            gnp.array([0.0, 10.0, 0.0]))
        array([5., 5.], dtype=float32)
    """
    x, xk, fk = _float(x), ravel(_float(xp)), ravel(_float(fp))
    x, xk, fk = on_one_backend(x, xk, fk)[1]  # knots on the host meet points on the device
    if xk.shape != fk.shape or xk.shape[0] == 0:
        raise ValueError("interp: xp and fp must be non-empty and of the same length")
    dtype = result_type(x, xk, fk)
    x, xk, fk = S.convert(x, dtype), S.convert(xk, dtype), S.convert(fk, dtype)
    if period is not None:
        # A traced period stays traced (the wrapped points move with it); it is converted
        # to the points' dtype so that a float64 period does not widen float32 points.
        period = (FUNCTIONS["abs"](S.convert(period, dtype)) if isinstance(period, Tracer)
                  else abs(float(period)))
        x = FUNCTIONS["remainder"](x, period)
        xk = FUNCTIONS["remainder"](xk, period)
        order = argsort(xk)
        xk, fk = gather(xk, (order,)), gather(fk, (order,))
        xk = concatenate([xk[-1:] - period, xk, xk[:1] + period], 0)
        fk = concatenate([fk[-1:], fk, fk[:1]], 0)
    n = xk.shape[0]
    if n == 1:
        return broadcasting.broadcast_to(fk[0], x.shape) + x * 0.0
    # The interval of each point: an index operand of the gathers below (no value is read).
    hi = FUNCTIONS["minimum"](FUNCTIONS["maximum"](searchsorted(xk, x, side="right"), 1), n - 1)
    x0, x1 = gather(xk, (hi - 1,)), gather(xk, (hi,))
    f0, f1 = gather(fk, (hi - 1,)), gather(fk, (hi,))
    out = f0 + (x - x0) * FUNCTIONS["true_divide"](f1 - f0, x1 - x0)
    if period is None:
        out = where(FUNCTIONS["less"](x, xk[0]), fk[0] if left is None else left, out)
        out = where(FUNCTIONS["greater"](x, xk[-1]), fk[-1] if right is None else right, out)
    return as_array(out)


def polyval(p: Any, x: Any) -> Any:
    """The polynomial with coefficients ``p`` (highest power first) at ``x`` (Horner's
    scheme).

    Example:
        >>> gnp.polyval(gnp.array([1.0, 0.0, -1.0]), gnp.array(3.0))
        array(8., dtype=float32)
    """
    p, x = on_one_backend(to_array(operand(p)), to_array(operand(x)))[1]
    y = x * 0
    for k in range(p.shape[0]):
        y = y * x + p[k]
    return as_array(y)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix of the 1-D ``x``: columns ``x**(N-1), ..., x, 1`` (or the
    reverse with ``increasing``). The powers are running products, so the derivative at
    ``x = 0`` is exact (JAX's ``x**0`` gives NaN there).

    Example:
        >>> gnp.vander(gnp.array([1.0, 2.0, 3.0]), 3)
        array([[1., 1., 1.],
               [4., 2., 1.],
               [9., 3., 1.]], dtype=float32)
    """
    x = to_array(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ValueError(f"vander: N must be non-negative, got {n}")
    if x.dtype.kind == "b":
        x = S.convert(x, result_type(x, 1))
    column = expand_dims(x, 1)
    ones = column * 0 + 1
    if n <= 1:
        return ones[:, :n]
    powers = cumprod(concatenate([ones, broadcast_to(column, (x.shape[0], n - 1))], axis=1),
                     axis=1)
    return powers if increasing else flip(powers, 1)


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, at sample points ``x``
    (1-D, or shaped like ``y``) or spaced ``dx`` apart; differentiable in ``y``, ``x`` and
    ``dx``.

    Example:
        >>> gnp.trapezoid(gnp.array([1.0, 2.0, 4.0]), x=gnp.array([0.0, 1.0, 3.0]))
        array(7.5, dtype=float32)
    """
    y, x, dx = on_one_backend(y, x, dx)[1]  # host samples or spacings move to the device
    y = moveaxis(_float(y), axis, -1)
    if x is None:
        # A Python number stays weak, as in JAX: dx=1.0 keeps a float32 y float32.
        spacing = dx if type(dx) in (int, float) else to_array(dx)
    else:
        xs = to_array(x)
        if xs.ndim != 1:
            xs = moveaxis(xs, axis, -1)
        elif xs.shape[0] != y.shape[-1]:
            raise ValueError(f"trapezoid: x has {xs.shape[0]} points and y "
                             f"{y.shape[-1]} along axis {axis}")
        spacing = xs[..., 1:] - xs[..., :-1]
    return as_array(_sum(spacing * (y[..., 1:] + y[..., :-1]), axis=-1) * 0.5)
