"""The wider ``gpugrad.numpy`` surface (``sorting``, ``statistics``, ``signals``, ...): values
against NumPy for every function, and check_grads to order 2 in both modes (float64, inputs
inside each domain) for every differentiable one, with axis/keepdims variants.

Each row is ``(id, fn(m, *args), inputs, differentiable)``: ``fn`` is called with
``m = gpugrad.numpy`` and with ``m = numpy`` on the same inputs, so most rows state a call
once for both. Inputs are ``(shape, lo, hi)`` uniform samples or fixed arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.test_util import check_grads

Spec = Any
Row = tuple[str, Callable[..., Any], list[Spec], bool]

V = ((5,), -2.0, 2.0)
M = ((3, 4), -2.0, 2.0)
SQ = ((3, 3), -2.0, 2.0)
T = ((2, 3, 4), -1.0, 1.0)
POS = ((3, 4), 0.5, 2.0)
NANS = np.array([[1.0, np.nan, -0.5, 2.0], [0.3, 0.7, np.nan, -1.2], [np.nan, 1.5, 0.2, -0.4]])
SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, np.nan, np.inf, -np.inf])
KNOTS = np.array([-1.5, -0.5, 0.2, 1.0, 2.5])
IDX = np.array([3, 0, 5, 11, 0])


def _inputs(xp: Any, specs: list[Spec], seed: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        if isinstance(s, np.ndarray):
            out.append(xp.asarray(s))
        else:
            shape, lo, hi = s
            out.append(xp.asarray(rng.uniform(lo, hi, size=shape)))
    return tuple(out)


def _host(x: Any) -> Any:
    return x.get() if hasattr(x, "__cuda_array_interface__") else x


ROWS: list[Row] = [
    # Indexing and ordering.
    ("take", lambda m, x: m.take(x, IDX), [M], True),
    ("take-axis", lambda m, x: m.take(x, [2, -1, 0], axis=1), [M], True),
    ("take-wrap", lambda m, x: m.take(x, [7, -9], axis=0, mode="wrap"), [M], True),
    ("take_along_axis", lambda m, x: m.take_along_axis(x, np.array([[0], [2], [1]]), 1),
     [M], True),
    ("choose", lambda m, a, b, c: m.choose(np.array([[0, 1, 2, 1]] * 3), [a, b, c]),
     [M, M, ((4,), -1, 1)], True),
    ("sort", lambda m, x: m.sort(x), [M], True),
    ("sort-axis0", lambda m, x: m.sort(x, axis=0), [M], True),
    ("sort-none", lambda m, x: m.sort(x, axis=None), [T], True),
    ("partition", lambda m, x: m.sort(m.partition(x, 2, axis=1), axis=1), [M], True),
    ("partition-kth", lambda m, x: m.partition(x, 1, axis=0)[1], [M], True),
    ("argsort", lambda m, x: m.argsort(x, axis=0), [M], False),
    ("argpartition", lambda m, x: m.take_along_axis(x, m.argpartition(x, 1), -1)[:, 1],
     [M], False),
    ("nonzero", lambda m, x: m.nonzero(x > 0), [M], False),
    ("where-condition-only", lambda m, x: m.where(x > 0), [M], False),
    ("argwhere", lambda m, x: m.argwhere(x > 0), [M], False),
    ("flatnonzero", lambda m, x: m.flatnonzero(x > 0), [M], False),
    ("searchsorted", lambda m, v: m.searchsorted(KNOTS, v, side="right"), [M], False),
    ("count_nonzero", lambda m, x: m.count_nonzero(x > 0, axis=1, keepdims=True), [M], False),
    ("isclose", lambda m, x: m.isclose(x, x + 1e-9 * (x > 0)), [M], False),
    ("allclose", lambda m, x: gpugrad.device_get(m.allclose(x, x * (1 + 1e-7))), [M], False),
    ("signbit", lambda m, x: m.signbit(x), [SPECIAL], False),
    # Shape and arrangement.
    ("fliplr", lambda m, x: m.fliplr(x), [M], True),
    ("flipud", lambda m, x: m.flipud(x), [M], True),
    ("roll", lambda m, x: m.roll(x, 2), [M], True),
    ("roll-axes", lambda m, x: m.roll(x, (1, -3), axis=(0, 2)), [T], True),
    ("rollaxis", lambda m, x: m.rollaxis(x, 2, 1), [T], True),
    ("rot90", lambda m, x: m.rot90(x), [M], True),
    ("rot90-k3", lambda m, x: m.rot90(x, 3, axes=(2, 0)), [T], True),
    ("tile", lambda m, x: m.tile(x, (2, 1, 2)), [M], True),
    ("repeat", lambda m, x: m.repeat(x, 2, axis=1), [M], True),
    ("repeat-counts", lambda m, x: m.repeat(x, [2, 0, 1], axis=0), [M], True),
    ("repeat-flat", lambda m, x: m.repeat(x, 3), [M], True),
    ("pad-constant", lambda m, x: m.pad(x, ((1, 2), (0, 1)), constant_values=1.5), [M], True),
    ("pad-edge", lambda m, x: m.pad(x, 2, mode="edge"), [M], True),
    ("pad-reflect", lambda m, x: m.pad(x, ((2, 1), (3, 3)), mode="reflect"), [M], True),
    ("pad-symmetric", lambda m, x: m.pad(x, (1, 2), mode="symmetric"), [M], True),
    ("pad-wrap", lambda m, x: m.pad(x, (3, 1), mode="wrap"), [M], True),
    ("pad-mean", lambda m, x: m.pad(x, 1, mode="mean"), [M], True),
    ("pad-maximum", lambda m, x: m.pad(x, ((1, 0), (0, 2)), mode="maximum"), [M], True),
    ("pad-median", lambda m, x: m.pad(x, ((0, 1), (1, 0)), mode="median"), [((3, 5), -2, 2)],
     True),
    ("atleast", lambda m, a, b: m.atleast_3d(a, b), [((), -1, 1), M], True),
    ("atleast_2d", lambda m, a: m.atleast_2d(a), [V], True),
    ("atleast_1d", lambda m, a: m.atleast_1d(a), [((), -1, 1)], True),
    ("meshgrid", lambda m, a, b: m.meshgrid(a, b), [V, ((3,), -1, 1)], True),
    ("meshgrid-ij", lambda m, a, b, c: m.meshgrid(a, b, c, indexing="ij", sparse=True),
     [V, ((3,), -1, 1), ((2,), -1, 1)], True),
    ("hstack", lambda m, a, b: m.hstack([a, b]), [M, ((3, 2), -1, 1)], True),
    ("vstack", lambda m, a, b: m.vstack([a, b]), [((4,), -1, 1), M], True),
    ("dstack", lambda m, a, b: m.dstack([a, b]), [M, M], True),
    ("column_stack", lambda m, a, b: m.column_stack([a, b]), [((3,), -1, 1), M], True),
    ("array_split", lambda m, x: m.array_split(x, 3, axis=1), [M], True),
    ("array_split-idx", lambda m, x: m.array_split(x, [1, 5]), [V], True),
    ("hsplit", lambda m, x: m.hsplit(x, 2), [M], True),
    ("vsplit", lambda m, x: m.vsplit(x, [1]), [M], True),
    ("dsplit", lambda m, x: m.dsplit(x, 2), [T], True),
    ("copy", lambda m, x: m.copy(x), [M], True),
    # Matrices.
    ("tril", lambda m, x: m.tril(x), [M], True),
    ("triu-k", lambda m, x: m.triu(x, -1), [T], True),
    ("diag-1d", lambda m, v: m.diag(v, 1), [V], True),
    ("diag-1d-neg", lambda m, v: m.diag(v, -2), [V], True),
    ("diag-2d", lambda m, x: m.diag(x, -1), [M], True),
    ("diagonal", lambda m, x: m.diagonal(x, 1, 2, 0), [T], True),
    ("trace", lambda m, x: m.trace(x), [SQ], True),
    ("trace-offset", lambda m, x: m.trace(x, -1, 1, 2), [T], True),
    ("diagflat", lambda m, x: m.diagflat(x, 1), [((2, 2), -1, 1)], True),
    ("kron", lambda m, a, b: m.kron(a, b), [((2, 3), -1, 1), ((2, 2), -1, 1)], True),
    ("kron-mixed", lambda m, a, b: m.kron(a, b), [((3,), -1, 1), ((2, 2), -1, 1)], True),
    ("cross", lambda m, a, b: m.cross(a, b), [((4, 3), -1, 1), ((3,), -1, 1)], True),
    ("cross-axes", lambda m, a, b: m.cross(a, b, axisa=0, axisb=1, axisc=0),
     [((3, 2), -1, 1), ((2, 3), -1, 1)], True),
    ("einsum-trace", lambda m, x: m.einsum("ii->", x), [SQ], True),
    ("einsum-diag", lambda m, x: m.einsum("iji->ij", x), [((3, 2, 3), -1, 1)], True),
    ("einsum-implicit", lambda m, x, y: m.einsum("ijj,k", x, y),
     [((2, 3, 3), -1, 1), ((2,), -1, 1)], True),
    ("tri", lambda m: m.tri(3, 4, 1), [], False),
    ("identity", lambda m: m.identity(3), [], False),
    ("logspace", lambda m: m.logspace(0.0, 2.0, 5, base=3.0), [], False),
    ("geomspace", lambda m: m.geomspace(1.0, 1000.0, 4), [], False),
    ("geomspace-arrays", lambda m, a, b: m.geomspace(a, 10 * b, 5, axis=1, dtype=np.float64),
     [((3,), 0.5, 2.0), ((3,), 0.5, 2.0)], True),
    ("geomspace-negative", lambda m, a, b: m.geomspace(-a, -b, 4, endpoint=False,
                                                       dtype=np.float64),
     [((2,), 0.5, 2.0), ((2,), 3.0, 9.0)], True),
    ("empty_like", lambda m, x: m.empty_like(x).shape, [M], False),
    # Statistics.
    ("nansum", lambda m, x: m.nansum(x, axis=1), [NANS], True),
    ("nanprod", lambda m, x: m.nanprod(x, axis=0, keepdims=True), [NANS], True),
    ("nanmean", lambda m, x: m.nanmean(x), [NANS], True),
    ("nanmean-axis", lambda m, x: m.nanmean(x, axis=0, keepdims=True), [NANS], True),
    ("nanvar", lambda m, x: m.nanvar(x, axis=1), [NANS], True),
    ("nanstd-ddof", lambda m, x: m.nanstd(x, ddof=1), [NANS], True),
    ("nanmax", lambda m, x: m.nanmax(x, axis=1), [NANS], True),
    ("nanmin", lambda m, x: m.nanmin(x, axis=0, keepdims=True), [NANS], True),
    ("nanargmax", lambda m, x: m.nanargmax(x, axis=1), [NANS], False),
    ("nanargmin", lambda m, x: m.nanargmin(x), [NANS], False),
    ("nancumsum", lambda m, x: m.nancumsum(x, axis=1), [NANS], True),
    ("nancumprod", lambda m, x: m.nancumprod(x), [NANS], True),
    ("nanmedian", lambda m, x: m.nanmedian(x, axis=1), [NANS], True),
    ("nanquantile", lambda m, x: m.nanquantile(x, [0.2, 0.9], axis=0), [NANS], True),
    ("nanpercentile", lambda m, x: m.nanpercentile(x, 40.0), [NANS], True),
    ("ptp", lambda m, x: m.ptp(x, axis=1), [M], True),
    ("average", lambda m, x: m.average(x, axis=0), [M], True),
    ("average-weights", lambda m, x, w: m.average(x, axis=1, weights=w), [M, ((4,), 0.5, 2)],
     True),
    ("average-returned", lambda m, x, w: m.average(x, weights=w, returned=True), [M, POS],
     True),
    ("average-axes", lambda m, x, w: m.average(x, axis=(2, 0), weights=w),
     [T, ((4, 2), 0.5, 2)], True),
    ("cov", lambda m, x: m.cov(x), [M], True),
    ("cov-y", lambda m, x, y: m.cov(x, y, rowvar=False, bias=True), [M, ((3, 2), -1, 1)], True),
    ("cov-weights", lambda m, x: m.cov(x, fweights=[1, 2, 1, 3], aweights=[0.5, 1, 2, 1]),
     [M], True),
    ("cov-1d", lambda m, x: m.cov(x, ddof=0), [V], True),
    ("corrcoef", lambda m, x: m.corrcoef(x), [M], True),
    ("median", lambda m, x: m.median(x), [((5,), -2, 2)], True),
    ("median-axis", lambda m, x: m.median(x, axis=1, keepdims=True), [((3, 5), -2, 2)], True),
    ("median-even", lambda m, x: m.median(x, axis=0), [M], True),
    ("quantile", lambda m, x: m.quantile(x, [0.1, 0.5, 0.8], axis=1), [M], True),
    ("quantile-axes", lambda m, x: m.quantile(x, 0.3, axis=(0, 2), keepdims=True), [T], True),
    ("quantile-lower", lambda m, x: m.quantile(x, 0.3, method="lower"), [M], True),
    ("quantile-higher", lambda m, x: m.quantile(x, 0.3, method="higher"), [M], True),
    ("quantile-nearest", lambda m, x: m.quantile(x, [0.3, 0.5], method="nearest"), [V], True),
    ("quantile-midpoint", lambda m, x: m.quantile(x, 0.4, axis=0, method="midpoint"), [M],
     True),
    ("percentile", lambda m, x: m.percentile(x, [25, 75], axis=0), [M], True),
    ("diff", lambda m, x: m.diff(x), [M], True),
    ("diff-n2", lambda m, x: m.diff(x, n=2, axis=0, prepend=0.5, append=x[:1]), [M], True),
    ("ediff1d", lambda m, x: m.ediff1d(x, to_end=[1.0, 2.0], to_begin=-1.0), [M], True),
    ("gradient", lambda m, x: m.gradient(x), [M], True),
    ("gradient-spacing", lambda m, x: m.gradient(x, 0.5, 2.0, axis=(1, 0), edge_order=2),
     [((3, 4), -2, 2)], True),
    ("gradient-1d", lambda m, x: m.gradient(x, 0.1, edge_order=2), [V], True),
    # Signals and polynomials.
    ("convolve-full", lambda m, a, v: m.convolve(a, v), [((6,), -1, 1), ((3,), -1, 1)], True),
    ("convolve-same", lambda m, a, v: m.convolve(a, v, "same"), [((6,), -1, 1), ((4,), -1, 1)],
     True),
    ("convolve-valid", lambda m, a, v: m.convolve(a, v, "valid"),
     [((3,), -1, 1), ((5,), -1, 1)], True),
    ("convolve-same-short", lambda m, a, v: m.convolve(a, v, "same"),
     [((2,), -1, 1), ((5,), -1, 1)], True),
    ("correlate-valid", lambda m, a, v: m.correlate(a, v), [((6,), -1, 1), ((3,), -1, 1)], True),
    ("correlate-full", lambda m, a, v: m.correlate(a, v, "full"),
     [((3,), -1, 1), ((5,), -1, 1)], True),
    ("correlate-same", lambda m, a, v: m.correlate(a, v, "same"),
     [((4,), -1, 1), ((7,), -1, 1)], True),
    ("interp", lambda m, x, f: m.interp(x, KNOTS, f), [((3, 4), -2.4, 3.0), ((5,), -1, 1)],
     True),
    ("interp-knots", lambda m, x, k: m.interp(x, m.sort(k), k * k, left=-1.0, right=2.0),
     [((7,), -1.2, 1.2), ((5,), -1, 1)], True),
    ("interp-period", lambda m, x, f: m.interp(x, KNOTS, f, period=4.0),
     [((6,), -5, 5), ((5,), -1, 1)], True),
    ("polyval", lambda m, p, x: m.polyval(p, x), [((4,), -1, 1), M], True),
    # Elementwise.
    ("hypot", lambda m, a, b: m.hypot(a, b), [M, ((4,), -2, 2)], True),
    ("deg2rad", lambda m, x: m.deg2rad(x), [M], True),
    ("rad2deg", lambda m, x: m.rad2deg(x), [M], True),
    ("radians", lambda m, x: m.radians(x), [M], True),
    ("degrees", lambda m, x: m.degrees(x), [M], True),
    ("sinc", lambda m, x: m.sinc(x), [M], True),
    ("sinc-at-zero", lambda m, x: m.sinc(x), [np.array([0.0, 1e-4, -2e-3, 0.5])], True),
    ("heaviside", lambda m, x, h: m.heaviside(x * (x > 0), h), [M, M], True),
    ("fmax", lambda m, a, b: m.fmax(a, b), [NANS, M], True),
    ("fmin", lambda m, a, b: m.fmin(a, b), [M, NANS], True),
    ("isnan", lambda m, x: m.isnan(x), [SPECIAL], False),
    ("isinf", lambda m, x: m.isinf(x), [SPECIAL], False),
    ("isfinite", lambda m, x: m.isfinite(x), [SPECIAL], False),
    ("nan_to_num", lambda m, x: m.nan_to_num(x), [SPECIAL], True),
    ("nan_to_num-values", lambda m, x: m.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0),
     [SPECIAL], True),
    ("float_power", lambda m, a, b: m.float_power(a, b), [POS, M], True),
    ("divmod", lambda m, a: m.divmod(a, 0.7), [M], True),
    ("fabs", lambda m, x: m.fabs(x), [POS], True),
    ("positive", lambda m, x: m.positive(x), [M], True),
    ("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), [M, M], True),
    ("angle", lambda m, x: m.angle(x, deg=True), [M], True),
    ("real_if_close", lambda m, x: m.real_if_close(x), [M], True),
    ("size", lambda m, x: np.asarray([m.size(x), m.size(x, 1), m.ndim(x), *m.shape(x)]),
     [M], False),
]

GRAD_ROWS = [r for r in ROWS if r[3]]


def _seed(name: str) -> int:
    return sum(map(ord, name)) % 1000


@pytest.mark.parametrize("name,fn,specs,differentiable", ROWS, ids=[r[0] for r in ROWS])
def test_value_matches_numpy(xp: Any, name: str, fn: Callable[..., Any], specs: list[Spec],
                             differentiable: bool) -> None:
    args = _inputs(xp, specs, _seed(name))
    got = fn(gnp, *args)
    with np.errstate(all="ignore"):
        expected = fn(np, *[_host(a) for a in args])
    got_leaves = tree_util.tree_leaves(got)
    expected_leaves = tree_util.tree_leaves(
        tuple(expected) if isinstance(expected, (tuple, list)) else expected)
    assert len(got_leaves) == len(expected_leaves)
    for g, e in zip(got_leaves, expected_leaves):
        g = np.asarray(_host(g))
        assert g.shape == np.shape(e), (g.shape, np.shape(e))
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name,fn,specs,differentiable", GRAD_ROWS,
                         ids=[r[0] for r in GRAD_ROWS])
def test_check_grads_order2(xp: Any, name: str, fn: Callable[..., Any], specs: list[Spec],
                            differentiable: bool) -> None:
    args = _inputs(xp, specs, _seed(name))
    check_grads(lambda *a: fn(gnp, *a), args, order=2, modes=("fwd", "rev"))


def test_integer_results_have_no_gradient() -> None:
    """Values that flow only through argsort/searchsorted/nonzero give zero gradient."""
    x = np.array([0.3, -1.0, 2.0, 0.5])

    def f(x: Any) -> Any:
        ranks = gnp.argsort(x).astype(x.dtype) + gnp.searchsorted(gnp.sort(x), x)
        return gnp.sum(ranks * 2.0) + gnp.count_nonzero(x > 0) * 1.0

    np.testing.assert_array_equal(gpugrad.grad(f)(x), np.zeros(4))
    _, tangent = gpugrad.jvp(f, (x,), (np.ones(4),))
    assert float(tangent) == 0.0
    # ...while the sorted values themselves carry the derivative (a permutation).
    np.testing.assert_array_equal(gpugrad.jacrev(gnp.sort)(x), np.eye(4)[np.argsort(x)])


def test_sort_hessian_matches_permuted_square() -> None:
    x = np.array([0.3, -1.0, 2.0])
    h = gpugrad.hessian(lambda x: gnp.sum(gnp.sort(x) ** 3 * np.array([1.0, 2.0, 3.0])))(x)
    weights = np.empty(3)
    weights[np.argsort(x)] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(h, np.diag(6 * x * weights))


def test_sinc_derivatives_at_zero() -> None:
    d1 = gpugrad.grad(gnp.sinc)(np.float64(0.0))
    d2 = gpugrad.grad(gpugrad.grad(gnp.sinc))(np.float64(0.0))
    assert float(d1) == 0.0
    np.testing.assert_allclose(d2, -np.pi**2 / 3)


def test_hypot_derivative_at_origin_is_one_half() -> None:
    # JAX 0.10.2: hypot is max(|a|, |b|) * ..., so at the origin abs'(0) = 1 and the tie
    # in max splits it (tests/numpy/test_nonsmooth.py has the second order and the other modes).
    g = gpugrad.grad(lambda a: gnp.hypot(a, 0.0))(np.float64(0.0))
    assert float(g) == 0.5


def test_fmod_by_an_infinite_divisor_is_the_dividend() -> None:
    """C's fmod (and NumPy's): a finite dividend over an infinite divisor is itself, where
    remainder, of the divisor's sign, is that divisor (1.5 % -inf is -inf)."""
    a = np.array([1.5, -1.5, 1.5, -1.5, 7.5, -7.5], np.float32)
    b = np.array([-np.inf, np.inf, np.inf, -np.inf, 2.0, 2.0], np.float32)
    got = gnp.fmod(a, b)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.fmod(a, b))


def test_sinc_derivative_is_finite_far_from_zero() -> None:
    """Far out, sinc'(x) = cos(pi x) / x - sin(pi x) / (pi x**2) is below 1 / |x| in size;
    the Taylor branch near 0 must not leak its overflowed terms there as a NaN."""
    x = np.array([1e20, -3e25, 1e30], np.float32)
    reverse = gpugrad.vmap(gpugrad.grad(gnp.sinc))(x)
    forward = gpugrad.jvp(gnp.sinc, (x,), (np.ones_like(x),))[1]
    for d in (reverse, forward):
        assert np.all(np.abs(d.astype(np.float64)) <= 1.0 / np.abs(x.astype(np.float64)))


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signals_of_integers_and_bools_are_sums_in_float(name: str) -> None:
    """As JAX: integer and bool sequences are convolved as floats, so two overlapping
    True taps sum to 2 (NumPy's bool convolution would say True)."""
    f = getattr(gnp, name)
    t = np.array([True, True])
    got = f(t, t, "full")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [1.0, 2.0, 1.0])
    i = np.array([1, 2, 3], np.int32)
    got = f(i, np.array([1, 1], np.int32), "valid")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [3.0, 5.0])


def test_creation_functions() -> None:
    assert gnp.empty((2, 3)).shape == (2, 3)
    assert gnp.empty_like(np.ones(2, np.int64)).dtype == np.int64
    assert gnp.tri(2).dtype == np.float32
    np.testing.assert_array_equal(gnp.identity(2, dtype=int), np.eye(2))


def test_errors_name_the_problem() -> None:
    with pytest.raises(IndexError, match="out of range"):
        gnp.take(np.ones(3), [3])
    with pytest.raises(ValueError, match="mode"):
        gnp.convolve(np.ones(3), np.ones(2), mode="bogus")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gnp.quantile(np.ones(3), 1.5)
    with pytest.raises(NotImplementedError, match="linear_ramp"):
        gnp.pad(np.ones(3), 1, mode="linear_ramp")
    with pytest.raises(ValueError, match="got only x"):
        gnp.where(np.ones(3) > 0, np.ones(3))


def test_all_nan_slices_give_nan_without_warnings() -> None:
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    for fn in (gnp.nanmean, gnp.nanvar, gnp.nanstd, gnp.nanmax, gnp.nanmin, gnp.nanmedian):
        out = fn(x, axis=1)
        assert np.isnan(out[0]) and out[1] == (0.0 if fn in (gnp.nanvar, gnp.nanstd) else 1.0)
