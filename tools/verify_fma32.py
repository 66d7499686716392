"""Exhaustive proof that :mod:`gpugrad.random._xla_float32_fast`'s float64 fmas never
double-round.

``_xla_float32_fast._fma`` computes ``a*b + c`` in float64 (the product is exact) and casts the
sum to float32. That equals the single rounding of a true fma unless the float64 sum is inexact
*and* lands exactly on a float32 midpoint (or inexact in float32's subnormal range). This
tool runs ``_xla_float32_fast.erfinv_f32`` on every float32 ``x`` in [0, 1) (2**30 values)
with ``_fma`` instrumented: for every sum it computes the TwoSum error and tests the midpoint
bit pattern. erfinv's internal values depend on ``x*x`` only (its result is
``x * p(x*x)``), so [0, 1) covers all of (-1, 1), and with it every input ``normal`` and
``truncated_normal`` can produce. Zero "inexact at a midpoint" and zero "inexact, tiny"
counts over the whole range prove the fast path bit-identical to the reference recipe.

Re-run it after any change to ``_xla_float32_fast`` (about 2 minutes on one core)::

    python -m tools.verify_fma32            # all 2**30 inputs
    python -m tools.verify_fma32 0.5 0.6    # a sub-range, plus a reference comparison

Example:
    >>> stats = check_range(0x3F000000, 0x3F000000 + 4096)
    >>> int(sum(v[2] + v[3] for v in stats.values()))  # unsafe sums
    0
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import Any

import numpy as np

from gpugrad.random import _xla_float32, _xla_float32_fast

__all__ = ["check_range"]

_LOW29, _HALF29 = np.uint64(0x1FFFFFFF), np.uint64(0x10000000)


def _instrumented(stats: dict[Any, np.ndarray]) -> Any:
    """A drop-in ``_xla_float32_fast._fma`` that tallies each call site's sums, then computes."""
    plain = _xla_float32_fast._fma

    def fma(a: np.ndarray, b: Any, c: Any, acc: np.ndarray, r32: np.ndarray) -> None:
        caller = sys._getframe(1)
        if caller.f_code.co_name == "_horner":  # name the site by coefficient
            site = (caller.f_back.f_code.co_name if caller.f_back else "?",
                    c if isinstance(c, float) else "acc")
        else:
            site = (caller.f_code.co_name, c if isinstance(c, float) else caller.f_lineno)
        with np.errstate(all="ignore"):
            p = np.multiply(a, b)
            s = p + c
            bb = s - p
            err = (p - (s - bb)) + (c - bb)  # TwoSum: the exact sum is s + err
            inexact = err != 0
            mid = (s.view(np.uint64) & _LOW29) == _HALF29
            tiny = np.abs(s) < 2.0**-125
            tally = stats[site]
            tally += [s.size, np.count_nonzero(inexact), np.count_nonzero(inexact & mid),
                      np.count_nonzero(inexact & tiny)]
        plain(a, b, c, acc, r32)

    return fma


def check_range(lo_bits: int, hi_bits: int, compare: bool = False) -> dict[Any, np.ndarray]:
    """Per fma site: [sums, inexact, inexact at a midpoint, inexact and tiny] over the
    float32 bit patterns ``lo_bits <= bits < hi_bits``; asserts equality with the
    reference :func:`._xla_float32.erfinv_f32` when ``compare``."""
    stats: dict[Any, np.ndarray] = defaultdict(lambda: np.zeros(4, np.int64))
    plain = _xla_float32_fast._fma
    _xla_float32_fast._fma = _instrumented(stats)
    try:
        for start in range(lo_bits, hi_bits, 1 << 22):
            bits = np.arange(start, min(start + (1 << 22), hi_bits), dtype=np.uint32)
            x = bits.view(np.float32)
            got = _xla_float32_fast.erfinv_f32(x)
            if compare:
                want = _xla_float32.erfinv_f32(x)
                assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    finally:
        _xla_float32_fast._fma = plain
    return dict(stats)


def main(argv: list[str]) -> int:
    if argv:
        lo, hi = (int(np.float32(v).view(np.uint32)) for v in argv[:2])
    else:
        lo, hi = 0, 0x3F800000  # every float32 in [0, 1)
    t0 = time.perf_counter()
    stats = check_range(lo, hi, compare=bool(argv))
    bad = 0
    for site, (n, inexact, mid, tiny) in sorted(stats.items(), key=str):
        print(f"{site!s:55} sums {n:>11}  inexact {inexact:>11}  at midpoint {mid}  tiny {tiny}")
        bad += int(mid + tiny)
    verdict = "no sum can double-round" if bad == 0 else f"{bad} UNSAFE SUMS"
    print(f"{hi - lo} float32 inputs in {time.perf_counter() - t0:.0f} s: {verdict}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
