"""JAX-style ``grad``/``value_and_grad``/``jacrev``/``jacfwd``/``hessian`` over classic
``torch.autograd`` (tape plus ``torch.autograd.grad``), the way most PyTorch code differentiates.

``torch.func`` is the other PyTorch peer; this one measures the tape. Higher orders work by
keeping the graph (``create_graph=True``) whenever an input already carries one, that is
when this call is nested inside another derivative; the outermost call does not pay for it.
Imported only when PyTorch is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import optree
import torch


def _nums(argnums: int | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _grads(out: Any, leaves: list[Any], create_graph: bool) -> list[Any]:
    """d out / d leaves, zeros where out does not depend on a leaf.

    The tape drops what does not depend on the inputs: the third derivative of a cubic is a
    constant that does not require grad, so its derivative must be materialized as zeros
    (as JAX and torch.func give) rather than raise.
    """
    if not out.requires_grad:
        return [torch.zeros_like(leaf) for leaf in leaves]
    grads = torch.autograd.grad(out, leaves, create_graph=create_graph, allow_unused=True)
    return [torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, grads)]


def _value_and_grad(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    nums = _nums(argnums)

    def run(*args: Any) -> tuple[Any, Any]:
        args_list = list(args)
        trees, leaves, nested = [], [], False
        for i in nums:
            arg_leaves, tree = optree.tree_flatten(args_list[i])
            # An input that already requires grad belongs to an outer derivative: keep it (and
            # its graph); a fresh one becomes a new leaf of this tape.
            fresh = []
            for leaf in arg_leaves:
                if leaf.requires_grad:
                    nested = True
                    fresh.append(leaf)
                else:
                    fresh.append(leaf.detach().requires_grad_())
            args_list[i] = optree.tree_unflatten(tree, fresh)
            trees.append((tree, len(fresh)))
            leaves.extend(fresh)
        with torch.enable_grad():
            out = f(*args_list)
            grads = _grads(out, leaves, nested)
        results, start = [], 0
        for tree, count in trees:
            results.append(optree.tree_unflatten(tree, list(grads[start : start + count])))
            start += count
        value = out if nested else out.detach()
        return value, results[0] if isinstance(argnums, int) else tuple(results)

    return run


def _grad(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    vg = _value_and_grad(f, argnums)
    return lambda *args: vg(*args)[1]


def _jacobian(strategy: str) -> Callable[..., Callable[..., Any]]:
    def make(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
        if argnums != 0:
            raise NotImplementedError("the torch.autograd peer differentiates argument 0 only")

        def run(x: Any, *rest: Any) -> Any:
            return torch.autograd.functional.jacobian(
                lambda x_: f(x_, *rest), x, vectorize=True, strategy=strategy
            )

        return run

    return make


def _hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    if argnums != 0:
        raise NotImplementedError("the torch.autograd peer differentiates argument 0 only")

    def run(x: Any, *rest: Any) -> Any:
        return torch.autograd.functional.hessian(lambda x_: f(x_, *rest), x, vectorize=True)

    return run


def make_transforms() -> SimpleNamespace:
    """The five transformations, with JAX's names and argument order."""
    return SimpleNamespace(
        grad=_grad,
        value_and_grad=_value_and_grad,
        jacrev=_jacobian("reverse-mode"),
        jacfwd=_jacobian("forward-mode"),
        hessian=_hessian,
    )
