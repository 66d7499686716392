"""``gpugrad.nn``: JAX's neural-network functions and initializers (``jax.nn``).

Activations (``relu``, ``gelu``, ``silu``, ``softplus``, ...; ``activations.py``), functions of
whole axes (``softmax``, ``log_softmax``, ``logsumexp``, ``standardize``, ``one_hot``,
``glu``; ``functions.py``) and :mod:`gpugrad.nn.initializers`. Every function is composed
from ``gpugrad.numpy`` operations: it differentiates to any order, batches under ``vmap``,
and gives JAX's values and JAX's derivatives at the kinks (``relu'(0) = 0``).

Example:
    >>> from gpugrad import nn
    >>> nn.relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> gpugrad.grad(lambda x: nn.log_softmax(x)[0])(np.array([0.0, 0.0]))
    array([ 0.5, -0.5])
"""

from __future__ import annotations

from gpugrad.nn import initializers
from gpugrad.nn.activations import (
    celu,
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    identity,
    leaky_relu,
    log_sigmoid,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_sign,
    softplus,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    swish,
    tanh,
)
from gpugrad.nn.functions import (
    glu,
    log_softmax,
    logmeanexp,
    logsumexp,
    one_hot,
    softmax,
    standardize,
)

__all__ = [
    "celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "identity", "initializers", "leaky_relu", "log_sigmoid", "log_softmax", "logmeanexp",
    "logsumexp", "mish", "one_hot", "relu", "relu6", "selu", "sigmoid", "silu", "soft_sign",
    "softmax", "softplus", "sparse_plus", "sparse_sigmoid", "squareplus", "standardize",
    "swish", "tanh",
]
