"""Arithmetic on booleans follows JAX, not NumPy: ``square``, ``power``, ``floor_divide``,
``remainder`` (``mod``, ``fmod``, ``divmod``) of booleans compute on int32 (NumPy: int8;
eager gpugrad gave int8 and ``jit`` declared bool), ``rint`` of integers gives the default
float, and ``positive`` gives booleans back (NumPy has no boolean loop)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp

B = np.array([True, False, True, False])
C = np.array([True, True, True, True])  # no division by zero: its result is XLA's own

INT32_ON_BOOLS = [
    ("square", (B,), [1, 0, 1, 0]),
    ("power", (B, C), [1, 0, 1, 0]),
    ("power", (B, 3), [1, 0, 1, 0]),
    ("floor_divide", (B, C), [1, 0, 1, 0]),
    ("remainder", (B, C), [0, 0, 0, 0]),
    ("mod", (B, C), [0, 0, 0, 0]),
    ("fmod", (B, C), [0, 0, 0, 0]),
]


@pytest.mark.parametrize(("name", "args", "expected"), INT32_ON_BOOLS)
@pytest.mark.parametrize("x64", [False, True])
def test_integer_results_of_booleans_are_int32(name: str, args: Any, expected: Any,
                                                x64: bool) -> None:
    gpugrad.config.update("enable_x64", x64)
    try:
        arrays = [a for a in args if isinstance(a, np.ndarray)]

        def staged(*xs: Any) -> Any:  # a Python exponent stays a constant, as eagerly
            it = iter(xs)
            return getattr(gnp, name)(*[next(it) if isinstance(a, np.ndarray) else a
                                        for a in args])

        for fn, call in ((getattr(gnp, name), args), (gpugrad.jit(staged), arrays)):
            out = fn(*call)
            assert out.dtype == np.int32, (name, fn)
            np.testing.assert_array_equal(out, expected)
        quotient, remainder = gnp.divmod(B, C)
        assert quotient.dtype == remainder.dtype == np.int32
    finally:
        gpugrad.config.update("enable_x64", False)


def test_a_boolean_beside_other_types_promotes_as_before() -> None:
    assert gnp.floor_divide(B, np.int8(2)).dtype == np.int8
    assert gnp.remainder(B, 2.0).dtype == np.float32
    assert gnp.square(B.astype(np.uint8)).dtype == np.uint8


def test_rint_of_integers_is_the_default_float_and_positive_keeps_booleans() -> None:
    out = gnp.rint(np.array([1, -2], np.int8))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1.0, -2.0])
    assert gnp.floor(np.array([1, -2], np.int8)).dtype == np.int8  # floor keeps integers
    gpugrad.config.update("enable_x64", True)
    try:
        assert gnp.rint(B).dtype == np.float64
    finally:
        gpugrad.config.update("enable_x64", False)
    out = gnp.positive(B)
    assert out.dtype == np.bool_ and out is not B
    np.testing.assert_array_equal(out, B)


@pytest.mark.parametrize(("name", "args", "expected"), INT32_ON_BOOLS)
def test_matches_jax(name: str, args: Any, expected: Any) -> None:
    jnp = pytest.importorskip("jax.numpy")
    want = getattr(jnp, name)(*args)
    got = getattr(gnp, name)(*args)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert gnp.rint(B).dtype == jnp.rint(B).dtype
    assert gnp.positive(B).dtype == jnp.positive(B).dtype
