"""``gpugrad.lax``'s choices between arrays: ``select``, ``select_n`` and ``clamp``.

The derivative follows the chosen operand. ``clamp`` has JAX's conventions at its bounds:
``x`` receives the derivative only strictly between them, ``lo`` only where it is strictly
above ``x`` (and below ``hi``), ``hi`` only where it is strictly below ``x``; where ``x``
equals a bound nobody does (JAX's rule, which this matches; ``gpugrad.numpy.clip`` instead
shares a tie half and half).

Example:
    >>> lax.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0)
    array([0. , 0.5, 1. ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.lax.operands import check_kinds, same_dtype
from gpugrad.numpy.operands import to_array
from gpugrad.primitives.structural import stop_gradient

__all__ = ["clamp", "select", "select_n"]


def _shapes_match(name: str, arrays: list[Any], shape: tuple[int, ...], what: str) -> None:
    for a in arrays:
        if a.ndim and tuple(a.shape) != shape:
            raise TypeError(f"lax.{name}: {what} must be scalars or have the shape {shape}, "
                            f"got {tuple(a.shape)}")


def clamp(min: Any, x: Any, max: Any) -> Any:
    """``x`` clipped to ``[min, max]``; ``min`` and ``max`` are scalars or of ``x``'s shape.

    Example:
        >>> gpugrad.grad(lambda x: lax.clamp(0.0, x, 1.0))(0.5)
        array(1., dtype=float32)
    """
    lo, x, hi = same_dtype("clamp", min, x, max, tip="gpugrad.numpy.clip")
    _shapes_match("clamp", [lo, hi], tuple(x.shape), "min and max")
    value = gnp.minimum(gnp.maximum(x, lo), hi)
    inside = gnp.logical_and(x > lo, x < hi)
    lo_wins = gnp.logical_and(lo > x, lo < hi)
    hi_wins = hi < x
    # Where x touches a bound (or the bounds cross) the value holds no derivative, as in JAX.
    rest = stop_gradient(value)
    return gnp.where(inside, x, gnp.where(lo_wins, lo, gnp.where(hi_wins, hi, rest)))


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """``on_true`` where ``pred``, else ``on_false``: both of one dtype and shape, ``pred`` a
    bool array of that shape or a scalar.

    Example:
        >>> lax.select(np.array([True, False]), np.array([1, 2]), np.array([3, 4]))
        array([1, 4])
    """
    return _select_n("select", pred, on_false, on_true)


def select_n(which: Any, *cases: Any) -> Any:
    """``cases[which]`` elementwise: ``which`` is a bool (two cases) or integer array of the
    cases' shape, or a scalar; the cases share one dtype and shape.

    Example:
        >>> lax.select_n(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([4, 5, 6]),
        ...              np.array([7, 8, 9]))
        array([1, 5, 9])
    """
    return _select_n("select_n", which, *cases)


def _select_n(name: str, which: Any, *cases: Any) -> Any:
    if not cases:
        raise ValueError(f"lax.{name} requires at least one case")
    cases_ = same_dtype(name, *cases, tip="gpugrad.numpy.where")
    shape = tuple(cases_[0].shape)
    _shapes_match(name, cases_, shape, "the cases")
    which = to_array(which)
    check_kinds(name, [which], "biu")
    _shapes_match(name, [which], shape, "the selector")
    if which.dtype.kind == "b":
        if len(cases_) > 2:
            raise TypeError(f"lax.{name}: a bool selector chooses between two cases, got "
                            f"{len(cases_)}; use an integer selector")
        out = cases_[0] if len(cases_) == 1 else gnp.where(which, cases_[1], cases_[0])
    else:
        out = cases_[0]
        for i, case in enumerate(cases_[1:], start=1):
            out = gnp.where(which == i, case, out)
    return gnp.broadcast_to(out, np.broadcast_shapes(tuple(which.shape), shape))
