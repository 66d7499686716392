"""gpugrad.lax's elementwise functions against jax.lax: values (both backends), derivatives
(JAX's gradients, and check_grads to the second order in float64), vmap layouts, and lax's
operand rules (no promotion: a dtype mismatch is a TypeError naming both dtypes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import lax
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, host

# name: the interval its float64 test values are drawn from
UNARY = {
    "neg": (-2, 2), "abs": (-2, 2), "sign": (-2, 2), "square": (-2, 2), "reciprocal": (0.5, 2),
    "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2), "log": (0.5, 3), "log1p": (-0.5, 2),
    "sqrt": (0.5, 3), "rsqrt": (0.5, 3), "cbrt": (0.5, 3), "sin": (-3, 3), "cos": (-3, 3),
    "tan": (-1, 1), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atan": (-2, 2),
    "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "asinh": (-2, 2), "acosh": (1.2, 3),
    "atanh": (-0.9, 0.9), "logistic": (-3, 3), "erf": (-2, 2), "erfc": (-2, 2),
    "erf_inv": (-0.9, 0.9), "lgamma": (0.5, 4), "digamma": (0.5, 4), "floor": (-3, 3),
    "ceil": (-3, 3), "is_finite": (-3, 3),
}
SMOOTH_UNARY = sorted(set(UNARY) - {"sign", "floor", "ceil", "is_finite"})
BINARY = {  # name: the interval of both operands
    "add": (-2, 2), "sub": (-2, 2), "mul": (-2, 2), "div": (0.5, 2), "rem": (0.5, 3),
    "max": (-2, 2), "min": (-2, 2), "pow": (0.5, 2), "atan2": (-2, 2),
}


def _values(rng: np.random.Generator, interval: tuple[float, float], shape: tuple[int, ...]
            ) -> np.ndarray[Any, Any]:
    return rng.uniform(*interval, shape)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_match_jax(name: str, xp: Any, jax_x64: Any) -> None:
    x = _values(np.random.default_rng(0), UNARY[name], (7,))
    want = np.asarray(getattr(jax_x64.lax, name)(x))
    got = host(getattr(lax, name)(xp.asarray(x)))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    x32 = x.astype(np.float32)
    got32 = host(getattr(lax, name)(xp.asarray(x32)))
    assert got32.dtype == np.asarray(getattr(jax_x64.lax, name)(x32)).dtype


@pytest.mark.parametrize("name", SMOOTH_UNARY)
def test_unary_gradients_match_jax_and_differences(name: str, jax_x64: Any) -> None:
    x = _values(np.random.default_rng(1), UNARY[name], (5,))
    want = jax_x64.grad(lambda v: getattr(jax_x64.lax, name)(v).sum())(x)
    got = gpugrad.grad(lambda v: gnp.sum(getattr(lax, name)(v)))(x)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12)
    check_grads(getattr(lax, name), (x,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_and_gradients_match_jax(name: str, jax_x64: Any) -> None:
    rng = np.random.default_rng(2)
    x, y = _values(rng, BINARY[name], (6,)), _values(rng, BINARY[name], (6,))
    jf, gf = getattr(jax_x64.lax, name), getattr(lax, name)
    np.testing.assert_allclose(gf(x, y), np.asarray(jf(x, y)), rtol=1e-12)
    want = jax_x64.grad(lambda a, b: jf(a, b).sum(), (0, 1))(x, y)
    got = gpugrad.grad(lambda a, b: gnp.sum(gf(a, b)), (0, 1))(x, y)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-12)
    check_grads(gf, (x, y), order=2, modes=("fwd", "rev"))


def test_integer_div_and_rem_follow_c(xp: Any, jax_x64: Any) -> None:
    # Toward zero and the dividend's sign, unlike NumPy's // and %.
    x = np.array([7, -7, 7, -7, 6, -6, 0, 1], np.int32)
    y = np.array([2, 2, -2, -2, 3, 3, 5, -5], np.int32)
    for name in ("div", "rem"):
        got = host(getattr(lax, name)(xp.asarray(x), xp.asarray(y)))
        want = np.asarray(getattr(jax_x64.lax, name)(x, y))
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(host(lax.div(xp.asarray(x), xp.asarray(y))),
                                  [3, -3, -3, 3, 2, -2, 0, 0])
    np.testing.assert_array_equal(host(lax.rem(xp.asarray(x), xp.asarray(y))),
                                  [1, -1, 1, -1, 0, 0, 0, 1])


def test_float_rem_has_the_dividends_sign_and_jaxs_derivative(jax_x64: Any) -> None:
    x, y = np.array([7.5, -7.5, 7.5, -7.5]), np.array([2.0, 2.0, -2.0, -2.0])
    np.testing.assert_array_equal(lax.rem(x, y), [1.5, -1.5, 1.5, -1.5])
    got = gpugrad.grad(lambda a, b: gnp.sum(lax.rem(a, b)), (0, 1))(x, y)
    np.testing.assert_array_equal(got[1], [-3.0, 3.0, 3.0, -3.0])  # -trunc(x / y)


def test_round_both_methods(xp: Any, jax_x64: Any) -> None:
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, 2.4, -3.7], np.float32)
    for method in (0, 1):
        want = np.asarray(jax_x64.lax.round(x, method))
        got = host(lax.round(xp.asarray(x), method))
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.float32
    assert gpugrad.grad(lambda v: lax.round(v * 3.0))(np.float64(0.3)) == 0.0


def test_integer_pow_and_pow(jax_x64: Any) -> None:
    x = np.array([0.0, 1.5, -2.0])
    for y in (0, 1, 2, 3, -2):
        if y < 0:
            x = x[1:]
        np.testing.assert_allclose(lax.integer_pow(x, y), np.asarray(jax_x64.lax.integer_pow(x, y)))
        want = jax_x64.grad(lambda v: jax_x64.lax.integer_pow(v, y).sum())(x)
        np.testing.assert_allclose(gpugrad.grad(lambda v: gnp.sum(lax.integer_pow(v, y)))(x),
                                   np.asarray(want))
    ints = np.array([2, -3], np.int32)
    np.testing.assert_array_equal(lax.integer_pow(ints, 3), [8, -27])
    assert lax.integer_pow(ints, 3).dtype == np.int32
    # pow at a zero base: JAX's derivative 0 for the exponent, not nan
    gx, gy = gpugrad.grad(lax.pow, (0, 1))(np.float64(0.0), np.float64(2.0))
    assert (gx, gy) == (0.0, 0.0)
    np.testing.assert_array_equal(lax.pow(np.array([2.0, 3.0]), np.array([3, 2], np.int32)),
                                  [8.0, 9.0])


def test_comparisons_and_bitwise(xp: Any, jax_x64: Any) -> None:
    a = np.array([1, 5, -3, 12], np.int32)
    b = np.array([1, 2, -3, 10], np.int32)
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "max", "min", "add", "sub", "mul"):
        got = host(getattr(lax, name)(xp.asarray(a), xp.asarray(b)))
        want = np.asarray(getattr(jax_x64.lax, name)(a, b))
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    np.testing.assert_array_equal(host(lax.bitwise_not(xp.asarray(a))), ~a)
    p, q = np.array([True, True, False]), np.array([True, False, False])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        np.testing.assert_array_equal(host(getattr(lax, name)(xp.asarray(p), xp.asarray(q))),
                                      np.asarray(getattr(jax_x64.lax, name)(p, q)))
    np.testing.assert_array_equal(host(lax.bitwise_not(xp.asarray(p))), ~p)


def test_nextafter_matches_jax(xp: Any, jax_x64: Any) -> None:
    x = np.array([1.0, 0.0, -1.0], np.float32)
    y = np.array([2.0, -1.0, -1.0], np.float32)
    np.testing.assert_array_equal(host(lax.nextafter(xp.asarray(x), xp.asarray(y))),
                                  np.asarray(jax_x64.lax.nextafter(x, y)))


def test_mixed_dtypes_are_a_type_error_naming_both() -> None:
    f32, f64 = np.ones(2, np.float32), np.ones(2)
    with pytest.raises(TypeError, match=r"lax.add requires arguments to have the same dtypes, "
                                        r"got float32, float64"):
        lax.add(f32, f64)
    with pytest.raises(TypeError, match="got int32, float32"):
        lax.mul(np.ones(2, np.int32), 1.5)  # a Python float does not join integers
    with pytest.raises(TypeError, match=r"lax.sin does not accept dtype int32"):
        lax.sin(np.ones(2, np.int32))
    with pytest.raises(TypeError, match=r"incompatible shapes for broadcasting: \(2,\), \(3,\)"):
        lax.add(f64, np.ones(3))
    with pytest.raises(TypeError, match=r"lax.atan2 does not accept dtype int32 at position 0"):
        lax.atan2(np.ones(2, np.int32), np.ones(2, np.int32))
    with pytest.raises(TypeError, match=r"lax.neg does not accept dtype bool"):
        lax.neg(np.array([True]))
    # Weak Python scalars take the array's dtype; a 0-d array goes with any shape.
    assert lax.add(f32, 1.0).dtype == np.float32
    assert lax.add(np.ones(2, np.int8), 3).dtype == np.int8
    assert lax.max(f64, np.zeros(())).shape == (2,)


def test_convert_element_type_saturates_and_differentiates(xp: Any, jax_x64: Any) -> None:
    x = np.array([-1.5, 3e10, np.nan, -2.9, np.inf, -np.inf, 300.7, 2.5])
    for dtype in (np.int32, np.uint8, np.int64, np.int8, np.bool_, np.float32):
        got = host(lax.convert_element_type(xp.asarray(x), dtype))
        want = np.asarray(jax_x64.lax.convert_element_type(x, dtype))
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want, err_msg=str(dtype))
    x32 = np.float32(-1.5) * np.ones(3, np.float32)
    np.testing.assert_array_equal(lax.convert_element_type(x32, np.int64), [-1, -1, -1])
    np.testing.assert_array_equal(host(lax.convert_element_type(xp.asarray([300, -1]), np.uint8)),
                                  [44, 255])
    g = gpugrad.grad(lambda v: gnp.sum(lax.convert_element_type(v, np.float32) ** 2))(x[[0, 3]])
    np.testing.assert_allclose(g, [-3.0, -5.8], rtol=1e-6)
    assert g.dtype == np.float64
    z = np.array([1.5 + 2j])
    np.testing.assert_array_equal(lax.convert_element_type(z, np.float64), [1.5])


def test_bitcast_convert_type_matches_jax(xp: Any, jax_x64: Any) -> None:
    x = np.array([[1.0, -2.5], [0.0, 3.0]], np.float32)
    for dtype in (np.int32, np.uint32, np.int8):
        got = host(lax.bitcast_convert_type(xp.asarray(x), dtype))
        np.testing.assert_array_equal(got, np.asarray(jax_x64.lax.bitcast_convert_type(x, dtype)))
    pairs = np.array([[0, 1072693248]], np.uint32)
    np.testing.assert_array_equal(lax.bitcast_convert_type(pairs, np.float64), [1.0])
    with pytest.raises(ValueError, match="last axis of length 2"):
        lax.bitcast_convert_type(np.ones(3, np.float32), np.float64)
    # What staging will record: the shapes and dtypes the evaluation gives.
    from gpugrad.core.abstract import abstractify
    from gpugrad.primitives.discrete import bitcast_p, bitwise_p

    for dtype, arg in ((np.int8, x), (np.float64, pairs), (np.int32, x)):
        out = lax.bitcast_convert_type(arg, dtype)
        assert bitcast_p.abstract_eval(abstractify(arg), dtype=np.dtype(dtype)) == abstractify(out)
    ints = np.arange(6, dtype=np.int16).reshape(2, 3)
    aval = bitwise_p.abstract_eval(abstractify(ints), abstractify(ints[0, 0]), name="bitwise_or")
    assert aval == abstractify(lax.bitwise_or(ints, np.int16(1)))


def test_clamp_select_and_select_n(xp: Any, jax_x64: Any) -> None:
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(host(lax.clamp(0.0, xp.asarray(x), 1.0)),
                                  np.asarray(jax_x64.lax.clamp(0.0, x, 1.0)))
    lo, hi = np.zeros(5), np.ones(5)
    want = jax_x64.grad(lambda *a: jax_x64.lax.clamp(*a).sum(), (0, 1, 2))(lo, x, hi)
    got = gpugrad.grad(lambda *a: gnp.sum(lax.clamp(*a)), (0, 1, 2))(lo, x, hi)
    for g, w in zip(got, want):  # nothing at the bounds, as in JAX
        np.testing.assert_array_equal(g, np.asarray(w))
    check_grads(lambda a, v, b: lax.clamp(a, v, b), (lo - 0.3, x * 0.9 + 0.05, hi + 0.2), order=2)
    which = np.array([0, 2, 1, 0, 2], np.int32)
    cases = [x, 2 * x, 3 * x]
    np.testing.assert_array_equal(host(lax.select_n(xp.asarray(which), *map(xp.asarray, cases))),
                                  np.asarray(jax_x64.lax.select_n(which, *cases)))
    pred = x > 0
    np.testing.assert_array_equal(host(lax.select(xp.asarray(pred), xp.asarray(x), xp.asarray(-x))),
                                  np.abs(x))
    g = gpugrad.grad(lambda v: gnp.sum(lax.select_n(which, v, v * v, 3.0 * v)))(x)
    np.testing.assert_array_equal(g, [1.0, 3.0, 1.0, 1.0, 3.0])
    with pytest.raises(TypeError, match=r"lax.select requires arguments to have the same dtypes"):
        lax.select(pred, x, np.ones(5, np.int32))
    with pytest.raises(TypeError, match=r"lax.clamp requires .* got float32, float64, float32"):
        lax.clamp(np.float32(0), x, 1.0)


@pytest.mark.parametrize("name", ["sin", "logistic", "erf_inv", "abs", "round", "is_finite"])
def test_unary_under_vmap(name: str, xp: Any) -> None:
    x = xp.asarray(np.random.default_rng(3).uniform(-0.9, 0.9, (3, 4)))
    check_layouts(getattr(lax, name), [x])


def test_binary_and_select_under_vmap(xp: Any) -> None:
    rng = np.random.default_rng(4)
    x, y = (xp.asarray(rng.uniform(0.5, 2, (3, 4))) for _ in range(2))
    for f in (lax.rem, lax.pow, lax.max, lax.div, lambda a, b: lax.clamp(a * 0, b, a),
              lambda a, b: lax.select(a > b, a, b)):
        check_layouts(f, [x, y])
    ints = xp.asarray(rng.integers(-9, 9, (3, 4)).astype(np.int32))
    nonzero = xp.asarray(rng.integers(1, 5, (3, 4)).astype(np.int32))
    check_layouts(lax.div, [ints, nonzero])
    check_layouts(lax.bitwise_xor, [ints, nonzero])
    check_layouts(lambda v: lax.bitcast_convert_type(v, np.int8), [ints])


def test_unsigned_and_stop_gradient(xp: Any, jax_x64: Any) -> None:
    u = np.array([0, 3, 200], np.uint8)
    for name in ("neg", "sign", "square"):
        got = host(getattr(lax, name)(xp.asarray(u)))
        np.testing.assert_array_equal(got, np.asarray(getattr(jax_x64.lax, name)(u)))
        assert got.dtype == np.uint8
    with pytest.raises(TypeError, match=r"lax.abs does not accept dtype uint8"):
        lax.abs(u)
    tree = {"a": xp.asarray(2.0), "b": [xp.ones(2)]}
    g = gpugrad.grad(lambda t: t["a"] * lax.stop_gradient(t)["a"]
                     + gnp.sum(lax.stop_gradient(t["b"][0]) * t["b"][0]))(tree)
    assert host(g["a"]) == 2.0
    np.testing.assert_array_equal(host(g["b"][0]), [1.0, 1.0])


def test_python_scalars_are_weak_in_64_bit_mode_too(x64: None) -> None:
    # JAX 0.10 in 64-bit mode makes a Python float a float64 and refuses it beside float32;
    # here it takes the array's dtype in both modes, as it does in JAX's default mode.
    assert lax.add(np.ones(2, np.float32), 1.0).dtype == np.float32
    assert lax.mul(np.ones(2, np.int32), 3).dtype == np.int32
    assert lax.add(1.0, 2.0).dtype == np.float64
    with pytest.raises(TypeError, match="got int64, float64"):
        lax.add(1, 2.0)
