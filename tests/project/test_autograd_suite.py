"""HIPS autograd's own test suite, run on gpugrad through ``tools/autograd_suite``.

The tests come from autograd's source distribution, downloaded from PyPI by the tool (and
cached): this needs the network, and a failed download fails the test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_autograd_suite_pass_rate_is_at_least_95_percent() -> None:
    run = subprocess.run([sys.executable, "-m", "tools.autograd_suite.run", "--threshold", "95"],
                         cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    summary = re.search(r"autograd suite: (\d+) passed of (\d+)", run.stdout)
    assert summary, f"no summary line:\n{run.stdout}\n{run.stderr}"
    passed, counted = int(summary[1]), int(summary[2])
    assert counted >= 500, f"only {counted} of autograd's tests ran:\n{run.stdout}"
    assert passed >= 0.95 * counted and run.returncode == 0, run.stdout
