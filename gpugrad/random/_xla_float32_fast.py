"""Fast NumPy evaluation of the float32 ``erfinv`` recipe, bit-identical to
:mod:`._xla_float32`.

:func:`gpugrad.random._xla_float32.erfinv_f32` is the literal, step-by-step reference
(prng.md 6.1-6.3): every ``fma`` goes through the general emulation ``fma32`` (casts, a float64
multiply-add, a midpoint test and a round-to-odd repair, ~11 array passes), and both
branches of ``log1p`` and ``erfinv`` are evaluated for every element. This module does the
same roundings in the same order, about 8x faster (``normal`` 1e7: 1.25 s -> 0.2 s):

* **Chunks and buffers.** ``CHUNK`` elements at a time, in preallocated buffers (``out=``
  everywhere): no large temporaries, and the ~100 passes per element stay in L2.
* **Branches on their own elements.** Each chunk is permuted once so that log1p's rational
  branch (|x| < 0.6436) and its log branch are contiguous slices, and scattered back once
  at the end; erfinv's tail branch (|x| > 0.9966, ~0.3 %) is redone on its own subset.
* **fma = float64 multiply, float64 add, cast to float32.** Operands are float32 values
  held in float64 arrays, so ``a*b`` is exact (24 + 24 bits <= 53); the only roundings
  are the float64 sum and the cast. This double rounding differs from the fma's single
  rounding only if the float64 sum is inexact *and* lands exactly on a float32 midpoint
  (or is inexact below 2**-125). Many sums here are inexact (a small ``m`` against a large
  coefficient: the product's low bits fall off), but those are harmless when ``|a*b|`` is
  far below half a float32 ulp of ``c``; whether a midpoint can ever be hit is not
  decidable from value ranges alone, so it was settled by exhaustion: over all 2**30
  float32 inputs in [0, 1) -- which covers (-1, 1), as everything before the final
  ``x * p`` depends on ``x*x`` only -- no fma sum below is ever both inexact and on a
  midpoint, nor inexact and tiny (``python -m tools.verify_fma32``, ~2 minutes;
  re-run it after any change to this module). So no repair step is needed.
* **fmas that are float32 operations.** ``fma(-0.5, y, z)`` and ``fma(e, Q2, r)`` have
  products that are exact in float32 (a power-of-two scaling; the Cody-Waite constant
  ``Q2 = 355/512`` times an integer exponent of at most 8 bits), and ``fma(1.0, m, c)`` is
  an addition: one float32 operation rounds them exactly like the fma.

Example:
    >>> x = np.float32([0.5, -0.99999994, 0.0, 1e-30])
    >>> bool((erfinv_f32(x) == _xla_float32.erfinv_f32(x)).all())
    True
"""

from __future__ import annotations

import math

import numpy as np

from gpugrad.random import _xla_float32

__all__ = ["CHUNK", "affine_f32", "erfinv_f32", "erfinv_into", "normal_from_bits"]

F32 = np.float32
# 2**15 elements: ~0.3 ms of work per chunk amortises the ~0.5 us per ufunc call of its
# ~200 calls, while the few buffers live at a time still mostly fit in L2 (measured: 2**13
# is 1.6x slower, 2**16 3% faster with twice the scratch memory).
CHUNK = 1 << 15

_CENTRAL = [float(c) for c in _xla_float32._CENTRAL]
_TAIL = [float(c) for c in _xla_float32._TAIL]
_LP = [float(c) for c in _xla_float32._LP]
_LQ = [float(c) for c in _xla_float32._LQ]
_LOG_P = [float(c) for c in _xla_float32._LOG_P]
_LOG_Q1, _LOG_Q2 = _xla_float32._LOG_Q1, _xla_float32._LOG_Q2
_LOG1P_SPLIT = _xla_float32._LOG1P_SPLIT
_SQRT_HALF = _xla_float32._SQRT_HALF
_TINY = _xla_float32._TINY


class _Scratch:
    """Named per-chunk buffers of one call, reused by every chunk (sliced for subsets)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._bufs: dict[str, np.ndarray] = {}

    def __call__(self, name: str, n: int, dtype: type = np.float64) -> np.ndarray:
        buf = self._bufs.get(name)
        if buf is None:
            buf = self._bufs[name] = np.empty(self.n, dtype)
        return buf[:n]


def _round32(acc: np.ndarray, r32: np.ndarray) -> None:
    """Round the float64 values of ``acc`` to float32, in place (``r32`` gets them too)."""
    np.copyto(r32, acc, casting="same_kind")  # IEEE round to nearest even
    np.copyto(acc, r32)


def _fma(a: np.ndarray, b: np.ndarray | float, c: np.ndarray | float, acc: np.ndarray,
         r32: np.ndarray) -> None:
    """``acc = fma(a, b, c)`` rounded to float32 (``r32`` gets the float32 values too)."""
    np.multiply(a, b, out=acc)  # exact: float32 * float32 fits in 53 bits
    np.add(acc, c, out=acc)  # may be inexact, never on a float32 midpoint (tools/verify_fma32.py)
    _round32(acc, r32)


def _horner(t: np.ndarray, coeffs: list[float], acc: np.ndarray, r32: np.ndarray) -> None:
    """``acc = fma(t, c0, c1)``, then ``acc = fma(t, acc, c)`` for the other ``c``."""
    _fma(t, coeffs[0], coeffs[1], acc, r32)
    for c in coeffs[2:]:
        _fma(t, acc, c, acc, r32)


def _log1p_small(m: np.ndarray, out: np.ndarray, s: _Scratch) -> None:
    """log1p_f32(m) for ``|m| < sqrt(2) - 1`` (prng.md 6.2, rational branch), into ``out``."""
    n = m.size
    m64, q64, p64 = s("m64", n), s("q64", n), s("p64", n)
    m2, q32, p32, t = s("m2", n, F32), s("q32", n, F32), s("p32", n, F32), s("t", n, F32)
    np.copyto(m64, m)
    np.multiply(m, m, out=m2)
    # Q starts at 1.0, so its first fma is the float32 addition m + LQ1.
    np.add(m, F32(_LQ[1]), out=q32)
    np.copyto(q64, q32)
    for c in _LQ[2:]:
        _fma(q64, m64, c, q64, q32)
    _horner(m64, _LP, p64, p32)
    np.divide(p32, q32, out=p32)  # ratio = P / Q
    np.multiply(m, m2, out=t)
    np.multiply(t, p32, out=t)  # (m * m2) * ratio
    # fma(-0.5, m2, t): -0.5 * m2 is exact in float32 (m2 >= 2**-125; below that the term
    # is under half an ulp of m in the final sum either way), so a float32 add rounds alike.
    np.multiply(m2, F32(-0.5), out=m2)
    np.add(m2, t, out=t)
    np.add(m, t, out=out)


def _log(v: np.ndarray, out: np.ndarray, s: _Scratch) -> None:
    """log_f32(v) for normal positive finite ``v`` (prng.md 6.3; no special cases)."""
    n = v.size
    x64, x364, y, y1, y2 = (s(name, n) for name in ("x64", "x364", "y", "y1", "y2"))
    e, mant, x, x2, r32 = (s(name, n, F32) for name in ("e", "mant", "x", "x2", "r32"))
    ib, lt = s("ib", n, np.uint32), s("lt", n, np.bool_)
    vb = v.view(np.uint32)
    np.right_shift(vb, 23, out=ib)
    np.subtract(ib, np.uint32(126), out=ib)  # (biased exponent - 127) + 1, as an integer
    np.copyto(e, ib.view(np.int32), casting="unsafe")  # exact int -> float conversion
    np.bitwise_and(vb, np.uint32(0x807FFFFF), out=ib)
    np.bitwise_or(ib, np.uint32(0x3F000000), out=ib)
    np.copyto(mant, ib.view(F32))
    np.less(mant, _SQRT_HALF, out=lt)
    np.subtract(e, lt, out=e, casting="unsafe")  # e - 1.0 where mant < sqrt(1/2)
    np.subtract(mant, F32(1.0), out=x)
    # x = (mant - 1) + mant below sqrt(1/2), else (mant - 1) + 0: multiply by 0/1 is exact.
    np.multiply(mant, lt, out=mant, casting="unsafe")
    np.add(x, mant, out=x)
    np.multiply(x, x, out=x2)
    np.copyto(x64, x)
    np.multiply(x2, x, out=r32)  # x3
    np.copyto(x364, r32)
    _horner(x64, _LOG_P[0:3], y, r32)
    _horner(x64, _LOG_P[3:6], y1, r32)
    _horner(x64, _LOG_P[6:9], y2, r32)
    _fma(x364, y, y1, y, r32)
    _fma(x364, y, y2, y, r32)
    np.multiply(e, _LOG_Q1, out=mant)  # e * Q1, rounded on its own
    _fma(x364, y, mant, y, r32)  # b
    # a = fma(-0.5, x2, x): -0.5 * x2 is exact (x is a multiple of 2**-24, so x2 >= 2**-48).
    np.multiply(x2, F32(-0.5), out=x2)
    np.add(x2, x, out=x2)
    np.add(x2, r32, out=r32)  # a + b
    np.multiply(e, _LOG_Q2, out=e)  # exact: |e| <= 128 times a 9-bit constant
    np.add(e, r32, out=out)  # fma(e, Q2, a + b)


def erfinv_into(x: np.ndarray, out: np.ndarray, scale: np.float32, s: _Scratch,
                flush: bool = True) -> None:
    """``out = scale * erfinv_f32(x)`` for one chunk of float32 ``x`` with ``|x| < 1``.

    ``flush=False`` skips the flush of subnormal results, for callers whose inputs have
    ``|x| >= 2**-125`` (then ``|x * p| > 2**-126``, as ``p >= 0.88``).
    """
    n = x.size
    xx = np.multiply(x, x, out=s("xx", n, F32))
    small = np.less(xx, _LOG1P_SPLIT, out=s("small", n, np.bool_))  # log1p's |m| < split
    k = int(np.count_nonzero(small))
    order = None
    if 0 < k < n:
        # Sort the chunk by log1p branch once (|x| < 0.6436 first): each branch then runs
        # on a contiguous slice, and the results are scattered back once at the end.
        order = s("order", n, np.intp)
        np.concatenate((np.flatnonzero(small), np.flatnonzero(~small)), out=order)
        x = np.take(x, order, out=s("x_sorted", n, F32))
        np.multiply(x, x, out=xx)
    # l = log1p(m) with m = x * (-x), which rounds exactly like -(x*x).
    m, l = np.negative(xx, out=s("m", n, F32)), s("l", n, F32)
    if k:
        _log1p_small(m[:k], l[:k], s)
    if k < n:
        v = np.add(m[k:], F32(1.0), out=s("v", n - k, F32))  # 1 + m, in (2**-24, 0.59)
        _log(v, l[k:], s)
    # erfinv's central branch for every element (w < 5: all but ~0.3 % of normal's)...
    p32, t64, p64 = s("erf_p32", n, F32), s("t64", n), s("erf_p64", n)
    np.subtract(F32(-2.5), l, out=p32)  # t = -2.5 - l
    np.copyto(t64, p32)
    _horner(t64, _CENTRAL, p64, p32)
    # ... then the tail branch (not l > -5) on its own subset, overwriting those elements.
    tail = np.less_equal(l, F32(-5.0), out=s("tail", n, np.bool_))
    if tail.any():
        idx = np.flatnonzero(tail)
        j = idx.size
        tt = np.take(l, idx, out=s("tail_t", j, F32))
        np.negative(tt, out=tt)
        np.sqrt(tt, out=tt)  # correctly rounded float32 sqrt
        np.add(tt, F32(-3.0), out=tt)
        tt64, acc, r32 = s("tail_t64", j), s("tail_acc", j), s("tail_r32", j, F32)
        np.copyto(tt64, tt)
        _horner(tt64, _TAIL, acc, r32)
        p32[idx] = r32
    r = out if order is None else s("r", n, F32)
    np.multiply(x, p32, out=r)
    if flush:  # XLA:CPU flushes subnormal results; only |x| < ~2**-126 can produce one
        tiny = np.less(np.abs(r, out=xx), _TINY, out=s("tiny", n, np.bool_))
        if tiny.any():
            r[tiny] = np.copysign(F32(0.0), r[tiny])
    np.multiply(r, scale, out=r)
    if order is not None:
        out[order] = r


def erfinv_f32(x: np.ndarray, scale: float | np.floating = 1.0,
               out: np.ndarray | None = None) -> np.ndarray:
    """``scale * erfinv_f32(x)`` (rounded twice: erfinv, then the product), fast path.

    Chunks with inputs outside (-1, 1) (or NaN) go to the reference implementation.
    ``out`` may be ``x`` itself (a float32 C-contiguous array): chunk i is read before
    it is written.

    Example:
        >>> erfinv_f32(np.float32([0.5, 1.0])).tolist()
        [0.4769362807273865, inf]
    """
    x = np.asarray(x, dtype=F32, order="C")
    flat = x.reshape(-1)
    res = np.empty_like(x) if out is None else out
    dst = res.reshape(-1)
    s = _Scratch(min(CHUNK, max(flat.size, 1)))
    sc = F32(scale)
    for start in range(0, flat.size, CHUNK):
        part, part_out = flat[start:start + CHUNK], dst[start:start + CHUNK]
        if bool((np.abs(part) < F32(1.0)).all()):
            erfinv_into(part, part_out, sc, s)
        else:
            np.multiply(_xla_float32.erfinv_f32(part), sc, out=part_out)
    return res


_NORMAL_LO = np.nextafter(F32(-1.0), F32(0.0))  # -0.99999994
_SQRT2 = F32(np.sqrt(2.0))  # 1.4142135


def normal_from_bits(bits: np.ndarray) -> np.ndarray:
    """``normal``'s float32 values from its uint32 ``bits``, computed into the same memory.

    Example:
        >>> normal_from_bits(np.uint32([0, 2**31, 2**32 - 1])).tolist()
        [-5.41998291015625, 7.470333684977959e-08, 5.2201128005981445]
    """
    flat = bits.reshape(-1)
    out = flat.view(F32)  # chunk i of the output only depends on chunk i of the bits
    s = _Scratch(min(CHUNK, max(flat.size, 1)))
    for start in range(0, flat.size, CHUNK):
        b = flat[start:start + CHUNK]
        u = s("u", b.size, F32)
        ub = u.view(np.uint32)
        np.right_shift(b, np.uint32(9), out=ub)
        np.bitwise_or(ub, np.uint32(0x3F800000), out=ub)
        np.subtract(u, F32(1.0), out=u)  # f in [0, 1), a multiple of 2**-23
        # uniform(lo, 1): span = 1 - lo rounds to 2, and fma(f, 2, lo) = 2*f + lo is exact
        # (a multiple of 2**-24 in (-1, 1)), so two float32 operations give it; max(lo, u)
        # is then u itself. Hence also |u| < 1 and |u| >= 2**-24, as erfinv_into needs.
        np.multiply(u, F32(2.0), out=u)
        np.add(u, _NORMAL_LO, out=u)
        erfinv_into(u, out[start:start + b.size], _SQRT2, s, flush=False)
    return out.reshape(bits.shape)


def _lowbit_exp(v: float) -> int:
    """The exponent of the lowest set bit of a finite nonzero float (v = odd * 2**result)."""
    mant, exp = math.frexp(v)
    m = int(abs(mant) * 2**53)
    return exp - 53 + (m & -m).bit_length() - 1


def _fma_sum_is_exact(span: float, lo: float) -> bool:
    """Whether ``f * span + lo`` is a float64 number for every f = k * 2**-23, k < 2**23.

    The product is a multiple of 2**(lowbit(span) - 23) and lo of 2**lowbit(lo), so the
    sum is an integer multiple of 2**low below |span| + |lo|: exact if that fits 53 bits.
    """
    if not (math.isfinite(span) and math.isfinite(lo)):
        return False
    lows = [_lowbit_exp(span) - 23] if span else []
    lows += [_lowbit_exp(lo)] if lo else []
    # (A float64 sum is correctly rounded and the bound a power of two: no false "exact".)
    return not lows or abs(span) + abs(lo) < math.ldexp(1.0, 53 + min(lows))


def affine_f32(f: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
    """``max(lo, fma(f, hi - lo, lo))`` in place on float32 ``f`` (uniform's affine map).

    Only for scalar bounds whose float64 sum is exact (``_fma_sum_is_exact``: then the cast
    to float32 is the fma's single rounding); returns ``None`` for the caller's general
    path otherwise.

    Example:
        >>> affine_f32(np.float32([0.0, 0.5]), np.float32(0.1), np.float32(0.7)).tolist()
        [0.10000000149011612, 0.3999999761581421]
    """
    if lo.size != 1 or hi.size != 1:
        return None
    lo32, span32 = F32(lo.reshape(-1)[0]), F32(hi.reshape(-1)[0] - lo.reshape(-1)[0])
    span, low = float(span32), float(lo32)
    if span == 1.0 and low == 0.0 and not math.copysign(1.0, low) < 0:
        return f  # [0, 1): fma(f, 1, +0) = f, and max(+0, f) = f as f >= +0
    if not _fma_sum_is_exact(span, low):
        return None
    flat = f.reshape(-1)
    buf = np.empty(min(CHUNK, flat.size))
    for start in range(0, flat.size, CHUNK):
        part = flat[start:start + CHUNK]
        acc = buf[:part.size]
        np.copyto(acc, part)
        np.multiply(acc, span, out=acc)
        np.add(acc, low, out=acc)
        with np.errstate(over="ignore"):
            np.copyto(part, acc, casting="same_kind")
        np.maximum(lo32, part, out=part)
    return f
