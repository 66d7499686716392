"""``gpugrad.lax``'s elementwise functions of one operand: the math that tutorials call.

Each is the ``gpugrad.numpy`` (or ``gpugrad.scipy.special``) function of the same
mathematics, with lax's operand rules in front (``gpugrad/lax/operands.py``): the dtype is
kept, never promoted, and a function that is only defined for floating point (``sin``,
``exp``, ``floor``) refuses integers with a ``TypeError`` instead of converting them. So the
derivatives, the fused kernels and the batching rules are those of the functions below.

``convert_element_type`` converts as XLA does, which is not NumPy's ``astype`` for floats
into integers: the value is truncated toward zero, NaN becomes 0, and a value outside the
integer type's range saturates to its smallest or largest value (NumPy's result there is
undefined). Complex to real keeps the real part. Between floating dtypes the derivative is
converted along; into integers or bools there is none.

Example:
    >>> lax.sin(np.array([0.0]))
    array([0.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.lax.operands import FLOATING, INTEGRAL, NUMBER, UnaryOp, elementwise
from gpugrad.naming import example_doc, named
from gpugrad.numpy.operands import to_array
from gpugrad.primitives.discrete import bitcast, bitwise
from gpugrad.primitives.structural import stop_gradient as _stop_gradient
from gpugrad.scipy import special

__all__ = [
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "bitcast_convert_type",
    "bitwise_not", "cbrt", "ceil", "convert_element_type", "cos", "cosh", "digamma", "erf",
    "erf_inv", "erfc", "exp", "exp2", "expm1", "floor", "is_finite", "lgamma", "log", "log1p",
    "logistic", "neg", "reciprocal", "rsqrt", "sign", "sin", "sinh", "sqrt", "square",
    "stop_gradient", "tan", "tanh",
]

_SIGNED = "ifc"  # abs: not of unsigned integers or bools, as in JAX


def _bitwise_not(x: Any) -> Any:
    return gnp.logical_not(x) if x.dtype.kind == "b" else bitwise("invert", x)


# name: (the computation, the dtype kinds accepted, an example argument, its printed result)
_TABLE: dict[str, tuple[Callable[[Any], Any], str, str, str]] = {
    "neg": (gnp.negative, NUMBER, "[1.0, -2.0]", "array([-1.,  2.])"),
    "abs": (gnp.abs, _SIGNED, "[-1.5, 2.0]", "array([1.5, 2. ])"),
    "sign": (gnp.sign, NUMBER, "[-3, 0, 2]", "array([-1,  0,  1])"),
    "square": (gnp.square, NUMBER, "[3.0]", "array([9.])"),
    "reciprocal": (gnp.reciprocal, FLOATING, "[4.0]", "array([0.25])"),
    "exp": (gnp.exp, FLOATING, "[0.0, 1.0]", "array([1.        , 2.71828183])"),
    "exp2": (gnp.exp2, FLOATING, "[3.0]", "array([8.])"),
    "expm1": (gnp.expm1, FLOATING, "[1e-10]", "array([1.e-10])"),
    "log": (gnp.log, FLOATING, "[1.0]", "array([0.])"),
    "log1p": (gnp.log1p, FLOATING, "[1e-10]", "array([1.e-10])"),
    "sqrt": (gnp.sqrt, FLOATING, "[4.0]", "array([2.])"),
    "rsqrt": (lambda x: gnp.reciprocal(gnp.sqrt(x)), FLOATING, "[4.0]", "array([0.5])"),
    "cbrt": (gnp.cbrt, "f", "[-8.0]", "array([-2.])"),
    "sin": (gnp.sin, FLOATING, "[0.0]", "array([0.])"),
    "cos": (gnp.cos, FLOATING, "[0.0]", "array([1.])"),
    "tan": (gnp.tan, FLOATING, "[0.0]", "array([0.])"),
    "asin": (gnp.arcsin, FLOATING, "[1.0]", "array([1.57079633])"),
    "acos": (gnp.arccos, FLOATING, "[1.0]", "array([0.])"),
    "atan": (gnp.arctan, FLOATING, "[1.0]", "array([0.78539816])"),
    "sinh": (gnp.sinh, FLOATING, "[0.0]", "array([0.])"),
    "cosh": (gnp.cosh, FLOATING, "[0.0]", "array([1.])"),
    "tanh": (gnp.tanh, FLOATING, "[0.0]", "array([0.])"),
    "asinh": (gnp.arcsinh, FLOATING, "[0.0]", "array([0.])"),
    "acosh": (gnp.arccosh, FLOATING, "[1.0]", "array([0.])"),
    "atanh": (gnp.arctanh, FLOATING, "[0.0]", "array([0.])"),
    "logistic": (special.expit, FLOATING, "[0.0]", "array([0.5])"),
    "erf": (special.erf, "f", "[0.0]", "array([0.])"),
    "erfc": (special.erfc, "f", "[0.0]", "array([1.])"),
    "erf_inv": (special.erfinv, "f", "[0.5]", "array([0.47693628])"),
    "lgamma": (special.gammaln, "f", "[0.5]", "array([0.57236494])"),
    "digamma": (special.digamma, "f", "[1.0]", "array([-0.57721566])"),
    "floor": (gnp.floor, "f", "[-1.5, 1.5]", "array([-2.,  1.])"),
    "ceil": (gnp.ceil, "f", "[-1.5, 1.5]", "array([-1.,  2.])"),
    "is_finite": (gnp.isfinite, "f", "[1.0, np.inf]", "array([ True, False])"),
    "bitwise_not": (_bitwise_not, INTEGRAL, "[0, 5]", "array([-1, -6])"),
}


def _make(name: str) -> UnaryOp:
    compute, kinds, arg, result = _TABLE[name]

    def fn(x: Any) -> Any:
        (x,) = elementwise(name, kinds, x)
        return compute(x)

    accepted = {FLOATING: "floating or complex", "f": "floating", NUMBER: "numeric",
                _SIGNED: "signed numeric", INTEGRAL: "integer or bool"}[kinds]
    return named(fn, name, example_doc(
        f"Elementwise ``{name}`` of a {accepted} array; the dtype is kept.",
        f">>> lax.{name}(np.array({arg}))",
        result))


neg = _make("neg")
abs = _make("abs")
sign = _make("sign")
square = _make("square")
reciprocal = _make("reciprocal")
exp = _make("exp")
exp2 = _make("exp2")
expm1 = _make("expm1")
log = _make("log")
log1p = _make("log1p")
sqrt = _make("sqrt")
rsqrt = _make("rsqrt")
cbrt = _make("cbrt")
sin = _make("sin")
cos = _make("cos")
tan = _make("tan")
asin = _make("asin")
acos = _make("acos")
atan = _make("atan")
sinh = _make("sinh")
cosh = _make("cosh")
tanh = _make("tanh")
asinh = _make("asinh")
acosh = _make("acosh")
atanh = _make("atanh")
logistic = _make("logistic")
erf = _make("erf")
erfc = _make("erfc")
erf_inv = _make("erf_inv")
lgamma = _make("lgamma")
digamma = _make("digamma")
floor = _make("floor")
ceil = _make("ceil")
is_finite = _make("is_finite")
bitwise_not = _make("bitwise_not")


def stop_gradient(x: Any) -> Any:
    """``x`` (any pytree of arrays) with a zero derivative.

    Example:
        >>> gpugrad.grad(lambda x: x * lax.stop_gradient(x))(3.0)
        array(3., dtype=float32)
    """
    return tree_util.tree_map(_stop_gradient, x)


def _float_to_int(x: Any, dtype: np.dtype[Any]) -> Any:
    info = np.iinfo(dtype)
    # Compared in x's dtype: float(info.max) may round up to 2**bits, which is out of range
    # too, so ">=" catches exactly the values that overflow.
    high = x >= float(info.max)
    low = x <= float(info.min)
    bad = gnp.logical_or(gnp.logical_or(high, low), gnp.isnan(x))
    safe = gnp.astype(gnp.where(bad, np.zeros((), x.dtype), x), dtype)
    # NumPy scalars: they go to x's backend, whatever the default one is.
    limits = [np.asarray(info.max, dtype=dtype), np.asarray(info.min, dtype=dtype)]
    return gnp.where(high, limits[0], gnp.where(low, limits[1], safe))


def convert_element_type(operand: Any, new_dtype: Any) -> Any:
    """``operand`` as ``new_dtype``, converted as XLA converts (see the module's text).

    Example:
        >>> gpugrad.grad(lambda x: lax.convert_element_type(x, "float64") * 2)(1.0)
        array(2., dtype=float32)
    """
    x = to_array(operand)
    dtype = np.dtype(new_dtype)
    if x.dtype.kind == "c" and dtype.kind != "c":
        x = gnp.real(x)
    if dtype.kind == "b":
        return gnp.not_equal(x, 0)
    if x.dtype.kind == "f" and dtype.kind in "iu":
        return _float_to_int(x, dtype)
    return x if x.dtype == dtype else gnp.astype(x, dtype)


def bitcast_convert_type(operand: Any, new_dtype: Any) -> Any:
    """The bits of ``operand`` read as ``new_dtype``. A narrower type splits each element
    along a new last axis; a wider one joins the last axis, whose length must be the ratio
    of the sizes. No derivative.

    Example:
        >>> lax.bitcast_convert_type(np.array([1.0], np.float32), np.int32)
        array([1065353216], dtype=int32)
    """
    x = to_array(operand)
    dtype = np.dtype(new_dtype)
    old = x.dtype.itemsize
    if dtype.itemsize > old:
        ratio = dtype.itemsize // old
        if not x.ndim or x.shape[-1] != ratio:
            raise ValueError(f"lax.bitcast_convert_type from {x.dtype} to {dtype} needs a "
                             f"last axis of length {ratio}, got shape {tuple(x.shape)}")
    return bitcast(x, dtype)
