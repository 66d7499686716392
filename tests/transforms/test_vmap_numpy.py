"""``vmap`` of ``gpugrad.numpy`` and ``gpugrad.scipy.special``: each function of the table,
batched in several layouts (``tools.batching_check.check_layouts``), against the Python loop
over its examples, and the functions whose result shape a batched value would decide.
Derivatives of batched code and ``jax.vmap`` comparisons: ``test_vmap_numpy_grads_jax.py``.

A row is (id, function of the example arrays, the example arrays' kinds); each kind names
how a batch of three examples is drawn (see ``_kinds``). Indexing, sorting, linear algebra,
FFT and random numbers are tested beside their own batching rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.scipy.special as gsp
from gpugrad.core.concrete import ConcretizationError
from tools.batching_check import check_layouts

_B = 3  # examples per batch


def _kinds(rng: np.random.Generator) -> dict[str, Any]:
    """A batch of each kind of example, drawn afresh (host NumPy arrays)."""
    def normal(*shape: int) -> Any:
        return rng.standard_normal((_B, *shape)).astype(np.float32)

    with_nans = normal(5)
    with_nans[:, 1] = np.nan
    with_nans[1, 3] = np.nan
    return {
        "v": normal(5), "w": normal(5), "s": normal(), "m": normal(3, 4), "n": normal(4, 2),
        "sq": normal(3, 3), "v3": normal(3), "k": normal(3), "row": normal(4),
        "prow": rng.uniform(0.5, 3.0, (_B, 4)).astype(np.float32),
        "pos": rng.uniform(0.5, 3.0, (_B, 5)).astype(np.float32),
        "unit": rng.uniform(0.05, 0.95, (_B, 5)).astype(np.float32),
        "int": rng.integers(-4, 5, (_B, 5)),
        "bool": rng.random((_B, 5)) > 0.5,
        "c": (normal(5) + 1j * normal(5)).astype(np.complex64),
        "nan": with_nans,
        "grid": np.sort(rng.uniform(0.0, 4.0, (_B, 5)), axis=1).astype(np.float32),
    }


def _row(name: str, f: Callable[..., Any], *kinds: str) -> Any:
    return pytest.param(name, f, kinds, id=name)


def _ufunc_rows() -> list[Any]:
    unary = ["sin", "exp", "tanh", "abs", "sign", "square", "negative", "floor", "rint",
             "isfinite", "isnan", "isinf", "fabs", "positive", "deg2rad", "rad2deg", "sinc",
             "i0", "around", "nan_to_num", "logical_not", "cbrt", "expm1", "log1p"]
    binary = ["add", "multiply", "maximum", "minimum", "arctan2", "hypot", "fmax", "fmin",
              "fmod", "copysign", "logaddexp", "logaddexp2", "float_power", "heaviside",
              "greater", "equal", "logical_and", "power", "true_divide", "remainder"]
    rows = [_row(n, getattr(gnp, n), "v") for n in unary]
    rows += [_row(n, getattr(gnp, n), "v", "w") for n in binary]
    rows += [
        _row("sqrt", gnp.sqrt, "pos"), _row("log", gnp.log, "pos"),
        _row("round_1", lambda x: gnp.round(x, 1), "v"),
        _row("divmod", gnp.divmod, "v", "pos"),
        _row("frexp", gnp.frexp, "v"),
        _row("ldexp", lambda x, n: gnp.ldexp(x, n), "v", "int"),
        _row("where", gnp.where, "bool", "v", "w"),
        _row("clip", gnp.clip, "v", "s", "pos"),
        _row("power_int", lambda x: gnp.power(x, 3), "v"),
        _row("real", gnp.real, "c"), _row("imag", gnp.imag, "c"),
        _row("conj", gnp.conj, "c"), _row("angle", gnp.angle, "c"),
        _row("abs_complex", gnp.abs, "c"),
        _row("iscomplex", gnp.iscomplex, "c"), _row("isreal", gnp.isreal, "c"),
        _row("real_if_close", gnp.real_if_close, "v"),
        _row("astype", lambda x: gnp.astype(x, "int32"), "v"),
        _row("float64", gnp.float64, "v"), _row("int32", gnp.int32, "v"),
        _row("bitwise_ops", lambda a, b: gnp.logical_xor(a, b), "bool", "bool"),
    ]
    return rows


def _special_rows() -> list[Any]:
    unary = ["erf", "erfc", "expit", "gammaln", "digamma", "gamma", "rgamma", "psi",
             "gammasgn"]
    rows = [_row(n, getattr(gsp, n), "pos") for n in unary]
    return rows + [
        _row("erfinv", gsp.erfinv, "unit"), _row("logit", gsp.logit, "unit"),
        _row("xlogy", gsp.xlogy, "v", "pos"), _row("xlog1py", gsp.xlog1py, "v", "pos"),
        _row("beta", gsp.beta, "pos", "unit"), _row("betaln", gsp.betaln, "pos", "unit"),
        _row("polygamma", lambda x: gsp.polygamma(1, x), "pos"),
        _row("multigammaln", lambda x: gsp.multigammaln(x + 2.0, 2), "pos"),
        _row("logsumexp", gsp.logsumexp, "v"),
        _row("logsumexp_axis_b", lambda x, b: gsp.logsumexp(x, axis=0, b=b), "m", "m"),
        _row("logsumexp_sign", lambda x, b: gsp.logsumexp(x, b=b, return_sign=True), "v", "w"),
        _row("softmax", lambda x: gsp.softmax(x, axis=1), "m"),
        _row("log_softmax", gsp.log_softmax, "v"),
    ]


def _reduction_rows() -> list[Any]:
    rows = []
    for n in ["sum", "mean", "var", "std", "prod", "max", "min", "all", "any", "ptp",
              "nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod",
              "median", "nanmedian", "argmax", "argmin", "nanargmax", "nanargmin"]:
        kind = "nan" if n.startswith("nan") else "v"
        rows.append(_row(n, getattr(gnp, n), kind))
        rows.append(_row(n + "_axis", lambda x, f=getattr(gnp, n): f(x, axis=1), "m"))
    return rows + [
        _row("sum_where", lambda x, w: gnp.sum(x, where=w, initial=1.0), "v", "bool"),
        _row("mean_where", lambda x, w: gnp.mean(x, where=w), "v", "bool"),
        _row("max_where", lambda x, w: gnp.max(x, where=w, initial=-5.0), "v", "bool"),
        _row("var_ddof_keepdims", lambda x: gnp.var(x, axis=0, ddof=1, keepdims=True), "m"),
        _row("cumsum", lambda x: gnp.cumsum(x, axis=1), "m"),
        _row("cumprod", lambda x: gnp.cumprod(x, axis=0), "m"),
        _row("nancumsum", gnp.nancumsum, "nan"), _row("nancumprod", gnp.nancumprod, "nan"),
        _row("average", gnp.average, "v"),
        _row("average_weights", lambda x, w: gnp.average(x, axis=1, weights=w), "m", "m"),
        _row("average_returned", lambda x, w: gnp.average(x, weights=w, returned=True),
             "v", "pos"),
        _row("cov", gnp.cov, "m"), _row("corrcoef", gnp.corrcoef, "m"),
        _row("cov_weights", lambda x, w: gnp.cov(x, aweights=w), "m", "prow"),
        _row("quantile", lambda x: gnp.quantile(x, 0.3), "v"),
        _row("quantile_traced_q", lambda x, q: gnp.quantile(x, q), "v", "unit"),
        _row("percentile_axis", lambda x: gnp.percentile(x, [20.0, 70.0], axis=1), "m"),
        _row("nanquantile", lambda x: gnp.nanquantile(x, 0.4), "nan"),
        _row("nanpercentile", lambda x: gnp.nanpercentile(x, 60.0), "nan"),
        _row("diff", gnp.diff, "v"), _row("diff_2_axis0", lambda x: gnp.diff(x, 2, axis=0), "m"),
        _row("ediff1d", lambda x, s: gnp.ediff1d(x, to_begin=s), "v", "s"),
        _row("gradient", gnp.gradient, "v"),
        _row("gradient_coords", lambda y, x: gnp.gradient(y, x), "v", "grid"),
        _row("gradient_2d", lambda x: gnp.gradient(x), "m"),
        _row("array_equal", gnp.array_equal, "int", "int"),
    ]


def _shape_rows() -> list[Any]:
    return [
        _row("reshape", lambda x: gnp.reshape(x, (4, 3)), "m"),
        _row("ravel", gnp.ravel, "m"), _row("transpose", gnp.transpose, "m"),
        _row("moveaxis", lambda x: gnp.moveaxis(x, 0, 1), "m"),
        _row("swapaxes", lambda x: gnp.swapaxes(x, 0, 1), "m"),
        _row("expand_dims", lambda x: gnp.expand_dims(x, (0, 2)), "m"),
        _row("squeeze", lambda x: gnp.squeeze(gnp.expand_dims(x, 1)), "m"),
        _row("flip", lambda x: gnp.flip(x, 1), "m"), _row("flip_all", gnp.flip, "m"),
        _row("fliplr", gnp.fliplr, "m"), _row("flipud", gnp.flipud, "m"),
        _row("broadcast_to", lambda x: gnp.broadcast_to(x, (2, 5)), "v"),
        _row("broadcast_arrays", gnp.broadcast_arrays, "m", "row"),
        _row("concatenate", lambda a, b: gnp.concatenate([a, b], axis=1), "m", "m"),
        _row("concatenate_none", lambda a, b: gnp.concatenate([a, b], axis=None), "m", "v"),
        _row("stack", lambda a, b: gnp.stack([a, b], axis=1), "m", "m"),
        _row("split", lambda x: gnp.split(x, [1, 3], axis=1), "m"),
        _row("array_split", lambda x: gnp.array_split(x, 2), "v"),
        _row("hsplit", lambda x: gnp.hsplit(x, 2), "m"),
        _row("vsplit", lambda x: gnp.vsplit(x, [1]), "m"),
        _row("dsplit", lambda x: gnp.dsplit(gnp.reshape(x, (1, 3, 4)), 2), "m"),
        _row("atleast_1d", gnp.atleast_1d, "s"), _row("atleast_2d", gnp.atleast_2d, "v"),
        _row("atleast_3d", gnp.atleast_3d, "m"),
        _row("hstack", lambda a, b: gnp.hstack([a, b]), "v", "w"),
        _row("vstack", lambda a, b: gnp.vstack([a, b]), "v", "w"),
        _row("row_stack", lambda a, b: gnp.row_stack([a, b]), "m", "m"),
        _row("dstack", lambda a, b: gnp.dstack([a, b]), "m", "m"),
        _row("column_stack", lambda a, b: gnp.column_stack([a, b]), "v", "w"),
        _row("meshgrid", gnp.meshgrid, "v", "k"),
        _row("meshgrid_ij", lambda a, b: gnp.meshgrid(a, b, indexing="ij"), "v", "k"),
        _row("copy", gnp.copy, "m"), _row("roll", lambda x: gnp.roll(x, 2, axis=1), "m"),
        _row("roll_flat", lambda x: gnp.roll(x, -1), "m"),
        _row("rollaxis", lambda x: gnp.rollaxis(x, 1), "m"),
        _row("rot90", gnp.rot90, "m"), _row("rot90_3", lambda x: gnp.rot90(x, 3), "m"),
        _row("tile", lambda x: gnp.tile(x, (2, 1)), "m"),
        _row("repeat", lambda x: gnp.repeat(x, 2, axis=1), "m"),
        _row("repeat_list", lambda x: gnp.repeat(x, [1, 0, 2], axis=0), "m"),
        _row("pad", lambda x: gnp.pad(x, ((1, 0), (0, 2))), "m"),
        _row("pad_edge", lambda x: gnp.pad(x, 2, mode="edge"), "v"),
        _row("pad_reflect", lambda x: gnp.pad(x, 2, mode="reflect"), "v"),
        _row("pad_constant", lambda x: gnp.pad(x, 1, constant_values=3.0), "m"),
        _row("pad_traced_constant", lambda x, c: gnp.pad(x, 1, constant_values=c), "m", "s"),
        _row("pad_mean", lambda x: gnp.pad(x, (1, 2), mode="mean"), "m"),
        _row("pad_maximum", lambda x: gnp.pad(x, ((0, 1), (2, 0)), mode="maximum"), "m"),
        _row("pad_wrap", lambda x: gnp.pad(x, 3, mode="wrap"), "v"),
        _row("append", gnp.append, "v", "w"),
        _row("append_axis", lambda a, b: gnp.append(a, b, axis=0), "m", "m"),
        _row("insert", lambda a, b: gnp.insert(a, 1, b, axis=0), "m", "row"),
        _row("insert_scalar", lambda a, s: gnp.insert(a, [0, 2], s), "v", "s"),
        _row("delete", lambda a: gnp.delete(a, [0, 2], axis=1), "m"),
        _row("delete_flat", lambda a: gnp.delete(a, 1), "m"),
        _row("select", lambda a, b, x: gnp.select([a, b], [x, -x], 7.0), "bool", "bool", "v"),
    ]


def _matrix_rows() -> list[Any]:
    return [
        _row("diag", gnp.diag, "v"), _row("diag_of_matrix", gnp.diag, "sq"),
        _row("diag_k", lambda x: gnp.diag(x, -1), "v"),
        _row("diagflat", gnp.diagflat, "m"),
        _row("diagonal", lambda x: gnp.diagonal(x, 1), "m"),
        _row("trace", gnp.trace, "m"), _row("trace_offset", lambda x: gnp.trace(x, -1), "sq"),
        _row("tril", gnp.tril, "m"), _row("triu_k", lambda x: gnp.triu(x, 1), "m"),
        _row("kron", gnp.kron, "v3", "k"), _row("kron_2d", gnp.kron, "m", "n"),
        _row("cross", gnp.cross, "v3", "k"), _row("cross_rows", gnp.cross, "sq", "k"),
        _row("dot", gnp.dot, "m", "n"), _row("dot_vv", gnp.dot, "v", "w"),
        _row("dot_scalar", gnp.dot, "s", "m"),
        _row("matmul", gnp.matmul, "m", "n"), _row("matmul_mv", gnp.matmul, "m", "row"),
        _row("inner", gnp.inner, "m", "m"), _row("outer", gnp.outer, "v", "k"),
        _row("vdot", gnp.vdot, "c", "c"), _row("tensordot", gnp.tensordot, "m", "m"),
        _row("tensordot_axes", lambda a, b: gnp.tensordot(a, b, ([1], [0])), "m", "n"),
        _row("einsum", lambda a, b: gnp.einsum("ij,jk->ik", a, b), "m", "n"),
        _row("einsum_trace", lambda a: gnp.einsum("ii", a), "sq"),
        _row("convolve", gnp.convolve, "v", "k"),
        _row("convolve_same", lambda a, b: gnp.convolve(a, b, "same"), "v", "k"),
        _row("correlate_valid", gnp.correlate, "v", "k"),
        _row("correlate_full", lambda a, b: gnp.correlate(a, b, "full"), "c", "k"),
        _row("polyval", gnp.polyval, "k", "v"),
        _row("vander", gnp.vander, "v"), _row("vander_n", lambda x: gnp.vander(x, 2, True), "v"),
        _row("trapezoid", gnp.trapezoid, "v"),
        _row("trapezoid_x", lambda y, x: gnp.trapezoid(y, x), "v", "grid"),
        _row("trapezoid_dx", lambda y: gnp.trapezoid(y, dx=0.5, axis=0), "m"),
        _row("interp", gnp.interp, "v", "grid", "w"),
        _row("interp_period", lambda x, xp, fp: gnp.interp(x, xp, fp, period=4.0),
             "v", "grid", "w"),
    ]


def _creation_rows() -> list[Any]:
    return [
        _row("zeros_like", gnp.zeros_like, "m"), _row("ones_like", gnp.ones_like, "m"),
        _row("full_like", lambda x, s: gnp.full_like(x, s), "m", "s"),
        _row("full_like_int", lambda x: gnp.full_like(x, 2, dtype="int32"), "m"),
        _row("empty_like_shape", lambda x: gnp.empty_like(x) * 0 + x, "m"),
        _row("full_traced", lambda s: gnp.full((2, 3), s), "s"),
        _row("array_of_tracers", lambda a, b: gnp.array([a, b]), "s", "s"),
        _row("array_of_vectors", lambda a, b: gnp.array([a, b, a]), "v", "w"),
        _row("asarray", lambda x: gnp.asarray(x, dtype="float64"), "v"),
        _row("linspace", lambda a, b: gnp.linspace(a, b, 4), "s", "s"),
        _row("linspace_vec", lambda a, b: gnp.linspace(a, b, 3, axis=1), "v", "w"),
        _row("logspace", lambda a, b: gnp.logspace(a, b, 4), "s", "s"),
        _row("geomspace", lambda a, b: gnp.geomspace(a, b, 4), "pos", "pos"),
        _row("plus_constants",
             lambda x: gnp.add(x, gnp.arange(5)) + gnp.eye(5)[0] + gnp.ones(5), "v"),
        _row("r_", lambda a, b: gnp.r_[a, 0.0, b], "v", "w"),
        _row("c_", lambda a, b: gnp.c_[a, b], "v", "w"),
        _row("tri_mask", lambda x: x * gnp.tri(3, 4) + gnp.identity(3)[0, 0], "m"),
        _row("isrealobj", lambda x: x * float(gnp.isrealobj(x)), "v"),
        _row("result_type", lambda x, y: gnp.asarray(x, gnp.result_type(x, y)), "v", "int"),
        _row("finfo_iinfo", lambda x: x * gnp.finfo(x.dtype).eps + gnp.iinfo("int8").max, "v"),
        _row("ndim_shape_size", lambda x: x * gnp.size(x) + gnp.ndim(x) + gnp.shape(x)[0], "m"),
        _row("tril_indices_from", lambda x: x[gnp.tril_indices_from(x)], "sq"),
        _row("triu_indices", lambda x: x[gnp.triu_indices(3, 1, 4)], "m"),
    ]


def _derivative_rows() -> list[Any]:
    """Batched derivatives: vmap(grad(f)) batches the backward pass's own operations. (The
    tangent and cotangent rules of var, mean and sin read only some of their operands: an
    elementwise operation that reads no batched operand still gives a batched result.)"""
    grad = gpugrad.grad
    return [
        _row("grad_var", grad(lambda x: gnp.var(x)), "v"),
        _row("grad_max", grad(lambda x: gnp.max(x)), "v"),
        _row("grad_prod_axis", grad(lambda x: gnp.sum(gnp.prod(x, axis=1))), "m"),
        _row("grad_logsumexp", grad(lambda x: gsp.logsumexp(x)), "v"),
        _row("grad_cumsum", grad(lambda x: gnp.sum(gnp.cumsum(x, 0) ** 2)), "m"),
        _row("grad_matmul", grad(lambda a, b: gnp.sum(gnp.tanh(a @ b))), "m", "n"),
        _row("grad_complex_abs", grad(lambda z: gnp.sum(gnp.abs(z) ** 2)), "c"),
        _row("grad_concatenate", grad(lambda a, b: gnp.sum(gnp.concatenate([a, b]) ** 3)),
             "v", "w"),
        _row("grad_wrt_shared", grad(lambda a, b: gnp.sum(a * gnp.sin(b)), 1), "v", "w"),
        _row("jvp_mean", lambda x, t: gpugrad.jvp(gnp.mean, (x,), (t,))[1], "m", "m"),
    ]


_ROWS = (_ufunc_rows() + _special_rows() + _reduction_rows() + _shape_rows()
         + _matrix_rows() + _creation_rows() + _derivative_rows())


@pytest.mark.parametrize(("name", "f", "kinds"), _ROWS)
def test_vmap_matches_loop(name: str, f: Callable[..., Any], kinds: tuple[str, ...],
                           xp: Any) -> None:
    batch = _kinds(np.random.default_rng(0))
    args = [xp.asarray(batch[k]) for k in kinds]
    check_layouts(f, args, atol=1e-6)


def test_rows_have_distinct_names() -> None:
    assert len({p.values[0] for p in _ROWS}) == len(_ROWS)


@pytest.mark.parametrize(("f", "arg", "message"), [
    (lambda n: gnp.arange(n), np.arange(1, 4), r"arange\(\) needs the value of its argument"),
    (gnp.unique, np.ones((3, 4)), r"unique\(\) needs the value of its argument 'ar'"),
    (gnp.nonzero, np.ones((3, 4)), r"nonzero\(\) needs the value.*size="),
    (lambda r: gnp.repeat(gnp.ones(3), r), np.ones((3, 3), int), r"repeat\(\) needs"),
    (lambda w: gnp.pad(gnp.ones(3), w), np.ones((3, 2), int), r"pad\(\) needs.*pad_width"),
    (lambda i: gnp.delete(gnp.ones(4), i), np.arange(3), r"delete\(\) needs.*'obj'"),
    (lambda n: gnp.zeros(n), np.arange(3), "batched by vmap"),
    (lambda x: x if x > 0 else -x, np.ones(3), r"gpugrad.numpy.where\(x > 0, a, b\)"),
])
def test_values_that_decide_shapes_cannot_be_batched(f: Any, arg: Any, message: str) -> None:
    # A result whose shape depends on each example's values has no batched form: the error
    # names the function, the argument and what its value decides.
    with pytest.raises(ConcretizationError, match=message):
        gpugrad.vmap(f)(arg)
    gpugrad.vmap(f, in_axes=None, axis_size=3)(arg[0])  # the same value for every example


def test_real_if_close_of_a_batch_needs_a_value() -> None:
    # Whether the result is real depends on every imaginary part of the example.
    z = np.ones((3, 2), np.complex64)
    with pytest.raises(ConcretizationError, match=r"real_if_close\(\) needs the value"):
        gpugrad.vmap(gnp.real_if_close)(z)
