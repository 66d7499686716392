"""NumPy evaluation of a fused expression with few temporaries (for large arrays).

``expr.to_python`` gives one ufunc call per node, and each call allocates its result: a VJP
expression of 15 nodes over 1e6 float32 elements allocates 15 arrays of 4 MB, and every
allocation of that size is fresh memory from the OS (page faults, cache misses). Here the
same expression is generated as Python source in which each ufunc writes with ``out=`` into
a buffer owned by the function: in place into an argument temporary that dies at that node,
else into a buffer freed earlier, else a new one. Peak memory falls from (number of nodes)
to (largest number of simultaneously live temporaries), and the arithmetic is unchanged —
the same ufuncs in the same order, so the results are bit-identical.

Buffer reuse needs every array-valued node to have the same shape and, per kind (boolean or
not), the same dtype: the generated function is specialised to which arguments are arrays
of the full broadcast shape and which are scalars, and :func:`numpy_function_for` uses it
only when that holds, the arrays are large (:data:`FUSED_MIN_SIZE`), and every node is a
plain ufunc call; otherwise it returns the plain ``to_python`` function.

Example:
    >>> from gpugrad.primitives import catalog as C
    >>> from gpugrad.primitives.expr import var
    >>> print(fused_source(C.exp(-C.square(var(0))) * var(1), 2, (True, True)))
    def _fused(xp, x0, x1):
        t0 = xp.square(x0)
        xp.negative(t0, out=t0)
        xp.exp(t0, out=t0)
        xp.multiply(t0, x1, out=t0)
        return t0
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad.primitives.expr import Expr, OpSpec, _linearize, depends_on

__all__ = [
    "FUSED_MIN_SIZE",
    "fused_function",
    "fused_source",
    "maybe_fused",
    "numpy_function_for",
]

# Below this many elements the plain evaluator stays: a temporary then fits in cache and
# the allocator recycles it cheaply, so buffer bookkeeping would only add overhead.
FUSED_MIN_SIZE = 1 << 16

_UFUNC_CALL = re.compile(r"^xp\.(\w+)\((\{\d+\}(?:, \{\d+\})*)\)$")


def _ufunc_name(op: OpSpec) -> str | None:
    """The NumPy ufunc ``op``'s template calls on exactly its arguments, else None."""
    match = _UFUNC_CALL.match(op.numpy)
    if match is None or not isinstance(getattr(np, match.group(1), None), np.ufunc):
        return None
    order = [int(k) for k in re.findall(r"\{(\d+)\}", match.group(2))]
    return match.group(1) if order == list(range(op.arity)) else None


def fusable(expr: Expr) -> bool:
    """Whether every node of ``expr`` is a plain ufunc call (one that accepts ``out=``)."""
    cached = expr._cache.get("fusable")
    if cached is None:
        cached = expr._cache["fusable"] = all(
            isinstance(n.op, OpSpec) and _ufunc_name(n.op) for n in _linearize(expr)
        )
    return bool(cached)


def fused_source(expr: Expr, nargs: int, arrays: Sequence[bool], name: str = "_fused") -> str:
    """Python source of ``def name(xp, x0, ...)`` evaluating ``expr`` with buffer reuse.

    ``arrays[i]`` says whether input ``i`` is a floating array of the full (output) shape;
    the others are floating scalars of the same dtype. Nodes that depend only on scalars
    stay scalars. Raises ``ValueError`` for an expression whose buffers could not all be
    typed (a non-boolean ufunc fed by booleans only, say), which the caller evaluates
    the plain way.
    """
    nodes = _linearize(expr)
    array_vars = [i for i in range(nargs) if arrays[i]]

    def is_array(node: Expr) -> bool:
        return any(depends_on(node, i) for i in array_vars)

    last_use: dict[Expr, int] = {}
    for k, node in enumerate(nodes):
        for a in node.args:
            last_use[a] = k
    names: dict[Expr, str] = {}
    boolean_node: dict[Expr, bool] = {}
    kind_of: dict[str, bool] = {}  # owned buffer -> holds booleans
    free: list[str] = []  # owned buffers whose value is dead
    lines = [f"def {name}({', '.join(['xp'] + [f'x{i}' for i in range(nargs)])}):"]

    def render(e: Expr) -> str:
        if e.op == "var":
            return f"x{e.value}"
        if e.op == "const":
            return repr(e.value)
        return names[e]

    for k, node in enumerate(nodes):
        assert isinstance(node.op, OpSpec)
        boolean = boolean_node[node] = node.op.out_kind == "bool"
        ufunc = _ufunc_name(node.op)
        if not is_array(node):  # a scalar: no buffer
            names[node] = f"s{k}"
            lines.append(f"    s{k} = {node.op.numpy.format(*map(render, node.args))}")
            continue
        if ufunc is None:
            raise ValueError(f"{node.op.name} is not a plain ufunc call")
        floats = [a for a in node.args if is_array(a) and not boolean_node.get(a, False)]
        if not boolean and not floats:  # NumPy would pick the dtype from booleans
            raise ValueError(f"{node} computes a number from booleans only")
        args = ", ".join(render(a) for a in node.args)
        dying = [names[a] for a in dict.fromkeys(node.args)
                 if a in names and last_use[a] == k and names[a] in kind_of]
        reusable = [b for b in dying if kind_of[b] == boolean]
        pool = [b for b in free if kind_of[b] == boolean]
        if reusable or pool:  # in place: a ufunc reads each element before writing it
            target = reusable[0] if reusable else pool[0]
            if target in free:
                free.remove(target)
            lines.append(f"    xp.{ufunc}({args}, out={target})")
        else:
            target = f"t{len(kind_of)}"
            kind_of[target] = boolean
            lines.append(f"    {target} = xp.{ufunc}({args})")
        free += [b for b in dying if b != target and b not in free]
        names[node] = target
    lines.append(f"    return {render(expr)}")
    return "\n".join(lines)


def fused_function(expr: Expr, nargs: int, arrays: tuple[bool, ...]) -> Callable[..., Any]:
    """The compiled :func:`fused_source` (generated once per expression and array pattern)."""
    key = ("fused", nargs, arrays)
    fn = expr._cache.get(key)
    if fn is None:
        namespace: dict[str, Any] = {}
        source = fused_source(expr, nargs, arrays)
        exec(compile(source, f"<gpugrad fused {expr}>", "exec"), namespace)
        fn = expr._cache[key] = namespace["_fused"]
    return fn  # type: ignore[no-any-return]


def maybe_fused(expr: Expr, args: Sequence[Any], plain: Callable[..., Any]) -> Callable[..., Any]:
    """``plain`` (the ``to_python`` evaluator of ``expr``), or the fused one when it pays.

    The common case — small arrays — returns after one size test: this sits on
    ``elementwise.evaluate``'s hot path.
    """
    for a in args:
        if type(a) is np.ndarray and a.ndim:
            if a.size < FUSED_MIN_SIZE:
                return plain
            return _fused_or_plain(expr, args, a, plain)
    return plain


def _fused_or_plain(
    expr: Expr, args: Sequence[Any], first: Any, plain: Callable[..., Any]
) -> Callable[..., Any]:
    shape, dtype = first.shape, first.dtype
    if dtype.kind != "f" or not fusable(expr):
        return plain
    arrays: list[bool] = []
    for a in args:
        if type(a) is np.ndarray and a.ndim:
            if a.shape != shape or a.dtype != dtype:
                return plain  # broadcasting or mixed dtypes
            arrays.append(True)
        elif type(a) in (float, int) or getattr(a, "dtype", None) == dtype:
            arrays.append(False)
        else:
            return plain  # a boolean or differently typed scalar
    try:
        return fused_function(expr, len(args), tuple(arrays))
    except ValueError:  # buffers that cannot be typed: remember to evaluate it plainly
        expr._cache[("fused", len(args), tuple(arrays))] = plain
        return plain


def numpy_function_for(expr: Expr, args: Sequence[Any]) -> Callable[..., Any]:
    """The evaluator of ``expr`` for NumPy ``args``: fused for large same-shape floating
    arrays, else the plain one (``elementwise.numpy_function``).

    Example:
        >>> import numpy as np
        >>> from gpugrad.primitives import catalog as C
        >>> from gpugrad.primitives.expr import var
        >>> e = C.sin(var(0)) * 3.0 + var(0)
        >>> x = np.linspace(0.0, 1.0, 1 << 17)
        >>> fn = numpy_function_for(e, (x,))
        >>> fn.__name__
        '_fused'
        >>> bool(np.array_equal(fn(np, x), np.sin(x) * 3.0 + x))
        True
    """
    from gpugrad.primitives.elementwise import numpy_function

    return maybe_fused(expr, args, numpy_function(expr, len(args)))
