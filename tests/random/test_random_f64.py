"""float64 ``erfinv64`` and the float64 ``normal``/``truncated_normal`` draws in x64 mode.

``erfinv64`` follows XLA:CPU's float64 erfinv (Giles' polynomials in ``w = -log1p(-x*x)``), so
the draws are compared with ``jax.random`` over a million draws per key and layout, and the
function with ``scipy.special`` over the whole of (-1, 1).
"""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad.random as jr
from gpugrad.config import config
from gpugrad.kernel_check.host_samples import ulp_distance
from gpugrad.random._xla_float64 import erfinv64

EPS = float(np.finfo(np.float64).eps)
SEEDS = (0, 1, 42)
N = 10**6


def _grid() -> np.ndarray:
    """(-1, 1): a fine even grid, random points, and both tails down to 1 - 1e-16."""
    rng = np.random.default_rng(0)
    tail = 1.0 - np.logspace(-16, -1, 4001)
    x = np.concatenate([np.linspace(-1, 1, 40001)[1:-1], rng.uniform(-1, 1, 200000),
                        tail, -tail, np.logspace(-300, -1, 601), [1 - 1e-15, -(1 - 1e-15)]])
    return x[np.abs(x) < 1]


def test_erfinv64_against_scipy_over_the_open_interval():
    from scipy import special  # a test dependency (the test extra), not an optional peer

    x = _grid()
    got = erfinv64(x)
    a = np.abs(x)
    # Away from +-1 and from log1p's switch at |x| = 0.6436 (where XLA's log(1 + m) rounds 1 + m):
    inner = a < 0.6
    assert ulp_distance(got[inner], special.erfinv(x[inner])).max() <= 6
    # XLA's formula (and so JAX's numbers) rounds x*x first; near +-1 that rounding is the whole
    # error (~5e5 ulps of the true erfinv at 1 - 7e-9). Against the erfinv of the argument the
    # formula actually sees, sqrt(1 - q) with q = 1 - x*x (exact for x*x >= 1/2), it is close:
    q = 1.0 - a * a
    seen = special.erfcinv(q / (1.0 + np.sqrt(1.0 - q)))  # erfinv(y) = erfcinv(1 - y)
    ref = np.where(a * a >= 0.5, np.copysign(seen, x), special.erfinv(x))
    assert ulp_distance(got, ref).max() <= 24
    assert np.all(np.isfinite(got)) and np.all(np.sign(got) == np.sign(x))


def test_erfinv64_special_values():
    got = erfinv64(np.array([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan, 5e-324, 0.5]))
    np.testing.assert_array_equal(got[:7], [0.0, -0.0, np.inf, -np.inf, np.nan, np.nan, np.nan])
    assert np.signbit(got[1]) and got[7] == 0.0  # subnormal results flush to zero, as XLA:CPU
    assert abs(got[8] - 0.4769362762044699) <= 2 * EPS * 0.5
    assert erfinv64(np.float64(0.25)).shape == ()


@pytest.fixture
def jax_x64():
    """JAX with x64 on and gpugrad in x64 mode for one test; both restored afterwards."""
    jax = pytest.importorskip("jax")
    old = (jax.config.jax_enable_x64, jax.config.jax_threefry_partitionable,
           config.enable_x64, config.threefry_partitionable)
    jax.config.update("jax_enable_x64", True)
    config.update("enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", old[0])
    jax.config.update("jax_threefry_partitionable", old[1])
    config.update("enable_x64", old[2])
    config.update("threefry_partitionable", old[3])


def _layout(jax, part: bool) -> None:
    jax.config.update("jax_threefry_partitionable", part)
    config.update("threefry_partitionable", part)


@pytest.mark.slow  # about 3 s per layout
@pytest.mark.parametrize("part", [False, True])
def test_float64_normal_matches_jax(jax_x64, part):
    jax = jax_x64
    _layout(jax, part)
    for seed in SEEDS:
        got = np.asarray(jr.normal(jr.key(seed), (N,), np.float64))
        want = np.asarray(jax.random.normal(jax.random.key(seed), (N,), jax.numpy.float64))
        d = ulp_distance(got, want)
        # Bit for bit but where NumPy's float64 log and XLA's round apart (~30 per million).
        assert d.max() <= 3 and np.count_nonzero(d) <= 100, (seed, d.max(), np.count_nonzero(d))


@pytest.mark.slow
@pytest.mark.parametrize("part", [False, True])
def test_float64_truncated_normal_matches_jax(jax_x64, part):
    jax = jax_x64
    _layout(jax, part)
    for seed in SEEDS:
        got = np.asarray(jr.truncated_normal(jr.key(seed), -1.5, 2.5, (N,), np.float64))
        want = np.asarray(jax.random.truncated_normal(jax.random.key(seed), -1.5, 2.5, (N,),
                                                      jax.numpy.float64))
        assert got.min() > -1.5 and got.max() < 2.5
        # The bounds' erf (gpugrad's series against XLA's rational) differ by a few ulps of 1,
        # which moves z by that over erf'(z / sqrt 2) / sqrt 2; erfinv itself adds ~1 ulp.
        slope = np.sqrt(2 / np.pi) * np.exp(-want * want / 2)
        err = np.abs(got - want) * slope / EPS
        assert err.max() <= 4, (seed, err.max())
