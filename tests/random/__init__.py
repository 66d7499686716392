"""Tests of gpugrad.random: JAX's threefry numbers."""
