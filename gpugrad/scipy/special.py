"""``gpugrad.scipy.special``: special functions, numerically stable and differentiable.

SciPy's names and signatures. ``erf``, ``erfc``, ``erfinv``, ``gammaln``, ``digamma``,
``polygamma``, ``expit``, ``xlogy`` and ``xlog1py`` are entries of the elementwise catalog
(NumPy evaluation in ``gpugrad/primitives/special_math.py``, the CUDA math library on the
GPU), so every order of derivative is again one elementwise evaluation: ``gammaln' =
digamma``, ``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``.
``logsumexp``, ``softmax`` and ``log_softmax`` are composed from ``gpugrad.numpy``, shifted
by the maximum under ``stop_gradient`` (the shift cancels mathematically, so it needs no
derivative, and it keeps ``exp`` from overflowing). ``gamma``, ``gammasgn``, ``rgamma``,
``beta``, ``betaln`` and ``multigammaln`` are composed from ``gammaln`` (``_gamma.py``); the
catalog's entries are defined in ``_catalog_entries.py``.

Example:
    >>> from gpugrad.scipy import special
    >>> special.logsumexp(np.array([1000.0, 1000.0]))
    array(1000.69314718)
    >>> gpugrad.grad(special.gammaln)(np.array(1.0))  # digamma(1) = -Euler's gamma
    array(-0.57721566)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.numpy import where
from gpugrad.numpy.operands import normalize_axes, to_array
from gpugrad.primitives.broadcasting import reduce_sum
from gpugrad.primitives.structural import reshape, stop_gradient
from gpugrad.scipy._catalog_entries import (
    digamma,
    erf,
    erfc,
    erfinv,
    expit,
    gammaln,
    polygamma,
    real_args,
    xlog1py,
    xlogy,
)
from gpugrad.scipy._gamma import beta, betaln, gamma, gammasgn, multigammaln, psi, rgamma

__all__ = [
    "beta", "betaln", "digamma", "erf", "erfc", "erfinv", "expit", "gamma", "gammaln",
    "gammasgn", "log_softmax", "logit", "logsumexp", "multigammaln", "polygamma", "psi",
    "rgamma", "softmax", "xlog1py", "xlogy",
]


def logit(p: Any) -> Any:
    """The log-odds ``log(p / (1 - p))``, the inverse of :func:`expit`.

    Example:
        >>> logit(np.array([0.5, 0.75]))
        array([0.        , 1.09861229])
    """
    (p,) = real_args("logit", p)
    return gnp.subtract(gnp.log(p), gnp.log1p(-p))


def _finite_shift(x: Any, axes: tuple[int, ...]) -> Any:
    """The maximum over ``axes`` (kept as length-1 axes), 0 where it is not finite, with no
    derivative: subtracting it changes nothing mathematically and prevents overflow."""
    m = gnp.max(stop_gradient(x), axis=axes, keepdims=True)
    finite = gnp.logical_and(gnp.greater(m, -np.inf),
                                      gnp.less(m, np.inf))
    return stop_gradient(where(finite, m, 0.0))


def _sum_kept(x: Any, axes: tuple[int, ...]) -> Any:
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    return reshape(reduce_sum(x, axes), kept)


def _drop(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if keepdims:
        return x
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow.

    With ``return_sign``, returns ``(log|s|, sign(s))`` for ``s = sum(b * exp(a))`` (``b``
    may be negative); otherwise a negative ``s`` gives NaN, as in SciPy. Entries with
    ``b == 0`` are left out (as in JAX), so an infinite ``a`` there does no harm.

    Example:
        >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), axis=1)
        array([0.69314718, 1.        ])
        >>> logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, -2.0]), return_sign=True)
        (array(0.), array(-1.))
    """
    if b is None:
        (a,) = real_args("logsumexp", a)
    else:
        a, b = real_args("logsumexp", a, b)
        a, b = (to_array(v) for v in (a, b))
        shape = np.broadcast_shapes(a.shape, b.shape)
        a, b = gnp.broadcast_to(a, shape), gnp.broadcast_to(b, shape)
        a = where(gnp.not_equal(b, 0), a, -np.inf)
    a = to_array(a)
    axes = normalize_axes(a, axis)
    shift = _finite_shift(a, axes)
    terms = gnp.exp(gnp.subtract(a, shift))
    if b is not None:
        terms = gnp.multiply(terms, b)
    total = _sum_kept(terms, axes)
    sign = None
    if return_sign:
        sign = stop_gradient(gnp.sign(total))
        total = gnp.abs(total)
    out = _drop(gnp.add(gnp.log(total), shift), axes, keepdims)
    if return_sign:
        return out, _drop(sign, axes, keepdims)
    return out


def softmax(x: Any, axis: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all axes by default, as in SciPy).

    Example:
        >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]), axis=1)
        array([[0.5 , 0.5 ],
               [0.25, 0.75]])
    """
    (x,) = real_args("softmax", x)
    x = to_array(x)
    axes = normalize_axes(x, axis)
    unnormalized = gnp.exp(gnp.subtract(x, _finite_shift(x, axes)))
    return gnp.true_divide(unnormalized, _sum_kept(unnormalized, axes))


def log_softmax(x: Any, axis: Any = None) -> Any:
    """``x - logsumexp(x)`` over ``axis`` (all axes by default), without overflow.

    Example:
        >>> log_softmax(np.array([1000.0, 1000.0]))
        array([-0.69314718, -0.69314718])
    """
    (x,) = real_args("log_softmax", x)
    x = to_array(x)
    axes = normalize_axes(x, axis)
    shifted = gnp.subtract(x, _finite_shift(x, axes))
    total = _sum_kept(gnp.exp(shifted), axes)
    return gnp.subtract(shifted, gnp.log(total))
