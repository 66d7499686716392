"""Compiling the stand-in's kernels for the host: a precompiled header, then one small
translation unit per kernel, cached on disk by :func:`gpugrad.kernel.host.build_library`.

Every kernel's unit starts with ``#include "cupy_standin_pch.h"``, which includes
``kernels/host_shim.h`` (CUDA's vocabulary on the host), ``cupy_host.h`` (what CuPy
prepends: ``CArray``, ``CIndexer``, atomics; the RawKernel launch loop) and gpugrad's
``gpugrad_math.cuh`` and ``threefry.cuh`` (include-guarded, so a preamble that pastes their
text again adds nothing). g++ builds that header once per cache folder into a ``.gch``; the
folder's name is the hash of the headers' text, the compiler and the flags, so a changed
header gets a new one (and, through the ``-I`` flag in the key, new kernel libraries).
Kernels that mention ``complex`` get a second precompiled header that also has
``cupy_host_complex.h`` (``<complex>`` doubles the header, and loading it costs every kernel).

Measured in CPU time (g++ 12, -O1, 2 shared cores), per gpugrad elementwise kernel: 160 ms as
``gpugrad.kernel.host`` compiles one from the headers (380 ms with ``<complex>`` and
``cupy_host.h`` too), 90 ms with the precompiled header (115 ms with ``<complex>`` in it),
80 ms when linked without libstdc++ (:data:`_LEAN`); under the load of other processes the
wall time is about twice that. Building the header costs 0.4 s (1 s with ``<complex>``) once
per cache folder. An empty unit costs 24 ms (the
driver, the assembler and the linker): what is left is reading the header and the kernel's
own code. -O0 instead of -O1 changes nothing measurable.

Example:
    >>> lib = load('extern "C" int two() { return 2; }', "two")
    >>> lib.two()
    2
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from gpugrad.kernel.codegen import kernel_dir
from gpugrad.kernel.host import FLAGS, HostCompileError, build_library, cache_dir, compiler

__all__ = ["CompileException", "load"]

HERE = Path(__file__).resolve().parent
PCH_NAME = "cupy_standin_pch.h"
_PCH_HEADERS = (("host_shim.h", kernel_dir()), ("cupy_host.h", HERE),
                ("gpugrad_math.cuh", kernel_dir()), ("threefry.cuh", kernel_dir()))
_COMPLEX_HEADER = ("cupy_host_complex.h", HERE)


class CompileException(Exception):
    """A kernel the host compiler rejects (CuPy's ``cupy.cuda.compiler.CompileException``):
    the message holds the compiler's log; ``source`` the full text, ``name`` the kernel."""

    def __init__(self, msg: str, source: str, name: str, options: tuple[str, ...] = (),
                 backend: str = "host") -> None:
        super().__init__(msg)
        self._msg = msg
        self.source = source
        self.name = name
        self.options = options
        self.backend = backend

    def get_message(self) -> str:
        """The compiler's log (CuPy's accessor)."""
        return self._msg


@cache
def pch_dir(with_complex: bool = False) -> Path:
    """The folder holding ``cupy_standin_pch.h`` and its ``.gch`` (built on first use);
    ``with_complex``: the variant that also has ``complex<T>``."""
    headers = _PCH_HEADERS + ((_COMPLEX_HEADER,) if with_complex else ())
    text = "".join(f'#include "{name}"\n' for name, _ in headers)
    parts = [text, compiler()[1], *FLAGS] + [(d / n).read_text() for n, d in headers]
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
    folder = cache_dir() / f"pch_{key}"
    if (folder / (PCH_NAME + ".gch")).is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        # Both files appear whole (os.replace), for processes building the same at once.
        (Path(tmp) / PCH_NAME).write_text(text)
        os.replace(Path(tmp) / PCH_NAME, folder / PCH_NAME)
        out = Path(tmp) / (PCH_NAME + ".gch")
        flags = [f for f in FLAGS if f != "-shared"]
        command = [compiler()[0], *flags, *_include_flags(), "-x", "c++-header",
                   str(folder / PCH_NAME), "-o", str(out)]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:  # compile without it: g++ then reads the header's text
            return folder
        os.replace(out, folder / (PCH_NAME + ".gch"))
    return folder


def _include_flags() -> list[str]:
    return [f"-I{kernel_dir()}", f"-I{HERE}"]


_libraries: dict[str, ctypes.CDLL] = {}
# Linking against libm, libc and libgcc only, not libstdc++ (which kernels do not call: the
# templates they use are in the headers), saves 10 to 15 ms of a kernel's ~90 ms of CPU.
_LEAN = ("-nodefaultlibs",)
_LEAN_LIBS = ("-lm", "-lc", "-lgcc")


def load(code: str, name: str, options: tuple[str, ...] = ()) -> ctypes.CDLL:
    """``code`` (after the precompiled header) compiled and loaded, once per process and
    once per cache folder; a compiler error raises :class:`CompileException` naming ``name``."""
    source = f'#include "{PCH_NAME}"\n{code}'
    lib = _libraries.get(source)
    if lib is None:
        flags = (f"-I{pch_dir('complex' in code)}", *_include_flags())
        try:
            try:
                lib = ctypes.CDLL(str(build_library(source, (*flags, *_LEAN), _LEAN_LIBS)))
            except OSError:  # it needs libstdc++ after all (an undefined symbol)
                lib = ctypes.CDLL(str(build_library(source, flags)))
        except HostCompileError as err:
            raise CompileException(err.log, source, name, options) from None
        _libraries[source] = lib
    return lib
