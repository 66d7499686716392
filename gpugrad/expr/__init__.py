"""The scalar expression language and the elementwise catalog, below both the primitives and
the kernel generator: ``language.py`` holds the expression trees (variables, constants,
operations) and their differentiation; ``printers.py`` prints them as NumPy source and CUDA
statements; ``catalog.py`` holds every elementwise
formula and its derivatives, the single source the elementwise primitive, the NumPy
evaluators and the CUDA kernels all read."""

# The catalog registers the operations Expr's operators build with (language.register_catalog).
from gpugrad.expr import catalog
