"""The kernels the checks build: every catalog operation's, the headers', the PRNG's.

For every operation of the elementwise catalog and every dtype it supports (complex64 and
complex128 included, :func:`op_complex_dtypes`): the kernels of its value, its JVP, its VJP
for each input, and the VJP of each VJP (second order) (:func:`catalog_items`); one
translation unit per hand-written header in ``kernels/`` instantiating every ``gg_*``
helper for float, double and the integer types (:func:`header_items`); and the sources of
``gpugrad.random.cuda_kernels.kernel_sources()`` (:func:`random_items`). ``check`` compiles them
with NVRTC, ``host_check`` runs them on the CPU.

Example:
    >>> items = catalog_items(dtypes=("float32",))
    >>> [i.label for i in items if i.label.startswith("sin/")]
    ['sin/value/float32', 'sin/jvp/float32', 'sin/vjp0/float32', 'sin/vjp0.vjp0/float32', \
'sin/vjp0.vjp2/float32']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpugrad.expr import catalog
from gpugrad.expr.language import Expr, OpSpec, const, jvp_expr, var, vjp_expr
from gpugrad.kernel.codegen import KernelSpec, build_spec, cupy_includes, kernel_dir, out_dtype
from gpugrad.random import cuda_kernels

__all__ = [
    "CheckItem", "all_items", "catalog_items", "header_items", "op_complex_dtypes", "op_dtypes",
    "op_roles", "op_value_expr", "random_items",
]

FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int32", "int64")
COMPLEX_DTYPES = ("complex64", "complex128")
# Operations without complex kernels: NumPy refuses complex inputs to them, or (the special
# functions) evaluates them on the real part only. Every other one is compiled for complex
# too, each role, with CuPy's complex.cuh as the only source of complex functions.
REAL_ONLY_OPS = frozenset({
    "arctan2", "cbrt", "ceil", "digamma", "erf", "erfc", "erfinv", "floor", "floor_divide",
    "gammaln", "hypot", "logaddexp", "polygamma", "remainder", "trunc",
})
# Arguments that are constants, not inputs: an integer exponent, polygamma's order.
CONST_ARGS: dict[str, dict[int, int]] = {"ipow": {1: 3}, "polygamma": {0: 1}}
# Boolean inputs: where's condition and the logic operations' operands.
BOOL_ARGS: dict[str, tuple[int, ...]] = {
    "select": (0,),
    "logical_and": (0, 1),
    "logical_or": (0, 1),
    "logical_xor": (0, 1),
    "logical_not": (0,),
}
# Operations meaningful on integers (value kernels only: integers have no derivatives).
INT_OPS = frozenset({
    "abs", "add", "eq", "floor_divide", "ge", "gt", "ipow", "le", "lt", "maximum", "minimum",
    "mul", "ne", "neg", "remainder", "select", "sign", "square", "sub",
})
# Every helper of gpugrad_math.cuh, instantiated so that a template error cannot hide.
_MATH_TYPES_FLOAT = ("float", "double")
_MATH_TYPES_INT = ("int", "long long", "unsigned int")


@dataclass(frozen=True)
class CheckItem:
    """One thing the check compiles: a kernel (``spec``) or a stand-alone source."""

    label: str  # what it is: "sin/vjp0/float32", "header:gpugrad_math.cuh"
    name: str  # the kernel's name (or a file-safe name for a stand-alone source)
    source: str  # the complete translation unit
    spec: KernelSpec | None = None
    options: tuple[str, ...] = ()


def op_value_expr(op: OpSpec) -> tuple[Expr, list[bool]]:
    """``op`` applied to fresh inputs (constants where :data:`CONST_ARGS` says), and for
    each input whether it is boolean."""
    consts = CONST_ARGS.get(op.name, {})
    bools = BOOL_ARGS.get(op.name, ())
    args: list[Expr] = []
    is_bool: list[bool] = []
    for position in range(op.arity):
        if position in consts:
            args.append(const(consts[position]))
        else:
            args.append(var(len(is_bool)))
            is_bool.append(position in bools)
    return op(*args), is_bool


def op_roles(op: OpSpec, dtype: str
              ) -> Iterable[tuple[str, Expr | tuple[Expr, ...], list[np.dtype[Any]]]]:
    """(role, expression, input dtypes) of every kernel of ``op`` in ``dtype``; the role
    ``vjp`` (operations of several inputs) has a tuple: every input's cotangent at once."""
    expr, is_bool = op_value_expr(op)
    n = len(is_bool)
    dtypes = [np.dtype(bool) if b else np.dtype(dtype) for b in is_bool]
    yield "value", expr, dtypes
    if np.dtype(dtype).kind not in "fc":
        return
    out = out_dtype(expr, dtypes)
    diffable = tuple(i for i in range(n) if not is_bool[i])
    texpr = jvp_expr(expr, n, diffable) if diffable else None
    if texpr is not None and texpr.op != "const":  # a zero tangent: no kernel
        yield "jvp", texpr, [*dtypes, *(dtypes[i] for i in diffable), out]
    vdtypes = [*dtypes, out, out]
    every = tuple(e for e in (vjp_expr(expr, n, i) for i in diffable) if e is not None)
    if len(every) > 1:  # the unfused VJP: all the inputs' cotangents from one launch
        yield "vjp", every, vdtypes
    for i in diffable:
        vexpr = vjp_expr(expr, n, i)
        if vexpr is None:
            continue
        yield f"vjp{i}", vexpr, vdtypes
        # Second order: the cotangent of every non-boolean input of the VJP kernel itself.
        vout = out_dtype(vexpr, vdtypes)
        for j, d in enumerate(vdtypes):
            if d.kind == "b":
                continue
            v2 = vjp_expr(vexpr, len(vdtypes), j)
            if v2 is not None:
                yield f"vjp{i}.vjp{j}", v2, [*vdtypes, vout, vout]


def op_dtypes(op: OpSpec) -> tuple[str, ...]:
    """The dtypes ``op``'s kernels are checked in."""
    bools = BOOL_ARGS.get(op.name, ())
    if bools and len(bools) == op.arity:  # logic: boolean operands only
        return ("bool",)
    return FLOAT_DTYPES + (INT_DTYPES if op.name in INT_OPS else ())


def op_complex_dtypes(op: OpSpec) -> tuple[str, ...]:
    """The complex dtypes ``op``'s kernels are checked in (none for :data:`REAL_ONLY_OPS`
    and the logic operations). Only NVRTC checks them: the host shim has no complex type."""
    if op.name in REAL_ONLY_OPS or op_dtypes(op) == ("bool",):
        return ()
    return COMPLEX_DTYPES


def catalog_items(
    ops: Iterable[OpSpec] | None = None, dtypes: Sequence[str] | None = None
) -> list[CheckItem]:
    """A :class:`CheckItem` per (operation, dtype, role) of the catalog, sorted by op name."""
    items: list[CheckItem] = []
    chosen = sorted(catalog.OPS.values(), key=lambda o: o.name) if ops is None else ops
    for op in chosen:
        for dtype in (*op_dtypes(op), *op_complex_dtypes(op)):
            if dtypes is not None and dtype not in dtypes:
                continue
            for role, expr, in_dtypes in op_roles(op, dtype):
                spec = build_spec(expr, in_dtypes)
                items.append(CheckItem(f"{op.name}/{role}/{dtype}", spec.name, "", spec))
    return items


def _math_instantiations() -> str:
    """A kernel calling every gpugrad_math.cuh helper for every type it supports."""
    lines = ['extern "C" __global__ void gg_instantiate_math(double* sink) {']
    for k, t in enumerate(_MATH_TYPES_FLOAT + _MATH_TYPES_INT):
        lines.append(f"  {{ {t} a = ({t})sink[0], b = ({t})sink[1];")
        calls = ["gg_ipow(a, 3)", "gg_ipow(a, -2)", "gg_maximum(a, b)", "gg_minimum(a, b)",
                 "gg_floor_divide(a, b)", "gg_remainder(a, b)", "gg_sign(a)"]
        if t in _MATH_TYPES_FLOAT:
            calls += ["gg_logaddexp(a, b)", "gg_softplus(a)", "gg_sigmoid(a)", "gg_digamma(a)",
                      "gg_polygamma(b, a)"]
        lines += [f"    sink[{k * 16 + j}] = (double){c};" for j, c in enumerate(calls)]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)


def header_items() -> list[CheckItem]:
    """One translation unit per hand-written header in :func:`kernel_dir` (``*.cuh``)."""
    directory = kernel_dir()
    items = []
    for path in sorted(directory.glob("*.cuh")):
        body = _math_instantiations() if path.name == "gpugrad_math.cuh" else ""
        source = f'{cupy_includes()}#include "{path.name}"\n{body}\n'
        name = "header_" + path.stem
        items.append(CheckItem(f"header:{path.name}", name, source, None, (f"-I{directory}",)))
    return items


def random_items() -> list[CheckItem]:
    """The sources of ``gpugrad.random.cuda_kernels.kernel_sources()``.

    It may return a mapping of names to sources, or an iterable of sources or of
    ``(name, source)`` pairs; each is compiled as a stand-alone translation unit (as a
    ``cupy.RawKernel`` is) with ``kernels/`` on the include path.
    """
    sources: Any = cuda_kernels.kernel_sources()
    pairs = list(sources.items()) if hasattr(sources, "items") else list(sources)
    items = []
    for k, entry in enumerate(pairs):
        name, source = entry if isinstance(entry, tuple) else (f"source{k}", entry)
        safe = "random_" + "".join(c if c.isalnum() else "_" for c in str(name))
        items.append(CheckItem(f"random:{name}", safe, str(source), None,
                               (f"-I{kernel_dir()}",)))
    return items


def all_items() -> list[CheckItem]:
    """Everything ``--check`` compiles."""
    return [*catalog_items(), *header_items(), *random_items()]
