"""``checkpoint`` (``remat``): trade computation for memory in reverse mode.

A checkpointed function is traced into a program and applied as the primitive ``remat``.
Reverse mode then keeps only the function's inputs (and what ``policy`` says to save); the
values computed inside are recomputed when the backward pass reaches the function, instead
of being held from the forward pass to the backward one. With ``policy`` =
``checkpoint_policies.dots_saveable``, the results of matrix products are saved and only the
cheaper work around them is recomputed. Forward mode needs nothing saved: it differentiates
the program directly.

Example:
    >>> block = gpugrad.checkpoint(lambda w, x: gnp.tanh(x @ w))
    >>> w = np.eye(2) * 0.5
    >>> g = gpugrad.grad(lambda w: gnp.sum(block(w, block(w, np.ones((1, 2))))))(w)
    >>> g.shape
    (2, 2)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from gpugrad import tree_util
from gpugrad.compiler import subprograms
from gpugrad.compiler.subprograms import avals_of, run_program, xp_of
from gpugrad.core import reverse
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.program import Program, Var
from gpugrad.core.trace import Primitive, Tracer, bind
from gpugrad.naming import P, R
from gpugrad.primitives.contraction import einsum_p
from gpugrad.primitives.structural import batch_size

__all__ = ["checkpoint", "checkpoint_policies", "remat", "remat_p"]

remat_p = Primitive("remat", multiple_results=True)



def _everything_saveable(prim: Primitive, *avals: ShapedArray, **params: Any) -> bool:
    return True


def _nothing_saveable(prim: Primitive, *avals: ShapedArray, **params: Any) -> bool:
    return False


def _dots_saveable(prim: Primitive, *avals: ShapedArray, **params: Any) -> bool:
    return prim is einsum_p


def _dots_with_no_batch_dims_saveable(prim: Primitive, *avals: ShapedArray, **params: Any
                                      ) -> bool:
    """Matrix products whose output has no index shared by both operands and the output."""
    if prim is not einsum_p:
        return False
    spec = str(params.get("spec", ""))
    if "->" not in spec or spec.count(",") != 1:
        return False
    ins, out = spec.split("->")
    a, b = ins.split(",")
    return not (set(a) & set(b) & set(out))


checkpoint_policies = SimpleNamespace(
    everything_saveable=_everything_saveable,
    nothing_saveable=_nothing_saveable,
    dots_saveable=_dots_saveable,
    checkpoint_dots=_dots_saveable,
    dots_with_no_batch_dims_saveable=_dots_with_no_batch_dims_saveable,
    checkpoint_dots_with_no_batch_dims=_dots_with_no_batch_dims_saveable,
)


def checkpoint(fun: Callable[P, R], *, prevent_cse: bool = True,
               policy: Callable[..., bool] | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable[P, R]:
    """``fun``, whose intermediate values reverse mode recomputes instead of keeping.

    ``policy(prim, *avals, **params) -> bool`` says which primitives' results to keep (see
    ``gpugrad.checkpoint_policies``; default: none). ``static_argnums`` are passed to
    ``fun`` as they are. ``prevent_cse`` is accepted for compatibility: the recomputation is
    never merged with the forward pass.

    Example:
        >>> f = gpugrad.checkpoint(lambda x: gnp.sin(gnp.sin(x)))
        >>> round(float(gpugrad.grad(f)(np.float64(0.5))), 6)
        0.778644
    """
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    policy = policy or _nothing_saveable
    if policy is _everything_saveable:
        return fun  # every value kept: what reverse mode does anyway

    @functools.wraps(fun)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        positions = {i % len(args) for i in statics}
        dyn = tuple(a for i, a in enumerate(args) if i not in positions)
        leaves, in_tree = tree_util.tree_flatten((dyn, kwargs))
        if not any(isinstance(x, Tracer) for x in leaves):  # nothing differentiated
            return fun(*args, **kwargs)

        def flat(dyn_args: Any, kw: Any) -> Any:
            it = iter(dyn_args)
            full = [args[i] if i in positions else next(it) for i in range(len(args))]
            return fun(*full, **kw)

        program, consts, out_tree = subprograms.trace_function(flat, in_tree, avals_of(leaves),
                                                               xp_of(leaves), "checkpoint")
        outs = bind(remat_p, *consts, *leaves, program=program, policy=policy)
        return tree_util.tree_unflatten(out_tree, outs)

    return wrapped


remat = checkpoint


# --- the primitive's rules --------------------------------------------------------------

def _saved_positions(program: Program, policy: Callable[..., bool]) -> list[int]:
    return [k for k, eqn in enumerate(program.eqns) if not eqn.prim.multiple_results
            and policy(eqn.prim, *[a.aval for a in eqn.inputs], **eqn.params)]


def _interpret(program: Program, args: Sequence[Any], saved: dict[int, Any] | None,
               keep: list[int]) -> tuple[list[Any], dict[int, Any]]:
    """Run ``program`` through ``bind``; the results of equations in ``keep`` are returned
    by position, and those in ``saved`` are not computed but recorded with their value."""
    env: dict[Var, Any] = dict(zip(program.invars, args))
    main = _top_vjp_main(args) if saved else None
    kept: dict[int, Any] = {}
    for k, eqn in enumerate(program.eqns):
        values = [env[a] if isinstance(a, Var) else a.value for a in eqn.inputs]
        if saved is not None and k in saved and main is not None:
            out = reverse.record_known(main, eqn.prim, values, eqn.params, saved[k])
        else:
            out = bind(eqn.prim, *values, **eqn.params)
        if eqn.prim.multiple_results:
            env.update(zip(eqn.outs, out))
        else:
            env[eqn.out] = out
            if k in keep:
                kept[k] = out
    return [env[a] if isinstance(a, Var) else a.value for a in program.outvars], kept


def _top_vjp_main(args: Sequence[Any]) -> Any:
    mains = [a.trace.main for a in args if isinstance(a, reverse.VJPTracer)]
    return max(mains, key=lambda m: m.level) if mains else None


def _impl(*args: Any, program: Program, policy: Any) -> list[Any]:
    return run_program(program, args)


def _abstract_eval(*avals: ShapedArray, program: Program, policy: Any) -> list[ShapedArray]:
    return [v.aval for v in program.outvars]


def _jvp(primals: list[Any], tangents: list[Any], program: Program, policy: Any
         ) -> tuple[list[Any], list[Any]]:
    return subprograms.jvp_flat(lambda *a: run_program(program, a), primals, tangents)


def _vjp_forward(primals: list[Any], wanted: list[bool], program: Program, policy: Any
                 ) -> tuple[list[Any], Any]:
    keep = _saved_positions(program, policy)
    if not keep:
        return run_program(program, primals), None
    outs, kept = _interpret(program, primals, None, keep)
    return outs, kept


def _vjp(cts: list[Any], primals: list[Any], out: list[Any], wanted: list[bool],
         program: Program, policy: Any, residuals: Any = None) -> list[Any]:
    if residuals is None:  # recompute everything inside
        return subprograms.vjp_flat(lambda *a: run_program(program, a), primals, wanted, cts)
    return subprograms.vjp_flat(lambda *a: _interpret(program, a, residuals, [])[0], primals,
                                wanted, cts)


def _batch(values: list[Any], dims: list[int | None], program: Program, policy: Any
           ) -> tuple[list[Any], list[int]]:
    size = batch_size(values, dims)
    new, consts = subprograms.trace_flat(
        lambda *xs: subprograms.run_batched(program, xs, dims, size), values, "checkpoint")
    outs = bind(remat_p, *consts, *values, program=new, policy=policy)
    return outs, [0] * len(outs)


remat_p.define_rules(impl=_impl, abstract_eval=_abstract_eval, jvp=_jvp, vjp=_vjp,
                     vjp_forward=_vjp_forward, batch=_batch)
