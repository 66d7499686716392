"""Benchmark: ``gpugrad.random.normal(key, (10**7,))`` float32 beside NumPy and JAX.

Run: ``pytest --noconftest benchmarks/bench_random.py`` (one benchmark group). The
``--noconftest`` is needed while ``benchmarks/conftest.py`` deselects every test that is not
parametrized over its ``workload``s.
On the NumPy backend gpugrad follows XLA's float32 recipe with exact FMA emulation, so it
is slower than NumPy's own (different) normal generator; on CuPy it is one fused kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad.random as jr

N = 10**7
GROUP = "normal float32, 1e7 samples"


def _sync(x):
    """Wait for a CuPy result so the timing covers the kernel, not just the launch."""
    if type(x).__module__.startswith("cupy"):
        import cupy

        cupy.cuda.Device().synchronize()
    return x


@pytest.mark.benchmark(group=GROUP)
def test_gpugrad_normal(benchmark):
    key = jr.key(0)
    out = benchmark(lambda: _sync(jr.normal(key, (N,))))
    assert out.shape == (N,) and out.dtype == np.float32
    assert abs(float(out.mean())) < 1e-2


@pytest.mark.benchmark(group=GROUP)
def test_numpy_standard_normal(benchmark):
    rng = np.random.default_rng(0)
    out = benchmark(lambda: rng.standard_normal(N, dtype=np.float32))
    assert out.shape == (N,) and out.dtype == np.float32


@pytest.mark.benchmark(group=GROUP)
def test_jax_normal(benchmark):
    jax = pytest.importorskip("jax")
    key = jax.random.key(0)
    fn = jax.jit(lambda k: jax.random.normal(k, (N,)))
    fn(key).block_until_ready()  # compile outside the timing
    out = benchmark(lambda: fn(key).block_until_ready())
    assert out.shape == (N,)
