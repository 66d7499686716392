"""Running gpugrad's CUDA kernels on the CPU: the same source text, a host C++ compiler.

Each :class:`~gpugrad.kernel.codegen.KernelSpec` becomes a host function looping over its
elements the way CuPy's ``ElementwiseKernel`` does on the device: per element, a reference
named like each parameter, bound to that element, then the spec's ``operation`` verbatim.
The preamble's ``gpugrad_math.cuh`` is included once per translation unit, after
``kernels/host_shim.h`` (which maps ``__device__``, the math library, ``float16`` and
``erfinv`` onto the host; see the differences it lists), and each function declares its own
``typedef ... T``, so that kernels of every dtype share one unit.

Many kernels go into one shared library (one compiler call), loaded with ``ctypes``; the
library is cached on disk under :func:`cache_dir`, keyed by the SHA-256 of its source, the
text of the headers it includes, the compiler's version and the flags, so a second run
compiles nothing.

Example:
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.kernel.codegen import build_spec
    >>> from gpugrad.expr.language import var
    >>> spec = build_spec(C.sin(var(0)) * 2.0, [np.dtype("float64")])
    >>> lib = HostLibrary([spec])
    >>> lib.run(spec, [np.array([0.0, 0.5])])[0].round(6).tolist()
    [0.0, 0.958851]
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from gpugrad.config import config
from gpugrad.kernel.codegen import KernelSpec, ctype, header_text, kernel_dir, param_list

__all__ = ["HostCompileError", "HostLibrary", "build_library", "cache_dir", "compiler",
           "host_source"]

# -O1: the kernels are tiny and run on a few hundred elements, so compile time is what
# counts. -fwrapv: signed overflow wraps, as on the device (NumPy's integers wrap too).
# -ffp-contract=off: no FMA contraction, so the host rounds each operation as NumPy does.
FLAGS = ("-O1", "-fPIC", "-shared", "-fwrapv", "-ffp-contract=off", "-fno-fast-math", "-w")


class HostCompileError(RuntimeError):
    """The host compiler rejected a translation unit; ``log`` is its output."""

    def __init__(self, log: str) -> None:
        super().__init__(f"host compilation failed:\n{log.strip()[:4000]}")
        self.log = log


@cache
def compiler() -> tuple[str, str]:
    """(path, first line of ``--version``) of the host C++ compiler: ``$CXX``, else g++,
    else clang++; raises ``RuntimeError`` if there is none."""
    for name in (os.environ.get("CXX"), "g++", "clang++"):
        path = shutil.which(name) if name else None
        if path:
            version = subprocess.run([path, "--version"], capture_output=True, text=True)
            return path, version.stdout.splitlines()[0] if version.stdout else path
    raise RuntimeError("no host C++ compiler: install g++ (or set CXX)")


def cache_dir() -> Path:
    """Where compiled host libraries are kept: ``$GPUGRAD_KERNEL_CACHE_DIR/host`` when that
    option is set, else ``$XDG_CACHE_HOME/gpugrad/host-kernels`` (``~/.cache`` by default)."""
    configured = config.kernel_cache_dir
    if configured:
        return Path(configured) / "host"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "gpugrad" / "host-kernels"


def split_preamble(spec: KernelSpec) -> str:
    """The C type ``T`` stands for in ``spec`` (its preamble is the math header plus that
    typedef; anything else would not be the text the device compiles, so it is refused)."""
    head, _, typedef = spec.preamble.rstrip("\n").rpartition("\n")
    if head.rstrip("\n") != header_text().rstrip("\n") or not typedef.startswith("typedef "):
        raise ValueError(f"kernel {spec.name}: unexpected preamble, cannot run it on the host")
    return typedef.removeprefix("typedef ").removesuffix(" T;")


def host_function(spec: KernelSpec) -> str:
    """``extern "C" void NAME(long long n, void** args)``: ``spec``'s operation per element."""
    t = split_preamble(spec)
    binds: list[str] = []
    params = [(p, True) for p in param_list(spec.in_params)]
    params += [(p, False) for p in param_list(spec.out_params)]
    for k, ((dtype_name, name), is_input) in enumerate(params):
        c = ctype(np.dtype(dtype_name))
        qualifier = "const " if is_input else ""
        binds.append(f"{qualifier}{c} &{name} = (({qualifier}{c}*)_args[{k}])[_i];")
    body = "\n".join("    " + line for line in [*binds, *spec.operation.splitlines()])
    return (f'extern "C" void {spec.name}(long long _n, void** _args) {{\n'
            f"  typedef {t} T;\n"
            "  for (long long _i = 0; _i < _n; ++_i) {\n"
            f"{body}\n"
            "  }\n"
            "}\n")


def host_source(specs: Sequence[KernelSpec]) -> str:
    """One translation unit holding every kernel of ``specs`` (distinct names)."""
    parts = ['#include "host_shim.h"\n', header_text(), *map(host_function, specs)]
    return "\n".join(parts)


_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def included_headers(source: str) -> list[str]:
    """The headers of :func:`kernel_dir` that ``source`` reaches through ``#include "..."``
    (directly or from another such header), in the order first reached.

    Example:
        >>> included_headers('#include "host_shim.h"')
        ['host_shim.h']
    """
    found: list[str] = []
    pending = [source]
    while pending:
        for name in _INCLUDE.findall(pending.pop()):
            if name not in found and (kernel_dir() / name).is_file():
                found.append(name)
                pending.append(header_text(name))
    return found


def cache_path(source: str, extra_flags: Sequence[str] = ()) -> Path:
    """The cached library of ``source``: its key covers the compiler's version and flags,
    and the text of every header of ``kernels/`` the source includes (an edited
    ``host_shim.h`` must not reuse a library built with the old one)."""
    version = compiler()[1]
    headers = [f"{name}\0{header_text(name)}" for name in included_headers(source)]
    key = hashlib.sha256("\0".join([source, version, *FLAGS, *extra_flags, *headers]).encode()
                         ).hexdigest()
    return cache_dir() / f"k_{key[:24]}.so"


def build_library(source: str, extra_flags: Sequence[str] = (), libraries: Sequence[str] = ()
                  ) -> Path:
    """The shared library compiled from ``source`` (with ``kernels/`` on the include path,
    ``extra_flags`` after :data:`FLAGS` and ``libraries`` after the source), from the cache
    when it is there; raises :class:`HostCompileError` with the compiler's log when it fails.

    Example:
        >>> build_library('extern "C" int one() { return 1; }').suffix
        '.so'
    """
    target = cache_path(source, (*extra_flags, *libraries))
    folder = target.parent
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        src = Path(tmp) / "kernels.cpp"
        src.write_text(source)
        out = Path(tmp) / "kernels.so"
        command = [compiler()[0], *FLAGS, *extra_flags, f"-I{kernel_dir()}", str(src),
                   "-o", str(out), *libraries]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise HostCompileError(proc.stderr or proc.stdout)
        os.replace(out, target)  # atomic: a concurrent run sees the whole file or none
    return target


class HostLibrary:
    """``specs`` compiled into one shared library (or found in the cache) and loaded.

    ``cached`` says whether the library came from the cache.
    """

    def __init__(self, specs: Sequence[KernelSpec], source: str | None = None) -> None:
        distinct = {s.name: s for s in specs}
        # A caller with its own functions (gpugrad.random's kernels) passes their source.
        self.source = host_source(list(distinct.values())) if source is None else source
        self.cached = cache_path(self.source).is_file()
        self.path = build_library(self.source)
        self._lib = ctypes.CDLL(str(self.path))

    def call(self, name: str, n: int, arrays: Sequence[np.ndarray[Any, Any]]) -> None:
        """Call ``void name(long long n, void** args)`` with the arrays' data pointers."""
        pointers = (ctypes.c_void_p * len(arrays))(*(a.ctypes.data for a in arrays))
        getattr(self._lib, name)(ctypes.c_longlong(n), pointers)

    def run(self, spec: KernelSpec, inputs: Sequence[np.ndarray[Any, Any]]
            ) -> list[np.ndarray[Any, Any]]:
        """``spec``'s outputs on equal-length 1-d ``inputs`` (cast to its input dtypes)."""
        n = len(inputs[0]) if inputs else 0
        ins = [np.ascontiguousarray(a, dtype=d) for a, d in zip(inputs, spec.in_dtypes)]
        outs = [np.zeros(n, dtype=d) for d in spec.out_dtypes]
        self.call(spec.name, n, [*ins, *outs])
        return outs

