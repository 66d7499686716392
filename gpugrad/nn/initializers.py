"""``gpugrad.nn.initializers``: JAX's weight initializers, giving JAX's numbers for a key.

Each factory returns an initializer ``init(key, shape, dtype=None) -> array``, as in JAX:
``w = glorot_normal()(key, (3, 4))``. The draws come from :mod:`gpugrad.random` (JAX's
threefry bits) and are scaled in the sample's dtype, as JAX scales them, so float32 weights
equal JAX's to the last bit or within a few ulp. The default dtype is float32, float64 in
64-bit mode; a float64 request without it gives float32 with JAX's warning.

``variance_scaling(scale, mode, distribution)`` is the general form: the variance
``scale / n`` with ``n`` the fan in, the fan out, their mean or their geometric mean, drawn
from a normal, a uniform or a normal truncated to two standard deviations (whose standard
deviation is divided by 0.8796..., the standard deviation of a unit normal truncated to
``[-2, 2]``, so the result has the variance asked for). ``glorot_*`` (``xavier_*``),
``he_*`` (``kaiming_*``) and ``lecun_*`` are its named cases.

Example:
    >>> from gpugrad import random
    >>> w = glorot_normal()(random.key(0), (2, 3))
    >>> w.shape, w.dtype
    ((2, 3), dtype('float32'))
    >>> zeros(random.key(0), (2,))
    array([0., 0.], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

import gpugrad.numpy as gnp
from gpugrad import random
from gpugrad.dtypes import default_float
from gpugrad.naming import example_doc, named

__all__ = [
    "Initializer", "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones",
    "orthogonal", "truncated_normal", "uniform", "variance_scaling", "xavier_normal",
    "xavier_uniform", "zeros",
]

@runtime_checkable
class Initializer(Protocol):
    """What every factory here returns: ``init(key, shape, dtype=None) -> array``."""

    def __call__(self, key: Any, shape: Any, dtype: Any = None) -> Any: ...


Axes = int | Sequence[int]

# The standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STDDEV = 0.87962566103423978
_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def _scaled(sample: Any, factor: Any) -> Any:
    """``sample * factor``, the factor rounded to the sample's dtype first (as JAX does)."""
    return gnp.multiply(sample, np.asarray(factor, dtype=sample.dtype))


def _real_dtype(name: str, dtype: Any) -> Any:
    if dtype is None:
        return default_float()
    if np.dtype(dtype).kind == "c":
        raise NotImplementedError(f"{name}: complex dtypes are not supported yet; initialize "
                                  "the real and imaginary parts separately")
    return dtype


def zeros(key: Any, shape: Any, dtype: Any = None) -> Any:
    """An array of zeros (``key`` is not used).

    Example:
        >>> from gpugrad import random
        >>> zeros(random.key(1), (2, 2), np.int32)
        array([[0, 0],
               [0, 0]], dtype=int32)
    """
    return gnp.zeros(shape, dtype=default_float() if dtype is None else dtype)


def ones(key: Any, shape: Any, dtype: Any = None) -> Any:
    """An array of ones (``key`` is not used).

    Example:
        >>> from gpugrad import random
        >>> ones(random.key(1), (3,))
        array([1., 1., 1.], dtype=float32)
    """
    return gnp.ones(shape, dtype=default_float() if dtype is None else dtype)


def constant(value: Any, dtype: Any = None) -> Initializer:
    """An initializer filling the array with ``value``.

    Example:
        >>> from gpugrad import random
        >>> constant(-0.5)(random.key(1), (2,))
        array([-0.5, -0.5], dtype=float32)
    """
    def init(key: Any, shape: Any, dtype: Any = dtype) -> Any:
        return gnp.full(shape, value, dtype=default_float() if dtype is None else dtype)

    return init


def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """An initializer drawing uniformly from ``[0, scale)``.

    Example:
        >>> from gpugrad import random
        >>> w = uniform(2.0)(random.key(0), (1000,))
        >>> bool(w.min() >= 0.0 and w.max() < 2.0)
        True
    """
    def init(key: Any, shape: Any, dtype: Any = dtype) -> Any:
        sample = random.uniform(key, shape, _real_dtype("uniform", dtype))
        return _scaled(sample, scale)

    return init


def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """An initializer drawing from a normal of mean 0 and standard deviation ``stddev``.

    Example:
        >>> from gpugrad import random
        >>> normal(1.0)(random.key(0), (2,))
        array([-0.78476596,  0.85644484], dtype=float32)
    """
    def init(key: Any, shape: Any, dtype: Any = dtype) -> Any:
        return _scaled(random.normal(key, shape, _real_dtype("normal", dtype)), stddev)

    return init


def truncated_normal(stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0,
                     upper: Any = 2.0) -> Initializer:
    """An initializer drawing ``stddev`` times a unit normal truncated to ``[lower, upper]``
    (so the standard deviation of the result is below ``stddev``).

    Example:
        >>> from gpugrad import random
        >>> w = truncated_normal(1.0)(random.key(0), (1000,))
        >>> bool(abs(w).max() <= 2.0)
        True
    """
    def init(key: Any, shape: Any, dtype: Any = dtype) -> Any:
        sample = random.truncated_normal(key, lower, upper, shape,
                                         _real_dtype("truncated_normal", dtype))
        return _scaled(sample, stddev)

    return init


def _size(shape: tuple[int, ...], axes: Axes) -> int:
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def compute_fans(shape: Sequence[int], in_axis: Axes = -2, out_axis: Axes = -1,
                 batch_axis: Axes = ()) -> tuple[float, float]:
    """``(fan_in, fan_out)`` of a weight of ``shape``: the lengths of the input and output
    axes, each times the receptive field (the product of the remaining axes but the batch
    axes), as JAX computes them.

    Example:
        >>> compute_fans((3, 3, 16, 32))  # a 3x3 convolution from 16 to 32 channels
        (144.0, 288.0)
    """
    shape = tuple(int(d) for d in shape)
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional "
                         "weights tensor with default in_axis. Must be at least 2D or specify "
                         "in_axis explicitly.")
    in_size, out_size = _size(shape, in_axis), _size(shape, out_axis)
    receptive_field = math.prod(shape) / in_size / out_size / _size(shape, batch_axis)
    return in_size * receptive_field, out_size * receptive_field


def variance_scaling(scale: Any, mode: str, distribution: str, in_axis: Axes = -2,
                     out_axis: Axes = -1, batch_axis: Axes = (), dtype: Any = None
                     ) -> Initializer:
    """An initializer with variance ``scale / n``: ``n`` is the fan in, the fan out, their
    mean or their geometric mean (``mode`` ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``,
    ``"fan_geo_avg"``), and the ``distribution`` ``"truncated_normal"`` (to two standard
    deviations, rescaled to keep the variance), ``"normal"`` or ``"uniform"``.

    Example:
        >>> from gpugrad import random
        >>> init = variance_scaling(2.0, "fan_in", "uniform")
        >>> bool(abs(init(random.key(0), (50, 10))).max() <= (3 * 2.0 / 50) ** 0.5)
        True
    """
    if mode not in _MODES:
        raise ValueError(f"invalid mode for variance scaling initializer: {mode!r}; "
                         f"use one of {', '.join(map(repr, _MODES))}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"invalid distribution for variance scaling initializer: "
                         f"{distribution!r}; use one of "
                         f"{', '.join(map(repr, _DISTRIBUTIONS))}")

    def init(key: Any, shape: Any, dtype: Any = dtype) -> Any:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = _real_dtype("variance_scaling", dtype)
        fan_in, fan_out = compute_fans(shape, in_axis, out_axis, batch_axis)
        denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
                       "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
        if distribution == "truncated_normal":
            sample = random.truncated_normal(key, -2, 2, shape, dtype)
            factor = gnp.divide(_std(scale / denominator, sample.dtype),
                                np.asarray(_TRUNCATED_STDDEV, dtype=sample.dtype))
        elif distribution == "normal":
            sample = random.normal(key, shape, dtype)
            factor = _std(scale / denominator, sample.dtype)
        else:
            sample = random.uniform(key, shape, dtype, -1.0)
            factor = _std(3 * (scale / denominator), sample.dtype)
        return gnp.multiply(sample, factor)

    return init


def _std(variance: float, dtype: Any) -> Any:
    """``sqrt(variance)`` computed in ``dtype``, the variance rounded to it first (as JAX)."""
    return gnp.sqrt(np.asarray(variance, dtype=dtype))


class InitializerFactory(Protocol):
    """The type of ``glorot_uniform`` and the other named variance-scaling factories."""

    def __call__(self, in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                 dtype: Any = None) -> Initializer: ...


def _named(name: str, title: str, scale: float, mode: str, distribution: str,
           shows: str = "shape") -> InitializerFactory:
    """The factory ``name``: ``variance_scaling(scale, mode, distribution)``, documented
    by ``title`` and an example printing the ``shows`` attribute (``shape`` or ``dtype``) of
    a draw."""
    def factory(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                dtype: Any = None) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis=in_axis, out_axis=out_axis,
                                batch_axis=batch_axis, dtype=dtype)

    printed = {"shape": "(4, 6)", "dtype": "dtype('float32')"}[shows]
    return named(factory, name, example_doc(
        f'{title}:\n``variance_scaling({scale}, "{mode}", "{distribution}")``.',
        ">>> from gpugrad import random", f">>> {name}()(random.key(0), (4, 6)).{shows}",
        printed))


glorot_uniform = _named("glorot_uniform", "Glorot (Xavier) uniform", 1.0, "fan_avg", "uniform")
glorot_normal = _named("glorot_normal", "Glorot (Xavier) normal", 1.0, "fan_avg",
                       "truncated_normal", shows="dtype")
lecun_uniform = _named("lecun_uniform", "LeCun uniform", 1.0, "fan_in", "uniform")
lecun_normal = _named("lecun_normal", "LeCun normal", 1.0, "fan_in", "truncated_normal")
he_uniform = _named("he_uniform", "He (Kaiming) uniform", 2.0, "fan_in", "uniform")
he_normal = _named("he_normal", "He (Kaiming) normal", 2.0, "fan_in", "truncated_normal")
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """An initializer giving ``scale`` times a matrix with orthonormal columns (or rows,
    whichever are fewer), reshaped to ``shape`` with ``column_axis`` as the columns.

    Example:
        >>> from gpugrad import random
        >>> w = orthogonal()(random.key(0), (4, 3))
        >>> np.allclose(w.T @ w, np.eye(3), atol=1e-6)
        True
    """
    def init(key: Any, shape: Any, dtype: Any = dtype) -> Any:
        shape = tuple(shape)
        dtype = _real_dtype("orthogonal", dtype)
        if len(shape) < 2:
            raise ValueError("orthogonal initializer requires at least a 2D shape")
        if 0 in shape:
            return gnp.zeros(shape, dtype=dtype)
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        q = _orthogonal_matrix(key, n_rows, n_cols, dtype)
        rest = tuple(d for i, d in enumerate(shape) if i != column_axis % len(shape))
        q = gnp.moveaxis(gnp.reshape(q, (*rest, n_cols)), -1, column_axis)
        return _scaled(q, scale)

    return init


def _orthogonal_matrix(key: Any, n: int, m: int, dtype: Any) -> Any:
    """An ``n x m`` matrix with orthonormal columns (rows if ``m > n``), drawn as JAX's
    ``random.orthogonal`` draws it: the Q of a normal matrix's QR, each column's sign made
    that of R's diagonal so the distribution is uniform (Haar)."""
    z = random.normal(key, (max(n, m), min(n, m)), dtype)
    q, r = gnp.linalg.qr(z)
    q = gnp.multiply(q, gnp.sign(gnp.diagonal(r)))
    return q if n >= m else gnp.transpose(q)
