"""``all_reduce`` as a primitive, so that transformations see through it.

``all_reduce_p`` takes every leaf of the tree as one argument list (one packed message per
dtype for the values, and again one for the tangents or the cotangents) and has the rules of
JAX's ``psum``:

- a sum across processes is linear, so its JVP is the sum of the tangents across processes;
- it is its own transpose: process ``r``'s result feeds every process's output, so the
  cotangent of process ``r``'s input is the sum of every process's output cotangent. With a
  loss summed across processes and a cotangent of one on each process's copy, each process
  gets ``size()`` times the gradient of the total loss for its own inputs, exactly what
  ``jax.grad`` gives through ``psum`` under ``pmap``;
- under ``vmap`` the batched value is reduced as it is (every example of every process
  summed position by position), its batch axis kept;
- its abstract evaluation keeps each argument's shape and dtype.

``"mean"`` is the sum divided by ``size()``; ``"max"`` and ``"min"`` evaluate and batch but
have no derivative (as ``pmax``/``pmin`` in JAX), and say so.

Example:
    >>> from gpugrad.distributed.differentiable import all_reduce_p
    >>> gpugrad.jvp(lambda x: all_reduce_p.bind(x, op="sum")[0], (np.ones(2),), (np.ones(2),))
    (array([1., 1.]), array([1., 1.]))
"""

from __future__ import annotations

from typing import Any

import gpugrad.numpy as gnp
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.trace import Primitive, bind
from gpugrad.distributed import processes

__all__ = ["all_reduce_p", "all_reduce_traced"]

# Its evaluation, the concrete reduction, is set by gpugrad.distributed.collectives, which
# holds it and sits above this module (its all_reduce hands traced leaves to this primitive).
all_reduce_p = Primitive("all_reduce", multiple_results=True)


def all_reduce_traced(leaves: list[Any], op: str) -> list[Any]:
    """``all_reduce`` of leaves among which some are tracers: through the primitive."""
    if op == "mean":
        size = processes.size()
        return [x / size for x in bind(all_reduce_p, *leaves, op="sum")]
    return list(bind(all_reduce_p, *leaves, op=op))


def _abstract_eval(*avals: ShapedArray, op: str) -> list[ShapedArray]:
    return list(avals)


def _no_derivative(op: str) -> None:
    if op != "sum":
        raise TypeError(
            f"all_reduce with op={op!r} has no derivative (JAX's pmax/pmin have none either); "
            "differentiate through op='sum' or 'mean', or apply it to "
            "gpugrad.stop_gradient(x)")


def _jvp(primals: list[Any], tangents: list[Any], op: str) -> tuple[list[Any], list[Any]]:
    _no_derivative(op)
    out = bind(all_reduce_p, *primals, op=op)
    # Every process has the same leaves with a tangent (the same program), so reducing only
    # those keeps the packed messages alike in every process.
    present = [i for i, t in enumerate(tangents) if t is not None]
    reduced = bind(all_reduce_p, *[tangents[i] for i in present], op=op) if present else []
    tangents_out: list[Any] = [None] * len(primals)
    for i, t in zip(present, reduced):
        tangents_out[i] = t
    return list(out), tangents_out


def _vjp(cts: list[Any], primals: list[Any], out: list[Any], wanted: list[bool],
         op: str) -> list[Any]:
    _no_derivative(op)

    # A zero cotangent is sent as zeros: another process may hold a nonzero one for the
    # same leaf, and the sum needs every process's part.
    full = [gnp.zeros_like(x) if ct is None else ct for ct, x in zip(cts, primals)]
    summed = bind(all_reduce_p, *full, op=op)
    return [ct if w else None for ct, w in zip(summed, wanted)]


def _batch(values: list[Any], dims: list[int | None], op: str
           ) -> tuple[list[Any], list[int | None]]:
    return list(bind(all_reduce_p, *values, op=op)), list(dims)


all_reduce_p.abstract_eval = _abstract_eval
all_reduce_p.jvp = _jvp
all_reduce_p.vjp = _vjp
all_reduce_p.batch = _batch
