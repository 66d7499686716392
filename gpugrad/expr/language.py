"""Scalar expressions: the one language every elementwise formula is written in.

An :class:`Expr` is an immutable tree of catalog operations over numbered inputs
(``var(0)``, ``var(1)``, ...) and literal constants. From one tree we derive

* its NumPy evaluation (:func:`to_python`: Python source calling ``xp.<ufunc>``),
* the body of a CUDA elementwise kernel (:func:`to_cuda`: one C statement per node),
* its partial derivative with respect to any input (:func:`diff`: the chain rule over the
  tree, each node's partials taken from the catalog), itself an ``Expr``.

So a VJP formula is just another expression (``ct * d expr / d x_i``), and differentiating it
again gives the next order: no formula is ever written twice. Rendering a node to Python or to
C is a lookup of its operation's template (see ``catalog.py``).

Example:
    >>> from gpugrad.expr.language import var, diff
    >>> from gpugrad.expr import catalog as C
    >>> x = var(0)
    >>> str(diff(C.sin(x) * x, 0))
    'add(mul(x0, cos(x0)), sin(x0))'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Expr", "OpSpec", "const", "diff", "substitute", "to_cuda", "to_python", "var"]


class OpSpec:
    """A catalog entry: how to evaluate, render and differentiate one scalar operation.

    ``numpy`` and ``cuda`` are format templates over the rendered arguments (``{0}``,
    ``{1}``...; ``{T}`` is the CUDA result type). ``partials[i]`` maps the argument
    expressions and the node itself (so ``tanh' = 1 - tanh(x)**2`` can reuse the value)
    to ``d node / d arg_i``; ``None`` marks an argument with zero derivative.
    """

    __slots__ = ("arity", "cuda", "name", "numpy", "out_kind", "partials")

    def __init__(
        self,
        name: str,
        arity: int,
        numpy: str,
        cuda: str,
        partials: tuple[Callable[..., Expr] | None, ...],
        out_kind: str = "same",
    ) -> None:
        self.name = name
        self.arity = arity
        self.numpy = numpy
        self.cuda = cuda
        self.partials = partials
        self.out_kind = out_kind  # "same" as the inputs, or "bool"

    def __call__(self, *args: Any) -> Expr:
        if len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} arguments, got {len(args)}")
        return make(self, tuple(as_expr(a) for a in args))

    def __repr__(self) -> str:
        return f"OpSpec({self.name})"


class Expr:
    """A node: an operation applied to argument expressions, a variable, or a constant."""

    __slots__ = ("_cache", "_hash", "args", "op", "value")

    def __init__(self, op: OpSpec | str, args: tuple[Expr, ...], value: Any = None) -> None:
        self.op = op  # an OpSpec, or "var" / "const"
        self.args = args
        self.value = value  # the variable's index, or the constant
        self._hash = hash((op if isinstance(op, str) else op.name, args, value))
        # Derived artefacts (compiled evaluators, derivatives), memoised per tree.
        self._cache: dict[Any, Any] = {}

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Expr) or self._hash != other._hash:
            return False
        return self.op is other.op and self.value == other.value and self.args == other.args

    def __str__(self) -> str:
        if self.op == "var":
            return f"x{self.value}"
        if self.op == "const":
            return repr(self.value)
        assert isinstance(self.op, OpSpec)
        return f"{self.op.name}({', '.join(map(str, self.args))})"

    __repr__ = __str__

    # Operator sugar so the catalog reads like math. Imported lazily to avoid a cycle.
    def __add__(self, other: Any) -> Expr:
        return _cat().add(self, other)

    def __radd__(self, other: Any) -> Expr:
        return _cat().add(other, self)

    def __sub__(self, other: Any) -> Expr:
        return _cat().sub(self, other)

    def __rsub__(self, other: Any) -> Expr:
        return _cat().sub(other, self)

    def __mul__(self, other: Any) -> Expr:
        return _cat().mul(self, other)

    def __rmul__(self, other: Any) -> Expr:
        return _cat().mul(other, self)

    def __truediv__(self, other: Any) -> Expr:
        return _cat().div(self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return _cat().div(other, self)

    def __neg__(self) -> Expr:
        return _cat().neg(self)

    def __pow__(self, n: int) -> Expr:
        return _cat().ipow(self, n)


def _cat() -> Any:
    from gpugrad.expr import catalog

    return catalog


def var(index: int) -> Expr:
    """The ``index``-th input of an elementwise expression."""
    return Expr("var", (), index)


def const(value: float | int | bool) -> Expr:
    """A literal constant (cast to the expression's dtype when evaluated)."""
    return Expr("const", (), value)


def as_expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, int, float)):
        return const(value)
    raise TypeError(f"cannot use {value!r} in an elementwise expression")


def make(op: OpSpec, args: tuple[Expr, ...]) -> Expr:
    """Build ``op(*args)``, folding the algebra that keeps derivatives small (0 and 1)."""
    simplify = _cat().SIMPLIFY.get(op.name)
    if simplify is not None:
        folded = simplify(*args)
        if folded is not None:
            return folded
    return Expr(op, args)


def is_const(e: Expr, value: Any = None) -> bool:
    return e.op == "const" and (value is None or e.value == value)


# ---------------------------------------------------------------------------------------
# Differentiation


def diff(e: Expr, index: int) -> Expr:
    """``d e / d var(index)`` by the chain rule, memoised per tree.

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> str(diff(C.exp(var(0)) * var(1), 1))
        'exp(x0)'
    """
    key = ("diff", index)
    cached = e._cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if e.op == "var":
        result = const(1.0 if e.value == index else 0.0)
    elif e.op == "const":
        result = const(0.0)
    else:
        assert isinstance(e.op, OpSpec)
        result = const(0.0)
        for arg, partial in zip(e.args, e.op.partials):
            if partial is None or not depends_on(arg, index):
                continue
            result = result + partial(*e.args, e) * diff(arg, index)
    e._cache[key] = result
    return result


def depends_on(e: Expr, index: int) -> bool:
    """Whether ``var(index)`` occurs in ``e``."""
    key = ("dep", index)
    cached = e._cache.get(key)
    if cached is None:
        if e.op == "var":
            cached = e.value == index
        else:
            cached = any(depends_on(a, index) for a in e.args)
        e._cache[key] = cached
    return bool(cached)


def substitute(e: Expr, mapping: dict[Expr, Expr]) -> Expr:
    """Replace every subtree equal to a key of ``mapping`` by its value."""
    hit = mapping.get(e)
    if hit is not None:
        return hit
    if not e.args:
        return e
    args = tuple(substitute(a, mapping) for a in e.args)
    if all(a is b for a, b in zip(args, e.args)):
        return e
    assert isinstance(e.op, OpSpec)
    return make(e.op, args)


def num_vars(e: Expr) -> int:
    """One more than the largest variable index used in ``e`` (0 if none)."""
    if e.op == "var":
        return int(e.value) + 1
    return max((num_vars(a) for a in e.args), default=0)


# ---------------------------------------------------------------------------------------
# Rendering: one statement per distinct node (common subexpressions computed once)


def evaluation_order(e: Expr | tuple[Expr, ...]) -> list[Expr]:
    """The distinct operation nodes of ``e`` (or of several expressions together) in
    evaluation order (children first)."""
    order: list[Expr] = []
    seen: set[Expr] = set()

    def visit(node: Expr) -> None:
        if node in seen or not isinstance(node.op, OpSpec):
            return
        for a in node.args:
            visit(a)
        seen.add(node)
        order.append(node)

    for root in (e if isinstance(e, tuple) else (e,)):
        visit(root)
    return order


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


def to_python(e: Expr | tuple[Expr, ...], nargs: int, name: str = "_eval") -> str:
    """Python source of ``def name(xp, x0, ..., x{nargs-1})`` evaluating ``e`` with ufuncs;
    for a tuple of expressions, a function returning the tuple of their values, each shared
    subexpression computed once (all the cotangents of one VJP, say).

    A node computed from constants and booleans alone, and a constant result, have their
    constants typed by ``T = compute_type(x0, ...)`` (:func:`gpugrad.dtypes.compute_type`,
    which the namespace the source runs in provides): NumPy would compute them in float64,
    a kernel in ``T``.

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> print(to_python(C.select(C.gt(var(0), 0.0), 1.0, 0.5) + var(1), 2))
        def _eval(xp, x0, x1):
            T = compute_type(x0, x1)
            t0 = xp.greater(x0, 0.0)
            t1 = xp.where(t0, T(1.0), T(0.5))
            del t0
            return xp.add(t1, x1)
        >>> print(to_python(C.sin(var(0)) * 2.0, 1))
        def _eval(xp, x0):
            t0 = xp.sin(x0)
            return xp.multiply(t0, 2.0)
        >>> print(to_python((C.cos(var(0)) * var(1), C.cos(var(0)) * var(2)), 3))
        def _eval(xp, x0, x1, x2):
            t0 = xp.cos(x0)
            t1 = xp.multiply(t0, x1)
            t2 = xp.multiply(t0, x2)
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
