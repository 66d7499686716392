"""gpugrad.random's API: the Key class, argument handling, JAX's errors, sampler properties."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import gpugrad.random as jr
from gpugrad.backend import device_get, use_backend
from gpugrad.config import config
from tests.project.test_docs import EXAMPLE_GLOBALS

# --- Key -----------------------------------------------------------------------------------


def test_key_repr_shape_and_dtype():
    k = jr.key(0)
    assert k.shape == () and k.ndim == 0 and k.size == 1 and k.dtype == "key<fry>"
    assert repr(k) == "Array((), dtype=key<fry>) overlaying:\n[0 0]"
    assert str(k) == repr(k)
    ks = jr.split(k, 3)
    assert ks.shape == (3,)
    assert repr(ks).startswith("Array((3,), dtype=key<fry>) overlaying:\n[[")
    assert jr.split(k, (2, 3)).shape == (2, 3)
    assert jr.split(k, [2, 3]).shape == (2, 3)
    assert jr.split(k, 0).shape == (0,)
    assert jr.key_data(jr.split(k, (2, 3))).shape == (2, 3, 2)


def test_key_equality_indexing_and_unpacking():
    ks = jr.split(jr.key(1), 4)
    a, b, c, d = ks
    assert bool(a == ks[0]) and bool(d == ks[-1]) and not bool(a == b)
    assert bool(a != b)
    assert (ks == ks).tolist() == [True] * 4
    np.testing.assert_array_equal(jr.key_data(ks[1:3]), jr.key_data(ks)[1:3])
    grid = jr.split(jr.key(1), (2, 3))
    assert grid[1].shape == (3,) and grid[1, 2].shape == () and grid[..., 0].shape == (2,)
    assert len(ks) == 4
    with pytest.raises(TypeError):
        len(jr.key(0))
    with pytest.raises(TypeError):
        iter(jr.key(0))
    assert jr.key(3) == jr.wrap_key_data(np.array([0, 3], np.uint32))


def test_key_is_immutable_and_not_an_array():
    k = jr.key(0)
    with pytest.raises(TypeError, match="key_data"):
        np.asarray(k)
    with pytest.raises(AttributeError):
        k.shape = (1,)
    data = jr.key_data(k)
    with pytest.raises(ValueError):
        data[0] = 1  # the typed key's data is read-only
    with pytest.raises(TypeError):
        hash(k)


def test_wrap_key_data_checks():
    with pytest.raises(TypeError):
        jr.wrap_key_data(np.array([0, 1], np.int32))
    with pytest.raises(TypeError):
        jr.wrap_key_data(np.zeros((3,), np.uint32))
    assert jr.wrap_key_data(np.zeros((4, 2), np.uint32)).shape == (4,)


# --- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda k: jr.normal(k, (2,)), lambda k: jr.uniform(k), lambda k: jr.bits(k),
    lambda k: jr.randint(k, (2,), 0, 3), lambda k: jr.split(k), lambda k: jr.fold_in(k, 1),
    lambda k: jr.bernoulli(k), lambda k: jr.permutation(k, 3), lambda k: jr.gumbel(k),
])
def test_batch_of_keys_is_a_value_error(fn):
    with pytest.raises(ValueError, match=r"accepts a single key.*\(2,\)"):
        fn(jr.split(jr.key(0), 2))
    with pytest.raises(ValueError, match="single key"):
        fn(jr.split(jr.PRNGKey(0), 2))


def test_bad_seeds():
    with pytest.raises(OverflowError):
        jr.key(2**63)
    with pytest.raises(OverflowError):
        jr.PRNGKey(-2**63 - 1)
    with pytest.raises(TypeError):
        jr.key(1.0)
    with pytest.raises(TypeError, match="scalar seed"):
        jr.key(np.array([1, 2]))
    with pytest.raises(TypeError):
        jr.key("0")


def test_bad_keys():
    with pytest.raises(TypeError):
        jr.normal([0, 0], (2,))
    with pytest.raises(TypeError):
        jr.normal(np.zeros(2, np.int32), (2,))


def test_fold_in_range():
    assert jr.key_data(jr.fold_in(jr.key(0), np.uint32(5))).shape == (2,)
    with pytest.raises(OverflowError):
        jr.fold_in(jr.key(0), -1)
    with pytest.raises(OverflowError):
        jr.fold_in(jr.key(0), 2**32)


def test_float64_without_x64_warns_and_truncates():
    k = jr.key(0)
    with pytest.warns(UserWarning, match="float64.*truncated to dtype float32"):
        u = jr.uniform(k, (3,), np.float64)
    assert u.dtype == np.float32
    np.testing.assert_array_equal(u, jr.uniform(k, (3,)))
    with pytest.warns(UserWarning):
        assert jr.normal(k, (2,), np.float64).dtype == np.float32
    with pytest.warns(UserWarning):
        assert jr.randint(k, (2,), 0, 4, np.int64).dtype == np.int32


def test_dtype_and_shape_errors():
    k = jr.key(0)
    with pytest.raises(ValueError):
        jr.uniform(k, (2,), np.int32)
    with pytest.raises(TypeError):
        jr.randint(k, (2,), 0, 3, np.float32)
    with pytest.raises(ValueError):
        jr.bits(k, (2,), np.int32)
    with pytest.raises(ValueError):
        jr.normal(k, (-1,))
    with pytest.raises(TypeError):
        jr.normal(k, (2.0,))
    with pytest.raises(ValueError, match="broadcast"):
        jr.uniform(k, (3,), minval=np.zeros(4, np.float32))
    with pytest.raises(OverflowError):
        jr.randint(k, (2,), 0, 2**31)
    with pytest.raises(TypeError):
        jr.bernoulli(k, 1, (2,))
    with pytest.raises(ValueError):
        jr.bernoulli(k, 0.5, (2,), mode="medium")
    with pytest.raises(TypeError, match="sequence"):
        jr.choice(k, 5, 3)
    with pytest.raises(ValueError, match="larger sample"):
        jr.choice(k, 3, (4,), replace=False)
    with pytest.raises(ValueError, match="p must be"):
        jr.choice(k, 3, (2,), p=np.ones(4, np.float32) / 4)
    with pytest.raises(TypeError):
        jr.permutation(k, 2.5)


def test_shapes_ints_lists_tuples_and_empty():
    k = jr.key(2)
    assert jr.normal(k, 3).shape == (3,)
    np.testing.assert_array_equal(jr.normal(k, [3]), jr.normal(k, (3,)))
    assert jr.normal(k, ()).shape == () and isinstance(jr.normal(k, ()), np.ndarray)
    assert jr.uniform(k, (0,)).shape == (0,)
    assert jr.randint(k, (2, 0, 3), 0, 5).shape == (2, 0, 3)
    assert jr.bits(k, (0,)).dtype == np.uint32


# --- sampler properties ------------------------------------------------------------------
def test_uniform_ranges_and_broadcast_bounds():
    k = jr.key(4)
    assert jr.uniform(k, (3,), minval=2.0, maxval=1.0).tolist() == [2.0, 2.0, 2.0]
    u = jr.uniform(k, (2, 1000), minval=np.float32([[-1.0], [5.0]]), maxval=np.float32(6.0))
    assert u.min() >= -1.0 and u[0].max() < 6.0 and u[1].min() >= 5.0
    assert jr.uniform(k, (4,), np.float16).dtype == np.float16


def test_sampler_statistics():
    k = jr.key(7)
    z = jr.normal(k, (200_000,))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    e = jr.exponential(k, (200_000,))
    assert e.min() >= 0 and abs(e.mean() - 1) < 0.01
    lap = jr.laplace(k, (200_000,))
    assert abs(lap.mean()) < 0.02 and abs(np.abs(lap).mean() - 1) < 0.01
    g = jr.gumbel(k, (200_000,))
    assert abs(g.mean() - 0.5772157) < 0.01
    assert abs(jr.bernoulli(k, 0.3, (200_000,)).mean() - 0.3) < 0.005
    t = jr.truncated_normal(k, -1.0, 2.0, (200_000,))
    assert t.min() > -1.0 and t.max() < 2.0
    r = jr.randint(k, (100_000,), -3, 4)
    assert r.min() == -3 and r.max() == 3


def test_discrete_samplers():
    k = jr.key(8)
    p = jr.permutation(k, 100)
    assert sorted(p.tolist()) == list(range(100)) and p.dtype == np.int32
    x = np.arange(12).reshape(3, 4)
    px = jr.permutation(k, x, axis=1)
    assert sorted(px[0].tolist()) == [0, 1, 2, 3] and (px == x[:, px[0]]).all()
    c = jr.choice(k, 20, (10,), replace=False)
    assert len(set(c.tolist())) == 10
    cp = jr.choice(k, 3, (1000,), p=np.float32([0.0, 1.0, 0.0]))
    assert (cp == 1).all()
    assert jr.choice(k, x, (2,), axis=1).shape == (3, 2)
    logits = np.float32([[-np.inf, -np.inf, 0.0], [0.0, -np.inf, -np.inf]])
    assert jr.categorical(k, logits).tolist() == [2, 0]
    assert jr.categorical(k, logits, shape=(5, 2)).shape == (5, 2)
    nr = jr.categorical(k, np.zeros((2, 6), np.float32), shape=(4, 2), replace=False)
    assert all(len(set(nr[:, j].tolist())) == 4 for j in range(2))
    assert jr.randint(k, (500,), -100, 300, np.int8).dtype == np.int8


def test_randint_wrapping_quirk():
    # span > 65536 makes the uint32 multiplier wrap to 0: only the second key's bits matter
    from gpugrad.random._int_kernels import _split2
    from gpugrad.random.threefry import random_bits

    k = jr.key(13)
    _, k2 = _split2(jr.key_data(k), config.threefry_partitionable)
    lo_bits = random_bits(k2, 32, (6,), config.threefry_partitionable)
    span = 1_000_008
    expected = (-5 + (lo_bits % span).astype(np.int64)).astype(np.int32)
    np.testing.assert_array_equal(jr.randint(k, (6,), -5, 1_000_003), expected)


SCALAR_SAMPLES = [  # shape (); the values are jax.random's (0.10, legacy layout) for key(3)
    ("bernoulli", lambda k, xp: jr.bernoulli(k, 0.3, ()), False),
    ("bernoulli-high", lambda k, xp: jr.bernoulli(k, 0.3, (), mode="high"), False),
    ("categorical", lambda k, xp: jr.categorical(k, xp.asarray([0.1, 0.5, -0.3]), shape=()),
     2),
    ("choice-p", lambda k, xp: jr.choice(k, 3, (), p=xp.asarray([0.2, 0.3, 0.5])), 0),
    ("choice-array", lambda k, xp: jr.choice(k, xp.asarray([1.5, 2.5, 3.5]), ()), 2.5),
    ("choice-p-no-replace", lambda k, xp: jr.choice(
        k, xp.asarray([1.5, 2.5, 3.5]), (), replace=False, p=xp.asarray([0.2, 0.3, 0.5])), 3.5),
]


@pytest.mark.parametrize("name,sample,expected", SCALAR_SAMPLES,
                         ids=[s[0] for s in SCALAR_SAMPLES])
def test_scalar_sample_is_a_0d_array_on_the_keys_backend(xp, name, sample, expected):
    """NumPy's comparisons, argmax and take give scalars for 0-d results; a sample of shape
    () must still be an array (as JAX's is), on its key's backend."""
    with use_backend(xp.__name__):  # the key on xp's backend, whatever the default
        k = jr.key(3)
    out = sample(k, xp)
    assert type(out) is xp.ndarray and out.shape == (), type(out)
    assert device_get(out).item() == expected


@pytest.mark.parametrize("module", [
    "gpugrad.random", "gpugrad.random._key", "gpugrad.random.threefry",
    "gpugrad.random._xla_float32", "gpugrad.random._xla_float64", "gpugrad.random._samplers",
    "gpugrad.random._discrete", "gpugrad.random._util", "gpugrad.random.cuda_kernels",
    "gpugrad.random._sampling", "gpugrad.random._float_kernels", "gpugrad.random._int_kernels",
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), extraglobs=EXAMPLE_GLOBALS,
                             optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
