"""The transformations: ``vjp`` and ``jvp`` are the cores; everything else is composed.

``grad`` is ``value_and_grad`` without the value, ``value_and_grad`` is one ``vjp`` with a
unit cotangent, ``jacrev``/``jacfwd`` apply ``vjp``/``jvp`` to every basis vector in one
``vmap``-batched pass, and
``hessian`` is ``jacfwd(jacrev(f))``. Argument handling (``argnums``, pytrees, input checks)
lives in ``_args.py``, the recorded backward pass and the forward pass in ``_passes.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from gpugrad import tree_util
from gpugrad._args import check_ct, check_tangent, partial_over, prepare_primals
from gpugrad._jacobians import hessian, jacfwd, jacobian, jacrev
from gpugrad._passes import Recorded, check_complex_inputs, check_complex_output, push_forward
from gpugrad.core.trace import strip_derivatives
from gpugrad.naming import P
from gpugrad.numpy import ones_like, zeros_like
from gpugrad.primitives.elementwise_eval import quiet_floating_point

__all__ = ["grad", "hessian", "jacfwd", "jacobian", "jacrev", "jvp", "linearize",
           "stop_gradient", "value_and_grad", "vjp"]

if TYPE_CHECKING:  # Python 3.11's; the annotations are not evaluated at run time
    from typing import TypeVarTuple, Unpack

    # The types of the primals, one per parameter: ``vjp(f, x, y)`` is checked against ``f``.
    Ts = TypeVarTuple("Ts")


def vjp(fun: Callable[[Unpack[Ts]], Any], *primals: Unpack[Ts], has_aux: bool = False) -> Any:
    """``(primals_out, vjp_fn)`` (and ``aux``): ``vjp_fn(ct)`` gives one cotangent per primal.

    ``vjp_fn`` can be called many times and is itself differentiable.

    Example:
        >>> y, f_vjp = gpugrad.vjp(gnp.sin, gnp.array(0.0))
        >>> f_vjp(gnp.array(2.0))
        (array(2., dtype=float32),)
    """
    with quiet_floating_point():
        rec = Recorded(fun, primals, has_aux, "vjp")

    def vjp_fn(ct: Any) -> tuple[Any, ...]:
        value = rec.values[0]
        if (rec.out_tree is None and type(ct) is type(value) and ct.shape == value.shape
                and ct.dtype == value.dtype):
            ct_leaves = [ct]  # one array for one array: nothing to flatten or convert
        else:
            tree = rec.out_tree if rec.out_tree is not None else tree_util.tree_structure(
                value)
            ct_leaves = check_ct(ct, tree, rec.values)
        with quiet_floating_point():
            return rec.pull(ct_leaves, release=False)

    return (rec.out, vjp_fn, rec.aux) if has_aux else (rec.out, vjp_fn)


def value_and_grad(fun: Callable[P, Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False, holomorphic: bool = False, allow_int: bool = False
                   ) -> Callable[P, tuple[Any, Any]]:
    """A function giving ``(fun(*args), gradient)``; with ``has_aux``, ``((value, aux), grad)``.

    Example:
        >>> gpugrad.value_and_grad(lambda x: x ** 2)(3.0)
        (array(9., dtype=float32), array(6., dtype=float32))
    """

    @functools.wraps(fun)
    def value_and_grad_fn(*args: Any, **kwargs: Any) -> Any:
        f, dyn, single = partial_over(fun, args, kwargs, argnums, "grad", allow_int)
        if holomorphic:
            check_complex_inputs(dyn, "grad")
        with quiet_floating_point():  # entered once for both passes
            rec = Recorded(f, dyn, has_aux, "grad")
            out = rec.out
            _check_scalar_output(out, holomorphic)
            seed = np.array(1, out.dtype) if type(out) is np.ndarray else ones_like(out)
            grads = rec.pull([seed], release=True)
        grads = grads[0] if single else grads
        return ((out, rec.aux), grads) if has_aux else (out, grads)

    return value_and_grad_fn


def _check_scalar_output(out: Any, holomorphic: bool = False) -> None:
    shape = getattr(out, "shape", None)
    if shape != ():
        raise TypeError(
            f"grad requires a scalar output (a 0-d array or a Python float), but the function "
            f"returned {_describe(out)}. To differentiate a non-scalar output use "
            "gpugrad.jacrev, or gpugrad.vjp with a cotangent of the output's shape; to get "
            "the gradient of its sum, return .sum()"
        )
    if holomorphic or out.dtype.kind == "c":
        check_complex_output(out, "grad", holomorphic)
    elif out.dtype.kind != "f":
        raise TypeError(
            f"grad requires a real floating-point output, but the function returned dtype "
            f"{out.dtype}" + ("; for complex outputs use jacrev or vjp" if out.dtype.kind == "c"
                              else "; make the computation floating-point (e.g. .astype(float))")
        )


def _describe(out: Any) -> str:
    if hasattr(out, "shape"):
        return f"an array of shape {tuple(out.shape)}"
    return f"a {type(out).__name__}"


def grad(fun: Callable[P, Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False) -> Callable[P, Any]:
    """A function giving the gradient of scalar-valued ``fun`` at ``args[argnums]``.

    Example:
        >>> gpugrad.grad(gnp.tanh)(2.0)
        array(0.07065082, dtype=float32)
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_fn(*args: Any, **kwargs: Any) -> Any:
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    return grad_fn


def jvp(fun: Callable[[Unpack[Ts]], Any], primals: tuple[Unpack[Ts]] | list[Any], tangents: Any,
        has_aux: bool = False) -> Any:
    """``(primals_out, tangents_out)`` (and ``aux``): ``fun`` and its directional derivative.

    Example:
        >>> gpugrad.jvp(gnp.sin, (gnp.array(0.0),), (gnp.array(3.0),))
        (array(0., dtype=float32), array(3., dtype=float32))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp expects primals and tangents as tuples (or lists) of arguments, "
                        f"got {type(primals).__name__} and {type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp got {len(primals)} primals but {len(tangents)} tangents")
    leaves, in_tree, constant = prepare_primals(tuple(primals), "jvp")
    if in_tree is None and all(type(t) is type(p) and t.shape == p.shape and t.dtype == p.dtype
                               for t, p in zip(tangents, leaves)):
        t_leaves = list(tangents)  # arrays matching arrays: nothing to flatten or convert
    else:
        if in_tree is None:  # flat: every primal an array
            in_tree = tree_util.tree_structure(tuple(leaves))
        t_leaves = check_tangent(tuple(tangents), in_tree, leaves)
    values, out_tangents, out_tree, aux = push_forward(fun, leaves, in_tree, constant, t_leaves,
                                                has_aux, "jvp")
    if out_tree is None:
        result = (values[0], out_tangents[0])
    else:
        result = (tree_util.tree_unflatten(out_tree, values),
                  tree_util.tree_unflatten(out_tree, out_tangents))
    return result + (aux,) if has_aux else result


def linearize(fun: Callable[[Unpack[Ts]], Any], *primals: Unpack[Ts]
              ) -> tuple[Any, Callable[[Unpack[Ts]], Any]]:
    """``(fun(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is the JVP at ``primals``.

    Example:
        >>> y, f_jvp = gpugrad.linearize(gnp.exp, gnp.array(0.0))
        >>> f_jvp(gnp.array(2.0))
        array(2., dtype=float32)
    """
    out = jvp(fun, primals, tree_util.tree_map(zeros_like, primals))[0]

    def jvp_fn(*tangents: Unpack[Ts]) -> Any:
        return jvp(fun, primals, tangents)[1]

    return out, jvp_fn


def stop_gradient(x: Any) -> Any:
    """``x`` (a pytree) with a zero derivative under every transformation.

    A traced value comes back as its concrete array (no transformation sees it any more),
    so it can also be handed to NumPy or printed.

    Example:
        >>> gpugrad.grad(lambda x: x * gpugrad.stop_gradient(x))(3.0)
        array(3., dtype=float32)
    """
    return tree_util.tree_map(strip_derivatives, x)

