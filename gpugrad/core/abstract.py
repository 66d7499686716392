"""Abstract values: what staging knows of an array before any value exists.

A staged program (``jit``, ``make_jaxpr``) is traced with :class:`ShapedArray` values, an
array's shape and dtype and whether that dtype is *weak* (it came from a Python scalar, so
it gives way to the other operand's dtype as a Python scalar would). Each primitive says what
it returns for such inputs with its ``abstract_eval`` rule, so a whole function can be
traced into a program without computing anything.

Example:
    >>> from gpugrad.core.abstract import ShapedArray, abstractify
    >>> abstractify(np.ones((2, 3), np.float32))
    ShapedArray(float32[2,3])
    >>> abstractify(2.0)
    ShapedArray(float32[], weak_type=True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.dtypes import dtype_of

__all__ = ["Shaped", "ShapedArray", "abstractify"]


class Shaped:
    """A base for array-like classes: ``ndim`` and ``size`` from their ``shape``."""

    # A subclass defines ``shape``, as an attribute or a property (which is why it is not
    # declared here: a property may not override an attribute).
    __slots__ = ()

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return len(self.shape)  # type: ignore[attr-defined]

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)  # type: ignore[attr-defined]


class ShapedArray(Shaped):
    """An array known by its shape and dtype alone (and whether the dtype is weak)."""

    __slots__ = ("dtype", "shape", "weak_type")

    def __init__(self, shape: tuple[int, ...], dtype: Any, weak_type: bool = False) -> None:
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    def strip_weak_type(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ShapedArray) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))

    def short(self) -> str:
        """``f32[2,3]``: the form a printed program uses."""
        return f"{_short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    def type_text(self) -> str:
        """``float32[2,3]``: the form error messages use."""
        return f"{self.dtype.name}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.type_text()}{weak})"


def _short_dtype(dtype: np.dtype[Any]) -> str:
    kind = {"f": "f", "i": "i", "u": "u", "c": "c", "b": "bool"}.get(dtype.kind)
    if kind is None:
        return dtype.name
    if kind == "bool":
        return "bool"
    bits = dtype.itemsize * 8 // (2 if kind == "c" else 1)
    return f"{kind}{bits}" if kind != "c" else f"c{dtype.itemsize * 8}"


def abstractify(x: Any) -> ShapedArray:
    """The abstract value of ``x``: an array, a NumPy or Python scalar (weak), or a tracer.

    A tracer that already knows its abstract value (a staging tracer) gives it (``aval``);
    any other gives its shape and dtype.
    """
    aval = getattr(x, "aval", None)
    if isinstance(aval, ShapedArray):
        return aval
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return ShapedArray((), dtype_of(x), weak_type=True)  # (np.float64 is a float too)
    return ShapedArray(tuple(x.shape), x.dtype)
