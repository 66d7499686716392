"""The elementwise primitive: one primitive, parameterised by a catalog expression.

``bind(elementwise_p, *args, expr=e)`` evaluates ``e`` elementwise with NumPy broadcasting.
Its rules are derived, never written: the JVP is the expression ``sum_i de/dx_i * t_i`` and
the VJP for input ``i`` is ``ct * de/dx_i`` (then summed back to the input's shape), both built
symbolically from ``e`` and evaluated by this same primitive, so every order of derivative
stays a single elementwise evaluation per rule.

This file holds the primitive, its rules (JVP, VJP, fused VJP, batching) and their shortcuts
for small concrete NumPy arrays (value and tangent from one generated function, VJP rules
generated as straight-line code). How an application is recorded in reverse mode (lazily,
or evaluated at once) is the lazy-value layer's (``lazy_forward.record_lazy``). Evaluating
an expression on concrete arrays (generated NumPy code, CUDA kernels) is
``elementwise_eval.py``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace
from gpugrad.core.reverse import register_lazy_values
from gpugrad.core.trace import Tracer, bind, underlying
from gpugrad.dtypes import argument_dtypes
from gpugrad.expr.language import (
    Expr,
    const,
    depends_on,
    jvp_expr,
    out_dtype,
    substitute,
    var,
    vjp_expr,
)
from gpugrad.primitives import lazy, lazy_forward
from gpugrad.primitives.broadcasting import aligned, broadcast_to, unbroadcast
from gpugrad.primitives.elementwise_eval import (
    call_quiet,
    elementwise_p,
    evaluate,
    evaluate_many,
    log_route,
    many_function,
    quiet_state,
    typed_result,
)
from gpugrad.primitives.shape_rules import all_weak, broadcast_avals

__all__ = ["elementwise_p", "jvp_expr", "vjp_expr"]  # (the last two: the expression language's)


def _jvp(primals: list[Any], tangents: list[Any], expr: Expr) -> tuple[Any, Any]:
    concrete = _concrete_jvp(primals, tangents, expr)
    if concrete is not None:
        return concrete
    out = bind(elementwise_p, *primals, expr=expr)
    if not isinstance(expr.op, str) and expr.op.out_kind == "bool":
        return out, None
    with_tangent = tuple(i for i, t in enumerate(tangents) if t is not None)
    texpr = jvp_expr(expr, len(primals), with_tangent)
    if texpr is None or (texpr.op == "const" and texpr.value == 0):
        return out, None
    args = [*primals, *[tangents[i] for i in with_tangent]]
    if depends_on(texpr, len(args)):  # the value itself (tanh' = 1 - tanh**2); an unread
        args.append(out)  # one is left out (it changes neither the dtype nor the shape)
    tangent = bind(elementwise_p, *args, expr=texpr)
    if tangent.shape != out.shape:  # a tangent only on an input that was broadcast
        tangent = broadcast_to(tangent, out.shape)
    return out, tangent


def _concrete_jvp(primals: list[Any], tangents: list[Any], expr: Expr
                  ) -> tuple[Any, Any] | None:
    """The JVP of small concrete NumPy values: the value and its tangent from one generated
    function (shared subexpressions computed once), instead of two evaluations through
    bind. None where it does not apply (a tracer of another transformation, CuPy, arrays
    of the ``fusion_min_size`` option's size or more)."""
    limit = live.fusion_min_size
    given: list[Any] = []
    with_tangent: list[int] = []
    for i, (value, tangent) in enumerate(zip(primals, tangents)):
        t = type(value)
        if t is np.ndarray:
            if value.size >= limit:
                return None
        elif not isinstance(value, np.generic):
            return None
        if tangent is not None:
            if type(tangent) is not np.ndarray:
                return None
            given.append(tangent)
            with_tangent.append(i)
    n = len(primals)
    key = ("concrete jvp", n, tuple(with_tangent))
    fn = expr.cache.get(key)
    if fn is None:
        fn = expr.cache[key] = _jvp_function(expr, n, key[2])
    if fn is False:  # no derivative (a comparison, a zero partial): the value alone
        return evaluate(*primals, expr=expr), None
    values = [*primals, *given]
    if live.debug:
        log_route("value and tangent from one function", expr, primals,
                  f"size < fusion_min_size={limit}, concrete NumPy values")
    out, tangent = fn(np, *values) if quiet_state.depth else call_quiet(fn, values)
    if type(out) is not np.ndarray or out.dtype.char in "dD":
        out = typed_result(out, primals)
    if type(tangent) is not np.ndarray or tangent.dtype.char in "dD":
        tangent = typed_result(tangent, values)
    if tangent.shape != out.shape:  # a tangent only on an input that was broadcast
        tangent = broadcast_to(tangent, out.shape)
    return out, tangent


def _jvp_function(expr: Expr, n: int, with_tangent: tuple[int, ...]) -> Any:
    """The generated function of ``(x_0..x_{n-1}, t_0..)`` returning ``(value, tangent)``,
    or False where the tangent is zero."""
    if not isinstance(expr.op, str) and expr.op.out_kind == "bool":
        return False
    texpr = jvp_expr(expr, n, with_tangent)
    if texpr is None or (texpr.op == "const" and texpr.value == 0):
        return False
    m = len(with_tangent)
    return many_function((expr, substitute(texpr, {var(n + m): expr})), n + m)


def _vjp_plan(expr: Expr, n: int, wanted: tuple[bool, ...]) -> tuple[
        tuple[int, ...], tuple[Expr, ...], tuple[int, ...],
        tuple[tuple[Expr, tuple[int, ...]], ...]]:
    """(inputs to evaluate, their cotangent expressions, inputs whose cotangent is ``ct``
    itself, and each expression over just the inputs it reads with their indices, see
    :func:`_read_only`) for the ``wanted`` inputs: zero cotangents are left out."""
    key = ("vjp plan", n, wanted)
    plan = expr.cache.get(key)
    if plan is None:
        evaluated, exprs, identity = [], [], []
        for i, w in enumerate(wanted):
            vexpr = vjp_expr(expr, n, i) if w else None
            if vexpr is None:
                continue
            if vexpr.op == "var" and vexpr.value == n + 1:
                identity.append(i)  # add's rule: nothing to evaluate
            else:
                evaluated.append(i)
                exprs.append(vexpr)
        plan = expr.cache[key] = (tuple(evaluated), tuple(exprs), tuple(identity),
                                   tuple(_read_only(e, n + 2) for e in exprs))
    return plan  # type: ignore[no-any-return]


def _vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], expr: Expr) -> list[Any]:
    n = len(primals)
    evaluated, exprs, identity, read_only = _vjp_plan(expr, n, tuple(wanted))
    cts: list[Any] = [None] * n
    for i in identity:
        cts[i] = unbroadcast(ct, primals[i].shape)
    if not exprs:
        return cts
    args = [*primals, out, ct]
    for a in args:
        if isinstance(a, Tracer):  # traced: each one a differentiable bind
            values = [bind(elementwise_p, *[args[j] for j in reads], expr=e)
                      for e, reads in read_only]
            break
    else:  # concrete: every cotangent from one evaluation (one kernel on CuPy)
        values = [evaluate(*args, expr=exprs[0])] if len(exprs) == 1 else evaluate_many(
            exprs, args)
    for i, c in zip(evaluated, values):
        cts[i] = unbroadcast(c, primals[i].shape)
    return cts


def _read_only(e: Expr, nargs: int) -> tuple[Expr, tuple[int, ...]]:
    """``e`` over just the inputs it reads, and their indices among its ``nargs``: a traced
    rule then hands a transformation no argument it would only carry (a cotangent rarely
    reads ``out`` and every primal)."""
    reads = tuple(i for i in range(nargs) if depends_on(e, i))
    return substitute(e, {var(i): var(k) for k, i in enumerate(reads) if k != i}), reads


def _concrete_vjp(expr: Expr, wanted: tuple[bool, ...]) -> Callable[[Any, list[Any], Any], Any]:
    """:func:`_vjp` for small concrete NumPy values, its plan decided once per expression and
    set of ``wanted`` inputs and run as generated straight-line code (:func:`_vjp_rule`)."""
    n = len(wanted)
    evaluated, exprs, identity, _ = _vjp_plan(expr, n, wanted)
    fn = many_function(exprs, n + 2) if exprs else None
    rule = _rule_maker(n, evaluated, identity)(fn, exprs)
    expr.cache[wanted] = rule
    return rule


@functools.cache
def _rule_maker(n: int, evaluated: tuple[int, ...], identity: tuple[int, ...]
                ) -> Callable[[Any, Any], Any]:
    """``make(fn, exprs)``: the rule of :func:`_concrete_vjp` for ``n`` inputs, cotangents
    ``evaluated`` by ``fn`` (in order) and ``identity`` inputs taking ``ct`` itself, as
    straight-line code generated once per such pattern (no loops: it runs once per node)."""
    xs = [f"x{i}" for i in range(n)]
    lines = ["def make(fn, exprs):", "    def rule(ct, primals, out):",
             f"        {', '.join(xs)}, = primals"]
    if evaluated:
        lines += [f"        args = ({', '.join(xs)}, out, ct)",
                  "        if live.debug:",
                  "            log_route('generated VJP rule', exprs, args,",
                  "                      f'size < fusion_min_size={live.fusion_min_size}, '",
                  "                      'concrete NumPy values')",
                  "        values = fn(np, *args) if quiet_state.depth else call_quiet(fn, args)"]
    for k, i in enumerate(evaluated):
        lines += [f"        c{i} = values[{k}]",
                  f"        if type(c{i}) is not ndarray or c{i}.dtype.char in 'dD':",
                  f"            c{i} = typed_result(c{i}, args)",
                  f"        if c{i}.shape != x{i}.shape:",
                  f"            c{i} = unbroadcast(c{i}, x{i}.shape)"]
    for i in identity:
        lines += [f"        c{i} = ct if ct.shape == x{i}.shape else unbroadcast(ct, x{i}.shape)"]
    outs = [f"c{i}" if i in evaluated or i in identity else "None" for i in range(n)]
    lines += [f"        return ({', '.join(outs)},)", "    return rule"]
    namespace: dict[str, Any] = {"np": np, "ndarray": np.ndarray, "quiet_state": quiet_state,
                                 "call_quiet": call_quiet, "typed_result": typed_result,
                                 "unbroadcast": unbroadcast, "live": live,
                                 "log_route": log_route}
    exec(compile("\n".join(lines), f"<gpugrad vjp rule {n} {evaluated} {identity}>", "exec"),
         namespace)
    return namespace["make"]  # type: ignore[no-any-return]


def _vjp_rule(ct: Any, primals: list[Any], out: Any, wanted: list[bool], expr: Expr
              ) -> list[Any]:
    """The VJP rule. Small concrete NumPy values (all of them under the ``fusion_min_size``
    option, where fusing would cost more than it saves) run the rule generated for the
    expression and the wanted inputs (:func:`_concrete_vjp`); otherwise it is fused
    (:func:`_fused_vjp`) where the ``fuse_backward`` option is on or a value is lazy already
    (a node that keeps lazy values needs it, whatever the option says now), else every
    cotangent is evaluated at once (:func:`_vjp`)."""
    if type(ct) is np.ndarray and type(out) is np.ndarray and out.size < live.fusion_min_size:
        # Concrete primals too: a traced one would have made ``out`` a tracer, and only a node
        # of a large result keeps lazy values.
        key = tuple(wanted)  # (a tuple of bools: apart from the cache's other keys)
        rule = expr.cache.get(key) or _concrete_vjp(expr, key)
        return rule(ct, primals, out)  # type: ignore[no-any-return]
    if live.fuse_backward or type(ct) is lazy.LazyValue or type(out) is lazy.LazyValue or any(
            type(p) is lazy.LazyValue for p in primals):
        return _fused_vjp(ct, primals, out, wanted, expr)
    return _vjp(ct, primals, out, wanted, expr)


def _fused_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], expr: Expr
               ) -> list[Any]:
    """The VJP, leaving each cotangent unevaluated (a lazy.LazyValue) so that the next
    elementwise node composes around it. Primals and ``out`` may be lazy values (see
    ``lazy_forward.keep_lazy``), recomputed inside the same evaluation. An incoming lazy cotangent
    shared by several inputs is evaluated once first (recomputing it per input would double
    the work); a cotangent that must be summed down to a broadcast input's shape is
    evaluated then."""
    if type(ct) is not lazy.LazyValue:
        value = underlying(out)  # under an outer transformation: an array of its size
        if type(value) is np.ndarray and value.size < live.fusion_min_size:
            return _vjp(ct, primals, out, wanted, expr)  # small NumPy arrays: nothing to gain
    n = len(primals)
    wanted_at = [i for i, w in enumerate(wanted) if w]
    if len(wanted_at) > 1:
        ct = lazy.materialize(ct)
    shape = tuple(out.shape)
    unit = _unit_seed(ct, out)
    cts: list[Any] = [None] * n
    for i in wanted_at:
        vexpr = vjp_expr(expr, n, i)
        if vexpr is None:
            continue
        if vexpr.op == "var" and vexpr.value == n + 1:
            c = ct  # the identity (add's rule): nothing to evaluate
        else:
            if unit:
                vexpr = _times_one(vexpr, [*primals, out], shape)
            c = lazy.compose(vexpr, [*primals, out], ct, shape, out.dtype)
        if tuple(primals[i].shape) != shape:
            c = unbroadcast(lazy.materialize(c), primals[i].shape)
        cts[i] = c
    return cts


def _unit_seed(ct: Any, out: Any) -> bool:
    """Whether ``ct`` is a sum's gradient seed: ones of ``out``'s floating dtype broadcast
    from one element (a NumPy view with all strides zero)."""
    return (type(ct) is np.ndarray and ct.ndim > 0 and not any(ct.strides) and ct.size > 0
            and ct.dtype == out.dtype and ct.dtype.kind == "f" and bool(ct.flat[0] == 1))


def _times_one(vexpr: Expr, args: list[Any], shape: tuple[int, ...]) -> Expr:
    """``vexpr`` with its cotangent variable (the last) set to 1 and the catalog's ``x * 1``
    dropped (exact), where an array of the result's shape and dtype among ``args`` still
    types and shapes what is left: ``d/dx sum(x**2)`` evaluates ``2 * x`` alone."""
    key = ("times one", len(args))
    folded = vexpr.cache.get(key)
    if folded is None:
        folded = vexpr.cache[key] = substitute(vexpr, {var(len(args)): const(1.0)})
    if folded is vexpr:
        return vexpr
    dtype = args[-1].dtype  # out's
    for k, a in enumerate(args):
        if (depends_on(folded, k) and getattr(a, "dtype", None) == dtype
                and tuple(getattr(a, "shape", ())) == shape):
            return folded  # type: ignore[no-any-return]
    return vexpr


def _batch(values: list[Any], dims: list[int | None], expr: Expr) -> tuple[Any, int | None]:
    # An argument the expression does not read (a VJP rule's ``out`` or ``x``) does not shape
    # the result either: a batch axis there must not count, so it becomes a 0-d stand-in.
    key = ("reads", len(values))
    reads = expr.cache.get(key)
    if reads is None:
        reads = expr.cache[key] = tuple(depends_on(expr, i) for i in range(len(values)))
    if not all(reads):
        for i, d in enumerate(dims):
            if d is not None and not reads[i]:
                v = values[i]
                xp = np if type(v) is np.ndarray else array_namespace(v)
                values[i], dims[i] = xp.zeros((), v.dtype), None
        if all(d is None for d in dims):
            return bind(elementwise_p, *values, expr=expr), None
    args, dim = aligned(values, dims)
    for a in args:
        if isinstance(a, Tracer):
            return bind(elementwise_p, *args, expr=expr), dim
    return evaluate(*args, expr=expr), dim  # concrete: bind would call it straight


# A weak argument stands for a Python scalar, which the evaluation types by its kind alone
# (gpugrad.dtypes.argument_dtypes): it takes the dtype of the typed arguments.
_SCALAR_OF_KIND = {"i": 0, "u": 0, "f": 0.0, "c": 0j}


def _abstract(*avals: ShapedArray, expr: Expr) -> ShapedArray:
    # The CUDA kernel's rule for its output dtype (the expression language's), which NumPy's
    # evaluation follows (but for arithmetic on booleans: NumPy's square or remainder of bools
    # is int8, a kernel's bool).
    args = [_SCALAR_OF_KIND[a.dtype.kind] if a.weak_type and a.dtype.kind != "b" else a
            for a in avals]
    dtype = out_dtype(expr, argument_dtypes(args))
    return ShapedArray(broadcast_avals(avals), dtype, all_weak(avals) and dtype.kind != "b")


elementwise_p.abstract_eval = _abstract
elementwise_p.jvp = _jvp
elementwise_p.vjp = _vjp_rule
elementwise_p.batch = _batch
# Its values may be lazy: recorded without being evaluated, or kept as lazy values that
# recompute them (gpugrad.primitives.lazy_forward), and its VJP rule composes lazy cotangents.
register_lazy_values(frozenset({elementwise_p}), lazy_forward.record_lazy, lazy_forward.keep_lazy,
                     lazy.accumulate, lazy.materialize, lazy_forward.evaluate_lazy)
