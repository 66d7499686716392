"""Sets and comparisons of whole arrays: ``unique`` (with JAX's ``size=`` and
``fill_value=``) and ``array_equal``.

``unique`` finds the distinct values on the concrete array (which elements are equal is a
fact about values, not something to differentiate) and then gathers them from the input, so
the unique values carry derivatives to any order: each one is the first element equal to it,
and padding repeats the first unique element (as in JAX) or is ``fill_value``. With
``size=`` and values that are not known while tracing (an array batched by ``vmap``), the
same results come from gpugrad's own operations instead: a stable sort, group starts, and
``searchsorted`` of the slot numbers among the group numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.core.concrete import ConcretizationError, array_namespace, concrete_value
from gpugrad.dtypes import default_int
from gpugrad.numpy._reductions import all
from gpugrad.numpy._reductions import sum as sum_
from gpugrad.numpy._shape import broadcast_to, concatenate, cumsum, moveaxis, ravel
from gpugrad.numpy._ufuncs import FUNCTIONS, where
from gpugrad.numpy.elementwise_math import isnan
from gpugrad.numpy.operands import to_array
from gpugrad.numpy.sorting import argsort, searchsorted, take
from gpugrad.primitives import structural as S

__all__ = ["array_equal", "unique"]


def _host_unique(raw: Any, axis: int | None, equal_nan: bool) -> tuple[Any, Any, Any]:
    """First-occurrence indices, inverse and counts of the concrete array (on the host:
    NumPy's unique; a set's size is a concrete fact, needed to shape the result)."""
    host = raw.get() if hasattr(raw, "get") else np.asarray(raw)
    if axis is None:
        _, index, inverse, counts = np.unique(host.ravel(), return_index=True,
                                              return_inverse=True, return_counts=True,
                                              equal_nan=equal_nan)
        inverse = inverse.reshape(host.shape)
    else:
        _, index, inverse, counts = np.unique(host, return_index=True, return_inverse=True,
                                              return_counts=True, axis=axis)
        inverse = inverse.reshape(-1)
    return index, inverse, counts


def _pad(values: Any, size: int, fill: Any) -> Any:
    n = values.shape[0]
    if n >= size:
        return values[:size]
    tail = broadcast_to(fill, (size - n, *values.shape[1:]))
    return concatenate([values, tail.astype(values.dtype)], axis=0)


def _traced_unique(x: Any, size: int, fill_value: Any, equal_nan: bool
                   ) -> tuple[Any, Any, Any, Any]:
    """``unique`` of the flattened ``x`` with ``size=``, in gpugrad operations (no value read):
    values, first indices, inverse and counts."""
    flat = ravel(x)
    n = flat.shape[0]
    order = argsort(flat)  # stable: a group's first element is its first occurrence
    ordered = take(flat, order)
    new = FUNCTIONS["not_equal"](ordered[1:], ordered[:-1])
    if equal_nan and x.dtype.kind in "fc":  # NaNs form one group
        both_nan = FUNCTIONS["logical_and"](isnan(ordered[1:]), isnan(ordered[:-1]))
        new = FUNCTIONS["logical_and"](new, FUNCTIONS["logical_not"](both_nan))
    starts = concatenate([broadcast_to(True, (min(n, 1),)), new])
    group = cumsum(starts) - 1  # the group number of each sorted element
    slots = array_namespace(x).arange(size + 1)
    bounds = searchsorted(group, slots)  # where each group starts (n past the last one)
    first = FUNCTIONS["minimum"](bounds[:-1], n - 1)
    present = FUNCTIONS["less"](slots[:-1], sum_(starts))
    values = take(ordered, first)
    fill = values[0] if fill_value is None else fill_value
    values = where(present, values, S.convert(to_array(fill), values.dtype))
    index = where(present, take(order, first), take(order, first[:1]))
    inverse = take(group, argsort(order)).reshape(x.shape)  # argsort inverts a permutation
    return values, index, inverse, bounds[1:] - bounds[:-1]


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value: Any = None, sorted: bool = True) -> Any:
    """The sorted distinct elements of ``ar`` (of its flattened form unless ``axis`` names
    the axis whose slices are compared), and on request the index of each one's first
    occurrence, the inverse (``ar == values[inverse]``, shaped like ``ar`` for ``axis=None``)
    and the counts, in that order.

    ``size`` fixes the length of the results as in JAX: longer ones are cut, shorter ones are
    padded with ``fill_value`` (default: the smallest unique element), the index of the first
    unique element and counts of 0. gpugrad traces on concrete values, so ``unique`` without
    ``size`` also works inside ``grad``, ``jvp``, ``vjp`` and their compositions (where JAX
    raises a ConcretizationTypeError); ``size`` is only needed to fix the shape. The values
    are differentiable (a gather from ``ar``); indices and counts are integer arrays without
    derivatives.

    Example:
        >>> gnp.unique(gnp.array([3.0, 1.0, 3.0, 2.0]))
        array([1., 2., 3.], dtype=float32)
        >>> gnp.unique(gnp.array([3.0, 1.0, 3.0]), return_counts=True, size=3, fill_value=0.0)
        (array([1., 3., 0.], dtype=float32), array([1, 2, 0], dtype=int32))
    """
    if not sorted:
        raise NotImplementedError("unique(sorted=False) is not supported (nor in JAX)")
    if size is not None and (not isinstance(size, (int, np.integer)) or size < 1):
        raise ValueError(f"unique: size must be a positive integer, got {size!r}")
    x = to_array(ar)
    if axis is not None:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"unique: axis {axis} is out of bounds for an array of "
                             f"dimension {x.ndim}")
        axis = int(axis) % x.ndim
    # The unique elements, their number (the result's length, without size=) and the
    # indices that gather them all come from the values.
    try:
        values_of_x = concrete_value(x, "unique", "ar", "which elements are unique (the "
                                     "indices that gather them, and their number)",
                                     "Pass size= (its length), compute it outside the traced "
                                     "function, or pass ar as a static argument.")
    except ConcretizationError:
        if size is None or axis is not None:
            raise
        results = _traced_unique(x, int(size), fill_value, equal_nan)
        ints = default_int()
        extras = [S.convert(a, ints) for a, wanted in zip(
            results[1:], (return_index, return_inverse, return_counts)) if wanted]
        return (results[0], *extras) if extras else results[0]
    index, inverse, counts = _host_unique(values_of_x, axis, equal_nan)
    xp = array_namespace(x)
    ints = default_int()
    if axis is None:
        values = take(ravel(x), index)
    else:
        values = moveaxis(take(x, index, axis=axis), axis, 0)
    if size is not None:
        fill = values[0] if fill_value is None else fill_value
        values = _pad(values, int(size), fill)
        index = np.concatenate([index, np.full(max(size - len(index), 0), index[0])])[:size]
        counts = np.concatenate([counts, np.zeros(max(size - len(counts), 0), counts.dtype)])
        counts = counts[:size]
    if axis is not None:
        values = moveaxis(values, 0, axis)
    extras = [xp.asarray(a.astype(ints)) for a, wanted in
              ((index, return_index), (inverse, return_inverse), (counts, return_counts))
              if wanted]
    return (values, *extras) if extras else values



def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """True (a 0-d boolean array) when both arrays have the same shape and elements.

    Example:
        >>> bool(gnp.array_equal(gnp.array([1, 2]), gnp.array([1.0, 2.0])))
        True
        >>> bool(gnp.array_equal(gnp.array([1, 2]), gnp.array([1, 2, 3])))
        False
    """
    x, y = to_array(a1), to_array(a2)
    if x.shape != y.shape:
        return np.asarray(False)
    same = FUNCTIONS["equal"](x, y)
    if equal_nan and x.dtype.kind in "fc" and y.dtype.kind in "fc":
        same = same | (FUNCTIONS["not_equal"](x, x) & FUNCTIONS["not_equal"](y, y))
    return all(same)

