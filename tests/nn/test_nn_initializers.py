"""gpugrad.nn.initializers against jax.nn.initializers 0.10.2: the same numbers for the same
key (both threefry layouts, float32 and float64), statistics of the draws, fans, and the
errors of bad arguments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
from gpugrad import random
from gpugrad.nn import initializers as init

jax = pytest.importorskip("jax")
jinit = pytest.importorskip("jax.nn.initializers")

# name -> (factory arguments): the same call in both libraries.
FACTORIES: dict[str, tuple[Any, ...]] = {
    "glorot_normal": (), "glorot_uniform": (), "xavier_normal": (), "xavier_uniform": (),
    "he_normal": (), "he_uniform": (), "kaiming_normal": (), "kaiming_uniform": (),
    "lecun_normal": (), "lecun_uniform": (), "normal": (0.3,), "uniform": (2.5,),
    "truncated_normal": (0.7,), "constant": (-1.5,), "orthogonal": (),
    "orthogonal-scaled": (2.0, 0),
}
DIRECT = ("zeros", "ones")
VARIANCE_SCALING = [(0.5, "fan_out", "normal"), (3.0, "fan_geo_avg", "uniform"),
                    (1.0, "fan_avg", "truncated_normal")]
SHAPES = [(5, 2), (3, 3, 2, 6)]


@pytest.fixture(params=[False, True], ids=["legacy_prng", "partitionable_prng"])
def prng_layout(request: pytest.FixtureRequest) -> Any:
    """Both libraries set to the same threefry bit layout for one test."""
    saved = (jax.config.jax_threefry_partitionable, gpugrad.config.threefry_partitionable)
    jax.config.update("jax_threefry_partitionable", request.param)
    gpugrad.config.update("threefry_partitionable", request.param)
    yield request.param
    jax.config.update("jax_threefry_partitionable", saved[0])
    gpugrad.config.update("threefry_partitionable", saved[1])


def _make(module: Any, name: str) -> Any:
    base = name.split("-")[0]
    return getattr(module, base)(*FACTORIES[name])


def _assert_same(ours: Any, theirs: Any, what: str) -> None:
    theirs = np.asarray(theirs)
    assert (ours.shape, ours.dtype) == (theirs.shape, theirs.dtype), what
    # The same draws scaled by the same factor in the same dtype: equal but for a few ulp
    # (orthogonal goes through a QR, LAPACK's here and XLA's in JAX).
    eps = np.finfo(ours.dtype).eps
    np.testing.assert_allclose(ours, theirs, rtol=8 * eps, atol=8 * eps, err_msg=what)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_initializer_matches_jax_float32(name: str, shape: tuple[int, ...],
                                          prng_layout: bool) -> None:
    seed = len(shape)  # a different key for each shape
    ours = _make(init, name)(random.key(seed), shape)
    theirs = _make(jinit, name)(jax.random.key(seed), shape)
    _assert_same(ours, theirs, f"{name}{shape} seed {seed}")


@pytest.mark.parametrize("name", sorted(FACTORIES) + list(DIRECT))
def test_initializer_matches_jax_float64(name: str, prng_layout: bool, jax_x64: Any,
                                         x64: None) -> None:
    for dtype in (np.float64, None):  # None: the default float, float64 in 64-bit mode
        if name in DIRECT:
            ours = getattr(init, name)(random.key(3), (4, 5), dtype)
            theirs = getattr(jinit, name)(jax.random.key(3), (4, 5), dtype)
        else:
            ours = _make(init, name)(random.key(3), (4, 5), dtype)
            theirs = _make(jinit, name)(jax.random.key(3), (4, 5), dtype)
        assert ours.dtype == np.float64
        _assert_same(ours, theirs, f"{name} {dtype}")


@pytest.mark.parametrize("args", VARIANCE_SCALING, ids=str)
def test_variance_scaling_matches_jax_with_axes(args: tuple[Any, ...],
                                               prng_layout: bool) -> None:
    for axes in ({}, {"in_axis": 0, "out_axis": 1}, {"in_axis": (1, 2), "out_axis": -1},
                 {"in_axis": -2, "out_axis": -1, "batch_axis": 0}):
        ours = init.variance_scaling(*args, **axes)(random.key(11), (3, 4, 5))
        theirs = jinit.variance_scaling(*args, **axes)(jax.random.key(11), (3, 4, 5))
        _assert_same(ours, theirs, f"{args} {axes}")


def test_raw_keys_and_typed_keys_give_the_same_weights(prng_layout: bool) -> None:
    by_raw = init.he_normal()(random.PRNGKey(5), (6, 3))
    np.testing.assert_array_equal(by_raw, init.he_normal()(random.key(5), (6, 3)))
    np.testing.assert_array_equal(by_raw, jinit.he_normal()(jax.random.PRNGKey(5), (6, 3)))


def test_direct_initializers_and_dtypes() -> None:
    assert init.zeros(random.key(0), (2, 3)).dtype == np.float32
    np.testing.assert_array_equal(init.ones(random.key(0), (2,), np.int32),
                                  np.ones(2, np.int32))
    np.testing.assert_array_equal(init.constant(3, dtype=np.int32)(random.key(0), (2,)),
                                  [3, 3])
    assert init.normal()(random.key(0), (3,), np.float16).dtype == np.float16


@pytest.mark.parametrize(("name", "variance"), [
    ("glorot_normal", 2 / (400 + 300)), ("glorot_uniform", 2 / (400 + 300)),
    ("he_normal", 2 / 400), ("he_uniform", 2 / 400), ("lecun_normal", 1 / 400),
    ("lecun_uniform", 1 / 400),
])
def test_variance_is_the_one_asked_for(name: str, variance: float) -> None:
    # 120000 draws: the sample variance is within 1.5% of the target (its relative standard
    # error is about sqrt(2 / n) = 0.4% for a normal, less for a uniform) and the mean is 0.
    w = getattr(init, name)()(random.key(1), (400, 300))
    assert abs(float(w.var()) / variance - 1) < 0.015
    assert abs(float(w.mean())) < 4 * (variance / w.size) ** 0.5
    if name.endswith("normal"):  # truncated at two standard deviations
        assert float(abs(w).max()) <= 2 * (variance ** 0.5) / 0.87962566103423978 * (1 + 1e-6)
    else:
        assert float(abs(w).max()) <= (3 * variance) ** 0.5


def test_orthogonal_has_orthonormal_columns_or_rows() -> None:
    tall = init.orthogonal()(random.key(2), (6, 4))
    np.testing.assert_allclose(tall.T @ tall, np.eye(4), atol=1e-5)
    wide = init.orthogonal(column_axis=0)(random.key(2), (3, 5))
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    assert init.orthogonal()(random.key(2), (0, 3)).shape == (0, 3)


def test_compute_fans_of_a_convolution_kernel() -> None:
    assert init.compute_fans((3, 3, 16, 32)) == (144.0, 288.0)
    assert init.compute_fans((8, 5, 7), in_axis=1, out_axis=2, batch_axis=0) == (5.0, 7.0)


def test_initializers_under_vmap_over_keys() -> None:
    keys = random.split(random.key(4), 3)
    batched = gpugrad.vmap(lambda k: init.glorot_uniform()(k, (2, 3)))(keys)
    for i in range(3):
        np.testing.assert_array_equal(batched[i], init.glorot_uniform()(keys[i], (2, 3)))


def test_bad_arguments_raise_jaxs_errors() -> None:
    with pytest.raises(ValueError, match=r"invalid mode for variance scaling.*'fan_sum'"):
        init.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(ValueError, match=r"invalid distribution.*'cauchy'.*'uniform'"):
        init.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="1-dimensional weights tensor with default in_axis"):
        init.glorot_normal()(random.key(0), (5,))
    with pytest.raises(ValueError, match="requires at least a 2D shape"):
        init.orthogonal()(random.key(0), (5,))
    with pytest.raises(NotImplementedError, match="complex dtypes"):
        init.he_normal()(random.key(0), (2, 2), np.complex64)
    with pytest.warns(UserWarning, match="float64"):
        w = init.he_normal()(random.key(0), (2, 2), np.float64)  # not in 64-bit mode
    assert w.dtype == np.float32


@pytest.mark.gpu
def test_on_cupy_as_on_numpy(cupy_module: Any) -> None:
    for name in sorted(FACTORIES):
        with gpugrad.use_backend("cupy"):
            ours = _make(init, name)(random.key(1), (4, 3))
        assert gpugrad.backend.is_cupy_array(ours), name
        with gpugrad.use_backend("numpy"):
            on_host = _make(init, name)(random.key(1), (4, 3))
        np.testing.assert_allclose(gpugrad.device_get(ours), on_host, rtol=1e-6, atol=1e-7,
                                   err_msg=name)
