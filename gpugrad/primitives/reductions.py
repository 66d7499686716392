"""Order-statistic and product reductions: ``reduce_max``, ``reduce_min``, ``reduce_prod``.

(``reduce_sum`` is structural: it is linear.) The derivative of a max follows JAX: the
cotangent is shared equally among the elements that attain the maximum. The derivative of a
product is the product of the *other* elements, computed without dividing by the element
itself, so it is right when some elements are zero.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.broadcasting import reduce_batch
from gpugrad.primitives.operations import (
    concatenate,
    equal,
    flip,
    getitem,
    multiply,
    ones_like,
    sum_over,
    true_divide,
)
from gpugrad.primitives.shape_rules import reduction_rule
from gpugrad.primitives.structural import convert, reshape, stop_gradient, transpose

__all__ = ["reduce_max", "reduce_min", "reduce_prod"]


def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _as_array(out: Any) -> Any:
    return np.asarray(out) if isinstance(out, np.generic) else out


def _extremum(name: str, reducer: str) -> Primitive:
    prim = Primitive(name)

    def impl(x: Any, axes: tuple[int, ...]) -> Any:
        return _as_array(getattr(namespace_of(x), reducer)(x, axis=axes))

    def weights(x: Any, out: Any, axes: tuple[int, ...]) -> Any:
        """1/k at each of the k positions attaining the extremum, 0 elsewhere."""
        x = stop_gradient(x)
        hit = equal(x, reshape(stop_gradient(out), _keepdims_shape(x.shape, axes)))
        mask = convert(hit, x.dtype)
        return true_divide(mask, sum_over(mask, axes, keepdims=True))

    def jvp(primals: list[Any], tangents: list[Any], axes: tuple[int, ...]
            ) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        out = bind(prim, x, axes=axes)
        return out, sum_over(multiply(t, weights(x, out, axes)), axes)

    def vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], axes: tuple[int, ...]
            ) -> list[Any]:
        (x,) = primals
        kept = reshape(ct, _keepdims_shape(x.shape, axes))
        return [multiply(kept, weights(x, out, axes))]

    prim.impl, prim.jvp, prim.vjp = impl, jvp, vjp
    prim.batch = reduce_batch(prim)
    prim.abstract_eval = reduction_rule(widen=False)
    return prim


reduce_max_p = _extremum("reduce_max", "max")
reduce_min_p = _extremum("reduce_min", "min")


def _normalize_axes(x: Any, axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(int(a) % max(x.ndim, 1) for a in axes)) if x.ndim else ()


def reduce_max(x: Any, axes: tuple[int, ...]) -> Any:
    axes = _normalize_axes(x, axes)
    return bind(reduce_max_p, x, axes=axes) if axes else x


def reduce_min(x: Any, axes: tuple[int, ...]) -> Any:
    axes = _normalize_axes(x, axes)
    return bind(reduce_min_p, x, axes=axes) if axes else x


# ---------------------------------------------------------------------------------------
# Products. d prod / d x_i = prod_{j != i} x_j, computed as (exclusive prefix product) *
# (exclusive suffix product) along the reduced axis; the prefix products come from a
# log-depth scan made of differentiable operations, so every order of derivative works.


def cumprod_last(x: Any) -> Any:
    """Inclusive cumulative product along the last axis, as a Hillis-Steele scan."""
    n = x.shape[-1]
    shift = 1
    while shift < n:
        ones = ones_like(getitem(x, (Ellipsis, slice(0, shift))))
        shifted = getitem(x, (Ellipsis, slice(0, n - shift)))
        x = multiply(x, concatenate([ones, shifted], axis=-1))
        shift *= 2
    return x


def _prod_except_self(x: Any, axes: tuple[int, ...]) -> Any:
    """Same shape as ``x``: each element replaced by the product of the others in ``axes``."""
    kept = [i for i in range(x.ndim) if i not in axes]
    moved = transpose(x, tuple(kept + list(axes)))
    lead = moved.shape[: len(kept)]
    flat = reshape(moved, lead + (math.prod(moved.shape[len(kept):]),))
    head = (Ellipsis, slice(0, -1))
    ones = ones_like(getitem(flat, (Ellipsis, slice(0, 1))))
    prefix = concatenate([ones, getitem(cumprod_last(flat), head)], axis=-1)
    suffix = flip(
        concatenate([ones, getitem(cumprod_last(flip(flat, -1)), head)], axis=-1), -1
    )
    others = reshape(multiply(prefix, suffix), moved.shape)
    return transpose(others, tuple(int(i) for i in np.argsort(kept + list(axes))))


reduce_prod_p = Primitive("reduce_prod")
reduce_prod_p.impl = lambda x, axes: _as_array(namespace_of(x).prod(x, axis=axes))


def _prod_jvp(primals: list[Any], tangents: list[Any], axes: tuple[int, ...]
              ) -> tuple[Any, Any]:
    (x,), (t,) = primals, tangents
    return reduce_prod(x, axes), sum_over(
        multiply(t, _prod_except_self(x, axes)), axes)


def _prod_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
              axes: tuple[int, ...]) -> list[Any]:
    (x,) = primals
    return [multiply(reshape(ct, _keepdims_shape(x.shape, axes)), _prod_except_self(x, axes))]


reduce_prod_p.jvp = _prod_jvp
reduce_prod_p.vjp = _prod_vjp
reduce_prod_p.batch = reduce_batch(reduce_prod_p)
reduce_prod_p.abstract_eval = reduction_rule(widen=True)


def reduce_prod(x: Any, axes: tuple[int, ...]) -> Any:
    axes = _normalize_axes(x, axes)
    return bind(reduce_prod_p, x, axes=axes) if axes else x
