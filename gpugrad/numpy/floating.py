"""Floating-point functions: ``round`` to decimals, ``fmod``, ``copysign``, ``ldexp``,
``frexp`` and the modified Bessel function ``i0``, composed from the elementwise catalog and
``where``.

Their derivatives follow JAX's: ``fmod(x, y)`` has partials ``1`` and ``-trunc(x / y)``;
``copysign(x, y)`` is ``|x|`` or ``-|x|`` (so its derivative is ``±1`` even at ``x = 0``);
``ldexp(x, n)`` is ``x * 2**n`` and ``frexp``'s mantissa is ``x * 2**-e`` with the integer
exponents held constant; ``i0``'s derivative is that of its series, ``I1`` to rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.backend import on_one_backend
from gpugrad.numpy._ufuncs import FUNCTIONS, where
from gpugrad.numpy.operands import inexact_array, to_array
from gpugrad.numpy.sorting import signbit
from gpugrad.primitives import structural as S
from gpugrad.primitives.operations import promote

__all__ = ["around", "copysign", "fmod", "frexp", "i0", "ldexp", "round"]

_abs, _exp, _exp2 = FUNCTIONS["abs"], FUNCTIONS["exp"], FUNCTIONS["exp2"]
_floor, _log2, _sqrt = FUNCTIONS["floor"], FUNCTIONS["log2"], FUNCTIONS["sqrt"]


_float = inexact_array  # integers and bools become JAX's float for them


def round(a: Any, decimals: int = 0, out: None = None) -> Any:
    """Round to ``decimals`` decimal places, halves to even (NumPy's ``round``/``around``).

    The derivative is zero, as JAX's. A tracer's ``round(x)`` (Python's built-in) calls this,
    so it stays an array instead of taking the number out of the tracer.

    Example:
        >>> gnp.round(gnp.array([1.25, 2.5, -0.5, 3.14159]), 1)
        array([ 1.2,  2.5, -0.5,  3.1], dtype=float32)
    """
    if out is not None:
        raise TypeError("gpugrad.numpy.round does not write into out=; use its return value")
    a = to_array(a)
    if a.dtype.kind in "biu":
        if decimals >= 0:  # already whole: NumPy and JAX return it with its dtype
            return a
        raise NotImplementedError(
            f"round of an integer array to decimals={decimals} (a negative number of places) "
            "is not supported, as in JAX; round a floating copy: gnp.round(a.astype(float), "
            f"{decimals})"
        )
    if decimals == 0:
        return FUNCTIONS["rint"](a)
    # NumPy's way: scale, round half to even, scale back (the same float rounding as NumPy).
    factor = 10.0**decimals
    return FUNCTIONS["rint"](a * factor) / factor


around = round


def fmod(x1: Any, x2: Any) -> Any:
    """Elementwise remainder of C's ``fmod``: it has the sign of ``x1`` (``remainder`` has
    the sign of ``x2``).

    Example:
        >>> gnp.fmod(gnp.array([7.5, -7.5]), 2.0)
        array([ 1.5, -1.5], dtype=float32)
    """
    a, b = on_one_backend(*promote((x1, x2), to_float=False))[1]  # host operand to device
    r = FUNCTIONS["remainder"](a, b)
    # remainder takes the divisor's sign; where that differs from the dividend's, fmod is one
    # divisor less (exact in floating point, and its x2-partial becomes -trunc(x1 / x2)).
    differs = (r != 0) & ((r < 0) != (a < 0))
    # An infinite divisor (never an integer one) leaves the dividend as it is, where
    # remainder gives the divisor; r - a there stands in for r - b, which would be inf - inf.
    infinite = _abs(b) == math.inf
    return where(differs, where(infinite, a, r - where(infinite, a, b)), r)


def copysign(x1: Any, x2: Any) -> Any:
    """``x1`` with the sign bit of ``x2`` (``-0.0`` counts as negative).

    Example:
        >>> gnp.copysign(gnp.array([1.5, -2.0, 3.0]), gnp.array([-1.0, 1.0, -0.0]))
        array([-1.5,  2. , -3. ], dtype=float32)
    """
    a, b = on_one_backend(*promote((x1, x2), to_float=True))[1]  # host operand to device
    # |x1| or its negation, chosen by x2's sign bit, as JAX writes it: with abs'(x) = 1 for
    # x >= 0 and -1 below (NaN included), the derivative at -0.0 and at NaN is JAX's too.
    mag = _abs(a)
    return where(signbit(b), -mag, mag)


def ldexp(x1: Any, x2: Any) -> Any:
    """``x1 * 2**x2`` for integer ``x2`` (differentiable in ``x1``).

    Example:
        >>> gnp.ldexp(gnp.array([1.5, 3.0]), gnp.array([2, -1]))
        array([6. , 1.5], dtype=float32)
    """
    x, n = on_one_backend(_float(x1), to_array(x2))[1]  # a host operand moves to the device
    if n.dtype.kind not in "iub":
        raise TypeError(f"ldexp: the exponent must be an integer array, got dtype {n.dtype}; "
                        "round it and cast it with astype(int)")
    return _scale(x, S.convert(n, x.dtype))


def _scale(x: Any, n: Any) -> Any:
    # 2**n in two halves, so that neither power overflows when x is tiny and n large (or
    # the reverse, as in frexp of a subnormal number).
    half = _floor(n * 0.5)
    return x * _exp2(half) * _exp2(n - half)


def frexp(x: Any) -> tuple[Any, Any]:
    """Mantissa and exponent: ``x = m * 2**e`` with ``0.5 <= |m| < 1`` (``m = e = 0`` at
    zero; infinities and NaN keep ``m = x``, ``e = 0``). The exponent is an int32 array
    (also in 64-bit mode, as in JAX) without derivative; the mantissa's derivative is
    ``2**-e``.

    Example:
        >>> m, e = gnp.frexp(gnp.array([3.0, -5.0, 0.0]))
        >>> m, e
        (array([ 0.75 , -0.625,  0.   ], dtype=float32), array([2, 3, 0], dtype=int32))
    """
    x = _float(x)
    mag = _abs(x)
    finite = (mag > 0) & (mag < math.inf)
    e = _floor(_log2(where(finite, mag, 1.0))) + 1.0
    # log2 may round across a power of two: correct the exponent by one either way.
    m = _abs(_scale(where(finite, mag, 1.0), -e))
    e = where(m < 0.5, e - 1.0, where(m >= 1.0, e + 1.0, e))
    e = where(finite, e, 0.0)
    mantissa = where(finite, _scale(x, -e), x)
    return mantissa, S.convert(e, np.dtype(np.int32))


# Modified Bessel function of the first kind, order 0. For |x| <= 20 the power series
# sum_k (x^2/4)^k / (k!)^2 (45 terms reach float64's rounding there); beyond, the
# asymptotic series e^x / sqrt(2 pi x) * sum_k ((2k-1)!!)^2 / (k! (8x)^k) (25 terms).
_SERIES_TERMS, _ASYMPTOTIC_TERMS, _SWITCH = 45, 25, 20.0


def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind of order 0 (its derivative is ``i1``).

    Example:
        >>> gnp.i0(gnp.array([0.0, 1.0, -2.0]))
        array([1.       , 1.266066 , 2.2795851], dtype=float32)
    """
    x = _float(x)
    if x.dtype.kind == "c":
        raise TypeError("i0: complex arguments are not supported (as in JAX)")
    ax = _abs(x)
    near = where(ax <= _SWITCH, ax, 0.0)  # each branch sees only arguments it is good for
    far = where((ax > _SWITCH) & (ax < math.inf), ax, 2.0 * _SWITCH)
    t = near * near * 0.25
    one = S.convert(ax == ax, x.dtype) * 0.0 + 1.0  # ones of x's shape and dtype
    term, series = one, one
    for k in range(1, _SERIES_TERMS):
        term = term * t / float(k * k)
        series = series + term
    term, tail = one, one
    for k in range(_ASYMPTOTIC_TERMS):
        term = term * (float((2 * k + 1) ** 2) / (8.0 * (k + 1))) / far
        tail = tail + term
    asymptotic = _exp(far) / _sqrt((2.0 * math.pi) * far) * tail
    out = where(ax <= _SWITCH, series, asymptotic)
    return where((ax != ax) | (ax == math.inf), ax, out)  # NaN stays NaN, i0(±inf) = inf
