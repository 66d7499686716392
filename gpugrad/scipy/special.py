"""``gpugrad.scipy.special``: special functions, numerically stable and differentiable."""

from __future__ import annotations

__all__: list[str] = []
