"""The two passes every transformation runs: ``fun`` recorded on reverse-mode tracers for a
backward pass (:class:`Recorded`), and pushed forward on forward-mode tracers
(:func:`push_forward`), with the checks of complex inputs and outputs that ``holomorphic``
asks for. ``api.py`` (``vjp``, ``grad``, ``jvp``) and ``_jacobians.py`` (``jacrev``,
``jacfwd``) are both written on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad._args import output_array, prepare_primals, split_aux
from gpugrad.core import forward, reverse
from gpugrad.core.trace import Tracer, new_main
from gpugrad.dtypes import dtype_of
from gpugrad.numpy import zeros_like
from gpugrad.primitives.elementwise_eval import quiet_floating_point

__all__ = ["Recorded", "check_complex_inputs", "check_complex_output", "push_forward"]


class Recorded:
    """``fun`` run once on reverse-mode tracers: what its pullback needs."""

    __slots__ = ("aux", "in_tree", "leaves", "nodes", "out", "out_tree", "tracers", "values")

    def __init__(self, fun: Callable[..., Any], primals: tuple[Any, ...], has_aux: bool,
                 what: str) -> None:
        # Runs under the caller's quiet_floating_point (entered once per transformation).
        leaves, in_tree, constant = prepare_primals(primals, what)
        with new_main(reverse.VJPTrace) as main:
            tracers = [x if const else reverse.new_leaf(main, x)
                       for x, const in zip(leaves, constant)]
            out = fun(*(tracers if in_tree is None else tree_util.tree_unflatten(in_tree,
                                                                                 tracers)))
            out, aux = split_aux(out, has_aux, what)
            if _is_flat_output(out):  # one array: no tree to flatten
                value, node = reverse.unpack(out, main)
                self.values, self.nodes = [output_array(value, what)], [node]
                self.out_tree = None
            else:
                out_leaves, self.out_tree = tree_util.tree_flatten(out)
                unpacked = [reverse.unpack(o, main) for o in out_leaves]
                self.values = [output_array(v, what) for v, _ in unpacked]
                self.nodes = [node for _, node in unpacked]
            if has_aux:
                aux = tree_util.tree_map(lambda a: reverse.unpack(a, main)[0], aux)
        self.leaves, self.tracers, self.in_tree, self.aux = leaves, tracers, in_tree, aux
        self.out = self.values[0] if self.out_tree is None else tree_util.tree_unflatten(
            self.out_tree, self.values)

    def pull(self, ct_leaves: list[Any], release: bool, flat: bool = False
             ) -> tuple[Any, ...]:
        """The cotangents of the inputs (as the inputs' tree, or with ``flat`` one per input
        leaf), given one per output leaf (None for a zero cotangent)."""
        roots = [(n, c) for n, c in zip(self.nodes, ct_leaves)
                 if n is not None and c is not None]
        leaf_cts = reverse.backward(roots, release) if roots else {}
        result = []
        for x, t in zip(self.leaves, self.tracers):
            c = leaf_cts.get(t.node) if type(t) is reverse.VJPTracer else None
            result.append(zeros_like(x) if c is None else c)
        return tuple(result) if self.in_tree is None or flat else tuple(
            tree_util.tree_unflatten(self.in_tree, result))


def _is_flat_output(out: Any) -> bool:
    return type(out) is np.ndarray or isinstance(out, Tracer)


def check_complex_inputs(dyn: tuple[Any, ...], what: str) -> None:
    """With ``holomorphic=True`` every differentiated input must be complex (as in JAX)."""
    for position, leaf in enumerate(tree_util.tree_leaves(dyn)):
        dtype = dtype_of(leaf)
        if dtype.kind != "c":
            raise TypeError(
                f"{what} with holomorphic=True requires inputs with a complex dtype, but "
                f"input leaf {position} has dtype {dtype}; convert it (x.astype(complex)) or "
                "drop holomorphic=True"
            )


def check_complex_output(out: Any, what: str, holomorphic: bool) -> None:
    """JAX's rule for outputs of reverse-mode derivatives: complex exactly when holomorphic."""
    kind = out.dtype.kind
    if holomorphic and kind != "c":
        raise TypeError(f"{what} with holomorphic=True requires outputs with a complex "
                        f"dtype, but the function returned dtype {out.dtype}")
    if not holomorphic and kind == "c":
        raise TypeError(
            f"{what} requires real-valued outputs, but the function returned dtype "
            f"{out.dtype}. For a holomorphic function pass holomorphic=True; to "
            "differentiate a non-holomorphic function with complex outputs use gpugrad.vjp "
            "(or differentiate its real and imaginary parts separately)"
        )


def push_forward(fun: Callable[..., Any], leaves: list[Any], in_tree: Any, constant: list[bool],
          t_leaves: list[Any], has_aux: bool, what: str) -> tuple[list[Any], list[Any], Any, Any]:
    """The forward-mode core, on checked input leaves (``in_tree`` None: the arguments
    themselves): (output leaves, their tangents, the output tree or None for one array, aux).
    A leaf whose tangent is None is a constant (a zero tangent)."""
    with quiet_floating_point(), new_main(forward.JVPTrace) as main:
        tracers = [x if const or t is None else forward.JVPTracer(main.trace, x, t)
                   for x, t, const in zip(leaves, t_leaves, constant)]
        out = fun(*(tracers if in_tree is None else tree_util.tree_unflatten(in_tree,
                                                                             tracers)))
        out, aux = split_aux(out, has_aux, what)
        if _is_flat_output(out):
            out_leaves, out_tree = [out], None
        else:
            out_leaves, out_tree = tree_util.tree_flatten(out)
        unpacked = [forward.unpack(o, main) for o in out_leaves]
        if has_aux:
            aux = tree_util.tree_map(lambda a: forward.unpack(a, main)[0], aux)
    values = [output_array(p, what) for p, _ in unpacked]
    out_tangents = [zeros_like(p) if t is None else t for p, (_, t) in zip(values, unpacked)]
    return values, out_tangents, out_tree, aux
