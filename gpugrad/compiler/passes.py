"""Rewrites of a program before it is compiled: each returns a new program that computes the
same outputs with less work.

* :func:`fold_constants`: an equation whose inputs are all constants runs now, once.
* :func:`merge_common`: two equations applying one primitive, with equal parameters, to the
  same inputs become one.
* :func:`fuse_elementwise`: an elementwise result read once, by another elementwise
  equation of the same shape, is written into that equation's expression instead of being
  stored; a chain ``sum(exp(-x**2) * sin(3x))`` becomes one elementwise equation (one pass
  over memory on NumPy's chunked evaluator, one kernel on CuPy).
* :func:`remove_dead`: equations whose results nothing reads are dropped (primitives have
  no side effects).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gpugrad.core.program import Atom, Equation, Literal, Program, Var
from gpugrad.dtypes import compute_dtype
from gpugrad.primitives import fusion
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.elementwise_eval import quiet_floating_point

__all__ = ["fold_constants", "fuse_elementwise", "merge_common", "optimize", "remove_dead"]


def remove_dead(program: Program) -> Program:
    live = {id(v) for v in program.outvars if type(v) is Var}
    kept = []
    for eqn in reversed(program.eqns):
        if any(id(v) in live for v in eqn.outs):
            kept.append(eqn)
            live.update(id(a) for a in eqn.inputs if type(a) is Var)
    return Program(program.invars, program.constvars, kept[::-1], program.outvars)


def _rename(atoms: list[Atom], renames: dict[Var, Atom]) -> list[Atom]:
    return [renames.get(a, a) if type(a) is Var else a for a in atoms]


def _literal_key(lit: Literal) -> Any:
    return ("lit", type(lit.value), lit.aval.dtype, lit.value)


def merge_common(program: Program) -> Program:
    seen: dict[Any, list[Var]] = {}
    renames: dict[Var, Atom] = {}
    eqns = []
    for eqn in program.eqns:
        inputs = _rename(eqn.inputs, renames)
        try:
            key = (eqn.prim, tuple(id(a) if type(a) is Var else _literal_key(a)  # type: ignore[arg-type]
                                   for a in inputs), tuple(sorted(eqn.params.items())))
            hash(key)
        except TypeError:  # a parameter that cannot be compared: keep the equation
            key = None
        if key is not None and key in seen:
            renames.update(zip(eqn.outs, seen[key]))
            continue
        if key is not None:
            seen[key] = eqn.outs
        eqns.append(Equation(eqn.prim, inputs, eqn.params, eqn.outs))
    return Program(program.invars, program.constvars, eqns, _rename(program.outvars, renames))


def fold_constants(program: Program, consts: list[Any]) -> tuple[Program, list[Any]]:
    """Run the equations that depend on constants alone; their results become constants.
    A result larger than its largest input (a broadcast) stays an equation: folding it would
    only store a bigger constant."""
    values: dict[Var, Any] = dict(zip(program.constvars, consts))
    constvars, new_consts = list(program.constvars), list(consts)
    eqns = []
    with quiet_floating_point():
        for eqn in program.eqns:
            if all(type(a) is Literal or a in values for a in eqn.inputs):
                args = [values[a] if isinstance(a, Var) else a.value for a in eqn.inputs]
                largest = max([a.aval.size for a in eqn.inputs], default=1)
                if not eqn.prim.multiple_results and eqn.out.aval.size <= max(largest, 1):
                    out = eqn.prim.impl(*args, **eqn.params)
                    values[eqn.out] = out
                    constvars.append(eqn.out)
                    new_consts.append(out)
                    continue
            eqns.append(eqn)
    program = Program(program.invars, constvars, eqns, program.outvars)
    return _drop_unused_consts(remove_dead(program), new_consts)


def _drop_unused_consts(program: Program, consts: list[Any]) -> tuple[Program, list[Any]]:
    used = {id(a) for eqn in program.eqns for a in eqn.inputs if type(a) is Var}
    used.update(id(a) for a in program.outvars if type(a) is Var)
    keep = [k for k, v in enumerate(program.constvars) if id(v) in used]
    return (Program(program.invars, [program.constvars[k] for k in keep], program.eqns,
                    program.outvars), [consts[k] for k in keep])


def _compute_dtype(atoms: list[Atom]) -> Any:
    return compute_dtype([a.aval.dtype for a in atoms])


# An elementwise result read by several elementwise equations is recomputed inside each of
# them when its expression is at most this many nodes: recomputing ``x**2`` costs less than
# a pass over memory to store and read it again.
DUPLICATE_NODES = 8


def fuse_elementwise(program: Program) -> Program:
    reads = Counter(id(a) for eqn in program.eqns for a in eqn.inputs if type(a) is Var)
    by_elementwise = Counter(id(a) for eqn in program.eqns if eqn.prim is elementwise_p
                             for a in eqn.inputs if type(a) is Var)
    outputs = {id(a) for a in program.outvars if type(a) is Var}
    # Values kept as expressions, not stored: var -> (expr, inputs, reads left)
    held: dict[Var, list[Any]] = {}
    eqns: list[Equation] = []

    def release(v: Var) -> None:
        expr, args, _ = held.pop(v)
        eqns.append(Equation(elementwise_p, args, {"expr": expr}, [v]))

    for eqn in program.eqns:
        if eqn.prim is not elementwise_p:
            for a in eqn.inputs:
                if type(a) is Var and a in held:
                    release(a)
            eqns.append(eqn)
            continue
        out = eqn.out
        dtype = _compute_dtype(eqn.inputs)
        args: list[Any] = []
        inlined: list[Var] = []
        for a in eqn.inputs:
            if type(a) is Var and a in held:
                expr, inner, _ = held[a]
                # Same shape: no element is computed more often than it is read. Same compute
                # dtype: the expression's constants keep the type they had on their own.
                if a.aval.shape == out.aval.shape and _compute_dtype(inner) == dtype:
                    args.append(fusion.Deferred(expr, inner, a.aval.shape, a.aval.dtype))
                    inlined.append(a)
                    continue
                release(a)
            args.append(a)
        expr, flat = fusion.inline(eqn.params["expr"], args) if inlined else (
            eqn.params["expr"], list(eqn.inputs))
        if inlined and not fusion.fits_one_evaluation(expr, len(flat)):
            for a in dict.fromkeys(inlined):
                release(a)
            expr, flat = eqn.params["expr"], list(eqn.inputs)
        else:
            for a in inlined:
                entry = held[a]
                entry[2] -= 1
                if entry[2] == 0:
                    del held[a]
        n = reads[id(out)]
        if id(out) not in outputs and n and (n == 1 or (
                by_elementwise[id(out)] == n and fusion.expression_size(expr) <= DUPLICATE_NODES)):
            held[out] = [expr, flat, n]
        else:
            eqns.append(Equation(elementwise_p, flat, {"expr": expr}, [out]))
    if held:
        raise AssertionError("an elementwise result kept for its readers was never read")
    return Program(program.invars, program.constvars, eqns, program.outvars)


def optimize(program: Program, consts: list[Any]) -> tuple[Program, list[Any]]:
    """Every pass, in an order where each helps the next."""
    program = merge_common(remove_dead(program))
    program, consts = fold_constants(program, consts)
    return fuse_elementwise(program), consts
