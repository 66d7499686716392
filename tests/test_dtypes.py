"""The dtype policy of api.md, one test per rule."""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp


def test_python_floats_and_lists_become_float32():
    assert gnp.array([1.0, 2.0]).dtype == np.float32
    assert gnp.asarray(1.5).dtype == np.float32
    assert gnp.sin(1.0).dtype == np.float32


def test_python_ints_int32_bools_bool():
    assert gnp.array([1, 2]).dtype == np.int32
    assert gnp.array([True]).dtype == np.bool_


def test_x64_mode(x64):
    assert gnp.array([1.0]).dtype == np.float64
    assert gnp.array([1]).dtype == np.int64
    assert gpugrad.grad(lambda x: x * 2)(1.0).dtype == np.float64


def test_input_arrays_keep_their_dtype():
    assert gnp.sin(np.ones(2, np.float64)).dtype == np.float64
    assert gnp.asarray(np.ones(2, np.float16)).dtype == np.float16


def test_weak_python_scalars_do_not_widen():
    x = np.ones(2, np.float32)
    assert gnp.multiply(x, 2.5).dtype == np.float32
    assert gnp.add(np.ones(2, np.int8), 3).dtype == np.int8
    assert gnp.multiply(np.ones(2, np.int32), 2.5).dtype == np.float32


def test_int_with_float_array_takes_the_float():
    assert gnp.multiply(np.ones(2, np.float32), np.ones(2, np.int64)).dtype == np.float32
    assert gnp.add(np.ones(2, np.float16), np.ones(2, np.int32)).dtype == np.float16


def test_seed_001_bool_targets_stay_float32():
    targets = gnp.array([True, False])

    def loss(preds):
        out = preds * targets + (1 - preds) * (1 - targets)
        assert out.dtype == np.float32  # JAX's promotion: bool/int with float32 stays float32
        return gnp.sum(out)

    preds = np.array([0.2, 0.7], np.float32)
    value, g = gpugrad.value_and_grad(loss)(preds)
    assert value.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_allclose(g, [1.0, -1.0])
    # gnp functions follow the same rule on plain arrays:
    assert gnp.multiply(gnp.subtract(1, preds), gnp.subtract(1, targets)).dtype == np.float32


def test_wider_float_and_wider_int_win():
    assert gnp.add(np.ones(1, np.float32), np.ones(1, np.float64)).dtype == np.float64
    assert gnp.add(np.ones(1, np.int16), np.ones(1, np.int32)).dtype == np.int32


def test_signed_and_unsigned_32_bit_integers_meet_in_int32_unless_64_bit_mode():
    # As JAX: their common type is int64, which 32-bit mode makes int32.
    a, u = np.array([1, -2], np.int32), np.array([3, 4], np.uint32)
    out = gnp.add(a, u)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [4, 2])
    assert gnp.multiply(np.array([2], np.int8), u).dtype == np.int32
    assert gnp.add(np.array([1], np.int64), u).dtype == np.int64  # a 64-bit input stays
    gpugrad.config.update("enable_x64", True)
    try:
        assert gnp.add(a, u).dtype == np.int64
    finally:
        gpugrad.config.update("enable_x64", False)


def test_gradient_flows_back_to_the_narrower_dtype():
    g = gpugrad.grad(lambda x, y: gnp.sum(x * y))(np.ones(2, np.float32), np.ones(2))
    assert g.dtype == np.float32


def test_true_divide_of_ints_is_float32():
    assert gnp.true_divide(np.arange(3, dtype=np.int32), 2).dtype == np.float32


# Floating functions of integer and bool arrays, by the name gpugrad.numpy gives them.
INEXACT_OF_INTEGERS = {
    "sin": lambda m, a: m.sin(a), "sqrt": lambda m, a: m.sqrt(a),
    "mean": lambda m, a: m.mean(a), "var": lambda m, a: m.var(a), "std": lambda m, a: m.std(a),
    "a / 2": lambda m, a: m.true_divide(a, 2), "a / a": lambda m, a: m.true_divide(a, a),
    "a * 1.5": lambda m, a: m.multiply(a, 1.5), "arctan2": lambda m, a: m.arctan2(a, a),
    "quantile": lambda m, a: m.quantile(a, 0.5), "median": lambda m, a: m.median(a),
    "gradient": lambda m, a: m.gradient(a), "angle": lambda m, a: m.angle(a),
    "fft": lambda m, a: m.fft.fft(a), "rfft": lambda m, a: m.fft.rfft(a),
    "norm": lambda m, a: m.linalg.norm(a), "deg2rad": lambda m, a: m.deg2rad(a),
    "i0": lambda m, a: m.i0(a), "trapezoid": lambda m, a: m.trapezoid(a),
    "interp": lambda m, a: m.interp(a, a, a), "average": lambda m, a: m.average(a),
    "cov": lambda m, a: m.cov(a), "hypot": lambda m, a: m.hypot(a, a),
    "ldexp": lambda m, a: m.ldexp(a, 2), "nanmean": lambda m, a: m.nanmean(a),
}
INTEGER_DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.uint8, np.uint32, np.int64]


def test_integers_become_jax_floats_in_64_bit_mode(x64):
    # JAX 0.10: bool and integers of up to 32 bits compute in float32 even in 64-bit mode;
    # 64-bit integers in the default float. A weak Python float still gives the default float.
    for dt in INTEGER_DTYPES:
        a = np.array([1, 0, 3, 4]).astype(dt)
        expected = np.float64 if np.dtype(dt).itemsize == 8 else np.float32
        assert gnp.sin(a).dtype == expected and gnp.mean(a).dtype == expected, dt
        assert gnp.multiply(a, 1.5).dtype == np.float64, dt
        assert gnp.angle(a).dtype == np.float64, dt  # JAX's angle: the default float


@pytest.mark.parametrize("x64_mode", [False, True], ids=["32-bit", "64-bit"])
def test_floating_functions_of_integers_match_jax_dtypes(x64_mode):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    old = (jax.config.jax_enable_x64, gpugrad.config.enable_x64)
    jax.config.update("jax_enable_x64", x64_mode)
    gpugrad.config.update("enable_x64", x64_mode)
    try:
        wrong = []
        for dt in INTEGER_DTYPES:
            a = np.array([1, 0, 3, 4]).astype(dt)
            for name, f in INEXACT_OF_INTEGERS.items():
                theirs, ours = f(jnp, jnp.asarray(a)).dtype, f(gnp, a).dtype
                if np.dtype(theirs) != ours:
                    wrong.append(f"{np.dtype(dt).name} {name}: jax {theirs}, gpugrad {ours}")
    finally:
        jax.config.update("jax_enable_x64", old[0])
        gpugrad.config.update("enable_x64", old[1])
    assert not wrong, wrong
