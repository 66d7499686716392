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
``K0_expr`` the fused expression. Nothing is looked up per equation while it runs, and
freeing each value after its last use keeps the peak memory of the staged program at that of
the eager one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from gpugrad.config import config
from gpugrad.core.program import Program, Var
from gpugrad.primitives.elementwise_eval import quiet_floating_point

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
        with quiet_floating_point():  # as eager transformations: inf and nan, no warnings
            return self.fn(*self.consts, *args)


def _source(program: Program, namespace: dict[str, Any]) -> str:
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
    for k, eqn in enumerate(program.eqns):
        namespace[f"P{k}"] = eqn.prim.impl
        args = [atom(a, f"L{k}_{j}") for j, a in enumerate(eqn.inputs)]
        for key, value in eqn.params.items():
            namespace[f"K{k}_{key}"] = value
            args.append(f"{key}=K{k}_{key}")
        outs = ", ".join(name(v) for v in eqn.outs)
        if eqn.prim.multiple_results:
            outs += "," if len(eqn.outs) == 1 else ""
            outs = outs or "_"
        lines.append(f"    {outs} = P{k}({', '.join(args)})")
        dead = sorted({name(a) for a in eqn.inputs if type(a) is Var
                       and last_read[id(a)] == k and id(a) not in outputs})
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    results = [atom(a, f"OUT{j}") for j, a in enumerate(program.outvars)]
    lines.append(f"    return [{', '.join(results)}]")
    return "\n".join(lines) + "\n"


def compile_program(program: Program, consts: list[Any]) -> Compiled:
    """``program`` (already optimized) as a :class:`Compiled` function."""
    namespace: dict[str, Any] = {}
    source = _source(program, namespace)
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
