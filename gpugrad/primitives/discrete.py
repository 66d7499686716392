"""Operations whose results are integers or booleans: sort orders, searches, counts, tests.

They are computed on the values, and their results carry no derivative (a small change of
the input does not change an index or a truth value), as in JAX. Each is still a primitive
applied with ``bind``, not a value read out of a tracer, so a transformation sees it: forward
and reverse mode pass it through with a zero derivative, and a staging or batching
transformation can record or batch it like any other operation.

Only results whose *shape* is fixed by the input shapes are here (``argsort``, not
``nonzero``): a result whose shape depends on values needs a concrete value
(``gpugrad.core.concrete.concrete_value``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of, on_one_backend
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.broadcasting import aligned, at_front
from gpugrad.primitives.indexing import ARRAY, gather_p
from gpugrad.primitives.shape_rules import broadcast_avals, reduced_shape
from gpugrad.primitives.structural import batch_size, example_axis, move_axis, reshape

__all__ = [
    "argpartition", "argsort", "bitcast", "bitwise", "count_nonzero", "isclose",
    "reduce_discrete", "searchsorted", "signbit",
]


def _discrete(name: str, impl: Callable[..., Any]) -> Primitive:
    prim = Primitive(name)
    prim.impl = impl
    # No derivative: the result of the primal computation, with a zero tangent...
    prim.jvp = lambda primals, tangents, **params: (bind(prim, *primals, **params), None)
    # ...and no cotangent for any argument.
    prim.vjp = lambda ct, primals, out, wanted, **params: [None] * len(primals)
    return prim


def _array(out: Any, dtype: Any = None) -> Any:
    """A backend array (NumPy's functions return scalars for 0-d results), of ``dtype``."""
    if isinstance(out, (np.generic, bool, int)):
        out = np.asarray(out)
    return out if dtype is None else out.astype(dtype)


def _argsort(x: Any, *, axis: int | None, descending: bool, dtype: Any) -> Any:
    xp = namespace_of(x)
    if axis is None:
        x, axis = x.ravel(), 0
    if descending:  # stable among equals: sort the reversed array, then undo the reversal
        n = x.shape[axis]
        order = xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, kind="stable"), axis)
        return _array(n - 1 - order, dtype)
    return _array(xp.argsort(x, axis=axis, kind="stable"), dtype)


def _argpartition(x: Any, *, kth: Any, axis: int | None, dtype: Any) -> Any:
    if axis is None:
        x, axis = x.ravel(), -1
    return _array(namespace_of(x).argpartition(x, kth, axis=axis), dtype)


def _searchsorted(a: Any, v: Any, *sorter: Any, side: str, dtype: Any) -> Any:
    xp, (a, v, order) = on_one_backend(a, v, sorter[0] if sorter else None)  # no host operand
    return _array(xp.searchsorted(a, v, side=side, sorter=order), dtype)


def _count_nonzero(x: Any, *, axis: Any, keepdims: bool, dtype: Any) -> Any:
    nonzero = x if x.dtype == bool else x != 0
    return _array(namespace_of(x).sum(nonzero, axis=axis, keepdims=keepdims, dtype=dtype))


def _isclose(a: Any, b: Any, rtol: Any, atol: Any, *, equal_nan: bool) -> Any:
    xp, (a, b, rtol, atol) = on_one_backend(a, b, rtol, atol)  # a host operand moves over
    return _array(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _signbit(x: Any) -> Any:
    return _array(namespace_of(x).signbit(x))


def _reduce(x: Any, *where: Any, name: str, axis: Any, keepdims: bool, dtype: Any) -> Any:
    xp = namespace_of(x)
    if where:  # a masked-out entry cannot change the result (any, all)
        x = xp.where(xp.broadcast_to(where[0], x.shape), x, name == "all")
    return _array(getattr(xp, name)(x, axis=axis, keepdims=keepdims), dtype)


def _searchsorted_rows(a: Any, v: Any, *, side: str, dtype: Any) -> Any:
    """``searchsorted`` of each row of ``a`` (sorted along its last axis) for the values of
    ``v`` with the same leading axes, by one merged stable sort per row: a value's result is
    the number of elements of ``a`` before it in the merged order."""
    xp, (a, v) = on_one_backend(a, v)
    n = a.shape[-1]
    rows_a = a.reshape(-1, n)
    rows_v = v.reshape(rows_a.shape[0], -1)
    m = rows_v.shape[1]
    # Stable sort: "left" puts a value before the elements equal to it, "right" after them.
    parts = [rows_v, rows_a] if side == "left" else [rows_a, rows_v]
    order = xp.argsort(xp.concatenate(parts, axis=1), axis=1, kind="stable")
    of_a = order >= m if side == "left" else order < n
    a_before = xp.cumsum(of_a, axis=1) - of_a  # elements of a strictly before each place
    where = xp.argsort(order, axis=1)  # the place of each merged element
    v_places = where[:, :m] if side == "left" else where[:, n:]
    return _array(xp.take_along_axis(a_before, v_places, axis=1).reshape(v.shape), dtype)


def _bitwise(*xs: Any, name: str) -> Any:
    xp = namespace_of(*xs)
    return _array(getattr(xp, name)(*(xp.asarray(x) for x in xs)))  # NumPy ones: to the device


def _bitcast(x: Any, *, dtype: Any) -> Any:
    # A narrower dtype splits each element along a new last axis, a wider one joins the
    # last axis (whose length must be the ratio of the sizes), as JAX's bitcast does.
    xp = namespace_of(x)
    x = xp.ascontiguousarray(x)
    if dtype.itemsize < x.dtype.itemsize:
        return x[..., None].view(dtype)
    if dtype.itemsize > x.dtype.itemsize:
        return x.view(dtype)[..., 0]
    return x.view(dtype)


argsort_p = _discrete("argsort", _argsort)
argpartition_p = _discrete("argpartition", _argpartition)
searchsorted_p = _discrete("searchsorted", _searchsorted)
count_nonzero_p = _discrete("count_nonzero", _count_nonzero)
isclose_p = _discrete("isclose", _isclose)
signbit_p = _discrete("signbit", _signbit)
reduce_discrete_p = _discrete("reduce_discrete", _reduce)
searchsorted_rows_p = _discrete("searchsorted_rows", _searchsorted_rows)
bitwise_p = _discrete("bitwise", _bitwise)  # and, or, xor, invert; nextafter
bitcast_p = _discrete("bitcast", _bitcast)


# ---------------------------------------------------------------------------------------
# Batching (vmap): an axis of an example becomes an axis of the batched value; a flattening
# (axis=None) flattens each example, with the batch axis in front.


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(int(a) % max(ndim, 1) for a in axes)


def _flat_rows(x: Any, dim: int) -> Any:
    x = move_axis(x, dim, 0)
    return reshape(x, (x.shape[0], math.prod(x.shape[1:])))


def _along_axis_batch(prim: Primitive) -> Callable[..., Any]:
    """argsort, argpartition: an order along one axis of each example (None: flattened)."""
    def rule(values: list[Any], dims: list[int | None], axis: Any, **params: Any
             ) -> tuple[Any, int]:
        (x,), (d,) = values, dims
        assert d is not None
        if axis is None or x.ndim == 1:  # NumPy orders a 0-d example as a 1-d one
            return bind(prim, _flat_rows(x, d), axis=1, **params), 0
        return bind(prim, x, axis=example_axis(_axes(axis, x.ndim - 1)[0], d), **params), d

    return rule


def _reduced_dim(d: int, axes: tuple[int, ...], keepdims: bool) -> int:
    return d if keepdims else d - sum(a < d for a in axes)


def _count_nonzero_batch(values: list[Any], dims: list[int | None], axis: Any,
                         keepdims: bool, dtype: Any) -> tuple[Any, int]:
    (x,), (d,) = values, dims
    assert d is not None
    axes = _axes(axis, x.ndim - 1)
    moved = tuple(example_axis(a, d) for a in axes)
    return (bind(count_nonzero_p, x, axis=moved, keepdims=keepdims, dtype=dtype),
            _reduced_dim(d, axes, keepdims))


def _reduce_batch(values: list[Any], dims: list[int | None], name: str, axis: Any,
                  keepdims: bool, dtype: Any) -> tuple[Any, int]:
    x, d = values[0], dims[0]
    ndim = x.ndim - (d is not None)
    params = {"name": name, "keepdims": keepdims, "dtype": dtype}
    if name in ("argmax", "argmin") and (axis is None or ndim == 0):  # flattened example
        assert d is not None
        out = bind(reduce_discrete_p, _flat_rows(x, d), axis=1, **params)
        return (reshape(out, (out.shape[0],) + (1,) * ndim) if keepdims else out), 0
    axes = _axes(axis, ndim)
    if len(values) == 1:
        assert d is not None
        moved: Any = tuple(example_axis(a, d) for a in axes)
        if name in ("argmax", "argmin"):
            moved = moved[0]
        return (bind(reduce_discrete_p, x, axis=moved, **params),
                _reduced_dim(d, axes, keepdims))
    # any/all with a where mask: both with every example in front, the mask as x's shape
    size = batch_size(values, dims)
    x = at_front(x, d, size)
    where = at_front(values[1], dims[1], size)
    where = reshape(where, (size,) + (1,) * (x.ndim - where.ndim) + tuple(where.shape[1:]))
    return bind(reduce_discrete_p, x, where, axis=tuple(a + 1 for a in axes), **params), 0


def _searchsorted_batch(values: list[Any], dims: list[int | None], side: str, dtype: Any
                        ) -> tuple[Any, int]:
    a, v, *sorter = values
    if dims[0] is None and all(d is None for d in dims[2:]):  # one sorted array for all
        assert dims[1] is not None
        return bind(searchsorted_p, a, v, *sorter, side=side, dtype=dtype), dims[1]
    size = batch_size(values, dims)
    a = at_front(a, dims[0], size)
    if sorter:  # each example's a in its sorted order: a[b, sorter[b]]
        rows = array_namespace(a).arange(size).reshape(size, 1)
        a = bind(gather_p, a, rows, at_front(sorter[0], dims[2], size), index=(ARRAY, ARRAY))
    v = at_front(v, dims[1], size)
    return bind(searchsorted_rows_p, a, v, side=side, dtype=dtype), 0


def _rows_batch(values: list[Any], dims: list[int | None], **params: Any) -> tuple[Any, int]:
    size = batch_size(values, dims)
    a, v = (at_front(x, d, size) for x, d in zip(values, dims))
    return bind(searchsorted_rows_p, a, v, **params), 0


def _elementwise_batch(prim: Primitive) -> Callable[..., Any]:
    def rule(values: list[Any], dims: list[int | None], **params: Any) -> tuple[Any, int]:
        values, out_dim = aligned(values, dims)
        return bind(prim, *values, **params), out_dim

    return rule


argsort_p.batch = _along_axis_batch(argsort_p)
argpartition_p.batch = _along_axis_batch(argpartition_p)
searchsorted_p.batch = _searchsorted_batch
searchsorted_rows_p.batch = _rows_batch
count_nonzero_p.batch = _count_nonzero_batch
isclose_p.batch = _elementwise_batch(isclose_p)
signbit_p.batch = _elementwise_batch(signbit_p)
reduce_discrete_p.batch = _reduce_batch
bitwise_p.batch = _elementwise_batch(bitwise_p)


def _bitcast_batch(values: list[Any], dims: list[int | None], dtype: Any) -> tuple[Any, int]:
    x = move_axis(values[0], dims[0], 0) if dims[0] is not None else values[0]
    return bind(bitcast_p, x, dtype=dtype), 0  # the last axis may change: batch in front


bitcast_p.batch = _bitcast_batch


# What staging records for the two (the other primitives get theirs with staging itself).
def _bitwise_abstract(*avals: ShapedArray, name: str) -> ShapedArray:
    return ShapedArray(np.broadcast_shapes(*(a.shape for a in avals)), avals[0].dtype)


def _bitcast_abstract(aval: ShapedArray, *, dtype: Any) -> ShapedArray:
    shape = aval.shape
    if dtype.itemsize < aval.dtype.itemsize:
        shape = (*shape, aval.dtype.itemsize // dtype.itemsize)
    elif dtype.itemsize > aval.dtype.itemsize:
        shape = shape[:-1]
    return ShapedArray(shape, dtype)


bitwise_p.abstract_eval = _bitwise_abstract
bitcast_p.abstract_eval = _bitcast_abstract


# ---------------------------------------------------------------------------------------
# Abstract evaluation: the dtype is a param (or bool, or NumPy's index dtype); the shape
# is the input's, a reduction of it, or that of the values searched for.


def _order_abstract(x: ShapedArray, *, axis: int | None, dtype: Any, **params: Any
                    ) -> ShapedArray:
    """argsort, argpartition: an index per element (flattened: axis None, or 0-d x)."""
    return ShapedArray((x.size,) if axis is None or x.ndim == 0 else x.shape, dtype)


def _reduce_abstract(x: ShapedArray, *where: ShapedArray, name: str, axis: Any,
                     keepdims: bool, dtype: Any) -> ShapedArray:
    if dtype is None:  # argmax/argmin give NumPy's index dtype, any/all booleans
        dtype = np.intp if name in ("argmax", "argmin") else np.bool_
    return ShapedArray(reduced_shape(x.shape, axis, keepdims), dtype)


argsort_p.abstract_eval = _order_abstract
argpartition_p.abstract_eval = _order_abstract
searchsorted_p.abstract_eval = lambda a, v, *sorter, side, dtype: ShapedArray(v.shape, dtype)
searchsorted_rows_p.abstract_eval = lambda a, v, side, dtype: ShapedArray(v.shape, dtype)
count_nonzero_p.abstract_eval = lambda x, axis, keepdims, dtype: ShapedArray(
    reduced_shape(x.shape, axis, keepdims), dtype)
isclose_p.abstract_eval = lambda *avals, equal_nan: ShapedArray(broadcast_avals(avals), bool)
signbit_p.abstract_eval = lambda x: ShapedArray(x.shape, bool)
reduce_discrete_p.abstract_eval = _reduce_abstract


def argsort(x: Any, axis: int | None, descending: bool, dtype: Any) -> Any:
    return bind(argsort_p, x, axis=axis, descending=descending, dtype=np.dtype(dtype))


def argpartition(x: Any, kth: Any, axis: int | None, dtype: Any) -> Any:
    return bind(argpartition_p, x, kth=kth, axis=axis, dtype=np.dtype(dtype))


def searchsorted(a: Any, v: Any, sorter: Any, side: str, dtype: Any) -> Any:
    sorter_args = () if sorter is None else (sorter,)
    return bind(searchsorted_p, a, v, *sorter_args, side=side, dtype=np.dtype(dtype))


def count_nonzero(x: Any, axis: Any, keepdims: bool, dtype: Any) -> Any:
    return bind(count_nonzero_p, x, axis=axis, keepdims=keepdims, dtype=np.dtype(dtype))


def isclose(a: Any, b: Any, rtol: Any, atol: Any, equal_nan: bool) -> Any:
    return bind(isclose_p, a, b, rtol, atol, equal_nan=equal_nan)


def signbit(x: Any) -> Any:
    return bind(signbit_p, x)


def reduce_discrete(name: str, x: Any, where: Any, axis: Any, keepdims: bool, dtype: Any
                    ) -> Any:
    """``argmax``, ``argmin``, ``any`` or ``all`` (``where`` masks the last two)."""
    where_args = () if where is None else (where,)
    return bind(reduce_discrete_p, x, *where_args, name=name, axis=axis, keepdims=keepdims,
                dtype=None if dtype is None else np.dtype(dtype))


def bitwise(name: str, *xs: Any) -> Any:
    """NumPy's ``bitwise_and``, ``bitwise_or``, ``bitwise_xor``, ``invert`` or
    ``nextafter`` of arrays of one dtype and shape (0-d ones broadcast)."""
    return bind(bitwise_p, *xs, name=name)


def bitcast(x: Any, dtype: Any) -> Any:
    """The bits of ``x`` read as ``dtype`` (see ``_bitcast`` for the shapes)."""
    return bind(bitcast_p, x, dtype=np.dtype(dtype))
