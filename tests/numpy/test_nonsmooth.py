"""Derivatives at non-smooth points, exactly as JAX 0.10.2 computes them.

One row per function and point: the five derivatives it is asserted in, written as the
numbers JAX gives (float64; float32 agrees). With ``t = 1, 2, ..., n`` as the direction:

* ``rev``: ``grad(f)(x)``;  ``fwd``: ``jvp(f, (x,), (t,))``'s tangent;
* ``rev-rev``: ``vjp(grad(f), x)`` applied to ``t`` (reverse over reverse, ``t^T H``);
* ``fwd-rev``: ``jvp(grad(f), (x,), (t,))`` (forward over reverse, ``H t``);
* ``fwd-fwd``: the ``jvp`` of the ``jvp`` (forward over forward, ``t^T H t``).

Second order can tell the modes apart where a NaN meets a zero tangent or cotangent (``0 *
NaN`` in one order of the chain rule and not in the other), and JAX's numbers keep those
differences, so the table does too. ``test_table_matches_jax`` recomputes every row in JAX,
in 64-bit and in 32-bit mode, so the table cannot drift from the oracle.
NumPy's ``fix`` and ``fmod`` are not in ``gpugrad.numpy`` and so not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.scipy.special as gsp

INF, NAN, E, PI2 = math.inf, math.nan, math.e, math.pi**2
MODES = ("rev", "fwd", "rev-rev", "fwd-rev", "fwd-fwd")


def V(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)  # a point; cast to the dtype under test


def W(m: Any, x: Any, *values: float) -> Any:
    return m.asarray(values, dtype=x.dtype)  # weights: float32 stays float32 in both


# (name, f(numpy module, scipy.special module, x), point, rev, fwd, rev-rev, fwd-rev, fwd-fwd)
ROWS: list[tuple[Any, ...]] = [
    # Kinks. abs'(0) = 1: JAX's rule is select(x >= 0, 1, -1), so -0.0 gives 1 and NaN -1.
    ("abs", lambda m, s, x: m.abs(x), 0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    # Piecewise constant: zero everywhere, jumps included.
    ("sign", lambda m, s, x: m.sign(x), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("floor", lambda m, s, x: m.floor(x), 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("ceil", lambda m, s, x: m.ceil(x), 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("round", lambda m, s, x: m.round(x), 0.5, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("round-decimals", lambda m, s, x: m.round(x, 1), 0.25, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("rint", lambda m, s, x: m.rint(x), 0.5, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("trunc", lambda m, s, x: m.trunc(x), 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    # clip is minimum(maximum(x, lo), hi): at a bound the tie splits the derivative.
    ("clip-at-min", lambda m, s, x: m.clip(x, -1.0, 1.0), -1.0, 0.5, 0.5, 0.0, 0.0, 0.0),
    ("clip-at-max", lambda m, s, x: m.clip(x, -1.0, 1.0), 1.0, 0.5, 0.5, 0.0, 0.0, 0.0),
    ("clip-traced-at-min", lambda m, s, x: m.clip(x[0], x[1], x[2]), V(1, 1, 2),
     [0.5, 0.5, 0.0], 1.5, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("clip-traced-at-max", lambda m, s, x: m.clip(x[0], x[1], x[2]), V(2, 1, 2),
     [0.5, 0.0, 0.5], 2.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    # x == lo == hi: maximum gives 1/2 to x and to lo, minimum halves that and gives hi 1/2.
    ("clip-traced-all-equal", lambda m, s, x: m.clip(x[0], x[1], x[2]), V(1, 1, 1),
     [0.25, 0.25, 0.5], 2.25, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    # Ties in maximum/minimum split the derivative half and half; maximum(x, x) sums to 1.
    ("maximum-x-x", lambda m, s, x: m.maximum(x, x), 1.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    ("maximum-x-0", lambda m, s, x: m.maximum(x, 0.0), 0.0, 0.5, 0.5, 0.0, 0.0, 0.0),
    ("minimum-x-0", lambda m, s, x: m.minimum(x, 0.0), 0.0, 0.5, 0.5, 0.0, 0.0, 0.0),
    ("maximum-tie", lambda m, s, x: m.maximum(x[0], x[1]), V(1, 1),
     [0.5, 0.5], 1.5, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("minimum-tie", lambda m, s, x: m.minimum(x[0], x[1]), V(1, 1),
     [0.5, 0.5], 1.5, [0.0, 0.0], [0.0, 0.0], 0.0),
    # fmax/fmin are where(x1 > x2 or isnan(x2), x1, x2): a tie goes wholly to x2 (surprising).
    ("fmax-x-0", lambda m, s, x: m.fmax(x, 0.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("fmin-x-0", lambda m, s, x: m.fmin(x, 0.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("fmax-tie", lambda m, s, x: m.fmax(x[0], x[1]), V(1, 1),
     [0.0, 1.0], 2.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("fmin-tie", lambda m, s, x: m.fmin(x[0], x[1]), V(1, 1),
     [0.0, 1.0], 2.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    # Three ReLUs, three answers at 0: where's condition is false, maximum splits, the mask is 0.
    ("relu-where", lambda m, s, x: m.where(x > 0, x, 0.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("relu-maximum", lambda m, s, x: m.maximum(x, 0.0), 0.0, 0.5, 0.5, 0.0, 0.0, 0.0),
    ("relu-mask", lambda m, s, x: x * (x > 0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    # Sorting: ties keep their order (stable), each element's derivative goes where it lands.
    ("sort-ties", lambda m, s, x: m.sum(m.sort(x) * W(m, x, 1, 2, 3)), V(1, 1, 0),
     [2.0, 3.0, 1.0], 11.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("argsort-ties", lambda m, s, x: m.sum(x[m.argsort(x)] * W(m, x, 1, 2, 3)), V(1, 1, 0),
     [2.0, 3.0, 1.0], 11.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    # Reductions: tied maxima/minima share the derivative equally (1/k each).
    ("max-ties", lambda m, s, x: m.max(x), V(1, 1, 0),
     [0.5, 0.5, 0.0], 1.5, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("min-ties", lambda m, s, x: m.min(x), V(0, 1, 0),
     [0.5, 0.0, 0.5], 2.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("max-three-ties", lambda m, s, x: m.max(x), V(2, 2, 2),
     [1 / 3, 1 / 3, 1 / 3], 2.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("max-axis-ties",
     lambda m, s, x: m.sum(m.max(m.reshape(x, (2, 2)), axis=1) * W(m, x, 1, 2)), V(1, 1, 3, 0),
     [0.5, 0.5, 2.0, 0.0], 7.5, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    ("ptp-ties", lambda m, s, x: m.ptp(x), V(1, 1, 0, 0),
     [0.5, 0.5, -0.5, -0.5], -2.0, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    # Order statistics follow the sort: the element that lands in the middle takes it all.
    ("median-ties", lambda m, s, x: m.median(x), V(1, 1, 1),
     [0.0, 1.0, 0.0], 2.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("median-even-ties", lambda m, s, x: m.median(x), V(2, 1, 2, 3),
     [0.5, 0.0, 0.5, 0.0], 2.0, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    ("percentile-ties", lambda m, s, x: m.percentile(x, 50.0), V(1, 1, 1, 0),
     [0.5, 0.5, 0.0, 0.0], 1.5, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    ("percentile-30-ties", lambda m, s, x: m.percentile(x, 30.0), V(1, 1, 1, 0),
     [0.9, 0.0, 0.0, 0.1], 1.3, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    # Norms at 0: 2-norm and Frobenius are sqrt(0) * 0 = NaN. The 1-norm is abs'(0) = 1;
    ("norm2-zero", lambda m, s, x: m.linalg.norm(x), V(0, 0, 0),
     [NAN, NAN, NAN], NAN, [NAN, NAN, NAN], [NAN, NAN, NAN], NAN),
    ("norm1-zero", lambda m, s, x: m.linalg.norm(x, 1), V(0, 0, 0),
     [1.0, 1.0, 1.0], 6.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    # the inf-norm is max(|x|, initial=0): 1/3 each from the tie, halved by the initial 0.
    ("norminf-zero", lambda m, s, x: m.linalg.norm(x, np.inf), V(0, 0, 0),
     [1 / 6, 1 / 6, 1 / 6], 1.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("norminf-ties", lambda m, s, x: m.linalg.norm(x, np.inf), V(1, -1, 0.5),
     [0.5, -0.5, 0.0], -0.5, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("normfro-zero", lambda m, s, x: m.linalg.norm(m.reshape(x, (2, 2)), "fro"), V(0, 0, 0, 0),
     [NAN, NAN, NAN, NAN], NAN, [NAN, NAN, NAN, NAN], [NAN, NAN, NAN, NAN], NAN),
    ("norm-scalar-zero", lambda m, s, x: m.linalg.norm(x), 0.0, NAN, NAN, NAN, NAN, NAN),
    # Roots and powers: sqrt'(0) = inf, and y * x**(y - 1) unguarded (0 * inf = NaN at y == 0).
    ("sqrt", lambda m, s, x: m.sqrt(x), 0.0, INF, INF, -INF, -INF, -INF),
    ("cbrt", lambda m, s, x: m.cbrt(x), 0.0, INF, INF, -INF, -INF, -INF),
    ("power-0-y0", lambda m, s, x: m.power(x, 0.0), 0.0, NAN, NAN, NAN, NAN, NAN),
    ("power-0-y1", lambda m, s, x: m.power(x, 1.0), 0.0, 1.0, 1.0, NAN, NAN, NAN),
    ("power-0-y2", lambda m, s, x: m.power(x, 2.0), 0.0, 0.0, 0.0, 2.0, 2.0, 2.0),
    ("power-0-y05", lambda m, s, x: m.power(x, 0.5), 0.0, INF, INF, -INF, -INF, -INF),
    # d/dy x**y = log(x) x**y with log(0) read as 0; 0 * NaN leaks across at second order.
    ("power-dy-0-y0", lambda m, s, x: m.power(x[0], x[1]), V(0, 0),
     [NAN, 0.0], NAN, [NAN, NAN], [NAN, NAN], NAN),
    ("power-dy-0-y1", lambda m, s, x: m.power(x[0], x[1]), V(0, 1),
     [1.0, 0.0], 1.0, [NAN, 1.0], [NAN, 0.0], NAN),
    ("power-dy-0-y2", lambda m, s, x: m.power(x[0], x[1]), V(0, 2),
     [0.0, 0.0], 0.0, [2.0, 0.0], [2.0, 0.0], 2.0),
    ("power-dy-0-y05", lambda m, s, x: m.power(x[0], x[1]), V(0, 0.5),
     [INF, 0.0], INF, [NAN, NAN], [NAN, NAN], NAN),
    # x ** n for a Python int n is an exact integer power: x ** 0 has derivative 0.
    ("ipow-0", lambda m, s, x: x ** 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("ipow-1", lambda m, s, x: x ** 1, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    ("ipow-2", lambda m, s, x: x ** 2, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0),
    ("ipow-3", lambda m, s, x: x ** 3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    # At the origin arctan2 is 0/0 = NaN; hypot, max(|a|, |b|) * ..., gives 1/2 each.
    ("arctan2-origin", lambda m, s, x: m.arctan2(x[0], x[1]), V(0, 0),
     [NAN, NAN], NAN, [NAN, NAN], [NAN, NAN], NAN),
    ("hypot-origin", lambda m, s, x: m.hypot(x[0], x[1]), V(0, 0),
     [0.5, 0.5], 1.5, [0.0, 0.0], [0.0, 0.0], 0.0),
    # log'(0) = 1/0 = inf.
    ("log-zero", lambda m, s, x: m.log(x), 0.0, INF, INF, -INF, -INF, -INF),
    # logaddexp's partials exp(a - out), with +inf read as 0 (JAX's rule; see the inf rows).
    ("logaddexp-x-x", lambda m, s, x: m.logaddexp(x, x), 0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    ("logaddexp-tie", lambda m, s, x: m.logaddexp(x[0], x[1]), V(0, 0),
     [0.5, 0.5], 1.5, [-0.25, 0.25], [-0.25, 0.25], 0.25),
    ("logaddexp-both-neginf", lambda m, s, x: m.logaddexp(x[0], x[1]), V(-INF, -INF),
     [NAN, NAN], NAN, [NAN, NAN], [NAN, NAN], NAN),
    ("logaddexp-both-inf", lambda m, s, x: m.logaddexp(x[0], x[1]), V(INF, INF),
     [1.0, 1.0], 3.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    # heaviside: no derivative in x1; its second argument is taken where x1 == 0.
    ("heaviside", lambda m, s, x: m.heaviside(x, 0.5), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("heaviside-traced-h", lambda m, s, x: m.heaviside(x[0], x[1]), V(0, 0.5),
     [0.0, 1.0], 2.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    # remainder: d/dx = 1 across the jump, d/dy = -floor(x / y).
    ("remainder-jump", lambda m, s, x: m.remainder(x, 1.0), 1.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    ("remainder-dy", lambda m, s, x: m.remainder(x[0], x[1]), V(2, 1),
     [1.0, -2.0], -3.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("remainder-neg-dy", lambda m, s, x: m.remainder(x[0], x[1]), V(-2, 1),
     [1.0, 2.0], 5.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    # sinc at 0: 0, and sinc''(0) = -pi**2 / 3.
    ("sinc", lambda m, s, x: m.sinc(x), 0.0, 0.0, 0.0, -PI2 / 3, -PI2 / 3, -PI2 / 3),
    ("expm1", lambda m, s, x: m.expm1(x), 0.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    ("log1p", lambda m, s, x: m.log1p(x), 0.0, 1.0, 1.0, -1.0, -1.0, -1.0),
    # xlogy(x, y): d/dx = log(y) even at x == 0 (so -inf at y == 0), d/dy = x / y (0/0).
    ("xlogy-x0-y1", lambda m, s, x: s.xlogy(x[0], x[1]), V(0, 1),
     [0.0, 0.0], 0.0, [2.0, 1.0], [2.0, 1.0], 4.0),
    ("xlogy-x0-y0", lambda m, s, x: s.xlogy(x[0], x[1]), V(0, 0),
     [-INF, NAN], NAN, [INF, NAN], [INF, NAN], NAN),
    ("xlog1py-x0-y0", lambda m, s, x: s.xlog1py(x[0], x[1]), V(0, 0),
     [0.0, 0.0], 0.0, [2.0, 1.0], [2.0, 1.0], 4.0),
    ("xlog1py-x0-ym1", lambda m, s, x: s.xlog1py(x[0], x[1]), V(0, -1),
     [-INF, NAN], NAN, [INF, NAN], [INF, NAN], NAN),
    # logsumexp: a -inf entry has weight 0; all -inf is NaN (exp(-inf - -inf)).
    ("logsumexp-neginf", lambda m, s, x: s.logsumexp(x), V(-INF, 0, 1),
     [0.0, 1 / (1 + E), E / (1 + E)], (2 + 3 * E) / (1 + E),
     [0.0, -E / (1 + E) ** 2, E / (1 + E) ** 2], [0.0, -E / (1 + E) ** 2, E / (1 + E) ** 2],
     E / (1 + E) ** 2),
    ("logsumexp-all-neginf", lambda m, s, x: s.logsumexp(x), V(-INF, -INF),
     [NAN, NAN], NAN, [NAN, NAN], [NAN, NAN], NAN),
    # The NaN trap: the untaken branch's inf times the zero cotangent is NaN in reverse mode
    # (JAX does the same); forward mode never multiplies by it.
    ("where-sqrt-nan", lambda m, s, x: m.where(x > 0, m.sqrt(x), 0.0), 0.0,
     NAN, 0.0, NAN, NAN, 0.0),
    ("where-log-nan", lambda m, s, x: m.where(x > 0, m.log(x), 0.0), 0.0, NAN, 0.0, NAN, NAN, 0.0),
    # Moments with nothing to vary: std at equal values is sqrt'(0) * 0 = NaN. With no degrees
    # of freedom left, var is where(False, ., nan): tangent 0, gradient 0 / (n - ddof).
    ("std-single", lambda m, s, x: m.std(x), V(1), [NAN], NAN, [NAN], [NAN], NAN),
    ("var-single", lambda m, s, x: m.var(x), V(1), [0.0], 0.0, [0.0], [0.0], 0.0),
    ("var-ddof-zero-count", lambda m, s, x: m.var(x, ddof=1), V(1), [NAN], 0.0, [NAN], [NAN], 0.0),
    ("std-ddof-zero-count", lambda m, s, x: m.std(x, ddof=2), V(1, 2),
     [NAN, NAN], NAN, [NAN, NAN], [NAN, NAN], NAN),
    ("var-ddof-negative-count", lambda m, s, x: m.var(x, ddof=2), V(1),
     [0.0], 0.0, [0.0], [0.0], 0.0),
    # Signed zeros, NaN, and points next to the kinks.
    ("abs-negzero", lambda m, s, x: m.abs(x), -0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    ("abs-nan", lambda m, s, x: m.abs(x), float("nan"), -1.0, -1.0, 0.0, 0.0, 0.0),
    ("cbrt-negzero", lambda m, s, x: m.cbrt(x), -0.0, INF, INF, INF, INF, INF),
    ("hypot-signed-zero", lambda m, s, x: m.hypot(x[0], x[1]), V(-0.0, 0),
     [0.5, 0.5], 1.5, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("hypot-axis", lambda m, s, x: m.hypot(x[0], x[1]), V(0, -2),
     [0.0, -1.0], -2.0, [0.5, 0.0], [0.5, 0.0], 0.5),
    ("hypot-inf", lambda m, s, x: m.hypot(x[0], x[1]), V(INF, 1),
     [0.0, 0.0], 0.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("fmax-nan-first", lambda m, s, x: m.fmax(x[0], x[1]), V(float("nan"), 1),
     [0.0, 1.0], 2.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("fmax-nan-second", lambda m, s, x: m.fmax(x[0], x[1]), V(1, float("nan")),
     [1.0, 0.0], 1.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("norm3-zero", lambda m, s, x: m.linalg.norm(x, 3), V(0, 0, 0),
     [NAN, NAN, NAN], NAN, [NAN, NAN, NAN], [NAN, NAN, NAN], NAN),
    ("normneginf-zero", lambda m, s, x: m.linalg.norm(x, -np.inf), V(0, 0, 0),
     [1 / 3, 1 / 3, 1 / 3], 2.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("matnorm1-zero", lambda m, s, x: m.linalg.norm(m.reshape(x, (2, 2)), 1), V(0, 0, 0, 0),
     [0.25, 0.25, 0.25, 0.25], 2.5, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    ("matnorminf-zero", lambda m, s, x: m.linalg.norm(m.reshape(x, (2, 2)), np.inf), V(0, 0, 0, 0),
     [0.25, 0.25, 0.25, 0.25], 2.5, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.0),
    # +inf read as 0 in exp(b - out) gives d/db = e at (inf, 1) (surprising, JAX's rule).
    ("logaddexp-inf-finite", lambda m, s, x: m.logaddexp(x[0], x[1]), V(INF, 1),
     [1.0, E], 1 + 2 * E, [0.0, 2 * E], [0.0, 2 * E], 4 * E),
    ("logaddexp-neginf-finite", lambda m, s, x: m.logaddexp(x[0], x[1]), V(-INF, 1),
     [0.0, 1.0], 2.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("std-equal", lambda m, s, x: m.std(x), V(1, 1), [NAN, NAN], NAN, [NAN, NAN], [NAN, NAN], NAN),
    # nanvar selects NaN before dividing (by 1, not 0): derivatives 0 where var's are NaN.
    ("nanvar-single", lambda m, s, x: m.nanvar(x, ddof=1), V(1), [0.0], 0.0, [0.0], [0.0], 0.0),
    ("nanstd-single", lambda m, s, x: m.nanstd(x), V(1), [NAN], NAN, [NAN], [NAN], NAN),
    # Poles and edges of domains, and compositions through the kinks above.
    ("clip-inverted", lambda m, s, x: m.clip(x, 1.0, -1.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ("maximum-nan", lambda m, s, x: m.maximum(x[0], x[1]), V(float("nan"), 1),
     [0.0, 0.0], 0.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    # An infinite or NaN cotangent reaching the input a maximum or minimum did not pick: the
    # share 0 multiplies it (0 * inf = NaN), as JAX's mask does, in every mode.
    ("sqrt-maximum-below", lambda m, s, x: m.sqrt(m.maximum(x, 0.0)), -1.0, NAN, NAN, NAN, NAN,
     NAN),
    ("sqrt-clip-below", lambda m, s, x: m.sqrt(m.clip(x, 0.0, 1.0)), -1.0, NAN, NAN, NAN, NAN,
     NAN),
    ("expm1-minimum-nan", lambda m, s, x: m.expm1(m.minimum(x, 0.0)), NAN, NAN, NAN, NAN, NAN,
     NAN),
    ("log-maximum-traced", lambda m, s, x: m.log(m.maximum(x[0], x[1])), V(-1, 0),
     [NAN, INF], INF, [NAN, -INF], [NAN, -INF], -INF),
    # copysign is where(signbit(y), -|x|, |x|): abs'(-0.0) = 1 and abs'(NaN) = -1 give these.
    ("copysign-negzero", lambda m, s, x: m.copysign(x, -1.0), -0.0, -1.0, -1.0, 0.0, 0.0, 0.0),
    ("copysign-nan", lambda m, s, x: m.copysign(x, -1.0), NAN, 1.0, 1.0, 0.0, 0.0, 0.0),
    # heaviside passes a NaN x1 through (derivative 1 there) and is flat elsewhere.
    ("heaviside-nan", lambda m, s, x: m.heaviside(x, 0.5), NAN, 1.0, 1.0, 0.0, 0.0, 0.0),
    # An infinite divisor leaves fmod's dividend as it is (partials 1 and -trunc(x / y) = 0).
    ("fmod-infinite-divisor", lambda m, s, x: m.fmod(x[0], x[1]), V(1.5, -INF),
     [1.0, 0.0], 1.0, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("arccos-one", lambda m, s, x: m.arccos(x), 1.0, -INF, -INF, -INF, -INF, -INF),
    ("arcsin-one", lambda m, s, x: m.arcsin(x), 1.0, INF, INF, INF, INF, INF),
    # arctanh' = 1 / (1 + x) / (1 - x), so arctanh''(1) = -inf / 4 + inf / 2 = NaN.
    ("arctanh-one", lambda m, s, x: m.arctanh(x), 1.0, INF, INF, NAN, NAN, NAN),
    ("arccosh-one", lambda m, s, x: m.arccosh(x), 1.0, INF, INF, -INF, -INF, -INF),
    ("reciprocal-zero", lambda m, s, x: m.reciprocal(x), 0.0, -INF, -INF, INF, INF, INF),
    ("square-abs", lambda m, s, x: m.square(m.abs(x)), 0.0, 0.0, 0.0, 2.0, 2.0, 2.0),
    ("amax-where-ties", lambda m, s, x: m.amax(x, axis=0), V(3, 3),
     [0.5, 0.5], 1.5, [0.0, 0.0], [0.0, 0.0], 0.0),
    ("nanmax-ties", lambda m, s, x: m.nanmax(x), V(1, 1, float("nan")),
     [0.5, 0.5, 0.0], 1.5, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.0),
    ("cumprod-zero", lambda m, s, x: m.sum(m.cumprod(x)), V(0, 0, 2),
     [1.0, 0.0, 0.0], 1.0, [6.0, 3.0, 0.0], [6.0, 3.0, 0.0], 12.0),
    ("prod-zeros", lambda m, s, x: m.prod(x), V(0, 0, 2),
     [0.0, 0.0, 0.0], 0.0, [4.0, 2.0, 0.0], [4.0, 2.0, 0.0], 8.0),
    ("float-power-zero", lambda m, s, x: m.float_power(x, 0.5), 0.0, INF, INF, -INF, -INF, -INF),
    ("sqrt-abs", lambda m, s, x: m.sqrt(m.abs(x)), 0.0, INF, INF, -INF, -INF, -INF),
    ("softplus-like", lambda m, s, x: m.logaddexp(x, 0.0), 0.0, 0.5, 0.5, 0.25, 0.25, 0.25),
    ("fabs", lambda m, s, x: m.fabs(x), 0.0, 1.0, 1.0, 0.0, 0.0, 0.0),
    ("erfinv-one", lambda m, s, x: s.erfinv(x), 1.0, INF, INF, INF, INF, INF),
]
# Rows where gpugrad departs from JAX on purpose, by mode. hypot at an infinite point: JAX's
# forward mode gives 0 (its hypot selects a constant inf there) but its reverse mode 0 * inf
# = NaN; gpugrad gives 0 in every mode.
DEPARTS_FROM_JAX = {"hypot-inf": ("rev", "rev-rev", "fwd-rev")}


def _derivative(T: Any, m: Any, s: Any, f: Callable[..., Any], x: Any, mode: str) -> Any:
    """One mode of ``f``'s derivatives at ``x``, by transformation module ``T``."""
    g = lambda y: f(m, s, y)
    t = np.arange(1, x.size + 1, dtype=x.dtype).reshape(x.shape)
    fwd = lambda y: T.jvp(g, (y,), (t,))[1]
    if mode == "rev":
        return T.grad(g)(x)
    if mode == "fwd":
        return fwd(x)
    if mode == "rev-rev":
        return T.vjp(T.grad(g), x)[1](t)[0]
    if mode == "fwd-rev":
        return T.jvp(T.grad(g), (x,), (t,))[1]
    assert mode == "fwd-fwd"
    return T.jvp(fwd, (x,), (t,))[1]


def _cases() -> Iterator[Any]:
    for row in ROWS:
        for k, mode in enumerate(MODES):
            yield pytest.param(row[1], row[2], mode, row[3 + k], id=f"{row[0]}-{mode}")


def _assert_same(got: Any, want: Any, dtype: Any, rtol: float) -> None:
    """Equal values, NaN where NaN, infinities of the same sign, in ``dtype``."""
    got = np.asarray(got)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, np.asarray(want, dtype=np.float64), rtol=rtol,
                               atol=rtol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("f", "point", "mode", "want"), list(_cases()))
def test_table(f: Callable[..., Any], point: Any, mode: str, want: Any, dtype: Any) -> None:
    x = np.asarray(point, dtype=dtype)
    got = _derivative(gpugrad, gnp, gsp, f, x, mode)
    _assert_same(got, want, x.dtype, 1e-12 if dtype == np.float64 else 1e-6)


# The rows of one elementwise function of x alone: the same derivatives must come out of the
# large-array paths (NumPy's fused, chunked evaluation; CUDA kernels on CuPy), which are
# generated from the same catalog expressions.
ELEMENTWISE = [row for row in ROWS if isinstance(row[2], float) and row[0] != "norm-scalar-zero"]


@pytest.mark.parametrize("row", ELEMENTWISE, ids=[row[0] for row in ELEMENTWISE])
def test_large_arrays_take_the_same_conventions(row: tuple[Any, ...], xp: Any) -> None:
    _, f, point, rev, fwd, rev_rev = row[:6]
    x = xp.full(gpugrad.config.chunked_min_size + 3, point, dtype=xp.float64)
    first = gpugrad.grad(lambda y: gnp.sum(f(gnp, gsp, y)))
    second = gpugrad.grad(lambda y: gnp.sum(first(y)))
    tangent = gpugrad.jvp(lambda y: f(gnp, gsp, y), (x,), (xp.ones_like(x),))[1]
    for got, want in ((first(x), rev), (tangent, fwd), (second(x), rev_rev)):
        assert isinstance(got, type(x))
        _assert_same(gpugrad.device_get(got), np.full(x.shape, want), np.float64, 1e-12)


@pytest.fixture(params=[np.float64, np.float32], ids=["x64", "x32"])
def jax_dtype(request: pytest.FixtureRequest) -> Iterator[Any]:
    """JAX with 64-bit mode on for float64 and off for float32, restored afterwards."""
    jax = pytest.importorskip("jax")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", request.param == np.float64)
    try:
        yield request.param
    finally:
        jax.config.update("jax_enable_x64", before)


@pytest.mark.slow  # JAX's eager mode compiles each primitive: minutes for the whole table
@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_table_matches_jax(row: tuple[Any, ...], jax_dtype: Any) -> None:
    import jax
    import jax.numpy as jnp
    import jax.scipy.special as jsp

    name, f, point = row[:3]
    x = np.asarray(point, dtype=jax_dtype)
    rtol = 1e-12 if jax_dtype == np.float64 else 1e-6
    for k, mode in enumerate(MODES):
        theirs = np.asarray(_derivative(jax, jnp, jsp, f, x, mode))
        if mode not in DEPARTS_FROM_JAX.get(name, ()):
            _assert_same(theirs, row[3 + k], x.dtype, rtol)  # the table is JAX's number
        _assert_same(_derivative(gpugrad, gnp, gsp, f, x, mode), row[3 + k], x.dtype, rtol)
