"""``python -m gpugrad kernels``: compile-check every CUDA kernel gpugrad can emit, no GPU needed.

``--check`` compiles the full CUDA source of every kernel :mod:`~gpugrad.kernel_check.items`
lists (each catalog operation's value, JVP, VJPs and second-order VJPs in every dtype it
supports; the hand-written headers in ``kernels/``; ``gpugrad.random``'s kernels) with NVRTC
for each ``--arch``. A typo in a catalog template or a helper fails here, on any machine
with NVRTC (``pip install gpugrad[nvrtc]``). It ends with one line,
``kernels: N compiled, F failed``, and exits 1 when F > 0.

``--show NAME`` prints the generated source of catalog operation NAME's kernels;
``--run-on-host`` runs every kernel on the CPU (:mod:`~gpugrad.kernel_check.host_check`).

Kernels sharing a preamble are compiled together, many per NVRTC call (each call costs a
fixed ~0.1 s of header parsing); a batch that fails is recompiled kernel by kernel, so a
failure names its kernel and carries its own log.

Example:
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.kernel_check.items import catalog_items
    >>> [i.label for i in catalog_items([C.OPS["exp"]], ["float32"])][:2]
    ['exp/value/float32', 'exp/jvp/float32']
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gpugrad.expr import catalog
from gpugrad.kernel.codegen import (
    KernelSpec,
    build_spec,
    cupy_includes,
    full_source,
    kernel_function,
)
from gpugrad.kernel.compiler import KernelCompileError, compile_to_ptx
from gpugrad.kernel_check.host_check import main_on_host
from gpugrad.kernel_check.items import CheckItem, all_items, op_roles

__all__ = ["CheckResult", "main", "run_check", "show"]

DEFAULT_ARCHS = ("80", "90")
BATCH = 150  # kernels per NVRTC call


@dataclass
class CheckResult:
    """What :func:`run_check` found: items compiled and failures (label, log)."""

    compiled: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"kernels: {self.compiled} compiled, {len(self.failed)} failed"


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
        >>> from gpugrad.kernel_check.items import catalog_items
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
        return main_on_host(args.jobs or os.cpu_count() or 1, args.verbose)
    if not args.check:
        parser.print_help()
        return 0
    archs = [a for spec in (args.arch or DEFAULT_ARCHS) for a in spec.split(",") if a]
    jobs = args.jobs or max(1, (os.cpu_count() or 1) // 2)
    result = run_check(archs=archs, dump=args.dump, verbose=args.verbose, jobs=jobs)
    print(result.summary)
    return 1 if result.failed else 0
