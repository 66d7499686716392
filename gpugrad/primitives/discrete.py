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

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of, on_one_backend
from gpugrad.core.trace import Primitive, bind

__all__ = [
    "argpartition", "argsort", "count_nonzero", "isclose", "reduce_discrete", "searchsorted",
    "signbit",
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


argsort_p = _discrete("argsort", _argsort)
argpartition_p = _discrete("argpartition", _argpartition)
searchsorted_p = _discrete("searchsorted", _searchsorted)
count_nonzero_p = _discrete("count_nonzero", _count_nonzero)
isclose_p = _discrete("isclose", _isclose)
signbit_p = _discrete("signbit", _signbit)
reduce_discrete_p = _discrete("reduce_discrete", _reduce)


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
