"""Staging: tracing a function with abstract values into a :class:`Program`.

A :class:`StagingTracer` knows its shape, dtype and weak type (a ``ShapedArray``) and the
program variable it stands for, and nothing of its value. Applying a primitive to one
records an equation instead of computing: the primitive's ``abstract_eval`` rule gives the
result's abstract value. Arrays the function reads that are not its arguments (a NumPy
array it closed over, a tracer of an outer transformation) become the program's constants;
scalars are written into the equations as literals.

Reading a staged value (``if x > 0:``, ``float(x)``, ``int(x)`` as a shape) raises a
:class:`~gpugrad.core.concrete.ConcretizationError` that names the value and the ways out:
static arguments, ``gpugrad.lax``'s control flow, ``gpugrad.numpy.where``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from types import ModuleType
from typing import Any

import numpy as np

from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.core.concrete import ConcretizationError
from gpugrad.core.program import Atom, Equation, Literal, Program, Var
from gpugrad.core.trace import Primitive, Trace, Tracer, escaped_tracer_error, new_main

__all__ = ["StagingTrace", "StagingTracer", "trace_to_program"]

_SCALARS = (bool, int, float, complex)

_NO_VALUE = (
    "the value of a traced array was needed ({dtype} of shape {shape}), but under jit the "
    "function is traced with abstract values: only shapes and dtypes are known until the "
    "compiled program runs. Python control flow on values (`if x > 0:`, while loops on a "
    "value, float(x), int(x) as a shape) cannot depend on an argument's value here. Mark the "
    "argument static (jit(f, static_argnums=...) or static_argnames=...), use "
    "gpugrad.numpy.where(x > 0, a, b) for a choice, or gpugrad.lax.cond / "
    "gpugrad.lax.while_loop / gpugrad.lax.fori_loop for control flow on values")


class StagingTracer(Tracer):
    """A value of a program being recorded: an abstract value and its variable."""

    __slots__ = ("aval", "example", "variable")

    def __init__(self, trace: StagingTrace, aval: ShapedArray, var: Var) -> None:
        self.trace = trace
        self.aval = aval
        self.variable = var
        # A stand-in of the right shape, dtype and backend that owns no memory (zero
        # strides): what the size heuristics and the backend lookup look at, never a value.
        self.example = trace.builder.example(aval)

    @property  # type: ignore[override]
    def primal(self) -> Any:
        raise ConcretizationError(_NO_VALUE.format(dtype=self.aval.dtype.name,
                                                   shape=self.aval.shape))

    def traced_inputs(self) -> tuple[Any, ...]:
        return (self.example,)

    def without_derivatives(self) -> Any:
        return self  # staging carries no derivative

    # What an array tells of itself comes from the abstract value (there is no primal).
    shape = property(attrgetter("aval.shape"))
    dtype = property(attrgetter("aval.dtype"))
    ndim = property(attrgetter("aval.ndim"))
    size = property(attrgetter("aval.size"))
    weak_type = property(attrgetter("aval.weak_type"))  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Traced<{self.aval!r}>with<StagingTrace>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


class _Builder:
    """The equations and constants of the program being recorded."""

    __slots__ = ("const_ids", "consts", "constvars", "eqns", "xp")

    def __init__(self, xp: ModuleType) -> None:
        self.xp = xp
        self.eqns: list[Equation] = []
        self.consts: list[Any] = []
        self.constvars: list[Var] = []
        self.const_ids: dict[int, Var] = {}

    def example(self, aval: ShapedArray) -> Any:
        xp = self.xp
        return xp.broadcast_to(xp.empty((), aval.dtype), aval.shape)

    def const(self, value: Any) -> Var:
        var = self.const_ids.get(id(value))
        if var is None:
            var = self.const_ids[id(value)] = Var(abstractify(value).strip_weak_type())
            self.consts.append(value)  # also keeps id(value) from being reused
            self.constvars.append(var)
        return var


class StagingTrace(Trace):
    __slots__ = ("builder",)
    abstract = True
    builder: _Builder

    def atom(self, a: Any) -> Atom:
        """The variable or literal standing for the argument ``a``."""
        if type(a) is StagingTracer and a.trace is self:
            return a.variable
        if isinstance(a, Tracer):
            if a.trace.main.level >= self.main.level:
                raise escaped_tracer_error()
            return self.builder.const(a)  # a value of an outer transformation
        if isinstance(a, (*_SCALARS, np.generic)):
            return Literal(a)
        return self.builder.const(a)

    def process_primitive(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                          ) -> Any:
        inputs = [self.atom(a) for a in args]
        out_aval = prim.abstract_eval(*[a.aval for a in inputs], **params)
        if prim.multiple_results:
            outs = [Var(aval) for aval in out_aval]
            self.builder.eqns.append(Equation(prim, inputs, params, outs))
            return [StagingTracer(self, v.aval, v) for v in outs]
        var = Var(out_aval)
        self.builder.eqns.append(Equation(prim, inputs, params, [var]))
        return StagingTracer(self, out_aval, var)


def trace_to_program(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray],
                     xp: ModuleType) -> tuple[Program, list[Any]]:
    """Trace ``fun`` (a function of flat arrays returning a flat sequence of arrays) with
    arguments of ``in_avals`` on the backend ``xp``: its program and the program's constants.
    """
    with new_main(StagingTrace) as main:
        trace: StagingTrace = main.trace  # type: ignore[assignment]
        builder = trace.builder = _Builder(xp)
        invars = [Var(aval) for aval in in_avals]
        outs = fun(*[StagingTracer(trace, v.aval, v) for v in invars])
        outvars = [_output_atom(trace, out) for out in outs]
    return Program(invars, builder.constvars, builder.eqns, outvars), builder.consts


def _output_atom(trace: StagingTrace, out: Any) -> Atom:
    if isinstance(out, (*_SCALARS, np.generic)):  # a number returned: an array of its dtype
        return trace.builder.const(trace.builder.xp.asarray(out, abstractify(out).dtype))
    return trace.atom(out)
