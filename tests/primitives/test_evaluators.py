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
                "parallel_min_size", "broadcast_copy_max_size", "fusion_max_args",
                "fusion_max_nodes", "lazy_max_nodes"]


def sin_squared(x: Any) -> Any:
    return gnp.sum(gnp.sin(x) ** 2)


def sin_squared_grad(x: np.ndarray) -> np.ndarray:
    return 2 * np.sin(x) * np.cos(x)  # d/dx sum(sin(x)^2)


@pytest.fixture
def routes(caplog: pytest.LogCaptureFixture, configure: Any) -> Any:
    """The ``debug`` option on for one test; ``routes()`` returns the messages logged since
    the last call, as (route, why) pairs. Two threads whatever the machine: the messages
    name them."""
    configure(debug=True, eval_threads=2)
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
    plain = ("plain NumPy", "size < chunked_min_size=65536")
    assert taken[:2] == [plain, plain]  # sin, then square: evaluated now, nothing kept lazy
    assert taken[2:] == [("generated VJP rule",
                          "size < fusion_min_size=16384, concrete NumPy values")] * 2

    large = np.linspace(-1.0, 1.0, 1 << 17)
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(large), sin_squared_grad(large),
                               rtol=1e-12, atol=1e-15)
    taken = routes()
    assert taken[:2] == [("lazy (evaluated when read)", "131072 >= lazy_min_size=65536"),
                         ("lazy (evaluated when read)", "a lazy input")]
    assert taken[2][0] == "one pass, saving 1 value(s) the backward pass reads"
    assert taken[3] == ("chunked NumPy", "size >= chunked_min_size=65536, contiguous; "
                        "2 threads, size >= parallel_min_size=131072")
    assert len(taken) == 4  # the forward chain and the fused backward: two evaluations


def test_evaluation_without_a_trace_names_its_evaluator(routes: Any) -> None:
    e = C.exp(-C.square(var(0))) * var(1)
    for n, route, why in [(100, "plain NumPy", "size < chunked_min_size=65536"),
                          (1 << 16, "chunked NumPy",
                           "size >= chunked_min_size=65536, contiguous"),
                          (1 << 17, "chunked NumPy",
                           "size >= chunked_min_size=65536, contiguous; 2 threads, "
                           "size >= parallel_min_size=131072")]:
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


def test_a_broadcast_single_value_beside_strided_arrays_keeps_the_reused_buffers(
        routes: Any) -> None:
    """The cotangent of a sum, one value broadcast to the full shape, beside a strided
    array: the evaluator with reused buffers takes its one value as a scalar (it fell back
    to the plain evaluator, 2.4x slower in the gradient of a chain over ``x.T``)."""
    e = C.exp(-C.square(var(0))) * var(1) + C.sin(var(0))
    x = np.linspace(-2.0, 2.0, 1 << 18).reshape(1 << 9, 1 << 9).T
    ct = np.broadcast_to(np.float64(0.5), x.shape)
    out = evaluate(x, ct, expr=e)
    np.testing.assert_allclose(out, np.exp(-x * x) * 0.5 + np.sin(x), rtol=1e-15)
    assert out.shape == x.shape
    assert routes() == [("NumPy with reused buffers", "size >= chunked_min_size=65536, strided")]
    side = 400
    y = np.linspace(-2.0, 2.0, side * side).reshape(side, side)
    grad = gpugrad.grad(lambda y: gnp.sum(gnp.exp(-gnp.transpose(y) ** 2)
                                          * gnp.sin(3.0 * gnp.transpose(y))))(y)
    expected = np.exp(-y * y) * (-2 * y * np.sin(3 * y) + 3 * np.cos(3 * y))
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)
    assert ("NumPy with reused buffers", "size >= chunked_min_size=65536, strided") in routes()


def test_a_sums_seed_of_ones_is_multiplied_out_of_the_fused_backward_pass(
        caplog: pytest.LogCaptureFixture, routes: Any) -> None:
    """``d/dx sum(x**2)`` on a large array evaluates ``2 * x`` alone (one ufunc), not
    ``2 * x * ones``: the seed, ones broadcast from one element, is a factor of 1."""
    x = np.linspace(-1.0, 1.0, 1 << 17)
    np.testing.assert_array_equal(gpugrad.grad(lambda x: gnp.sum(x ** 2))(x), 2.0 * x)
    logged = [r.getMessage().split(" | ")[0] for r in caplog.records if r.name == "gpugrad"]
    routes()
    assert "plain NumPy: mul(2.0, x0)" in logged
    # A mean's seed is 1/n, not 1: it stays a factor.
    np.testing.assert_allclose(gpugrad.grad(lambda x: gnp.mean(x ** 2))(x), 2.0 * x / x.size,
                               rtol=1e-15)
    # Bit for bit the unfused backward pass, special values included.
    y = np.concatenate([x.astype(np.float32), np.array([0.0, -0.0, np.inf, np.nan], np.float32)])
    for f in (lambda y: gnp.sum(y ** 2), lambda y: gnp.sum(gnp.tanh(y) * y),
              lambda y: gnp.sum(gnp.exp(-y ** 2) * gnp.sin(3 * y) + gnp.log1p(y ** 2))):
        fused = gpugrad.grad(f)(y)
        gpugrad.config.update("fuse_backward", False)
        try:
            unfused = gpugrad.grad(f)(y)
        finally:
            gpugrad.config.update("fuse_backward", True)
        assert fused.dtype == np.float32
        np.testing.assert_array_equal(fused, unfused)


def test_forward_mode_names_the_direct_route(routes: Any) -> None:
    x = np.linspace(0.5, 1.5, 5)
    out, tangent = gpugrad.jvp(lambda x: gnp.sin(x) * x, (x,), (np.ones(5),))
    np.testing.assert_allclose(tangent, np.cos(x) * x + np.sin(x), rtol=1e-15)
    assert [why for _, why in routes()] == [
        "size < fusion_min_size=16384, concrete NumPy values"] * 2


def test_the_threshold_options_move_arrays_between_routes(routes: Any, configure: Any) -> None:
    x = np.linspace(-1.0, 1.0, 10)
    configure(fusion_min_size=0)  # the general route (lazy values, fused backward) from size 0
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(x), sin_squared_grad(x), rtol=1e-14)
    taken = routes()
    assert ("lazy (recomputed in the backward pass)", "10 >= fusion_min_size=0") in taken
    assert not any(route in ("generated VJP rule", "value and tangent from one function")
                   for route, _ in taken)
    configure(lazy_min_size=0, chunked_min_size=4)  # lazy and chunked, at 10 elements
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(x), sin_squared_grad(x), rtol=1e-14)
    taken = routes()
    assert taken[0] == ("lazy (evaluated when read)", "10 >= lazy_min_size=0")
    assert ("chunked NumPy", "size >= chunked_min_size=4, contiguous") in taken
    configure(chunk_size=3)  # slices of 3 elements give the same numbers
    y = np.linspace(-1.0, 1.0, 1000)
    np.testing.assert_allclose(gpugrad.grad(sin_squared)(y), sin_squared_grad(y), rtol=1e-14)


def test_lazy_values_past_lazy_max_nodes_become_checkpoints(routes: Any, configure: Any) -> None:
    configure(fusion_min_size=0, lazy_max_nodes=2)
    x = np.linspace(-1.0, 1.0, 7)
    g = gpugrad.grad(lambda x: gnp.sum(gnp.tanh(gnp.sin(gnp.exp(x)))))(x)
    s = np.sin(np.exp(x))
    np.testing.assert_allclose(g, (1 - np.tanh(s) ** 2) * np.cos(np.exp(x)) * np.exp(x),
                               rtol=1e-14)
    assert ("kept (checkpoint)", "3 operations > lazy_max_nodes=2") in routes()


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
    assert ("gpugrad lazy (evaluated when read): exp(x0) | 3 float64 on numpy | "
            "3 >= lazy_min_size=2") in proc.stderr


@pytest.mark.gpu
def test_cupy_arrays_name_the_kernel(routes: Any, cupy_module: Any) -> None:
    x = np.linspace(-1.0, 1.0, 10)
    g = gpugrad.grad(sin_squared)(cupy_module.asarray(x))
    np.testing.assert_allclose(cupy_module.asnumpy(g), sin_squared_grad(x), rtol=1e-12)
    taken = routes()
    assert taken[0] == ("lazy (evaluated when read)", "CuPy (every launch saved pays)")
    assert ("CUDA kernel", "a CuPy array") in taken


# Values of every kind an elementwise evaluation meets: NumPy scalars, 0-d and larger arrays
# of several dtypes, and Python numbers (weak: they take the other operand's dtype).
_OPERANDS = [np.float32(1.5), np.asarray(np.float16(-2.25)), np.float64(0.1),
             np.array([3.0, -0.0, np.inf], np.float32), np.int8(100), np.array([7, -3], np.int8),
             np.uint8(3), np.True_, np.array([True, False]), np.complex64(1 - 2j), 2.5, -3, True]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "neg"])
def test_arithmetic_written_as_operators_matches_the_ufunc(op: str) -> None:
    """Arithmetic on an argument said to be a NumPy value (as on a temporary) is generated as
    Python's operator, NumPy's scalar arithmetic on scalars: bit for bit the ufunc's value
    and dtype, or the same error, for every pair of operand kinds."""
    from gpugrad.primitives.elementwise_eval import numpy_function

    spec = getattr(C, op)
    ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
             "neg": np.negative}[op]
    expr = spec(var(0), var(1)) if spec.arity == 2 else spec(var(0))
    pairs = [(a, b) for a in _OPERANDS for b in _OPERANDS] if spec.arity == 2 else [
        (a, a) for a in _OPERANDS]
    checked = 0
    for args in pairs:
        typed_args = frozenset(k for k, a in enumerate(args)
                               if isinstance(a, (np.ndarray, np.generic)))
        if not typed_args:
            continue  # two Python numbers: never given to the operator form
        fn = numpy_function(expr, 2, typed_args)
        with np.errstate(all="ignore"):
            try:
                want = ufunc(*args[:spec.arity])
            except (TypeError, OverflowError, ValueError) as error:
                with pytest.raises(type(error)):
                    fn(np, *args)
                continue
            got = fn(np, *args)
        assert type(got) is type(want), (op, args)
        assert np.asarray(got).dtype == np.asarray(want).dtype, (op, args)
        np.testing.assert_array_equal(got, want)
        assert np.array_equal(np.signbit(np.real(got)), np.signbit(np.real(want))), (op, args)
        checked += 1
    assert checked > 5


def test_the_operator_form_is_generated_only_where_no_python_number_can_meet_it() -> None:
    from gpugrad.expr.printers import to_python

    expr = C.mul(C.sin(var(0)), var(1)) + C.mul(var(1), 2.0)
    assert "(t0 * x1)" in to_python(expr, 2)  # a temporary: a NumPy value
    assert "xp.multiply(x1, 2.0)" in to_python(expr, 2)  # x1 may be a Python number
    assert "(x1 * 2.0)" in to_python(expr, 2, typed_args=frozenset({1}))


def test_a_tangent_formula_is_given_only_the_arrays_it_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """jacfwd pushes a basis through sin and tanh. sin's tangent ``cos(x) * t`` is evaluated
    over x and t alone (it once also carried sin(x), which made the evaluation broadcast
    its result back to every input's shape); tanh's ``(1 - tanh(x)**2) * t`` reads the value
    and keeps it."""
    from gpugrad.primitives import elementwise

    seen, original = [], elementwise.evaluate
    monkeypatch.setattr(elementwise, "evaluate", lambda *args, expr: seen.append(
        (str(expr), len(args))) or original(*args, expr=expr))
    x = np.linspace(-1.0, 1.0, 64, dtype=np.float32)
    jac_sin, jac_tanh = gpugrad.jacfwd(lambda x: (gnp.sin(x), gnp.tanh(x)))(x)
    assert sorted(e for e in seen if "x1" in e[0]) == [
        ("mul(cos(x0), x1)", 2), ("mul(sub(1.0, mul(x2, x2)), x1)", 3)]
    np.testing.assert_allclose(jac_sin, np.diag(np.cos(x)), rtol=1e-6)
    np.testing.assert_allclose(jac_tanh, np.diag(1 - np.tanh(x) ** 2), rtol=1e-6, atol=1e-7)
    assert jac_sin.dtype == jac_tanh.dtype == np.float32
