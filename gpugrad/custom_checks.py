"""Checks of what the rules of ``custom_jvp`` and ``custom_vjp`` functions return, against
the primal function's structure, shapes and dtypes, with JAX's error messages."""

from __future__ import annotations

from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.symbolic_zeros import SymbolicZero
from gpugrad.tree_paths import keystr, tree_flatten_with_path

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


def check_bwd_output(rule: Any, cts: Any, call: Any) -> list[Any]:
    """The cotangent of each differentiable argument leaf, from what ``bwd`` returned:
    None where it gave None (for a whole argument or a part of one) or a SymbolicZero."""
    _, dyn = call.split(call.leaves)
    in_tree = tree_util.tree_structure(dyn)
    if isinstance(cts, list) and len(cts) == len(dyn):
        cts = tuple(cts)  # JAX takes a list of the right length too
    paired: list[tuple[Any, Any]] = []  # (cotangent or None, argument leaf)

    def pair(ct: Any, arg: Any) -> None:  # a leaf of cts: None, or a cotangent per leaf
        paired.extend((ct, a) for a in tree_util.tree_leaves(arg))

    try:
        if not isinstance(cts, tuple):
            raise ValueError
        tree_util.tree_map(pair, cts, dyn, is_leaf=lambda x: x is None)
    except ValueError:
        shown = tree_util.tree_structure(cts)
        raise TypeError(
            "Custom VJP bwd rule must produce an output with the same container (pytree) "
            "structure as the args tuple of the primal function, and in particular must "
            "produce a tuple of length equal to the number of arguments to the primal "
            f"function, but got bwd output structure {shown} for primal input structure "
            f"{in_tree}.") from None
    paths = [keystr(path) for path, _ in tree_flatten_with_path(dyn)[0]]
    flat: list[Any] = []
    for (ct, arg), path in zip(paired, paths):
        if ct is None or _float_zero(ct, arg, path):
            flat.append(None)
            continue
        if tuple(np.shape(ct)) != tuple(np.shape(arg)):
            raise ValueError(_bwd_type_error(ct, arg, path))
        flat.append(gnp.asarray(ct))  # NumPy scalars become 0-d arrays
    return flat


def _float_zero(ct: Any, arg: Any, where: str) -> bool:
    """Whether ``ct`` is a SymbolicZero, checked against its argument as JAX checks it."""
    if type(ct) is not SymbolicZero:
        return False
    got, want = ct.aval, abstractify(arg)
    if want.dtype.kind in "fc" and (got.shape, got.dtype) != (want.shape, want.dtype):
        raise ValueError(
            "Custom VJP bwd rule produced a SymbolicZero with a shape/dtype that does not "
            "match the corresponding input tangent shape/dtype: at output"
            f"{where} the SymbolicZero had shape/dtype {got.type_text()} while the "
            f"corresponding input had shape/dtype {want.type_text()}. Consider just returning "
            "a None here instead of a SymbolicZero object.")
    return True


def _bwd_type_error(ct: Any, arg: Any, where: str) -> str:
    """JAX's message for a cotangent whose shape is not its argument's (a float dtype that
    differs is accepted, as JAX does)."""
    got, want = abstractify(ct), abstractify(arg)
    mismatches = [what for what, differ in (("dtypes", got.dtype != want.dtype),
                                             ("shapes", True)) if differ]
    return ("Custom VJP bwd rule must produce an output with the same type as the args tuple "
            f"of the primal function, but at output{where} the bwd rule produced an output of "
            f"type {got.type_text()} corresponding to an input of type {want.type_text()}, so "
            + ", and ".join(f"the {what} do not match" for what in mismatches))


def closed_over_derivative(kind: str, rule: Any) -> TypeError:
    return TypeError(
        f"the {kind} function {_name(rule.fun)} reads a value being differentiated that is "
        "not one of its arguments (it closed over it); its rule cannot give that value's "
        "derivative. Pass the value as an argument instead")
