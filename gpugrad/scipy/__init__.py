"""``gpugrad.scipy``: SciPy's names, differentiable (``gpugrad.scipy.special``)."""

from gpugrad.scipy import special

__all__ = ["special"]
