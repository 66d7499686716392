"""Indexing primitives: ``gather`` (``x[index]``) and its transpose ``scatter_add``.

An index is a normalised NumPy index: a tuple of ints, slices, ``None``, ``Ellipsis`` and
integer arrays (boolean masks are turned into integer arrays first, which needs their
value). The integer arrays are *operands* of the primitives, so a traced index (an
``argsort``, an index batched by ``vmap``) flows through them like any other argument; the
rest of the index is a static, hashable *template* in which :data:`ARRAY` marks where each
array goes. Indices have no derivative. The VJP of a gather is a scatter-add of the
cotangent into zeros (repeated indices accumulate); the VJP of a scatter-add is a gather.
Both are linear, so their JVPs apply themselves to the tangents.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace, concrete_value
from gpugrad.core.trace import Primitive, Tracer, bind
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.shape_rules import broadcast_avals, keep
from gpugrad.primitives.structural import batch_size, move_axis, reshape, zeros_like

__all__ = ["ARRAY", "SliceBounds", "gather", "normalize_index", "scatter_add", "split_index"]


class _ArraySlot:
    """The marker of an index array's place in a template (the array is an operand)."""

    def __repr__(self) -> str:
        return "ARRAY"

    def __reduce__(self) -> str:
        return "ARRAY"


ARRAY = _ArraySlot()


class SliceBounds(NamedTuple):
    """A slice in a template: ``slice`` objects are not hashable before Python 3.12."""

    start: int | None
    stop: int | None
    step: int | None


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic)


def _bound(b: Any) -> int | None:
    return None if b is None else operator.index(b)


_MASK_FIX = ("A boolean mask selects a number of elements that depends on its values, and that "
             "number is the result's shape. Use gpugrad.numpy.where(mask, x, other) to keep the "
             "shape, or pass the mask as an unbatched argument (in_axes=None).")


def _entry(k: Any) -> tuple[Any, ...]:
    """One index entry as entries of a normalised index (a mask gives one array per axis)."""
    if isinstance(k, Tracer):
        if k.dtype == bool:  # a mask: its number of True entries is a shape
            k = concrete_value(k, "indexing", "index", "which elements a boolean mask selects",
                               _MASK_FIX)
        elif k.dtype.kind in "iu":
            return (k,)  # an operand of the gather: no value is read
    if isinstance(k, (list, tuple)):
        k = np.asarray(k)
        if k.dtype == object or (k.size == 0 and k.dtype.kind == "f"):
            k = k.astype(np.intp)
    if isinstance(k, (bool, np.bool_)):
        k = np.asarray(k)
    if _is_array(k):
        if k.dtype == bool:
            return tuple(k.nonzero())
        if k.dtype.kind not in "iu":
            raise IndexError(f"arrays used as indices must be of integer or boolean type, got "
                             f"{k.dtype}")
        return (k,)
    if isinstance(k, np.generic):
        return (int(k),)
    if isinstance(k, slice):
        return (slice(_bound(k.start), _bound(k.stop), _bound(k.step)),)
    if k is None or k is Ellipsis or isinstance(k, int):
        return (k,)
    raise IndexError(f"only integers, slices, None, Ellipsis and integer or boolean arrays are "
                     f"valid indices, got {type(k).__name__}")


def normalize_index(index: Any, ndim: int) -> tuple[Any, ...]:
    """The index as a tuple, with masks as integer arrays; integer tracers stay tracers
    (operands of the gather), slice bounds become ints."""
    if not isinstance(index, tuple):
        index = (index,)
    return tuple(e for k in index for e in _entry(k))


def split_index(index: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[Any]]:
    """``(template, arrays)`` of a normalised index: the arrays are the primitive's operands."""
    template: list[Any] = []
    arrays: list[Any] = []
    for k in index:
        if _is_array(k):
            template.append(ARRAY)
            arrays.append(k)
        elif isinstance(k, slice):
            template.append(SliceBounds(k.start, k.stop, k.step))
        else:
            template.append(k)
    return tuple(template), arrays


def assemble(template: tuple[Any, ...], arrays: Any, xp: Any = np) -> tuple[Any, ...]:
    """The NumPy index of a template and its arrays (moved onto ``xp``'s device)."""
    it = iter(arrays)
    out: list[Any] = []
    for k in template:
        if k is ARRAY:
            a = next(it)
            out.append(a if xp is np or not isinstance(a, np.ndarray) else xp.asarray(a))
        elif isinstance(k, SliceBounds):
            out.append(slice(*k))
        else:
            out.append(k)
    return tuple(out)


def _gather_impl(x: Any, *arrays: Any, index: tuple[Any, ...]) -> Any:
    out = x[assemble(index, arrays, namespace_of(x))]
    return np.asarray(out) if isinstance(out, np.generic) else out


def _gather_jvp(primals: list[Any], tangents: list[Any], index: tuple[Any, ...]
                ) -> tuple[Any, Any]:
    x_dot = tangents[0]  # the index arrays have no derivative
    out = bind(gather_p, *primals, index=index)
    return out, None if x_dot is None else bind(gather_p, x_dot, *primals[1:], index=index)


def _gather_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
                index: tuple[Any, ...]) -> list[Any]:
    x, *arrays = primals
    zeros = zeros_like(x, dtype=ct.dtype)
    return [bind(scatter_add_p, zeros, ct, *arrays, index=index)] + [None] * len(arrays)


# ---------------------------------------------------------------------------------------
# Batching (vmap). NumPy places the axes of the advanced entries (the arrays, and the ints
# once an array is present) where the first of them is when they are adjacent, and in front
# of the result when a slice or None separates them. Batched indices therefore become part
# of the advanced block: each is given a leading batch axis (the unbatched ones a length-1
# axis), and a batched x is indexed along its batch axis by the example number, an entry
# placed at the block's start, so that example b reads only its own slice of x. The batch
# axis of the result is then the block's first axis.

_FULL = SliceBounds(None, None, None)


def _expand(template: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """``template`` with its Ellipsis written out as full slices (for an example's ndim)."""
    if not any(k is Ellipsis for k in template):
        return template
    at = next(i for i, k in enumerate(template) if k is Ellipsis)
    used = sum(1 for k in template if k is not None and k is not Ellipsis)
    return template[:at] + (_FULL,) * (ndim - used) + template[at + 1:]


def _is_int(k: Any) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _block(template: tuple[Any, ...]) -> tuple[int, bool]:
    """Where the first advanced entry is (every earlier entry, a slice or None, makes one
    axis of the result), and whether a slice or None separates the advanced entries."""
    advanced = [i for i, k in enumerate(template) if k is ARRAY or _is_int(k)]
    return advanced[0], advanced[-1] - advanced[0] + 1 != len(advanced)


def _lift(a: Any, dim: int | None, rank: int) -> Any:
    """An index array with its batch axis first and ``rank`` example axes (length-1 axes
    added in front, as broadcasting would): unbatched, a length-1 batch axis."""
    if dim is None:
        return reshape(a, (1,) * (rank + 1 - a.ndim) + tuple(a.shape))
    a = move_axis(a, dim, 0)
    return reshape(a, (a.shape[0],) + (1,) * (rank + 1 - a.ndim) + tuple(a.shape[1:]))


def _batched_index(x: Any, x_dim: int | None, arrays: list[Any], dims: list[int | None],
                   template: tuple[Any, ...], size: int
                   ) -> tuple[Any, list[Any], Any, int, int | None]:
    """``(x, arrays, template, out_dim, x_dim)``: one gather of the batch that gathers what
    each example does, the batch axis of its result and that of the (moved) x."""
    template = _expand(template, x.ndim - (x_dim is not None))
    if all(d is None for d in dims):  # the same index for all: a full slice over the batch
        assert x_dim is not None
        fancy = any(a.ndim > 0 for a in arrays)  # else NumPy reads 0-d arrays as ints
        out_dim = max(a.ndim for a in arrays) if fancy and _block(template)[1] else 0
        return move_axis(x, x_dim, 0), arrays, (_FULL, *template), out_dim, 0
    rank = max(a.ndim - (d is not None) for a, d in zip(arrays, dims))
    arrays = [_lift(a, d, rank) for a, d in zip(arrays, dims)]
    first, separated = _block(template)
    if x_dim is not None:
        axis = sum(1 for k in template[:first] if k is not None)  # the axis of x it indexes
        x = move_axis(x, x_dim, axis)
        examples = array_namespace(x).arange(size).reshape((size,) + (1,) * rank)
        arrays = [examples, *arrays]  # no array comes before the first advanced entry
        template = template[:first] + (ARRAY,) + template[first:]
        x_dim = axis
    return x, arrays, template, 0 if separated else first, x_dim


def _gather_batch(values: list[Any], dims: list[int | None], index: tuple[Any, ...]
                  ) -> tuple[Any, int]:
    x, arrays, template, out_dim, _ = _batched_index(
        values[0], dims[0], values[1:], dims[1:], index, batch_size(values, dims))
    return bind(gather_p, x, *arrays, index=template), out_dim


gather_p = Primitive("gather")
gather_p.impl = _gather_impl
gather_p.jvp = _gather_jvp
gather_p.vjp = _gather_vjp
gather_p.batch = _gather_batch


def _indexed_shape(x: ShapedArray, arrays: tuple[ShapedArray, ...], index: tuple[Any, ...]
                   ) -> tuple[int, ...]:
    """The shape of ``x[index]`` by NumPy's rules: each slice keeps its axis (its length
    what ``slice.indices`` leaves), None adds one, an int drops one; the index arrays (and
    the ints, once an array is present) broadcast together into one block of axes, put
    where the first of them is when they are adjacent, else in front."""
    template = _expand(index, x.ndim)
    template += (_FULL,) * (x.ndim - sum(1 for k in template if k is not None))
    basic: list[int] = []  # the axes the slices and Nones make, in order
    axis = 0
    for k in template:
        if k is None:
            basic.append(1)
        elif isinstance(k, SliceBounds):
            basic.append(len(range(*slice(*k).indices(x.shape[axis]))))
        if k is not None:
            axis += 1
    if not arrays:
        return tuple(basic)
    first, separated = _block(template)
    at = 0 if separated else sum(1 for k in template[:first] if k is None or
                                 isinstance(k, SliceBounds))
    return (*basic[:at], *broadcast_avals(arrays), *basic[at:])


gather_p.abstract_eval = lambda x, *arrays, index: keep(x, _indexed_shape(x, arrays, index))


def gather(x: Any, index: tuple[Any, ...]) -> Any:
    """``x[index]`` for a normalised ``index`` (see :func:`normalize_index`): its arrays
    are the operands, the rest a static template."""
    template, arrays = split_index(index)
    return bind(gather_p, x, *arrays, index=template)


def _scatter_add_impl(x: Any, y: Any, *arrays: Any, index: tuple[Any, ...]) -> Any:
    xp = namespace_of(x, y)
    out = xp.array(x, copy=True)  # x may be a read-only broadcast view
    if xp is not np:
        y = xp.asarray(y)
    full = assemble(index, arrays, xp)
    if not arrays:  # basic indexing: no element is hit twice
        out[full] += y
    elif xp is np:
        np.add.at(out, full, y)  # repeated indices accumulate
    else:
        import cupyx  # optional: CuPy, only with a GPU

        cupyx.scatter_add(out, full, y)
    return out


def _scatter_add_jvp(primals: list[Any], tangents: list[Any], index: tuple[Any, ...]
                     ) -> tuple[Any, Any]:
    x, y, *arrays = primals
    x_dot, y_dot = tangents[:2]
    out = bind(scatter_add_p, *primals, index=index)
    if y_dot is None:
        return out, x_dot
    x_dot = zeros_like(x, dtype=y_dot.dtype) if x_dot is None else x_dot
    return out, bind(scatter_add_p, x_dot, y_dot, *arrays, index=index)


def _scatter_add_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
                     index: tuple[Any, ...]) -> list[Any]:
    arrays = primals[2:]
    y_ct = bind(gather_p, ct, *arrays, index=index) if wanted[1] else None
    return [ct if wanted[0] else None, y_ct] + [None] * len(arrays)


def _scatter_add_batch(values: list[Any], dims: list[int | None], index: tuple[Any, ...]
                       ) -> tuple[Any, int]:
    # Every example gets its own copy of x (broadcast if unbatched), so the gather form of
    # the index addresses disjoint parts of it and repeated indices accumulate per example.
    size = batch_size(values, dims)
    x = at_front(values[0], None, size) if dims[0] is None else values[0]
    x, arrays, template, y_dim, x_dim = _batched_index(
        x, dims[0] or 0, values[2:], dims[2:], index, size)
    y = move_axis(at_front(values[1], dims[1], size), 0, y_dim)
    assert x_dim is not None
    return bind(scatter_add_p, x, y, *arrays, index=template), x_dim


scatter_add_p = Primitive("scatter_add")
scatter_add_p.impl = _scatter_add_impl
scatter_add_p.jvp = _scatter_add_jvp
scatter_add_p.vjp = _scatter_add_vjp
scatter_add_p.batch = _scatter_add_batch
scatter_add_p.abstract_eval = lambda x, y, *arrays, index: ShapedArray(x.shape, x.dtype)


def scatter_add(x: Any, index: tuple[Any, ...], y: Any) -> Any:
    """``x`` with ``y`` added at ``index`` (``y`` already has the shape of ``x[index]``)."""
    template, arrays = split_index(index)
    return bind(scatter_add_p, x, y, *arrays, index=template)
