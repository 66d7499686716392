"""The ``gpu`` group runs on every commit: against the CPU stand-in for CuPy when there is no GPU.

Without a device the ``gpu``-marked tests would all skip, and the CuPy path would go untested.
This test runs them in a child process with ``GPUGRAD_CUPY_STANDIN=1`` (``tests/conftest.py``
then installs ``tools/cupy_standin`` as ``cupy`` before anything imports it), and requires every
one to pass: none may fail, none may skip, and the group may not shrink below
:data:`MIN_GPU_TESTS` unnoticed. A child process keeps the stand-in out of this process, where
the NVRTC check imports the real CuPy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MIN_GPU_TESTS = 900


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.slow
def test_every_gpu_test_passes_on_the_cupy_standin(tmp_path: Path) -> None:
    report = tmp_path / "gpu.xml"
    env = {**os.environ, "GPUGRAD_CUPY_STANDIN": "1"}
    env.pop("GPUGRAD_BACKEND", None)  # "auto": the stand-in's one device makes it CuPy
    command = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-rfEs",
               f"--junitxml={report}", "tests"]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert report.is_file(), f"pytest wrote no report:\n{_tail(proc.stdout + proc.stderr)}"
    suite = ET.parse(report).getroot()
    if suite.tag == "testsuites":
        suite = suite[0]
    counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    summary = f"{counts}; pytest said:\n{_tail(proc.stdout + proc.stderr)}"
    assert counts["failures"] == 0 and counts["errors"] == 0, summary
    assert counts["skipped"] == 0, summary
    assert counts["tests"] >= MIN_GPU_TESTS, summary
    assert proc.returncode == 0, summary
