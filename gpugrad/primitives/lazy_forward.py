"""The forward pass's lazy values: elementwise results kept as the expression that computes
them over the arrays their chain started from (a :class:`~gpugrad.primitives.lazy.LazyValue`).

Kept lazy (:func:`keep_lazy`): with fusion on, an elementwise node of the forward pass whose
inputs are concrete keeps no array of its own, only a lazy value that recomputes its result
from the arrays its chain started from (the function's inputs, or outputs of
non-elementwise operations); its own inputs are kept as their producers' lazy values. The
forward pass then frees its intermediates as plain NumPy would, and the fused backward
evaluation (``lazy.py``) recomputes what it reads inside the same pass (``d/dx
sum(sin(x)**2)`` reads ``x`` once, not ``x`` and ``sin(x)``). A lazy value that grows past
``lazy_max_nodes`` is cut off: that node keeps its array (a checkpoint) and lazy values
downstream start from it, so no backward evaluation recomputes more than a bounded stretch
of the forward pass.

Recorded lazily (:func:`record_lazy`; CuPy, and NumPy's large arrays): such a node need not
even be evaluated when it is recorded. It gets only its lazy value and the result is a lazy
tracer; the next elementwise operation composes that value into its own, and the first
read of a value (a reduction, a matrix product, an output, ``float(y)``) evaluates the whole
chain at once: one kernel on CuPy, one chunked pass on NumPy. ``sum(exp(-x**2) * sin(3x) +
log1p(x**2))`` then runs its forward pass as one evaluation (and the sum) and its backward
pass as another. The values that the backward pass reads and would be costly to recompute
(``exp(-x**2)`` and ``sin(3x)`` there, not ``x**2``) are written out by the forward
evaluation as it goes, as further outputs of the same kernel (:func:`evaluate_lazy`). The
sizes and bounds are ``gpugrad.config`` options: ``fusion_min_size``, ``lazy_min_size``,
``fusion_max_args``, ``lazy_max_nodes``.
"""


from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.concrete import array_namespace
from gpugrad.core.reverse import LazyVJPTracer, Node, VJPTracer
from gpugrad.expr.language import (
    Expr,
    OpSpec,
    depends_on,
    evaluation_order,
    substitute,
    var,
    vjp_expr,
)
from gpugrad.primitives.elementwise_eval import (
    HOST_SCALARS,
    evaluate_many,
    evaluate_plain,
    log_route,
    numpy_function,
)
from gpugrad.primitives.lazy import (
    LazyValue,
    expression_size,
    inline,
    materialize,
    value_dtype,
    why_too_big,
)
from gpugrad.primitives.numpy_eval import evaluate_with_exports

__all__ = ["CHEAP", "evaluate_lazy", "keep_lazy", "on_gpu", "pays", "record_lazy"]


def on_gpu(x: Any) -> bool:
    return array_namespace(x) is not np


def pays(value: Any, min_numpy_size: int) -> bool:
    """Whether fusing the elementwise work on an array like ``value`` pays: on CuPy always
    (every kernel launch saved does), on NumPy from ``min_numpy_size`` elements."""
    if type(value) is np.ndarray:
        return value.size >= min_numpy_size
    return on_gpu(value)


def keep_lazy(node: Any) -> None:
    """Make a just-recorded elementwise ``node`` keep a lazy value instead of its arrays.

    Called by the reverse-mode trace (with fusion on, concrete inputs); leaves small NumPy
    nodes alone, where composing expressions would cost more than it saves.
    """
    out = node.out
    if not pays(out, live.fusion_min_size):
        return
    saved = node.primals = _lazy_inputs(node.primals, node.parents)
    expr, args = inline(node.params["expr"], saved)
    shape = tuple(out.shape)
    if len(args) > live.fusion_max_args or expression_size(expr) > live.lazy_max_nodes:
        node.lazy = LazyValue(_VALUE, [out], shape, out.dtype)  # a checkpoint
        if live.debug:
            log_route("kept (checkpoint)", expr, args, why_too_big(expr, args))
    else:
        node.lazy = node.out = LazyValue(expr, args, shape, out.dtype)
        if live.debug:
            log_route("lazy (recomputed in the backward pass)", expr, args,
                      _why_fused([out], "fusion_min_size"))


_VALUE = var(0)


def _lazy_inputs(primals: list[Any], parents: list[Any]) -> list[Any]:
    """Each input as its producer's lazy value where it has one, else the input itself."""
    return [value if parent is None or parent.lazy is None else parent.lazy
            for value, parent in zip(primals, parents)]


def record_lazy(trace: Any, prim: Any, primals: list[Any], parents: list[Any],
                params: dict[str, Any]) -> Any:
    """Record an elementwise application in reverse mode: lazily, or evaluated now.

    Lazily (CuPy, NumPy arrays from the ``lazy_min_size`` option): the node gets a lazy
    value, as with :func:`keep_lazy`, and the result is a ``LazyVJPTracer``: consecutive
    elementwise operations compose their lazy values, and the first read of a value evaluates
    the whole chain at once (one kernel on CuPy, one chunked pass without full-size
    temporaries on NumPy). Its dtype is the expression language's rule (``out_dtype``) for
    the composed expression, the dtype that evaluation gives.

    Now: NumPy values under both the ``lazy_min_size`` and ``chunked_min_size`` options,
    where composing would cost more than it saves, are evaluated at once by the expression's
    generated function and recorded with their node. Returns None, leaving the application
    to the core (which evaluates it and offers the node to :func:`keep_lazy`), for NumPy
    arrays between those sizes, shapes that do not broadcast (the error is then the
    backend's own, at this call), or a lazy value grown past the ``lazy_max_nodes`` option.
    """
    limit = live.lazy_min_size
    plain = live.chunked_min_size
    for value in primals:  # the common case, small NumPy arrays and scalars, returns here
        t = type(value)
        if t is np.ndarray:
            size = value.size
            if size >= limit:
                break
            if size >= plain:
                plain = 0
        elif t is LazyValue or (t not in HOST_SCALARS and on_gpu(value)):
            break
    else:
        if not plain:
            return None
        # Evaluated now, as the primitive's impl would, without going back to the core.
        expr = params["expr"]
        out = evaluate_plain(expr, expr.cache.get(len(primals)) or numpy_function(
            expr, len(primals)), primals)
        node = Node(prim, primals, params, out, parents)
        if out.size >= live.fusion_min_size:
            keep_lazy(node)  # broadcasting made it large
        return VJPTracer(trace, out, node)
    shape = _broadcast_shape(primals)
    if shape is None:
        return None
    saved = _lazy_inputs(primals, parents)  # a lazy argument's primal is its lazy value already
    full, args = inline(params["expr"], saved)
    if (len(args) > live.fusion_max_args or expression_size(full) > live.lazy_max_nodes
            or all(_scalar(a) for a in args)):  # a constant: nothing to evaluate lazily
        return None  # (evaluate then says, under the debug option, which evaluator ran)
    dtype = value_dtype(full, args)
    if dtype != value_dtype(params["expr"], saved):
        # The composed lazy value would be computed in the common dtype of every input, the
        # operands of a comparison inside included: `where(i == 1, x, y)` with an int32 `i`
        # and float32 `x`, `y` would give float64. Evaluate this step on its own instead.
        return None
    node = Node(prim, saved, params, None, parents)
    node.lazy = node.out = LazyValue(full, args, tuple(shape), dtype)
    if live.debug:
        log_route("lazy (evaluated when read)", full, args, _why_fused(primals, "lazy_min_size"))
    return LazyVJPTracer(trace, node)


def _broadcast_shape(values: list[Any]) -> tuple[int, ...] | None:
    """The shape the non-scalar ``values`` broadcast to, None where they do not (asked of
    NumPy only when two shapes differ: most operations read arrays of one shape)."""
    shape: tuple[int, ...] = ()
    differ = False
    for value in values:
        if not _scalar(value) and value.shape:  # (a 0-d array broadcasts to any shape)
            if not shape:
                shape = tuple(value.shape)
            elif value.shape != shape:
                differ = True
    if not differ:
        return shape
    try:
        return tuple(np.broadcast_shapes(*[v.shape for v in values if not _scalar(v)]))
    except ValueError:
        return None


def _why_fused(values: list[Any], min_size: str) -> str:
    """Why elementwise work on ``values`` is fused (for the ``debug`` option)."""
    if any(type(v) is LazyValue for v in values):
        return "a lazy input"
    if any(on_gpu(v) for v in values if not _scalar(v)):
        return "CuPy (every launch saved pays)"
    return f"{max(getattr(v, 'size', 1) for v in values)} >= {min_size}={getattr(live, min_size)}"


def _scalar(value: Any) -> bool:
    return isinstance(value, (np.generic, bool, int, float, complex))


# Operations cheap enough to recompute in the backward pass at no real cost: anything
# else (exp, sin, log1p, tanh...) is worth saving when the backward pass reads it.
CHEAP = frozenset({
    "add", "sub", "mul", "div", "neg", "square", "ipow", "reciprocal", "absolute", "sign",
    "select", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
    "logical_or", "logical_xor", "logical_not", "floor", "ceil", "rint", "trunc",
})


def evaluate_lazy(node: Any) -> Any:
    """The value of a lazy node, evaluated in one pass (one kernel with several outputs on
    CuPy, one chunked pass on NumPy) that also saves the values the backward pass will read
    and would be costly to recompute (``exp(-x**2)`` and ``sin(3x)`` in the chain of
    :func:`record_lazy`, not the cheap ``x**2``): their lazy values become those arrays,
    everywhere they are shared.
    """
    lazy = node.lazy
    if lazy.expr is _VALUE:  # saved by an earlier evaluation
        return lazy.args[0]
    wanted = _residuals(node)
    if wanted:
        position = {id(a): k for k, a in enumerate(lazy.args)}
        # Each distinct value is one output: two nodes may compute the same expression,
        # and a node may compute the result itself (output 0).
        output: dict[Expr, int] = {lazy.expr: 0}
        saved = []
        for d in wanted:
            if d.shape != lazy.shape or any(id(a) not in position for a in d.args):
                continue
            e = _renumbered(d.expr, tuple([position[id(a)] for a in d.args]))
            saved.append((d, output.setdefault(e, len(output))))
        exports = tuple(e for e, k in output.items() if k)
        values = _with_parts(lazy.expr, lazy.args, exports)
        if values is not None and tuple(values[0].shape) == lazy.shape:
            if live.debug:
                log_route(f"one pass, saving {len(exports)} value(s) the backward pass reads",
                          lazy.expr, lazy.args, "a lazy chain read")
            for d, k in saved:
                # (one kernel computes every output in the dtype of all its inputs: a part
                # read from narrower inputs only then stays lazy)
                if values[k].dtype == d.dtype:
                    d.expr, d.args = _VALUE, [values[k]]
            return values[0]
    return materialize(lazy)


def _renumbered(expr: Expr, positions: tuple[int, ...]) -> Expr:
    """``expr`` with each ``var(k)`` replaced by ``var(positions[k])`` (memoised: a lazy
    chain's saved values are renumbered the same way on every call of the function)."""
    key = ("renumbered", positions)
    hit = expr.cache.get(key)
    if hit is None:
        hit = expr.cache[key] = substitute(
            expr, {var(k): var(j) for k, j in enumerate(positions) if k != j})
    return hit  # type: ignore[no-any-return]


def _with_parts(expr: Expr, args: list[Any], parts: tuple[Expr, ...]) -> list[Any] | None:
    """``[value of expr, value of parts[0], ...]`` from one pass over concrete ``args``,
    ``parts`` being subexpressions of ``expr``: one kernel with an output each on CuPy, one
    chunked pass on NumPy; None where that does not apply (small, broadcast or mixed-dtype
    NumPy arrays; no parts on CuPy, where the value alone is one kernel anyway)."""
    if any(on_gpu(a) for a in args):
        return evaluate_many((expr, *parts), args) if parts else None
    return evaluate_with_exports(expr, args, parts)


def _residuals(node: Any) -> list[LazyValue]:
    """Lazy values, among those inlined in ``node``'s, of costly values the VJPs read."""

    chain, stack, seen = [], [node], {id(node)}
    while stack:  # the nodes whose lazy values are inlined in this one (not checkpoints)
        n = stack.pop()
        chain.append(n)
        for p in n.parents:
            if (p is not None and id(p) not in seen and type(p.lazy) is LazyValue
                    and p.lazy.expr is not _VALUE):
                seen.add(id(p))
                stack.append(p)
    wanted: dict[int, LazyValue] = {}
    for n in chain:
        expr = n.params["expr"]
        count = len(n.parents)
        for i, p in enumerate(n.parents):
            vexpr = vjp_expr(expr, count, i) if p is not None else None
            if vexpr is None:
                continue
            for k, q in enumerate(n.parents):  # a primal the rule reads
                if q is not None and id(q) in seen and _costly(q) and depends_on(vexpr, k):
                    wanted[id(q.lazy)] = q.lazy
            if _costly(n) and depends_on(vexpr, count):  # the node's own output
                wanted[id(n.lazy)] = n.lazy
    return list(wanted.values())


def _costly(n: Any) -> bool:
    """Whether recomputing ``n``'s value from its lazy value runs a costly operation: its own,
    or one upstream that its lazy value inlines (``tanh(z) + 1`` is cheap to add but recomputes
    the tanh; a value read by a VJP is then worth saving however cheap its last step)."""
    expr = n.lazy.expr
    cached = expr.cache.get("costly")
    if cached is None:
        cached = any(isinstance(e.op, OpSpec) and e.op.name not in CHEAP
                     for e in evaluation_order(expr))
        expr.cache["costly"] = cached
    return bool(cached)

