"""More elementwise mathematics: ``hypot`` (a catalog entry), and ``sinc``, ``heaviside``,
``fmax``/``fmin``, ``nan_to_num``, ``float_power``, ``logaddexp2``, ... composed from the
existing elementwise functions and ``where``; plus ``size``/``shape``/``ndim``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.config import live
from gpugrad.core.concrete import array_namespace, concrete_value
from gpugrad.core.trace import Tracer, bind
from gpugrad.expr import catalog as C
from gpugrad.expr.language import var
from gpugrad.naming import Binary, Unary, example_doc, named
from gpugrad.numpy._complex import angle, imag, real
from gpugrad.numpy._reductions import all as all_of
from gpugrad.numpy._ufuncs import FUNCTIONS, power, where
from gpugrad.numpy.operands import inexact_array, to_array
from gpugrad.primitives import structural as S
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.operations import make_elementwise, promote

# angle is defined in _complex (complex-aware) and exported here for the star import.
__all__ = [
    "angle", "deg2rad", "degrees", "divmod", "fabs", "float_power", "fmax", "fmin",
    "heaviside", "hypot", "isfinite", "isinf", "isnan", "logaddexp2", "nan_to_num", "ndim",
    "positive", "rad2deg", "radians", "real_if_close", "shape", "sinc", "size",
]

# make_elementwise (which takes any arity) returns Any: the type is stated here.
hypot: Binary = make_elementwise("hypot", C.hypot, True, (
    "Elementwise ``sqrt(x1**2 + x2**2)`` without overflow (at the origin each partial\n"
    "derivative is 1/2, as in JAX).\n\n"
    "Example:\n    >>> gnp.hypot(gnp.array(3.0), 4.0)\n    array(5., dtype=float32)\n"))


_float = inexact_array  # integers and bools become JAX's float for them


def _classify(name: str, spec: Any, fill: bool, example: str) -> Unary:
    expr = spec(var(0))

    def fn(x: Any) -> Any:
        x = to_array(x)
        if x.dtype.kind not in "fc":  # integers are never NaN or infinite
            return array_namespace(x).full(x.shape, fill, dtype=bool)
        return bind(elementwise_p, x, expr=expr)

    return named(fn, name, example_doc(
        f"Elementwise ``{name}`` (boolean, no derivative).",
        f">>> gnp.{name}(gnp.array([1.0, gnp.nan, gnp.inf]))", example))


isnan = _classify("isnan", C.isnan, False, "array([False,  True, False])")
isinf = _classify("isinf", C.isinf, False, "array([False, False,  True])")
isfinite = _classify("isfinite", C.isfinite, True, "array([ True, False, False])")


def deg2rad(x: Any) -> Any:
    """Degrees to radians.

    Example:
        >>> gnp.deg2rad(gnp.array(180.0))
        array(3.1415927, dtype=float32)
    """
    return FUNCTIONS["multiply"](_float(x), math.pi / 180.0)


def rad2deg(x: Any) -> Any:
    """Radians to degrees.

    Example:
        >>> gnp.rad2deg(gnp.array(gnp.pi))
        array(180., dtype=float32)
    """
    return FUNCTIONS["multiply"](_float(x), 180.0 / math.pi)


radians = deg2rad
degrees = rad2deg


def sinc(x: Any) -> Any:
    """``sin(pi x) / (pi x)``, 1 at 0; every derivative is right at 0 too (a Taylor
    polynomial is used near 0, and the quotient is never evaluated there).

    Example:
        >>> gnp.sinc(gnp.array([0.0, 0.5]))
        array([1.        , 0.63661975], dtype=float32)
    """
    x = _float(x)
    small = FUNCTIONS["less"](FUNCTIONS["absolute"](x), 1e-3)
    safe = math.pi * where(small, 1.0, x)
    quotient = FUNCTIONS["sin"](safe) / safe
    # The polynomial reads 0 where it is not used: at |x| ~ 1e30 its terms would overflow,
    # and their infinite derivatives times where's zero cotangent would make a NaN.
    near = math.pi * where(small, x, 0.0)
    y2 = near * near
    taylor = 1.0 - y2 / 6.0 + y2 * y2 / 120.0  # next term: y**6 / 5040 < 2e-18 here
    return where(small, taylor, quotient)


def heaviside(x1: Any, x2: Any) -> Any:
    """Step function: 0 for ``x1 < 0``, ``x2`` at 0, 1 for ``x1 > 0``, NaN at NaN (no
    derivative in ``x1`` but at NaN, where it is 1 as in JAX).

    Example:
        >>> gnp.heaviside(gnp.array([-1.0, 0.0, 2.0]), 0.5)
        array([0. , 0.5, 1. ], dtype=float32)
    """
    a, b = promote((x1, x2), to_float=True)
    # (sign(x1) + 1) / 2 is 0 below 0 and 1 above; sign has no derivative. A NaN x1
    # (a != a) is passed through, as JAX does, so its derivative there is JAX's 1.
    step = 0.5 * (FUNCTIONS["sign"](S.stop_gradient(a)) + 1.0)
    step = where(FUNCTIONS["not_equal"](a, a), a, step)
    return where(FUNCTIONS["equal"](a, 0.0), b, step)


def _nan_aware(name: str) -> Binary:
    reduce = FUNCTIONS["maximum" if name == "fmax" else "minimum"]
    beats = FUNCTIONS["greater" if name == "fmax" else "less"]

    def fn(x1: Any, x2: Any) -> Any:
        a, b = promote((x1, x2), to_float=False)
        out = reduce(a, b)
        if out.dtype.kind not in "fc":
            return out
        # JAX's selection: x1 where it wins strictly or x2 is NaN, else x2. So a tie sends
        # the whole derivative to x2 (unlike maximum, which splits it), and NaN in x1 alone
        # gives x2.
        return where(FUNCTIONS["logical_or"](beats(a, b), isnan(b)), a, b)

    return named(fn, name, example_doc(
        f"Elementwise ``{name}``, ignoring a NaN in either argument.",
        f">>> gnp.{name}(gnp.array([1.0, gnp.nan]), gnp.array([gnp.nan, 2.0]))",
        "array([1., 2.], dtype=float32)"))


fmax = _nan_aware("fmax")
fmin = _nan_aware("fmin")


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """NaN replaced by ``nan``, infinities by ``posinf``/``neginf`` (the largest finite
    values by default); finite elements keep their derivative.

    Example:
        >>> gnp.nan_to_num(gnp.array([gnp.nan, 1.0]))
        array([0., 1.], dtype=float32)
    """
    x = to_array(x)
    if x.dtype.kind not in "fc":
        return x
    info = np.finfo(x.dtype)
    # The masks are taken from x before any replacement (so an infinite `nan` stays).
    equal = FUNCTIONS["equal"]
    is_nan, is_posinf, is_neginf = isnan(x), equal(x, np.inf), equal(x, -np.inf)
    x = where(is_nan, nan, x)
    x = where(is_posinf, info.max if posinf is None else posinf, x)
    return where(is_neginf, -info.max if neginf is None else neginf, x)


def float_power(x1: Any, x2: Any) -> Any:
    """``x1 ** x2`` computed in floating point (float64 in 64-bit mode, as JAX).

    Example:
        >>> gnp.float_power(gnp.array([2, 3]), 2)
        array([4., 9.], dtype=float32)
    """
    a, b = promote((x1, x2), to_float=True)
    if live.enable_x64:
        a = S.convert(a, np.float64) if hasattr(a, "shape") else np.float64(a)
        b = S.convert(b, np.float64) if hasattr(b, "shape") else np.float64(b)
    return power(a, b)


def divmod(x1: Any, x2: Any) -> tuple[Any, Any]:
    """``(floor_divide(x1, x2), remainder(x1, x2))``.

    Example:
        >>> gnp.divmod(gnp.array([7.0]), 2.0)
        (array([3.], dtype=float32), array([1.], dtype=float32))
    """
    return FUNCTIONS["floor_divide"](x1, x2), FUNCTIONS["remainder"](x1, x2)


def fabs(x: Any) -> Any:
    """Absolute value as a floating array.

    Example:
        >>> gnp.fabs(gnp.array([-2]))
        array([2.], dtype=float32)
    """
    return FUNCTIONS["abs"](_float(x))


def positive(x: Any) -> Any:
    """``+x``.

    Example:
        >>> gnp.positive(gnp.array([-2.0]))
        array([-2.], dtype=float32)
    """
    x = to_array(x)
    if isinstance(x, Tracer):
        return x
    # NumPy's ufunc has no boolean loop; JAX gives the booleans back.
    return x.copy() if x.dtype == np.bool_ else namespace_of(x).positive(x)


def logaddexp2(x1: Any, x2: Any) -> Any:
    """``log2(2**x1 + 2**x2)`` without overflow.

    Example:
        >>> gnp.logaddexp2(gnp.array(1.0), 1.0)
        array(2., dtype=float32)
    """
    a, b = promote((x1, x2), to_float=True)
    ln2 = math.log(2.0)
    return FUNCTIONS["true_divide"](FUNCTIONS["logaddexp"](a * ln2, b * ln2), ln2)


def real_if_close(a: Any, tol: float = 100) -> Any:
    """The real part of a complex ``a`` whose imaginary parts are all within ``tol`` (in
    machine epsilons of its dtype when ``tol > 1``, else absolute) of zero; otherwise ``a``
    itself, as in NumPy. Either way the derivative is that of the value returned.

    Example:
        >>> gnp.real_if_close(gnp.array([1.0 + 1e-9j, 2.0]))
        array([1., 2.], dtype=float32)
        >>> gnp.real_if_close(gnp.array([1.0 + 0.5j]))
        array([1.+0.5j], dtype=complex64)
    """
    x = to_array(a)
    if x.dtype.kind != "c":
        return x
    if tol > 1:
        tol = tol * float(np.finfo(x.dtype).eps)

    # The result's dtype depends on the values: whether all imaginary parts are small is
    # read as a concrete value.
    small = all_of(FUNCTIONS["less"](FUNCTIONS["absolute"](imag(x)), tol))
    close = bool(concrete_value(small, "real_if_close", "a", "the result's dtype (real or "
                                "complex)", "Take gpugrad.numpy.real(a) where the imaginary "
                                "parts are known to be negligible."))
    return real(x) if close else x


def size(a: Any, axis: int | None = None) -> int:
    """Number of elements (along ``axis``).

    Example:
        >>> gnp.size(gnp.ones((2, 3)))
        6
    """
    shp = to_array(a).shape
    return int(np.prod(shp, dtype=np.int64)) if axis is None else int(shp[axis])


def shape(a: Any) -> tuple[int, ...]:
    """The shape of ``a``.

    Example:
        >>> gnp.shape([[1.0, 2.0]])
        (1, 2)
    """
    return tuple(to_array(a).shape)


def ndim(a: Any) -> int:
    """The number of dimensions of ``a``.

    Example:
        >>> gnp.ndim(gnp.ones((2, 3)))
        2
    """
    return len(to_array(a).shape)
