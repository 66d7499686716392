"""Evaluating a catalog expression on concrete arrays: the elementwise primitive's ``impl``.

On NumPy an expression runs as Python code generated from it once (ufunc calls, common
subexpressions computed once; large arrays take ``numpy_eval``'s fused form). On CuPy it runs
as one generated CUDA kernel (``gpugrad.kernel``). Several expressions over the same
arguments (the cotangents of one VJP) evaluate together, sharing their subexpressions.
Results are 0-d arrays rather than NumPy scalars, in their arguments' precision, and NumPy's
floating-point warnings are silenced once per transformation (:class:`quiet_floating_point`).

With the ``debug`` option on (``GPUGRAD_DEBUG=1``), every evaluation and every route an
elementwise operation takes says which evaluator ran and why (:func:`log_route`), on the
logger ``logging.getLogger("gpugrad")`` at DEBUG level.

The primitive and its rules are in ``elementwise.py``; nothing here knows of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.trace import Primitive, underlying
from gpugrad.dtypes import compute_type
from gpugrad.expr.language import Expr, depends_on
from gpugrad.expr.printers import to_python
from gpugrad.primitives import special_math
from gpugrad.primitives.numpy_eval import large_evaluator

__all__ = [
    "broadcast_result", "call_quiet", "drops_inputs", "elementwise_p", "evaluate",
    "evaluate_many", "evaluate_plain", "log_route", "numpy_function_for",
    "many_function", "numpy_function", "quiet_floating_point", "quiet_state", "typed_result",
]

logger = logging.getLogger("gpugrad")


def log_route(route: str, expr: Any, args: Sequence[Any], why: str) -> None:
    """Say, at DEBUG level on the ``gpugrad`` logger, that the elementwise expression ``expr``
    over ``args`` took ``route`` (an evaluator, or lazy, recomputed...) because ``why``.

    Callers test ``live.debug`` first, so that nothing is formatted when it is off.

    Example:
        >>> import logging, sys, numpy as np
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> to_stdout = logging.StreamHandler(sys.stdout)
        >>> logger.addHandler(to_stdout)
        >>> logger.setLevel(logging.DEBUG)
        >>> log_route("plain NumPy", C.sin(var(0)), [np.ones(3)], "3 < chunked_min_size=65536")
        plain NumPy: sin(x0) | 3 float64 on numpy | 3 < chunked_min_size=65536 | fuse_backward=True
        >>> logger.removeHandler(to_stdout)
        >>> logger.setLevel(logging.NOTSET)
    """
    size, dtype, backend = 0, None, "numpy"
    for a in args:
        value = underlying(a)
        if type(value).__module__.startswith("cupy"):
            backend = "cupy"
        n = getattr(value, "size", 1)
        if dtype is None or n > size:
            size, dtype = n, getattr(value, "dtype", type(value).__name__)
    text = str(expr)
    if len(text) > 160:  # a fused chain: its head is enough to recognise it
        text = text[:157] + "..."
    logger.debug("%s: %s | %s %s on %s | %s | fuse_backward=%s", route, text, size, dtype,
                 backend, why, live.fuse_backward)


class _Quiet(threading.local):
    depth = 0


# How many quiet_floating_point blocks this thread is inside: above 0, warnings are already
# off, and the hot paths call generated code without entering np.errstate themselves.
quiet_state = _Quiet()


class quiet_floating_point:
    """Silence NumPy's floating-point warnings for a whole transformation at once.

    Like JAX, gpugrad returns inf/nan without warning (``sqrt'(0) = inf`` is a documented
    value, not an accident). Entering ``np.errstate`` once per outermost transformation
    instead of once per operation keeps per-call overhead low.
    """

    __slots__ = ("_errstate",)

    def __enter__(self) -> None:
        if quiet_state.depth == 0:
            self._errstate = np.errstate(all="ignore")
            self._errstate.__enter__()
        quiet_state.depth += 1

    def __exit__(self, *exc: Any) -> None:
        quiet_state.depth -= 1
        if quiet_state.depth == 0:
            self._errstate.__exit__(*exc)


# The names the generated evaluators read besides ``xp``: special functions the catalog's
# templates call, and the compute dtype that types their constant-only values.
_EVAL_NAMES: dict[str, Any] = {"special": special_math, "compute_type": compute_type}


def numpy_function(expr: Expr, nargs: int,
                   typed_args: frozenset[int] = frozenset()) -> Callable[..., Any]:
    """The Python function (generated once per expression) that evaluates ``expr``.

    ``typed_args``: the positions of arguments the caller always passes as NumPy arrays or
    scalars, never Python numbers (arithmetic on them may then use Python's operators)."""
    key: Any = (nargs, typed_args) if typed_args else nargs
    fn = expr.cache.get(key)  # keyed by the bare int: this lookup is on the hot path
    if fn is None:
        source = to_python(expr, nargs, name="elementwise", typed_args=typed_args)
        # Catalog templates may call NumPy-less special functions as ``special.<name>``.
        namespace = dict(_EVAL_NAMES)
        exec(compile(source, f"<gpugrad elementwise {expr}>", "exec"), namespace)
        fn = expr.cache[key] = namespace["elementwise"]
        # Read by evaluate once per operation: an attribute costs less than a cache lookup.
        fn.drops = drops_inputs(expr, nargs)
    return fn  # type: ignore[no-any-return]


def evaluate(*args: Any, expr: Expr) -> Any:
    """Evaluate ``expr`` on concrete arrays (NumPy, or CuPy through a fused kernel).

    This is the primitive's ``impl``: ``bind`` calls it directly with ``expr=``.
    """
    limit = live.chunked_min_size
    large = False
    for a in args:  # _is_large, inlined: this runs once per operation
        t = type(a)
        if t is np.ndarray:
            if a.size >= limit:
                large = True
        elif t not in HOST_SCALARS and t.__module__.startswith("cupy"):
            return _on_cupy(expr, args)
    fn = expr.cache.get(len(args)) or numpy_function(expr, len(args))
    if not large:
        return evaluate_plain(expr, fn, args)
    evaluator, route, why = large_evaluator(expr, args, fn)  # buffers reused, or by slices
    if live.debug:
        log_route(route, expr, args, why)
    out = call_quiet(evaluator, args)
    if type(out) is not np.ndarray or out.dtype.char in "dD":
        out = typed_result(out, args)
    return broadcast_result(out, args) if fn.drops else out  # type: ignore[union-attr]


def evaluate_plain(expr: Expr, fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``expr``'s value on NumPy ``args`` smaller than the ``chunked_min_size`` option, by its
    generated function ``fn`` called once (:func:`numpy_function`)."""
    if live.debug:
        log_route("plain NumPy", expr, args, f"size < chunked_min_size={live.chunked_min_size}")
    # call_quiet and typed_result, inlined for their common case: this runs once per operation.
    out = fn(np, *args) if quiet_state.depth else call_quiet(fn, args)
    if type(out) is not np.ndarray or out.dtype.char in "dD":
        out = typed_result(out, args)
    return broadcast_result(out, args) if fn.drops else out  # type: ignore[attr-defined]


def drops_inputs(expr: Expr, nargs: int) -> bool:
    """Whether ``expr`` reads fewer than all of its ``nargs`` inputs (derivative formulas
    often do): its value must then still take the shape they broadcast to."""
    key = ("drops", nargs)
    hit = expr.cache.get(key)
    if hit is None:
        hit = expr.cache[key] = not all(depends_on(expr, i) for i in range(nargs))
    return bool(hit)


def broadcast_result(out: Any, args: Sequence[Any]) -> Any:
    """``out`` with the shape of all ``args`` broadcast together, as the elementwise primitive
    defines its result (and as a CUDA kernel, which broadcasts every operand, computes it)."""
    own = out.shape
    for a in args:  # the common case, every argument a scalar or of the result's shape
        shape = getattr(a, "shape", ())
        if shape and shape != own:
            break
    else:
        return out
    shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    return out if tuple(own) == shape else np.broadcast_to(out, shape).copy()


def _is_large(args: Sequence[Any], limit: int) -> bool | None:
    """Whether a NumPy array among ``args`` has ``limit`` elements or more; None when one of
    them is a CuPy array."""
    large = False
    for a in args:
        t = type(a)
        if t is np.ndarray:
            large = large or a.size >= limit
        elif t not in HOST_SCALARS and t.__module__.startswith("cupy"):
            return None
    return large


# Scalars an operation's arguments often are, known not to be CuPy arrays without asking.
HOST_SCALARS = frozenset({np.float32, np.float64, np.int32, np.int64, np.bool_, float, int,
                           bool, complex, np.complex64, np.complex128})


def _on_cupy(exprs: Expr | tuple[Expr, ...], args: Sequence[Any]) -> Any:
    """The value(s) of ``exprs`` from one CUDA kernel (an output per expression)."""
    from gpugrad.kernel import run_elementwise

    if live.debug:
        log_route("CUDA kernel", exprs, args, "a CuPy array")
    return run_elementwise(exprs, args)


def call_quiet(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``fn(np, *args)`` with floating-point warnings silenced (once per transformation)."""
    if quiet_state.depth:
        return fn(np, *args)
    with np.errstate(all="ignore"):
        return fn(np, *args)


def typed_result(out: Any, args: Sequence[Any]) -> Any:
    """A generated function's value as the primitive returns it: a 0-d array for a NumPy
    scalar, in its arguments' precision (float64 only from float64 arguments)."""
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
    limit = live.chunked_min_size
    large = _is_large(args, limit)
    if large is None:
        return list(_on_cupy(exprs, args))
    if large:
        return [evaluate(*args, expr=e) for e in exprs]
    if live.debug:
        log_route("plain NumPy, shared subexpressions once", exprs, args,
                  f"size < chunked_min_size={limit}")
    values = [typed_result(v, args) for v in call_quiet(many_function(exprs, len(args)), args)]
    return [broadcast_result(v, args) if drops_inputs(e, len(args)) else v
            for v, e in zip(values, exprs)]


def numpy_function_for(expr: Expr, args: Sequence[Any]) -> Callable[..., Any]:
    """The evaluator of ``expr`` for NumPy ``args``: for large same-shape floating arrays,
    chunked (contiguous arrays) or fused with buffer reuse; else the plain one
    (``elementwise_eval.numpy_function``).

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> e = C.sin(var(0)) * 3.0 + var(0)
        >>> x = np.linspace(0.0, 1.0, 1 << 17)
        >>> fn = numpy_function_for(e, (x,))
        >>> fn.__name__
        '_chunked'
        >>> bool(np.array_equal(fn(np, x), np.sin(x) * 3.0 + x))
        True
    """
    plain = numpy_function(expr, len(args))
    for a in args:
        if type(a) is np.ndarray and a.ndim:
            if a.size < live.chunked_min_size:
                return plain
            return large_evaluator(expr, args, plain)[0]
    return plain


# The elementwise primitive, declared beside its evaluation (its ``impl``) so that the layer of
# lazy values, below the primitive's rules (elementwise.py), can bind it.
elementwise_p = Primitive("elementwise")
elementwise_p.impl = evaluate
