"""Tests of gpugrad.primitives: every primitive's rules, fusion, the evaluators."""
