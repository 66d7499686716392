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

On CuPy a saved forward value that the composed expression reads is recomputed from the
node's inputs instead (``d/dx sum(sin(x)**2)`` reads ``x`` once, not ``x`` and ``sin(x)``):
on a GPU elementwise arithmetic is nearly free and memory traffic is not. On NumPy the
saved value is read, since recomputing costs a full pass over memory.
"""

from __future__ import annotations

from typing import Any

from gpugrad.core.trace import bind, raw_value
from gpugrad.primitives import catalog as C
from gpugrad.primitives.expr import Expr, substitute, var

__all__ = ["Deferred", "accumulate", "compose", "materialize"]

# On NumPy, composing expressions costs a few microseconds of Python per node, which only
# pays when arrays are large enough for memory traffic to dominate; on CuPy every kernel
# launch saved pays, so fusion always applies there.
MIN_NUMPY_SIZE = 1 << 14
MAX_ARGS = 16  # beyond this a fused kernel's register pressure outweighs the saved traffic
MAX_NODES = 96

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
    pattern = tuple(ids.setdefault(id(a), k) for k, a in enumerate(args))
    full_key = (*key, pattern)
    hit = _normal_cache.get(full_key)
    if hit is None:
        used = sorted({pattern[k] for k in range(len(args)) if _uses(expr, k)})
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


def _uses(e: Expr, index: int) -> bool:
    from gpugrad.primitives.expr import depends_on

    return depends_on(e, index)


def compose(outer: Expr, outer_args: list[Any], inner: Any, shape: tuple[int, ...],
            dtype: Any, recompute: Expr | None = None) -> Deferred | Any:
    """``outer`` with its variable ``len(outer_args)`` bound to ``inner`` (a Deferred or an
    array), as one Deferred; evaluated at once if the result would be too big.

    ``recompute``: the expression (over ``outer_args[:-1]``) that produced
    ``outer_args[-1]``; when given, reads of that saved value inside ``inner`` are replaced
    by recomputing it.
    """
    slot = len(outer_args)
    if not isinstance(inner, Deferred):
        inner = Deferred(var(0), [inner], shape, dtype)
    hits: tuple[int, ...] = ()
    if recompute is not None:
        saved = outer_args[-1]
        hits = tuple(k for k, a in enumerate(inner.args) if a is saved)
    key = ("compose", outer, inner.expr, recompute if recompute is not None else None, hits)
    expr = _compose_cache.get(key)
    if expr is None:
        body = _shift(inner.expr, slot, len(inner.args))
        if recompute is not None:
            # The saved value (outer var slot-1, and inner's copies of it) is recomputed
            # from the node's inputs, so the fused kernel need not read it.
            body = substitute(body, {var(k + slot): recompute for k in hits})
        expr = substitute(outer, {var(slot): body})
        if recompute is not None:
            expr = substitute(expr, {var(slot - 1): recompute})
        _compose_cache[key] = expr
    return _finish(expr, [*outer_args, *inner.args], key, shape, dtype)


def _finish(expr: Expr, args: list[Any], key: tuple[Any, ...], shape: tuple[int, ...],
            dtype: Any) -> Any:
    expr, args = _normalized(expr, args, key)
    deferred = Deferred(expr, args, shape, dtype)
    if len(args) > MAX_ARGS or _size(expr) > MAX_NODES:
        return materialize(deferred)
    return deferred


def accumulate(previous: Any, contribution: Any) -> Any:
    """``previous + contribution`` for cotangents, fused when either is Deferred."""
    if not isinstance(previous, Deferred) and not isinstance(contribution, Deferred):
        from gpugrad.numpy import add

        return add(previous, contribution)
    first = previous if isinstance(previous, Deferred) else Deferred(
        var(0), [previous], tuple(previous.shape), previous.dtype)
    second = contribution if isinstance(contribution, Deferred) else Deferred(
        var(0), [contribution], tuple(contribution.shape), contribution.dtype)
    n = len(first.args)
    key = ("add", first.expr, second.expr, n)
    expr = _compose_cache.get(key)
    if expr is None:
        expr = C.add(first.expr, _shift(second.expr, n, len(second.args)))
        _compose_cache[key] = expr
    return _finish(expr, [*first.args, *second.args], key, first.shape, first.dtype)


def on_gpu(x: Any) -> bool:
    return type(raw_value(x)).__module__.startswith("cupy")
