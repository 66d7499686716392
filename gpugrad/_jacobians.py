"""Jacobians and Hessians, composed from ``vjp`` and ``jvp`` over basis vectors.

Layout (api.md): for each output leaf of shape ``S_out`` and input leaf of shape ``S_in`` a
block of shape ``S_out + S_in``, nested as the output pytree of the input pytree; with a
tuple ``argnums`` the inner level is a tuple over those arguments. Results are assembled
with gpugrad operations, so these compose (``hessian = jacfwd(jacrev(f))``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gpugrad import tree_util
from gpugrad._args import partial_over, prepare_primals
from gpugrad.backend import namespace_of
from gpugrad.core.trace import raw_value
from gpugrad.primitives.elementwise import quiet_floating_point

__all__ = ["hessian", "jacfwd", "jacobian", "jacrev"]


def _basis(like: Any, k: int) -> Any:
    """The k-th standard basis array with the shape and dtype of ``like`` (a constant)."""
    raw = raw_value(like)
    e = namespace_of(raw).zeros(raw.size, raw.dtype)
    e[k] = 1
    return e.reshape(raw.shape)


def _arrays(tree: Any) -> Any:
    """``tree`` with Python numbers made arrays, so every leaf has a shape and dtype."""
    from gpugrad.numpy._creation import asarray

    return tree_util.tree_map(lambda x: x if hasattr(x, "shape") else asarray(x), tree)


def _block(columns: list[Any], out_shape: tuple[int, ...], in_shape: tuple[int, ...],
           rows_first: bool, like: Any) -> Any:
    """Assemble one Jacobian block of shape ``out_shape + in_shape`` from its slices."""
    import gpugrad.numpy as gnp

    if not columns:
        raw = raw_value(like)
        return namespace_of(raw).zeros(out_shape + in_shape, raw.dtype)
    if len(columns) == 1:  # one output (or input) element: nothing to stack
        return gnp.reshape(columns[0], out_shape + in_shape)
    if rows_first:  # reverse mode: one slice per output element, each of in_shape
        return gnp.reshape(gnp.stack(columns), out_shape + in_shape)
    # forward mode: one slice per input element, each of out_shape
    return gnp.reshape(gnp.stack(columns, axis=-1), out_shape + in_shape)


def jacrev(fun: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``fun`` by reverse mode: one VJP per output element.

    Example:
        >>> import gpugrad, gpugrad.numpy as gnp
        >>> gpugrad.jacrev(lambda x: x ** 2)(gnp.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]], dtype=float32)
    """
    from gpugrad.api import Recorded, check_complex_inputs, check_complex_output

    @functools.wraps(fun)
    def jacfun(*args: Any, **kwargs: Any) -> Any:
        f, dyn, single = partial_over(fun, args, kwargs, argnums, "jacrev", allow_int)
        dyn = _arrays(dyn)
        if holomorphic:
            check_complex_inputs(dyn, "jacrev")
        with quiet_floating_point():
            rec = Recorded(f, dyn, has_aux, "jacrev")
            out_leaves = rec.values
            out_tree = rec.out_tree if rec.out_tree is not None else tree_util.tree_structure(
                rec.out)
            for o in out_leaves:  # JAX's rule: complex outputs exactly when holomorphic
                if holomorphic or o.dtype.kind == "c":
                    check_complex_output(o, "jacrev", holomorphic)
            in_leaves, in_tree = tree_util.tree_flatten(dyn)
            blocks: list[Any] = []
            for j, o in enumerate(out_leaves):
                rows: list[list[Any]] = [[] for _ in in_leaves]
                for k in range(int(raw_value(o).size)):
                    # One output's basis cotangent; the other outputs' are zero, left out
                    # of the backward pass altogether.
                    ct = [_basis(o, k) if i == j else None for i in range(len(out_leaves))]
                    for i, c in enumerate(rec.pull(ct, release=False, flat=True)):
                        rows[i].append(c)
                per_input = [
                    _block(rows[i], tuple(o.shape), tuple(x.shape), True, x)
                    for i, x in enumerate(in_leaves)
                ]
                tree = tree_util.tree_unflatten(in_tree, per_input)
                blocks.append(tree[0] if single else tree)
        jac = tree_util.tree_unflatten(out_tree, blocks)
        return (jac, rec.aux) if has_aux else jac

    return jacfun


jacobian = jacrev


def jacfwd(fun: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``fun`` by forward mode: one JVP per input element.

    Example:
        >>> import gpugrad, gpugrad.numpy as gnp
        >>> gpugrad.jacfwd(gnp.sin)(gnp.array([0.0, 0.0]))
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    from gpugrad.api import check_complex_inputs, check_complex_output, push_forward

    @functools.wraps(fun)
    def jacfun(*args: Any, **kwargs: Any) -> Any:
        f, dyn, single = partial_over(fun, args, kwargs, argnums, "jacfwd", False)
        dyn = _arrays(dyn)
        in_leaves, in_tree, constant = prepare_primals(dyn, "jacfwd")
        if in_tree is None:  # flat: every argument an array
            in_tree = tree_util.tree_structure(tuple(in_leaves))
        if holomorphic:
            check_complex_inputs(dyn, "jacfwd")
        else:
            _check_real_inputs(in_leaves)
        columns: list[list[list[Any]]] = []  # [input leaf][output leaf] -> slices
        out_leaves: list[Any] | None = None
        aux: Any = None
        out_tree: Any = None
        for i, x in enumerate(in_leaves):
            per_out: list[list[Any]] = []
            for k in range(int(raw_value(x).size)):
                # One input's basis tangent; the other inputs are constants (zero tangents).
                t = [_basis(x, k) if m == i else None for m in range(len(in_leaves))]
                out_leaves, t_leaves, out_tree, aux = push_forward(f, in_leaves, in_tree, constant,
                                                            t, has_aux, "jacfwd")
                if not per_out:
                    per_out = [[] for _ in t_leaves]
                for j, tl in enumerate(t_leaves):
                    per_out[j].append(tl)
            columns.append(per_out)
        if out_leaves is None:  # every input empty: evaluate once for shapes
            out_leaves, _, out_tree, aux = push_forward(f, in_leaves, in_tree, constant,
                                                 [None] * len(in_leaves), has_aux, "jacfwd")
        if holomorphic:
            for o in out_leaves:
                check_complex_output(o, "jacfwd", True)
        blocks = []
        for j, o in enumerate(out_leaves):
            per_input = [
                _block(columns[i][j] if columns[i] else [], tuple(o.shape), tuple(x.shape),
                       False, o)
                for i, x in enumerate(in_leaves)
            ]
            tree = tree_util.tree_unflatten(in_tree, per_input)
            blocks.append(tree[0] if single else tree)
        jac = blocks[0] if out_tree is None else tree_util.tree_unflatten(out_tree, blocks)
        return (jac, aux) if has_aux else jac

    return jacfun


def _check_real_inputs(leaves: list[Any]) -> None:
    """JAX's rule for jacfwd: complex inputs only with ``holomorphic=True``."""
    for position, x in enumerate(leaves):
        if x.dtype.kind == "c":
            raise TypeError(
                f"jacfwd requires real-valued inputs, but input leaf {position} has dtype "
                f"{x.dtype}. For a holomorphic function pass holomorphic=True; to "
                "differentiate a non-holomorphic function of complex inputs use gpugrad.jvp "
                "(or jacrev)"
            )


def hessian(fun: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[..., Any]:
    """The Hessian, ``jacfwd(jacrev(fun))``.

    Example:
        >>> import gpugrad, gpugrad.numpy as gnp
        >>> gpugrad.hessian(lambda x: gnp.sum(x ** 3))(gnp.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)
