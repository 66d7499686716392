"""``while_loop`` and ``fori_loop``: loops whose trip count may depend on traced values.

The loop is the primitive ``while``, over the constants its two functions closed over and
the carry. Forward mode carries the tangents along (the condition reads the primals only);
reverse mode through a loop of unknown length would have to store every iteration, so it
raises JAX's error, and ``fori_loop`` with known bounds is a ``scan`` instead, which reverse
mode handles. Under ``vmap`` with a batched condition the loop runs until every example is
done, each example's carry frozen once its own condition fails.

Example:
    >>> lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2.0), (0, np.array(1.0)))
    (array(5, dtype=int32), array(32.))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.compiler import subprograms
from gpugrad.compiler.subprograms import avals_of, instantiate, is_float, run_program, xp_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.trace import Primitive, bind
from gpugrad.lax.control_flow import known_value
from gpugrad.lax.scan import carry_types_error, scan
from gpugrad.numpy import any as any_
from gpugrad.numpy import arange, asarray, reshape, where
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.structural import batch_size

__all__ = ["fori_loop", "while_loop", "while_p"]

while_p = Primitive("while", multiple_results=True)

_REVERSE_ERROR = (
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop.")


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any],
               init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val)``, as one staged loop under
    ``jit``; ``body_fun`` must return the structure, shapes and dtypes it was given.
    Differentiable in forward mode; reverse mode raises (use ``scan`` or ``fori_loop`` with
    known bounds).

    Example:
        >>> lax.while_loop(lambda i: i < 10, lambda i: i * 3, 1)
        array(27, dtype=int32)
    """
    leaves, in_tree = tree_util.tree_flatten(init_val)
    avals = avals_of(leaves)  # a Python number's is weak: it may widen, as in JAX
    leaves = [asarray(x) for x in leaves]
    xp = xp_of(leaves)
    args_tree = tree_util.tree_structure((init_val,))  # one argument: the carry
    cond_prog, cond_consts, cond_tree = subprograms.trace_function(cond_fun, args_tree, avals, xp,
                                                                   "while_loop cond_fun")
    out_avals = [v.aval for v in cond_prog.outvars]
    if (cond_tree.num_leaves != 1 or out_avals[0].shape != ()
            or out_avals[0].dtype != np.bool_):
        raise TypeError("cond_fun must return a boolean scalar, but got output type(s) "
                        f"{out_avals}.")
    body_prog, body_consts, body_tree = subprograms.trace_function(body_fun, args_tree, avals, xp,
                                                                   "while_loop body_fun")
    out_avals = [v.aval for v in body_prog.outvars]
    carry_types_error("while_loop body function", "c", in_tree, body_tree, avals, out_avals)
    if any(a.dtype != b.dtype for a, b in zip(avals, out_avals)):  # weak numbers widen
        leaves = [x.astype(b.dtype) for x, b in zip(leaves, out_avals)]
        avals = avals_of(leaves)
        cond_prog, cond_consts, _ = subprograms.trace_function(cond_fun, args_tree, avals, xp,
                                                               "while_loop cond_fun")
        body_prog, body_consts, _ = subprograms.trace_function(body_fun, args_tree, avals, xp,
                                                               "while_loop body_fun")
    outs = bind(while_p, *cond_consts, *body_consts, *leaves, cond=cond_prog, body=body_prog,
                cond_consts=len(cond_consts), body_consts=len(body_consts))
    return tree_util.tree_unflatten(in_tree, outs)


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any],
              init_val: Any) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)``. With bounds
    known when it is called (Python ints, concrete arrays) it is a ``scan``, which reverse
    mode can differentiate; with traced bounds, a ``while_loop``.

    Example:
        >>> lax.fori_loop(0, 4, lambda i, x: x + i, np.array(0.5))
        array(6.5)
    """
    lo, hi = known_value(lower), known_value(upper)
    if lo is not None and hi is not None:
        index_dtype = asarray(lower).dtype if not isinstance(lower, int) else (
            asarray(upper).dtype)
        steps = arange(int(lo), max(int(hi), int(lo)), dtype=index_dtype)
        return scan(lambda c, i: (body_fun(i, c), None), init_val, steps)[0]
    lower, upper = asarray(lower), asarray(upper)

    def body(c: Any) -> Any:
        i, hi_, val = c
        return i + 1, hi_, body_fun(i, val)

    return while_loop(lambda c: c[0] < c[1], body, (lower.astype(upper.dtype), upper,
                                                     init_val))[2]


# --- the primitive's rules --------------------------------------------------------------

def _split(args: tuple[Any, ...] | list[Any], cond_consts: int, body_consts: int
           ) -> tuple[list[Any], list[Any], list[Any]]:
    a, b = cond_consts, cond_consts + body_consts
    return list(args[:a]), list(args[a:b]), list(args[b:])


def _impl(*args: Any, cond: Any, body: Any, cond_consts: int, body_consts: int) -> list[Any]:
    kc, kb, carry = _split(args, cond_consts, body_consts)
    while bool(run_program(cond, [*kc, *carry])[0]):
        carry = run_program(body, [*kb, *carry])
    return carry


def _abstract_eval(*avals: ShapedArray, cond: Any, body: Any, cond_consts: int,
                   body_consts: int) -> list[ShapedArray]:
    return [v.aval for v in body.outvars]


def _jvp(primals: list[Any], tangents: list[Any], cond: Any, body: Any, cond_consts: int,
         body_consts: int) -> tuple[list[Any], list[Any]]:
    kc, kb, carry = _split(primals, cond_consts, body_consts)
    _, tb, tcarry = _split(tangents, cond_consts, body_consts)
    moving_k = [k for k, t in enumerate(tb) if t is not None]
    floats = [k for k, c in enumerate(carry) if is_float(c)]
    tk = [tb[k] for k in moving_k]
    tc = [instantiate(tcarry[k], carry[k]) for k in floats]
    nb, nc = len(kb), len(carry)

    def body_jvp(*xs: Any) -> list[Any]:
        consts, const_ts, c, c_ts = xs[:nb], xs[nb:nb + len(tk)], xs[nb + len(tk):][:nc], (
            xs[nb + len(tk) + nc:])
        t_in: list[Any] = [None] * (nb + nc)
        for k, t in zip(moving_k, const_ts):
            t_in[k] = t
        for k, t in zip(floats, c_ts):
            t_in[nb + k] = t
        outs, out_ts = subprograms.jvp_flat(lambda *a: run_program(body, a), [*consts, *c], t_in)
        return outs + [instantiate(out_ts[k], outs[k]) for k in floats]

    def cond_primal(*xs: Any) -> list[Any]:
        return run_program(cond, [*xs[:len(kc)], *xs[len(kc):][:nc]])

    new_body, extra_b = subprograms.trace_flat(body_jvp, [*kb, *tk, *carry, *tc], "while_loop")
    new_cond, extra_c = subprograms.trace_flat(cond_primal, [*kc, *carry, *tc], "while_loop")
    outs = bind(while_p, *extra_c, *kc, *extra_b, *kb, *tk, *carry, *tc, cond=new_cond,
                body=new_body, cond_consts=len(extra_c) + len(kc),
                body_consts=len(extra_b) + nb + len(tk))
    result_ts: list[Any] = [None] * nc
    for k, t in zip(floats, outs[nc:]):
        result_ts[k] = t
    return outs[:nc], result_ts


def _vjp(*args: Any, **params: Any) -> list[Any]:
    raise ValueError(_REVERSE_ERROR)


def _batch(values: list[Any], dims: list[int | None], cond: Any, body: Any, cond_consts: int,
           body_consts: int) -> tuple[list[Any], list[int]]:
    size = batch_size(values, dims)
    kc, kb, carry = _split(values, cond_consts, body_consts)
    dc, db, _ = _split(dims, cond_consts, body_consts)
    carry = [at_front(c, d, size) for c, d in  # every example its own carry
             zip(carry, dims[cond_consts + body_consts:])]
    nc = len(carry)

    def predicate(consts: Any, c: Any) -> Any:
        return subprograms.run_batched(cond, [*consts, *c], [*dc, *[0] * nc], size)[0]

    def new_cond(*xs: Any) -> list[Any]:
        return [any_(predicate(xs[:len(kc)], xs[len(kc):]))]

    def new_body(*xs: Any) -> list[Any]:
        consts_c, consts_b, c = xs[:len(kc)], xs[len(kc):len(kc) + len(kb)], xs[
            len(kc) + len(kb):]
        going = predicate(consts_c, c)  # examples already done keep their carry
        stepped = subprograms.run_batched(body, [*consts_b, *c], [*db, *[0] * nc], size)
        return [where(reshape(going, (size,) + (1,) * (n.ndim - 1)), n, o)
                for n, o in zip(stepped, c)]

    cond_prog, extra_c = subprograms.trace_flat(new_cond, [*kc, *carry], "while_loop")
    body_prog, extra_b = subprograms.trace_flat(new_body, [*kc, *kb, *carry], "while_loop")
    outs = bind(while_p, *extra_c, *kc, *extra_b, *kc, *kb, *carry, cond=cond_prog,
                body=body_prog, cond_consts=len(extra_c) + len(kc),
                body_consts=len(extra_b) + len(kc) + len(kb))
    return outs, [0] * nc


while_p.define_rules(impl=_impl, abstract_eval=_abstract_eval, jvp=_jvp, vjp=_vjp, batch=_batch)
