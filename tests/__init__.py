"""gpugrad's test suite; tests/README.md describes its folders."""
