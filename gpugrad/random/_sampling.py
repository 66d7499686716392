"""The one primitive of ``gpugrad.random``: draws from a batch of keys, and its vmap rule.

Every function of ``gpugrad.random`` that reads a key ends in :func:`draw`, which applies
a *kernel* of this module's table to the key data and the sampler's array parameters
(bounds, ``p``, logits, ``fold_in``'s data...). A kernel takes key data ``uint32[*K, 2]``
for any number of leading key axes ``K`` and gives ``(*K, *result)``: each key draws its
own result, and threefry hashes all of them in one vectorised pass (one fused kernel on
CuPy). Its array parameters carry the same leading axes (of size 1 where they are shared)
before their own shape.

For plain arrays :func:`draw` calls the kernel directly (no tracing cost). When an argument
is a tracer it binds :data:`random_p`, whose batching rule moves each batch axis to the
front and binds again with one more leading key axis: a batch of keys is never looped over
in Python, and vmap of vmap adds one axis per level. The primitive has no derivative: keys
are integers and the kernels' parameters feed only discrete or value-only results (the
samplers that are differentiable in their parameters add that derivative themselves, see
:func:`has_derivatives`).

Example:
    >>> import gpugrad.random  # registers the kernels
    >>> keys = np.zeros((2, 2), np.uint32)  # two keys
    >>> draw("bits", keys, width=32, shape=(3,), partitionable=True).shape
    (2, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpugrad.core.abstract import ShapedArray
from gpugrad.core.batching import BatchTracer
from gpugrad.core.trace import Primitive, Tracer, bind, strip_derivatives
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.structural import batch_size, move_axis, reshape

__all__ = ["KERNELS", "RESULTS", "as_param", "draw", "draws", "has_derivatives", "kernel",
           "lead_params", "random_p", "typed_draws"]

# name -> kernel(keys uint32[*K, 2], *params, **static) -> (*K, *result)
KERNELS: dict[str, Callable[..., Any]] = {}
# name -> the same for abstract values: (keys, *params, **static) -> the ShapedArray it returns
RESULTS: dict[str, Callable[..., ShapedArray]] = {}


def kernel(name: str, result: Callable[..., ShapedArray]
           ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a kernel of key data under ``name`` (a decorator), with ``result``: what it
    returns (shape, dtype) for keys and params known by their abstract values alone
    (``random_p``'s abstract evaluation)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        KERNELS[name] = fn
        RESULTS[name] = result
        return fn

    return register


def draws(keys: ShapedArray, shape: tuple[int, ...], dtype: Any) -> ShapedArray:
    """The abstract result of a kernel that draws ``shape`` values of ``dtype`` per key."""
    return ShapedArray((*keys.shape[:-1], *shape), dtype)


def typed_draws(keys: ShapedArray, *params: ShapedArray, shape: tuple[int, ...], dtype: Any,
                **static: Any) -> ShapedArray:
    """``result`` of the kernels drawing ``shape`` values of their ``dtype`` param per key."""
    return draws(keys, shape, dtype)


def draw(name: str, keys: Any, *params: Any, **static: Any) -> Any:
    """Kernel ``name`` applied to ``keys`` (one key, ``uint32[2]``, or a tracer of one) and
    its array ``params``; ``static`` are hashable settings (shape, dtype, axis...)."""
    if isinstance(keys, Tracer) or any(isinstance(p, Tracer) for p in params):
        return bind(random_p, keys, *params, kernel=name, **static)
    return KERNELS[name](keys, *params, **static)


def lead_params(keys: Any, result_ndim: int, *params: Any) -> list[Any]:
    """``params`` reshaped to broadcast against a kernel's result ``(*K, *result)``: each
    has the ``len(K)`` leading key axes, then its own shape, which is aligned to the right
    of the ``result_ndim`` result axes (NumPy broadcasting within one key's draw)."""
    nk = keys.ndim - 1
    out = []
    for p in params:
        own = tuple(p.shape[nk:])
        out.append(p.reshape((*p.shape[:nk], *(1,) * (result_ndim - len(own)), *own)))
    return out


def as_param(value: Any, xp: Any) -> Any:
    """A kernel's array parameter: a tracer without its derivatives (a draw has none in
    its parameters), or anything else as an array of ``xp``, the keys' backend."""
    return strip_derivatives(value) if isinstance(value, Tracer) else xp.asarray(value)


def has_derivatives(x: Any) -> bool:
    """Whether ``x`` carries a derivative (a forward or reverse tracer, under any vmap)."""
    while isinstance(x, BatchTracer):
        x = x.value
    return isinstance(x, Tracer)


def _impl(keys: Any, *params: Any, kernel: str, **static: Any) -> Any:
    return KERNELS[kernel](keys, *params, **static)


def _batch(values: list[Any], dims: list[int | None], **static: Any) -> tuple[Any, int]:
    """All examples at once: the batch becomes the first key axis of the keys and of every
    parameter (a shared parameter gets a size-1 axis there, a shared key is repeated)."""
    size = batch_size(values, dims)
    keys = at_front(values[0], dims[0], size)
    params = [reshape(v, (1, *v.shape)) if d is None else move_axis(v, d, 0)
              for v, d in zip(values[1:], dims[1:])]
    return bind(random_p, keys, *params, **static), 0


random_p = Primitive("random")
random_p.impl = _impl
# No derivative: the result of the primal computation, with a zero tangent...
random_p.jvp = lambda primals, tangents, **params: (bind(random_p, *primals, **params), None)
# ...and no cotangent for any argument.
random_p.vjp = lambda ct, primals, out, wanted, **params: [None] * len(primals)
random_p.batch = _batch
random_p.abstract_eval = lambda keys, *params, kernel, **static: RESULTS[kernel](
    keys, *params, **static)
