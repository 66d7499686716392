"""Fusion of the backward pass: chains of elementwise VJPs become one elementwise evaluation.

During ``backward`` the cotangent flowing out of an elementwise node need not be computed
at once. It is kept as a :class:`Deferred` value — an expression over the arrays it reads —
and the next elementwise node composes its own VJP expression around it. The chain is
evaluated (one fused kernel on CuPy, one generated NumPy function) only when a value is
really needed: by a non-elementwise rule, at a leaf, or when the expression grows too big.
Accumulating a node's cotangent from several consumers composes an ``add`` into the same
expression instead of running a separate addition.

Because the fused result is evaluated by the ordinary elementwise primitive, it is itself
differentiable (its rules are the symbolic derivative of the composed expression), so
second and higher orders fuse too.

Rematerialization: with fusion on, an elementwise node of the forward pass whose inputs
are concrete keeps no array of its own. It keeps a *recipe*, a Deferred that recomputes its
value from the arrays its chain started from (the function's inputs, or outputs of
non-elementwise operations), and its own inputs are kept as their producers' recipes. The
forward pass then frees its intermediates as plain NumPy would, and the fused backward
evaluation recomputes what it reads inside the same pass (``d/dx sum(sin(x)**2)`` reads
``x`` once, not ``x`` and ``sin(x)``). A recipe that grows past ``recipe_max_nodes`` is cut
off: that node keeps its value (a checkpoint) and recipes downstream start from it, so no
backward evaluation recomputes more than a bounded stretch of the forward pass.

Lazy forward (CuPy, and NumPy's large arrays): such a node need not even be evaluated
when it is recorded. :func:`defer` gives it only a recipe and returns a lazy tracer; the
next elementwise operation composes that recipe into its own, and the first read of a value
(a reduction, a matrix product, an output, ``float(y)``) evaluates the whole chain at once:
one kernel on CuPy, one chunked pass on NumPy. ``sum(exp(-x**2) * sin(3x) + log1p(x**2))``
then runs its forward pass as one evaluation (and the sum) and its backward pass as
another. The values that the backward pass reads and would be costly to recompute
(``exp(-x**2)`` and ``sin(3x)`` there, not ``x**2``) are written out by the forward
evaluation as it goes, as further outputs of the same kernel (:func:`evaluate_lazy`). The
sizes and bounds are ``gpugrad.config`` options: ``fusion_min_size``, ``lazy_min_size``,
``fusion_max_args``, ``fusion_max_nodes``, ``recipe_max_nodes``.
"""


from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.concrete import array_namespace
from gpugrad.core.reverse import LazyVJPTracer, Node, register_lazy_evaluation
from gpugrad.core.trace import bind
from gpugrad.dtypes import argument_dtypes
from gpugrad.expr import catalog as C
from gpugrad.expr.language import Expr, depends_on, substitute, var
from gpugrad.primitives.elementwise_eval import log_route

__all__ = [
    "Deferred", "accumulate", "compose", "defer", "evaluate_lazy", "expression_size",
    "fits_one_evaluation", "inline",
    "materialize", "remat",
]

# Composed expressions, and their normalised forms per argument-identity pattern. Both are
# keyed by expressions that are reused objects, so lookups on a repeated program are cheap.
_compose_cache: dict[tuple[Any, ...], Expr] = {}
_normal_cache: dict[tuple[Any, ...], tuple[Expr, tuple[int, ...]]] = {}


class Deferred:
    """An elementwise value not evaluated yet: ``expr`` over ``args``, of ``shape``."""

    __slots__ = ("expr", "args", "shape", "dtype")

    def __init__(self, expr: Expr, args: list[Any], shape: tuple[int, ...], dtype: Any) -> None:
        self.expr = expr
        self.args = args
        self.shape = shape
        self.dtype = dtype


def materialize(value: Any) -> Any:
    """Evaluate a :class:`Deferred` (anything else is returned as it is)."""
    if not isinstance(value, Deferred):
        return value
    from gpugrad.primitives.elementwise import elementwise_p
    from gpugrad.primitives.structural import broadcast_to

    out = bind(elementwise_p, *value.args, expr=value.expr)
    if out.shape != value.shape:
        out = broadcast_to(out, value.shape)
    return out


def _size(e: Expr) -> int:
    cached = e._cache.get("size")
    if cached is None:
        cached = e._cache["size"] = 1 + sum(_size(a) for a in e.args)
    return int(cached)


def _shift(e: Expr, offset: int, nvars: int) -> Expr:
    if offset == 0:
        return e
    return substitute(e, {var(k): var(k + offset) for k in range(nvars)})


def _normalized(expr: Expr, args: list[Any], key: tuple[Any, ...]) -> tuple[Expr, list[Any]]:
    """``expr`` with arguments deduplicated (by identity) and unused ones dropped."""
    ids: dict[int, int] = {}
    pattern = tuple([ids.setdefault(id(a), k) for k, a in enumerate(args)])
    full_key = (*key, pattern)
    hit = _normal_cache.get(full_key)
    if hit is None:
        used = sorted({pattern[k] for k in range(len(args)) if depends_on(expr, k)})
        renumber = {k: j for j, k in enumerate(used)}
        mapping = {var(k): var(renumber[pattern[k]]) for k in range(len(args))
                   if pattern[k] in renumber}
        hit = (substitute(expr, mapping), tuple(used))
        if len(_normal_cache) > 20000:  # programs come and go; keep the caches bounded
            _normal_cache.clear()
            _compose_cache.clear()
        _normal_cache[full_key] = hit
    new_expr, keep = hit
    return new_expr, [args[k] for k in keep]


def inline(expr: Expr, args: list[Any], key: tuple[Any, ...] = ()) -> tuple[Expr, list[Any]]:
    """``expr`` over ``args`` with every :class:`Deferred` argument's expression substituted
    for its variable: one expression over arrays only (deduplicated, unused ones dropped)."""
    layout = tuple(a.expr if type(a) is Deferred else None for a in args)
    full_key = ("inline", expr, layout, *key)
    hit = _compose_cache.get(full_key)
    flat: list[Any] = []
    for a in args:
        if type(a) is Deferred:
            flat += a.args
        else:
            flat.append(a)
    if hit is None:
        mapping: dict[Expr, Expr] = {}
        offset = 0
        for k, a in enumerate(args):
            if type(a) is Deferred:
                mapping[var(k)] = _shift(a.expr, offset, len(a.args))
                offset += len(a.args)
            elif offset != k:
                mapping[var(k)] = var(offset)
                offset += 1
            else:
                offset += 1
        hit = _compose_cache[full_key] = substitute(expr, mapping) if mapping else expr
    return _normalized(hit, flat, full_key)


def compose(outer: Expr, outer_args: list[Any], inner: Any, shape: tuple[int, ...],
            dtype: Any) -> Deferred | Any:
    """``outer`` with its variable ``len(outer_args)`` bound to ``inner``, as one Deferred
    (any argument may itself be Deferred); evaluated at once if it would be too big."""
    return _composed(outer, [*outer_args, inner], shape, dtype)


def _composed(outer: Expr, parts: list[Any], shape: tuple[int, ...], dtype: Any) -> Any:
    expr, args = inline(outer, parts)
    if _value_dtype(expr, args) != dtype:
        # A recipe among the parts reads arrays of another dtype (the int32 operands of a
        # comparison in a select's mask): one kernel over them would compute in their common
        # dtype (float64 beside float32). Its value, not its recipe, keeps ``dtype``.
        expr, args = inline(outer, [materialize(p) if type(p) is Deferred else p
                                    for p in parts])
    return _finish(expr, args, shape, dtype)


def expression_size(expr: Expr) -> int:
    """The number of nodes of ``expr`` (shared subtrees counted each time they occur)."""
    return _size(expr)


def fits_one_evaluation(expr: Expr, nargs: int) -> bool:
    """Whether an expression of this size over ``nargs`` arrays is evaluated as one (a
    larger one is split where it was composed)."""
    return nargs <= live.fusion_max_args and _size(expr) <= live.fusion_max_nodes


def _finish(expr: Expr, args: list[Any], shape: tuple[int, ...], dtype: Any) -> Any:
    deferred = Deferred(expr, args, shape, dtype)
    if not fits_one_evaluation(expr, len(args)):
        if live.debug:
            log_route("evaluated now", expr, args, _too_big(expr, args, "fusion_max_nodes"))
        return materialize(deferred)
    return deferred


def accumulate(previous: Any, contribution: Any) -> Any:
    """``previous + contribution`` for cotangents, fused when either is Deferred."""
    if type(previous) is np.ndarray and type(contribution) is np.ndarray and (
            previous.dtype == contribution.dtype and previous.shape == contribution.shape):
        total = previous + contribution  # the common case: no promotion, no tracing
        return total if type(total) is np.ndarray else np.asarray(total)
    if type(previous) is not Deferred and type(contribution) is not Deferred:
        # elementwise (which operations builds on) imports this module
        from gpugrad.primitives.operations import add

        return add(previous, contribution)
    return _composed(_ADD, [previous, contribution], tuple(previous.shape), previous.dtype)


_ADD = C.add(var(0), var(1))


def on_gpu(x: Any) -> bool:
    return array_namespace(x) is not np


def pays(value: Any, min_numpy_size: int) -> bool:
    """Whether fusing the elementwise work on an array like ``value`` pays: on CuPy always
    (every kernel launch saved does), on NumPy from ``min_numpy_size`` elements."""
    if type(value) is np.ndarray:
        return value.size >= min_numpy_size
    return on_gpu(value)


def remat(node: Any) -> None:
    """Make a just-recorded elementwise ``node`` keep a recipe instead of its arrays.

    Called by the reverse-mode trace (with fusion on, concrete inputs); leaves small NumPy
    nodes alone, where composing expressions would cost more than it saves.
    """
    out = node.out
    if not pays(out, live.fusion_min_size):
        return
    saved = node.primals = _recipes_of(node.primals, node.parents)
    expr, args = inline(node.params["expr"], saved)
    shape = tuple(out.shape)
    if len(args) > live.fusion_max_args or _size(expr) > live.recipe_max_nodes:
        node.recipe = Deferred(_VALUE, [out], shape, out.dtype)  # a checkpoint
        if live.debug:
            log_route("kept (checkpoint)", expr, args, _too_big(expr, args))
    else:
        node.recipe = node.out = Deferred(expr, args, shape, out.dtype)
        if live.debug:
            log_route("recipe (recomputed in the backward pass)", expr, args,
                      _why_fused([out], "fusion_min_size"))


_VALUE = var(0)


def _recipes_of(primals: list[Any], parents: list[Any]) -> list[Any]:
    """Each input as its producer's recipe where it has one, else the input itself."""
    return [value if parent is None or parent.recipe is None else parent.recipe
            for value, parent in zip(primals, parents)]


def defer(trace: Any, primals: list[Any], parents: list[Any], params: dict[str, Any]) -> Any:
    """Record an elementwise application without evaluating it.

    The node gets a recipe, as with :func:`remat`, and the result is a ``LazyVJPTracer``:
    consecutive elementwise operations compose their recipes, and the first read of a value
    evaluates the whole chain at once (one kernel on CuPy, one chunked pass without
    full-size temporaries on NumPy). Its dtype is the kernel layer's rule
    (``codegen.out_dtype``) for the composed expression, the dtype that evaluation gives.
    Returns None (evaluate now) for NumPy arrays under the ``lazy_min_size`` option, shapes
    that do not broadcast (the error is then the backend's own, at this call), or a recipe
    grown past the ``recipe_max_nodes`` option.
    """
    for value in primals:  # the common case, small NumPy arrays, returns here
        if type(value) is Deferred or pays(value, live.lazy_min_size):
            break
    else:
        return None
    from gpugrad.primitives.elementwise import elementwise_p

    shape = _broadcast_shape(primals)
    if shape is None:
        return None
    saved = _recipes_of(primals, parents)  # a lazy argument's primal is its recipe already
    full, args = inline(params["expr"], saved)
    if (len(args) > live.fusion_max_args or _size(full) > live.recipe_max_nodes
            or all(_scalar(a) for a in args)):  # a constant: nothing to evaluate lazily
        return None  # (evaluate then says, under the debug option, which evaluator ran)
    dtype = _value_dtype(full, args)
    if dtype != _value_dtype(params["expr"], saved):
        # The composed recipe would be computed in the common dtype of every input, the
        # operands of a comparison inside included: `where(i == 1, x, y)` with an int32 `i`
        # and float32 `x`, `y` would give float64. Evaluate this step on its own instead.
        return None
    node = Node(elementwise_p, saved, params, None, parents)
    node.recipe = node.out = Deferred(full, args, tuple(shape), dtype)
    if live.debug:
        log_route("deferred (lazy)", full, args, _why_fused(primals, "lazy_min_size"))
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


_NUMBERS = (bool, int, float, complex)


def _value_dtype(expr: Expr, args: list[Any]) -> Any:
    """The dtype ``expr`` evaluated over ``args`` gives (the kernel layer's
    ``codegen.out_dtype`` of ``argument_dtypes``), memoised per expression and argument
    dtypes: every lazy and every composed operation asks it."""
    key: list[Any] = ["value dtype", live.enable_x64]
    for a in args:
        t = type(a)
        key.append(t if t in _NUMBERS else a.dtype)  # a Python number: its kind decides
    cache = expr._cache
    hit = cache.get(tuple(key))
    if hit is None:
        from gpugrad.kernel.codegen import out_dtype  # (the kernel layer, loaded on first use)

        hit = cache[tuple(key)] = out_dtype(expr, argument_dtypes(args))
    return hit


def _why_fused(values: list[Any], min_size: str) -> str:
    """Why elementwise work on ``values`` is fused (for the ``debug`` option)."""
    if any(type(v) is Deferred for v in values):
        return "a lazy input"
    if any(on_gpu(v) for v in values if not _scalar(v)):
        return "CuPy (every launch saved pays)"
    return f"{max(getattr(v, 'size', 1) for v in values)} >= {min_size}={getattr(live, min_size)}"


def _too_big(expr: Expr, args: list[Any], max_nodes: str = "recipe_max_nodes") -> str:
    """Why ``expr`` over ``args`` is not kept unevaluated (for the ``debug`` option)."""
    if len(args) > live.fusion_max_args:
        return f"{len(args)} arrays > fusion_max_args={live.fusion_max_args}"
    return f"{_size(expr)} operations > {max_nodes}={getattr(live, max_nodes)}"


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
    :func:`defer`, not the cheap ``x**2``): their recipes become those arrays, everywhere
    they are shared.
    """
    recipe = node.recipe
    if recipe.expr is _VALUE:  # saved by an earlier evaluation
        return recipe.args[0]
    wanted = _residuals(node)
    if wanted:
        position = {id(a): k for k, a in enumerate(recipe.args)}
        # Each distinct value is one output: two nodes may compute the same expression,
        # and a node may compute the result itself (output 0).
        output: dict[Expr, int] = {recipe.expr: 0}
        saved = []
        for d in wanted:
            if d.shape != recipe.shape or any(id(a) not in position for a in d.args):
                continue
            e = _renumbered(d.expr, tuple([position[id(a)] for a in d.args]))
            saved.append((d, output.setdefault(e, len(output))))
        exports = tuple(e for e, k in output.items() if k)
        values = _with_parts(recipe.expr, recipe.args, exports)
        if values is not None and tuple(values[0].shape) == recipe.shape:
            if live.debug:
                log_route(f"one pass, saving {len(exports)} value(s) the backward pass reads",
                          recipe.expr, recipe.args, "a lazy chain read")
            for d, k in saved:
                # (one kernel computes every output in the dtype of all its inputs: a part
                # read from narrower inputs only then keeps its recipe)
                if values[k].dtype == d.dtype:
                    d.expr, d.args = _VALUE, [values[k]]
            return values[0]
    return materialize(recipe)


def _renumbered(expr: Expr, positions: tuple[int, ...]) -> Expr:
    """``expr`` with each ``var(k)`` replaced by ``var(positions[k])`` (memoised: a lazy
    chain's saved values are renumbered the same way on every call of the function)."""
    key = ("renumbered", positions)
    hit = expr._cache.get(key)
    if hit is None:
        hit = expr._cache[key] = substitute(
            expr, {var(k): var(j) for k, j in enumerate(positions) if k != j})
    return hit  # type: ignore[no-any-return]


def _with_parts(expr: Expr, args: list[Any], parts: tuple[Expr, ...]) -> list[Any] | None:
    """``[value of expr, value of parts[0], ...]`` from one pass over concrete ``args``,
    ``parts`` being subexpressions of ``expr``: one kernel with an output each on CuPy, one
    chunked pass on NumPy; None where that does not apply (small, broadcast or mixed-dtype
    NumPy arrays; no parts on CuPy, where the value alone is one kernel anyway)."""
    from gpugrad.primitives.elementwise_eval import evaluate_many
    from gpugrad.primitives.numpy_eval import evaluate_with_exports

    if any(on_gpu(a) for a in args):
        return evaluate_many((expr, *parts), args) if parts else None
    return evaluate_with_exports(expr, args, parts)


def _residuals(node: Any) -> list[Deferred]:
    """Recipes, among those inlined in ``node``'s, of costly values the VJPs read."""
    from gpugrad.primitives.elementwise import vjp_expr

    chain, stack, seen = [], [node], {id(node)}
    while stack:  # the nodes whose recipes are inlined in this one (not checkpoints)
        n = stack.pop()
        chain.append(n)
        for p in n.parents:
            if (p is not None and id(p) not in seen and type(p.recipe) is Deferred
                    and p.recipe.expr is not _VALUE):
                seen.add(id(p))
                stack.append(p)
    wanted: dict[int, Deferred] = {}
    for n in chain:
        expr = n.params["expr"]
        count = len(n.parents)
        for i, p in enumerate(n.parents):
            vexpr = vjp_expr(expr, count, i) if p is not None else None
            if vexpr is None:
                continue
            for k, q in enumerate(n.parents):  # a primal the rule reads
                if q is not None and id(q) in seen and _costly(q) and depends_on(vexpr, k):
                    wanted[id(q.recipe)] = q.recipe
            if _costly(n) and depends_on(vexpr, count):  # the node's own output
                wanted[id(n.recipe)] = n.recipe
    return list(wanted.values())


def _costly(n: Any) -> bool:
    """Whether recomputing ``n``'s value from its recipe runs a costly operation: its own,
    or one upstream that its recipe inlines (``tanh(z) + 1`` is cheap to add but recomputes
    the tanh; a value read by a VJP is then worth saving however cheap its last step)."""
    expr = n.recipe.expr
    cached = expr._cache.get("costly")
    if cached is None:
        from gpugrad.expr.language import OpSpec, evaluation_order

        cached = any(isinstance(e.op, OpSpec) and e.op.name not in CHEAP
                     for e in evaluation_order(expr))
        expr._cache["costly"] = cached
    return bool(cached)


register_lazy_evaluation(accumulate, materialize, evaluate_lazy)
