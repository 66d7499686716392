"""``gpugrad.numpy.linalg``: linear algebra, differentiable in both modes."""

from __future__ import annotations

__all__: list[str] = []
