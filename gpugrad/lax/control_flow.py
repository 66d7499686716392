"""``cond`` and ``switch``: a choice between functions that ``jit`` can stage.

Every branch is traced into a program over the same operands (each branch sees the arrays
every branch closed over, and ignores the others'), and their outputs must agree in
structure, shapes and dtypes, with JAX's errors when they do not. When the index is known
(eagerly, or under ``grad`` of concrete values) the chosen branch's program runs at once, so
only its primitives are recorded; when it is not (under ``jit``, or batched by ``vmap``) the
choice is the primitive ``cond``, whose rules build new branches from the old: forward mode
by their JVPs, reverse mode by their VJPs (each branch recomputes its forward values), and
batching either by batching every branch (an unbatched index) or by computing every branch
and selecting per example (a batched index).

Example:
    >>> f = gpugrad.jit(lambda x: lax.cond(x.sum() > 0, lambda v: v * 2.0, lambda v: -v, x))
    >>> f(np.array([1.0, 2.0])), f(np.array([-3.0]))
    (array([2., 4.]), array([3.]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.compiler import subprograms
from gpugrad.compiler.subprograms import avals_of, instantiate, is_float, run_program, xp_of
from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.core.concrete import ConcretizationError
from gpugrad.core.program import Program, Var
from gpugrad.core.trace import Primitive, bind, raw_value
from gpugrad.numpy import asarray, clip, equal, reshape, where
from gpugrad.primitives.structural import batch_size

__all__ = ["cond", "cond_p", "switch"]

cond_p = Primitive("cond", multiple_results=True)


def known_value(x: Any) -> Any:
    """The concrete value under ``x``, or None where it is only known abstractly or per
    example (staged by jit, batched by vmap)."""
    try:
        return raw_value(x)
    except ConcretizationError:
        return None


def _describe(fun: Any) -> str:
    code = getattr(fun, "__code__", None)
    name = getattr(fun, "__name__", type(fun).__name__)
    return f"{name} at {code.co_filename}:{code.co_firstlineno}" if code else name


def check_same_outputs(kind: str, names: Sequence[str], funs: Sequence[Any], trees: list[Any],
                       avals: list[list[ShapedArray]]) -> None:
    """JAX's errors for branches whose outputs differ in structure, shape or dtype."""
    first = names[0]
    for name, fun, tree, out in zip(names[1:], funs[1:], trees[1:], avals[1:]):
        where_ = f"{first} is {_describe(funs[0])}\n{name} is {_describe(fun)}"
        if tree != trees[0]:
            raise TypeError(
                f"{kind} branch outputs must have the same pytree structure, but they differ:\n\n"
                f"{where_}\n\n{first} output is {trees[0]} but {name} output is {tree}.\n\n"
                f"Revise {first} and/or {name} so that they have the same pytree structure.")
        for a, b in zip(avals[0], out):
            if a.shape != b.shape or a.dtype != b.dtype:
                what = "shapes" if a.shape != b.shape else "dtypes"
                raise TypeError(
                    f"{kind} branches must have equal output types but they differ.\n\n"
                    f"{where_}\n\nThe output of {first} has type {a.type_text()} but the "
                    f"corresponding output of {name} has type {b.type_text()}, so the {what} do "
                    f"not match.\n\nRevise {first} and/or {name} so that all output types match.")


def merge_branches(traced: Sequence[tuple[Program, list[Any]]]
                   ) -> tuple[tuple[Program, ...], list[Any]]:
    """Closed programs with constants of their own as programs over the same inputs: every
    branch's constants, then the shared inputs (each branch ignores the others' constants)."""
    all_consts = [c for _, consts in traced for c in consts]
    programs = []
    before = 0
    for program, consts in traced:
        n = len(consts)
        pads_before = [Var(abstractify(c)) for c in all_consts[:before]]
        pads_after = [Var(abstractify(c)) for c in all_consts[before + n:]]
        invars = pads_before + program.invars[:n] + pads_after + program.invars[n:]
        programs.append(Program(invars, [], program.eqns, program.outvars))
        before += n
    return tuple(programs), all_consts


def _branch_programs(branches: Sequence[Callable[..., Any]], operands: tuple[Any, ...],
                     kind: str, names: Sequence[str]) -> tuple[tuple[Program, ...], list[Any],
                                                                list[Any], Any]:
    """Every branch as a program over (every branch's constants, the operand leaves)."""
    leaves, in_tree = tree_util.tree_flatten(operands)
    # Python numbers become arrays of their default dtype (float32 for 3.0, as in JAX), as
    # the loops' carries do: run raw, the program's arithmetic would widen them to float64.
    leaves = [asarray(x) for x in leaves]
    xp = xp_of(leaves)
    avals = avals_of(leaves)
    traced = [subprograms.trace_function(b, in_tree, avals, xp, f"{kind} {name}")
              for b, name in zip(branches, names)]
    order = list(range(len(branches)))[::-1] if kind == "cond" else range(len(branches))
    check_same_outputs(kind, [names[k] for k in order], [branches[k] for k in order],
                       [traced[k][2] for k in order],  # cond's messages name true_fun first
                       [[v.aval for v in traced[k][0].outvars] for k in order])
    programs, consts = merge_branches([(t[0], t[1]) for t in traced])
    return programs, consts, leaves, traced[0][2]


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to the valid range; every
    branch must return the same structure of shapes and dtypes.

    Example:
        >>> lax.switch(1, [np.sin, np.cos, np.tan], np.array(0.0))
        array(1.)
    """
    branches = list(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    for b in branches:
        if not callable(b):
            raise TypeError(f"switch: every branch must be callable, got {b!r:.60}")
    names = [f"branch {k}" for k in range(len(branches))]
    return _choose(index, branches, operands, "switch", names)


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any],
         *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one staged
    choice under ``jit`` (both functions must return the same structure, shapes, dtypes).

    Example:
        >>> lax.cond(np.array(2.0) > 1, lambda x: x + 1.0, lambda x: x - 1.0, np.array(0.5))
        array(1.5)
    """
    if np.shape(pred) != ():
        raise TypeError(f"Pred must be a scalar, got {known_value(pred)!r} of shape "
                        f"{tuple(np.shape(pred))}.")
    index = asarray(pred).astype(bool).astype(np.int32)
    return _choose(index, [false_fun, true_fun], operands, "cond", ["false_fun", "true_fun"])


def _choose(index: Any, branches: list[Callable[..., Any]], operands: tuple[Any, ...],
            kind: str, names: list[str]) -> Any:
    programs, consts, leaves, out_tree = _branch_programs(branches, operands, kind, names)
    if np.shape(index) != ():
        raise TypeError(f"{kind}: the index must be a scalar, got shape {np.shape(index)}")
    value = known_value(index)
    if value is not None:  # known now: run the chosen branch alone
        k = min(max(int(value), 0), len(branches) - 1)
        outs = run_program(programs[k], [*consts, *leaves])
    else:
        index = clip(asarray(index).astype(np.int32), 0, len(branches) - 1)
        outs = bind(cond_p, index, *consts, *leaves, branches=programs)
    return tree_util.tree_unflatten(out_tree, outs)


# --- the primitive's rules --------------------------------------------------------------

def _impl(index: Any, *args: Any, branches: tuple[Program, ...]) -> list[Any]:
    k = min(max(int(index), 0), len(branches) - 1)
    return run_program(branches[k], args)


def _abstract_eval(index: ShapedArray, *avals: ShapedArray, branches: tuple[Program, ...]
                   ) -> list[ShapedArray]:
    return [v.aval for v in branches[0].outvars]


def _retrace(branches: tuple[Program, ...], make: Callable[[Program], Callable[..., Any]],
             values: list[Any]) -> tuple[tuple[Program, ...], list[Any]]:
    """New branches, each traced from ``make(branch)`` (a function of flat arrays like
    ``values``), and the constants they read, which go first among the new operands."""
    return merge_branches([subprograms.trace_flat(make(b), values, "cond") for b in branches])


def _jvp(primals: list[Any], tangents: list[Any], branches: tuple[Program, ...]
         ) -> tuple[list[Any], list[Any]]:
    index, args = primals[0], primals[1:]
    moving = [k for k, a in enumerate(args) if tangents[k + 1] is not None]
    ts = [tangents[k + 1] for k in moving]
    out_avals = [v.aval for v in branches[0].outvars]
    n = len(args)

    def make(b: Program) -> Callable[..., Any]:
        def branch_jvp(*xs: Any) -> list[Any]:
            t_all: list[Any] = [None] * n
            for k, t in zip(moving, xs[n:]):
                t_all[k] = t
            outs, out_ts = subprograms.jvp_flat(lambda *a: run_program(b, a), xs[:n], t_all)
            return outs + [instantiate(t, o) for t, o, av in zip(out_ts, outs, out_avals)
                           if is_float(av)]
        return branch_jvp

    new, consts = _retrace(branches, make, [*args, *ts])
    results = bind(cond_p, index, *consts, *args, *ts, branches=new)
    outs, rest = results[:len(out_avals)], iter(results[len(out_avals):])
    return outs, [next(rest) if is_float(av) else None for av in out_avals]


def _vjp(cts: list[Any], primals: list[Any], out: list[Any], wanted: list[bool],
         branches: tuple[Program, ...]) -> list[Any]:
    index, args = primals[0], primals[1:]
    targets = [k for k, a in enumerate(args) if wanted[k + 1] and is_float(abstractify(a))]
    out_avals = [v.aval for v in branches[0].outvars]
    float_outs = [j for j, av in enumerate(out_avals) if is_float(av)]
    given = [instantiate(cts[j], out[j]) for j in float_outs]
    n = len(args)

    def make(b: Program) -> Callable[..., Any]:
        def branch_vjp(*xs: Any) -> list[Any]:
            ct_all: list[Any] = [None] * len(out_avals)
            for j, c in zip(float_outs, xs[n:]):
                ct_all[j] = c
            wants = [k in targets for k in range(n)]
            in_cts = subprograms.vjp_flat(lambda *a: run_program(b, a), xs[:n], wants, ct_all)
            return [instantiate(in_cts[k], xs[k]) for k in targets]
        return branch_vjp

    new, consts = _retrace(branches, make, [*args, *given])
    results = iter(bind(cond_p, index, *consts, *args, *given, branches=new))
    return [None] + [next(results) if k in targets else None for k in range(n)]


def _batch(values: list[Any], dims: list[int | None], branches: tuple[Program, ...]
           ) -> tuple[list[Any], list[int]]:
    size = batch_size(values, dims)
    index, args, arg_dims = values[0], values[1:], dims[1:]
    if dims[0] is None:  # one branch for every example: batch each branch
        def make(b: Program) -> Callable[..., Any]:
            return lambda *xs: subprograms.run_batched(b, xs, arg_dims, size)

        new, consts = _retrace(branches, make, args)
        outs = bind(cond_p, index, *consts, *args, branches=new)
        return outs, [0] * len(outs)
    # A branch per example: compute every branch for the whole batch and select.
    per_branch = [subprograms.run_batched(b, args, arg_dims, size) for b in branches]
    index = index if dims[0] == 0 else index.swapaxes(0, dims[0])
    outs = []
    for j in range(len(per_branch[0])):
        chosen = per_branch[0][j]
        for k in range(1, len(branches)):
            candidate = per_branch[k][j]
            mask = reshape(equal(index, k), (size,) + (1,) * (candidate.ndim - 1))
            chosen = where(mask, candidate, chosen)
        outs.append(chosen)
    return outs, [0] * len(outs)


cond_p.define_rules(impl=_impl, abstract_eval=_abstract_eval, jvp=_jvp, vjp=_vjp, batch=_batch)
