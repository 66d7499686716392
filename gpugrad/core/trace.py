"""Tracers, the trace stack and ``bind``: how a primitive finds the transformation to run.

Every transformation in flight owns a :class:`MainTrace` with a *level* (its depth in this
thread's stack). Each tracer points to its trace, so when a primitive is applied, ``bind``
hands it to the trace of the highest level among its arguments, which lifts the others
(values of lower levels are constants to it). Because the tag travels with the tracer and not
with the call site, nested transformations never confuse their perturbations: in
``x * grad(lambda y: x + y)(1.0)`` the inner trace sees ``x`` as a constant.

Tracing is concrete: each tracer carries its value, so the user's Python control flow on
values works. The stack is per thread and is unwound by ``new_main`` even on exceptions.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from gpugrad.backend import register_tracer_class
from gpugrad.core.array_methods import ArrayMethods
from gpugrad.core.traced import raw_value

__all__ = ["MainTrace", "Primitive", "Trace", "Tracer", "bind", "has_rule", "new_main", "raw_value",
           "strip_derivatives", "underlying"]


class MainTrace:
    """One transformation in flight: its level in the stack and its trace object."""

    __slots__ = ("active", "level", "trace")

    def __init__(self, level: int, trace_type: type[Trace]) -> None:
        self.level = level
        self.active = True
        self.trace = trace_type(self)


class Trace:
    """Interprets primitives applied to this level's tracers (one subclass per transform)."""

    __slots__ = ("main",)
    # True for a trace whose tracers hold no values, only shapes and dtypes (staging, as jit
    # will): gpugrad.core.concrete.concrete_value refuses to read a value from them.
    abstract: ClassVar[bool] = False

    def __init__(self, main: MainTrace) -> None:
        self.main = main

    def process_primitive(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                          ) -> Any:
        raise NotImplementedError


class Tracer(ArrayMethods):
    """A value being traced by one transformation. Behaves like an array (see ArrayMethods).

    Subclasses store their lower-level value in ``primal`` (forward and reverse mode both).
    """

    __slots__ = ("trace", "primal")
    # NumPy's operators and functions given a tracer call its __array_ufunc__ or
    # __array_function__ (ArrayMethods), which run the gpugrad.numpy function of that name.
    __array_priority__ = 1000

    trace: Trace
    primal: Any
    # Whether the dtype is weak (a Python number traced by jit takes the dtype of the arrays
    # it meets, as the number would): only staging tracers can be.
    weak_type: ClassVar[bool] = False

    def traced_inputs(self) -> tuple[Any, ...]:
        """The values this tracer is made of, one level down (its primal; a lazy value's
        inputs instead, so that looking does not compute it)."""
        return (self.primal,)

    def without_derivatives(self) -> Any:
        """The value with no derivative information (a transformation that only batches
        keeps its tracer: see ``strip_derivatives``)."""
        return strip_derivatives(self.primal)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.primal.shape  # type: ignore[no-any-return]

    @property
    def dtype(self) -> Any:
        return self.primal.dtype

    @property
    def ndim(self) -> int:
        return len(self.primal.shape)

    @property
    def size(self) -> int:
        return math.prod(self.primal.shape)


register_tracer_class(Tracer)  # the backend looks into tracers without importing the core


def underlying(x: Any) -> Any:
    """An array under ``x``, for its type and size alone (a heuristic's input), reading no
    value: a lazy value's first input, or a batched value's whole batch."""
    while isinstance(x, Tracer):
        x = x.traced_inputs()[0]
    return x


def strip_derivatives(x: Any) -> Any:
    """``x`` with every derivative dropped: the value under the differentiating tracers,
    still batched where a ``vmap`` batches it (``Tracer.without_derivatives``)."""
    return x.without_derivatives() if isinstance(x, Tracer) else x


class _State(threading.local):
    def __init__(self) -> None:
        self.stack: list[MainTrace] = []


_state = _State()
node_sequence = itertools.count()  # creation order of reverse-mode nodes, shared by all threads


class new_main:
    """Push a transformation onto this thread's stack for the duration of a ``with`` block.

    A class rather than a generator-based context manager: it is entered on every
    transformation call, so its cost is per-call overhead.
    """

    __slots__ = ("main",)

    def __init__(self, trace_type: type[Trace]) -> None:
        stack = _state.stack
        self.main = MainTrace(len(stack) + 1, trace_type)

    def __enter__(self) -> MainTrace:
        _state.stack.append(self.main)
        return self.main

    def __exit__(self, *exc: object) -> None:
        main = self.main
        main.active = False
        # Break the main <-> trace cycle, so both are freed by reference counting as soon
        # as the last tracer goes, not by a garbage-collector pass (tracers keep the trace).
        main.trace = None  # type: ignore[assignment]
        stack = _state.stack
        # Pop exactly what we pushed, even if the user's code raised half-way through.
        del stack[stack.index(main):]


def current_depth() -> int:
    return len(_state.stack)


class Primitive:
    """A primitive operation: its evaluation and its derivative rules, as plain functions.

    * ``impl(*args, **params)`` evaluates on concrete NumPy/CuPy arrays.
    * ``jvp(primals, tangents, **params) -> (out, tangent_out)``; a tangent of ``None`` is
      zero.
    * ``vjp(ct, primals, out, wanted, **params) -> cotangents`` (one per argument, ``None``
      where not wanted or zero), written in gpugrad's own differentiable operations. The
      primitives of the lazy-value layer (``gpugrad.core.reverse.register_lazy_values``)
      may receive, and return, values not computed yet; every other rule gets arrays.
    * ``abstract_eval(*avals, **params) -> ShapedArray``: the shape, dtype and weak type of
      the result for arguments known only by theirs (``gpugrad.core.abstract``), which is
      what staging (``jit``, ``make_jaxpr``) records a program with. Every argument arrives
      as a ShapedArray, whatever it was (array, tracer, NumPy or Python scalar).
    * ``batch(values, dims, **params) -> (out, out_dim)``: the batching rule of ``vmap``.
      (With ``multiple_results``, see ``__init__``, results and their axes are lists.)
      ``dims[i]`` is the axis of ``values[i]`` that holds the batch, or None for an argument
      that is the same for every example; ``out_dim`` likewise for the result. Written in
      gpugrad's own operations, so batched code is differentiable and runs on CuPy too.
    """

    __slots__ = ("abstract_eval", "batch", "impl", "jvp", "multiple_results", "name", "vjp",
                 "vjp_forward")

    def __init__(self, name: str, multiple_results: bool = False) -> None:
        self.name = name
        # Control flow (cond, while, scan) returns several arrays of their own shapes and
        # dtypes: then impl and abstract_eval return lists, the jvp rule a list of tangents
        # (None for zero), the vjp rule gets a list of cotangents (None for zero) and the
        # batching rule returns a list of batch axes. Every other primitive has one result.
        self.multiple_results = multiple_results
        registry.append(self)
        self.impl: Callable[..., Any] = _missing(name, "impl")
        self.jvp: Callable[..., Any] = _missing(name, "jvp")
        self.vjp: Callable[..., Any] = _missing(name, "vjp")
        self.batch: Callable[..., Any] = _missing(name, "batching")
        self.abstract_eval: Callable[..., Any] = _missing(name, "abstract evaluation")
        # Optional, for reverse mode: ``vjp_forward(primals, wanted, **params) -> (out,
        # residuals)`` computes the result together with what the vjp rule needs (which then
        # gets ``residuals=`` among its parameters) instead of evaluating the primitive: how
        # a user's custom_vjp forward function runs, as in JAX, under any outer
        # transformation. ``wanted`` says which primals are differentiated (a custom_vjp
        # forward rule with symbolic zeros is told).
        self.vjp_forward: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"{self.name}_p"

    def define_rules(self, *, impl: Callable[..., Any] | None = None,
                     abstract_eval: Callable[..., Any] | None = None,
                     jvp: Callable[..., Any] | None = None, vjp: Callable[..., Any] | None = None,
                     vjp_forward: Callable[..., Any] | None = None,
                     batch: Callable[..., Any] | None = None) -> None:
        """Sets the rules given (see the class docstring); the others stay as they are."""
        given = {"impl": impl, "abstract_eval": abstract_eval, "jvp": jvp, "vjp": vjp,
                 "vjp_forward": vjp_forward, "batch": batch}
        for what, rule in given.items():
            if rule is not None:
                setattr(self, what, rule)

    def bind(self, *args: Any, **params: Any) -> Any:
        return bind(self, *args, **params)


# Every primitive ever made, in creation order: a test holds each to having all its rules.
registry: list[Primitive] = []


def _missing(name: str, what: str) -> Callable[..., Any]:
    def rule(*args: Any, **kwargs: Any) -> Any:
        if what == "batching":
            raise NotImplementedError(
                f"vmap: the primitive {name!r} has no batching rule, so it cannot be applied "
                "to a batched array; this is a bug in gpugrad, please report it")
        raise NotImplementedError(f"primitive {name!r} has no {what} rule")

    rule.missing = True  # type: ignore[attr-defined]  # what a registry check looks for
    return rule


def has_rule(prim: Primitive, what: str) -> bool:
    """Whether ``prim`` defines its ``what`` rule (``"jvp"``, ``"vjp"``, ``"batch"``...)."""
    return not getattr(getattr(prim, what), "missing", False)


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply ``prim``: evaluate it, or hand it to the highest-level trace among ``args``."""
    top: Trace | None = None
    level = 0
    for a in args:
        if isinstance(a, Tracer):
            main = a.trace.main
            if main.level > level:
                top, level = a.trace, main.level
    if top is None:
        return prim.impl(*args, **params)
    if not top.main.active:
        raise escaped_tracer_error()
    return top.process_primitive(prim, args, params)


def check_lower(a: Any, main: MainTrace) -> None:
    """Refuse ``a`` if it is a tracer of ``main``'s level or above that ``main``'s trace does
    not own: a value that escaped the transformation which made it."""
    if isinstance(a, Tracer) and a.trace.main.level >= main.level:
        raise escaped_tracer_error()


def escaped_tracer_error() -> RuntimeError:
    return RuntimeError(
        "a value traced by a transformation (grad, jvp, vjp, ...) was used after that "
        "transformation returned; return it from the function instead of storing it "
        "outside, or wrap it in gpugrad.stop_gradient"
    )
