"""Checks of what the rules of ``custom_jvp`` and ``custom_vjp`` functions return, against
the primal function's structure, shapes and dtypes, with JAX's error messages."""

from __future__ import annotations

from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.core.abstract import ShapedArray, abstractify

__all__ = ["check_bwd_output", "check_jvp_output", "closed_over_derivative"]


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _tangent_dtype(dtype: Any) -> Any:
    return dtype if np.dtype(dtype).kind in "fc" else None


def check_jvp_output(rule: Any, out: Any, out_tree: Any, avals: list[ShapedArray]
                      ) -> tuple[list[Any], list[Any]]:
    name = _name(rule.jvp)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"Custom JVP rule {name} for function {_name(rule.fun)} must produce a "
                        f"pair (list or tuple of length two), got {out!r:.80}")
    primal, tangent = out
    p_leaves, p_tree = tree_util.tree_flatten(primal)
    t_leaves, t_tree = tree_util.tree_flatten(tangent)
    if p_tree != out_tree:
        raise TypeError(f"Custom JVP rule {name} for function {_name(rule.fun)} must produce "
                        "primal outputs with equal container (pytree) structures to those of "
                        f"the function, but got {p_tree} and {out_tree} respectively.")
    if t_tree != p_tree:
        raise TypeError(f"Custom JVP rule {name} for function {_name(rule.fun)} must produce "
                        "primal and tangent outputs with equal container (pytree) structures, "
                        f"but got {p_tree} and {t_tree} respectively.")
    for t, aval in zip(t_leaves, avals):
        got = abstractify(t)
        want = _tangent_dtype(aval.dtype)
        if want is not None and (got.shape != aval.shape or got.dtype != want):
            raise TypeError(
                "Custom JVP rule must produce primal and tangent outputs with corresponding "
                f"shapes and dtypes. Expected {aval.type_text()} (tangent type of "
                f"{aval.type_text()}) but got {got.type_text()}.")
    return p_leaves, t_leaves


def check_bwd_output(rule: Any, cts: Any, call: Any, batch: tuple[int, ...] = ()
                      ) -> list[Any]:
    _, dyn = call.split(call.leaves)
    in_tree = tree_util.tree_structure(dyn)
    out_tree = tree_util.tree_structure(cts) if isinstance(cts, tuple) else None
    if out_tree is None or len(cts) != len(dyn):
        shown = tree_util.tree_structure(cts)
        raise TypeError(
            "Custom VJP bwd rule must produce an output with the same container (pytree) "
            "structure as the args tuple of the primal function, and in particular must "
            "produce a tuple of length equal to the number of arguments to the primal "
            f"function, but got bwd output structure {shown} for primal input structure "
            f"{in_tree}.")
    flat: list[Any] = []
    for ct, arg in zip(cts, dyn):  # None stands for zeros, for a whole argument
        arg_leaves = tree_util.tree_leaves(arg)
        if ct is None:
            flat += [None] * len(arg_leaves)
            continue
        ct_leaves, ct_tree = tree_util.tree_flatten(ct)
        if ct_tree != tree_util.tree_structure(arg):
            raise TypeError(
                f"Custom VJP bwd rule {_name(rule.bwd)} must produce cotangents with the "
                f"structure of the arguments: got {ct_tree} for an argument of structure "
                f"{tree_util.tree_structure(arg)}.")
        for c, a in zip(ct_leaves, arg_leaves):
            if tuple(np.shape(c)) != batch + tuple(np.shape(a)):
                raise ValueError(
                    f"Custom VJP bwd rule must produce an output with shapes/dtypes as "
                    f"expected by the reverse-mode rule: expected {abstractify(a).type_text()}"
                    f" but got {abstractify(c).type_text()}" + (
                        f" (for {batch[0]} examples)." if batch else "."))
        flat += [gnp.asarray(c) for c in ct_leaves]  # NumPy scalars become 0-d arrays
    return flat


def closed_over_derivative(kind: str, rule: Any) -> TypeError:
    return TypeError(
        f"the {kind} function {_name(rule.fun)} reads a value being differentiated that is "
        "not one of its arguments (it closed over it); its rule cannot give that value's "
        "derivative. Pass the value as an argument instead")
