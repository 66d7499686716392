"""More of NumPy: indexing, ordering, shape and statistics functions, composed from the
primitives."""

from __future__ import annotations

__all__: list[str] = []
