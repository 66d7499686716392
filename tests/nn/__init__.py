"""Tests of gpugrad.nn and its initializers, against jax.nn."""
