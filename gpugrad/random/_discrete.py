"""Integer-valued samplers: ``randint``, ``permutation``, ``choice``, ``categorical`` (prng.md 7).

``randint`` and the shuffles are pure 32-bit integer arithmetic, hence bit-exact; JAX's
quirks (the uint32 multiplier that wraps to 0 for spans above 65536, remainder by 0
returning the dividend) are copied on purpose.

Example:
    >>> from gpugrad.random import key
    >>> randint(key(0), (3,), 0, 10).dtype
    dtype('int32')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.config import config
from gpugrad.random import _threefry, _xla_float32
from gpugrad.random._key import single_key_data
from gpugrad.random._samplers import gumbel, uniform
from gpugrad.random._util import (
    canonical_shape,
    check_shape,
    default_float_of,
    int_dtype,
    is_tracer,
)

__all__ = ["categorical", "choice", "permutation", "randint"]


def _split2(data: Any) -> tuple[Any, Any]:
    pair = _threefry.split_data(data, (2,), config.threefry_partitionable)
    return pair[0], pair[1]


def _bits(data: Any, width: int, shape: tuple[int, ...]) -> Any:
    return _threefry.random_bits(data, width, shape, config.threefry_partitionable)


def _rem(a: Any, b: Any, xp: Any) -> Any:
    """XLA's unsigned remainder: ``a % b``, and ``a`` itself where ``b == 0``."""
    zero = b == 0
    return xp.where(zero, a, a % xp.where(zero, b.dtype.type(1), b))


def _int_bound(value: Any, name: str, xp: Any) -> Any:
    """An integer bound as an array; Python ints outside the default int dtype overflow."""
    if isinstance(value, (bool, int)) and not isinstance(value, bool):
        info = np.iinfo(np.int64 if config.enable_x64 else np.int32)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python int {value} too large to convert to {info.dtype}")
        return xp.asarray(value, dtype=info.dtype)
    arr = xp.asarray(value)
    if arr.dtype.kind == "f":  # JAX casts float bounds to the default int
        arr = arr.astype(np.int64 if config.enable_x64 else np.int32)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"randint {name} must be an integer, got {arr.dtype}")
    if arr.dtype.itemsize == 8 and not config.enable_x64:
        arr = arr.astype(arr.dtype.kind + "4")
    return arr


def _clip_to(arr: Any, dtype: np.dtype, xp: Any) -> Any:
    """Convert integer ``arr`` to ``dtype`` by clipping to its range (never wrapping)."""
    src, dst = np.iinfo(arr.dtype), np.iinfo(dtype)
    lo, hi = max(src.min, dst.min), min(src.max, dst.max)
    wide = arr.astype(np.int64) if arr.dtype != np.uint64 else arr
    return xp.clip(wide, lo, hi).astype(dtype)


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = None) -> Any:
    """Uniform integers in ``[minval, maxval)``, as ``jax.random.randint`` (bit-exact).

    Example:
        >>> from gpugrad.random import key
        >>> randint(key(0), (4,), 0, 10).shape
        (4,)
    """
    data = single_key_data(key, "randint")
    dt = int_dtype("randint", dtype)
    shape = canonical_shape(shape)
    xp = namespace_of(data)
    minval, maxval = _int_bound(minval, "minval", xp), _int_bound(maxval, "maxval", xp)
    check_shape("randint", shape, tuple(minval.shape), tuple(maxval.shape))
    info = np.iinfo(dt)
    sdt = dt
    if info.bits < 32:  # 8/16-bit dtypes are sampled in int32, then cast
        sdt = np.dtype(np.int32)
        minval = xp.clip(minval.astype(np.int32), int(info.min), int(info.max))
        maxval = xp.clip(maxval.astype(np.int32), int(info.min), int(info.max) + 1)
    sinfo = np.iinfo(sdt)
    nbits = sinfo.bits
    udt = np.dtype(f"uint{nbits}")
    out_of_range = maxval > _clip_to(xp.asarray(sinfo.max, dtype=sdt), maxval.dtype, xp)
    lo, hi = _clip_to(minval, sdt, xp), _clip_to(maxval, sdt, xp)
    k1, k2 = _split2(data)
    higher, lower = _bits(k1, nbits, shape), _bits(k2, nbits, shape)
    with np.errstate(over="ignore"):
        span = (hi - lo).astype(udt)  # wrapping subtraction, reinterpreted as unsigned
        span = xp.where(hi <= lo, udt.type(1), span)
        span = xp.where(out_of_range & (hi > lo), span + udt.type(1), span)
        mult = _rem(xp.full_like(span, 2 ** (nbits // 2)), span, xp)
        mult = _rem(mult * mult, span, xp)  # wraps to 0 in uint32 for spans > 65536
        offset = _rem(_rem(higher, span, xp) * mult + _rem(lower, span, xp), span, xp)
        out = lo + offset.astype(sdt)
    return xp.asarray(out, dtype=sdt).astype(dt).reshape(shape)


def _sort_order(sort_keys: Any, axis: int, xp: Any) -> Any:
    """Indices of a stable ascending sort of uint32 ``sort_keys`` along ``axis``."""
    if xp is np:
        return np.argsort(sort_keys, axis=axis, kind="stable")
    # Any sort is stable on unique keys: append the position below the 32 key bits.
    moved = xp.moveaxis(sort_keys, axis, -1)
    pos = xp.arange(moved.shape[-1], dtype=xp.uint64)
    combined = xp.sort((moved.astype(xp.uint64) << 32) | pos, axis=-1)
    return xp.moveaxis((combined & 0xFFFFFFFF).astype(xp.int64), -1, axis)


def _shuffle(data: Any, x: Any, axis: int) -> Any:
    """JAX's shuffle: a few rounds of stable sorts on fresh 32-bit keys."""
    xp = namespace_of(data, x)
    rounds = math.ceil(3 * math.log(max(1, x.size)) / math.log(2**32 - 1))
    for _ in range(rounds):
        data, sub = _split2(data)
        order = _sort_order(_bits(sub, 32, tuple(x.shape)), axis, xp)
        x = xp.take_along_axis(x, order, axis=axis)
    return x


def _concrete(x: Any) -> Any:
    from gpugrad.core.trace import raw_value  # lazily: the core imports this package

    return raw_value(x)


def _axis_length(x: Any, axis: int) -> int:
    if x.ndim == 0:
        raise TypeError("x must be an integer or at least 1-dimensional")
    return int(x.shape[axis])


def _traced_take(x: Any, ind: Any, axis: int) -> Any:
    from gpugrad.numpy.sorting import take

    return take(x, ind, axis=axis)


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Any:
    """A random permutation of ``arange(x)`` or of array ``x`` along ``axis``.

    Example:
        >>> from gpugrad.random import key
        >>> sorted(permutation(key(0), 5).tolist())
        [0, 1, 2, 3, 4]
    """
    data = single_key_data(key, "permutation")
    if is_tracer(x):  # shuffle the indices, then gather: the derivative flows to x
        return _traced_take(x, permutation(data, _axis_length(x, axis)), axis)
    xp = namespace_of(data, x)
    if np.ndim(x) == 0:
        if np.asarray(x).dtype.kind not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        idt = np.int64 if config.enable_x64 else np.int32
        return _shuffle(data, xp.arange(int(x), dtype=idt), 0)
    arr = xp.asarray(x)
    axis = axis + arr.ndim if axis < 0 else axis
    if not 0 <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of {arr.ndim} dims")
    if independent or arr.ndim == 1:
        return _shuffle(data, arr, axis)
    ind = _shuffle(data, xp.arange(arr.shape[axis], dtype=np.int32), 0)
    return xp.take(arr, ind, axis=axis)


def choice(key: Any, a: Any, shape: Sequence[int] = (), replace: bool = True,
           p: Any = None, axis: int = 0, mode: str | None = None) -> Any:
    """Random samples from ``a`` (an int ``n`` means ``arange(n)``), as ``jax.random.choice``.

    Example:
        >>> from gpugrad.random import key
        >>> sorted(choice(key(0), 10, (3,), replace=False).tolist()) == sorted(set(
        ...     choice(key(0), 10, (3,), replace=False).tolist()))
        True
    """
    data = single_key_data(key, "choice")
    if not isinstance(shape, Sequence):
        raise TypeError(f"shape argument of choice must be a sequence, got {shape}")
    shape = canonical_shape(shape)
    if is_tracer(p):  # p only picks indices: the samples carry no derivative in it (JAX: 0)
        p = _concrete(p)
    if is_tracer(a):  # draw the indices, then gather: the derivative flows to a
        ind = choice(data, _axis_length(a, axis), shape, replace, p, 0, mode)
        return _traced_take(a, ind, axis)
    xp = namespace_of(data, a, p)
    arr = xp.asarray(a)
    if arr.ndim == 0:
        n_inputs = int(a)
    else:
        axis = axis + arr.ndim if axis < 0 else axis
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return xp.zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                         f"(size {n_inputs}) when 'replace=False'")
    idt = np.int64 if config.enable_x64 else np.int32
    if p is None:
        if replace:
            ind = randint(data, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else xp.take(arr, ind, axis=axis)
        else:
            perm = permutation(data, n_inputs if arr.ndim == 0 else arr, axis)
            result = perm[(slice(None),) * (0 if arr.ndim == 0 else axis) + (slice(n_draws),)]
    else:
        p_arr = xp.asarray(p).astype(default_float_of(p))
        if tuple(p_arr.shape) != (n_inputs,):
            raise ValueError("p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {tuple(p_arr.shape)} and "
                             f"a.shape[axis] is {n_inputs}.")
        if replace:
            p_cuml = xp.cumsum(p_arr, dtype=p_arr.dtype)
            one = p_cuml.dtype.type(1)
            r = p_cuml[-1] * (one - uniform(data, shape, p_cuml.dtype))
            ind = xp.searchsorted(p_cuml, r).astype(idt)
        else:
            log = _xla_float32.log_f32 if p_arr.dtype == np.float32 and xp is np else xp.log
            with np.errstate(divide="ignore"):
                g = gumbel(data, (n_inputs,), p_arr.dtype, mode=mode) + log(p_arr)
            ind = _top_k_indices(g, n_draws, xp).astype(idt)  # Gumbel top-k
        result = ind if arr.ndim == 0 else xp.take(arr, ind, axis=axis)
    out_shape = shape if arr.ndim == 0 else (*arr.shape[:axis], *shape, *arr.shape[axis + 1:])
    return xp.asarray(result.reshape(out_shape))  # NumPy gives a scalar for shape ()


def _desc_keys(g: Any, xp: Any) -> Any:
    """uint32 keys whose ascending order is ``g``'s descending order (float32 ``g``)."""
    b = g.astype(xp.float32).view(xp.uint32)
    asc = xp.where(b >> 31, ~b, b | xp.uint32(0x80000000))  # monotone float -> uint map
    return ~asc


def _top_k_indices(values: Any, k: int, xp: Any) -> Any:
    """Indices of the ``k`` largest entries along the last axis, ties to the lower index."""
    if xp is np:
        return np.argsort(-values, axis=-1, kind="stable")[..., :k]
    return _sort_order(_desc_keys(values, xp), values.ndim - 1, xp)[..., :k]


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None,
                replace: bool = True, mode: str | None = None) -> Any:
    """Samples from categorical distributions given by ``logits`` (Gumbel-max trick).

    Example:
        >>> import numpy as np
        >>> from gpugrad.random import key
        >>> categorical(key(0), np.float32([-np.inf, 0.0, -np.inf]), shape=(3,)).tolist()
        [1, 1, 1]
    """
    data = single_key_data(key, "categorical")
    if is_tracer(logits):  # the samples are indices: no derivative in logits (JAX: 0)
        logits = _concrete(logits)
    xp = namespace_of(data, logits)
    logits_arr = xp.asarray(logits)
    if logits_arr.dtype.kind != "f":
        logits_arr = logits_arr.astype(default_float_of(1.0))
    elif logits_arr.dtype == np.float64 and not config.enable_x64:
        logits_arr = logits_arr.astype(np.float32)
    axis = axis + logits_arr.ndim if axis < 0 else axis
    batch_shape = tuple(np.delete(np.array(logits_arr.shape), axis).tolist())
    shape = batch_shape if shape is None else canonical_shape(shape)
    if shape != batch_shape:
        check_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    idt = np.int64 if config.enable_x64 else np.int32
    if replace:
        logits_shape = list(shape[len(shape) - len(batch_shape):])
        logits_shape.insert(axis, logits_arr.shape[axis])
        g = gumbel(data, (*prefix, *logits_shape), logits_arr.dtype, mode=mode)
        vals = g + logits_arr.reshape((1,) * len(prefix) + tuple(logits_arr.shape))
        return xp.asarray(xp.argmax(vals, axis=len(prefix) + axis).astype(idt))  # 0-d: array
    k = math.prod(prefix)
    if k > logits_arr.shape[axis]:
        raise ValueError(f"Number of samples without replacement ({k}) cannot exceed "
                         f"number of categories ({logits_arr.shape[axis]}).")
    vals = logits_arr + gumbel(data, tuple(logits_arr.shape), logits_arr.dtype, mode=mode)
    idx = _top_k_indices(xp.moveaxis(vals, axis, -1), k, xp)  # batch_shape + (k,)
    return xp.moveaxis(idx, -1, 0).reshape(shape).astype(idt)
