"""The special functions that are entries of the elementwise catalog, one primitive
application each: ``erf``, ``erfc``, ``erfinv``, ``gammaln``, ``digamma``, ``polygamma``,
``expit``, ``xlogy`` and ``xlog1py``. ``gpugrad.scipy.special`` exports them beside the
functions composed from them (``_gamma.py`` builds on ``gammaln`` and ``digamma``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.core.trace import bind
from gpugrad.expr import catalog as C
from gpugrad.expr.language import Expr, OpSpec, const, var
from gpugrad.naming import Binary, Unary, named
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.operations import promote

__all__ = ["digamma", "erf", "erfc", "erfinv", "expit", "gammaln", "polygamma", "real_args",
           "xlog1py", "xlogy"]


def real_args(name: str, *args: Any) -> list[Any]:
    """``args`` promoted to one floating dtype; a complex one is refused (``name``'s error)."""
    out = promote(args, to_float=True)
    if any(getattr(a, "dtype", np.dtype(float)).kind == "c" for a in out):
        raise TypeError(f"{name} is defined for real inputs only, got a complex one")
    return out


def _elementwise(name: str, spec: OpSpec, doc: str) -> Callable[..., Any]:
    expr = spec(*[var(i) for i in range(spec.arity)])

    def fn(*args: Any) -> Any:
        if len(args) != spec.arity:
            raise TypeError(f"{name}() takes {spec.arity} argument(s), got {len(args)}")
        return bind(elementwise_p, *real_args(name, *args), expr=expr)

    return named(fn, name, doc)


def _unary(name: str, spec: OpSpec, doc: str) -> Unary:
    """The function ``name`` of one operand (``spec`` takes one), for the type checker."""
    return _elementwise(name, spec, doc)


def _binary(name: str, spec: OpSpec, doc: str) -> Binary:
    """The function ``name`` of two operands (``spec`` takes two), for the type checker."""
    return _elementwise(name, spec, doc)


erf = _unary("erf", C.erf, """The error function ``2/sqrt(pi) int_0^x exp(-t^2) dt``.

    Example:
        >>> erf(gnp.array([0.0, 1.0]))
        array([0.       , 0.8427008], dtype=float32)
    """)
erfc = _unary("erfc", C.erfc, """``1 - erf(x)``, accurate where ``erf(x)`` is near 1.

    Example:
        >>> erfc(np.array(10.0))
        array(2.08848758e-45)
    """)
erfinv = _unary("erfinv", C.erfinv, """The inverse of ``erf`` on ``(-1, 1)``.

    Example:
        >>> erfinv(np.array([0.0, 0.5]))
        array([0.        , 0.47693628])
    """)
gammaln = _unary("gammaln", C.gammaln, """``log |Gamma(x)|``; its derivative is digamma.

    Example:
        >>> gammaln(np.array([0.5, 10.0]))
        array([ 0.57236494, 12.80182748])
    """)
digamma = _unary("digamma", C.digamma, """The digamma function ``d/dx log Gamma(x)``.

    Example:
        >>> digamma(np.array([1.0, 2.0]))
        array([-0.57721566,  0.42278434])
    """)
expit = _unary("expit", C.logistic, """The logistic sigmoid ``1 / (1 + exp(-x))``.

    Its derivative is ``expit(x) * (1 - expit(x))``; neither tail overflows.

    Example:
        >>> expit(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """)
xlogy = _binary("xlogy", C.xlogy, """``x * log(y)``, and 0 where ``x == 0`` (even for
    ``y == 0``). As in JAX, ``d/dx = log(y)`` and ``d/dy = x / y``.

    Example:
        >>> xlogy(np.array([0.0, 2.0]), np.array([0.0, np.e]))
        array([0., 2.])
    """)
xlog1py = _binary("xlog1py", C.xlog1py, """``x * log1p(y)``, and 0 where ``x == 0``.

    Example:
        >>> xlog1py(np.array([0.0, 2.0]), np.array([-1.0, np.e - 1.0]))
        array([0., 2.])
    """)

_POLYGAMMA: dict[int, Expr] = {}


def polygamma(n: Any, x: Any) -> Any:
    """The ``n``-th derivative of digamma, for an integer ``n >= 0`` (a Python int or an
    integer-valued scalar; it is not differentiated).

    Example:
        >>> polygamma(1, np.array([1.0]))  # pi^2 / 6
        array([1.64493407])
    """
    # The order is a static value, read on the host: float() takes a 0-d CuPy array too,
    # where np.asarray(n) would refuse it.
    order = float(n) if np.ndim(n) == 0 else -1.0
    if order != int(order) or order < 0:
        raise ValueError(f"polygamma needs a non-negative integer scalar n, got {n!r}")
    k = int(order)
    if k == 0:
        return digamma(x)
    expr = _POLYGAMMA.get(k)
    if expr is None:
        expr = _POLYGAMMA[k] = C.polygamma(const(k), var(0))
    (x,) = real_args("polygamma", x)
    return bind(elementwise_p, x, expr=expr)
