"""Argument checking shared by the samplers: shapes, dtypes (x32/x64 rules), tracers.

Example:
    >>> canonical_shape(3), canonical_shape([2, 3])
    ((3,), (2, 3))
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.core.trace import Tracer

__all__ = [
    "broadcast_shapes",
    "canonical_shape",
    "check_shape",
    "float_dtype",
    "int_dtype",
    "is_tracer",
    "shape_of",
    "uint_dtype",
]


def canonical_shape(shape: Any) -> tuple[int, ...]:
    """A shape argument (int, tuple or list of ints) as a tuple; negative sizes are errors.

    Example:
        >>> canonical_shape(())
        ()
    """
    dims = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    try:
        out = tuple(operator.index(d) for d in dims)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"shape dimensions must be non-negative, got {shape!r}")
    return out


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy broadcasting of shapes (``ValueError`` when incompatible)."""
    return tuple(np.broadcast_shapes(*shapes))


def check_shape(name: str, shape: tuple[int, ...], *param_shapes: tuple[int, ...]) -> None:
    """JAX's rule: the parameters must broadcast to exactly ``shape``.

    Example:
        >>> check_shape("uniform", (2, 3), (3,))
    """
    if param_shapes:
        result = broadcast_shapes(shape, *param_shapes)
        if result != shape:
            raise ValueError(
                f"{name} parameter shapes must be broadcast-compatible with shape argument, "
                f"and the result of broadcasting the shapes must equal the shape argument, "
                f"but got result {result} for shape argument {shape}.")


def _narrowed(requested: np.dtype, name: str) -> np.dtype:
    """Without x64, 64-bit requests become 32-bit with JAX's ``UserWarning``."""
    if live.enable_x64 or requested.itemsize != 8:
        return requested
    narrow = np.dtype(requested.kind + "4")
    warnings.warn(
        f"Explicitly requested dtype {requested} requested in {name} is not available, and "
        f"will be truncated to dtype {narrow}. To enable more dtypes, set "
        "gpugrad.config.update('enable_x64', True) or GPUGRAD_ENABLE_X64=1.",
        UserWarning, stacklevel=4)
    return narrow


def _requested_dtype(name: str, dtype: Any, kinds: str, x64: Any, x32: Any,
                     error: Callable[[np.dtype], Exception]) -> np.dtype:
    """``dtype`` checked to be of ``kinds`` (else ``error(dtype)`` is raised) and narrowed
    to what the mode allows; None asks for ``x64`` in 64-bit mode, ``x32`` otherwise."""
    if dtype is None:
        return np.dtype(x64 if live.enable_x64 else x32)
    dt = np.dtype(dtype)
    if dt.kind not in kinds:
        raise error(dt)
    return _narrowed(dt, name)


def float_dtype(name: str, dtype: Any) -> np.dtype:
    """The float dtype a sampler produces (default float32, float64 in x64 mode).

    Example:
        >>> float_dtype("normal", None)
        dtype('float32')
    """
    return _requested_dtype(name, dtype, "f", np.float64, np.float32, lambda dt: ValueError(
        f"dtype argument to `{name}` must be a float dtype, got {dt}"))


def int_dtype(name: str, dtype: Any) -> np.dtype:
    """The integer dtype of ``randint`` and friends (default int32, int64 in x64 mode)."""
    return _requested_dtype(name, dtype, "iu", np.int64, np.int32, lambda dt: TypeError(
        f"{name} only accepts integer dtypes, got {dt}"))


def uint_dtype(name: str, dtype: Any) -> np.dtype:
    """The unsigned dtype of ``bits`` (default uint32, uint64 in x64 mode)."""
    return _requested_dtype(name, dtype, "u", np.uint64, np.uint32, lambda dt: ValueError(
        f"dtype argument to `{name}` must be an unsigned int dtype, got {dt}"))


def is_tracer(value: Any) -> bool:
    """Whether ``value`` is a gpugrad tracer."""
    if isinstance(value, (int, float, complex, np.ndarray, np.generic)):
        return False
    return isinstance(value, Tracer)


def default_float_of(value: Any) -> np.dtype:
    """The dtype JAX gives a float parameter (Python floats are float32 without x64)."""
    if isinstance(value, (bool, int, float)):
        return np.dtype(np.float64 if live.enable_x64 else np.float32)
    # Not getattr(value, "dtype", np.asarray(value).dtype): its default is evaluated first,
    # and a CuPy array refuses the implicit conversion to NumPy.
    dt = np.dtype(value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype)
    if dt == np.float64 and not live.enable_x64:
        return np.dtype(np.float32)
    return dt


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a parameter: an array's, a tracer's (one example's under vmap), or
    ``()`` for a Python number."""
    return tuple(value.shape) if hasattr(value, "shape") else tuple(np.shape(value))
