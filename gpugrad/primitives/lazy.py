"""Lazy values: elementwise results not computed yet, one type for every pass that makes them.

A :class:`LazyValue` is an expression of the catalog over the arrays it reads. The forward
pass keeps elementwise results as lazy values (``lazy_forward.py``), the backward pass
keeps cotangents as lazy values, and ``jit``'s fusion pass (``gpugrad.compiler.passes``)
inlines clusters with the same :func:`inline`. :func:`materialize` is the one way a lazy
value becomes an array: it binds the elementwise primitive, whose evaluation picks the
evaluator (a CUDA kernel, generated NumPy code, chunked NumPy; ``GPUGRAD_DEBUG=1`` says
which ran and why).

In the backward pass, the cotangent flowing out of an elementwise node is kept lazy, and
the next elementwise node composes its own VJP expression around it (:func:`compose`). The
chain is evaluated (one fused kernel on CuPy, one generated NumPy function) only when a
value is really needed: by a non-elementwise rule, at a leaf, or when the expression grows
too big. Accumulating a node's cotangent from several consumers composes an ``add`` into
the same expression instead of running a separate addition (:func:`accumulate`). Because
the fused result is evaluated by the ordinary elementwise primitive, it is itself
differentiable (its rules are the symbolic derivative of the composed expression), so
second and higher orders fuse too. The sizes and bounds are ``gpugrad.config`` options:
``fusion_max_args``, ``fusion_max_nodes``.
"""


from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.trace import bind
from gpugrad.dtypes import argument_dtypes
from gpugrad.expr import catalog as C
from gpugrad.expr.language import Expr, depends_on, out_dtype, substitute, var
from gpugrad.primitives.broadcasting import broadcast_to
from gpugrad.primitives.elementwise_eval import elementwise_p, log_route

__all__ = [
    "value_dtype",
    "LazyValue", "accumulate", "compose", "expression_size", "fits_one_evaluation", "inline",
    "materialize", "why_too_big",
]

# Composed expressions, and their normalised forms per argument-identity pattern. Both are
# keyed by expressions that are reused objects, so lookups on a repeated program are cheap.
_compose_cache: dict[tuple[Any, ...], Expr] = {}
_normal_cache: dict[tuple[Any, ...], tuple[Expr, tuple[int, ...]]] = {}


class LazyValue:
    """An elementwise value not evaluated yet: ``expr`` over ``args``, of ``shape``."""

    __slots__ = ("expr", "args", "shape", "dtype")

    def __init__(self, expr: Expr, args: list[Any], shape: tuple[int, ...], dtype: Any) -> None:
        self.expr = expr
        self.args = args
        self.shape = shape
        self.dtype = dtype


def materialize(value: Any) -> Any:
    """Evaluate a :class:`LazyValue` (anything else is returned as it is)."""
    if not isinstance(value, LazyValue):
        return value
    out = bind(elementwise_p, *value.args, expr=value.expr)
    if out.shape != value.shape:
        out = broadcast_to(out, value.shape)
    return out


def _size(e: Expr) -> int:
    cached = e.cache.get("size")
    if cached is None:
        cached = e.cache["size"] = 1 + sum(_size(a) for a in e.args)
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
    """``expr`` over ``args`` with every :class:`LazyValue` argument's expression substituted
    for its variable: one expression over arrays only (deduplicated, unused ones dropped)."""
    layout = tuple(a.expr if type(a) is LazyValue else None for a in args)
    full_key = ("inline", expr, layout, *key)
    hit = _compose_cache.get(full_key)
    flat: list[Any] = []
    for a in args:
        if type(a) is LazyValue:
            flat += a.args
        else:
            flat.append(a)
    if hit is None:
        mapping: dict[Expr, Expr] = {}
        offset = 0
        for k, a in enumerate(args):
            if type(a) is LazyValue:
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
            dtype: Any) -> LazyValue | Any:
    """``outer`` with its variable ``len(outer_args)`` bound to ``inner``, as one LazyValue
    (any argument may itself be LazyValue); evaluated at once if it would be too big."""
    return _composed(outer, [*outer_args, inner], shape, dtype)


def _composed(outer: Expr, parts: list[Any], shape: tuple[int, ...], dtype: Any) -> Any:
    expr, args = inline(outer, parts)
    if value_dtype(expr, args) != dtype:
        # A lazy value among the parts reads arrays of another dtype (the int32 operands of a
        # comparison in a select's mask): one kernel over them would compute in their common
        # dtype (float64 beside float32). Its array, not its expression, keeps ``dtype``.
        expr, args = inline(outer, [materialize(p) if type(p) is LazyValue else p
                                    for p in parts])
    return _finish(expr, args, shape, dtype)


_NUMBERS = (bool, int, float, complex)


def value_dtype(expr: Expr, args: list[Any]) -> Any:
    """The dtype ``expr`` evaluated over ``args`` gives (the expression language's
    ``out_dtype`` of ``argument_dtypes``), memoised per expression and argument
    dtypes: every lazy and every composed operation asks it."""
    key: list[Any] = ["value dtype", live.enable_x64]
    for a in args:
        t = type(a)
        key.append(t if t in _NUMBERS else a.dtype)  # a Python number: its kind decides
    cache = expr.cache
    hit = cache.get(tuple(key))
    if hit is None:
        hit = cache[tuple(key)] = out_dtype(expr, argument_dtypes(args))
    return hit


def expression_size(expr: Expr) -> int:
    """The number of nodes of ``expr`` (shared subtrees counted each time they occur)."""
    return _size(expr)


def fits_one_evaluation(expr: Expr, nargs: int) -> bool:
    """Whether an expression of this size over ``nargs`` arrays is evaluated as one (a
    larger one is split where it was composed)."""
    return nargs <= live.fusion_max_args and _size(expr) <= live.fusion_max_nodes


def _finish(expr: Expr, args: list[Any], shape: tuple[int, ...], dtype: Any) -> Any:
    value = LazyValue(expr, args, shape, dtype)
    if not fits_one_evaluation(expr, len(args)):
        if live.debug:
            log_route("evaluated now", expr, args, why_too_big(expr, args, "fusion_max_nodes"))
        return materialize(value)
    return value


def accumulate(previous: Any, contribution: Any) -> Any:
    """``previous + contribution`` for cotangents, fused when either is LazyValue."""
    if type(previous) is np.ndarray and type(contribution) is np.ndarray and (
            previous.dtype == contribution.dtype and previous.shape == contribution.shape):
        total = previous + contribution  # the common case: no promotion, no tracing
        return total if type(total) is np.ndarray else np.asarray(total)
    if type(previous) is not LazyValue and type(contribution) is not LazyValue:
        total = previous + contribution  # a tracer's operator: gpugrad.numpy's add
        return np.asarray(total) if isinstance(total, np.generic) else total
    return _composed(_ADD, [previous, contribution], tuple(previous.shape), previous.dtype)


_ADD = C.add(var(0), var(1))


def why_too_big(expr: Expr, args: list[Any], max_nodes: str = "lazy_max_nodes") -> str:
    """Why ``expr`` over ``args`` is not kept unevaluated (for the ``debug`` option)."""
    if len(args) > live.fusion_max_args:
        return f"{len(args)} arrays > fusion_max_args={live.fusion_max_args}"
    return f"{_size(expr)} operations > {max_nodes}={getattr(live, max_nodes)}"
