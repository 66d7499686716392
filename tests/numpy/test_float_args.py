"""Every float argument that JAX differentiates is differentiable in gpugrad (api.md: no
derivative is ever dropped without an error).

One row per (function, argument): the argument is traced, the derivatives are checked against
central finite differences in float64 (both modes, order 2), and value and gradient against
JAX 0.10.2 in 64-bit mode where JAX is installed. A second test walks the public signatures
and fails on a float parameter that is neither in the table nor in ``NOT_DIFFERENTIATED``
(each entry saying why), so a new function cannot add one in silence.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.random as gr
import gpugrad.scipy.special as gsp
from gpugrad.config import config
from gpugrad.test_util import check_grads

X = np.array([0.3, -1.2, 2.5, 0.7, 1.9])
XN = np.array([0.3, np.nan, 2.5, np.inf, -np.inf])
M = np.array([[1.0, 0.5, 0.2, 0.9], [0.3, 2.0, 0.1, -0.4], [0.4, 0.6, 3.0, 1.1]])
XP, FP = np.array([0.0, 1.0, 2.0, 3.5]), np.array([1.0, 3.0, 2.0, -1.0])
W = np.array([1.0, 2.0, 0.5, 1.0, 3.0])


class Row(NamedTuple):
    key: str  # "module.function:parameter", as the signature walk names it
    fun: Callable[[Any, Any], Any]  # (library namespace L, traced value v) -> array
    value: float
    jax_grad: bool = True  # False: JAX 0.10.2 cannot differentiate it (reason at the row)


def _key(L: Any) -> Any:
    return L.random.PRNGKey(3)


ROWS = [
    Row("numpy.full:fill_value", lambda L, v: L.np.full((2, 3), v), 0.7),
    Row("numpy.full_like:fill_value", lambda L, v: L.np.full_like(X, v * v), 0.7),
    Row("numpy.linspace:start", lambda L, v: L.np.linspace(v, 2.0, 5), 0.5),
    Row("numpy.linspace:stop", lambda L, v: L.np.linspace(0.3, v, 5, endpoint=False), 2.5),
    Row("numpy.logspace:start", lambda L, v: L.np.logspace(v, 1.0, 4), 0.5),
    Row("numpy.logspace:stop", lambda L, v: L.np.logspace(0.2, v, 4), 1.5),
    Row("numpy.logspace:base", lambda L, v: L.np.logspace(0.2, 1.0, 4, base=v), 2.5),
    Row("numpy.geomspace:start", lambda L, v: L.np.geomspace(v, 8.0, 4), 0.5),
    Row("numpy.geomspace:stop", lambda L, v: L.np.geomspace(0.5, v, 4), 8.0),
    Row("numpy.gradient:varargs", lambda L, v: L.np.gradient(X * X, v), 0.5),
    Row("numpy.gradient:varargs",  # coordinates, uneven
        lambda L, v: L.np.gradient(X * X, L.np.asarray(XP[[0, 1, 1, 2, 3]]) * v
                                   + L.np.arange(5.0)), 0.5),
    Row("numpy.interp:xp", lambda L, v: L.np.interp(X, XP * v, FP), 1.3),
    Row("numpy.interp:fp", lambda L, v: L.np.interp(X, XP, FP * v), 1.3),
    # Both bounds are always given: JAX 0.10.2's interp, called with only ``left`` and then
    # with only ``right``, reuses the first call's compiled function and drops ``right``.
    Row("numpy.interp:left", lambda L, v: L.np.interp(X, XP, FP, left=v, right=-2.0), 1.3),
    Row("numpy.interp:right", lambda L, v: L.np.interp(X + 1.7, XP, FP, left=-3.0, right=v),
        1.3),
    Row("numpy.interp:period", lambda L, v: L.np.interp(X, XP, FP, period=v), 4.3),
    Row("numpy.clip:a_min", lambda L, v: L.np.clip(X, v, 2.0), 0.5),
    Row("numpy.clip:a_max", lambda L, v: L.np.clip(X, -0.5, v), 1.5),
    Row("numpy.diff:prepend", lambda L, v: L.np.diff(X, prepend=v), 0.5),
    Row("numpy.diff:append", lambda L, v: L.np.diff(X, append=v), 0.5),
    Row("numpy.ediff1d:to_end", lambda L, v: L.np.ediff1d(X, to_end=v), 0.5),
    Row("numpy.ediff1d:to_begin", lambda L, v: L.np.ediff1d(X, to_begin=v), 0.5),
    Row("numpy.nan_to_num:nan", lambda L, v: L.np.nan_to_num(XN, nan=v, posinf=1.0,
                                                             neginf=-1.0), 0.5),
    Row("numpy.nan_to_num:posinf", lambda L, v: L.np.nan_to_num(XN, posinf=v, neginf=-1.0),
        0.5),
    Row("numpy.nan_to_num:neginf", lambda L, v: L.np.nan_to_num(XN, posinf=1.0, neginf=v),
        0.5),
    # JAX 0.10.2's grad of pad in constant_values raises inside its transpose rule
    # ("Error interpreting argument to reduce_sum": a None cotangent), so only its value is
    # compared; the finite differences check the derivative.
    Row("numpy.pad:constant_values",
        lambda L, v: L.np.pad(L.np.asarray(X), ((2, 1),), constant_values=v), 0.5, False),
    Row("numpy.percentile:q", lambda L, v: L.np.percentile(X, v), 30.0),
    Row("numpy.quantile:q", lambda L, v: L.np.quantile(M, v, axis=1), 0.3),
    Row("numpy.nanpercentile:q", lambda L, v: L.np.nanpercentile(XN[:3], v), 30.0),
    Row("numpy.nanquantile:q", lambda L, v: L.np.nanquantile(XN[:3], L.np.stack([v, v * v])),
        0.3),
    Row("numpy.average:weights", lambda L, v: L.np.average(X, weights=W * v ** L.np.arange(5)),
        1.3),
    Row("numpy.cov:aweights",
        lambda L, v: L.np.cov(M, aweights=W[:4] * v ** L.np.arange(4.0)), 1.3),
    Row("numpy.append:values", lambda L, v: L.np.append(X, L.np.stack([v, v * v])), 0.7),
    Row("numpy.insert:values", lambda L, v: L.np.insert(X, 2, v), 0.7),
    Row("numpy.trapezoid:dx", lambda L, v: L.np.trapezoid(X * X, dx=v), 0.7),
    Row("numpy.unique:fill_value",
        lambda L, v: L.np.unique(L.np.asarray(X[[0, 1, 0, 2]]), size=5, fill_value=v), 0.7),
    Row("numpy.fft.fftfreq:d", lambda L, v: L.np.fft.fftfreq(6, v), 0.3),
    Row("numpy.fft.rfftfreq:d", lambda L, v: L.np.fft.rfftfreq(7, v), 0.3),
    Row("scipy.special.logsumexp:b",
        lambda L, v: L.special.logsumexp(X, b=W * v ** L.np.arange(5.0)), 1.3),
    Row("random.uniform:minval",
        lambda L, v: L.random.uniform(_key(L), (4,), minval=v, maxval=2.0), 0.3),
    Row("random.uniform:maxval",
        lambda L, v: L.random.uniform(_key(L), (4,), minval=0.3, maxval=v), 2.0),
    Row("random.truncated_normal:lower",
        lambda L, v: L.random.truncated_normal(_key(L), v, 2.0, (4,)), -1.0),
    Row("random.truncated_normal:upper",
        lambda L, v: L.random.truncated_normal(_key(L), -1.0, v, (4,)), 1.5),
]

# Float parameters JAX does not differentiate, and why (checked against JAX 0.10.2).
NOT_DIFFERENTIATED = {
    "scipy.special.multigammaln:d": "the dimension of the multivariate gamma (an int)",
    # Shapes and counts follow from them, so JAX reads them as concrete values (zero).
    "numpy.arange:start": "a shape-defining bound: JAX reads it as a concrete value",
    "numpy.arange:stop": "a shape-defining bound: JAX reads it as a concrete value",
    "numpy.arange:step": "a shape-defining step: JAX reads it as a concrete value",
    "numpy.rollaxis:start": "an axis position (an int)",
    "numpy.linalg.cholesky:upper": "a bool flag",
    # Boolean or integer results carry no derivative.
    "numpy.allclose:rtol": "the result is a bool",
    "numpy.allclose:atol": "the result is a bool",
    "numpy.isclose:rtol": "the result is boolean",
    "numpy.isclose:atol": "the result is boolean",
    "numpy.linalg.matrix_rank:tol": "the result is an integer",
    "random.bernoulli:p": "the samples are booleans",
    "random.choice:p": "p only picks indices (JAX's derivative is zero)",
    "random.randint:minval": "integer samples",
    "random.randint:maxval": "integer samples",
    "numpy.cov:fweights": "frequency weights are integers in JAX (it rejects floats)",
    # Thresholds: the result is piecewise constant in them (JAX's derivative is zero).
    "numpy.linalg.lstsq:rcond": "a cutoff on singular values: piecewise constant",
    "numpy.linalg.pinv:rcond": "a cutoff on singular values: piecewise constant",
    "numpy.real_if_close:tol": "a cutoff (not in jax.numpy): piecewise constant",
    # Selectors of a formula: JAX requires them static (gpugrad raises on a traced one).
    "numpy.linalg.norm:ord": "selects the norm; static in JAX",
    "scipy.special.polygamma:n": "the order of the derivative: an integer in JAX",
}

# A parameter is float-valued when its default is a float, its annotation says float, or it
# has one of these names (values, bounds, weights, spacings of NumPy's and JAX's APIs).
FLOAT_NAMES = {
    "fill_value", "start", "stop", "step", "base", "q", "weights", "aweights", "fweights",
    "prepend", "append", "to_end", "to_begin", "left", "right", "period", "xp", "fp", "nan",
    "posinf", "neginf", "a_min", "a_max", "minval", "maxval", "lower", "upper", "d", "rcond",
    "tol", "rtol", "atol", "varargs", "constant_values", "ord", "spacing", "values",
}
# Operands with generic names that are weights or probabilities (not array operands).
WEIGHT_OPERANDS = {"scipy.special.logsumexp:b", "random.choice:p", "random.bernoulli:p",
                   "scipy.special.polygamma:n"}
# Keyword-only options reached through ``**kwargs``.
KWARGS = {"numpy.pad:constant_values"}

MODULES = {"numpy": gnp, "numpy.linalg": gnp.linalg, "numpy.fft": gnp.fft,
           "scipy.special": gsp, "random": gr}


def _float_parameters() -> Iterator[str]:
    for prefix, module in MODULES.items():
        names = getattr(module, "__all__", None) or [n for n in dir(module)
                                                      if not n.startswith("_")]
        for name in sorted(names):
            fun = getattr(module, name, None)
            if not callable(fun) or isinstance(fun, type):
                continue
            try:
                signature = inspect.signature(fun)
            except (TypeError, ValueError):
                continue
            for param in signature.parameters.values():
                key = f"{prefix}.{name}:{param.name}"
                if (param.name in FLOAT_NAMES or key in WEIGHT_OPERANDS
                        or isinstance(param.default, float)
                        or "float" in str(param.annotation)):
                    yield key


def test_every_float_parameter_is_tabled_or_excluded() -> None:
    found = set(_float_parameters()) | KWARGS
    tabled = {row.key for row in ROWS}
    unknown = sorted(found - tabled - set(NOT_DIFFERENTIATED))
    assert not unknown, f"float parameters with no row in ROWS and no reason: {unknown}"
    stale = sorted((tabled | set(NOT_DIFFERENTIATED)) - found)
    assert not stale, f"entries naming no public parameter: {stale}"
    assert not tabled & set(NOT_DIFFERENTIATED)


GG = SimpleNamespace(np=gnp, random=gr, special=gsp)


@pytest.fixture
def x64() -> Iterator[None]:
    """64-bit mode and JAX 0.10's partitionable threefry layout, restored afterwards."""
    old = (config.enable_x64, config.threefry_partitionable)
    config.update("enable_x64", True)
    config.update("threefry_partitionable", True)
    yield
    config.update("enable_x64", old[0])
    config.update("threefry_partitionable", old[1])


def _ids() -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for row in ROWS:
        seen[row.key] = seen.get(row.key, 0) + 1
        out.append(row.key + ("" if seen[row.key] == 1 else f"#{seen[row.key]}"))
    return out


@pytest.mark.parametrize("row", ROWS, ids=_ids())
def test_derivative_matches_finite_differences(row: Row, x64: None) -> None:
    def f(v: Any) -> Any:
        return row.fun(GG, v)

    v = np.float64(row.value)
    _, tangent = gpugrad.jvp(f, (v,), (np.float64(1.0),))
    assert np.any(np.asarray(tangent) != 0), "the derivative is zero: it was dropped"
    check_grads(f, (v,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("row", ROWS, ids=_ids())
def test_value_and_gradient_match_jax(row: Row, x64: None) -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    import jax.scipy.special as jsp

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        jl = SimpleNamespace(np=jnp, random=jax.random, special=jsp)
        v = np.float64(row.value)
        expected = np.asarray(row.fun(jl, v))
        actual = row.fun(GG, v)
        assert actual.dtype == np.float64
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)
        if not row.jax_grad:
            return
        cotangent = np.random.default_rng(0).standard_normal(expected.shape)
        g_jax = jax.grad(lambda t: jnp.sum(row.fun(jl, t) * cotangent))(v)
        g_ours = gpugrad.grad(lambda t: gnp.sum(row.fun(GG, t) * cotangent))(v)
        np.testing.assert_allclose(g_ours, g_jax, rtol=1e-10, atol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", old)


def test_linspace_closed_form() -> None:
    """d/dstart and d/dstop of sum(linspace(start, stop, n)) are n/2 each (float32)."""
    g = gpugrad.grad(lambda a, b: gnp.sum(gnp.linspace(a, b, 5)), argnums=(0, 1))(1.0, 2.0)
    assert [float(t) for t in g] == [2.5, 2.5]
    assert g[0].dtype == np.float32


@pytest.mark.parametrize(("make", "dtype"), [
    (lambda v: gnp.linspace(v, 1.0, 3), np.float32), (lambda v: gnp.full(3, v), np.float32),
    (lambda v: gnp.full_like(np.zeros(2), v), np.float64),
    (lambda v: gnp.logspace(v, 1.0, 3), np.float32),
    (lambda v: gnp.geomspace(v, 4.0, 3), np.float32),
    (lambda v: gnp.fft.fftfreq(4, v), np.float32),
])
def test_plain_and_traced_calls_keep_dtypes(make: Callable[[Any], Any], dtype: Any) -> None:
    """Outside transformations: plain arrays; traced or not, the same dtype (float32 from a
    Python float, an array's own dtype for ``full_like``)."""
    out = make(0.5)
    assert type(out) is np.ndarray and out.dtype == dtype
    primal, tangent = gpugrad.jvp(make, (np.float32(0.5),), (np.float32(1.0),))
    assert primal.dtype == dtype and tangent.dtype == dtype
    np.testing.assert_allclose(primal, out, rtol=1e-6)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_spacings_second_order_edges(edge_order: int, x64: None) -> None:
    """``gradient`` with traced scalar spacings and traced coordinates, both edge orders
    (JAX 0.10.2 has no ``edge_order``): NumPy's values, finite-difference derivatives."""
    f = M[:, :4] ** 2
    coords = np.array([0.0, 0.7, 1.1, 2.6])
    for args in [(np.float64(0.6), coords), (coords * 1.3,)]:
        axis = 1 if len(args) == 1 else None
        expected = np.gradient(f, *args, axis=axis, edge_order=edge_order)
        actual = gnp.gradient(f, *args, axis=axis, edge_order=edge_order)
        np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-12)
        check_grads(lambda *a, axis=axis: gnp.gradient(f, *a, axis=axis,
                                                       edge_order=edge_order),
                    args, order=2, modes=("fwd", "rev"))
