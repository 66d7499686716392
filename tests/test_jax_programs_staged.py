"""Programs in the style of JAX's documentation that stage and customize: ``jit``,
``lax`` control flow, ``custom_jvp``/``custom_vjp``, ``checkpoint`` and ``jax.nn``. They run
under both libraries with only the imports changed and are compared by
``test_jax_programs.check_program`` (the same rules: JAX's values in 32-bit mode, and on CuPy
the NumPy run's to 8 float32 ulp).
"""

from __future__ import annotations

from functools import partial

import pytest
from test_jax_programs import Program, check_program, draws_random_numbers

STAGED: dict[str, Program] = {}


def program(fn: Program) -> Program:
    STAGED[fn.__name__] = fn
    return fn


# --- jit ------------------------------------------------------------------------------------

@program
def jit_selu_and_its_gradient(jax, jnp):
    def selu(x, alpha=1.67, lmbda=1.05):
        return lmbda * jnp.where(x > 0, x, alpha * jnp.exp(x) - alpha)

    x = jnp.linspace(-3.0, 3.0, 13)
    selu_jit = jax.jit(selu)
    y = jax.block_until_ready(selu_jit(x))
    again = selu_jit(x * 2.0)  # the same shapes: the compiled program is reused
    jaxpr = jax.make_jaxpr(selu)(x)  # printed differently by each library: only made
    assert jaxpr is not None
    grad_jit = jax.jit(jax.grad(lambda x: jnp.sum(selu(x))))
    return [y, again, grad_jit(x), jax.grad(jax.jit(lambda x: jnp.sum(selu(x) ** 2)))(x),
            jax.jit(jax.vmap(jax.grad(selu)))(x)]


@program
def jit_training_step_with_static_arguments(jax, jnp):
    key = jax.random.PRNGKey(3)
    k1, k2, k3 = jax.random.split(key, 3)
    params = {"w": jax.random.normal(k1, (3, 2)) * 0.5, "b": jnp.zeros(2)}
    xs = jax.random.normal(k2, (16, 3))
    ys = jax.random.normal(k3, (16, 2))

    def loss(params, x, y, activation):
        act = jnp.tanh if activation == "tanh" else jnp.sin
        return jnp.mean((act(x @ params["w"] + params["b"]) - y) ** 2)

    @partial(jax.jit, static_argnums=(3,))
    def step(params, x, y, activation, lr=0.3):
        value, grads = jax.value_and_grad(loss)(params, x, y, activation)
        new = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        return new, {"loss": value, "grad_norm": jnp.sqrt(sum(
            jnp.sum(g ** 2) for g in jax.tree_util.tree_leaves(grads)))}

    losses = []
    for activation in ("tanh", "sin"):
        p = params
        for _ in range(4):
            p, stats = step(p, xs, ys, activation)
            losses.append(stats)
    return [p, losses]


@program
def jit_of_pytrees_and_closures(jax, jnp):
    scale = jnp.array([1.0, 2.0, 3.0])

    @jax.jit
    def stats(batch):
        x = batch["x"] * scale  # a closed-over array becomes a constant of the program
        return {"mean": jnp.mean(x, axis=0), "spread": (jnp.max(x) - jnp.min(x), x.shape[0])}

    batch = {"x": jnp.arange(12.0).reshape(4, 3)}
    f = jax.jit(lambda x, n: x * n, static_argnames="n")
    return [stats(batch), f(jnp.ones(2), n=3), jax.jit(jnp.cumsum)(jnp.arange(5.0))]


# --- lax control flow -------------------------------------------------------------------------

@program
def cond_and_switch(jax, jnp):
    lax = jax.lax

    def piecewise(x):
        return lax.cond(x > 0, lambda x: jnp.sin(x) * x, lambda x: -x ** 3, x)

    def by_index(i, x):
        return lax.switch(i, [jnp.sin, jnp.cos, lambda x: x ** 2], x)

    xs = [jnp.array(-1.5), jnp.array(0.7)]
    return [
        [piecewise(x) for x in xs], [jax.grad(piecewise)(x) for x in xs],
        [jax.jit(jax.grad(piecewise))(x) for x in xs],
        [by_index(i, 0.5) for i in range(4)],  # an index past the end is clamped
        jax.jit(jax.grad(by_index, argnums=1))(1, jnp.array(0.5)),
        jax.vmap(piecewise)(jnp.array([-2.0, 0.5, 3.0])),
        lax.cond(True, lambda a, b: (a + b, a * b), lambda a, b: (a - b, a / b), 3.0, 4.0),
    ]


@program
def fori_and_while_loops(jax, jnp):
    lax = jax.lax

    def sum_of_squares(n, x):
        return lax.fori_loop(0, n, lambda i, acc: acc + (x * i) ** 2, 0.0)

    def newton_sqrt(a):
        def body(state):
            x, _ = state
            x_new = 0.5 * (x + a / x)
            return x_new, jnp.max(jnp.abs(x_new - x))

        return lax.while_loop(lambda state: state[1] > 1e-6, body, (a, jnp.array(1.0)))[0]

    a = jnp.array([2.0, 9.0, 0.25])
    return [
        sum_of_squares(5, 1.5), jax.jit(sum_of_squares, static_argnums=0)(5, 1.5),
        jax.grad(sum_of_squares, argnums=1)(5, jnp.array(1.5)),
        jax.jit(jax.grad(sum_of_squares, argnums=1), static_argnums=0)(5, jnp.array(1.5)),
        jax.jvp(partial(sum_of_squares, 4), (jnp.array(0.5),), (jnp.array(1.0),)),
        newton_sqrt(a), jax.jit(newton_sqrt)(a), jax.vmap(newton_sqrt)(a),
        lax.fori_loop(0, 4, lambda i, c: (c[0] * 2, c[1] + i), (1.0, 0)),
    ]


@program
def scans_cumulative_sum_and_rnn(jax, jnp):
    lax = jax.lax
    xs = jnp.array([1.0, 2.0, 3.0, 4.0, 5.0])

    def cumsum(xs, reverse=False):
        return lax.scan(lambda c, x: (c + x, c + x), 0.0, xs, reverse=reverse)

    key = jax.random.PRNGKey(11)
    kw, ku, kx = jax.random.split(key, 3)
    params = {"W": jax.random.normal(kw, (4, 4)) * 0.4, "U": jax.random.normal(ku, (2, 4)) * 0.4}
    seq = jax.random.normal(kx, (6, 2))

    def rnn_loss(params, seq):
        def cell(h, x):
            h = jnp.tanh(h @ params["W"] + x @ params["U"])
            return h, jnp.sum(h)

        h, outs = lax.scan(cell, jnp.zeros(4), seq)
        return jnp.sum(h ** 2) + 0.1 * jnp.sum(outs)

    return [
        cumsum(xs), cumsum(xs, reverse=True), jax.jit(cumsum, static_argnums=1)(xs, True),
        rnn_loss(params, seq), jax.grad(rnn_loss)(params, seq),
        jax.jit(jax.grad(rnn_loss, argnums=1))(params, seq),
        lax.map(lambda x: x ** 2 + 1.0, xs),
        jax.grad(lambda xs: jnp.sum(lax.map(jnp.sin, xs)))(xs),
        lax.scan(lambda c, _: (c * 1.5, c), 1.0, None, length=4),
    ]


# --- custom derivatives ---------------------------------------------------------------------

@program
def custom_jvp_log1pexp(jax, jnp):
    def naive(x):
        return jnp.log(1.0 + jnp.exp(x))

    @jax.custom_jvp
    def log1pexp(x):
        return jnp.log(1.0 + jnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return log1pexp(x), (1.0 - 1.0 / (1.0 + jnp.exp(x))) * x_dot

    xs = jnp.array([-5.0, 0.0, 3.0, 100.0])
    return [
        jax.vmap(jax.grad(naive))(xs[:3]),  # the naive one gives nan at 100
        jax.vmap(jax.grad(log1pexp))(xs), jax.jit(jax.vmap(jax.grad(log1pexp)))(xs),
        jax.jvp(log1pexp, (3.0,), (2.0,)),
        jax.grad(jax.grad(log1pexp))(0.5),  # the rule's own derivative
    ]


@program
def custom_jvp_defjvps(jax, jnp):
    @jax.custom_jvp
    def f(x, y):
        return jnp.sin(x) * y

    f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
              lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)

    @jax.custom_jvp
    def g(x, y):
        return x * y

    g.defjvps(None, lambda y_dot, ans, x, y: 3.0 * y_dot)  # ignores x's derivative

    return [f(2.0, 3.0), jax.grad(f, argnums=(0, 1))(2.0, 3.0),
            jax.jacfwd(f)(jnp.array([0.5, 1.0]), jnp.array([2.0, 3.0])),
            jax.grad(g, argnums=(0, 1))(2.0, 3.0)]


@program
def custom_vjp_gradient_clipping(jax, jnp):
    @jax.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def clip_fwd(lo, hi, x):
        return x, (lo, hi)

    def clip_bwd(res, g):
        lo, hi = res
        return None, None, jnp.clip(g, lo, hi)

    clip_gradient.defvjp(clip_fwd, clip_bwd)

    def f(x):
        return jnp.sum(clip_gradient(-0.5, 0.75, jnp.sin(3.0 * x) * 4.0))

    x = jnp.array([0.1, 0.6, 1.2, 2.0])
    return [f(x), jax.grad(f)(x), jax.jit(jax.grad(f))(x),
            jax.vmap(jax.grad(lambda x: clip_gradient(-1.0, 1.0, x ** 3)))(x)]


@program
def custom_vjp_fixed_point(jax, jnp):
    # Differentiating a fixed point x* = f(a, x*) by the implicit function theorem: the
    # solver is a nondiff argument, the backward pass solves another fixed point.
    lax = jax.lax

    def iterate(f, x0):
        def body(state):
            _, x = state
            return x, f(x)

        return lax.while_loop(lambda s: jnp.abs(s[0] - s[1]) > 1e-6, body, (x0, f(x0)))[1]

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x0):
        return iterate(partial(f, a), x0)

    def fixed_point_fwd(f, a, x0):
        x_star = fixed_point(f, a, x0)
        return x_star, (a, x_star)

    def fixed_point_bwd(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)
        _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
        w = iterate(lambda w: x_star_bar + vjp_x(w)[0], x_star_bar)
        return vjp_a(w)[0], jnp.zeros_like(x_star)

    fixed_point.defvjp(fixed_point_fwd, fixed_point_bwd)

    def newton_sqrt_step(a, x):
        return 0.5 * (x + a / x)

    sqrt = partial(fixed_point, newton_sqrt_step)
    return [sqrt(2.0, 1.0), jax.grad(sqrt)(2.0, 1.0), jax.grad(sqrt)(9.0, 1.0),
            jax.jit(jax.grad(sqrt))(4.0, 1.0)]


# --- checkpoint -----------------------------------------------------------------------------

@program
def checkpointed_layers(jax, jnp):
    key = jax.random.PRNGKey(5)
    keys = jax.random.split(key, 4)
    weights = [jax.random.normal(k, (6, 6)) / 3.0 for k in keys]
    x = jnp.linspace(-1.0, 1.0, 6)

    def layer(w, x):
        return jnp.sin(w @ x) * 0.9

    def net(weights, x, policy=None):
        for w in weights:
            x = jax.checkpoint(layer, policy=policy)(w, x)
        return jnp.sum(x ** 2)

    dots = jax.checkpoint_policies.dots_saveable
    return [
        net(weights, x), jax.grad(net)(weights, x),
        jax.grad(partial(net, policy=dots), argnums=1)(weights, x),
        jax.jit(jax.grad(partial(net, policy=jax.checkpoint_policies.nothing_saveable)))(
            weights, x),
        jax.grad(jax.remat(lambda x: jnp.sum(jnp.exp(jnp.tanh(x)))))(x),
    ]


# --- jax.nn ---------------------------------------------------------------------------------

@program
def mlp_trained_by_sgd(jax, jnp):
    init_w = jax.nn.initializers.glorot_normal()
    init_b = jax.nn.initializers.normal(0.01)
    key = jax.random.PRNGKey(0)
    sizes = [3, 8, 2]
    params = []
    for m, n in zip(sizes[:-1], sizes[1:]):
        key, kw, kb = jax.random.split(key, 3)
        params.append({"w": init_w(kw, (m, n)), "b": init_b(kb, (n,))})
    key, kx = jax.random.split(key)
    x = jax.random.normal(kx, (10, 3))
    labels = jnp.arange(10) % 2

    def forward(params, x):
        for layer in params[:-1]:
            x = jax.nn.gelu(x @ layer["w"] + layer["b"])
        return x @ params[-1]["w"] + params[-1]["b"]

    def loss(params, x, labels):
        log_probs = jax.nn.log_softmax(forward(params, x))
        return -jnp.mean(jnp.sum(jax.nn.one_hot(labels, 2) * log_probs, axis=-1))

    @jax.jit
    def sgd_step(params, x, labels):
        value, grads = jax.value_and_grad(loss)(params, x, labels)
        return jax.tree.map(lambda p, g: p - 0.5 * g, params, grads), value

    losses = []
    for _ in range(5):
        params, value = sgd_step(params, x, labels)
        losses.append(value)
    return [losses, params, jax.nn.softmax(forward(params, x[:2]))]


@program
def nn_functions_and_cross_entropy(jax, jnp):
    logits = jnp.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.1, -0.1, 0.2]])
    labels = jnp.array([3, 1])

    def cross_entropy(logits):
        return -jnp.mean(jnp.sum(jax.nn.one_hot(labels, 4) * jax.nn.log_softmax(logits), -1))

    x = jnp.linspace(-2.0, 2.0, 5)
    acts = [jax.nn.relu, jax.nn.sigmoid, jax.nn.softplus, jax.nn.silu, jax.nn.elu,
            jax.nn.leaky_relu, partial(jax.nn.gelu, approximate=False)]
    return [
        cross_entropy(logits), jax.grad(cross_entropy)(logits),
        jax.nn.softmax(logits, axis=0), jax.nn.logsumexp(logits, axis=1),
        [jax.vmap(jax.grad(f))(x) for f in acts],
        jax.tree_util.tree_map(lambda a: a * 2, {"p": jax.nn.relu(x), "q": (x, [x[:2]])}),
        jax.tree.leaves(jax.tree.map(jnp.sum, {"a": x, "b": [x, x]})),
    ]


@pytest.mark.parametrize("name, threefry_partitionable", [
    (name, layout) for name in sorted(STAGED)
    for layout in ((False, True) if draws_random_numbers(STAGED[name]) else (False,))
])
def test_staged_program_prints_jax_numbers(name: str, threefry_partitionable: bool,
                                           backend: str) -> None:
    check_program(STAGED[name], threefry_partitionable, backend)

