"""pytest configuration of the benchmark suite.

``pytest benchmarks`` collects ``bench_*.py`` here (the project's ordinary test run never
enters this folder: its ``testpaths`` is ``tests``), chooses the backend (CuPy when a GPU is
usable, else NumPy), finds which peers are installed and parametrizes every ``bench_*`` test
over (workload x framework). Options:

  --bench-scale small|large|all   which sizes run (default all; ``small`` is the quick run)
  --bench-peers a,b,...|none      peers to try (default: every one that imports)
  --bench-backend auto|numpy|cupy backend of gpugrad and of the forward floor (default auto)
  --bench-budget SECONDS          time spent timing each case (default 1.0)
  --bench-fusion-sizes N,N,...    sizes of ``bench_fusion.py`` (default: 1e5 in a ``small``
                                  run, 1e6 and 1e7 otherwise)
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so `benchmarks.*` imports however pytest was started
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_fusion as fusion  # noqa: E402
from benchmarks import frameworks, workloads  # noqa: E402

_STATE: dict[str, Any] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gpugrad benchmarks")
    group.addoption(
        "--bench-scale",
        default="all",
        choices=("small", "large", "all"),
        help="which workload sizes run (small: per-call overhead; large: throughput)",
    )
    group.addoption(
        "--bench-peers",
        default=",".join(frameworks.ALL_PEERS),
        help="comma-separated peers to run beside gpugrad, or 'none'",
    )
    group.addoption(
        "--bench-backend",
        default="auto",
        choices=("auto", "numpy", "cupy"),
        help="backend of gpugrad and of the forward floor",
    )
    group.addoption(
        "--bench-budget",
        default=1.0,
        type=float,
        help="seconds spent timing each case (rounds are calibrated to it)",
    )
    group.addoption(
        "--bench-fusion-sizes",
        default="",
        help="comma-separated sizes of the backward-fusion benchmark (e.g. 1e6,1e7); "
        "default 1e5 with --bench-scale small, else 1e6 and 1e7",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect ``bench_*.py`` without needing ``-o python_files=...`` (but not twice)."""
    if not fnmatch.fnmatch(file_path.name, "bench_*.py"):
        return None
    patterns = parent.config.getini("python_files")
    if any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        return None  # pytest's own collector takes it
    if parent.session.isinitpath(file_path):
        return None  # named on the command line: pytest's own collector takes it too
    module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
    return module


def pytest_configure(config: pytest.Config) -> None:
    # Peers may warn about their own environment (JAX without a GPU, say); a warning is not
    # a failed benchmark, so the project's warnings-as-errors setting stops at this folder.
    config.addinivalue_line("filterwarnings", "default")
    backend, reason = frameworks.resolve_backend(config.getoption("--bench-backend"))
    peers = config.getoption("--bench-peers")
    wanted = [] if peers == "none" else [p for p in peers.split(",") if p]
    _STATE.update(
        backend=backend,
        reason=reason,
        frameworks=[
            frameworks.make_gpugrad(backend),
            frameworks.make_gpugrad(backend, jit=True),
            *frameworks.available_peers(wanted),
            frameworks.make_floor(backend),
        ],
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    names = ", ".join(f"{fw.name} ({fw.device})" for fw in _STATE["frameworks"])
    return [f"gpugrad backend: {_STATE['backend']} ({_STATE['reason']})", f"frameworks: {names}"]


def _scales(config: pytest.Config) -> tuple[str, ...]:
    scale = config.getoption("--bench-scale")
    return ("small", "large") if scale == "all" else (scale,)


def _fusion_sizes(config: pytest.Config) -> list[int]:
    """1e6 and 1e7 in a full or large run; 1e5 in a quick (small) one; or as asked."""
    scale = config.getoption("--bench-scale")
    wanted = ("small",) if scale == "small" else ("large",)
    return fusion.sizes(wanted, config.getoption("--bench-fusion-sizes"))


def _parametrize_fusion(metafunc: pytest.Metafunc) -> None:
    """``(fusion_size, fusion_variant)`` for ``bench_fusion.py``: every size x variant."""
    cases, ids = [], []
    for n in _fusion_sizes(metafunc.config):
        for v in fusion.variants(_STATE["frameworks"]):
            cases.append((n, v))
            ids.append(f"{workloads._sized(n)}|{v.name}".replace(" ", "_"))
    metafunc.parametrize(("fusion_size", "fusion_variant"), cases, ids=ids)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``(workload, framework)`` over the families the module's ``FAMILIES``
    lists for this test function (and the backward-fusion benchmark's own parameters)."""
    if {"fusion_size", "fusion_variant"} <= set(metafunc.fixturenames):
        _parametrize_fusion(metafunc)
        return
    if not {"workload", "framework"} <= set(metafunc.fixturenames):
        return
    families = getattr(metafunc.module, "FAMILIES", {}).get(metafunc.function.__name__, ())
    cases, ids = [], []
    for w in workloads.select(_scales(metafunc.config)):
        if not any(w.family.startswith(f) for f in families):
            continue
        for fw in _STATE["frameworks"]:
            if fw.role == frameworks.FLOOR or fw.supports(w.transform):
                cases.append((w, fw))
                ids.append(f"{w.name}|{fw.name}".replace(" ", "_"))
    metafunc.parametrize(("workload", "framework"), cases, ids=ids)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect a workload test none of whose workloads is in the chosen scale (say, the MLP
    in a quick run) rather than report its empty parameter set as a skip; and in a quick run,
    the benchmarks written without workloads (``bench_random.py``: throughput, not overhead).
    The backward-fusion benchmark always runs (at n=1e5 in a quick run)."""
    quick = _scales(config) == ("small",)

    def drop(item: pytest.Item) -> bool:
        if "fusion_variant" in getattr(item, "fixturenames", ()):
            return False
        if "workload" in getattr(item, "fixturenames", ()):
            return not isinstance(_param(item, "workload"), workloads.Workload)
        return quick

    dropped = [it for it in items if drop(it)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [it for it in items if not drop(it)]


def _param(item: pytest.Item, name: str) -> Any:
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get(name)


@pytest.fixture
def budget(request: pytest.FixtureRequest) -> float:
    """Seconds to spend timing one case."""
    return float(request.config.getoption("--bench-budget"))


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record what the report's RESULTS.md entry needs: backend, device and versions."""
    machine_info["gpugrad_backend"] = _STATE["backend"]
    machine_info["gpugrad_backend_reason"] = _STATE["reason"]
    machine_info["versions"] = frameworks.versions()
    machine_info["device"] = device_name(_STATE["backend"], machine_info)
    machine_info["frameworks"] = {fw.name: fw.device for fw in _STATE["frameworks"]}
    # Where there is no git checkout (the docker image), the build records the commit.
    machine_info["gpugrad_commit"] = os.environ.get("GPUGRAD_COMMIT", "")
    machine_info["cpu_threads"] = os.environ.get("OMP_NUM_THREADS", "")
    # The affinity mask is the cap that holds for every framework (XLA ignores the variables).
    if hasattr(os, "sched_getaffinity"):
        machine_info["cpu_affinity"] = len(os.sched_getaffinity(0))


def device_name(backend: str, machine_info: dict[str, Any]) -> str:
    """The GPU's name on CuPy; the CPU's brand (and core count) on NumPy."""
    if backend == "cupy":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    cpu = machine_info.get("cpu", {})
    brand = cpu.get("brand_raw") or cpu.get("brand") or machine_info.get("processor", "CPU")
    count = cpu.get("count")
    return f"{brand} ({count} cores)" if count else str(brand)
