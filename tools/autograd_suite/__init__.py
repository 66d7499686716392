"""HIPS autograd's own test suite run against gpugrad (``python -m tools.autograd_suite.run``)."""
