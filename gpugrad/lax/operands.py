"""The operand rules of ``gpugrad.lax``: no dtype promotion, no implicit broadcasting.

``jax.lax`` is the level below ``jax.numpy``: its operations take arrays of one dtype and one
shape, so that a program says every conversion it makes. Mixing ``float32`` and ``float64``
is a ``TypeError`` naming both dtypes. A Python scalar is *weak*: it takes the dtype of the
arrays beside it, as long as it is of the same kind (a Python ``float`` beside a float array,
an ``int`` beside an integer array); alone, it gets the default dtype of its kind. Shapes
must be equal, except that a 0-d operand goes with any shape.

Example:
    >>> lax.add(np.ones(2, np.float32), 1.0)
    array([2., 2.], dtype=float32)
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from gpugrad.core.trace import Tracer
from gpugrad.numpy import asarray
from gpugrad.numpy.operands import to_array

__all__ = ["BinaryOp", "UnaryOp", "check_kinds", "elementwise", "same_dtype", "same_shape",
           "static_ints"]

# The kind of dtype each Python scalar type may join (bool only joins bools).
_SCALAR_KINDS = {bool: "b", int: "iu", float: "f", complex: "c"}
# The names JAX prints for the kinds an operation accepts.
KIND_NAMES = {"b": "bool", "i": "signedinteger", "u": "unsignedinteger", "f": "floating",
              "c": "complexfloating", "I": "integer"}
FLOATING = "fc"
NUMBER = "iufc"
INTEGRAL = "biu"


class UnaryOp(Protocol):
    """The type of the factory-made elementwise operations of one operand (``lax.sin``)."""

    def __call__(self, x: Any) -> Any: ...


class BinaryOp(Protocol):
    """The type of the factory-made elementwise operations of two operands (``lax.add``)."""

    def __call__(self, x: Any, y: Any) -> Any: ...


def _weak(x: Any) -> bool:
    return type(x) in _SCALAR_KINDS


def same_dtype(name: str, *args: Any, tip: str | None = None) -> list[Any]:
    """``args`` as arrays of one dtype: the typed ones must agree, and the Python scalars take
    their dtype; a ``TypeError`` naming every dtype otherwise."""
    # NumPy scalars are host values, as typed as arrays: they go where the arrays are.
    typed = [None if _weak(a) else np.asarray(a) if isinstance(a, np.generic) else to_array(a)
             for a in args]
    dtypes = [t.dtype for t in typed if t is not None]
    if dtypes:
        dtype = dtypes[0]
        fits = all(d == dtype for d in dtypes) and all(
            dtype.kind in _SCALAR_KINDS[type(a)] for a in args if _weak(a))
    else:  # Python scalars alone: all of one type, which gives its default dtype
        kinds = {type(a) for a in args}
        fits = len(kinds) == 1
        dtype = asarray(args[0]).dtype
    if not fits:
        names = ", ".join(str(asarray(a).dtype if t is None else t.dtype)
                          for a, t in zip(args, typed))
        hint = f" (Tip: {tip} promotes its arguments.)" if tip else (
            " (Convert one with lax.convert_element_type.)")
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got "
                        f"{names}.{hint}")
    # A Python scalar beside arrays becomes a NumPy scalar: it goes wherever they are (the
    # default backend may be another); alone, it is an array of the default backend.
    make = np.asarray if dtypes else asarray
    return [make(a, dtype=dtype) if t is None else t for a, t in zip(args, typed)]


def same_shape(name: str, args: list[Any]) -> list[Any]:
    """Check that the operands of an elementwise operation have one shape (0-d ones aside);
    the 0-d ones are left for the operation to broadcast."""
    shapes = {tuple(a.shape) for a in args if a.ndim}
    if len(shapes) > 1:
        listed = ", ".join(str(tuple(a.shape)) for a in args)
        raise TypeError(f"lax.{name} got incompatible shapes for broadcasting: {listed}. "
                        "Use lax.broadcast_in_dim to give them one shape.")
    return args


def check_kinds(name: str, args: list[Any], kinds: str) -> None:
    """A ``TypeError`` when an operand's dtype is not of ``kinds`` (``"fc"``: floating or
    complex), as JAX raises for ``lax.sin`` of integers."""
    for i, a in enumerate(args):
        if a.dtype.kind not in kinds:
            # Signed and unsigned together are JAX's "integer".
            accepted = ", ".join(KIND_NAMES[k] for k in kinds.replace("iu", "I"))
            where = f" at position {i}" if len(args) > 1 else ""
            raise TypeError(f"lax.{name} does not accept dtype {a.dtype}{where}. Accepted "
                            f"dtypes are subtypes of {accepted}; convert with "
                            "lax.convert_element_type first.")


def static_ints(name: str, what: str, values: Any) -> tuple[int, ...]:
    """A sequence of Python ints (dimensions, sizes, strides): these set the result's shape,
    so they must be static, never traced values."""
    if isinstance(values, Tracer) or any(isinstance(v, Tracer) for v in values):
        raise TypeError(f"lax.{name}: {what} set the shape of the result and must be Python "
                        "ints, not traced values")
    return tuple(int(v) for v in values)


def elementwise(name: str, kinds: str, *args: Any, tip: str | None = None) -> list[Any]:
    """The operands of an elementwise operation: one dtype, of ``kinds``, one shape."""
    arrays = same_shape(name, same_dtype(name, *args, tip=tip))
    check_kinds(name, arrays, kinds)
    return arrays
