"""Semantics of the transformations: argnums, has_aux, pytrees, nesting, composition."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp


def f2(x, y):
    return gnp.sum(x**2 * y)


X = np.array([1.0, 2.0, 3.0])
Y = np.array([0.5, -1.0, 2.0])


def test_grad_closed_form_float64_keeps_dtype():
    g = grad(lambda x: gnp.sum(gnp.sin(x) ** 2))(X)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.sin(2 * X), rtol=1e-14)


def test_argnums_int_tuple_negative_and_single_tuple():
    gx = grad(f2)(X, Y)
    gy = grad(f2, argnums=1)(X, Y)
    np.testing.assert_allclose(gx, 2 * X * Y)
    np.testing.assert_allclose(gy, X**2)
    both = grad(f2, argnums=(0, 1))(X, Y)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_allclose(both[1], X**2)
    (only,) = grad(f2, argnums=(1,))(X, Y)
    np.testing.assert_allclose(only, X**2)
    np.testing.assert_allclose(grad(f2, argnums=-1)(X, Y), X**2)


def test_keyword_arguments_pass_through_undifferentiated():
    def f(x, *, scale):
        return gnp.sum(x * scale)

    np.testing.assert_allclose(grad(f)(X, scale=3.0), np.full(3, 3.0))


def test_value_and_grad_and_has_aux():
    (v, aux), g = value_and_grad(lambda x: (gnp.sum(x**3), {"n": x.shape[0]}), has_aux=True)(X)
    assert v == pytest.approx(36.0)
    assert aux == {"n": 3}
    np.testing.assert_allclose(g, 3 * X**2)
    g2, aux2 = grad(lambda x: (gnp.sum(x), x * 2), has_aux=True)(X)
    np.testing.assert_allclose(g2, np.ones(3))
    np.testing.assert_allclose(aux2, 2 * X)
    assert type(aux2) is np.ndarray  # aux comes back as a plain array, not a tracer


Point = namedtuple("Point", ["x", "y"])


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


gpugrad.tree_util.register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
                                       lambda aux, ch: Pair(*ch))


@pytest.mark.parametrize("kind", ["tuple", "list", "dict", "namedtuple", "none", "registered"])
def test_pytree_arguments(kind):
    a, b = np.array([1.0, 2.0]), np.array(3.0)
    tree = {"tuple": (a, b), "list": [a, b], "dict": {"a": a, "z": b},
            "namedtuple": Point(a, b), "none": (a, None, b), "registered": Pair(a, b)}[kind]

    def loss(t):
        leaves = gpugrad.tree_util.tree_leaves(t)
        return gnp.sum(leaves[0] ** 2) * leaves[1]

    g = grad(loss)(tree)
    assert type(g) is type(tree)
    gl = gpugrad.tree_util.tree_leaves(g)
    np.testing.assert_allclose(gl[0], 2 * a * b)
    np.testing.assert_allclose(gl[1], np.sum(a**2))


def test_fourth_order_nesting():
    d = grad
    f = lambda x: x**5 + 2 * x**3
    assert float(d(d(d(d(f))))(1.5)) == pytest.approx(120 * 1.5)
    assert float(d(d(d(gnp.sin)))(0.3)) == pytest.approx(-np.cos(0.3), rel=1e-6)


def test_no_perturbation_confusion():
    def f(x):
        return x * grad(lambda y: x + y)(1.0)

    assert float(grad(f)(3.0)) == 1.0

    # The classic nested-derivative example: d/dx [x * d/dy (x * y)] = 2x.
    def g(x):
        return x * grad(lambda y: x * y)(2.0)

    assert float(grad(g)(3.0)) == pytest.approx(6.0)


def test_jvp_of_grad_and_grad_of_jvp():
    f = lambda x: gnp.sum(gnp.exp(x) * x)
    t = np.array([0.1, -0.2, 0.3])
    _, hvp = jvp(grad(f), (X,), (t,))
    hess_diag = np.exp(X) * (X + 2)
    np.testing.assert_allclose(hvp, hess_diag * t, rtol=1e-12)
    g = grad(lambda x: jvp(f, (x,), (t,))[1])(X)
    np.testing.assert_allclose(g, hess_diag * t, rtol=1e-12)


def test_vjp_fn_is_reusable_and_differentiable():
    out, f_vjp = vjp(lambda x: gnp.sin(x) * x, X)
    c1 = f_vjp(np.ones(3))[0]
    c2 = f_vjp(2 * np.ones(3))[0]
    np.testing.assert_allclose(c2, 2 * c1)
    # d/dc <c, J^T c'> is linear; differentiate the vjp_fn through grad
    g = grad(lambda c: gnp.sum(vjp(lambda x: x**2, c)[1](c)[0]))(X)
    np.testing.assert_allclose(g, 4 * X)


def test_jacobian_layout_pytrees():
    def f(x, y):
        return {"a": x * y[0], "b": gnp.sum(x) * y}

    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    for jac in (jacrev, jacfwd):
        J = jac(f, argnums=(0, 1))(x, y)
        assert J["a"][0].shape == (3, 3) and J["a"][1].shape == (3, 2)
        assert J["b"][0].shape == (2, 3) and J["b"][1].shape == (2, 2)
        np.testing.assert_allclose(J["a"][0], 4.0 * np.eye(3))
        np.testing.assert_allclose(J["a"][1], np.stack([x, np.zeros(3)], axis=1))
        np.testing.assert_allclose(J["b"][1], 6.0 * np.eye(2))
        single = jac(f)(x, y)
        assert single["a"].shape == (3, 3)


def test_hessian_closed_form():
    A = np.random.default_rng(0).standard_normal((4, 3))
    f = lambda x: gnp.sum(gnp.tanh(A @ x) ** 2)
    x = np.array([0.1, -0.3, 0.2])
    H = hessian(f)(x)
    t = np.tanh(A @ x)
    w = 2 * (1 - t**2) ** 2 - 4 * t**2 * (1 - t**2)
    np.testing.assert_allclose(H, A.T @ (w[:, None] * A), rtol=1e-10)


def test_linearize_and_stop_gradient():
    y, f_jvp = linearize(lambda x: gnp.exp(x) * 2, X)
    np.testing.assert_allclose(y, 2 * np.exp(X))
    np.testing.assert_allclose(f_jvp(np.ones(3)), 2 * np.exp(X))
    g = grad(lambda x: gnp.sum(x * gpugrad.stop_gradient(x)))(X)
    np.testing.assert_allclose(g, X)


def test_stop_gradient_gives_the_concrete_value_at_every_level():
    seen = []

    def f(x):
        y = gnp.sin(x) * 2.0
        seen.append(np.asarray(gpugrad.stop_gradient(y)))  # NumPy may read it
        return gnp.sum(y * gpugrad.stop_gradient(y))

    g = grad(f)(X)
    np.testing.assert_allclose(seen[0], 2 * np.sin(X), rtol=1e-15)
    np.testing.assert_allclose(g, 4 * np.sin(X) * np.cos(X), rtol=1e-14)
    # zero derivative for the outer transformation too: d/dx [d/dy y * stop(x)] = 0
    assert float(grad(lambda x: grad(lambda y: y * gpugrad.stop_gradient(x))(x))(2.0)) == 0.0
    tree = gpugrad.stop_gradient({"a": X, "b": [1.0]})
    assert tree["a"] is X and tree["b"] == [1.0]


def test_python_control_flow_on_values():
    def f(x):
        return x**2 if x > 0 else -x

    assert float(grad(f)(3.0)) == 6.0
    assert float(grad(f)(-3.0)) == -1.0


def test_nonsmooth_points_follow_jax():
    # JAX 0.10: abs'(0) = 1; a tie in maximum splits the derivative. The full table of
    # non-smooth points is tests/numpy/test_nonsmooth.py.
    assert float(grad(gnp.abs)(0.0)) == 1.0
    assert float(grad(lambda x: gnp.maximum(x, x))(1.0)) == 1.0
    assert float(grad(lambda x: gnp.maximum(x, 0.0))(0.0)) == 0.5
    np.testing.assert_allclose(grad(lambda x: gnp.max(x))(np.array([1.0, 3.0, 3.0])),
                               [0, 0.5, 0.5])
    assert np.isinf(grad(gnp.sqrt)(0.0))
    assert float(grad(lambda x: x**2)(0.0)) == 0.0


def test_outputs_are_plain_arrays():
    g = grad(lambda x: gnp.sum(x))(np.ones(2, np.float32))
    assert type(g) is np.ndarray and g.dtype == np.float32
    v = grad(lambda x: x * 2.0)(1.0)
    assert type(v) is np.ndarray and v.shape == () and v.dtype == np.float32


def test_gradient_of_unused_argument_is_zero():
    g = grad(lambda x, y: gnp.sum(x), argnums=1)(X, Y)
    np.testing.assert_array_equal(g, np.zeros(3))


def test_allow_int_gives_zero_gradient():
    g = grad(lambda x, n: gnp.sum(x) * 2.0, argnums=(0, 1), allow_int=True)(X, np.array(3))
    np.testing.assert_array_equal(g[1], np.zeros(()))


def test_tracing_state_is_per_thread():
    import threading

    results = {}

    def work(k):
        for _ in range(50):
            results[k] = float(grad(lambda x: x ** (k + 2))(1.5))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert results[k] == pytest.approx((k + 2) * 1.5 ** (k + 1), rel=1e-6)


def test_backward_releases_saved_values():
    import gc
    import weakref

    big = np.ones(1000)
    refs = []

    def f(x):
        y = gnp.sin(x) * 2.0
        refs.append(weakref.ref(gpugrad.core.trace.raw_value(y)))
        return gnp.sum(y)

    g = grad(f)(big)
    gc.collect()
    assert refs[0]() is None  # the intermediate was released by the backward pass
    np.testing.assert_allclose(g, 2 * np.cos(big))


def test_where_nan_trap_matches_jax_and_the_documented_fix():
    # Documented in gnp.where: the untaken branch's derivative still multiplies in.
    g = grad(lambda x: gnp.where(x > 0, gnp.sqrt(x), 0.0))(np.zeros(()))
    assert np.isnan(g)
    safe = grad(lambda x: gnp.where(x > 0, gnp.sqrt(gnp.where(x > 0, x, 1.0)), 0.0))
    assert float(safe(np.zeros(()))) == 0.0
    assert float(safe(np.array(4.0))) == pytest.approx(0.25)


def test_jvp_of_a_product_with_both_tangents_is_an_array() -> None:
    """The bilinear tangent of dot (a 0-d result): both terms summed, as an array."""
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    ta, tb = np.array([1.0, 0.0, -1.0]), np.array([2.0, 1.0, 0.5])
    out, tangent = gpugrad.jvp(gnp.dot, (a, b), (ta, tb))
    assert type(tangent) is np.ndarray and tangent.shape == ()
    np.testing.assert_allclose(out, a @ b)
    np.testing.assert_allclose(tangent, ta @ b + a @ tb)
    # and a matrix product, with a tangent on one side only
    m = np.arange(6.0).reshape(2, 3)
    out, tangent = gpugrad.jvp(lambda m: m @ b, (m,), (np.ones((2, 3)),))
    np.testing.assert_allclose(out, m @ b)
    np.testing.assert_allclose(tangent, np.ones((2, 3)) @ b)


@pytest.mark.gpu
def test_host_cotangents_and_tangents_move_to_the_device(cupy_module):
    # api.md: host values beside device arrays go to the device; a host cotangent used to
    # give the gradient of a device input back on the host (b * ct ran in NumPy).
    x = gpugrad.device_put(np.array([0.5, -1.0], np.float32), "cupy")
    b = np.array([3.0, 4.0], np.float32)
    _, f_vjp = gpugrad.vjp(lambda x: x * b, x)
    (ct,) = f_vjp(np.array([1.0, 2.0], np.float32))
    assert isinstance(ct, cupy_module.ndarray)
    np.testing.assert_array_equal(gpugrad.device_get(ct), [3.0, 8.0])
    _, f_vjp = gpugrad.vjp(lambda x: gnp.sum(x * b), x)
    (ct,) = f_vjp(2.0)
    assert isinstance(ct, cupy_module.ndarray)
    np.testing.assert_array_equal(gpugrad.device_get(ct), [6.0, 8.0])
    _, t_out = gpugrad.jvp(lambda x: b * x, (x,), (np.array([1.0, -1.0], np.float32),))
    assert isinstance(t_out, cupy_module.ndarray)
    np.testing.assert_array_equal(gpugrad.device_get(t_out), [3.0, -4.0])
