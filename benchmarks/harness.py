"""Check one (workload, framework) case against its float64 reference, then time it.

Timing rules: check first; warm up so compilation and caches stay out of the numbers;
synchronize the device before each clock read (the timed callable ends with ``fw.sync``);
repeat and let pytest-benchmark take the median. The number of rounds is calibrated from one
timed call so every case costs about ``budget_s`` seconds, which keeps the whole suite under
ten minutes on a 2-core CPU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import optree

from benchmarks.frameworks import COMPILING, Framework
from benchmarks.workloads import Workload

MIN_ROUND_S = 1e-3  # shorter calls are repeated inside a round, so clock overhead stays small
MIN_ROUNDS, MAX_ROUNDS = 3, 500


def _leaves(tree: Any) -> list[np.ndarray]:
    # Tuples and lists are both sequences of results here (frameworks differ on which they
    # return), so both flatten the same way.
    return [np.asarray(leaf, dtype=np.float64) for leaf in optree.tree_leaves(tree)]


def check_close(result: Any, expected: Any, rtol: float, what: str = "result") -> float:
    """Largest relative error of ``result`` against the float64 ``expected`` (pytrees).

    Each leaf must have the expected shape, no NaN, and
    ``||result - expected|| <= rtol * ||expected|| + atol``, where the small ``atol`` (a
    millionth of the whole result's norm) lets a leaf whose exact value is 0 pass.
    Raises ``AssertionError`` naming the leaf otherwise.
    """
    got, want = _leaves(result), _leaves(expected)
    if len(got) != len(want):
        raise AssertionError(f"{what}: {len(got)} result arrays, expected {len(want)}")
    total = math.sqrt(sum(float(np.sum(w**2)) for w in want))
    atol = 1e-6 * max(total, 1.0)
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            raise AssertionError(f"{what}[{i}]: shape {g.shape}, expected {w.shape}")
        if not np.all(np.isfinite(g)):
            raise AssertionError(f"{what}[{i}]: not finite: {g}")
        err, scale = float(np.linalg.norm(g - w)), float(np.linalg.norm(w))
        if err > rtol * scale + atol:
            raise AssertionError(
                f"{what}[{i}]: relative error {err / max(scale, 1e-300):.3g} > {rtol} "
                f"(got {g.ravel()[:4]}, expected {w.ravel()[:4]})"
            )
        worst = max(worst, err / scale if scale > 0 else err)
    return worst


def prepare(
    workload: Workload, fw: Framework, seed: int = 0
) -> tuple[Callable[[], Any], Any, tuple[Any, ...]]:
    """``(call, expected, numpy_args)``: ``call()`` runs the case once on ``fw``'s device."""
    data = workload.make_inputs(np.random.default_rng(seed))
    args = fw.put(data)
    fn = workload.build(fw)
    return (lambda: fn(*args)), workload.expected(fw, data), data


def timed(fw: Framework, call: Callable[[], Any]) -> tuple[Any, float]:
    """One call with the device synchronized before the clock is read: ``(out, seconds)``."""
    start = time.perf_counter()
    out = call()
    fw.sync(out)
    return out, time.perf_counter() - start


def plan(seconds_per_call: float, budget_s: float) -> tuple[int, int]:
    """``(rounds, iterations)`` so a round lasts at least ``MIN_ROUND_S`` and all rounds
    together about ``budget_s`` (never fewer than ``MIN_ROUNDS``)."""
    per_call = max(seconds_per_call, 1e-7)
    iterations = max(1, math.ceil(MIN_ROUND_S / per_call))
    rounds = int(budget_s / (per_call * iterations))
    return min(max(rounds, MIN_ROUNDS), MAX_ROUNDS), iterations


def record_first_call(benchmark: Any, fw: Framework, first_s: float, steady_s: float) -> None:
    """For a framework that compiles on its first call (``jax.jit``, ``gpugrad.jit``): the
    first call's time, and its compile time (the first call less one steady-state call)."""
    if fw.name in COMPILING:
        benchmark.extra_info["first_call_s"] = first_s
        benchmark.extra_info["compile_s"] = max(first_s - steady_s, 0.0)


def run_case(
    benchmark: Any, workload: Workload, fw: Framework, budget_s: float, seed: int = 0
) -> None:
    """Check ``workload`` on ``fw`` against float64, then time it with pytest-benchmark."""
    benchmark.group = workload.name
    call, expected, _ = prepare(workload, fw, seed)
    out, first_s = timed(fw, call)  # for jax.jit: tracing and compiling, plus one run
    error = check_close(fw.get(out), expected, workload.rtol, f"{fw.name} {workload.name}")
    _, steady_s = timed(fw, call)  # warm now: this one calibrates the rounds
    rounds, iterations = plan(steady_s, budget_s)
    benchmark.extra_info.update(
        {
            "workload": workload.family,
            "size": workload.size,
            "scale": workload.scale,
            "framework": fw.name,
            "role": fw.role,
            "device": fw.device,
            "rel_error_vs_float64": error,
            "target": workload.target,
            "jit_target": workload.jit_target,
        }
    )
    record_first_call(benchmark, fw, first_s, steady_s)

    def synced() -> None:
        fw.sync(call())

    benchmark.pedantic(
        synced, rounds=rounds, iterations=iterations, warmup_rounds=1 if steady_s < 0.05 else 0
    )
