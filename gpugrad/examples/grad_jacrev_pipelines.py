"""Seed 002, "Gradient computation in jax": grad, jacrev and argnums on small pipelines.

The tutorial's code with only its imports changed.
Run: ``python -m gpugrad.examples.grad_jacrev_pipelines``.
The numbers it prints have closed forms: the gradient of ``sum(sin(x)**2)`` is
``sin(2x)``; the Jacobian of ``(sin x, cos x)`` is ``(diag(cos x), diag(-sin x))``; for
``x**2 + (y-1)**2`` at (5, 2) the gradients are 10 and 2, and after one step of 0.1 at
(4, 1.8) they are 8 and 1.6.
"""

from __future__ import annotations

from typing import Any

import gpugrad as jax  # noqa: F401  (the tutorial's imports, unused ones too)
import gpugrad.numpy as jnp
from gpugrad import grad, hessian, jacfwd, jacrev  # noqa: F401


def pipeline(x: Any) -> Any:
    # Example pipeline function
    y = jnp.sin(x)
    z = jnp.sum(y**2)
    return z


def pipeline_multi_output(x: Any) -> tuple[Any, Any]:
    # Example pipeline function with multiple outputs
    y = jnp.sin(x)
    z = jnp.cos(x)
    return y, z


def pipeline_mulit_input(x: Any, y: Any) -> Any:  # (sic: the tutorial's name)
    # Example pipeline function with multiple inputs
    z = x**2 + (y - 1) ** 2
    return z


def main() -> None:
    """Run the tutorial's cells in order, printing what it prints."""
    # Pipeline with one input and one output
    pipeline_grad = grad(pipeline)
    x: Any = jnp.array([1.0, 2.0, 3.0])
    grad_result = pipeline_grad(x)
    print("Gradient:", grad_result)

    # Pipeline with multiple outputs
    pipeline_jacobian = jacrev(pipeline_multi_output)
    jacobian_result = pipeline_jacobian(x)
    print("Jacobian:", jacobian_result)

    # Pipeline with multiple inputs
    x = 5.0
    y: Any = 2.0
    x_grad = grad(pipeline_mulit_input, argnums=0)(x, y)
    y_grad = grad(pipeline_mulit_input, argnums=1)(x, y)
    print("x_grad:", x_grad)
    print("y_grad:", y_grad)

    pipeline_grad_x = jacrev(pipeline_mulit_input, argnums=0)
    pipeline_grad_y = jacrev(pipeline_mulit_input, argnums=1)
    pipeline_grad_xy = jacrev(pipeline_mulit_input, argnums=(0, 1))

    grad_x_result = pipeline_grad_x(x, y)
    grad_y_result = pipeline_grad_y(x, y)
    grad_xy_result = pipeline_grad_xy(x, y)

    print("Gradient with respect to x:", grad_x_result)
    print("Gradient with respect to y:", grad_y_result)
    print("Gradient with respect to x and y:", grad_xy_result)

    x = x - 0.1 * grad_x_result
    y = y - 0.1 * grad_y_result

    print("Updated x:", x)
    print("Updated y:", y)

    grad_x_result = pipeline_grad_x(x, y)
    grad_y_result = pipeline_grad_y(x, y)

    print("Gradient with respect to x:", grad_x_result)
    print("Gradient with respect to y:", grad_y_result)


if __name__ == "__main__":
    main()
