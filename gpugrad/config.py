"""Every knob of gpugrad in one table: environment variables and ``gpugrad.config`` options.

Each option is read once from its environment variable at import time and can be changed
later with ``gpugrad.config.update(name, value)``. The README's configuration table is
generated from :data:`OPTIONS` by ``python -m tools.config_table`` (a test checks that it is
not stale).

Example:
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
from typing import TYPE_CHECKING, Any

__all__ = ["JAX_NAMES", "OPTIONS", "LiveValues", "Option", "config", "live"]


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


def _parse_seconds(text: str) -> float:
    seconds = float(text)
    if not seconds > 0:
        raise ValueError(f"expected a positive number of seconds, got {text!r}")
    return seconds


def _parse_optional_path(text: str) -> str | None:
    return text or None


def _parse_count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected a non-negative integer, got {text!r}") from None
    return _checked_count("", value)


def _checked_count(name: str, value: Any) -> int:
    """``value`` if it is a non-negative integer (a size or a count), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        where = f"option {name!r}: " if name else ""
        raise ValueError(f"{where}expected a non-negative integer, got {value!r}")
    return value


def _available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask where the OS keeps one (a process
    pinned to one CPU counts 1 however many the machine has), else the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Option:
    """One configuration option: its environment variable, default and meaning.

    ``shown``: the default in words, for the README's table, where it depends on the
    machine (a count of CPUs) and its value would make the table differ from one to another.
    """

    name: str
    env: str
    default: Any
    parse: Callable[[str], Any]
    doc: str
    shown: str | None = None


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
            "fusion_min_size",
            "GPUGRAD_FUSION_MIN_SIZE",
            1 << 14,
            _parse_count,
            "NumPy elementwise operations on fewer elements are evaluated at once and their "
            "VJP runs a generated straight-line rule (under `jvp`, value and tangent come "
            "from one generated function); from this size, lazy values recomputed in the "
            "backward pass and the fused backward pass. Measured "
            "on 2 cores (grad of sum(exp(-x²)sin(3x)+log1p(x²)), float32): the general route "
            "wins from here (0.27 against 0.31 ms at 16,384; 0.8 against 1.5 ms at 65,536; "
            "0.42 against 0.20 ms at 8,192).",
        ),
        Option(
            "lazy_min_size",
            "GPUGRAD_LAZY_MIN_SIZE",
            1 << 16,
            _parse_count,
            "In reverse mode, NumPy elementwise results of at least this many elements are "
            "lazy: a chain of them runs as one chunked evaluation when a value is read "
            "(on CuPy every result is). Measured (the same gradient): lazy wins from here "
            "(0.82 against 0.87 ms at 65,536; 2.2 against 4.1 ms at 262,144; 0.36 against "
            "0.22 ms at 8,192).",
        ),
        Option(
            "chunked_min_size",
            "GPUGRAD_CHUNKED_MIN_SIZE",
            1 << 16,
            _parse_count,
            "NumPy arrays of at least this many elements are evaluated slice by slice (strided "
            "ones with reused buffers) when every operation is a ufunc and the arrays share one "
            "shape and floating dtype; smaller ones by the plain generated function (a ufunc "
            "call per operation). Measured (an 18-operation VJP alone): chunked costs 1.2x at "
            "65,536 float32 elements and wins from 131,072 (float64) or 524,288 (float32: 2.1 "
            "against 8.2 ms); the default, `lazy_min_size`'s, keeps lazy chains' temporaries "
            "to cache-sized buffers.",
        ),
        Option(
            "chunk_size",
            "GPUGRAD_CHUNK_SIZE",
            1 << 16,
            _parse_count,
            "Elements per slice of the chunked NumPy evaluation (at most an eighth of the "
            "array): a slice's buffers stay in cache between the ufuncs. Measured (the "
            "gradient above at 1e6 and 1e7): 2^16 to 2^18 within 10%, 2^12 1.3-1.6x slower.",
        ),
        Option(
            "eval_threads",
            "GPUGRAD_EVAL_THREADS",
            _available_cpus(),
            _parse_count,
            "Threads a chunked NumPy evaluation runs its slices on (NumPy's ufuncs release the "
            "GIL): each takes a contiguous share of the slices with buffers of its own, the "
            "calling thread one of them, under the caller's floating-point error state; the "
            "values are bit-identical for any count. 0 or 1: no threads. Default: the CPUs "
            "this process may run on (its affinity mask: a process pinned to one CPU stays on "
            "one thread). Measured on 2 idle cores, 2 threads against 1 (the benchmark's "
            "float32 grad of sum(exp(-x²)sin(3x)+log1p(x²)), medians): 1.5x at 1e6 elements "
            "and 1.35-1.6x at 1e7, under `jit` 1.4x and 1.5x; an eager forward pass gains "
            "nothing (one ufunc per operation, not chunked). Threads gain nothing where other "
            "processes keep the cores busy: there set 1, or pin each process.",
            shown="CPUs available",
        ),
        Option(
            "parallel_min_size",
            "GPUGRAD_PARALLEL_MIN_SIZE",
            1 << 17,
            _parse_count,
            "A chunked NumPy evaluation of fewer elements stays on the calling thread: "
            "handing slices to another thread and hearing back costs about 50 µs on 2 idle "
            "cores. Measured there (a 5- and an 18-operation expression alone, 2 threads "
            "against 1): float32 0.7-0.8x at 65,536 elements, 1.05-1.25x at 131,072, "
            "1.35-1.5x from 196,608; float64, 5x the work per element, 1.4-1.6x already at "
            "65,536.",
        ),
        Option(
            "broadcast_copy_max_size",
            "GPUGRAD_BROADCAST_COPY_MAX_SIZE",
            4096,
            _parse_count,
            "`broadcast_to` on NumPy returns a copy up to this many elements, above it NumPy's "
            "read-only view. Measured (broadcast, then one multiply): the copy wins up to "
            "16,384 elements (1.1 against 3.3 µs at 256), the view from 65,536 (15 against "
            "22 µs).",
        ),
        Option(
            "fusion_max_args",
            "GPUGRAD_FUSION_MAX_ARGS",
            16,
            _parse_count,
            "A fused cotangent reading more arrays than this is evaluated at once, and a lazy "
            "or recomputed value over more is kept instead: a CUDA kernel's register pressure "
            "grows with its inputs. Not measured on a GPU; on NumPy the limit hardly matters "
            "(a gradient over 24 arrays: within noise from 4 to 32).",
        ),
        Option(
            "fusion_max_nodes",
            "GPUGRAD_FUSION_MAX_NODES",
            96,
            _parse_count,
            "A fused cotangent of more operations than this is evaluated at once in the "
            "backward pass. Measured on NumPy (grad of 60 chained operations, n=1e6): 96 and "
            "192 equal, 24 1.4x slower.",
        ),
        Option(
            "lazy_max_nodes",
            "GPUGRAD_LAZY_MAX_NODES",
            40,
            _parse_count,
            "A forward result whose lazy value (the expression that recomputes it in the "
            "backward pass, or evaluates it when read) would exceed this many operations is "
            "kept as an array instead (a checkpoint). Measured on NumPy (the same chain): 10 "
            "ran 1.8x faster than 40, recomputing less but keeping 4x the checkpoints; 40 "
            "keeps the forward pass's memory near plain NumPy's.",
        ),
        Option(
            "debug",
            "GPUGRAD_DEBUG",
            False,
            _parse_bool,
            "Say which evaluator ran for each elementwise evaluation and why (the size against "
            "the threshold option that decided, the backend, `fuse_backward`): one message per "
            "evaluation, recorded or lazy operation, on the logger named `gpugrad` "
            "(`logging.getLogger(\"gpugrad\")`) at DEBUG level; "
            "`logging.basicConfig(level=logging.DEBUG)` prints them. Off: one flag test per "
            "operation.",
        ),
        Option(
            "distributed_timeout",
            "GPUGRAD_DISTRIBUTED_TIMEOUT",
            300.0,
            _parse_seconds,
            "Seconds a `gpugrad.distributed` collective waits for the other processes before "
            "it raises (a process that raises tells the others at once; this bounds the wait "
            "for one that hangs or never arrives).",
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


class LiveValues:
    """Every option's live value as a plain attribute, kept by :meth:`Config.update`: what
    code run once per operation reads (``live.fusion_min_size``).

    ``config`` answers JAX's spellings through ``__getattr__``, and CPython cannot specialise
    an attribute read on a class that has one: it costs about 80 ns there, 25 ns here.
    """

    if TYPE_CHECKING:  # for the type checker only: at run time the hook would cost the 80 ns

        def __getattr__(self, name: str) -> Any: ...


live = LiveValues()


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
        live.__dict__.update(self._values)

    def update(self, name: str, value: Any) -> None:
        """Set option ``name`` to ``value`` for the rest of the process.

        JAX's names are accepted too (:data:`JAX_NAMES`): ``"jax_enable_x64"`` sets
        ``enable_x64``, and ``"jax_platform_name"`` ``"cpu"``/``"gpu"`` picks the NumPy/CuPy
        backend.

        Example:
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
            try:
                value = OPTIONS[name].parse(value)
            except ValueError as err:
                raise ValueError(f"option {name!r}: {err}") from None
        if name == "backend":
            value = _parse_backend(str(value))
        elif type(OPTIONS[name].default) is int:  # a size or a count
            value = _checked_count(name, value)
        self._values[name] = value
        self.__dict__[name] = value  # read as a plain attribute: no __getattr__ call
        setattr(live, name, value)

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

