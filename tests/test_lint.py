"""Discipline in code: ruff and mypy are clean (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_clean():
    proc = _run("ruff", "check", "gpugrad", "tests", "benchmarks", "tools")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean():
    proc = _run("mypy")  # the files listed in pyproject.toml
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean_on_the_cupy_stand_in():
    proc = _run("mypy", "--explicit-package-bases", "tools/cupy_standin")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_py_typed_ships():
    assert (ROOT / "gpugrad" / "py.typed").exists()
