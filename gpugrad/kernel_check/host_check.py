"""``python -m gpugrad kernels --run-on-host``: run every kernel gpugrad can emit on the CPU.

The kernels are those ``--check`` compiles
(:func:`~gpugrad.kernel_check.items.catalog_items`: every catalog operation's value, JVP,
VJPs, multi-output VJP and second-order VJPs, in each real dtype: ``kernels/host_shim.h``
has no ``thrust::complex``, so the complex kernels are compiled by NVRTC only) and the
``gg_*`` helpers called directly (:func:`helper_items`), built from the same
:class:`~gpugrad.kernel.codegen.KernelSpec` the GPU gets, plus the PRNG kernels of
``gpugrad.random`` against its NumPy path (:mod:`gpugrad.kernel_check.host_random`),
compiled with the host C++ compiler (:mod:`gpugrad.kernel.host`), run on sampled inputs
with edge values, and compared with gpugrad's NumPy evaluation of the same expression
(:mod:`gpugrad.kernel_check.host_samples` says how, and within which tolerance). It prints
each difference (kernel, input, both values) and ends with ``kernels on host: N run, F
differ``.

Operations are split into fixed groups (:data:`OPS_PER_LIBRARY` each, so that a group's
source, hence its cache key, does not depend on ``--jobs``), one shared library per group,
the groups spread over a process pool.

Example:
    >>> from gpugrad.expr import catalog as C
    >>> result = run_host_check(host_items([C.OPS["exp"]], ["float32"]))
    >>> result.summary
    'kernels on host: 5 run, 0 differ'
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from gpugrad.config import config
from gpugrad.expr import catalog
from gpugrad.expr.language import Expr, OpSpec, evaluation_order
from gpugrad.kernel.codegen import KernelSpec, build_spec, compute_dtype, ctype, header_text
from gpugrad.kernel.host import HostLibrary, compiler
from gpugrad.kernel_check.host_random import run_random
from gpugrad.kernel_check.host_samples import UNIT_SCALE_OPS, accept, sample_inputs
from gpugrad.kernel_check.items import op_dtypes, op_roles
from gpugrad.primitives import special_math
from gpugrad.primitives.elementwise_eval import many_function, numpy_function

__all__ = ["HostItem", "HostResult", "helper_items", "host_items", "main_on_host",
           "run_host_check"]

Array = np.ndarray[Any, Any]
OPS_PER_LIBRARY = 6
HELPERS = "gg_* helpers"  # the group of kernels calling kernels/gpugrad_math.cuh directly
RANDOM = "gpugrad.random kernels"  # kernels/threefry.cuh and gpugrad.random.cuda_kernels's bodies
SHOWN_PER_KERNEL = 3  # differences listed per kernel (all are counted)


@dataclass(frozen=True)
class HostItem:
    """A kernel to run: ``label`` as ``--check`` names it, its expression and its spec."""

    label: str
    expr: Expr | tuple[Expr, ...] | None
    spec: KernelSpec
    # For a kernel that is no catalog expression (a gg_* helper called directly): the NumPy
    # function it is compared with, taking the inputs and returning the output.
    reference: Callable[..., Any] | None = None


@dataclass
class HostResult:
    """Kernels run, and per differing kernel the lines describing its differences."""

    run: int = 0
    differ: dict[str, list[str]] = field(default_factory=dict)
    libraries: int = 0
    cached: int = 0

    @property
    def summary(self) -> str:
        return f"kernels on host: {self.run} run, {len(self.differ)} differ"

    def merge(self, other: HostResult) -> None:
        self.run += other.run
        self.differ.update(other.differ)
        self.libraries += other.libraries
        self.cached += other.cached


def host_items(ops: Iterable[OpSpec] | None = None,
               dtypes: Sequence[str] | None = None) -> list[HostItem]:
    """The kernels of ``ops`` (all of the catalog's) in ``dtypes`` (all), as ``--check``
    enumerates them (:func:`~gpugrad.kernel_check.items.catalog_items`)."""
    chosen = sorted(catalog.OPS.values(), key=lambda o: o.name) if ops is None else ops
    items = []
    for op in chosen:
        for dtype in op_dtypes(op):
            if dtypes is None or dtype in dtypes:
                for role, expr, in_dtypes in op_roles(op, dtype):
                    label = f"{op.name}/{role}/{dtype}"
                    items.append(HostItem(label, expr, build_spec(expr, in_dtypes)))
    return items


# --- the gg_* helpers called directly ---------------------------------------------------

FLOAT_TYPES = ("float32", "float64")
INT_TYPES = ("int32", "int64", "uint32")


def _int_negative_power(x: Array, n: int) -> Array:
    """C's truncated x**n for n < 0 (NumPy refuses negative integer powers): 1 at x = 1,
    (-1)**n at x = -1, else 0, as the header documents."""
    one = np.ones_like(x)
    if x.dtype.kind == "u":
        return np.where(x == 1, one, 0 * one)
    minus = one if n % 2 == 0 else -one
    return np.where(x == 1, one, np.where(x == -1, minus, 0 * one))


# (helper call with x0, x1, the NumPy reference, number of inputs, the dtypes it applies to)
_HELPERS: list[tuple[str, str, Callable[..., Array], int, tuple[str, ...]]] = [
    ("gg_ipow", "gg_ipow(x0, 3)", lambda x: np.power(x, 3), 1, FLOAT_TYPES + INT_TYPES),
    ("gg_ipow_neg", "gg_ipow(x0, -2)", lambda x: np.power(x, -2.0), 1, FLOAT_TYPES),
    ("gg_ipow_neg", "gg_ipow(x0, -3)", lambda x: _int_negative_power(x, -3), 1, INT_TYPES),
    ("gg_maximum", "gg_maximum(x0, x1)", np.maximum, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_minimum", "gg_minimum(x0, x1)", np.minimum, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_floor_divide", "gg_floor_divide(x0, x1)", np.floor_divide, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_remainder", "gg_remainder(x0, x1)", np.remainder, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_sign", "gg_sign(x0)", np.sign, 1, FLOAT_TYPES + INT_TYPES),
    ("gg_logaddexp", "gg_logaddexp(x0, x1)", np.logaddexp, 2, FLOAT_TYPES),
    ("gg_softplus", "gg_softplus(x0)", lambda x: np.logaddexp(x.dtype.type(0), x), 1,
     FLOAT_TYPES),
    ("gg_sigmoid", "gg_sigmoid(x0)", special_math.expit, 1, FLOAT_TYPES),
    ("gg_digamma", "gg_digamma(x0)", special_math.digamma, 1, FLOAT_TYPES),
    ("gg_polygamma", "gg_polygamma((T)3, x0)", lambda x: special_math.polygamma(3, x), 1,
     FLOAT_TYPES),
]


def _helper_spec(label: str, call: str, dtype: np.dtype[Any], arity: int) -> KernelSpec:
    name = "gg_helper_" + label.replace("/", "_")
    params = ", ".join(f"{dtype.name} x{i}" for i in range(arity))
    return KernelSpec(
        name=name,
        in_params=params,
        out_params=f"{dtype.name} out0",
        operation=f"out0 = {call};",
        preamble=f"{header_text()}\ntypedef {ctype(dtype)} T;\n",
        in_dtypes=(dtype,) * arity,
        out_dtype=dtype,
        out_dtypes=(dtype,),
    )


def helper_items() -> list[HostItem]:
    """A :class:`HostItem` per ``gg_*`` helper and C type it supports: the catalog's
    kernels reach most helpers, but ``gg_softplus`` is in no template, ``gg_ipow`` meets a
    negative exponent only in float kernels, and no catalog kernel is unsigned. Each is
    compared with the NumPy function that states the helper's contract (its comment in
    ``kernels/gpugrad_math.cuh``).

    Example:
        >>> labels = [i.label for i in helper_items()]
        >>> "gg_softplus/float32" in labels and "gg_remainder/uint32" in labels
        True
    """
    items = []
    for helper, call, reference, arity, dtypes in _HELPERS:
        for name in dtypes:
            label = f"{helper}/{name}"
            spec = _helper_spec(label, call, np.dtype(name), arity)
            items.append(HostItem(label, None, spec, reference))
    return items


def _evaluate(item: HostItem, inputs: Sequence[Array]) -> list[Array]:
    """gpugrad's NumPy evaluation of ``item.expr`` on ``inputs``, one array per output."""
    n = len(inputs[0])
    with np.errstate(all="ignore"):
        if item.reference is not None or item.expr is None:
            assert item.reference is not None, f"{item.label}: no expression, no reference"
            values = [item.reference(*inputs)]
        elif isinstance(item.expr, tuple):
            values = list(many_function(item.expr, len(inputs))(np, *inputs))
        else:
            values = [numpy_function(item.expr, len(inputs))(np, *inputs)]
    return [np.broadcast_to(np.asarray(v), (n,)) for v in values]


def _scale(item: HostItem, wide: Sequence[Array]) -> Array:
    """Per element, the largest finite magnitude of any intermediate value (float64)."""
    n = len(wide[0])
    scale = np.zeros(n)
    if item.expr is None:
        return scale
    roots = item.expr if isinstance(item.expr, tuple) else (item.expr,)
    for node in evaluation_order(roots if len(roots) > 1 else roots[0]):
        with np.errstate(all="ignore"):
            value = np.broadcast_to(numpy_function(node, len(wide))(np, *wide), (n,))
        magnitude = np.abs(np.asarray(value, dtype=np.float64))
        if isinstance(node.op, OpSpec) and node.op.name in UNIT_SCALE_OPS:
            magnitude = np.fmax(magnitude, 1.0)
        scale = np.fmax(scale, np.where(np.isfinite(magnitude), magnitude, 0.0))
    return scale


def _as(dtype: np.dtype[Any], values: Sequence[Array]) -> list[Array]:
    return [v.astype(dtype) if v.dtype.kind == "f" else v for v in values]


def compare(item: HostItem, library: HostLibrary) -> list[str]:
    """Run ``item`` on the host and on NumPy; a line per differing element (empty: none)."""
    spec = item.spec
    inputs = sample_inputs(spec.in_dtypes, spec.name)
    host = library.run(spec, inputs)
    compute = compute_dtype(spec.in_dtypes)
    floating = compute.kind == "f"
    # float16 kernels compute in float and round once (codegen), so NumPy does it in float32.
    narrow = _as(np.dtype(np.float32), inputs) if compute == np.float16 else list(inputs)
    with np.errstate(all="ignore"):  # float32 values beyond float16's range become inf
        reference = [v.astype(d) for v, d in zip(_evaluate(item, narrow), spec.out_dtypes)]
    wide = _as(np.dtype(np.float64), inputs) if floating else list(inputs)
    truth = _evaluate(item, wide) if floating and compute != np.float64 else None
    lines: list[str] = []
    for k, (h, r) in enumerate(zip(host, reference)):
        ok = accept(h, r, None if truth is None else np.asarray(truth[k], np.float64), None)
        if not ok.all() and h.dtype.kind == "f":
            ok = accept(h, r, None if truth is None else np.asarray(truth[k], np.float64),
                        _scale(item, wide))
        for j in np.flatnonzero(~ok):
            args = ", ".join(f"x{i}={a[j]!r}" for i, a in enumerate(inputs))
            lines.append(f"{item.label} {spec.name} out{k} at ({args}): "
                         f"host={h[j]!r}, numpy={r[j]!r}")
    return lines


def run_items(items: Sequence[HostItem]) -> HostResult:
    """Compile ``items`` into one library and compare each (in this process)."""
    library = HostLibrary([i.spec for i in items])
    result = HostResult(run=len(items), libraries=1, cached=int(library.cached))
    for item in items:
        lines = compare(item, library)
        if lines:
            result.differ[item.label] = lines
    return result


def _run_ops(work: tuple[Sequence[str], Any]) -> HostResult:
    names, folder = work
    config.update("kernel_cache_dir", folder)  # a spawned worker uses the parent's cache
    if list(names) == [HELPERS]:
        return run_items(helper_items())
    if list(names) == [RANDOM]:
        run, differ, cached = run_random()
        return HostResult(run=run, differ=differ, libraries=1, cached=int(cached))
    return run_items(host_items([catalog.OPS[n] for n in names]))


def run_host_check(items: Sequence[HostItem] | None = None, jobs: int = 1,
                   stream: TextIO | None = None, verbose: bool = False) -> HostResult:
    """Run ``items`` (every kernel of the catalog when None, in groups over ``jobs``
    processes) and print each difference to ``stream``."""
    stream = sys.stdout if stream is None else stream
    result = HostResult()
    if items is not None:
        result.merge(run_items(items))
    else:
        names = sorted(catalog.OPS)
        folder = config.kernel_cache_dir
        groups = [(names[k : k + OPS_PER_LIBRARY], folder)
                  for k in range(0, len(names), OPS_PER_LIBRARY)]
        groups += [([RANDOM], folder), ([HELPERS], folder)]
        if jobs > 1:
            context = multiprocessing.get_context("spawn")  # no fork of a CUDA-aware process
            with ProcessPoolExecutor(min(jobs, len(groups)), mp_context=context) as pool:
                parts = list(pool.map(_run_ops, groups))
        else:
            parts = [_run_ops(g) for g in groups]
        for part in parts:
            result.merge(part)
    for label, lines in sorted(result.differ.items()):
        shown = lines if verbose else lines[:SHOWN_PER_KERNEL]
        for line in shown:
            print(f"DIFFERS {line}", file=stream)
        if len(lines) > len(shown):
            print(f"DIFFERS {label}: {len(lines) - len(shown)} more elements (-v lists all)",
                  file=stream)
    return result


def main_on_host(jobs: int, verbose: bool = False) -> int:
    """``python -m gpugrad kernels --run-on-host``: run everything, print the libraries
    used, the time taken and the summary line; the exit status is 1 if any kernel differs."""
    start = time.perf_counter()
    result = run_host_check(jobs=jobs, verbose=verbose)
    print(f"host libraries: {result.libraries} ({result.cached} from the cache), "
          f"{compiler()[1]}, {jobs} processes, {time.perf_counter() - start:.1f} s")
    print(result.summary)
    return 1 if result.differ else 0
