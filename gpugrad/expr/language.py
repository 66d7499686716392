"""Scalar expressions: the one language every elementwise formula is written in.

An :class:`Expr` is an immutable tree of catalog operations over numbered inputs
(``var(0)``, ``var(1)``, ...) and literal constants. This file holds the trees, their
construction (with the catalog's simplifications of 0 and 1), substitution, and their
partial derivative with respect to any input (:func:`diff`: the chain rule over the tree,
each node's partials taken from the catalog), itself an ``Expr``. ``printers.py`` turns a
tree into its NumPy evaluation (``to_python``) and the body of a CUDA elementwise kernel
(``to_cuda``).

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

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from gpugrad.dtypes import compute_dtype

__all__ = [
    "Expr", "OpSpec", "const", "depends_on", "diff", "evaluation_order", "jvp_expr", "num_vars",
    "out_dtype", "substitute", "var", "vjp_expr",
]


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


def _sugar(name: str, reflected: bool = False) -> Callable[[Expr, Any], Expr]:
    """The operator method that builds the catalog's ``name`` of ``(self, other)``, or of
    ``(other, self)`` for a reflected operator."""
    def method(self: Expr, other: Any) -> Expr:
        op = getattr(_cat(), name)
        return op(other, self) if reflected else op(self, other)  # type: ignore[no-any-return]

    return method


class Expr:
    """A node: an operation applied to argument expressions, a variable, or a constant."""

    __slots__ = ("_hash", "args", "cache", "op", "value")

    def __init__(self, op: OpSpec | str, args: tuple[Expr, ...], value: Any = None) -> None:
        self.op = op  # an OpSpec, or "var" / "const"
        self.args = args
        self.value = value  # the variable's index, or the constant
        self._hash = hash((op if isinstance(op, str) else op.name, args, value))
        # Derived artefacts (compiled evaluators, derivatives), memoised per tree.
        self.cache: dict[Any, Any] = {}

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

    # Operator sugar so the catalog reads like math: ``a - b`` is catalog.sub(a, b), and the
    # reflected ``1.0 - a`` is sub(1.0, a). (The catalog is imported lazily to avoid a cycle.)
    __add__, __radd__ = _sugar("add"), _sugar("add", reflected=True)
    __sub__, __rsub__ = _sugar("sub"), _sugar("sub", reflected=True)
    __mul__, __rmul__ = _sugar("mul"), _sugar("mul", reflected=True)
    __truediv__, __rtruediv__ = _sugar("div"), _sugar("div", reflected=True)

    def __neg__(self) -> Expr:
        return _cat().neg(self)

    def __pow__(self, n: int) -> Expr:
        return _cat().ipow(self, n)


# The catalog (``add``, ``mul``, ... and ``SIMPLIFY``) that Expr's operators and ``make``
# call: it is written in this language, so it registers itself here on import
# (``register_catalog``) rather than being imported by it.
_catalog: ModuleType | None = None


def register_catalog(catalog: ModuleType) -> None:
    """Install the module of elementwise operations that Expr's operators build with
    (gpugrad.expr.catalog does, first thing on import)."""
    global _catalog
    _catalog = catalog


def _cat() -> Any:
    if _catalog is None:
        raise RuntimeError("an expression was built before gpugrad.expr.catalog registered "
                           "its operations; import gpugrad.expr first")
    return _catalog


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


def out_dtype(expr: Expr, dtypes: Sequence[np.dtype[Any]]) -> np.dtype[Any]:
    """The dtype of ``expr``'s value: bool for comparisons and logic, else the compute one
    (an input read as it is keeps its own).

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> out_dtype(C.sin(var(0)) * var(1), [np.dtype("float32"), np.dtype("float64")])
        dtype('float64')
    """
    if expr.op == "var":
        return dtypes[int(expr.value)]
    if isinstance(expr.op, OpSpec) and expr.op.out_kind == "bool":
        return np.dtype(bool)
    return compute_dtype(dtypes)


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
    cached = e.cache.get(key)
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
    e.cache[key] = result
    return result


def depends_on(e: Expr, index: int) -> bool:
    """Whether ``var(index)`` occurs in ``e``."""
    key = ("dep", index)
    cached = e.cache.get(key)
    if cached is None:
        if e.op == "var":
            cached = e.value == index
        else:
            cached = any(depends_on(a, index) for a in e.args)
        e.cache[key] = cached
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
# Traversal


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


def jvp_expr(expr: Expr, nargs: int, with_tangent: tuple[int, ...]) -> Expr | None:
    """``sum_k de/dx_{i_k} * var(nargs + k)``, with ``e`` itself read from ``var(nargs + m)``."""
    key = ("jvp", nargs, with_tangent)
    cached = expr.cache.get(key)
    if cached is None:
        out_var = var(nargs + len(with_tangent))
        total: Any = 0.0
        for k, i in enumerate(with_tangent):
            total = total + substitute(diff(expr, i), {expr: out_var}) * var(nargs + k)
        cached = expr.cache[key] = total if isinstance(total, Expr) else None
    return cached  # type: ignore[no-any-return,return-value]


def vjp_expr(expr: Expr, nargs: int, i: int) -> Expr | None:
    """``ct * de/dx_i`` over inputs ``(x_0..x_{n-1}, out, ct)``; None if identically zero."""
    key = ("vjp", nargs, i)
    if key not in expr.cache:
        partial = substitute(diff(expr, i), {expr: var(nargs)})
        result = partial * var(nargs + 1)
        expr.cache[key] = None if result.op == "const" and result.value == 0 else result
    return expr.cache[key]  # type: ignore[no-any-return]
