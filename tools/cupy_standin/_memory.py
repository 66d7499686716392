"""The stand-in's device memory pool: bytes held by live arrays, with a peak.

CuPy's ``MemoryPool`` (``cupy/cuda/memory.pyx``) rounds every allocation up to a multiple of
512 bytes (``_allocation_unit_size``), keeps freed blocks cached for reuse (``total_bytes``
counts them, ``used_bytes`` does not) until ``free_all_blocks()`` hands them back to the
driver. Size-0 arrays allocate nothing. The stand-in tracks the same quantities from the
NumPy buffers behind live stand-in arrays (a ``weakref.finalize`` on each buffer returns
its bytes to the cache when the buffer dies).

Not faithful: CuPy reuses a cached block only when one of a fitting size bin is free; the
stand-in lets any new allocation draw on the cached bytes, so ``total_bytes`` can read lower
than CuPy's. CuPy's pool has no peak statistics: :meth:`MemoryPool.peak_bytes` and
:meth:`MemoryPool.reset_peak` exist only in the stand-in (a test that calls them cannot run
against real CuPy).

Example:
    >>> import numpy as np
    >>> pool = MemoryPool()
    >>> buffer = np.zeros(10)
    >>> pool._track(buffer)
    >>> pool.used_bytes(), pool.peak_bytes()
    (512, 512)
    >>> del buffer
    >>> pool.used_bytes(), pool.total_bytes()
    (0, 512)
    >>> pool.free_all_blocks()
    >>> pool.total_bytes()
    0
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

__all__ = ["ALLOCATION_UNIT", "MemoryPool", "PinnedMemoryPool", "get_default_memory_pool",
           "get_default_pinned_memory_pool"]

ALLOCATION_UNIT = 512  # cupy/cuda/memory.pyx: _allocation_unit_size


def _rounded(nbytes: int) -> int:
    return -(-nbytes // ALLOCATION_UNIT) * ALLOCATION_UNIT


class MemoryPool:
    """CuPy's ``cupy.cuda.MemoryPool`` API over the stand-in's host buffers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used = 0
        self._free = 0  # freed bytes still cached by the pool
        self._peak = 0
        self._blocks = 0
        self._tracked: set[int] = set()
        self._limit = 0

    def _track(self, buffer: np.ndarray) -> None:
        """Count ``buffer`` (a NumPy array owning its memory) as one device allocation."""
        key = id(buffer)
        size = _rounded(buffer.nbytes)
        with self._lock:
            if key in self._tracked or size == 0:
                return
            self._tracked.add(key)
            self._used += size
            self._blocks += 1
            self._free -= min(self._free, size)
            self._peak = max(self._peak, self._used)
        weakref.finalize(buffer, self._release, key, size)

    def _release(self, key: int, size: int) -> None:
        with self._lock:
            self._tracked.discard(key)
            self._used -= size
            self._blocks -= 1
            self._free += size

    def used_bytes(self) -> int:
        """Bytes held by live arrays (each rounded up to 512)."""
        return self._used

    def free_bytes(self) -> int:
        """Bytes freed by arrays but still cached by the pool."""
        return self._free

    def total_bytes(self) -> int:
        """``used_bytes() + free_bytes()``: what the pool holds from the driver."""
        return self._used + self._free

    def n_free_blocks(self) -> int:
        """CuPy counts cached blocks; the stand-in caches bytes, not blocks (0 or 1)."""
        return 1 if self._free else 0

    def free_all_blocks(self, stream: object = None) -> None:
        """Hand every cached block back to the driver."""
        with self._lock:
            self._free = 0

    def free_all_free(self) -> None:
        """Deprecated alias of :meth:`free_all_blocks` in CuPy."""
        self.free_all_blocks()

    def set_limit(self, size: int | None = None, fraction: float | None = None) -> None:
        """Record the limit (the stand-in does not enforce it: host memory is the limit)."""
        self._limit = int(size or 0)

    def get_limit(self) -> int:
        """The limit set with :meth:`set_limit` (0: none)."""
        return self._limit

    def peak_bytes(self) -> int:
        """Stand-in only (CuPy has no peak): the largest ``used_bytes()`` seen since reset."""
        return self._peak

    def reset_peak(self) -> None:
        """Stand-in only: start the peak again from the current ``used_bytes()``."""
        with self._lock:
            self._peak = self._used


class PinnedMemoryPool:
    """CuPy's pinned (page-locked host) pool: the stand-in allocates no pinned memory."""

    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def n_free_blocks(self) -> int:
        return 0

    def free_all_blocks(self) -> None:
        return None


_default_pool = MemoryPool()
_default_pinned_pool = PinnedMemoryPool()


def get_default_memory_pool() -> MemoryPool:
    """The pool every stand-in array is counted in (``cupy.get_default_memory_pool()``)."""
    return _default_pool


def get_default_pinned_memory_pool() -> PinnedMemoryPool:
    """``cupy.get_default_pinned_memory_pool()``."""
    return _default_pinned_pool
