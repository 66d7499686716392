"""The kernels of the integer-valued samplers: key data ``uint32[*K, 2]`` in, a draw per key
out (prng.md section 7).

``randint`` and the shuffles are pure 32-bit integer arithmetic, hence bit-exact; JAX's
quirks (the uint32 multiplier that wraps to 0 for spans above 65536, remainder by 0
returning the dividend) are copied on purpose. With ``nk`` leading key axes every axis
argument below is shifted by ``nk``; parameters come shaped by
:func:`~gpugrad.random._sampling.lead_params`.

Example:
    >>> randint_kernel(np.zeros((2, 2), np.uint32), 0, 10, shape=(6,),
    ...                dtype=np.dtype(np.int32), partitionable=True)[1].tolist()
    [9, 0, 2, 3, 1, 7]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.config import live
from gpugrad.core.abstract import ShapedArray
from gpugrad.dtypes import default_int
from gpugrad.random import _xla_float32, threefry
from gpugrad.random._float_kernels import gumbel_kernel, unit_floats
from gpugrad.random._sampling import draws, kernel, lead_params, typed_draws

__all__ = ["int_bound", "randint_kernel", "shuffle"]


def _split2(keys: Any, partitionable: bool) -> tuple[Any, Any]:
    pair = threefry.split_data(keys, (2,), partitionable)
    return pair[..., 0, :], pair[..., 1, :]


def _rem(a: Any, b: Any, xp: Any) -> Any:
    """XLA's unsigned remainder: ``a % b``, and ``a`` itself where ``b == 0``."""
    zero = b == 0
    return xp.where(zero, a, a % xp.where(zero, b.dtype.type(1), b))


def int_bound(value: Any, name: str, xp: Any) -> Any:
    """An integer bound as an array; Python ints outside the default int dtype overflow."""
    if isinstance(value, (bool, int)) and not isinstance(value, bool):
        info = np.iinfo(np.int64 if live.enable_x64 else np.int32)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python int {value} too large to convert to {info.dtype}")
        return xp.asarray(value, dtype=info.dtype)
    arr = xp.asarray(value)
    if arr.dtype.kind == "f":  # JAX casts float bounds to the default int
        arr = arr.astype(np.int64 if live.enable_x64 else np.int32)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"randint {name} must be an integer, got {arr.dtype}")
    if arr.dtype.itemsize == 8 and not live.enable_x64:
        arr = arr.astype(arr.dtype.kind + "4")
    return arr


def _clip_to(arr: Any, dtype: np.dtype, xp: Any) -> Any:
    """Convert integer ``arr`` to ``dtype`` by clipping to its range (never wrapping)."""
    src, dst = np.iinfo(arr.dtype), np.iinfo(dtype)
    lo, hi = max(src.min, dst.min), min(src.max, dst.max)
    wide = arr.astype(np.int64) if arr.dtype != np.uint64 else arr
    return xp.clip(wide, lo, hi).astype(dtype)


@kernel("randint", typed_draws)
def randint_kernel(keys: Any, minval: Any, maxval: Any, *, shape: tuple[int, ...],
                   dtype: np.dtype, partitionable: bool) -> Any:
    xp = namespace_of(keys)
    minval, maxval = int_bound(minval, "minval", xp), int_bound(maxval, "maxval", xp)
    minval, maxval = lead_params(keys, len(shape), minval, maxval)
    info = np.iinfo(dtype)
    sdt = dtype
    if info.bits < 32:  # 8/16-bit dtypes are sampled in int32, then cast
        sdt = np.dtype(np.int32)
        minval = xp.clip(minval.astype(np.int32), int(info.min), int(info.max))
        maxval = xp.clip(maxval.astype(np.int32), int(info.min), int(info.max) + 1)
    sinfo = np.iinfo(sdt)
    nbits = sinfo.bits
    udt = np.dtype(f"uint{nbits}")
    out_of_range = maxval > _clip_to(xp.asarray(sinfo.max, dtype=sdt), maxval.dtype, xp)
    lo, hi = _clip_to(minval, sdt, xp), _clip_to(maxval, sdt, xp)
    k1, k2 = _split2(keys, partitionable)
    higher = threefry.random_bits(k1, nbits, shape, partitionable)
    lower = threefry.random_bits(k2, nbits, shape, partitionable)
    with np.errstate(over="ignore"):
        span = (hi - lo).astype(udt)  # wrapping subtraction, reinterpreted as unsigned
        span = xp.where(hi <= lo, udt.type(1), span)
        span = xp.where(out_of_range & (hi > lo), span + udt.type(1), span)
        mult = _rem(xp.full_like(span, 2 ** (nbits // 2)), span, xp)
        mult = _rem(mult * mult, span, xp)  # wraps to 0 in uint32 for spans > 65536
        offset = _rem(_rem(higher, span, xp) * mult + _rem(lower, span, xp), span, xp)
        out = lo + offset.astype(sdt)
    return xp.asarray(out, dtype=sdt).astype(dtype).reshape(higher.shape)


def _sort_order(sort_keys: Any, axis: int, xp: Any) -> Any:
    """Indices of a stable ascending sort of uint32 ``sort_keys`` along ``axis``."""
    if xp is np:
        return np.argsort(sort_keys, axis=axis, kind="stable")
    # Any sort is stable on unique keys: append the position below the 32 key bits.
    moved = xp.moveaxis(sort_keys, axis, -1)
    pos = xp.arange(moved.shape[-1], dtype=xp.uint64)
    combined = xp.sort((moved.astype(xp.uint64) << 32) | pos, axis=-1)
    return xp.moveaxis((combined & 0xFFFFFFFF).astype(xp.int64), -1, axis)


def shuffle(keys: Any, x: Any, axis: int, partitionable: bool) -> Any:
    """JAX's shuffle of each key's ``x`` (``x`` with the key axes first, of size 1 where
    shared) along its own ``axis``: a few rounds of stable sorts on fresh 32-bit keys."""
    xp = namespace_of(keys, x)
    nk = keys.ndim - 1
    own = tuple(x.shape[nk:])
    x = xp.broadcast_to(x, (*keys.shape[:-1], *own))
    rounds = math.ceil(3 * math.log(max(1, math.prod(own))) / math.log(2**32 - 1))
    for _ in range(rounds):
        keys, sub = _split2(keys, partitionable)
        sort_keys = threefry.random_bits(sub, 32, own, partitionable)
        x = xp.take_along_axis(x, _sort_order(sort_keys, nk + axis, xp), axis=nk + axis)
    return x


def _arange(keys: Any, n: int, dtype: Any, xp: Any) -> Any:
    """``arange(n)`` shared by every key (size-1 key axes in front), for :func:`shuffle`."""
    return xp.arange(n, dtype=dtype).reshape((*(1,) * (keys.ndim - 1), n))


def take_keyed(arr: Any, ind: Any, axis: int, nk: int, xp: Any) -> Any:
    """``take(arr, ind, axis)`` for each key: ``arr`` and ``ind`` both lead with the
    ``nk`` key axes (``arr``'s of size 1 where shared); ``ind``'s own axes replace
    ``arr``'s ``axis``."""
    if nk == 0:
        return xp.take(arr, ind, axis=axis)
    lead = tuple(ind.shape[:nk])
    m = math.prod(lead)
    own = tuple(arr.shape[nk:])
    src = xp.moveaxis(xp.broadcast_to(arr, (*lead, *own)).reshape((m, *own)), 1 + axis, 1)
    draws = tuple(ind.shape[nk:])
    rows = xp.arange(m).reshape((m, *(1,) * len(draws)))
    picked = src[rows, ind.reshape((m, *draws))]  # (m, *draws, *own without axis)
    d = len(draws)
    perm = [0, *range(1 + d, 1 + d + axis), *range(1, 1 + d), *range(1 + d + axis, picked.ndim)]
    return picked.transpose(perm).reshape((*lead, *own[:axis], *draws, *own[axis + 1:]))


def _permutation_result(keys: ShapedArray, *x: ShapedArray, n: int, **static: Any
                        ) -> ShapedArray:
    """Each key's shuffle of ``x`` (its own axes after the key axes), or of ``arange(n)``."""
    if not x:
        return draws(keys, (n,), default_int())
    return draws(keys, x[0].shape[keys.ndim - 1:], x[0].dtype)


@kernel("permutation", _permutation_result)
def permutation_kernel(keys: Any, *x: Any, n: int, axis: int, independent: bool,
                       partitionable: bool) -> Any:
    """A shuffle of ``arange(n)`` (no ``x``) or of array ``x`` along ``axis``."""
    xp = namespace_of(keys, *x)
    x = tuple(xp.asarray(v) for v in x)
    nk = keys.ndim - 1
    if not x:
        idt = np.int64 if live.enable_x64 else np.int32
        return shuffle(keys, _arange(keys, n, idt, xp), 0, partitionable)
    arr = xp.asarray(x[0])
    if independent or arr.ndim - nk == 1:
        return shuffle(keys, arr, axis, partitionable)
    ind = shuffle(keys, _arange(keys, n, np.int32, xp), 0, partitionable)
    return take_keyed(arr, ind, axis, nk, xp)


def _desc_keys(g: Any, xp: Any) -> Any:
    """uint32 keys whose ascending order is ``g``'s descending order (float32 ``g``)."""
    b = g.astype(xp.float32).view(xp.uint32)
    asc = xp.where(b >> 31, ~b, b | xp.uint32(0x80000000))  # monotone float -> uint map
    return ~asc


def top_k_indices(values: Any, k: int, xp: Any) -> Any:
    """Indices of the ``k`` largest entries along the last axis, ties to the lower index."""
    if xp is np:
        return np.argsort(-values, axis=-1, kind="stable")[..., :k]
    return _sort_order(_desc_keys(values, xp), values.ndim - 1, xp)[..., :k]


def _searchsorted_rows(sorted_rows: Any, v: Any, nk: int, xp: Any) -> Any:
    """``searchsorted(sorted_rows, v)`` (side left) for each key's row: the count of
    entries below each value (the sorted rows are cumulative sums)."""
    if nk == 0:
        return xp.searchsorted(sorted_rows, v)
    rows = sorted_rows.reshape((*sorted_rows.shape[:-1], *(1,) * (v.ndim - nk), -1))
    return (rows < v[..., None]).sum(axis=-1)


def _choice_result(keys: ShapedArray, *arrays: ShapedArray, shape: tuple[int, ...],
                   has_a: bool, axis: int, **static: Any) -> ShapedArray:
    """Indices of ``shape`` per key, or the items of ``a`` they pick: ``a``'s own axes with
    ``axis`` replaced by ``shape``."""
    if not has_a:
        return draws(keys, shape, default_int())
    own = arrays[0].shape[keys.ndim - 1:]
    return draws(keys, (*own[:axis], *shape, *own[axis + 1:]), arrays[0].dtype)


@kernel("choice", _choice_result)
def choice_kernel(keys: Any, *arrays: Any, n_inputs: int, shape: tuple[int, ...],
                  replace: bool, has_a: bool, axis: int, mode: str | None,
                  partitionable: bool) -> Any:
    """Indices into ``n_inputs`` items, or the items of ``a`` (the first of ``arrays``
    when ``has_a``) they pick along ``axis``; ``p`` is the next array, if any."""
    xp = namespace_of(keys, *arrays)
    arrays = tuple(xp.asarray(v) for v in arrays)
    nk = keys.ndim - 1
    a = arrays[0] if has_a else None
    p = arrays[1 if has_a else 0] if len(arrays) > has_a else None
    idt = np.int64 if live.enable_x64 else np.int32
    n_draws = math.prod(shape)
    lead = tuple(keys.shape[:-1])
    if p is None and replace:
        ind = randint_kernel(keys, 0, n_inputs, shape=shape, dtype=np.dtype(idt),
                             partitionable=partitionable)
    elif p is None:
        perm = shuffle(keys, _arange(keys, n_inputs, idt, xp), 0, partitionable)
        ind = perm[..., :n_draws].reshape((*lead, *shape))
    elif replace:
        p_cuml = xp.cumsum(p, axis=-1, dtype=p.dtype)
        (total,) = lead_params(keys, len(shape), p_cuml[..., -1])
        one = p_cuml.dtype.type(1)
        r = total * (one - unit_floats(keys, shape=shape, dtype=p_cuml.dtype,
                                       partitionable=partitionable))
        ind = _searchsorted_rows(p_cuml, r, nk, xp).astype(idt)
    else:
        log = _xla_float32.log_f32 if p.dtype == np.float32 and xp is np else xp.log
        with np.errstate(divide="ignore"):
            g = gumbel_kernel(keys, shape=(n_inputs,), dtype=p.dtype, mode=mode or "low",
                              partitionable=partitionable) + log(p)
        ind = top_k_indices(g, n_draws, xp).astype(idt).reshape((*lead, *shape))  # Gumbel top-k
    if a is None:
        return ind
    return take_keyed(a, ind, axis, nk, xp)


@kernel("categorical", lambda keys, logits, shape, **_: draws(keys, shape, default_int()))
def categorical_kernel(keys: Any, logits: Any, *, axis: int, shape: tuple[int, ...],
                       replace: bool, mode: str | None, partitionable: bool) -> Any:
    """Gumbel-max (or Gumbel top-k without replacement) over ``logits`` along ``axis``."""
    xp = namespace_of(keys, logits)
    logits = xp.asarray(logits)
    nk = keys.ndim - 1
    own = tuple(logits.shape[nk:])
    batch_shape = own[:axis] + own[axis + 1:]
    prefix = shape[:len(shape) - len(batch_shape)]
    idt = np.int64 if live.enable_x64 else np.int32
    mode = mode or "low"
    if replace:
        logits_shape = list(shape[len(shape) - len(batch_shape):])
        logits_shape.insert(axis, own[axis])
        g = gumbel_kernel(keys, shape=(*prefix, *logits_shape), dtype=logits.dtype,
                          mode=mode, partitionable=partitionable)
        (lg,) = lead_params(keys, len(prefix) + len(own), logits)
        return xp.asarray(xp.argmax(g + lg, axis=nk + len(prefix) + axis).astype(idt))
    k = math.prod(prefix)
    vals = logits + gumbel_kernel(keys, shape=own, dtype=logits.dtype, mode=mode,
                                  partitionable=partitionable)
    idx = top_k_indices(xp.moveaxis(vals, nk + axis, -1), k, xp)  # (*K, *batch_shape, k)
    return xp.moveaxis(idx, -1, nk).reshape((*keys.shape[:-1], *shape)).astype(idt)
