"""``gpugrad.random`` under ``vmap``: a batch of keys (and of parameters) gives the numbers of
JAX's ``vmap`` bit for bit, in both bit layouts and in 64-bit mode, and the numbers of a
Python loop over the examples (checked without JAX, on each backend). The batch is drawn in
one call of the sampler's kernel, never in a loop over the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.random as gr
from gpugrad.config import config
from gpugrad.random import _sampling
from tools.batching_check import check_vmap, host

P = [0.1, 0.2, 0.3, 0.25, 0.15]
LOGITS = [[0.1, 0.5, -0.3], [1.0, 2.0, 3.0]]
ITEMS = [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]


def _cases(m: Any) -> dict[str, Callable[[Any], Any]]:
    """One function of a single key per public function, written for ``m`` (gpugrad.random
    or jax.random; arrays are made with ``np`` so that both accept them). Keys come out as
    their data."""
    f32 = np.float32
    return {
        "split": lambda k: m.key_data(m.split(k, 3)),
        "split_shape": lambda k: m.key_data(m.split(k, (2, 3))),
        "split_unpacked": lambda k: _unpacked(m, k),
        "fold_in": lambda k: m.key_data(m.fold_in(k, 7)),
        "bits": lambda k: m.bits(k, (4,)),
        "bits8": lambda k: m.bits(k, (5,), np.uint8),
        "uniform": lambda k: m.uniform(k, (3,)),
        "uniform_range": lambda k: m.uniform(k, (2, 3), minval=0.1, maxval=0.7),
        "normal": lambda k: m.normal(k, (3,)),
        "normal_scalar": lambda k: m.normal(k, ()),
        "truncated_normal": lambda k: m.truncated_normal(k, -1.5, 2.0, (4,)),
        "bernoulli": lambda k: m.bernoulli(k, 0.3, (8,)),
        "bernoulli_high": lambda k: m.bernoulli(k, 0.3, (8,), mode="high"),
        "gumbel": lambda k: m.gumbel(k, (3,)),
        "gumbel_high": lambda k: m.gumbel(k, (3,), mode="high"),
        "exponential": lambda k: m.exponential(k, (3,)),
        "laplace": lambda k: m.laplace(k, (3,)),
        "randint": lambda k: m.randint(k, (6,), 0, 10),
        "randint_wide": lambda k: m.randint(k, (3,), -5, 1000003),
        "randint_int8": lambda k: m.randint(k, (4,), -100, 100, np.int8),
        "permutation": lambda k: m.permutation(k, 10),
        "permutation_array": lambda k: m.permutation(k, np.asarray(ITEMS, f32), axis=1),
        "permutation_independent": lambda k: m.permutation(
            k, np.asarray(ITEMS, f32), axis=0, independent=True),
        "choice": lambda k: m.choice(k, 10, (3,)),
        "choice_no_replace": lambda k: m.choice(k, 10, (2, 2), replace=False),
        "choice_items": lambda k: m.choice(k, np.asarray(ITEMS, f32), (2,), axis=1),
        "choice_p": lambda k: m.choice(k, 5, (4,), p=np.asarray(P, f32)),
        "choice_p_no_replace": lambda k: m.choice(k, 5, (3,), replace=False,
                                                  p=np.asarray(P, f32)),
        "categorical": lambda k: m.categorical(k, np.asarray(LOGITS, f32), shape=(4, 2)),
        "categorical_no_replace": lambda k: m.categorical(
            k, np.asarray(LOGITS[1], f32), shape=(2,), replace=False),
    }


def _unpacked(m: Any, k: Any) -> Any:
    """JAX's idiom: unpack a split (indexing keys), then draw from each part."""
    k1, k2 = m.split(k)
    return m.normal(k2, (2,)) + m.uniform(k1, ())


CASES = sorted(_cases(gr))


@pytest.fixture(params=[False, True], ids=["legacy", "partitionable"])
def layout(request: pytest.FixtureRequest) -> Any:
    """Both bit layouts, set alike in gpugrad and (when installed) JAX."""
    old = config.threefry_partitionable
    config.update("threefry_partitionable", request.param)
    try:
        import jax
    except ImportError:
        yield request.param
    else:
        old_jax = jax.config.jax_threefry_partitionable
        jax.config.update("jax_threefry_partitionable", request.param)
        yield request.param
        jax.config.update("jax_threefry_partitionable", old_jax)
    config.update("threefry_partitionable", old)


def _same(got: Any, want: Any) -> None:
    """Same dtype, shape and bits (NaNs included)."""
    got, want = np.ascontiguousarray(host(got)), np.ascontiguousarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape,
                                                                want.dtype, want.shape)
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


# --- against jax.vmap ---------------------------------------------------------------------
@pytest.mark.parametrize("typed", [False, True], ids=["raw", "typed"])
@pytest.mark.parametrize("name", CASES)
def test_batch_of_keys_matches_jax_vmap(name: str, typed: bool, layout: bool) -> None:
    jax = pytest.importorskip("jax")
    make, jmake = (gr.key, jax.random.key) if typed else (gr.PRNGKey, jax.random.PRNGKey)
    keys, jkeys = gr.split(make(3), 5), jax.random.split(jmake(3), 5)
    _same(gr.key_data(keys), jax.random.key_data(jkeys))
    _same(gpugrad.vmap(_cases(gr)[name])(keys), jax.vmap(_cases(jax.random)[name])(jkeys))


@pytest.mark.parametrize("name", ["split", "normal", "randint", "permutation_array",
                                  "choice_p", "categorical"])
def test_keys_batched_along_another_axis(name: str, layout: bool) -> None:
    jax = pytest.importorskip("jax")
    keys = np.asarray(gr.split(gr.PRNGKey(11), 4)).T  # (2, 4): the batch along axis 1
    got = gpugrad.vmap(_cases(gr)[name], in_axes=1, out_axes=-1)(keys)
    _same(got, jax.vmap(_cases(jax.random)[name], in_axes=1, out_axes=-1)(keys))


def _param_cases(m: Any) -> dict[str, tuple[Callable[..., Any], list[Any]]]:
    """Functions of (key, *parameters) and a batch of each parameter (5 examples)."""
    f32, i32 = np.float32, np.int32
    p_rows = np.stack([np.roll(np.asarray(P, f32), i) for i in range(5)])
    return {
        "fold_in": (lambda k, d: m.key_data(m.fold_in(k, d)),
                    [np.asarray([0, 1, 7, 2**31, 12345], np.uint32)]),
        "fold_in_int32": (lambda k, d: m.key_data(m.fold_in(k, d)),
                          [np.asarray([0, -1, 7, 99, 3], i32)]),
        "uniform_min": (lambda k, lo: m.uniform(k, (3,), minval=lo, maxval=2.0),
                        [np.asarray([-1.0, 0.0, 0.5, 1.0, 1.9], f32)]),
        "uniform_bounds": (lambda k, lo, hi: m.uniform(k, (2, 3), minval=lo, maxval=hi),
                           [np.asarray([-1.0, 0.1, 3.0, 0.0, -5.0], f32),
                            np.asarray([1.0, 0.7, 4.0, 1.0, 5.0], f32)]),
        "truncated_normal": (lambda k, lo, hi: m.truncated_normal(k, lo, hi, (3,)),
                             [np.asarray([-1.0, 0.0, -4.0, -2.0, 1.0], f32),
                              np.asarray([1.0, 3.0, -3.0, 2.0, 5.0], f32)]),
        "bernoulli": (lambda k, p: m.bernoulli(k, p, (6,)),
                      [np.asarray([0.0, 0.25, 0.5, 0.75, 1.0], f32)]),
        "bernoulli_shaped_p": (lambda k, p: m.bernoulli(k, p),
                               [np.linspace(0, 1, 15, dtype=f32).reshape(5, 3)]),
        "randint": (lambda k, lo, hi: m.randint(k, (4,), lo, hi),
                    [np.asarray([0, -5, 3, 0, -9], i32), np.asarray([10, 5, 3, 1000003, -2], i32)]),
        "permutation": (lambda k, x: m.permutation(k, x), [np.arange(20, dtype=f32).reshape(5, 4)]),
        "choice_items": (lambda k, a: m.choice(k, a, (3,)),
                         [np.arange(30, dtype=f32).reshape(5, 6)]),
        "choice_p": (lambda k, p: m.choice(k, 5, (4,), p=p), [p_rows]),
        "choice_p_no_replace": (lambda k, p: m.choice(k, 5, (2,), replace=False, p=p), [p_rows]),
        "categorical": (lambda k, lg: m.categorical(k, lg, shape=(3, 2)),
                        [np.arange(30, dtype=f32).reshape(5, 2, 3) / 7]),
        "categorical_no_replace": (lambda k, lg: m.categorical(k, lg, shape=(2,), replace=False),
                                   [np.arange(20, dtype=f32).reshape(5, 4) / 3]),
    }


@pytest.mark.parametrize("keys_batched", [False, True], ids=["one_key", "keys"])
@pytest.mark.parametrize("name", sorted(_param_cases(gr)))
def test_batched_parameters_match_jax_vmap(name: str, keys_batched: bool, layout: bool
                                           ) -> None:
    jax = pytest.importorskip("jax")
    f, values = _param_cases(gr)[name]
    jf, _ = _param_cases(jax.random)[name]
    keys = np.asarray(gr.split(gr.PRNGKey(5), 5)) if keys_batched else gr.PRNGKey(5)
    axes = (0 if keys_batched else None, *(0,) * len(values))
    _same(gpugrad.vmap(f, in_axes=axes)(keys, *values),
          jax.vmap(jf, in_axes=axes)(keys, *values))


def test_nested_vmap_over_a_grid_of_keys(layout: bool) -> None:
    jax = pytest.importorskip("jax")
    keys = np.asarray(gr.split(gr.PRNGKey(2), (3, 4)))
    lo = np.linspace(-1, 0, 4, dtype=np.float32)

    def grid(m: Any, vmap: Callable[..., Any]) -> Any:
        """Rows of keys against a shared row of lower bounds, then each row's keys."""
        def row(ks: Any) -> Any:
            return vmap(lambda k, a: m.uniform(k, (2,), minval=a, maxval=1.0))(ks, lo)
        return vmap(row)(keys)

    _same(grid(gr, gpugrad.vmap), grid(jax.random, jax.vmap))


# float64 draws through log1p/erf/erfinv, which gpugrad computes in NumPy's or its own
# float64 arithmetic, not XLA's: its unbatched draws differ from JAX's in the last bits too.
F64_LIBM = {"normal", "truncated_normal", "exponential", "laplace", "gumbel"}
X64_CASES = ["bits", "uniform", "uniform_range", "normal", "randint", "permutation",
             "choice", "choice_p", "truncated_normal", "gumbel", "exponential", "laplace",
             "bernoulli", "categorical"]


@pytest.mark.parametrize("name", X64_CASES)
def test_batch_of_keys_matches_jax_vmap_in_x64_mode(name: str, layout: bool, jax_x64: Any,
                                                    x64: None) -> None:
    keys, jkeys = gr.split(gr.PRNGKey(9), 4), jax_x64.random.split(jax_x64.random.PRNGKey(9), 4)
    got = gpugrad.vmap(_cases(gr)[name])(keys)
    want = jax_x64.vmap(_cases(jax_x64.random)[name])(jkeys)
    if name in F64_LIBM:  # as gpugrad's unbatched draws, close to JAX's (see F64_LIBM)
        _same(got, np.stack([_cases(gr)[name](k) for k in keys]))
        np.testing.assert_allclose(host(got), want, rtol=1e-13, atol=1e-15)
    else:
        _same(got, want)


SEEDS32 = np.asarray([0, 1, -1, 2**31 - 1, -(2**31)], np.int32)
SEEDS64 = np.asarray([0, -1, 2**40 + 7, -(2**63), 2**63 - 1, 123456789012345], np.int64)


@pytest.mark.parametrize("make", ["PRNGKey", "key"])
def test_batch_of_seeds_matches_jax_vmap(make: str) -> None:
    jax = pytest.importorskip("jax")

    def data(m: Any) -> Callable[[Any], Any]:
        return lambda s: m.key_data(getattr(m, make)(s))

    _same(gpugrad.vmap(data(gr))(SEEDS32), jax.vmap(data(jax.random))(SEEDS32))
    _same(gpugrad.vmap(data(gr))(SEEDS32.astype(np.uint8)),
          jax.vmap(data(jax.random))(SEEDS32.astype(np.uint8)))


def test_batch_of_64_bit_seeds_matches_jax_vmap_in_x64_mode(jax_x64: Any, x64: None) -> None:
    got = gpugrad.vmap(gr.PRNGKey)(SEEDS64)
    _same(got, jax_x64.vmap(jax_x64.random.PRNGKey)(SEEDS64))
    _same(got, np.stack([gr.PRNGKey(int(s)) for s in SEEDS64]))


def test_wrap_key_data_and_key_data_under_vmap() -> None:
    data = np.asarray(gr.split(gr.PRNGKey(6), 3))
    got = gpugrad.vmap(lambda d: gr.key_data(gr.split(gr.wrap_key_data(d))))(data)
    _same(got, np.stack([gr.key_data(gr.split(gr.wrap_key_data(d))) for d in data]))


# --- against a loop over the examples (no JAX needed), on each backend ------------------------
@pytest.mark.parametrize("name", CASES)
def test_batch_of_keys_matches_a_loop(name: str, xp: Any, layout: bool) -> None:
    keys = xp.asarray(host(gr.split(gr.PRNGKey(4), 3)))
    got = check_vmap(_cases(gr)[name], [keys], rtol=0)
    check_vmap(_cases(gr)[name], [xp.moveaxis(keys, 0, 1)], in_axes=1, out_axes=-1, rtol=0)
    assert type(got).__module__.split(".")[0] == xp.__name__.split(".")[0]


@pytest.mark.parametrize("name", sorted(_param_cases(gr)))
def test_batched_parameters_match_a_loop(name: str, xp: Any, layout: bool) -> None:
    f, values = _param_cases(gr)[name]
    keys = xp.asarray(host(gr.split(gr.PRNGKey(8), 5)))
    batches = [xp.asarray(v) for v in values]
    check_vmap(f, [keys, *batches], rtol=0)
    check_vmap(f, [keys[0], *batches], in_axes=(None, *(0,) * len(batches)), rtol=0)
    if len(batches) == 2:  # one parameter batched, the other shared
        check_vmap(f, [keys, batches[0], batches[1][0]], in_axes=(0, 0, None), rtol=0)


def test_typed_keys_go_in_and_out_of_vmap() -> None:
    keys = gr.split(gr.key(0), 4)
    out = gpugrad.vmap(lambda k: gr.split(k, 2))(keys)
    assert isinstance(out, gr.Key) and out.shape == (4, 2)
    assert all(bool(out[i, j] == gr.split(keys[i], 2)[j]) for i in range(4) for j in range(2))
    draws = gpugrad.vmap(lambda k: gr.normal(gr.split(k)[1], (2,)))(keys)
    _same(draws, np.stack([gr.normal(gr.split(k)[1], (2,)) for k in keys]))
    same = gpugrad.vmap(lambda k: gr.split(k)[0] == gr.fold_in(k, 0))(keys)
    _same(same, np.asarray([bool(gr.split(k)[0] == gr.fold_in(k, 0)) for k in keys]))


def test_typed_keys_batched_along_a_later_key_axis() -> None:
    keys = gr.split(gr.key(1), (2, 3))  # key shape (2, 3): map its axis 1
    got = gpugrad.vmap(gpugrad.vmap(lambda k: gr.normal(k, (4,))), in_axes=1)(keys)
    _same(got, np.stack([np.stack([gr.normal(keys[i, j], (4,)) for i in range(2)])
                         for j in range(3)]))
    with pytest.raises(ValueError, match="mapped the key words of a typed key"):
        gpugrad.vmap(lambda k: gr.normal(k, (4,)), in_axes=-1)(keys)


def test_the_batch_is_drawn_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, ...]] = []
    inner = _sampling.KERNELS["normal"]

    def counted(keys: Any, **static: Any) -> Any:
        calls.append(tuple(keys.shape))
        return inner(keys, **static)

    monkeypatch.setitem(_sampling.KERNELS, "normal", counted)
    gpugrad.vmap(gpugrad.vmap(lambda k: gr.normal(k, (3,))))(
        np.asarray(gr.split(gr.PRNGKey(1), (6, 7))))
    assert calls == [(6, 7, 2)]  # one call, all 42 keys: no loop over the batch


# --- derivatives and errors ----------------------------------------------------------------
def test_grads_through_batched_uniform_bounds() -> None:
    keys = np.asarray(gr.split(gr.PRNGKey(0), 3))
    lo = np.float32([0.5, -1.0, 0.0])
    f = np.stack([gr.uniform(k, (4,)) for k in keys])

    def total(lo: Any) -> Any:
        draws = gpugrad.vmap(lambda k, a: gr.uniform(k, (4,), minval=a, maxval=2.0))(keys, lo)
        return gnp.sum(draws)

    np.testing.assert_allclose(gpugrad.grad(total)(lo), (1 - f).sum(axis=1), rtol=1e-6)
    per_example = gpugrad.vmap(gpugrad.grad(
        lambda k, a: gnp.sum(gr.uniform(k, (4,), minval=a, maxval=2.0)), argnums=1))(keys, lo)
    np.testing.assert_allclose(per_example, (1 - f).sum(axis=1), rtol=1e-6)


def test_grads_through_batched_truncated_normal_bounds() -> None:
    keys = np.asarray(gr.split(gr.PRNGKey(0), 3))
    hi = np.float32([1.0, 2.0, 0.5])

    def total(hi: Any) -> Any:
        draws = gpugrad.vmap(lambda k, h: gr.truncated_normal(k, -1.0, h, (5,)))(keys, hi)
        return gnp.sum(draws)

    def one(k: Any, h: Any) -> Any:
        return gnp.sum(gr.truncated_normal(k, -1.0, h, (5,)))

    want = [gpugrad.grad(one, argnums=1)(k, h) for k, h in zip(keys, hi)]
    np.testing.assert_allclose(gpugrad.grad(total)(hi), want, rtol=1e-6)
    np.testing.assert_allclose(gpugrad.vmap(gpugrad.grad(one, argnums=1))(keys, hi), want,
                               rtol=1e-6)
    assert float(np.min(want)) > 0.1  # the derivative is there to compare


def test_shape_setting_arguments_must_be_unbatched() -> None:
    keys = np.asarray(gr.split(gr.PRNGKey(0), 3))
    with pytest.raises(TypeError, match="must be unbatched"):
        gpugrad.vmap(gr.permutation)(keys, np.arange(3))
    with pytest.raises(TypeError, match="must be unbatched"):
        gpugrad.vmap(lambda k, n: gr.choice(k, n, (2,)))(keys, np.arange(3) + 4)
    with pytest.raises(ValueError, match="single key"):  # a batch without vmap, as in JAX
        gr.normal(keys, (2,))
