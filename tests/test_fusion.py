"""Backward-pass fusion: chains of elementwise VJPs run as one evaluation, and the fused
results agree with the unfused ones (to every order)."""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.test_util import check_grads


@pytest.fixture(autouse=True)
def fuse_small_arrays(monkeypatch):
    """Fuse whatever the size (on NumPy fusion normally starts at MIN_NUMPY_SIZE)."""
    from gpugrad.primitives import fusion

    monkeypatch.setattr(fusion, "MIN_NUMPY_SIZE", 0)


@pytest.fixture
def evaluations(monkeypatch):
    """The expressions the elementwise primitive evaluates, in order."""
    seen = []
    original = elementwise_p.impl

    def counting(*args, expr):
        seen.append(expr)
        return original(*args, expr=expr)

    monkeypatch.setattr(elementwise_p, "impl", counting)
    return seen


@pytest.fixture
def unfused():
    gpugrad.config.update("fuse_backward", False)
    yield
    gpugrad.config.update("fuse_backward", True)


def chain(x):
    return gnp.sum(gnp.exp(-(x**2)) * gnp.sin(3.0 * x) + gnp.log1p(x**2))


def test_sin_squared_backward_is_one_evaluation(evaluations):
    x = np.linspace(-1, 1, 7)
    _, f_vjp = gpugrad.vjp(lambda x: gnp.sum(gnp.sin(x) ** 2), x)
    evaluations.clear()
    (g,) = f_vjp(np.array(1.0))
    assert len(evaluations) == 1, [str(e) for e in evaluations]
    assert "cos" in str(evaluations[0])
    np.testing.assert_allclose(g, np.sin(2 * x), rtol=1e-14)


def test_accumulation_from_several_consumers_is_fused(evaluations):
    x = np.linspace(0.1, 1, 5)
    _, f_vjp = gpugrad.vjp(lambda x: gnp.sum(gnp.sin(x) * 2.0 + gnp.exp(x) * 3.0), x)
    evaluations.clear()
    (g,) = f_vjp(np.array(1.0))
    assert len(evaluations) == 1  # both contributions and their sum: one evaluation
    np.testing.assert_allclose(g, 2 * np.cos(x) + 3 * np.exp(x), rtol=1e-14)


def test_fused_equals_unfused_on_the_benchmark_chain(unfused):
    x = np.random.default_rng(0).standard_normal(101)
    g_unfused = gpugrad.grad(chain)(x)
    gpugrad.config.update("fuse_backward", True)
    g_fused = gpugrad.grad(chain)(x)
    np.testing.assert_allclose(g_fused, g_unfused, rtol=1e-13)
    expected = (np.exp(-(x**2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
                + 2 * x / (1 + x**2))
    np.testing.assert_allclose(g_fused, expected, rtol=1e-12)


def test_chain_backward_fewer_evaluations_than_unfused(evaluations):
    x = np.linspace(-1, 1, 7)
    _, f_vjp = gpugrad.vjp(chain, x)
    evaluations.clear()
    f_vjp(np.array(1.0))
    fused = len(evaluations)
    gpugrad.config.update("fuse_backward", False)
    try:
        _, f_vjp = gpugrad.vjp(chain, x)
        evaluations.clear()
        f_vjp(np.array(1.0))
    finally:
        gpugrad.config.update("fuse_backward", True)
    assert fused <= 3 < len(evaluations)


def test_fused_backward_is_differentiable_to_third_order():
    x = np.linspace(-0.9, 0.9, 5)
    check_grads(chain, (x,), order=2)
    s0 = np.array(0.7)  # float64: a Python float would trace in float32
    third = gpugrad.grad(gpugrad.grad(gpugrad.grad(lambda s: chain(s * x))))(s0)
    h = 1e-4
    second = gpugrad.grad(gpugrad.grad(lambda s: chain(s * x)))
    numeric = (second(s0 + h) - second(s0 - h)) / (2 * h)
    assert float(third) == pytest.approx(float(numeric), rel=1e-5)
