"""Data-parallel training: the batch split across processes, the gradients averaged.

Run it under MPI's launcher, with as many processes as wanted::

    mpiexec -n 2 python -m gpugrad.examples.data_parallel

Every process makes the same synthetic data set (``gpugrad.random``, the same key) of
``PER_PROCESS`` points per process, and the same initial parameters of an MLP
(32 -> 256 -> 256 -> 10). Each step, process ``r`` takes the gradient of the mean loss on its
own slice of the batch; one ``all_reduce(grads, "mean")`` averages the gradients (slices of
equal size, so the average is the gradient of the whole batch's mean loss), and every
process applies the same update. After ``STEPS`` steps the example checks that the
parameters are bit-identical in every process and equal, to float32 tolerance, those of one
process trained on the whole batch; it prints the steps per second of the distributed
training (the weak scaling: the work per process is the same for any number of processes).
Run alone (``python -m gpugrad.examples.data_parallel``) it is the one-process case.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad
import gpugrad.nn as nn
import gpugrad.numpy as gnp
import gpugrad.random as random
from gpugrad import distributed
from gpugrad.nn import initializers

LAYER_SIZES = (32, 256, 256, 10)
PER_PROCESS = 128
STEPS = 20
LEARNING_RATE = 0.1  # larger steps make this problem chaotic: rounding grows to 1e-3
Params = list[dict[str, Any]]


def make_problem(points: int) -> tuple[Params, Any, Any]:
    """Initial parameters, inputs and one-hot targets (the same in every process)."""
    data_key, label_key, params_key = random.split(random.PRNGKey(0), 3)
    inputs = random.normal(data_key, (points, LAYER_SIZES[0]))
    teacher = random.normal(label_key, (LAYER_SIZES[0], LAYER_SIZES[-1]))
    targets = nn.one_hot(gnp.argmax(inputs @ teacher, axis=-1), LAYER_SIZES[-1])
    keys = random.split(params_key, len(LAYER_SIZES) - 1)
    params = [{"w": initializers.glorot_normal()(k, (n_in, n_out)),
               "b": initializers.zeros(k, (n_out,))}
              for k, n_in, n_out in zip(keys, LAYER_SIZES[:-1], LAYER_SIZES[1:])]
    return params, inputs, targets


def loss(params: Params, inputs: Any, targets: Any) -> Any:
    """The mean softmax cross-entropy of the MLP on ``inputs``."""
    hidden = inputs
    for layer in params[:-1]:
        hidden = nn.relu(hidden @ layer["w"] + layer["b"])
    logits = hidden @ params[-1]["w"] + params[-1]["b"]
    return -gnp.mean(gnp.sum(targets * nn.log_softmax(logits), axis=-1))


def train(params: Params, inputs: Any, targets: Any, steps: int,
          average: Callable[[Any], Any]) -> Params:
    """``steps`` of gradient descent; ``average`` combines the processes' gradients."""
    grad_fn = gpugrad.grad(loss)
    for _ in range(steps):
        grads = average(grad_fn(params, inputs, targets))
        params = gpugrad.tree.map(lambda p, g: p - LEARNING_RATE * g, params, grads)
    return params


def largest_difference(a: Params, b: Params) -> float:
    """The largest absolute difference between two parameter trees."""
    return max(float(np.max(np.abs(x - y)))
               for x, y in zip(gpugrad.tree.leaves(a), gpugrad.tree.leaves(b)))


def main(argv: list[str] | None = None) -> int:
    """Train across the processes of ``mpiexec``; check against one process; report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--per-process", type=int, default=PER_PROCESS)
    parser.add_argument("--no-check", action="store_true",
                        help="skip the one-process reference (for timing)")
    args = parser.parse_args(argv)
    distributed.initialize()
    rank, size = distributed.rank(), distributed.size()
    params, inputs, targets = make_problem(args.per_process * size)
    mine = slice(rank * args.per_process, (rank + 1) * args.per_process)

    distributed.barrier()
    start = time.perf_counter()
    trained = train(params, inputs[mine], targets[mine], args.steps,
                    lambda grads: distributed.all_reduce(grads, "mean"))
    distributed.barrier()
    elapsed = time.perf_counter() - start
    if rank == 0:
        print(f"{size} process(es), {args.per_process} points each: "
              f"{args.steps / elapsed:.1f} steps/s")
    if args.no_check:
        return 0
    # The same parameters everywhere: the largest and the smallest across processes agree.
    spread = largest_difference(distributed.all_reduce(trained, "max"),
                                distributed.all_reduce(trained, "min"))
    reference = train(params, inputs, targets, args.steps, lambda grads: grads)
    difference = largest_difference(trained, reference)
    if rank == 0:
        print(f"spread across processes {spread:.1e}; "
              f"largest difference from one process on the whole batch {difference:.1e}")
    return 0 if spread == 0.0 and difference < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
