"""Continuous samplers and ``bits``/``bernoulli`` (prng.md sections 5-7): the public functions.

Each checks its arguments, then draws with one kernel of
:mod:`gpugrad.random._float_kernels` through :func:`~gpugrad.random._sampling.draw`: plain
arrays go straight to the kernel, tracers (a batch of keys or of parameters under ``vmap``)
through the primitive, whose batching rule hashes all keys in one pass.

Example:
    >>> from gpugrad.random import key
    >>> uniform(key(42), (2,)).dtype
    dtype('float32')
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.config import live
from gpugrad.core.concrete import array_namespace
from gpugrad.primitives.structural import stop_gradient
from gpugrad.random._key import single_key_data
from gpugrad.random._sampling import as_param, draw, has_derivatives
from gpugrad.random._util import (
    canonical_shape,
    check_shape,
    default_float_of,
    float_dtype,
    shape_of,
    uint_dtype,
)
from gpugrad.scipy.special import erf, erfinv

__all__ = ["bernoulli", "bits", "exponential", "gumbel", "laplace", "normal",
           "truncated_normal", "uniform"]


def bits(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Uniform random bits as unsigned integers, as ``jax.random.bits``.

    Example:
        >>> from gpugrad.random import key
        >>> bits(key(0), (3,)).tolist()  # legacy layout (gpugrad's default)
        [4146024105, 1351547692, 2718843009]
    """
    data = single_key_data(key, "bits")
    dt = uint_dtype("bits", dtype)
    return draw("bits", data, width=dt.itemsize * 8, shape=canonical_shape(shape),
                partitionable=live.threefry_partitionable)


def uniform(key: Any, shape: Any = (), dtype: Any = None, minval: Any = 0.0,
            maxval: Any = 1.0) -> Any:
    """Uniform floats in ``[minval, maxval)``, as ``jax.random.uniform`` (bit-exact).

    ``minval``/``maxval`` may be gpugrad tracers: the affine map is then built from
    ``gpugrad.numpy`` operations, so gradients flow to the bounds.

    Example:
        >>> from gpugrad.random import key
        >>> uniform(key(42), (4,))[:2].tolist()  # legacy layout
        [0.5741443634033203, 0.8566374778747559]
    """
    data = single_key_data(key, "uniform")
    dt = float_dtype("uniform", dtype)
    shape = canonical_shape(shape)
    check_shape("uniform", shape, shape_of(minval), shape_of(maxval))
    layout = live.threefry_partitionable
    if has_derivatives(minval) or has_derivatives(maxval):
        # The affine map in gpugrad operations, so that derivatives flow to the bounds.

        f = draw("unit", data, shape=shape, dtype=dt, partitionable=layout)
        lo, hi = minval, maxval
        return gnp.maximum(lo, f * (hi - lo) + lo)
    xp = array_namespace(data)
    return draw("uniform", data, as_param(minval, xp), as_param(maxval, xp), shape=shape,
                dtype=dt, partitionable=layout)


def normal(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard normal floats, as ``jax.random.normal``: ``sqrt(2) * erfinv(u)``.

    Example:
        >>> from gpugrad.random import key
        >>> normal(key(1), (5,))[:2].tolist()  # legacy layout
        [0.9573070406913757, -0.9699289202690125]
    """
    data = single_key_data(key, "normal")
    return draw("normal", data, shape=canonical_shape(shape), dtype=float_dtype("normal", dtype),
                partitionable=live.threefry_partitionable)


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Any = None,
                     dtype: Any = None) -> Any:
    """Normal floats truncated to ``(lower, upper)``, as ``jax.random.truncated_normal``.

    Example:
        >>> from gpugrad.random import key
        >>> z = truncated_normal(key(0), -1.0, 1.0, (100,))
        >>> bool((z > -1).all() and (z < 1).all())
        True
    """
    data = single_key_data(key, "truncated_normal")
    dt = float_dtype("truncated_normal", dtype)
    if shape is None:
        shape = np.broadcast_shapes(shape_of(lower), shape_of(upper))
    else:
        shape = canonical_shape(shape)
        check_shape("truncated_normal", shape, shape_of(lower), shape_of(upper))
    xp = array_namespace(data)
    exact = draw("truncated_normal", data, as_param(lower, xp), as_param(upper, xp),
                 shape=tuple(shape), dtype=dt, partitionable=live.threefry_partitionable)
    if has_derivatives(lower) or has_derivatives(upper):
        return _with_bound_derivatives(exact, data, lower, upper, dt)
    return exact


def _with_bound_derivatives(exact: Any, data: Any, lower: Any, upper: Any, dt: Any) -> Any:
    """The bit-exact sample ``exact``, carrying the derivative of its formula
    ``sqrt(2) erfinv(uniform(erf(lower / sqrt(2)), erf(upper / sqrt(2))))`` in the
    bounds, written in gpugrad operations.

    ``exact + (z - stop_gradient(z))`` has exactly the value ``exact`` (``z - z`` is 0)
    and the derivatives of ``z``, to every order.
    """
    lo, hi = (gnp.asarray(v).astype(dt) for v in (lower, upper))
    rsqrt2 = 1.0 / np.sqrt(2.0)
    u = uniform(data, exact.shape, dt, erf(lo * rsqrt2), erf(hi * rsqrt2))
    z = np.sqrt(2.0) * erfinv(u)
    return exact + (z - stop_gradient(z))


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None, mode: str = "low") -> Any:
    """Booleans that are True with probability ``p``, as ``jax.random.bernoulli``.

    Example:
        >>> from gpugrad.random import key
        >>> bernoulli(key(0), 0.5, (4,)).dtype
        dtype('bool')
    """
    if mode not in ("high", "low"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    data = single_key_data(key, "bernoulli")
    if isinstance(p, (bool, int)):  # JAX: a Python int has an integer dtype
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {p!r}.")
    dt = default_float_of(p)
    if dt.kind != "f":
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {dt}.")
    # The result is boolean: it carries no derivative in p (JAX's is zero).
    p_arr = as_param(p, array_namespace(data)).astype(dt)
    if shape is None:
        shape = tuple(p_arr.shape)
    else:
        shape = canonical_shape(shape)
        check_shape("bernoulli", shape, tuple(p_arr.shape))
    return draw("bernoulli", data, p_arr, shape=shape, mode=mode,
                partitionable=live.threefry_partitionable)


def gumbel(key: Any, shape: Any = (), dtype: Any = None, mode: str | None = None) -> Any:
    """Standard Gumbel floats, ``-log(-log(u))``, as ``jax.random.gumbel``.

    Example:
        >>> from gpugrad.random import key
        >>> gumbel(key(0), (3,)).shape
        (3,)
    """
    mode = "low" if mode is None else mode
    if mode not in ("low", "high"):
        raise ValueError(f"Must provide valid mode for gumbel ('low' or 'high'), got: {mode}")
    data = single_key_data(key, "gumbel")
    return draw("gumbel", data, shape=canonical_shape(shape), dtype=float_dtype("gumbel", dtype),
                mode=mode, partitionable=live.threefry_partitionable)


def exponential(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard exponential floats, ``-log1p(-u)``, as ``jax.random.exponential``.

    Example:
        >>> from gpugrad.random import key
        >>> bool((exponential(key(0), (50,)) >= 0).all())
        True
    """
    data = single_key_data(key, "exponential")
    return draw("exponential", data, shape=canonical_shape(shape),
                dtype=float_dtype("exponential", dtype),
                partitionable=live.threefry_partitionable)


def laplace(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard Laplace floats, ``sign(u) * log1p(-|u|)``, as ``jax.random.laplace``.

    Example:
        >>> from gpugrad.random import key
        >>> laplace(key(0), (2, 2)).shape
        (2, 2)
    """
    data = single_key_data(key, "laplace")
    return draw("laplace", data, shape=canonical_shape(shape), dtype=float_dtype("laplace", dtype),
                partitionable=live.threefry_partitionable)
