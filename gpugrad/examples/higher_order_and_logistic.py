"""Seed 001: ``grad`` of tanh to third order, a cubic to fourth, and logistic regression.

The tutorial's code with only its imports changed.
Run: ``python -m gpugrad.examples.higher_order_and_logistic``.
Prints 0.070650816, -0.13621868, 0.25265405 (tanh's derivatives at 2), 4.0, 10.0, 6.0, 0.0
(the cubic's at 1), then the logistic loss's gradients, ``W_grad=array([-0.16965583,
-0.8774644 , -1.4901346 ], dtype=float32)`` and ``b_grad=array(-0.29227245, ...)``, its
value 3.0519385, and a finite-difference check.

The parameters come from ``jax.random`` with key 0 (gpugrad's is bit-compatible, legacy
layout). Until ``gpugrad.random`` is importable, the same numbers are used as constants.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

import gpugrad as jax
import gpugrad.numpy as jnp
from gpugrad import grad

_random: Any
try:
    _random = importlib.import_module("gpugrad.random")
except ImportError:  # gpugrad.random not built yet: fall back to JAX's numbers for key(0)
    _random = None

# jax.random.normal for key(0) split in 3 (W, b) and then in 2 (the check's direction), with
# JAX's legacy threefry layout, which gpugrad reproduces by default.
_W0 = np.array([-0.36838785, -2.275689, 0.01144757], dtype=np.float32)
_B0 = np.array(0.8535516, dtype=np.float32)
_VEC0 = np.array([0.96724623, -0.56278366, 0.3791318], dtype=np.float32)


def sigmoid(x: Any) -> Any:
    return 0.5 * (jnp.tanh(x / 2) + 1)


# outputs probability of a label being true
def predict(W: Any, b: Any, inputs: Any) -> Any:
    return sigmoid(jnp.dot(inputs, W) + b)


# build a toy dataset
inputs = jnp.array([[0.52, 1.12, 0.77],
                    [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30],
                    [0.74, -2.49, 1.39]])  # fmt: skip

targets = jnp.array([True, True, False, True])


# Training loss is the negative log-likelihood of the training examples
def loss(W: Any, b: Any) -> Any:
    preds = predict(W, b, inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


def loss2(param_dict: dict[str, Any]) -> Any:
    preds = predict(param_dict["W"], param_dict["b"], inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


def derivatives() -> None:
    """Cells 2-5: tanh to third order at 2.0, the cubic to fourth order at 1.0."""
    grad_tanh = grad(jnp.tanh)
    print(grad_tanh(2.0))

    print(grad(grad(jnp.tanh))(2.0))
    print(grad(grad(grad(jnp.tanh)))(2.0))

    f = lambda x: x**3 + 2 * x**2 - 3 * x + 1
    dfdx = grad(f)
    d2fdx = jax.grad(dfdx)
    d3fdx = jax.grad(d2fdx)
    d4fdx = jax.grad(d3fdx)

    # Using x = 1
    print(dfdx(1.0))
    print(d2fdx(1.0))
    print(d3fdx(1.0))
    print(d4fdx(1.0))


def logistic_regression() -> None:
    """Cells 6-16: the logistic loss's gradients, value, and a finite-difference check."""
    if _random is not None:
        key = _random.key(0)
        key, W_key, b_key = _random.split(key, 3)
        W = _random.normal(W_key, (3,))
        b = _random.normal(b_key, ())
    else:
        key, W, b = None, jnp.asarray(_W0), jnp.asarray(_B0)

    W_grad = grad(loss, argnums=0)(W, b)  # argnums=0 is default
    print(f"{W_grad=}")

    b_grad = grad(loss, 1)(W, b)
    print(f"{b_grad=}")

    # We can also use tuple value to initialize the parameters W and b
    W_grad, b_grad = grad(loss, (0, 1))(W, b)
    print(f"{W_grad=}")
    print(f"{b_grad=}")

    print(grad(loss2)({"W": W, "b": b}))

    loss_value, Wb_grad = jax.value_and_grad(loss, (0, 1))(W, b)
    print(f"loss value: {loss_value}")
    print(f"Wb_grad: {Wb_grad}")
    print(f"loss value: {loss(W, b)}")

    # set a step size for finite differences calculations
    eps = 1e-4

    # check b_grad with scalar finite differences
    b_grad_numerical = (loss(W, b + eps / 2.0) - loss(W, b - eps / 2.0)) / eps
    print("b_grad_numerical:", b_grad_numerical)
    print("b_grad_autodiff:", grad(loss, 1)(W, b))

    # check W_grad with finite differences in a random direction
    if _random is not None:
        key, subkey = _random.split(key)
        vec = _random.normal(subkey, W.shape)
    else:
        vec = jnp.asarray(_VEC0)
    unitvec = vec / jnp.sqrt(jnp.vdot(vec, vec))
    W_grad_numerical = (loss(W + eps / 2.0 * unitvec, b) - loss(W - eps / 2.0 * unitvec, b)) / eps
    print("W_grad_numerical:", W_grad_numerical)
    print("W_grad_autodiff:", jnp.vdot(grad(loss)(W, b), unitvec))


def main() -> None:
    """Run the tutorial's cells in order, printing what it prints."""
    derivatives()
    logistic_regression()


if __name__ == "__main__":
    main()
