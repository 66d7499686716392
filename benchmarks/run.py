"""Run the benchmark suite, then write its JSON, Markdown table and plot to one directory.

    python -m benchmarks.run [--out DIR] [--quick] [--backend auto|numpy|cupy] [--peers ...]

This is the docker image's command (``docker/Dockerfile``: ``--out /results``). It says which
backend it runs on and why (on a machine without a usable GPU: NumPy, and it says so), shows
each case as it finishes (pytest's verbose progress), then writes ``DIR/bench.json``,
``DIR/report.md`` and ``DIR/ratios.png``. ``--quick`` runs the small sizes only (per-call
overhead, and the backward-fusion benchmark at n=1e5), in under a minute on a 2-core CPU; the
full suite (fusion at n=1e6 and 1e7) takes a few minutes.
Arguments after ``--`` go to pytest (``-- -k logistic``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Run gpugrad's benchmark suite beside the installed peers (HIPS autograd, "
        "JAX eager and jax.jit, torch.func, torch.autograd) and the plain NumPy/CuPy forward, "
        "then write bench.json, report.md and ratios.png to --out.",
        epilog="Arguments after '--' are passed to pytest, e.g. '-- -k logistic'.",
    )
    parser.add_argument("--out", default="results", help="output directory (default: results)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes only (backward fusion at n=1e5), shorter timing "
        "(under a minute on 2 CPU cores)",
    )
    parser.add_argument(
        "--backend",
        default="auto",
        choices=("auto", "numpy", "cupy"),
        help="gpugrad's backend (default auto: CuPy when a GPU is usable)",
    )
    parser.add_argument(
        "--peers", default=None, help="comma-separated peers, or 'none' (default: all that import)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds of timing per case (default 1.0; 0.15 with --quick)",
    )
    parser.add_argument(
        "--append-results",
        metavar="RESULTS_MD",
        default=None,
        help="append the dated report to this file (e.g. benchmarks/RESULTS.md)",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG plot")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for BLAS, OpenMP, PyTorch and XLA (default: their own choice); "
        "1 gives steadier numbers on a shared machine",
    )
    return parser


def _announce_backend(choice: str) -> None:
    """Print which backend gpugrad will use, and why; plainly so when there is no GPU."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.frameworks import resolve_backend

    backend, reason = resolve_backend(choice)
    if backend == "numpy" and choice == "auto":
        print(f"[benchmarks] No usable GPU here: {reason}.")
        print("[benchmarks] gpugrad and the forward floor run on NumPy (CPU); peers on CPU.")
    else:
        print(f"[benchmarks] gpugrad backend: {backend} ({reason})")


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables that ask every framework's CPU thread pools for ``threads``.

    XLA's CPU runtime does not honour them all (it kept two cores busy with
    ``intra_op_parallelism_threads=1``), so ``pin_cpus`` enforces the cap as well.
    """
    n = str(threads)
    xla = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
    return {
        "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "XLA_FLAGS": f"{xla} intra_op_parallelism_threads={n}",
    }


def pin_cpus(threads: int) -> list[int]:
    """Confine this process, and so the benchmark process it starts, to ``threads`` CPUs.

    Thread-count variables are requests each framework may ignore; an affinity mask holds
    for every thread of a process and is inherited by its children, so all peers get the
    same cores. Returns the CPUs kept (all of them where the platform has no affinity call).
    """
    if not hasattr(os, "sched_setaffinity"):
        return list(range(os.cpu_count() or 1))
    cpus = sorted(os.sched_getaffinity(0))[: max(threads, 1)]
    os.sched_setaffinity(0, cpus)
    return cpus


def pytest_command(args: argparse.Namespace, json_path: Path, extra: list[str]) -> list[str]:
    """The pytest invocation that runs the suite and writes ``json_path``."""
    budget = args.budget if args.budget is not None else (0.15 if args.quick else 1.0)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "benchmarks"),
        "-v",
        "-p",
        "no:cacheprovider",
        f"--bench-scale={'small' if args.quick else 'all'}",
        f"--bench-backend={args.backend}",
        f"--bench-budget={budget}",
        f"--benchmark-json={json_path}",
        "--benchmark-columns=median,iqr,rounds,iterations",
        "--benchmark-sort=name",
    ]
    if args.peers is not None:
        cmd.append(f"--bench-peers={args.peers}")
    return cmd + extra


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "bench.json"
    _announce_backend(args.backend)
    what = "quick run (small sizes)" if args.quick else "full suite (small and large sizes)"
    print(f"[benchmarks] {what}; results go to {out}", flush=True)
    start = time.perf_counter()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    if args.threads is not None:
        env.update(thread_env(args.threads))
        pin_cpus(args.threads)
    rc = subprocess.call(pytest_command(args, json_path, extra), cwd=ROOT, env=env)
    print(f"[benchmarks] pytest finished in {time.perf_counter() - start:.0f} s (exit {rc})")
    if not json_path.exists():
        print("[benchmarks] no JSON written: nothing to report", file=sys.stderr)
        return rc or 1
    from benchmarks.report import main as report_main

    report_args = [str(json_path), "--out", str(out)]
    if args.append_results:
        report_args += ["--append", args.append_results]
    if args.no_plot:
        report_args.append("--no-plot")
    report_rc = report_main(report_args)
    print(
        f"[benchmarks] wrote {json_path}, {out / 'report.md'}"
        + ("" if args.no_plot else f", {out / 'ratios.png'}")
    )
    return rc or report_rc


if __name__ == "__main__":
    sys.exit(main())
