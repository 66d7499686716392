"""Order statistics (``quantile``, ``percentile``, ``median`` and their ``nan*`` forms) and
finite differences (``diff``, ``ediff1d``, ``gradient``).

An order statistic sorts (a gather; NaN sorts last) and interpolates between the two
neighbouring order statistics at the position ``q * (n - 1)``, so its derivative
flows to the one or two elements that determine the result, with weights ``1 - frac`` and
``frac``.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from gpugrad.backend import is_cupy_array
from gpugrad.core.trace import Tracer
from gpugrad.naming import example_doc, named
from gpugrad.numpy._creation import array
from gpugrad.numpy._shape import broadcast_to, concatenate, ravel, reshape, transpose
from gpugrad.numpy._ufuncs import FUNCTIONS, clip, where
from gpugrad.numpy.counting import count_nonzero
from gpugrad.numpy.elementwise_math import isnan
from gpugrad.numpy.operands import inexact_array, normalize_axes, to_array
from gpugrad.numpy.sorting import as_array, sort, take_along_axis
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather

__all__ = [
    "diff", "ediff1d", "gradient", "median", "nanmedian", "nanpercentile", "nanquantile",
    "percentile", "quantile",
]

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _host(x: Any) -> Any:
    """A concrete array (never a tracer) or a nesting of numbers, as a NumPy array."""
    return x.get() if is_cupy_array(x) else np.asarray(x)


def _quantile(a: Any, q: Any, axis: Any, method: str, keepdims: bool, ignore_nan: bool) -> Any:
    if method not in _METHODS:
        raise ValueError(f"quantile: method must be one of {_METHODS}, got {method!r}")
    x = inexact_array(a)
    q = _traced_list(q)
    if isinstance(q, Tracer):  # its derivative flows through the interpolation weight
        qs = S.convert(q, x.dtype)
    else:  # a plain q is checked on the host; a traced one is not read
        qs = np.asarray(_host(q), dtype=np.float64)
        if ((qs < 0) | (qs > 1)).any():
            raise ValueError("quantiles must be in the range [0, 1]")
    axes = normalize_axes(x, axis)
    kept = [i for i in range(x.ndim) if i not in axes]
    lead = tuple(x.shape[i] for i in kept)
    flat = reshape(transpose(x, kept + list(axes)), (*lead, -1))
    n = flat.shape[-1]
    if n == 0:
        raise ValueError("quantile of an empty array")
    s = sort(flat, axis=-1)
    # The positions q * (count - 1) of the order statistics, in gpugrad's operations: the
    # non-NaN count of nanquantile (and a traced q) may differ from one example to the next
    # under vmap, so no value is read here.
    count: Any = n
    if ignore_nan:
        count = FUNCTIONS["subtract"](n, count_nonzero(isnan(flat), axis=-1))
    q_col = reshape(qs, tuple(qs.shape) + (1,) * len(lead))
    pos = FUNCTIONS["multiply"](q_col, FUNCTIONS["subtract"](count, 1))
    pos = broadcast_to(pos, tuple(qs.shape) + lead)
    below = FUNCTIONS["floor"](pos)
    s = broadcast_to(s, tuple(pos.shape) + (n,))

    def at(position: Any) -> Any:
        idx = S.convert(clip(position, 0, n - 1), np.intp)
        return take_along_axis(s, reshape(idx, (*idx.shape, 1)), -1)[..., 0]

    if method == "lower":
        out = at(below)
    elif method == "higher":
        out = at(FUNCTIONS["ceil"](pos))
    elif method == "nearest":
        out = at(FUNCTIONS["rint"](pos))
    elif method == "midpoint":
        out = (at(below) + at(FUNCTIONS["ceil"](pos))) * 0.5
    else:
        frac = S.convert(FUNCTIONS["subtract"](pos, below), x.dtype)
        s_lo = at(below)
        out = s_lo + frac * (at(FUNCTIONS["ceil"](pos)) - s_lo)
    if not ignore_nan:  # a NaN anywhere in a slice (sorted last) makes its quantiles NaN
        out = where(broadcast_to(isnan(s[..., -1]), out.shape), np.nan, out)
    if keepdims:
        out = reshape(out, tuple(qs.shape) + tuple(1 if i in axes else d for i, d in
                                                   enumerate(x.shape)))
    return as_array(out)


def _traced_list(q: Any) -> Any:
    """A list or tuple holding tracers, stacked into one traced array."""
    if isinstance(q, (list, tuple)) and any(isinstance(v, Tracer) for v in q):
        return array(q)
    return q


def _percent(q: Any) -> Any:
    """``q / 100``, traced when ``q`` is (its derivative flows), else on the host."""
    q = _traced_list(q)
    if isinstance(q, Tracer):
        return FUNCTIONS["true_divide"](q, 100.0)
    return np.asarray(_host(q), np.float64) / 100


class OrderStatistic(Protocol):
    """The type of ``quantile``, ``percentile`` and their NaN-ignoring forms."""

    def __call__(self, a: Any, q: Any, axis: Any = None, out: None = None,
                 overwrite_input: bool = False, method: str = "linear",
                 keepdims: bool = False) -> Any: ...


def _order_statistic(name: str, percent: bool, ignore_nan: bool, summary: str, call: str,
                     result: str) -> OrderStatistic:
    """``quantile`` (``q`` in [0, 1]) or ``percentile`` (in [0, 100]), of the non-NaN
    elements where ``ignore_nan``, documented by ``summary`` and the doctest ``call`` and
    its printed ``result``."""

    def fn(a: Any, q: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
           method: str = "linear", keepdims: bool = False) -> Any:
        return _quantile(a, _percent(q) if percent else q, axis, method, keepdims, ignore_nan)

    return named(fn, name, example_doc(summary, call, result))


quantile = _order_statistic(
    "quantile", False, False,
    "The ``q``-th quantile(s) over ``axis`` (``q`` in [0, 1]; methods ``linear``,\n``lower``, "
    "``higher``, ``nearest``, ``midpoint``). The result has ``q``'s shape first.",
    ">>> gnp.quantile(gnp.array([1.0, 2.0, 3.0, 4.0]), 0.5)", "array(2.5, dtype=float32)")
percentile = _order_statistic(
    "percentile", True, False, "The ``q``-th percentile(s) over ``axis`` (``q`` in [0, 100]).",
    ">>> gnp.percentile(gnp.array([1.0, 2.0, 3.0]), 50)", "array(2., dtype=float32)")
nanquantile = _order_statistic(
    "nanquantile", False, True, ":func:`quantile` of the non-NaN elements.",
    ">>> gnp.nanquantile(gnp.array([1.0, gnp.nan, 3.0]), 0.5)", "array(2., dtype=float32)")
nanpercentile = _order_statistic(
    "nanpercentile", True, True, ":func:`percentile` of the non-NaN elements.",
    ">>> gnp.nanpercentile(gnp.array([1.0, gnp.nan, 3.0]), 50)", "array(2., dtype=float32)")


def median(a: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Any:
    """The median over ``axis`` (the mean of the two middle values for an even count).

    Example:
        >>> gnp.median(gnp.array([3.0, 1.0, 2.0]))
        array(2., dtype=float32)
    """
    return _quantile(a, 0.5, axis, "linear", keepdims, ignore_nan=False)


def nanmedian(a: Any, axis: Any = None, out: None = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Any:
    """:func:`median` of the non-NaN elements.

    Example:
        >>> gnp.nanmedian(gnp.array([1.0, gnp.nan, 3.0]))
        array(2., dtype=float32)
    """
    return _quantile(a, 0.5, axis, "linear", keepdims, ignore_nan=True)


def _along(x: Any, axis: int, start: int | None, stop: int | None) -> Any:
    return gather(x, (slice(None),) * axis + (slice(start, stop),))


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th discrete difference along ``axis`` (``prepend``/``append`` values are
    joined first).

    Example:
        >>> gnp.diff(gnp.array([1.0, 4.0, 9.0]))
        array([3., 5.], dtype=float32)
    """
    x = to_array(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got {n}")
    if x.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = int(axis) % x.ndim
    pieces = []
    for extra in (prepend, x, append):
        if extra is None:
            continue
        e = to_array(extra)
        if e is not x and e.ndim == 0:
            e = broadcast_to(e, x.shape[:axis] + (1,) + x.shape[axis + 1 :])
        pieces.append(e)
    x = concatenate(pieces, axis) if len(pieces) > 1 else x
    for _ in range(int(n)):
        hi, lo = _along(x, axis, 1, None), _along(x, axis, None, -1)
        x = hi != lo if x.dtype == bool else hi - lo
    return x


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """Differences between consecutive elements of the flattened array, with optional
    values before and after.

    Example:
        >>> gnp.ediff1d(gnp.array([1.0, 4.0, 9.0]), to_begin=0.0)
        array([0., 3., 5.], dtype=float32)
    """
    x = ravel(to_array(ary))
    d = _along(x, 0, 1, None) - _along(x, 0, None, -1)
    pieces = [ravel(S.convert(to_array(v), d.dtype)) for v in (to_begin,) if v is not None]
    pieces.append(d)
    pieces += [ravel(S.convert(to_array(v), d.dtype)) for v in (to_end,) if v is not None]
    return concatenate(pieces, 0) if len(pieces) > 1 else d


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Central differences in the interior and one-sided differences (first or second
    order accurate, ``edge_order``) at the boundaries. Each spacing is a scalar (uniform
    steps) or the coordinates along its axis; both are differentiable.

    Returns one array per axis (a list), or one array for a single axis.

    Example:
        >>> gnp.gradient(gnp.array([1.0, 4.0, 9.0, 16.0]))
        array([3., 4., 6., 7.], dtype=float32)
        >>> gnp.gradient(gnp.array([1.0, 4.0, 9.0]), gnp.array([0.0, 1.0, 3.0]))
        array([3.       , 2.8333333, 2.5      ], dtype=float32)
    """
    x = inexact_array(f)
    axes = normalize_axes(x, axis)
    if axis is not None and not isinstance(axis, (int, np.integer)):
        axes = tuple(int(a) % x.ndim for a in axis)
    if len(varargs) == 0:
        spacing: list[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"gradient: give one spacing, or one per axis ({len(axes)}), got "
                        f"{len(varargs)}")
    if edge_order not in (1, 2):
        raise ValueError("gradient: edge_order must be 1 or 2")
    outs = []
    for ax, h in zip(axes, spacing):
        n = x.shape[ax]
        if n < edge_order + 1:
            raise ValueError("gradient: each dimension must have at least edge_order + 1 "
                             "points")
        if np.ndim(h) == 0:
            outs.append(_uniform_gradient(x, ax, h, edge_order))
            continue
        coords = S.convert(to_array(h), x.dtype)
        if coords.shape != (n,):
            raise ValueError(f"gradient: the coordinates along axis {ax} must have shape "
                             f"({n},), got {coords.shape}")
        outs.append(_coordinate_gradient(x, ax, coords, edge_order))
    return outs[0] if len(outs) == 1 else outs


def _uniform_gradient(x: Any, ax: int, h: Any, edge_order: int) -> Any:
    interior = (_along(x, ax, 2, None) - _along(x, ax, None, -2)) / (2.0 * h)
    if edge_order == 1:
        first = (_along(x, ax, 1, 2) - _along(x, ax, 0, 1)) / h
        last = (_along(x, ax, -1, None) - _along(x, ax, -2, -1)) / h
    else:
        first = (-1.5 * _along(x, ax, 0, 1) + 2.0 * _along(x, ax, 1, 2)
                 - 0.5 * _along(x, ax, 2, 3)) / h
        last = (0.5 * _along(x, ax, -3, -2) - 2.0 * _along(x, ax, -2, -1)
                + 1.5 * _along(x, ax, -1, None)) / h
    return concatenate([first, interior, last], ax)


def _coordinate_gradient(x: Any, ax: int, coords: Any, edge_order: int) -> Any:
    """Second-order differences on uneven steps: the derivative at each point of the
    parabola through it and its neighbours (one-sided at the ends)."""
    def along(v: Any) -> Any:  # a coefficient vector, shaped to broadcast along ``ax``
        return reshape(v, (-1,) + (1,) * (x.ndim - ax - 1))

    def weighted(terms: list[tuple[Any, int, int | None]]) -> Any:
        total = None
        for weight, start, stop in terms:
            term = along(weight) * _along(x, ax, start, stop)
            total = term if total is None else total + term
        return total

    dx = _along(coords, 0, 1, None) - _along(coords, 0, None, -1)
    h1, h2 = _along(dx, 0, None, -1), _along(dx, 0, 1, None)
    interior = weighted([(-h2 / (h1 * (h1 + h2)), 0, -2),
                         ((h2 - h1) / (h1 * h2), 1, -1),
                         (h1 / (h2 * (h1 + h2)), 2, None)])
    if edge_order == 1:
        first = (_along(x, ax, 1, 2) - _along(x, ax, 0, 1)) / along(dx[:1])
        last = (_along(x, ax, -1, None) - _along(x, ax, -2, -1)) / along(dx[-1:])
    else:
        a, b = dx[:1], dx[1:2]
        first = weighted([(-(2.0 * a + b) / (a * (a + b)), 0, 1),
                          ((a + b) / (a * b), 1, 2),
                          (-a / (b * (a + b)), 2, 3)])
        a, b = dx[-2:-1], dx[-1:]
        last = weighted([(b / (a * (a + b)), -3, -2),
                         (-(a + b) / (a * b), -2, -1),
                         ((2.0 * b + a) / (b * (a + b)), -1, None)])
    return concatenate([first, interior, last], ax)
