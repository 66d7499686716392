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
"""

from __future__ import annotations

from typing import Any

__all__ = ["convertible", "index_value"]

_WAY_OUT = (
    "Use gpugrad.numpy functions on the traced value instead (gnp.exp(x), not math.exp(x)), "
    "or take its value without a derivative on purpose with gpugrad.stop_gradient(x), e.g. "
    "float(gpugrad.stop_gradient(x)). Python control flow on values still works: bool() and "
    "comparisons such as `if x > 0:` read the value."
)


def _raw(x: Any) -> Any:
    from gpugrad.core.trace import raw_value

    return raw_value(x)


def carries_derivative(x: Any) -> bool:
    """Whether the tracer ``x`` is of a dtype that derivatives flow through."""
    return x.dtype.kind in "fc"  # type: ignore[no-any-return]


def convertible(x: Any, what: str) -> Any:
    """The concrete array under the tracer ``x``, for ``what`` (a conversion to a Python
    number or a NumPy array); a ``TypeError`` if ``x`` carries a derivative."""
    if carries_derivative(x):
        raise TypeError(
            f"{what} would drop the derivative of this traced value (dtype {x.dtype}, shape "
            f"{tuple(x.shape)}): it depends on an input being differentiated, and a Python "
            "number or NumPy array cannot carry a derivative. " + _WAY_OUT
        )
    return _raw(x)


def index_value(x: Any) -> int:
    """``operator.index`` of the tracer ``x``: only integer and bool tracers are indices."""
    if carries_derivative(x):
        raise TypeError(
            f"an integer was needed (an index, a slice bound, range(), operator.index()), but "
            f"this traced value has dtype {x.dtype} (shape {tuple(x.shape)}); only integer and "
            "bool values can be used there, and converting a floating one would also drop its "
            "derivative. Make it an integer on purpose: x.astype(int) (no derivative flows "
            "through it) or int(gpugrad.stop_gradient(x)). Python control flow on values "
            "still works: bool() and comparisons such as `if x > 0:` read the value."
        )
    return int(_raw(x).__index__())
