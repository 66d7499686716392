"""Printers of scalar expressions: NumPy source and CUDA statements from one tree.

Each prints one statement per distinct operation node, in :func:`evaluation_order`, so a
common subexpression is computed once; a node's text is its operation's template from the
catalog (``OpSpec.numpy`` or ``OpSpec.cuda``) filled with its arguments' names.

* :func:`to_python` — ``def _eval(xp, x0, ...)`` calling ``xp.<ufunc>``: the NumPy evaluation
  (``gpugrad.primitives.elementwise_eval`` compiles it once per expression);
* :func:`to_cuda` — the body of a CUDA elementwise kernel (``gpugrad.kernel.codegen`` wraps it).

Example:
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.expr.language import var
    >>> print(to_cuda(C.exp(var(0)) + var(1)))
    T t0 = exp(x0);
    out0 = (t0 + x1);
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpugrad.expr.language import Expr, OpSpec, evaluation_order

__all__ = ["to_cuda", "to_python"]


def _render(e: Expr, names: dict[Expr, str], literal: Callable[[Any], str]) -> str:
    if e.op == "var":
        return f"x{e.value}"
    if e.op == "const":
        return literal(e.value)
    return names[e]


def _untyped_nodes(nodes: list[Expr]) -> set[Expr]:
    """The numeric nodes (of ``nodes``, in evaluation order) that read no variable and no
    numeric node that does: only constants and booleans, from which NumPy alone would
    compute in float64 (``where(eq(x0, x1), 1.0, 0.5)``), whatever the inputs' dtype."""
    untyped: set[Expr] = set()
    for node in nodes:
        assert isinstance(node.op, OpSpec)
        if node.op.out_kind != "bool" and all(
                a.op == "const" or (isinstance(a.op, OpSpec)
                                    and (a.op.out_kind == "bool" or a in untyped))
                for a in node.args):
            untyped.add(node)
    return untyped


def _typed_literal(value: Any) -> str:
    return f"T({value!r})"


# Arithmetic whose Python operator does what the ufunc does, written as the operator where
# an operand is a temporary (a NumPy scalar or array, never a bare Python number): on NumPy
# scalars the operator takes NumPy's scalar arithmetic, about a tenth of a ufunc call's cost
# (50-120 ns against 0.5-2 us), same dtype and the same rounding; on arrays it calls the
# ufunc. Arguments may be Python numbers, for which ``x0 * x1`` would be Python arithmetic
# (a Python float, not NumPy's float64), so they keep the ufunc unless the caller says that
# they are NumPy values (``typed_args``).
_OPERATOR_FORMS = {"add": "({0} + {1})", "sub": "({0} - {1})", "mul": "({0} * {1})",
                   "div": "({0} / {1})", "neg": "(-{0})"}


def to_python(e: Expr | tuple[Expr, ...], nargs: int, name: str = "_eval",
              typed_args: frozenset[int] = frozenset()) -> str:
    """Python source of ``def name(xp, x0, ..., x{nargs-1})`` evaluating ``e`` with ufuncs;
    for a tuple of expressions, a function returning the tuple of their values, each shared
    subexpression computed once (all the cotangents of one VJP, say).

    A node computed from constants and booleans alone, and a constant result, have their
    constants typed by ``T = compute_type(x0, ...)`` (:func:`gpugrad.dtypes.compute_type`,
    which the namespace the source runs in provides): NumPy would compute them in float64,
    a kernel in ``T``. Arithmetic on a temporary, or on an argument listed in
    ``typed_args`` (one the caller passes as a NumPy value, never a Python number), is
    written with Python's operators: the same ufunc on arrays, NumPy's much cheaper scalar
    arithmetic on NumPy scalars.

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> print(to_python(C.select(C.gt(var(0), 0.0), 1.0, 0.5) + var(1), 2))
        def _eval(xp, x0, x1):
            T = compute_type(x0, x1)
            t0 = xp.greater(x0, 0.0)
            t1 = xp.where(t0, T(1.0), T(0.5))
            del t0
            return (t1 + x1)
        >>> print(to_python(C.sin(var(0)) * 2.0, 1))
        def _eval(xp, x0):
            t0 = xp.sin(x0)
            return (t0 * 2.0)
        >>> print(to_python((C.cos(var(0)) * var(1), C.cos(var(0)) * var(2)), 3))
        def _eval(xp, x0, x1, x2):
            t0 = xp.cos(x0)
            t1 = (t0 * x1)
            t2 = (t0 * x2)
            del t0
            return (t1, t2)
    """
    many = isinstance(e, tuple)
    outputs: tuple[Expr, ...] = e if isinstance(e, tuple) else (e,)
    params = ", ".join(["xp"] + [f"x{i}" for i in range(nargs)])
    lines = [f"def {name}({params}):"]
    names: dict[Expr, str] = {}
    nodes = evaluation_order(e)
    roots = set(outputs) if many else set()
    # The position of each temporary's last use, so it can be freed right after: large
    # fused expressions would otherwise hold every intermediate array until they return.
    last_use: dict[Expr, int] = {}
    for k, node in enumerate(nodes):
        for a in node.args:
            if isinstance(a.op, OpSpec):
                last_use[a] = k
    untyped = _untyped_nodes(nodes) if nargs else set()
    typed_roots = nargs > 0 and any(r.op == "const" for r in outputs)  # d(x**0)/dx, say
    if untyped or typed_roots:  # their constants take the dtype a kernel computes in (its T)
        lines.append(f"    T = compute_type({', '.join(f'x{i}' for i in range(nargs))})")
    result_literal = _typed_literal if typed_roots else repr
    for k, node in enumerate(nodes):
        assert isinstance(node.op, OpSpec)
        literal = _typed_literal if node in untyped else repr
        args = [_render(a, names, literal) for a in node.args]
        operator = _OPERATOR_FORMS.get(node.op.name)
        if operator is not None and any(
                a in names or (a.op == "var" and a.value in typed_args) for a in node.args):
            text = operator.format(*args)
        else:
            text = node.op.numpy.format(*args)
        if not many and node is nodes[-1]:
            lines.append(f"    return {text}")
            break
        names[node] = f"t{k}"
        lines.append(f"    t{k} = {text}")
        dead = sorted({names[a] for a in node.args
                       if last_use.get(a) == k and a in names and a not in roots})
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    if many:
        values = ", ".join(_render(r, names, result_literal) for r in outputs)
        lines.append(f"    return ({values}{',' if len(outputs) == 1 else ''})")
    elif not nodes:  # a bare variable or constant
        lines.append(f"    return {_render(outputs[0], names, result_literal)}")
    return "\n".join(lines)


class _CLiteral(str):
    """A constant's C text, ``(T)3``; a template's ``{k:int}`` renders it as a plain C int
    (an integer parameter such as ``gg_ipow``'s exponent, which a complex T would not fill).
    """

    value: int

    def __format__(self, spec: str) -> str:
        if spec == "int":
            return str(self.value)
        return str.__format__(self, spec)


def _c_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        literal = _CLiteral(f"(T){value}")
        literal.value = value
        return literal
    text = repr(float(value))
    if text in ("inf", "-inf", "nan"):
        return {"inf": "(T)(1.0/0.0)", "-inf": "(T)(-1.0/0.0)", "nan": "(T)(0.0/0.0)"}[text]
    return f"(T){text}"


def to_cuda(e: Expr | tuple[Expr, ...], out: str = "out0") -> str:
    """CUDA C statements computing ``e`` into ``out``; inputs are ``x0, x1, ...``, type ``T``.
    For a tuple of expressions, their values go to ``out0, out1, ...`` (shared
    subexpressions computed once).

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> print(to_cuda(C.sin(var(0)) * 2.0))
        T t0 = sin(x0);
        out0 = (t0 * (T)2.0);
        >>> print(to_cuda((C.cos(var(0)) * var(1), C.cos(var(0)) * var(2))))
        T t0 = cos(x0);
        out0 = (t0 * x1);
        out1 = (t0 * x2);
    """
    many = isinstance(e, tuple)
    roots = list(e) if isinstance(e, tuple) else [e]
    lines: list[str] = []
    names: dict[Expr, str] = {}
    nodes = evaluation_order(e)
    # Every output a root is written to: the same expression may be several outputs (the
    # cotangents of add are both ``ct``), and each must be assigned.
    final: dict[Expr, list[str]] = {}
    for k, r in enumerate(roots):
        final.setdefault(r, []).append(f"out{k}" if many else out)
    written: set[Expr] = set()
    for k, node in enumerate(nodes):
        assert isinstance(node.op, OpSpec)
        args = [_render(a, names, _c_literal) for a in node.args]
        text = node.op.cuda.format(*args, T="T")
        # A root of one output that nothing after it reads is assigned directly.
        targets = final.get(node, [])
        if len(targets) == 1 and not any(node in later.args for later in nodes[k + 1:]):
            lines.append(f"{targets[0]} = {text};")
            written.add(node)
            names[node] = targets[0]
            continue
        ctype = "bool" if node.op.out_kind == "bool" else "T"
        names[node] = f"t{k}"
        lines.append(f"{ctype} t{k} = {text};")
    for k, r in enumerate(roots):
        if r not in written:
            target = f"out{k}" if many else out
            lines.append(f"{target} = {_render(r, names, _c_literal)};")
    return "\n".join(lines)
