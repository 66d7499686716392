"""Tests of gpugrad.kernel and gpugrad.kernel_check: the CUDA kernels."""
