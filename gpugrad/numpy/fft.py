"""``gpugrad.numpy.fft``: discrete Fourier transforms, differentiable in both modes."""

from __future__ import annotations

__all__: list[str] = []
