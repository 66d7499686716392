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

from gpugrad.nn import activations, functions, initializers
from gpugrad.nn.activations import *  # noqa: F403
from gpugrad.nn.functions import *  # noqa: F403

# The submodules' own lists: a function is exported where it is defined, and named once.
__all__ = ["initializers", *activations.__all__, *functions.__all__]
