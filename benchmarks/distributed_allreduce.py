"""The cost of ``gpugrad.distributed.all_reduce`` against MPI's own floor, and weak scaling.

    python -m benchmarks.distributed_allreduce [--processes 2] [--calls 400]

Started without a launcher, it starts itself under ``mpiexec -n PROCESSES`` for the first
part and runs the data-parallel example with 1 and then PROCESSES processes for the second:

1. ``all_reduce`` (sum, and mean) of the gradients of the MLP 784-512-512-10 (669,706
   float32 in 6 leaves, a list of dicts) against mpi4py's blocking ``Allreduce`` of one
   preallocated float32 buffer of the same size (no packing, no tree, no check), from a
   second buffer and in place. The two-buffer call keeps its input, as ``all_reduce`` keeps
   the caller's arrays: it is the like-for-like floor, whose ratio's goal is 1.2 at most.
   The in-place call overwrites its input and copies nothing; the ratio to the faster of
   the two is printed too. Blocks of calls of each kind alternate, after a barrier, so that
   the load of a shared machine falls on all alike; the median block gives the time per
   call, the quartiles its spread.
2. Weak scaling of ``python -m gpugrad.examples.data_parallel --no-check`` (the same
   points per process, so ideal scaling keeps the steps per second constant).
On NumPy arrays (MPI); with CuPy arrays the all_reduce would go over NCCL instead.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

LAYER_SIZES = (784, 512, 512, 10)
MPIEXEC = Path(sys.executable).parent / "mpiexec"
ROOT = Path(__file__).resolve().parent.parent


def gradients(seed: int) -> list[dict[str, np.ndarray]]:
    """A tree shaped like the MLP's gradients (values from ``seed``)."""
    rng = np.random.default_rng(seed)
    return [{"w": rng.standard_normal((n_in, n_out)).astype(np.float32),
             "b": rng.standard_normal(n_out).astype(np.float32)}
            for n_in, n_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:])]


def _time_blocks(kinds: dict[str, Callable[[], Any]], calls: int, blocks: int
                 ) -> dict[str, list[float]]:
    """The mean time per call of each kind in each of ``blocks`` blocks (interleaved)."""
    from gpugrad import distributed

    samples: dict[str, list[float]] = {name: [] for name in kinds}
    per_block = max(1, calls // blocks)
    for _ in range(blocks):
        for name, call in kinds.items():
            distributed.barrier()
            start = time.perf_counter()
            for _ in range(per_block):
                call()
            samples[name].append((time.perf_counter() - start) / per_block)
    return samples


def measure_all_reduce(calls: int) -> None:
    """Part 1, in each process of ``mpiexec``."""
    from mpi4py import MPI

    from gpugrad import distributed

    distributed.initialize()
    rank = distributed.rank()
    tree = gradients(rank)
    count = sum(leaf.size for d in tree for leaf in d.values())
    send = np.random.default_rng(rank).standard_normal(count).astype(np.float32)
    recv = np.empty_like(send)
    # Summed in place call after call, the values must stay finite and normal: zeros do (the
    # speed of a float addition does not depend on the values, except for subnormals).
    in_place = np.zeros(count, np.float32)
    comm = MPI.COMM_WORLD
    want = distributed.all_reduce(tree, "sum")  # warm the caches; check the values once
    np.testing.assert_allclose(want[0]["w"], sum(gradients(r)[0]["w"]
                                                 for r in range(distributed.size())),
                               rtol=1e-6)
    del want  # a result kept alive would keep all_reduce from reusing its buffer
    floors = {
        "Allreduce, two buffers": lambda: comm.Allreduce(send, recv, op=MPI.SUM),
        "Allreduce, in place": lambda: comm.Allreduce(MPI.IN_PLACE, in_place, op=MPI.SUM),
    }
    kinds = {
        **floors,
        "all_reduce sum": lambda: distributed.all_reduce(tree, "sum"),
        "all_reduce mean": lambda: distributed.all_reduce(tree, "mean"),
    }
    blocks = 40
    times = _time_blocks(kinds, calls, blocks)
    if rank == 0:
        medians = {name: float(np.median(samples)) for name, samples in times.items()}
        # Two floors: the two-buffer Allreduce keeps its input, as all_reduce keeps the
        # caller's arrays (the like-for-like floor); the in-place one overwrites it and
        # copies nothing, a floor no collective that leaves its input alone can reach.
        same = medians["Allreduce, two buffers"]
        faster = min(medians[name] for name in floors)
        print(f"{distributed.size()} processes, {count} float32 in {2 * len(tree)} leaves, "
              f"{os.cpu_count()} CPUs; per call, median [quartiles] of {blocks} blocks; "
              "ratios to the two-buffer Allreduce (input kept, as all_reduce keeps it) "
              "and to the faster of the two:")
        for name, samples in times.items():
            low, high = np.percentile(samples, [25, 75])
            print(f"  {name:24s} {medians[name] * 1e3:7.3f} ms [{low * 1e3:6.3f} "
                  f"{high * 1e3:6.3f}]  {medians[name] / same:5.2f}x two-buffer  "
                  f"{medians[name] / faster:5.2f}x faster")


def weak_scaling(processes: int, steps: int) -> None:
    """Part 2: the example's steps per second on 1 and ``processes`` processes."""
    for n in (1, processes):
        out = _run_under_mpiexec(n, ["-m", "gpugrad.examples.data_parallel", "--no-check",
                                     "--steps", str(steps)])
        rate = re.search(r"([0-9.]+) steps/s", out)
        print(f"  data_parallel, {n} process(es): {rate.group(1) if rate else out} steps/s")


def _run_under_mpiexec(n: int, args: list[str]) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([str(MPIEXEC), "-n", str(n), sys.executable, *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=True)
    return proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        measure_all_reduce(args.calls)
        return
    print(_run_under_mpiexec(args.processes, ["-m", "benchmarks.distributed_allreduce",
                                              "--inside", "--calls", str(args.calls)]), end="")
    print("weak scaling (the same points per process):")
    weak_scaling(args.processes, args.steps)


if __name__ == "__main__":
    main()
