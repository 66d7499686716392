"""Running an expression on CuPy arrays: one cached ``cupy.ElementwiseKernel`` per
(expression, input dtypes, device), and a launch counter that lets tests prove fusion.

Arguments may mix CuPy arrays, NumPy arrays (copied to the device), NumPy scalars and Python
scalars (passed as kernel scalars: a Python number takes the expression's compute dtype, as
a weak type does in JAX). Broadcasting is CuPy's, i.e. NumPy's; 0-d inputs give a 0-d
CuPy array.

CuPy compiles lazily, at a kernel's first launch for a given argument layout; a compile
error then surfaces as :class:`~gpugrad.kernel.compiler.KernelCompileError` naming the kernel.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from gpugrad.config import config
from gpugrad.dtypes import argument_dtypes
from gpugrad.expr.language import Expr
from gpugrad.kernel.codegen import KernelSpec, build_spec, dump_source
from gpugrad.kernel.compiler import KernelCompileError

__all__ = ["LaunchCounter", "count_launches", "get_kernel", "launch_count", "run_elementwise"]


# (expression, dtype names, device id) -> (spec, cupy.ElementwiseKernel).
_kernels: dict[tuple[Expr | tuple[Expr, ...], tuple[str, ...], int], tuple[KernelSpec, Any]] = {}
_launches = 0
_cache_dir_applied: str | None = None


def launch_count() -> int:
    """How many gpugrad elementwise kernels this process has launched.

    Example:
        >>> launch_count() >= 0
        True
    """
    return _launches


class LaunchCounter:
    """The number of launches since the ``with`` block began (see :func:`count_launches`)."""

    def __init__(self) -> None:
        self._start = _launches
        self._end: int | None = None

    @property
    def count(self) -> int:
        """Launches so far (inside the block) or in total (after it)."""
        return (_launches if self._end is None else self._end) - self._start


@contextlib.contextmanager
def count_launches() -> Iterator[LaunchCounter]:
    """Count the elementwise kernels launched inside a ``with`` block.

    Example:
        >>> with count_launches() as launches:
        ...     pass
        >>> launches.count
        0
    """
    counter = LaunchCounter()
    try:
        yield counter
    finally:
        counter._end = _launches


def _apply_cache_dir() -> None:
    """Point CuPy's on-disk kernel cache at ``config.kernel_cache_dir`` (when set).

    CuPy reads ``CUPY_CACHE_DIR`` once, when ``cupy.cuda.compiler`` is imported (CuPy 14),
    so setting the variable is not enough after ``import cupy``: we also install a disk
    backend for that folder through CuPy's (private) hook when it exists.
    """
    global _cache_dir_applied
    wanted = config.kernel_cache_dir
    if wanted is None or wanted == _cache_dir_applied:
        return
    os.makedirs(wanted, exist_ok=True)
    os.environ["CUPY_CACHE_DIR"] = str(wanted)
    try:
        from cupy.cuda import _compiler_cache, compiler  # optional: CuPy, only with a GPU

        compiler._set_kernel_cache_backend(_compiler_cache.DiskKernelCacheBackend(str(wanted)))
    except (ImportError, AttributeError):  # older CuPy: it reads the variable per compile
        pass
    _cache_dir_applied = wanted


def get_kernel(expr: Expr | tuple[Expr, ...], dtypes: Sequence[np.dtype[Any]]
               ) -> tuple[KernelSpec, Any]:
    """The spec and ``cupy.ElementwiseKernel`` of ``expr`` over ``dtypes`` (built once).

    The cache is per device because CuPy's compiled modules are; the ElementwiseKernel
    object itself compiles lazily per argument layout and keeps its own cache.
    """
    import cupy  # optional: CuPy, only with a GPU

    device = cupy.cuda.runtime.getDevice()
    key = (expr, tuple(d.name for d in dtypes), device)
    hit = _kernels.get(key)
    if hit is not None:
        return hit
    spec = build_spec(expr, dtypes)
    if config.dump_kernels:
        dump_source(spec, config.dump_kernels)
    _apply_cache_dir()
    kernel = cupy.ElementwiseKernel(
        spec.in_params, spec.out_params, spec.operation, spec.name, preamble=spec.preamble
    )
    _kernels[key] = (spec, kernel)
    return spec, kernel


def _prepare_args(args: Sequence[Any]) -> tuple[list[Any], list[np.dtype[Any]]]:
    """Device arrays and typed scalars for the kernel, and their dtypes."""
    import cupy  # optional: CuPy, only with a GPU

    dtypes = argument_dtypes(args)
    prepared: list[Any] = []
    for a, dtype in zip(args, dtypes):
        if isinstance(a, cupy.ndarray):
            prepared.append(a)
        elif isinstance(a, np.ndarray) and a.ndim > 0:
            prepared.append(cupy.asarray(a))
        else:  # a scalar (Python, NumPy, or a 0-d NumPy array): a kernel scalar, no copy
            prepared.append(dtype.type(a[()] if isinstance(a, np.ndarray) else a))
    return prepared, dtypes


def run_elementwise(expr: Expr | tuple[Expr, ...], args: Sequence[Any]) -> Any:
    """Evaluate ``expr`` elementwise over ``args`` with one fused CUDA kernel.

    At least one argument must be a CuPy array (which is how ``elementwise_eval.evaluate``
    decides to call this). Returns a CuPy array of the broadcast shape; for a tuple of
    expressions, a tuple of arrays from the same launch.

    Example (needs a GPU):
        >>> import cupy  # doctest: +SKIP
        >>> from gpugrad.expr import catalog as C  # doctest: +SKIP
        >>> from gpugrad.expr.language import var  # doctest: +SKIP
        >>> run_elementwise(C.exp(var(0)) * var(1), [cupy.zeros(3), 2.0])  # doctest: +SKIP
        array([2., 2., 2.])
    """
    global _launches
    prepared, dtypes = _prepare_args(args)
    spec, kernel = get_kernel(expr, dtypes)
    try:
        out = kernel(*prepared)
    except Exception as err:
        from cupy.cuda.compiler import CompileException  # optional: CuPy, only with a GPU

        if isinstance(err, CompileException):
            raise KernelCompileError(spec.name, str(err), getattr(err, "source", None)) from None
        raise
    _launches += 1
    return out
