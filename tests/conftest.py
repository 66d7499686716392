"""Shared fixtures: the backends a test runs on (NumPy always, CuPy when a GPU is usable), and
jax in 64-bit mode for comparisons with it."""

from __future__ import annotations

import os

if os.environ.get("GPUGRAD_CUPY_STANDIN") == "1":
    # Before anything imports CuPy: `import cupy` gives the CPU stand-in (tools/cupy_standin).
    from tools.cupy_standin import install

    install()

from typing import Any

import numpy as np
import pytest

from gpugrad.backend import cupy_status


def _cupy_or_skip() -> Any:
    usable, reason = cupy_status()
    if not usable:
        pytest.skip(f"no usable CUDA device: {reason}")
    import cupy

    return cupy


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request: pytest.FixtureRequest) -> Any:
    """The array module under test: NumPy, or CuPy (gpu marker; skips without a device)."""
    if request.param == "cupy":
        return _cupy_or_skip()
    return np


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def backend(request: pytest.FixtureRequest) -> Any:
    """The default backend under test, set with ``gpugrad.use_backend`` for the whole test:
    ``"numpy"``, or ``"cupy"`` (gpu marker; skips without a device)."""
    if request.param == "cupy":
        _cupy_or_skip()
    from gpugrad import use_backend

    with use_backend(request.param):
        yield request.param


@pytest.fixture
def cupy_module() -> Any:
    """CuPy, for tests that only make sense on a GPU (skips cleanly without one)."""
    return _cupy_or_skip()


@pytest.fixture
def jax_x64() -> Any:
    """jax with 64-bit mode on for one test, restored after (other tests compare float32)."""
    jax = pytest.importorskip("jax")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", old)


@pytest.fixture
def x64() -> Any:
    """gpugrad's 64-bit mode on for one test, restored after."""
    import gpugrad

    old = gpugrad.config.enable_x64
    gpugrad.config.update("enable_x64", True)
    yield
    gpugrad.config.update("enable_x64", old)


@pytest.fixture
def configure() -> Any:
    """``configure(name=value, ...)``: set ``gpugrad.config`` options for one test (the size
    thresholds that pick an evaluator, say); each is restored after."""
    import gpugrad

    saved: dict[str, Any] = {}

    def set_options(**values: Any) -> None:
        for name, value in values.items():
            saved.setdefault(name, getattr(gpugrad.config, name))
            gpugrad.config.update(name, value)

    yield set_options
    for name, value in saved.items():
        gpugrad.config.update(name, value)


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The expressions the elementwise primitive evaluates on arrays, in order (a VJP
    evaluating several cotangents at once counts once, as the tuple of them; the
    one-element evaluations that type a lazy result do not count)."""
    from gpugrad.primitives import elementwise, elementwise_eval

    seen: list[Any] = []
    original, original_many = elementwise_eval.evaluate, elementwise_eval.evaluate_many

    def counting(*args: Any, expr: Any) -> Any:
        if max(np.size(a) for a in args) > 1:
            seen.append(expr)
        return original(*args, expr=expr)

    def counting_many(exprs: Any, args: Any) -> Any:
        seen.append(exprs)
        return original_many(exprs, args)

    monkeypatch.setattr(elementwise.elementwise_p, "impl", counting)
    for module in (elementwise, elementwise_eval):  # the rules' calls and the evaluator's own
        monkeypatch.setattr(module, "evaluate", counting)
        monkeypatch.setattr(module, "evaluate_many", counting_many)
    return seen


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the gpu group on the CuPy stand-in (``test_gpu_on_standin.py``) in a child process
    as soon as it is selected, and check it last: it runs on the second core meanwhile."""
    chosen = [item for item in session.items
              if item.nodeid.endswith("test_every_gpu_test_passes_on_the_cupy_standin")]
    if not chosen or os.environ.get("GPUGRAD_CUPY_STANDIN") == "1":
        return
    session.items[:] = [item for item in session.items if item not in chosen] + chosen
    chosen[0].module.start_child()  # type: ignore[attr-defined]
