"""Tests of gpugrad.compiler: the programs jit generates."""
