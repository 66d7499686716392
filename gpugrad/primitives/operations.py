"""The array operations derivative rules are written in, below ``gpugrad.numpy``.

Elementwise arithmetic with JAX's dtype promotion (weak Python scalars take the array's
dtype), bound to the elementwise primitive with the catalog's expression. ``gpugrad.numpy``
builds its ufuncs from the same two pieces (``promote`` and ``make_elementwise``), so a rule
computes exactly what the user-facing function would, without importing the layer above.
Below them, the shape operations rules need, on arrays and tracers only (axes as integers).

Example:
    >>> from gpugrad.primitives import operations as ops
    >>> ops.multiply(np.array([1.0, 2.0], np.float32), 3)
    array([3., 6.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import get_xp
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Tracer, bind
from gpugrad.dtypes import dtype_of, result_type, to_inexact
from gpugrad.expr import catalog as C
from gpugrad.expr.language import OpSpec, var
from gpugrad.naming import named
from gpugrad.primitives import along_axis
from gpugrad.primitives.broadcasting import reduce_sum
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.indexing import gather, normalize_index
from gpugrad.primitives.structural import convert, reshape, transpose

__all__ = [
    "SCALARS", "add", "concatenate", "equal", "expand_dims", "flip", "getitem",
    "make_elementwise", "multiply", "negative", "ones_like", "promote",
    "register_operand_conversion", "stack", "subtract", "sum_over", "swapaxes", "true_divide",
    "where",
]

SCALARS = (bool, int, float, complex)
_PY_RANK = {bool: 0, int: 1, float: 2, complex: 3}
_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _plain_array(x: Any) -> Any:
    return get_xp().asarray(np.asarray(x, dtype_of(x)))


# How a value that is neither an array, a tracer nor a Python scalar (a NumPy scalar, a list)
# becomes an operand: gpugrad.numpy registers its ``asarray`` on import (which also stacks
# lists of tracers); until then, an array of the default backend.
_to_array: Callable[[Any], Any] = _plain_array


def register_operand_conversion(to_array: Callable[[Any], Any]) -> None:
    """Install how NumPy scalars and (nested) lists become arrays in ``promote``."""
    global _to_array
    _to_array = to_array


def promote(args: Any, to_float: bool) -> Any:
    """The arguments of an elementwise operation, promoted to one dtype (JAX's rules).

    The common cases (one array dtype, perhaps with weak Python scalars) are decided here
    without building a promotion key: this runs once per operation.

    Example:
        >>> [a.dtype for a in promote((np.ones(1, np.float32), 2), to_float=False)]
        [dtype('float32'), dtype('float32')]
    """
    dtype = None
    scalar_rank = -1
    for a in args:
        t = type(a)
        rank = _PY_RANK.get(t)
        if rank is not None:
            if rank > scalar_rank:
                scalar_rank = rank
            continue
        if t is not np.ndarray:
            if isinstance(a, Tracer):
                if a.weak_type:  # a staged Python number: it gives way, as the number would
                    return _promote_general(args, to_float)
            elif not isinstance(a, np.generic):
                return _promote_general(args, to_float)
        if dtype is None:
            dtype = a.dtype
        elif a.dtype != dtype:
            return _promote_general(args, to_float)
    if (dtype is None or scalar_rank > _KIND_RANK[dtype.kind]
            or (to_float and dtype.kind not in "fc")):
        return _promote_general(args, to_float)
    if scalar_rank < 0:
        return args
    # A weak scalar takes the operation's dtype. Typing it now matters: NumPy would turn an
    # all-scalar intermediate such as 1.0 / 2 into a float64 scalar, which widens float32.
    if len(args) == 2:  # an array and a scalar, the commonest case, without a comprehension
        a, b = args
        return (dtype.type(a), b) if type(a) in _PY_RANK else (a, dtype.type(b))
    return [dtype.type(a) if type(a) in _PY_RANK else a for a in args]


def _operand(x: Any) -> Any:
    if isinstance(x, (Tracer, *SCALARS)):
        return x
    if type(x) is np.ndarray or hasattr(x, "__cuda_array_interface__"):
        return x
    return _to_array(x)


def _promote_general(args: tuple[Any, ...], to_float: bool) -> list[Any]:
    args = tuple([a if type(a) is np.ndarray or isinstance(a, Tracer) else _operand(a)
                  for a in args])
    dtype = result_type(*args)
    if to_float and dtype.kind not in "fc":
        dtype = to_inexact(dtype)
    out = []
    has_array = False
    for a in args:
        if isinstance(a, SCALARS):
            out.append(dtype.type(a))
            continue
        has_array = True
        if a.dtype == dtype:
            out.append(a)
        elif type(a) is np.ndarray and a.dtype.kind != "c":
            out.append(a.astype(dtype))  # a constant: what convert would compute
        else:
            out.append(convert(a, dtype))
    if not has_array:  # every argument a Python scalar: make the first an array
        out[0] = get_xp().asarray(out[0])
    return out


def make_elementwise(name: str, spec: OpSpec, to_float: bool, doc: str) -> Any:
    """The function ``name(*args)`` applying the catalog operation ``spec`` to its promoted
    arguments (in floating point if ``to_float``).

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> make_elementwise("sub", C.sub, False, "")(np.array([3.0]), 1.0)
        array([2.])
    """
    expr = spec(*[var(i) for i in range(spec.arity)])

    def fn(*args: Any) -> Any:
        if len(args) != spec.arity:
            raise TypeError(f"{name}() takes {spec.arity} argument(s), got {len(args)}")
        if len(args) == 1:  # unary fast path: an array or tracer of a fitting dtype
            (x,) = args
            if (type(x) is np.ndarray or isinstance(x, Tracer)) and (
                    not to_float or x.dtype.kind in "fc"):
                return bind(elementwise_p, x, expr=expr)
        return bind(elementwise_p, *promote(args, to_float), expr=expr)

    return named(fn, name, doc)


add = make_elementwise("add", C.add, False, "``x + y``.")
subtract = make_elementwise("subtract", C.sub, False, "``x - y``.")
multiply = make_elementwise("multiply", C.mul, False, "``x * y``.")
true_divide = make_elementwise("true_divide", C.div, True, "``x / y``, in floating point.")
negative = make_elementwise("negative", C.neg, False, "``-x``.")
equal = make_elementwise("equal", C.eq, False, "``x == y`` (bool).")

_SELECT = C.select(var(0), var(1), var(2))


def where(condition: Any, x: Any, y: Any) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (the condition has no derivative).

    Example:
        >>> where(np.array([True, False]), np.array([1.0, 1.0]), 2.0)
        array([1., 2.])
    """
    c = _operand(condition)
    c = bool(c) if isinstance(c, SCALARS) else convert(c, bool)
    a, b = promote((x, y), to_float=False)
    if isinstance(c, bool):
        c = get_xp().asarray(c)
    return bind(elementwise_p, c, a, b, expr=_SELECT)


def sum_over(x: Any, axes: tuple[int, ...], keepdims: bool = False) -> Any:
    """The sum of a floating ``x`` over ``axes`` (negative ones count from the end).

    Example:
        >>> sum_over(np.ones((2, 3)), (-1,), keepdims=True)
        array([[3.],
               [3.]])
    """
    axes = tuple(sorted(a % x.ndim for a in axes))
    out = reduce_sum(x, axes)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return out


def expand_dims(x: Any, axis: int) -> Any:
    """``x`` with an axis of length one inserted at ``axis``.

    Example:
        >>> expand_dims(np.ones(3), -2).shape
        (1, 3)
    """
    shape = list(x.shape)
    shape.insert(axis % (x.ndim + 1), 1)
    return reshape(x, tuple(shape))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """``x`` with two axes exchanged.

    Example:
        >>> swapaxes(np.ones((2, 3)), -1, -2).shape
        (3, 2)
    """
    perm = list(range(x.ndim))
    a, b = axis1 % x.ndim, axis2 % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, tuple(perm))


def concatenate(xs: list[Any], axis: int) -> Any:
    """The arrays ``xs`` joined along ``axis``, promoted to one dtype.

    Example:
        >>> concatenate([np.zeros(1), np.ones(2, np.float32)], 0)
        array([0., 1., 1.])
    """
    dtype = result_type(*xs)
    return along_axis.concatenate([convert(x, dtype) for x in xs], axis % max(xs[0].ndim, 1))


def stack(xs: list[Any], axis: int) -> Any:
    """The arrays ``xs`` (of one shape) joined along a new axis.

    Example:
        >>> stack([np.zeros(2), np.ones(2)], -1)
        array([[0., 1.],
               [0., 1.]])
    """
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` (NumPy's indexing) as a gather.

    Example:
        >>> getitem(np.arange(4.0), (Ellipsis, slice(0, 2)))
        array([0., 1.])
    """
    return gather(x, normalize_index(index, x.ndim))


def flip(x: Any, axis: int) -> Any:
    """``x`` reversed along ``axis``.

    Example:
        >>> flip(np.arange(3.0), -1)
        array([2., 1., 0.])
    """
    axis %= x.ndim
    return gather(x, tuple(slice(None, None, -1) if i == axis else slice(None)
                           for i in range(x.ndim)))


def ones_like(x: Any) -> Any:
    """Concrete ones with the shape and dtype of ``x`` on its backend (a constant).

    Example:
        >>> ones_like(np.zeros(2, np.float32))
        array([1., 1.], dtype=float32)
    """
    return array_namespace(x).ones(tuple(x.shape), x.dtype)
