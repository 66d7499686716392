"""``cupy.cuda`` for the stand-in: one device (id 0), its properties, streams that do nothing.

The stand-in has exactly one device, so ``getDeviceCount()`` is 1 and ``getDevice()`` 0;
asking for another device raises CuPy's ``CUDARuntimeError`` (``cudaErrorInvalidDevice``).
Nothing runs asynchronously: every stand-in operation has finished when it returns, so
``synchronize()`` does nothing and streams, events and timings are not modelled.
``compiler.CompileException`` is the class the stand-in's kernels raise, shaped like CuPy's
(``cupy/cuda/compiler.py``: message, source, name, options, backend).

Example:
    >>> runtime.getDeviceCount(), Device().id, Device(0).compute_capability
    (1, 0, '90')
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from tools.cupy_standin._compile import CompileException  # the kernels raise this one

__all__ = ["CompileException", "CUDARuntimeError", "Device", "MemoryPointer", "Stream",
           "compiler", "runtime"]

_COMPUTE_CAPABILITY = (9, 0)  # the stand-in poses as an H100 (sm_90)
_RUNTIME_VERSION = 12080  # CUDA 12.8, as cudaRuntimeGetVersion encodes it


class CUDARuntimeError(RuntimeError):
    """``cupy_backends.cuda.api.runtime.CUDARuntimeError``."""

    def __init__(self, status: int, name: str = "cudaErrorInvalidDevice",
                 text: str = "invalid device ordinal") -> None:
        self.status = status
        super().__init__(f"{name}: {text}")


def _check(device: int) -> int:
    device = int(device)
    if device != 0:
        raise CUDARuntimeError(101)
    return device


def getDeviceCount() -> int:
    return 1


def getDevice() -> int:
    return 0


def setDevice(device: int) -> None:
    _check(device)


def deviceSynchronize() -> None:
    return None


def runtimeGetVersion() -> int:
    return _RUNTIME_VERSION


def driverGetVersion() -> int:
    return _RUNTIME_VERSION


def getDeviceProperties(device: int) -> dict[str, Any]:
    """The keys CuPy's ``getDeviceProperties`` returns that callers read; ``name`` is bytes."""
    _check(device)
    return {
        "name": b"CuPy stand-in (CPU)",
        "totalGlobalMem": 80 * 2**30,
        "sharedMemPerBlock": 48 * 1024,
        "regsPerBlock": 65536,
        "warpSize": 32,
        "maxThreadsPerBlock": 1024,
        "maxThreadsDim": (1024, 1024, 64),
        "maxGridSize": (2**31 - 1, 65535, 65535),
        "clockRate": 0,  # no clock: the stand-in has no timing
        "memoryClockRate": 0,
        "memoryBusWidth": 0,
        "multiProcessorCount": 1,
        "major": _COMPUTE_CAPABILITY[0],
        "minor": _COMPUTE_CAPABILITY[1],
        "l2CacheSize": 0,
        "pciBusID": 0,
        "pciDeviceID": 0,
        "uuid": b"\x00" * 16,
    }


def memGetInfo() -> tuple[int, int]:
    total = getDeviceProperties(0)["totalGlobalMem"]
    return total, total


class Device:
    """``cupy.cuda.Device``: only device 0 exists; ``use()`` and ``with`` are accepted."""

    __module__ = "cupy.cuda"

    def __init__(self, device: Any = None) -> None:
        self.id = 0 if device is None else _check(device)

    @property
    def compute_capability(self) -> str:
        return f"{_COMPUTE_CAPABILITY[0]}{_COMPUTE_CAPABILITY[1]}"

    def use(self) -> None:
        return None

    def synchronize(self) -> None:
        """Nothing to wait for: every stand-in operation is complete when it returns."""

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("Device", self.id))

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


class Stream:
    """``cupy.cuda.Stream``: accepted and ignored (the stand-in has no concurrency)."""

    __module__ = "cupy.cuda"
    null: Stream

    def __init__(self, null: bool = False, non_blocking: bool = False, ptr: int = 0) -> None:
        self.ptr = 0 if null else ptr
        self.device_id = 0

    def synchronize(self) -> None:
        return None

    def use(self) -> Stream:
        return self

    def done(self) -> bool:
        return True

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


Stream.null = Stream(null=True)


def get_current_stream(device_id: int = -1) -> Stream:
    return Stream.null


class MemoryPointer:
    """``ndarray.data``: the address of the (host) memory, ``device_id`` 0."""

    __module__ = "cupy.cuda.memory"

    def __init__(self, host: np.ndarray) -> None:
        self.ptr = int(host.ctypes.data)
        self.device_id = 0
        self.size = host.nbytes
        self.device = Device(0)

    def __int__(self) -> int:
        return self.ptr


def _module(name: str, doc: str, **names: Any) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    for key, value in names.items():
        setattr(module, key, value)
    return module


runtime = _module(
    "cupy.cuda.runtime", "CUDA runtime calls answered by the stand-in (one device).",
    getDeviceCount=getDeviceCount, getDevice=getDevice, setDevice=setDevice,
    deviceSynchronize=deviceSynchronize, runtimeGetVersion=runtimeGetVersion,
    driverGetVersion=driverGetVersion, getDeviceProperties=getDeviceProperties,
    memGetInfo=memGetInfo, CUDARuntimeError=CUDARuntimeError,
)
compiler = _module("cupy.cuda.compiler", "CuPy's compiler errors (kernels run on the host).",
                   CompileException=CompileException)
