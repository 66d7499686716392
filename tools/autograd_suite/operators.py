"""autograd's differential operators (``grad``, ``make_vjp``, ``jacobian``, ...) written on
gpugrad's ``grad``, ``vjp``, ``jvp`` and ``jacrev``.

autograd's operators act on one argument, ``argnum`` (an int or a tuple of ints), of a
function of many: ``unary_to_nary`` turns an operator on a unary function into one with
autograd's signature ``op(fun, argnum=0, ...)(*args, **kwargs)``.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import gpugrad
import gpugrad.numpy as gnp

# --- autograd.wrap_util -------------------------------------------------------------------


def unary_to_nary(unary_operator: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ``op(fun, x, ...)`` into ``op(fun, argnum=0, ...)(*args, **kwargs)``, as autograd."""

    @functools.wraps(unary_operator)
    def nary_operator(fun: Callable[..., Any], argnum: Any = 0, *op_args: Any,
                      **op_kwargs: Any) -> Callable[..., Any]:
        many = not isinstance(argnum, int)

        def nary_f(*args: Any, **kwargs: Any) -> Any:
            def unary_f(x: Any) -> Any:
                subargs = list(args)
                for i, xi in zip(argnum, x) if many else [(argnum, x)]:
                    subargs[i] = xi
                return fun(*subargs, **kwargs)

            unary_f.__name__ = getattr(fun, "__name__", "f")
            x = tuple(args[i] for i in argnum) if many else args[argnum]
            return unary_operator(unary_f, x, *op_args, **op_kwargs)

        nary_f.__name__ = getattr(fun, "__name__", "f")
        nary_f.__doc__ = getattr(fun, "__doc__", None)
        return nary_f

    return nary_operator


# --- autograd's differential operators ----------------------------------------------------


def _ones_like(tree: Any) -> Any:
    return gpugrad.tree_util.tree_map(lambda v: gnp.ones_like(v), tree)


def _zeros_like(tree: Any) -> Any:
    return gpugrad.tree_util.tree_map(lambda v: gnp.zeros_like(v), tree)


def unary_make_vjp(fun: Callable[..., Any], x: Any) -> tuple[Callable[..., Any], Any]:
    out, pull = gpugrad.vjp(fun, x)
    return (lambda ct: pull(ct)[0]), out


def unary_make_jvp(fun: Callable[..., Any], x: Any) -> Callable[..., Any]:
    return lambda v: gpugrad.jvp(fun, (x,), (v,))


make_vjp = unary_to_nary(unary_make_vjp)
make_jvp = unary_to_nary(unary_make_jvp)


@unary_to_nary
def grad(fun: Callable[..., Any], x: Any) -> Any:
    # autograd's grad takes any real output with one element (shape (1, 1), say), where
    # gpugrad's (as JAX's) takes a 0-d one: give gpugrad that element.
    def scalar_fun(x: Any) -> Any:
        out = fun(x)
        return gnp.reshape(out, ()) if gnp.ndim(out) and math.prod(gnp.shape(out)) == 1 else out

    return gpugrad.grad(scalar_fun)(x)


@unary_to_nary
def value_and_grad(fun: Callable[..., Any], x: Any) -> Any:
    return gpugrad.value_and_grad(fun)(x)


@unary_to_nary
def grad_and_aux(fun: Callable[..., Any], x: Any) -> Any:
    return gpugrad.grad(fun, has_aux=True)(x)


@unary_to_nary
def elementwise_grad(fun: Callable[..., Any], x: Any) -> Any:
    vjp_fn, out = unary_make_vjp(fun, x)
    return vjp_fn(_ones_like(out))


@unary_to_nary
def deriv(fun: Callable[..., Any], x: Any) -> Any:
    return unary_make_jvp(fun, x)(_ones_like(x))[1]


@unary_to_nary
def jacobian(fun: Callable[..., Any], x: Any) -> Any:
    return gpugrad.jacrev(fun)(x)


@unary_to_nary
def holomorphic_grad(fun: Callable[..., Any], x: Any) -> Any:
    return gpugrad.grad(fun, holomorphic=True)(x)


@unary_to_nary
def hessian(fun: Callable[..., Any], x: Any) -> Any:
    return gpugrad.hessian(fun)(x)


@unary_to_nary
def make_hvp(fun: Callable[..., Any], x: Any) -> Any:
    """``(v -> H v, gradient)``: the VJP of the gradient (the Hessian is symmetric)."""
    return unary_make_vjp(gpugrad.grad(fun), x)


def _contract(a: Any, b: Any, axes: int) -> Any:
    return gnp.tensordot(a, b, axes)


def hessian_tensor_product(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """``(*args, v) -> H v``: the gradient of ``<grad(fun), v>``."""
    grad_fun = grad(fun, argnum)
    return grad(lambda *args: _contract(grad_fun(*args[:-1]), args[-1], gnp.ndim(args[-1])),
                argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """``(*args, v) -> v J``: the Jacobian of ``v`` contracted with the leading axes of the
    output of ``fun`` (as many as ``v`` has)."""
    return jacobian(lambda *args: _contract(args[-1], fun(*args[:-1]), gnp.ndim(args[-1])),
                    argnum)


vector_jacobian_product = tensor_jacobian_product


@unary_to_nary
def make_jvp_reversemode(fun: Callable[..., Any], x: Any) -> Any:
    vjp_fn, out = unary_make_vjp(fun, x)
    # The VJP is linear in its cotangent, so its own VJP is the JVP.
    vjp_of_vjp, _ = unary_make_vjp(vjp_fn, _zeros_like(out))
    return vjp_of_vjp


def make_ggnvp(f: Callable[..., Any],
               g: Callable[..., Any] = lambda x: 0.5 * gnp.sum(x ** 2, axis=-1),
               f_argnum: int = 0) -> Callable[..., Any]:
    """The generalized Gauss-Newton product ``J_f^T H_g J_f v`` at the arguments of ``f``."""

    @unary_to_nary
    def ggnvp_maker(fun: Callable[..., Any], x: Any) -> Any:
        f_vjp, f_x = unary_make_vjp(fun, x)
        g_hvp, _ = unary_make_vjp(gpugrad.grad(g), f_x)
        f_jvp, _ = unary_make_vjp(f_vjp, _zeros_like(f_x))
        return lambda v: f_vjp(g_hvp(f_jvp(v)))

    return ggnvp_maker(f, f_argnum)


def _arg_index(fun: Callable[..., Any], argname: str) -> int:
    return list(inspect.signature(fun).parameters).index(argname)


def grad_named(fun: Callable[..., Any], argname: str) -> Callable[..., Any]:
    return grad(fun, _arg_index(fun, argname))


def multigrad_dict(fun: Callable[..., Any]) -> Callable[..., Any]:
    """The gradients with respect to every argument, as a dict keyed by parameter name."""
    signature = inspect.signature(fun)

    def gradfun(*args: Any, **kwargs: Any) -> dict[str, Any]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(gpugrad.grad(lambda values: fun(**values))(dict(bound.arguments)))

    return gradfun


def checkpoint(fun: Callable[..., Any]) -> Callable[..., Any]:
    """autograd recomputes the forward pass of ``fun`` in the backward pass to save memory;
    the derivative is the same, so here it is ``fun`` itself."""
    return fun
