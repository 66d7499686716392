"""Threefry-2x32-20 and the two bit layouts of ``jax.random`` (prng.md sections 2-4).

Everything here is 32-bit unsigned integer arithmetic, so it is bit-exact on any backend.
The block function is vectorised over counter arrays: on NumPy it runs in cache-sized
chunks with in-place ufuncs (no per-element Python); on CuPy one fused kernel computes the
blocks (see :mod:`gpugrad.random.cuda_kernels`).

Example:
    >>> y0, y1 = threefry2x32(np.uint32(0), np.uint32(0), np.zeros(1, np.uint32),
    ...                       np.zeros(1, np.uint32))
    >>> hex(int(y0[0])), hex(int(y1[0]))
    ('0x6b200159', '0x99ba4efe')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array, namespace_of

__all__ = ["fold_in_data", "random_bits", "split_data", "threefry2x32"]

_ROT_A = (13, 15, 26, 6)  # rotation amounts of rounds 1-4 of groups 1, 3, 5
_ROT_B = (17, 29, 16, 24)  # ... of groups 2, 4
_PARITY = 0x1BD11BDA  # Threefry's key-schedule parity constant
_MASK32 = 0xFFFFFFFF
# 2**15 elements of uint32 (128 KiB per array) keep the ~10 live arrays of a round in L2,
# which makes the 130 passes of the 20 rounds about 3x faster than whole-array passes.
_CHUNK = 1 << 15


def _threefry_np(k0: Any, k1: Any, x0: np.ndarray, x1: np.ndarray) -> None:
    """Threefry-2x32-20 in place on uint32 NumPy arrays ``x0``, ``x1`` (one chunk).

    ``k0``, ``k1`` are Python ints (one key) or uint32 arrays broadcasting against the
    counters (a key per block, for a batch of keys)."""
    if isinstance(k0, int):
        ks: tuple[Any, ...] = (k0, k1, k0 ^ k1 ^ _PARITY)
        # Key injections as uint32 scalars, precomputed mod 2**32 in Python ints so that
        # NumPy never sees a scalar overflow (it warns on those; warnings are test errors).
        inject = [(np.uint32(ks[g % 3]), np.uint32((ks[(g + 1) % 3] + g) & _MASK32))
                  for g in range(1, 6)]
        ks = (np.uint32(k0), np.uint32(k1))
    else:  # arrays wrap silently
        ks = (k0, k1, k0 ^ k1 ^ np.uint32(_PARITY))
        inject = [(ks[g % 3], ks[(g + 1) % 3] + np.uint32(g)) for g in range(1, 6)]
    x0 += ks[0]
    x1 += ks[1]
    tmp = np.empty_like(x1)
    for g in range(1, 6):
        for r in _ROT_A if g % 2 else _ROT_B:
            x0 += x1
            np.left_shift(x1, r, out=tmp)
            x1 >>= 32 - r
            x1 |= tmp
            x1 ^= x0
        x0 += inject[g - 1][0]
        x1 += inject[g - 1][1]


def threefry2x32(k0: Any, k1: Any, x0: Any, x1: Any) -> tuple[Any, Any]:
    """The Threefry-2x32-20 block function on counter arrays ``x0``, ``x1`` (uint32).

    ``k0``, ``k1`` are the two key words: Python/NumPy integers for NumPy counters, or
    0-d CuPy arrays (so that no device-to-host copy is needed) for CuPy counters.

    Example:
        >>> y = threefry2x32(0, 42, np.zeros(1, np.uint32), np.ones(1, np.uint32))
        >>> [hex(int(v[0])) for v in y]
        ['0x3d7b32d', '0xadd083f4']
    """
    if any(is_cupy_array(v) for v in (k0, k1, x0, x1)):
        from gpugrad.random import cuda_kernels  # CUDA only: ~10 ms to import, unused on NumPy

        return cuda_kernels.threefry_blocks(k0, k1, x0, x1)
    if np.ndim(k0) or np.ndim(k1):  # a key per block: hash the broadcast arrays flat
        k0, k1, x0, x1 = np.broadcast_arrays(*(np.asarray(v, np.uint32) for v in (k0, k1, x0, x1)))
        keys: tuple[Any, Any] = (np.ravel(k0), np.ravel(k1))
    else:
        keys = (int(k0) & _MASK32, int(k1) & _MASK32)
    a = np.array(x0, dtype=np.uint32, copy=True).reshape(-1)
    b = np.array(x1, dtype=np.uint32, copy=True).reshape(-1)
    for start in range(0, a.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        w0, w1 = (k if isinstance(k, int) else k[part] for k in keys)
        _threefry_np(w0, w1, a[part], b[part])
    shape = np.shape(x0)
    return a.reshape(shape), b.reshape(shape)


def _bits32_np(k0: int, k1: int, n: int, partitionable: bool) -> np.ndarray:
    """``bits32`` for ``n`` elements on NumPy, generated chunk by chunk into the output.

    The counters are written into cache-sized buffers (no ``arange(n)`` temporaries) and
    the blocks are hashed in place where the layout allows it.
    """
    out = np.empty(n, np.uint32)
    step = np.arange(min(_CHUNK, n), dtype=np.uint32)
    if partitionable:  # counter (0, i) per element (n < 2**32), bits = y0 ^ y1
        x0 = np.empty(step.size, np.uint32)
        for start in range(0, n, _CHUNK):
            x1 = out[start:start + _CHUNK]
            np.add(step[:x1.size], np.uint32(start), out=x1)
            x0[:] = 0
            _threefry_np(k0, k1, x0[:x1.size], x1)
            x1 ^= x0[:x1.size]
        return out
    # Legacy: counters arange(n) (padded with one 0 when n is odd) cut into halves; block i
    # hashes (i, half + i) and writes y0 to out[i], y1 to out[half + i].
    half = (n + 1) // 2
    x1 = np.empty(step.size, np.uint32)
    for start in range(0, half, _CHUNK):
        x0 = out[start:min(start + _CHUNK, half)]
        m = x0.size
        np.add(step[:m], np.uint32(start), out=x0)
        np.add(step[:m], np.uint32(half + start), out=x1[:m])
        if n % 2 and start + m == half:
            x1[m - 1] = 0
        _threefry_np(k0, k1, x0, x1[:m])
        tail = out[half + start:half + start + m]  # one short when n is odd
        tail[:] = x1[:tail.size]
    return out


def _key_words(data: Any) -> tuple[Any, Any]:
    """The two key words of key data ``uint32[*K, 2]``, kept on the data's device: scalars
    for one key, ``(M, 1)`` columns for a batch of ``M`` keys (each row hashes its own)."""
    if data.ndim > 1:
        return data[..., 0].reshape(-1, 1), data[..., 1].reshape(-1, 1)
    if is_cupy_array(data):
        return data[0], data[1]
    return int(data[0]), int(data[1])


def _hash_flat(data: Any, count: int) -> Any:
    """JAX's legacy ``threefry_2x32(key, arange(count))``: halves as the two counters (one
    row of ``count`` words per key of a batch)."""
    xp = namespace_of(data)
    half = (count + 1) // 2  # an odd count is padded with one 0 counter
    x0 = xp.arange(half, dtype=xp.uint32)
    x1 = xp.arange(half, 2 * half, dtype=xp.uint32)
    if count % 2:
        x1[-1] = 0
    y0, y1 = threefry2x32(*_key_words(data), x0, x1)
    return xp.concatenate([y0, y1], axis=-1)[..., :count]


def _counters(xp: Any, n: int) -> tuple[Any, Any]:
    """The partitionable layout's per-element counters ``(i >> 32, i & 0xFFFFFFFF)``."""
    if n <= _MASK32:
        return xp.zeros(n, dtype=xp.uint32), xp.arange(n, dtype=xp.uint32)
    idx = xp.arange(n, dtype=xp.uint64)  # sizes of 2**32 and more (JAX allows < 2**64)
    return (idx >> 32).astype(xp.uint32), (idx & _MASK32).astype(xp.uint32)


def random_bits(data: Any, width: int, shape: tuple[int, ...], partitionable: bool) -> Any:
    """``bits`` of ``width`` (8, 16, 32 or 64) for ``shape`` from key data ``uint32[*K, 2]``:
    shape ``(*K, *shape)``, every key of a batch hashed in the same vectorised pass.

    Example:
        >>> random_bits(np.zeros(2, np.uint32), 32, (3,), True)
        array([4070199207, 4202968722, 1427181096], dtype=uint32)
    """
    xp = namespace_of(data)
    n = math.prod(shape)
    lead = tuple(data.shape[:-1])
    out_dtype = {8: xp.uint8, 16: xp.uint16, 32: xp.uint32, 64: xp.uint64}[width]
    if n == 0 or 0 in lead:
        return xp.zeros((*lead, *shape), dtype=out_dtype)
    if width == 32 and xp is np and n <= _MASK32 and not lead:
        return _bits32_np(*_key_words(data), n, partitionable).reshape(shape)
    if partitionable:
        y0, y1 = threefry2x32(*_key_words(data), *_counters(xp, n))
        if width == 64:
            out = (y0.astype(xp.uint64) << 32) | y1.astype(xp.uint64)
        else:
            # 8 and 16 bits keep the low bits of the xor of the two output words.
            out = (y0 ^ y1).astype(out_dtype)
        return out.reshape((*lead, *shape))
    words = -(-width * n // 32)
    flat = _hash_flat(data, words)
    if width == 64:
        out = (flat[..., :n].astype(xp.uint64) << 32) | flat[..., n:].astype(xp.uint64)
    elif width == 32:
        out = flat
    else:
        # Each word is cut into little-endian pieces, low bits first (explicit shifts, so
        # the result does not depend on the machine's byte order).
        per = 32 // width
        shifts = xp.arange(per, dtype=xp.uint32) * xp.uint32(width)
        pieces = (flat[..., :, None] >> shifts).reshape((*flat.shape[:-1], -1))
        out = pieces[..., :n].astype(out_dtype)
    # Contiguous (a batch's rows cut to n words are not): the samplers work in place on a
    # flat view of the bits.
    return xp.ascontiguousarray(out.reshape((*lead, *shape)))


def split_data(data: Any, shape: tuple[int, ...], partitionable: bool) -> Any:
    """Key data ``uint32[*K, *shape, 2]`` of ``split(key, shape)`` for keys ``uint32[*K, 2]``.

    Example:
        >>> split_data(np.zeros(2, np.uint32), (2,), True).tolist()
        [[1797259609, 2579123966], [928981903, 3453687069]]
    """
    xp = namespace_of(data)
    n = math.prod(shape)
    lead = tuple(data.shape[:-1])
    if n == 0 or 0 in lead:
        return xp.zeros((*lead, *shape, 2), dtype=xp.uint32)
    if partitionable:
        y0, y1 = threefry2x32(*_key_words(data), *_counters(xp, n))
        return xp.stack([y0, y1], axis=-1).reshape((*lead, *shape, 2))
    return _hash_flat(data, 2 * n).reshape((*lead, *shape, 2))


def fold_in_data(data: Any, value: Any) -> Any:
    """Key data of ``fold_in(key, value)``: the block at counter ``(0, value)``; for keys
    ``uint32[*K, 2]``, ``value`` is an int or a uint32 array broadcasting against ``K``.

    Example:
        >>> fold_in_data(np.zeros(2, np.uint32), 1).tolist()
        [928981903, 3453687069]
    """
    xp = namespace_of(data)
    lead = tuple(data.shape[:-1])
    x1 = xp.asarray(value, dtype=xp.uint32)
    if lead:  # a key per block
        x1 = xp.broadcast_to(x1, lead).reshape(-1)
        k0, k1 = data[..., 0].reshape(-1), data[..., 1].reshape(-1)
    else:  # one key: its words as scalars (the cheaper path of threefry2x32)
        x1 = x1.reshape(1)
        k0, k1 = _key_words(data)
    y0, y1 = threefry2x32(k0, k1, xp.zeros_like(x1), x1)
    return xp.stack([y0, y1], axis=-1).reshape((*lead, 2))
