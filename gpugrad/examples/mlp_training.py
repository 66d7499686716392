"""A small MLP trained with ``gpugrad.nn`` and ``gpugrad.nn.initializers``, plain SGD.

Synthetic data from ``gpugrad.random``: 256 points in 4 dimensions, each labelled with one
of 3 classes by a random linear map. The network (4 -> 32 -> 32 -> 3, ``relu`` then
``silu``, Glorot-normal weights and zero biases) is trained on the softmax cross-entropy
(``log_softmax`` of the logits against ``one_hot`` labels) by 200 steps of gradient
descent with step 0.5; the parameters are a list of dicts, updated with ``gpugrad.tree.map``.

:func:`program` is written against the two modules it is given, so the same code runs on
JAX: ``program(jax, jax.numpy)`` prints the same numbers, given the same threefry layout
(gpugrad's default is JAX's legacy one; ``tests/project/test_mlp_training.py`` runs both layouts).
Run: ``python -m gpugrad.examples.mlp_training``. In gpugrad's default layout it prints::

    step    0  loss 1.1051
    step   50  loss 0.0593
    step  100  loss 0.0298
    step  150  loss 0.0204
    step  200  loss 0.0154  accuracy 1.000

and JAX 0.10.2 (eager, CPU, legacy layout) gives the same losses to 1e-7 relative.
"""

from __future__ import annotations

from typing import Any

import gpugrad
import gpugrad.numpy as gnp

LAYER_SIZES = (4, 32, 32, 3)
NUM_POINTS = 256
STEPS = 200
LEARNING_RATE = 0.5
PRINT_EVERY = 50


def program(jax: Any, jnp: Any, steps: int = STEPS, verbose: bool = True) -> list[Any]:
    """Train the MLP with the library ``jax`` (gpugrad or JAX) and its NumPy ``jnp``;
    return the loss before each ``PRINT_EVERY``-th step and after the last, and the final
    accuracy."""
    nn, init = jax.nn, jax.nn.initializers
    key = jax.random.PRNGKey(0)
    data_key, label_key, params_key = jax.random.split(key, 3)

    # Synthetic classification data: labels from a random linear map of the inputs.
    inputs = jax.random.normal(data_key, (NUM_POINTS, LAYER_SIZES[0]))
    teacher = jax.random.normal(label_key, (LAYER_SIZES[0], LAYER_SIZES[-1]))
    labels = jnp.argmax(inputs @ teacher, axis=-1)
    targets = nn.one_hot(labels, LAYER_SIZES[-1])

    def init_params(key: Any) -> list[dict[str, Any]]:
        keys = jax.random.split(key, len(LAYER_SIZES) - 1)
        return [{"w": init.glorot_normal()(k, (n_in, n_out)),
                 "b": init.zeros(k, (n_out,))}
                for k, n_in, n_out in zip(keys, LAYER_SIZES[:-1], LAYER_SIZES[1:])]

    def predict(params: list[dict[str, Any]], x: Any) -> Any:
        hidden = nn.relu(x @ params[0]["w"] + params[0]["b"])
        hidden = nn.silu(hidden @ params[1]["w"] + params[1]["b"])
        return hidden @ params[2]["w"] + params[2]["b"]  # logits

    def loss(params: list[dict[str, Any]]) -> Any:
        log_probs = nn.log_softmax(predict(params, inputs))
        return -jnp.mean(jnp.sum(targets * log_probs, axis=-1))

    def accuracy(params: list[dict[str, Any]]) -> Any:
        return jnp.mean(jnp.argmax(predict(params, inputs), axis=-1) == labels)

    params = init_params(params_key)
    losses = []
    for step in range(steps):
        value, grads = jax.value_and_grad(loss)(params)
        if step % PRINT_EVERY == 0:
            losses.append(value)
            if verbose:
                print(f"step {step:4d}  loss {float(value):.4f}")
        params = jax.tree.map(lambda p, g: p - LEARNING_RATE * g, params, grads)
    final, acc = loss(params), accuracy(params)
    if verbose:
        print(f"step {steps:4d}  loss {float(final):.4f}  accuracy {float(acc):.3f}")
    return [*losses, final, acc]


def main() -> None:
    """Train with gpugrad, printing the loss every ``PRINT_EVERY`` steps."""
    program(gpugrad, gnp)


if __name__ == "__main__":
    main()
