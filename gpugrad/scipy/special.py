"""``gpugrad.scipy.special``: special functions, numerically stable and differentiable.

SciPy's names and signatures. ``erf``, ``erfc``, ``erfinv``, ``gammaln``, ``digamma``,
``polygamma``, ``expit``, ``xlogy`` and ``xlog1py`` are entries of the elementwise catalog
(NumPy evaluation in ``gpugrad/primitives/special_math.py``, the CUDA math library on the
GPU), so every order of derivative is again one elementwise evaluation: ``gammaln' =
digamma``, ``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``.
``logsumexp``, ``softmax`` and ``log_softmax`` are composed from ``gpugrad.numpy``, shifted
by the maximum under ``stop_gradient`` (the shift cancels mathematically, so it needs no
derivative, and it keeps ``exp`` from overflowing). ``gamma``, ``gammasgn``, ``rgamma``,
``beta``, ``betaln`` and ``multigammaln`` are composed from ``gammaln`` (``_gamma.py``).

Example:
    >>> import numpy as np
    >>> import gpugrad
    >>> from gpugrad.scipy import special
    >>> special.logsumexp(np.array([1000.0, 1000.0]))
    array(1000.69314718)
    >>> gpugrad.grad(special.gammaln)(np.array(1.0))  # digamma(1) = -Euler's gamma
    array(-0.57721566)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad.numpy as gnp
from gpugrad.core.trace import bind
from gpugrad.expr import catalog as C
from gpugrad.expr.language import Expr, OpSpec, const, var
from gpugrad.naming import Binary, Unary, named
from gpugrad.numpy import where
from gpugrad.numpy.operands import normalize_axes, to_array
from gpugrad.primitives.broadcasting import reduce_sum
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.operations import promote
from gpugrad.primitives.structural import reshape, stop_gradient

__all__ = [
    "beta", "betaln", "digamma", "erf", "erfc", "erfinv", "expit", "gamma", "gammaln",
    "gammasgn", "log_softmax", "logit", "logsumexp", "multigammaln", "polygamma", "psi",
    "rgamma", "softmax", "xlog1py", "xlogy",
]


def _real_args(name: str, *args: Any) -> list[Any]:
    out = promote(args, to_float=True)
    if any(getattr(a, "dtype", np.dtype(float)).kind == "c" for a in out):
        raise TypeError(f"{name} is defined for real inputs only, got a complex one")
    return out


def _elementwise(name: str, spec: OpSpec, doc: str) -> Callable[..., Any]:
    expr = spec(*[var(i) for i in range(spec.arity)])

    def fn(*args: Any) -> Any:
        if len(args) != spec.arity:
            raise TypeError(f"{name}() takes {spec.arity} argument(s), got {len(args)}")
        return bind(elementwise_p, *_real_args(name, *args), expr=expr)

    return named(fn, name, doc)


def _unary(name: str, spec: OpSpec, doc: str) -> Unary:
    """The function ``name`` of one operand (``spec`` takes one), for the type checker."""
    return _elementwise(name, spec, doc)


def _binary(name: str, spec: OpSpec, doc: str) -> Binary:
    """The function ``name`` of two operands (``spec`` takes two), for the type checker."""
    return _elementwise(name, spec, doc)


erf = _unary("erf", C.erf, """The error function ``2/sqrt(pi) int_0^x exp(-t^2) dt``.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> erf(gnp.array([0.0, 1.0]))
        array([0.       , 0.8427008], dtype=float32)
    """)
erfc = _unary("erfc", C.erfc, """``1 - erf(x)``, accurate where ``erf(x)`` is near 1.

    Example:
        >>> import numpy as np
        >>> erfc(np.array(10.0))
        array(2.08848758e-45)
    """)
erfinv = _unary("erfinv", C.erfinv, """The inverse of ``erf`` on ``(-1, 1)``.

    Example:
        >>> import numpy as np
        >>> erfinv(np.array([0.0, 0.5]))
        array([0.        , 0.47693628])
    """)
gammaln = _unary("gammaln", C.gammaln, """``log |Gamma(x)|``; its derivative is digamma.

    Example:
        >>> import numpy as np
        >>> gammaln(np.array([0.5, 10.0]))
        array([ 0.57236494, 12.80182748])
    """)
digamma = _unary("digamma", C.digamma, """The digamma function ``d/dx log Gamma(x)``.

    Example:
        >>> import numpy as np
        >>> digamma(np.array([1.0, 2.0]))
        array([-0.57721566,  0.42278434])
    """)
expit = _unary("expit", C.logistic, """The logistic sigmoid ``1 / (1 + exp(-x))``.

    Its derivative is ``expit(x) * (1 - expit(x))``; neither tail overflows.

    Example:
        >>> import numpy as np
        >>> expit(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """)
xlogy = _binary("xlogy", C.xlogy, """``x * log(y)``, and 0 where ``x == 0`` (even for
    ``y == 0``). As in JAX, ``d/dx = log(y)`` and ``d/dy = x / y``.

    Example:
        >>> import numpy as np
        >>> xlogy(np.array([0.0, 2.0]), np.array([0.0, np.e]))
        array([0., 2.])
    """)
xlog1py = _binary("xlog1py", C.xlog1py, """``x * log1p(y)``, and 0 where ``x == 0``.

    Example:
        >>> import numpy as np
        >>> xlog1py(np.array([0.0, 2.0]), np.array([-1.0, np.e - 1.0]))
        array([0., 2.])
    """)

_POLYGAMMA: dict[int, Expr] = {}


def polygamma(n: Any, x: Any) -> Any:
    """The ``n``-th derivative of digamma, for an integer ``n >= 0`` (a Python int or an
    integer-valued scalar; it is not differentiated).

    Example:
        >>> import numpy as np
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
    (x,) = _real_args("polygamma", x)
    return bind(elementwise_p, x, expr=expr)


def logit(p: Any) -> Any:
    """The log-odds ``log(p / (1 - p))``, the inverse of :func:`expit`.

    Example:
        >>> import numpy as np
        >>> logit(np.array([0.5, 0.75]))
        array([0.        , 1.09861229])
    """
    (p,) = _real_args("logit", p)
    return gnp.subtract(gnp.log(p), gnp.log1p(-p))


def _finite_shift(x: Any, axes: tuple[int, ...]) -> Any:
    """The maximum over ``axes`` (kept as length-1 axes), 0 where it is not finite, with no
    derivative: subtracting it changes nothing mathematically and prevents overflow."""
    from gpugrad.numpy import max as amax

    m = amax(stop_gradient(x), axis=axes, keepdims=True)
    finite = gnp.logical_and(gnp.greater(m, -np.inf),
                                      gnp.less(m, np.inf))
    return stop_gradient(where(finite, m, 0.0))


def _sum_kept(x: Any, axes: tuple[int, ...]) -> Any:
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    return reshape(reduce_sum(x, axes), kept)


def _drop(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    if keepdims:
        return x
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow.

    With ``return_sign``, returns ``(log|s|, sign(s))`` for ``s = sum(b * exp(a))`` (``b``
    may be negative); otherwise a negative ``s`` gives NaN, as in SciPy. Entries with
    ``b == 0`` are left out (as in JAX), so an infinite ``a`` there does no harm.

    Example:
        >>> import numpy as np
        >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), axis=1)
        array([0.69314718, 1.        ])
        >>> logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, -2.0]), return_sign=True)
        (array(0.), array(-1.))
    """
    if b is None:
        (a,) = _real_args("logsumexp", a)
    else:
        a, b = _real_args("logsumexp", a, b)
        a, b = (to_array(v) for v in (a, b))
        shape = np.broadcast_shapes(a.shape, b.shape)
        from gpugrad.numpy import broadcast_to

        a, b = broadcast_to(a, shape), broadcast_to(b, shape)
        a = where(gnp.not_equal(b, 0), a, -np.inf)
    a = to_array(a)
    axes = normalize_axes(a, axis)
    shift = _finite_shift(a, axes)
    terms = gnp.exp(gnp.subtract(a, shift))
    if b is not None:
        terms = gnp.multiply(terms, b)
    total = _sum_kept(terms, axes)
    sign = None
    if return_sign:
        sign = stop_gradient(gnp.sign(total))
        total = gnp.abs(total)
    out = _drop(gnp.add(gnp.log(total), shift), axes, keepdims)
    if return_sign:
        return out, _drop(sign, axes, keepdims)
    return out


def softmax(x: Any, axis: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all axes by default, as in SciPy).

    Example:
        >>> import numpy as np
        >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]), axis=1)
        array([[0.5 , 0.5 ],
               [0.25, 0.75]])
    """
    (x,) = _real_args("softmax", x)
    x = to_array(x)
    axes = normalize_axes(x, axis)
    unnormalized = gnp.exp(gnp.subtract(x, _finite_shift(x, axes)))
    return gnp.true_divide(unnormalized, _sum_kept(unnormalized, axes))


def log_softmax(x: Any, axis: Any = None) -> Any:
    """``x - logsumexp(x)`` over ``axis`` (all axes by default), without overflow.

    Example:
        >>> import numpy as np
        >>> log_softmax(np.array([1000.0, 1000.0]))
        array([-0.69314718, -0.69314718])
    """
    (x,) = _real_args("log_softmax", x)
    x = to_array(x)
    axes = normalize_axes(x, axis)
    shifted = gnp.subtract(x, _finite_shift(x, axes))
    total = _sum_kept(gnp.exp(shifted), axes)
    return gnp.subtract(shifted, gnp.log(total))


# Composed from gammaln above; imported last because they call back into this module.
from gpugrad.scipy._gamma import (  # noqa: E402
    beta,
    betaln,
    gamma,
    gammasgn,
    multigammaln,
    psi,
    rgamma,
)
