"""CuPy path of ``gpugrad.random``: each sampler is ONE fused ``cupy.ElementwiseKernel``.

A kernel computes, per output element, its threefry block, the mantissa trick and the
float32 recipe (erfinv, log, ...) of ``kernels/threefry.cuh`` in a single pass, so a draw
of ``n`` numbers reads nothing and writes ``n`` values.

Compiling without a GPU: :func:`kernel_sources` gives the full CUDA source of every kernel
this module can emit (the same preamble and body that CuPy wraps, in a plain
``__global__`` function), and :func:`check_kernels` compiles them with NVRTC for
``compute_80`` and ``compute_90``. NVRTC needs only ``libnvrtc``: ``pip install
nvidia-cuda-nvrtc-cu12`` is enough, CuPy finds it by itself; if it does not, the library is
preloaded from ``site-packages/nvidia/cuda_nvrtc/lib`` (or set ``LD_LIBRARY_PATH`` there).

Example:
    >>> names = [name for name, _ in kernel_sources()]
    >>> "gg_normal_f32" in names
    True
"""

from __future__ import annotations

import ctypes
import glob
import math
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from gpugrad.config import live

__all__ = [
    "CTYPES", "SCALARS", "SPECS", "check_kernels", "kernel_dir", "kernel_sources", "sample",
    "threefry_blocks", "threefry_header",
]

# CUDA's name of each dtype a kernel reads or writes.
CTYPES = {"uint32": "unsigned int", "uint64": "unsigned long long", "float32": "float",
           "float64": "double", "bool": "bool"}
# Element i of the output belongs to key i / per (a batch of keys under vmap draws `per`
# numbers each) and is element e of that key's draw.
_KEY = ("const unsigned long long kj = (unsigned long long)i / per, e = i - kj * per;\n"
        "const unsigned int k0 = key[2 * kj], k1 = key[2 * kj + 1];\n")
_B32 = _KEY + "const unsigned int b = gg_bits32(k0, k1, e, count, legacy);\n"
_B64 = _KEY + "const unsigned long long b = gg_bits64(k0, k1, e, count, legacy);\n"
_LAYOUT = [("uint64", "count"), ("uint32", "legacy"), ("uint64", "per")]
SCALARS = ("count", "legacy", "per")  # the inputs passed as one value, not one per element
_NLO = "__uint_as_float(0xBF7FFFFFu)"  # nextafter(-1, 0): the low end of normal's uniform
_NLO64 = "__longlong_as_double(0xBFEFFFFFFFFFFFFFll)"
_SQRT2 = "__uint_as_float(0x3FB504F3u)"

# name -> (inputs besides the key: (type, name) with "raw" ones first, output type, body)
SPECS: dict[str, tuple[list[tuple[str, str]], str, str]] = {
    "gg_threefry_block": (  # the key words are inputs too: one key per block
        [("uint32", "k0"), ("uint32", "k1"), ("uint32", "x0"), ("uint32", "x1")],
        "uint32 y0, uint32 y1",
        "unsigned int a = x0, c = x1;\ngg_threefry2x32(k0, k1, a, c);\ny0 = a; y1 = c;"),
    "gg_uniform_f32": (
        [("float32", "lo"), ("float32", "hi"), *_LAYOUT], "float32 out",
        _B32 + "out = gg_uniform_f32(gg_unit_f32(b), lo, hi);"),
    "gg_uniform_f64": (
        [("float64", "lo"), ("float64", "hi"), *_LAYOUT], "float64 out",
        _B64 + "out = gg_uniform_f64(gg_unit_f64(b), lo, hi);"),
    "gg_normal_f32": (
        _LAYOUT, "float32 out",
        # span = 1 - lo rounds to 2, so the uniform's fma is fma(f, 2, lo) (exact).
        _B32 + f"const float u = gg_max_f32({_NLO}, __fmaf_rn(gg_unit_f32(b), 2.0f, {_NLO}));\n"
        f"out = __fmul_rn({_SQRT2}, gg_erfinv_f32(u));"),
    "gg_normal_f64": (
        _LAYOUT, "float64 out",
        _B64 + f"const double u = gg_uniform_f64(gg_unit_f64(b), {_NLO64}, 1.0);\n"
        "out = __dmul_rn(1.4142135623730951, gg_erfinv_f64(u));"),
    "gg_truncated_normal_f32": (
        [("float32", "lower"), ("float32", "upper"), *_LAYOUT], "float32 out",
        # XLA turns lower / sqrt2 into lower * 0.70710677 and its fused erf clamps at
        # 3.7439212 (0x406F9C68); see prng.md section 7 and _samplers.truncated_normal.
        _B32 + "const float r = __uint_as_float(0x3F3504F3u), c = __uint_as_float(0x406F9C68u);\n"
        "const float a = gg_erf_f32(__fmul_rn(lower, r), c);\n"
        "const float bb = gg_erf_f32(__fmul_rn(upper, r), c);\n"
        f"float z = __fmul_rn({_SQRT2}, gg_erfinv_f32(gg_uniform_f32(gg_unit_f32(b), a, bb)));\n"
        "z = gg_max_f32(nextafterf(lower, __int_as_float(0x7F800000)), z);\n"
        "out = gg_min_f32(nextafterf(upper, -__int_as_float(0x7F800000)), z);"),
    "gg_truncated_normal_f64": (
        [("float64", "lower"), ("float64", "upper"), *_LAYOUT], "float64 out",
        _B64 + "const double a = erf(lower / 1.4142135623730951);\n"
        "const double bb = erf(upper / 1.4142135623730951);\n"
        "const double u = gg_uniform_f64(gg_unit_f64(b), a, bb);\n"
        "double z = __dmul_rn(1.4142135623730951, gg_erfinv_f64(u));\n"
        "const double inf = __longlong_as_double(0x7FF0000000000000ll);\n"
        "z = gg_max_f64(nextafter(lower, inf), z);\n"
        "out = gg_min_f64(nextafter(upper, -inf), z);"),
    "gg_bernoulli_f32": (
        [("float32", "p"), *_LAYOUT], "bool out", _B32 + "out = gg_unit_f32(b) < p;"),
    "gg_gumbel_low_f32": (
        _LAYOUT, "float32 out",
        _B32 + "const float u = gg_uniform_f32(gg_unit_f32(b), 1.17549435e-38f, 1.0f);\n"
        "out = -gg_log_f32(-gg_log_f32(u));"),
    "gg_gumbel_high_f32": (
        # shape (2, *shape): element i is `high`, count/2 + i is `low`; count counts both.
        _LAYOUT, "float32 out",
        _KEY + "const float high = gg_unit_f32(gg_bits32(k0, k1, e, count, legacy));\n"
        "const float low = gg_unit_f32(gg_bits32(k0, k1, count / 2 + e, count, legacy));\n"
        "const float x = high >= 0.5f ? high\n"
        "    : __fadd_rn(__fadd_rn(high, __fmul_rn(1.1920929e-07f, low)), 1.17549435e-38f);\n"
        "out = -gg_log_f32(-gg_log1p_f32(-x));"),
    "gg_gumbel_low_f64": (
        _LAYOUT, "float64 out",
        _B64 + "const double u = gg_uniform_f64(gg_unit_f64(b), 2.2250738585072014e-308, 1.0);\n"
        "out = -log(-log(u));"),
    "gg_exponential_f32": (
        _LAYOUT, "float32 out", _B32 + "out = -gg_log1p_f32(-gg_unit_f32(b));"),
    "gg_exponential_f64": (
        _LAYOUT, "float64 out", _B64 + "out = -log1p(-gg_unit_f64(b));"),
    "gg_laplace_f32": (
        _LAYOUT, "float32 out",
        _B32 + f"const float u = gg_max_f32({_NLO}, __fmaf_rn(gg_unit_f32(b), 2.0f, {_NLO}));\n"
        "const float s = u > 0.0f ? 1.0f : (u < 0.0f ? -1.0f : u);\n"
        "out = __fmul_rn(s, gg_log1p_f32(-fabsf(u)));"),
    "gg_laplace_f64": (
        _LAYOUT, "float64 out",
        _B64 + "const double u = gg_uniform_f64(gg_unit_f64(b), -1.0 + 1.1102230246251565e-16,"
        " 1.0);\nconst double s = u > 0.0 ? 1.0 : (u < 0.0 ? -1.0 : u);\n"
        "out = s * log1p(-fabs(u));"),
}


def kernel_dir() -> Path:
    """The directory holding ``threefry.cuh``: ``gpugrad/_kernels`` (installed wheel) or
    ``<repo>/kernels`` (a source checkout).

    Example:
        >>> (kernel_dir() / "threefry.cuh").is_file()
        True
    """
    here = Path(__file__).resolve().parent.parent  # the gpugrad package
    for candidate in (here / "_kernels", here.parent / "kernels"):
        if (candidate / "threefry.cuh").is_file():
            return candidate
    raise FileNotFoundError(
        f"threefry.cuh not found in {here / '_kernels'} or {here.parent / 'kernels'}; "
        "reinstall gpugrad (the wheel ships it as gpugrad/_kernels)")


@cache
def threefry_header() -> str:
    """The text of ``kernels/threefry.cuh``: the preamble every kernel of :data:`SPECS` is
    compiled after (the block function, the mantissa trick and the float recipes).

    Example:
        >>> "gg_threefry2x32" in threefry_header()
        True
    """
    return (kernel_dir() / "threefry.cuh").read_text()


def _source(name: str) -> str:
    """The full CUDA source of kernel ``name``, as CuPy would wrap it (for NVRTC checks)."""
    inputs, outputs, body = SPECS[name]
    params = ["const unsigned int* key"]
    binds = []
    for typ, var in inputs:
        if var in SCALARS:
            params.append(f"const {CTYPES[typ]} {var}")
        else:
            params.append(f"const {CTYPES[typ]}* {var}_")
            binds.append(f"const {CTYPES[typ]} {var} = {var}_[i];")
    for out in outputs.split(","):
        typ, var = out.split()
        params.append(f"{CTYPES[typ]}* {var}_")
        binds.append(f"{CTYPES[typ]}& {var} = {var}_[i];")
    params.append("const long long size")
    loop = ("for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;"
            " i += (long long)blockDim.x * gridDim.x) {")
    inner = "\n    ".join([*binds, *body.splitlines()])
    return (f"{threefry_header()}\nextern \"C\" __global__ void {name}({', '.join(params)}) {{\n"
            f"  {loop}\n    {inner}\n  }}\n}}\n")


def kernel_sources() -> list[tuple[str, str]]:
    """``(kernel name, full CUDA source)`` of every kernel ``gpugrad.random`` can emit.

    Example:
        >>> src = dict(kernel_sources())["gg_uniform_f32"]
        >>> "gg_threefry2x32" in src and "__global__" in src
        True
    """
    return [(name, _source(name)) for name in SPECS]


def _nvrtc() -> Any:
    """CuPy's NVRTC binding, preloading pip's ``libnvrtc`` if CuPy cannot find it."""
    from cupy_backends.cuda.libs import nvrtc  # optional: CuPy, only with a GPU

    try:
        nvrtc.getVersion()
    except Exception:
        import nvidia.cuda_nvrtc as pkg  # pip install nvidia-cuda-nvrtc-cu12

        for lib in glob.glob(os.path.join(next(iter(pkg.__path__)), "lib", "libnvrtc.so*")):
            ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
        nvrtc.getVersion()
    return nvrtc


def check_kernels(archs: tuple[str, ...] = ("compute_80", "compute_90"),
                  ) -> list[tuple[str, str, bool, str]]:
    """Compile every kernel with NVRTC (no GPU needed): ``(name, arch, ok, compiler log)``.

    Example:
        >>> all(ok for _, _, ok, _ in check_kernels(("compute_80",)))  # doctest: +SKIP
        True
    """
    nvrtc = _nvrtc()
    results = []
    for name, src in kernel_sources():
        for arch in archs:
            prog = nvrtc.createProgram(src, f"{name}.cu", [], [])
            try:
                nvrtc.compileProgram(prog, [f"--gpu-architecture={arch}"])
                ok = True
            except nvrtc.NVRTCError:
                ok = False
            log = nvrtc.getProgramLog(prog)
            nvrtc.destroyProgram(prog)
            results.append((name, arch, ok, log.strip()))
    return results


@cache
def _kernel(name: str) -> Any:
    import cupy  # optional: CuPy, only with a GPU

    inputs, outputs, body = SPECS[name]
    params = ", ".join(["raw uint32 key", *(f"{t} {v}" for t, v in inputs)])
    if live.dump_kernels:  # for inspection: the standalone source of this kernel
        Path(live.dump_kernels).mkdir(parents=True, exist_ok=True)
        (Path(live.dump_kernels) / f"{name}.cu").write_text(_source(name))
    return cupy.ElementwiseKernel(params, outputs, body, name, preamble=threefry_header())


def threefry_blocks(k0: Any, k1: Any, x0: Any, x1: Any) -> tuple[Any, Any]:
    """The block function on CuPy arrays: key words and counters broadcast together (a
    key per block), the words as CuPy arrays or ints."""
    import cupy  # optional: CuPy, only with a GPU

    k0, k1, x0, x1 = cupy.broadcast_arrays(*(cupy.asarray(v, cupy.uint32)
                                             for v in (k0, k1, x0, x1)))
    y0 = cupy.empty(x0.shape, cupy.uint32)
    y1 = cupy.empty(x0.shape, cupy.uint32)
    if y0.size:
        unused = cupy.empty(2, cupy.uint32)  # the kernels' raw key; this one reads k0, k1
        _kernel("gg_threefry_block")(unused, k0, k1, x0, x1, y0, y1)
    return y0, y1


def sample(kind: str, data: Any, shape: tuple[int, ...], dtype: np.dtype, *args: Any) -> Any:
    """Run sampler ``kind`` ("uniform", "normal", ...) for ``shape`` in one fused kernel.

    ``data`` is key data ``uint32[*K, 2]``: a batch of keys gives ``(*K, *shape)``, each
    key drawing its own ``shape``. ``args`` are the sampler's float parameters (bounds,
    ``p``), broadcast by CuPy against that result.
    """
    import cupy  # optional: CuPy, only with a GPU

    suffix = "f64" if np.dtype(dtype) == np.float64 else "f32"
    name = f"gg_{kind}_{suffix}"
    if name not in SPECS:
        raise NotImplementedError(f"{kind} in {np.dtype(dtype)} has no CuPy kernel")
    n = math.prod(shape)
    out = cupy.empty((*data.shape[:-1], *shape), dtype=bool if kind == "bernoulli" else dtype)
    if out.size == 0:
        return out
    params = [cupy.asarray(a, dtype=dtype) for a in args]
    count = 2 * n if kind == "gumbel_high" else n  # gumbel 'high' draws (2, *shape)
    legacy = np.uint32(0 if live.threefry_partitionable else 1)
    keys = cupy.ascontiguousarray(data)
    _kernel(name)(keys, *params, np.uint64(count), legacy, np.uint64(n), out)
    return out
