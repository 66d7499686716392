"""One case of the suite on gpugrad and its peers, timed interleaved in one process.

    python -m benchmarks.interleaved "value_and_grad logistic" 100000x100 [--peers autograd]
        [--rounds 60] [--calls 5]

The harness (``run.py``) times each framework's case in a block of its own, one after
another, so when the host's speed moves between blocks (on a shared virtual machine it
moves by tens of percent within minutes) the ratio moves with it. Here every round calls
each framework ``--calls`` times in turn, the order rotating from round to round, so a
slower stretch slows every framework alike. Each case is first checked against its float64
reference, as in the harness. Prints each framework's median and minimum time per call and
both as ratios of gpugrad's to the peer's. For steadier numbers pin the process and BLAS
from the shell (BLAS reads its thread count when NumPy loads it):
``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 taskset -c 1 python -m benchmarks.interleaved ...``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.frameworks import Framework, available_peers, make_gpugrad, resolve_backend
from benchmarks.harness import check_close, prepare, timed
from benchmarks.workloads import Workload, select


def find(family: str, size: str) -> Workload:
    """The suite's workload of ``family`` (its name's start) and ``size`` (as printed)."""
    found = [w for w in select(family=family) if w.size == size]
    if not found:
        sizes = sorted({w.size for w in select(family=family)}) or ["none: unknown family"]
        raise SystemExit(f"no case {family!r} at {size!r}; its sizes: {', '.join(sizes)}")
    return found[0]


def interleave(workload: Workload, peers: list[str], rounds: int, calls: int
               ) -> dict[str, list[float]]:
    """Seconds per call of each framework (gpugrad first), one entry per round."""
    backend, _ = resolve_backend("auto")
    frameworks = [make_gpugrad(backend), *available_peers(peers)]
    cases: list[tuple[str, Callable[[], None]]] = []
    for fw in frameworks:
        if not fw.supports(workload.transform):
            continue
        call, expected, _ = prepare(workload, fw)
        out, _ = timed(fw, call)
        check_close(fw.get(out), expected, workload.rtol, f"{fw.name} {workload.name}")
        timed(fw, call)  # warm
        cases.append((fw.name, _synced(fw, call)))
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for r in range(rounds):
        k = r % len(cases)
        for name, run in cases[k:] + cases[:k]:
            start = time.perf_counter()
            for _ in range(calls):
                run()
            times[name].append((time.perf_counter() - start) / calls)
    return times


def _synced(fw: Framework, call: Callable[[], Any]) -> Callable[[], None]:
    return lambda: fw.sync(call())


def report(times: dict[str, list[float]]) -> str:
    """A Markdown table: each framework's median and minimum, and gpugrad's ratio to it."""
    ours = times["gpugrad"]
    lines = ["| framework | median | min | gpugrad / it, median (min) |",
             "| --- | ---: | ---: | ---: |"]
    for name, t in times.items():
        med, low = statistics.median(t), min(t)
        ratio = f"{statistics.median(ours) / med:.2f}x ({min(ours) / low:.2f}x)"
        lines.append(f"| {name} | {med * 1e3:.3f} ms | {low * 1e3:.3f} ms | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("family", help='a case\'s name, or its start ("value_and_grad logistic")')
    parser.add_argument("size", help='its size as the report prints it ("100000x100", "n=4")')
    parser.add_argument("--peers", default="autograd", help="comma-separated (default autograd)")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--calls", type=int, default=5, help="calls per framework per round")
    args = parser.parse_args(argv)
    workload = find(args.family, args.size)
    times = interleave(workload, [p for p in args.peers.split(",") if p], args.rounds, args.calls)
    print(f"{workload.name}: {args.rounds} rounds of {args.calls} calls each, interleaved\n")
    print(report(times))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
