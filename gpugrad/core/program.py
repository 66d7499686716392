"""Programs: a traced function as equations over the primitives, the form staging records.

A :class:`Program` has input variables, constant variables (arrays the function closed
over, bound to their values when it runs), a list of :class:`Equation` (a primitive applied
to variables and literals, giving one new variable) and output variables. It is the one
intermediate form of every staged feature (``jit``, ``make_jaxpr``, and later control flow
and checkpointing), and prints as JAX prints its programs::

    { lambda ; a:f32[3]. let
        b:f32[3] = elementwise[expr=sin(x0)] a
        c:f32[] = reduce_sum[axes=(0,)] b
      in (c,) }

:func:`eval_program` runs one equation at a time through ``bind``, so a program applied
to tracers of an outer transformation (``grad(jit(f))``, ``vmap(jit(f))``) is
differentiated or batched like the function it was traced from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.core.trace import Primitive, bind

__all__ = ["Equation", "Literal", "Program", "Var", "eval_program"]


class Var:
    """A value of the program, known by its abstract value; named only when printed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval.short()})"


class Literal:
    """A scalar constant written into an equation (NumPy or Python scalar)."""

    __slots__ = ("aval", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.aval = abstractify(value)

    def __repr__(self) -> str:
        return f"{self.value!r}:{self.aval.short()}"


Atom = Var | Literal


class Equation:
    """``outs = prim(*inputs, **params)``: one variable, or several for a primitive with
    ``multiple_results`` (control flow)."""

    __slots__ = ("inputs", "outs", "params", "prim")

    def __init__(self, prim: Primitive, inputs: list[Atom], params: dict[str, Any],
                 outs: list[Var]) -> None:
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outs = outs

    @property
    def out(self) -> Var:
        """The result of a primitive with one."""
        return self.outs[0]


class Program:
    """Equations between input, constant and output variables (see the module docstring)."""

    __slots__ = ("cache", "constvars", "eqns", "invars", "outvars")

    def __init__(self, invars: list[Var], constvars: list[Var], eqns: list[Equation],
                 outvars: list[Atom]) -> None:
        self.invars = invars
        self.constvars = constvars
        self.eqns = eqns
        self.outvars = outvars
        # What the layers above derive from the program once (its compiled form): a program
        # does not change after it is recorded.
        self.cache: dict[str, Any] = {}

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]

    def pretty(self, indent: int = 0) -> str:
        names = _Names()
        pad = " " * indent

        def binder(v: Var) -> str:
            return f"{names[v]}:{v.aval.short()}"

        def atom(a: Atom) -> str:
            return names[a] if isinstance(a, Var) else _literal_text(a)

        head = (f"{{ lambda {' '.join(map(binder, self.constvars))}; "
                f"{' '.join(map(binder, self.invars))}. let")
        lines = [pad + head]
        for eqn in self.eqns:
            params = _params_text(eqn.params, indent + 4)
            lines.append(f"{pad}    {' '.join(map(binder, eqn.outs))} = {eqn.prim.name}{params} "
                         + " ".join(map(atom, eqn.inputs)))
        outs = ", ".join(map(atom, self.outvars))
        lines.append(f"{pad}  in ({outs}{',' if len(self.outvars) == 1 else ''}) }}")
        return "\n".join(lines)

    __str__ = pretty

    def __repr__(self) -> str:
        return self.pretty()


class _Names:
    """Short names in order of first appearance: a, b, ..., z, ba, bb, ..."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def __getitem__(self, v: Var) -> str:
        name = self.names.get(id(v))
        if name is None:
            name = self.names[id(v)] = _name(len(self.names))
        return name


def _name(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    text = letters[i % 26]
    i //= 26
    while i:
        text = letters[i % 26] + text
        i //= 26
    return text


def _literal_text(lit: Literal) -> str:
    value = lit.value
    if isinstance(value, np.generic | np.ndarray):
        value = value.item() if np.ndim(value) == 0 else value
    return f"{value!r}:{lit.aval.short()}"


def _params_text(params: dict[str, Any], indent: int) -> str:
    if not params:
        return ""
    items = []
    for key, value in params.items():
        if isinstance(value, type):
            text = value.__name__
        elif isinstance(value, Program):  # a sub-program (control flow): on its own lines
            text = "\n" + value.pretty(indent + 4)
        elif isinstance(value, tuple) and value and all(isinstance(v, Program) for v in value):
            text = "(\n" + "\n".join(v.pretty(indent + 4) for v in value) + "\n" + (
                " " * (indent + 2)) + ")"
        else:
            text = str(value)
        items.append(f"{key}={text}")
    return "[" + " ".join(items) + "]"


def eval_program(program: Program, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    """Run ``program`` one equation at a time through ``bind`` on ``consts`` and ``args``
    (arrays or tracers of any transformation in flight)."""
    env: dict[Var, Any] = dict(zip(program.constvars, consts))
    env.update(zip(program.invars, args))
    for eqn in program.eqns:
        values = [env[a] if isinstance(a, Var) else a.value for a in eqn.inputs]
        out = bind(eqn.prim, *values, **eqn.params)
        if eqn.prim.multiple_results:
            env.update(zip(eqn.outs, out))
        else:
            env[eqn.outs[0]] = out
    return [env[a] if isinstance(a, Var) else a.value for a in program.outvars]
