"""numexpr evaluation (primitives.numexpr_eval): every operation of its vocabulary agrees with
NumPy's evaluation in float32 and float64, dtypes are kept, everything else falls back to
NumPy, the ``numexpr`` option switches it, and gradients computed with it are right."""

from __future__ import annotations

import os
import subprocess
import sys

import numexpr
import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.config import OPTIONS
from gpugrad.expr import catalog as C
from gpugrad.expr.language import const, evaluation_order, substitute, var
from gpugrad.kernel_check import items as kernel_items
from gpugrad.primitives import numexpr_eval
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.elementwise_eval import numpy_function
from gpugrad.primitives.numexpr_eval import VOCABULARY, numexpr_function, to_numexpr
from gpugrad.primitives.numpy_eval import FUSED_MIN_SIZE, numpy_function_for

# numexpr's transcendental functions may round differently from NumPy's: a few ulp.
RTOL = {"float32": 1e-6, "float64": 1e-13}
DOMAINS = {"arccosh": (1.2, 3.0)}


@pytest.fixture
def numexpr_on():
    before = gpugrad.config.numexpr
    gpugrad.config.update("numexpr", True)
    yield
    gpugrad.config.update("numexpr", before)


def _close(got: np.ndarray, want: np.ndarray, dtype: str, msg: str = "") -> None:
    assert got.dtype == want.dtype, msg
    assert got.shape == want.shape, msg
    if want.dtype == bool:
        np.testing.assert_array_equal(got, want, err_msg=msg)
        return
    # Relative to each value, with an absolute floor at the scale of the result (the
    # derivatives subtract nearly equal terms: 1 - tanh(x)**2, say).
    finite = want[np.isfinite(want)]
    scale = float(np.abs(finite).max()) if finite.size else 1.0
    rtol = RTOL[dtype]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=4 * rtol * scale, equal_nan=True,
                               err_msg=msg)


def _float_roles(op_name: str, dtype: str):
    """The value, JVP, VJP and second-order VJP expressions of ``op_name`` (kernel_items.op_roles),
    each boolean input replaced by a comparison of a floating one: numexpr_eval sees only
    floating inputs."""
    for role, expr, dtypes in kernel_items.op_roles(C.OPS[op_name], dtype):
        if isinstance(expr, tuple):  # every cotangent at once: each is a role of its own too
            continue
        mapping = {var(i): C.gt(var(i), 0.55) for i, d in enumerate(dtypes) if d.kind == "b"}
        yield role, substitute(expr, mapping) if mapping else expr, len(dtypes)


def _uniform(op_name: str, dtype: str, nargs: int, n: int = 1000) -> list[np.ndarray]:
    lo, hi = DOMAINS.get(op_name, (0.2, 0.9))
    rng = np.random.default_rng(7)
    return [rng.uniform(lo, hi, n).astype(dtype) for _ in range(nargs)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op_name", sorted(VOCABULARY))
def test_every_op_of_the_vocabulary_agrees_with_numpy(op_name: str, dtype: str) -> None:
    with np.errstate(all="ignore"):
        for role, expr, nargs in _float_roles(op_name, dtype):
            args = _uniform(op_name, dtype, nargs)
            want = np.asarray(numpy_function(expr, nargs)(np, *args))
            run = numexpr_function(expr, np.dtype(dtype))
            nodes = evaluation_order(expr)
            if not nodes or not all(node.op.name in VOCABULARY for node in nodes):
                # Nothing to compute (add's VJP is the cotangent), or an operation numexpr
                # lacks (maximum's derivative in a JVP, say): NumPy evaluates it.
                assert run is None, f"{op_name} {role}: {expr}"
                continue
            assert run is not None, f"{op_name} {role}: {expr} not translated"
            _close(run(args), want, dtype, f"{op_name} {role}: {to_numexpr(expr)}")


def test_the_vocabulary_is_in_the_catalog() -> None:
    assert VOCABULARY <= set(C.OPS)
    for name in ("add", "exp", "log1p", "arctan2", "select", "ipow", "lt", "logical_xor"):
        assert name in VOCABULARY


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [-7, -4, -3, -1, 3, 4, 5, 9, 60])
def test_integer_powers(n: int, dtype: str) -> None:
    e = C.ipow(var(0), n)
    x = np.linspace(0.3, 1.7, 1001, dtype=dtype)
    run = numexpr_function(e, np.dtype(dtype))
    assert run is not None
    _close(run([x]), np.power(x, n), dtype, str(n))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constants_keep_the_dtype(dtype: str) -> None:
    x0, x1 = var(0), var(1)
    exprs = [
        x0 * 2.5 + 0.1,  # non-integral constants: typed inputs, not float64 literals
        C.select(C.gt(x0, 0.3), 1.0, 0.0) * x1,
        3.0 - C.exp(-C.square(x0)) / 7.0,
        C.power(x0, 1.5) + C.reciprocal(x1),
    ]
    x = np.linspace(-1.0, 1.0, 1001, dtype=dtype)
    y = np.linspace(0.5, 2.0, 1001, dtype=dtype)
    for e in exprs:
        run = numexpr_function(e, np.dtype(dtype))
        assert run is not None, str(e)
        got = run([x, y])
        assert got.dtype == np.dtype(dtype), str(e)
        with np.errstate(all="ignore"):
            want = np.asarray(numpy_function(e, 2)(np, x, y))
        _close(got, want, dtype, f"{e}: {to_numexpr(e)}")
    # Nodes of constants only: NumPy computes them on Python floats, in float64 (np.where's
    # result, np.sin(0.7)); numexpr keeps the array's dtype, as every other node does.
    c = np.asarray(0.7, dtype)
    for e, want in ((C.select(C.gt(x0, 0.3), 1.5, -2.0), np.where(x > 0.3, 1.5, -2.0)),
                    (C.sin(const(0.7)) * x0, np.sin(c) * x)):
        got = numexpr_function(e, np.dtype(dtype))([x])
        assert got.dtype == np.dtype(dtype), str(e)
        _close(got, want.astype(dtype), dtype, str(e))


def test_constants_are_typed_inputs_or_exact_integers() -> None:
    source, variables, constants = to_numexpr(var(0) * 2.5 + 1.0)
    assert (source, variables, constants) == ("((x0 * c0) + 1)", (0,), (2.5,))
    # -0.0 is not the integer 0: its sign is kept.
    e = C.select(C.gt(var(0), 0.0), var(0), -0.0)
    assert to_numexpr(e) == ("where((x0 > 0), x0, c0)", (0,), (-0.0,))
    x = np.linspace(-1.0, 1.0, FUSED_MIN_SIZE, dtype=np.float32)
    got = numexpr_function(e, np.dtype(np.float32))([x])
    np.testing.assert_array_equal(np.signbit(got), x < 0)


def test_outside_the_vocabulary_falls_back_to_numpy(numexpr_on) -> None:
    x = np.linspace(0.1, 2.0, FUSED_MIN_SIZE)
    for e in (C.maximum(var(0), 0.5) * 2.0, C.erf(var(0)), C.remainder(var(0), 0.3) + 1.0,
              C.sin(var(0)) + C.cbrt(var(0))):
        assert to_numexpr(e) is None, str(e)
        assert numexpr_function(e, x.dtype) is None
        fn = numpy_function_for(e, (x,))
        assert fn.__name__ != "_numexpr", str(e)
        np.testing.assert_array_equal(fn(np, x), numpy_function(e, 1)(np, x))


def test_other_dtypes_and_small_or_odd_inputs_stay_on_numpy(numexpr_on) -> None:
    e = C.sin(var(0)) * var(1)
    assert numexpr_function(e, np.dtype(np.float16)) is None
    assert numexpr_function(e, np.dtype(np.int32)) is None
    plain = numpy_function(e, 2)
    small = np.ones(10)
    assert numpy_function_for(e, (small, small)) is plain
    big = np.ones(FUSED_MIN_SIZE, np.float16)
    assert numpy_function_for(e, (big, big)).__name__ != "_numexpr"
    # The result depends on no full array: a single value, which the plain evaluator gives.
    x = np.ones(FUSED_MIN_SIZE)
    ct = np.broadcast_to(np.float64(2.0), x.shape)
    assert numpy_function_for(C.sin(var(1)), (x, ct)).__name__ != "_numexpr"


def test_too_many_inputs_fall_back() -> None:
    e = var(0)
    for k in range(numexpr_eval.MAX_INPUTS + 1):
        e = e * (1.0 + 1.0 / (k + 3))
    assert to_numexpr(e) is None


def test_the_option_switches_it(numexpr_on) -> None:
    e = C.exp(-C.square(var(0))) * var(1) + C.sin(var(0)) * 0.5
    x = np.linspace(-2.0, 2.0, FUSED_MIN_SIZE, dtype=np.float32)
    ct = np.broadcast_to(np.float32(0.5), x.shape)  # a broadcast single value
    for args in ((x, ct), (x, 0.5), (x, np.cos(x)), (x[::-1], np.cos(x))):
        gpugrad.config.update("numexpr", True)
        fn = numpy_function_for(e, args)
        assert fn.__name__ == "_numexpr"
        got = fn(np, *args)
        gpugrad.config.update("numexpr", False)
        assert numpy_function_for(e, args).__name__ in ("_chunked", "_fused")
        _close(got, np.asarray(numpy_function(e, 2)(np, *args)), "float32")
    # where is no ufunc: NumPy evaluates it plainly, numexpr within the expression.
    e = C.select(C.gt(var(0), 0.0), var(0) * var(1), 0.0)
    args = (x, np.cos(x))
    assert numpy_function_for(e, args) is numpy_function(e, 2)
    gpugrad.config.update("numexpr", True)
    fn = numpy_function_for(e, args)
    assert fn.__name__ == "_numexpr"
    _close(fn(np, *args), np.where(x > 0, x * np.cos(x), np.float32(0.0)), "float32")
    assert OPTIONS["numexpr"].default is False
    assert OPTIONS["numexpr"].parse("on") is True and OPTIONS["numexpr"].parse("0") is False


def test_numexpr_thread_settings_are_left_alone(numexpr_on) -> None:
    before = numexpr.get_num_threads()
    x = np.linspace(0.0, 1.0, 1 << 17)
    assert numpy_function_for(C.sin(var(0)) * 2.0, (x,))(np, x).shape == x.shape
    assert numexpr.get_num_threads() == before


def test_gradient_with_numexpr_matches_the_closed_form(numexpr_on, monkeypatch) -> None:
    used = []
    original = numexpr_eval.numexpr_function

    def spy(expr, dtype):
        run = original(expr, dtype)
        used.append(run is not None)
        return run

    monkeypatch.setattr(numexpr_eval, "numexpr_function", spy)

    def f(x):
        return gnp.sum(gnp.exp(-(x**2)) * gnp.sin(3.0 * x) + gnp.log1p(x**2))

    for dtype in ("float32", "float64"):
        x = np.linspace(-2.0, 2.0, 1 << 17).astype(dtype)
        used.clear()
        g = gpugrad.grad(f)(x)
        assert any(used), "numexpr was not used"
        xd = x.astype(np.float64)
        expected = (np.exp(-xd**2) * (3 * np.cos(3 * xd) - 2 * xd * np.sin(3 * xd))
                    + 2 * xd / (1 + xd**2))
        assert g.dtype == np.dtype(dtype)
        tol = {"float32": 1e-5, "float64": 1e-12}[dtype]
        np.testing.assert_allclose(g, expected, rtol=tol, atol=tol)


def test_without_numexpr_everything_runs_on_numpy() -> None:
    """numexpr absent (an import that fails): no error, the option changes nothing."""
    code = (
        "import sys; sys.modules['numexpr'] = None\n"
        "import numpy as np, gpugrad, gpugrad.numpy as gnp\n"
        "from gpugrad.expr import catalog as C\nfrom gpugrad.primitives import numexpr_eval\n"
        "from gpugrad.expr.language import var\n"
        "from gpugrad.primitives.numpy_eval import numpy_function_for\n"
        "assert gpugrad.config.numexpr and not numexpr_eval.available()\n"
        "x = np.linspace(-1, 1, 1 << 17)\n"
        "assert numpy_function_for(C.sin(var(0)) * 2.0, (x,)).__name__ == '_chunked'\n"
        "g = gpugrad.grad(lambda x: gnp.sum(gnp.sin(x) ** 2))(x)\n"
        "assert np.allclose(g, np.sin(2 * x))\n"
    )
    env = dict(os.environ, GPUGRAD_NUMEXPR="1", GPUGRAD_BACKEND="numpy")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_evaluation_is_the_primitive_s(numexpr_on) -> None:
    """Through elementwise_p (the primitive's impl), not only numpy_function_for."""
    x = np.linspace(0.1, 1.0, FUSED_MIN_SIZE, dtype=np.float32)
    e = C.log1p(var(0)) * C.tanh(var(0))
    got = elementwise_p.bind(x, expr=e)
    assert got.dtype == np.float32
    _close(np.asarray(got), np.log1p(x) * np.tanh(x), "float32")
