"""Values a lazy forward evaluation saves for the backward pass: which ones, shared by every
reader, read again as the same array; and what the backward pass then recomputes."""

from __future__ import annotations

import numpy as np

import gpugrad
import gpugrad.numpy as gnp


def test_a_cheap_value_over_a_costly_one_is_saved_not_recomputed(evaluations):
    """log's VJP reads ``tanh(x) + 2``: an addition, but recomputing it recomputes the tanh.
    The forward evaluation saves it beside tanh(x) (read by tanh's own VJP), so the backward
    pass runs no tanh (it once recomputed it to divide by ``tanh(x) + 2``)."""
    x = np.random.default_rng(2).uniform(-1, 1, 100_000).astype(np.float32)

    def f(x):
        return gnp.sum(gnp.log(gnp.tanh(x) + 2.0))

    value, f_vjp = gpugrad.vjp(f, x)
    evaluations.clear()
    (g,) = f_vjp(np.float32(1.0))
    assert evaluations and not any("tanh(" in str(e) for e in evaluations), evaluations
    t = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(value, np.sum(np.log(t + 2)), rtol=1e-5)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, (1 - t**2) / (t + 2), rtol=1e-5, atol=1e-7)


def test_lazy_values_declare_the_dtype_of_each_call():
    """The dtype a lazy value declares is remembered per expression and input dtypes: one
    program on float32, float64, then float32 again (a 0-d array broadcast beside the
    arrays) declares and returns each dtype in turn."""
    declared = []

    def f(x, b):
        y = gnp.tanh(x * 2.0 + b)
        declared.append(y.dtype)
        return gnp.sum(y * y)

    for dtype, rtol in ((np.float32, 1e-5), (np.float64, 1e-12), (np.float32, 1e-5)):
        x, b = np.linspace(-1, 1, 70_000, dtype=dtype), np.asarray(0.5, dtype)
        _, (gx, gb) = gpugrad.value_and_grad(f, (0, 1))(x, b)
        assert (declared[-1], gx.dtype, gb.dtype) == (dtype, dtype, dtype)
        t = np.tanh(2 * x.astype(np.float64) + 0.5)
        np.testing.assert_allclose(gx, 4 * t * (1 - t**2), rtol=rtol, atol=rtol)
        np.testing.assert_allclose(gb, np.sum(2 * t * (1 - t**2)), rtol=rtol)


def test_saved_values_are_shared_by_every_reader():
    x = np.linspace(-1.0, 1.0, 150_000)

    def f(x):
        t = gnp.tanh(x)  # read by its own VJP (1 - t**2) and by the product's
        u = t * gnp.exp(x)
        first = gnp.sum(u)  # evaluates u's chain, saving t and exp(x)
        return first + gnp.sum(t * t)  # t's lazy value is now its saved array

    g = gpugrad.grad(f)(x)
    t, e = np.tanh(x), np.exp(x)
    expected = (1 - t**2) * e + t * e + 2 * t * (1 - t**2)
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-14)


def test_a_saved_value_read_again_is_that_value():
    """Found by test_fusion_programs: tanh(...) is saved while ``v5 > 0.1`` is evaluated,
    and reading v5 itself later must give that saved array (it once gave an unwritten
    buffer)."""
    x = np.random.default_rng(7).uniform(-1, 1, (700, 100))

    def f(x, xp):
        v5 = xp.tanh(x + (x + x / (x * x + 1.0)))
        v6 = xp.where(v5 > 0.1, v5, -v5 * 0.25)
        return xp.sum(xp.tanh(v6)) + xp.sum(v5 * 0.125)

    value, g = gpugrad.value_and_grad(lambda x: f(x, gnp))(x)
    np.testing.assert_allclose(value, f(x, np), rtol=1e-13)
    gpugrad.config.update("fuse_backward", False)
    try:
        g_ref = gpugrad.grad(lambda x: f(x, gnp))(x)
    finally:
        gpugrad.config.update("fuse_backward", True)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-14)


def test_two_nodes_computing_the_same_value_each_get_it(configure):
    """Found by test_fusion_programs: exp(x) computed twice, both read by minimum's VJP,
    are saved once and shared (a duplicate output was once left unwritten)."""
    configure(lazy_min_size=0, chunked_min_size=1)
    x = np.random.default_rng(1).uniform(-1, 1, (700, 100)).astype(np.float32)

    def f(x):
        return gnp.sum(gnp.minimum(gnp.exp(x), gnp.exp(x)) * gnp.cos(x))

    for _ in range(3):  # an unwritten buffer would show as a changing answer
        value, g = gpugrad.value_and_grad(f)(x)
        e = np.exp(x.astype(np.float64))
        np.testing.assert_allclose(value, np.sum(e * np.cos(x)), rtol=1e-5)
        # minimum's derivative splits evenly between two equal inputs
        np.testing.assert_allclose(g, e * np.cos(x) - e * np.sin(x), rtol=1e-4, atol=1e-5)
