"""The worked example ``gpugrad/examples/mlp_training.py``: the MLP trained with gpugrad.nn
and its initializers reaches the loss its docstring states, and the same program run on
JAX (same keys, same threefry layout) gives the same losses to float32 tolerance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.examples import mlp_training

jax = pytest.importorskip("jax")


@pytest.fixture(params=[False, True], ids=["legacy_prng", "partitionable_prng"])
def prng_layout(request: pytest.FixtureRequest) -> Any:
    saved = (jax.config.jax_threefry_partitionable, gpugrad.config.threefry_partitionable)
    jax.config.update("jax_threefry_partitionable", request.param)
    gpugrad.config.update("threefry_partitionable", request.param)
    yield request.param
    jax.config.update("jax_threefry_partitionable", saved[0])
    gpugrad.config.update("threefry_partitionable", saved[1])


def test_example_prints_the_stated_losses(capsys: pytest.CaptureFixture[str]) -> None:
    mlp_training.main()
    printed = capsys.readouterr().out
    assert printed.split("\n") == [
        "step    0  loss 1.1051",
        "step   50  loss 0.0593",
        "step  100  loss 0.0298",
        "step  150  loss 0.0204",
        "step  200  loss 0.0154  accuracy 1.000",
        "",
    ]
    assert mlp_training.__doc__ is not None and "step  200  loss 0.0154" in mlp_training.__doc__


def test_losses_match_jax(prng_layout: bool) -> None:
    # The full run in the example's layout; a shorter one in the other (JAX's op-by-op
    # dispatch is most of this test's time).
    steps = mlp_training.STEPS if not prng_layout else 50
    ours = mlp_training.program(gpugrad, gnp, steps=steps, verbose=False)
    theirs = mlp_training.program(jax, jax.numpy, steps=steps, verbose=False)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert np.asarray(a).dtype == np.asarray(b).dtype == np.float32
        # Measured: 1.2e-7 relative at most after 100 steps in either layout.
        np.testing.assert_allclose(a, b, rtol=2e-6, err_msg=f"loss {i}")
    losses = np.array([float(v) for v in ours[:-1]])
    assert np.all(np.diff(losses) < 0), losses  # decreasing at every print
    if not prng_layout:
        assert abs(float(ours[-2]) - 0.0154) < 5e-5 and float(ours[-1]) == 1.0
