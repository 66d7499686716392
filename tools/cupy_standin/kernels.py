"""``cupy.ElementwiseKernel`` and ``cupy.RawKernel`` for the stand-in (placeholders).

The kernels compiled for the host are written in their own change; until it lands, building
either kernel raises ``NotImplementedError`` so that a test using one fails loudly.

Example:
    >>> ElementwiseKernel("float64 x", "float64 y", "y = x", "copy")
    Traceback (most recent call last):
    ...
    NotImplementedError: the CuPy stand-in does not run ElementwiseKernel yet
"""

from __future__ import annotations

from typing import Any

__all__ = ["ElementwiseKernel", "RawKernel"]


class ElementwiseKernel:
    """Placeholder for ``cupy.ElementwiseKernel``."""

    __module__ = "cupy"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the CuPy stand-in does not run ElementwiseKernel yet")


class RawKernel:
    """Placeholder for ``cupy.RawKernel``."""

    __module__ = "cupy"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the CuPy stand-in does not run RawKernel yet")
