"""Broadcasting (NumPy's rules) and its transpose: the broadcast and reduce_sum primitives,
``unbroadcast`` (the sum a broadcast operand's cotangent needs), and the batching helpers
that lay operands out by broadcasting (``at_front``, ``aligned``) or reduce over a batch
(``reduce_batch``).

Both primitives are linear, so their JVPs apply the primitive itself to the tangents and
each one's VJP is the other (sum what was broadcast, broadcast what was summed).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.config import live
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.shape_rules import keep, reduction_rule
from gpugrad.primitives.structural import (
    example_axis,
    linear_jvp,
    move_axis,
    reshape,
)

__all__ = [
    "aligned", "at_front", "broadcast_p", "broadcast_to", "reduce_batch", "reduce_sum",
    "reduce_sum_p", "unbroadcast",
]


# ---------------------------------------------------------------------------------------
# Batching helpers that broadcast: an unbatched argument gets the batch axis it lacks.


def at_front(x: Any, dim: int | None, size: int) -> Any:
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast to ``size`` examples."""
    if dim is None:
        return broadcast_to(x, (size, *x.shape))
    return move_axis(x, dim, 0)


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


def _reduce_sum_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
                    axes: tuple[int, ...]) -> list[Any]:
    shape = primals[0].shape
    if type(ct) is np.ndarray:  # concrete: one planned reshape and broadcast
        return _concrete_reduce_sum_vjp(shape, axes)(ct)
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
def _concrete_reduce_sum_vjp(shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))

    def rule(ct: Any) -> list[Any]:
        return [_broadcast_impl(ct.reshape(kept), shape)]

    return rule


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
