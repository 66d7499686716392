"""NumPy's scalar type names (``float32``, ``int32``, ...) as JAX users call them.

``jnp.float32(x)`` casts an array, a Python number or a traced value, and stays
differentiable: JAX programs write ``jnp.float32(0.5)`` and ``jnp.int32(x)`` freely. NumPy's own
``np.float32(x)`` would take the number out of a traced ``x`` (and drop its derivative), so
these names are small classes of their own. Each behaves as its NumPy type wherever a dtype is
expected (``gnp.zeros(3, gnp.float32)``, ``x.astype(gnp.int32)``, ``np.dtype(gnp.float64)``,
``x.dtype == gnp.float32``), and calling it gives ``gnp.asarray(x, dtype)``: a plain array
outside transformations (a 0-d array for a number), a traced one inside.

Example:
    >>> gnp.float32(0.5)
    array(0.5, dtype=float32)
    >>> gpugrad.grad(lambda x: gnp.float64(x) ** 2)(gnp.float32(3.0))
    array(6., dtype=float32)
    >>> gnp.zeros(2, gnp.int32).dtype == gnp.int32
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.numpy._creation import asarray

__all__ = [
    "bool_",
    "complex64",
    "complex128",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
]


class _ScalarMeta(type):
    """The type of ``gnp.float32`` and its kin: a dtype that can be called to cast."""

    dtype: np.dtype[Any]

    def __call__(cls, x: Any = 0) -> Any:  # type: ignore[override]
        return asarray(x, dtype=cls.dtype)

    # NumPy reads a dtype from any object with a `dtype` attribute (np.dtype(gnp.float32)),
    # so these compare, hash and check instances as NumPy's own scalar type does.
    def __eq__(cls, other: object) -> bool:
        if isinstance(other, _ScalarMeta):
            return cls.dtype == other.dtype
        try:
            return bool(cls.dtype == np.dtype(other))  # type: ignore[call-overload]
        except TypeError:
            return False

    def __ne__(cls, other: object) -> bool:
        return not cls == other

    def __hash__(cls) -> int:
        return hash(cls.dtype.type)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.dtype.type)

    def __repr__(cls) -> str:
        return f"gpugrad.numpy.{cls.__name__}"


def _scalar_type(name: str, numpy_type: type) -> _ScalarMeta:
    example: Any = np.asarray(1, numpy_type)
    doc = (
        f"NumPy's ``{numpy_type.__name__}`` as a dtype; ``{name}(x)`` casts ``x`` to it, "
        "differentiably.\n\n"
        "Example:\n"
        f"    >>> gnp.{name}(1)\n"
        f"    {example!r}\n"
    )
    return _ScalarMeta(name, (), {"dtype": np.dtype(numpy_type), "__doc__": doc})


bool_ = _scalar_type("bool_", np.bool_)
int8 = _scalar_type("int8", np.int8)
int16 = _scalar_type("int16", np.int16)
int32 = _scalar_type("int32", np.int32)
int64 = _scalar_type("int64", np.int64)
uint8 = _scalar_type("uint8", np.uint8)
uint16 = _scalar_type("uint16", np.uint16)
uint32 = _scalar_type("uint32", np.uint32)
uint64 = _scalar_type("uint64", np.uint64)
float16 = _scalar_type("float16", np.float16)
float32 = _scalar_type("float32", np.float32)
float64 = _scalar_type("float64", np.float64)
complex64 = _scalar_type("complex64", np.complex64)
complex128 = _scalar_type("complex128", np.complex128)
