# mypy: disable-error-code="has-type"
"""The elementwise catalog: every scalar operation gpugrad knows, written once.

Each entry gives the operation's NumPy call, its CUDA expression and its partial derivatives
(as expressions in the same language, in terms of the arguments and the node's own value).
Everything elementwise in gpugrad — the NumPy evaluation, the JVP and VJP rules, the fused
CUDA kernels, and every higher derivative — is derived from this table.

CUDA templates use plain C operators and the device math library where its semantics match
NumPy's, and ``gg_*`` helpers from ``kernels/gpugrad_math.cuh`` where they do not (NaN
propagation in ``maximum``, Python's sign convention in ``remainder``, stable ``logaddexp``).

Example:
    >>> from gpugrad.expr.language import var, diff
    >>> str(diff(tanh(var(0)), 0))
    'sub(1.0, mul(tanh(x0), tanh(x0)))'
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from gpugrad.expr.language import Expr, OpSpec, const, is_const, make, register_catalog

# First: Expr's operators (x + y, 1.0 / x) build with this module's operations, which the
# entries below use as they are defined.
register_catalog(sys.modules[__name__])

OPS: dict[str, OpSpec] = {}


def _op(
    name: str,
    numpy: str,
    cuda: str,
    *partials: Callable[..., Expr] | None,
    out_kind: str = "same",
) -> OpSpec:
    spec = OpSpec(name, len(partials), numpy, cuda, tuple(partials), out_kind)
    OPS[name] = spec
    return spec


def _nondiff(name: str, numpy: str, cuda: str, arity: int, out_kind: str = "same") -> OpSpec:
    return _op(name, numpy, cuda, *([None] * arity), out_kind=out_kind)


LN2 = math.log(2.0)
LN10 = math.log(10.0)

# Arithmetic. Partials receive (args..., node); `o` is the node itself (its value).
add = _op("add", "xp.add({0}, {1})", "({0} + {1})", lambda a, b, o: const(1.0),
          lambda a, b, o: const(1.0))
sub = _op("sub", "xp.subtract({0}, {1})", "({0} - {1})", lambda a, b, o: const(1.0),
          lambda a, b, o: const(-1.0))
mul = _op("mul", "xp.multiply({0}, {1})", "({0} * {1})", lambda a, b, o: b, lambda a, b, o: a)
div = _op("div", "xp.true_divide({0}, {1})", "({0} / {1})", lambda a, b, o: 1.0 / b,
          lambda a, b, o: -o / b)
neg = _op("neg", "xp.negative({0})", "(-{0})", lambda a, o: const(-1.0))
# x**n for a Python int n (the exponent is a constant argument, not differentiated).
# The CUDA template asks for the exponent as a C int ("{1:int}"): cast to T, a complex T
# would not convert to gg_ipow's int parameter.
ipow = _op("ipow", "xp.power({0}, {1})", "gg_ipow({0}, {1:int})",
           lambda x, n, o: n.value * ipow(x, n.value - 1), None)
# x**y with a floating exponent, JAX's rules: d/dx = y * x**(y - 1) with no guard, so at
# x == 0 it is NaN for y == 0 (0 * inf) and inf for 0 < y < 1; d/dy = log(x) * x**y with
# log(0) taken as log(1), so 0**y has d/dy = 0 (NaN at y == 0 again, from the d/dx side).
power = _op(
    "power", "xp.power({0}, {1})", "pow({0}, {1})",
    lambda x, y, o: y * power(x, y - 1.0),
    lambda x, y, o: log(select(eq(x, 0.0), 1.0, x)) * o,
)
square = _op("square", "xp.square({0})", "({0} * {0})", lambda x, o: 2.0 * x)
reciprocal = _op("reciprocal", "xp.reciprocal({0})", "((T)1 / {0})", lambda x, o: -(o * o))
# The share (1, 1/2 at a tie, or 0) of a maximum's or minimum's tangent or cotangent that
# goes to one input, as a value to multiply by: an infinite or NaN cotangent then gives NaN
# at an input that was not picked (sqrt(maximum(x, 0)) at x = -1 reads inf * 0), as JAX's
# product with a mask does, in both modes. A bare select of constants would fold
# g * select(c, 1, 0) into select(c, g, 0) and drop it: that is where's rule, not max's.
weight = _nondiff("weight", "{0}", "{0}", 1)
maximum = _op(
    "maximum", "xp.maximum({0}, {1})", "gg_maximum({0}, {1})",
    lambda a, b, o: weight(select(gt(a, b), 1.0, select(eq(a, b), 0.5, 0.0))),
    lambda a, b, o: weight(select(lt(a, b), 1.0, select(eq(a, b), 0.5, 0.0))),
)
minimum = _op(
    "minimum", "xp.minimum({0}, {1})", "gg_minimum({0}, {1})",
    lambda a, b, o: weight(select(lt(a, b), 1.0, select(eq(a, b), 0.5, 0.0))),
    lambda a, b, o: weight(select(gt(a, b), 1.0, select(eq(a, b), 0.5, 0.0))),
)
# JAX's convention at the kink: abs'(x) = 1 for x >= 0 (so abs'(0) = abs'(-0.0) = 1), and -1
# below (NaN included, since NaN >= 0 is false); the second derivative is 0 everywhere.
absolute = _op("abs", "xp.absolute({0})", "abs({0})",
               lambda x, o: select(ge(x, 0.0), 1.0, -1.0))
floor_divide = _nondiff("floor_divide", "xp.floor_divide({0}, {1})", "gg_floor_divide({0}, {1})",
                        2)
remainder = _op("remainder", "xp.remainder({0}, {1})", "gg_remainder({0}, {1})",
                lambda a, b, o: const(1.0), lambda a, b, o: -floor(a / b))

# Exponentials and logarithms.
exp = _op("exp", "xp.exp({0})", "exp({0})", lambda x, o: o)
exp2 = _op("exp2", "xp.exp2({0})", "gg_exp2({0})", lambda x, o: o * LN2)
expm1 = _op("expm1", "xp.expm1({0})", "expm1({0})", lambda x, o: o + 1.0)
log = _op("log", "xp.log({0})", "log({0})", lambda x, o: 1.0 / x)
log2 = _op("log2", "xp.log2({0})", "log2({0})", lambda x, o: 1.0 / (x * LN2))
log10 = _op("log10", "xp.log10({0})", "log10({0})", lambda x, o: 1.0 / (x * LN10))
log1p = _op("log1p", "xp.log1p({0})", "log1p({0})", lambda x, o: 1.0 / (x + 1.0))
# sqrt'(0) = inf and sqrt''(0) = -inf, as JAX. cbrt' is written as JAX writes it,
# o**-2 / 3, so that cbrt''(0) is -inf (inf * -inf) rather than the NaN (0 * inf) that
# differentiating 1 / (3 o^2) through the product o * o would give.
sqrt = _op("sqrt", "xp.sqrt({0})", "sqrt({0})", lambda x, o: 0.5 / o)
cbrt = _op("cbrt", "xp.cbrt({0})", "cbrt({0})", lambda x, o: ipow(o, -2) * (1.0 / 3.0))
# log(exp(a) + exp(b)) without overflow; its partials are softmax weights, with +inf read
# as 0 on both sides of the difference (JAX's rule), so logaddexp(inf, inf) has partials 1
# and 1 rather than exp(inf - inf) = NaN. At (-inf, -inf) they stay NaN, as in JAX.
logaddexp = _op("logaddexp", "xp.logaddexp({0}, {1})", "gg_logaddexp({0}, {1})",
                lambda a, b, o: exp(_finite_or_zero(a) - _finite_or_zero(o)),
                lambda a, b, o: exp(_finite_or_zero(b) - _finite_or_zero(o)))

# Trigonometric and hyperbolic functions.
sin = _op("sin", "xp.sin({0})", "sin({0})", lambda x, o: cos(x))
cos = _op("cos", "xp.cos({0})", "cos({0})", lambda x, o: -sin(x))
tan = _op("tan", "xp.tan({0})", "tan({0})", lambda x, o: 1.0 + o * o)
arcsin = _op("arcsin", "xp.arcsin({0})", "asin({0})", lambda x, o: 1.0 / sqrt(1.0 - x * x))
arccos = _op("arccos", "xp.arccos({0})", "acos({0})", lambda x, o: -1.0 / sqrt(1.0 - x * x))
arctan = _op("arctan", "xp.arctan({0})", "atan({0})", lambda x, o: 1.0 / (1.0 + x * x))
arctan2 = _op("arctan2", "xp.arctan2({0}, {1})", "atan2({0}, {1})",
              lambda a, b, o: b / (a * a + b * b), lambda a, b, o: -a / (a * a + b * b))
sinh = _op("sinh", "xp.sinh({0})", "sinh({0})", lambda x, o: cosh(x))
cosh = _op("cosh", "xp.cosh({0})", "cosh({0})", lambda x, o: sinh(x))
tanh = _op("tanh", "xp.tanh({0})", "tanh({0})", lambda x, o: 1.0 - o * o)
arcsinh = _op("arcsinh", "xp.arcsinh({0})", "asinh({0})", lambda x, o: 1.0 / sqrt(x * x + 1.0))
arccosh = _op("arccosh", "xp.arccosh({0})", "acosh({0})",
              lambda x, o: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)))
# arctanh' as JAX writes it, 1 / (1 + x) / (1 - x): at x = +-1 the second derivative is then
# inf - inf = NaN, as in JAX, not the inf that 1 / (1 - x * x) would give.
arctanh = _op("arctanh", "xp.arctanh({0})", "atanh({0})",
              lambda x, o: reciprocal(1.0 + x) / (1.0 - x))

# Piecewise-constant functions: zero derivative (as in JAX).
sign = _nondiff("sign", "xp.sign({0})", "gg_sign({0})", 1)
floor = _nondiff("floor", "xp.floor({0})", "floor({0})", 1)
ceil = _nondiff("ceil", "xp.ceil({0})", "ceil({0})", 1)
rint = _nondiff("rint", "xp.rint({0})", "rint({0})", 1)
trunc = _nondiff("trunc", "xp.trunc({0})", "trunc({0})", 1)

# Comparisons and logic: boolean results, no derivative. A comparison is NumPy's function of
# that name and the C operator, from (name, NumPy function, C operator):
eq, ne, lt, le, gt, ge = (
    _nondiff(name, f"xp.{function}({{0}}, {{1}})", f"({{0}} {operator} {{1}})", 2, "bool")
    for name, function, operator in [
        ("eq", "equal", "=="), ("ne", "not_equal", "!="), ("lt", "less", "<"),
        ("le", "less_equal", "<="), ("gt", "greater", ">"), ("ge", "greater_equal", ">=")])
logical_and = _nondiff("logical_and", "xp.logical_and({0}, {1})", "({0} && {1})", 2, "bool")
logical_or = _nondiff("logical_or", "xp.logical_or({0}, {1})", "({0} || {1})", 2, "bool")
logical_xor = _nondiff("logical_xor", "xp.logical_xor({0}, {1})", "(!{0} != !{1})", 2, "bool")
logical_not = _nondiff("logical_not", "xp.logical_not({0})", "(!{0})", 1, "bool")
# The tests of a float: the same name in NumPy and in CUDA.
isnan, isinf, isfinite = (_nondiff(name, f"xp.{name}({{0}})", f"{name}({{0}})", 1, "bool")
                          for name in ("isnan", "isinf", "isfinite"))

# where(c, a, b): the condition is not differentiated.
select = _op("select", "xp.where({0}, {1}, {2})", "({0} ? {1} : {2})", None,
             lambda c, a, b, o: select(c, 1.0, 0.0), lambda c, a, b, o: select(c, 0.0, 1.0))


def _finite_or_zero(x: Expr) -> Expr:
    """``x`` with +inf replaced by 0 (for logaddexp's partials)."""
    return select(logical_and(isinf(x), gt(x, 0.0)), 0.0, x)


# ---------------------------------------------------------------------------------------
# Algebraic folding applied as nodes are built, so derivatives stay small. Folding
# `0 * x` to 0 drops NaN propagation from x, exactly as symbolic zeros do in JAX.


def _both_const(a: Expr, b: Expr) -> bool:
    return a.op == "const" and b.op == "const"


def _fold_add(a: Expr, b: Expr) -> Expr | None:
    if is_const(a, 0):
        return b
    if is_const(b, 0):
        return a
    if _both_const(a, b):
        return const(a.value + b.value)
    return _same_condition(a, b, add)


def _fold_sub(a: Expr, b: Expr) -> Expr | None:
    if is_const(b, 0):
        return a
    if is_const(a, 0):
        return neg(b)
    if _both_const(a, b):
        return const(a.value - b.value)
    return _same_condition(a, b, sub)


def _same_condition(a: Expr, b: Expr, op: OpSpec) -> Expr | None:
    """where(c, p, q) (+ or -) where(c, r, s) == where(c, p (+/-) r, q (+/-) s): the
    derivative of where(c, ct, -ct) (abs's VJP) is then one select of constants, which
    the multiplication below folds away instead of building a float64 array of them."""
    if a.op is select and b.op is select and a.args[0] == b.args[0]:
        return select(a.args[0], op(a.args[1], b.args[1]), op(a.args[2], b.args[2]))
    return None


def _fold_mul(a: Expr, b: Expr) -> Expr | None:
    if is_const(a, 0) or is_const(b, 0):
        return const(0.0)
    if is_const(a, 1):
        return b
    if is_const(b, 1):
        return a
    if _both_const(a, b):
        return const(a.value * b.value)
    if is_const(a, -1):
        return neg(b)
    if is_const(b, -1):
        return neg(a)
    # x * where(c, p, q) == where(c, p * x, q * x) for constant p and q (or selects of
    # constants): where(c, 1, 0) * x becomes one select, and no array is ever built from
    # constants alone (NumPy would make it float64 and widen a float32 result).
    for s, x in ((a, b), (b, a)):
        if s.op is select and x.op != "const" and _constant_valued(s):
            return select(s.args[0], s.args[1] * x, s.args[2] * x)
    return None


def _constant_valued(e: Expr) -> bool:
    """A constant, or a select between constant-valued expressions."""
    if e.op == "const":
        return True
    return e.op is select and _constant_valued(e.args[1]) and _constant_valued(e.args[2])


def _fold_div(a: Expr, b: Expr) -> Expr | None:
    if is_const(b, 1):
        return a
    if is_const(a, 0):
        return const(0.0)
    if _both_const(a, b):
        return const(a.value / b.value)
    return None


def _fold_neg(a: Expr) -> Expr | None:
    if a.op == "const":
        return const(-a.value)
    if a.op is neg:
        return a.args[0]
    if a.op is select and _constant_valued(a):
        return select(a.args[0], neg(a.args[1]), neg(a.args[2]))
    return None


def _fold_ipow(x: Expr, n: Expr) -> Expr | None:
    if is_const(n, 0):
        return const(1.0)
    if is_const(n, 1):
        return x
    if x.op == "const":
        return const(x.value**n.value)
    if is_const(n, 2):
        return square(x)  # NumPy's square is several times faster than power(x, 2)
    return None


def _fold_weight(w: Expr) -> Expr | None:
    return w if w.op == "const" else None  # a constant share multiplies as any constant


def _fold_select(c: Expr, a: Expr, b: Expr) -> Expr | None:
    if a == b:
        return a
    return None


SIMPLIFY: dict[str, Callable[..., Expr | None]] = {
    "add": _fold_add,
    "sub": _fold_sub,
    "mul": _fold_mul,
    "div": _fold_div,
    "neg": _fold_neg,
    "ipow": _fold_ipow,
    "select": _fold_select,
    "weight": _fold_weight,
}


def apply(name: str, *args: Any) -> Expr:
    """Build catalog operation ``name`` over ``args`` (expressions or constants)."""
    return make(OPS[name], tuple(a if isinstance(a, Expr) else const(a) for a in args))


# ---------------------------------------------------------------------------------------
# Appended entries (gpugrad.numpy breadth).

# sqrt(a*a + b*b) without overflow or underflow (the device library's hypot). Its partials
# are a/o and b/o; at the origin, where they are 0/0, each is 1/2, as in JAX (whose hypot is
# max(|a|, |b|) * sqrt(1 + (min/max)**2): abs'(0) = 1, and the tie in max splits it).
# Where the result is inf they are 0, as JAX's forward mode gives (its hypot selects a
# constant inf there; its reverse mode gives NaN, 0 * inf, which we do not copy).
hypot = _op("hypot", "xp.hypot({0}, {1})", "hypot({0}, {1})",
            lambda a, b, o: _hypot_partial(a, o), lambda a, b, o: _hypot_partial(b, o))



def _hypot_partial(a: Expr, o: Expr) -> Expr:
    return select(isinf(o), 0.0, select(eq(o, 0.0), 0.5, a / o))


# ---------------------------------------------------------------------------------------
# Appended entries: special functions (gpugrad.scipy.special). NumPy has no ufunc for these,
# so their NumPy templates call ``special.<name>`` (gpugrad/primitives/special_math.py, put
# in the generated code's namespace by elementwise_eval.numpy_function). On CUDA: the device math
# library's erf, erfc, erfinv and lgamma, and the gg_digamma / gg_polygamma helpers.

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)

erf = _op("erf", "special.erf({0})", "erf({0})",
          lambda x, o: TWO_OVER_SQRT_PI * exp(-(x * x)))
erfc = _op("erfc", "special.erfc({0})", "erfc({0})",
           lambda x, o: -TWO_OVER_SQRT_PI * exp(-(x * x)))
# erfinv' = 1 / erf'(erfinv x) = sqrt(pi)/2 * exp(erfinv(x)^2).
erfinv = _op("erfinv", "special.erfinv({0})", "erfinv({0})",
             lambda x, o: HALF_SQRT_PI * exp(o * o))
# polygamma(n, x) for a constant integer n >= 1 (like ipow's exponent): d/dx raises n by 1,
# so every order of derivative of gammaln and digamma stays in the catalog.
polygamma = _op("polygamma", "special.polygamma({0}, {1})", "gg_polygamma({0}, {1})",
                None, lambda n, x, o: polygamma(const(int(n.value) + 1), x))
digamma = _op("digamma", "special.digamma({0})", "gg_digamma({0})",
              lambda x, o: polygamma(const(1), x))
gammaln = _op("gammaln", "special.gammaln({0})", "lgamma({0})", lambda x, o: digamma(x))
# The logistic sigmoid 1 / (1 + e^-x): its own entry so that its derivative is o * (1 - o)
# and neither tail overflows into NaN (e^-x = inf gives exactly 0).
logistic = _op("logistic", "special.expit({0})", "gg_sigmoid({0})",
               lambda x, o: o * (1.0 - o))
# x * log(y) and x * log1p(y), defined as 0 where x == 0 (even where log y is -inf or NaN);
# JAX's derivatives: d/dx = log(y) (also at x == 0), d/dy = x / y.
xlogy = _op("xlogy", "xp.where(xp.equal({0}, 0), 0.0, xp.multiply({0}, xp.log({1})))",
            "({0} == (T)0 ? (T)0 : {0} * log({1}))",
            lambda x, y, o: log(y), lambda x, y, o: x / y)
xlog1py = _op("xlog1py", "xp.where(xp.equal({0}, 0), 0.0, xp.multiply({0}, xp.log1p({1})))",
              "({0} == (T)0 ? (T)0 : {0} * log1p({1}))",
              lambda x, y, o: log1p(y), lambda x, y, o: x / (1.0 + y))
