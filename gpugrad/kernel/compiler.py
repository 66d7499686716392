"""Compiling CUDA source with NVRTC, with or without a GPU, and the error it raises.

NVRTC is a plain library: it turns CUDA C++ into PTX for any architecture without a device,
which is what lets ``python -m gpugrad kernels --check`` find a typo in a catalog template
on a laptop or a CPU-only CI runner. We reach it through CuPy's binding
(``cupy_backends.cuda.libs.nvrtc``), loading ``libnvrtc`` from the ``nvidia-cuda-nvrtc``
wheel ourselves when the dynamic loader cannot find it.

Example:
    >>> err = KernelCompileError("gg_demo", "demo.cu(3): error: identifier \\"sinx\\" is undefined")
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    CUDA kernel gg_demo failed to compile; NVRTC log:
    demo.cu(3): error: identifier "sinx" is undefined
"""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import os
from collections.abc import Sequence
from types import ModuleType

__all__ = ["KernelCompileError", "compile_to_ptx", "compiler_options", "load_nvrtc"]


class KernelCompileError(RuntimeError):
    """A generated or hand-written CUDA kernel failed to compile.

    ``kernel`` is the kernel's name (``gg_...``), ``log`` the compiler's log, and
    ``source`` the translation unit when known.
    """

    def __init__(self, kernel: str, log: str, source: str | None = None) -> None:
        super().__init__(f"CUDA kernel {kernel} failed to compile; NVRTC log:\n{log.strip()}")
        self.kernel = kernel
        self.log = log
        self.source = source


_nvrtc: ModuleType | None = None


def _preload_wheel_nvrtc() -> list[str]:
    """``dlopen`` libnvrtc from the ``nvidia-cuda-nvrtc-cu12`` wheel (RTLD_GLOBAL, so
    CuPy's later ``dlopen`` by soname finds it). Returns the files it loaded."""
    spec = importlib.util.find_spec("nvidia")
    loaded: list[str] = []
    for root in (spec.submodule_search_locations or []) if spec else []:
        for path in sorted(glob.glob(os.path.join(root, "cuda_nvrtc", "lib", "libnvrtc.so*"))):
            if ".alt." in path:  # the alternative build; one library is enough
                continue
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            loaded.append(path)
    return loaded


def load_nvrtc() -> ModuleType:
    """CuPy's NVRTC binding, made usable (raises ``RuntimeError`` saying why if it is not).

    Example:
        >>> load_nvrtc().getVersion() >= (11, 0)
        True
    """
    global _nvrtc
    if _nvrtc is not None:
        return _nvrtc
    try:
        from cupy_backends.cuda.libs import nvrtc  # optional: CuPy, only with a GPU
    except Exception as err:
        raise RuntimeError(f"NVRTC unavailable: CuPy is not installed ({err})") from None
    try:
        nvrtc.getVersion()
    except Exception as first:
        try:
            _preload_wheel_nvrtc()
            nvrtc.getVersion()
        except Exception:
            raise RuntimeError(
                f"NVRTC unavailable: libnvrtc could not be loaded ({first}); install "
                "'gpugrad[nvrtc]' (nvidia-cuda-nvrtc-cu12) or a CUDA toolkit"
            ) from None
    _nvrtc = nvrtc
    return nvrtc


def compiler_options() -> tuple[str, ...]:
    """The NVRTC options CuPy compiles an ``ElementwiseKernel`` with (minus ``-arch``).

    CuPy's include folders (``cupy/carray.cuh``, CCCL), C++17, and flush-to-zero, which
    CuPy passes to every kernel it compiles (``cupy/cuda/compiler.py``).
    """
    try:
        from cupy._core import core  # optional: CuPy, only with a GPU

        options = tuple(core.assemble_cupy_compiler_options(()))
    except Exception:  # an older or newer CuPy without that helper: rebuild its essentials
        import cupy  # optional: CuPy, only with a GPU

        include = os.path.join(os.path.dirname(cupy.__file__), "_core", "include")
        cccl = os.path.join(include, "cupy", "_cccl")
        options = (
            *(f"-I{os.path.join(cccl, part)}" for part in ("cub", "thrust", "libcudacxx")),
            "--std=c++17",
            f"-I{include}",
        )
    return (*options, "-ftz=true")


def compile_to_ptx(
    source: str, name: str, arch: str = "80", extra_options: Sequence[str] = ()
) -> str:
    """Compile ``source`` (kernel ``name``) to PTX for ``compute_<arch>``; no GPU needed.

    Raises :class:`KernelCompileError` carrying NVRTC's log on failure.

    Example:
        >>> ptx = compile_to_ptx('extern "C" __global__ void k(float* x) { x[0] = 1; }', "k")
        >>> ".entry k" in ptx
        True
    """
    nvrtc = load_nvrtc()
    program = nvrtc.createProgram(source, f"{name}.cu", [], [])
    try:
        options = [*compiler_options(), *extra_options, f"-arch=compute_{arch}"]
        try:
            nvrtc.compileProgram(program, options)
        except Exception as err:
            log = nvrtc.getProgramLog(program)
            raise KernelCompileError(name, log or str(err), source) from None
        ptx = nvrtc.getPTX(program)
    finally:
        nvrtc.destroyProgram(program)
    return ptx.decode() if isinstance(ptx, bytes) else str(ptx)
