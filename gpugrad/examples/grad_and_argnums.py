"""Seed 000, "jax.grad": gradients of a sum of squares, and ``argnums``.

The tutorial's code with only its imports changed.
Run: ``python -m gpugrad.examples.grad_and_argnums``.
Prints ``Sum of squares: 30.0`` and ``Gradient of sum of squares: [2. 4. 6. 8.]``, then the
gradient of a sum of squared errors with respect to ``x``, to ``(x, y)``, and a check that
``argnums=(0, 1)`` equals the two separate gradients.
"""

from __future__ import annotations

from typing import Any

import gpugrad as jax
import gpugrad.numpy as jnp


def sum_of_squares(arr: Any) -> Any:
    return jnp.sum(arr**2)


def sum_squared_errors(x: Any, y: Any) -> Any:
    return jnp.sum((x - y) ** 2)


def main() -> None:
    """Run the tutorial's cells in order, printing what it prints."""
    sum_of_squares_dx = jax.grad(sum_of_squares)
    x = jnp.asarray([1.0, 2.0, 3.0, 4.0])

    print(f"Sum of squares: {sum_of_squares(x)}")
    print(f"Gradient of sum of squares: {sum_of_squares_dx(x)}")

    sum_squared_errors_dx = jax.grad(sum_squared_errors)
    y = jnp.asarray([1.1, 2.1, 3.1, 4.1])
    print(f"Gradient of sum of squared errors: {sum_squared_errors_dx(x, y)}")

    # The tutorial shows this cell's value; a script has to print it.
    print(jax.grad(sum_squared_errors, argnums=(0, 1))(x, y))

    grad_x = jax.grad(sum_squared_errors, argnums=0)
    grad_y = jax.grad(sum_squared_errors, argnums=1)
    grad_xy = jax.grad(sum_squared_errors, argnums=(0, 1))
    for i in range(len(grad_xy(x, y))):
        print(grad_xy(x, y)[i] == (grad_x(x, y), grad_y(x, y))[i])


if __name__ == "__main__":
    main()
