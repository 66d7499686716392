"""Taking a number out of a traced value (api.md): an error where it would drop a derivative,
free where it would not, and gpugrad.stop_gradient as the way out.

Each conversion in CONVERSIONS is tried on a floating tracer under every transformation in
TRANSFORMS (nested ones included); each must raise a TypeError that names the way out, and
leave no tracing state behind.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import grad, hessian, jacfwd, jacrev, jvp, vjp
from gpugrad.core.trace import Tracer, current_depth

DROPPED = r"would drop the derivative.*gpugrad\.stop_gradient\(x\).*bool\(\) and comparisons"
NOT_AN_INTEGER = (r"an integer was needed.*dtype float.*drop its derivative.*"
                  r"gpugrad\.stop_gradient\(x\).*bool\(\) and comparisons")


def _store(x: Any) -> Any:
    # A slice: for `buffer[0] = x` NumPy itself raises "setting an array element with a
    # sequence" (ValueError) before asking the tracer anything, as it does for JAX's.
    buffer = np.zeros(2)
    buffer[:] = x
    return buffer


# name -> (conversion of a 0-d tracer, the message it must raise).
CONVERSIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "float": (float, DROPPED),
    "int": (int, DROPPED),
    "complex": (complex, DROPPED),
    "operator.index": (operator.index, NOT_AN_INTEGER),
    "item": (lambda x: x.item(), DROPPED),
    "tolist": (lambda x: x.tolist(), DROPPED),
    "math.exp": (math.exp, DROPPED),
    "math.sin": (math.sin, DROPPED),
    "math.log": (math.log, DROPPED),
    "math.sqrt": (math.sqrt, DROPPED),
    "math.floor": (math.floor, DROPPED),
    "math.trunc": (math.trunc, DROPPED),
    "math.isfinite": (math.isfinite, DROPPED),
    "math.atan2": (lambda x: math.atan2(x, 1.0), DROPPED),
    "math.pow": (lambda x: math.pow(x, 2.0), DROPPED),
    "np.asarray": (np.asarray, DROPPED),
    "np.array": (np.array, DROPPED),
    "np.float64": (np.float64, DROPPED),
    "store into ndarray": (_store, DROPPED),
    "index ndarray": (lambda x: np.arange(3.0)[x], DROPPED),
    "index list": (lambda x: [1.0, 2.0, 3.0][x], NOT_AN_INTEGER),
    "range": (range, NOT_AN_INTEGER),
    "slice bound": (lambda x: [1.0, 2.0, 3.0][:x], NOT_AN_INTEGER),
}


def _uses(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A function of ``x`` that converts it on the way (and is otherwise differentiable)."""

    def f(x: Any) -> Any:
        convert(x)
        return x * x

    return f


# name -> runs the function of one scalar under a transformation.
TRANSFORMS: dict[str, Callable[[Callable[[Any], Any], Any], Any]] = {
    "grad": lambda f, x: grad(f)(x),
    "jvp": lambda f, x: jvp(f, (x,), (np.ones_like(x),)),
    "vjp": lambda f, x: vjp(f, x),
    "jacrev": lambda f, x: jacrev(f)(x),
    "jacfwd": lambda f, x: jacfwd(f)(x),
    "hessian": lambda f, x: hessian(f)(x),
    "grad of grad": lambda f, x: grad(grad(f))(x),
    "jvp of grad": lambda f, x: jvp(grad(f), (x,), (np.ones_like(x),)),
    "grad of jvp": lambda f, x: grad(lambda y: jvp(f, (y,), (np.ones_like(x),))[1])(x),
    # The outer transformation's tracer converted inside an inner one.
    "outer value in inner grad": lambda f, x: grad(
        lambda y: grad(lambda z: f(y) * z)(np.float64(1.0)))(x),
}


def _assert_clean() -> None:
    """No tracing state left: the stack is empty and the next transformation works."""
    assert current_depth() == 0
    assert float(grad(lambda x: x * x)(3.0)) == 6.0


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("name", CONVERSIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conversion_of_a_float_tracer_is_an_error(name: str, transform: str, dtype: Any
                                                  ) -> None:
    convert, message = CONVERSIONS[name]
    x = np.asarray(1.5, dtype)
    with pytest.raises(TypeError, match=message):
        TRANSFORMS[transform](_uses(convert), x)
    _assert_clean()


def test_the_reported_silent_answers_are_errors() -> None:
    """The cases of issue 12: each used to return a wrong number (0, 0, 1, 0)."""
    for f in (lambda x: float(x) ** 2, math.exp, lambda x: x.item() * x):
        with pytest.raises(TypeError, match=DROPPED):
            grad(f)(1.0)
    with pytest.raises(TypeError, match=DROPPED):
        hessian(lambda x: x.item() ** 3)(1.0)
    _assert_clean()


def _math_functions_of_one_float() -> list[tuple[str, float]]:
    """Every math function that accepts one float, with an argument in its domain."""
    found = []
    for name in sorted(dir(math)):
        fn = getattr(math, name)
        if not callable(fn):
            continue
        for value in (0.5, 1.5):
            try:
                fn(value)
            except (TypeError, ValueError):
                continue
            found.append((name, value))
            break
    return found


MATH_FUNCTIONS = _math_functions_of_one_float()


def test_the_math_table_is_complete() -> None:
    names = {n for n, _ in MATH_FUNCTIONS}
    assert {"exp", "sin", "floor", "ceil", "trunc", "gamma", "erf", "isnan", "acosh"} <= names
    assert len(names) >= 35


@pytest.mark.parametrize(("name", "value"), MATH_FUNCTIONS, ids=[n for n, _ in MATH_FUNCTIONS])
def test_every_math_function_of_a_float_tracer_is_an_error(name: str, value: float) -> None:
    fn = getattr(math, name)
    for transform in ("grad", "jvp", "hessian"):
        with pytest.raises(TypeError, match=DROPPED):
            TRANSFORMS[transform](_uses(fn), np.float64(value))
    _assert_clean()


def test_complex_tracers_do_not_convert() -> None:
    z = np.complex128(1.0 + 2.0j)
    for convert in (complex, float, lambda v: v.item()):
        with pytest.raises(TypeError, match=r"dtype complex128.*stop_gradient"):
            jvp(_uses(convert), (z,), (np.complex128(1.0),))
        with pytest.raises(TypeError, match=r"dtype complex128.*stop_gradient"):
            grad(lambda v, c=convert: gnp.real(_uses(c)(v)), holomorphic=False)(z)
    _assert_clean()


# Conversions of integer and bool tracers: (name, conversion, expected Python value at 2.5).
FREE = [
    ("float", float, 2.0), ("int", int, 2), ("complex", complex, 2 + 0j),
    ("operator.index", operator.index, 2), ("item", lambda i: i.item(), 2),
    ("tolist", lambda i: i.tolist(), 2), ("math.exp", math.exp, math.exp(2.0)),
    ("range", lambda i: len(range(i)), 2), ("index list", lambda i: [5, 6, 7][i], 7),
    ("np.asarray", lambda i: int(np.asarray(i)), 2),
    ("index ndarray", lambda i: int(np.arange(10)[i]), 2),
]


@pytest.mark.parametrize("ndigits", [None, 0, 1, 2])
def test_round_of_a_tracer_is_an_array_with_zero_derivative(ndigits: int | None) -> None:
    # As JAX: Python's round() of a traced value is gnp.round, not a number taken out of it.
    x = np.float64(1.2345)
    rounded = np.round(x, ndigits or 0)
    np.testing.assert_allclose(grad(lambda v: round(v, ndigits) * v)(x), rounded, rtol=1e-15)
    np.testing.assert_allclose(jvp(lambda v: round(v, ndigits) * v, (x,), (1.0,))[1], rounded,
                               rtol=1e-15)
    i = grad(lambda v: v * round(v.astype(np.int32)))(np.float64(2.7))
    assert float(i) == 2.0
    _assert_clean()


@pytest.mark.parametrize(("name", "convert", "expected"), FREE, ids=[r[0] for r in FREE])
@pytest.mark.parametrize("transform", ["grad", "hessian", "grad of grad", "jacrev"])
def test_integer_tracers_convert_freely(name: str, convert: Callable[[Any], Any],
                                        expected: Any, transform: str) -> None:
    seen = []

    def f(x: Any) -> Any:
        i = x.astype(np.int64)
        assert isinstance(i, Tracer)  # really a tracer: the test is not vacuous
        value = convert(i)
        seen.append(value)
        return x * float(i)  # d/dx = i = 2 (the integer part has no derivative)

    out = TRANSFORMS[transform](f, np.float64(2.5))
    assert seen and all(v == expected and type(v) is type(expected) for v in seen)
    np.testing.assert_allclose(out, {"grad": 2.0, "hessian": 0.0, "grad of grad": 0.0,
                                     "jacrev": 2.0}[transform])


def test_bool_tracers_convert_freely_and_drive_control_flow() -> None:
    kinds = []

    def f(x: Any) -> Any:
        positive = x > 0
        kinds.append(isinstance(positive, Tracer))
        assert bool(positive) is True and int(positive) == 1 and float(positive) == 1.0
        assert np.asarray(positive).dtype == np.bool_
        return x * x if positive else -x

    assert float(grad(f)(3.0)) == 6.0
    # A tracer in reverse mode, so the test is not vacuous (forward mode makes a plain
    # array of what has no tangent).
    assert kinds == [True]
    assert float(jvp(f, (3.0,), (1.0,))[1]) == 6.0
    assert float(hessian(f)(3.0)) == 2.0
    # bool() of a float tracer reads its value on every transformation.
    g = grad(lambda x: x * x if x > 0 else -x)
    assert float(g(-2.0)) == -1.0 and float(grad(g)(2.0)) == 2.0


def test_stop_gradient_gives_a_value_that_converts() -> None:
    def f(x: Any) -> Any:
        c = gpugrad.stop_gradient(x)
        assert not isinstance(c, Tracer)
        return x * float(c) + math.exp(c) + x * c.item() + x ** 2 * c.tolist()

    # f = 2 x c + exp(c) + x^2 c with c = x frozen: f' = 2 c + 2 x c, f'' = 2 c.
    x0 = 1.5
    np.testing.assert_allclose(grad(f)(x0), 2 * x0 + 2 * x0 * x0, rtol=1e-6)
    np.testing.assert_allclose(jvp(f, (x0,), (1.0,))[1], 2 * x0 + 2 * x0 * x0, rtol=1e-6)
    np.testing.assert_allclose(hessian(f)(x0), 2 * x0, rtol=1e-6)
    np.testing.assert_allclose(grad(grad(f))(x0), 2 * x0, rtol=1e-6)
    # Concrete values keep Python control flow and indexing working.
    table = [10.0, 20.0, 30.0]
    h = grad(lambda x: x * table[int(gpugrad.stop_gradient(x))])
    assert float(h(np.float64(1.7))) == 20.0


def test_a_zero_tangent_still_refuses_like_jax() -> None:
    """JAX raises for float() of a JVPTracer even when its tangent is zero; so do we."""
    with pytest.raises(TypeError, match=DROPPED):
        jvp(lambda x, y: x * float(y), (1.0, 2.0), (1.0, 0.0))
    jax = pytest.importorskip("jax")
    with pytest.raises(TypeError):
        jax.jvp(lambda x, y: x * float(y), (1.0, 2.0), (1.0, 0.0))


@pytest.mark.parametrize("name", ["float", "complex", "tolist", "math.exp", "np.asarray",
                                  "operator.index", "range"])
def test_jax_refuses_the_same_conversions(name: str) -> None:
    """Where JAX 0.10.2 raises a TypeError, gpugrad does too. (JAX lets int(x) and x.item()
    through for a JVPTracer; api.md asks gpugrad to refuse them as well, since the derivative
    of x.item() * x comes out wrong.)"""
    jax = pytest.importorskip("jax")
    convert = CONVERSIONS[name][0]
    with pytest.raises(TypeError):
        jax.grad(_uses(convert))(1.5)
    with pytest.raises(TypeError):
        grad(_uses(convert))(1.5)
