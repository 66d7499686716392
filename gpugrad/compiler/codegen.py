"""A program as one generated Python function: each equation one line that calls its
primitive's evaluation directly, each variable freed after its last read.

The function for ``sum(sin(x) ** 2)`` after fusion reads::

    def program(a):
        b = P0(a, expr=K0_expr)
        del a
        c = P1(b, axes=K1_axes)
        del b
        return [c]

``P0`` is the elementwise primitive's evaluation (a generated NumPy function, the chunked
evaluator for large arrays, or a CUDA kernel on CuPy, chosen per call as in eager mode),
``K0_expr`` the fused expression. A program compiled for NumPy knows its shapes, so an
elementwise equation on small arrays calls the expression's generated NumPy function
directly instead (``b = asarray(E0(np, a), D0)``: its result as a 0-d or larger array of
the equation's dtype, as the primitive returns it), skipping the primitive's per-call
checks. Nothing is looked up per equation while it runs, and freeing each value after its
last use keeps the peak memory of the staged program at that of the eager one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.config import config, live
from gpugrad.core.program import Equation, Literal, Program, Var
from gpugrad.expr.language import depends_on
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.elementwise_eval import drops_inputs, numpy_function, quiet_state

__all__ = ["Compiled", "compile_program"]


class Compiled:
    """A compiled program: call it with the flat list of argument arrays."""

    __slots__ = ("consts", "fn", "program", "source")

    def __init__(self, program: Program, consts: list[Any], fn: Callable[..., list[Any]],
                 source: str) -> None:
        self.program = program
        self.consts = consts
        self.fn = fn
        self.source = source

    def __call__(self, args: list[Any]) -> list[Any]:
        if quiet_state.depth:  # inside a transformation that silenced warnings already
            return self.fn(*self.consts, *args)
        # As eager transformations: inf and nan, no warnings (quiet_floating_point's work,
        # spelled out: this is every jitted call's fixed cost).
        quiet_state.depth = 1
        try:
            with np.errstate(all="ignore"):
                return self.fn(*self.consts, *args)
        finally:
            quiet_state.depth = 0


def _inline_numpy(eqn: Equation) -> bool:
    """Whether an equation of a NumPy program runs as its generated function, called
    directly: an elementwise one whose arrays are all too small for the chunked evaluator
    (the ``chunked_min_size`` option, as it is when the program is compiled)."""
    if eqn.prim is not elementwise_p or not all(
            type(a) is not Var or a.aval.size < live.chunked_min_size for a in eqn.inputs):
        return False
    expr = eqn.params["expr"]
    if not drops_inputs(expr, len(eqn.inputs)):
        return True
    # An expression reading fewer inputs than it is given must still take the shape of all
    # of them (the primitive broadcasts its value): inline only where the read ones give it.
    read = [a.aval.shape for i, a in enumerate(eqn.inputs) if depends_on(expr, i)]
    return np.broadcast_shapes(*read) == eqn.out.aval.shape


def _scalar_consts(program: Program, inline: set[int]) -> set[int]:
    """The positions of the 0-d constants that only inlined equations read: they can be
    passed as NumPy scalars, whose arithmetic costs a tenth of a 0-d array's ufunc call
    (the generated functions return the same values and dtypes for either)."""
    readers: dict[int, set[int]] = {id(v): set() for v in program.constvars}
    for k, eqn in enumerate(program.eqns):
        for a in eqn.inputs:
            if type(a) is Var and id(a) in readers:
                readers[id(a)].add(k)
    outputs = {id(a) for a in program.outvars}
    return {i for i, v in enumerate(program.constvars)
            if v.aval.shape == () and id(v) not in outputs and readers[id(v)] <= inline}


def _source(program: Program, namespace: dict[str, Any], backend: str | None,
            inline: set[int]) -> str:
    names: dict[int, str] = {}

    def name(v: Var) -> str:
        text = names.get(id(v))
        if text is None:
            text = names[id(v)] = f"v{len(names)}"
        return text

    def atom(a: Any, where: str) -> str:
        if type(a) is Var:
            return name(a)
        namespace[where] = a.value
        return where

    params = [name(v) for v in program.constvars] + [name(v) for v in program.invars]
    last_read: dict[int, int] = {}
    for k, eqn in enumerate(program.eqns):
        for a in eqn.inputs:
            if type(a) is Var:
                last_read[id(a)] = k
    outputs = {id(a) for a in program.outvars if type(a) is Var}
    lines = [f"def program({', '.join(params)}):"]
    namespace.update(np=np, asarray=np.asarray)
    for k, eqn in enumerate(program.eqns):
        args = [atom(a, f"L{k}_{j}") for j, a in enumerate(eqn.inputs)]
        if k in inline:
            # Every input is a NumPy value but a Python-number literal (a weak constant).
            typed = frozenset(j for j, a in enumerate(eqn.inputs) if not (
                isinstance(a, Literal) and isinstance(a.value, (int, float, complex))))
            namespace[f"E{k}"] = numpy_function(eqn.params["expr"], len(args), typed)
            namespace[f"D{k}"] = eqn.out.aval.dtype
            lines.append(f"    {name(eqn.out)} = asarray(E{k}(np, {', '.join(args)}), D{k})")
            lines += _frees(eqn, k, last_read, outputs, name)
            continue
        namespace[f"P{k}"] = eqn.prim.impl
        for key, value in eqn.params.items():
            namespace[f"K{k}_{key}"] = value
            args.append(f"{key}=K{k}_{key}")
        outs = ", ".join(name(v) for v in eqn.outs)
        if eqn.prim.multiple_results:
            outs += "," if len(eqn.outs) == 1 else ""
            outs = outs or "_"
        lines.append(f"    {outs} = P{k}({', '.join(args)})")
        lines += _frees(eqn, k, last_read, outputs, name)
    results = [atom(a, f"OUT{j}") for j, a in enumerate(program.outvars)]
    lines.append(f"    return [{', '.join(results)}]")
    return "\n".join(lines) + "\n"


def _frees(eqn: Equation, k: int, last_read: dict[int, int], outputs: set[int],
           name: Callable[[Var], str]) -> list[str]:
    """The ``del`` line (if any) after equation ``k``: the inputs it reads for the last time."""
    dead = sorted({name(a) for a in eqn.inputs if type(a) is Var
                   and last_read[id(a)] == k and id(a) not in outputs})
    return [f"    del {', '.join(dead)}"] if dead else []


def compile_program(program: Program, consts: list[Any], backend: str | None = None
                    ) -> Compiled:
    """``program`` (already optimized) as a :class:`Compiled` function. With ``backend``
    "numpy" (the program runs on NumPy arrays only), small elementwise equations call their
    generated functions directly."""
    namespace: dict[str, Any] = {}
    inline = ({k for k, eqn in enumerate(program.eqns) if _inline_numpy(eqn)}
              if backend == "numpy" else set())
    source = _source(program, namespace, backend, inline)
    scalars = _scalar_consts(program, inline)
    consts = [c[()] if i in scalars and type(c) is np.ndarray else c
              for i, c in enumerate(consts)]
    code = compile(source, "<gpugrad program>", "exec")
    exec(code, namespace)  # source generated above from the program alone
    if config.dump_kernels:
        _dump(source, config.dump_kernels)
    return Compiled(program, consts, namespace["program"], source)


def _dump(source: str, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"program_{abs(hash(source)):x}.py")
    with open(path, "w") as f:
        f.write(source)
