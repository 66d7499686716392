"""The kernels of the float samplers and ``bits``: key data ``uint32[*K, 2]`` in, a draw per
key out (prng.md sections 5-7).

On CuPy each kernel is one fused CUDA kernel for the whole batch of keys
(:mod:`gpugrad.random.cuda_kernels`); on NumPy it is vectorised uint32 bit tricks followed by the
float32 recipes of :mod:`gpugrad.random._xla_float32` (``normal``, ``truncated_normal`` and
``uniform`` use their cache-chunked, bit-identical fast versions in
:mod:`gpugrad.random._xla_float32_fast`). Every recipe is elementwise, so the leading key
axes ride along; parameters come shaped by :func:`~gpugrad.random._sampling.lead_params`.

Example:
    >>> normal_kernel(np.zeros((2, 2), np.uint32), shape=(3,), dtype=np.dtype(np.float32),
    ...               partitionable=True)[0].tolist()
    [1.622642159461975, 2.0252647399902344, -0.4335944354534149]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array, namespace_of
from gpugrad.random import _xla_float32, _xla_float32_fast, _xla_float64, threefry
from gpugrad.random._sampling import draws, kernel, lead_params, typed_draws

__all__ = ["normal_kernel", "uniform_kernel", "unit_floats"]

F32 = np.float32
_SQRT2_F32 = F32(np.sqrt(2.0))  # 1.4142135, bits 0x3FB504F3
_RSQRT2_F32 = F32(1.0) / _SQRT2_F32  # 0.70710677, bits 0x3F3504F3
# (mantissa bits, uint dtype, pattern of 1.0) per float width: the "mantissa trick".
_UNIT = {2: (10, np.uint16, 0x3C00), 4: (23, np.uint32, 0x3F800000),
         8: (52, np.uint64, 0x3FF0000000000000)}


def _gpu(keys: Any) -> Any:
    """The CuPy kernels module when the keys live on the GPU, else ``None``."""
    if is_cupy_array(keys):
        from gpugrad.random import cuda_kernels  # CUDA only: ~10 ms to import, unused on NumPy

        return cuda_kernels
    return None


def _sampled_on_gpu(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register (``kernel(name, typed_draws)``) a kernel of no array params whose draws, for
    keys on the GPU, come from the CUDA sampler ``name``; the decorated function is the
    NumPy route."""
    def register(numpy_route: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(numpy_route)
        def sample(keys: Any, *, shape: tuple[int, ...], dtype: np.dtype, **static: Any) -> Any:
            gpu = _gpu(keys)
            if gpu is not None:
                return gpu.sample(name, keys, shape, dtype)
            return numpy_route(keys, shape=shape, dtype=dtype, **static)

        return kernel(name, typed_draws)(sample)

    return register


def _pick(x: Any, nk: int, i: int) -> Any:
    """Entry ``i`` of the first axis after the ``nk`` key axes (a ``(2, *shape)`` draw)."""
    return x[(slice(None),) * nk + (i,)]


@kernel("bits", lambda keys, width, shape, partitionable: draws(keys, shape, f"uint{width}"))
def bits_kernel(keys: Any, *, width: int, shape: tuple[int, ...], partitionable: bool) -> Any:
    return threefry.random_bits(keys, width, shape, partitionable)


@kernel("unit", typed_draws)
def unit_floats(keys: Any, *, shape: tuple[int, ...], dtype: np.dtype, partitionable: bool
                ) -> Any:
    """Floats in [0, 1) with step 2**-nmant: random mantissa bits OR'd into 1.0, minus 1."""
    if dtype.itemsize not in _UNIT:
        raise TypeError(f"uniform only accepts float16, float32 and float64, got {dtype}")
    nmant, udt, one = _UNIT[dtype.itemsize]
    width = dtype.itemsize * 8
    b = threefry.random_bits(keys, width, shape, partitionable)
    xp = namespace_of(b)
    # In place: random_bits returns a fresh array, so no 10**7-element temporaries.
    b >>= udt(width - nmant)
    b |= udt(one)
    f = b.view(dtype)
    f -= xp.asarray(1.0, dtype=dtype)
    return f


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


@kernel("uniform", typed_draws)
def uniform_kernel(keys: Any, lo: Any, hi: Any, *, shape: tuple[int, ...], dtype: np.dtype,
                   partitionable: bool) -> Any:
    xp = namespace_of(keys)
    lo, hi = lead_params(keys, len(shape), xp.asarray(lo).astype(dtype),
                         xp.asarray(hi).astype(dtype))
    gpu = _gpu(keys)
    if gpu is not None and dtype in (np.float32, np.float64):
        return gpu.sample("uniform", keys, shape, dtype, lo, hi)
    f = unit_floats(keys, shape=shape, dtype=dtype, partitionable=partitionable)
    if gpu is not None:
        return xp.maximum(lo, f * (hi - lo) + lo)
    return np.asarray(_affine_np(f, lo, hi), dtype=dtype).reshape(f.shape)


@_sampled_on_gpu("normal")
def normal_kernel(keys: Any, *, shape: tuple[int, ...], dtype: np.dtype, partitionable: bool
                  ) -> Any:
    if dtype == np.float64:
        u = uniform_kernel(keys, np.nextafter(-1.0, 0.0), 1.0, shape=shape, dtype=dtype,
                           partitionable=partitionable)
        return np.asarray(np.sqrt(2.0) * _xla_float64.erfinv64(u)).reshape(u.shape)
    b = threefry.random_bits(keys, 32, shape, partitionable)
    # uniform(-0.99999994, 1) and sqrt(2) * erfinv, chunk by chunk, in the bits' memory.
    return _xla_float32_fast.normal_from_bits(b).astype(dtype, copy=False)


@kernel("truncated_normal", typed_draws)
def truncated_normal_kernel(keys: Any, lower: Any, upper: Any, *, shape: tuple[int, ...],
                            dtype: np.dtype, partitionable: bool) -> Any:
    gpu = _gpu(keys)
    xp = namespace_of(keys)
    lower, upper = lead_params(keys, len(shape), xp.asarray(lower), xp.asarray(upper))
    if gpu is not None:
        return gpu.sample("truncated_normal", keys, shape, dtype, lower, upper)
    lo, hi = lower.astype(dtype), upper.astype(dtype)
    if dtype == np.float64:
        a, b = _xla_float64.erf64(lo / np.sqrt(2.0)), _xla_float64.erf64(hi / np.sqrt(2.0))
        z = np.sqrt(2.0) * _xla_float64.erfinv64(uniform_kernel(
            keys, a, b, shape=shape, dtype=dtype, partitionable=partitionable))
    else:
        # XLA rewrites the division by the constant sqrt(2) into a multiplication by its
        # float32 reciprocal, and its fused erf clamps at 3.7439212 (both seen in its IR).
        a = _xla_float32.erf_f32(lo.astype(F32) * _RSQRT2_F32, _xla_float32.ERF_CLAMP_FUSED)
        b = _xla_float32.erf_f32(hi.astype(F32) * _RSQRT2_F32, _xla_float32.ERF_CLAMP_FUSED)
        f = unit_floats(keys, shape=shape, dtype=np.dtype(F32), partitionable=partitionable)
        u = _affine_np(f, a, b)
        z = _xla_float32_fast.erfinv_f32(u, _SQRT2_F32, out=u)  # u is ours: overwrite it
    z = np.maximum(np.nextafter(lo, np.asarray(np.inf, dtype)), z, out=z)
    z = np.minimum(np.nextafter(hi, np.asarray(-np.inf, dtype)), z, out=z)
    return np.asarray(z).astype(dtype, copy=False).reshape((*keys.shape[:-1], *shape))


@kernel("bernoulli", lambda keys, p, shape, **static: draws(keys, shape, bool))
def bernoulli_kernel(keys: Any, p: Any, *, shape: tuple[int, ...], mode: str,
                     partitionable: bool) -> Any:
    xp = namespace_of(keys, p)
    p = xp.asarray(p)
    dt = p.dtype
    (p,) = lead_params(keys, len(shape), p)
    gpu = _gpu(keys)
    if gpu is not None and mode == "low" and dt == np.float32:
        return gpu.sample("bernoulli", keys, shape, dt, p)
    # xp.asarray: NumPy's comparison of 0-d arrays gives a scalar; a sample is an array.
    if mode == "high":
        u = unit_floats(keys, shape=(2, *shape), dtype=dt, partitionable=partitionable)
        nk = keys.ndim - 1
        nmant = np.finfo(dt).nmant
        return xp.asarray(_pick(u, nk, 1) * xp.asarray(2.0**-nmant, dtype=dt)
                          < p - _pick(u, nk, 0))
    return xp.asarray(unit_floats(keys, shape=shape, dtype=dt, partitionable=partitionable)
                      < p)


@kernel("gumbel", typed_draws)
def gumbel_kernel(keys: Any, *, shape: tuple[int, ...], dtype: np.dtype, mode: str,
                  partitionable: bool) -> Any:
    gpu = _gpu(keys)
    if gpu is not None:
        return gpu.sample("gumbel_" + mode, keys, shape, dtype)
    info = np.finfo(dtype)
    log, log1p = ((_xla_float32.log_f32, _xla_float32.log1p_f32) if dtype == F32
                  else (np.log, np.log1p))
    out_shape = (*keys.shape[:-1], *shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "high":
            hl = unit_floats(keys, shape=(2, *shape), dtype=dtype, partitionable=partitionable)
            high, low = _pick(hl, keys.ndim - 1, 0), _pick(hl, keys.ndim - 1, 1)
            x = np.where(high >= 0.5, high,
                         high + dtype.type(2.0**-info.nmant) * low + info.tiny)
            return np.asarray(-log(-log1p(-x)), dtype=dtype).reshape(out_shape)
        u = uniform_kernel(keys, info.tiny, 1.0, shape=shape, dtype=dtype,
                           partitionable=partitionable)
        return np.asarray(-log(-log(u)), dtype=dtype).reshape(out_shape)


@_sampled_on_gpu("exponential")
def exponential_kernel(keys: Any, *, shape: tuple[int, ...], dtype: np.dtype,
                       partitionable: bool) -> Any:
    log1p = _xla_float32.log1p_f32 if dtype == F32 else np.log1p
    u = unit_floats(keys, shape=shape, dtype=dtype, partitionable=partitionable)
    return np.asarray(-log1p(-u), dtype=dtype).reshape(u.shape)


@_sampled_on_gpu("laplace")
def laplace_kernel(keys: Any, *, shape: tuple[int, ...], dtype: np.dtype, partitionable: bool
                   ) -> Any:
    log1p = _xla_float32.log1p_f32 if dtype == F32 else np.log1p
    u = uniform_kernel(keys, -1.0 + np.finfo(dtype).epsneg, 1.0, shape=shape, dtype=dtype,
                       partitionable=partitionable)
    return np.asarray(np.sign(u) * log1p(-np.abs(u)), dtype=dtype).reshape(u.shape)
