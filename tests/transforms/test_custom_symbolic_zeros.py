"""Symbolic zeros in ``custom_jvp``/``custom_vjp`` rules (``symbolic_zeros=True``): which
tangents and cotangents reach the rules as ``SymbolicZero``, which primals are ``perturbed``,
under every transformation, the same as JAX; a rule's symbolic-zero outputs; JAX's errors."""

from __future__ import annotations

import copy
import pickle
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.custom_derivatives import (
    CustomVJPPrimal,
    SymbolicZero,
    custom_vjp_primal_tree_values,
    zero_from_primal,
)
from gpugrad.test_util import check_grads

X, Y = np.float64(0.7), np.float64(2.0)
XS, YS = np.array([0.7, -1.3, 2.1]), np.array([2.0, 0.5, -1.5])

Scenarios = dict[str, Callable[[], Any]]


def _is_zero(lib: Any, t: Any) -> bool:
    return type(t) is lib.custom_derivatives.SymbolicZero


def jvp_scenarios(lib: Any, np_: Any, seen: list[tuple[bool, ...]]) -> Scenarios:
    """``f(x, y) = sin(x) y`` whose rule records which tangents are symbolic zeros, and the
    transformations to try it under."""
    @lib.custom_jvp
    def f(x: Any, y: Any) -> Any:
        return np_.sin(x) * y

    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x, y), (x_dot, y_dot) = primals, tangents
        seen.append((_is_zero(lib, x_dot), _is_zero(lib, y_dot)))
        t = np_.zeros_like(x * y)
        if not _is_zero(lib, x_dot):
            t = t + np_.cos(x) * x_dot * y
        if not _is_zero(lib, y_dot):
            t = t + np_.sin(x) * y_dot
        return f(x, y), t

    f.defjvp(f_jvp, symbolic_zeros=True)
    return _scenarios(lib, np_, f)


def _scenarios(lib: Any, np_: Any, f: Any) -> Scenarios:
    """The transformations every rule is tried under (``f`` of two scalars)."""
    def total(a: Any, b: Any) -> Any:
        return np_.sum(lib.vmap(f)(a, b))

    return {
        "grad x": lambda: lib.grad(f)(X, Y),
        "grad y": lambda: lib.grad(f, 1)(X, Y),
        "grad both": lambda: lib.grad(f, (0, 1))(X, Y),
        "jvp x": lambda: lib.jvp(lambda a: f(a, Y), (X,), (np.float64(1.5),)),
        "jvp both": lambda: lib.jvp(f, (X, Y), (np.float64(1.5), np.float64(0.5))),
        "vjp x": lambda: lib.vjp(lambda a: f(a, Y), X)[1](np.float64(1.0)),
        "jacfwd": lambda: lib.jacfwd(f)(X, Y),
        "jacrev": lambda: lib.jacrev(f)(X, Y),
        "hessian": lambda: lib.hessian(f)(X, Y),
        "grad of grad": lambda: lib.grad(lib.grad(f))(X, Y),
        "jit of grad": lambda: lib.jit(lib.grad(f))(X, Y),
        "grad of jit": lambda: lib.grad(lib.jit(f))(X, Y),
        "vmap of grad": lambda: lib.vmap(lib.grad(f))(XS, YS),
        "grad of vmap": lambda: lib.grad(lambda a: np_.sum(lib.vmap(f, (0, None))(a, Y)))(XS),
        "grad of vmap, both batched": lambda: lib.grad(total)(XS, YS),
        "jit of vmap of grad": lambda: lib.jit(lib.vmap(lib.grad(f, 1)))(XS, YS),
        "y from x": lambda: lib.grad(lambda a: f(a, 2.0 * a))(X),
        "jit of jvp": lambda: lib.jit(lambda a, t: lib.jvp(lambda u: f(u, Y), (a,), (t,)))(
            X, np.float64(0.5)),
        "linearize": lambda: lib.linearize(lambda b: f(X, b), Y)[1](np.float64(2.0)),
        "an integer argument": lambda: lib.grad(lambda a: f(a, 3))(X),
        "grad of checkpoint": lambda: lib.grad(lib.checkpoint(f))(X, Y),
        "grad of cond": lambda: lib.grad(lambda a, b: lib.lax.cond(a > 0, f, lambda u, v: u, a, b),
                                         1)(X, Y),
        "scan over jvp": lambda: lib.lax.scan(
            lambda c, y: (c + lib.jvp(lambda u: f(u, y), (X,), (c,))[1], None), X, YS)[0],
    }


# What JAX 0.10.2's rule sees in each case, as (x_dot is a SymbolicZero, y_dot is one).
EXPECTED_JVP = {
    "grad x": {(False, True)}, "grad y": {(True, False)}, "grad both": {(False, False)},
    "jvp x": {(False, True)}, "jvp both": {(False, False)}, "vjp x": {(False, True)},
    "jacfwd": {(False, True)}, "jacrev": {(False, True)}, "hessian": {(False, True)},
    "grad of grad": {(False, True)}, "jit of grad": {(False, True)},
    "grad of jit": {(False, True)}, "vmap of grad": {(False, True)},
    "grad of vmap": {(False, True)}, "grad of vmap, both batched": {(False, True)},
    "jit of vmap of grad": {(True, False)}, "y from x": {(False, False)},
    "jit of jvp": {(False, True)}, "linearize": {(True, False)},
    "an integer argument": {(False, True)}, "grad of checkpoint": {(False, True)},
    "grad of cond": {(True, False)}, "scan over jvp": {(False, True)},
}


def _run(scenarios: Scenarios, seen: list[Any]) -> dict[str, tuple[set[Any], list[Any]]]:
    results = {}
    for name, run in scenarios.items():
        seen.clear()
        out = run()
        leaves = gpugrad.tree_util.tree_leaves(out)
        results[name] = (set(seen), [np.asarray(leaf) for leaf in leaves])
    return results


def test_jvp_rule_sees_symbolic_zeros_for_unperturbed_inputs(x64: Any) -> None:
    seen: list[tuple[bool, ...]] = []
    got = _run(jvp_scenarios(gpugrad, gnp, seen), seen)
    for name, (flags, _) in got.items():
        assert flags == EXPECTED_JVP[name], name
    c, s = np.cos(X), np.sin(X)
    np.testing.assert_allclose(got["grad both"][1], [c * Y, s], rtol=1e-15)
    np.testing.assert_allclose(got["hessian"][1], [-s * Y], rtol=1e-15)
    np.testing.assert_allclose(got["jit of vmap of grad"][1][0], np.sin(XS), rtol=1e-15)
    np.testing.assert_allclose(got["y from x"][1], [2 * (c * X + s)], rtol=1e-15)


def test_jvp_rule_sees_what_jax_passes(x64: Any, jax_x64: Any) -> None:
    seen: list[tuple[bool, ...]] = []
    ours = _run(jvp_scenarios(gpugrad, gnp, seen), seen)
    theirs = _run(jvp_scenarios(jax_x64, jax_x64.numpy, seen), seen)
    for name in ours:
        assert ours[name][0] == theirs[name][0] == EXPECTED_JVP[name], name
        for a, b in zip(ours[name][1], theirs[name][1], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14, err_msg=name)


def test_without_symbolic_zeros_the_rule_sees_zero_arrays() -> None:
    seen: list[Any] = []

    @gpugrad.custom_jvp
    def f(x: Any, y: Any) -> Any:
        return x * y

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        seen.extend(tangents)
        return f(*primals), tangents[0] * primals[1] + primals[0] * tangents[1]

    assert float(gpugrad.grad(f)(X, Y)) == 2.0
    assert type(seen[1]) is np.ndarray and seen[1].shape == () and seen[1] == 0.0


def zero_outputs(lib: Any, np_: Any) -> list[Any]:
    """``g(x, y) = (x y, y^2 + 0 sin(x + 1))`` whose rule returns a SymbolicZero for each
    output whose tangent is zero (the second one's derivative is y's alone)."""
    zero = lib.custom_derivatives.SymbolicZero

    @lib.custom_jvp
    def g(x: Any, y: Any) -> Any:
        return x * y, np_.sin(x + 1.0) * 0.0 + y ** 2

    def g_jvp(primals: Any, tangents: Any) -> Any:
        (x, y), (x_dot, y_dot) = primals, tangents
        out = g(x, y)
        if _is_zero(lib, x_dot) and _is_zero(lib, y_dot):  # not reached: never both
            raise AssertionError("the rule ran with no tangent at all")
        first = x * y_dot if _is_zero(lib, x_dot) else x_dot * y
        if not _is_zero(lib, x_dot) and not _is_zero(lib, y_dot):
            first = first + x * y_dot
        second = zero.from_primal_value(out[1]) if _is_zero(lib, y_dot) else 2 * y * y_dot
        return out, (first, second)

    g.defjvp(g_jvp, symbolic_zeros=True)
    return [lib.jvp(lambda a: g(a, Y), (X,), (np.float64(1.0),)),
            lib.grad(lambda a: g(a, Y)[1])(X), lib.jacfwd(lambda a: g(a, Y))(XS),
            lib.jacrev(lambda a: g(a, Y))(XS), lib.vmap(lib.grad(lambda a: g(a, Y)[1]))(XS),
            lib.hessian(lambda a, b: g(a, b)[1], (0, 1))(X, Y),
            lib.hessian(lambda a, b: g(a, b)[0], (0, 1))(X, Y)]


def test_a_rule_may_return_symbolic_zeros(x64: Any) -> None:
    (_, _, t0, t1, g1, j0, j1, r0, r1, v1, *hessians) = gpugrad.tree_util.tree_leaves(
        zero_outputs(gpugrad, gnp))
    assert (t0, t1, g1) == (Y, 0.0, 0.0)  # jvp's tangents (the zero one an array), grad
    np.testing.assert_array_equal([j0, r0], [np.eye(3) * Y] * 2)
    for block in (j1, r1):
        np.testing.assert_array_equal(block, np.zeros((3, 3)))
    np.testing.assert_array_equal(v1, np.zeros(3))
    np.testing.assert_array_equal(hessians, [0.0, 0.0, 0.0, 2.0, 0.0, 1.0, 1.0, 0.0])


def test_a_rule_returning_symbolic_zeros_gives_jaxs_numbers(x64: Any, jax_x64: Any) -> None:
    ours = gpugrad.tree_util.tree_leaves(zero_outputs(gpugrad, gnp))
    theirs = jax_x64.tree_util.tree_leaves(zero_outputs(jax_x64, jax_x64.numpy))
    for a, b in zip(ours, theirs, strict=True):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-15)


def test_a_symbolic_zero_output_makes_no_array() -> None:
    @gpugrad.custom_jvp
    def g(x: Any) -> Any:
        return x * 3.0

    g.defjvp(lambda p, t: (g(p[0]), SymbolicZero.from_primal_value(p[0])), symbolic_zeros=True)
    program = str(gpugrad.make_jaxpr(lambda x: gpugrad.jvp(g, (x,), (x,))[1])(np.ones(2)))
    # One equation (the primal's call); the tangent is a constant array of zeros.
    assert re.findall(r"^    \w+:\S+ = (\w+)", program, re.M) == ["custom_jvp_call"]
    assert program.endswith("in (a,) }")
    np.testing.assert_array_equal(gpugrad.jvp(g, (XS,), (XS,))[1], np.zeros(3))
    np.testing.assert_array_equal(gpugrad.grad(lambda x: gnp.sum(g(x)))(XS), np.zeros(3))


def vjp_scenarios(lib: Any, np_: Any, seen: list[tuple[Any, ...]]) -> Scenarios:
    """``f(x, y) = (sin(x) y, cos(x))`` whose ``fwd`` records which primals are perturbed
    and whose ``bwd`` records which cotangents are symbolic zeros."""
    @lib.custom_vjp
    def f(x: Any, y: Any) -> Any:
        return np_.sin(x) * y, np_.cos(x)

    def fwd(x: Any, y: Any) -> Any:
        seen.append(("fwd", x.perturbed, y.perturbed))
        return f(x.value, y.value), (x.value, y.value)

    def bwd(res: Any, cts: Any) -> Any:
        (x, y), (g0, g1) = res, cts
        seen.append(("bwd", _is_zero(lib, g0), _is_zero(lib, g1)))
        gx, gy = 0.0, 0.0
        if not _is_zero(lib, g0):
            gx, gy = np_.cos(x) * y * g0, np_.sin(x) * g0
        if not _is_zero(lib, g1):
            gx = gx - np_.sin(x) * g1
        return gx, gy

    f.defvjp(fwd, bwd, symbolic_zeros=True)

    def first(a: Any, b: Any) -> Any:
        return f(a, b)[0]

    return {
        "grad x": lambda: lib.grad(first)(X, Y),
        "grad of the second output": lambda: lib.grad(lambda a, b: f(a, b)[1])(X, Y),
        "grad y": lambda: lib.grad(first, 1)(X, Y),
        "vjp": lambda: lib.vjp(f, X, Y)[1]((np.float64(1.0), np.float64(0.0))),
        "jacrev": lambda: lib.jacrev(f)(X, Y),
        "jit of grad": lambda: lib.jit(lib.grad(first))(X, Y),
        "grad of jit": lambda: lib.grad(lambda a, b: lib.jit(f)(a, b)[0])(X, Y),
        "vmap of grad": lambda: lib.vmap(lib.grad(first))(XS, YS),
        "grad of vmap": lambda: lib.grad(lambda a: np_.sum(lib.vmap(f, (0, None))(a, Y)[0]))(XS),
        "grad of vmap, second output": lambda: lib.grad(
            lambda a, b: np_.sum(lib.vmap(f)(a, b)[1]), 1)(XS, YS),
        "grad of grad": lambda: lib.grad(lib.grad(first))(X, Y),
        "grad of checkpoint": lambda: lib.grad(lib.checkpoint(first), 1)(X, Y),
        "grad of scan": lambda: lib.grad(lambda a: lib.lax.scan(
            lambda c, y: (c + f(a, y)[1], None), 0.0, YS)[0])(X),
    }


EXPECTED_VJP = {
    "grad x": {("fwd", True, False), ("bwd", False, True)},
    "grad of the second output": {("fwd", True, False), ("bwd", True, False)},
    "grad y": {("fwd", False, True), ("bwd", False, True)},
    "vjp": {("fwd", True, True), ("bwd", False, False)},
    "jacrev": {("fwd", True, False), ("bwd", False, True), ("bwd", True, False)},
    "jit of grad": {("fwd", True, False), ("bwd", False, True)},
    "grad of jit": {("fwd", True, False), ("bwd", False, True)},
    "vmap of grad": {("fwd", True, False), ("bwd", False, True)},
    "grad of vmap": {("fwd", True, False), ("bwd", False, True)},
    "grad of vmap, second output": {("fwd", False, True), ("bwd", True, False)},
    "grad of grad": {("fwd", True, False), ("bwd", False, True)},
    "grad of checkpoint": {("fwd", False, True), ("bwd", False, True)},
    "grad of scan": {("fwd", True, False), ("bwd", True, False)},
}
# Where JAX passes something else. gpugrad's jacrev pulls back each output's block in a pass
# of its own, so the other output's cotangent is a symbolic zero; JAX pulls back one basis
# stacked over both outputs, zero arrays included. The numbers are the same.
JAX_VJP = {**EXPECTED_VJP, "jacrev": {("fwd", True, False), ("bwd", False, False)}}


def test_vjp_rules_see_perturbed_primals_and_symbolic_zero_cotangents(x64: Any) -> None:
    seen: list[tuple[Any, ...]] = []
    got = _run(vjp_scenarios(gpugrad, gnp, seen), seen)
    for name, (flags, _) in got.items():
        assert flags == EXPECTED_VJP[name], name
    c, s = np.cos(X), np.sin(X)
    np.testing.assert_allclose(got["grad of the second output"][1], [-s], rtol=1e-15)
    np.testing.assert_allclose(got["vjp"][1], [c * Y, s], rtol=1e-15)
    np.testing.assert_allclose(got["grad of vmap, second output"][1], [np.zeros(3)])
    np.testing.assert_allclose(got["grad of grad"][1], [-s * Y], rtol=1e-15)


def test_vjp_rules_see_what_jax_passes(x64: Any, jax_x64: Any) -> None:
    seen: list[tuple[Any, ...]] = []
    ours = _run(vjp_scenarios(gpugrad, gnp, seen), seen)
    theirs = _run(vjp_scenarios(jax_x64, jax_x64.numpy, seen), seen)
    for name in ours:
        assert (ours[name][0], theirs[name][0]) == (EXPECTED_VJP[name], JAX_VJP[name]), name
        for a, b in zip(ours[name][1], theirs[name][1], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14, err_msg=name)


def test_symbolic_zero_objects() -> None:
    z = SymbolicZero.from_primal_value(np.ones((2, 3), np.float32))
    assert (repr(z), str(z), z.shape, z.dtype, z.ndim, z.size) == (
        "SymbolicZero", "SymbolicZero", (2, 3), np.float32, 2, 6)
    assert z.aval.type_text() == "float32[2,3]" and z.weak_type is False
    assert SymbolicZero.from_primal_value(1.5).weak_type  # a Python scalar's is weak
    assert gpugrad.tree_util.tree_leaves({"a": z}) == [z]  # a leaf, not a container
    with pytest.raises(TypeError):
        z + 1.0  # not an array: rules test for it first
    with pytest.raises(AttributeError):
        z.foo
    with pytest.raises(TypeError, match=r"SymbolicZero \(a zero tangent or cotangent of type "
                                        r"float32\[2,3\]\) is not an array: test for it"):
        gnp.sin(z)
    assert copy.deepcopy(z).shape == pickle.loads(pickle.dumps(z)).shape == (2, 3)
    np.testing.assert_array_equal(gnp.zeros(z.shape, z.dtype), np.zeros((2, 3), np.float32))
    zeros = zero_from_primal({"w": np.ones(2), "b": np.float32(3.0)})
    assert zeros["b"].dtype == np.float32 and zeros["w"].tolist() == [0.0, 0.0]
    symbolic = zero_from_primal((np.ones(2), (np.ones(3),)), symbolic_zeros=True)
    assert [type(t) for t in gpugrad.tree_util.tree_leaves(symbolic)] == [SymbolicZero] * 2
    assert symbolic[1][0].shape == (3,)
    primal = CustomVJPPrimal(2.0, True)
    assert repr(primal) == "CustomVJPPrimal(value=2.0, perturbed=True)"
    assert primal == CustomVJPPrimal(2.0, True) and primal.perturbed
    assert custom_vjp_primal_tree_values([primal, {"b": CustomVJPPrimal(1, False)}]) == [
        2.0, {"b": 1}]
    with pytest.raises(TypeError, match="unexpected leaf type <class 'float'>"):
        custom_vjp_primal_tree_values((1.0,))


def test_objects_print_as_jaxs(jax_x64: Any) -> None:
    theirs = jax_x64.custom_derivatives
    assert repr(theirs.SymbolicZero.from_primal_value(np.ones(2))) == repr(
        SymbolicZero.from_primal_value(np.ones(2)))
    assert repr(theirs.CustomVJPPrimal(2.0, False)) == repr(CustomVJPPrimal(2.0, False))
    tree = {"a": (1.0, 2.0)}
    assert theirs.zero_from_primal(tree, True) .__repr__() == repr(zero_from_primal(tree, True))


def bad_rules(lib: Any, np_: Any) -> list[str]:
    """JAX's messages for a rule's symbolic zero of the wrong shape: a JVP rule's output,
    and a bwd rule's cotangent, also under vmap."""
    zero = lib.custom_derivatives.SymbolicZero
    messages = []

    @lib.custom_jvp
    def f(x: Any) -> Any:
        return x * 2.0

    f.defjvp(lambda p, t: (f(p[0]), zero.from_primal_value(np_.ones(3))), symbolic_zeros=True)

    @lib.custom_vjp
    def g(p: Any, y: Any) -> Any:
        return p["w"] * y

    g.defvjp(lambda p, y: (g(p, y), y),
             lambda y, ct: ({"w": zero.from_primal_value(np_.ones(3, np.float32))}, ct))
    for run in (lambda: lib.jvp(f, (X,), (X,)), lambda: lib.grad(f)(X),
                lambda: lib.grad(lambda w: g({"w": w}, Y))(X),
                lambda: lib.vmap(lib.grad(lambda w, y: g({"w": w}, y)))(XS, YS)):
        with pytest.raises((TypeError, ValueError)) as info:
            run()
        messages.append(f"{info.type.__name__}: {info.value}")
    return messages


def test_bad_symbolic_zeros_get_jaxs_errors(x64: Any) -> None:
    ours = bad_rules(gpugrad, gnp)
    jvp_message = ("TypeError: Custom JVP rule must produce primal and tangent outputs with "
                   "corresponding shapes and dtypes. Expected float64[] (tangent type of "
                   "float64[]) but got float64[3].")
    bwd_message = ("ValueError: Custom VJP bwd rule produced a SymbolicZero with a shape/dtype "
                   "that does not match the corresponding input tangent shape/dtype: at "
                   "output[0]['w'] the SymbolicZero had shape/dtype float32[3] while the "
                   "corresponding input had shape/dtype float64[]. Consider just returning a "
                   "None here instead of a SymbolicZero object.")
    assert ours == [jvp_message] * 2 + [bwd_message] * 2
    assert gpugrad.jvp(lambda x: x, (X,), (X,))[1] == X  # nothing left behind
    jax = pytest.importorskip("jax")
    with_jax_x64 = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        assert bad_rules(jax, jax.numpy) == ours
    finally:
        jax.config.update("jax_enable_x64", with_jax_x64)


def partial_cotangents(lib: Any, np_: Any) -> list[Any]:
    """bwd rules giving None or a SymbolicZero for parts of a pytree argument, with
    ``nondiff_argnums``; and a JVP rule with ``nondiff_argnums``."""
    zero = lib.custom_derivatives.SymbolicZero

    @partial(lib.custom_vjp, nondiff_argnums=(0,))
    def h(scale: float, p: Any, y: Any) -> Any:
        return scale * p[0] * p[1] * y

    def h_fwd(scale: float, p: Any, y: Any) -> Any:
        flags = [leaf.perturbed for leaf in lib.tree_util.tree_leaves((p, y))]
        p, y = lib.custom_derivatives.custom_vjp_primal_tree_values((p, y))
        return h(scale, p, y), (p, y, flags)

    def h_bwd(scale: float, res: Any, ct: Any) -> Any:
        (a, b), y, flags = res
        y_ct = zero.from_primal_value(y) if not flags[2] else scale * a * b * ct
        return (None, scale * a * y * ct), y_ct

    h.defvjp(h_fwd, h_bwd, symbolic_zeros=True)

    @partial(lib.custom_jvp, nondiff_argnums=(1,))
    def power(x: Any, k: int, y: Any) -> Any:
        return x ** k * y

    def power_jvp(k: int, primals: Any, tangents: Any) -> Any:
        (x, y), (x_dot, y_dot) = primals, tangents
        out = power(x, k, y)
        dx = 0.0 if _is_zero(lib, x_dot) else k * x ** (k - 1) * y * x_dot
        return out, dx + (0.0 if _is_zero(lib, y_dot) else x ** k * y_dot)

    power.defjvp(power_jvp, symbolic_zeros=True)
    return [lib.grad(lambda p, y: h(3.0, p, y), (0, 1))((X, Y), np.float64(1.5)),
            lib.grad(lambda p: h(3.0, p, 1.5))((X, Y)),
            lib.vmap(lib.grad(lambda a, b, y: h(2.0, (a, b), y), (1, 2)))(XS, YS, XS),
            lib.grad(power)(X, 3, Y), lib.jacfwd(power, 2)(XS, 2, YS),
            lib.hessian(lambda x: np_.sum(lib.vmap(power, (0, None, None))(x, 3, Y)))(XS)]


def test_partial_cotangents_and_static_arguments(x64: Any) -> None:
    ((a0, b0), y0), (a1, b1), (vb, vy), gp, jf, hs = partial_cotangents(gpugrad, gnp)
    assert (a0, b0, y0) == (0.0, 3.0 * X * 1.5, 3.0 * X * Y)
    assert (a1, b1) == (0.0, 3.0 * X * 1.5)
    np.testing.assert_allclose([vb, vy], [2.0 * XS * XS, 2.0 * XS * YS], rtol=1e-15)
    np.testing.assert_allclose(gp, 3 * X ** 2 * Y, rtol=1e-15)
    np.testing.assert_allclose(jf, np.diag(XS ** 2), rtol=1e-15)
    np.testing.assert_allclose(hs, np.diag(6 * XS * Y), rtol=1e-15)


def test_partial_cotangents_give_jaxs_numbers(x64: Any, jax_x64: Any) -> None:
    ours = gpugrad.tree_util.tree_leaves(partial_cotangents(gpugrad, gnp))
    theirs = jax_x64.tree_util.tree_leaves(partial_cotangents(jax_x64, jax_x64.numpy))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-15)


def test_symbolic_zero_rules_pass_finite_differences() -> None:
    @gpugrad.custom_jvp
    def g(x: Any, y: Any) -> Any:
        return gnp.sin(x) * gnp.exp(y)

    def g_jvp(primals: Any, tangents: Any) -> Any:
        (x, y), (x_dot, y_dot) = primals, tangents
        out = g(x, y)
        t = SymbolicZero.from_primal_value(out)
        if type(x_dot) is not SymbolicZero:
            t = gnp.cos(x) * gnp.exp(y) * x_dot
        if type(y_dot) is not SymbolicZero:
            t = out * y_dot if type(t) is SymbolicZero else t + out * y_dot
        return out, t

    g.defjvp(g_jvp, symbolic_zeros=True)
    check_grads(g, (XS, YS), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: g(x, YS), (XS,), order=2, modes=("fwd", "rev"))
    check_grads(lambda y: g(XS, y), (YS,), order=2, modes=("fwd", "rev"))
