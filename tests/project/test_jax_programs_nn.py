"""Programs in the style of JAX's documentation with ``jax.nn``, its initializers and
``jax.tree``: a small MLP trained by SGD, cross-entropy losses, activations and their
derivatives, compared with JAX by ``test_jax_programs.check_program``.
"""

from __future__ import annotations

from functools import partial

from tests.project.test_jax_programs import Program, check_program, each_program, registry

NN: dict[str, Program] = {}
program = registry(NN)


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


@program
def initializers_for_a_key(jax, jnp):
    keys = jax.random.split(jax.random.PRNGKey(2), 6)
    init = jax.nn.initializers
    return [init.he_uniform()(keys[0], (3, 4)), init.lecun_normal()(keys[1], (4, 2)),
            init.orthogonal()(keys[2], (3, 3)), init.xavier_uniform()(keys[3], (2, 5)),
            init.truncated_normal(0.5)(keys[4], (3,)), init.zeros(keys[5], (2,)),
            init.variance_scaling(2.0, "fan_out", "uniform")(keys[5], (3, 2))]


@program
def normalizing_and_gating(jax, jnp):
    nn = jax.nn
    x = jnp.array([[1.0, 2.0, -1.0], [0.5, 0.5, 0.5]])
    return [nn.standardize(x, axis=-1), nn.glu(jnp.arange(4.0)),
            nn.one_hot(jnp.array([0, 2, 5]), 4), nn.softmax(x, where=x > 0),
            nn.logsumexp(x, b=jnp.array([1.0, 2.0, 3.0]), axis=1),
            jax.grad(lambda x: jnp.sum(nn.softmax(x) * jnp.arange(3.0)))(x),
            [f(x * 4) for f in (nn.relu6, nn.hard_tanh, nn.celu, nn.selu, nn.mish)]]


@each_program(NN)
def test_nn_program_prints_jax_numbers(name: str, threefry_partitionable: bool,
        backend: str) -> None:
    check_program(NN[name], threefry_partitionable, backend)
