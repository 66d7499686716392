"""Names and docstrings for the functions that factories make.

Families of public functions that differ only in a name (``lax.eq`` and ``lax.ne``,
``gnp.floor`` and ``gnp.ceil``) are made by one factory each; the function it returns is
renamed here, so that ``help``, tracebacks and doctest show the public name, and given its
docstring, often one whose example is filled in per name. The types of functions made from
other functions live here too: ``Unary``/``Binary`` for the elementwise families, and ``P``
and ``R``, a user's function's parameters and result, for the transformations.

Example:
    >>> f = named(lambda x: x + 1, "increment", example_doc("``x + 1``.", ">>> increment(1)", "2"))
    >>> f.__name__, f(1), f.__doc__.splitlines()[-1]
    ('increment', 2, '    2')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["Binary", "P", "R", "Unary", "example_doc", "named"]

F = TypeVar("F", bound=Callable[..., Any])

# The parameters and the result of a user's function, for the transformations' types: the
# function ``jit(f)`` takes ``P`` and returns ``R`` as ``f`` does, ``grad(f)`` takes ``P``, so
# a type checker checks their calls against ``f``'s signature.
P = ParamSpec("P")
R = TypeVar("R")

# The types of factory-made elementwise functions whose operands are positional, as NumPy's
# ufuncs take theirs (``gnp.sin``, ``gnp.add``, ``gpugrad.scipy.special.xlogy``): the
# functions accept ``*args`` and check the count when called, and these types let the type
# checker report a wrong count at the call instead.
Unary = Callable[[Any], Any]
Binary = Callable[[Any, Any], Any]


def named(fn: F, name: str, doc: str | None) -> F:
    """``fn`` renamed ``name`` (its ``__name__`` and ``__qualname__``) with the docstring
    ``doc``.

    Example:
        >>> named(lambda: None, "nothing", "Nothing.").__qualname__
        'nothing'
    """
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def example_doc(summary: str, *session: str) -> str:
    """A docstring: ``summary``, then an ``Example:`` section holding the doctest lines
    ``session`` (inputs written with their ``>>>`` prompts, outputs as printed).

    Example:
        >>> example_doc("Two.", ">>> 1 + 1", "2").splitlines()
        ['Two.', '', 'Example:', '    >>> 1 + 1', '    2']
    """
    lines = "".join(f"    {line}\n" for line in session)
    return f"{summary}\n\nExample:\n{lines}"
