"""Rewrites of a program before it is compiled: each returns a new program that computes the
same outputs with less work.

* :func:`fold_constants`: an equation whose inputs are all constants runs now, once.
* :func:`uniform_constants`: a constant array of one repeated value is read as a scalar by
  the elementwise equations it feeds.
* :func:`read_through_broadcasts`: an elementwise equation reads a broadcast's input.
* :func:`merge_common`: two equations applying one primitive, with equal parameters, to the
  same inputs become one.
* :func:`fuse_elementwise`: an elementwise result read once, by another elementwise
  equation of the same shape, is written into that equation's expression instead of being
  stored; a chain ``sum(exp(-x**2) * sin(3x))`` becomes one elementwise equation (one pass
  over memory on NumPy's chunked evaluator, one kernel on CuPy).
* :func:`drop_unit_factors`: a floating literal 1 read by an elementwise equation (the
  ones that seed a sum's gradient) is written into its expression, whose algebra drops
  ``x * 1``: ``d/dx sum(x**2)`` runs as ``2 * x``.
* :func:`remove_dead`: equations whose results nothing reads are dropped (primitives have
  no side effects).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from gpugrad.core.program import Atom, Equation, Literal, Program, Var
from gpugrad.dtypes import compute_dtype
from gpugrad.expr.language import const, depends_on, substitute, var
from gpugrad.primitives import lazy
from gpugrad.primitives.broadcasting import broadcast_p
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.elementwise_eval import quiet_floating_point

__all__ = ["drop_unit_factors", "fold_constants", "fuse_elementwise", "merge_common",
           "optimize", "remove_dead", "read_through_broadcasts", "uniform_constants"]


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


def uniform_constants(program: Program, consts: list[Any]) -> tuple[Program, list[Any]]:
    """A NumPy constant whose elements are all equal (a broadcast done while tracing, such as
    the ones that seed a sum's gradient) is read by elementwise equations as one scalar
    literal of its dtype, where their other inputs give the result its shape: the program
    neither keeps nor reads the array."""
    scalars: dict[Var, Literal] = {}
    for v, c in zip(program.constvars, consts):
        if type(c) is np.ndarray and c.size > 1 and bool(np.all(c == c.flat[0])):
            scalars[v] = Literal(c.dtype.type(c.flat[0]))
    if not scalars:
        return program, consts
    eqns = _read_instead(program, scalars)
    program = Program(program.invars, program.constvars, eqns, program.outvars)
    return _drop_unused_consts(program, consts)


def _read_instead(program: Program, replacements: Mapping[Var, Atom]) -> list[Equation]:
    """The equations, each elementwise one reading ``replacements[v]`` for its input ``v``
    wherever the inputs it reads still give its result its shape."""
    eqns = []
    for eqn in program.eqns:
        if eqn.prim is elementwise_p and any(type(a) is Var and a in replacements
                                             for a in eqn.inputs):
            inputs = [replacements.get(a, a) if type(a) is Var else a for a in eqn.inputs]
            if _shape(_read(eqn.params["expr"], inputs)) == eqn.out.aval.shape:
                eqn = Equation(elementwise_p, inputs, eqn.params, eqn.outs)
        eqns.append(eqn)
    return eqns


def read_through_broadcasts(program: Program) -> Program:
    """An elementwise equation reads the input of a ``broadcast`` instead of its result, where
    the inputs it reads still give its result its shape: NumPy broadcasting does the same
    work inside the evaluation, the broadcast array is not made (and goes, if nothing else
    reads it), and the value before it can fuse with the equation."""
    sources = {eqn.out: eqn.inputs[0] for eqn in program.eqns if eqn.prim is broadcast_p}
    if not sources:
        return program
    eqns = _read_instead(program, sources)
    return remove_dead(Program(program.invars, program.constvars, eqns, program.outvars))


def _read(expr: Any, inputs: list[Atom]) -> list[Atom]:
    """The inputs ``expr`` reads (the generated evaluation broadcasts these only)."""
    return [a for k, a in enumerate(inputs) if depends_on(expr, k)]


def _compute_dtype(atoms: list[Atom]) -> Any:
    return compute_dtype([a.aval.dtype for a in atoms])


# An elementwise result read by several elementwise equations is recomputed inside each of
# them when its expression is at most this many nodes: recomputing ``x**2`` costs less than
# a pass over memory to store and read it again. Not so for NumPy arrays too small for the
# chunked evaluator: there each operation costs a ufunc call whatever the size, and a stored
# value costs nothing more to read.
DUPLICATE_NODES = 8


def _used_inputs(expr: Any, inputs: list[Atom], out: Var) -> tuple[Any, list[Atom]]:
    """``expr`` over only the inputs it reads (a derivative's expression often ignores some),
    so that the equations computing the others can go; all of them where the ones it reads
    would not give the result its shape."""
    new_expr, kept = lazy.inline(expr, inputs)
    if len(kept) == len(inputs) or _shape(kept) != out.aval.shape:
        return expr, inputs
    return new_expr, kept


def _shape(inputs: list[Atom]) -> tuple[int, ...]:
    """The shape of an elementwise result over ``inputs``: their broadcast shape."""
    return tuple(np.broadcast_shapes(*(a.aval.shape for a in inputs)))


def fuse_elementwise(program: Program, backend: str | None = None) -> Program:
    """Elementwise chains as single equations (see the module's docstring); ``backend``
    "numpy" when the program runs on NumPy arrays only (None: on either backend)."""
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
                    args.append(lazy.LazyValue(expr, inner, a.aval.shape, a.aval.dtype))
                    inlined.append(a)
                    continue
                release(a)
            args.append(a)
        expr, flat = lazy.inline(eqn.params["expr"], args) if inlined else (
            _used_inputs(eqn.params["expr"], list(eqn.inputs), out))
        if inlined and (not lazy.fits_one_evaluation(expr, len(flat))
                        or _shape(flat) != out.aval.shape):
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
                by_elementwise[id(out)] == n and lazy.expression_size(expr) <= DUPLICATE_NODES)):
            held[out] = [expr, flat, n]
        else:
            eqns.append(Equation(elementwise_p, flat, {"expr": expr}, [out]))
    if held:
        raise AssertionError("an elementwise result kept for its readers was never read")
    return Program(program.invars, program.constvars, eqns, program.outvars)


def drop_unit_factors(program: Program) -> Program:
    """Each elementwise equation with its floating literal 1s written into its expression,
    where the catalog's algebra drops ``x * 1`` and ``x / 1`` (exact in IEEE arithmetic, signs
    of zero and NaNs included). Kept as they were where nothing would drop, where the
    compute dtype would change (a float32 1 beside float16 arrays widens them) or where the
    equation would be left a bare copy of an input."""
    eqns = []
    for eqn in program.eqns:
        if eqn.prim is elementwise_p and any(_is_unit(a) for a in eqn.inputs):
            eqn = _without_unit_factors(eqn)
        eqns.append(eqn)
    return Program(program.invars, program.constvars, eqns, program.outvars)


def _is_unit(a: Atom) -> bool:
    return type(a) is Literal and a.aval.dtype.kind == "f" and bool(a.value == 1)


def _without_unit_factors(eqn: Equation) -> Equation:
    expr = eqn.params["expr"]
    inputs = list(eqn.inputs)
    ones = {var(k): const(1.0) for k, a in enumerate(inputs) if _is_unit(a)}
    smaller = substitute(expr, ones)
    if smaller.op == "var" or lazy.expression_size(smaller) >= lazy.expression_size(expr):
        return eqn
    smaller, kept = lazy.inline(smaller, inputs)
    if (not any(type(a) is Var for a in kept) or _shape(kept) != eqn.out.aval.shape
            or _compute_dtype(kept) != _compute_dtype(inputs)):
        return eqn
    return Equation(elementwise_p, kept, {"expr": smaller}, eqn.outs)


def optimize(program: Program, consts: list[Any]) -> tuple[Program, list[Any]]:
    """Every pass, in an order where each helps the next."""
    program = merge_common(remove_dead(program))
    program, consts = uniform_constants(*fold_constants(program, consts))
    program = read_through_broadcasts(program)
    # Fusion can leave a result its readers no longer read (a reader whose expression did not
    # use that input, or that inlined the value's expression): drop it again.
    return remove_dead(drop_unit_factors(fuse_elementwise(program))), consts
