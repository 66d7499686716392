"""The rules of a batched ``custom_jvp`` or ``custom_vjp`` function: the user's rules mapped
over the batch by ``vmap``, so that ``grad(vmap(f))`` still uses them.

A symbolic zero is not an array and cannot be mapped: each rule here passes only the
tangents (cotangents) that are arrays through ``vmap``, gives the user's rule a
``SymbolicZero`` of one example's shape in place of each of the others, and turns a
``SymbolicZero`` the rule returns back into one of the batch's shape. A ``custom_vjp``
forward rule with symbolic zeros gets each example's value with the batch's ``perturbed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad._vmap import vmap
from gpugrad.core.abstract import ShapedArray
from gpugrad.custom_checks import check_bwd_output, check_jvp_output
from gpugrad.symbolic_zeros import CustomVJPPrimal, SymbolicZero

__all__ = ["batched_jvp", "batched_vjp"]

Rule = Callable[..., Any]


def _split_zeros(values: Sequence[Any]) -> tuple[list[bool], list[Any]]:
    """(which values are symbolic zeros, the others)."""
    zero = [type(v) is SymbolicZero for v in values]
    return zero, [v for v, z in zip(values, zero) if not z]


def _merge_zeros(zero: Sequence[bool], arrays: Sequence[Any],
                 make_zero: Callable[[int], SymbolicZero]) -> list[Any]:
    """The inverse of :func:`_split_zeros`: ``make_zero(i)`` where ``zero[i]``."""
    it = iter(arrays)
    return [make_zero(i) if z else next(it) for i, z in enumerate(zero)]


def batched_jvp(rule: Any, call: Any, out_avals: list[ShapedArray], out_tree: Any,
                leaf_dims: Sequence[int | None], size: int) -> Rule:
    """The JVP rule of the batched function (primals and tangents with the batch axes
    ``leaf_dims``; results with the batch axis first)."""
    static, _ = call.split(call.leaves)

    def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
        p_leaves = tree_util.tree_leaves(primals)
        zero, t_arrays = _split_zeros(tree_util.tree_leaves(tangents))
        out_zero: list[bool] = []  # which output tangents the rule gave as symbolic zeros

        def one(p: list[Any], t: list[Any]) -> Any:
            t_all = _merge_zeros(zero, t, lambda i: SymbolicZero.from_primal_value(p[i]))
            out = rule.jvp(*static, call.split(p)[1], call.split(t_all)[1])
            p_out, t_out = check_jvp_output(rule, out, out_tree, out_avals)
            out_zero[:], t_out = _split_zeros(t_out)
            return p_out, t_out

        t_dims = [d for d, z in zip(leaf_dims, zero) if not z]
        p_out, t_out = vmap(one, in_axes=(list(leaf_dims), t_dims), out_axes=0,
                            axis_size=size)(p_leaves, t_arrays)
        t_all = _merge_zeros(out_zero, t_out, lambda i: SymbolicZero.from_primal_value(p_out[i]))
        return (tree_util.tree_unflatten(out_tree, p_out),
                tree_util.tree_unflatten(out_tree, t_all))

    return jvp


def batched_vjp(rule: Any, call: Any, out_avals: list[ShapedArray], out_tree: Any,
                leaf_dims: Sequence[int | None], size: int) -> tuple[Rule, Rule]:
    """The forward and backward rules of the batched function."""
    static, _ = call.split(call.leaves)
    symbolic = rule.symbolic_zeros

    def fwd(*dyn: Any) -> Any:
        leaves = tree_util.tree_leaves(dyn)  # CustomVJPPrimal objects, with symbolic zeros

        def one(*values: Any) -> Any:
            if symbolic:
                values = tuple(CustomVJPPrimal(v, leaf.perturbed)
                               for v, leaf in zip(values, leaves))
            return rule.fwd(*call.args(values))

        values = [leaf.value for leaf in leaves] if symbolic else leaves
        return vmap(one, in_axes=tuple(leaf_dims), out_axes=0, axis_size=size)(*values)

    def bwd(res: Any, ct: Any) -> tuple[Any, ...]:
        zero, ct_arrays = _split_zeros(tree_util.tree_leaves(ct))

        def one(r: Any, cts: list[Any]) -> list[Any]:
            ct_all = _merge_zeros(zero, cts, lambda i: SymbolicZero(out_avals[i]))
            got = rule.bwd(*static, r, tree_util.tree_unflatten(out_tree, ct_all))
            return check_bwd_output(rule, got, call)  # checked as JAX does: one example's

        flat = vmap(one, in_axes=(0, 0), axis_size=size)(res, ct_arrays)
        # Back to each input's layout: its batch axis, or summed for an unbatched input.
        placed = [None if c is None else c.sum(axis=0) if d is None else
                  gnp.moveaxis(c, 0, d) for c, d in zip(flat, leaf_dims)]
        return tuple(tree_util.tree_unflatten(call.in_tree, placed))

    return fwd, bwd
