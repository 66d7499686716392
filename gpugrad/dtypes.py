"""Dtype policy: default dtypes and JAX's type promotion.

Where JAX and NumPy differ, gpugrad follows JAX so that float32 work stays float32:

* Python scalars are *weak*: they take the dtype of the arrays they meet (NEP 50), and
  alone they become the default dtype of their kind (float32/int32, or float64/int64 in
  64-bit mode).
* An integer or bool array combined with a floating array gives the floating array's
  dtype (NumPy would widen ``float32 * int64`` to float64).
* Between floats, or between integers, the wider wins, as in NumPy.

Example:
    >>> result_type(np.ones(2, np.float32), np.ones(2, np.int64))
    dtype('float32')
    >>> result_type(np.ones(2, bool), 1)
    dtype('int32')
    >>> result_type(2.5)
    dtype('float32')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gpugrad.config import live

__all__ = [
    "argument_dtypes", "compute_dtype", "compute_type", "default_float", "default_int",
    "dtype_of", "is_float", "result_type",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3
_WEAK_KIND = {bool: _BOOL, int: _INT, float: _FLOAT, complex: _COMPLEX}
_KIND_OF_CHAR = {"b": _BOOL, "i": _INT, "u": _INT, "f": _FLOAT, "c": _COMPLEX}
_cache: dict[tuple[Any, ...], np.dtype[Any]] = {}
_PY_NUMBERS = (bool, int, float, complex)


def default_float() -> np.dtype[Any]:
    """float32, or float64 in 64-bit mode."""
    return np.dtype(np.float64 if live.enable_x64 else np.float32)


def to_inexact(dtype: Any) -> np.dtype[Any]:
    """The dtype a floating operation computes in for an input of ``dtype``, as JAX's: floating
    and complex dtypes stay; bool and integers of up to 32 bits become float32; 64-bit
    integers the default float (float64 in 64-bit mode).

    Example:
        >>> to_inexact(np.int32), to_inexact(np.float16)
        (dtype('float32'), dtype('float16'))
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return dtype
    return default_float() if dtype.itemsize == 8 else np.dtype(np.float32)


def default_int() -> np.dtype[Any]:
    """int32, or int64 in 64-bit mode."""
    return np.dtype(np.int64 if live.enable_x64 else np.int32)


def default_complex() -> np.dtype[Any]:
    return np.dtype(np.complex128 if live.enable_x64 else np.complex64)


def _default_of_kind(kind: int) -> np.dtype[Any]:
    if kind == _BOOL:
        return np.dtype(bool)
    if kind == _INT:
        return default_int()
    if kind == _FLOAT:
        return default_float()
    return default_complex()


def is_float(dtype: Any) -> bool:
    """True for floating and complex dtypes (the ones gradients are defined for)."""
    return np.dtype(dtype).kind in "fc"


def dtype_of(x: Any) -> np.dtype[Any]:
    """The dtype ``x`` has, or gets when it becomes an array (Python scalars: the default)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return np.dtype(dtype)
    kind = _WEAK_KIND.get(type(x))
    if kind is not None:
        return _default_of_kind(kind)
    return np.asarray(x).dtype if not isinstance(x, (list, tuple)) else _list_dtype(x)


def _list_dtype(values: Any) -> np.dtype[Any]:
    arr = np.asarray(values)
    if arr.dtype.kind in "biufc" and not _has_array_leaf(values):
        return _default_of_kind(_KIND_OF_CHAR[arr.dtype.kind])
    return arr.dtype


def _has_array_leaf(values: Any) -> bool:
    if isinstance(values, (list, tuple)):
        return any(_has_array_leaf(v) for v in values)
    return hasattr(values, "dtype")


def result_type(*args: Any) -> np.dtype[Any]:
    """The dtype an operation over ``args`` computes in, by JAX's promotion rules."""
    parts: list[Any] = [live.enable_x64]
    for a in args:  # a loop, not a generator: this runs once per mixed-dtype operation
        dtype = getattr(a, "dtype", None)
        parts.append(type(a) if dtype is None else _weak_key(a, dtype))
    key = tuple(parts)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    strong: list[np.dtype[Any]] = []
    weak_kind = -1
    for a in args:
        dtype = getattr(a, "dtype", None)
        if dtype is not None:
            if getattr(a, "weak_type", False):  # a traced Python number (jit's arguments)
                weak_kind = max(weak_kind, _KIND_OF_CHAR[np.dtype(dtype).kind])
            else:
                strong.append(np.dtype(dtype))
            continue
        kind = _WEAK_KIND.get(type(a))
        if kind is None:
            strong.append(dtype_of(a))
        else:
            weak_kind = max(weak_kind, kind)
    if not strong:
        result = _default_of_kind(max(weak_kind, 0))
    else:
        top = max(_KIND_OF_CHAR[d.kind] for d in strong)
        result = np.dtype(np.result_type(*[d for d in strong if _KIND_OF_CHAR[d.kind] == top]))
        if weak_kind > top:
            if weak_kind == _COMPLEX and top == _FLOAT:
                result = np.dtype(np.complex128 if result.itemsize == 8 else np.complex64)
            else:
                result = _default_of_kind(weak_kind)
        elif (result.kind == "i" and result.itemsize == 8 and not live.enable_x64
              and all(d.itemsize < 8 for d in strong)):
            # int32 with uint32 meet in int64, which JAX without 64-bit mode makes int32.
            result = np.dtype(np.int32)
    _cache[key] = result
    return result


def _weak_key(a: Any, dtype: Any) -> Any:
    return ("weak", dtype) if getattr(a, "weak_type", False) else dtype


def compute_dtype(dtypes: Sequence[np.dtype[Any]]) -> np.dtype[Any]:
    """The dtype an elementwise expression computes in: that of its non-boolean inputs
    (bool if none). The one rule for a CUDA kernel's ``T`` and for the dtype NumPy gives a
    value built from constants alone (``where(c, 1.0, 0.5)`` in a derivative).

    Example:
        >>> compute_dtype([np.dtype(bool), np.dtype("float32"), np.dtype("float32")])
        dtype('float32')
    """
    numeric = [d for d in dtypes if d.kind != "b"]
    return np.result_type(*numeric) if numeric else np.dtype(bool)


def _typed_dtype(a: Any) -> np.dtype[Any] | None:
    """An argument's own dtype, or None for a Python number (a Python bool is bool)."""
    if isinstance(a, _PY_NUMBERS) and not isinstance(a, np.generic):
        return np.dtype(bool) if isinstance(a, bool) else None
    return np.dtype(a.dtype)


def argument_dtypes(args: Sequence[Any]) -> list[np.dtype[Any]]:
    """Each argument's dtype in an elementwise evaluation: its own for arrays and NumPy
    scalars; for a Python number, the compute dtype of the typed arguments (a weak scalar),
    or JAX's default for its kind where no typed argument fixes one.

    Example:
        >>> argument_dtypes([np.ones(2, np.float32), 0.5, True])
        [dtype('float32'), dtype('float32'), dtype('bool')]
    """
    known = [_typed_dtype(a) for a in args]
    typed = [d for d in known if d is not None]
    weak = compute_dtype(typed) if typed else result_type(*args)
    if weak.kind == "b" and any(d is None for d in known):  # a number among booleans
        weak = result_type(*[a for a, d in zip(args, known) if d is None])
    return [weak if d is None else d for d in known]


def compute_type(*args: Any) -> type[Any]:
    """The scalar type of :func:`compute_dtype` over ``args`` (typed by
    :func:`argument_dtypes`): the generated NumPy evaluators call it to give constants the
    dtype a CUDA kernel gives them.

    Example:
        >>> compute_type(np.ones(2, np.float32), np.ones(2, bool), 2.0)
        <class 'numpy.float32'>
    """
    return compute_dtype(argument_dtypes(args)).type
