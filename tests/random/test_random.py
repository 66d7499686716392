"""gpugrad.random against the golden values of prng.md section 10, in both bit layouts.

Floats are compared bit for bit (``.view(np.uint32)``) unless a test says otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad.random as jr
from gpugrad.config import config


def f32(*bits: int) -> np.ndarray:
    return np.array(bits, dtype=np.uint32).view(np.float32)


def assert_bits(actual, expected_bits) -> None:
    a = np.asarray(actual)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a.reshape(-1).view(np.uint32),
                                  np.asarray(expected_bits, dtype=np.uint32))


@pytest.fixture
def layout(request):
    """Set ``threefry_partitionable`` for one test and restore it afterwards."""
    old = config.threefry_partitionable
    config.update("threefry_partitionable", request.param)
    yield request.param
    config.update("threefry_partitionable", old)


legacy = pytest.mark.parametrize("layout", [False], indirect=True)
partitionable = pytest.mark.parametrize("layout", [True], indirect=True)
both = pytest.mark.parametrize("layout", [False, True], indirect=True)


def test_default_layout_is_legacy():
    assert config.threefry_partitionable is False


# --- block function ----------------------------------------------------------------------
@pytest.mark.parametrize("k, x, y", [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
    ((0x00000000, 0x0000002A), (0x00000000, 0x00000001), (0x03D7B32D, 0xADD083F4)),
])
def test_threefry_known_answers(k, x, y):
    from gpugrad.random.threefry import threefry2x32

    y0, y1 = threefry2x32(k[0], k[1], np.array([x[0]], np.uint32), np.array([x[1]], np.uint32))
    assert (int(y0[0]), int(y1[0])) == y


def test_threefry_chunked_matches_single_blocks():
    from gpugrad.random.threefry import _CHUNK, threefry2x32

    x0 = np.arange(3 * _CHUNK + 5, dtype=np.uint32)
    x1 = x0[::-1].copy()
    y0, y1 = threefry2x32(7, 9, x0, x1)
    for j in (0, _CHUNK - 1, _CHUNK, 2 * _CHUNK + 3, x0.size - 1):
        z0, z1 = threefry2x32(7, 9, x0[j:j + 1], x1[j:j + 1])
        assert (y0[j], y1[j]) == (z0[0], z1[0])


# --- the seed-001 tutorial ---------------------------------------------------------------
@both
def test_tutorial_case(layout):
    key = jr.key(0)
    key, W_key, b_key = jr.split(key, 3)
    W = jr.normal(W_key, (3,))
    b = jr.normal(b_key, ())
    key, subkey = jr.split(key)
    vec = jr.normal(subkey, W.shape)
    assert W.shape == (3,) and b.shape == () and isinstance(b, np.ndarray)
    if layout:
        assert jr.key_data(key).tolist() != [0, 0]
        assert jr.key_data(W_key).tolist() == [928981903, 3453687069]
        assert jr.key_data(b_key).tolist() == [4146024105, 2718843009]
        assert jr.key_data(subkey).tolist() == [1353695780, 2116000888]
        assert_bits(W, [0xC01C5132, 0xC0024897, 0x3E527A30])
        assert_bits(b, [0x3FA5D766])
        assert_bits(vec, [0xBFA0F507, 0xBECD9F18, 0xBF8F88BA])
    else:
        assert jr.key_data(W_key).tolist() == [3186719485, 3840466878]
        assert jr.key_data(b_key).tolist() == [2562233961, 1946702221]
        assert jr.key_data(subkey).tolist() == [1704566554, 3503162380]
        assert_bits(W, [0xBEBC9D55, 0xC011A4E3, 0x3C3B8E92])
        assert_bits(b, [0x3F5A825C])
        assert_bits(vec, [0x3F779D73, 0xBF101297, 0x3EC21D90])


@legacy
def test_seed_001_printed_values(layout):
    _, W_key, b_key = jr.split(jr.key(0), 3)
    W, b = jr.normal(W_key, (3,)), jr.normal(b_key, ())
    assert str(W) == "[-0.36838785 -2.275689    0.01144757]"
    assert str(b) == "0.8535516"
    # print() of an array rounds to 8 digits, so also pin the exact bits
    assert_bits(W, [0xBEBC9D55, 0xC011A4E3, 0x3C3B8E92])
    _, subkey = jr.split(jr.split(jr.key(0), 3)[0])
    vec = jr.normal(subkey, (3,))
    assert str(vec) == "[ 0.96724623 -0.56278366  0.3791318 ]"
    np.testing.assert_allclose(vec, [0.96724623, -0.56278366, 0.3791318], rtol=2e-7)


def test_raw_and_typed_keys_give_the_same_numbers():
    raw, typed = jr.PRNGKey(5), jr.key(5)
    np.testing.assert_array_equal(jr.normal(raw, (7,)), jr.normal(typed, (7,)))
    np.testing.assert_array_equal(jr.split(raw), jr.key_data(jr.split(typed)))
    assert isinstance(jr.split(raw), np.ndarray) and jr.split(raw).shape == (2, 2)
    assert isinstance(jr.fold_in(typed, 3), jr.Key)


# --- section 10, "other vectors" ---------------------------------------------------------
@partitionable
def test_split_and_fold_in_partitionable(layout):
    assert jr.key_data(jr.split(jr.key(0))).tolist() == [
        [1797259609, 2579123966], [928981903, 3453687069]]
    assert jr.key_data(jr.split(jr.key(0), 3)).tolist() == [
        [1797259609, 2579123966], [928981903, 3453687069], [4146024105, 2718843009]]
    # fold_in(k, i) == split(k, n)[i] in this layout, and split has the prefix property
    ks = jr.split(jr.key(9), 5)
    for i in range(5):
        assert bool(jr.fold_in(jr.key(9), i) == ks[i])
    np.testing.assert_array_equal(jr.key_data(jr.split(jr.key(9), 3)), jr.key_data(ks)[:3])


@legacy
def test_split_legacy(layout):
    assert jr.key_data(jr.split(jr.key(0))).tolist() == [
        [4146024105, 967050713], [2718843009, 1272950319]]


@both
def test_fold_in_both_layouts(layout):
    assert jr.key_data(jr.fold_in(jr.key(0), 1)).tolist() == [928981903, 3453687069]
    assert jr.key_data(jr.fold_in(jr.key(42), 7)).tolist() == [2547012911, 1371500959]
    assert jr.key_data(jr.fold_in(jr.key(0), 2**32 - 1)).tolist() == [743310391, 3789761811]


@both
def test_bits(layout):
    expected = ([4070199207, 4202968722, 1427181096, 2012915765, 2447653815] if layout
                else [2467461003, 428148500, 1688610540, 3840466878, 2562233961])
    out = jr.bits(jr.key(0), (5,))
    assert out.dtype == np.uint32 and out.tolist() == expected


@both
def test_uniform_key42(layout):
    if layout:
        assert_bits(jr.uniform(jr.key(42), (4,)), [0x3EFA3824, 0x3F2E0730, 0x3F1DC3F8, 0x3F0F9EC0])
    else:
        assert_bits(jr.uniform(jr.key(42), (4,)), [0x3F12FB20, 0x3F5B4C98, 0x3D738D80, 0x3D7F6880])


@partitionable
def test_partitionable_vectors(layout):
    # the range [0.1, 0.7) exercises the single-rounding fma
    assert_bits(jr.uniform(jr.key(3), (3,), minval=0.1, maxval=0.7),
                [0x3E13E5DD, 0x3F29B2EF, 0x3EFA8F41])
    assert_bits(jr.normal(jr.key(1), (5,)),
                [0xBE1E24C8, 0x3DAD7B02, 0xBE0B3E78, 0xBE1EC1D3, 0x3FA22228])
    assert_bits(jr.normal(jr.key(0), ()), [0x3FCFB2BD])
    np.testing.assert_array_equal(jr.normal(jr.key(0), (3,)),
                                  np.float32([1.6226422, 2.0252647, -0.43359444]))
    np.testing.assert_array_equal(jr.uniform(jr.key(0), (3,)),
                                  np.float32([0.947667, 0.9785799, 0.33229148]))
    assert jr.randint(jr.key(0), (6,), 0, 10).tolist() == [9, 0, 2, 3, 1, 7]
    assert jr.randint(jr.key(0), (3,), -5, 1000003).tolist() == [326824, 726595, 188283]
    assert jr.bernoulli(jr.key(0), 0.5, (8,)).tolist() == [
        False, False, True, True, False, True, True, False]
    assert jr.permutation(jr.key(0), 10).tolist() == [0, 1, 8, 5, 6, 4, 3, 2, 7, 9]
    assert jr.choice(jr.key(0), 10, (3,), replace=False).tolist() == [0, 1, 8]


@legacy
def test_legacy_normal_key1(layout):
    assert_bits(jr.normal(jr.key(1), (5,)),
                [0x3F751213, 0xBF784D43, 0xBDE1C1FF, 0x3EBB7D4C, 0x3E31195C])


@partitionable
def test_prefix_property(layout):
    k = jr.key(11)
    u5, u3 = jr.uniform(k, (5,)), jr.uniform(k, (3,))
    np.testing.assert_array_equal(u5[:3], u3)
    np.testing.assert_array_equal(jr.uniform(k, (2, 3)).ravel(), jr.uniform(k, (6,)))
    np.testing.assert_array_equal(jr.uniform(k, ()), jr.uniform(k, (1,))[0])
    np.testing.assert_array_equal(jr.normal(k, (1000,))[:10], jr.normal(k, (10,)))


@legacy
def test_legacy_has_no_prefix_property(layout):
    k = jr.key(11)
    assert not np.array_equal(jr.uniform(k, (5,))[:3], jr.uniform(k, (3,)))


# --- seeds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seed, data", [
    (0, [0, 0]), (-1, [0, 4294967295]), (2**32 + 5, [0, 5]), (2**40 + 7, [0, 7]),
    (2**63 - 1, [0, 4294967295]), (-2**63, [0, 0]), (True, [0, 1]),
    (np.uint64(2**40 + 7), [0, 7]), (np.int32(-1), [0, 4294967295]), (np.array(3), [0, 3]),
])
def test_seeds_x32(seed, data):
    assert jr.key_data(jr.key(seed)).tolist() == data
    raw = jr.PRNGKey(seed)
    assert raw.dtype == np.uint32 and raw.shape == (2,) and raw.tolist() == data


@pytest.mark.parametrize("seed, data", [
    (-1, [4294967295, 4294967295]), (2**40 + 7, [256, 7]),
    (123456789012345, [28744, 2249056121]), (-2**63, [0x80000000, 0]),
    (np.int32(-1), [0, 0xFFFFFFFF]), (np.int64(2**40 + 7), [256, 7]),
])
def test_seeds_x64(x64, seed, data):
    assert jr.key_data(jr.key(seed)).tolist() == data


def test_x64_dtype_defaults(x64):
    k = jr.key(0)
    assert jr.uniform(k, (2,)).dtype == np.float64
    assert jr.normal(k, (2,)).dtype == np.float64
    assert jr.randint(k, (2,), 0, 5).dtype == np.int64
    assert jr.bits(k, (2,)).dtype == np.uint64
    assert jr.bernoulli(k, 0.5, (2,)).dtype == np.bool_
    # float32 asked for explicitly gives the x32 numbers
    u64 = jr.uniform(k, (4,), np.float32)
    config.update("enable_x64", False)
    np.testing.assert_array_equal(u64, jr.uniform(k, (4,)))
