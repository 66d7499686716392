"""Fused CUDA kernels: every elementwise expression runs as one ``cupy.ElementwiseKernel``.

The stages, one file each:

* ``codegen``  — expression + input dtypes -> :class:`KernelSpec` (CuPy's ``in_params``,
  ``out_params``, ``operation``, ``preamble``, a readable deterministic ``name``), and the
  full CUDA source CuPy would compile from it;
* ``compiler`` — NVRTC without a GPU, and :class:`KernelCompileError`;
* ``launch``   — :func:`run_elementwise` with its per-device kernel cache and launch counter;
* ``host``     — the same sources compiled with the host C++ compiler (g++), for
  ``python -m gpugrad kernels --run-on-host`` and the CPU stand-in for CuPy.

The checks of every kernel (``python -m gpugrad kernels --check``, ``--run-on-host``)
compare them with the layers above, so they live above them, in ``gpugrad.kernel_check``.

Set ``GPUGRAD_DUMP_KERNELS=DIR`` to keep every generated source, or run
``python -m gpugrad kernels --show sin`` to print one.

Example:
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.expr.language import var
    >>> kernel_name(C.exp(var(0)), [np.dtype("float64")])
    'gg_exp_f64_4062e934'
"""

from gpugrad.kernel.codegen import KernelSpec, build_spec, full_source, kernel_dir, kernel_name
from gpugrad.kernel.compiler import KernelCompileError, compile_to_ptx
from gpugrad.kernel.launch import count_launches, launch_count, run_elementwise

__all__ = [
    "KernelCompileError",
    "KernelSpec",
    "build_spec",
    "compile_to_ptx",
    "count_launches",
    "full_source",
    "kernel_dir",
    "kernel_name",
    "launch_count",
    "run_elementwise",
]
