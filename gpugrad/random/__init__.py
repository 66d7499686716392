"""``gpugrad.random``: JAX's counter-based threefry PRNG, bit-compatible with ``jax.random``.

The same key gives the same numbers as ``jax.random`` (jaxlib 0.10.2 on CPU), on the NumPy
backend and on the CuPy backend, where each sampler is one fused CUDA kernel. The
algorithm and its reference values are in ``prng.md``.

Layout: gpugrad defaults to JAX's *legacy* bit layout (``jax_threefry_partitionable =
False``, the numbers of tutorials written before JAX 0.5); set
``gpugrad.config.update("threefry_partitionable", True)`` or
``GPUGRAD_THREEFRY_PARTITIONABLE=1`` for the layout of JAX 0.5 and later.

Keys: :func:`key` gives a typed :class:`Key` (shape ``()``); :func:`PRNGKey` gives the raw
``uint32[2]`` array. Every function accepts both and gives the same numbers for both.
Keys are not differentiable; the samplers return plain ``numpy``/``cupy`` arrays.

Under :func:`gpugrad.vmap` a batch of keys (along any axis), of seeds, or of the samplers'
parameters (bounds, ``p``, logits, items, ``fold_in``'s data) gives the numbers of
``jax.vmap``: every function draws through one primitive whose batching rule hashes all the
keys in one vectorised pass (one fused kernel on CuPy), never in a loop over the batch.

Example:
    >>> from gpugrad import random
    >>> k = random.key(0)
    >>> k, W_key, b_key = random.split(k, 3)
    >>> random.normal(W_key, (3,))
    array([-0.36838785, -2.275689  ,  0.01144757], dtype=float32)
    >>> random.normal(b_key, ())
    array(0.8535516, dtype=float32)
    >>> gpugrad.vmap(lambda k: random.normal(k, (2,)))(random.split(random.key(0), 3)).shape
    (3, 2)
"""

from __future__ import annotations

from gpugrad.random._discrete import categorical, choice, permutation, randint
from gpugrad.random._key import (
    Key,
    PRNGKey,
    fold_in,
    key,
    key_data,
    split,
    wrap_key_data,
)
from gpugrad.random._samplers import (
    bernoulli,
    bits,
    exponential,
    gumbel,
    laplace,
    normal,
    truncated_normal,
    uniform,
)

__all__ = [
    "Key",
    "PRNGKey",
    "bernoulli",
    "bits",
    "categorical",
    "choice",
    "exponential",
    "fold_in",
    "gumbel",
    "key",
    "key_data",
    "laplace",
    "normal",
    "permutation",
    "randint",
    "split",
    "truncated_normal",
    "uniform",
    "wrap_key_data",
]
