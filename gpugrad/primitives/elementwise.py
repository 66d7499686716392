"""The elementwise primitive: one primitive, parameterised by a catalog expression.

``bind(elementwise_p, *args, expr=e)`` evaluates ``e`` elementwise with NumPy broadcasting.
Its rules are derived, never written: the JVP is the expression ``sum_i de/dx_i * t_i`` and
the VJP for input ``i`` is ``ct * de/dx_i`` (then summed back to the input's shape), both built
symbolically from ``e`` and evaluated by this same primitive, so every order of derivative
stays a single elementwise evaluation per rule.

On NumPy an expression runs as Python code generated from it once (ufunc calls, common
subexpressions computed once). On CuPy it runs as one generated CUDA kernel
(``gpugrad.kernel``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad.config import config
from gpugrad.core.concrete import array_namespace
from gpugrad.core.forward import JVPTracer
from gpugrad.core.reverse import Node, VJPTracer
from gpugrad.core.trace import Primitive, Tracer, bind, escaped_tracer_error, underlying
from gpugrad.dtypes import compute_type
from gpugrad.expr.language import Expr, depends_on, diff, substitute, to_python, var
from gpugrad.primitives import fusion, special_math
from gpugrad.primitives.numpy_eval import FUSED_MIN_SIZE, maybe_fused
from gpugrad.primitives.structural import aligned, broadcast_to, unbroadcast

__all__ = ["apply", "elementwise_p", "evaluate", "evaluate_many", "quiet_floating_point"]

elementwise_p = Primitive("elementwise")


class _Quiet(threading.local):
    depth = 0


_quiet = _Quiet()


class quiet_floating_point:
    """Silence NumPy's floating-point warnings for a whole transformation at once.

    Like JAX, gpugrad returns inf/nan without warning (``sqrt'(0) = inf`` is a documented
    value, not an accident). Entering ``np.errstate`` once per outermost transformation
    instead of once per operation keeps per-call overhead low.
    """

    __slots__ = ("_errstate",)

    def __enter__(self) -> None:
        if _quiet.depth == 0:
            self._errstate = np.errstate(all="ignore")
            self._errstate.__enter__()
        _quiet.depth += 1

    def __exit__(self, *exc: Any) -> None:
        _quiet.depth -= 1
        if _quiet.depth == 0:
            self._errstate.__exit__(*exc)


# The names the generated evaluators read besides ``xp``: special functions the catalog's
# templates call, and the compute dtype that types their constant-only values.
_EVAL_NAMES: dict[str, Any] = {"special": special_math, "compute_type": compute_type}


def numpy_function(expr: Expr, nargs: int) -> Callable[..., Any]:
    """The Python function (generated once per expression) that evaluates ``expr``."""
    fn = expr._cache.get(nargs)  # keyed by the bare int: this lookup is on the hot path
    if fn is None:
        source = to_python(expr, nargs, name="elementwise")
        # Catalog templates may call NumPy-less special functions as ``special.<name>``.
        namespace = dict(_EVAL_NAMES)
        exec(compile(source, f"<gpugrad elementwise {expr}>", "exec"), namespace)
        fn = expr._cache[nargs] = namespace["elementwise"]
    return fn  # type: ignore[no-any-return]


def evaluate(*args: Any, expr: Expr) -> Any:
    """Evaluate ``expr`` on concrete arrays (NumPy, or CuPy through a fused kernel).

    This is the primitive's ``impl``: ``bind`` calls it directly with ``expr=``.
    """
    large = False
    for a in args:
        if type(a) is np.ndarray:
            large = large or a.size >= FUSED_MIN_SIZE
        elif type(a).__module__.startswith("cupy"):
            from gpugrad.kernel import run_elementwise

            return run_elementwise(expr, args)
    fn = expr._cache.get(len(args)) or numpy_function(expr, len(args))
    if large:  # the same expression with buffers reused, or slice by slice
        fn = maybe_fused(expr, args, fn)
    return _result(_call(fn, args), args)


def apply(args: Sequence[Any], expr: Expr) -> Any:
    """``bind(elementwise_p, *args, expr=expr)``, with the commonest case taken straight.

    That case: NumPy arrays too small for any fusion, traced by at most one reverse-mode
    transformation. There the general route (bind's choice of trace, lifting, lazy and
    recomputed values) costs several times the ufunc itself, so the value is computed and
    the node recorded here, with its VJP rule looked up once (:func:`_concrete_vjp`).
    Everything else (nested or forward-mode tracers, CuPy, large arrays) goes to ``bind``.
    """
    trace = None
    limit = fusion.MIN_NUMPY_SIZE  # the smallest size from which fusion does anything
    primals: list[Any] = []
    parents: list[Node | None] = []
    wanted = 0  # bit i set: input i is traced
    bit = 1
    for a in args:
        t = type(a)
        if t is VJPTracer:  # exactly: a LazyVJPTracer has no value yet
            value = a.primal
            if (type(value) is not np.ndarray or value.size >= limit
                    or (trace is not None and a._trace is not trace)):
                return bind(elementwise_p, *args, expr=expr)
            trace = a._trace
            primals.append(value)
            parents.append(a.node)
            wanted |= bit
        elif t is np.ndarray:
            if a.size >= limit:
                return bind(elementwise_p, *args, expr=expr)
            primals.append(a)
            parents.append(None)
        elif isinstance(a, np.generic):
            primals.append(a)
            parents.append(None)
        else:
            return bind(elementwise_p, *args, expr=expr)
        bit <<= 1
    if trace is None:
        return evaluate(*args, expr=expr)
    if not trace.main.active:
        raise escaped_tracer_error()
    n = len(primals)
    fn = expr._cache.get(n) or numpy_function(expr, n)
    # _call and _result, inlined for their common case: this runs once per operation.
    out = fn(np, *primals) if _quiet.depth else _call(fn, primals)
    if type(out) is not np.ndarray or out.dtype.char in "dD":
        out = _result(out, primals)
    node = Node(elementwise_p, primals, {"expr": expr}, out, parents)
    if out.size >= limit:  # broadcasting made it large: the general node
        if config.fuse_backward:
            fusion.remat(node)
    else:
        # Keyed by -(bit i for traced input i, then a bit for the count): negative, apart
        # from the evaluators keyed by the input count.
        key = -(wanted | bit)
        node.rule = expr._cache.get(key) or _concrete_vjp(expr, n, key)
    return VJPTracer(trace, out, node)


def _call(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``fn(np, *args)`` with floating-point warnings silenced (once per transformation)."""
    if _quiet.depth:
        return fn(np, *args)
    with np.errstate(all="ignore"):
        return fn(np, *args)


def _result(out: Any, args: Sequence[Any]) -> Any:
    if type(out) is not np.ndarray:
        out = np.asarray(out)  # NumPy returns scalars for 0-d inputs; we return 0-d arrays
    if out.dtype.char in "dD":
        return _narrowed(out, args)
    return out


def _narrowed(out: Any, args: Sequence[Any]) -> Any:
    """``out`` in its arguments' precision: the catalog's formulas are meant in the
    precision of their inputs. The generated evaluators already type constant-only values
    by the kernels' compute dtype (``expr.to_python``), so this is a guard for a template
    that would still widen (none of the catalog's, in the test suite)."""
    precision = None
    for a in args:
        dtype = getattr(a, "dtype", None)
        if dtype is None or dtype.kind not in "fc":
            continue
        if dtype.itemsize == (8 if dtype.kind == "f" else 16):
            return out  # a float64 (complex128) input: float64 is right
        precision = dtype if precision is None else np.promote_types(precision, dtype)
    if precision is None:
        return out
    if out.dtype.kind == "c":
        precision = np.result_type(precision, np.complex64)
    return out.astype(precision, copy=False)


def jvp_expr(expr: Expr, nargs: int, with_tangent: tuple[int, ...]) -> Expr | None:
    """``sum_k de/dx_{i_k} * var(nargs + k)``, with ``e`` itself read from ``var(nargs + m)``."""
    key = ("jvp", nargs, with_tangent)
    cached = expr._cache.get(key)
    if cached is None:
        out_var = var(nargs + len(with_tangent))
        total: Any = 0.0
        for k, i in enumerate(with_tangent):
            total = total + substitute(diff(expr, i), {expr: out_var}) * var(nargs + k)
        cached = expr._cache[key] = total if isinstance(total, Expr) else None
    return cached  # type: ignore[no-any-return,return-value]


def vjp_expr(expr: Expr, nargs: int, i: int) -> Expr | None:
    """``ct * de/dx_i`` over inputs ``(x_0..x_{n-1}, out, ct)``; None if identically zero."""
    key = ("vjp", nargs, i)
    if key not in expr._cache:
        partial = substitute(diff(expr, i), {expr: var(nargs)})
        result = partial * var(nargs + 1)
        expr._cache[key] = None if result.op == "const" and result.value == 0 else result
    return expr._cache[key]  # type: ignore[no-any-return]


def _jvp(primals: list[Any], tangents: list[Any], expr: Expr) -> tuple[Any, Any]:
    out = bind(elementwise_p, *primals, expr=expr)
    if not isinstance(expr.op, str) and expr.op.out_kind == "bool":
        return out, None
    with_tangent = tuple(i for i, t in enumerate(tangents) if t is not None)
    texpr = jvp_expr(expr, len(primals), with_tangent)
    if texpr is None or (texpr.op == "const" and texpr.value == 0):
        return out, None
    tangent = bind(elementwise_p, *primals, *[tangents[i] for i in with_tangent], out,
                   expr=texpr)
    if tangent.shape != out.shape:  # a tangent only on an input that was broadcast
        tangent = broadcast_to(tangent, out.shape)
    return out, tangent


def _direct_jvp(trace: Any, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """Forward mode's shortcut for small concrete NumPy values traced by ``trace`` alone:
    the value and its tangent from one generated function (shared subexpressions computed
    once), instead of two evaluations through bind. None where it does not apply."""
    expr = params["expr"]
    limit = fusion.MIN_NUMPY_SIZE
    primals: list[Any] = []
    tangents: list[Any] = []
    with_tangent: list[int] = []
    for i, a in enumerate(args):
        t = type(a)
        if t is JVPTracer and a._trace is trace:
            value, tangent = a.primal, a.tangent
            if (type(value) is not np.ndarray or type(tangent) is not np.ndarray
                    or value.size >= limit):
                return None
            primals.append(value)
            tangents.append(tangent)
            with_tangent.append(i)
        elif t is np.ndarray:
            if a.size >= limit:
                return None
            primals.append(a)
        elif isinstance(a, np.generic):
            primals.append(a)
        else:  # a tracer of another transformation, a CuPy array...
            return None
    n = len(primals)
    key = ("direct jvp", n, tuple(with_tangent))
    fn = expr._cache.get(key)
    if fn is None:
        fn = expr._cache[key] = _jvp_function(expr, n, key[2])
    if fn is False:  # no derivative (a comparison, a zero partial): the value alone
        return evaluate(*primals, expr=expr)
    values = [*primals, *tangents]
    out, tangent = fn(np, *values) if _quiet.depth else _call(fn, values)
    if type(out) is not np.ndarray or out.dtype.char in "dD":
        out = _result(out, primals)
    if type(tangent) is not np.ndarray or tangent.dtype.char in "dD":
        tangent = _result(tangent, values)
    if tangent.shape != out.shape:  # a tangent only on an input that was broadcast
        tangent = broadcast_to(tangent, out.shape)
    return JVPTracer(trace, out, tangent)


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


def _vjp_plan(expr: Expr, n: int, wanted: tuple[bool, ...]
              ) -> tuple[tuple[int, ...], tuple[Expr, ...], tuple[int, ...]]:
    """(inputs to evaluate, their cotangent expressions, inputs whose cotangent is ``ct``
    itself) for the ``wanted`` inputs: zero cotangents are left out."""
    key = ("vjp plan", n, wanted)
    plan = expr._cache.get(key)
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
        plan = expr._cache[key] = (tuple(evaluated), tuple(exprs), tuple(identity))
    return plan  # type: ignore[no-any-return]


def _vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], expr: Expr) -> list[Any]:
    n = len(primals)
    evaluated, exprs, identity = _vjp_plan(expr, n, tuple(wanted))
    cts: list[Any] = [None] * n
    for i in identity:
        cts[i] = unbroadcast(ct, primals[i].shape)
    if not exprs:
        return cts
    args = [*primals, out, ct]
    for a in args:
        if isinstance(a, Tracer):  # traced: each one a differentiable bind
            values = [bind(elementwise_p, *args, expr=e) for e in exprs]
            break
    else:  # concrete: every cotangent from one evaluation (one kernel on CuPy)
        values = [evaluate(*args, expr=exprs[0])] if len(exprs) == 1 else evaluate_many(
            exprs, args)
    for i, c in zip(evaluated, values):
        cts[i] = unbroadcast(c, primals[i].shape)
    return cts


def _concrete_vjp(expr: Expr, n: int, key: int) -> Callable[[Any, list[Any], Any], Any]:
    """:func:`_vjp` for concrete NumPy values, its plan decided once per expression and set
    of wanted inputs (``-key`` has bit i set for input i): a node recorded by :func:`apply`
    calls it straight from the backward pass."""
    evaluated, exprs, identity = _vjp_plan(expr, n, tuple(bool(-key >> i & 1)
                                                          for i in range(n)))
    fn = many_function(exprs, n + 2) if exprs else None
    rule = _rule_maker(n, evaluated, identity)(fn)
    expr._cache[key] = rule
    return rule


@functools.cache
def _rule_maker(n: int, evaluated: tuple[int, ...], identity: tuple[int, ...]
                ) -> Callable[[Any], Any]:
    """``make(fn)``: the rule of :func:`_concrete_vjp` for ``n`` inputs, cotangents
    ``evaluated`` by ``fn`` (in order) and ``identity`` inputs taking ``ct`` itself, as
    straight-line code generated once per such pattern (no loops: it runs once per node)."""
    xs = [f"x{i}" for i in range(n)]
    lines = ["def make(fn):", "    def rule(ct, primals, out):",
             f"        {', '.join(xs)}, = primals"]
    if evaluated:
        lines += [f"        args = ({', '.join(xs)}, out, ct)",
                  "        values = fn(np, *args) if _quiet.depth else _call(fn, args)"]
    for k, i in enumerate(evaluated):
        lines += [f"        c{i} = values[{k}]",
                  f"        if type(c{i}) is not ndarray or c{i}.dtype.char in 'dD':",
                  f"            c{i} = _result(c{i}, args)",
                  f"        if c{i}.shape != x{i}.shape:",
                  f"            c{i} = unbroadcast(c{i}, x{i}.shape)"]
    for i in identity:
        lines += [f"        c{i} = ct if ct.shape == x{i}.shape else unbroadcast(ct, x{i}.shape)"]
    outs = [f"c{i}" if i in evaluated or i in identity else "None" for i in range(n)]
    lines += [f"        return ({', '.join(outs)},)", "    return rule"]
    namespace: dict[str, Any] = {"np": np, "ndarray": np.ndarray, "_quiet": _quiet,
                                 "_call": _call, "_result": _result,
                                 "unbroadcast": unbroadcast}
    exec(compile("\n".join(lines), f"<gpugrad vjp rule {n} {evaluated} {identity}>", "exec"),
         namespace)
    return namespace["make"]  # type: ignore[no-any-return]


_many: dict[tuple[tuple[Expr, ...], int], Callable[..., Any]] = {}


def many_function(exprs: tuple[Expr, ...], nargs: int) -> Callable[..., Any]:
    """The generated NumPy function returning the tuple of the values of ``exprs``."""
    key = (exprs, nargs)
    fn = _many.get(key)
    if fn is None:
        namespace = dict(_EVAL_NAMES)
        source = to_python(exprs, nargs, name="elementwise")
        exec(compile(source, f"<gpugrad elementwise {exprs}>", "exec"), namespace)
        fn = _many[key] = namespace["elementwise"]
    return fn


def evaluate_many(exprs: tuple[Expr, ...], args: list[Any]) -> list[Any]:
    """The values of several expressions over the same concrete ``args``, each shared
    subexpression computed once: one CUDA kernel with an output per expression on CuPy,
    one generated function on NumPy (large NumPy arrays take each expression's chunked
    evaluation instead)."""
    large = False
    for a in args:
        if type(a) is np.ndarray:
            large = large or a.size >= FUSED_MIN_SIZE
        elif type(a).__module__.startswith("cupy"):
            from gpugrad.kernel import run_elementwise

            return list(run_elementwise(exprs, args))
    if large:
        return [evaluate(*args, expr=e) for e in exprs]
    return [_result(v, args) for v in _call(many_function(exprs, len(args)), args)]


def _fused_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], expr: Expr
               ) -> list[Any]:
    """The VJP, leaving each cotangent unevaluated (a fusion.Deferred) so that the next
    elementwise node composes around it. Primals and ``out`` may be recipes (Deferred, see
    ``fusion.remat``), recomputed inside the same evaluation. An incoming deferred cotangent
    shared by several inputs is evaluated once first (recomputing it per input would double
    the work); a cotangent that must be summed down to a broadcast input's shape is
    evaluated then."""
    if type(ct) is not fusion.Deferred:
        value = underlying(out)  # under an outer transformation: an array of its size
        if type(value) is np.ndarray and value.size < fusion.MIN_NUMPY_SIZE:
            return _vjp(ct, primals, out, wanted, expr)  # small NumPy arrays: nothing to gain
    n = len(primals)
    wanted_at = [i for i, w in enumerate(wanted) if w]
    if len(wanted_at) > 1:
        ct = fusion.materialize(ct)
    shape = tuple(out.shape)
    cts: list[Any] = [None] * n
    for i in wanted_at:
        vexpr = vjp_expr(expr, n, i)
        if vexpr is None:
            continue
        if vexpr.op == "var" and vexpr.value == n + 1:
            c = ct  # the identity (add's rule): nothing to evaluate
        else:
            c = fusion.compose(vexpr, [*primals, out], ct, shape, out.dtype)
        if tuple(primals[i].shape) != shape:
            c = unbroadcast(fusion.materialize(c), primals[i].shape)
        cts[i] = c
    return cts


def _batch(values: list[Any], dims: list[int | None], expr: Expr) -> tuple[Any, int | None]:
    # An argument the expression does not read (a VJP rule's ``out`` or ``x``) does not shape
    # the result either: a batch axis there must not count, so it becomes a 0-d stand-in.
    key = ("reads", len(values))
    reads = expr._cache.get(key)
    if reads is None:
        reads = expr._cache[key] = tuple(depends_on(expr, i) for i in range(len(values)))
    if not all(reads):
        for i, d in enumerate(dims):
            if d is not None and not reads[i]:
                v = values[i]
                xp = np if type(v) is np.ndarray else array_namespace(v)
                values[i], dims[i] = xp.zeros((), v.dtype), None
        if all(d is None for d in dims):
            return bind(elementwise_p, *values, expr=expr), None
    args, dim = aligned(values, dims)
    return bind(elementwise_p, *args, expr=expr), dim


elementwise_p.impl = evaluate
elementwise_p.jvp = _jvp
elementwise_p.vjp = _vjp
elementwise_p.fused_vjp = _fused_vjp
elementwise_p.remat = fusion.remat
elementwise_p.defer = fusion.defer
elementwise_p.direct_jvp = _direct_jvp
elementwise_p.batch = _batch
