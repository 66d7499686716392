"""What every tracer is, at the bottom of the core: the base class :class:`Traced` and
:func:`raw_value`, the concrete array under any number of tracers.

``trace.Tracer`` derives from ``Traced`` (through ``array_methods.ArrayMethods``). The array
face of a tracer (``array_methods.py``) and the conversions that take a value out of one
(``concrete.py``) are what ``Tracer`` is built from, so they sit below ``trace.py``; they
recognize a tracer by this class instead of importing the module that defines ``Tracer``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Traced", "raw_value"]


class Traced:
    """The base of :class:`gpugrad.core.trace.Tracer`, its only subclass: a value being traced,
    whose ``trace`` is the transformation tracing it and whose ``primal`` is its value one
    level down (another tracer, or a concrete array)."""

    __slots__ = ()

    trace: Any
    primal: Any


def raw_value(x: Any) -> Any:
    """The concrete array under any number of tracers (no derivative information).

    Example:
        >>> from gpugrad.core.traced import raw_value
        >>> gpugrad.grad(lambda x: x * raw_value(x))(np.array(3.0))
        array(3.)
    """
    while isinstance(x, Traced):
        x = x.primal
    return x
