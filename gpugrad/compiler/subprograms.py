"""Programs inside primitives (control-flow bodies, custom rules, checkpointed functions):
tracing functions into them, running them, and transforming them (forward mode, reverse
mode, batching) into new programs.

A control-flow primitive (``cond``, ``while``, ``scan``) carries its bodies as *closed*
programs: the arrays a body closed over are not baked in but passed as the primitive's
leading operands, so a body may close over tracers of an outer transformation and still be
differentiated or batched through them. The rules of those primitives build new bodies by
tracing a transformed body, with these helpers, and bind the same primitive again: so
control flow differentiates to any order and under ``vmap`` and ``jit`` alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from gpugrad import tree_util
from gpugrad.backend import on_one_backend
from gpugrad.compiler.codegen import compile_program
from gpugrad.compiler.passes import optimize
from gpugrad.core import batching, forward, reverse
from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.core.program import Program, eval_program
from gpugrad.core.staging import trace_to_program
from gpugrad.core.trace import Tracer, new_main
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.structural import zeros_like

__all__ = [
    "avals_of", "close", "instantiate", "is_float", "jvp_flat", "run_batched", "run_program",
    "trace_flat", "trace_function", "vjp_flat", "vmap_flat", "xp_of",
]


def xp_of(values: Sequence[Any]) -> ModuleType:
    """The backend the values are on (tracers looked through)."""
    return on_one_backend(*values)[0]


def is_float(aval: Any) -> bool:
    return aval.dtype.kind in "fc"  # type: ignore[no-any-return]


def close(program: Program, consts: list[Any]) -> tuple[Program, list[Any]]:
    """``program`` with its constants as leading inputs, and those constants."""
    closed = Program(program.constvars + program.invars, [], program.eqns, program.outvars)
    return closed, consts


def trace_function(fun: Callable[..., Any], in_tree: Any, avals: list[ShapedArray],
                   xp: ModuleType, what: str) -> tuple[Program, list[Any], Any]:
    """``fun`` (of the pytree ``in_tree`` of arrays of ``avals``) as a closed program, its
    constants and the tree of its outputs."""
    out_trees: list[Any] = []

    def flat(*leaves: Any) -> list[Any]:
        out = fun(*tree_util.tree_unflatten(in_tree, list(leaves)))
        out_leaves, out_tree = tree_util.tree_flatten(out)
        for leaf in out_leaves:
            if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")) and not isinstance(
                    leaf, (bool, int, float, complex)):
                raise TypeError(f"{what} returned a {type(leaf).__name__} ({leaf!r:.60}); "
                                "every output leaf must be an array or a number")
        out_trees.append(out_tree)
        return out_leaves  # type: ignore[no-any-return]

    program, consts = trace_to_program(flat, avals, xp)
    closed, consts = close(program, consts)
    return closed, consts, out_trees[0]


def trace_flat(fun: Callable[..., list[Any]], values: Sequence[Any], what: str,
               avals: list[ShapedArray] | None = None) -> tuple[Program, list[Any]]:
    """``fun``, a function of flat arrays like ``values`` (of ``avals`` where given), traced
    as a closed program, and the constants it read: the new body a rule binds its
    primitive with again, those constants going first among its operands."""
    avals = avals_of(values) if avals is None else avals
    tree = tree_util.tree_structure(tuple(range(len(avals))))
    program, consts, _ = trace_function(fun, tree, avals, xp_of(values), what)
    return program, consts


def run_program(program: Program, args: Sequence[Any]) -> list[Any]:
    """Run a closed ``program``: compiled (once) on concrete arrays, through ``bind`` when an
    argument is a tracer of a transformation in flight."""
    if any(isinstance(a, Tracer) for a in args):
        return eval_program(program, [], args)
    compiled = program.cache.get("compiled")
    if compiled is None:
        compiled = program.cache["compiled"] = compile_program(*optimize(program, []))
    return compiled(list(args))  # type: ignore[no-any-return]


def instantiate(tangent: Any, like: Any) -> Any:
    """A tangent or cotangent, with a symbolic zero (None) made an array of zeros."""
    return zeros_like(like) if tangent is None else tangent


def jvp_flat(fun: Callable[..., list[Any]], primals: Sequence[Any],
             tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Forward mode of a function of flat arrays: outputs and their tangents (None for a
    zero tangent, and given as None for inputs held constant)."""
    with new_main(forward.JVPTrace) as main:
        tracers = [p if t is None else forward.JVPTracer(main.trace, p, t)
                   for p, t in zip(primals, tangents)]
        unpacked = [forward.unpack(o, main) for o in fun(*tracers)]
    return [p for p, _ in unpacked], [t for _, t in unpacked]


def vjp_flat(fun: Callable[..., list[Any]], primals: Sequence[Any], wanted: Sequence[bool],
             cts: Sequence[Any]) -> list[Any]:
    """Reverse mode of a function of flat arrays: the cotangent of each wanted input (None
    otherwise, or where it is zero), given a cotangent per output (None for zero)."""
    with new_main(reverse.VJPTrace) as main:
        tracers = [reverse.new_leaf(main, p) if w else p for p, w in zip(primals, wanted)]
        nodes = [reverse.unpack(o, main)[1] for o in fun(*tracers)]
    roots = [(n, c) for n, c in zip(nodes, cts) if n is not None and c is not None]
    leaf_cts = reverse.backward(roots, release=True) if roots else {}
    return [leaf_cts.get(t.node) if w else None for t, w in zip(tracers, wanted)]


def vmap_flat(fun: Callable[..., list[Any]], values: Sequence[Any],
              dims: Sequence[int | None], size: int) -> list[Any]:
    """Batching of a function of flat arrays: every output with its batch axis first
    (broadcast to ``size`` examples where it does not depend on the batch)."""
    with new_main(batching.BatchTrace) as main:
        tracers = [v if d is None else batching.BatchTracer(main.trace, v, d)
                   for v, d in zip(values, dims)]
        unpacked = [batching.unpack(o, main) for o in fun(*tracers)]
    return [at_front(v, d, size) for v, d in unpacked]


def run_batched(program: Program, values: Sequence[Any], dims: Sequence[int | None],
                size: int) -> list[Any]:
    """A closed ``program`` run on ``size`` examples at once: ``values`` batched along
    ``dims`` (None: shared by every example), every output with its batch axis first."""
    return vmap_flat(lambda *a: run_program(program, a), values, dims, size)


def avals_of(values: Sequence[Any]) -> list[ShapedArray]:
    return [abstractify(v) for v in values]
