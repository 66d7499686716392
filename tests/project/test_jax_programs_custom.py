"""Programs in the style of JAX's documentation with derivative rules of their own
(``custom_jvp``, ``custom_vjp``, ``nondiff_argnums``, ``defjvps``) and with rematerialization
(``checkpoint``/``remat`` and their policies), compared with JAX by
``test_jax_programs.check_program``.
"""

from __future__ import annotations

from functools import partial

from tests.project.test_jax_programs import Program, check_program, each_program, registry

CUSTOM: dict[str, Program] = {}
program = registry(CUSTOM)


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


@program
def custom_rules_batched_and_with_static_arguments(jax, jnp):
    @partial(jax.custom_jvp, nondiff_argnums=(1,))
    def power(x, k):
        return x ** k

    @power.defjvp
    def power_jvp(k, primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return power(x, k), k * x ** (k - 1) * x_dot

    @jax.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    f.defvjp(lambda x, y: (f(x, y), (jnp.cos(x), jnp.sin(x), y)),
             lambda res, g: (res[0] * res[2] * g, res[1] * g))

    xs = jnp.array([0.5, 1.0, 2.0])
    return [jax.vmap(jax.grad(power), (0, None))(xs, 3), jax.jacfwd(lambda x: power(x, 2))(xs),
            jax.hessian(lambda x: jnp.sum(power(x, 3)))(xs),
            jax.vmap(jax.grad(f, (0, 1)))(xs, xs * 2), jax.jacrev(f, (0, 1))(xs, xs + 1.0),
            jax.jit(jax.vmap(jax.grad(f)))(xs, xs)]


@program
def checkpoint_as_a_decorator(jax, jnp):
    @jax.checkpoint
    def g(x):
        return jnp.sin(jnp.sin(x))

    @partial(jax.checkpoint, static_argnums=(1,))
    def repeated_tanh(x, n):
        for _ in range(n):
            x = jnp.tanh(x)
        return x

    everything = jax.checkpoint(g, policy=jax.checkpoint_policies.everything_saveable)
    x = jnp.array([0.3, 0.7])
    return [jax.grad(lambda x: jnp.sum(g(x)))(x),
            jax.grad(lambda x: jnp.sum(repeated_tanh(x, 3)))(x),
            jax.vmap(jax.grad(lambda x: repeated_tanh(x, 2)))(x),
            jax.hessian(lambda x: jnp.sum(g(x)))(x),
            jax.grad(lambda x: jnp.sum(everything(x)))(x)]

@program
def custom_jvp_safe_norm(jax, jnp):
    # The norm's derivative at zero is made zero (the plain rule divides by the norm).
    @jax.custom_jvp
    def safe_norm(x):
        return jnp.sqrt(jnp.sum(x ** 2))

    @safe_norm.defjvp
    def safe_norm_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        n = safe_norm(x)
        return n, jnp.where(n == 0, 0.0, jnp.dot(x, x_dot) / jnp.where(n == 0, 1.0, n))

    z = jnp.zeros(3)
    return [jax.grad(safe_norm)(z), jax.grad(safe_norm)(jnp.array([3.0, 4.0, 0.0])),
            jax.jit(jax.vmap(jax.grad(safe_norm)))(jnp.stack([z, jnp.ones(3)])),
            jax.jacrev(jax.jacrev(safe_norm))(jnp.array([1.0, 2.0, 2.0]))]


@program
def custom_rules_with_symbolic_zeros(jax, jnp):
    # Rules that skip the terms of arguments not being differentiated (frozen weights) and
    # of outputs nothing reads: with symbolic_zeros=True they get SymbolicZero there.
    SymbolicZero = jax.custom_derivatives.SymbolicZero
    skipped = {"layer": [], "fwd": [], "bwd": []}  # per rule: each library calls them in its order

    @jax.custom_jvp
    def layer(w, b, x):
        return jnp.tanh(w @ x + b)

    def layer_jvp(primals, tangents):
        (w, b, x), (w_dot, b_dot, x_dot) = primals, tangents
        skipped["layer"].extend(type(t) is SymbolicZero for t in tangents)
        out = layer(w, b, x)
        pre = jnp.zeros_like(out)
        if type(w_dot) is not SymbolicZero:
            pre = pre + w_dot @ x
        if type(b_dot) is not SymbolicZero:
            pre = pre + b_dot
        if type(x_dot) is not SymbolicZero:
            pre = pre + w @ x_dot
        return out, (1.0 - out ** 2) * pre

    layer.defjvp(layer_jvp, symbolic_zeros=True)

    @jax.custom_vjp
    def center(x):
        return x - jnp.mean(x), jnp.mean(x)

    def center_fwd(x):
        skipped["fwd"].append(not x.perturbed)
        return center(x.value), x.value.shape[0]

    def center_bwd(n, cts):
        centered_ct, mean_ct = cts
        skipped["bwd"].extend(type(ct) is SymbolicZero for ct in cts)
        x_ct = jnp.zeros(n)
        if type(centered_ct) is not SymbolicZero:
            x_ct = x_ct + centered_ct - jnp.mean(centered_ct)
        if type(mean_ct) is not SymbolicZero:
            x_ct = x_ct + mean_ct / n
        return (x_ct,)

    center.defvjp(center_fwd, center_bwd, symbolic_zeros=True)

    w = jnp.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])
    b, x = jnp.array([0.1, -0.2]), jnp.array([1.0, 2.0, -1.0])

    def loss(w, b, x):
        return jnp.sum(center(layer(w, b, x))[0] ** 2)

    return [
        jax.grad(loss, argnums=2)(w, b, x),  # weights frozen: w_dot and b_dot are zeros
        jax.grad(loss)(w, b, x), jax.jit(jax.grad(loss, argnums=(0, 1)))(w, b, x),
        jax.grad(lambda x: center(x)[1])(x),  # only the mean read
        jax.vmap(jax.grad(loss, argnums=2), (None, None, 0))(w, b, jnp.stack([x, -x])),
        jax.jvp(lambda x: layer(w, b, x), (x,), (jnp.ones(3),)),
        *[jnp.array(flags) for flags in skipped.values()],
    ]


@each_program(CUSTOM)
def test_custom_rule_program_prints_jax_numbers(name: str, threefry_partitionable: bool,
        backend: str) -> None:
    check_program(CUSTOM[name], threefry_partitionable, backend)
