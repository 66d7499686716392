"""XLA:CPU's float32 special functions, rounding for rounding, on NumPy (prng.md 6.1-6.3, 7).

Bit-exactness with jaxlib 0.10.2 needs every rounding in the same place, so each step below
is one IEEE float32 operation (NumPy's float32 ufuncs round correctly) or an exact fused
multiply-add :func:`fma32`, in the order of the spec. Nothing here may be "simplified".

Example:
    >>> float(erfinv_f32(np.float32([0.5]))[0])
    0.4769362807273865
"""

from __future__ import annotations

import numpy as np

__all__ = ["ERF_CLAMP_FUSED", "erf_f32", "erfinv_f32", "fma32", "fma64", "log1p_f32", "log_f32"]

F32 = np.float32


def _c(bits: int) -> np.float32:
    """A float32 constant from its exact bit pattern."""
    return np.frombuffer(np.uint32(bits).tobytes(), dtype=np.float32)[0]


def _round_to_odd_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` in float64 rounded *to odd* (TwoSum error decides the sticky bit).

    Rounding to odd at 53 bits and then to nearest at 24 (or fewer) bits equals one
    rounding to nearest (Boldo and Melquiond), which plain double rounding does not.
    """
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    a, b = np.atleast_1d(a), np.atleast_1d(b)  # 0-d arithmetic would give immutable scalars
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    bits = s.view(np.uint64).copy()
    need = (err != 0) & ((bits & np.uint64(1)) == 0) & np.isfinite(s)
    away = (err > 0) == (s > 0)  # the exact value is farther from zero than s
    bits[need & away] += np.uint64(1)
    bits[need & ~away] -= np.uint64(1)
    return bits.view(np.float64).reshape(shape)


def fma32(a: object, b: object, c: object) -> np.ndarray:
    """Exact float32 ``fma(a, b, c)``: ``a*b + c`` rounded once.

    The float32 product is exact in float64, so only the sum is inexact. Casting the
    float64 sum to float32 rounds twice, which differs from one rounding only when the
    float64 sum lands exactly on a float32 midpoint (or in float32's subnormal range);
    those rare elements are recomputed with a round-to-odd sum.

    Example:
        >>> a = np.float32(1 + 2**-12)
        >>> fma32(a, a, np.float32(-1))[()] == np.float32(2**-11 + 2**-24)
        np.True_
    """
    a64 = np.asarray(a, dtype=F32).astype(np.float64)
    b64 = np.asarray(b, dtype=F32).astype(np.float64)
    c64 = np.asarray(c, dtype=F32).astype(np.float64)
    p = a64 * b64
    s = np.asarray(p + c64)
    low = s.view(np.uint64) & np.uint64(0x1FFFFFFF)  # the 29 bits float32 drops
    suspect = (low == np.uint64(0x10000000)) | (np.abs(s) < 2.0**-125)
    if suspect.any():
        pb = np.broadcast_to(p, s.shape)[suspect]
        cb = np.broadcast_to(c64, s.shape)[suspect]
        s = s.copy()
        s[suspect] = _round_to_odd_sum(pb, cb)
    with np.errstate(over="ignore"):
        return s.astype(F32)


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's exact product ``a*b == hi + lo`` in float64 (Veltkamp splitting)."""
    hi = a * b

    def halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = 134217729.0 * x  # 2**27 + 1
        xh = t - (t - x)
        return xh, x - xh

    ah, al = halves(a)
    bh, bl = halves(b)
    lo = ((ah * bh - hi) + ah * bl + al * bh) + al * bl
    return hi, lo


def fma64(a: object, b: object, c: object) -> np.ndarray:
    """Exact float64 ``fma(a, b, c)`` (Boldo-Melquiond: exact product, round-to-odd sum).

    Example:
        >>> a = 1 + 2.0**-30
        >>> float(fma64(a, a, -1.0)) == 2.0**-29 + 2.0**-60
        True
    """
    a64, b64, c64 = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    a64, b64, c64 = np.broadcast_arrays(a64, b64, c64)
    with np.errstate(over="ignore", invalid="ignore"):
        uh, ul = _two_prod(a64, b64)
        th = c64 + uh
        bb = th - c64
        tl = (c64 - (th - bb)) + (uh - bb)
        v = _round_to_odd_sum(np.asarray(tl), np.asarray(ul))
        out = th + v
        # Infinite or NaN operands: the error terms are meaningless, use the plain result.
        plain = a64 * b64 + c64
        return np.where(np.isfinite(plain), out, plain)


# --- log (prng.md 6.3) -------------------------------------------------------------------
_LOG_P = [_c(h) for h in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF,
                          0xBE2AAE50, 0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]
_LOG_Q1, _LOG_Q2 = _c(0xB95E8083), _c(0x3F318000)
_TINY = _c(0x00800000)  # 2**-126, the smallest normal float32
_SQRT_HALF = _c(0x3F3504F3)


def log_f32(v: np.ndarray) -> np.ndarray:
    """XLA:CPU's float32 natural log (Cephes-style, explicit FMAs, 6.3 of prng.md).

    Example:
        >>> log_f32(np.float32([1.0, 0.0, -1.0])).tolist()
        [0.0, -inf, nan]
    """
    v = np.asarray(v, dtype=F32)
    vv = np.where(v > _TINY, v, _TINY)
    ib = vv.view(np.uint32)
    e = ((ib >> 23).astype(np.int32) - 127).astype(F32) + F32(1.0)
    mant = ((ib & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(F32)
    small = mant < _SQRT_HALF
    e = np.where(small, e - F32(1.0), e)
    x = np.where(small, (mant - F32(1.0)) + mant, (mant - F32(1.0)) + F32(0.0))
    x2 = x * x
    x3 = x2 * x
    p = _LOG_P
    y = fma32(fma32(x, p[0], p[1]), x, p[2])
    y1 = fma32(fma32(x, p[3], p[4]), x, p[5])
    y2 = fma32(fma32(x, p[6], p[7]), x, p[8])
    y = fma32(x3, y, y1)
    y = fma32(x3, y, y2)
    a = fma32(F32(-0.5), x2, x)
    b = fma32(x3, y, e * _LOG_Q1)
    r = fma32(e, _LOG_Q2, a + b)
    with np.errstate(invalid="ignore"):
        r = np.where(v == 0, F32(-np.inf), r)
        r = np.where(v == np.inf, F32(np.inf), r)
        r = np.where((v < 0) | np.isnan(v), F32(np.nan), r)
    return r.astype(F32)


# --- log1p (prng.md 6.2) -----------------------------------------------------------------
_LP = [_c(h) for h in (0x383DE04B, 0x3EFF40C5, 0x40D284FA, 0x41EF4B9C, 0x4273CC76,
                       0x426473AD, 0x41A05101)]
_LQ = [_c(h) for h in (0x3F800000, 0x417101AD, 0x42A6185B, 0x435DC32D, 0x439A8CA3,
                       0x43586D8A, 0x42707982)]
_LOG1P_SPLIT = _c(0x3ED413CD)  # sqrt(2) - 1


def log1p_f32(m: np.ndarray) -> np.ndarray:
    """XLA:CPU's float32 ``log1p`` (rational approximation for small ``|m|``, else log).

    Example:
        >>> float(log1p_f32(np.float32([-0.5]))[0])
        -0.6931471824645996
    """
    m = np.asarray(m, dtype=F32)
    m2 = m * m
    q = np.full_like(m, _LQ[0])
    for c in _LQ[1:]:
        q = fma32(q, m, c)
    p = np.full_like(m, _LP[0])
    for c in _LP[1:]:
        p = fma32(p, m, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (m * m2) * (p / q)
        small = m + fma32(F32(-0.5), m2, t)
    large = log_f32(F32(1.0) + m)
    return np.where(np.abs(m) < _LOG1P_SPLIT, small, large).astype(F32)


# --- erfinv (prng.md 6.1) ----------------------------------------------------------------
_CENTRAL = [_c(h) for h in (0x32F16588, 0x34B84B36, 0xB66C7357, 0xB6935AC1, 0x396532DB,
                            0xBAA45408, 0xBB88E4EF, 0x3E7C8F63, 0x3FC02E2F)]
_TAIL = [_c(h) for h in (0xB951F09B, 0x38D3B56B, 0x3AB0DC72, 0xBB70BDE7, 0x3BBC127B,
                         0xBBF9C5D7, 0x3C1AA57E, 0x3F8036DB, 0x40354F7E)]


def erfinv_f32(x: np.ndarray) -> np.ndarray:
    """XLA:CPU's float32 ``erfinv`` (Giles' approximation, FMA Horner, subnormals flushed).

    Example:
        >>> erfinv_f32(np.float32([0.0, 1.0, -1.0, 0.99999994])).tolist()
        [0.0, inf, -inf, 3.8325066566467285]
    """
    x = np.asarray(x, dtype=F32)
    l = log1p_f32(x * -x)  # x * (-x) is rounded on its own, not fused with log1p's first add
    central = l > F32(-5.0)
    with np.errstate(invalid="ignore"):
        t = np.where(central, F32(-2.5) - l, np.sqrt(-l) + F32(-3.0))
    if central.all():  # the common case: skip the coefficient selection
        coeffs: list[object] = list(_CENTRAL)
    else:
        coeffs = [np.where(central, c, d) for c, d in zip(_CENTRAL, _TAIL)]
    p = fma32(t, coeffs[0], coeffs[1])
    for c in coeffs[2:]:
        p = fma32(t, p, c)
    r = x * np.where(np.abs(x) == F32(1.0), F32(np.inf), p)
    # XLA:CPU flushes subnormal results to (signed) zero.
    r = np.where(np.abs(r) < _TINY, np.copysign(F32(0.0), r), r)
    return np.asarray(r, dtype=F32)


# --- erf (prng.md 7) ---------------------------------------------------------------------
_ERF_N = [_c(h) for h in (0x39702D51, 0x3B5F5DA2, 0x3D50B6EB, 0x3E3DA740, 0x3F906EBA)]
_ERF_D = [_c(h) for h in (0xB3FD3906, 0x37C588DF, 0x3A856D28, 0x3C6687D4, 0x3DE34C21,
                          0x3EFEB44A, 0x3F800000)]
_ERF_CLAMP = _c(0x407547CB)  # erf as its own XLA op (a library kernel): 3.8325069
# Inside a fusion (truncated_normal's ``erf(lower / sqrt2)``) XLA:CPU's elemental emitter
# clamps at erfinv(1 - 2**-24) = 3.7439212 instead (read from its LLVM IR, jaxlib 0.10.2).
ERF_CLAMP_FUSED = _c(0x406F9C68)


def _horner(x2: np.ndarray, coeffs: list[np.float32]) -> np.ndarray:
    acc = fma32(x2, coeffs[0], coeffs[1])
    for c in coeffs[2:]:
        acc = fma32(x2, acc, c)
    return acc


def erf_f32(x: np.ndarray, clamp: np.float32 = _ERF_CLAMP) -> np.ndarray:
    """XLA:CPU's float32 ``erf`` (rational approximation, +-1 from ``|x| >= clamp``).

    ``clamp`` is 3.8325069 for a standalone erf and :data:`ERF_CLAMP_FUSED` for an erf
    fused with other operations.

    Example:
        >>> erf_f32(np.float32([0.0, 10.0, -10.0])).tolist()
        [0.0, 1.0, -1.0]
    """
    x = np.asarray(x, dtype=F32)
    x2 = x * x
    n = x * _horner(x2, _ERF_N)
    d = _horner(x2, _ERF_D)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = n / d
    return np.where(np.abs(x) >= clamp, np.copysign(F32(1.0), x), r).astype(F32)
