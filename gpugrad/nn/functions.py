"""Functions of whole axes: ``softmax``, ``log_softmax``, ``logsumexp``, ``glu``,
``standardize``, ``one_hot``.

``softmax`` and ``log_softmax`` subtract the maximum under ``stop_gradient`` before ``exp``
(the shift cancels mathematically, so its derivative is not needed, and it keeps ``exp``
from overflowing), as JAX 0.10 does; ``where=`` leaves entries out of the normalization
(they come out 0, and ``-inf`` for ``log_softmax``). ``logsumexp`` is
``gpugrad.scipy.special.logsumexp``.

Example:
    >>> softmax(np.array([1e4, 1e4, -1e4], dtype=np.float32))
    array([0.5, 0.5, 0. ], dtype=float32)
    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.dtypes import default_float, to_inexact
from gpugrad.nn.activations import sigmoid
from gpugrad.primitives.structural import stop_gradient
from gpugrad.scipy.special import logsumexp

__all__ = ["glu", "log_softmax", "logmeanexp", "logsumexp", "one_hot", "softmax",
           "standardize"]


def _shifted(x: Any, axis: Any, where: Any) -> tuple[Any, Any]:
    """``(x - m, m)`` for ``m`` the maximum of ``x`` over ``axis`` (kept as length-1 axes,
    without derivative), with ``-inf`` where ``where`` is False: ``exp(x - m)`` is at most 1
    and 0 at the entries left out."""
    x = gnp.asarray(x)
    x = gnp.asarray(x, dtype=to_inexact(x.dtype))
    x_max = stop_gradient(gnp.max(stop_gradient(x), axis=axis, keepdims=True, where=where,
                                  initial=-np.inf))
    if where is not None:
        x = gnp.where(where, x, -np.inf)
    return gnp.subtract(x, x_max), x_max


def softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` over ``axis`` (the last by default), without overflow;
    entries where ``where`` is False are left out and come out 0.

    Example:
        >>> softmax(np.array([0.0, np.log(3.0)]))
        array([0.25, 0.75])
        >>> softmax(np.array([1.0, 5.0, 1.0]), where=np.array([True, False, True]))
        array([0.5, 0. , 0.5])
    """
    unnormalized = gnp.exp(_shifted(x, axis, where)[0])
    result = gnp.divide(unnormalized,
                        gnp.sum(unnormalized, axis=axis, keepdims=True, where=where))
    return result if where is None else gnp.where(where, result, 0.0)


def log_softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """``x - logsumexp(x)`` over ``axis`` (the last by default), without overflow; entries
    where ``where`` is False come out ``-inf``.

    Example:
        >>> log_softmax(np.array([1e4, 1e4], dtype=np.float32))
        array([-0.6931472, -0.6931472], dtype=float32)
    """
    shifted = _shifted(x, axis, where)[0]
    total = gnp.sum(gnp.exp(shifted), axis=axis, keepdims=True, where=where)
    result = gnp.subtract(shifted, gnp.log(total))
    return result if where is None else gnp.where(where, result, -np.inf)


def logmeanexp(x: Any, axis: Any = None, where: Any = None, keepdims: bool = False) -> Any:
    """``log(mean(exp(x)))`` over ``axis`` (all axes by default), without overflow.

    Example:
        >>> logmeanexp(np.array([1e4, 1e4], dtype=np.float32))
        array(10000., dtype=float32)
    """
    shifted, x_max = _shifted(x, axis, where)
    mean = gnp.mean(gnp.exp(shifted), axis=axis, keepdims=True, where=where)
    result = gnp.add(gnp.log(mean), x_max)
    return result if keepdims else gnp.squeeze(result, axis=axis)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: ``x1 * sigmoid(x2)`` for the two halves ``x1, x2`` of ``x`` along
    ``axis``, whose length must be even.

    Example:
        >>> glu(np.array([2.0, 0.0]))
        array([1.])
    """
    x = gnp.asarray(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: axis {axis} of x has length {size}, which is odd; glu splits "
                         "it into two halves, so it must be even")
    first, second = gnp.split(x, 2, axis=axis)
    return gnp.multiply(first, sigmoid(second))


def standardize(x: Any, axis: Any = -1, mean: Any = None, variance: Any = None,
                epsilon: Any = 1e-5, where: Any = None, *, algorithm: str = "fast") -> Any:
    """``(x - mean) / sqrt(variance + epsilon)`` over ``axis``; the mean and the variance
    are computed from ``x`` when not given. ``algorithm="fast"`` (JAX's default) takes the
    variance as ``mean(x**2) - mean**2`` clipped at 0, ``"stable"`` as ``mean((x - mean)**2)``.

    Example:
        >>> standardize(np.array([1.0, 3.0]), epsilon=0.0)
        array([-1.,  1.])
    """
    if algorithm not in ("fast", "stable"):
        raise ValueError(f"standardize: unknown algorithm {algorithm!r}; "
                         "use 'fast' or 'stable'")
    x = gnp.asarray(x)
    if mean is None:
        mean = gnp.mean(x, axis=axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = gnp.mean(gnp.square(gnp.subtract(x, mean)), axis=axis, keepdims=True,
                                where=where)
        else:
            variance = gnp.subtract(gnp.mean(gnp.square(x), axis=axis, keepdims=True,
                                             where=where), gnp.square(mean))
            # The difference can round below 0 when the variance is tiny against the mean.
            variance = gnp.maximum(variance, 0)
    scale = gnp.divide(1.0, gnp.sqrt(gnp.add(variance, epsilon)))
    return gnp.multiply(gnp.subtract(x, mean), scale)


def one_hot(x: Any, num_classes: int, *, dtype: Any = None, axis: int = -1) -> Any:
    """An array with a new axis ``axis`` of length ``num_classes`` that is 1 at the index
    ``x`` holds and 0 elsewhere (all 0 for an index out of ``[0, num_classes)``).

    Example:
        >>> one_hot(np.array([1, -1]), 3, dtype=np.int32, axis=0)
        array([[0, 0],
               [1, 0],
               [0, 0]], dtype=int32)
    """
    if isinstance(num_classes, (bool, float)) or not hasattr(num_classes, "__index__"):
        raise TypeError(f"one_hot: num_classes must be an integer, got {num_classes!r} "
                        f"of type {type(num_classes).__name__}; pass int(num_classes)")
    # A concrete count: it decides the shape of the result.
    num_classes = operator.index(num_classes)
    x = gnp.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        warnings.warn(f"one_hot input should be integer-typed; got dtype={x.dtype}",
                      DeprecationWarning, stacklevel=2)
    ndim = x.ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"one_hot: axis {axis} is out of range for a result of {ndim} "
                         f"dimensions")
    axis = axis % ndim
    classes_shape = [1] * ndim
    classes_shape[axis] = num_classes
    classes = gnp.reshape(gnp.arange(num_classes, dtype=x.dtype), classes_shape)
    hits = gnp.equal(gnp.expand_dims(x, axis), classes)
    return gnp.asarray(hits, dtype=default_float() if dtype is None else dtype)
