"""``scan`` and ``map``: a loop over the leading axis of arrays, carrying a value along.

``scan(f, init, xs)`` is the primitive ``scan`` over the body's constants, the carry and the
arrays scanned. Forward mode scans the body's JVP. Reverse mode runs the loop once more,
saving the carry that entered each step, then scans backwards over the saved carries with
the body's VJP (each step recomputes its own forward values), accumulating the constants'
cotangents in the backward carry: memory proportional to the carries, not to everything the
body computes. Under ``vmap`` the body is batched and every carry made per example.

Example:
    >>> lax.scan(lambda c, x: (c + x, c * x), np.array(0.0), np.array([1.0, 2.0, 3.0]))
    (array(6.), array([0., 2., 9.]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gpugrad import tree_util
from gpugrad.compiler import subprograms
from gpugrad.compiler.subprograms import avals_of, instantiate, is_float, run_program, xp_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.trace import Primitive, bind
from gpugrad.numpy import asarray, stack, zeros
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.structural import batch_size, move_axis

__all__ = ["carry_types_error", "map", "scan", "scan_p"]

scan_p = Primitive("scan", multiple_results=True)


def carry_types_error(what: str, name: str, in_tree: Any, out_tree: Any,
                      in_avals: list[ShapedArray], out_avals: list[ShapedArray]) -> None:
    """JAX's errors for a loop body whose carry output differs from its carry input."""
    if in_tree != out_tree:
        raise TypeError(
            f"{what} carry input and carry output must have the same pytree structure, but "
            f"they differ:\n\nThe input carry {name} is {in_tree} but the carry output is "
            f"{out_tree}.\n\nRevise the function so that the carry output has the same pytree "
            "structure as the carry input.")
    for a, b in zip(in_avals, out_avals):
        if a.shape != b.shape or (a.dtype != b.dtype and not a.weak_type):
            kind = "shapes" if a.shape != b.shape else "dtypes"
            raise TypeError(
                f"{what} carry input and carry output must have equal types, but they differ:"
                f"\n\nThe input carry {name} has type {a.type_text()} but the corresponding "
                f"output carry component has type {b.type_text()}, so the {kind} do not match."
                "\n\nRevise "
                "the function so that all output types match the corresponding input types.")


def scan(f: Callable[[Any, Any], Any], init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1) -> tuple[Any, Any]:
    """``carry = init; for x in xs: carry, y = f(carry, x)``, returning the final carry and
    the ``y``s stacked; ``reverse`` scans from the end (the ``y``s keep ``xs``'s order).
    ``unroll`` is accepted for compatibility (the loop is not unrolled).

    Example:
        >>> lax.scan(lambda c, x: (c * x, c), np.array(1.0), np.array([2.0, 3.0]), reverse=True)
        (array(6.), array([3., 1.]))
    """
    x_leaves, x_tree = tree_util.tree_flatten(xs)
    x_leaves = [asarray(x) for x in x_leaves]
    sizes = [int(x.shape[0]) if x.ndim else None for x in x_leaves]
    if any(s is None for s in sizes):
        raise ValueError("scan got a value with no leading axis to scan over (a scalar)")
    if len(set(sizes)) > 1:
        raise ValueError(f"scan got values with different leading axis sizes: "
                         f"{', '.join(str(s) for s in sizes)}.")
    if length is not None and sizes and int(length) != sizes[0]:
        raise ValueError(f"scan got `length` argument of {length} which disagrees with leading "
                         f"axis sizes {sizes}.")
    if length is None and not sizes:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    n = int(length) if length is not None else sizes[0]  # type: ignore[assignment]
    c_leaves, c_tree = tree_util.tree_flatten(init)
    carry_avals = avals_of(c_leaves)  # a Python number's is weak: it may widen, as in JAX
    c_leaves = [asarray(c) for c in c_leaves]
    xp = xp_of([*c_leaves, *x_leaves])
    slice_avals = [ShapedArray(x.shape[1:], x.dtype) for x in x_leaves]
    in_tree = tree_util.tree_structure((init, xs))
    out_trees: list[Any] = []

    def body(c: Any, x: Any) -> list[Any]:
        out = f(c, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError("scan body output must be a pair (carry, y), got "
                            f"{type(out).__name__}")
        new_c, y = out
        c_out_leaves, c_out_tree = tree_util.tree_flatten(new_c)
        y_leaves, y_tree = tree_util.tree_flatten(y)
        out_trees.append((c_out_tree, y_tree))
        return [*c_out_leaves, *y_leaves]

    def traced(carry_avals: list[ShapedArray]) -> tuple[Any, list[Any]]:
        out_trees.clear()
        program, consts, _ = subprograms.trace_function(
            lambda c, x: body(c, x), in_tree, [*carry_avals, *slice_avals], xp, "scan body")
        return program, consts

    program, consts = traced(carry_avals)
    out_avals = [v.aval for v in program.outvars][:len(c_leaves)]
    carry_types_error("scan body function", "c", c_tree, out_trees[0][0], carry_avals, out_avals)
    if any(a.dtype != b.dtype for a, b in zip(carry_avals, out_avals)):  # weak numbers widen
        c_leaves = [c.astype(b.dtype) for c, b in zip(c_leaves, out_avals)]
        program, consts = traced(avals_of(c_leaves))
    y_tree = out_trees[0][1]
    outs = bind(scan_p, *consts, *c_leaves, *x_leaves, body=program, consts=len(consts),
                carry=len(c_leaves), length=n, reverse=bool(reverse))
    k = len(c_leaves)
    return (tree_util.tree_unflatten(c_tree, outs[:k]),
            tree_util.tree_unflatten(y_tree, outs[k:]))


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # JAX's name
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked: a
    ``scan`` with no carry.

    Example:
        >>> lax.map(lambda x: x.sum(), np.arange(6.0).reshape(3, 2))
        array([1., 5., 9.])
    """
    return scan(lambda _, x: ((), f(x)), (), xs)[1]


# --- the primitive's rules --------------------------------------------------------------

def _impl(*args: Any, body: Any, consts: int, carry: int, length: int, reverse: bool
          ) -> list[Any]:
    k, c, xs = list(args[:consts]), list(args[consts:consts + carry]), args[consts + carry:]
    ys = []
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        outs = run_program(body, [*k, *c, *[x[i] for x in xs]])
        c, y = outs[:carry], outs[carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    y_avals = [v.aval for v in body.outvars][carry:]
    stacked = [stack([y[j] for y in ys]) if ys else zeros((0, *a.shape), a.dtype)
               for j, a in enumerate(y_avals)]
    return [*c, *stacked]


def _abstract_eval(*avals: ShapedArray, body: Any, consts: int, carry: int, length: int,
                   reverse: bool) -> list[ShapedArray]:
    outs = [v.aval for v in body.outvars]
    return outs[:carry] + [ShapedArray((length, *a.shape), a.dtype) for a in outs[carry:]]


def _groups(values: Sequence[Any], *likes: Sequence[Any]) -> list[list[Any]]:
    """``values`` cut into consecutive groups, one as long as each of ``likes``."""
    it = iter(values)
    return [[next(it) for _ in like] for like in likes]


def _retrace(fun: Callable[..., list[Any]], values: list[Any], scanned: int
             ) -> tuple[Any, list[Any]]:
    """``fun`` traced as a body (the last ``scanned`` values are scanned, so sliced), and the
    constants it read, which go first among the new body's constants."""
    avals = avals_of(values)
    cut = len(avals) - scanned
    avals = avals[:cut] + [ShapedArray(a.shape[1:], a.dtype) for a in avals[cut:]]
    return subprograms.trace_flat(fun, values, "scan", avals)


def _jvp(primals: list[Any], tangents: list[Any], body: Any, consts: int, carry: int,
         length: int, reverse: bool) -> tuple[list[Any], list[Any]]:
    nk, nc = consts, carry
    k, c, xs = primals[:nk], primals[nk:nk + nc], primals[nk + nc:]
    tk_all, tc_all, tx_all = tangents[:nk], tangents[nk:nk + nc], tangents[nk + nc:]
    mk = [j for j, t in enumerate(tk_all) if t is not None]
    mx = [j for j, t in enumerate(tx_all) if t is not None]
    fc = [j for j, v in enumerate(c) if is_float(v)]
    y_avals = [v.aval for v in body.outvars][nc:]
    fy = [j for j, a in enumerate(y_avals) if is_float(a)]
    tk, tc, tx = [tk_all[j] for j in mk], [instantiate(tc_all[j], c[j]) for j in fc], [
        tx_all[j] for j in mx]

    def body_jvp(*v: Any) -> list[Any]:
        kk, kt, cc, ct, xx, xt = _groups(v, k, tk, c, tc, xs, tx)
        t_in: list[Any] = [None] * (nk + nc + len(xs))
        for j, t in zip(mk, kt):
            t_in[j] = t
        for j, t in zip(fc, ct):
            t_in[nk + j] = t
        for j, t in zip(mx, xt):
            t_in[nk + nc + j] = t
        outs, out_ts = subprograms.jvp_flat(lambda *a: run_program(body, a), [*kk, *cc, *xx], t_in)
        return [*outs[:nc], *[instantiate(out_ts[j], outs[j]) for j in fc], *outs[nc:],
                *[instantiate(out_ts[nc + j], outs[nc + j]) for j in fy]]

    new, extra = _retrace(body_jvp, [*k, *tk, *c, *tc, *xs, *tx], len(xs) + len(tx))
    outs = bind(scan_p, *extra, *k, *tk, *c, *tc, *xs, *tx, body=new,
                consts=len(extra) + nk + len(tk),
                carry=nc + len(tc), length=length, reverse=reverse)
    it = iter(outs)
    c_out = [next(it) for _ in c]
    c_t = dict(zip(fc, [next(it) for _ in fc]))
    y_out = [next(it) for _ in y_avals]
    y_t = dict(zip(fy, [next(it) for _ in fy]))
    return [*c_out, *y_out], [c_t.get(j) for j in range(nc)] + [y_t.get(j) for j in
                                                                 range(len(y_avals))]


def _vjp(cts: list[Any], primals: list[Any], out: list[Any], wanted: list[bool], body: Any,
         consts: int, carry: int, length: int, reverse: bool) -> list[Any]:
    nk, nc = consts, carry
    k, c, xs = primals[:nk], primals[nk:nk + nc], primals[nk + nc:]
    wk = [j for j in range(nk) if wanted[j] and is_float(k[j])]
    fc = [j for j in range(nc) if is_float(c[j])]
    wx = [j for j in range(len(xs)) if wanted[nk + nc + j] and is_float(xs[j])]
    y_avals = [v.aval for v in body.outvars][nc:]
    fy = [j for j, a in enumerate(y_avals) if is_float(a)]

    # The carry entering each step, saved by running the loop once more.
    def saving(*v: Any) -> list[Any]:
        new = run_program(body, list(v))
        return [*new[:nc], *v[nk:nk + nc]]

    saver, extra = _retrace(saving, [*k, *c, *xs], len(xs))
    saved = bind(scan_p, *extra, *k, *c, *xs, body=saver, consts=len(extra) + nk, carry=nc,
                 length=length, reverse=reverse)[nc:]
    ct_c = [instantiate(cts[j], out[j]) for j in fc]
    ct_y = [instantiate(cts[nc + j], out[nc + j]) for j in fy]
    acc = [zeros(k[j].shape, k[j].dtype) for j in wk]

    def backward(*v: Any) -> list[Any]:
        kk, cc_ct, kk_acc, xx, c_in, y_ct = _groups(v, k, fc, wk, xs, c, fy)
        out_cts: list[Any] = [None] * (nc + len(y_avals))
        for j, g in zip(fc, cc_ct):
            out_cts[j] = g
        for j, g in zip(fy, y_ct):
            out_cts[nc + j] = g
        wants = ([j in wk for j in range(nk)] + [j in fc for j in range(nc)]
                 + [j in wx for j in range(len(xs))])
        ins = [*kk, *c_in, *xx]
        got = subprograms.vjp_flat(lambda *a: run_program(body, a), ins, wants, out_cts)
        return [*[instantiate(got[nk + j], c_in[j]) for j in fc],
                *[a + instantiate(got[j], kk[j]) for a, j in zip(kk_acc, wk)],
                *[instantiate(got[nk + nc + j], xx[j]) for j in wx]]

    new, extra = _retrace(backward, [*k, *ct_c, *acc, *xs, *saved, *ct_y],
                          len(xs) + len(saved) + len(ct_y))
    outs = bind(scan_p, *extra, *k, *ct_c, *acc, *xs, *saved, *ct_y, body=new,
                consts=len(extra) + nk,
                carry=len(fc) + len(wk), length=length, reverse=not reverse)
    it = iter(outs)
    g_c = dict(zip(fc, [next(it) for _ in fc]))
    g_k = dict(zip(wk, [next(it) for _ in wk]))
    g_x = dict(zip(wx, [next(it) for _ in wx]))
    return ([g_k.get(j) for j in range(nk)] + [g_c.get(j) if wanted[nk + j] else None
                                                for j in range(nc)]
            + [g_x.get(j) for j in range(len(xs))])


def _batch(values: list[Any], dims: list[int | None], body: Any, consts: int, carry: int,
           length: int, reverse: bool) -> tuple[list[Any], list[int]]:
    size = batch_size(values, dims)
    nk, nc = consts, carry
    k, dk = values[:nk], dims[:nk]
    c = [at_front(v, d, size) for v, d in zip(values[nk:nk + nc], dims[nk:nk + nc])]
    xs = [v if d is None else move_axis(v, d, 1) for v, d in
          zip(values[nk + nc:], dims[nk + nc:])]
    dx = [None if d is None else 0 for d in dims[nk + nc:]]

    def batched(*v: Any) -> list[Any]:
        return subprograms.run_batched(body, v, [*dk, *[0] * nc, *dx], size)

    new, extra = _retrace(batched, [*k, *c, *xs], len(xs))
    outs = bind(scan_p, *extra, *k, *c, *xs, body=new, consts=len(extra) + nk, carry=nc,
                length=length, reverse=reverse)
    return outs, [0] * nc + [1] * (len(outs) - nc)


scan_p.define_rules(impl=_impl, abstract_eval=_abstract_eval, jvp=_jvp, vjp=_vjp, batch=_batch)
