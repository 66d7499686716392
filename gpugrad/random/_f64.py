"""float64 ``erf``/``erfinv`` on NumPy for the x64-mode samplers (``normal`` in float64, ...).

NumPy has neither function. JAX's float64 ``normal`` uses XLA's double-precision erfinv,
which prng.md leaves out of scope, so these are accurate (a few ulp) rather than bit-exact:
``erf`` by its all-positive series for ``|x| < 2.5`` and ``erfc`` by its continued fraction
above; ``erfinv`` by two Newton steps from the float32 recipe's value.

Example:
    >>> import numpy as np
    >>> round(float(erfinv64(np.array([0.5]))[0]), 12)
    0.476936276204
"""

from __future__ import annotations

import numpy as np

from gpugrad.random._f32 import erfinv_f32

__all__ = ["erf64", "erfc64", "erfinv64"]

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
        >>> import numpy as np
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


def erfc64(x: np.ndarray) -> np.ndarray:
    """float64 complementary error function for ``x >= 0`` (accurate in the tail)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return np.where(x < _SPLIT, 1.0 - _erf_series(np.minimum(x, _SPLIT)),
                        _erfc_cf(np.maximum(x, _SPLIT)))


def erfinv64(u: np.ndarray) -> np.ndarray:
    """float64 inverse error function (Newton on erf, or on erfc in the tails).

    Example:
        >>> import numpy as np
        >>> erfinv64(np.array([0.0, 1.0, -1.0])).tolist()
        [0.0, inf, -inf]
    """
    u = np.asarray(u, dtype=np.float64)
    a = np.abs(u)
    start = np.clip(a, 0.0, float(np.nextafter(np.float32(1), np.float32(0))))
    y = erfinv_f32(start.astype(np.float32)).astype(np.float64)
    q = 1.0 - a  # exact for a >= 0.5 (Sterbenz), so the tail keeps its precision
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for _ in range(4):
            deriv = _TWO_OVER_SQRT_PI * np.exp(-y * y)
            ec = erfc64(np.maximum(y, 0.0))
            # In the tail, Newton on log(erfc(y)) = log(q): nearly quadratic in y, so it
            # converges from the float32 start even when that start is far (|u| ~ 1).
            step = np.where(y >= _SPLIT, (np.log(q) - np.log(ec)) * ec / deriv,
                            (erf64(y) - a) / deriv)
            y = y - step
        y = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, y))
    return np.copysign(y, u)
