"""Forward mode: a tracer carries a primal and its tangent; each primitive's ``jvp`` rule
pushes tangents through. A tangent of ``None`` is a symbolic zero (no array is made until a
rule needs one), so constants cost nothing.
"""

from __future__ import annotations

from typing import Any

from gpugrad.core.trace import (
    MainTrace,
    Primitive,
    Trace,
    Tracer,
    bind,
    check_lower,
)

__all__ = ["JVPTrace", "JVPTracer"]


class JVPTracer(Tracer):
    """A value traced by forward mode: its ``primal`` and the ``tangent`` pushed along with
    it. A value whose tangent is the symbolic zero (None) gets no tracer."""

    __slots__ = ("tangent",)

    def __init__(self, trace: Trace, primal: Any, tangent: Any) -> None:
        self.trace, self.primal, self.tangent = trace, primal, tangent


class JVPTrace(Trace):
    """Pushes the tangents through each primitive by its ``jvp`` rule; with no tangent in,
    the primitive is applied to the primals alone, one level down."""

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                          ) -> Any:
        main = self.main
        primals = []
        tangents = []
        any_tangent = False
        for a in args:
            if isinstance(a, JVPTracer) and a.trace.main is main:
                primals.append(a.primal)
                tangents.append(a.tangent)
                any_tangent = any_tangent or a.tangent is not None
            else:
                check_lower(a, main)
                primals.append(a)
                tangents.append(None)
        if not any_tangent:
            return bind(prim, *primals, **params)
        out, tangent_out = prim.jvp(primals, tangents, **params)
        if prim.multiple_results:
            return [o if t is None else JVPTracer(self, o, t) for o, t in zip(out, tangent_out)]
        return out if tangent_out is None else JVPTracer(self, out, tangent_out)


def unpack(x: Any, main: MainTrace) -> tuple[Any, Any]:
    """(primal, tangent or None) of an output of the function being transformed."""
    if isinstance(x, JVPTracer) and x.trace.main is main:
        return x.primal, x.tangent
    check_lower(x, main)
    return x, None
