"""Statistics: the ``nan*`` reductions, ``average``, ``cov``, ``corrcoef``, ``ptp``.

NaN-ignoring reductions replace NaNs with the operation's identity through ``where`` (with
an ``isnan`` mask, which has no derivative), whose derivative routes nothing to the replaced
elements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import on_one_backend
from gpugrad.numpy import _reductions as R
from gpugrad.numpy._shape import (
    broadcast_to,
    concatenate,
    cumprod,
    cumsum,
    reshape,
    squeeze,
    transpose,
)
from gpugrad.numpy._ufuncs import FUNCTIONS, clip, where
from gpugrad.numpy.elementwise_math import isnan
from gpugrad.numpy.matrices import diag
from gpugrad.numpy.operands import inexact_array, normalize_axes, to_array
from gpugrad.numpy.products import dot
from gpugrad.numpy.sorting import as_array
from gpugrad.numpy.stacking import atleast_2d
from gpugrad.primitives import discrete as D
from gpugrad.primitives import structural as S

__all__ = [
    "average", "corrcoef", "cov", "nanargmax", "nanargmin", "nancumprod", "nancumsum",
    "nanmax", "nanmean", "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "ptp",
]


_select = where  # for the functions whose where= argument hides the function
_div = FUNCTIONS["true_divide"]  # no NumPy warning on 0/0 (NaN, as JAX), 0-d arrays kept


_float = inexact_array  # integers and bools become JAX's float for them


def _nan_mask(x: Any) -> Any:
    """Boolean mask of the NaNs in ``x`` (no derivative)."""
    return isnan(x)


def _fill_nan(x: Any, value: float) -> Any:
    x = to_array(x)
    if x.dtype.kind not in "fc":
        return x
    return where(_nan_mask(x), value, x)


def _count(nan: Any, axis: Any, keepdims: bool, where: Any, dtype: Any) -> Any:
    """Number of non-NaN elements over ``axis`` (``nan`` is the mask of the NaNs), of those
    selected by the mask ``where``, in the float ``dtype`` (no derivative)."""
    axes = normalize_axes(nan, axis)
    if where is None:  # the slice's size less its NaNs: one pass over the mask
        size = float(np.prod([nan.shape[a] for a in axes]))
        return size - D.count_nonzero(nan, axes, keepdims, dtype)
    valid = FUNCTIONS["logical_and"](FUNCTIONS["logical_not"](nan),
                                     broadcast_to(to_array(where), nan.shape))
    return D.count_nonzero(valid, axes, keepdims, dtype)


def nansum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, *,
           initial: Any = None, where: Any = None) -> Any:
    """Sum treating NaN as zero (``initial`` and ``where`` as in :func:`sum`).

    Example:
        >>> gnp.nansum(gnp.array([1.0, gnp.nan, 2.0]))
        array(3., dtype=float32)
    """
    return R.sum(_fill_nan(a, 0.0), axis=axis, dtype=dtype, keepdims=keepdims,
                 initial=initial, where=where)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, *,
            initial: Any = None, where: Any = None) -> Any:
    """Product treating NaN as one (``initial`` and ``where`` as in :func:`prod`).

    Example:
        >>> gnp.nanprod(gnp.array([[3.0, gnp.nan], [2.0, 4.0]]), axis=0)
        array([6., 4.], dtype=float32)
    """
    return R.prod(_fill_nan(a, 1.0), axis=axis, dtype=dtype, keepdims=keepdims,
                  initial=initial, where=where)


def nanmean(a: Any, axis: Any = None, keepdims: bool = False, *, where: Any = None) -> Any:
    """Mean of the non-NaN elements (of those where ``where`` is true; NaN where there are
    none).

    Example:
        >>> gnp.nanmean(gnp.array([1.0, gnp.nan, 2.0]))
        array(1.5, dtype=float32)
    """
    x = _float(a)
    nan = _nan_mask(x)
    total = R.sum(_select(nan, 0.0, x), axis=axis, keepdims=keepdims, where=where)
    return _div(total, _count(nan, axis, keepdims, where, x.dtype))


def nanvar(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, *,
           where: Any = None) -> Any:
    """Variance of the non-NaN elements (of those where ``where`` is true).

    Example:
        >>> gnp.nanvar(gnp.array([1.0, gnp.nan, 3.0]))
        array(1., dtype=float32)
    """
    x = _float(a)
    nan = _nan_mask(x)  # computed once: the mean, the squares and the count all use it
    filled = _select(nan, 0.0, x)
    count = _count(nan, axis, True, where, x.dtype)
    centered = filled - _div(R.sum(filled, axis=axis, keepdims=True, where=where), count)
    squares = _select(nan, 0.0, centered * centered)
    if not keepdims:
        count = squeeze(count, normalize_axes(x, axis))
    dof = count - ddof  # counts of non-NaN elements
    # No degrees of freedom left: NaN, selected before dividing by 1 instead of 0 (JAX's
    # way), so that the derivatives there are 0 rather than 0 / 0.
    none_left = dof <= 0
    total = _select(none_left, np.nan, R.sum(squares, axis=axis, keepdims=keepdims, where=where))
    return _div(total, _select(none_left, 1.0, dof))


def nanstd(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, *,
           where: Any = None) -> Any:
    """Standard deviation of the non-NaN elements (of those where ``where`` is true).

    Example:
        >>> gnp.nanstd(gnp.array([1.0, gnp.nan, 3.0]))
        array(1., dtype=float32)
    """
    return FUNCTIONS["sqrt"](nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims, where=where))


def _nan_extremum(a: Any, axis: Any, keepdims: bool, fill: float, reduce: Any,
                  initial: Any, mask: Any) -> Any:
    x = to_array(a)
    extra = {"initial": initial, "where": mask}
    if x.dtype.kind not in "fc":
        return reduce(x, axis=axis, keepdims=keepdims, **extra)
    out = reduce(_fill_nan(x, fill), axis=axis, keepdims=keepdims, **extra)
    if initial is not None:  # a slice with nothing left gives initial, never NaN
        return out
    return where(R.all(_nan_mask(x), axis=axis, keepdims=keepdims), np.nan, out)


def nanmax(a: Any, axis: Any = None, keepdims: bool = False, *, initial: Any = None,
           where: Any = None) -> Any:
    """Maximum ignoring NaNs (NaN for an all-NaN slice; ``initial``/``where`` as in
    :func:`max`).

    Example:
        >>> gnp.nanmax(gnp.array([1.0, gnp.nan, 2.0]))
        array(2., dtype=float32)
    """
    return _nan_extremum(a, axis, keepdims, -np.inf, R.max, initial, where)


def nanmin(a: Any, axis: Any = None, keepdims: bool = False, *, initial: Any = None,
           where: Any = None) -> Any:
    """Minimum ignoring NaNs (NaN for an all-NaN slice; ``initial``/``where`` as in
    :func:`min`).

    Example:
        >>> gnp.nanmin(gnp.array([[1.0, gnp.nan], [gnp.nan, gnp.nan]]), axis=1)
        array([ 1., nan], dtype=float32)
    """
    return _nan_extremum(a, axis, keepdims, np.inf, R.min, initial, where)


def nanargmax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the maximum ignoring NaNs. No derivative.

    Example:
        >>> int(gnp.nanargmax(gnp.array([1.0, gnp.nan, 2.0])))
        2
    """
    return R.argmax(_fill_nan(S.stop_gradient(to_array(a)), -np.inf), axis=axis,
                    keepdims=keepdims)


def nanargmin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the minimum ignoring NaNs. No derivative.

    Example:
        >>> int(gnp.nanargmin(gnp.array([1.0, gnp.nan, 0.0])))
        2
    """
    return R.argmin(_fill_nan(S.stop_gradient(to_array(a)), np.inf), axis=axis,
                    keepdims=keepdims)


def nancumsum(a: Any, axis: int | None = None) -> Any:
    """Cumulative sum treating NaN as zero.

    Example:
        >>> gnp.nancumsum(gnp.array([1.0, gnp.nan, 2.0]))
        array([1., 1., 3.], dtype=float32)
    """
    return cumsum(_fill_nan(a, 0.0), axis)


def nancumprod(a: Any, axis: int | None = None) -> Any:
    """Cumulative product treating NaN as one.

    Example:
        >>> gnp.nancumprod(gnp.array([2.0, gnp.nan, 3.0]))
        array([2., 2., 6.], dtype=float32)
    """
    return cumprod(_fill_nan(a, 1.0), axis)


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Range (maximum minus minimum) over ``axis``.

    Example:
        >>> gnp.ptp(gnp.array([1.0, 5.0, 2.0]))
        array(4., dtype=float32)
    """
    return as_array(R.max(a, axis=axis, keepdims=keepdims) - R.min(a, axis=axis, keepdims=keepdims))


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *,
            keepdims: bool = False) -> Any:
    """Weighted mean over ``axis`` (differentiable in ``a`` and in ``weights``).

    Example:
        >>> gnp.average(gnp.array([1.0, 3.0]), weights=gnp.array([3.0, 1.0]))
        array(1.5, dtype=float32)
    """
    x = _float(a)
    axes = normalize_axes(x, axis)
    if weights is None:
        avg = R.mean(x, axis=axis, keepdims=keepdims)
        scale = float(np.prod([x.shape[i] for i in axes]))
        scl = broadcast_to(S.convert(to_array(scale), avg.dtype), avg.shape)
    else:
        x, w = on_one_backend(x, to_array(weights))[1]  # host weights move to the device
        if w.shape != x.shape:
            if axis is None:
                raise TypeError("average: axis must be given when the shapes of a and "
                                "weights differ")
            given = [int(i) % x.ndim for i in np.atleast_1d(axis)]
            if w.shape != tuple(x.shape[i] for i in given):
                raise ValueError("average: weights must have the shape of a, or of a "
                                 "along axis")
            shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
            w = transpose(w, [int(i) for i in np.argsort(given)])
            w = broadcast_to(reshape(w, shape), x.shape)
        scl = R.sum(w, axis=axis, keepdims=keepdims)
        avg = _div(R.sum(x * w, axis=axis, keepdims=keepdims), scl)
        scl = broadcast_to(S.convert(scl, avg.dtype), avg.shape)
    avg, scl = as_array(avg), as_array(scl)
    return (avg, scl) if returned else avg


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: int | None = None,
        fweights: Any = None, aweights: Any = None, *, dtype: Any = None) -> Any:
    """Covariance matrix of the variables in the rows of ``m`` (columns if not ``rowvar``),
    NumPy's algorithm, composed (differentiable in ``m``, ``y`` and ``aweights``).

    Example:
        >>> gnp.cov(gnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        array([[ 1., -1.],
               [-1.,  1.]], dtype=float32)
    """
    # Host arrays beside device arrays move to the device.
    m, y, fweights, aweights = on_one_backend(m, y, fweights, aweights)[1]
    X = atleast_2d(_float(m) if dtype is None else S.convert(to_array(m), dtype))
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if y is not None:
        Y = atleast_2d(S.convert(to_array(y), X.dtype))
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = concatenate([X, Y], 0)
    if ddof is None:
        ddof = 0 if bias else 1
    # The weights are composed with X's operations, so the derivative in aweights flows
    # (JAX's fweights are integers: no derivative).
    w = None
    if fweights is not None:
        w = S.convert(to_array(fweights), X.dtype)
    if aweights is not None:
        aw = S.convert(to_array(aweights), X.dtype)
        w = aw if w is None else w * aw
    if w is None:
        avg = R.mean(X, axis=1)
        fact: Any = float(X.shape[1] - ddof)
    else:
        avg = average(X, axis=1, weights=w)
        total = R.sum(w)
        if ddof == 0:
            fact = total
        elif aweights is None:
            fact = total - ddof
        else:
            fact = total - ddof * R.sum(w * aw) / total
    # A traced factor is clamped with an operation (a Python max would read its value).
    fact = max(fact, 0.0) if isinstance(fact, float) else FUNCTIONS["maximum"](fact, 0.0)
    Xc = X - avg[:, None]
    Xw = Xc if w is None else Xc * w
    return squeeze(_div(dot(Xc, Xw.T), fact))


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """Pearson correlation coefficients (the covariance scaled by the standard deviations,
    clipped to [-1, 1] as NumPy does).

    Example:
        >>> gnp.corrcoef(gnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        array([[ 1., -1.],
               [-1.,  1.]], dtype=float32)
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return _div(c, c)
    d = FUNCTIONS["sqrt"](diag(c))
    return clip(_div(_div(c, d[:, None]), d[None, :]), -1.0, 1.0)

