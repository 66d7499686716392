"""Programs in the style of JAX's documentation, run twice with only the imports changed:
once as ``jax``/``jax.numpy``, once as ``gpugrad``/``gpugrad.numpy``. Every number they
produce must agree (random draws included), in JAX's default 32-bit mode.

Each program is a function of the two modules (``jax``, ``jnp``) that returns a pytree of
results; the comparison walks both trees. ``test_jax_programs_staged.py`` holds the programs
that use ``jit``, ``lax`` control flow, custom derivatives, ``checkpoint`` and ``jax.nn``, and
runs them with ``check_program`` here.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp

jax_mod = pytest.importorskip("jax")
jax_numpy = pytest.importorskip("jax.numpy")

Program = Callable[[Any, Any], Any]
PROGRAMS: dict[str, Program] = {}


def program(fn: Program) -> Program:
    PROGRAMS[fn.__name__] = fn
    return fn


@program
def derivatives_of_tanh(jax, jnp):
    d1 = jax.grad(jnp.tanh)
    d2 = jax.grad(d1)
    d3 = jax.grad(d2)
    return [d(x) for d in (d1, d2, d3) for x in (0.0, 0.5, 2.0, -3.0)]


@program
def logistic_regression_gradients(jax, jnp):
    key = jax.random.PRNGKey(0)

    def sigmoid(x):
        return 0.5 * (jnp.tanh(x / 2) + 1)

    def predict(W, b, inputs):
        return sigmoid(jnp.dot(inputs, W) + b)

    inputs = jnp.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30],
                        [0.74, -2.49, 1.39]])
    targets = jnp.array([True, True, False, True])

    def loss(W, b):
        preds = predict(W, b, inputs)
        label_probs = preds * targets + (1 - preds) * (1 - targets)
        return -jnp.sum(jnp.log(label_probs))

    key, W_key, b_key = jax.random.split(key, 3)
    W = jax.random.normal(W_key, (3,))
    b = jax.random.normal(b_key, ())
    W_grad = jax.grad(loss, argnums=0)(W, b)
    W_grad_b = jax.grad(loss, 1)(W, b)
    both = jax.grad(loss, (0, 1))(W, b)
    value, grads = jax.value_and_grad(loss, (0, 1))(W, b)
    as_dict = jax.grad(lambda p: loss(p["W"], p["b"]))({"W": W, "b": b})
    return [W, b, W_grad, W_grad_b, both, value, grads, as_dict]


@program
def hessian_vector_products(jax, jnp):
    def f(x):
        return jnp.sum(jnp.sin(x) * jnp.exp(x / 3) + x[0] * x[1] ** 2)

    def hvp_rev(f, x, v):
        return jax.grad(lambda x: jnp.vdot(jax.grad(f)(x), v))(x)

    def hvp_fwd_over_rev(f, primals, tangents):
        return jax.jvp(jax.grad(f), primals, tangents)[1]

    x = jnp.array([0.3, -1.2, 2.0])
    v = jnp.array([1.0, 0.5, -0.25])
    return [hvp_rev(f, x, v), hvp_fwd_over_rev(f, (x,), (v,)), jax.hessian(f)(x) @ v]


@program
def jacobians_of_a_layer(jax, jnp):
    key = jax.random.PRNGKey(42)
    k1, k2 = jax.random.split(key)
    W = jax.random.normal(k1, (4, 3))
    x = jax.random.uniform(k2, (3,), minval=-1.0, maxval=1.0)

    def layer(W, x):
        return jnp.tanh(W @ x)

    return [
        jax.jacfwd(layer, argnums=1)(W, x),
        jax.jacrev(layer, argnums=1)(W, x),
        jax.jacrev(layer, argnums=0)(W, x),
        jax.jacobian(layer, argnums=(0, 1))(W, x),
        jax.hessian(lambda x: jnp.sum(layer(W, x) ** 2))(x),
    ]


@program
def vjp_and_jvp_on_pytrees(jax, jnp):
    def f(params, x):
        return {"out": jnp.tanh(params["w"] * x + params["b"]), "norm": jnp.sum(x**2)}

    params = {"w": jnp.array([0.5, -1.0]), "b": jnp.array(0.25)}
    x = jnp.array([1.5, 2.0])
    out, f_vjp = jax.vjp(f, params, x)
    cts = f_vjp({"out": jnp.array([1.0, -2.0]), "norm": jnp.array(0.5)})
    primal_out, tangent_out = jax.jvp(
        f, (params, x), ({"w": jnp.array([1.0, 0.0]), "b": jnp.array(1.0)}, jnp.ones(2))
    )
    y, f_jvp = jax.linearize(lambda x: jnp.sin(x) * x, x)
    return [out, cts, primal_out, tangent_out, y, f_jvp(jnp.array([1.0, -1.0]))]


@program
def linear_regression_by_gradient_descent(jax, jnp):
    key = jax.random.PRNGKey(7)
    xkey, nkey = jax.random.split(key)
    xs = jax.random.normal(xkey, (64,))
    ys = 3.0 * xs - 1.0 + 0.1 * jax.random.normal(nkey, (64,))

    def loss(theta, x, y):
        w, b = theta
        return jnp.mean((w * x + b - y) ** 2)

    theta = (jnp.array(1.0), jnp.array(0.0))
    losses = []
    for _ in range(50):
        value, grads = jax.value_and_grad(loss)(theta, xs, ys)
        theta = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, theta, grads)
        losses.append(value)
    return [theta, losses[::10]]


@program
def stop_gradient_td_update(jax, jnp):
    def value_fn(theta, state):
        return jnp.dot(theta, state)

    def td_loss(theta, s_tm1, r_t, s_t):
        v_tm1 = value_fn(theta, s_tm1)
        target = r_t + value_fn(theta, s_t)
        return -0.5 * (jax.lax.stop_gradient(target) - v_tm1) ** 2

    theta = jnp.array([0.1, -0.1, 0.0])
    s_tm1, r_t, s_t = jnp.array([1.0, 2.0, -1.0]), jnp.array(1.0), jnp.array([2.0, 1.0, 0.0])
    return jax.grad(td_loss)(theta, s_tm1, r_t, s_t)


@program
def straight_through_estimator(jax, jnp):
    def f(x):
        return jnp.round(x)

    def straight_through_f(x):
        zero = x - jax.lax.stop_gradient(x)
        return zero + jax.lax.stop_gradient(f(x))

    x = jnp.array([0.2, 1.7, -2.4])
    return [jax.grad(lambda x: jnp.sum(f(x)))(x),
            jax.grad(lambda x: jnp.sum(straight_through_f(x)))(x),
            straight_through_f(x)]


@program
def complex_differentiation(jax, jnp):
    def f(z):
        x, y = jnp.real(z), jnp.imag(z)
        return x**2 + y**2

    z = jnp.array(3.0 + 4.0j)
    g = jax.grad(f)(z)
    h = jax.grad(lambda z: jnp.abs(jnp.sin(z)) ** 2)(z * 0.1)
    holo = jax.grad(lambda z: jnp.sin(z), holomorphic=True)(jnp.array(1.0 + 0.5j))
    return [g, h, holo]


@program
def random_numbers(jax, jnp):
    key = jax.random.PRNGKey(1701)
    keys = jax.random.split(key, 4)
    folded = jax.random.fold_in(key, 3)
    return [
        jax.random.key_data(keys),
        jax.random.key_data(folded),
        jax.random.uniform(keys[0], (5,)),
        jax.random.normal(keys[1], (2, 3)),
        jax.random.bernoulli(keys[2], 0.3, (6,)),
        jax.random.randint(keys[3], (5,), 0, 10),
        jax.random.permutation(key, 8),
        jax.random.choice(folded, 10, (4,), replace=False),
        jax.random.categorical(key, jnp.log(jnp.array([0.1, 0.2, 0.7])), shape=(6,)),
        jax.random.truncated_normal(folded, -1.0, 2.0, (4,)),
    ]


@program
def softmax_cross_entropy(jax, jnp):
    logits = jnp.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    labels = jnp.array([0, 2])

    def loss(logits):
        log_probs = logits - jax.scipy.special.logsumexp(logits, axis=-1, keepdims=True)
        return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=-1))

    return [loss(logits), jax.grad(loss)(logits), jax.hessian(loss)(logits)[0, :, 0, :]]


@program
def nested_perturbations(jax, jnp):
    # The perturbation confusion example: the inner grad must treat x as a constant.
    def f(x):
        return x * jax.grad(lambda y: x + y)(1.0)

    g = jax.grad(lambda x: x * jax.grad(lambda y: x * y**2)(2.0))(3.0)
    return [jax.grad(f)(2.0), g]


@program
def newton_iterates_collected(jax, jnp):
    # Scalars gathered with jnp.array: 0-d results of grad beside Python floats, nested too.
    def f(x):
        return x**3 - 2.0 * x - 5.0

    x = jnp.array(2.0)
    iterates = [x]
    for _ in range(3):
        x = x - f(x) / jax.grad(f)(x)
        iterates.append(x)
    return [jnp.array(iterates), jnp.array([x, 1.0, f(x)]),
            jnp.array([[x, 0.0], [0.0, jax.grad(f)(x)]]), jnp.array((x, 2, True))]


@program
def automatic_vectorization(jax, jnp):
    x = jnp.arange(5.0)
    w = jnp.array([2.0, 3.0, 4.0])

    def convolve(x, w):
        output = []
        for i in range(1, len(x) - 1):
            output.append(jnp.dot(x[i - 1:i + 2], w))
        return jnp.array(output)

    xs = jnp.stack([x, x * 2])
    ws = jnp.stack([w, w - 1])
    by_rows = jax.vmap(convolve)(xs, ws)
    shared_w = jax.vmap(convolve, in_axes=[0, None])(xs, w)
    by_columns = jax.vmap(convolve, in_axes=1, out_axes=1)(jnp.transpose(xs),
                                                             jnp.transpose(ws))
    return [by_rows, shared_w, by_columns]


@program
def per_example_gradients(jax, jnp):
    key = jax.random.PRNGKey(1)
    k1, k2, k3 = jax.random.split(key, 3)
    params = {"W": jax.random.normal(k1, (3, 2)), "b": jnp.zeros(2)}
    xs = jax.random.normal(k2, (8, 3))
    ys = jax.random.normal(k3, (8, 2))

    def loss(params, x, y):
        pred = jnp.tanh(x @ params["W"] + params["b"])
        return jnp.sum((pred - y) ** 2)

    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    values, grads = jax.vmap(jax.value_and_grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    batch_total = jax.grad(lambda p: jnp.sum(jax.vmap(loss, (None, 0, 0))(p, xs, ys)))(params)
    return [per_example, values, grads, batch_total]


def _run(fn: Program, jax: Any, jnp: Any) -> Any:
    return fn(jax, jnp)


@contextlib.contextmanager
def threefry_layout(partitionable: bool) -> Iterator[None]:
    """Both libraries set to the same threefry layout: JAX's legacy one (gpugrad's default,
    which the seed tutorials print) or the partitionable one (JAX's default since 0.5)."""
    saved = (jax_mod.config.jax_threefry_partitionable, gpugrad.config.threefry_partitionable)
    jax_mod.config.update("jax_threefry_partitionable", partitionable)
    gpugrad.config.update("jax_threefry_partitionable", partitionable)
    try:
        yield
    finally:
        jax_mod.config.update("jax_threefry_partitionable", saved[0])
        gpugrad.config.update("threefry_partitionable", saved[1])


@pytest.fixture(params=[False, True], ids=["legacy_prng", "partitionable_prng"])
def prng_layout(request: pytest.FixtureRequest) -> bool:
    """Whether the program runs in the partitionable threefry layout (else the legacy one)."""
    return bool(request.param)


def draws_random_numbers(fn: Program) -> bool:
    return "jax.random" in inspect.getsource(fn)


def registry(programs: dict[str, Program]) -> Callable[[Program], Program]:
    """A decorator that adds a program to ``programs`` under its name (for the other files)."""
    def add(fn: Program) -> Program:
        programs[fn.__name__] = fn
        return fn

    return add


def each_program(programs: dict[str, Program]) -> Any:
    """``name, threefry_partitionable`` for each program: both layouts where it draws random
    numbers, the legacy one alone otherwise (JAX's time is most of the time)."""
    return pytest.mark.parametrize("name, threefry_partitionable", [
        (name, layout) for name in sorted(programs)
        for layout in ((False, True) if draws_random_numbers(programs[name]) else (False,))])


_JAX_RESULTS: dict[tuple[Program, bool], list[np.ndarray[Any, Any]]] = {}


def _jax_leaves(fn: Program, prng_layout: bool) -> list[np.ndarray[Any, Any]]:
    """JAX's results, computed once per program and layout, or once per program where it
    draws no random numbers (both backends compare with them; JAX's op-by-op dispatch is
    most of this file's time)."""
    key = (fn, prng_layout and draws_random_numbers(fn))
    if key not in _JAX_RESULTS:
        leaves = jax_mod.tree_util.tree_leaves(_run(fn, jax_mod, jax_numpy))
        _JAX_RESULTS[key] = [np.asarray(leaf) for leaf in leaves]
    return _JAX_RESULTS[key]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_jax_numbers(name: str, prng_layout: bool, backend: str) -> None:
    check_program(PROGRAMS[name], prng_layout, backend)


def check_program(fn: Program, prng_layout: bool, backend: str) -> None:
    """Run ``fn`` on gpugrad with ``backend`` the default and on JAX, in the threefry layout
    ``prng_layout`` (True: partitionable), and compare every result."""
    name = fn.__name__
    with threefry_layout(prng_layout):
        ours = gpugrad.tree_util.tree_leaves(_run(fn, gpugrad, gnp))
        theirs = _jax_leaves(fn, prng_layout)
        if backend == "cupy":
            # The same program with NumPy arrays: the CuPy run must agree with it to a few
            # float32 ulp: CUDA's libdevice (or the stand-in's host libm) against NumPy's,
            # and on a GPU CUB's summation order against NumPy's pairwise one (up to
            # log2(64) = 6 ulp for linear regression's 64-sample mean).
            with gpugrad.use_backend("numpy"):
                on_host = gpugrad.tree_util.tree_leaves(_run(fn, gpugrad, gnp))
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        b = np.asarray(b)
        if backend == "cupy":
            # Results stay on the device (0-d arrays where NumPy gives scalars).
            assert gpugrad.backend.is_cupy_array(a), f"{name}: result {i} is {type(a)}"
            a = gpugrad.device_get(a)
            _close_ulps(a, on_host[i], f"{name}[{i}] CuPy against NumPy")
        # Outside transformations operators on plain arrays are NumPy's own, and NumPy gives
        # a scalar for an operator on 0-d arrays (`p - 0.1 * g`): an array or a NumPy scalar.
        assert isinstance(a, (np.ndarray, np.generic)), f"{name}: result {i} is {type(a)}"
        assert a.shape == b.shape, f"{name}: result {i} shape {a.shape} != {b.shape}"
        assert a.dtype == b.dtype, f"{name}: result {i} dtype {a.dtype} != {b.dtype}"
        if np.issubdtype(b.dtype, np.inexact):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=f"{name}[{i}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"{name}[{i}]")


def _close_ulps(a: Any, b: Any, what: str, ulps: int = 8) -> None:
    """``a`` and ``b`` equal in dtype and shape, and in value to ``ulps`` units in the last
    place of their dtype (exactly, for integers and booleans)."""
    b = np.asarray(b)
    assert (a.dtype, a.shape) == (b.dtype, b.shape), what
    if np.issubdtype(b.dtype, np.inexact):
        eps = np.finfo(b.dtype).eps
        np.testing.assert_allclose(a, b, rtol=ulps * eps, atol=ulps * eps, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)
