"""NumPy's own functions called on traced values run gpugrad.numpy's, so code written with
``import numpy as np`` differentiates unchanged (gpugrad/numpy/_dispatch.py).

Each row of ROWS is written once against a module ``xp``: with ``xp = numpy`` under gpugrad's
transformations (NumPy dispatches to gpugrad) and with ``xp = jax.numpy`` under JAX's, and
the two gradients must agree; finite differences check both modes to second order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import grad, hessian, jvp, vjp
from gpugrad.core.trace import Tracer, current_depth
from gpugrad.numpy import _dispatch
from gpugrad.test_util import check_grads

RNG = np.random.default_rng(12)
A = RNG.uniform(0.5, 1.5, (4, 4))
X = np.array([0.3, -0.7, 0.9, 0.4])
M = A + 4 * np.eye(4)

# name -> (function of the module xp and the arguments, the arguments).
ROWS: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    "sin exp": (lambda xp, x: xp.sum(xp.sin(x) * xp.exp(-x ** 2)), (X,)),
    "tanh log1p sqrt": (lambda xp, x: xp.sum(xp.tanh(x) + xp.log1p(x ** 2)
                                              + xp.sqrt(x ** 2 + 1.0)), (X,)),
    "maximum where": (lambda xp, x: xp.sum(xp.maximum(x, 0.1) + xp.where(x > 0, x, x ** 3)),
                      (X,)),
    "dot matmul": (lambda xp, x: xp.dot(A @ x, xp.matmul(A, x)) + xp.inner(x, x), (X,)),
    "concatenate stack": (lambda xp, x: xp.sum(xp.concatenate([x, x ** 2])
                                               * xp.ravel(xp.stack([x, A[0]]))), (X,)),
    "reductions": (lambda xp, x: xp.mean(x ** 2) + xp.prod(x) + xp.max(x) + xp.std(x)
                   + xp.sum(x, axis=0, keepdims=True)[0], (X,)),
    "cumsum clip": (lambda xp, x: xp.sum(xp.cumsum(x) * xp.clip(x, -0.5, 0.5)), (X,)),
    "outer einsum": (lambda xp, x: xp.sum(xp.outer(x, x) ** 2)
                     + xp.einsum("i,ij,j->", x, A, x), (X,)),
    "reshape transpose": (lambda xp, x: xp.sum(xp.transpose(xp.reshape(x, (2, 2)))
                                               * A[:2, :2]), (X,)),
    "numpy scalars": (lambda xp, x: xp.sum(np.float64(2.0) * x + x * np.float64(0.5)
                                           + (x + np.float64(1.0)) ** 2), (X,)),
    "ndarray operands": (lambda xp, x: xp.sum(A[0] * x + x / A[1] - A[2] ** x + (A[3] - x)),
                         (X,)),
    "arctan2 hypot": (lambda xp, x: xp.sum(xp.arctan2(x, A[0]) + xp.hypot(x, A[1])), (X,)),
    "ufunc reduce": (lambda xp, x: xp.add.reduce(x) + xp.multiply.reduce(x)
                     + xp.maximum.reduce(x) + xp.sum(xp.add.reduce(xp.reshape(x, (2, 2)),
                                                            axis=1) ** 2), (X,)),
    "ufunc accumulate": (lambda xp, x: xp.sum(xp.add.accumulate(x)
                                              * xp.multiply.accumulate(x)), (X,)),
    "ufunc outer": (lambda xp, x: xp.sum(xp.multiply.outer(x, A[0]) ** 2)
                    + xp.sum(xp.subtract.outer(x, x ** 2) ** 2), (X,)),
    "linalg.norm": (lambda xp, x: xp.linalg.norm(x) + xp.linalg.norm(A * x), (X,)),
    "linalg matrix": (lambda xp, m: xp.linalg.det(m) + xp.sum(xp.linalg.inv(m))
                      + xp.sum(xp.linalg.solve(m, A[0])), (M,)),
    "fft": (lambda xp, x: xp.sum(xp.real(xp.fft.fft(x)) ** 2) + xp.sum(xp.abs(xp.fft.rfft(x))),
            (X,)),
}


@pytest.mark.parametrize("name", ROWS)
def test_numpy_code_differentiates(name: str) -> None:
    f, args = ROWS[name]
    value, g = gpugrad.value_and_grad(lambda *a: f(np, *a))(*args)
    np.testing.assert_allclose(value, f(np, *args), rtol=1e-12)  # NumPy's own value
    assert type(g) is np.ndarray and g.shape == args[0].shape
    check_grads(lambda *a: f(np, *a), args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ROWS)
def test_numpy_code_matches_jax(name: str, jax_x64: Any) -> None:
    f, args = ROWS[name]
    expected = jax_x64.grad(lambda *a: f(jax_x64.numpy, *a))(*args)
    np.testing.assert_allclose(grad(lambda *a: f(np, *a))(*args), expected, rtol=1e-10,
                               atol=1e-12)
    t = np.linspace(0.5, -0.5, args[0].size).reshape(args[0].shape)
    _, expected_t = jax_x64.jvp(lambda *a: f(jax_x64.numpy, *a), args, (t,))
    np.testing.assert_allclose(jvp(lambda *a: f(np, *a), args, (t,))[1], expected_t,
                               rtol=1e-10, atol=1e-12)


def logistic_loss(w: Any, features: Any, labels: Any) -> Any:
    """A loss written with NumPy only (nothing from gpugrad)."""
    z = np.dot(features, w) + np.float64(0.5)
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(labels * np.log(p) + (1 - labels) * np.log1p(-p)) + 0.1 * np.sum(w ** 2)


def test_a_numpy_loss_against_its_closed_form() -> None:
    features = RNG.standard_normal((6, 4))
    labels = (RNG.uniform(size=6) > 0.5).astype(np.float64)
    w = RNG.standard_normal(4)
    p = 1.0 / (1.0 + np.exp(-(features @ w + 0.5)))
    gradient = features.T @ (p - labels) / 6 + 0.2 * w
    hess = features.T @ (features * (p * (1 - p))[:, None]) / 6 + 0.2 * np.eye(4)
    np.testing.assert_allclose(grad(logistic_loss)(w, features, labels), gradient, rtol=1e-12)
    t = RNG.standard_normal(4)
    np.testing.assert_allclose(jvp(lambda v: logistic_loss(v, features, labels), (w,), (t,))[1],
                               gradient @ t, rtol=1e-12)
    _, pull = vjp(lambda v: logistic_loss(v, features, labels), w)
    np.testing.assert_allclose(pull(np.float64(2.0))[0], 2.0 * gradient, rtol=1e-12)
    np.testing.assert_allclose(hessian(logistic_loss)(w, features, labels), hess, rtol=1e-10)
    # jvp of grad: the Hessian times t.
    np.testing.assert_allclose(
        jvp(grad(lambda v: logistic_loss(v, features, labels)), (w,), (t,))[1], hess @ t,
        rtol=1e-10)
    check_grads(lambda v: logistic_loss(v, features, labels), (w,), order=2)


def test_nested_derivatives_of_numpy_code() -> None:
    # f = sin(t) exp(t): f' = (sin + cos) exp, f'' = 2 cos exp, f''' = 2 (cos - sin) exp.
    def f(t: Any) -> Any:
        return np.sin(t) * np.exp(t)

    t = np.float64(0.7)
    s, c, e = np.sin(t), np.cos(t), np.exp(t)
    np.testing.assert_allclose(grad(grad(f))(t), 2 * c * e, rtol=1e-12)
    np.testing.assert_allclose(grad(grad(grad(f)))(t), 2 * (c - s) * e, rtol=1e-12)
    np.testing.assert_allclose(jvp(grad(f), (t,), (np.float64(1.0),))[1], 2 * c * e,
                               rtol=1e-12)
    np.testing.assert_allclose(hessian(f)(t), 2 * c * e, rtol=1e-12)


def test_float32_stays_float32_with_numpy_scalars_and_arrays() -> None:
    x = X.astype(np.float32)
    g = grad(lambda x: np.sum(np.float64(2.0) * x + np.ones(4, np.float32) * np.sin(x)))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2.0 + np.cos(x), rtol=1e-6)


def test_numpy_functions_return_tracers_inside_transformations() -> None:
    seen = []
    grad(lambda x: seen.extend([np.sin(x), np.sum(x), np.linalg.norm(x), A * x]) or np.sum(x))(X)
    assert all(isinstance(s, Tracer) for s in seen) and len(seen) == 4


def _assert_clean() -> None:
    assert current_depth() == 0
    np.testing.assert_allclose(grad(lambda x: A[0] @ (x * x))(X), 2 * A[0] * X)


def _add_in_place(x: Any) -> Any:
    a = np.zeros(4)
    a += x
    return np.sum(a)


ERRORS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "ufunc out=": (lambda x: np.sum(np.sin(x, out=np.empty(4))), r"numpy\.sin was given out="),
    "function out=": (lambda x: np.sum(x, out=np.empty(())), r"numpy\.sum was given out="),
    "in-place operator": (_add_in_place, r"`a = a \+ x`, not `a \+= x`"),
    "ufunc where=": (lambda x: np.sum(np.sin(x, where=x > 0)), r"gpugrad\.numpy\.where"),
    "ufunc.at": (lambda x: np.add.at(x, [0], 1.0), r"a\.at\[indices\]\.add\(b\)"),
    "ufunc method without equivalent": (lambda x: np.sum(np.maximum.accumulate(x)),
                                        r"numpy\.maximum\.accumulate.*no gpugrad\.numpy"),
    "reduce initial=": (lambda x: np.add.reduce(x, initial=1.0), r"does not support initial="),
}


@pytest.mark.parametrize("name", ERRORS)
def test_what_cannot_be_differentiated_is_a_clear_error(name: str) -> None:
    f, message = ERRORS[name]
    for transform in (lambda: grad(f)(X), lambda: jvp(f, (X,), (X,)),
                      lambda: hessian(f)(X)):
        with pytest.raises(TypeError, match=message):
            transform()
        _assert_clean()


def test_a_numpy_function_gpugrad_lacks_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(_dispatch._FUNCTIONS, np.sum)
    monkeypatch.delitem(_dispatch._UFUNCS, np.sin)
    for f, name in ((np.sum, r"numpy\.sum"), (np.sin, r"numpy\.sin")):
        with pytest.raises(TypeError, match=name + r" was called on a traced value, but "
                           r"gpugrad\.numpy has no \w+.*gpugrad\.stop_gradient\(x\)"):
            grad(lambda x, f=f: np.sum(f(x)) if f is np.sin else f(x))(X)
        _assert_clean()


def test_numpy_functions_gpugrad_lacks_are_errors() -> None:
    # NumPy functions of one array, ufuncs and others, that gpugrad.numpy may lack.
    lacking = [f for f in (np.spacing, np.frexp, np.modf, np.i0, np.unwrap, np.trapezoid,
                           np.sort_complex, np.signbit) if not hasattr(gnp, f.__name__)]
    assert lacking, "gpugrad.numpy has every candidate: pick others NumPy has"
    for f in lacking[:2]:
        with pytest.raises(TypeError, match=rf"numpy\.{f.__name__} was called on a traced "
                           "value"):
            grad(lambda x, f=f: np.sum(f(x)))(X)
        _assert_clean()


def test_integer_tracers_reach_numpy_itself() -> None:
    """No derivative to keep: NumPy's own function runs on the values, out= included."""

    def f(x: Any) -> Any:
        i = x.astype(np.int64)
        assert isinstance(i, Tracer)
        counts = np.bincount(i, minlength=4)  # gpugrad.numpy has no bincount
        total = np.zeros(4, np.int64)
        total += i  # in place into a NumPy array: fine for integers
        return np.sum(x * counts[:4] + x * total)

    x = np.array([0.5, 1.5, 1.2, 3.7])
    # i = [0, 1, 1, 3]: counts = [1, 2, 0, 1]; d/dx = counts + i.
    np.testing.assert_allclose(grad(f)(x), [1.0, 3.0, 1.0, 4.0])


def test_a_tracer_is_never_written_into() -> None:
    """out= naming a tracer is refused even for integers: the backward pass may read the
    value later (an index saved by x[i], say)."""

    def write_into_float(x: Any) -> Any:
        np.sin(np.ones(4), out=x)
        return np.sum(x)

    def write_into_int(x: Any) -> Any:
        i = x.astype(np.int64)
        np.add(i, 1, out=i)
        return np.sum(x)

    with pytest.raises(TypeError, match=r"numpy\.sin was given out="):
        grad(write_into_float)(X)
    with pytest.raises(TypeError, match=r"numpy\.add was given a traced value as out=.*"
                       r"immutable"):
        grad(write_into_int)(X)
    _assert_clean()
