"""jit's per-call path and generated code: the fast cache key of NumPy arrays and Python
numbers, small elementwise equations called inline on NumPy, and no evaluation left whose
result nothing reads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.compiler import compile_program


def _compiled(jf: Any) -> Any:
    (entry,) = jf._cache.values()
    return entry.compiled


def test_third_derivative_of_tanh_keeps_only_the_evaluations_it_reads() -> None:
    jf = gpugrad.jit(gpugrad.grad(gpugrad.grad(gpugrad.grad(gnp.tanh))))
    for x in (-1.5, 0.3, 2.0):
        t2 = np.tanh(x) ** 2
        got = jf(np.float32(x))
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, (1 - t2) * (6 * t2 - 2), rtol=2e-5)  # closed form
    program = _compiled(jf).program
    read = {id(a) for e in program.eqns for a in e.inputs} | {id(v) for v in program.outvars}
    assert all(id(v) in read for e in program.eqns for v in e.outs)
    assert len(program.eqns) <= 2  # measured: four fused evaluations before, two of them dead


def test_small_elementwise_equations_run_inline_and_return_typed_arrays() -> None:
    f = lambda x: gnp.sum(gnp.sin(x) ** 2 * 3.0)
    g = gpugrad.jit(gpugrad.grad(f))
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    out = g(x)
    np.testing.assert_allclose(out, 3.0 * np.sin(2 * x.astype(np.float64)), rtol=1e-6)
    assert out.dtype == np.float32
    assert "asarray(E" in _compiled(g).source
    # A 0-d result is a 0-d array in the argument's precision, as eagerly (not a scalar).
    h = gpugrad.jit(lambda x: gnp.exp(x) * 2.0)
    for arg in (np.float32(0.5), np.asarray(0.5, np.float32)):
        out = h(arg)
        assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float32
        assert type(gpugrad.grad(lambda x: gnp.exp(x) * 2.0)(arg)) is np.ndarray
        np.testing.assert_allclose(out, 2.0 * np.exp(0.5), rtol=1e-6)


def test_large_elementwise_equations_keep_the_chunked_evaluation() -> None:
    x = np.linspace(-1, 1, gpugrad.config.chunked_min_size)
    g = gpugrad.jit(gpugrad.grad(lambda x: gnp.sum(gnp.exp(-x ** 2) * gnp.sin(3.0 * x))))
    ref = np.exp(-x ** 2) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
    np.testing.assert_allclose(g(x), ref, rtol=1e-12, atol=1e-14)
    assert "asarray(E" not in _compiled(g).source and "expr=K" in _compiled(g).source


def test_a_program_for_either_backend_calls_the_primitive() -> None:
    program = gpugrad.make_jaxpr(lambda x: gnp.sin(x) * 2.0)(np.ones(3))
    compiled = compile_program(program, [])
    assert "asarray(E" not in compiled.source
    np.testing.assert_allclose(compiled([np.zeros(3) + 0.5])[0], 2 * np.sin(0.5), rtol=1e-15)


def test_fast_key_hits_and_retraces_as_the_full_one() -> None:
    traces: list[Any] = []

    def f(a: Any, b: Any) -> Any:
        traces.append(1)
        return a * b

    jf = gpugrad.jit(f)
    half = np.ones(2, np.float16)
    for _ in range(3):  # the second and third calls take the fast key
        assert jf(2.0, half).dtype == np.float16
        assert jf(2, 3.0).dtype == np.float32 and float(jf(2, 3.0)) == 6.0
    assert len(traces) == 2
    assert jf(np.float32(2.0), half).dtype == np.float32  # a NumPy scalar is not weak
    jf(np.ones(3, np.float16), 2.0)  # new shape: traced again
    gpugrad.config.update("enable_x64", True)
    try:  # 64-bit mode changes the Python numbers' dtype: traced again, not a fast hit
        assert jf(2, 3.0).dtype == np.float64
    finally:
        gpugrad.config.update("enable_x64", False)
    assert jf(2, 3.0).dtype == np.float32
    assert len(traces) == 5


def test_static_arguments_with_the_fast_key() -> None:
    jf = gpugrad.jit(lambda x, n: x ** n, static_argnums=1)
    x = np.array([1.0, 2.0])
    for n in (2, 3, 2, 3):
        np.testing.assert_allclose(jf(x, n), x ** n, rtol=1e-15)
    assert len(jf._cache) == 2
    with pytest.raises(TypeError, match="must be hashable"):
        jf(x, [2])


def test_inputs_an_expression_ignores_are_dropped_unless_they_give_the_shape() -> None:
    from gpugrad.compiler import passes
    from gpugrad.core.abstract import ShapedArray
    from gpugrad.core.program import Equation, Program, Var
    from gpugrad.expr import catalog
    from gpugrad.expr.language import var
    from gpugrad.primitives.elementwise import elementwise_p

    def program(shape_y: tuple[int, ...]) -> Program:
        x, y = Var(ShapedArray((3,), np.float64)), Var(ShapedArray(shape_y, np.float64))
        s, out = Var(ShapedArray(shape_y, np.float64)), Var(ShapedArray((3,), np.float64))
        sin_y = Equation(elementwise_p, [y], {"expr": catalog.sin(var(0))}, [s])
        # reads x, y and sin(y) but uses y alone: x only broadcasts, sin(y) not at all
        twice = Equation(elementwise_p, [x, y, s], {"expr": catalog.mul(var(1), 2.0)}, [out])
        return Program([x, y], [], [sin_y, twice], [out])

    # y has the result's shape: x and sin(y) are dropped, and with them the sine.
    fused = passes.remove_dead(passes.fuse_elementwise(program((3,))))
    (eqn,) = fused.eqns
    assert str(eqn.params["expr"]) == "mul(x0, 2.0)" and eqn.inputs == [fused.invars[1]]
    y = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(compile_program(fused, [])([np.zeros(3), y])[0], 2 * y)
    # y is a scalar: only x gives the result its shape, so every input stays.
    kept = passes.remove_dead(passes.fuse_elementwise(program(())))
    assert len(kept.eqns[1].inputs) == 3
    out = compile_program(kept, [], "numpy")([np.zeros(3), np.asarray(1.5)])[0]
    np.testing.assert_allclose(out, [3.0, 3.0, 3.0])


def test_jitted_calls_return_inf_and_nan_without_warnings() -> None:
    import warnings

    from gpugrad.primitives.elementwise_eval import quiet_state

    f = gpugrad.jit(lambda x: gnp.log(x) * gnp.sqrt(x - 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would fail the test
        out = f(np.array([0.0, 0.5, 2.0]))
        inner = gpugrad.grad(lambda x: gnp.sum(f(x)))(np.array([0.5, 2.0]))
    assert np.isnan(out[0]) and np.isnan(out[1])  # -inf * nan, log(0.5) * nan
    np.testing.assert_allclose(out[2], np.log(2.0), rtol=1e-15)
    assert np.isnan(inner[0])
    np.testing.assert_allclose(inner[1], 0.5 + np.log(2.0) / 2, rtol=1e-15)
    assert quiet_state.depth == 0
    with np.errstate(all="raise"):  # the caller's own setting comes back after the call
        f(np.array([0.0]))
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(1))


def test_a_constant_of_one_repeated_value_is_read_as_a_scalar() -> None:
    # grad of a sum seeds its cotangent with ones of x's shape, made while tracing.
    g = gpugrad.jit(gpugrad.grad(lambda x: gnp.sum(x ** 2)))
    x = np.linspace(-1, 1, 1000, dtype=np.float32)
    out = g(x)
    np.testing.assert_allclose(out, 2 * x, rtol=1e-7)
    assert out.dtype == np.float32
    (entry,) = g._cache.values()
    assert entry.compiled.consts == [] and entry.consts[0].shape == (1000,)
    # A constant of several values stays; so does one that alone gives the result its shape.
    ramp = np.arange(4.0)
    h = gpugrad.jit(lambda x: x * ramp + np.ones(4))
    np.testing.assert_allclose(h(np.float64(2.0)), 2 * ramp + 1, rtol=1e-15)
    (kept,) = _compiled(h).consts
    assert kept is ramp
    k = gpugrad.jit(lambda x: x + np.full(4, 0.5))
    np.testing.assert_allclose(k(np.float64(2.0)), np.full(4, 2.5), rtol=1e-15)
    (kept,) = _compiled(k).consts
    assert kept.shape == (4,)


def test_elementwise_equations_read_through_broadcasts() -> None:
    f = gpugrad.jit(lambda x, s: x * gnp.broadcast_to(gnp.exp(s), x.shape))
    x, s = np.arange(6.0).reshape(2, 3), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(f(x, s), x * np.exp(s), rtol=1e-15)
    # exp(s) is made once, at its own shape; the product broadcasts it.
    assert [e.prim.name for e in _compiled(f).program.eqns] == ["elementwise"] * 2
    # Where the broadcast alone gives the result its shape, it stays.
    g = gpugrad.jit(lambda s: gnp.broadcast_to(s, (2, 3)) * 2.0)
    np.testing.assert_allclose(g(s), np.tile(2 * s, (2, 1)), rtol=1e-15)
    assert [e.prim.name for e in _compiled(g).program.eqns] == ["broadcast", "elementwise"]


def test_a_literal_one_is_multiplied_out_of_the_expression() -> None:
    # d/dx sum(x**2): the seed's ones, made a literal, leave 2 * x alone (one ufunc call).
    g = gpugrad.jit(gpugrad.grad(lambda x: gnp.sum(x ** 2)))
    x = np.linspace(-1, 1, 1 << 17, dtype=np.float32)
    out = g(x)
    np.testing.assert_array_equal(out, np.float32(2.0) * x)
    assert out.dtype == np.float32 and out is not x
    (eqn,) = _compiled(g).program.eqns
    assert str(eqn.params["expr"]) == "mul(2.0, x0)" and len(eqn.inputs) == 1
    # Bit for bit the eager gradient, signed zeros, infinities and NaN included.
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3e38], np.float32)
    for f in (lambda x: gnp.sum(gnp.exp(-x ** 2) * gnp.sin(3 * x) + gnp.log1p(x ** 2)),
              lambda x: gnp.mean(gnp.tanh(x) * x), lambda x: gnp.sum(x / 3.0)):
        for v in (x, special):
            np.testing.assert_array_equal(gpugrad.jit(gpugrad.grad(f))(v), gpugrad.grad(f)(v))
    # A float32 literal 1 beside float16 arrays sets the compute dtype: it stays.
    h = gpugrad.jit(lambda a: a * np.ones(8, np.float32))
    a16 = np.linspace(-2, 2, 8).astype(np.float16)
    assert h(a16).dtype == np.float32
    np.testing.assert_array_equal(h(a16), a16.astype(np.float32))
    # A product left as a bare copy of its input keeps its equation: no output aliases x.
    k = gpugrad.jit(lambda x: x * np.ones(4, np.float32))
    x4 = np.arange(4, dtype=np.float32)
    assert k(x4) is not x4
    np.testing.assert_array_equal(k(x4), x4)
