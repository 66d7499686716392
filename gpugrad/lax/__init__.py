"""``gpugrad.lax``: JAX's ``jax.lax`` on gpugrad: control flow that ``jit`` can stage.

Example:
    >>> import numpy as np
    >>> from gpugrad import lax
    >>> lax.fori_loop(0, 3, lambda i, x: x * 2.0, np.array(1.0))
    array(8.)
"""

from __future__ import annotations

from gpugrad.lax.control_flow import cond, switch
from gpugrad.lax.loops import fori_loop, while_loop
from gpugrad.lax.scan import map, scan

__all__ = ["cond", "fori_loop", "map", "scan", "switch", "while_loop"]
