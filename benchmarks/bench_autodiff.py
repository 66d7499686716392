"""The benchmark tests: every workload on gpugrad, each installed peer and the forward floor.

``conftest.py`` parametrizes each test over (workload x framework), taking the workloads of
the families listed for it in ``FAMILIES``; ``workloads.py`` defines the computations and
their float64 references, ``harness.py`` checks each case and times it. pytest-benchmark
groups the results by case, so the frameworks of one case print together.
"""

from __future__ import annotations

from typing import Any

from benchmarks.frameworks import Framework
from benchmarks.harness import run_case
from benchmarks.workloads import Workload

# Test function -> the workload families (name prefixes) it runs.
FAMILIES = {
    "test_first_order": (
        "grad sum(x**2)",
        "grad sum(sin(x)**2)",
        "grad exp/sin/log1p chain",
        "value_and_grad logistic",
    ),
    "test_higher_order": ("grad^3 tanh", "grad^4 cubic", "hessian"),
    "test_jacobian": ("jacrev", "jacfwd"),
    "test_mlp": ("grad MLP",),
    "test_per_example": ("per-example grad logistic", "grad logistic, whole batch"),
}


def test_first_order(benchmark: Any, workload: Workload, framework: Framework, budget: float):
    """Gradients: sum of squares, seed 002's pipeline, an elementwise chain, and
    ``value_and_grad`` of seed 001's logistic loss."""
    run_case(benchmark, workload, framework, budget)


def test_higher_order(benchmark: Any, workload: Workload, framework: Framework, budget: float):
    """Nested ``grad`` at a scalar (seed 001's tanh and cubic) and a Hessian
    (``jacfwd(jacrev)``) of ``sum(tanh(A @ x)**2)``."""
    run_case(benchmark, workload, framework, budget)


def test_jacobian(benchmark: Any, workload: Workload, framework: Framework, budget: float):
    """Jacobians of seed 002's two-output ``x -> (sin x, cos x)``, reverse and forward mode."""
    run_case(benchmark, workload, framework, budget)


def test_mlp(benchmark: Any, workload: Workload, framework: Framework, budget: float):
    """A 3-layer tanh MLP (784-512-512-10, batch 256): the loss's gradient over a dict of
    parameters, dominated by matrix products."""
    run_case(benchmark, workload, framework, budget)


def test_per_example(benchmark: Any, workload: Workload, framework: Framework, budget: float):
    """Per-example gradients of seed 001's logistic loss (batch 256, 100 features) by
    ``vmap(grad)``, beside one ``grad`` of the batch's summed loss: the goal is at most 3x."""
    run_case(benchmark, workload, framework, budget)
