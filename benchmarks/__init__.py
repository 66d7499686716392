"""gpugrad's benchmark suite (pytest-benchmark), its report and its entry command.

``python -m benchmarks.run --help`` runs the suite and writes the JSON, a Markdown table and a
plot; ``python -m benchmarks.report RUN.json`` turns an existing run into the table and plot.
See ``benchmarks/README.md``.
"""
