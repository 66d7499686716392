"""A sweep of ``gpugrad.numpy`` calls against ``jax.numpy`` (JAX 0.10.2, 64-bit mode).

Each call has every float argument traced; its value, its VJP (a random cotangent) and its
JVP (random tangents) must match JAX's. Inputs stay away from kinks and ties (abs at 0,
equal maxima), which another table covers. Complex results are compared through real views
(real, imag, abs), so cotangent conventions for complex outputs do not enter.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.scipy.special as gsp
from gpugrad.config import config


def r(*shape: int) -> Callable[[np.random.Generator], Any]:
    """Standard normal values (scaled), for smooth functions defined everywhere."""
    return lambda rng: 0.8 * rng.standard_normal(shape)


def u(*shape: int) -> Callable[[np.random.Generator], Any]:
    """Values in (0.2, 0.9): inside the domain of log, sqrt, arcsin, logit, ..."""
    return lambda rng: rng.uniform(0.2, 0.9, shape)


def g(*shape: int) -> Callable[[np.random.Generator], Any]:
    """Values in (1.2, 2.5): arccosh, and bases of powers."""
    return lambda rng: rng.uniform(1.2, 2.5, shape)


def spd(n: int) -> Callable[[np.random.Generator], Any]:
    """A symmetric positive definite matrix with well separated eigenvalues."""
    def make(rng: np.random.Generator) -> Any:
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        return (q * np.arange(1.0, n + 1.0)) @ q.T
    return make


def sq(n: int) -> Callable[[np.random.Generator], Any]:
    """A well conditioned square matrix."""
    return lambda rng: rng.standard_normal((n, n)) + 3.0 * np.eye(n)


def s(value: float) -> Callable[[np.random.Generator], Any]:
    """A traced scalar with a fixed value."""
    return lambda rng: np.float64(value)


class Call(NamedTuple):
    name: str
    fun: Callable[..., Any]  # (L, *traced floats) -> array(s); L holds np, special, at
    args: tuple[Callable[[np.random.Generator], Any], ...]


def c(name: str, fun: Callable[..., Any], *args: Callable[[np.random.Generator], Any]) -> Call:
    return Call(name, fun, args)


_UNARY_R = ["exp", "expm1", "sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh",
            "negative", "square", "cbrt", "exp2", "deg2rad", "rad2deg", "sinc", "positive"]
_UNARY_U = ["log", "log2", "log10", "log1p", "sqrt", "arcsin", "arccos", "arctanh",
            "reciprocal", "abs", "fabs"]
_BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "power", "maximum",
           "minimum", "fmax", "fmin", "arctan2", "hypot", "logaddexp", "logaddexp2",
           "float_power", "remainder", "mod"]

CALLS: list[Call] = (
    [c(n, lambda L, x, n=n: getattr(L.np, n)(x), r(3, 4)) for n in _UNARY_R]
    + [c(n, lambda L, x, n=n: getattr(L.np, n)(x), u(3, 4)) for n in _UNARY_U]
    + [c("arccosh", lambda L, x: L.np.arccosh(x), g(5))]
    + [c(n, lambda L, x, y, n=n: getattr(L.np, n)(x, y), u(3, 4), g(4)) for n in _BINARY]
    + [
        # operators and elementwise helpers
        c("operators", lambda L, x, y: (x * y - x / y + x ** 2 - 1.5 ** y) @ y.T, r(2, 3),
          g(2, 3)),
        c("where", lambda L, x, y: L.np.where(x > 0, x, y), r(3, 4), r(3, 4)),
        c("clip", lambda L, x, lo, hi: L.np.clip(x, lo, hi), r(8), s(-0.35), s(0.45)),
        c("heaviside", lambda L, x, h: L.np.heaviside(x - 0.5, h) * x, u(5), s(0.3)),
        c("nan_to_num", lambda L, x, v: L.np.nan_to_num(x / (x - x), nan=v) + x, u(4),
          s(0.7)),
        c("polyval", lambda L, p, x: L.np.polyval(p, x), r(4), r(5)),
        c("real_imag_conj", lambda L, x: L.np.real(x) + L.np.imag(x) + L.np.conj(x), r(4)),
        # scipy.special
        c("erf", lambda L, x: L.sp.erf(x), r(6)),
        c("erfc", lambda L, x: L.sp.erfc(x), r(6)),
        c("erfinv", lambda L, x: L.sp.erfinv(x), u(6)),
        c("expit", lambda L, x: L.sp.expit(x), r(6)),
        c("logit", lambda L, x: L.sp.logit(x), u(6)),
        c("gammaln", lambda L, x: L.sp.gammaln(x), g(6)),
        c("digamma", lambda L, x: L.sp.digamma(x), g(6)),
        c("polygamma", lambda L, x: L.sp.polygamma(1, x), g(6)),
        c("xlogy", lambda L, x, y: L.sp.xlogy(x, y), r(6), g(6)),
        c("xlog1py", lambda L, x, y: L.sp.xlog1py(x, y), r(6), u(6)),
        c("logsumexp", lambda L, x, b: L.sp.logsumexp(x, axis=1, b=b), r(3, 4), u(3, 4)),
        c("softmax", lambda L, x: L.sp.softmax(x, axis=-1), r(3, 4)),
        c("log_softmax", lambda L, x: L.sp.log_softmax(x, axis=0), r(3, 4)),
        # reductions and statistics
        c("sum", lambda L, x: L.np.sum(x, axis=0), r(3, 4)),
        c("sum_keepdims", lambda L, x: L.np.sum(x, axis=(0, 2), keepdims=True), r(2, 3, 4)),
        c("mean", lambda L, x: L.np.mean(x, axis=1), r(3, 4)),
        c("prod", lambda L, x: L.np.prod(x, axis=1), u(3, 4)),
        c("max", lambda L, x: L.np.max(x, axis=1), r(3, 4)),
        c("min", lambda L, x: L.np.min(x), r(3, 4)),
        c("amax", lambda L, x: L.np.amax(x, axis=0), r(3, 4)),
        c("var", lambda L, x: L.np.var(x, axis=0, ddof=1), r(4, 3)),
        c("std", lambda L, x: L.np.std(x), r(4, 3)),
        c("ptp", lambda L, x: L.np.ptp(x, axis=1), r(3, 5)),
        c("cumsum", lambda L, x: L.np.cumsum(x, axis=1), r(3, 4)),
        c("cumprod", lambda L, x: L.np.cumprod(x), u(6)),
        c("average", lambda L, x, w: L.np.average(x, axis=1, weights=w), r(3, 4), u(4)),
        c("median", lambda L, x: L.np.median(x, axis=0), r(5, 3)),
        c("quantile", lambda L, x, q: L.np.quantile(x, q, axis=1), r(3, 6), s(0.37)),
        c("percentile", lambda L, x, q: L.np.percentile(x, q), r(7), s(62.0)),
        c("nanquantile", lambda L, x, q: L.np.nanquantile(x, q), r(7), s(0.21)),
        c("nansum", lambda L, x: L.np.nansum(x, axis=0), r(3, 4)),
        c("nanmean", lambda L, x: L.np.nanmean(x, axis=1), r(3, 4)),
        c("nanvar", lambda L, x: L.np.nanvar(x), r(3, 4)),
        c("nanstd", lambda L, x: L.np.nanstd(x, axis=0), r(3, 4)),
        c("nanmax", lambda L, x: L.np.nanmax(x, axis=0), r(3, 4)),
        c("nanmin", lambda L, x: L.np.nanmin(x, axis=1), r(3, 4)),
        c("nanprod", lambda L, x: L.np.nanprod(x), u(5)),
        c("nancumsum", lambda L, x: L.np.nancumsum(x), r(5)),
        c("nancumprod", lambda L, x: L.np.nancumprod(x), u(5)),
        c("nanmedian", lambda L, x: L.np.nanmedian(x, axis=1), r(3, 5)),
        c("cov", lambda L, x, w: L.np.cov(x, aweights=w), r(3, 5), u(5)),
        c("corrcoef", lambda L, x: L.np.corrcoef(x), r(3, 5)),
        c("trace", lambda L, x: L.np.trace(x, offset=1), r(4, 4)),
        # shape manipulation
        c("reshape", lambda L, x: L.np.reshape(x, (4, 3)), r(3, 4)),
        c("transpose", lambda L, x: L.np.transpose(x, (2, 0, 1)), r(2, 3, 4)),
        c("moveaxis", lambda L, x: L.np.moveaxis(x, 0, -1), r(2, 3, 4)),
        c("swapaxes", lambda L, x: L.np.swapaxes(x, 0, 2), r(2, 3, 4)),
        c("squeeze", lambda L, x: L.np.squeeze(x, 1), r(3, 1, 4)),
        c("expand_dims", lambda L, x: L.np.expand_dims(x, 1), r(3, 4)),
        c("ravel", lambda L, x: L.np.ravel(x), r(3, 4)),
        c("flip", lambda L, x: L.np.flip(x, 1), r(3, 4)),
        c("fliplr", lambda L, x: L.np.fliplr(x), r(3, 4)),
        c("flipud", lambda L, x: L.np.flipud(x), r(3, 4)),
        c("rot90", lambda L, x: L.np.rot90(x, 3), r(3, 4)),
        c("roll", lambda L, x: L.np.roll(x, 2, axis=1), r(3, 4)),
        c("tile", lambda L, x: L.np.tile(x, (2, 1)), r(3, 4)),
        c("repeat", lambda L, x: L.np.repeat(x, 2, axis=0), r(3, 4)),
        c("concatenate", lambda L, x, y: L.np.concatenate([x, y], axis=1), r(3, 2), r(3, 4)),
        c("stack", lambda L, x, y: L.np.stack([x, y], axis=1), r(3, 4), r(3, 4)),
        c("hstack", lambda L, x, y: L.np.hstack([x, y]), r(3), r(4)),
        c("vstack", lambda L, x, y: L.np.vstack([x, y]), r(4), r(2, 4)),
        c("dstack", lambda L, x, y: L.np.dstack([x, y]), r(3, 4), r(3, 4)),
        c("column_stack", lambda L, x, y: L.np.column_stack([x, y]), r(3), r(3, 2)),
        c("split", lambda L, x: tuple(L.np.split(x, 2, axis=1)), r(3, 4)),
        c("array_split", lambda L, x: tuple(L.np.array_split(x, 3)), r(7)),
        c("broadcast_to", lambda L, x: L.np.broadcast_to(x, (2, 3, 4)), r(3, 1)),
        c("atleast_2d", lambda L, x: L.np.atleast_2d(x), r(4)),
        c("diag", lambda L, x: L.np.diag(x, 1), r(3)),
        c("diag_of_matrix", lambda L, x: L.np.diag(x), r(3, 3)),
        c("diagflat", lambda L, x: L.np.diagflat(x), r(2, 2)),
        c("diagonal", lambda L, x: L.np.diagonal(x, 0, 1, 2), r(2, 3, 3)),
        c("tril", lambda L, x: L.np.tril(x, -1), r(4, 4)),
        c("triu", lambda L, x: L.np.triu(x), r(4, 4)),
        c("pad_constant", lambda L, x, v: L.np.pad(x, ((1, 2), (0, 1)), constant_values=v),
          r(2, 3), s(0.0)),
        c("pad_edge", lambda L, x: L.np.pad(x, 2, mode="edge"), r(4)),
        c("pad_reflect", lambda L, x: L.np.pad(x, (1, 2), mode="reflect"), r(4)),
        c("pad_mean", lambda L, x: L.np.pad(x, 1, mode="mean"), r(3, 3)),
        c("meshgrid", lambda L, x, y: tuple(L.np.meshgrid(x, y)), r(3), r(2)),
        # products
        c("dot", lambda L, x, y: L.np.dot(x, y), r(3, 4), r(4, 2)),
        c("vdot", lambda L, x, y: L.np.vdot(x, y), r(6), r(6)),
        c("matmul", lambda L, x, y: L.np.matmul(x, y), r(2, 3, 4), r(4, 2)),
        c("inner", lambda L, x, y: L.np.inner(x, y), r(2, 4), r(3, 4)),
        c("outer", lambda L, x, y: L.np.outer(x, y), r(3), r(4)),
        c("kron", lambda L, x, y: L.np.kron(x, y), r(2, 2), r(2, 3)),
        c("tensordot", lambda L, x, y: L.np.tensordot(x, y, axes=([1, 2], [0, 1])),
          r(2, 3, 4), r(3, 4, 2)),
        c("einsum_matmul", lambda L, x, y: L.np.einsum("ij,jk->ik", x, y), r(2, 3), r(3, 4)),
        c("einsum_trace", lambda L, x: L.np.einsum("ii->", x), r(3, 3)),
        c("einsum_batch", lambda L, x, y: L.np.einsum("bij,bj->bi", x, y), r(2, 3, 4),
          r(2, 4)),
        c("cross", lambda L, x, y: L.np.cross(x, y), r(4, 3), r(4, 3)),
        c("convolve", lambda L, x, y: L.np.convolve(x, y), r(5), r(3)),
        c("correlate", lambda L, x, y: L.np.correlate(x, y, mode="same"), r(5), r(3)),
        # indexing and sorting
        c("slice", lambda L, x: x[1:, ::2], r(3, 4)),
        c("int_array_index", lambda L, x: x[np.array([2, 0, 2])], r(4, 3)),
        c("bool_mask", lambda L, x: x[np.array([True, False, True, True])], r(4)),
        c("take", lambda L, x: L.np.take(x, np.array([3, 0, 1]), axis=1), r(2, 4)),
        c("take_along_axis",
          lambda L, x: L.np.take_along_axis(x, np.array([[0, 2], [1, 1]]), axis=1), r(2, 3)),
        c("choose", lambda L, x, y: L.np.choose(np.array([0, 1, 1, 0]), [x, y]), r(4), r(4)),
        c("at_set", lambda L, x, v: L.at(x)[1].set(v), r(4), s(0.3)),
        c("at_add", lambda L, x, y: L.at(x)[np.array([0, 2, 0])].add(y), r(4), r(3)),
        c("at_multiply", lambda L, x, y: L.at(x)[1:3].multiply(y), r(4), r(2)),
        c("sort", lambda L, x: L.np.sort(x, axis=1), r(3, 5)),
        c("diff", lambda L, x, v: L.np.diff(x, n=2, prepend=v), r(6), s(0.2)),
        c("ediff1d", lambda L, x, v: L.np.ediff1d(x, to_begin=v), r(5), s(0.2)),
        c("gradient", lambda L, x, h: L.np.gradient(x, h), r(6), s(0.4)),
        c("interp", lambda L, x, xp, fp: L.np.interp(x, L.np.cumsum(xp), fp),
          u(5), g(4), r(4)),
        # linear algebra
        c("det", lambda L, a: L.np.linalg.det(a), sq(3)),
        c("slogdet", lambda L, a: tuple(L.np.linalg.slogdet(a)), sq(3)),
        c("inv", lambda L, a: L.np.linalg.inv(a), sq(3)),
        c("solve", lambda L, a, b: L.np.linalg.solve(a, b), sq(3), r(3, 2)),
        c("cholesky", lambda L, a: L.np.linalg.cholesky(a), spd(4)),
        c("eigvalsh", lambda L, a: L.np.linalg.eigvalsh(a), spd(4)),
        c("eigh_vectors_squared", lambda L, a: L.np.linalg.eigh(a)[1] ** 2, spd(3)),
        c("svd_values", lambda L, a: L.np.linalg.svd(a, compute_uv=False), r(4, 3)),
        c("qr_r_squared", lambda L, a: L.np.linalg.qr(a)[1] ** 2, r(4, 3)),
        c("norm_fro", lambda L, a: L.np.linalg.norm(a), r(3, 4)),
        c("norm_vector_3", lambda L, a: L.np.linalg.norm(a, ord=3, axis=1), r(3, 4)),
        c("norm_nuc", lambda L, a: L.np.linalg.norm(a, ord="nuc"), r(3, 4)),
        c("pinv", lambda L, a: L.np.linalg.pinv(a), r(4, 3)),
        c("lstsq", lambda L, a, b: L.np.linalg.lstsq(a, b)[0], r(5, 3), r(5)),
        c("matrix_power", lambda L, a: L.np.linalg.matrix_power(a, 3), r(3, 3)),
        c("multi_dot", lambda L, a, b, d: L.np.linalg.multi_dot([a, b, d]), r(2, 3), r(3, 4),
          r(4, 2)),
        # fft (compared through real views)
        c("fft", lambda L, x: L.np.abs(L.np.fft.fft(x)) ** 2, r(6)),
        c("ifft_real", lambda L, x: L.np.real(L.np.fft.ifft(x, n=8)), r(6)),
        c("rfft_imag", lambda L, x: L.np.imag(L.np.fft.rfft(x, norm="ortho")), r(7)),
        c("irfft", lambda L, x: L.np.fft.irfft(L.np.fft.rfft(x) * 2.0), r(8)),
        c("fft2_real", lambda L, x: L.np.real(L.np.fft.fft2(x)), r(3, 4)),
        c("rfftn_abs", lambda L, x: L.np.abs(L.np.fft.rfftn(x)), r(3, 4)),
        c("fftshift", lambda L, x: L.np.fft.fftshift(x), r(5)),
        c("ifftshift", lambda L, x: L.np.fft.ifftshift(x, axes=0), r(4, 3)),
        # creation with traced float arguments
        c("linspace", lambda L, a, b: L.np.linspace(a, b, 7), s(-0.4), s(1.3)),
        c("linspace_arrays", lambda L, a, b: L.np.linspace(a, b, 4, endpoint=False), r(3),
          r(3)),
        c("linspace_retstep_axis",
          lambda L, a, b: L.np.linspace(a, b, 4, retstep=True, axis=1), r(2), r(2)),
        c("logspace", lambda L, a, b, base: L.np.logspace(a, b, 5, base=base), s(0.1), s(0.9),
          s(3.0)),
        c("geomspace", lambda L, a, b: L.np.geomspace(a, b, 5), s(0.5), s(7.0)),
        c("full", lambda L, v: L.np.full((2, 3), v), s(0.6)),
        c("full_like", lambda L, x, v: L.np.full_like(x, v) * x, r(3), s(0.6)),
        c("zeros_ones_like", lambda L, x: L.np.zeros_like(x) + L.np.ones_like(x) * x, r(3)),
        c("fftfreq", lambda L, d: L.np.fft.fftfreq(5, d), s(0.3)),
        c("array_of_tracers", lambda L, a, b: L.np.array([a, b, a * b]), s(0.3), s(1.7)),
    ]
)

# Deliberate differences from JAX, each justified by api.md: none so far.
DIFFERENCES: dict[str, str] = {}


def _gg_at(x: Any) -> Any:
    return gnp.at(x)


GG = SimpleNamespace(np=gnp, sp=gsp, at=_gg_at)


@pytest.fixture(scope="module")
def jax_ns() -> Iterator[SimpleNamespace]:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    import jax.scipy.special as jsp

    old_jax, old_ours = jax.config.jax_enable_x64, config.enable_x64
    jax.config.update("jax_enable_x64", True)
    config.update("enable_x64", True)
    yield SimpleNamespace(jax=jax, L=SimpleNamespace(np=jnp, sp=jsp, at=lambda x: x.at))
    jax.config.update("jax_enable_x64", old_jax)
    config.update("enable_x64", old_ours)


def _leaves(tree: Any) -> list[np.ndarray[Any, Any]]:
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [np.asarray(tree)]


def _on_host(tree: Any, backend: str) -> Any:
    """gpugrad's results as NumPy arrays; on CuPy every leaf must have stayed on the device."""
    if backend == "cupy":
        for leaf in gpugrad.tree_util.tree_leaves(tree):
            assert gpugrad.backend.is_cupy_array(leaf), f"a result is {type(leaf)}, not CuPy's"
        return gpugrad.device_get(tree)
    return tree


def _close(what: str, ours: Any, theirs: Any) -> None:
    a, b = _leaves(ours), _leaves(theirs)
    assert len(a) == len(b), f"{what}: {len(a)} leaves against JAX's {len(b)}"
    for x, y in zip(a, b):
        assert x.shape == y.shape, f"{what}: shape {x.shape} against JAX's {y.shape}"
        # float64 on both backends: the device's libm (or the CuPy stand-in's host libm)
        # differs from NumPy's by an ulp or so, far inside this tolerance.
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-10, err_msg=what)


def test_sweep_size() -> None:
    assert len(CALLS) >= 130
    assert len({call.name for call in CALLS}) == len(CALLS)


@pytest.mark.parametrize("call", CALLS, ids=[call.name for call in CALLS])
def test_matches_jax(call: Call, jax_ns: SimpleNamespace, backend: str) -> None:
    if call.name in DIFFERENCES:
        pytest.fail(f"listed as a difference ({DIFFERENCES[call.name]}) but still swept")
    jax, jl = jax_ns.jax, jax_ns.L
    rng = np.random.default_rng(zlib.crc32(call.name.encode()))
    args = tuple(np.asarray(make(rng), dtype=np.float64) for make in call.args)

    def ours(*a: Any) -> Any:
        out = call.fun(GG, *a)
        return tuple(out) if isinstance(out, (tuple, list)) else out

    def theirs(*a: Any) -> Any:
        out = call.fun(jl, *a)
        return tuple(out) if isinstance(out, (tuple, list)) else out

    # The default backend is `backend` (the fixture): inputs, cotangents and tangents go there.
    value, vjp_fn = gpugrad.vjp(ours, *gpugrad.device_put(args))
    j_value, j_vjp_fn = jax.vjp(theirs, *args)
    _close("value", _on_host(value, backend), j_value)
    for leaf in _leaves(_on_host(value, backend)):
        assert leaf.dtype == np.float64, f"result dtype {leaf.dtype}"
    cotangent = jax.tree_util.tree_map(
        lambda y: rng.standard_normal(np.shape(y)), j_value)
    _close("vjp", _on_host(vjp_fn(gpugrad.device_put(cotangent)), backend),
           j_vjp_fn(cotangent))
    tangents = tuple(rng.standard_normal(a.shape) for a in args)
    _, t_out = gpugrad.jvp(ours, gpugrad.device_put(args), gpugrad.device_put(tangents))
    _, j_t_out = jax.jvp(theirs, args, tangents)
    _close("jvp", _on_host(t_out, backend), j_t_out)
