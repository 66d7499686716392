"""Tests of gpugrad.numpy: NumPy's names, linalg and fft, against NumPy and jax.numpy."""
