"""The gamma and beta functions, composed from ``gammaln`` (``log |Gamma|``) and its sign.

``Gamma(x) = gammasgn(x) * exp(gammaln(x))``: the sign is piecewise constant (zero
derivative), so every derivative comes from ``gammaln``'s catalog entry (``gammaln' =
digamma``), to any order. Values at the poles, signed zeros and infinities follow JAX
(``gamma(0) = inf``, ``gamma(-0) = -inf``, ``gamma(-1) = nan``).
"""

from __future__ import annotations

import math
from typing import Any

import gpugrad.numpy as gnp
from gpugrad.numpy.elementwise_math import isnan
from gpugrad.numpy.sorting import signbit
from gpugrad.primitives.operations import promote
from gpugrad.scipy._catalog_entries import digamma, gammaln

__all__ = ["beta", "betaln", "gamma", "gammasgn", "multigammaln", "psi", "rgamma"]


def _real(name: str, *args: Any) -> list[Any]:
    out = promote(args, to_float=True)
    if any(a.dtype.kind == "c" for a in out):
        raise TypeError(f"{name} is defined for real inputs only, got a complex one")
    return out


def gammasgn(x: Any) -> Any:
    """The sign of the gamma function: 1 for ``x > 0``, ``(-1)^floor(x)`` for negative
    ``x`` between the poles, the sign of a zero at zero, NaN at the poles (negative integers
    and ``-inf``) and for NaN. Its derivative is zero.

    Example:
        >>> gammasgn(np.array([2.0, -0.5, -1.5, -1.0, -0.0]))
        array([ 1., -1.,  1., nan, -1.])
    """
    (x,) = _real("gammasgn", x)
    one = gnp.ones_like(x)
    whole = gnp.floor(x)
    # Between the poles below 0, Gamma is negative where floor(x) is odd.
    odd = gnp.remainder(whole, 2.0) == 1.0
    sign = gnp.where((x < 0) & odd, -one, one)
    sign = gnp.where((x == 0) & signbit(x), -one, sign)
    pole = ((x < 0) & (x == whole)) | isnan(x)
    return gnp.where(pole, one * math.nan, sign)


def gamma(x: Any) -> Any:
    """The gamma function, ``gammasgn(x) * exp(gammaln(x))``; its derivative is
    ``gamma(x) * digamma(x)``.

    Example:
        >>> gamma(np.array([0.5, 5.0, -0.5]))
        array([ 1.77245385, 24.        , -3.5449077 ])
    """
    (x,) = _real("gamma", x)
    return gammasgn(x) * gnp.exp(gammaln(x))


def rgamma(x: Any) -> Any:
    """``1 / gamma(x)``, and 0 at the poles (SciPy's name; JAX has none).

    Example:
        >>> rgamma(np.array([0.5, 5.0, -1.0]))
        array([0.56418958, 0.04166667, 0.        ])
    """
    (x,) = _real("rgamma", x)
    pole = (x <= 0) & (x == gnp.floor(x))
    return gnp.where(pole, gnp.zeros_like(x), gammasgn(x) * gnp.exp(-gammaln(x)))


def psi(x: Any) -> Any:
    """SciPy's other name for :func:`gpugrad.scipy.special.digamma`.

    Example:
        >>> psi(np.array([1.0]))
        array([-0.57721566])
    """
    return digamma(x)


def betaln(a: Any, b: Any) -> Any:
    """``log |B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``.

    Example:
        >>> betaln(np.array([0.5, 2.0]), np.array([1.5, 3.0]))
        array([ 0.45158271, -2.48490665])
    """
    a, b = _real("betaln", a, b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def beta(a: Any, b: Any) -> Any:
    """The beta function ``B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)``, from
    :func:`betaln` and the signs of the three gammas (no overflow in the ratio).

    Example:
        >>> beta(np.array([0.5, 2.0]), np.array([1.5, 3.0]))
        array([1.57079633, 0.08333333])
    """
    a, b = _real("beta", a, b)
    return gammasgn(a) * gammasgn(b) * gammasgn(a + b) * gnp.exp(betaln(a, b))


def multigammaln(a: Any, d: int) -> Any:
    """The log of the multivariate gamma function of dimension ``d`` (a Python int, not
    differentiated): ``d (d - 1) / 4 log(pi) + sum_{j < d} gammaln(a - j / 2)``.

    Example:
        >>> multigammaln(np.array([4.0, 2.5]), 3)
        array([5.40297508, 1.88099546])
    """
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"multigammaln needs a positive Python int d, got {d!r}")
    (a,) = _real("multigammaln", a)
    total = gammaln(a)
    for j in range(1, d):
        total = total + gammaln(a - j / 2)
    return total + d * (d - 1) / 4 * math.log(math.pi)
