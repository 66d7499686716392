"""Elementwise activation functions, with JAX's values and JAX's derivatives at the kinks.

Each is composed from ``gpugrad.numpy`` operations, so it differentiates to any order,
batches under ``vmap`` and runs on CuPy as on NumPy. Where a formula would overflow at large
magnitudes, a stable form is used: ``softplus`` is ``logaddexp(x, 0)``, ``sigmoid`` is the
catalog's logistic, and the exponential branch of ``elu`` reads a value clamped to ``x <= 0``
(``where`` selects the branch, and the clamp keeps the branch it discards finite, so its
derivative cannot bring a NaN in: ``0 * inf`` would).

Derivatives at the kinks follow JAX 0.10: ``relu'(0) = 0``, ``relu6'(0) = relu6'(6) = 0``,
``hard_tanh'(+-1) = 1``, ``leaky_relu'(0) = 1``, ``elu'(0) = 1``; a tie inside ``maximum``
or ``minimum`` shares the derivative half and half (``celu''(0) = 1/4``), as in JAX.

Example:
    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> gpugrad.grad(relu)(np.float32(0.0))
    array(0., dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.dtypes import to_inexact
from gpugrad.primitives.structural import stop_gradient
from gpugrad.scipy.special import erfc, expit

__all__ = [
    "celu", "elu", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "identity",
    "leaky_relu", "log_sigmoid", "mish", "relu", "relu6", "selu", "sigmoid", "silu",
    "soft_sign", "softplus", "sparse_plus", "sparse_sigmoid", "squareplus", "swish", "tanh",
]

# SELU's constants (Klambauer et al. 2017): the fixed point of mean 0 and variance 1.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inexact(x: Any) -> Any:
    """``x`` as an array of the floating dtype JAX computes it in (integers of up to 32 bits
    and bools become float32)."""
    x = gnp.asarray(x)
    return gnp.asarray(x, dtype=to_inexact(x.dtype))


def _select_identity(keep: Any, x: Any, value: Any) -> Any:
    """``value`` everywhere, with derivative 1 where ``keep`` holds and 0 elsewhere: the
    derivative JAX gives ``relu`` and ``relu6`` by a custom rule. ``value`` equals ``x``
    where ``keep`` holds; elsewhere its own derivative is dropped."""
    return gnp.where(keep, x, stop_gradient(value))


def identity(x: Any) -> Any:
    """``x`` itself, as an array.

    Example:
        >>> identity(np.array([1.0, -2.0]))
        array([ 1., -2.])
    """
    return gnp.asarray(x)


def tanh(x: Any) -> Any:
    """The hyperbolic tangent (``gpugrad.numpy.tanh``).

    Example:
        >>> tanh(np.array([0.0]))
        array([0.])
    """
    return gnp.tanh(x)


def relu(x: Any) -> Any:
    """``max(x, 0)``, with derivative 0 at 0 (as JAX: the choice that keeps training stable).

    Example:
        >>> relu(np.array([-2.0, 0.0, 3.0]))
        array([0., 0., 3.])
        >>> gpugrad.grad(lambda x: gnp.sum(relu(x)))(np.array([-1.0, 0.0, 1.0]))
        array([0., 0., 1.])
    """
    x = gnp.asarray(x)
    return _select_identity(gnp.greater(x, 0), x, gnp.maximum(x, 0))


def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)``, with derivative 1 strictly inside ``(0, 6)`` and 0 elsewhere.

    Example:
        >>> relu6(np.array([-1.0, 3.0, 7.0]))
        array([0., 3., 6.])
    """
    x = gnp.asarray(x)
    inside = gnp.logical_and(gnp.greater(x, 0), gnp.less(x, 6))
    return _select_identity(inside, x, gnp.minimum(gnp.maximum(x, 0), 6.0))


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, computed as ``logaddexp(x, 0)``: no overflow for large ``x``.

    Example:
        >>> softplus(np.array([0.0, 1e4], dtype=np.float32))
        array([6.931472e-01, 1.000000e+04], dtype=float32)
    """
    return gnp.logaddexp(_inexact(x), 0.0)


def sparse_plus(x: Any) -> Any:
    """0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` between: a smooth-at-the-seams relu.

    Example:
        >>> sparse_plus(np.array([-2.0, 0.0, 2.0]))
        array([0.  , 0.25, 2.  ])
    """
    x = _inexact(x)
    middle = gnp.divide(gnp.square(gnp.add(x, 1.0)), 4.0)
    return gnp.where(gnp.less_equal(x, -1.0), 0.0,
                     gnp.where(gnp.greater_equal(x, 1.0), x, middle))


def squareplus(x: Any, b: Any = 4) -> Any:
    """``(x + sqrt(x**2 + b)) / 2``, an algebraic softplus.

    Example:
        >>> squareplus(np.array([0.0, 3.0]))
        array([1.        , 3.30277564])
    """
    x = _inexact(x)
    return gnp.divide(gnp.add(x, gnp.sqrt(gnp.add(gnp.square(x), b))), 2)


def soft_sign(x: Any) -> Any:
    """``x / (|x| + 1)``.

    Example:
        >>> soft_sign(np.array([-3.0, 1.0]))
        array([-0.75,  0.5 ])
    """
    x = _inexact(x)
    return gnp.divide(x, gnp.add(gnp.abs(x), 1))


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``; neither tail overflows.

    Example:
        >>> sigmoid(np.array([-1e4, 0.0, 1e4], dtype=np.float32))
        array([0. , 0.5, 1. ], dtype=float32)
    """
    return expit(_inexact(x))


def sparse_sigmoid(x: Any) -> Any:
    """``clip(x + 1, 0, 2) / 2``: 0 below -1, 1 above 1, linear between.

    Example:
        >>> sparse_sigmoid(np.array([-2.0, 0.0, 0.5, 2.0]))
        array([0.  , 0.5 , 0.75, 1.  ])
    """
    return gnp.multiply(0.5, gnp.clip(gnp.add(_inexact(x), 1.0), 0.0, 2.0))


def _self_gated(x: Any, gate: Callable[[Any], Any]) -> Any:
    """``x * gate(x)``, ``x`` in the floating dtype JAX computes it in."""
    x = _inexact(x)
    return gnp.multiply(x, gate(x))


def silu(x: Any) -> Any:
    """``x * sigmoid(x)`` (also called swish).

    Example:
        >>> silu(np.array([0.0, 1.0]))
        array([0.        , 0.73105858])
    """
    return _self_gated(x, sigmoid)


swish = silu


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``.

    Example:
        >>> mish(np.array([0.0, 1.0]))
        array([0.        , 0.86509839])
    """
    return _self_gated(x, lambda v: gnp.tanh(softplus(v)))


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for large negative ``x``.

    Example:
        >>> log_sigmoid(np.array([-1e4, 0.0], dtype=np.float32))
        array([-1.000000e+04, -6.931472e-01], dtype=float32)
    """
    return gnp.negative(softplus(gnp.negative(_inexact(x))))


def elu(x: Any, alpha: Any = 1.0) -> Any:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Example:
        >>> elu(np.array([-1.0, 2.0]))
        array([-0.63212056,  2.        ])
    """
    x = _inexact(x)
    positive = gnp.greater(x, 0)
    # The exponential branch reads x clamped to <= 0, so it stays finite where it is not used.
    negative_branch = gnp.multiply(alpha, gnp.expm1(gnp.where(positive, 0.0, x)))
    return gnp.where(positive, x, negative_branch)


def selu(x: Any) -> Any:
    """``scale * elu(x, alpha)`` with the self-normalizing constants of Klambauer et al.

    Example:
        >>> selu(np.array([1.0]))
        array([1.05070099])
    """
    return gnp.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


def celu(x: Any, alpha: Any = 1.0) -> Any:
    """``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``: elu with a continuous derivative.

    Example:
        >>> celu(np.array([-1.0, 2.0]), alpha=2.0)
        array([-0.78693868,  2.        ])
    """
    x = _inexact(x)
    negative_part = gnp.expm1(gnp.divide(gnp.minimum(x, 0.0), alpha))
    return gnp.add(gnp.maximum(x, 0.0), gnp.multiply(alpha, negative_part))


def leaky_relu(x: Any, negative_slope: Any = 1e-2) -> Any:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise (derivative 1 at 0, as JAX).

    Example:
        >>> leaky_relu(np.array([-2.0, 3.0]), negative_slope=0.1)
        array([-0.2,  3. ])
    """
    x = gnp.asarray(x)
    return gnp.where(gnp.greater_equal(x, 0), x, gnp.multiply(negative_slope, x))


def hard_tanh(x: Any) -> Any:
    """``x`` clipped to ``[-1, 1]`` (derivative 1 at ``+-1``, as JAX).

    Example:
        >>> hard_tanh(np.array([-2.0, 0.5, 2.0]))
        array([-1. ,  0.5,  1. ])
    """
    x = gnp.asarray(x)
    return gnp.where(gnp.greater(x, 1), 1, gnp.where(gnp.less(x, -1), -1, x))


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6``, a piecewise-linear sigmoid.

    Example:
        >>> hard_sigmoid(np.array([-4.0, 0.0, 4.0]))
        array([0. , 0.5, 1. ])
    """
    return gnp.divide(relu6(gnp.add(x, 3.0)), 6.0)


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)`` (also called hard swish).

    Example:
        >>> hard_silu(np.array([-1.0, 1.0]))
        array([-0.33333333,  0.66666667])
    """
    x = gnp.asarray(x)
    return gnp.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def gelu(x: Any, approximate: bool = True) -> Any:
    """The Gaussian error linear unit ``x * Phi(x)``: by its tanh approximation (default, as in
    JAX) or exactly (``approximate=False``, through ``erfc``).

    Example:
        >>> gelu(np.array([1.0])), gelu(np.array([1.0]), approximate=False)
        (array([0.84119199]), array([0.84134475]))
    """
    x = _inexact(x)
    dtype = x.dtype
    if approximate:
        # Constants in x's dtype, so float32 stays float32.
        sqrt_2_over_pi = np.asarray(np.sqrt(2 / np.pi), dtype=dtype)
        inner = gnp.multiply(sqrt_2_over_pi, gnp.add(x, gnp.multiply(0.044715, gnp.power(x, 3))))
        cdf = gnp.multiply(0.5, gnp.add(1.0, gnp.tanh(inner)))
        return gnp.multiply(x, cdf)
    sqrt_half = np.asarray(np.sqrt(0.5), dtype=dtype)
    return gnp.multiply(gnp.multiply(0.5, x), erfc(gnp.multiply(gnp.negative(x), sqrt_half)))
