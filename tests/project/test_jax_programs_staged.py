"""Programs in the style of JAX's documentation that stage: ``jit`` (with static arguments,
pytrees, closures, under and over other transformations) and ``lax`` control flow (``cond``,
``switch``, ``fori_loop``, ``while_loop``, ``scan``, ``map``, differentiated, batched and
jitted). They run under both libraries with only the imports changed and are compared by
``test_jax_programs.check_program`` (JAX's values in 32-bit mode; on CuPy also the NumPy
run's, to 8 float32 ulp). ``test_jax_programs_custom.py`` and ``test_jax_programs_nn.py``
hold those with custom derivatives and checkpointing, and with ``jax.nn``.
"""

from __future__ import annotations

from functools import partial

from tests.project.test_jax_programs import Program, check_program, each_program, registry

STAGED: dict[str, Program] = {}
program = registry(STAGED)


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


@program
def scan_over_pytrees_with_a_cond_inside(jax, jnp):
    lax = jax.lax

    def dot_step(carry, x):
        new = {"s": carry["s"] + x["a"] * x["b"], "n": carry["n"] + 1}
        return new, (x["a"] ** 2, carry["s"])

    xs = {"a": jnp.arange(4.0), "b": jnp.ones(4) * 2.0}

    def loss(w, xs):
        def step(c, x):
            c = lax.cond(x > 0, lambda c: c * w, lambda c: c + w, c)
            return c, c

        return jnp.sum(lax.scan(step, 1.0, xs)[1])

    signs = jnp.array([1.0, -1.0, 2.0, -0.5])
    return [
        lax.scan(dot_step, {"s": 0.0, "n": 0}, xs, unroll=2),
        jax.grad(loss)(0.9, signs), jax.jit(jax.hessian(loss))(0.9, signs),
        jax.vmap(loss, (0, None))(jnp.array([0.5, 1.5]), signs),
        lax.map(lambda x: lax.switch(x.astype(jnp.int32) % 3, [jnp.sin, jnp.cos, jnp.exp], x),
                jnp.arange(5.0)),
    ]


@program
def batched_predicates_and_traced_bounds(jax, jnp):
    lax = jax.lax

    def pick(p, x):  # under vmap a batched predicate runs both branches and selects
        return lax.cond(p, lambda t: {"a": t[0] * 2, "b": t[1]},
                        lambda t: {"a": t[0] - 1, "b": t[1] * 3.0}, (x, x + 1))

    @jax.jit
    def power_sum(x, n):  # a traced trip count: a while loop, differentiable forward
        return lax.fori_loop(0, n, lambda i, c: c * x + i, 1.0)

    def compound(x):
        return lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * x), (0, 1.0))[1]

    xs = jnp.arange(3.0)
    return [
        jax.vmap(pick)(jnp.array([True, False, True]), xs),
        jax.grad(lambda x: jnp.sum(jax.vmap(lambda p, x: pick(p, x)["b"])(x > 1, x)))(xs),
        power_sum(1.1, 5), jax.jvp(lambda x: power_sum(x, 4), (1.1,), (1.0,)),
        jax.jvp(compound, (1.01,), (1.0,)), jax.jit(jax.jacfwd(compound))(jnp.array(1.02)),
    ]


@program
def indexed_updates_under_jit(jax, jnp):
    @jax.jit
    def f(x):
        y = x.at[1].set(10.0)
        return y.at[0].add(x[2]) * 2, x[::2], y.at[jnp.array([0, 0, 3])].add(1.0)

    x = jnp.arange(4.0)
    return [f(x), jax.grad(lambda x: jnp.sum(f(x)[0] ** 2 + f(x)[2] ** 3))(x)]

@program
def jit_of_lists_methods_constants_and_nested_jit(jax, jnp):
    @jax.jit
    def scaled(xs, scale):
        return [x * scale for x in xs], 2.0, 3  # Python numbers out become arrays

    class Model:
        def __init__(self, k):
            self.k = k

        @partial(jax.jit, static_argnums=0)  # self is static: hashable by its k
        def apply(self, x):
            return x * self.k

        def __hash__(self):
            return hash(self.k)

        def __eq__(self, other):
            return isinstance(other, Model) and other.k == self.k

    identity = jax.jit(lambda x: x)
    outer = jax.jit(lambda x: jax.jit(jnp.sin)(x) * 2)
    return [
        scaled([jnp.ones(2), jnp.arange(3.0)], 2), identity(jnp.int32(3)), identity(True),
        jax.jit(lambda: 1.5)(), Model(3).apply(jnp.arange(3.0)), Model(4).apply(jnp.arange(3.0)),
        outer(jnp.arange(2.0)), jax.jit(partial(jnp.sum, axis=0))(jnp.ones((2, 3))),
        jax.jit(jnp.where)(jnp.array([True, False]), 1.0, 2.0),
        jax.vmap(jax.jit(lambda x, y: x @ y))(jnp.ones((2, 3, 4)), jnp.ones((2, 4))),
        jax.grad(jax.jit(lambda x: (jnp.sum(x ** 2), x[0])), has_aux=True)(jnp.arange(3.0)),
    ]


@program
def jacobians_through_loops(jax, jnp):
    lax = jax.lax

    def f(x):
        return lax.fori_loop(0, 3, lambda i, c: c + jnp.sin(c * i), x)

    def g(init):
        return lax.scan(lambda c, x: (c * x, c + x), init, jnp.arange(1.0, 4.0))

    x = jnp.array([0.1, 0.2])
    return [jax.jacrev(f)(x), jax.hessian(lambda x: jnp.sum(f(x)))(x),
            jax.jacfwd(g)(jnp.array(2.0)), jax.jacrev(g)(jnp.array(2.0)),
            jax.vmap(g)(jnp.arange(3.0)),
            lax.cond(jnp.array(1) > 0, lambda: jnp.zeros(2), lambda: jnp.ones(2)),
            lax.switch(jnp.array(5), [lambda x: x, lambda x: -x], jnp.array(2.0))]


@each_program(STAGED)
def test_staged_program_prints_jax_numbers(name: str, threefry_partitionable: bool,
        backend: str) -> None:
    check_program(STAGED[name], threefry_partitionable, backend)
