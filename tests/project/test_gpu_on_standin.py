"""The ``gpu`` group runs on every commit: against the CPU stand-in for CuPy when there is no GPU.

Without a device the ``gpu``-marked tests would all skip, and the CuPy path would go untested.
This test runs them in a child process with ``GPUGRAD_CUPY_STANDIN=1`` (``tests/conftest.py``
then installs ``tools/cupy_standin`` as ``cupy`` before anything imports it), and requires every
one to pass: none may fail, none may skip, and the group may not shrink below
:data:`MIN_GPU_TESTS` unnoticed. A child process keeps the stand-in out of this process, where
the NVRTC check imports the real CuPy.

The child is started as soon as collection ends (``conftest.py`` calls :func:`start_child`) and
this test is moved to the end of the run: the child then works on the second core while the
rest of the suite runs, instead of after it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIN_GPU_TESTS = 900
TIMEOUT_SECONDS = 1800

# The running child: (process, its folder with the report and the log).
_child: tuple[subprocess.Popen[bytes], Path] | None = None


def start_child() -> None:
    """Start ``pytest -m gpu`` on the stand-in in the background (once per session)."""
    global _child
    if _child is not None:
        return
    folder = Path(tempfile.mkdtemp(prefix="gpugrad-standin-"))
    env = {**os.environ, "GPUGRAD_CUPY_STANDIN": "1"}
    env.pop("GPUGRAD_BACKEND", None)  # "auto": the stand-in's one device makes it CuPy
    command = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-rfEs",
               f"--junitxml={folder / 'gpu.xml'}", "tests"]
    with open(folder / "log.txt", "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    _child = (proc, folder)


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.slow
def test_every_gpu_test_passes_on_the_cupy_standin() -> None:
    start_child()  # a no-op when conftest.py started it at the end of collection
    assert _child is not None
    proc, folder = _child
    try:
        proc.wait(timeout=TIMEOUT_SECONDS)
        output = (folder / "log.txt").read_text(errors="replace")
        report = folder / "gpu.xml"
        assert report.is_file(), f"pytest wrote no report:\n{_tail(output)}"
        suite = ET.parse(report).getroot()
        if suite.tag == "testsuites":
            suite = suite[0]
        counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
        summary = f"{counts}; pytest said:\n{_tail(output)}"
        assert counts["failures"] == 0 and counts["errors"] == 0, summary
        assert counts["skipped"] == 0, summary
        assert counts["tests"] >= MIN_GPU_TESTS, summary
        assert proc.returncode == 0, summary
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
