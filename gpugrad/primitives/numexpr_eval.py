"""numexpr evaluation of large elementwise expressions (optional: ``gpugrad[numexpr]``).

numexpr compiles an expression string to a small virtual machine that walks the arrays in
cache-sized blocks, on several threads. When it is installed and the ``numexpr`` option
allows it (``gpugrad.config``, environment variable ``GPUGRAD_NUMEXPR``),
:func:`gpugrad.primitives.numpy_eval.maybe_fused` hands it the large same-shape floating
expressions whose every node is in its vocabulary (:data:`VOCABULARY`); everything else,
and everything when numexpr is absent, stays on NumPy.

Translation (:func:`to_numexpr`, cached per expression on ``expr._cache``) keeps NumPy's
result dtype: numexpr types a Python float literal as double, which would compute a float32
expression in float64, so constants become inputs of the array's dtype (``c0``, ``c1``...)
except small integers beside a floating operand, which numexpr casts to the operand's type
exactly as NumPy casts a Python scalar. A compiled program any of whose registers is not of
the array's dtype (or boolean) is refused, so the rule is checked, not assumed. numexpr's
transcendental functions may round differently from NumPy's (results agree to a few ulp),
and integer powers up to 4 become products. numexpr's thread settings are left as they are.

Example:
    >>> import numpy as np
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.expr.language import var
    >>> e = C.exp(-C.square(var(0))) * 2.5 + var(1)
    >>> to_numexpr(e)
    ('((exp((-(x0 ** 2))) * c0) + x1)', (0, 1), (2.5,))
    >>> x = np.linspace(-1.0, 1.0, 5, dtype=np.float32)
    >>> run = numexpr_function(e, np.dtype(np.float32))
    >>> got = run((x, np.float32(1.0)))
    >>> got.dtype
    dtype('float32')
    >>> bool(np.allclose(got, np.exp(-x * x) * 2.5 + 1.0, rtol=1e-6))
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad.expr.language import Expr, OpSpec

__all__ = ["MAX_INPUTS", "VOCABULARY", "available", "numexpr_function", "to_numexpr"]

# numexpr functions by catalog name; gated at first use on the installed version's list.
_FUNCTIONS = {
    name: name
    for name in (
        "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "sin", "cos", "tan", "arcsin",
        "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
        "floor", "ceil", "isnan", "isinf", "isfinite",
    )
} | {"abs": "abs"}
_ARITHMETIC = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_LOGICAL = {"logical_and": "&", "logical_or": "|", "logical_xor": "^"}
_OTHER = ("neg", "square", "reciprocal", "ipow", "power", "logical_not", "select", "sign")

#: Catalog operations numexpr can evaluate with NumPy's semantics (when the installed
#: numexpr has the function); ``sign`` as nested ``where`` (NumPy's: 0 at -0.0, NaN at NaN).
#: Left out on purpose: maximum/minimum/hypot/rint/trunc (numexpr computes them in float64
#: for float32 inputs, and has them only from 2.10 on), remainder and floor_divide
#: (numexpr's ``%`` and ``//`` differ from NumPy's at infinities and signs), and the
#: functions numexpr lacks (exp2, cbrt, logaddexp, the special functions).
VOCABULARY: frozenset[str] = frozenset(
    [*_FUNCTIONS, *_ARITHMETIC, *_COMPARISONS, *_LOGICAL, *_OTHER])

#: Most inputs (variables and typed constants) of one program: NumPy's iterator takes at
#: most 32 operands before NumPy 2 (the output is one of them).
MAX_INPUTS = 31
# Longest numexpr source accepted: a shared subexpression is written out at every use, so a
# deep derivative could grow the text exponentially before numexpr merges it back.
_MAX_TEXT = 20_000
# Integer powers written as products (numexpr expands them); larger ones call pow, as NumPy
# does, since repeated squaring would lose a few more ulp.
_MAX_PRODUCT_POWER = 4
# Integer constants written as literals: exact in float32.
_MAX_LITERAL = 1 << 24

_numexpr: Any = None  # the module once imported; False when it is not installed


def _module() -> Any:
    global _numexpr
    if _numexpr is None:
        try:
            import numexpr
        except Exception:  # absent, or built against another NumPy: evaluate with NumPy
            _numexpr = False
        else:
            _numexpr = numexpr
    return _numexpr


def available() -> bool:
    """Whether numexpr imports (tried once per process)."""
    return bool(_module())


class _Untranslatable(Exception):
    pass


def to_numexpr(expr: Expr) -> tuple[str, tuple[int, ...], tuple[float, ...]] | None:
    """``(source, variables, constants)`` of ``expr`` for numexpr, or None outside its
    vocabulary.

    ``source`` reads inputs ``x<i>`` (``i`` in ``variables``: the indices of the expression's
    inputs it uses, ascending) and ``c<k>`` (``constants[k]``, to be passed as 0-d arrays of
    the evaluation's dtype). Every input is assumed floating, as in
    :func:`~gpugrad.primitives.numpy_eval.maybe_fused`.
    """
    key = "numexpr_source"
    if key not in expr._cache:
        expr._cache[key] = _translate(expr)
    return expr._cache[key]  # type: ignore[no-any-return]


def _translate(expr: Expr) -> tuple[str, tuple[int, ...], tuple[float, ...]] | None:
    functions = getattr(getattr(_module() or None, "expressions", None), "functions", {})
    constants: dict[str, tuple[int, float]] = {}  # repr -> (index, value); keeps -0.0 apart
    variables: set[int] = set()
    rendered: dict[Expr, tuple[str, bool]] = {}  # node -> (text, is boolean)

    def constant(value: float) -> str:
        k, _ = constants.setdefault(repr(float(value)), (len(constants), float(value)))
        return f"c{k}"

    def leaf(e: Expr, literal_ok: bool) -> tuple[str, bool]:
        if e.op == "var":
            variables.add(int(e.value))
            return f"x{e.value}", False
        value = e.value
        if isinstance(value, (bool, np.bool_)):
            return ("True" if value else "False"), True
        v = float(value)
        if literal_ok and v.is_integer() and abs(v) <= _MAX_LITERAL and (v or str(v)[0] != "-"):
            return (str(int(v)) if v >= 0 else f"({int(v)})"), False
        return constant(v), False

    def floats(node: Expr, args: Sequence[Expr], literal_ok: bool = False) -> list[str]:
        """``args`` (of ``node``) rendered as floating operands."""
        # An integer literal takes its type from a floating sibling that is not a constant.
        literal_ok = literal_ok and any(a.op != "const" for a in args)
        out = []
        for a in args:
            text, boolean = leaf(a, literal_ok) if a.op in ("var", "const") else visit(a)
            if boolean:
                raise _Untranslatable(f"{node} takes a boolean as a number")
            out.append(text)
        return out

    def booleans(node: Expr, args: Sequence[Expr]) -> list[str]:
        """``args`` rendered as conditions (a number is true where nonzero, as in NumPy)."""
        out = []
        for a in args:
            text, boolean = leaf(a, False) if a.op in ("var", "const") else visit(a)
            out.append(text if boolean else f"({text} != 0)")
        return out

    def visit(node: Expr) -> tuple[str, bool]:
        hit = rendered.get(node)
        if hit is not None:
            return hit
        op = node.op
        assert isinstance(op, OpSpec)
        name = op.name
        if name not in VOCABULARY or (name in _FUNCTIONS and _FUNCTIONS[name] not in functions):
            raise _Untranslatable(name)
        boolean = op.out_kind == "bool"
        if name in _ARITHMETIC:
            a, b = floats(node, node.args, literal_ok=True)
            text = f"({a} {_ARITHMETIC[name]} {b})"
        elif name in _COMPARISONS:
            a, b = floats(node, node.args, literal_ok=True)
            text = f"({a} {_COMPARISONS[name]} {b})"
        elif name in _LOGICAL:
            a, b = booleans(node, node.args)
            text = f"({a} {_LOGICAL[name]} {b})"
        elif name == "logical_not":
            text = f"(~{booleans(node, node.args)[0]})"
        elif name == "select":
            (cond,) = booleans(node, node.args[:1])
            a, b = floats(node, node.args[1:], literal_ok=True)
            text = f"where({cond}, {a}, {b})"
        elif name == "sign":
            (a,) = floats(node, node.args)
            text = f"where({a} > 0, 1, where({a} < 0, -1, where({a} == 0, 0, {a})))"
        elif name == "neg":
            text = f"(-{floats(node, node.args)[0]})"
        elif name == "square":
            text = f"({floats(node, node.args)[0]} ** 2)"
        elif name == "reciprocal":
            text = f"(1 / {floats(node, node.args)[0]})"
        elif name == "ipow":
            base, n = node.args
            if n.op != "const" or base.op == "const":
                raise _Untranslatable("ipow of a constant or by a non-constant")
            (text,) = floats(node, (base,))
            power = int(n.value)
            exponent = str(power) if abs(power) <= _MAX_PRODUCT_POWER else constant(power)
            text = f"({text} ** {exponent})"
        elif name == "power":
            a, b = floats(node, node.args)
            text = f"({a} ** {b})"
        else:
            text = f"{_FUNCTIONS[name]}({', '.join(floats(node, node.args))})"
        if len(text) > _MAX_TEXT:
            raise _Untranslatable("too long")
        rendered[node] = (text, boolean)
        return text, boolean

    if not isinstance(expr.op, OpSpec):
        return None  # a bare input or constant: nothing to compute
    try:
        source, _ = visit(expr)
    except _Untranslatable:
        return None
    if not variables or len(variables) + len(constants) > MAX_INPUTS:
        return None
    values = tuple(v for _, v in sorted(constants.values()))
    return source, tuple(sorted(variables)), values


def numexpr_function(expr: Expr, dtype: np.dtype[Any]
                     ) -> Callable[[Sequence[Any]], np.ndarray[Any, Any]] | None:
    """``run(args)`` evaluating ``expr`` with numexpr on ``expr``'s inputs ``args`` (arrays of
    ``dtype`` that broadcast together, or scalars), or None: numexpr absent, ``dtype`` not
    float32/float64, an operation outside :data:`VOCABULARY`, or a program numexpr would
    not compute in ``dtype``. Compiled once per expression and dtype."""
    key = ("numexpr", dtype.char)
    hit = expr._cache.get(key, False)
    if hit is False:
        hit = expr._cache[key] = _compile(expr, np.dtype(dtype))
    return hit  # type: ignore[no-any-return]


def _compile(expr: Expr, dtype: np.dtype[Any]
             ) -> Callable[[Sequence[Any]], np.ndarray[Any, Any]] | None:
    ne = _module()
    if not ne or dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return None
    translated = to_numexpr(expr)
    if translated is None:
        return None
    source, variables, values = translated
    kind = ne.necompiler.getType(np.empty(0, dtype))  # numexpr's name for the dtype
    names = [f"x{i}" for i in variables] + [f"c{k}" for k in range(len(values))]
    context = {"optimization": "aggressive", "truediv": True}
    try:
        program = ne.NumExpr(source, [(n, kind) for n in names], **context)
    except Exception:  # beyond numexpr's limits (registers, say): NumPy evaluates it
        return None
    # Output, inputs, constants and temporaries: all of the dtype, or boolean.
    if set(bytes(program.fullsig)) - {ord("b"), ord(dtype.char)}:
        return None
    try:
        uses_vml = bool(ne.necompiler.getExprNames(source, context)[1])
    except Exception:
        uses_vml = False
    constants = [np.asarray(v, dtype) for v in values]
    options = {"order": "K", "casting": "safe", "ex_uses_vml": uses_vml}

    def run(args: Sequence[Any]) -> np.ndarray[Any, Any]:
        inputs = [a if type(a) is np.ndarray and a.dtype == dtype else np.asarray(a, dtype)
                  for a in (args[i] for i in variables)]
        return program(*inputs, *constants, **options)  # type: ignore[no-any-return]

    return run
