"""``print_environment_info``: versions, device and the backend chosen, with the reason."""

from __future__ import annotations

import platform
import sys
from typing import TextIO

import numpy as np

from gpugrad.backend import backend_reason, cupy_status, default_backend

# The package's version: here, below gpugrad/__init__.py, which re-exports it, so that this
# module can print it without importing the package that imports it.
__version__ = "0.1.0"


def environment_info() -> dict[str, str]:
    """The facts ``print_environment_info`` prints, as a dict.

    Example:
        >>> "numpy" in environment_info()
        True
    """
    info = {
        "gpugrad": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
    }
    try:
        import cupy  # optional: reported as absent when it is
    except Exception as err:  # not installed, or a broken CUDA install
        info["cupy"] = f"not available ({type(err).__name__})"
    else:
        info["cupy"] = cupy.__version__
        try:
            info["cuda runtime"] = str(cupy.cuda.runtime.runtimeGetVersion())
            info["cuda driver"] = str(cupy.cuda.runtime.driverGetVersion())
        except Exception as err:
            info["cuda driver"] = f"unavailable ({err})"
        usable, _ = cupy_status()
        if usable:
            props = cupy.cuda.runtime.getDeviceProperties(0)
            name = props["name"]
            info["device"] = name.decode() if isinstance(name, bytes) else str(name)
    _, reason = cupy_status()
    info["cupy usable"] = reason
    info["backend"] = f"{default_backend()} ({backend_reason()})"
    return info


def print_environment_info(file: TextIO | None = None) -> None:
    """Print gpugrad's, NumPy's, CuPy's and CUDA's versions, the device and the backend.

    Example:
        >>> print_environment_info()  # doctest: +ELLIPSIS
        gpugrad: ...
    """
    for key, value in environment_info().items():
        print(f"{key}: {value}", file=file or sys.stdout)
