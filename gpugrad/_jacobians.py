"""Jacobians and Hessians: ``vjp`` and ``jvp`` over every basis vector at once, by ``vmap``.

The basis is an identity matrix reshaped to each leaf's shape, and ``vmap`` pushes all of its
rows through one backward (``jacrev``) or forward (``jacfwd``) pass: the rules batch, so an
``n``-element Jacobian costs one pass over arrays ``n`` times as large, not ``n`` passes.

Layout (api.md): for each output leaf of shape ``S_out`` and input leaf of shape ``S_in`` a
block of shape ``S_out + S_in``, nested as the output pytree of the input pytree; with a
tuple ``argnums`` the inner level is a tuple over those arguments. Results are assembled
with gpugrad operations, so these compose (``hessian = jacfwd(jacrev(f))``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad._args import partial_over, prepare_primals
from gpugrad._passes import Recorded, check_complex_inputs, check_complex_output, push_forward
from gpugrad._vmap import map_rows
from gpugrad.core.concrete import array_namespace
from gpugrad.naming import P
from gpugrad.numpy import asarray
from gpugrad.primitives.elementwise_eval import quiet_floating_point

__all__ = ["hessian", "jacfwd", "jacobian", "jacrev"]


def _size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _basis(like: Any) -> Any:
    """Every standard basis array of ``like``'s shape and dtype at once, along a new axis 0:
    the identity, reshaped, on ``like``'s backend. Reads only metadata, so ``like`` may be a
    tracer (under ``vmap(jacrev(f))`` the output of ``f`` is batched)."""
    shape = tuple(like.shape)
    n = _size(shape)
    return array_namespace(like).eye(n, dtype=like.dtype).reshape((n, *shape))


def _arrays(tree: Any) -> Any:
    """``tree`` with Python numbers made arrays, so every leaf has a shape and dtype."""
    return tree_util.tree_map(lambda x: x if hasattr(x, "shape") else asarray(x), tree)


def _reshaped(x: Any, shape: tuple[int, ...]) -> Any:
    return x if tuple(x.shape) == shape else gnp.reshape(x, shape)


def _zeros(shape: tuple[int, ...], like: Any) -> Any:
    """A block with no entries to compute (an empty input or output), on ``like``'s
    backend."""
    return array_namespace(like).zeros(shape, like.dtype)


def _over_arrays(fun: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 argnums: int | tuple[int, ...], name: str, allow_int: bool
                 ) -> tuple[Callable[..., Any], Any, bool]:
    """``partial_over``'s function of the differentiated arguments, those arguments as
    arrays, and whether ``argnums`` was a single int."""
    f, dyn, single = partial_over(fun, args, kwargs, argnums, name, allow_int)
    return f, _arrays(dyn), single


def _assemble(blocks: list[list[Any]], in_tree: Any, out_tree: Any, single: bool) -> Any:
    """The Jacobian from each output leaf's blocks (one per input leaf): shaped as the inputs
    within each output, as the outputs outside (one output: no tree around it)."""
    per_output = []
    for per_input in blocks:
        tree = tree_util.tree_unflatten(in_tree, per_input)
        per_output.append(tree[0] if single else tree)
    return per_output[0] if out_tree is None else tree_util.tree_unflatten(out_tree, per_output)


def jacrev(fun: Callable[P, Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable[P, Any]:
    """The Jacobian of ``fun`` by reverse mode: the VJPs of every output element, batched.

    Example:
        >>> gpugrad.jacrev(lambda x: x ** 2)(gnp.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]], dtype=float32)
    """
    @functools.wraps(fun)
    def jacfun(*args: Any, **kwargs: Any) -> Any:
        f, dyn, single = _over_arrays(fun, args, kwargs, argnums, "jacrev", allow_int)
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
            jac = _assemble([_rows(rec, j, o, in_leaves) for j, o in enumerate(out_leaves)],
                            in_tree, out_tree, single)
        return (jac, rec.aux) if has_aux else jac

    return jacfun


def _rows(rec: Any, j: int, o: Any, in_leaves: list[Any]) -> list[Any]:
    """Output leaf ``j``'s block for each input leaf: the pullback of all of ``o``'s basis
    cotangents in one backward pass, batched by ``vmap``. The other outputs' cotangents are
    zero and left out of the backward pass altogether."""

    out_shape = tuple(o.shape)
    if _size(out_shape) == 0:
        return [_zeros(out_shape + tuple(x.shape), x) for x in in_leaves]
    others = [None] * len(rec.values)

    def pull(ct: Any) -> Any:
        cts = list(others)
        cts[j] = ct
        return rec.pull(cts, release=False, flat=True)

    # One cotangent per output element along axis 0: row k is the gradient of element k.
    rows = map_rows(pull, _basis(o))
    return [_reshaped(r, out_shape + tuple(x.shape)) for r, x in zip(rows, in_leaves)]


jacobian = jacrev


def jacfwd(fun: Callable[P, Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable[P, Any]:
    """The Jacobian of ``fun`` by forward mode: the JVPs of every input element, batched.

    Example:
        >>> gpugrad.jacfwd(gnp.sin)(gnp.array([0.0, 0.0]))
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    @functools.wraps(fun)
    def jacfun(*args: Any, **kwargs: Any) -> Any:
        f, dyn, single = _over_arrays(fun, args, kwargs, argnums, "jacfwd", False)
        in_leaves, in_tree, constant = prepare_primals(dyn, "jacfwd")
        if in_tree is None:  # flat: every argument an array
            in_tree = tree_util.tree_structure(tuple(in_leaves))
        if holomorphic:
            check_complex_inputs(dyn, "jacfwd")
        else:
            _check_real_inputs(in_leaves)
        pushed = [_columns(f, in_leaves, in_tree, constant, i, has_aux)
                  for i in range(len(in_leaves))]
        found = next((p for p in pushed if p is not None), None)
        if found is None:  # every input empty: evaluate once for the outputs' shapes
            out_leaves, _, out_tree, aux = push_forward(f, in_leaves, in_tree, constant,
                                                        [None] * len(in_leaves), has_aux,
                                                        "jacfwd")
        else:
            out_leaves, _, out_tree, aux = found
        if holomorphic:
            for o in out_leaves:
                check_complex_output(o, "jacfwd", True)
        jac = _assemble([[_zeros(tuple(o.shape) + tuple(x.shape), o) if p is None else p[1][j]
                          for p, x in zip(pushed, in_leaves)]
                         for j, o in enumerate(out_leaves)], in_tree, out_tree, single)
        return (jac, aux) if has_aux else jac

    return jacfun


def _columns(f: Callable[..., Any], in_leaves: list[Any], in_tree: Any, constant: list[bool],
             i: int, has_aux: bool) -> tuple[list[Any], list[Any], Any, Any] | None:
    """Input leaf ``i``'s columns of every output's block: the pushforward of all of its basis
    tangents in one forward pass, batched by ``vmap`` (the other inputs are constants, zero
    tangents). ``(output values, blocks, output tree, aux)``, or None for an empty input."""
    in_shape = tuple(in_leaves[i].shape)
    if _size(in_shape) == 0:
        return None
    primal: list[Any] = []

    def push(t: Any) -> list[Any]:
        tangents = [t if m == i else None for m in range(len(in_leaves))]
        values, t_leaves, out_tree, aux = push_forward(f, in_leaves, in_tree, constant,
                                                       tangents, has_aux, "jacfwd")
        # The outputs and aux are the same for every basis tangent (not batched): kept
        # from the one run rather than returned through vmap, which would broadcast them.
        primal[:] = [values, out_tree, aux]
        return t_leaves

    # One tangent per input element along axis 0, whose image is put last: column k.
    columns = map_rows(push, _basis(in_leaves[i]), out_axis=-1)
    values, out_tree, aux = primal
    blocks = [_reshaped(c, tuple(o.shape) + in_shape) for c, o in zip(columns, values)]
    return values, blocks, out_tree, aux


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


def hessian(fun: Callable[P, Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[P, Any]:
    """The Hessian, ``jacfwd(jacrev(fun))``.

    Example:
        >>> gpugrad.hessian(lambda x: gnp.sum(x ** 3))(gnp.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)
