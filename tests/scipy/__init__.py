"""Tests of gpugrad.scipy.special."""
