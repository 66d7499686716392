"""``custom_jvp`` and ``custom_vjp``: the user's rules are used by every transformation
(grad, jvp, vjp, the Jacobians, vmap, jit, to second order), JAX's numbers, and JAX's errors
for rules that return the wrong thing."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core.trace import current_depth
from gpugrad.test_util import check_grads


@gpugrad.custom_jvp
def scaled_sin(x: Any, y: Any) -> Any:
    return gnp.sin(x) * y


@scaled_sin.defjvp
def _scaled_sin_jvp(primals: Any, tangents: Any) -> Any:
    (x, y), (tx, ty) = primals, tangents
    return scaled_sin(x, y), gnp.cos(x) * tx * y + gnp.sin(x) * ty


@gpugrad.custom_jvp
def softplus(x: Any) -> Any:  # a rule that is not the function's own derivative: 10x
    return gnp.log1p(gnp.exp(x))


softplus.defjvps(lambda t, ans, x: 10.0 * t / (1.0 + gnp.exp(-x)))


@gpugrad.custom_vjp
def clipped_sin(x: Any) -> Any:
    return gnp.sin(x)


clipped_sin.defvjp(lambda x: (gnp.sin(x), gnp.cos(x)),
                   lambda cos_x, g: (gnp.clip(g, -1.0, 1.0) * cos_x * 3.0,))


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def test_custom_jvp_rule_is_used_in_every_mode_and_order() -> None:
    x = np.array([0.3, -1.2, 2.0])
    s = sigmoid(x)
    expected = 10.0 * s
    for g in (gpugrad.grad(lambda v: gnp.sum(softplus(v))),
              gpugrad.jit(gpugrad.grad(lambda v: gnp.sum(softplus(v)))),
              gpugrad.grad(lambda v: gnp.sum(gpugrad.jit(softplus)(v)))):
        np.testing.assert_allclose(g(x), expected, rtol=1e-13)
    np.testing.assert_allclose(gpugrad.jvp(softplus, (x,), (np.ones(3),))[1], expected)
    np.testing.assert_allclose(np.diag(gpugrad.jacfwd(softplus)(x)), expected, rtol=1e-13)
    np.testing.assert_allclose(np.diag(gpugrad.jacrev(softplus)(x)), expected, rtol=1e-13)
    # Second order: the derivative of the rule, 10 s (1 - s).
    hess = np.diag(gpugrad.hessian(lambda v: gnp.sum(softplus(v)))(x))
    np.testing.assert_allclose(hess, 10.0 * s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(gpugrad.vmap(gpugrad.grad(softplus))(x), expected, rtol=1e-13)
    np.testing.assert_allclose(gpugrad.grad(lambda v: gnp.sum(gpugrad.vmap(softplus)(v)))(x),
                               expected, rtol=1e-13)


def test_custom_jvp_with_two_arguments_matches_its_closed_form() -> None:
    x, y = np.array(1.0), np.array(2.0)
    gx, gy = gpugrad.grad(scaled_sin, argnums=(0, 1))(x, y)
    np.testing.assert_allclose([gx, gy], [np.cos(1.0) * 2.0, np.sin(1.0)], rtol=1e-14)
    np.testing.assert_allclose(gpugrad.grad(gpugrad.grad(scaled_sin))(x, y), -np.sin(1.0) * 2)
    check_grads(scaled_sin, (np.array([0.4, 1.1]), np.array([2.0, -0.5])), order=2,
                modes=("fwd", "rev"))


def test_custom_vjp_uses_the_users_backward_everywhere() -> None:
    x = np.array([0.2, 1.0, -0.7])
    expected = 3.0 * np.cos(x)  # g = 1, within the clip
    for g in (gpugrad.grad(lambda v: gnp.sum(clipped_sin(v))),
              gpugrad.jit(gpugrad.grad(lambda v: gnp.sum(clipped_sin(v)))),
              gpugrad.grad(lambda v: gnp.sum(gpugrad.jit(clipped_sin)(v))),
              gpugrad.grad(lambda v: gnp.sum(gpugrad.vmap(clipped_sin)(v)))):
        np.testing.assert_allclose(g(x), expected, rtol=1e-14)
    np.testing.assert_allclose(gpugrad.vmap(gpugrad.grad(clipped_sin))(x), expected)
    big = gpugrad.grad(lambda v: gnp.sum(clipped_sin(v) * 5.0))(x)  # the clip acts
    np.testing.assert_allclose(big, 3.0 * np.cos(x), rtol=1e-14)
    # grad of grad differentiates bwd itself; jacfwd(jacrev) works, as in JAX
    np.testing.assert_allclose(gpugrad.grad(gpugrad.grad(clipped_sin))(np.array(0.5)),
                               -3.0 * np.sin(0.5), rtol=1e-14)
    np.testing.assert_allclose(gpugrad.hessian(clipped_sin)(np.array(0.5)), -3.0 * np.sin(0.5))


def test_residuals_as_pytrees_nondiff_arguments_and_keywords() -> None:
    @gpugrad.custom_vjp
    def product(x: Any, y: Any) -> Any:
        return x * y

    product.defvjp(lambda x, y: (x * y, {"a": x, "b": (y,)}),
                   lambda res, g: (res["b"][0] * g, res["a"] * g))
    gx, gy = gpugrad.grad(product, argnums=(0, 1))(np.array(2.0), np.array(3.0))
    assert (float(gx), float(gy)) == (3.0, 2.0)
    a, b = gpugrad.grad(lambda u, v: gnp.sum(gpugrad.vmap(product, in_axes=(0, None))(u, v)),
                        argnums=(0, 1))(np.arange(3.0), np.array(2.0))
    np.testing.assert_allclose(a, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(b, 3.0)

    @partial(gpugrad.custom_jvp, nondiff_argnums=(0,))
    def apply(f: Any, x: Any) -> Any:
        return f(x)

    @apply.defjvp
    def _apply_jvp(f: Any, primals: Any, tangents: Any) -> Any:
        return apply(f, primals[0]), 5.0 * tangents[0]

    assert float(gpugrad.grad(apply, argnums=1)(gnp.sin, np.array(1.0))) == 5.0
    assert float(gpugrad.grad(lambda x: apply(gnp.sin, x=x))(np.array(1.0))) == 5.0

    @partial(gpugrad.custom_vjp, nondiff_argnums=(0,))
    def apply_v(f: Any, x: Any) -> Any:
        return f(x)

    apply_v.defvjp(lambda f, x: (f(x), x), lambda f, r, g: (7.0 * g,))
    assert float(gpugrad.grad(apply_v, argnums=1)(gnp.sin, np.array(1.0))) == 7.0


def test_against_jax(jax_x64: Any) -> None:
    jax, jnp = jax_x64, jax_x64.numpy

    @jax.custom_jvp
    def theirs(x: Any) -> Any:
        return jnp.log1p(jnp.exp(x))

    theirs.defjvps(lambda t, ans, x: 10.0 * t / (1.0 + jnp.exp(-x)))
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(gpugrad.hessian(lambda v: gnp.sum(softplus(v) ** 2))(x),
                               jax.hessian(lambda v: jnp.sum(theirs(v) ** 2))(x), rtol=1e-12)


def test_staged_program_shows_the_call() -> None:
    text = str(gpugrad.make_jaxpr(softplus)(np.ones(2, np.float32)))
    assert "custom_jvp_call[program=" in text and "log1p" in text and "custom_jvp(" in text


def test_bad_rules_get_jax_errors() -> None:
    one = np.array(1.0)

    @gpugrad.custom_jvp
    def f(x: Any) -> Any:
        return x

    with pytest.raises(AttributeError, match="No JVP defined for custom_jvp function f using "
                                             "defjvp"):
        gpugrad.grad(f)(one)
    f.defjvp(lambda p, t: (p[0], (t[0], t[0])))
    with pytest.raises(TypeError, match="must produce primal and tangent outputs with equal "
                                        "container"):
        gpugrad.jvp(f, (one,), (one,))
    f.defjvp(lambda p, t: (p[0], gnp.ones(3)))
    with pytest.raises(TypeError, match=r"Expected float64\[\] \(tangent type of float64\[\]\) "
                                        r"but got float32\[3\]"):
        gpugrad.jvp(f, (one,), (one,))
    f.defjvp(lambda p, t: (p[0], t[0].astype(np.int32)))
    with pytest.raises(TypeError, match="corresponding shapes and dtypes"):
        gpugrad.grad(f)(one)

    @gpugrad.custom_vjp
    def g(x: Any) -> Any:
        return x

    with pytest.raises(AttributeError, match="No VJP defined for custom_vjp function g using "
                                             "defvjp"):
        gpugrad.grad(g)(one)
    g.defvjp(lambda x: (x, None), lambda res, ct: (ct, ct))
    with pytest.raises(TypeError, match=r"bwd output structure .* for primal input structure"):
        gpugrad.grad(g)(one)
    g.defvjp(lambda x: (x, None), lambda res, ct: ct)
    with pytest.raises(TypeError, match="must produce a tuple of length equal to the number"):
        gpugrad.grad(g)(one)
    g.defvjp(lambda x: (x, None), lambda res, ct: (ct,))
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a "
                                        r"custom_vjp function"):
        gpugrad.jvp(g, (one,), (one,))
    assert current_depth() == 0


def test_eager_calls_run_the_function_itself() -> None:
    assert float(softplus(np.array(0.0))) == pytest.approx(np.log(2.0))
    assert float(clipped_sin(np.array(0.0))) == 0.0


def test_a_cotangent_of_the_wrong_shape_gets_jaxs_message() -> None:
    # Regression: the message was not JAX's (0.10 names the argument's key path and says
    # what differs); the shapes are those of a bwd that forgot to sum a broadcast scalar.
    def run(lib: Any, np_: Any) -> str:
        @lib.custom_vjp
        def f(p: Any, y: Any) -> Any:
            return np_.sin(p["w"]) * y

        f.defvjp(lambda p, y: (f(p, y), (p, y)),
                 lambda res, g: ({"w": g * res[1]}, g.astype(np.int32)))
        with pytest.raises(ValueError) as info:
            lib.grad(lambda w, y: np_.sum(f({"w": w}, y)), (0, 1))(np_.ones(3), 1.5)
        return str(info.value)

    ours = run(gpugrad, gnp)
    assert ours == ("Custom VJP bwd rule must produce an output with the same type as the args "
                    "tuple of the primal function, but at output[1] the bwd rule produced an "
                    "output of type int32[3] corresponding to an input of type float32[], so "
                    "the dtypes do not match, and the shapes do not match")
    jax = pytest.importorskip("jax")
    assert ours == run(jax, jax.numpy)
