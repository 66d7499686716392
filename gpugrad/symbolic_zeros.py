"""Symbolic zeros: what the rules of ``custom_jvp`` and ``custom_vjp`` functions defined with
``symbolic_zeros=True`` see in place of tangents and cotangents that are known to be zero.

Inside gpugrad a zero tangent or cotangent is ``None`` (no array is made for it). A rule that
asks for symbolic zeros gets a :class:`SymbolicZero` there instead, which knows the shape and
dtype the zero would have but holds no array, so the rule can skip the work that term would
cost; a rule may return one for an output (or, in ``bwd``, ``None``) to say that it is zero.
A ``custom_vjp`` forward rule with ``symbolic_zeros=True`` gets each argument leaf as a
:class:`CustomVJPPrimal`: its value and whether it is being differentiated (``perturbed``).

Example:
    >>> from gpugrad.custom_derivatives import SymbolicZero
    >>> z = SymbolicZero.from_primal_value(np.ones((2, 3), np.float32))
    >>> z, z.shape, z.dtype, z.ndim, z.size
    (SymbolicZero, (2, 3), dtype('float32'), 2, 6)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.core.abstract import ShapedArray, abstractify

__all__ = [
    "CustomVJPPrimal", "SymbolicZero", "custom_vjp_primal_tree_values", "from_rule",
    "to_rule", "zero_from_primal",
]


class SymbolicZero:
    """A tangent or cotangent known to be zero, of the abstract value ``aval`` (shape and
    dtype). Its attributes are the abstract value's: ``shape``, ``dtype``, ``ndim``,
    ``size``, ``weak_type``. It is not an array: test for it with ``type(t) is
    SymbolicZero`` before computing with ``t``.

    Example:
        >>> from gpugrad.custom_derivatives import SymbolicZero
        >>> @gpugrad.custom_jvp
        ... def f(x, y):
        ...     return x * y
        >>> def f_jvp(primals, tangents):
        ...     (x, y), (x_dot, y_dot) = primals, tangents
        ...     print(type(x_dot).__name__, type(y_dot).__name__)
        ...     t = gnp.zeros_like(x)
        ...     if type(x_dot) is not SymbolicZero:
        ...         t = t + x_dot * y
        ...     if type(y_dot) is not SymbolicZero:
        ...         t = t + x * y_dot
        ...     return f(x, y), t
        >>> _ = f.defjvp(f_jvp, symbolic_zeros=True)
        >>> float(gpugrad.grad(f)(np.float64(2.0), np.float64(3.0)))
        VJPTracer SymbolicZero
        3.0
    """

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return "SymbolicZero"

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class lacks: those of the abstract value (not ``aval``
        # itself, which is missing only while an object is being copied or unpickled).
        if name == "aval":
            raise AttributeError(name)
        return getattr(self.aval, name)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        # What gnp functions and NumPy call to make an array of an argument.
        raise TypeError(
            f"a SymbolicZero (a zero tangent or cotangent of type {self.aval.type_text()}) is "
            "not an array: test for it with `type(t) is SymbolicZero` and leave its term out, "
            "or make the zeros with gnp.zeros(t.shape, t.dtype)")

    @staticmethod
    def from_primal_value(value: Any) -> SymbolicZero:
        """The symbolic zero tangent of ``value`` (an array, a scalar or a tracer)."""
        return SymbolicZero(abstractify(value))


def zero_from_primal(value: Any, symbolic_zeros: bool = False) -> Any:
    """A zero tangent for each leaf of the pytree ``value``: a :class:`SymbolicZero` with
    ``symbolic_zeros``, else an array of zeros.

    Example:
        >>> from gpugrad.custom_derivatives import zero_from_primal
        >>> zero_from_primal((np.ones(2), np.float32(1.0)))
        (array([0., 0.]), array(0., dtype=float32))
        >>> zero_from_primal({"w": np.ones(2)}, symbolic_zeros=True)
        {'w': SymbolicZero}
    """
    if symbolic_zeros:
        return tree_util.tree_map(SymbolicZero.from_primal_value, value)
    return tree_util.tree_map(gnp.zeros_like, value)


@dataclasses.dataclass(slots=True)
class CustomVJPPrimal:
    """An argument leaf as a ``custom_vjp`` forward rule defined with ``symbolic_zeros=True``
    receives it: its ``value``, and whether it is being differentiated (``perturbed``).

    Example:
        >>> f = gpugrad.custom_vjp(lambda x, y: x * y)
        >>> def fwd(x, y):
        ...     print(x.perturbed, y.perturbed)
        ...     return x.value * y.value, (x.value, y.value)
        >>> f.defvjp(fwd, lambda res, g: (g * res[1], g * res[0]), symbolic_zeros=True)
        >>> float(gpugrad.grad(f)(np.float64(2.0), np.float64(3.0)))
        True False
        3.0
    """

    value: Any
    perturbed: bool


def custom_vjp_primal_tree_values(tree: Any) -> Any:
    """``tree`` with each :class:`CustomVJPPrimal` leaf replaced by its value.

    Example:
        >>> from gpugrad.custom_derivatives import CustomVJPPrimal
        >>> from gpugrad.custom_derivatives import custom_vjp_primal_tree_values as values
        >>> values({"a": CustomVJPPrimal(1.0, True), "b": (CustomVJPPrimal(2.0, False),)})
        {'a': 1.0, 'b': (2.0,)}
    """
    def value(leaf: Any) -> Any:
        if type(leaf) is not CustomVJPPrimal:
            raise TypeError(f"unexpected leaf type {type(leaf)}")
        return leaf.value

    return tree_util.tree_map(value, tree)


def to_rule(tangents: Sequence[Any], primals: Sequence[Any], symbolic: bool) -> list[Any]:
    """The tangents (or cotangents) a rule is given: gpugrad's zeros (``None``) become
    :class:`SymbolicZero` objects where the rule asked for them, arrays of zeros otherwise."""
    zero = SymbolicZero.from_primal_value if symbolic else gnp.zeros_like
    return [zero(p) if t is None else t for t, p in zip(tangents, primals)]


def from_rule(values: Sequence[Any]) -> list[Any]:
    """A rule's tangents (or cotangents) back in gpugrad's form: a zero is ``None``."""
    return [None if type(v) is SymbolicZero else v for v in values]
