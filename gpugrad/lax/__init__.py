"""``gpugrad.lax``: JAX's ``jax.lax``: the operations below ``gpugrad.numpy``, and control flow.

Where ``gpugrad.numpy`` promotes dtypes and broadcasts shapes as NumPy does, ``lax`` asks for
operands of one dtype and one shape and says every conversion (``convert_element_type``,
``broadcast_in_dim``); mixing ``float32`` and ``float64`` is a ``TypeError`` naming both. It
keeps JAX's C-like conventions (``div`` of integers rounds toward zero, ``rem`` has the
dividend's sign, ``round`` sends halves away from zero) and its explicit signatures
(``dot_general``'s dimension numbers, ``pad``'s ``(low, high, interior)``, dynamic slices
whose start indices may be traced and are clamped into the array). Every function is written
in gpugrad's own operations, so it differentiates, batches under ``vmap`` and runs on CuPy.

The files hold: ``elementwise.py`` (one operand, dtype conversions included),
``arithmetic.py`` (two operands), ``selection.py``, ``shapes.py``, ``reductions.py``,
``slicing.py``, ``scans.py`` (``associative_scan`` and the cumulative reductions);
``operands.py`` the operand rules they share. Control flow that ``jit`` stages:
``control_flow.py`` (``cond``, ``switch``), ``loops.py`` (``while_loop``, ``fori_loop``),
``scan.py`` (``scan``, ``map``), over programs (``gpugrad.compiler.subprograms``).

Example:
    >>> gpugrad.grad(lambda x: lax.reduce_sum(lax.mul(x, x), (0,)))(np.array([1.0, 2.0]))
    array([2., 4.])
"""

from __future__ import annotations

from gpugrad.lax import (
    arithmetic,
    elementwise,
    reductions,
    scans,
    selection,
    shapes,
    slicing,
)
from gpugrad.lax.arithmetic import *  # noqa: F403
from gpugrad.lax.control_flow import cond, switch
from gpugrad.lax.elementwise import *  # noqa: F403
from gpugrad.lax.loops import fori_loop, while_loop
from gpugrad.lax.reductions import *  # noqa: F403
from gpugrad.lax.scan import map, scan
from gpugrad.lax.scans import *  # noqa: F403
from gpugrad.lax.selection import *  # noqa: F403
from gpugrad.lax.shapes import *  # noqa: F403
from gpugrad.lax.slicing import *  # noqa: F403

__all__ = sorted(
    [name for module in (arithmetic, elementwise, reductions, scans, selection, shapes,
                         slicing)
     for name in module.__all__]
    + ["cond", "fori_loop", "map", "scan", "switch", "while_loop"]
)
