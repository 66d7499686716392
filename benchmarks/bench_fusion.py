"""Benchmark: backward-pass fusion made visible, one elementwise chain's gradient seven ways.

The workload is ``f(x) = sum(exp(-x**2) * sin(3x) + log1p(x**2))`` on float32 ``x`` of
``n`` elements. Its variants, run side by side in one benchmark group per size:

  gpugrad fused       ``gpugrad.grad(f)`` with ``config.fuse_backward`` on (the default)
  gpugrad unfused     the same with ``config.fuse_backward`` off (one evaluation per VJP)
  gpugrad.jit         ``gpugrad.jit(gpugrad.grad(f))``: the traced program, fused and compiled
  <ns> hand-written   the gradient written out with NumPy (or CuPy) ops:
                      ``exp(-x**2) * (-2x sin(3x) + 3 cos(3x)) + 2x / (1 + x**2)``
  <ns> forward        ``f`` itself, no derivative: the floor
  autograd, jax.jit   HIPS autograd's ``grad(f)`` and ``jax.jit(jax.grad(f))``, when installed

Each result is checked against a float64 closed form before anything is timed. Besides the
median time, each variant's peak memory during one call (after a warm-up call) is recorded
in ``extra_info`` in units of arrays of the input's size (``peak_bytes / x.nbytes``; the
gradient itself is one such array):

  NumPy (gpugrad, the floor, autograd)  ``tracemalloc``, started just before the call and
      stopped after it: NumPy reports its data buffers to it. Python objects count too (a
      few kB: noise at n=1e5 and above).
  CuPy (gpugrad, the floor)  a CuPy memory hook that adds each block the memory pool hands
      out during the call and subtracts it when given back: the pool's peak in use,
      rounded to its 512-byte blocks. Blocks cached in the pool are not counted.
  jax.jit  XLA's allocation plan of the compiled program (temporaries plus outputs).
      XLA's allocator reports to neither of the above.

gpugrad's targets, marked in the report: median time at most ``TIME_GOAL`` times the
forward's, peak at most the forward's peak plus ``MEMORY_GOAL`` array (the gradient).

``conftest.py`` parametrizes :func:`test_backward_fusion` over (size x variant). Sizes:
n=1e6 and 1e7; n=1e5 in the quick run (``--bench-scale small``); any with
``--bench-fusion-sizes 1e6,1e7``. ``report.py`` gives the group a table of its own.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.frameworks import FLOOR, GPUGRAD, GPUGRAD_JIT, PEER, Framework
from benchmarks.workloads import _chain_ref, _sized, elementwise_chain

FAMILY = "backward fusion: sum(exp(-x**2) sin(3x) + log1p(x**2))"
HAND = "hand-written"
SIZES = {"small": (100_000,), "large": (1_000_000, 10_000_000)}  # the quick run: small
TIME_GOAL, MEMORY_GOAL = 1.5, 1.0  # gpugrad: <= 1.5x forward time, <= forward peak + 1 array
FUSION_PEERS = ("autograd", "jax.jit")
RTOL = 1e-3


def group_name(n: int) -> str:
    return f"{FAMILY} {_sized(n)}"


def sizes(scales: tuple[str, ...], override: str = "") -> list[int]:
    """The sizes to run: ``override`` ("1e6,1e7") when given, else those of ``scales``."""
    if override:
        return [int(float(s)) for s in override.split(",") if s.strip()]
    return [n for scale in scales for n in SIZES[scale]]


@contextmanager
def backward_fusion(on: bool) -> Iterator[None]:
    """``gpugrad.config.fuse_backward`` set to ``on`` inside, restored after (even on error)."""
    from gpugrad.config import config

    before = config.fuse_backward
    config.update("fuse_backward", on)
    try:
        yield
    finally:
        config.update("fuse_backward", before)


def hand_written_grad(ns: Any) -> Callable[[Any], Any]:
    """The closed-form gradient composed of plain backend ops (no autodiff)."""
    return lambda x: (
        ns.exp(-(x**2)) * (-2 * x * ns.sin(3 * x) + 3 * ns.cos(3 * x)) + 2 * x / (1 + x**2)
    )


@dataclass(frozen=True)
class Variant:
    """One way of computing the gradient (or, for the floor, the forward) of the chain."""

    name: str
    kind: str  # GPUGRAD, HAND, FLOOR or PEER
    fw: Framework  # device transfer and synchronization
    order: int  # its row in the report's table
    fused: bool | None = None  # gpugrad's config.fuse_backward for this variant

    def __repr__(self) -> str:  # pytest-benchmark writes params' reprs into the JSON
        return f"Variant({self.name!r})"

    def build(self) -> Callable[[Any], Any]:
        """The function one timed call runs."""
        ns = self.fw.ns
        if self.kind == FLOOR:
            return elementwise_chain(ns)
        if self.kind == HAND:
            return hand_written_grad(ns)
        g = self.fw.wrap(self.fw.T.grad(elementwise_chain(ns)))
        if self.fused is None:
            return g
        fused = self.fused

        def with_config(x: Any) -> Any:
            with backward_fusion(fused):
                return g(x)

        return with_config

    def expected(self, x: np.ndarray) -> Any:
        """The float64 value of this variant's result on ``x``."""
        x64 = x.astype(np.float64)
        return elementwise_chain(np)(x64) if self.kind == FLOOR else _chain_ref(x64)

    @property
    def memory_method(self) -> str:
        if self.fw.name == "jax.jit":
            return "XLA plan"
        return "CuPy pool hook" if self.fw.device == "cuda" else "tracemalloc"


def variants(frameworks: list[Framework]) -> list[Variant]:
    """The variants the given frameworks allow, in table order (peers only when present)."""
    by_name = {fw.name: fw for fw in frameworks}
    gg = by_name[GPUGRAD]
    (floor,) = (fw for fw in frameworks if fw.role == FLOOR)
    ns = floor.name.split()[0]  # "numpy" or "cupy"
    found = [
        Variant("gpugrad fused", GPUGRAD, gg, 0, fused=True),
        Variant("gpugrad unfused", GPUGRAD, gg, 1, fused=False),
        Variant(f"{ns} {HAND}", HAND, floor, 2),
        Variant(floor.name, FLOOR, floor, 3),
    ]
    if GPUGRAD_JIT in by_name:
        found.append(Variant(GPUGRAD_JIT, GPUGRAD, by_name[GPUGRAD_JIT], 4))
    peers = {fw.name: fw for fw in frameworks if fw.role == PEER}
    for i, name in enumerate(FUSION_PEERS):
        if name in peers:
            found.append(Variant(name, PEER, peers[name], 5 + i))
    return found


# --- peak memory ------------------------------------------------------------------------


def make_peak_hook() -> Any:
    """A CuPy memory hook whose ``peak`` is the most bytes the pool had handed out at once
    while it was installed (``with hook:``), counting only blocks taken while installed."""
    from cupy.cuda import memory_hook

    class PeakHook(memory_hook.MemoryHook):  # type: ignore[misc]
        name = "benchmarks.bench_fusion.PeakHook"

        def __init__(self) -> None:
            self.live: dict[int, int] = {}  # pointer -> bytes, for blocks taken while hooked
            self.used = self.peak = 0

        def malloc_postprocess(self, **kw: Any) -> None:
            self.live[kw["mem_ptr"]] = kw["mem_size"]
            self.used += kw["mem_size"]
            self.peak = max(self.peak, self.used)

        def free_postprocess(self, **kw: Any) -> None:
            # A block taken before the hook (say, the warm-up's result) is not ours.
            self.used -= self.live.pop(kw["mem_ptr"], 0)

    return PeakHook()


def _cupy_peak(call: Callable[[], Any], sync: Callable[[Any], None]) -> int:
    """Peak bytes CuPy's memory pool had in use during ``call``, beyond what it held before."""
    hook = make_peak_hook()
    with hook:
        sync(call())
    return int(hook.peak)


def _tracemalloc_peak(call: Callable[[], Any]) -> int:
    """Peak bytes traced (NumPy's buffers and Python objects) during ``call``."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _xla_peak(fn: Any, x: Any) -> int:
    stats = fn.lower(x).compile().memory_analysis()
    return int(stats.temp_size_in_bytes + stats.output_size_in_bytes)


def peak_bytes(variant: Variant, fn: Callable[[Any], Any], x: Any) -> int:
    """Peak memory of one call of ``fn(x)``, after a warm-up call (see the module's doc)."""
    if variant.memory_method == "XLA plan":
        return _xla_peak(fn, x)
    variant.fw.sync(fn(x))  # warm-up: caches, compiled kernels, the first fresh pages
    gc.collect()  # nothing left over from earlier calls is freed during the measured one
    if variant.memory_method == "CuPy pool hook":
        return _cupy_peak(lambda: fn(x), variant.fw.sync)
    return _tracemalloc_peak(lambda: fn(x))


# --- the benchmark ------------------------------------------------------------------------


def run_variant(benchmark: Any, variant: Variant, n: int, budget_s: float, seed: int = 0) -> None:
    """Check ``variant`` at size ``n`` against float64, measure its peak memory, time it."""
    benchmark.group = group_name(n)
    fw = variant.fw
    x_np = np.asarray(np.random.default_rng(seed).standard_normal(n), dtype=np.float32)
    (x,) = fw.put((x_np,))
    fn = variant.build()
    out, first_s = harness.timed(fw, lambda: fn(x))  # jax.jit: trace and compile, plus a run
    error = harness.check_close(fw.get(out), variant.expected(x_np), RTOL, variant.name)
    del out
    peak = peak_bytes(variant, fn, x)
    _, steady_s = harness.timed(fw, lambda: fn(x))  # warm: this one calibrates the rounds
    rounds, iterations = harness.plan(steady_s, budget_s)
    benchmark.extra_info.update(
        {
            "suite": "fusion",
            "variant": variant.name,
            "kind": variant.kind,
            "order": variant.order,
            "n": n,
            "size": _sized(n),
            "device": fw.device,
            "rel_error_vs_float64": error,
            "input_bytes": int(x_np.nbytes),
            "peak_bytes": peak,
            "peak_arrays": peak / x_np.nbytes,
            "peak_method": variant.memory_method,
        }
    )
    if variant.kind == GPUGRAD:
        benchmark.extra_info["fuse_backward"] = variant.fused
        benchmark.extra_info["goals"] = {"time_vs_forward": TIME_GOAL, "memory": MEMORY_GOAL}
    harness.record_first_call(benchmark, fw, first_s, steady_s)

    def synced() -> None:
        fw.sync(fn(x))

    benchmark.pedantic(
        synced, rounds=rounds, iterations=iterations, warmup_rounds=1 if steady_s < 0.05 else 0
    )


def test_backward_fusion(benchmark: Any, fusion_size: int, fusion_variant: Variant, budget: float):
    """``f(x) = sum(exp(-x**2) sin(3x) + log1p(x**2))``: its gradient, float32, size n."""
    run_variant(benchmark, fusion_variant, fusion_size, budget)
