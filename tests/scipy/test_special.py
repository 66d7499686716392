"""gpugrad.scipy.special: derivatives to order 2 in both modes, values against closed forms
and the standard library (always run), and against scipy.special where it is installed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.primitives import special_math
from gpugrad.scipy import special as S
from gpugrad.test_util import check_grads

Row = tuple[str, Callable[..., Any], list[tuple[tuple[int, ...], float, float]]]
EULER_GAMMA = 0.5772156649015329
ZETA3 = 1.2020569031595942


def _inputs(xp: Any, specs: list[tuple[tuple[int, ...], float, float]], seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    return tuple(xp.asarray(rng.uniform(lo, hi, size=shape)) for shape, lo, hi in specs)


def _host(x: Any) -> Any:
    return x.get() if hasattr(x, "get") else np.asarray(x)


M = [((3, 4), -2.0, 2.0)]
POS = [((3, 4), 0.3, 4.0)]

ROWS: list[Row] = [
    ("erf", S.erf, M),
    ("erf-tails", S.erf, [((5,), 1.5, 4.0)]),
    ("erfc", S.erfc, M),
    ("erfinv", S.erfinv, [((3, 4), -0.95, 0.95)]),
    ("gammaln", S.gammaln, POS),
    ("gammaln-negative", S.gammaln, [((6,), -2.9, -2.1)]),
    ("gammaln-large", S.gammaln, [((4,), 10.0, 40.0)]),
    ("digamma", S.digamma, POS),
    ("digamma-negative", S.digamma, [((6,), -0.9, -0.1)]),
    ("polygamma1", lambda x: S.polygamma(1, x), POS),
    ("polygamma3", lambda x: S.polygamma(3, x), POS),
    ("expit", S.expit, [((3, 4), -6.0, 6.0)]),
    ("logit", S.logit, [((3, 4), 0.05, 0.95)]),
    ("xlogy", S.xlogy, [((3, 4), -2.0, 2.0), ((4,), 0.5, 3.0)]),
    ("xlog1py", S.xlog1py, [((3, 1), -2.0, 2.0), ((1, 4), -0.5, 3.0)]),
    ("logsumexp", S.logsumexp, M),
    ("logsumexp-axis", lambda x: S.logsumexp(x, axis=1), M),
    ("logsumexp-keepdims", lambda x: S.logsumexp(x, axis=(0, 1), keepdims=True), M),
    ("logsumexp-b", lambda x, b: S.logsumexp(x, axis=0, b=b), [M[0], ((4,), 0.5, 2.0)]),
    ("logsumexp-sign", lambda x, b: S.logsumexp(x, axis=1, b=b, return_sign=True)[0],
     [M[0], ((3, 4), -2.0, 2.0)]),
    ("softmax", lambda x: S.softmax(x, axis=1), M),
    ("softmax-all", S.softmax, M),
    ("log_softmax", lambda x: S.log_softmax(x, axis=0), M),
    ("log_softmax-large", lambda x: S.log_softmax(x * 500.0, axis=-1), M),
    ("gammaln-composed", lambda x: gnp.sum(S.gammaln(x) * S.digamma(x + 1.0)), POS),
    ("gamma", S.gamma, POS),
    ("gamma-negative", S.gamma, [((6,), -2.9, -2.1)]),
    ("gammasgn-negative", S.gammasgn, [((6,), -2.9, -2.1)]),
    ("rgamma", S.rgamma, [((3, 4), -0.9, 4.0)]),
    ("psi", S.psi, POS),
    ("beta", S.beta, [POS[0], ((4,), 0.5, 3.0)]),
    ("beta-negative", S.beta, [((5,), -0.9, -0.6), ((5,), 1.1, 1.4)]),
    ("betaln", S.betaln, [POS[0], ((3, 1), 0.5, 3.0)]),
    ("multigammaln", lambda a: S.multigammaln(a, 3), [((3, 4), 1.2, 4.0)]),
]


@pytest.mark.parametrize("name,fn,domain", ROWS, ids=[r[0] for r in ROWS])
def test_check_grads_order2(xp: Any, name: str, fn: Callable[..., Any],
                            domain: list[tuple[tuple[int, ...], float, float]]) -> None:
    args = _inputs(xp, domain, seed=sum(map(ord, name)))
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------
# Values: closed forms and the standard library (math.erf, math.lgamma)


def _max_ulps(ours: Any, reference: Any) -> float:
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    return float(np.max(np.abs(ours - reference) / np.spacing(np.abs(reference))))


def test_erf_erfc_against_math() -> None:
    x = np.concatenate([np.linspace(-7, 7, 1401), np.linspace(-1, 1, 999), [0.0, 1e-300]])
    assert _max_ulps(special_math.erf(x), [math.erf(v) for v in x]) <= 16
    x = x[x < 26]  # beyond 26.5 erfc underflows to subnormals
    assert _max_ulps(special_math.erfc(x), [math.erfc(v) for v in x]) <= 32


def test_erfinv_inverts_erf() -> None:
    y = np.concatenate([np.linspace(-0.999, 0.999, 999), 1 - np.logspace(-15, -1, 30)])
    x = special_math.erfinv(y)
    np.testing.assert_allclose(special_math.erf(x), y, rtol=1e-15, atol=1e-16)
    tail = 2.0 ** -np.arange(20, 54)  # 1 - y exact; erf(x) cannot resolve it, erfc can
    np.testing.assert_allclose(special_math.erfc(special_math.erfinv(1 - tail)), tail,
                               rtol=1e-13)
    np.testing.assert_array_equal(special_math.erfinv(np.array([1.0, -1.0])), [np.inf, -np.inf])
    assert np.isnan(special_math.erfinv(np.array([1.5, np.nan]))).all()


def test_gammaln_against_math_and_closed_forms() -> None:
    # Away from the zeros of log Gamma (at 1 and 2) math.lgamma is a good reference.
    x = np.concatenate([np.linspace(0.01, 0.9, 200), np.linspace(2.1, 180, 500),
                        np.linspace(-9.9, -0.1, 97)])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    expected = np.array([math.lgamma(v) for v in x])
    np.testing.assert_allclose(special_math.gammaln(x), expected, rtol=1e-12, atol=1e-14)
    # Near the zeros: log Gamma(1 + z) = -gamma z + zeta(2)/2 z^2 - zeta(3)/3 z^3 + O(z^4).
    z = 2.0 ** -np.arange(20, 40)
    np.testing.assert_allclose(special_math.gammaln(1 + z), -EULER_GAMMA * z
                               + math.pi**2 / 12 * z**2 - ZETA3 / 3 * z**3, rtol=1e-14)
    np.testing.assert_allclose(special_math.gammaln(2 + z), (1 - EULER_GAMMA) * z, rtol=1e-5)
    n = np.arange(1, 20)
    np.testing.assert_allclose(special_math.gammaln(n.astype(float)),
                               [math.log(math.factorial(k - 1)) for k in n], atol=1e-13)
    np.testing.assert_allclose(special_math.gammaln(np.array(0.5)), 0.5 * math.log(math.pi))
    assert np.isposinf(special_math.gammaln(np.array([0.0, -1.0, -2.0]))).all()


def test_digamma_and_polygamma_closed_forms() -> None:
    np.testing.assert_allclose(special_math.digamma(np.array(1.0)), -EULER_GAMMA, rtol=1e-15)
    np.testing.assert_allclose(special_math.digamma(np.array(0.5)),
                               -EULER_GAMMA - 2 * math.log(2), rtol=1e-15)
    x = np.linspace(-5.3, 30.7, 400)
    x = x[np.abs(x - np.round(x)) > 1e-2]
    # psi(x + 1) = psi(x) + 1/x and the reflection psi(1 - x) - psi(x) = pi cot(pi x).
    np.testing.assert_allclose(special_math.digamma(x + 1),
                               special_math.digamma(x) + 1 / x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(special_math.digamma(1 - x) - special_math.digamma(x),
                               math.pi / np.tan(math.pi * x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(special_math.polygamma(1, np.array([1.0, 0.5])),
                               [math.pi**2 / 6, math.pi**2 / 2], rtol=1e-14)
    np.testing.assert_allclose(special_math.polygamma(2, np.array(1.0)), -2 * ZETA3,
                               rtol=1e-14)
    np.testing.assert_allclose(special_math.polygamma(3, np.array(1.0)), math.pi**4 / 15,
                               rtol=1e-14)
    # polygamma(n, x + 1) = polygamma(n, x) + (-1)^n n! / x^(n+1), for negative x too.
    for n in (1, 2, 3):
        np.testing.assert_allclose(
            special_math.polygamma(n, x + 1),
            special_math.polygamma(n, x) + (-1) ** n * math.factorial(n) / x ** (n + 1),
            rtol=1e-9)


def test_polygamma_order_on_the_device(xp: Any) -> None:
    """The order may be a 0-d array of the backend (read as a static value)."""
    x = xp.asarray(np.array([1.0, 0.5]))
    np.testing.assert_allclose(_host(S.polygamma(xp.asarray(2), x)), [-2 * ZETA3, -14 * ZETA3],
                               rtol=1e-13)
    with pytest.raises(ValueError, match="non-negative integer scalar"):
        S.polygamma(xp.asarray([1, 2]), x)


def test_public_values_and_dtypes(xp: Any) -> None:
    x = xp.asarray(np.array([-1.5, 0.25, 2.0]))
    np.testing.assert_allclose(_host(S.erf(x)), [math.erf(v) for v in (-1.5, 0.25, 2.0)],
                               rtol=1e-14)
    np.testing.assert_allclose(_host(S.expit(x)), 1 / (1 + np.exp([1.5, -0.25, -2.0])))
    np.testing.assert_allclose(_host(S.logit(S.expit(x))), _host(x), rtol=1e-12)
    x32 = xp.asarray(np.array([0.5, 1.5], np.float32))
    for fn in (S.erf, S.erfc, S.erfinv, S.gammaln, S.digamma, S.expit, S.logit):
        arg = x32 * 0.5 if fn in (S.erfinv, S.logit) else x32
        assert fn(arg).dtype == np.float32
    assert S.erf(np.array([0, 1])).dtype == np.float32  # integers: the default float


def test_xlogy_conventions() -> None:
    np.testing.assert_array_equal(S.xlogy(np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 1.0])),
                                  [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(S.xlog1py(np.array([0.0]), np.array([-1.0])), [0.0])
    # JAX's derivative: d/dx xlogy(x, y) = log(y), also at x == 0.
    g = gpugrad.grad(S.xlogy, argnums=(0, 1))(np.float64(0.0), np.float64(2.0))
    np.testing.assert_allclose(g, (math.log(2.0), 0.0))


def test_derivative_identities() -> None:
    x = np.array([0.3, 1.0, 2.5, 7.0])
    grad_sum = lambda f: gpugrad.grad(lambda v: gnp.sum(f(v)))
    np.testing.assert_allclose(grad_sum(S.gammaln)(x), special_math.digamma(x), rtol=1e-14)
    np.testing.assert_allclose(grad_sum(S.digamma)(x), special_math.polygamma(1, x), rtol=1e-14)
    np.testing.assert_allclose(grad_sum(S.erf)(x), 2 / math.sqrt(math.pi) * np.exp(-x * x))
    np.testing.assert_allclose(gpugrad.grad(S.erfinv)(np.float64(0.0)), math.sqrt(math.pi) / 2)
    hess = gpugrad.hessian(lambda v: gnp.sum(S.gammaln(v)))(x)
    np.testing.assert_allclose(hess, np.diag(special_math.polygamma(1, x)), rtol=1e-13)
    third = gpugrad.grad(gpugrad.grad(gpugrad.grad(S.gammaln)))(np.float64(1.0))
    np.testing.assert_allclose(third, -2 * ZETA3, rtol=1e-13)
    s = S.expit(x)
    np.testing.assert_allclose(grad_sum(S.expit)(x), s * (1 - s))


def test_stable_reductions() -> None:
    x = np.array([[1000.0, 1000.0, -np.inf], [-1000.0, -1001.0, -1002.0]])
    np.testing.assert_allclose(S.logsumexp(x, axis=1),
                               [1000 + math.log(2), -1000 + math.log(1 + math.exp(-1)
                                                                     + math.exp(-2))])
    assert S.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    np.testing.assert_allclose(S.softmax(x, axis=1)[0], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(np.sum(S.softmax(x, axis=1), axis=1), [1.0, 1.0])
    np.testing.assert_allclose(S.log_softmax(x, axis=1)[0, :2], [-math.log(2)] * 2)
    assert S.logsumexp(x, axis=0, keepdims=True).shape == (1, 3)
    value, sign = S.logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, -3.0]), return_sign=True)
    np.testing.assert_allclose((value, sign), (math.log(2.0), -1.0))
    # Entries with b == 0 are left out, even an infinite one.
    np.testing.assert_allclose(S.logsumexp(np.array([np.inf, 0.0]), b=np.array([0.0, 1.0])), 0)
    # The gradient of logsumexp is softmax, also far out in the tails.
    g = gpugrad.grad(lambda v: S.logsumexp(v))(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(g, [0.5, 0.5])
    g = gpugrad.grad(lambda v: S.expit(v))(np.float64(-800.0))
    assert g == 0.0


def test_gamma_and_beta_closed_forms() -> None:
    n = np.arange(1.0, 12.0)
    np.testing.assert_allclose(S.gamma(n), [math.factorial(int(k) - 1) for k in n], rtol=1e-13)
    np.testing.assert_allclose(S.gamma(np.array([0.5, -0.5])),
                               [math.sqrt(math.pi), -2 * math.sqrt(math.pi)], rtol=1e-14)
    a, b = np.array([0.5, 2.0, 3.5, -0.5]), np.array([1.5, 3.0, 0.25, 1.2])
    expected = [math.gamma(x) * math.gamma(y) / math.gamma(x + y) for x, y in zip(a, b)]
    np.testing.assert_allclose(S.beta(a, b), expected, rtol=1e-13)
    np.testing.assert_allclose(S.betaln(a, b), np.log(np.abs(expected)), rtol=1e-13)
    np.testing.assert_allclose(S.rgamma(n), 1 / S.gamma(n), rtol=1e-14)
    np.testing.assert_array_equal(S.rgamma(np.array([0.0, -1.0, -4.0])), [0.0, 0.0, 0.0])
    x = np.array([1.5, 4.0])
    np.testing.assert_allclose(S.multigammaln(x, 1), S.gammaln(x), rtol=1e-15)
    np.testing.assert_allclose(  # Gamma_2(a) = sqrt(pi) Gamma(a) Gamma(a - 1/2)
        S.multigammaln(x, 2), 0.5 * math.log(math.pi) + S.gammaln(x) + S.gammaln(x - 0.5),
        rtol=1e-14)
    # d/dx Gamma = Gamma digamma; d/da log B(a, b) = digamma(a) - digamma(a + b).
    np.testing.assert_allclose(gpugrad.grad(S.gamma)(np.array(2.5)),
                               S.gamma(np.array(2.5)) * S.digamma(np.array(2.5)), rtol=1e-14)
    np.testing.assert_allclose(gpugrad.grad(S.betaln)(np.array(2.5), np.array(0.75)),
                               S.digamma(np.array(2.5)) - S.digamma(np.array(3.25)),
                               rtol=1e-14)
    assert S.gamma(np.ones(2, np.float32)).dtype == np.float32


def test_gamma_family_matches_jax(jax_x64: Any) -> None:
    import jax.scipy.special as js

    special = np.array([-2.5, -1.5, -0.5, -1.0, -3.0, 0.0, -0.0, 0.5, 2.0, np.inf, -np.inf,
                        np.nan])
    np.testing.assert_array_equal(S.gammasgn(special), js.gammasgn(special))
    np.testing.assert_allclose(S.gamma(special), js.gamma(special), rtol=1e-14)
    x = np.random.default_rng(1).uniform(-4.9, 6.0, 200)
    y = np.random.default_rng(2).uniform(0.1, 6.0, 200)
    for name, args in (("gamma", (x,)), ("beta", (x, y)), ("betaln", (x, y))):
        ours, theirs = getattr(S, name), getattr(js, name)
        np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-10, err_msg=name)
        # JAX's beta and betaln derivatives are NaN at some negative arguments (where the
        # finite differences of the rows above check ours): compare them at positive ones.
        args = args if name == "gamma" else (np.abs(x) + 0.1, y)
        for i in range(len(args)):
            g = gpugrad.grad(lambda *v: gnp.sum(ours(*v)), argnums=i)(*args)
            g_jax = jax_x64.grad(lambda *v: theirs(*v).sum(), argnums=i)(*args)
            np.testing.assert_allclose(g, g_jax, rtol=1e-9, err_msg=f"{name} d/d{i}")
    a = np.array([2.0, 3.7, 10.0])
    np.testing.assert_allclose(S.multigammaln(a, 4), js.multigammaln(a, 4), rtol=1e-13)


def test_errors() -> None:
    with pytest.raises(TypeError, match="real inputs"):
        S.erf(np.array([1j]))
    with pytest.raises(TypeError, match="real inputs"):
        S.gamma(np.array([1j]))
    with pytest.raises(ValueError, match="positive Python int d"):
        S.multigammaln(np.array([3.0]), 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative integer"):
        S.polygamma(1.5, np.array([1.0]))


# ---------------------------------------------------------------------------------------
# Against SciPy (a test dependency; the closed-form tests above need nothing more)


def test_against_scipy() -> None:
    import scipy.special as sp  # a test dependency (the test extra), not an optional peer
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, 2000)
    pos = rng.uniform(0.01, 50, 2000)
    y = rng.uniform(-1, 1, 2000)
    np.testing.assert_allclose(S.erf(x), sp.erf(x), rtol=1e-14)
    np.testing.assert_allclose(S.erfc(x), sp.erfc(x), rtol=1e-13)
    np.testing.assert_allclose(S.erfinv(y), sp.erfinv(y), rtol=1e-13, atol=1e-15)
    away = pos[(np.abs(pos - 1) > 0.05) & (np.abs(pos - 2) > 0.05)]
    np.testing.assert_allclose(S.gammaln(away), sp.gammaln(away), rtol=1e-13)
    np.testing.assert_allclose(S.gammaln(x), sp.gammaln(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(S.digamma(pos), sp.digamma(pos), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(S.digamma(x), sp.digamma(x), rtol=1e-9, atol=1e-12)
    for n in (1, 2, 4):
        np.testing.assert_allclose(S.polygamma(n, pos), sp.polygamma(n, pos), rtol=1e-12)
    np.testing.assert_allclose(S.expit(x * 100), sp.expit(x * 100), rtol=1e-14)
    np.testing.assert_allclose(S.logit(y / 2 + 0.5), sp.logit(y / 2 + 0.5), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(S.xlogy(x, pos), sp.xlogy(x, pos), rtol=1e-14)
    np.testing.assert_allclose(S.xlog1py(x, pos), sp.xlog1py(x, pos), rtol=1e-14)
    m = x.reshape(40, 50) * 100
    for axis in (None, 0, 1):
        np.testing.assert_allclose(S.logsumexp(m, axis=axis), sp.logsumexp(m, axis=axis),
                                   rtol=1e-14)
        np.testing.assert_allclose(S.softmax(m, axis=axis), sp.softmax(m, axis=axis),
                                   rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(S.log_softmax(m, axis=axis), sp.log_softmax(m, axis=axis),
                                   rtol=1e-12)
    b = y.reshape(40, 50)
    ours = S.logsumexp(m / 100, axis=1, b=b, return_sign=True)
    theirs = sp.logsumexp(m / 100, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_array_equal(ours[1], theirs[1])
