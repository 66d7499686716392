"""docs/coverage.md is generated from the code and must be current; gpugrad.numpy has every
NumPy function that HIPS autograd differentiates."""

from __future__ import annotations

import pytest

import gpugrad.numpy as gnp
from gpugrad.numpy import _coverage

# Functions of autograd's numpy.linalg/numpy.fft lists that gpugrad does not have yet.
KNOWN_MISSING: dict[str, set[str]] = {"numpy.linalg": set(), "numpy.fft": set()}


def test_coverage_doc_is_current() -> None:
    current = _coverage.DOC_PATH.read_text() if _coverage.DOC_PATH.exists() else ""
    assert current == _coverage.render(), (
        "docs/coverage.md is stale: run python -m gpugrad.numpy._coverage")


@pytest.mark.parametrize("name", _coverage.AUTOGRAD_FUNCTIONS)
def test_autograd_numpy_function_exists(name: str) -> None:
    assert callable(getattr(gnp, name, None)), f"gpugrad.numpy has no {name}"


def test_autograd_linalg_and_fft_functions_exist() -> None:
    for title, names, module in (("numpy.linalg", _coverage.AUTOGRAD_LINALG, gnp.linalg),
                                 ("numpy.fft", _coverage.AUTOGRAD_FFT, gnp.fft)):
        missing = {n for n in names if not hasattr(module, n)}
        assert missing <= KNOWN_MISSING[title], f"{title}: missing {sorted(missing)}"


def test_autograd_list_matches_the_installed_autograd() -> None:
    pytest.importorskip("autograd")
    found = _coverage.autograd_functions()
    assert len(_coverage.AUTOGRAD_FUNCTIONS) == 106
    assert found["numpy"] == sorted(_coverage.AUTOGRAD_FUNCTIONS)
    assert found["numpy.linalg"] == sorted(_coverage.AUTOGRAD_LINALG)
    assert found["numpy.fft"] == sorted(_coverage.AUTOGRAD_FFT)


def test_status_comes_from_running_the_code() -> None:
    """A function with a wrong derivative rule is reported as failing, not as covered."""
    from gpugrad.primitives import catalog as C
    from gpugrad.primitives.elementwise import elementwise_p
    from gpugrad.primitives.expr import OpSpec, var

    wrong = OpSpec("wrong_sin", 1, "xp.sin({0})", "sin({0})", (lambda x, o: C.sin(x),))
    expr = wrong(var(0))
    _, fwd, _ = _coverage.status("wrong_sin", lambda x: elementwise_p.bind(x, expr=expr))
    assert fwd.startswith("fails")
    assert _coverage.status("sin", gnp.sin)[1:] == ("order 2", "order 2")
    assert _coverage.status("floor", gnp.floor)[1:] == ("zero", "zero")
