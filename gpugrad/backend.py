"""The backend layer: NumPy or CuPy, chosen once, switchable per block.

An operation runs on the backend of its array arguments (any CuPy array makes it a CuPy
operation); only array *creation* consults the default backend. The default comes from
``GPUGRAD_BACKEND`` (``auto`` | ``cupy`` | ``numpy``) the first time it is needed.

Example:
    >>> gpugrad.default_backend() in ("numpy", "cupy")
    True
    >>> with gpugrad.use_backend("numpy"):
    ...     gpugrad.default_backend()
    'numpy'
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.config import live
from gpugrad.dtypes import dtype_of

__all__ = [
    "cupy_status",
    "default_backend",
    "device_get",
    "device_put",
    "get_xp",
    "is_cupy_array",
    "namespace_of",
    "on_one_backend",
    "set_default_backend",
    "use_backend",
]

_process_default: str | None = None
_process_reason = ""
_resolved_option: str | None = None  # the value of config.backend behind _process_default
_cupy_probe: tuple[bool, str] | None = None
_local = threading.local()


def _probe_cupy() -> tuple[bool, str]:
    """Whether CuPy can run here, and why not if it cannot (computed once)."""
    global _cupy_probe
    if _cupy_probe is None:
        try:
            import cupy  # optional: CuPy, only with a GPU
        except Exception as err:  # ImportError, or a broken CUDA install
            _cupy_probe = (False, f"CuPy is not installed or failed to import ({err})")
        else:
            try:
                count = cupy.cuda.runtime.getDeviceCount()
            except Exception as err:  # no driver, driver too old, ...
                _cupy_probe = (False, f"CuPy imports but no CUDA device is usable ({err})")
            else:
                if count < 1:
                    _cupy_probe = (False, "CuPy imports but reports no CUDA device")
                else:
                    _cupy_probe = (True, f"CuPy found {count} CUDA device(s)")
    return _cupy_probe


def cupy_status() -> tuple[bool, str]:
    """``(usable, reason)``: whether the CuPy backend can run on this machine, and why.

    Example:
        >>> usable, reason = cupy_status()
        >>> isinstance(reason, str)
        True
    """
    return _probe_cupy()


def _cupy_unusable_error(reason: str) -> RuntimeError:
    return RuntimeError(
        f"the CuPy backend was requested but cannot be used: {reason}. "
        "Install CuPy for your CUDA version (pip install 'gpugrad[cuda12]' or "
        "'gpugrad[cuda13]'), check `nvidia-smi`, or fall back to NumPy with "
        "GPUGRAD_BACKEND=numpy."
    )


def _resolve(name: str) -> tuple[str, str]:
    if name == "numpy":
        return "numpy", "requested numpy"
    usable, reason = _probe_cupy()
    if name == "cupy":
        if not usable:
            raise _cupy_unusable_error(reason)
        return "cupy", "requested cupy"
    if name == "auto":
        return ("cupy" if usable else "numpy"), f"auto: {reason}"
    raise ValueError(f"unknown backend {name!r}; expected 'auto', 'cupy' or 'numpy'")


def default_backend() -> str:
    """The backend new arrays are created on: ``"numpy"`` or ``"cupy"``.

    Example:
        >>> default_backend() in ("numpy", "cupy")
        True
    """
    stack = getattr(_local, "stack", None)
    if stack:
        return str(stack[-1])
    global _process_default, _process_reason, _resolved_option
    # The option is resolved again only when it changed (config.update("backend", ...) or
    # JAX's jax_platform_name), so set_default_backend keeps its word otherwise.
    if _process_default is None or live.backend != _resolved_option:
        _resolved_option = live.backend
        _process_default, _process_reason = _resolve(live.backend)
    return _process_default


def backend_reason() -> str:
    """Why the default backend was chosen (for ``print_environment_info``)."""
    stack = getattr(_local, "stack", None)
    if stack:  # inside use_backend: the process default's reason would not explain it
        return f"use_backend({stack[-1]!r})"
    default_backend()
    return _process_reason


def set_default_backend(name: str) -> None:
    """Switch the default backend for the whole process (``"numpy"``, ``"cupy"``, ``"auto"``).

    Example:
        >>> set_default_backend("numpy")
        >>> default_backend()
        'numpy'
    """
    global _process_default, _process_reason
    _process_default, _process_reason = _resolve(name)


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Create arrays on backend ``name`` inside the ``with`` block (this thread only).

    Example:
        >>> with use_backend("numpy"):
        ...     type(gnp.zeros(2)).__module__
        'numpy'
    """
    resolved, _ = _resolve(name)
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(resolved)
    try:
        yield
    finally:
        stack.pop()


def get_xp(name: str | None = None) -> ModuleType:
    """The array module (``numpy`` or ``cupy``) of backend ``name`` (default: the default)."""
    name = default_backend() if name is None else name
    if name == "numpy":
        return np
    if name == "cupy":
        usable, reason = _probe_cupy()
        if not usable:
            raise _cupy_unusable_error(reason)
        import cupy  # optional: CuPy, only with a GPU

        return cupy
    raise ValueError(f"unknown backend {name!r}; expected 'cupy' or 'numpy'")


def is_cupy_array(x: Any) -> bool:
    """True for a ``cupy.ndarray`` (checked without importing CuPy)."""
    return type(x).__module__.startswith("cupy")


def namespace_of(*arrays: Any) -> ModuleType:
    """The module that operates on ``arrays``: CuPy if any of them is a CuPy array."""
    for x in arrays:
        if type(x).__module__.startswith("cupy"):
            import cupy  # optional: CuPy, only with a GPU

            return cupy
    return np


# The class of tracers, registered by gpugrad.core.trace on import (``register_tracer_class``):
# the backend sits below the core and does not import it; before then no tracer exists.
_tracer_classes: tuple[type, ...] = ()


def register_tracer_class(cls: type) -> None:
    """Tell the backend the class of tracers, whose ``traced_inputs()`` it looks into to find
    the backend of a traced value (the core does, on import)."""
    global _tracer_classes
    _tracer_classes = (cls,)


def _traced_on_cupy(values: tuple[Any, ...]) -> bool:
    """Whether a tracer among ``values`` is over a CuPy array, found without computing a
    lazy elementwise value (its ``traced_inputs()`` are its recipe's inputs)."""
    pending: list[Any] = [v for v in values if isinstance(v, _tracer_classes)]
    while pending:
        v = pending.pop()
        for x in v.traced_inputs():
            if isinstance(x, _tracer_classes):
                pending.append(x)
            elif is_cupy_array(x):
                return True
    return False


def on_one_backend(*values: Any) -> tuple[ModuleType, tuple[Any, ...]]:
    """The module that operates on ``values`` together, and the values ready for it.

    An operation runs on the backend of its arrays: when one of them is a CuPy array (or a
    tracer over one), NumPy arrays among them are copied to the device, as JAX moves host
    operands; CuPy's functions refuse NumPy arrays. Nothing moves to the host. Tracers,
    Python scalars and ``None`` are returned as they are.

    Example:
        >>> xp, (a, b) = on_one_backend(np.ones(2), None)
        >>> xp.__name__, a, b
        ('numpy', array([1., 1.]), None)
    """
    xp = namespace_of(*values)  # tracers are looked into only when no array is on CuPy
    if xp is np and not _traced_on_cupy(values):
        return xp, values
    xp = get_xp("cupy")
    return xp, tuple(xp.asarray(v) if isinstance(v, (np.ndarray, np.generic)) else v
                     for v in values)


def _leaf_to(leaf: Any, name: str) -> Any:
    if isinstance(leaf, _tracer_classes):
        raise TypeError(
            "device_put/device_get got a value being traced by a transformation; "
            "call it outside grad/jvp/..., or use gpugrad.stop_gradient"
        )
    if isinstance(leaf, (bool, int, float, complex)):
        leaf = np.asarray(leaf, dtype_of(leaf))  # Python numbers get the default dtypes
    if name == "numpy":
        if is_cupy_array(leaf):
            return leaf.get()
        return np.asarray(leaf)
    return get_xp("cupy").asarray(leaf)


def device_put(tree: Any, backend: str | None = None) -> Any:
    """Move every array leaf of ``tree`` to ``backend`` (default: the default backend).

    Example:
        >>> device_put({"w": np.array([1.0, 2.0])}, "numpy")["w"]
        array([1., 2.])
    """
    name, _ = _resolve(backend) if backend is not None else (default_backend(), "")
    return tree_util.tree_map(lambda leaf: _leaf_to(leaf, name), tree)


def device_get(tree: Any) -> Any:
    """Return ``tree`` with every array leaf as a NumPy array (device to host).

    Example:
        >>> device_get((np.ones(2),))
        (array([1., 1.]),)
    """
    return tree_util.tree_map(lambda leaf: _leaf_to(leaf, "numpy"), tree)
