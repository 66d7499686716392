"""``custom_jvp`` and ``custom_vjp``: functions that carry derivative rules of their own.

The function is traced into a program (so it stages under ``jit`` and prints in
``make_jaxpr``) and applied as a primitive whose rules call the user's:

* ``custom_jvp``: forward mode calls the user's JVP rule; reverse mode transposes it (the
  rule is linear in the tangents, so the cotangents are the VJP of the tangent map at zero);
  both are written in gpugrad's operations, so the rule's own derivative is used when the
  function is differentiated twice.
* ``custom_vjp``: reverse mode runs the user's ``fwd`` in place of the function, keeps its
  residuals, and calls ``bwd`` on them; forward mode raises JAX's error.

Under ``vmap`` the function and the rules are batched. Rules' outputs are checked against the
primal's structure, shapes and dtypes, with JAX's messages. Rules defined with
``symbolic_zeros=True`` see the zero tangents and cotangents as ``SymbolicZero`` objects
(``gpugrad.symbolic_zeros``).

Example:
    >>> @gpugrad.custom_jvp
    ... def f(x):
    ...     return gnp.sin(x)
    >>> @f.defjvp
    ... def f_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return f(x), 10.0 * gnp.cos(x) * t
    >>> float(gpugrad.grad(f)(np.float64(0.0)))
    10.0
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from gpugrad import tree_util
from gpugrad.compiler import subprograms
from gpugrad.compiler.subprograms import avals_of, run_program, xp_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.program import Program
from gpugrad.core.trace import Primitive, Tracer, bind
from gpugrad.custom_batching import batched_jvp, batched_vjp
from gpugrad.custom_checks import check_bwd_output, check_jvp_output, closed_over_derivative
from gpugrad.naming import P, R
from gpugrad.numpy import zeros_like
from gpugrad.primitives.structural import batch_size
from gpugrad.symbolic_zeros import (
    CustomVJPPrimal,
    SymbolicZero,
    custom_vjp_primal_tree_values,
    from_rule,
    to_rule,
    zero_from_primal,
)

__all__ = ["CustomVJPPrimal", "SymbolicZero", "custom_jvp", "custom_vjp",
           "custom_vjp_primal_tree_values", "zero_from_primal"]

custom_jvp_p = Primitive("custom_jvp_call", multiple_results=True)
custom_vjp_p = Primitive("custom_vjp_call", multiple_results=True)

# A rule given to ``defjvp`` comes back with its own type, for use as a decorator.
Rule = TypeVar("Rule", bound=Callable[..., Any])


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


class _Call:
    """One call of a custom function: its arguments split into the static ones
    (``nondiff_argnums``) and the leaves of the rest, and how to put them back together."""

    __slots__ = ("in_tree", "leaves", "nargs", "static")

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: tuple[int, ...],
                 args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if kwargs:  # keyword arguments are bound to their positions, as JAX does
            bound = inspect.signature(fun).bind(*args, **kwargs)
            bound.apply_defaults()
            args = bound.args
        self.nargs = len(args)
        self.static = tuple((i, args[i]) for i in sorted(n % len(args) for n in nondiff_argnums))
        dyn = tuple(a for i, a in enumerate(args) if i not in dict(self.static))
        self.leaves, self.in_tree = tree_util.tree_flatten(dyn)

    def __repr__(self) -> str:
        return f"({self.nargs} arguments, static {[i for i, _ in self.static]})"

    def args(self, leaves: Sequence[Any]) -> list[Any]:
        """All the arguments, the differentiable ones made of ``leaves``."""
        full = list(tree_util.tree_unflatten(self.in_tree, list(leaves)))
        for i, value in self.static:
            full.insert(i, value)
        return full

    def split(self, leaves: Sequence[Any]) -> tuple[list[Any], tuple[Any, ...]]:
        """(static arguments, differentiable arguments as a tuple)."""
        return [v for _, v in self.static], tuple(tree_util.tree_unflatten(self.in_tree,
                                                                           list(leaves)))


class _Custom(Generic[P, R]):
    """What ``custom_jvp`` and ``custom_vjp`` share: tracing the call into a program."""

    prim: Primitive

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun)  # type: ignore[arg-type]
        # Called inside with the arguments rebuilt from their leaves, not as the user calls it.
        self.fun: Callable[..., R] = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.symbolic_zeros = False  # set with the rule

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_name(self.fun)})"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        raise NotImplementedError

    def __get__(self, obj: Any, objtype: Any = None) -> Any:  # as a method
        return self if obj is None else functools.partial(self, obj)

    def _bind(self, call: _Call) -> Any:
        if not any(isinstance(x, Tracer) for x in call.leaves):  # nothing to differentiate
            return self.fun(*call.args(call.leaves))
        avals = avals_of(call.leaves)
        program, consts, out_tree = subprograms.trace_function(
            lambda *dyn: self.fun(*call.args(tree_util.tree_leaves(dyn))), call.in_tree,
            avals, xp_of(call.leaves), _name(self.fun))
        outs = bind(self.prim, *consts, *call.leaves, program=program, rule=self, call=call,
                    consts=len(consts), out_tree=out_tree)
        return tree_util.tree_unflatten(out_tree, outs)


class custom_jvp(_Custom[P, R]):
    """A function whose forward-mode derivative is given by a rule (``defjvp``); reverse
    mode transposes that rule. ``nondiff_argnums`` are passed to the rule first, as static.

    Example:
        >>> f = gpugrad.custom_jvp(lambda x: gnp.log1p(gnp.exp(x)))
        >>> f.defjvps(lambda t, ans, x: t / (1.0 + gnp.exp(-x)))
        >>> float(gpugrad.grad(f)(np.float64(0.0)))
        0.5
    """

    prim = custom_jvp_p
    jvp: Callable[..., Any] | None  # the rule, set by defjvp

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp: Rule, symbolic_zeros: bool = False) -> Rule:
        """Set the rule ``jvp(*nondiff_args, primals, tangents) -> (primal_out,
        tangent_out)``; returns it, so it can be used as a decorator.

        With ``symbolic_zeros=True`` the tangent of an argument that is not being
        differentiated reaches the rule as a :class:`SymbolicZero` (shape and dtype, no
        array) instead of an array of zeros. Whatever ``symbolic_zeros`` says, the rule may
        return a ``SymbolicZero`` as an output's tangent: that output's derivative is then
        zero, and no array is made for it.

        Example:
            >>> from gpugrad.custom_derivatives import SymbolicZero
            >>> @gpugrad.custom_jvp
            ... def f(x, y):
            ...     return gnp.sin(x) * y
            >>> @f.defjvp
            ... def f_jvp(primals, tangents):
            ...     (x, y), (x_dot, y_dot) = primals, tangents
            ...     return f(x, y), gnp.cos(x) * x_dot * y + gnp.sin(x) * y_dot
            >>> float(gpugrad.grad(f)(np.float64(0.0), np.float64(3.0)))
            3.0
            >>> def g_jvp(primals, tangents):  # the same rule, skipping the zero terms
            ...     (x, y), (x_dot, y_dot) = primals, tangents
            ...     terms = [] if type(x_dot) is SymbolicZero else [gnp.cos(x) * x_dot * y]
            ...     terms += [] if type(y_dot) is SymbolicZero else [gnp.sin(x) * y_dot]
            ...     return f(x, y), sum(terms) if terms else SymbolicZero.from_primal_value(x)
            >>> _ = f.defjvp(g_jvp, symbolic_zeros=True)
            >>> float(gpugrad.grad(f)(np.float64(0.0), np.float64(3.0)))
            3.0
        """
        self.jvp = jvp
        self.symbolic_zeros = symbolic_zeros
        return jvp

    def defjvps(self, *jvps: Callable[..., Any] | None) -> None:
        """One rule per argument, ``jvp_i(tangent_i, primal_out, *primals)``, summed (None
        for an argument with a zero derivative)."""
        if self.nondiff_argnums:
            raise TypeError("defjvps is not supported with nondiff_argnums")

        f: Callable[..., R] = self  # called with the primals as the rule gets them

        def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            out = f(*primals)
            total = None
            for rule, t in zip(jvps, tangents):
                if rule is None:
                    continue
                term = rule(t, out, *primals)
                total = term if total is None else tree_util.tree_map(lambda a, b: a + b,
                                                                       total, term)
            return out, tree_util.tree_map(zeros_like, out) if total is None else total

        self.defjvp(jvp)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.jvp is None:
            raise AttributeError(
                f"No JVP defined for custom_jvp function {_name(self.fun)} using defjvp.")
        return self._bind(_Call(self.fun, self.nondiff_argnums, args, kwargs))


class custom_vjp(_Custom[P, R]):
    """A function whose reverse-mode derivative is given by ``defvjp(fwd, bwd)``:
    ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff_args, residuals, ct) ->`` one
    cotangent per differentiable argument. Forward mode is not defined (as in JAX).

    Example:
        >>> f = gpugrad.custom_vjp(lambda x: gnp.sin(x))
        >>> f.defvjp(lambda x: (gnp.sin(x), gnp.cos(x)), lambda cos_x, g: (2.0 * cos_x * g,))
        >>> float(gpugrad.grad(f)(np.float64(0.0)))
        2.0
    """

    prim = custom_vjp_p
    fwd: Callable[..., Any] | None  # the rules, set by defvjp
    bwd: Callable[..., Any] | None

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any],
               symbolic_zeros: bool = False) -> None:
        """Set the forward function (result and residuals) and the backward function.

        ``bwd`` may give ``None`` for an argument (or any part of one) whose cotangent is
        zero, or a :class:`SymbolicZero` of the argument's shape and dtype. With
        ``symbolic_zeros=True``, ``fwd`` gets each leaf of the differentiable arguments as a
        :class:`CustomVJPPrimal` (``value``, and ``perturbed``: whether it is being
        differentiated), and ``bwd`` gets a ``SymbolicZero`` for the cotangent of an output
        that nothing differentiated reads.

        Example:
            >>> from gpugrad.custom_derivatives import SymbolicZero
            >>> f = gpugrad.custom_vjp(lambda x: (gnp.sin(x), gnp.cos(x)))
            >>> def fwd(x):
            ...     return f(x.value), x.value
            >>> def bwd(x, cts):
            ...     print([type(ct).__name__ for ct in cts])
            ...     sin_ct, cos_ct = cts
            ...     return (gnp.cos(x) * sin_ct,) if type(cos_ct) is SymbolicZero else (
            ...         gnp.cos(x) * sin_ct - gnp.sin(x) * cos_ct,)
            >>> f.defvjp(fwd, bwd, symbolic_zeros=True)
            >>> float(gpugrad.grad(lambda x: f(x)[0])(np.float64(0.0)))
            ['ndarray', 'SymbolicZero']
            1.0
        """
        self.fwd, self.bwd = fwd, bwd
        self.symbolic_zeros = symbolic_zeros

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.fwd is None:
            raise AttributeError(
                f"No VJP defined for custom_vjp function {_name(self.fun)} using defvjp.")
        return self._bind(_Call(self.fun, self.nondiff_argnums, args, kwargs))


# --- the primitives' rules --------------------------------------------------------------

def _impl(*args: Any, program: Program, consts: int, **params: Any) -> list[Any]:
    return run_program(program, args)


def _abstract_eval(*avals: ShapedArray, program: Program, **params: Any) -> list[ShapedArray]:
    return [v.aval for v in program.outvars]


def _jvp_rule(primals: list[Any], tangents: list[Any], program: Program, rule: custom_jvp,
              call: _Call, consts: int, out_tree: Any) -> tuple[list[Any], list[Any]]:
    if any(t is not None for t in tangents[:consts]):
        raise closed_over_derivative("custom_jvp", rule)
    leaves = primals[consts:]
    static, dyn = call.split(leaves)
    _, t_dyn = call.split(to_rule(tangents[consts:], leaves, rule.symbolic_zeros))
    out = rule.jvp(*static, dyn, t_dyn)  # type: ignore[misc]
    p_out, t_out = check_jvp_output(rule, out, out_tree, [v.aval for v in program.outvars])
    return p_out, from_rule(t_out)


def _jvp_vjp(cts: list[Any], primals: list[Any], out: list[Any], wanted: list[bool],
             program: Program, rule: custom_jvp, call: _Call, consts: int, out_tree: Any
             ) -> list[Any]:
    """The transpose of the user's JVP rule: its tangent map is linear, so the cotangents
    are that map's VJP (taken at zero tangents). The inputs not differentiated have zero
    tangents: symbolic ones where the rule asks for them."""
    if any(wanted[:consts]):
        raise closed_over_derivative("custom_jvp", rule)
    leaves = primals[consts:]
    static, dyn = call.split(leaves)

    def tangent_map(*t_leaves: Any) -> list[Any]:
        given = [t if w else None for t, w in zip(t_leaves, wanted[consts:])]
        _, t_dyn = call.split(to_rule(given, leaves, rule.symbolic_zeros))
        out = rule.jvp(*static, dyn, t_dyn)  # type: ignore[misc]
        avals = [v.aval for v in program.outvars]
        return from_rule(check_jvp_output(rule, out, out_tree, avals)[1])

    # The tangents the map is linearized at; the inputs not wanted get theirs from to_rule.
    zeros = [zeros_like(x) if w else None for x, w in zip(leaves, wanted[consts:])]
    got = subprograms.vjp_flat(tangent_map, zeros, wanted[consts:], cts)
    return [None] * consts + got


def _vjp_forward(primals: list[Any], wanted: list[bool], program: Program, rule: custom_vjp,
                 call: _Call, consts: int, out_tree: Any) -> tuple[list[Any], Any]:
    leaves: list[Any] = primals[consts:]
    if rule.symbolic_zeros:  # each leaf with whether it is differentiated
        leaves = [CustomVJPPrimal(x, w) for x, w in zip(leaves, wanted[consts:])]
    out = rule.fwd(*call.args(leaves))  # type: ignore[misc]
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"Custom VJP fwd rule {_name(rule.fwd)} must produce a pair (list or "
                        f"tuple of length two) of (primal output, residuals), got {out!r:.80}")
    primal, residuals = out
    p_leaves, p_tree = tree_util.tree_flatten(primal)
    if p_tree != out_tree:
        raise TypeError(f"Custom VJP fwd rule {_name(rule.fwd)} for function "
                        f"{_name(rule.fun)} must produce primal outputs with the structure of "
                        f"the function's, but got {p_tree} and {out_tree}.")
    return p_leaves, residuals


def _vjp_vjp(cts: list[Any], primals: list[Any], out: list[Any], wanted: list[bool],
             program: Program, rule: custom_vjp, call: _Call, consts: int, out_tree: Any,
             residuals: Any = None) -> list[Any]:
    if any(wanted[:consts]):
        raise closed_over_derivative("custom_vjp", rule)
    static, _ = call.split(primals[consts:])
    ct = tree_util.tree_unflatten(out_tree, to_rule(cts, out, rule.symbolic_zeros))
    got = check_bwd_output(rule, rule.bwd(*static, residuals, ct), call)  # type: ignore[misc]
    return [None] * consts + got


def _vjp_jvp(*args: Any, **params: Any) -> Any:
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


def _batch(values: list[Any], dims: list[int | None], program: Program, rule: Any,
           call: _Call, consts: int, out_tree: Any) -> tuple[list[Any], list[int]]:
    """The batched function applied as the same kind of custom function, whose rules are
    the user's rules batched: so ``grad(vmap(f))`` still uses them."""
    size = batch_size(values, dims)
    leaf_dims = dims[consts:]
    k = values[:consts]

    def batched_fun(*dyn: Any) -> Any:
        leaves = tree_util.tree_leaves(dyn)
        outs = subprograms.run_batched(program, [*k, *leaves], [*dims[:consts], *leaf_dims], size)
        return tree_util.tree_unflatten(out_tree, outs)

    batched_call = _Call(batched_fun, (), tuple(tree_util.tree_unflatten(
        call.in_tree, list(values[consts:]))), {})
    batched_call.static = ()

    out_avals = [v.aval for v in program.outvars]
    if isinstance(rule, custom_jvp):
        new: Any = custom_jvp(batched_fun)
        new.defjvp(batched_jvp(rule, call, out_avals, out_tree, leaf_dims, size),
                   symbolic_zeros=rule.symbolic_zeros)
    else:
        new = custom_vjp(batched_fun)
        new.defvjp(*batched_vjp(rule, call, out_avals, out_tree, leaf_dims, size),
                   symbolic_zeros=rule.symbolic_zeros)
    program2, consts2, _ = subprograms.trace_function(
        batched_fun, batched_call.in_tree, avals_of(values[consts:]), xp_of(values), "custom")
    outs = bind(new.prim, *consts2, *values[consts:], program=program2, rule=new,
                call=batched_call, consts=len(consts2), out_tree=out_tree)
    return outs, [0] * len(outs)


for _prim in (custom_jvp_p, custom_vjp_p):
    _prim.define_rules(impl=_impl, abstract_eval=_abstract_eval, batch=_batch)
custom_jvp_p.define_rules(jvp=_jvp_rule, vjp=_jvp_vjp)
custom_vjp_p.define_rules(jvp=_vjp_jvp, vjp=_vjp_vjp, vjp_forward=_vjp_forward)
