"""Reverse mode: record each primitive applied to this level's tracers as a node of a graph,
then walk the graph backwards applying each primitive's ``vjp`` rule.

Nodes are numbered in creation order, and a node is always created after its parents, so
processing the reachable nodes from the highest number down is a valid reverse topological
order (a heap gives it without a separate sort). Because ``vjp`` rules are written in
gpugrad's own operations, a backward pass run under another transformation is itself traced:
that is how ``grad(grad(f))`` and ``jacfwd(jacrev(f))`` work.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.trace import (
    MainTrace,
    Primitive,
    Trace,
    Tracer,
    escaped_tracer_error,
    node_sequence,
)

__all__ = ["LazyVJPTracer", "Node", "VJPTrace", "VJPTracer", "backward", "record_known"]

def _add(a: Any, b: Any) -> Any:
    return a + b


def _same(ct: Any) -> Any:
    return ct


def _no_lazy_values(*args: Any) -> Any:
    raise RuntimeError("a lazy elementwise value exists but no layer registered how to "
                       "evaluate it (see register_lazy_values)")


class LazyValues:
    """What the layer of lazy values (``gpugrad.primitives.lazy``) tells the core, which
    sits below it and does not import it: which primitives make lazy values, how such a
    primitive's application is recorded (lazily, or evaluated now where laziness cannot pay),
    or keeps a lazy value that recomputes its result instead of its arrays, how cotangents
    are summed and made concrete, and how a :class:`LazyVJPTracer` computes its value.
    Without that layer the defaults are exact: there are no lazy values.
    """

    __slots__ = ("accumulate", "evaluate", "keep", "materialize", "primitives", "record")

    def __init__(self) -> None:
        self.primitives: frozenset[Primitive] = frozenset()
        self.record: Callable[..., Any] = _no_lazy_values
        self.keep: Callable[[Node], None] = _no_lazy_values
        self.accumulate: Callable[[Any, Any], Any] = _add
        self.materialize: Callable[[Any], Any] = _same
        self.evaluate: Callable[[Node], Any] = _no_lazy_values


lazy = LazyValues()


def register_lazy_values(primitives: frozenset[Primitive], record: Callable[..., Any],
                         keep: Callable[[Node], None], accumulate: Callable[[Any, Any], Any],
                         materialize: Callable[[Any], Any],
                         evaluate: Callable[[Node], Any]) -> None:
    """Install the lazy-value layer (see :class:`LazyValues`): ``record(trace, prim,
    primals, parents, params)`` returns the result's tracer (a :class:`LazyVJPTracer`, or
    one of a value computed now), or None to leave the application to the core, which
    evaluates it and then offers the node to ``keep(node)``, which may give it a lazy value
    recomputing its result."""
    lazy.primitives, lazy.record, lazy.keep = primitives, record, keep
    lazy.accumulate, lazy.materialize, lazy.evaluate = accumulate, materialize, evaluate


class Node:
    """One primitive application: what its ``vjp`` rule needs, and where cotangents go."""

    __slots__ = ("out", "params", "parents", "prim", "primals", "lazy", "seq")

    def __init__(self, prim: Primitive | None, primals: list[Any], params: dict[str, Any],
                 out: Any, parents: list[Node | None]) -> None:
        self.prim = prim  # None for an input of the function (a leaf)
        self.primals = primals
        self.params = params
        self.out = out
        self.parents = parents
        self.seq = next(node_sequence)
        # A node kept lazy (lazy_forward.keep_lazy): the LazyValue recomputing ``out``;
        # then ``primals`` and ``out`` may hold lazy values instead of arrays.
        self.lazy: Any = None


class VJPTracer(Tracer):
    """A value traced by reverse mode: its ``primal`` and the ``node`` that recorded it."""

    __slots__ = ("node",)

    def __init__(self, trace: Trace, primal: Any, node: Node) -> None:
        self.trace, self.primal, self.node = trace, primal, node


class LazyVJPTracer(VJPTracer):
    """A tracer of an elementwise result not computed yet: its node's lazy value says how.

    Reading ``primal`` (a non-elementwise operation, an output, ``float(x)``...) evaluates
    the lazy value once and keeps the array; an elementwise operation on it composes the
    lazy value into its own instead, so a chain of them runs as one fused evaluation when
    its value is first needed (see ``gpugrad.primitives.lazy_forward.record_lazy``).
    """

    __slots__ = ("_value",)

    def __init__(self, trace: Trace, node: Node) -> None:
        self.trace = trace
        self.node = node
        self._value: Any = None

    @property  # type: ignore[override]
    def primal(self) -> Any:
        value = self._value
        if value is None:
            value = self._value = lazy.evaluate(self.node)
        return value

    def traced_inputs(self) -> tuple[Any, ...]:
        if self._value is None:
            return tuple(self.node.lazy.args)  # not computed yet: the lazy value's inputs
        return (self._value,)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.node.lazy.shape  # type: ignore[no-any-return]

    @property
    def dtype(self) -> Any:
        return self.node.lazy.dtype

    @property
    def ndim(self) -> int:
        return len(self.node.lazy.shape)

    @property
    def size(self) -> int:
        return math.prod(self.node.lazy.shape)


class VJPTrace(Trace):
    """Records each primitive applied to its tracers as a node of the graph that
    :func:`backward` walks."""

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                          ) -> Any:
        primals: list[Any] = []
        parents: list[Node | None] = []
        traced = composed = False
        main = self.main
        # The trace of the highest level among the values (bind's choice, made in this
        # loop rather than by a second bind over them), or None if they are all concrete.
        below: Trace | None = None
        below_level = 0
        makes_lazy = prim in lazy.primitives
        for a in args:
            t = type(a)  # (type tests first: this loop runs once per operation)
            if (t is VJPTracer or t is LazyVJPTracer) and a.trace.main is main:
                if t is LazyVJPTracer and makes_lazy and a._value is None:
                    primals.append(a.node.lazy)  # composed, not evaluated (see below)
                    composed = True
                else:
                    p = a.primal
                    primals.append(p)
                    if (type(p) is not np.ndarray and isinstance(p, Tracer)
                            and p.trace.main.level > below_level):
                        below, below_level = p.trace, p.trace.main.level
                parents.append(a.node)
                traced = True
            else:
                if t is not np.ndarray and isinstance(a, Tracer):
                    level = a.trace.main.level
                    if level >= main.level:
                        raise escaped_tracer_error()
                    if level > below_level:
                        below, below_level = a.trace, level
                primals.append(a)
                parents.append(None)
        lower = below is not None
        if traced and not lower and makes_lazy and live.fuse_backward:
            result = lazy.record(self, prim, primals, parents, params)
            if result is not None:
                return result
        if composed:  # evaluated after all: the lazy arguments' values (concrete ones)
            primals = [a.primal if type(a) is LazyVJPTracer else p for a, p in zip(args, primals)]
        if traced and prim.vjp_forward is not None:  # a forward with residuals of its own
            out, residuals = prim.vjp_forward(primals, [p is not None for p in parents],
                                              **params)
            params = {**params, "residuals": residuals}
        elif below is None:  # no lower-level tracer among the values: evaluate directly
            out = prim.impl(*primals, **params)
        elif below.main.active:
            out = below.process_primitive(prim, tuple(primals), params)
        else:
            raise escaped_tracer_error()
        if not traced:
            return out
        node = Node(prim, primals, params, out, parents)
        if prim.multiple_results:  # a tracer per result, each a projection of the node
            count = len(out)
            return [VJPTracer(self, o, Node(_PROJECTION, [], {"index": j, "count": count}, o,
                                            [node])) for j, o in enumerate(out)]
        if makes_lazy and not lower and live.fuse_backward:
            lazy.keep(node)
        return VJPTracer(self, out, node)


def record_known(main: MainTrace, prim: Primitive, args: list[Any], params: dict[str, Any],
                 out: Any) -> Any:
    """``prim`` applied to ``args``, recorded for the backward pass of ``main`` with its
    result ``out`` already known (a value a checkpoint saved), so it is not computed again."""
    primals, parents = [], []
    for a in args:
        mine = isinstance(a, VJPTracer) and a.trace.main is main
        primals.append(a.primal if mine else a)
        parents.append(a.node if mine else None)
    if all(p is None for p in parents):
        return out
    return VJPTracer(main.trace, out, Node(prim, primals, params, out, parents))


def new_leaf(main: MainTrace, value: Any) -> VJPTracer:
    """A tracer for an input of the function being differentiated."""
    return VJPTracer(main.trace, value, Node(None, [], {}, None, []))


def unpack(x: Any, main: MainTrace) -> tuple[Any, Node | None]:
    """(value, node or None) of an output of the function being differentiated."""
    if isinstance(x, VJPTracer) and x.trace.main is main:
        return x.primal, x.node
    if isinstance(x, Tracer) and x.trace.main.level >= main.level:
        raise escaped_tracer_error()
    return x, None


def backward(roots: list[tuple[Node, Any]], release: bool) -> dict[Node, Any]:
    """Propagate the cotangents seeded at ``roots``; return the cotangents of the leaves.

    With ``release``, each node's saved values are dropped as soon as its rule has run, so
    peak memory falls as the backward pass proceeds (the graph can then not be reused).
    With ``config.fuse_backward`` (default on), elementwise rules hand each other lazy
    cotangents, so chains of elementwise nodes run as one fused evaluation.
    """
    accumulate, materialize, lazy_primitives = lazy.accumulate, lazy.materialize, lazy.primitives
    cts: dict[Node, Any] = {}
    heap: list[tuple[int, Node]] = []
    for node, ct in roots:
        if node in cts:
            cts[node] = accumulate(cts[node], ct)
        else:
            cts[node] = ct
            heapq.heappush(heap, (-node.seq, node))
    leaves: dict[Node, Any] = {}
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        node = pop(heap)[1]
        ct = cts.pop(node)
        prim = node.prim
        if prim is None:
            leaves[node] = materialize(ct)
            continue
        parents = node.parents
        if prim not in lazy_primitives:  # only these rules are handed a lazy cotangent
            ct = [None if c is None else materialize(c) for c in ct] if type(ct) is list else (
                materialize(ct))
        in_cts = prim.vjp(ct, node.primals, node.out, [p is not None for p in parents],
                          **node.params)
        if release:
            node.primals = node.out = None  # type: ignore[assignment]
        ct = None
        for parent, c in zip(parents, in_cts):
            if parent is None or c is None:
                continue
            previous = cts.get(parent)
            if previous is None:
                cts[parent] = c
                push(heap, (-parent.seq, parent))
            elif type(previous) is list:  # the cotangents of a node with several results
                cts[parent] = [b if a is None else a if b is None else accumulate(a, b)
                               for a, b in zip(previous, c)]
            else:
                cts[parent] = accumulate(previous, c)
    return leaves


class _Projection:
    """The reverse-mode node of one result of a primitive with several: its cotangent goes
    to that result's place in the list of the primitive's cotangents (None elsewhere)."""

    name = "projection"

    @staticmethod
    def vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], index: int, count: int
            ) -> list[Any]:
        cts: list[Any] = [None] * count
        cts[index] = ct
        return [cts]


_PROJECTION: Any = _Projection()
