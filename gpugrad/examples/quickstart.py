"""``python -m gpugrad quickstart``: the three seed tutorials, then a short benchmark.

The tutorials run with gpugrad in JAX's place and print what they print. The benchmark
times a handful of the suite's cases (``benchmarks/`` has the full one) with gpugrad, HIPS
autograd when it is installed, and the plain NumPy (or CuPy) forward pass, each result
checked against its closed form first, and prints their medians and gpugrad's ratios. It is
self-contained, so it runs from an installed wheel; on a 2-core CPU it takes seconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.backend import backend_reason
from gpugrad.examples import grad_and_argnums, grad_jacrev_pipelines, higher_order_and_logistic

Fn = Callable[..., Any]


def _seeds() -> None:
    for title, module in (
        ("seed 000: jax.grad", grad_and_argnums),
        ("seed 001: higher derivatives, logistic regression", higher_order_and_logistic),
        ("seed 002: grad, jacrev, argnums", grad_jacrev_pipelines),
    ):
        print(f"\n=== {title} ===")
        module.main()


# --- the short benchmark --------------------------------------------------------------------


def _forwards(ns: Any) -> dict[str, Fn]:
    """The forward functions, written once over a NumPy-like namespace ``ns``."""

    def logistic(W: Any, b: Any, X: Any, y: Any) -> Any:  # seed 001's loss
        p = 0.5 * (ns.tanh((X @ W + b) / 2) + 1)
        return -ns.sum(ns.log(p * y + (1 - p) * (1 - y)))

    return {
        "sum_squares": lambda x: ns.sum(x**2),
        "tanh": ns.tanh,
        "logistic": logistic,
        "sin_squared": lambda x: ns.sum(ns.sin(x) ** 2),
    }


def _cases(rng: np.random.Generator, large: bool) -> list[tuple[str, str, tuple[Any, ...], Fn]]:
    """``(label, forward name, float32 args, float64 reference of the derivative)``."""

    def logistic_args(m: int, d: int) -> tuple[Any, ...]:
        W = (rng.standard_normal(d) / np.sqrt(d)).astype(np.float32)
        X = rng.standard_normal((m, d)).astype(np.float32)
        return W, np.float32(0.1), X, (rng.random(m) < 0.5).astype(np.float32)

    def logistic_ref(W: Any, b: Any, X: Any, y: Any) -> Any:
        p = 1 / (1 + np.exp(-(X @ W + b)))
        return X.T @ (p - y), np.sum(p - y)

    def tanh3(x: Any) -> Any:
        t2 = np.tanh(x) ** 2
        return (1 - t2) * (6 * t2 - 2)

    def vec(n: int) -> tuple[Any, ...]:
        return (rng.standard_normal(n).astype(np.float32),)

    cases: list[tuple[str, str, tuple[Any, ...], Fn]] = [
        ("grad sum(x**2) n=4", "sum_squares", vec(4), lambda x: 2 * x),
        ("grad^3 tanh scalar", "tanh", (np.float32(0.7),), tanh3),
        ("value_and_grad logistic 4x3", "logistic", logistic_args(4, 3), logistic_ref),
        ("grad sum(sin(x)**2) n=3", "sin_squared", vec(3), lambda x: np.sin(2 * x)),
    ]
    if large:
        cases += [
            ("grad sum(x**2) n=1e6", "sum_squares", vec(10**6), lambda x: 2 * x),
            ("grad sum(sin(x)**2) n=1e6", "sin_squared", vec(10**6), lambda x: np.sin(2 * x)),
            (
                "value_and_grad logistic 1e5x100",
                "logistic",
                logistic_args(10**5, 100),
                logistic_ref,
            ),
        ]
    return cases


def _derivative(T: Any, name: str, f: Fn) -> Fn:
    if name == "tanh":
        return T.grad(T.grad(T.grad(f)))
    if name == "logistic":
        return lambda *a: T.value_and_grad(f, (0, 1))(*a)[1]
    return T.grad(f)


def median_time(call: Fn, sync: Fn, budget_s: float) -> float:
    """Median seconds of ``call()`` (device synchronized) over about ``budget_s``."""
    sync(call())  # warm-up: caches, kernel compilation
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < 5 or (time.perf_counter() < deadline and len(times) < 20_000):
        start = time.perf_counter()
        sync(call())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _check(name: str, got: Any, want: Any) -> None:
    got_leaves = gpugrad.tree_util.tree_leaves(gpugrad.device_get(got))
    for g, w in zip(got_leaves, gpugrad.tree_util.tree_leaves(want)):
        g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
        if np.linalg.norm(g - w) > 1e-3 * np.linalg.norm(w) + 1e-6:
            raise AssertionError(f"{name}: gpugrad gives {g}, float64 reference {w}")


def _frameworks() -> list[tuple[str, Any, Any, Fn, Fn]]:
    """``(name, namespace, transforms or None, put, sync)`` for each contender present."""
    backend = gpugrad.default_backend()
    if backend == "cupy":
        import cupy  # optional: CuPy, only with a GPU

        def sync(_: Any) -> None:
            cupy.cuda.Device().synchronize()

        fw = [
            ("gpugrad", gnp, gpugrad, gpugrad.device_put, sync),
            ("cupy forward", cupy, None, cupy.asarray, sync),
        ]
    else:
        fw = [
            ("gpugrad", gnp, gpugrad, np.asarray, lambda _: None),
            ("numpy forward", np, None, np.asarray, lambda _: None),
        ]
    try:
        import autograd  # optional: a contender when installed
        import autograd.numpy as anp  # optional: a contender when installed
    except ImportError:
        return fw
    return fw[:1] + [("autograd", anp, autograd, np.asarray, lambda _: None)] + fw[1:]


def fmt_time(seconds: float | None) -> str:
    """A duration, three significant digits in a readable unit.

    Example:
        >>> fmt_time(3.2e-5), fmt_time(0.1234), fmt_time(4e-7)
        ('32 µs', '123 ms', '400 ns')
    """
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def benchmark(budget_s: float = 0.25, large: bool = True) -> list[dict[str, Any]]:
    """Time the cases; print and return one row per case (medians in seconds)."""
    contenders = _frameworks()
    names = [c[0] for c in contenders]
    rows = []
    for label, fname, args, ref in _cases(np.random.default_rng(0), large):
        row: dict[str, Any] = {"case": label}
        for name, ns, T, put, sync in contenders:
            f = _forwards(ns)[fname]
            fn = f if T is None else _derivative(T, fname, f)
            dev_args = tuple(put(a) for a in args)
            if name == "gpugrad":  # checked against float64 before it is timed
                _check(label, fn(*dev_args), ref(*(np.asarray(a, np.float64) for a in args)))
            row[name] = median_time(lambda fn=fn, a=dev_args: fn(*a), sync, budget_s)
        rows.append(row)
    floor = names[-1]
    head = [
        "case",
        *names,
        *(["gpugrad/autograd"] if "autograd" in names else []),
        f"gpugrad/{floor}",
    ]
    print("| " + " | ".join(head) + " |\n|" + " --- |" * len(head))
    for row in rows:
        cells = [row["case"], *(fmt_time(row[n]) for n in names)]
        if "autograd" in names:
            cells.append(f"{row['gpugrad'] / row['autograd']:.2f}x")
        cells.append(f"{row['gpugrad'] / row[floor]:.2f}x")
        print("| " + " | ".join(cells) + " |")
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the seeds, then the short benchmark. ``--help`` lists the options."""
    parser = argparse.ArgumentParser(
        prog="python -m gpugrad quickstart",
        description="Run the three seed tutorials with gpugrad, then a short benchmark "
        "(gpugrad vs HIPS autograd vs the plain NumPy/CuPy forward).",
    )
    parser.add_argument("--no-bench", action="store_true", help="run the tutorials only")
    parser.add_argument("--small", action="store_true", help="benchmark the small sizes only")
    parser.add_argument(
        "--budget",
        type=float,
        default=0.25,
        help="seconds of timing per case and framework (default 0.25)",
    )
    args = parser.parse_args(argv)
    print(f"gpugrad backend: {gpugrad.default_backend()} ({backend_reason()})")
    _seeds()
    if not args.no_bench:
        print("\n=== short benchmark: medians, and gpugrad's time over the others' ===")
        benchmark(args.budget, large=not args.small)
        print("\nThe full suite, with JAX and PyTorch when installed: python -m benchmarks.run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
