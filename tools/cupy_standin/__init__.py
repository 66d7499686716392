"""A CuPy stand-in that runs on the CPU, for testing gpugrad's CuPy path without a GPU.

``install()`` puts it into ``sys.modules`` as ``cupy`` (with ``cupy.cuda``,
``cupy.cuda.runtime``, ``cupy.cuda.compiler``, ``cupy.linalg``, ``cupy.fft``,
``cupy.random``) and ``cupyx``; ``GPUGRAD_CUPY_STANDIN=1`` makes gpugrad's test suite do so
before anything imports CuPy. It imitates CuPy 14.2.0 where a real GPU run would fail or
differ: its ``ndarray`` is its own type whose implicit conversion to NumPy raises CuPy's
``TypeError``; CuPy's functions refuse NumPy arrays; indexing and reductions give 0-d arrays,
never scalars; only the names real CuPy 14.2 has exist; one device; a memory pool. Kernel
launches and host/device copies are counted (:func:`stats`, :func:`counting`).

Where it cannot be faithful:

- no timing: nothing is asynchronous, ``synchronize()`` does nothing, streams and events are
  accepted and ignored, so no concurrency bug (a missing sync, a race) can show;
- no memory bandwidth, no occupancy, no GPU memory limit (host memory is the limit);
- float results come from NumPy and the host's libm, not CUDA's libdevice: the last ulp may
  differ (and CuPy's ``ElementwiseKernel`` compiles with ``-ftz=true``: float32 subnormals
  flush to zero on a GPU, not here);
- reductions sum in NumPy's pairwise order, not CUB's tree order;
- ``cupy.random`` draws from NumPy's generator, not cuRAND: the same seed gives other numbers;
- ``cupy.fuse`` runs the function unfused; the memory pool approximates CuPy's block cache,
  and its peak statistics (``peak_bytes``/``reset_peak``) are the stand-in's own;
- non-ufunc functions accept Python lists where CuPy would often refuse them.

Example:
    >>> import sys
    >>> from tools import cupy_standin
    >>> with cupy_standin.installed():
    ...     import cupy
    ...     with cupy_standin.counting() as counts:
    ...         y = cupy.exp(cupy.zeros(3)).sum()
    ...     float(y), counts.launches
    (3.0, 3)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from types import ModuleType

from tools.cupy_standin._module import modules
from tools.cupy_standin._stats import Stats, counting, reset, snapshot

__all__ = ["Stats", "counting", "install", "installed", "reset", "stats", "uninstall"]


def install() -> None:
    """Make ``import cupy`` (and ``cupyx``) give the stand-in from now on in this process."""
    for name in [n for n in sys.modules if n == "cupy" or n.startswith("cupy.")]:
        del sys.modules[name]  # real CuPy's submodules must not mix with the stand-in
    sys.modules.update(modules())


def uninstall(saved: Mapping[str, ModuleType] | None = None) -> None:
    """Remove the stand-in from ``sys.modules`` (putting back ``saved`` entries, if given)."""
    for name in modules():
        if sys.modules.get(name) is modules()[name]:
            del sys.modules[name]
    if saved:
        sys.modules.update(saved)


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """The stand-in as ``cupy`` inside the block only; ``sys.modules`` is restored after."""
    saved = {n: m for n, m in sys.modules.items()
             if n in ("cupy", "cupyx") or n.startswith(("cupy.", "cupyx."))}
    install()
    try:
        yield
    finally:
        uninstall(saved)


def stats() -> Stats:
    """Kernel launches and host/device copies (count and bytes) since the last reset."""
    return snapshot()
