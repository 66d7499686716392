"""vmap composed with the other transformations, in both orders: per-example gradients,
gradients of batched functions, vjp/jvp/linearize either side of vmap, Jacobians of batched
functions and batched Jacobians, nested vmap; and the Jacobians' own batched passes (one
backward pass for every row, one forward pass per input leaf for every column), with
reverse mode's fast paths and backward fusion meeting batched cotangents."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core import reverse
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, host

RNG = np.random.default_rng(15)
A = RNG.standard_normal((4, 3)) / 2


def _rand(xp: Any, *shape: int, seed: int = 0) -> Any:
    return xp.asarray(np.random.default_rng(seed).standard_normal(shape))


# f: R^3 -> R, with its gradient and Hessian in closed form (t = tanh(A x)).
def f(x: Any) -> Any:
    return gnp.sum(gnp.tanh(gnp.asarray(A) @ x) ** 2)


def f_grad(x: np.ndarray) -> np.ndarray:
    t = np.tanh(A @ x)
    return A.T @ (2 * t * (1 - t**2))


def f_hess(x: np.ndarray) -> np.ndarray:
    t2 = np.tanh(A @ x) ** 2
    return A.T @ ((2 * (1 - t2) * (1 - 3 * t2))[:, None] * A)


# g: R^3 -> R^3 elementwise, whose Jacobian is diagonal: diag(cos(2x)) for sin(x) cos(x).
def g(x: Any) -> Any:
    return gnp.sin(x) * gnp.cos(x)


def g_jac(x: np.ndarray) -> np.ndarray:
    return np.diag(np.cos(2 * x))


def _per_example(fun: Any, X: np.ndarray) -> np.ndarray:
    return np.stack([fun(x) for x in host(X)])


# ---------------------------------------------------------------------------------------
# vmap outside: the transformation runs once on the batch


def test_per_example_gradients_of_the_logistic_loss(xp: Any) -> None:
    def loss(w: Any, b: Any, x: Any, y: Any) -> Any:
        p = 1 / (1 + gnp.exp(-(gnp.dot(x, w) + b)))
        return -(y * gnp.log(p) + (1 - y) * gnp.log(1 - p))

    w, b = _rand(xp, 5, seed=1), xp.asarray(0.3)
    X, Y = _rand(xp, 8, 5, seed=2), xp.asarray((np.arange(8) % 2).astype(np.float64))
    gw, gb = gpugrad.vmap(gpugrad.grad(loss, (0, 1)), in_axes=(None, None, 0, 0))(w, b, X, Y)
    r = 1 / (1 + np.exp(-(host(X) @ host(w) + 0.3))) - host(Y)  # d loss / d logit
    np.testing.assert_allclose(host(gw), r[:, None] * host(X), rtol=1e-12)
    np.testing.assert_allclose(host(gb), r, rtol=1e-12)
    # Their sum is the gradient of the summed loss, in one grad over the whole batch.
    total = gpugrad.grad(lambda w: gnp.sum(loss(w, b, X, Y)))(w)
    np.testing.assert_allclose(host(gw).sum(0), host(total), rtol=1e-12)


def test_vmap_of_grad_matches_the_loop_in_every_layout(xp: Any) -> None:
    X = _rand(xp, 5, 3, seed=3)
    check_layouts(gpugrad.grad(f), [X])
    np.testing.assert_allclose(host(gpugrad.vmap(gpugrad.grad(f))(X)),
                               _per_example(f_grad, X), rtol=1e-12)


def test_vmap_of_value_and_grad_with_aux_and_argnums() -> None:
    def h(x: Any, s: Any) -> Any:
        return s * f(x), gnp.sin(x)

    X, S = _rand(np, 4, 3, seed=4), _rand(np, 4, seed=5)
    (value, aux), (gx, gs) = gpugrad.vmap(gpugrad.value_and_grad(h, (0, 1), has_aux=True))(X, S)
    np.testing.assert_allclose(value, S * _per_example(lambda x: np.sum(np.tanh(A @ x) ** 2), X))
    np.testing.assert_allclose(aux, np.sin(X))
    np.testing.assert_allclose(gx, S[:, None] * _per_example(f_grad, X), rtol=1e-12)
    np.testing.assert_allclose(gs, value / S, rtol=1e-12)


def test_vjp_jvp_linearize_under_vmap(xp: Any) -> None:
    X, T = _rand(xp, 5, 3, seed=6), _rand(xp, 5, 3, seed=7)
    expected = np.cos(2 * host(X)) * host(T)  # g's Jacobian is diagonal
    pulled = gpugrad.vmap(lambda x, ct: gpugrad.vjp(g, x)[1](ct)[0])(X, T)
    np.testing.assert_allclose(host(pulled), expected, rtol=1e-12)
    y, pushed = gpugrad.vmap(lambda x, t: gpugrad.jvp(g, (x,), (t,)))(X, T)
    np.testing.assert_allclose(host(y), np.sin(2 * host(X)) / 2, rtol=1e-12)
    np.testing.assert_allclose(host(pushed), expected, rtol=1e-12)
    lin = gpugrad.vmap(lambda x, t: gpugrad.linearize(g, x)[1](t))(X, T)
    np.testing.assert_allclose(host(lin), expected, rtol=1e-12)
    # One point, a batch of cotangents: the pullback of a shared primal, batched.
    x0 = X[0]
    _, pullback = gpugrad.vjp(g, x0)
    rows = gpugrad.vmap(pullback)(T)[0]
    np.testing.assert_allclose(host(rows), np.cos(2 * host(x0)) * host(T), rtol=1e-12)


def test_vmap_of_jacobians_and_hessian(xp: Any) -> None:
    X = _rand(xp, 4, 3, seed=8)
    for jac in (gpugrad.jacrev, gpugrad.jacfwd):
        np.testing.assert_allclose(host(gpugrad.vmap(jac(g))(X)), _per_example(g_jac, X),
                                   rtol=1e-12)
    np.testing.assert_allclose(host(gpugrad.vmap(gpugrad.hessian(f))(X)),
                               _per_example(f_hess, X), rtol=1e-10)
    check_layouts(gpugrad.jacrev(g), [X])
    check_layouts(gpugrad.hessian(f), [X])


def test_vmap_of_jacobian_with_an_unbatched_argument() -> None:
    # d/dM of M @ x, for a batch of x and one shared M: d(Mx)_i / dM_jk = [i == j] x_k.
    M, X = _rand(np, 2, 3, seed=9), _rand(np, 5, 3, seed=10)
    for jac in (gpugrad.jacrev, gpugrad.jacfwd):
        J = gpugrad.vmap(jac(lambda m, x: m @ x), in_axes=(None, 0))(M, X)
        expected = np.einsum("ij,bk->bijk", np.eye(2), X)
        np.testing.assert_allclose(J, expected, rtol=1e-12)


def _loop(fun: Any, w: Any, X: np.ndarray) -> Any:
    """``fun(w, x)`` for each row x of X, stacked leaf by leaf."""
    outs = [fun(w, x) for x in X]
    return gpugrad.tree_util.tree_map(lambda *xs: np.stack([host(a) for a in xs]), *outs)


def _assert_trees_close(got: Any, want: Any) -> None:
    leaves = gpugrad.tree_util.tree_leaves
    got_leaves, want_leaves = leaves(got), leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for a, b in zip(got_leaves, want_leaves):
        np.testing.assert_allclose(host(a), b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["jacrev argnums", "jacfwd argnums", "jacrev has_aux",
                                  "jacfwd has_aux", "jacrev pytrees", "hessian argnums",
                                  "value_and_grad has_aux"])
def test_vmap_keeps_the_jacobians_layout(name: str) -> None:
    """argnums, has_aux and pytrees under vmap: each example's result is the unbatched one."""
    def h(w: Any, x: Any) -> Any:
        return gnp.tanh(w @ x)

    def with_aux(w: Any, x: Any) -> Any:
        return h(w, x), gnp.sum(x)

    funs = {
        "jacrev argnums": gpugrad.jacrev(h, argnums=(0, 1)),
        "jacfwd argnums": gpugrad.jacfwd(h, argnums=(0, 1)),
        "jacrev has_aux": gpugrad.jacrev(with_aux, has_aux=True),
        "jacfwd has_aux": gpugrad.jacfwd(with_aux, has_aux=True),
        "jacrev pytrees": gpugrad.jacrev(
            lambda d, x: {"a": d["w"] @ x, "b": gnp.sum(d["w"]) * x}),
        "hessian argnums": gpugrad.hessian(lambda w, x: gnp.sum(h(w, x) ** 2), argnums=(0, 1)),
        "value_and_grad has_aux": gpugrad.value_and_grad(
            lambda w, x: (gnp.sum(h(w, x)), x), has_aux=True),
    }
    W, X = _rand(np, 2, 3, seed=24), _rand(np, 5, 3, seed=25)
    w = {"w": W} if "pytrees" in name else W
    fun = funs[name]
    _assert_trees_close(gpugrad.vmap(fun, in_axes=(None, 0))(w, X), _loop(fun, w, X))


def test_derivatives_through_vmap_of_a_shared_argument() -> None:
    W, X = _rand(np, 2, 3, seed=26), _rand(np, 5, 3, seed=27)

    def h(w: Any, x: Any) -> Any:
        return gnp.tanh(w @ x)

    def batch(w: Any) -> Any:
        return gpugrad.vmap(h, in_axes=(None, 0))(w, X)

    g = gpugrad.grad(lambda w: gnp.sum(batch(w)))(W)
    _assert_trees_close(g, sum(_loop(lambda w, x: gpugrad.grad(
        lambda w: gnp.sum(h(w, x)))(w), W, X)))
    for jac in (gpugrad.jacrev, gpugrad.jacfwd):
        _assert_trees_close(jac(batch)(W), _loop(jac(h), W, X))


def test_nested_vmap_of_grad_and_jacobian() -> None:
    X = _rand(np, 2, 4, 3, seed=11)
    per = gpugrad.vmap(gpugrad.vmap(gpugrad.grad(f)))(X)
    np.testing.assert_allclose(per, np.stack([_per_example(f_grad, x) for x in X]), rtol=1e-12)
    H = gpugrad.vmap(gpugrad.vmap(gpugrad.hessian(f)), in_axes=1, out_axes=1)(X)
    np.testing.assert_allclose(H, np.stack([_per_example(f_hess, x) for x in X]), rtol=1e-10)


# ---------------------------------------------------------------------------------------
# vmap inside: the transformation differentiates the batched program


def test_grad_of_a_vmapped_sum(xp: Any) -> None:
    X = _rand(xp, 5, 3, seed=12)
    G = gpugrad.grad(lambda X: gnp.sum(gpugrad.vmap(f)(X)))(X)
    np.testing.assert_allclose(host(G), _per_example(f_grad, X), rtol=1e-12)
    H = gpugrad.hessian(lambda X: gnp.sum(gpugrad.vmap(f)(X)))(X)
    expected = np.zeros((5, 3, 5, 3))
    for b, x in enumerate(host(X)):  # examples do not interact: block diagonal
        expected[b, :, b, :] = f_hess(x)
    np.testing.assert_allclose(host(H), expected, rtol=1e-10, atol=1e-14)


def test_jacobians_of_a_vmapped_function() -> None:
    X = _rand(np, 4, 3, seed=13)
    expected = np.zeros((4, 3, 4, 3))
    for b, x in enumerate(X):
        expected[b, :, b, :] = g_jac(x)
    for jac in (gpugrad.jacrev, gpugrad.jacfwd):
        np.testing.assert_allclose(jac(gpugrad.vmap(g))(X), expected, rtol=1e-12, atol=1e-15)
    y, pushed = gpugrad.jvp(gpugrad.vmap(g), (X,), (np.ones_like(X),))
    np.testing.assert_allclose(pushed, np.cos(2 * X), rtol=1e-12)
    _, pullback = gpugrad.vjp(gpugrad.vmap(g), X)
    np.testing.assert_allclose(pullback(np.ones_like(X))[0], np.cos(2 * X), rtol=1e-12)
    _, lin = gpugrad.linearize(gpugrad.vmap(g), X)
    np.testing.assert_allclose(lin(2 * np.ones_like(X)), 2 * np.cos(2 * X), rtol=1e-12)


@pytest.mark.parametrize("name", ["vmap(f)", "vmap(grad f)", "vmap(jacrev g)",
                                  "vmap(jacfwd g)", "vmap(f, shared A)"])
def test_batched_functions_have_derivatives_to_order_two(name: str) -> None:
    X = _rand(np, 3, 3, seed=14)
    funs = {
        "vmap(f)": (gpugrad.vmap(f), [X]),
        "vmap(grad f)": (gpugrad.vmap(gpugrad.grad(f)), [X]),
        "vmap(jacrev g)": (gpugrad.vmap(gpugrad.jacrev(g)), [X]),
        "vmap(jacfwd g)": (gpugrad.vmap(gpugrad.jacfwd(g)), [X]),
        "vmap(f, shared A)": (gpugrad.vmap(lambda a, x: gnp.sum(gnp.tanh(a @ x) ** 2),
                                           in_axes=(None, 0)), [A, X]),
    }
    fun, args = funs[name]
    check_grads(fun, args, order=2, modes=("fwd", "rev"))


def test_against_jax(jax_x64: Any) -> None:
    jnp = jax_x64.numpy
    X = _rand(np, 4, 3, seed=16)

    def fj(x: Any) -> Any:
        return jnp.sum(jnp.tanh(jnp.asarray(A) @ x) ** 2)

    np.testing.assert_allclose(gpugrad.vmap(gpugrad.hessian(f))(X),
                               jax_x64.vmap(jax_x64.hessian(fj))(X), rtol=1e-10)
    np.testing.assert_allclose(
        gpugrad.jacfwd(lambda X: gpugrad.vmap(gpugrad.grad(f))(X))(X),
        jax_x64.jacfwd(jax_x64.vmap(jax_x64.grad(fj)))(X), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------------------
# The Jacobians' batched passes


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """A list that grows by one at each call of ``module.name`` during the test."""
    calls: list[int] = []
    original = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_jacrev_runs_one_backward_pass_per_output_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, reverse, "backward")
    x = _rand(np, 6, seed=17)
    jac = gpugrad.jacrev(lambda x: (gnp.sin(x), gnp.sum(x ** 2)))(x)
    assert len(calls) == 2  # six rows and one, not seven passes
    np.testing.assert_allclose(jac[0], np.diag(np.cos(x)), rtol=1e-12)
    np.testing.assert_allclose(jac[1], 2 * x, rtol=1e-12)


def test_jacfwd_runs_one_forward_pass_per_input_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpugrad import _jacobians

    calls = _count_calls(monkeypatch, _jacobians, "push_forward")
    x, y = _rand(np, 5, seed=18), _rand(np, 2, seed=19)
    jx, jy = gpugrad.jacfwd(lambda x, y: gnp.sum(x) * y, argnums=(0, 1))(x, y)
    assert len(calls) == 2
    np.testing.assert_allclose(jx, np.outer(y, np.ones(5)), rtol=1e-12)
    np.testing.assert_allclose(jy, x.sum() * np.eye(2), rtol=1e-12)


def test_jacobians_stay_on_the_inputs_backend(xp: Any) -> None:
    x = _rand(xp, 4, seed=20).astype(np.float32)
    for jac in (gpugrad.jacrev, gpugrad.jacfwd):
        J = jac(g)(x)
        assert type(J) is type(x) and J.dtype == np.float32
        np.testing.assert_allclose(host(J), g_jac(host(x).astype(np.float64)), rtol=1e-5)


@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("n", [6, 70_000])  # the generated concrete rule; lazy, fused nodes
def test_batched_cotangents_take_the_general_rules(fuse: bool, n: int) -> None:
    """The elementwise VJP rule's shortcut for concrete NumPy cotangents (a generated rule)
    and backward fusion's lazy cotangents both meet a batch of cotangents here: the results
    must be those of the loop."""
    x = _rand(np, n, seed=21)

    def chain(x: Any) -> Any:
        return gnp.exp(-(x ** 2)) * gnp.sin(3 * x) + gnp.log1p(x ** 2) * x

    d = (np.exp(-(x ** 2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
         + np.log1p(x ** 2) + 2 * x ** 2 / (1 + x ** 2))
    cts = _rand(np, 3, n, seed=22)
    old = gpugrad.config.fuse_backward
    gpugrad.config.update("fuse_backward", fuse)
    try:
        _, pullback = gpugrad.vjp(chain, x)
        rows = gpugrad.vmap(pullback)(cts)[0]
        if n < 100:
            jac = gpugrad.jacrev(chain)(x)
    finally:
        gpugrad.config.update("fuse_backward", old)
    np.testing.assert_allclose(rows, cts * d, rtol=1e-10, atol=1e-14)
    if n < 100:
        np.testing.assert_allclose(jac, np.diag(d), rtol=1e-12, atol=1e-15)


def test_empty_leaves_give_empty_blocks() -> None:
    x, e = _rand(np, 3, seed=23), np.zeros((0, 2))
    for jac in (gpugrad.jacrev, gpugrad.jacfwd):
        jx, je = jac(lambda x, e: gnp.sin(x) + gnp.sum(e), argnums=(0, 1))(x, e)
        np.testing.assert_allclose(jx, np.diag(np.cos(x)), rtol=1e-12)
        assert je.shape == (3, 0, 2)
    assert gpugrad.jacrev(lambda e: e * 2)(e).shape == (0, 2, 0, 2)
