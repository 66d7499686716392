"""Tests of the whole project: docs, lint, examples, benchmarks, tools, JAX programs."""
