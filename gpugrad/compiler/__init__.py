"""Compiling a traced program: rewrites that save work (``passes``), then one generated
Python function that runs it (``codegen``)."""

from __future__ import annotations

from typing import Any

from gpugrad.compiler import codegen
from gpugrad.compiler.codegen import Compiled
from gpugrad.compiler.passes import optimize
from gpugrad.core.program import Program

__all__ = ["Compiled", "compile_program", "optimize"]


def compile_program(program: Program, consts: list[Any], backend: str | None = None
                    ) -> Compiled:
    """Optimize ``program`` and generate the function that runs it (on ``backend``'s arrays
    only, "numpy" or "cupy", when given; on either when None)."""
    program, consts = optimize(program, consts)
    return codegen.compile_program(program, consts, backend)
