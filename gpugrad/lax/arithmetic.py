"""``gpugrad.lax``'s elementwise functions of two operands: arithmetic, comparisons, bits.

Operands follow lax's rules (``gpugrad/lax/operands.py``): one dtype, one shape. Two results
differ from NumPy's on purpose, as in JAX and C: ``div`` of integers rounds toward zero, and
``rem`` has the sign of the dividend (``rem(-7, 2) == -1``, where NumPy's ``%`` gives 1).
``round`` rounds halves away from zero unless told ``ROUND_TO_NEAREST_EVEN``.

Example:
    >>> lax.div(np.array([7, -7]), np.array([2, 2])), lax.rem(np.array([7, -7]), 2)
    (array([ 3, -3]), array([ 1, -1]))
"""

from __future__ import annotations

import enum
import operator
from typing import Any

import gpugrad.numpy as gnp
from gpugrad.lax.operands import (
    FLOATING,
    INTEGRAL,
    NUMBER,
    BinaryOp,
    check_kinds,
    elementwise,
    same_shape,
)
from gpugrad.naming import example_doc, named
from gpugrad.numpy.operands import to_array
from gpugrad.primitives.discrete import bitwise

__all__ = [
    "RoundingMethod", "add", "atan2", "bitwise_and", "bitwise_or", "bitwise_xor", "div", "eq",
    "ge", "gt", "integer_pow", "le", "lt", "max", "min", "mul", "ne", "nextafter", "pow", "rem",
    "round", "sub",
]

_ALL = "biufc"


def _binary(name: str, numpy_name: str, kinds: str, summary: str, example: str, result: str
            ) -> BinaryOp:
    """``lax.name``: ``gpugrad.numpy``'s ``numpy_name`` of two operands of ``kinds`` (lax's
    rules: one dtype, one shape), documented by ``summary`` and the example of calling it
    with the arguments ``example``, which prints ``result``."""
    compute = getattr(gnp, numpy_name)

    def fn(x: Any, y: Any) -> Any:
        return compute(*elementwise(name, kinds, x, y, tip=f"gpugrad.numpy.{numpy_name}"))

    return named(fn, name, example_doc(summary, f">>> lax.{name}({example})", result))


add = _binary("add", "add", NUMBER,
              "``x + y``, both of one dtype (a Python scalar takes the other's).",
              "np.array([1.0, 2.0]), 0.5", "array([1.5, 2.5])")
sub = _binary("sub", "subtract", NUMBER, "``x - y``.", "np.array([3, 2]), np.array([1, 5])",
              "array([ 2, -3])")
mul = _binary("mul", "multiply", NUMBER, "``x * y``.", "np.array([1.5, 2.0]), 2.0",
              "array([3., 4.])")


def _trunc_div(x: Any, y: Any) -> Any:
    """Integer quotient rounded toward zero: the floor quotient, plus one where the exact
    quotient is negative and not whole."""
    q = gnp.floor_divide(x, y)
    inexact = gnp.not_equal(gnp.subtract(x, gnp.multiply(q, y)), 0)
    return gnp.where(gnp.logical_and(inexact, gnp.not_equal(x < 0, y < 0)), q + 1, q)


def div(x: Any, y: Any) -> Any:
    """``x / y``; for integers the quotient rounded toward zero (C's, not NumPy's ``//``).

    Example:
        >>> lax.div(np.array([7, -7, 7]), np.array([2, 2, -2]))
        array([ 3, -3, -3])
    """
    x, y = elementwise("div", NUMBER, x, y, tip="gpugrad.numpy.divide")
    if x.dtype.kind in "iu":
        return _trunc_div(x, y)
    return gnp.true_divide(x, y)


def rem(x: Any, y: Any) -> Any:
    """The remainder of ``div``: ``x - div(x, y) * y``, of the sign of ``x`` (C's ``fmod``).

    Its derivatives are JAX's: 1 for ``x`` and ``-trunc(x / y)`` for ``y``.

    Example:
        >>> lax.rem(np.array([7.5, -7.5]), np.array([2.0, 2.0]))
        array([ 1.5, -1.5])
    """
    x, y = elementwise("rem", NUMBER, x, y, tip="gpugrad.numpy.fmod")
    if x.dtype.kind in "iu":
        return gnp.subtract(x, gnp.multiply(_trunc_div(x, y), y))
    return gnp.fmod(x, y)


max = _binary("max", "maximum", _ALL,
              "Elementwise maximum; a tie shares the derivative half and half, as in JAX.",
              "np.array([1.0, 5.0]), 2.0", "array([2., 5.])")
min = _binary("min", "minimum", _ALL,
              "Elementwise minimum; a tie shares the derivative half and half, as in JAX.",
              "np.array([1.0, 5.0]), 2.0", "array([1., 2.])")


def pow(x: Any, y: Any) -> Any:
    """``x ** y`` for a floating ``x`` and ``y`` of ``x``'s dtype or of any integer dtype.

    Example:
        >>> lax.pow(np.array([2.0, 3.0]), np.array([3, 2]))
        array([8., 9.])
    """
    if isinstance(y, int) or to_array(y).dtype.kind in "iu":
        x = to_array(x)
        y = to_array(y) if not isinstance(y, int) else y
        check_kinds("pow", [x], FLOATING)
        if not isinstance(y, int):
            same_shape("pow", [x, y])
    else:
        x, y = elementwise("pow", FLOATING, x, y, tip="gpugrad.numpy.power")
    return gnp.power(x, y)


def integer_pow(x: Any, y: int) -> Any:
    """``x ** y`` for a static Python int ``y`` (negative for floating ``x``); the dtype of
    ``x`` is kept.

    Example:
        >>> lax.integer_pow(np.array([2.0, 4.0]), -2)
        array([0.25  , 0.0625])
    """
    y = operator.index(y)
    (x,) = elementwise("integer_pow", NUMBER, x)
    if y < 0:
        check_kinds("integer_pow", [x], FLOATING)
        return gnp.reciprocal(gnp.power(x, -y))
    return gnp.power(x, y)


atan2 = _binary("atan2", "arctan2", "f",
              "The angle of the point ``(y, x)``: ``arctan(x / y)`` in the right quadrant.",
              "np.array([1.0]), np.array([-1.0])", "array([2.35619449])")


def nextafter(x1: Any, x2: Any) -> Any:
    """The next floating-point number after ``x1`` in the direction of ``x2``; it has no
    derivative (JAX has no rule for it either).

    Example:
        >>> lax.nextafter(np.array([1.0], np.float32), np.array([2.0], np.float32))
        array([1.0000001], dtype=float32)
    """
    return bitwise("nextafter", *elementwise("nextafter", "f", x1, x2))


class RoundingMethod(enum.IntEnum):
    """How ``round`` breaks ties: away from zero (0, the default) or to the even neighbour."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x: Any, rounding_method: Any = RoundingMethod.AWAY_FROM_ZERO) -> Any:
    """``x`` rounded to a whole number; halves go away from zero by default (``2.5 -> 3``),
    or to the even neighbour with ``RoundingMethod.TO_NEAREST_EVEN`` (``2.5 -> 2``). The
    derivative is zero.

    Example:
        >>> lax.round(np.array([0.5, 2.5, -2.5]))
        array([ 1.,  3., -3.])
        >>> lax.round(np.array([0.5, 2.5, -2.5]), lax.RoundingMethod.TO_NEAREST_EVEN)
        array([ 0.,  2., -2.])
    """
    method = RoundingMethod(rounding_method)
    (x,) = elementwise("round", "f", x)
    if method is RoundingMethod.TO_NEAREST_EVEN:
        return gnp.rint(x)
    # trunc(x) plus the sign where the fraction is at least a half: adding 0.5 first would
    # round 0.49999997 up in float32.
    t = gnp.trunc(x)
    return gnp.where(gnp.abs(x - t) >= 0.5, t + gnp.sign(x), t)


def _comparison(name: str, numpy_name: str) -> BinaryOp:
    return _binary(name, numpy_name, _ALL,
                   f"Elementwise ``{numpy_name}`` of two arrays of one dtype, a bool array.",
                   "np.array([1, 2, 3]), 2", _COMPARE_RESULTS[name])


_COMPARE_RESULTS = {
    "eq": "array([False,  True, False])", "ne": "array([ True, False,  True])",
    "lt": "array([ True, False, False])", "le": "array([ True,  True, False])",
    "gt": "array([False, False,  True])", "ge": "array([False,  True,  True])",
}
eq = _comparison("eq", "equal")
ne = _comparison("ne", "not_equal")
lt = _comparison("lt", "less")
le = _comparison("le", "less_equal")
gt = _comparison("gt", "greater")
ge = _comparison("ge", "greater_equal")


def _bitwise(name: str, logical: str) -> BinaryOp:
    def fn(x: Any, y: Any) -> Any:
        x, y = elementwise(name, INTEGRAL, x, y)
        if x.dtype.kind == "b":  # the same truth table, and differentiable code paths
            return getattr(gnp, logical)(x, y)
        return bitwise(name, x, y)

    return named(fn, name, example_doc(
        f"Elementwise ``{name}`` of two integer or bool arrays of one dtype.",
        f">>> lax.{name}(np.array([12, 10]), np.array([10, 6]))", _BITWISE_RESULTS[name]))


_BITWISE_RESULTS = {"bitwise_and": "array([8, 2])", "bitwise_or": "array([14, 14])",
                    "bitwise_xor": "array([ 6, 12])"}
bitwise_and = _bitwise("bitwise_and", "logical_and")
bitwise_or = _bitwise("bitwise_or", "logical_or")
bitwise_xor = _bitwise("bitwise_xor", "logical_xor")
