"""Order-statistic and product reductions: ``reduce_max``, ``reduce_min``, ``reduce_prod``.

(``reduce_sum`` is structural: it is linear.) The derivative of a max follows JAX: the
cotangent is shared equally among the elements that attain the maximum. The derivative of a
product is the product of the *other* elements, computed without dividing by the element
itself, so it is right when some elements are zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.structural import reshape, stop_gradient

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
        import gpugrad.numpy as gnp

        x = stop_gradient(x)
        hit = gnp.equal(x, reshape(stop_gradient(out), _keepdims_shape(x.shape, axes)))
        mask = gnp.astype(hit, x.dtype)
        return gnp.true_divide(mask, gnp.sum(mask, axis=axes, keepdims=True))

    def jvp(primals: list[Any], tangents: list[Any], axes: tuple[int, ...]
            ) -> tuple[Any, Any]:
        import gpugrad.numpy as gnp

        (x,), (t,) = primals, tangents
        out = bind(prim, x, axes=axes)
        return out, gnp.sum(gnp.multiply(t, weights(x, out, axes)), axis=axes)

    def vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], axes: tuple[int, ...]
            ) -> list[Any]:
        import gpugrad.numpy as gnp
        (x,) = primals
        kept = reshape(ct, _keepdims_shape(x.shape, axes))
        return [gnp.multiply(kept, weights(x, out, axes))]

    prim.impl, prim.jvp, prim.vjp = impl, jvp, vjp
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
    import gpugrad.numpy as gnp

    n = x.shape[-1]
    shift = 1
    while shift < n:
        ones = gnp.ones_like(gnp.getitem(x, (Ellipsis, slice(0, shift))))
        shifted = gnp.getitem(x, (Ellipsis, slice(0, n - shift)))
        x = gnp.multiply(x, gnp.concatenate([ones, shifted], axis=-1))
        shift *= 2
    return x


def _prod_except_self(x: Any, axes: tuple[int, ...]) -> Any:
    """Same shape as ``x``: each element replaced by the product of the others in ``axes``."""
    import gpugrad.numpy as gnp

    kept = [i for i in range(x.ndim) if i not in axes]
    moved = gnp.transpose(x, kept + list(axes))
    lead = moved.shape[: len(kept)]
    flat = gnp.reshape(moved, lead + (-1,))
    head = (Ellipsis, slice(0, -1))
    ones = gnp.ones_like(gnp.getitem(flat, (Ellipsis, slice(0, 1))))
    prefix = gnp.concatenate([ones, gnp.getitem(cumprod_last(flat), head)], axis=-1)
    suffix = gnp.flip(
        gnp.concatenate([ones, gnp.getitem(cumprod_last(gnp.flip(flat, -1)), head)], axis=-1), -1
    )
    others = gnp.reshape(gnp.multiply(prefix, suffix), moved.shape)
    return gnp.transpose(others, list(np.argsort(kept + list(axes))))


reduce_prod_p = Primitive("reduce_prod")
reduce_prod_p.impl = lambda x, axes: _as_array(namespace_of(x).prod(x, axis=axes))


def _prod_jvp(primals: list[Any], tangents: list[Any], axes: tuple[int, ...]
              ) -> tuple[Any, Any]:
    import gpugrad.numpy as gnp

    (x,), (t,) = primals, tangents
    return reduce_prod(x, axes), gnp.sum(gnp.multiply(t, _prod_except_self(x, axes)), axis=axes)


def _prod_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
              axes: tuple[int, ...]) -> list[Any]:
    (x,) = primals
    import gpugrad.numpy as gnp

    return [gnp.multiply(reshape(ct, _keepdims_shape(x.shape, axes)), _prod_except_self(x, axes))]


reduce_prod_p.jvp = _prod_jvp
reduce_prod_p.vjp = _prod_vjp


def reduce_prod(x: Any, axes: tuple[int, ...]) -> Any:
    axes = _normalize_axes(x, axes)
    return bind(reduce_prod_p, x, axes=axes) if axes else x
