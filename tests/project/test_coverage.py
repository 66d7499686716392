"""docs/coverage.md is generated from the code and must be current; gpugrad.numpy has every
NumPy function that HIPS autograd differentiates."""

from __future__ import annotations

import pytest

import gpugrad.numpy as gnp
from tools import coverage_table

# Functions of autograd's numpy.linalg/numpy.fft lists that gpugrad does not have yet.
KNOWN_MISSING: dict[str, set[str]] = {"numpy.linalg": set(), "numpy.fft": set()}


def test_coverage_doc_is_current() -> None:
    current = coverage_table.DOC_PATH.read_text() if coverage_table.DOC_PATH.exists() else ""
    assert current == coverage_table.render(), (
        "docs/coverage.md is stale: run python -m tools.coverage_table")


@pytest.mark.parametrize("name", coverage_table.AUTOGRAD_FUNCTIONS)
def test_autograd_numpy_function_exists(name: str) -> None:
    assert callable(getattr(gnp, name, None)), f"gpugrad.numpy has no {name}"


def test_autograd_linalg_and_fft_functions_exist() -> None:
    for title, names, module in (("numpy.linalg", coverage_table.AUTOGRAD_LINALG, gnp.linalg),
                                 ("numpy.fft", coverage_table.AUTOGRAD_FFT, gnp.fft)):
        missing = {n for n in names if not hasattr(module, n)}
        assert missing <= KNOWN_MISSING[title], f"{title}: missing {sorted(missing)}"


def test_autograd_list_matches_the_installed_autograd() -> None:
    pytest.importorskip("autograd")
    found = coverage_table.autograd_functions()
    assert len(coverage_table.AUTOGRAD_FUNCTIONS) == 106
    assert found["numpy"] == sorted(coverage_table.AUTOGRAD_FUNCTIONS)
    assert found["numpy.linalg"] == sorted(coverage_table.AUTOGRAD_LINALG)
    assert found["numpy.fft"] == sorted(coverage_table.AUTOGRAD_FFT)


def test_status_comes_from_running_the_code() -> None:
    """A function with a wrong derivative rule is reported as failing, not as covered."""
    from gpugrad.expr import catalog as C
    from gpugrad.expr.language import OpSpec, var
    from gpugrad.primitives.elementwise import elementwise_p

    wrong = OpSpec("wrong_sin", 1, "xp.sin({0})", "sin({0})", (lambda x, o: C.sin(x),))
    expr = wrong(var(0))
    _, fwd, _ = coverage_table.status("wrong_sin", lambda x: elementwise_p.bind(x, expr=expr))
    assert fwd.startswith("fails")
    assert coverage_table.status("sin", gnp.sin)[1:] == ("order 2", "order 2")
    assert coverage_table.status("floor", gnp.floor)[1:] == ("zero", "zero")
