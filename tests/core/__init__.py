"""Tests of gpugrad.core: tracers, the trace stack, concrete values."""
