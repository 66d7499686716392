"""The benchmark suite's parts: workloads match float64, the report's arithmetic, quickstart.

Fast (seconds): small sizes only; the timed suite itself runs with ``python -m benchmarks.run``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder of the repository
    sys.path.insert(0, str(ROOT))

import gpugrad  # noqa: E402
from benchmarks import bench_fusion, frameworks, harness, report, workloads  # noqa: E402

SMALL = workloads.select(("small",))


@pytest.fixture(scope="module")
def gpugrad_numpy() -> frameworks.Framework:
    return frameworks.make_gpugrad("numpy")


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("workload", SMALL, ids=lambda w: w.name)
def test_small_workloads_match_float64(workload, seed, gpugrad_numpy):
    # Fresh inputs per seed: the check must hold on any valid input, not one lucky draw.
    for fw in (gpugrad_numpy, frameworks.make_gpugrad("numpy", jit=True),
               frameworks.make_floor("numpy")):
        call, expected, _ = harness.prepare(workload, fw, seed=seed)
        harness.check_close(fw.get(call()), expected, workload.rtol, workload.name)


def test_autograd_peer_matches_float64():
    pytest.importorskip("autograd")
    (autograd,) = frameworks.available_peers(["autograd"])
    for workload in SMALL:
        if autograd.supports(workload.transform):
            call, expected, _ = harness.prepare(workload, autograd, seed=3)
            harness.check_close(autograd.get(call()), expected, workload.rtol, workload.name)


def test_check_close_rejects_wrong_results():
    want = (np.ones(3), {"b": np.zeros(2)})
    assert harness.check_close((np.ones(3), {"b": np.zeros(2)}), want, 1e-3) == 0.0
    with pytest.raises(AssertionError, match=r"\[0\]: relative error"):
        harness.check_close((np.ones(3) * 1.01, {"b": np.zeros(2)}), want, 1e-3)
    with pytest.raises(AssertionError, match="shape"):
        harness.check_close((np.ones(4), {"b": np.zeros(2)}), want, 1e-3)
    with pytest.raises(AssertionError, match="not finite"):
        harness.check_close((np.full(3, np.nan), {"b": np.zeros(2)}), want, 1e-3)


def test_rounds_are_calibrated_to_the_budget():
    assert harness.plan(1e-5, 0.5) == (500, 100)  # 1 ms rounds, capped at 500 rounds
    assert harness.plan(0.01, 0.5) == (50, 1)
    assert harness.plan(2.0, 0.5) == (3, 1)  # never fewer than 3 rounds


# --- the report ------------------------------------------------------------------------------


def _bench(group, fw, role, median, target=None, jit_target=None, **extra):
    info = {"framework": fw, "role": role, "scale": "small", "target": target,
            "jit_target": jit_target, **extra}
    return {"group": group, "param": f"x|{fw}", "extra_info": info, "stats": {"median": median}}


SYNTHETIC = {
    "datetime": "2026-11-23T10:00:00.000000",
    "machine_info": {
        "device": "Test GPU",
        "gpugrad_backend": "cupy",
        "python_version": "3.11",
        "versions": {"gpugrad": "0.1.0", "numpy": "2.4"},
    },
    "commit_info": {"id": "0123456789abcdef", "dirty": False},
    "benchmarks": [
        _bench("grad sum(x**2) n=4", "gpugrad", "gpugrad", 2e-5, "autograd<=0.5"),
        _bench("grad sum(x**2) n=4", "autograd", "peer", 4e-5),
        _bench("grad sum(x**2) n=4", "jax.jit", "peer", 1e-5, compile_s=0.05,
               first_call_s=0.06),
        _bench("grad sum(x**2) n=4", "numpy forward", "floor", 1e-6),
        _bench("grad sum(x**2) n=4", "gpugrad.jit", "gpugrad", 4e-5, jit_target="jax.jit<=3",
               compile_s=0.002, first_call_s=0.003),
        _bench("grad MLP", "gpugrad", "gpugrad", 6e-3, "forward<=3"),
        _bench("grad MLP", "gpugrad.jit", "gpugrad", 5e-3, jit_target="jax.jit<=1.2",
               compile_s=0.02, first_call_s=0.026),
        _bench("grad MLP", "jax.jit", "peer", 4.5e-3, compile_s=0.3, first_call_s=0.31),
        _bench("grad MLP", "autograd", "peer", 3e-3),
        _bench("grad MLP", "numpy forward", "floor", 1.5e-3),
        # Written without harness.py (as bench_random.py is): reported in a table of its own.
        {
            "group": "normal 1e7",
            "name": "test_gpugrad_normal",
            "param": None,
            "extra_info": {},
            "stats": {"median": 0.25},
        },
    ],
}


def test_report_tables_have_the_right_numbers(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(SYNTHETIC))
    cases, columns, info = report.load(path)
    assert columns == ["gpugrad", "gpugrad.jit", "autograd", "jax.jit", "numpy forward"]
    medians = report.medians_table(cases, columns).splitlines()
    assert medians[0] == ("| case | gpugrad | gpugrad.jit | autograd | jax.jit | numpy forward "
                          "| gpugrad.jit compile | jax.jit compile |")
    assert medians[2] == (
        "| grad sum(x**2) n=4 | 20 µs | 40 µs | 40 µs | 10 µs | 1 µs | 2 ms | 50 ms |"
    )
    assert medians[3] == "| grad MLP | 6 ms | 5 ms | 3 ms | 4.5 ms | 1.5 ms | 20 ms | 300 ms |"
    ratios = report.ratios_table(cases).splitlines()
    assert ratios[2] == (
        "| grad sum(x**2) n=4 | 0.50x | 2.00x (jax.jit) | 20.00x | ≤ 0.5x autograd: met |"
    )
    assert ratios[3] == "| grad MLP | 2.00x | 2.00x (autograd) | 4.00x | ≤ 3x forward: missed |"
    jit = report.jit_ratios_table(cases).splitlines()
    assert jit[0] == ("| case | gpugrad.jit / jax.jit | per-call goal | gpugrad.jit / gpugrad "
                      "| first call: gpugrad.jit | jax.jit | gpugrad.jit / jax.jit "
                      "| first-call goal |")
    assert jit[2] == ("| grad sum(x**2) n=4 | 4.00x | ≤ 3x: missed | 2.00x | 3 ms | 60 ms "
                      "| 0.05x | met |")
    assert jit[3] == "| grad MLP | 1.11x | ≤ 1.2x: met | 0.83x | 26 ms | 310 ms | 0.08x | met |"
    assert info["commit"] == "0123456789ab" and info["device"] == "Test GPU"


def test_report_command_writes_files_and_appends(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(SYNTHETIC))
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nhow to read it\n")
    assert report.main([str(path), "--out", str(tmp_path / "out"), "--append", str(results)]) == 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert text.startswith("## 2026-11-23 10:00:00 — Test GPU")
    assert "gpugrad 0.1.0, numpy 2.4" in text
    assert "| normal 1e7 | test_gpugrad_normal | 250 ms |" in text
    assert "gpugrad.jit / jax.jit, per call" in text and "| grad MLP | 1.11x |" in text
    assert results.read_text().startswith("# Benchmark results\n\nhow to read it\n\n## 2026")
    # matplotlib is part of the test extra: the plot must be there, not skipped.
    assert (tmp_path / "out" / "ratios.png").stat().st_size > 1000


def _run_pytest(args: list[str]) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess from the repository root; fails the test if it fails."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_suite_runs_end_to_end(tmp_path):
    """pytest collects bench_*.py through benchmarks/conftest.py and writes a reportable JSON."""
    out = tmp_path / "bench.json"
    _run_pytest([str(ROOT / "benchmarks"), "--bench-scale=small", "--bench-peers=none",
                 "--bench-budget=0.01", "--bench-backend=numpy", "-k",
                 "first_order and not logistic", f"--benchmark-json={out}"])
    cases, columns, _ = report.load(out)
    assert columns == ["gpugrad", "gpugrad.jit", "numpy forward"]
    assert {c.name for c in cases} == {"grad sum(x**2) n=4", "grad sum(sin(x)**2) n=3"}
    # gpugrad.jit's first call is recorded, as jax.jit's is; without jax.jit, no jit table.
    assert all(c.first_call_s["gpugrad.jit"] >= c.compile_s["gpugrad.jit"] > 0 for c in cases)
    assert all(set(c.first_call_s) == {"gpugrad.jit"} for c in cases)


# --- the backward-fusion benchmark ----------------------------------------------------------


def _fusion(variant, kind, order, median, peak, method="tracemalloc", n=1_000_000):
    info = {"suite": "fusion", "variant": variant, "kind": kind, "order": order, "n": n}
    info.update(size=workloads._sized(n), peak_arrays=peak, peak_method=method)
    if kind == "gpugrad":
        info["goals"] = {"time_vs_forward": 1.5, "memory": 1.0}
    return {"group": "fusion", "name": variant, "extra_info": info, "stats": {"median": median}}


FUSION_RUN = {
    **SYNTHETIC,
    "benchmarks": [  # out of order on purpose: the table follows `order`
        _fusion("numpy forward", "floor", 3, 2e-3, 3.0),
        _fusion("gpugrad unfused", "gpugrad", 1, 6e-3, 9.5),
        _fusion("gpugrad fused", "gpugrad", 0, 2.8e-3, 3.75),
        _fusion("numpy hand-written", "hand-written", 2, 1e-3, 4.0),
        _fusion("jax.jit", "peer", 5, 1.2e-3, None, method="XLA plan"),
    ],
}


def test_fusion_table_has_the_right_numbers(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(FUSION_RUN))
    cases, _, info = report.load(path)
    assert cases == [] and info["others"] == []  # the fusion rows go to their own table
    lines = report.fusion_table(info["fusion"]).splitlines()
    assert lines[0] == (
        "| size | variant | median | / forward | peak memory (arrays) | measured by "
        "| time target | memory target |"
    )
    assert lines[2:] == [
        "| n=1e6 | gpugrad fused | 2.8 ms | 1.40x | 3.75 | tracemalloc | met | met |",
        "| n=1e6 | gpugrad unfused | 6 ms | 3.00x | 9.50 | tracemalloc "
        "| missed (limit 1.5x) | missed (limit 4.00) |",
        "| n=1e6 | numpy hand-written | 1 ms | 0.50x | 4.00 | tracemalloc |  |  |",
        "| n=1e6 | numpy forward | 2 ms | 1.00x | 3.00 | tracemalloc |  |  |",
        "| n=1e6 | jax.jit | 1.2 ms | 0.60x | — | XLA plan |  |  |",
    ]
    # A run of the fusion benchmark alone still makes a report (and a RESULTS.md entry).
    results = tmp_path / "RESULTS.md"
    assert report.main([str(path), "--out", str(tmp_path), "--append", str(results)]) == 0
    assert lines[2] in results.read_text() and "Medians" not in results.read_text()


def test_fusion_sizes_and_config_restored():
    assert bench_fusion.sizes(("small",)) == [100_000]
    assert bench_fusion.sizes(("large",)) == [1_000_000, 10_000_000]
    assert bench_fusion.sizes(("small",), "1e6, 2000") == [1_000_000, 2000]
    from gpugrad.config import config

    before = config.fuse_backward
    with pytest.raises(RuntimeError), bench_fusion.backward_fusion(not before):
        assert config.fuse_backward is (not before)
        raise RuntimeError("a failing variant")
    assert config.fuse_backward is before


def test_cupy_peak_hook_counts_blocks_taken_while_installed():
    import cupy  # noqa: F401  (in the test extra: the hook's class needs CuPy, not a GPU)

    hook = bench_fusion.make_peak_hook()
    with hook:  # installs and removes it: no device needed
        pass
    hook.malloc_postprocess(device_id=0, size=1000, mem_size=1024, mem_ptr=1, pmem_id=0)
    hook.malloc_postprocess(device_id=0, size=500, mem_size=512, mem_ptr=2, pmem_id=0)
    hook.free_postprocess(device_id=0, mem_size=1024, mem_ptr=1, pmem_id=0)
    hook.free_postprocess(device_id=0, mem_size=4096, mem_ptr=99, pmem_id=0)  # not ours
    hook.malloc_postprocess(device_id=0, size=200, mem_size=512, mem_ptr=3, pmem_id=0)
    assert (hook.used, hook.peak) == (1024, 1536)


def test_fusion_benchmark_runs_and_reports(tmp_path):
    """bench_fusion.py at n=1e5 on NumPy, every variant (and each installed peer), checked
    against float64, then its table in the report with a time, a ratio and a peak on each row."""
    out = tmp_path / "bench.json"
    proc = _run_pytest([str(ROOT / "benchmarks" / "bench_fusion.py"), "--bench-fusion-sizes=1e5",
                        "--bench-budget=0.01", "--bench-backend=numpy",
                        f"--benchmark-json={out}"])
    assert "skipped" not in proc.stdout
    _, _, info = report.load(out)
    expected = ["gpugrad fused", "gpugrad unfused", "numpy hand-written", "numpy forward",
                "gpugrad.jit"]
    expected += [p for p in ("autograd", "jax.jit") if frameworks.available_peers([p])]
    assert [r.variant for r in info["fusion"]] == expected
    text = report.render([], [], info, "fusion")
    table = text.split("gpugrad's targets")[1].splitlines()[2:]
    rows = [line.split(" | ") for line in table if line.startswith("| n=1e5")]
    assert len(rows) == len(expected)
    for row, r in zip(rows, info["fusion"]):
        assert row[1] == r.variant and re.fullmatch(r"[\d.]+ (ms|µs|s)", row[2])
        assert re.fullmatch(r"\d+\.\d\dx", row[3]) and re.fullmatch(r"\d+\.\d\d", row[4])
        # The gradient is an array of the input's size: no peak can be below it.
        assert r.peak_arrays >= (0.0 if r.kind == "floor" else 1.0) and r.peak_arrays > 0
        if r.kind == "gpugrad":
            assert row[6].startswith(("met", "missed")) and row[7].startswith(("met", "missed"))


# --- quickstart ------------------------------------------------------------------------------


def _floats(text: str) -> list[float]:
    return [float(f) for f in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", text)]


def _line(out: str, prefix: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(prefix))


def test_quickstart_prints_the_seed_numbers(capsys):
    from gpugrad.examples.quickstart import main

    assert main(["--no-bench"]) == 0
    out = capsys.readouterr().out
    # seed 000
    assert "Sum of squares: 30.0" in out
    assert "Gradient of sum of squares: [2. 4. 6. 8.]" in out
    # seed 001: tanh's derivatives at 2, then the cubic's at 1 (printed one per line)
    lines = out.split("=== seed 001")[1].splitlines()[1:8]
    np.testing.assert_allclose(
        [float(v) for v in lines],
        [0.070650816, -0.13621868, 0.25265405, 4.0, 10.0, 6.0, 0.0],
        rtol=1e-6,
        atol=1e-7,
    )
    np.testing.assert_allclose(
        _floats(_line(out, "W_grad="))[:3], [-0.16965583, -0.8774644, -1.4901346], rtol=1e-5
    )
    np.testing.assert_allclose(_floats(_line(out, "b_grad="))[0], -0.29227245, rtol=1e-5)
    np.testing.assert_allclose(_floats(_line(out, "loss value:"))[0], 3.051938533782959, rtol=1e-6)
    # seed 002, from closed forms in float32
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(_floats(_line(out, "Gradient:")), np.sin(2 * x), rtol=1e-6)
    jacobian = out.split("Jacobian:")[1].split("x_grad:")[0]
    want = np.concatenate([np.diag(np.cos(x)).ravel(), np.diag(-np.sin(x)).ravel()])
    np.testing.assert_allclose(_floats(jacobian), want, rtol=1e-6, atol=1e-7)
    assert "x_grad: 10.0" in out and "y_grad: 2.0" in out
    assert "Updated x: 4.0" in out and "Updated y: 1.8" in out
    tail = out.split("Updated y:")[1]
    np.testing.assert_allclose(_floats(tail)[1:], [8.0, 2 * (np.float32(1.8) - 1)], rtol=1e-6)


def test_quickstart_benchmark_table(capsys):
    from gpugrad.examples.quickstart import benchmark

    rows = benchmark(budget_s=0.005, large=False)
    out = capsys.readouterr().out
    assert [r["case"] for r in rows] == [
        "grad sum(x**2) n=4",
        "grad^3 tanh scalar",
        "value_and_grad logistic 4x3",
        "grad sum(sin(x)**2) n=3",
    ]
    assert out.startswith("| case | gpugrad | autograd | numpy forward | gpugrad/autograd |")
    assert all(r["gpugrad"] > 0 for r in rows)


def test_device_check_script_is_valid_and_uses_real_options():
    """The one-call GPU check parses as bash and calls run.py only with options it has."""
    script = ROOT / "benchmarks" / "device_check.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    usage = subprocess.run([sys.executable, "-m", "benchmarks.run", "--help"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    call = text[text.index("-m benchmarks.run"):].split("\n\n")[0]
    options = set(re.findall(r"(--[a-z][a-z-]+)", call))
    assert options == {"--backend", "--out", "--append-results"}
    assert all(option in usage for option in options)
    assert "-m gpu" in text and "python3 -m gpugrad info" in text


def test_threads_option_pins_the_benchmark_process():
    """``--threads N`` confines the timed process to N CPUs, since XLA ignores the variables."""
    from benchmarks import run

    assert run.thread_env(1)["OPENBLAS_NUM_THREADS"] == "1"
    probe = ("import os, subprocess, sys; from benchmarks.run import pin_cpus; "
             "pin_cpus({n}); subprocess.run([sys.executable, '-c', "
             "'import os; print(len(os.sched_getaffinity(0)))'], check=True)")
    for n in (1, 2):
        out = subprocess.run([sys.executable, "-c", probe.format(n=n)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        assert out.strip() == str(min(n, len(os.sched_getaffinity(0))))


def test_every_evaluator_route_row_takes_its_route_and_only_with_the_defaults():
    """Each row of ``benchmarks.evaluator_routes`` times the route it names: with the default
    options its debug message is logged, with the row's option moved it is not."""
    from benchmarks import evaluator_routes

    rows = evaluator_routes.routes(quick=True)
    assert len({r.label for r in rows}) == len(rows)
    for route in rows:
        fn, x = route.make(route.size)
        assert evaluator_routes.taken(route, fn, x), route.name
        assert not evaluator_routes.taken(route, fn, x, **route.moved), route.name
    assert gpugrad.config.fusion_min_size == 1 << 14  # options restored


def test_interleaved_times_every_framework_in_each_round_and_reports_ratios():
    """``benchmarks.interleaved`` checks a case against float64, then gives every framework
    one time per round; its table's ratios are gpugrad's median and minimum over each's."""
    from benchmarks import interleaved

    workload = interleaved.find("grad sum(x**2)", "n=4")
    times = interleaved.interleave(workload, ["autograd"], rounds=3, calls=2)
    assert next(iter(times)) == "gpugrad"
    assert all(len(t) == 3 and min(t) > 0 for t in times.values())
    table = interleaved.report({"gpugrad": [2.0, 4.0, 3.0], "peer": [1.0, 2.0, 8.0]})
    assert "| gpugrad | 3000.000 ms | 2000.000 ms | 1.00x (1.00x) |" in table
    assert "| peer | 2000.000 ms | 1000.000 ms | 1.50x (2.00x) |" in table
    with pytest.raises(SystemExit, match="its sizes: n=1e6, n=4"):
        interleaved.find("grad sum(x**2)", "n=5")
