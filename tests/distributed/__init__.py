"""Tests of gpugrad.distributed across MPI processes."""
