"""The devices arrays live on, and waiting for them: what every timing of a jitted function
needs (``block_until_ready``), and JAX's ``devices()`` / ``device_count()``.

NumPy computes on the host and returns when it is done. CuPy queues kernels on a CUDA
stream and returns at once, so a timing that does not wait for the stream measures only the
launches: :func:`block_until_ready` waits.

Example:
    >>> gpugrad.devices()
    [CpuDevice(id=0)]
    >>> gpugrad.block_until_ready({"w": np.ones(2)})["w"]
    array([1., 1.])
"""

from __future__ import annotations

from typing import Any

from gpugrad import tree_util
from gpugrad.backend import default_backend, get_xp, is_cupy_array

__all__ = ["Device", "block_until_ready", "device_count", "devices"]


class Device:
    """One device: ``platform`` is ``"cpu"`` (NumPy) or ``"gpu"`` (CuPy), ``id`` its number."""

    __slots__ = ("id", "platform")

    def __init__(self, platform: str, id: int) -> None:
        self.platform = platform
        self.id = id

    @property
    def device_kind(self) -> str:
        if self.platform == "cpu":
            return "cpu"
        props = get_xp("cupy").cuda.runtime.getDeviceProperties(self.id)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Device) and other.platform == self.platform
                and other.id == self.id)

    def __hash__(self) -> int:
        return hash((self.platform, self.id))

    def __repr__(self) -> str:
        return f"{'Cpu' if self.platform == 'cpu' else 'Cuda'}Device(id={self.id})"


_PLATFORMS = {"cpu": "numpy", "numpy": "numpy", "gpu": "cupy", "cuda": "cupy", "cupy": "cupy"}


def devices(backend: str | None = None) -> list[Device]:
    """The devices of ``backend`` (``"cpu"``/``"numpy"`` or ``"gpu"``/``"cuda"``/``"cupy"``;
    default: the default backend): one CPU device for NumPy, every CUDA device for CuPy.

    Example:
        >>> gpugrad.devices("cpu")
        [CpuDevice(id=0)]
    """
    name = default_backend() if backend is None else _PLATFORMS.get(str(backend).lower())
    if name is None:
        raise ValueError(f"devices: unknown backend {backend!r}; expected one of "
                         f"{', '.join(sorted(_PLATFORMS))}")
    if name == "numpy":
        return [Device("cpu", 0)]
    count = get_xp("cupy").cuda.runtime.getDeviceCount()
    return [Device("gpu", i) for i in range(count)]


def device_count(backend: str | None = None) -> int:
    """How many devices ``backend`` has (see :func:`devices`).

    Example:
        >>> gpugrad.device_count("cpu")
        1
    """
    return len(devices(backend))


def block_until_ready(tree: Any) -> Any:
    """Wait until every array in ``tree`` has been computed, and return ``tree``: on CuPy,
    the current stream is synchronized; NumPy arrays are always ready.

    Example:
        >>> gpugrad.block_until_ready(np.arange(3))
        array([0, 1, 2])
    """
    if any(is_cupy_array(leaf) for leaf in tree_util.tree_leaves(tree)):
        get_xp("cupy").cuda.get_current_stream().synchronize()
    return tree
