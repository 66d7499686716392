"""The numbers the seed tutorials print (000, 002, and the non-random parts of 001),
asserted to float32 precision."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

import gpugrad as jax
import gpugrad.numpy as jnp
from gpugrad import grad, jacrev


def close32(actual, expected, ulps=4):
    actual = np.asarray(actual)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, np.asarray(expected, np.float32),
                               rtol=ulps * np.finfo(np.float32).eps, atol=1e-7)


def test_seed_000_sum_of_squares():
    x = jnp.asarray([1.0, 2.0, 3.0, 4.0])
    y = jnp.asarray([1.1, 2.1, 3.1, 4.1])
    sum_of_squares = lambda arr: jnp.sum(arr**2)
    assert f"{sum_of_squares(x)}" == "30.0"
    assert f"{jax.grad(sum_of_squares)(x)}" == "[2. 4. 6. 8.]"
    sse = lambda x, y: jnp.sum((x - y) ** 2)
    g = jax.grad(sse)(x, y)
    assert f"{g}" == "[-0.20000005 -0.19999981 -0.19999981 -0.19999981]"
    gx, gy = jax.grad(sse, argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, g)
    np.testing.assert_array_equal(gy, -g)
    for i in range(2):
        assert (jax.grad(sse, argnums=(0, 1))(x, y)[i]
                == (jax.grad(sse, argnums=0)(x, y), jax.grad(sse, argnums=1)(x, y))[i]).all()


def test_seed_001_tanh_derivatives_and_polynomial():
    close32(grad(jnp.tanh)(2.0), 0.070650816)
    close32(grad(grad(jnp.tanh))(2.0), -0.13621868)
    close32(grad(grad(grad(jnp.tanh)))(2.0), 0.25265405)
    f = lambda x: x**3 + 2 * x**2 - 3 * x + 1
    d1 = grad(f)
    d2 = grad(d1)
    d3 = grad(d2)
    d4 = grad(d3)
    assert [f"{d(1.0)}" for d in (d1, d2, d3, d4)] == ["4.0", "10.0", "6.0", "0.0"]


def test_seed_001_logistic_regression_with_printed_parameters():
    # W and b as seed 001 prints them (the random draws are tested with gpugrad.random).
    W = np.array([-0.36838785, -2.275689, 0.01144757], np.float32)
    b = np.array(0.8535516, np.float32)
    inputs = jnp.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30],
                        [0.74, -2.49, 1.39]])
    targets = jnp.array([True, True, False, True])

    def loss(W, b):
        preds = 0.5 * (jnp.tanh((jnp.dot(inputs, W) + b) / 2) + 1)
        label_probs = preds * targets + (1 - preds) * (1 - targets)
        return -jnp.sum(jnp.log(label_probs))

    W_grad, b_grad = grad(loss, (0, 1))(W, b)
    close32(W_grad, [-0.16965583, -0.8774644, -1.4901346], ulps=8)
    close32(b_grad, -0.29227245, ulps=8)
    value, (gw, gb) = jax.value_and_grad(loss, (0, 1))(W, b)
    close32(value, 3.051938533782959)
    assert f"{value}"[:8] == "3.051938"
    grads = grad(lambda p: loss(p["W"], p["b"]))({"W": W, "b": b})
    np.testing.assert_array_equal(grads["W"], W_grad)


def test_seed_002_pipeline():
    x = jnp.array([1.0, 2.0, 3.0])
    pipeline = lambda x: jnp.sum(jnp.sin(x) ** 2)
    close32(grad(pipeline)(x), np.sin(2 * np.array([1.0, 2.0, 3.0])))
    jac = jacrev(lambda x: (jnp.sin(x), jnp.cos(x)))(x)
    assert isinstance(jac, tuple)
    close32(jac[0], np.diag(np.cos([1.0, 2.0, 3.0])))
    close32(jac[1], np.diag(-np.sin([1.0, 2.0, 3.0])))
    multi = lambda x, y: x**2 + (y - 1) ** 2
    x, y = 5.0, 2.0
    assert f"{grad(multi, argnums=0)(x, y)}" == "10.0"
    assert f"{grad(multi, argnums=1)(x, y)}" == "2.0"
    gx = jacrev(multi, argnums=0)(x, y)
    gy = jacrev(multi, argnums=1)(x, y)
    gxy = jacrev(multi, argnums=(0, 1))(x, y)
    assert (f"{gx}", f"{gy}", f"{gxy[0]}", f"{gxy[1]}") == ("10.0", "2.0", "10.0", "2.0")
    x = x - 0.1 * gx
    y = y - 0.1 * gy
    assert (str(x), str(y)) == ("4.0", "1.8")  # print() uses str
    assert f"{jacrev(multi, argnums=0)(x, y)}" == "8.0"
    assert str(jacrev(multi, argnums=1)(x, y)) == "1.5999999"


_NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


def _quickstart_output(capsys: pytest.CaptureFixture[str], backend: str) -> str:
    from gpugrad.examples import grad_and_argnums, grad_jacrev_pipelines, higher_order_and_logistic
    from gpugrad.examples.quickstart import main

    # The seeds make their data at import (`inputs = jnp.array(...)`), on the default backend
    # of that moment, as a fresh `python -m gpugrad quickstart` process would: imported again
    # here, or the other run's arrays would meet this run's, and again after, so later tests
    # find them on the process default.
    seeds = (grad_and_argnums, higher_order_and_logistic, grad_jacrev_pipelines)
    try:
        with jax.use_backend(backend):
            for module in seeds:
                importlib.reload(module)
            assert main(["--no-bench"]) == 0
    finally:
        for module in seeds:
            importlib.reload(module)
    out = capsys.readouterr().out
    first, rest = out.split("\n", 1)
    assert first == f"gpugrad backend: {backend} (use_backend({backend!r}))"
    return rest


@pytest.mark.gpu
def test_seed_programs_print_numpys_numbers_on_cupy(cupy_module, capsys):
    """`python -m gpugrad quickstart --no-bench` (the three seed programs) with CuPy as the
    default backend prints the NumPy run's text, and its numbers to float32 precision: the
    last digits may differ (0.9092974 against 0.90929735), as CUDA's libm differs from
    NumPy's (the CPU stand-in's host libm too)."""
    on_host = _quickstart_output(capsys, "numpy").splitlines()
    on_device = _quickstart_output(capsys, "cupy").splitlines()
    assert "Gradient of sum of squares: [2. 4. 6. 8.]" in on_device
    assert len(on_device) == len(on_host)
    eps = float(np.finfo(np.float32).eps)
    count = 0
    for device_line, host_line in zip(on_device, on_host):
        # The text between the numbers is the same, up to the spaces NumPy pads arrays with
        # to their longest number ([-0.16965583, -0.8774644 , ...] against [-0.87746453, ...]).
        assert ([t.replace(" ", "") for t in _NUMBER.split(device_line)]
                == [t.replace(" ", "") for t in _NUMBER.split(host_line)]), device_line
        # Seed 001's finite differences divide a difference of losses by 1e-4: an ulp of a
        # float32 intermediate (the predictions, about 0.5) moves them by about eps / 1e-4.
        atol = 4 * eps / 1e-4 if "_numerical:" in host_line else 4 * eps
        np.testing.assert_allclose([float(n) for n in _NUMBER.findall(device_line)],
                                   [float(n) for n in _NUMBER.findall(host_line)],
                                   rtol=4 * eps, atol=atol, err_msg=device_line)
        count += len(_NUMBER.findall(host_line))
    assert count > 40


@pytest.mark.gpu
def test_quickstart_benchmark_runs_on_cupy(cupy_module, capsys):
    """The short benchmark times the CuPy backend (its results checked against closed forms
    inside) and reports CuPy's forward beside gpugrad."""
    from gpugrad.examples.quickstart import benchmark

    with jax.use_backend("cupy"):
        rows = benchmark(budget_s=0.005, large=False)
    out = capsys.readouterr().out
    assert len(rows) == 4 and all(row["gpugrad"] > 0 for row in rows)
    assert "| cupy forward |" in out
