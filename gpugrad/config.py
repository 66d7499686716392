"""Every knob of gpugrad in one table: environment variables and ``gpugrad.config`` options.

Each option is read once from its environment variable at import time and can be changed
later with ``gpugrad.config.update(name, value)``. The README's configuration table is
generated from :data:`OPTIONS` by ``python -m tools.config_table`` (a test checks that it is
not stale).

Example:
    >>> import gpugrad
    >>> gpugrad.config.enable_x64
    False
    >>> gpugrad.config.update("enable_x64", True)
    >>> gpugrad.config.enable_x64
    True
    >>> gpugrad.config.update("enable_x64", False)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["JAX_NAMES", "OPTIONS", "Option", "config"]


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean (1/0, true/false), got {text!r}")


def _parse_backend(text: str) -> str:
    lowered = text.strip().lower() or "auto"
    if lowered not in ("auto", "cupy", "numpy"):
        raise ValueError(f"expected one of auto, cupy, numpy; got {text!r}")
    return lowered


def _parse_optional_path(text: str) -> str | None:
    return text or None


@dataclass(frozen=True)
class Option:
    """One configuration option: its environment variable, default and meaning."""

    name: str
    env: str
    default: Any
    parse: Callable[[str], Any]
    doc: str


OPTIONS: dict[str, Option] = {
    option.name: option
    for option in (
        Option(
            "backend",
            "GPUGRAD_BACKEND",
            "auto",
            _parse_backend,
            "Array backend: `auto` (CuPy when a CUDA device is usable, else NumPy), "
            "`cupy` (error if unusable) or `numpy`. Read at the first array created, and again "
            "whenever it is changed with `gpugrad.config.update`.",
        ),
        Option(
            "enable_x64",
            "GPUGRAD_ENABLE_X64",
            False,
            _parse_bool,
            "64-bit mode: Python floats become float64 and ints int64 (default float32/int32).",
        ),
        Option(
            "threefry_partitionable",
            "GPUGRAD_THREEFRY_PARTITIONABLE",
            False,
            _parse_bool,
            "`gpugrad.random` bit layout: off gives the legacy layout (JAX before 0.5), "
            "on gives the partitionable layout of JAX 0.5 and later.",
        ),
        Option(
            "fuse_backward",
            "GPUGRAD_FUSE_BACKWARD",
            True,
            _parse_bool,
            "Fuse chains of elementwise VJPs in the backward pass into one evaluation "
            "(one CUDA kernel on CuPy). Off: one evaluation per primitive.",
        ),
        Option(
            "kernel_cache_dir",
            "GPUGRAD_KERNEL_CACHE_DIR",
            None,
            _parse_optional_path,
            "Directory of the on-disk cache of compiled CUDA kernels "
            "(unset: CuPy's own, `~/.cupy/kernel_cache` or `CUPY_CACHE_DIR`); "
            "`python -m gpugrad kernels --run-on-host` keeps its host libraries in its `host` "
            "folder (unset: `~/.cache/gpugrad/host-kernels`).",
        ),
        Option(
            "dump_kernels",
            "GPUGRAD_DUMP_KERNELS",
            None,
            _parse_optional_path,
            "Directory where every generated CUDA kernel source is written for inspection.",
        ),
    )
}


# JAX's spellings of the same options, so that a JAX program's configuration lines run
# unchanged (`jax.config.update("jax_enable_x64", True)` opens many tutorials). JAX names a
# platform where gpugrad names a backend; the mapping turns one into the other.
JAX_NAMES: dict[str, str] = {
    "jax_enable_x64": "enable_x64",
    "jax_threefry_partitionable": "threefry_partitionable",
    "jax_platform_name": "backend",
    "jax_platforms": "backend",
}
_JAX_READABLE = {
    "jax_enable_x64": "enable_x64",
    "x64_enabled": "enable_x64",
    "jax_threefry_partitionable": "threefry_partitionable",
}
_PLATFORM_BACKENDS = {"cpu": "numpy", "gpu": "cupy", "cuda": "cupy", "": "auto"}


def _platform_backend(value: Any) -> str:
    # jax_platforms may list several, in order of preference ("cuda,cpu"): the first wins.
    first = str(value).split(",")[0].strip().lower()
    if first not in _PLATFORM_BACKENDS:
        raise ValueError(
            f"JAX platform {value!r} has no gpugrad backend; use 'cpu' (NumPy) or 'gpu' (CuPy)"
        )
    return _PLATFORM_BACKENDS[first]


class Config:
    """The live values of :data:`OPTIONS`, read as attributes (``config.enable_x64``)."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        for option in OPTIONS.values():
            raw = os.environ.get(option.env)
            if raw is None:
                self._values[option.name] = option.default
                continue
            try:
                self._values[option.name] = option.parse(raw)
            except ValueError as err:
                raise ValueError(f"environment variable {option.env}: {err}") from None
        # Options are read on hot paths (every reverse-mode operation reads fuse_backward):
        # as instance attributes they cost a dictionary lookup, not a method call.
        self.__dict__.update(self._values)

    def update(self, name: str, value: Any) -> None:
        """Set option ``name`` to ``value`` for the rest of the process.

        JAX's names are accepted too (:data:`JAX_NAMES`): ``"jax_enable_x64"`` sets
        ``enable_x64``, and ``"jax_platform_name"`` ``"cpu"``/``"gpu"`` picks the NumPy/CuPy
        backend.

        Example:
            >>> import gpugrad
            >>> gpugrad.config.update("jax_enable_x64", True)
            >>> gpugrad.config.enable_x64
            True
            >>> gpugrad.config.update("enable_x64", False)
        """
        if name in JAX_NAMES:
            if JAX_NAMES[name] == "backend":
                value = _platform_backend(value)
            name = JAX_NAMES[name]
        if name not in OPTIONS:
            known = ", ".join(sorted([*OPTIONS, *JAX_NAMES]))
            raise KeyError(f"unknown gpugrad config option {name!r}; known options: {known}")
        if isinstance(value, str) and OPTIONS[name].default is not None:
            value = OPTIONS[name].parse(value)
        if name == "backend":
            value = _parse_backend(str(value))
        self._values[name] = value
        self.__dict__[name] = value  # read as a plain attribute: no __getattr__ call

    def __getattr__(self, name: str) -> Any:
        # Reached only for names that are not plain attributes: JAX's spellings of an option
        # (`jax.config.jax_enable_x64`, `jax.config.x64_enabled`). A platform is not read back
        # under JAX's name: gpugrad's `config.backend` says which backend was asked for.
        key = _JAX_READABLE.get(name)
        if key is None:
            raise AttributeError(f"gpugrad.config has no option {name!r}")
        return self.__dict__["_values"][key]

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"gpugrad.config({items})"


config = Config()

