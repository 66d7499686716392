"""Building the stand-in's module objects: ``cupy``, its submodules, and ``cupyx``.

Each module is a plain ``types.ModuleType`` filled from ``cupy_names.json`` (see
``_namespace``): what real CuPy 14.2 has, the stand-in has under the same name, built from
NumPy; anything else raises ``AttributeError``. ``cupy.__file__`` points at the real CuPy
package when one is installed (found without importing it), so that code reading CuPy's
headers from ``os.path.dirname(cupy.__file__)`` still finds them.

Example:
    >>> cupy = modules()["cupy"]
    >>> cupy.__version__, cupy.cuda.runtime.getDeviceCount()
    ('14.2.0', 1)
    >>> cupy.float128
    Traceback (most recent call last):
    ...
    AttributeError: module 'cupy' has no attribute 'float128'
"""

from __future__ import annotations

import functools
import importlib.machinery
import json
import os
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from tools.cupy_standin import _creation, _memory, _runtime
from tools.cupy_standin._array import ndarray
from tools.cupy_standin._namespace import ALIASES, CONSTANTS, function
from tools.cupy_standin._ufuncs import ufunc

# The host-compiled kernels live in their own module (kernels.py):
from tools.cupy_standin.kernels import ElementwiseKernel, RawKernel

__all__ = ["SNAPSHOT", "cupy_module", "modules"]

with open(os.path.join(os.path.dirname(__file__), "cupy_names.json")) as _file:
    SNAPSHOT: dict[str, Any] = json.load(_file)

# CuPy names built on NumPy objects that would hand back NumPy arrays: not modelled.
_UNMODELLED = {"broadcast", "flatiter", "poly1d", "vectorize", "format_parser", "DataSource",
               "RawModule", "ReductionKernel", "c_", "r_", "mgrid", "ogrid", "fromDlpack",
               "from_dlpack", "annotations"}


def _missing(module_name: str, unmodelled: set[str]) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        if name in unmodelled:
            raise AttributeError(f"the CuPy stand-in does not model {module_name}.{name}")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__


def _fill(module: types.ModuleType, names: dict[str, str], source: Any,
          special: dict[str, Any]) -> None:
    """Give ``module`` every CuPy name in ``names`` (name -> kind) that can be modelled."""
    unmodelled: set[str] = set()
    for name, kind in names.items():
        if name in special:
            value = special[name]
        elif name in _UNMODELLED:
            unmodelled.add(name)
            continue
        elif kind == "ufunc":
            spec = SNAPSHOT["ufuncs"][name]
            value = ufunc(name, getattr(np, name), spec["nin"], spec["nout"])
        elif kind == "function" and (name in ALIASES or hasattr(source, name)):
            value = function(name, ALIASES.get(name) or getattr(source, name))
        elif name in CONSTANTS:
            value = CONSTANTS[name]
        elif kind in ("numpy", "type", "value") and hasattr(source, name):
            value = getattr(source, name)
        else:
            unmodelled.add(name)
            continue
        setattr(module, name, value)
    module.__getattr__ = _missing(module.__name__, unmodelled)  # type: ignore[method-assign]


def _real_cupy_file() -> str:
    spec = importlib.machinery.PathFinder.find_spec("cupy")
    if spec is not None and spec.origin:
        return spec.origin
    return os.path.join(os.path.dirname(__file__), "__init__.py")


def _get_array_module(*args: Any) -> types.ModuleType:
    if any(isinstance(a, ndarray) for a in args):
        return cupy_module()
    return np


def _fuse(*args: Any, **kwargs: Any) -> Any:
    # cupy.fuse compiles one kernel from the function; the stand-in runs the function as it
    # is (each operation counts its own launch: not faithful to the fused count).
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


def _submodule(name: str, doc: str, names: list[str], source: Any,
               special: dict[str, Any] | None = None) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    _fill(module, dict.fromkeys(names, "function"), source, special or {})
    return module


def _scatter(op: str) -> Callable[..., None]:
    def scatter(a: ndarray, slices: Any, value: Any) -> None:
        getattr(a, f"scatter_{op}")(slices, value)

    scatter.__name__ = f"scatter_{op}"
    return scatter


@functools.cache
def modules() -> dict[str, types.ModuleType]:
    """Every stand-in module by the name it takes in ``sys.modules`` (built once)."""
    from tools.cupy_standin import _methods  # noqa: F401  (attaches ndarray's operators)

    linalg = _submodule("cupy.linalg", "cupy.linalg (stand-in): numpy.linalg on the host.",
                        SNAPSHOT["linalg"], np.linalg,
                        {"LinAlgError": np.linalg.LinAlgError})
    fft = _submodule("cupy.fft", "cupy.fft (stand-in): numpy.fft on the host.",
                     SNAPSHOT["fft"], np.fft)
    random = _submodule("cupy.random", "cupy.random (stand-in): NumPy's global RandomState; "
                        "its streams differ from cuRAND's.", SNAPSHOT["random"], np.random,
                        {"seed": np.random.seed})
    cuda = types.ModuleType("cupy.cuda", _runtime.__doc__)
    for key in ("Device", "Stream", "MemoryPointer", "get_current_stream", "runtime",
                "compiler"):
        setattr(cuda, key, getattr(_runtime, key))
    cuda.MemoryPool = _memory.MemoryPool  # type: ignore[attr-defined]
    cuda.PinnedMemoryPool = _memory.PinnedMemoryPool  # type: ignore[attr-defined]
    cuda.is_available = lambda: True  # type: ignore[attr-defined]
    cuda.get_device_id = _runtime.getDevice  # type: ignore[attr-defined]

    from tools import cupy_standin

    root = types.ModuleType("cupy", cupy_standin.__doc__)
    special = {
        "ndarray": ndarray, "ufunc": ufunc, "linalg": linalg, "fft": fft, "random": random,
        "cuda": cuda, "get_array_module": _get_array_module, "fuse": _fuse,
        "is_available": lambda: True, "clear_memo": lambda: None,
        "memoize": lambda for_each_device=False: (lambda f: f),
        "get_default_memory_pool": _memory.get_default_memory_pool,
        "get_default_pinned_memory_pool": _memory.get_default_pinned_memory_pool,
        "ElementwiseKernel": ElementwiseKernel, "RawKernel": RawKernel,
        **{name: getattr(_creation, name) for name in _creation.__all__ if name != "from_host"},
    }
    _fill(root, SNAPSHOT["namespace"], np, special)
    root.__version__ = SNAPSHOT["version"]  # type: ignore[attr-defined]
    root.__file__ = _real_cupy_file()
    # a package, so that `import cupy.cuda` works
    root.__path__ = []  # type: ignore[attr-defined]

    cupyx = types.ModuleType("cupyx", "cupyx (stand-in): the scatter functions gpugrad uses.")
    for op in ("add", "max", "min"):
        setattr(cupyx, f"scatter_{op}", _scatter(op))
    return {"cupy": root, "cupy.cuda": cuda, "cupy.cuda.runtime": _runtime.runtime,
            "cupy.cuda.compiler": _runtime.compiler, "cupy.linalg": linalg, "cupy.fft": fft,
            "cupy.random": random, "cupyx": cupyx}


def cupy_module() -> types.ModuleType:
    """The stand-in ``cupy`` module."""
    return modules()["cupy"]
