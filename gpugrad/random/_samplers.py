"""Continuous samplers and ``bits``/``bernoulli`` (prng.md sections 5-7).

Each sampler takes one key (typed or raw) and runs on the backend of the key's data: on
CuPy one fused kernel per call (:mod:`gpugrad.random._cuda`), on NumPy vectorised uint32
bit tricks followed by the float32 recipes of :mod:`gpugrad.random._xla_float32` (``normal``,
``truncated_normal`` and ``uniform`` use their cache-chunked, bit-identical fast versions
in :mod:`gpugrad.random._xla_float32_fast`).

Example:
    >>> from gpugrad.random import key
    >>> uniform(key(42), (2,)).dtype
    dtype('float32')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array, namespace_of
from gpugrad.config import config
from gpugrad.random import _threefry, _xla_float32, _xla_float32_fast, _xla_float64
from gpugrad.random._key import single_key_data
from gpugrad.random._util import (
    canonical_shape,
    check_shape,
    default_float_of,
    float_dtype,
    is_tracer,
    uint_dtype,
)

__all__ = ["bernoulli", "bits", "exponential", "gumbel", "laplace", "normal",
           "truncated_normal", "uniform"]

F32 = np.float32
_SQRT2_F32 = F32(np.sqrt(2.0))  # 1.4142135, bits 0x3FB504F3
_RSQRT2_F32 = F32(1.0) / _SQRT2_F32  # 0.70710677, bits 0x3F3504F3
# (mantissa bits, uint dtype, pattern of 1.0) per float width: the "mantissa trick".
_UNIT = {2: (10, np.uint16, 0x3C00), 4: (23, np.uint32, 0x3F800000),
         8: (52, np.uint64, 0x3FF0000000000000)}


def _gpu(data: Any) -> Any:
    """The CuPy kernels module when the key lives on the GPU, else ``None``."""
    if is_cupy_array(data):
        from gpugrad.random import _cuda

        return _cuda
    return None


def bits(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Uniform random bits as unsigned integers, as ``jax.random.bits``.

    Example:
        >>> from gpugrad.random import key
        >>> bits(key(0), (3,)).tolist()  # legacy layout (gpugrad's default)
        [4146024105, 1351547692, 2718843009]
    """
    data = single_key_data(key, "bits")
    dt = uint_dtype("bits", dtype)
    out = _threefry.random_bits(data, dt.itemsize * 8, canonical_shape(shape),
                                config.threefry_partitionable)
    return out


def _unit_floats(data: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """Floats in [0, 1) with step 2**-nmant: random mantissa bits OR'd into 1.0, minus 1."""
    if dtype.itemsize not in _UNIT:
        raise TypeError(f"uniform only accepts float16, float32 and float64, got {dtype}")
    nmant, udt, one = _UNIT[dtype.itemsize]
    width = dtype.itemsize * 8
    b = _threefry.random_bits(data, width, shape, config.threefry_partitionable)
    xp = namespace_of(b)
    # In place: random_bits returns a fresh array, so no 10**7-element temporaries.
    b >>= udt(width - nmant)
    b |= udt(one)
    f = b.view(dtype)
    f -= xp.asarray(1.0, dtype=dtype)
    return f


def _bound(value: Any, dtype: np.dtype, xp: Any) -> Any:
    return xp.asarray(value).astype(dtype) if not is_tracer(value) else value


def _affine_np(f: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``max(lo, fma(f, hi - lo, lo))`` with JAX's single rounding of the fma (``f``, a
    fresh array of unit floats, may be overwritten with the result)."""
    if f.dtype == np.float32 and _xla_float32_fast.affine_f32(f, lo, hi) is not None:
        return f  # scalar bounds with a provably exact float64 fma (the common case)
    span = hi - lo
    if f.dtype == np.float32:
        u = _xla_float32.fma32(f, span, lo)
    elif f.dtype == np.float64:
        u = _xla_float32.fma64(f, span, lo)
    else:  # float16: separately rounded ops (matches JAX for the default range)
        u = f * span + lo
    return np.maximum(lo, u)


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
    traced = is_tracer(minval) or is_tracer(maxval)
    check_shape("uniform", shape, *(np.shape(v) for v in (minval, maxval) if not traced))
    gpu = _gpu(data)
    if traced:
        import gpugrad.numpy as gnp

        f = _unit_floats(data, shape, dt)
        lo, hi = minval, maxval
        return gnp.maximum(lo, f * (hi - lo) + lo)
    if gpu is not None and dt in (np.float32, np.float64):
        return gpu.sample("uniform", data, shape, dt, minval, maxval)
    xp = namespace_of(data)
    f = _unit_floats(data, shape, dt)
    lo, hi = _bound(minval, dt, xp), _bound(maxval, dt, xp)
    if gpu is not None:
        return xp.maximum(lo, f * (hi - lo) + lo)
    return np.asarray(_affine_np(f, lo, hi), dtype=dt).reshape(shape)


def normal(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard normal floats, as ``jax.random.normal``: ``sqrt(2) * erfinv(u)``.

    Example:
        >>> from gpugrad.random import key
        >>> normal(key(1), (5,))[:2].tolist()  # legacy layout
        [0.9573070406913757, -0.9699289202690125]
    """
    data = single_key_data(key, "normal")
    dt = float_dtype("normal", dtype)
    shape = canonical_shape(shape)
    gpu = _gpu(data)
    if gpu is not None:
        return gpu.sample("normal", data, shape, dt)
    if dt == np.float64:
        u = uniform(data, shape, dt, np.nextafter(-1.0, 0.0), 1.0)
        return np.asarray(np.sqrt(2.0) * _xla_float64.erfinv64(u)).reshape(shape)
    b = _threefry.random_bits(data, 32, shape, config.threefry_partitionable)
    # uniform(-0.99999994, 1) and sqrt(2) * erfinv, chunk by chunk, in the bits' memory.
    return _xla_float32_fast.normal_from_bits(b).astype(dt, copy=False)


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
    if is_tracer(lower) or is_tracer(upper):
        return _traced_truncated_normal(data, lower, upper, shape, dt)
    if shape is None:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
    else:
        shape = canonical_shape(shape)
        check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
    gpu = _gpu(data)
    if gpu is not None:
        return gpu.sample("truncated_normal", data, shape, dt, lower, upper)
    lo = np.asarray(lower).astype(dt)
    hi = np.asarray(upper).astype(dt)
    if dt == np.float64:
        a, b = _xla_float64.erf64(lo / np.sqrt(2.0)), _xla_float64.erf64(hi / np.sqrt(2.0))
        z = np.sqrt(2.0) * _xla_float64.erfinv64(uniform(data, shape, dt, a, b))
    else:
        # XLA rewrites the division by the constant sqrt(2) into a multiplication by its
        # float32 reciprocal, and its fused erf clamps at 3.7439212 (both seen in its IR).
        a = _xla_float32.erf_f32(lo.astype(F32) * _RSQRT2_F32, _xla_float32.ERF_CLAMP_FUSED)
        b = _xla_float32.erf_f32(hi.astype(F32) * _RSQRT2_F32, _xla_float32.ERF_CLAMP_FUSED)
        u = _affine_np(_unit_floats(data, shape, np.dtype(F32)), a, b)
        z = _xla_float32_fast.erfinv_f32(u, _SQRT2_F32, out=u)  # u is ours: overwrite it
    z = np.maximum(np.nextafter(lo, np.asarray(np.inf, dt)), z, out=z)
    z = np.minimum(np.nextafter(hi, np.asarray(-np.inf, dt)), z, out=z)
    return np.asarray(z).astype(dt, copy=False).reshape(shape)


def _traced_truncated_normal(data: Any, lower: Any, upper: Any, shape: Any, dt: Any) -> Any:
    """The bit-exact sample (from the bounds' values), carrying the derivative of its
    formula ``sqrt(2) erfinv(uniform(erf(lower / sqrt(2)), erf(upper / sqrt(2))))`` in the
    bounds, written in gpugrad operations.

    ``exact + (z - stop_gradient(z))`` has exactly the value ``exact`` (``z - z`` is 0)
    and the derivatives of ``z``, to every order.
    """
    import gpugrad.numpy as gnp
    from gpugrad.core.trace import raw_value
    from gpugrad.primitives.structural import stop_gradient
    from gpugrad.scipy.special import erf, erfinv

    # The sample's value needs the bounds' values (the bit-exact sampler runs on arrays).
    exact = truncated_normal(data, raw_value(lower), raw_value(upper), shape, dt)
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
    if is_tracer(p):  # the result is boolean: it carries no derivative (JAX's is zero)
        from gpugrad.core.trace import raw_value  # lazily: the core imports this package

        p = raw_value(p)
    if isinstance(p, (bool, int)):  # JAX: a Python int has an integer dtype
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {p!r}.")
    dt = default_float_of(p)
    if dt.kind != "f":
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {dt}.")
    xp = namespace_of(data, p)
    p_arr = xp.asarray(p).astype(dt)
    if shape is None:
        shape = tuple(p_arr.shape)
    else:
        shape = canonical_shape(shape)
        check_shape("bernoulli", shape, tuple(p_arr.shape))
    gpu = _gpu(data)
    if gpu is not None and mode == "low" and dt == np.float32:
        return gpu.sample("bernoulli", data, shape, dt, p_arr)
    # xp.asarray: NumPy's comparison of 0-d arrays gives a scalar; a sample is an array.
    if mode == "high":
        u = uniform(data, (2, *shape), dt)
        nmant = np.finfo(dt).nmant
        return xp.asarray(u[1] * xp.asarray(2.0**-nmant, dtype=dt) < p_arr - u[0])
    return xp.asarray(uniform(data, shape, dt) < p_arr)


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
    dt = float_dtype("gumbel", dtype)
    shape = canonical_shape(shape)
    gpu = _gpu(data)
    if gpu is not None:
        return gpu.sample("gumbel_" + mode, data, shape, dt)
    info = np.finfo(dt)
    log, log1p = (_xla_float32.log_f32, _xla_float32.log1p_f32) if dt == F32 else (np.log, np.log1p)
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "high":
            hl = uniform(data, (2, *shape), dt)
            high, low = hl[0], hl[1]
            x = np.where(high >= 0.5, high, high + dt.type(2.0**-info.nmant) * low + info.tiny)
            return np.asarray(-log(-log1p(-x)), dtype=dt).reshape(shape)
        u = uniform(data, shape, dt, info.tiny, 1.0)
        return np.asarray(-log(-log(u)), dtype=dt).reshape(shape)


def exponential(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard exponential floats, ``-log1p(-u)``, as ``jax.random.exponential``.

    Example:
        >>> from gpugrad.random import key
        >>> bool((exponential(key(0), (50,)) >= 0).all())
        True
    """
    data = single_key_data(key, "exponential")
    dt = float_dtype("exponential", dtype)
    shape = canonical_shape(shape)
    gpu = _gpu(data)
    if gpu is not None:
        return gpu.sample("exponential", data, shape, dt)
    log1p = _xla_float32.log1p_f32 if dt == F32 else np.log1p
    u = uniform(data, shape, dt)
    return np.asarray(-log1p(-u), dtype=dt).reshape(shape)


def laplace(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard Laplace floats, ``sign(u) * log1p(-|u|)``, as ``jax.random.laplace``.

    Example:
        >>> from gpugrad.random import key
        >>> laplace(key(0), (2, 2)).shape
        (2, 2)
    """
    data = single_key_data(key, "laplace")
    dt = float_dtype("laplace", dtype)
    shape = canonical_shape(shape)
    gpu = _gpu(data)
    if gpu is not None:
        return gpu.sample("laplace", data, shape, dt)
    log1p = _xla_float32.log1p_f32 if dt == F32 else np.log1p
    u = uniform(data, shape, dt, -1.0 + np.finfo(dt).epsneg, 1.0)
    return np.asarray(np.sign(u) * log1p(-np.abs(u)), dtype=dt).reshape(shape)
