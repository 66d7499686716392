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

from gpugrad.config import live
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import strip_derivatives
from gpugrad.numpy.sorting import take
from gpugrad.random._int_kernels import int_bound
from gpugrad.random._key import single_key_data
from gpugrad.random._sampling import as_param, draw, has_derivatives
from gpugrad.random._util import (
    canonical_shape,
    check_shape,
    default_float_of,
    int_dtype,
    is_tracer,
    shape_of,
)

__all__ = ["categorical", "choice", "permutation", "randint"]


def _int_param(value: Any, name: str, xp: Any) -> Any:
    if not is_tracer(value):
        return int_bound(value, name, xp)
    if np.dtype(value.dtype).kind not in "iubf":
        raise TypeError(f"randint {name} must be an integer, got {value.dtype}")
    return strip_derivatives(value)


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
    xp = array_namespace(data)
    minval, maxval = _int_param(minval, "minval", xp), _int_param(maxval, "maxval", xp)
    check_shape("randint", shape, shape_of(minval), shape_of(maxval))
    return draw("randint", data, minval, maxval, shape=shape, dtype=dt,
                partitionable=live.threefry_partitionable)


def _axis_length(x: Any, axis: int) -> int:
    if x.ndim == 0:
        raise TypeError("x must be an integer or at least 1-dimensional")
    return int(x.shape[axis])


def _traced_take(x: Any, ind: Any, axis: int) -> Any:
    return take(x, ind, axis=axis)


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Any:
    """A random permutation of ``arange(x)`` or of array ``x`` along ``axis``.

    Example:
        >>> from gpugrad.random import key
        >>> sorted(permutation(key(0), 5).tolist())
        [0, 1, 2, 3, 4]
    """
    data = single_key_data(key, "permutation")
    layout = live.threefry_partitionable
    if has_derivatives(x):  # shuffle the indices, then gather: the derivative flows to x
        return _traced_take(x, permutation(data, _axis_length(x, axis)), axis)
    xp = array_namespace(data)
    if len(shape_of(x)) == 0:
        if is_tracer(x) or np.asarray(x).dtype.kind not in "iu":
            # The length of the result is its value: it cannot differ between examples.
            raise TypeError("x must be an integer or at least 1-dimensional (under vmap, "
                            "an integer x must be unbatched)")
        return draw("permutation", data, n=int(x), axis=0, independent=False,
                    partitionable=layout)
    arr = as_param(x, xp)
    ndim = len(arr.shape)
    axis = axis + ndim if axis < 0 else axis
    if not 0 <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of {ndim} dims")
    return draw("permutation", data, arr, n=int(arr.shape[axis]), axis=axis,
                independent=bool(independent), partitionable=layout)


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
    if has_derivatives(a):  # draw the indices, then gather: the derivative flows to a
        ind = choice(data, _axis_length(a, axis), shape, replace, p, 0, mode)
        return _traced_take(a, ind, axis)
    xp = array_namespace(data)
    a_shape = shape_of(a)
    if not a_shape:
        if is_tracer(a):  # the number of items is a shape: the same for every example
            raise TypeError("choice: an integer `a` must be unbatched under vmap (it sets "
                            "the number of items); pass an array of items instead")
        n_inputs = int(a)
    else:
        axis = axis + len(a_shape) if axis < 0 else axis
        n_inputs = a_shape[axis]
    n_draws = math.prod(shape)
    if n_inputs <= 0 and n_draws:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                         f"(size {n_inputs}) when 'replace=False'")
    arrays = [as_param(a, xp)] if a_shape else []
    if p is not None:
        p_arr = as_param(p, xp).astype(default_float_of(p))
        if tuple(p_arr.shape) != (n_inputs,):
            raise ValueError("p must be None or a 1D vector with the same size as "
                             f"a.shape[axis]. p has shape {tuple(p_arr.shape)} and "
                             f"a.shape[axis] is {n_inputs}.")
        arrays.append(p_arr)
    if n_draws == 0:
        return xp.zeros(shape, dtype=arrays[0].dtype if a_shape else np.asarray(a).dtype)
    out = draw("choice", data, *arrays, n_inputs=n_inputs, shape=shape, replace=bool(replace),
               has_a=bool(a_shape), axis=axis, mode=mode,
               partitionable=live.threefry_partitionable)
    return out if is_tracer(out) else xp.asarray(out)  # NumPy gives a scalar for shape ()


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None,
                replace: bool = True, mode: str | None = None) -> Any:
    """Samples from categorical distributions given by ``logits`` (Gumbel-max trick).

    Example:
        >>> from gpugrad.random import key
        >>> categorical(key(0), np.float32([-np.inf, 0.0, -np.inf]), shape=(3,)).tolist()
        [1, 1, 1]
    """
    data = single_key_data(key, "categorical")
    # The samples are indices: no derivative in logits (JAX's is zero).
    logits_arr = as_param(logits, array_namespace(data))
    if np.dtype(logits_arr.dtype).kind != "f":
        logits_arr = logits_arr.astype(default_float_of(1.0))
    elif logits_arr.dtype == np.float64 and not live.enable_x64:
        logits_arr = logits_arr.astype(np.float32)
    lshape = tuple(logits_arr.shape)
    axis = axis + len(lshape) if axis < 0 else axis
    batch_shape = lshape[:axis] + lshape[axis + 1:]
    shape = batch_shape if shape is None else canonical_shape(shape)
    if shape != batch_shape:
        check_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    if not replace and math.prod(prefix) > lshape[axis]:
        raise ValueError(f"Number of samples without replacement ({math.prod(prefix)}) "
                         f"cannot exceed number of categories ({lshape[axis]}).")
    return draw("categorical", data, logits_arr, axis=axis, shape=shape, replace=bool(replace),
                mode=mode, partitionable=live.threefry_partitionable)
