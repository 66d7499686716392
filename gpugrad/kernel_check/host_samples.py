"""Inputs for running kernels on the host, and the comparison of their outputs with NumPy's.

Sampling. Every floating input gets the edge values of its dtype (both zeros, both
infinities, NaN, the smallest subnormal and normal numbers, the largest finite ones, the
points where ``log``, ``sqrt``, ``arcsin``, ``arccosh``, ``arctanh`` and the gamma functions
change behaviour: 0, +-1, +-0.5, the negative integers) and random values, both
log-uniform over many binades and uniform on [-1.5, 1.5]. A kernel of one input sees each
edge value; one of two or more inputs sees every pair of edge values in its first two
inputs, the rest random; all see the random rows. Integers: 0, +-1, the extremes and random
values; booleans: random. The seed is the kernel's name, so a run is reproducible.

Tolerances, in units in the last place of the output dtype (:data:`ULPS`). The host's
``libm`` and NumPy's own loops (SIMD ones for float32 and, on AVX-512, float64) round
transcendental functions differently within a few ulps each, and a VJP formula chains
several of them, so a last-ulp difference of one intermediate may show in the result, and
be amplified where the formula subtracts nearly equal values. An output is accepted when:

* both are NaN, or equal (a zero's sign included: the sign of zero is not allowed to
  differ), or both infinite with the same sign;
* else, neither infinite, and within ``ULPS[dtype]`` ulps of each other;
* or (float16 and float32) the host value is no further, give or take ``ULPS`` ulps, from
  the same formula evaluated by NumPy in float64 than NumPy's own value is;
* or the two differ by at most ``ULPS`` ulps *of the largest intermediate value* of the
  formula (computed in float64): the rounding error a cancellation leaves. The values of
  the operations in :data:`UNIT_SCALE_OPS` count as at least 1 there: gpugrad's NumPy
  evaluation of each subtracts terms of magnitude ~1 (``erfc`` is ``1 - erf(x)`` for
  ``|x| < 1``, within 3.3 ulps of 1 of glibc's; ``gammaln`` near its zeros at 1, 2 and
  between the negative poles comes from the reflection formula), so a result much smaller
  than 1 carries an absolute error of a few ulps of 1 there.

float16 kernels compute in float and round once at the end (codegen's documented choice),
so their reference is NumPy's evaluation on the inputs converted to float32, rounded to
float16 at the end; NumPy evaluating in float16 itself rounds after every operation.

Example:
    >>> above = np.nextafter(np.float32(1), np.float32(2))
    >>> ulp_distance(np.float32([1.0, 0.0, 1.0]), np.float32([above, -0.0, 1.5])).tolist()
    [1, 0, 4194304]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["ULPS", "UNIT_SCALE_OPS", "accept", "sample_inputs", "ulp_distance"]

Array = np.ndarray[Any, Any]

ULPS = {"float16": 1, "float32": 4, "float64": 4}
UNIT_SCALE_OPS = frozenset({"erfc", "gammaln"})
RANDOM_ROWS = 192
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def _float_edges(dtype: np.dtype[Any]) -> Array:
    info = np.finfo(dtype)
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 10.0, -10.0, 0.1, -2.5,
             np.inf, -np.inf, np.nan, float(info.tiny), -float(info.tiny),
             float(info.smallest_subnormal), -float(info.smallest_subnormal),
             float(info.max), -float(info.max), float(np.nextafter(dtype.type(1), 2)),
             float(np.nextafter(dtype.type(1), 0)), float(np.nextafter(dtype.type(-1), -2)),
             float(np.nextafter(dtype.type(-1), 0)), 1.5707963267948966, 100.0]
    return np.array(edges, dtype=dtype)


def _float_random(dtype: np.dtype[Any], rng: np.random.Generator, n: int) -> Array:
    span = {"float16": 4, "float32": 30, "float64": 200}.get(dtype.name, 30)
    logs = rng.uniform(-span, span, n // 2)
    wide = np.exp(logs) * rng.choice([-1.0, 1.0], n // 2)
    narrow = rng.uniform(-1.5, 1.5, n - n // 2)
    return np.concatenate([wide, narrow]).astype(dtype)


def _int_values(dtype: np.dtype[Any], rng: np.random.Generator, n: int) -> Array:
    info = np.iinfo(dtype)
    wrap = 1 << (8 * dtype.itemsize)  # unsigned: -1 is the largest value, as C converts it
    edges = np.array([e % wrap if dtype.kind == "u" else e for e in
                      (0, 1, -1, 2, -2, 3, -7, 100, info.min, info.max, info.min + 1)],
                     dtype=dtype)
    small = rng.integers(max(-1000, info.min), 1000, n // 2, dtype=dtype)
    full = rng.integers(info.min, info.max, n - n // 2, dtype=dtype, endpoint=True)
    return np.concatenate([edges, small, full])


def sample_inputs(dtypes: Sequence[np.dtype[Any]], seed: str) -> list[Array]:
    """Equal-length 1-d inputs, one per dtype, covering the edge values (see the module)."""
    rng = np.random.default_rng(list(seed.encode()))
    floats = [k for k, d in enumerate(dtypes) if d.kind == "f"]
    ints = [k for k, d in enumerate(dtypes) if d.kind in "iu"]
    columns: dict[int, Array] = {}
    if floats:
        edges = _float_edges(dtypes[floats[0]])
        if len(floats) == 1:
            columns[floats[0]] = edges
        else:  # every pair of edge values in the first two floating inputs
            columns[floats[0]] = np.repeat(edges, len(edges))
            columns[floats[1]] = np.tile(edges, len(edges))
    head = len(next(iter(columns.values()))) if columns else 0
    n = head + RANDOM_ROWS
    out: list[Array] = []
    for k, d in enumerate(dtypes):
        if d.kind == "b":
            out.append(rng.random(n) < 0.5)
        elif k in ints:
            out.append(_int_values(d, rng, max(n - 11, 0))[:n])
        else:
            start = columns.get(k)
            fill = _float_random(d, rng, n - (0 if start is None else len(start)))
            if start is None:  # random, with an edge value in one row of eight
                pick = rng.random(len(fill)) < 0.125
                fill[pick] = rng.choice(_float_edges(d), int(pick.sum()))
                out.append(fill)
            else:
                out.append(np.concatenate([start, fill]))
    return out


def ulp_distance(a: Array, b: Array) -> Array:
    """How many representable values lie between ``a`` and ``b`` (same float dtype), with
    -0 and +0 one value and infinity one step beyond the largest finite number."""
    a = np.asarray(a)
    itype = _BITS[a.dtype.itemsize]
    high = np.array(1, dtype=itype) << (8 * a.dtype.itemsize - 1)

    def ordered(x: Array) -> Array:
        bits = np.asarray(x, dtype=a.dtype).view(itype).astype(np.int64)
        return np.where(bits < 0, -(bits - int(high)), bits)  # negatives mirrored below 0

    return np.abs(ordered(a) - ordered(b))


def accept(host: Array, numpy: Array, truth: Array | None, scale: Array | None) -> Array:
    """Which elements of ``host`` agree with ``numpy`` (see the module for the rules);
    ``truth`` is NumPy's float64 evaluation (None for float64 kernels), ``scale`` the
    largest intermediate magnitude per element (None: the scale rule is not tried)."""
    if host.dtype.kind != "f":
        return np.asarray(host == numpy)
    tol = ULPS[host.dtype.name]
    both_nan = np.isnan(host) & np.isnan(numpy)
    same = (host == numpy) & (np.signbit(host) == np.signbit(numpy))
    infinite = np.isinf(host) | np.isinf(numpy)
    with np.errstate(all="ignore"):
        close = ulp_distance(host, numpy) <= tol
        if truth is not None:
            t = truth.astype(host.dtype)
            close |= ulp_distance(host, t) <= ulp_distance(numpy, t) + tol
        if scale is not None:
            eps = float(np.finfo(host.dtype).eps)
            diff = np.abs(host.astype(np.float64) - numpy.astype(np.float64))
            close |= diff <= tol * eps * scale
    nonzero = ~((host == 0) & (numpy == 0))  # equal zeros of opposite signs are a difference
    return np.asarray(both_nan | same | (close & ~infinite & nonzero & ~np.isnan(host)
                                         & ~np.isnan(numpy)))
