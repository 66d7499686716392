"""Elementwise functions of ``gpugrad.numpy``: thin wrappers that promote dtypes (JAX's rules)
and bind the elementwise primitive with the function's catalog expression.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import get_xp
from gpugrad.core.trace import bind
from gpugrad.dtypes import default_float, result_type
from gpugrad.expr import catalog as C
from gpugrad.expr.language import Expr, OpSpec, const, var
from gpugrad.naming import example_doc, named
from gpugrad.numpy.counting import nonzero
from gpugrad.numpy.operands import operand
from gpugrad.primitives import operations as ops
from gpugrad.primitives.complex import complex_abs
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.operations import SCALARS, make_elementwise, promote
from gpugrad.primitives.structural import convert

# Functions that compute in floating point (integer inputs become the default float).
_FLOAT_UNARY = {
    "exp": C.exp, "exp2": C.exp2, "expm1": C.expm1, "log": C.log, "log2": C.log2,
    "log10": C.log10, "log1p": C.log1p, "sqrt": C.sqrt, "cbrt": C.cbrt, "sin": C.sin,
    "cos": C.cos, "tan": C.tan, "arcsin": C.arcsin, "arccos": C.arccos, "arctan": C.arctan,
    "sinh": C.sinh, "cosh": C.cosh, "tanh": C.tanh, "arcsinh": C.arcsinh,
    "arccosh": C.arccosh, "arctanh": C.arctanh, "reciprocal": C.reciprocal,
}
_SAME_UNARY = {
    "negative": C.neg, "abs": C.absolute, "absolute": C.absolute, "sign": C.sign,
    "square": C.square,
}
_ROUNDING = {"floor": C.floor, "ceil": C.ceil, "rint": C.rint, "trunc": C.trunc}
_FLOAT_BINARY = {"true_divide": C.div, "divide": C.div, "arctan2": C.arctan2,
                 "logaddexp": C.logaddexp}
_SAME_BINARY = {
    "add": C.add, "subtract": C.sub, "multiply": C.mul, "maximum": C.maximum,
    "minimum": C.minimum, "floor_divide": C.floor_divide, "remainder": C.remainder,
    "mod": C.remainder,
}
_COMPARE = {
    "equal": C.eq, "not_equal": C.ne, "less": C.lt, "less_equal": C.le, "greater": C.gt,
    "greater_equal": C.ge,
}
_LOGICAL = {"logical_and": C.logical_and, "logical_or": C.logical_or,
            "logical_xor": C.logical_xor}

# Exact doctest examples: (arguments, printed result) per function.
_EXAMPLES = {
    "exp": ("0.0", "1.0"), "exp2": ("3.0", "8.0"), "expm1": ("0.0", "0.0"),
    "log": ("1.0", "0.0"), "log2": ("8.0", "3.0"), "log10": ("100.0", "2.0"),
    "log1p": ("0.0", "0.0"), "sqrt": ("4.0", "2.0"), "cbrt": ("8.0", "2.0"),
    "sin": ("0.0", "0.0"), "cos": ("0.0", "1.0"), "tan": ("0.0", "0.0"),
    "arcsin": ("0.0", "0.0"), "arccos": ("1.0", "0.0"), "arctan": ("0.0", "0.0"),
    "sinh": ("0.0", "0.0"), "cosh": ("0.0", "1.0"), "tanh": ("0.0", "0.0"),
    "arcsinh": ("0.0", "0.0"), "arccosh": ("1.0", "0.0"), "arctanh": ("0.0", "0.0"),
    "reciprocal": ("4.0", "0.25"), "negative": ("2.0", "-2.0"), "abs": ("-2.0", "2.0"),
    "absolute": ("-2.0", "2.0"), "sign": ("-3.0", "-1.0"), "square": ("3.0", "9.0"),
    "true_divide": ("3.0, 2.0", "1.5"), "divide": ("3.0, 2.0", "1.5"),
    "arctan2": ("0.0, 1.0", "0.0"), "logaddexp": ("0.0, 0.0", "0.69315"),
    "add": ("1.0, 2.0", "3.0"), "subtract": ("1.0, 2.0", "-1.0"),
    "multiply": ("1.5, 2.0", "3.0"), "maximum": ("1.0, 2.0", "2.0"),
    "minimum": ("1.0, 2.0", "1.0"), "floor_divide": ("7.0, 2.0", "3.0"),
    "remainder": ("-7.0, 3.0", "2.0"), "mod": ("-7.0, 3.0", "2.0"),
    "equal": ("1.0, 1.0", "True"), "not_equal": ("1.0, 1.0", "False"),
    "less": ("1.0, 2.0", "True"), "less_equal": ("2.0, 2.0", "True"),
    "greater": ("1.0, 2.0", "False"), "greater_equal": ("1.0, 2.0", "False"),
}


def _doc_for(name: str) -> str:
    args, result = _EXAMPLES[name]
    kind = "its derivative is zero" if name in _COMPARE or name in (
        "sign", "floor_divide") else "differentiable to any order in both modes"
    return (
        f"Elementwise ``{name}`` with NumPy's broadcasting; {kind}.\n\n"
        "Example:\n"
        f"    >>> {'round(' if '.' in result else ''}gnp.{name}({args}).item()"
        f"{', 5)' if '.' in result else ''}\n    {result}\n"
    )


FUNCTIONS: dict[str, Any] = {}
for _name, _spec in _FLOAT_UNARY.items():
    FUNCTIONS[_name] = make_elementwise(_name, _spec, True, _doc_for(_name))
for _name, _spec in {**_SAME_UNARY, **_SAME_BINARY, **_COMPARE}.items():
    FUNCTIONS[_name] = make_elementwise(_name, _spec, False, _doc_for(_name))
for _name, _spec in _FLOAT_BINARY.items():
    FUNCTIONS[_name] = make_elementwise(_name, _spec, True, _doc_for(_name))


def _complex_aware_abs(name: str, real_abs: Any) -> Any:
    """``abs`` that sends complex inputs to the (non-holomorphic) complex modulus."""

    def fn(x: Any) -> Any:
        x = operand(x)
        if isinstance(x, complex) or (not isinstance(x, SCALARS) and x.dtype.kind == "c"):
            if isinstance(x, complex):
                x = get_xp().asarray(x, dtype=result_type(x))
            return complex_abs(x)
        return real_abs(x)

    return named(fn, name, real_abs.__doc__)


for _name in ("abs", "absolute"):
    FUNCTIONS[_name] = _complex_aware_abs(_name, FUNCTIONS[_name])


def _int32_for_bools(name: str, fn: Any) -> Any:
    """``fn`` computing on int32 where every argument is boolean, as JAX does in both
    precision modes; NumPy would use its narrowest integer (``square`` of bools is int8)."""

    def wrapped(*args: Any) -> Any:
        if all(_boolean(a) for a in args):
            args = tuple(convert(operand(a), np.int32) for a in args)
        return fn(*args)

    return named(wrapped, name, fn.__doc__)


def _boolean(a: Any) -> bool:
    return getattr(a, "dtype", None) == np.bool_ or isinstance(a, (bool, np.bool_))


for _name in ("square", "floor_divide", "remainder", "mod"):
    FUNCTIONS[_name] = _int32_for_bools(_name, FUNCTIONS[_name])


_ROUND_EXAMPLES = {"floor": "[-2.0, 2.0]", "ceil": "[-1.0, 3.0]", "rint": "[-2.0, 2.0]",
                   "trunc": "[-1.0, 2.0]"}


def _rounding(name: str, spec: OpSpec) -> Any:
    inner = make_elementwise(name, spec, False, "")

    def fn(x: Any) -> Any:
        x = operand(x)
        if not isinstance(x, SCALARS) and x.dtype.kind in "biu":
            # Already integral; JAX's rint alone gives them as the default float.
            return convert(x, default_float()) if name == "rint" else x
        return inner(x)

    return named(fn, name, example_doc(
        f"Elementwise ``{name}``; its derivative is zero (as in JAX).",
        f">>> gnp.{name}(gnp.array([-1.5, 2.5])).tolist()",
        _ROUND_EXAMPLES[name]))


FUNCTIONS.update({name: _rounding(name, spec) for name, spec in _ROUNDING.items()})


_LOGIC_EXAMPLES = {"logical_and": "False", "logical_or": "True", "logical_xor": "True",
                   "logical_not": "False"}


def _logical(name: str, spec: OpSpec) -> Any:
    expr = spec(*[var(i) for i in range(spec.arity)])

    def fn(*args: Any) -> Any:
        bools = [convert(a, bool) if not isinstance(a, SCALARS) else bool(a)
                 for a in map(operand, args)]
        if all(isinstance(b, bool) for b in bools):
            bools[0] = get_xp().asarray(bools[0])
        return bind(elementwise_p, *bools, expr=expr)

    return named(fn, name, example_doc(
        f"Elementwise ``{name}`` of truth values (no derivative).",
        f">>> gnp.{name}({'True, False' if spec.arity == 2 else 'True'}).item()",
        _LOGIC_EXAMPLES[name]))


FUNCTIONS.update({name: _logical(name, spec)
                  for name, spec in {**_LOGICAL, "logical_not": C.logical_not}.items()})

_IPOW: dict[int, Expr] = {}
_POWER = C.power(var(0), var(1))


def power(x: Any, y: Any) -> Any:
    """``x ** y`` elementwise. An integer exponent gives an exact integer power (JAX's
    ``integer_pow``), so ``x**2`` at ``x = 0`` has derivative 0, not NaN.

    Example:
        >>> gnp.power(gnp.array([1.0, 2.0]), 3)
        array([1., 8.], dtype=float32)
    """
    if _boolean(x) and _boolean(y):  # booleans: JAX computes on int32 (NumPy on int8)
        x, y = convert(operand(x), np.int32), convert(operand(y), np.int32)
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        n = int(y)
        expr = _IPOW.get(n)
        if expr is None:
            expr = _IPOW[n] = C.ipow(var(0), const(n))
        x = operand(x)
        if isinstance(x, SCALARS):
            x = get_xp().asarray(x, dtype=result_type(x))
        if x.dtype == np.bool_:  # an integer power of booleans: int32, as JAX's
            x = convert(x, np.int32)
        if n < 0 and x.dtype.kind in "biu":
            raise ValueError("integers cannot be raised to negative integer powers; "
                             "convert the base to a floating dtype first")
        return bind(elementwise_p, x, expr=expr)
    return bind(elementwise_p, *promote((x, y), to_float=False), expr=_POWER)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y``; the condition has no derivative.

    Note the NaN trap shared with JAX: the derivative of ``where(x > 0, sqrt(x), 0)`` at 0
    is NaN, because ``sqrt'(0) * 0`` is computed; guard the input instead
    (``sqrt(where(x > 0, x, 1))``).

    With ``condition`` alone it is ``nonzero(condition)``, as in NumPy and JAX.

    Example:
        >>> gnp.where(gnp.array([True, False]), 1.0, 2.0)
        array([1., 2.], dtype=float32)
        >>> gnp.where(gnp.array([0.0, 3.0, 1.0]))
        (array([1, 2], dtype=int32),)
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("gpugrad.numpy.where takes condition, x and y, or condition alone "
                         f"(for nonzero); got only {'y' if x is None else 'x'}")
    return ops.where(condition, x, y)


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
    """Clip ``x`` to ``[a_min, a_max]`` (``minimum(maximum(x, a_min), a_max)``, as JAX).

    Example:
        >>> gnp.clip(gnp.array([-1.0, 0.5, 3.0]), 0.0, 1.0)
        array([0. , 0.5, 1. ], dtype=float32)
    """
    if a_min is not None:
        x = FUNCTIONS["maximum"](x, a_min)
    if a_max is not None:
        x = FUNCTIONS["minimum"](x, a_max)
    return operand(x)
