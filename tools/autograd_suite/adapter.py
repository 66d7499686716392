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
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.scipy.special as gspecial
from gpugrad.core.trace import Tracer

from . import checks, operators

# autograd's differential operators, all mapped (see operators.py).
OPERATORS = (
    "checkpoint", "deriv", "elementwise_grad", "grad", "grad_and_aux", "grad_named", "hessian",
    "hessian_tensor_product", "hessian_vector_product", "holomorphic_grad", "jacobian",
    "make_ggnvp", "make_hvp", "make_jvp", "make_jvp_reversemode", "make_vjp",
    "multigrad_dict", "tensor_jacobian_product", "value_and_grad", "vector_jacobian_product",
)


def _unsupported(name: str, why: str) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"autograd-only API: {name} ({why})")

    fail.__name__ = name
    return fail


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


def make_diagonal(d: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """autograd's own ``make_diagonal``: the last axis of ``d`` spread on the diagonal of two
    new last axes (autograd supports only ``axis1=-1, axis2=-2``), in gpugrad operations."""
    if (offset, axis1, axis2) != (0, -1, -2):
        raise NotImplementedError("make_diagonal supports offset=0, axis1=-1, axis2=-2 only")
    d = gnp.asarray(d)
    return gnp.expand_dims(d, -1) * gnp.eye(d.shape[-1], dtype=d.dtype)


def _numpy_module() -> types.ModuleType:
    # NumPy's random numbers: autograd's tests use them for data only.
    extra: dict[str, Any] = {"random": np.random, "make_diagonal": make_diagonal}
    # NumPy's type objects, as autograd.numpy has them (its scalar types *are* NumPy's, which
    # its tests check by identity; gpugrad.numpy's cast traced values, as JAX's do).
    for name in ("ndarray", "dtype", "float64", "float32", "float16", "complex64", "complex128",
                 "int64", "int32", "int16", "int8", "uint8", "bool_", "longdouble",
                 "clongdouble"):
        extra[name] = getattr(np, name)
    module = _Forward("autograd.numpy", gnp, extra)
    # autograd.numpy.linalg's private helpers that its tests call, in gpugrad operations.
    module.linalg = _Forward(  # type: ignore[attr-defined]
        "autograd.numpy.linalg", gnp.linalg,
        {"T": lambda x: gnp.swapaxes(x, -1, -2), "_dot": lambda a, b: gnp.matmul(a, b)})
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
    if stats is None and importlib.util.find_spec("scipy") is not None:
        # test_scipy.py draws its data with stats.dirichlet.rvs when imported: SciPy's sampler
        # (data only, as autograd.numpy.random) lets the file import, so that its tests fail
        # one by one on what gpugrad lacks.
        import scipy.stats

        module.stats.dirichlet = _Forward(  # type: ignore[attr-defined]
            "autograd.scipy.stats.dirichlet", None, {"rvs": scipy.stats.dirichlet.rvs})
    return module


def _modules() -> dict[str, types.ModuleType]:
    numpy = _numpy_module()
    scipy = _scipy_module()
    api: dict[str, Any] = {name: getattr(operators, name) for name in OPERATORS}
    api.update({
        # Containers: gpugrad differentiates through plain tuples, lists and dicts (pytrees).
        "tuple": builtins.tuple, "list": builtins.list, "dict": builtins.dict,
        "isinstance": ag_isinstance, "type": builtins.type,
        "primitive": primitive,
        "defvjp": _unsupported("defvjp", "gpugrad has no user-defined VJP rules"),
        "defjvp": _unsupported("defjvp", "gpugrad has no user-defined JVP rules"),
    })
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

    plain("wrap_util", unary_to_nary=operators.unary_to_nary)
    plain("test_util", check_grads=checks.check_grads, combo_check=checks.combo_check,
          scalar_close=checks.scalar_close, check_equivalent=checks.check_equivalent)
    plain("misc", flatten=checks.flatten, const_graph=checks.const_graph)
    plain("builtins", **{k: api[k] for k in ("tuple", "list", "dict", "isinstance", "type")})
    plain("tracer", primitive=primitive, isbox=isbox)
    plain("extend", primitive=primitive, defvjp=api["defvjp"], defjvp=api["defjvp"])
    plain("core", make_vjp=operators.unary_make_vjp,
          vspace=_unsupported("vspace", "autograd's vector-space objects"),
          primitive_vjps={})
    return modules


def install() -> None:
    """Put the adapter's modules in ``sys.modules`` and switch gpugrad to 64-bit mode."""
    gpugrad.config.update("enable_x64", True)
    sys.modules.update(_modules())
