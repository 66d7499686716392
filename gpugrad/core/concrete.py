"""Taking a plain value out of a tracer: allowed where no derivative is lost, an error where
one would be.

A tracer of a floating or complex dtype is a value being differentiated: it exists only
because it depends on an input of ``grad``, ``jvp``, ``vjp``... (a constant never becomes a
tracer). Turning it into a Python number or a NumPy array (``float(x)``, ``x.item()``,
``math.exp(x)``, ``np.asarray(x)``) keeps its value and silently loses its derivative, so
``grad(lambda x: float(x) ** 2)`` would give 0. These conversions raise a ``TypeError``
instead, as JAX's do, whatever the tangent (JAX raises for a zero tangent too). Integer and
bool tracers carry no derivative, so they convert freely (indices, counts, shapes), and
``bool()`` of any tracer reads its value, so Python control flow on values keeps working.

The library's own code asks for a value in one place, :func:`concrete_value`: where a value
decides a shape or a static index (``nonzero``, ``unique``, ``arange``'s length, the indices
a gather reads), and nowhere else. Today every trace carries concrete values, so it returns
them; under a trace whose values are abstract (a staging trace such as ``jit`` will be, which
sets ``Trace.abstract``) it raises :class:`ConcretizationError`, naming the function, the
argument and the fix. Metadata (shape, dtype, the array's backend) needs no value: read it
with ``.shape``, ``.dtype`` and :func:`array_namespace`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from gpugrad.backend import on_one_backend
from gpugrad.core.traced import Traced, raw_value

__all__ = ["ConcretizationError", "array_namespace", "concrete_value", "convertible",
           "index_value"]

_WAY_OUT = (
    "Use gpugrad.numpy functions on the traced value instead (gnp.exp(x), not math.exp(x)), "
    "or take its value without a derivative on purpose with gpugrad.stop_gradient(x), e.g. "
    "float(gpugrad.stop_gradient(x)). Python control flow on values still works: bool() and "
    "comparisons such as `if x > 0:` read the value."
)


def carries_derivative(x: Any) -> bool:
    """Whether the tracer ``x`` is of a dtype that derivatives flow through."""
    return x.dtype.kind in "fc"  # type: ignore[no-any-return]


def convertible(x: Any, what: str) -> Any:
    """The concrete array under the tracer ``x``, for ``what`` (a conversion to a Python
    number or a NumPy array); a ``TypeError`` if ``x`` carries a derivative."""
    value = raw_value(x)  # first: a value batched by vmap is refused whatever its dtype
    if carries_derivative(x):
        raise TypeError(
            f"{what} would drop the derivative of this traced value (dtype {x.dtype}, shape "
            f"{tuple(x.shape)}): it depends on an input being differentiated, and a Python "
            "number or NumPy array cannot carry a derivative. " + _WAY_OUT
        )
    return value


def index_value(x: Any) -> int:
    """``operator.index`` of the tracer ``x``: only integer and bool tracers are indices."""
    value = raw_value(x)  # first: a value batched by vmap is refused whatever its dtype
    if carries_derivative(x):
        raise TypeError(
            f"an integer was needed (an index, a slice bound, range(), operator.index()), but "
            f"this traced value has dtype {x.dtype} (shape {tuple(x.shape)}); only integer and "
            "bool values can be used there, and converting a floating one would also drop its "
            "derivative. Make it an integer on purpose: x.astype(int) (no derivative flows "
            "through it) or int(gpugrad.stop_gradient(x)). Python control flow on values "
            "still works: bool() and comparisons such as `if x > 0:` read the value."
        )
    return int(value.__index__())


class ConcretizationError(TypeError):
    """A function needed the value of an argument whose value is not known while tracing
    (it is abstract: only its shape and dtype are)."""


_STATIC = ("Pass it as a static argument (its value is then known while tracing), or compute "
           "it outside the traced function.")


def concrete_value(x: Any, function: str, argument: str, needed_for: str,
                   fix: str = _STATIC) -> Any:
    """The concrete NumPy/CuPy value under ``x`` (any number of tracers deep), for the one
    purpose that truly needs a value: deciding a shape or a static index.

    ``function`` and ``argument`` name the public call and its argument, ``needed_for``
    says what the value decides (``"the number of nonzero elements, which is the result's
    shape"``), and ``fix`` how to avoid needing it (a ``size=`` argument where NumPy or JAX
    has one). A value is refused only by a trace whose values are abstract
    (``Trace.abstract``, set by a staging trace); the error then carries these words.

    Example:
        >>> from gpugrad.core.concrete import concrete_value
        >>> def f(x):
        ...     n = int(concrete_value(x > 0, "f", "x", "a count").sum())
        ...     return x[:n].sum()
        >>> gpugrad.grad(f)(np.array([1.0, 2.0, -1.0]))
        array([1., 1., 0.])
    """
    while isinstance(x, Traced):
        if x.trace.abstract:
            tracer: Any = x  # a trace.Tracer, whose shape and dtype are read from its value
            raise ConcretizationError(
                f"{function}() needs the value of its argument {argument!r} to decide "
                f"{needed_for}, but here it is traced abstractly (only its shape "
                f"{tuple(tracer.shape)} and dtype {tracer.dtype} are known until the computation "
                f"runs). {fix}"
            )
        try:
            x = x.primal
        except ConcretizationError as e:  # a value per example (vmap): say who needed it
            raise ConcretizationError(
                f"{function}() needs the value of its argument {argument!r} to decide "
                f"{needed_for}, but {e}. {fix}") from None
    return x


def array_namespace(x: Any) -> ModuleType:
    """NumPy or CuPy: the module of the array under ``x`` (tracers included). Metadata, like
    ``.shape`` and ``.dtype``: no value is read, so it never needs :func:`concrete_value`."""
    return on_one_backend(x)[0]  # looks through tracers without reading a value
