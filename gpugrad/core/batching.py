"""Batching, the machinery of ``vmap``: a tracer carries a value with one extra axis, the
batch, and each primitive's ``batch`` rule says how to apply it to such values at once.

A :class:`BatchTracer` stands for one example of the batch: its ``shape`` is an example's
shape, while its ``value`` holds every example along the axis ``batch_dim``. The rules keep
that axis wherever is cheapest (often where it already is) and report where it ended up, so
no transpose is made that the next operation does not need. An argument that is the same for
every example is not a tracer of this trace at all (its dimension is ``None``): nothing is
broadcast until a rule combines it with a batched one.

Because the rules are written in gpugrad's own operations, batching composes with the other
transformations in both orders: ``vmap(grad(f))`` batches the backward pass, ``grad(vmap(f))``
differentiates the batched program.
"""

from __future__ import annotations

import math
from typing import Any

from gpugrad.core.concrete import ConcretizationError
from gpugrad.core.trace import (
    MainTrace,
    Primitive,
    Trace,
    Tracer,
    check_lower,
    escaped_tracer_error,
    strip_derivatives,
)

__all__ = ["BatchTrace", "BatchTracer", "unpack"]

# Reading one concrete value is meaningless under vmap: there is one per example.
_NO_VALUE = (
    "the value of an array batched by vmap was needed (an example's shape {shape}, dtype "
    "{dtype}), but under vmap each example has its own value and the function runs once for "
    "all of them. Python control flow on values (`if x > 0:`, int(x), float(x), x.item()) "
    "cannot depend on a batched value: use gpugrad.numpy.where(x > 0, a, b) for a choice, and "
    "pass values that decide shapes or indices as unbatched arguments (in_axes=None)")


class BatchTracer(Tracer):
    """One example of a batch: ``value`` holds all of them along axis ``batch_dim``."""

    __slots__ = ("batch_dim", "value")

    def __init__(self, trace: Trace, value: Any, batch_dim: int) -> None:
        self.trace = trace
        self.value = value
        self.batch_dim = batch_dim

    @property  # type: ignore[override]
    def primal(self) -> Any:
        raise ConcretizationError(_NO_VALUE.format(shape=tuple(self.shape), dtype=self.dtype))

    def __repr__(self) -> str:
        return (f"BatchTracer(an example of shape {tuple(self.shape)} and dtype {self.dtype}, "
                f"batched along axis {self.batch_dim} of:\n{self.value!r})")

    def traced_inputs(self) -> tuple[Any, ...]:
        return (self.value,)

    def without_derivatives(self) -> Any:
        return BatchTracer(self.trace, strip_derivatives(self.value), self.batch_dim)

    @property
    def shape(self) -> tuple[int, ...]:
        shape = self.value.shape
        d = self.batch_dim
        if d == 0 and type(shape) is tuple:  # the commonest layout, in one slice
            return shape[1:]
        shape = tuple(shape)
        return shape[:d] + shape[d + 1:]

    @property
    def dtype(self) -> Any:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return len(self.value.shape) - 1

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class BatchTrace(Trace):
    """Applies each primitive's batching rule to the batches under this trace's tracers."""

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                          ) -> Any:
        main = self.main
        values = []
        dims: list[int | None] = []
        for a in args:
            if type(a) is BatchTracer and a.trace is self:  # (no subclasses)
                values.append(a.value)
                dims.append(a.batch_dim)
            else:
                if isinstance(a, Tracer) and a.trace.main.level >= main.level:
                    raise escaped_tracer_error()
                values.append(a)
                dims.append(None)
        out, out_dim = prim.batch(values, dims, **params)
        if prim.multiple_results:
            return [o if d is None else BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return out if out_dim is None else BatchTracer(self, out, out_dim)


def unpack(x: Any, main: MainTrace) -> tuple[Any, int | None]:
    """(value, batch axis or None) of an output of the function being batched."""
    if isinstance(x, BatchTracer) and x.trace.main is main:
        return x.value, x.batch_dim
    check_lower(x, main)
    return x, None

