"""float64 ``erf``/``erfinv`` on NumPy for the x64-mode samplers (``normal`` in float64, ...).

NumPy has neither function. ``erfinv64`` follows XLA:CPU's own float64 erfinv step by step
(Giles' double-precision polynomials in ``w = -log1p(-x*x)``, Horner with fused multiply-adds,
XLA's float64 log1p), so ``normal`` in float64 gives JAX's numbers: bit for bit on all but
about 0.06 % of draws, which differ by 1 ulp where NumPy's ``log`` and XLA's round apart.
Like JAX's, it inherits the cancellation in ``1 - x*x``: near +-1 it is up to ~3e4 ulps from
the true erfinv (|z| ~ 5). ``erf64`` sums its all-positive series for ``|x| < 2.5`` and
``erfc``'s continued fraction above (both ~1e-16 relative).

Example:
    >>> round(float(erfinv64(np.array([0.5]))[0]), 12)
    0.476936276204
"""

from __future__ import annotations

import numpy as np

from gpugrad.random._xla_float32 import fma64

__all__ = ["erf64", "erfinv64", "log1p64"]

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_SPLIT = 2.5  # series below, continued fraction above (both ~1e-16 relative there)


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!; no cancellation."""
    term = x.copy()
    total = x.copy()
    x2 = x * x
    for n in range(1, 45):
        term *= 2.0 * x2 / (2 * n + 1)
        total += term
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * total


def _erfc_cf(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y >= 2.5 by the continued fraction y + (1/2)/(y + 1/(y + (3/2)/...))."""
    t = y.copy()
    for k in range(80, 0, -1):
        t = y + (k / 2.0) / t
    return np.exp(-y * y) / np.sqrt(np.pi) / t


def erf64(x: np.ndarray) -> np.ndarray:
    """float64 error function.

    Example:
        >>> round(float(erf64(np.array([1.0]))[0]), 15)
        0.842700792949715
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = np.minimum(a, _SPLIT)
    large = np.maximum(a, _SPLIT)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = np.where(a < _SPLIT, _erf_series(small), 1.0 - _erfc_cf(large))
    return np.copysign(np.where(np.isnan(x), np.nan, out), x)


# XLA:CPU's float64 log1p: a Cephes rational for |m| < sqrt(2) - 1 (FMA Horner), else log(1 + m).
_LOG1P_P = (4.5270000862445199635215e-5, 4.9854102823193375972212e-1, 6.5787325942061044846969e0,
            2.9911919328553073277375e1, 6.0949667980987787057556e1, 5.7112963590585538103336e1,
            2.0039553499201281259648e1)
_LOG1P_Q = (1.0, 1.5062909083469192043167e1, 8.3047565967967209469434e1,
            2.2176239823732856465394e2, 3.0909872225312059774938e2, 2.1642788614495947685003e2,
            6.0118660497603843919306e1)
_LOG1P_SMALL = 0.41421356237309504880  # sqrt(2) - 1
_CHUNK = 1 << 15

# Giles' double-precision erfinv ("Approximating the erfinv function", GPU Computing Gems,
# 2011), highest degree first; its variable t is w - 3.125, sqrt(w) - 3.25, sqrt(w) - 5.
_GILES_CENTRAL = (  # w < 6.25
    -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
    1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
    2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
    4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
    0.24015818242558961693, 1.6536545626831027356)
_GILES_MIDDLE = (  # 6.25 <= w < 16
    2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
    1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
    6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
    -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635)
_GILES_TAIL = (  # w >= 16
    -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
    -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
    -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
    1.0103004648645343977, 4.8499064014085844221)


def _horner(coefficients: tuple[float, ...], t: np.ndarray) -> np.ndarray:
    """Horner's rule with one rounding per step, ``p = fma(p, t, c)``, as XLA:CPU fuses it."""
    p = np.full_like(t, coefficients[0])
    for c in coefficients[1:]:
        p = fma64(p, t, c)
    return p


def log1p64(m: np.ndarray) -> np.ndarray:
    """XLA:CPU's float64 ``log1p``: Cephes' rational form near 0, ``log(1 + m)`` elsewhere.

    Example:
        >>> log1p64(np.array([0.0, -0.5, 1.0])).round(15).tolist()
        [0.0, -0.693147180559945, 0.693147180559945]
    """
    m = np.asarray(m, dtype=np.float64)
    small = np.abs(m) < _LOG1P_SMALL
    out = np.empty_like(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[~small] = np.log(1.0 + m[~small])
    s = m[small]
    s2 = s * s
    t = (s * s2) * (_horner(_LOG1P_P, s) / _horner(_LOG1P_Q, s))
    out[small] = s + fma64(-0.5, s2, t)
    return out


def erfinv64(u: np.ndarray) -> np.ndarray:
    """float64 inverse error function, as XLA:CPU computes it (Giles' polynomials).

    ``erfinv64(+-1)`` is ``+-inf``; ``|u| > 1`` gives NaN; subnormal results flush to zero
    (XLA:CPU runs with flush-to-zero).

    Example:
        >>> erfinv64(np.array([0.0, 1.0, -1.0])).tolist()
        [0.0, inf, -inf]
    """
    u = np.asarray(u, dtype=np.float64)
    x = u.reshape(-1)
    out = np.empty_like(x)
    # Chunks that stay in cache: each fma64 is some twenty passes over its operands.
    for start in range(0, x.size, _CHUNK):
        out[start:start + _CHUNK] = _erfinv64_flat(x[start:start + _CHUNK])
    return out.reshape(u.shape)


def _erfinv64_flat(x: np.ndarray) -> np.ndarray:
    """:func:`erfinv64` of a 1-D array."""
    with np.errstate(invalid="ignore", divide="ignore"):
        w = -log1p64(x * -x)  # x*x rounded on its own, as XLA does; NaN for |x| > 1
        central = w < 6.25
        middle = (w >= 6.25) & (w < 16.0)
        tail = ~(central | middle)  # w >= 16, or NaN
        p = np.empty_like(x)
        p[central] = _horner(_GILES_CENTRAL, w[central] - 3.125)
        p[middle] = _horner(_GILES_MIDDLE, np.sqrt(w[middle]) - 3.25)
        p[tail] = _horner(_GILES_TAIL, np.sqrt(w[tail]) - 5.0)
        r = np.where(np.abs(x) == 1.0, x * np.inf, x * p)
    r[np.abs(r) < np.finfo(np.float64).tiny] *= 0.0  # flush subnormals, keep the sign
    return r
