"""gpugrad: JAX's transformations on the NumPy and CuPy arrays you already have.

Example:
    >>> gpugrad.grad(lambda x: gnp.sum(x ** 2))(gnp.array([1.0, 2.0]))
    array([2., 4.], dtype=float32)
"""

from __future__ import annotations

import importlib

from gpugrad import tree, tree_util
from gpugrad._jit import jit, make_jaxpr
from gpugrad._vmap import vmap
from gpugrad.api import (
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    stop_gradient,
    value_and_grad,
    vjp,
)
from gpugrad.backend import (
    default_backend,
    device_get,
    device_put,
    set_default_backend,
    use_backend,
)
from gpugrad.checkpoint import checkpoint, checkpoint_policies, remat
from gpugrad.config import config
from gpugrad.custom_derivatives import custom_jvp, custom_vjp
from gpugrad.devices import block_until_ready, device_count, devices
from gpugrad.info import __version__ as __version__
from gpugrad.info import print_environment_info

__all__ = [
    "block_until_ready",
    "checkpoint",
    "checkpoint_policies",
    "config",
    "custom_jvp",
    "custom_vjp",
    "default_backend",
    "device_count",
    "device_get",
    "device_put",
    "devices",
    "grad",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "linearize",
    "make_jaxpr",
    "print_environment_info",
    "remat",
    "set_default_backend",
    "stop_gradient",
    "tree",
    "tree_util",
    "use_backend",
    "value_and_grad",
    "vjp",
    "vmap",
]


def __getattr__(name: str) -> object:
    # Subpackages that import on first use, as in JAX (`jax.scipy` after a bare `import jax`):
    # importing them eagerly would slow `import gpugrad` for every user. (gpugrad.numpy is
    # loaded already, by the transformations built on it; the name stays for that case too.)
    if name in ("random", "test_util", "numpy", "scipy", "kernel", "lax", "nn"):
        return importlib.import_module(f"gpugrad.{name}")
    raise AttributeError(f"module 'gpugrad' has no attribute {name!r}")
