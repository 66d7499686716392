"""``gpugrad.lax``'s reductions and contractions: ``reduce_*`` over explicit axes,
``argmax``/``argmin`` with an index dtype, and ``dot``/``dot_general``.

``dot_general`` names its contracting and batch axes explicitly,
``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``; the result has the batch
axes first, then the free axes of ``lhs``, then those of ``rhs``. It is one ``einsum`` of
``gpugrad.numpy``, so its derivatives and batching are einsum's.

Example:
    >>> lhs, rhs = np.ones((5, 2, 3)), np.ones((5, 3, 4))
    >>> lax.dot_general(lhs, rhs, (((2,), (1,)), ((0,), (0,)))).shape
    (5, 2, 4)
"""

from __future__ import annotations

import enum
import string
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.lax.operands import NUMBER, check_kinds, static_ints
from gpugrad.naming import example_doc, named
from gpugrad.numpy.operands import to_array

__all__ = [
    "Precision", "argmax", "argmin", "dot", "dot_general", "reduce_max", "reduce_min",
    "reduce_prod", "reduce_sum",
]


class Precision(enum.Enum):
    """JAX's precision requests for the products of ``dot`` and ``dot_general`` (bfloat16
    passes on TPUs). Accepted for JAX's signatures; NumPy and CuPy always compute at the
    operands' own precision, which is ``HIGHEST``.

    Example:
        >>> lax.dot(np.ones(3), np.ones(3), precision=lax.Precision.HIGHEST)
        array(3.)
    """

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


def _axes(name: str, x: Any, axes: Any) -> tuple[int, ...]:
    axes = static_ints(name, "axes", (axes,) if isinstance(axes, int) else axes)
    for a in axes:
        if not -x.ndim <= a < max(x.ndim, 1) or (x.ndim == 0):
            raise ValueError(f"lax.{name}: axis {a} is out of range for an operand of shape "
                             f"{tuple(x.shape)}")
    return tuple(sorted({a % x.ndim for a in axes}))


def _reduce(name: str, operand: Any, axes: Any,
            compute: Callable[[Any, tuple[int, ...]], Any], kinds: str | None = None) -> Any:
    """``compute(x, axes)`` of the operand ``x`` (of ``kinds`` when given) over the checked
    ``axes``; no axes leave ``x`` as it is."""
    x = to_array(operand)
    if kinds is not None:
        check_kinds(name, [x], kinds)
    axes = _axes(name, x, axes)
    return compute(x, axes) if axes else x


def reduce_sum(operand: Any, axes: Any) -> Any:
    """The sum over ``axes`` (the dtype is kept).

    Example:
        >>> lax.reduce_sum(np.arange(6).reshape(2, 3), (1,))
        array([ 3, 12])
    """
    return _reduce("reduce_sum", operand, axes, lambda x, a: gnp.sum(x, axis=a, dtype=x.dtype),
                   NUMBER)


def reduce_prod(operand: Any, axes: Any) -> Any:
    """The product over ``axes`` (exact derivatives where an element is zero).

    Example:
        >>> lax.reduce_prod(np.array([[1.0, 2.0], [3.0, 4.0]]), (0,))
        array([3., 8.])
    """
    return _reduce("reduce_prod", operand, axes,
                   lambda x, a: gnp.prod(x, axis=a, dtype=x.dtype), NUMBER)


def reduce_max(operand: Any, axes: Any) -> Any:
    """The maximum over ``axes``; tied maxima share the derivative equally, as in JAX.

    Example:
        >>> lax.reduce_max(np.array([[1.0, 5.0], [3.0, 4.0]]), (1,))
        array([5., 4.])
    """
    return _reduce("reduce_max", operand, axes, lambda x, a: gnp.max(x, axis=a))


def reduce_min(operand: Any, axes: Any) -> Any:
    """The minimum over ``axes``; tied minima share the derivative equally, as in JAX.

    Example:
        >>> lax.reduce_min(np.array([[1.0, 5.0], [3.0, 4.0]]), (0, 1))
        array(1.)
    """
    return _reduce("reduce_min", operand, axes, lambda x, a: gnp.min(x, axis=a))


class ArgExtremum(Protocol):
    """The type of ``lax.argmax`` and ``lax.argmin``."""

    def __call__(self, operand: Any, axis: int, index_dtype: Any) -> Any: ...


def _arg_extremum(name: str, extremum: str, example: str, result: str) -> ArgExtremum:
    """``lax.argmax`` or ``lax.argmin``, documented by the example of calling it with the
    arguments ``example``, which prints ``result``."""

    def fn(operand: Any, axis: int, index_dtype: Any) -> Any:
        x = to_array(operand)
        (axis,) = _axes(name, x, (axis,))
        dtype = np.dtype(index_dtype)
        if dtype.kind not in "iu":
            raise TypeError(f"lax.{name}: index_dtype must be an integer dtype, got {dtype}")
        if x.shape[axis] == 0:
            raise ValueError(f"lax.{name}: axis {axis} of the operand of shape "
                             f"{tuple(x.shape)} is empty")
        return gnp.astype(getattr(gnp, name)(x, axis=axis), dtype)

    return named(fn, name, example_doc(
        f"The index of the first {extremum} along ``axis``, as ``index_dtype`` (a NaN counts "
        f"as\nthe {extremum}).",
        f">>> lax.{name}({example}, 1, np.int32)", result))


argmax = _arg_extremum("argmax", "maximum", "np.array([[1, 3, 3], [2, 0, 2]])",
                       "array([1, 0], dtype=int32)")
argmin = _arg_extremum("argmin", "minimum", "np.array([[1, 3, 0], [2, 0, 2]])",
                       "array([2, 1], dtype=int32)")


def _subscripts(lhs_ndim: int, rhs_ndim: int, contracting: tuple[tuple[int, ...], ...],
                batch: tuple[tuple[int, ...], ...]) -> str:
    """The einsum string of a dot_general: batch axes, lhs free axes, rhs free axes."""
    letters = iter(string.ascii_letters)
    lhs = [""] * lhs_ndim
    rhs = [""] * rhs_ndim
    for a, b in [*zip(*batch), *zip(*contracting)]:
        lhs[a] = rhs[b] = next(letters)
    for axes in (lhs, rhs):
        for i, s in enumerate(axes):
            if not s:
                axes[i] = next(letters)
    out = [lhs[a] for a in batch[0]]
    out += [s for i, s in enumerate(lhs) if i not in batch[0] and i not in contracting[0]]
    out += [s for i, s in enumerate(rhs) if i not in batch[1] and i not in contracting[1]]
    return f"{''.join(lhs)},{''.join(rhs)}->{''.join(out)}"


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None) -> Any:
    """The contraction of ``lhs`` and ``rhs`` over the axes ``dimension_numbers`` names
    (``precision`` is accepted for JAX's signature and ignored: NumPy and CuPy compute at
    the dtype's precision).

    Example:
        >>> lax.dot_general(np.ones((2, 3)), np.ones((3, 4)), (((1,), (0,)), ((), ())))
        array([[3., 3., 3., 3.],
               [3., 3., 3., 3.]])
    """
    lhs, rhs = to_array(lhs), to_array(rhs)
    (lc, rc), (lb, rb) = dimension_numbers
    contracting = (static_ints("dot_general", "contracting dimensions", lc),
                   static_ints("dot_general", "contracting dimensions", rc))
    batch = (static_ints("dot_general", "batch dimensions", lb),
             static_ints("dot_general", "batch dimensions", rb))
    for (la, ra), what in ((contracting, "contracting"), (batch, "batch")):
        pairs_ok = len(la) == len(ra) and all(
            0 <= a < lhs.ndim and 0 <= b < rhs.ndim and lhs.shape[a] == rhs.shape[b]
            for a, b in zip(la, ra))
        if not pairs_ok:
            raise TypeError(
                f"lax.dot_general: the {what} dimensions {la} of lhs {tuple(lhs.shape)} and "
                f"{ra} of rhs {tuple(rhs.shape)} must pair axes of equal lengths")
    if set(contracting[0]) & set(batch[0]) or set(contracting[1]) & set(batch[1]):
        raise TypeError("lax.dot_general: an axis cannot be both contracting and batch")
    if preferred_element_type is not None:
        dtype = np.dtype(preferred_element_type)
        lhs, rhs = gnp.astype(lhs, dtype), gnp.astype(rhs, dtype)
    out = gnp.einsum(_subscripts(lhs.ndim, rhs.ndim, contracting, batch), lhs, rhs)
    return out


def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None
        ) -> Any:
    """Vector-vector, matrix-vector or matrix-matrix product (operands of rank 1 or 2).

    Example:
        >>> lax.dot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
        array([3., 7.])
    """
    lhs, rhs = to_array(lhs), to_array(rhs)
    if lhs.ndim not in (1, 2) or rhs.ndim not in (1, 2) or lhs.shape[-1] != rhs.shape[0]:
        raise TypeError(f"lax.dot: operands of rank 1 or 2 whose inner lengths agree are "
                        f"needed, got shapes {tuple(lhs.shape)} and {tuple(rhs.shape)}; "
                        "use lax.dot_general for others")
    numbers = (((lhs.ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, numbers, precision, preferred_element_type)
