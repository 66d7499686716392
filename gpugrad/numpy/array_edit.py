"""Editing arrays along an axis: ``append``, ``insert``, ``delete``, and ``select`` (the
many-way ``where``).

``insert`` and ``delete`` work out *where* every output element comes from with NumPy's own
``insert``/``delete`` run on index arrays (positions are concrete: they fix the shape), and
then gather the elements from the (differentiable) inputs, so derivatives flow to ``arr``
and to the inserted ``values`` to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.core.concrete import concrete_value
from gpugrad.dtypes import result_type
from gpugrad.numpy._shape import concatenate, ravel
from gpugrad.numpy._ufuncs import where
from gpugrad.numpy.operands import to_array
from gpugrad.numpy.sorting import take
from gpugrad.primitives import structural as S

__all__ = ["append", "delete", "insert", "select"]


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` appended to ``arr`` along ``axis`` (both flattened when ``axis`` is None).

    Example:
        >>> gnp.append(gnp.array([1.0, 2.0]), gnp.array([[3.0], [4.0]]))
        array([1., 2., 3., 4.], dtype=float32)
    """
    a, v = to_array(arr), to_array(values)
    if axis is None:
        return concatenate([ravel(a), ravel(v)], axis=0)
    return concatenate([a, v], axis=axis)


def _static_obj(obj: Any, name: str) -> Any:
    if isinstance(obj, slice):
        return obj
    if hasattr(obj, "dtype") or isinstance(obj, (int, np.integer, list, tuple)):
        # The positions fix the output's shape: they must be known, integer values.
        obj = concrete_value(obj, name, "obj", "the positions, which fix the result's shape")
        host = np.asarray(obj.get() if hasattr(obj, "get") else obj)
        if host.dtype.kind not in "iub" and host.size:
            raise TypeError(f"{name}: obj must be integer indices or a slice, got dtype "
                            f"{host.dtype}")
        return host.astype(np.int64) if host.dtype.kind == "b" else host
    raise TypeError(f"{name}: obj must be an int, a slice or integer indices, got "
                    f"{type(obj).__name__}")


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` inserted before the positions ``obj`` (an int, a slice or indices) along
    ``axis`` (of the flattened array when ``axis`` is None), cast to ``arr``'s dtype.

    Example:
        >>> gnp.insert(gnp.array([[0.0, 1.0], [2.0, 3.0]]), 1, gnp.array([7.0, 8.0]), axis=0)
        array([[0., 1.],
               [7., 8.],
               [2., 3.]], dtype=float32)
    """
    a = to_array(arr)
    v = to_array(values)
    if v.dtype != a.dtype:
        v = S.convert(v, a.dtype)
    # Tag every element with where it comes from: k >= 0 is a's flat element k,
    # k < 0 is values' flat element -k - 1; NumPy's insert then arranges the tags.
    a_tags = np.arange(a.size, dtype=np.int64).reshape(a.shape)
    v_tags = -1 - np.arange(v.size, dtype=np.int64).reshape(v.shape)
    try:
        tags = np.insert(a_tags, _static_obj(obj, "insert"), v_tags, axis=axis)
    except (IndexError, ValueError) as e:
        raise type(e)(f"insert: {e}") from e
    from_a = tags >= 0
    picked_a = take(ravel(a), np.where(from_a, tags, 0))
    if v.size == 0:
        return picked_a
    picked_v = take(ravel(v), np.where(from_a, 0, -1 - tags))
    return where(from_a, picked_a, picked_v)


def delete(arr: Any, obj: Any, axis: int | None = None, *,
           assume_unique_indices: bool = False) -> Any:
    """``arr`` without the entries ``obj`` (an int, a slice or indices) along ``axis`` (of
    the flattened array when ``axis`` is None).

    Example:
        >>> gnp.delete(gnp.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]), [0, 2], axis=1)
        array([[1.],
               [4.]], dtype=float32)
    """
    a = to_array(arr)
    tags = np.arange(a.size, dtype=np.int64).reshape(a.shape)
    try:
        kept = np.delete(tags, _static_obj(obj, "delete"), axis=axis)
    except (IndexError, ValueError) as e:
        raise type(e)(f"delete: {e}") from e
    return take(ravel(a), kept)


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """Elementwise, the entry of the first choice whose condition holds, else ``default``.

    Example:
        >>> x = gnp.array([-2.0, 0.5, 3.0])
        >>> gnp.select([x < 0, x < 1], [-x, x * 10], default=x)
        array([2., 5., 3.], dtype=float32)
    """
    conds, choices = list(condlist), list(choicelist)
    if len(conds) != len(choices):
        raise ValueError(f"select: condlist has {len(conds)} entries and choicelist "
                         f"{len(choices)}; give one choice per condition")
    if not conds:
        raise ValueError("select: condlist is empty; give at least one condition")
    choices = [to_array(c) for c in choices]
    dtype = result_type(*choices, default)
    out = to_array(default)
    out = S.convert(out, dtype) if out.dtype != dtype else out
    # The last condition is applied first, so that earlier ones overwrite it.
    for cond, choice in zip(reversed(conds), reversed(choices)):
        c = to_array(cond)
        out = where(c if c.dtype.kind == "b" else c != 0, choice, out)
    return out
