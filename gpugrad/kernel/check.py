"""``python -m gpugrad kernels``: compile-check every CUDA kernel gpugrad can emit, no GPU needed.

``--check`` builds, for every operation of the elementwise catalog and every dtype it
supports (complex64 and complex128 included, :func:`op_complex_dtypes`), the kernels of
its value, its JVP, its VJP for each input, and the VJP of each VJP (second order), and
compiles their full CUDA source with NVRTC for each ``--arch``;
plus one translation unit per hand-written header in ``kernels/`` (instantiating every
``gg_*`` helper for float, double and the integer types) and the sources of
``gpugrad.random._cuda.kernel_sources()`` when that module exists. A typo in a catalog
template or a helper fails here, on any machine with NVRTC (``pip install gpugrad[nvrtc]``).
It ends with one line, ``kernels: N compiled, F failed``, and exits 1 when F > 0.

``--show NAME`` prints the generated source of catalog operation NAME's kernels.

Kernels sharing a preamble are compiled together, many per NVRTC call (each call costs a
fixed ~0.1 s of header parsing); a batch that fails is recompiled kernel by kernel, so a
failure names its kernel and carries its own log.

Example:
    >>> items = catalog_items(dtypes=("float32",))
    >>> [i.label for i in items if i.label.startswith("sin/")]
    ['sin/value/float32', 'sin/jvp/float32', 'sin/vjp0/float32', 'sin/vjp0.vjp0/float32', \
'sin/vjp0.vjp2/float32']
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from gpugrad.expr import catalog
from gpugrad.expr.language import Expr, OpSpec, const, var
from gpugrad.kernel.codegen import (
    KernelSpec,
    build_spec,
    cupy_includes,
    full_source,
    kernel_dir,
    kernel_function,
    out_dtype,
)
from gpugrad.kernel.compiler import KernelCompileError, compile_to_ptx
from gpugrad.primitives.elementwise import jvp_expr, vjp_expr

__all__ = ["CheckItem", "CheckResult", "catalog_items", "main", "run_check"]

DEFAULT_ARCHS = ("80", "90")
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
BATCH = 150  # kernels per NVRTC call


@dataclass(frozen=True)
class CheckItem:
    """One thing the check compiles: a kernel (``spec``) or a stand-alone source."""

    label: str  # what it is: "sin/vjp0/float32", "header:gpugrad_math.cuh"
    name: str  # the kernel's name (or a file-safe name for a stand-alone source)
    source: str  # the complete translation unit
    spec: KernelSpec | None = None
    options: tuple[str, ...] = ()


@dataclass
class CheckResult:
    """What :func:`run_check` found: items compiled and failures (label, log)."""

    compiled: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"kernels: {self.compiled} compiled, {len(self.failed)} failed"


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
    """The sources of ``gpugrad.random._cuda.kernel_sources()``, when that module exists.

    It may return a mapping of names to sources, or an iterable of sources or of
    ``(name, source)`` pairs; each is compiled as a stand-alone translation unit (as a
    ``cupy.RawKernel`` is) with ``kernels/`` on the include path.
    """
    try:
        from gpugrad.random import _cuda  # type: ignore[attr-defined]
    except ImportError:
        return []
    sources: Any = _cuda.kernel_sources()
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


def _compile_batch(arch: str, specs: list[KernelSpec]) -> dict[str, str]:
    """Compile kernels sharing one preamble in one NVRTC call; {kernel name: log} of those
    that fail (recompiled one by one, so each failure carries its own log)."""
    source = "\n".join([cupy_includes(specs), specs[0].preamble, *map(kernel_function, specs)])
    try:
        compile_to_ptx(source, f"batch_{specs[0].name}", arch)
        return {}
    except KernelCompileError:
        pass
    failures: dict[str, str] = {}
    for spec in specs:
        try:
            compile_to_ptx(full_source(spec), spec.name, arch)
        except KernelCompileError as err:
            failures[spec.name] = err.log
    return failures


def _compile_standalone(arch: str, item: CheckItem) -> dict[str, str]:
    try:
        compile_to_ptx(item.source, item.name, arch, item.options)
    except KernelCompileError as err:
        return {item.name: err.log}
    return {}


def _run_unit(unit: tuple[str, list[KernelSpec] | CheckItem]) -> dict[str, str]:
    arch, work = unit
    return _compile_batch(arch, work) if isinstance(work, list) else _compile_standalone(arch, work)


def _units(items: Sequence[CheckItem], arch: str) -> list[tuple[str, list[KernelSpec] | CheckItem]]:
    """The NVRTC calls for one arch: batches of distinct kernels per preamble, then each
    stand-alone source."""
    groups: dict[str, dict[str, KernelSpec]] = {}
    for item in items:
        if item.spec is not None:
            groups.setdefault(item.spec.preamble, {})[item.spec.name] = item.spec
    units: list[tuple[str, list[KernelSpec] | CheckItem]] = []
    for specs in groups.values():
        distinct = list(specs.values())
        units += [(arch, distinct[k : k + BATCH]) for k in range(0, len(distinct), BATCH)]
    units += [(arch, item) for item in items if item.spec is None]
    return units


def run_check(
    items: Sequence[CheckItem] | None = None,
    archs: Sequence[str] = DEFAULT_ARCHS,
    dump: str | Path | None = None,
    verbose: bool = False,
    stream: TextIO | None = None,
    jobs: int = 1,
) -> CheckResult:
    """Compile every item for every arch; N counts items, F the items failing on any arch.

    ``jobs > 1`` compiles in that many processes (NVRTC holds the GIL, so threads would
    not help).

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> result = run_check(catalog_items([C.OPS["exp"]], ["float32"]), archs=["80"])
        >>> result.summary
        'kernels: 5 compiled, 0 failed'
    """
    stream = sys.stdout if stream is None else stream
    items = list(all_items() if items is None else items)
    if dump is not None:
        folder = Path(dump)
        folder.mkdir(parents=True, exist_ok=True)
        for item in items:
            text = full_source(item.spec) if item.spec is not None else item.source
            (folder / f"{item.name}.cu").write_text(text)
    archs = [a.removeprefix("sm_").removeprefix("compute_") for a in archs]
    units = [unit for arch in archs for unit in _units(items, arch)]
    if jobs > 1 and len(units) > 1:
        context = multiprocessing.get_context("spawn")  # no fork of a CUDA-aware process
        with ProcessPoolExecutor(min(jobs, len(units)), mp_context=context) as pool:
            results = list(pool.map(_run_unit, units))
    else:
        results = [_run_unit(unit) for unit in units]
    failed: dict[str, str] = {}  # label -> log
    for (arch, _), failures in zip(units, results):
        for item in items:
            log = failures.get(item.name)
            if log is not None and item.label not in failed:
                failed[item.label] = f"[compute_{arch}] kernel {item.name}:\n{log.strip()}"
    for item in items:
        if verbose:
            status = "FAILED" if item.label in failed else "ok"
            print(f"{status:6} {item.label:40} {item.name}", file=stream)
    for label, log in failed.items():
        print(f"FAILED {label}\n{log}\n", file=stream)
    return CheckResult(compiled=len(items) - len(failed), failed=list(failed.items()))


def show(name: str, dtype: str, full: bool, stream: TextIO) -> int:
    """Print the kernels of catalog operation ``name`` in ``dtype`` (value, JVP, VJPs)."""
    op = catalog.OPS.get(name)
    if op is None:
        print(f"unknown operation {name!r}; known: {', '.join(sorted(catalog.OPS))}",
              file=sys.stderr)
        return 2
    for role, expr, dtypes in op_roles(op, dtype):
        if "." in role and not full:
            continue  # second order only with -v
        spec = build_spec(expr, dtypes)
        source = full_source(spec)
        if not full:  # the inlined helpers would drown the kernel
            lines = spec.preamble.count("\n")
            source = source.replace(spec.preamble, f"// ... gpugrad_math.cuh ({lines} lines)"
                                    f" ...\n{spec.preamble.splitlines()[-1]}\n")
        print(f"// {name} {role} {dtype}: {expr}\n{source}", file=stream)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m gpugrad kernels``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m gpugrad kernels",
        description="Compile-check (no GPU needed), run on the CPU, or show gpugrad's "
                    "generated CUDA kernels.",
    )
    parser.add_argument("--check", action="store_true",
                        help="compile every kernel gpugrad can emit with NVRTC")
    parser.add_argument("--run-on-host", action="store_true",
                        help="compile every kernel's source with the host C++ compiler (g++), "
                             "run it on sampled inputs with edge values and compare with "
                             "gpugrad's NumPy evaluation; libraries are cached under "
                             "GPUGRAD_KERNEL_CACHE_DIR/host or ~/.cache/gpugrad/host-kernels")
    parser.add_argument("--arch", action="append", metavar="ARCH",
                        help="target, e.g. sm_80 or 90 (repeatable; default sm_80 and sm_90)")
    parser.add_argument("--dump", metavar="DIR", help="write every checked source to DIR")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="work in this many processes (default: half the CPUs for "
                             "--check, all of them for --run-on-host)")
    parser.add_argument("--show", metavar="OP", help="print the kernels of catalog op OP")
    parser.add_argument("--dtype", default="float32", help="dtype for --show (float32)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every kernel checked; --show: full source, 2nd order too")
    args = parser.parse_args(argv)
    if args.show:
        return show(args.show, args.dtype, args.verbose, sys.stdout)
    if args.run_on_host:
        from gpugrad.kernel.host_check import main_on_host

        return main_on_host(args.jobs or os.cpu_count() or 1, args.verbose)
    if not args.check:
        parser.print_help()
        return 0
    archs = [a for spec in (args.arch or DEFAULT_ARCHS) for a in spec.split(",") if a]
    jobs = args.jobs or max(1, (os.cpu_count() or 1) // 2)
    result = run_check(archs=archs, dump=args.dump, verbose=args.verbose, jobs=jobs)
    print(result.summary)
    return 1 if result.failed else 0
