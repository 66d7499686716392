"""Exactness of gpugrad.random's float arithmetic, its CUDA kernels, and agreement with JAX.

- ``fma32``/``fma64`` against exact rational arithmetic, including constructed near-ties;
- the float32 special functions at their special values;
- the CUDA kernels compile with NVRTC (no GPU needed) for compute_80 and compute_90;
- CuPy path == NumPy path bit for bit (``gpu`` marker, skipped without a device);
- bit equality with ``jax.random`` over many keys and shapes when JAX is installed.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import gpugrad.random as jr
from gpugrad.backend import cupy_status, device_get, use_backend
from gpugrad.config import config
from gpugrad.random import _xla_float32, _xla_float64, cuda_kernels


def _bytes(x: np.ndarray) -> np.ndarray:
    """The raw bytes of an array (bit-for-bit comparison, NaNs included)."""
    return np.ascontiguousarray(x).reshape(-1).view(np.uint8)


def _rn32(x: Fraction) -> np.float32:
    """Round an exact rational to nearest-even float32 (normal range), by bisection on bits."""
    lo = np.float32(float(x))  # within an ulp or two; fix up exactly
    while Fraction(float(lo)) > x:
        lo = np.nextafter(lo, np.float32(-np.inf))
    while Fraction(float(np.nextafter(lo, np.float32(np.inf)))) <= x:
        lo = np.nextafter(lo, np.float32(np.inf))
    hi = np.nextafter(lo, np.float32(np.inf))
    d_lo, d_hi = x - Fraction(float(lo)), Fraction(float(hi)) - x
    if d_lo != d_hi:
        return lo if d_lo < d_hi else hi
    return lo if int(np.array(lo).view(np.uint32)) % 2 == 0 else hi


def test_fma32_is_exact_on_near_ties():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2, 4000).astype(np.float32)
    b = rng.uniform(0.5, 2, 4000).astype(np.float32)
    # c chosen so that a*b + c lands within a hair of a float32 midpoint: the case where a
    # float64 sum cast to float32 rounds twice the wrong way
    p64 = a.astype(np.float64) * b.astype(np.float64)
    c = (-(p64 - np.float32(1.0)) + rng.choice([-1, 1], 4000) * 2.0**-48).astype(np.float32)
    got = _xla_float32.fma32(a, b, c)
    want = [_rn32(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
            for x, y, z in zip(a, b, c)]
    np.testing.assert_array_equal(got.view(np.uint32), np.array(want).view(np.uint32))
    # and a case that a naive float32(float64 sum) gets wrong: 1 + 2**-24 + 2**-60
    x = np.float32(1 + 2**-12)
    y = np.float32(1 + 2**-12)
    z = np.float32(2.0**-24 + 2.0**-60 - 2.0**-24)  # tiny positive nudge
    exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    assert _xla_float32.fma32(x, y, z)[()] == _rn32(exact)


def test_fma32_random_against_fractions():
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal(3000).astype(np.float32) for _ in range(3))
    got = _xla_float32.fma32(a, b, c)
    for i in range(0, 3000, 7):
        exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
        assert got[i] == _rn32(exact)


def test_fma64_is_exact():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(500) for _ in range(3))
    got = _xla_float32.fma64(a, b, c)
    for i in range(500):
        exact = Fraction(a[i]) * Fraction(b[i]) + Fraction(c[i])
        assert Fraction(float(got[i])) == Fraction(float(exact)) or abs(
            Fraction(float(got[i])) - exact) <= abs(Fraction(np.spacing(got[i]))) / 2


def test_float32_special_values():
    erfinv = _xla_float32.erfinv_f32(
        np.float32([1.0, -1.0, 0.0, -0.0, 1.5, np.nan, 0.5, 0.99999994]))
    assert erfinv[0] == np.inf and erfinv[1] == -np.inf
    assert erfinv[2] == 0 and np.signbit(erfinv[3])
    assert np.isnan(erfinv[4]) and np.isnan(erfinv[5])
    assert erfinv[6] == np.float32(0.47693628) and erfinv[7] == np.float32(3.8325067)
    log = _xla_float32.log_f32(np.float32([0.0, np.inf, -1.0, np.nan, 1.0, np.e]))
    assert log[0] == -np.inf and log[1] == np.inf and np.isnan(log[2]) and np.isnan(log[3])
    assert log[4] == 0 and abs(log[5] - 1) <= 1.2e-7
    xs = np.linspace(-0.9, 3.0, 10001, dtype=np.float32)
    np.testing.assert_allclose(_xla_float32.log1p_f32(xs), np.log1p(xs.astype(np.float64)),
                               rtol=3e-7)
    assert _xla_float32.erf_f32(np.float32([3.8])) < 1  # standalone erf clamps at 3.8325069
    fused_clamp = _xla_float32.ERF_CLAMP_FUSED  # 3.7439212
    assert _xla_float32.erf_f32(np.float32([3.8]), fused_clamp) == 1


def test_float64_helpers_are_accurate():
    import math

    x = np.linspace(-6, 6, 2001)
    np.testing.assert_allclose(_xla_float64.erf64(x), [math.erf(v) for v in x], rtol=2e-15,
                               atol=1e-300)
    u = np.array([-0.999999, -0.5, 1e-12, 0.3, 0.9, 0.99999, 1 - 2.0**-40])
    back = np.array([math.erf(v) for v in _xla_float64.erfinv64(u)])
    np.testing.assert_allclose(back, u, rtol=1e-15, atol=2e-16)


# --- CUDA kernels ----------------------------------------------------------------------------
def test_kernel_dir_and_sources():
    assert (cuda_kernels.kernel_dir() / "threefry.cuh").is_file()
    sources = dict(cuda_kernels.kernel_sources())
    assert {"gg_uniform_f32", "gg_normal_f32", "gg_threefry_block"} <= set(sources)
    for src in sources.values():
        assert "__global__" in src and "gg_threefry2x32" in src
        assert "logf(" not in src and "log1pf(" not in src  # XLA's expansions, not libdevice


def test_kernels_compile_with_nvrtc():
    results = cuda_kernels.check_kernels(("compute_80", "compute_90"))
    assert len(results) == 2 * len(cuda_kernels.kernel_sources())
    failures = [(name, arch, log) for name, arch, ok, log in results if not ok]
    assert failures == []


@pytest.fixture
def cupy():
    usable, reason = cupy_status()
    if not usable:
        pytest.skip(f"no usable CUDA device: {reason}")
    import cupy

    return cupy


@pytest.mark.gpu
@pytest.mark.parametrize("part", [False, True])
def test_cupy_path_matches_numpy_bit_for_bit(cupy, part):
    old = config.threefry_partitionable
    config.update("threefry_partitionable", part)
    try:
        for seed in (0, 1, 42):
            # The default backend is CuPy here: make the host key explicitly. Each function
            # must then run on its key's backend, whatever the default.
            with use_backend("numpy"):
                k_np = jr.key(seed)
            k_cp = jr.wrap_key_data(cupy.asarray(jr.key_data(k_np)))
            for shape in [(), (3,), (7, 5), (100_001,)]:
                for name, fn in [
                    ("bits", lambda k: jr.bits(k, shape)),
                    ("uniform", lambda k: jr.uniform(k, shape, minval=0.1, maxval=0.7)),
                    ("normal", lambda k: jr.normal(k, shape)),
                    ("gumbel", lambda k: jr.gumbel(k, shape)),
                    ("gumbel_high", lambda k: jr.gumbel(k, shape, mode="high")),
                    ("exponential", lambda k: jr.exponential(k, shape)),
                    ("laplace", lambda k: jr.laplace(k, shape)),
                    ("truncated", lambda k: jr.truncated_normal(k, -1.5, 5.4, shape)),
                    ("bernoulli", lambda k: jr.bernoulli(k, 0.3, shape)),
                    ("randint", lambda k: jr.randint(k, shape, -5, 1000003)),
                    ("split", lambda k: jr.key_data(jr.split(k, 3))),
                    ("fold_in", lambda k: jr.key_data(jr.fold_in(k, 7))),
                ]:
                    a, b = fn(k_np), fn(k_cp)
                    assert type(a) is np.ndarray, name
                    assert type(b).__module__.startswith("cupy"), name
                    b = device_get(b)
                    assert a.dtype == b.dtype and a.shape == b.shape, name
                    np.testing.assert_array_equal(_bytes(a), _bytes(b), name)
            perm_np = jr.permutation(k_np, 50)
            assert type(perm_np) is np.ndarray
            assert device_get(jr.permutation(k_cp, 50)).tolist() == perm_np.tolist()
    finally:
        config.update("threefry_partitionable", old)


# --- JAX ---------------------------------------------------------------------------------
@pytest.mark.slow  # about 12 s per layout, mostly JAX compiling one kernel per shape
@pytest.mark.parametrize("part", [False, True])
def test_against_jax(part):
    jax = pytest.importorskip("jax")
    old_jax, old = jax.config.jax_threefry_partitionable, config.threefry_partitionable
    jax.config.update("jax_threefry_partitionable", part)
    config.update("threefry_partitionable", part)
    jrand = jax.random
    try:
        for seed in (0, 1, 42, -1, 2**31, 2**32 + 5, 2**40 + 7):
            jk, gk = jrand.key(seed), jr.key(seed)
            np.testing.assert_array_equal(jrand.key_data(jk), jr.key_data(gk))
            for num in (2, 3, (2, 3)):
                np.testing.assert_array_equal(jrand.key_data(jrand.split(jk, num)),
                                              jr.key_data(jr.split(gk, num)))
            for d in (0, 1, 2**31, 2**32 - 1):
                np.testing.assert_array_equal(jrand.key_data(jrand.fold_in(jk, d)),
                                              jr.key_data(jr.fold_in(gk, d)))
            if seed not in (0, 42, 2**32 + 5):  # keys above for all seeds; samplers for 3
                continue
            for shape in [(), (3,), (4, 3), (1000,), (7, 5, 3), (0,), (2, 0, 3)]:
                cases = [
                    (jrand.bits(jk, shape), jr.bits(gk, shape)),
                    (jrand.randint(jk, shape, -5, 1000003), jr.randint(gk, shape, -5, 1000003)),
                    (jrand.uniform(jk, shape), jr.uniform(gk, shape)),
                    (jrand.uniform(jk, shape, minval=0.1, maxval=0.7),
                     jr.uniform(gk, shape, minval=0.1, maxval=0.7)),
                    (jrand.bernoulli(jk, 0.3, shape), jr.bernoulli(gk, 0.3, shape)),
                    (jrand.normal(jk, shape), jr.normal(gk, shape)),
                    (jrand.gumbel(jk, shape), jr.gumbel(gk, shape)),
                    (jrand.exponential(jk, shape), jr.exponential(gk, shape)),
                    (jrand.laplace(jk, shape), jr.laplace(gk, shape)),
                    (jrand.truncated_normal(jk, -1.5, 5.4, shape),
                     jr.truncated_normal(gk, -1.5, 5.4, shape)),
                ]
                for want, got in cases:
                    want = np.asarray(want)
                    assert want.dtype == got.dtype and want.shape == got.shape
                    np.testing.assert_array_equal(_bytes(want), _bytes(got))
            for n in (10, 1626):
                np.testing.assert_array_equal(jrand.permutation(jk, n), jr.permutation(gk, n))
            np.testing.assert_array_equal(jrand.choice(jk, 10, (3,), replace=False),
                                          jr.choice(gk, 10, (3,), replace=False))
            logits = np.log(np.float32([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
            np.testing.assert_array_equal(jrand.categorical(jk, logits, shape=(5, 2)),
                                          jr.categorical(gk, logits, shape=(5, 2)))
    finally:
        jax.config.update("jax_threefry_partitionable", old_jax)
        config.update("threefry_partitionable", old)


# --- gradients through uniform's bounds ------------------------------------------------------
def test_grad_flows_through_uniform_bounds():
    import gpugrad
    import gpugrad.numpy as gnp

    k = jr.key(0)
    f = jr.uniform(k, (5,))
    assert (f > 0).all()  # away from the max(lo, .) kink

    def loss(lo, hi):
        return gnp.sum(jr.uniform(k, (5,), minval=lo, maxval=hi))

    g_lo, g_hi = gpugrad.grad(loss, argnums=(0, 1))(np.float32(0.5), np.float32(2.0))
    np.testing.assert_allclose(g_hi, f.sum(), rtol=1e-6)
    np.testing.assert_allclose(g_lo, (1 - f).sum(), rtol=1e-6)


def test_fast_erfinv_equals_the_reference_on_every_normal_input():
    """The optimized float32 pipeline rounds exactly like the step-by-step reference on all
    2**23 values `normal` can feed it (u = 2f + lo for every 23-bit mantissa f)."""
    from gpugrad.random import _xla_float32, _xla_float32_fast

    f = np.arange(1 << 23, dtype=np.float32) * np.float32(2.0**-23)  # exact
    lo = np.nextafter(np.float32(-1.0), np.float32(0.0))
    u = (np.float32(2.0) * f + lo).astype(np.float32)
    want = _xla_float32.erfinv_f32(u)
    got = _xla_float32_fast.erfinv_f32(u)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
