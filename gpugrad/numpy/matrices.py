"""Matrices and products: triangles, diagonals, ``trace``, ``kron``, ``cross``, and the
creation functions ``tri``, ``identity``, ``empty``, ``logspace``, ``geomspace``.

A diagonal is a gather at the index pairs ``(i, i + offset)``; building a diagonal matrix is
the transposed scatter-add into zeros. ``einsum_diagonal`` uses the gather to give
``gnp.einsum`` its repeated indices (``"ii->"``, ``"iij->ij"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import get_xp, on_one_backend
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Tracer
from gpugrad.dtypes import default_float, result_type
from gpugrad.numpy._creation import traced_linspace, zeros
from gpugrad.numpy._reductions import sum
from gpugrad.numpy._shape import moveaxis, ravel, reshape, stack
from gpugrad.numpy._ufuncs import FUNCTIONS, power, where
from gpugrad.numpy.operands import to_array
from gpugrad.numpy.sorting import as_array
from gpugrad.primitives import structural as S
from gpugrad.primitives.indexing import gather, scatter_add

__all__ = [
    "cross", "diag", "diagflat", "diagonal", "empty", "empty_like", "geomspace", "identity",
    "kron", "logspace", "trace", "tri", "tril", "triu",
]


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    """Ones at and below diagonal ``k``, zeros above.

    Example:
        >>> gnp.tri(2)
        array([[1., 0.],
               [1., 1.]], dtype=float32)
    """
    return get_xp().tri(N, M, k, dtype=dtype or default_float())


def _triangle(m: Any, k: int, lower: bool) -> Any:
    m = to_array(m)
    shape = m.shape[-2:]
    mask = np.tri(*shape, k=k if lower else k - 1, dtype=np.bool_)  # type: ignore[call-overload, misc]
    if not lower:
        mask = ~mask
    xp = array_namespace(m)
    mask = xp.asarray(mask) if xp is not np else mask
    return where(mask, m, np.zeros((), m.dtype).item())


def tril(m: Any, k: int = 0) -> Any:
    """The lower triangle of the last two axes (zeros above diagonal ``k``).

    Example:
        >>> gnp.tril(gnp.ones((2, 2)))
        array([[1., 0.],
               [1., 1.]], dtype=float32)
    """
    return _triangle(m, int(k), lower=True)


def triu(m: Any, k: int = 0) -> Any:
    """The upper triangle of the last two axes (zeros below diagonal ``k``).

    Example:
        >>> gnp.triu(gnp.ones((3, 3)), k=1)
        array([[0., 1., 1.],
               [0., 0., 1.],
               [0., 0., 0.]], dtype=float32)
    """
    return _triangle(m, int(k), lower=False)


def _diagonal_indices(n1: int, n2: int, offset: int) -> tuple[Any, Any]:
    if offset >= 0:
        length = max(min(n1, n2 - offset), 0)
        rows = np.arange(length)
        return rows, rows + offset
    length = max(min(n1 + offset, n2), 0)
    cols = np.arange(length)
    return cols - offset, cols


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Diagonal ``offset`` of the ``(axis1, axis2)`` planes, as the last axis (a gather).

    Example:
        >>> gnp.diagonal(gnp.array([[1.0, 2.0], [3.0, 4.0]]))
        array([1., 4.], dtype=float32)
    """
    a = to_array(a)
    if a.ndim < 2:
        raise ValueError("diagonal requires an array of at least two dimensions")
    a1, a2 = int(axis1) % a.ndim, int(axis2) % a.ndim
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    x = moveaxis(a, (a1, a2), (-2, -1))
    rows, cols = _diagonal_indices(x.shape[-2], x.shape[-1], int(offset))
    return gather(x, (slice(None),) * (x.ndim - 2) + (rows, cols))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
    """Sum along a diagonal.

    Example:
        >>> gnp.trace(gnp.array([[1.0, 2.0], [3.0, 4.0]]))
        array(5., dtype=float32)
    """
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v: Any, k: int = 0) -> Any:
    """The ``k``-th diagonal of a 2-D array, or a 2-D array with 1-D ``v`` on diagonal ``k``
    (a scatter-add into zeros).

    Example:
        >>> gnp.diag(gnp.array([1.0, 2.0]))
        array([[1., 0.],
               [0., 2.]], dtype=float32)
    """
    v = to_array(v)
    k = int(k)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError("diag: input must be 1-D or 2-D")
    n = v.shape[0] + abs(k)
    rows, cols = _diagonal_indices(n, n, k)
    zeros = array_namespace(v).zeros((n, n), v.dtype)
    return scatter_add(zeros, (rows, cols), v)


def diagflat(v: Any, k: int = 0) -> Any:
    """A 2-D array with the flattened ``v`` on diagonal ``k``.

    Example:
        >>> gnp.diagflat(gnp.array([[1.0, 2.0]])).shape
        (2, 2)
    """
    return diag(ravel(to_array(v)), k)


def identity(n: int, dtype: Any = None) -> Any:
    """The ``n`` by ``n`` identity matrix.

    Example:
        >>> gnp.identity(2)
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    return get_xp().eye(int(n), dtype=dtype or default_float())


def empty(shape: Any, dtype: Any = None) -> Any:
    """An array of ``shape`` (zeros: gpugrad never returns uninitialised memory).

    Example:
        >>> gnp.empty(2)
        array([0., 0.], dtype=float32)
    """
    return zeros(shape, dtype)


def empty_like(prototype: Any, dtype: Any = None, shape: Any = None) -> Any:
    """Zeros with the shape and dtype of ``prototype`` (see :func:`empty`).

    Example:
        >>> gnp.empty_like(gnp.ones(2))
        array([0., 0.], dtype=float32)
    """
    prototype = to_array(prototype)
    out_shape = prototype.shape if shape is None else shape
    return array_namespace(prototype).zeros(out_shape, dtype or prototype.dtype)


def kron(a: Any, b: Any) -> Any:
    """Kronecker product: blocks ``a[i, j] * b`` (an outer product and a reshape).

    Example:
        >>> gnp.kron(gnp.array([1.0, 2.0]), gnp.array([1.0, 10.0]))
        array([ 1., 10.,  2., 20.], dtype=float32)
    """
    a, b = on_one_backend(to_array(a), to_array(b))[1]  # a host operand moves to the device
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    ar = reshape(a, tuple(v for d in sa for v in (d, 1)))
    br = reshape(b, tuple(v for d in sb for v in (1, d)))
    return reshape(ar * br, tuple(x * y for x, y in zip(sa, sb)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """Cross product of 3-vectors (2-vectors get a zero third component) along the given
    axes, broadcasting the others.

    Example:
        >>> gnp.cross(gnp.array([1.0, 0.0, 0.0]), gnp.array([0.0, 1.0, 0.0]))
        array([0., 0., 1.], dtype=float32)
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = on_one_backend(to_array(a), to_array(b))[1]  # a host operand moves to the device
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError("cross: incompatible dimensions for cross product (must be 2 or 3)")
    dtype = result_type(a, b)
    a, b = S.convert(a, dtype), S.convert(b, dtype)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return as_array(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0])
    a0, a1, a2 = (a[..., i] if i < a.shape[-1] else 0.0 for i in range(3))
    b0, b1, b2 = (b[..., i] if i < b.shape[-1] else 0.0 for i in range(3))
    out = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(out, -1, axisc)


def einsum_diagonal(term: str, x: Any) -> tuple[str, Any]:
    """``(term, x)`` with every index repeated within ``term`` reduced to one, by taking the
    diagonal (a gather) of its axes; the merged index moves to the end of the term.

    Example:
        >>> einsum_diagonal("iji", gnp.ones((2, 3, 2)))[0]
        'ji'
    """
    while len(set(term)) != len(term):
        c = next(ch for ch in term if term.count(ch) > 1)
        p1 = term.index(c)
        p2 = term.index(c, p1 + 1)
        if x.shape[p1] != x.shape[p2]:
            raise ValueError(f"einsum: index {c!r} has sizes {x.shape[p1]} and {x.shape[p2]}")
        x = diagonal(x, 0, p1, p2)
        term = "".join(ch for i, ch in enumerate(term) if i not in (p1, p2)) + c
    return term, x


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10.0,
             dtype: Any = None, axis: int = 0) -> Any:
    """``base ** linspace(start, stop, num)``.

    Example:
        >>> gnp.logspace(0.0, 2.0, 3)
        array([  1.,  10., 100.], dtype=float32)
    """
    dtype = dtype or default_float()
    if _any_traced(start, stop, base):  # composed, so the derivatives in all three flow
        exponents = traced_linspace(start, stop, num, endpoint, dtype)
        out = power(S.convert(to_array(base), dtype), exponents)
        return moveaxis(out, 0, axis)
    out = get_xp().logspace(start, stop, num, endpoint=endpoint, base=base, axis=axis)
    return out.astype(dtype)


def _any_traced(*values: Any) -> bool:
    return any(isinstance(v, Tracer) for v in values)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Any:
    """Numbers spaced evenly on a log scale from ``start`` to ``stop``.

    Example:
        >>> gnp.geomspace(1.0, 100.0, 3)
        array([  1.,  10., 100.], dtype=float32)
    """
    dtype = dtype or default_float()
    if _any_traced(start, stop) or get_xp() is not np:  # CuPy 14 has no geomspace
        # sign * exp(linspace(log|start|, log|stop|)): the sign has no derivative (NumPy
        # asks for start and stop of one sign), the magnitudes carry the derivatives.
        first, last = S.convert(to_array(start), dtype), S.convert(to_array(stop), dtype)
        sign = FUNCTIONS["sign"](S.stop_gradient(first))
        logs = [FUNCTIONS["log"](FUNCTIONS["abs"](v)) for v in (first, last)]
        # multiply, not `*`: host endpoints meet a ramp made on the (device) default backend
        ramp = FUNCTIONS["exp"](traced_linspace(logs[0], logs[1], num, endpoint, dtype))
        out = FUNCTIONS["multiply"](sign, ramp)
        return moveaxis(out, 0, axis)
    out = get_xp().geomspace(start, stop, num, endpoint=endpoint, axis=axis)
    return out.astype(dtype)
