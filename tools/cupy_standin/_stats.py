"""What the stand-in counts: kernel launches and copies between host and device.

Real CuPy launches a CUDA kernel for every ufunc, reduction, copy, fill and fancy index, and
copies across the PCIe bus for ``cupy.asarray(numpy_array)`` (host to device) and ``.get()``
(device to host). A GPU run pays for each one, so the stand-in counts them: a test can then
assert that a fused path launches one kernel, or that a loop never syncs to the host.

Example:
    >>> from tools.cupy_standin import _stats
    >>> with _stats.counting() as counts:
    ...     _stats.record_launch("add")
    ...     _stats.record_d2h(8)
    >>> counts.launches, counts.d2h, counts.d2h_bytes
    (1, 1, 8)
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import threading
from collections.abc import Iterator

__all__ = [
    "Stats",
    "counting",
    "record_d2h",
    "record_h2d",
    "record_launch",
    "reset",
    "snapshot",
]


@dataclasses.dataclass
class Stats:
    """Counts since the last :func:`reset` (or inside one :func:`counting` block)."""

    launches: int = 0
    h2d: int = 0
    h2d_bytes: int = 0
    d2h: int = 0
    d2h_bytes: int = 0
    launch_names: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter
    )

    def _add(self, other: Stats, sign: int) -> None:
        self.launches += sign * other.launches
        self.h2d += sign * other.h2d
        self.h2d_bytes += sign * other.h2d_bytes
        self.d2h += sign * other.d2h
        self.d2h_bytes += sign * other.d2h_bytes
        for name, n in other.launch_names.items():
            self.launch_names[name] += sign * n
        self.launch_names = +self.launch_names  # drop zero entries


_lock = threading.Lock()
_total = Stats()


def record_launch(name: str) -> None:
    """Count one kernel launch called ``name`` (CuPy's kernel or routine name)."""
    with _lock:
        _total.launches += 1
        _total.launch_names[name] += 1


def record_h2d(nbytes: int) -> None:
    """Count one host-to-device copy of ``nbytes`` bytes."""
    with _lock:
        _total.h2d += 1
        _total.h2d_bytes += int(nbytes)


def record_d2h(nbytes: int) -> None:
    """Count one device-to-host copy of ``nbytes`` bytes (every sync to the host is one)."""
    with _lock:
        _total.d2h += 1
        _total.d2h_bytes += int(nbytes)


def snapshot() -> Stats:
    """A copy of the counts so far."""
    with _lock:
        copy = Stats()
        copy._add(_total, 1)
        return copy


def reset() -> None:
    """Set every count back to zero."""
    global _total
    with _lock:
        _total = Stats()


@contextlib.contextmanager
def counting() -> Iterator[Stats]:
    """Count what happens inside the block; the yielded :class:`Stats` is filled at its end."""
    before = snapshot()
    counts = Stats()
    try:
        yield counts
    finally:
        counts._add(snapshot(), 1)
        counts._add(before, -1)
