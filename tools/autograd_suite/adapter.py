"""An ``autograd`` package made of gpugrad, so that HIPS autograd's own tests run on gpugrad.

``install()`` puts module objects named ``autograd``, ``autograd.numpy``, ... into
``sys.modules`` before the tests import them, so the real autograd (if installed) is never
loaded. Every differentiating call goes to gpugrad: autograd's operators are unary functions
of one argument (``argnum``), written here on top of ``gpugrad.vjp``/``jvp``/``grad``.

autograd computes in float64 throughout (its users pass float64 NumPy arrays and Python
floats), so ``install()`` turns on gpugrad's 64-bit mode (``enable_x64``): without it a
Python float would become float32 and every finite-difference check would fail on
precision alone.

What is not mapped (autograd's internals: ``vspace``, ``primitive_vjps``, ``defvjp`` on a
traced function, boxes) is left out or raises ``NotImplementedError`` naming it, so that a
test using it fails with that reason rather than passing by accident.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import itertools
import math
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.scipy.special as gspecial
from gpugrad import test_util as gtest_util
from gpugrad.core.trace import Tracer


def _unsupported(name: str, why: str) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"autograd-only API: {name} ({why})")

    fail.__name__ = name
    return fail


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


def _make_vjp(fun: Callable[..., Any], x: Any) -> tuple[Callable[..., Any], Any]:
    out, pull = gpugrad.vjp(fun, x)
    return (lambda ct: pull(ct)[0]), out


def _make_jvp(fun: Callable[..., Any], x: Any) -> Callable[..., Any]:
    return lambda v: gpugrad.jvp(fun, (x,), (v,))


make_vjp = unary_to_nary(_make_vjp)
make_jvp = unary_to_nary(_make_jvp)


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
    vjp_fn, out = _make_vjp(fun, x)
    return vjp_fn(_ones_like(out))


@unary_to_nary
def deriv(fun: Callable[..., Any], x: Any) -> Any:
    return _make_jvp(fun, x)(_ones_like(x))[1]


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
    return _make_vjp(gpugrad.grad(fun), x)


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
    vjp_fn, out = _make_vjp(fun, x)
    # The VJP is linear in its cotangent, so its own VJP is the JVP.
    vjp_of_vjp, _ = _make_vjp(vjp_fn, _zeros_like(out))
    return vjp_of_vjp


def make_ggnvp(f: Callable[..., Any],
               g: Callable[..., Any] = lambda x: 0.5 * gnp.sum(x ** 2, axis=-1),
               f_argnum: int = 0) -> Callable[..., Any]:
    """The generalized Gauss-Newton product ``J_f^T H_g J_f v`` at the arguments of ``f``."""

    @unary_to_nary
    def ggnvp_maker(fun: Callable[..., Any], x: Any) -> Any:
        f_vjp, f_x = _make_vjp(fun, x)
        g_hvp, _ = _make_vjp(gpugrad.grad(g), f_x)
        f_jvp, _ = _make_vjp(f_vjp, _zeros_like(f_x))
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
        names = list(bound.arguments)

        def of_dict(values: dict[str, Any]) -> Any:
            return fun(**values)

        return dict(gpugrad.grad(of_dict)(dict(bound.arguments)).items()) if names else {}

    return gradfun


def checkpoint(fun: Callable[..., Any]) -> Callable[..., Any]:
    """autograd recomputes the forward pass of ``fun`` in the backward pass to save memory;
    the derivative is the same, so here it is ``fun`` itself."""
    return fun


# --- autograd.test_util -------------------------------------------------------------------


def _as_array(x: Any) -> Any:
    """Python numbers as float64/complex128 arrays (autograd's vector spaces of scalars)."""
    if isinstance(x, (builtins.float, builtins.int, builtins.complex)) and not isinstance(
            x, bool):
        return np.asarray(x, np.complex128 if isinstance(x, builtins.complex) else np.float64)
    if isinstance(x, (builtins.list, builtins.tuple)):
        return type(x)(_as_array(v) for v in x)
    if isinstance(x, builtins.dict):
        return {k: _as_array(v) for k, v in x.items()}
    return x


def _all_float64(tree: Any) -> bool:
    leaves = gpugrad.tree_util.tree_leaves(tree)
    return all(np.dtype(v.dtype) in (np.float64, np.complex128) for v in leaves
               if np.dtype(v.dtype).kind in "fc")


@unary_to_nary
def check_grads(f: Callable[..., Any], x: Any, modes: Any = ("fwd", "rev"),
                order: int = 2) -> None:
    """autograd's ``check_grads(f, argnum=0, modes, order)(*args)`` on gpugrad's checks.

    In float64 the finite-difference step is autograd's (5e-7 each side) rather than gpugrad's
    1e-5: its tests draw points a little more than 1e-5 from a kink (two nearly equal entries
    under ``min``), where a wider step steps over it.
    """
    x = _as_array(x)
    eps = 5e-7 if _all_float64(x) else None
    gtest_util.check_grads(f, (x,), order=order, modes=tuple(modes), eps=eps)


def combo_check(fun: Callable[..., Any], *check_args: Any,
                **check_kwargs: Any) -> Callable[..., None]:
    """Check gradients at every combination of the given arguments and keyword values."""

    def run(*arg_lists: Any, **kwarg_lists: Any) -> None:
        keys = builtins.list(kwarg_lists)
        for args in itertools.product(*arg_lists):
            for values in itertools.product(*kwarg_lists.values()):
                check_grads(fun, *check_args, **check_kwargs)(*args, **dict(zip(keys, values)))

    return run


def scalar_close(a: Any, b: Any) -> bool:
    return bool(abs(a - b) < 1e-6 or abs(a - b) / abs(a + b) < 1e-6)


def check_equivalent(x: Any, y: Any) -> None:
    for a, b in zip(gpugrad.tree_util.tree_leaves(x), gpugrad.tree_util.tree_leaves(y)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, f"{a!r} vs {b!r}"
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6), f"Value mismatch:\nx: {a}\ny: {b}"


# --- autograd.misc ------------------------------------------------------------------------


def flatten(value: Any) -> tuple[Any, Callable[..., Any]]:
    """All leaves raveled into one vector, and the function that puts a vector back."""
    leaves, tree = gpugrad.tree_util.tree_flatten(value)
    flat = gnp.concatenate([gnp.ravel(v) for v in leaves]) if leaves else gnp.zeros(0)
    shapes = [gnp.shape(v) for v in leaves]

    def unflatten(vector: Any) -> Any:
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            parts.append(gnp.reshape(vector[start:start + size], shape))
            start += size
        return gpugrad.tree_util.tree_unflatten(tree, parts)

    return flat, unflatten


def const_graph(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """autograd caches the traced graph; the values are those of ``fun`` itself."""
    return functools.partial(fun, *args, **kwargs)


# --- the modules --------------------------------------------------------------------------


class _Forward(types.ModuleType):
    """A module whose missing attributes come from ``target`` (a gpugrad module)."""

    def __init__(self, name: str, target: Any, extra: dict[str, Any] | None = None) -> None:
        super().__init__(name)
        self.__dict__.update(extra or {})
        self._target = target

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(self._target, name)
        except AttributeError:
            # A module gpugrad lacks is an empty one, so that the tests using it fail one by
            # one (instead of their whole file failing to import).
            where = getattr(self._target, "__name__", self.__name__.replace("autograd", "gpugrad"))
            raise AttributeError(f"gpugrad has no {where}.{name} (asked for as "
                                 f"{self.__name__}.{name})") from None


def isbox(x: Any) -> bool:
    return isinstance(x, Tracer)


def ag_isinstance(obj: Any, classinfo: Any) -> bool:
    """``isinstance`` that sees a traced array as the ``ndarray`` it stands for."""
    if isinstance(obj, Tracer):
        return builtins.isinstance(np.zeros(0), classinfo)
    return builtins.isinstance(obj, classinfo)


def primitive(fun: Callable[..., Any]) -> Callable[..., Any]:
    """autograd's ``primitive`` marks a function whose derivative is given by ``defvjp``;
    gpugrad has no user-defined derivative rules yet, so the function is traced as written."""
    return fun


def _numpy_module() -> types.ModuleType:
    extra = {"random": np.random}
    # NumPy's type objects and helpers on dtypes and shapes, which carry no derivative.
    for name in ("ndarray", "dtype", "float64", "float32", "float16", "complex128",
                 "int64", "int32", "longdouble", "clongdouble"):
        if not hasattr(gnp, name):
            extra[name] = getattr(np, name)
    module = _Forward("autograd.numpy", gnp, extra)
    module.linalg = _Forward("autograd.numpy.linalg", gnp.linalg)  # type: ignore[attr-defined]
    module.fft = _Forward("autograd.numpy.fft", gnp.fft)  # type: ignore[attr-defined]
    return module


def _scipy_module() -> types.ModuleType:
    import gpugrad.scipy as gscipy

    module = _Forward("autograd.scipy", gscipy)
    module.special = _Forward("autograd.scipy.special", gspecial)  # type: ignore[attr-defined]
    for name in ("stats", "linalg", "signal", "integrate", "misc"):
        setattr(module, name, _Forward(f"autograd.scipy.{name}", getattr(gscipy, name, None)))
    stats = getattr(gscipy, "stats", None)
    module.stats.multivariate_normal = _Forward(  # type: ignore[attr-defined]
        "autograd.scipy.stats.multivariate_normal", getattr(stats, "multivariate_normal", None))
    return module


def _modules() -> dict[str, types.ModuleType]:
    numpy = _numpy_module()
    scipy = _scipy_module()
    api = {
        "grad": grad, "value_and_grad": value_and_grad, "grad_and_aux": grad_and_aux,
        "elementwise_grad": elementwise_grad, "deriv": deriv, "jacobian": jacobian,
        "holomorphic_grad": holomorphic_grad, "hessian": hessian, "make_hvp": make_hvp,
        "hessian_tensor_product": hessian_tensor_product,
        "hessian_vector_product": hessian_vector_product,
        "tensor_jacobian_product": tensor_jacobian_product,
        "vector_jacobian_product": vector_jacobian_product,
        "make_jvp_reversemode": make_jvp_reversemode, "make_ggnvp": make_ggnvp,
        "grad_named": grad_named, "multigrad_dict": multigrad_dict, "checkpoint": checkpoint,
        "make_vjp": make_vjp, "make_jvp": make_jvp,
        # Containers: gpugrad differentiates through plain tuples, lists and dicts (pytrees).
        "tuple": builtins.tuple, "list": builtins.list, "dict": builtins.dict,
        "isinstance": ag_isinstance, "type": builtins.type,
        "primitive": primitive,
        "defvjp": _unsupported("defvjp", "gpugrad has no user-defined VJP rules"),
        "defjvp": _unsupported("defjvp", "gpugrad has no user-defined JVP rules"),
    }
    top = types.ModuleType("autograd")
    top.__dict__.update(api)
    top.numpy = numpy  # type: ignore[attr-defined]
    top.scipy = scipy  # type: ignore[attr-defined]
    modules: dict[str, types.ModuleType] = {"autograd": top, "autograd.numpy": numpy,
                                            "autograd.scipy": scipy}
    for name in ("linalg", "fft", "random"):
        modules[f"autograd.numpy.{name}"] = getattr(numpy, name)
    for name in ("special", "stats", "linalg", "signal", "integrate", "misc"):
        if hasattr(scipy, name):
            modules[f"autograd.scipy.{name}"] = getattr(scipy, name)
    modules["autograd.scipy.stats.multivariate_normal"] = scipy.stats.multivariate_normal

    def plain(name: str, **attrs: Any) -> None:
        module = types.ModuleType(f"autograd.{name}")
        module.__dict__.update(attrs)
        setattr(top, name, module)
        modules[f"autograd.{name}"] = module

    plain("wrap_util", unary_to_nary=unary_to_nary)
    plain("test_util", check_grads=check_grads, combo_check=combo_check,
          scalar_close=scalar_close, check_equivalent=check_equivalent)
    plain("misc", flatten=flatten, const_graph=const_graph)
    plain("builtins", **{k: api[k] for k in ("tuple", "list", "dict", "isinstance", "type")})
    plain("tracer", primitive=primitive, isbox=isbox)
    plain("extend", primitive=primitive, defvjp=api["defvjp"], defjvp=api["defjvp"])
    plain("core", make_vjp=_make_vjp,
          vspace=_unsupported("vspace", "autograd's vector-space objects"),
          primitive_vjps={})
    return modules


def install() -> None:
    """Put the adapter's modules in ``sys.modules`` and switch gpugrad to 64-bit mode."""
    gpugrad.config.update("enable_x64", True)
    sys.modules.update(_modules())
