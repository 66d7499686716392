"""Structural primitives: dtype conversion, reshape, transpose, stop_gradient; the helpers
of linear primitives' rules; and the helpers every batching rule lays its operands out with
(move_axis, batch_size, example_axis). Broadcasting and its transpose reduce_sum, with the
batching helpers that broadcast (at_front, aligned), are in ``broadcasting.py``;
concatenate and cumsum in ``along_axis.py``.

Each is linear in its array arguments, so its JVP applies the primitive itself to the
tangents and its VJP is the transpose (reshape back, transpose back). Rules call the
binding functions below, so they are differentiable too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Primitive, bind
from gpugrad.dtypes import is_float
from gpugrad.primitives.shape_rules import keep

__all__ = [
    "batch_size", "convert", "example_axis", "linear_jvp", "move_axis",
    "reshape", "stop_gradient", "transpose", "zeros_like",
]


def _asarray(x: Any) -> Any:
    return x if isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__") else (
        np.asarray(x))


def zeros_like(x: Any, dtype: Any = None) -> Any:
    """Concrete zeros with the shape of ``x`` on its backend (tracers: of their value)."""
    # Read from metadata, not the value: under vmap an example's shape is what is wanted.
    return array_namespace(x).zeros(tuple(x.shape), dtype or x.dtype)


def _instantiate(tangent: Any, primal: Any) -> Any:
    return zeros_like(primal) if tangent is None else tangent


def linear_jvp(prim: Primitive) -> Any:
    """The JVP rule of a primitive linear in all its operands: itself applied to the tangents
    (a missing tangent counts as zeros)."""
    def jvp(primals: list[Any], tangents: list[Any], **params: Any) -> tuple[Any, Any]:
        if len(primals) == 1 and type(primals[0]) is np.ndarray and type(
                tangents[0]) is np.ndarray:  # concrete: what bind would run, without it
            return prim.impl(primals[0], **params), prim.impl(tangents[0], **params)
        out = bind(prim, *primals, **params)
        ts = [_instantiate(t, p) for t, p in zip(tangents, primals)]
        return out, bind(prim, *ts, **params)

    return jvp


# ---------------------------------------------------------------------------------------
# Batching (vmap): a rule receives each argument's batch axis (None: not batched) and says
# where the batch axis of its result is. These move that axis where a rule needs it.


def move_axis(x: Any, source: int, destination: int) -> Any:
    """``x`` with its axis ``source`` moved to ``destination`` (one transpose, or none)."""
    if source == destination:
        return x
    perm = [i for i in range(x.ndim) if i != source]
    perm.insert(destination, source)
    return transpose(x, tuple(perm))


def batch_size(values: list[Any], dims: list[int | None]) -> int:
    """The number of examples, read from the first batched argument."""
    for x, d in zip(values, dims):
        if d is not None:
            return int(x.shape[d])
    raise ValueError("no batched argument")


def example_axis(axis: int, dim: int) -> int:
    """Where an example's (non-negative) ``axis`` is in a value batched along ``dim``."""
    return axis if axis < dim else axis + 1


def _same_dim_rule(prim: Primitive) -> Any:
    """The batching rule of a one-operand primitive applied to each element's position
    alike (convert, stop_gradient): the batch axis stays where it is."""
    def rule(values: list[Any], dims: list[int | None], **params: Any) -> tuple[Any, int]:
        return bind(prim, values[0], **params), dims[0]  # type: ignore[return-value]

    return rule


# ---------------------------------------------------------------------------------------
# convert: astype between dtypes. Only float-to-float conversions carry a derivative.

convert_p = Primitive("convert")


def _convert_impl(x: Any, dtype: Any) -> Any:
    x = _asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        # complex -> real keeps the real part (JAX's convert_element_type), without NumPy's
        # ComplexWarning. This also makes the VJP of real -> complex take real(ct).
        x = x.real
    return x.astype(dtype)


convert_p.impl = _convert_impl


def _convert_jvp(primals: list[Any], tangents: list[Any], dtype: Any) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    out = convert(x, dtype)
    if not (is_float(dtype) and is_float(x.dtype)):
        return out, None
    return out, convert(t, dtype)


def _convert_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], dtype: Any
                 ) -> list[Any]:
    (x,) = primals
    return [convert(ct, x.dtype) if is_float(x.dtype) else None]


convert_p.jvp = _convert_jvp
convert_p.vjp = _convert_vjp
convert_p.batch = _same_dim_rule(convert_p)
convert_p.abstract_eval = lambda x, dtype: ShapedArray(x.shape, dtype)  # strong, as in JAX


def convert(x: Any, dtype: Any) -> Any:
    dtype = np.dtype(dtype)
    if getattr(x, "dtype", None) == dtype:
        return x
    return bind(convert_p, x, dtype=dtype)


# ---------------------------------------------------------------------------------------
# reshape and transpose

reshape_p = Primitive("reshape")
reshape_p.impl = lambda x, shape: _asarray(x).reshape(shape)
reshape_p.jvp = linear_jvp(reshape_p)
reshape_p.vjp = lambda ct, primals, out, wanted, shape: [reshape(ct, primals[0].shape)]
reshape_p.batch = lambda values, dims, shape: (
    reshape(move_axis(values[0], dims[0], 0), (values[0].shape[dims[0]], *shape)), 0)
reshape_p.abstract_eval = lambda x, shape: keep(x, shape)  # no -1: reshape() resolves it


def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    shape = tuple(int(d) for d in shape)
    if x.shape == shape:
        return x
    return bind(reshape_p, x, shape=shape)


transpose_p = Primitive("transpose")
transpose_p.impl = lambda x, perm: _asarray(x).transpose(perm)
transpose_p.jvp = linear_jvp(transpose_p)
transpose_p.vjp = lambda ct, primals, out, wanted, perm: [
    transpose(ct, tuple(int(i) for i in np.argsort(perm)))
]
# One transpose that also brings the batch axis first.
transpose_p.batch = lambda values, dims, perm: (transpose(values[0], (
    dims[0], *(example_axis(p, dims[0]) for p in perm))), 0)
transpose_p.abstract_eval = lambda x, perm: keep(x, tuple(x.shape[p] for p in perm))


def transpose(x: Any, perm: tuple[int, ...]) -> Any:
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return x
    return bind(transpose_p, x, perm=perm)


# ---------------------------------------------------------------------------------------
# stop_gradient: the value, with a zero derivative in every mode

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.impl = lambda x: x
stop_gradient_p.jvp = lambda primals, tangents: (stop_gradient(primals[0]), None)
stop_gradient_p.vjp = lambda ct, primals, out, wanted: [None]
stop_gradient_p.batch = _same_dim_rule(stop_gradient_p)
stop_gradient_p.abstract_eval = lambda x: x


def stop_gradient(x: Any) -> Any:
    return bind(stop_gradient_p, x)
