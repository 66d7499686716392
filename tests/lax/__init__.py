"""Tests of gpugrad.lax: elementwise, shapes, slicing and control flow, against jax.lax."""
