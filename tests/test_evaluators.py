"""Which evaluator runs an elementwise expression: the size thresholds are ``gpugrad.config``
options, each route gives the same numbers, and ``GPUGRAD_DEBUG=1`` (the ``debug`` option)
says which evaluator ran and why."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.config import OPTIONS, live
from gpugrad.expr import catalog as C
from gpugrad.expr.language import var
from gpugrad.primitives.broadcasting import broadcast_to
from gpugrad.primitives.elementwise_eval import evaluate

SIZE_OPTIONS = ["fusion_min_size", "lazy_min_size", "chunked_min_size", "chunk_size",
                "broadcast_copy_max_size", "fusion_max_args", "fusion_max_nodes",
                "recipe_max_nodes"]


def sin_squared(x: Any) -> Any:
    return gnp.sum(gnp.sin(x) ** 2)


def sin_squared_grad(x: np.ndarray) -> np.ndarray:
    return 2 * np.sin(x) * np.cos(x)  # d/dx sum(sin(x)^2)


@pytest.fixture
def routes(caplog: pytest.LogCaptureFixture, configure: Any) -> Any:
    """The ``debug`` option on for one test; ``routes()`` returns the messages logged since
    the last call, as (route, why) pairs."""
    configure(debug=True)
    caplog.set_level(logging.DEBUG, logger="gpugrad")

    def taken() -> list[tuple[str, str]]:
        found = [(r.getMessage().split(": ", 1)[0], r.getMessage().split(" | ")[2])
                 for r in caplog.records if r.name == "gpugrad"]
        caplog.clear()
        return found

    return taken


@pytest.mark.parametrize("name", SIZE_OPTIONS)
def test_every_size_threshold_is_an_option_with_its_variable(name: str) -> None:
    option = OPTIONS[name]
    assert option.env == "GPUGRAD_" + name.upper()
    assert type(option.default) is int and option.default > 0
    assert option.parse(" 1024 ") == 1024
    assert getattr(gpugrad.config, name) == option.default  # the suite runs on the defaults
    with pytest.raises(ValueError, match="non-negative integer"):
        option.parse("big")


def test_a_size_option_refuses_what_is_not_a_size(configure: Any) -> None:
    configure(chunk_size=4096)  # restored after the test
    for wrong in (-1, 2.5, True, "-3"):
        with pytest.raises(ValueError, match="chunk_size"):
            gpugrad.config.update("chunk_size", wrong)
    gpugrad.config.update("chunk_size", "8192")
    assert gpugrad.config.chunk_size == 8192
    assert live.chunk_size == 8192  # the copy that per-operation code reads follows


def test_small_and_large_arrays_name_their_evaluators(routes: Any) -> None:
    small = np.linspace(-1.0, 1.0, 10)
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(small), sin_squared_grad(small),
                               rtol=1e-14)
    taken = routes()
    direct = ("direct (value now, generated VJP rule)",
              "size < fusion_min_size=16384, one reverse-mode trace")
    assert taken[:2] == [direct, direct]  # sin, then square
    assert [route for route, _ in taken[2:]] == ["direct VJP rule"] * 2

    large = np.linspace(-1.0, 1.0, 1 << 17)
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(large), sin_squared_grad(large),
                               rtol=1e-12, atol=1e-15)
    taken = routes()
    assert taken[:2] == [("deferred (lazy)", "131072 >= lazy_min_size=65536"),
                         ("deferred (lazy)", "a lazy input")]
    assert taken[2][0] == "one pass, saving 1 value(s) the backward pass reads"
    assert taken[3] == ("chunked NumPy", "size >= chunked_min_size=65536, contiguous")
    assert len(taken) == 4  # the forward chain and the fused backward: two evaluations


def test_evaluation_without_a_trace_names_its_evaluator(routes: Any) -> None:
    e = C.exp(-C.square(var(0))) * var(1)
    for n, route, why in [(100, "plain NumPy", "size < chunked_min_size=65536"),
                          (1 << 17, "chunked NumPy",
                           "size >= chunked_min_size=65536, contiguous")]:
        x, y = np.linspace(-2.0, 2.0, n), np.linspace(0.0, 1.0, n)
        np.testing.assert_allclose(evaluate(x, y, expr=e), np.exp(-x * x) * y, rtol=1e-15)
        assert routes() == [(route, why)]
    strided = np.linspace(-2.0, 2.0, 1 << 18)[::2]
    np.testing.assert_allclose(evaluate(strided, 3.0, expr=e), np.exp(-strided**2) * 3.0,
                               rtol=1e-15)
    assert routes() == [("NumPy with reused buffers", "size >= chunked_min_size=65536, strided")]
    x = np.ones(1 << 17)
    np.testing.assert_array_equal(gnp.sin(x), np.sin(x))
    assert routes() == [("plain NumPy", "a single operation: nothing to fuse")]


def test_forward_mode_names_the_direct_route(routes: Any) -> None:
    x = np.linspace(0.5, 1.5, 5)
    out, tangent = gpugrad.jvp(lambda x: gnp.sin(x) * x, (x,), (np.ones(5),))
    np.testing.assert_allclose(tangent, np.cos(x) * x + np.sin(x), rtol=1e-15)
    assert [why for _, why in routes()] == [
        "size < fusion_min_size=16384, one forward-mode trace"] * 2


def test_the_threshold_options_move_arrays_between_routes(routes: Any, configure: Any) -> None:
    x = np.linspace(-1.0, 1.0, 10)
    configure(fusion_min_size=0)  # the general route (recipes, fused backward) from size 0
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(x), sin_squared_grad(x), rtol=1e-14)
    taken = routes()
    assert ("recipe (recomputed in the backward pass)", "10 >= fusion_min_size=0") in taken
    assert not any(route.startswith("direct") for route, _ in taken)
    configure(lazy_min_size=0, chunked_min_size=4)  # lazy and chunked, at 10 elements
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(x), sin_squared_grad(x), rtol=1e-14)
    taken = routes()
    assert taken[0] == ("deferred (lazy)", "10 >= lazy_min_size=0")
    assert ("chunked NumPy", "size >= chunked_min_size=4, contiguous") in taken
    configure(chunk_size=3)  # slices of 3 elements give the same numbers
    y = np.linspace(-1.0, 1.0, 1000)
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(y), sin_squared_grad(y), rtol=1e-14)


def test_recipes_past_recipe_max_nodes_become_checkpoints(routes: Any, configure: Any) -> None:
    configure(fusion_min_size=0, recipe_max_nodes=2)
    x = np.linspace(-1.0, 1.0, 7)
    g = gpugrad.grad(lambda x: gnp.sum(gnp.tanh(gnp.sin(gnp.exp(x)))))(x)
    s = np.sin(np.exp(x))
    np.testing.assert_allclose(g, (1 - np.tanh(s) ** 2) * np.cos(np.exp(x)) * np.exp(x),
                               rtol=1e-14)
    assert ("kept (checkpoint)", "3 operations > recipe_max_nodes=2") in routes()


def test_broadcast_copies_up_to_its_option(configure: Any) -> None:
    x = np.arange(3.0)
    small = broadcast_to(x, (4, 3))
    assert small.flags.writeable  # a copy
    configure(broadcast_copy_max_size=11)
    view = broadcast_to(x, (4, 3))
    assert not view.flags.writeable and np.shares_memory(view, x)
    np.testing.assert_array_equal(small, view)


def test_debug_is_silent_when_off(caplog: pytest.LogCaptureFixture) -> None:
    assert gpugrad.config.debug is False
    caplog.set_level(logging.DEBUG, logger="gpugrad")
    gpugrad.grad(sin_squared)(np.ones(3))
    gpugrad.grad(sin_squared)(np.ones(1 << 17))
    assert [r for r in caplog.records if r.name == "gpugrad"] == []


def test_environment_variables_set_debug_and_thresholds() -> None:
    code = ("import logging, numpy as np, gpugrad, gpugrad.numpy as gnp\n"
            "logging.basicConfig(level=logging.DEBUG, format='%(name)s %(message)s')\n"
            "print(gpugrad.grad(lambda x: gnp.sum(gnp.exp(x)))(np.zeros(3)))\n")
    env = {**os.environ, "GPUGRAD_DEBUG": "1", "GPUGRAD_FUSION_MIN_SIZE": "2",
           "GPUGRAD_LAZY_MIN_SIZE": "2"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[1. 1. 1.]"
    assert "gpugrad deferred (lazy): exp(x0) | 3 float64 on numpy | 3 >= lazy_min_size=2" \
        in proc.stderr


@pytest.mark.gpu
def test_cupy_arrays_name_the_kernel(routes: Any, cupy_module: Any) -> None:
    x = np.linspace(-1.0, 1.0, 10)
    g = gpugrad.grad(sin_squared)(cupy_module.asarray(x))
    np.testing.assert_allclose(cupy_module.asnumpy(g), sin_squared_grad(x), rtol=1e-12)
    taken = routes()
    assert taken[0] == ("deferred (lazy)", "CuPy (every launch saved pays)")
    assert ("CUDA kernel", "a CuPy array") in taken
