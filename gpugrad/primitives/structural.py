"""Structural primitives: dtype conversion, reshape, transpose, broadcasting and its
transpose reduce_sum, stop_gradient; and the helpers every batching rule lays its operands
out with (move_axis, at_front, aligned...). Concatenate and cumsum are in ``along_axis.py``.

Each is linear in its array arguments, so its JVP applies the primitive itself to the
tangents and its VJP is the transpose (reshape back, sum what was broadcast). Rules call the
binding functions below, so they are differentiable too.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.config import live
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace
from gpugrad.core.forward import JVPTracer
from gpugrad.core.trace import Primitive, bind
from gpugrad.dtypes import is_float
from gpugrad.primitives.shape_rules import keep, reduction_rule

__all__ = [
    "aligned", "at_front", "batch_size", "broadcast_to", "convert", "example_axis", "linear_jvp",
    "move_axis", "reduce_batch", "reduce_sum", "reshape", "stop_gradient", "transpose",
    "unbroadcast", "zeros_like",
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
        out = bind(prim, *primals, **params)
        ts = [_instantiate(t, p) for t, p in zip(tangents, primals)]
        return out, bind(prim, *ts, **params)

    return jvp


def _linear_direct_jvp(prim: Primitive) -> Any:
    """Forward mode's shortcut for a linear one-operand primitive on a concrete NumPy value
    and tangent: the primitive itself applied to both (Primitive.direct_jvp)."""
    impl = prim.impl

    def direct(trace: Any, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        if len(args) != 1:
            return None
        (x,) = args
        if type(x) is not JVPTracer or x._trace is not trace:
            return None
        value, tangent = x.primal, x.tangent
        if type(value) is not np.ndarray or type(tangent) is not np.ndarray:
            return None
        return JVPTracer(trace, impl(value, **params), impl(tangent, **params))

    return direct


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


def at_front(x: Any, dim: int | None, size: int) -> Any:
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast to ``size`` examples."""
    if dim is None:
        return broadcast_to(x, (size, *x.shape))
    return move_axis(x, dim, 0)


def example_axis(axis: int, dim: int) -> int:
    """Where an example's (non-negative) ``axis`` is in a value batched along ``dim``."""
    return axis if axis < dim else axis + 1


def aligned(values: list[Any], dims: list[int | None]) -> tuple[list[Any], int]:
    """Arguments of an operation with NumPy broadcasting, laid out so that they broadcast as
    the examples do, and the batch axis of the result.

    The batch axis stays where the first batched argument has it when that argument has the
    result's rank (the common case: no transpose at all); other batched arguments are moved
    there, and an unbatched one gets a length-1 axis there if its axes reach that far.
    """
    # The commonest case first, in one pass: every batched argument has the same rank and
    # batch axis, and every unbatched one is too short to reach that axis.
    target = rank = -1
    longest = 0  # the most axes of an unbatched argument
    for x, d in zip(values, dims):
        if d is None:
            if type(x) is not float:  # (a Python float: no axes)
                k = len(getattr(x, "shape", ()))
                if k > longest:
                    longest = k
        elif target < 0:
            target, rank = d, len(x.shape) - 1
        elif d != target or len(x.shape) - 1 != rank:
            break
    else:
        if longest <= rank - target:
            return values, target
    shapes = [getattr(x, "shape", None) for x in values]  # None: a Python scalar
    rank = 0
    first = -1
    for i, (s, d) in enumerate(zip(shapes, dims)):
        if s is not None:
            rank = max(rank, len(s) - (d is not None))
            if first < 0 and d is not None:
                first = i
    first_dim = dims[first] if len(shapes[first]) - 1 == rank else 0  # type: ignore[arg-type]
    assert first_dim is not None
    target = first_dim
    if all(s is None or (len(s) - 1 == rank and d == target if d is not None
                         else rank - len(s) >= target) for s, d in zip(shapes, dims)):
        return values, target  # they broadcast as they are (the common case)
    out = []
    for x, d in zip(values, dims):
        if d is not None:
            if x.ndim - 1 < rank or d != target:
                x = move_axis(x, d, 0)
                x = reshape(x, (x.shape[0], *(1,) * (rank + 1 - x.ndim), *x.shape[1:]))
                x = move_axis(x, 0, target)
        elif hasattr(x, "shape") and rank - len(x.shape) < target:
            # Its leading axes would meet the batch axis: give it a length-1 axis there.
            example = (1,) * (rank - len(x.shape)) + tuple(x.shape)
            x = reshape(x, (*example[:target], 1, *example[target:]))
        out.append(x)
    return out, target


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
reshape_p.direct_jvp = _linear_direct_jvp(reshape_p)
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
transpose_p.direct_jvp = _linear_direct_jvp(transpose_p)
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
# broadcast_to (NumPy's rules) and its transpose reduce_sum


broadcast_p = Primitive("broadcast")


def _broadcast_impl(x: Any, shape: tuple[int, ...]) -> Any:
    if type(x) is np.ndarray and math.prod(shape) <= live.broadcast_copy_max_size:
        # A small copy is several times cheaper than np.broadcast_to's Python-level checks.
        out = np.empty(shape, x.dtype)
        out[...] = x
        return out
    return namespace_of(x).broadcast_to(x, shape)


broadcast_p.impl = _broadcast_impl
broadcast_p.jvp = linear_jvp(broadcast_p)
broadcast_p.direct_jvp = _linear_direct_jvp(broadcast_p)


def _broadcast_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
                   shape: tuple[int, ...]) -> list[Any]:
    return [unbroadcast(ct, primals[0].shape)]


broadcast_p.vjp = _broadcast_vjp


def _broadcast_batch(values: list[Any], dims: list[int | None], shape: tuple[int, ...]
                     ) -> tuple[Any, int]:
    x = move_axis(values[0], dims[0], 0)  # type: ignore[arg-type]
    n, example = x.shape[0], tuple(x.shape[1:])
    # NumPy aligns shapes from the right; the batch axis must stay in front of the new ones.
    x = reshape(x, (n, *(1,) * (len(shape) - len(example)), *example))
    return broadcast_to(x, (n, *shape)), 0


broadcast_p.batch = _broadcast_batch
broadcast_p.abstract_eval = lambda x, shape: keep(x, shape)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    if type(shape) is not tuple or not all(type(d) is int for d in shape):
        shape = tuple(int(d) for d in shape)
    if x.shape == shape:
        return x
    return bind(broadcast_p, x, shape=shape)


reduce_sum_p = Primitive("reduce_sum")


def _reduce_sum_impl(x: Any, axes: tuple[int, ...]) -> Any:
    if type(x) is np.ndarray:
        out = np.add.reduce(x, axis=axes)  # np.sum minus its Python-level dispatch
        return out if type(out) is np.ndarray else np.asarray(out)
    return namespace_of(x).sum(x, axis=axes)


reduce_sum_p.impl = _reduce_sum_impl
reduce_sum_p.jvp = linear_jvp(reduce_sum_p)
reduce_sum_p.direct_jvp = _linear_direct_jvp(reduce_sum_p)


def _reduce_sum_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
                    axes: tuple[int, ...]) -> list[Any]:
    shape = primals[0].shape
    if ct.ndim == 0:  # a full reduction: the scalar broadcasts as it is
        return [broadcast_to(ct, shape)]
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    return [broadcast_to(reshape(ct, kept), shape)]


reduce_sum_p.vjp = _reduce_sum_vjp


def reduce_batch(prim: Primitive) -> Any:
    """The batching rule of a reduction over ``axes`` (``**params`` passed on): the same
    reduction over those axes of the batched value; the batch axis stays, shifted left by
    the reduced axes before it."""
    def rule(values: list[Any], dims: list[int | None], axes: tuple[int, ...], **params: Any
             ) -> tuple[Any, int]:
        d = dims[0]
        assert d is not None
        moved = tuple(example_axis(a, d) for a in axes)
        return bind(prim, values[0], axes=moved, **params), d - sum(a < d for a in axes)

    return rule


reduce_sum_p.batch = reduce_batch(reduce_sum_p)
reduce_sum_p.abstract_eval = reduction_rule(widen=True)


@lru_cache(maxsize=1024)
def _reduce_sum_direct_rule(shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))

    def rule(ct: Any, primals: list[Any], out: Any) -> list[Any]:
        return [_broadcast_impl(ct.reshape(kept), shape)]

    return rule


reduce_sum_p.direct_vjp = lambda primals, out, wanted, axes: _reduce_sum_direct_rule(
    primals[0].shape, axes)


def reduce_sum(x: Any, axes: tuple[int, ...]) -> Any:
    axes = tuple(sorted(int(a) % max(x.ndim, 1) for a in axes)) if x.ndim else ()
    if not axes:
        return x
    return bind(reduce_sum_p, x, axes=axes)


def unbroadcast(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` over the axes that broadcasting added or stretched to reach ``x.shape``."""
    xshape = x.shape
    if xshape == shape:
        return x
    lead = len(xshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, d in enumerate(shape) if d == 1 and xshape[lead + k] != 1
    )
    if type(x) is np.ndarray:  # concrete: what the primitives below would compute
        summed = np.add.reduce(x, axis=axes) if axes else x
        return summed.reshape(shape) if type(summed) is np.ndarray else np.asarray(
            summed).reshape(shape)
    summed = reduce_sum(x, axes) if axes else x
    return reshape(summed, shape) if summed.shape != shape else summed


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
