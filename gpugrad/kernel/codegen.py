"""From a catalog expression and its input dtypes to a ``cupy.ElementwiseKernel`` definition.

A kernel is described by a :class:`KernelSpec` — CuPy's own vocabulary: ``in_params``,
``out_params``, ``operation``, ``preamble`` and a ``name`` — built here without importing
CuPy, so the same spec serves the launcher (:mod:`gpugrad.kernel.launch`) and the NVRTC check
that runs without a GPU (:mod:`gpugrad.kernel_check.check`).

Types. ``T`` (the type every catalog template computes in) is the common dtype of the
non-boolean inputs; a boolean input (``select``'s condition, a comparison's result) stays
``bool``. NumPy's float16 is stored as CuPy's ``float16`` but computed in ``float``, as NumPy
itself does, so no helper or device function ever needs a half-precision overload. The
output is ``bool`` for comparisons and logic, else ``T``'s dtype.

Preamble. The text of ``kernels/gpugrad_math.cuh`` is inlined into every kernel rather than
reached through ``-I``: CuPy's on-disk cache keys a cubin on the source text and the options,
not on files an ``#include`` reaches, so an edited header seen through ``-I`` would silently
reuse stale binaries; inlined, any change to it recompiles.

Example:
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.expr.language import var
    >>> spec = build_spec(C.sin(var(0)) * 2.0, (np.dtype("float32"),))
    >>> spec.in_params, spec.out_params
    ('float32 x0', 'float32 out0')
    >>> print(spec.operation)
    T t0 = sin(x0);
    out0 = (t0 * (T)2.0);
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gpugrad.dtypes import compute_dtype
from gpugrad.expr.language import Expr, OpSpec, evaluation_order, num_vars, out_dtype
from gpugrad.expr.printers import to_cuda

__all__ = [
    "KernelSpec",
    "build_spec",
    "cupy_includes",
    "compute_dtype",
    "full_source",
    "header_text",
    "kernel_dir",
    "kernel_function",
    "kernel_name",
    "out_dtype",
]

# The C type of each dtype inside a kernel body (CuPy's names for the storage types).
_CTYPES = {
    "bool": "bool",
    "int8": "signed char",
    "int16": "short",
    "int32": "int",
    "int64": "long long",
    "uint8": "unsigned char",
    "uint16": "unsigned short",
    "uint32": "unsigned int",
    "uint64": "unsigned long long",
    "float16": "float16",
    "float32": "float",
    "float64": "double",
    "complex64": "thrust::complex<float>",
    "complex128": "thrust::complex<double>",
}
# Storage types computed in a wider type (NumPy computes float16 ufuncs in float32 too).
_COMPUTE_CTYPES = {"float16": "float"}

# CuPy prepends these to every ElementwiseKernel (cupy/_core/core.pyx, cupy_header_list).
CUPY_HEADERS = ("cupy/complex.cuh", "cupy/carray.cuh", "cupy/atomics.cuh",
                "cupy/math_constants.h")

_NAME_OPS = 4  # how many operation names a kernel name spells out before the hash


def kernel_dir() -> Path:
    """The folder of gpugrad's hand-written CUDA headers.

    An installed wheel carries them as ``gpugrad/_kernels`` (pyproject's force-include); a
    source checkout has them in ``<repo>/kernels``.

    Example:
        >>> (kernel_dir() / "gpugrad_math.cuh").is_file()
        True
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_kernels", package.parent / "kernels"):
        if (candidate / "gpugrad_math.cuh").is_file():
            return candidate
    raise FileNotFoundError(
        f"gpugrad's CUDA headers (gpugrad_math.cuh) are missing: looked in {package / '_kernels'}"
        f" and {package.parent / 'kernels'}; reinstall gpugrad"
    )


_header_cache: dict[str, str] = {}


def header_text(name: str = "gpugrad_math.cuh") -> str:
    """The text of header ``name`` from :func:`kernel_dir` (read once per process).

    Example:
        >>> "gg_logaddexp" in header_text()
        True
    """
    text = _header_cache.get(name)
    if text is None:
        text = _header_cache[name] = (kernel_dir() / name).read_text()
    return text


def ctype(dtype: np.dtype[Any]) -> str:
    """The C type CuPy stores ``dtype`` as (``float32`` -> ``float``)."""
    try:
        return _CTYPES[dtype.name]
    except KeyError:
        raise TypeError(f"gpugrad has no CUDA kernels for dtype {dtype}") from None


def short_form(expr: Expr | tuple[Expr, ...]) -> str:
    """A few operation names of ``expr``, root first, for a kernel's readable name."""
    names: list[str] = []
    for node in reversed(evaluation_order(expr)):
        assert isinstance(node.op, OpSpec)
        if node.op.name not in names:
            names.append(node.op.name)
    if not names:
        names = ["copy" if not isinstance(expr, tuple) and expr.op == "var" else "fill"]
    text = "_".join(names[:_NAME_OPS]) + ("_etc" if len(names) > _NAME_OPS else "")
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def kernel_name(expr: Expr | tuple[Expr, ...], dtypes: Sequence[np.dtype[Any]]) -> str:
    """``gg_<ops>_<dtype>_<hash>``: readable in a profile and the same in every process;
    ``gg_<ops>_<dtype>_x<n>_<hash>`` for a kernel with ``n`` outputs.

    The hash covers the whole expression and every input dtype (Python's ``hash`` of a
    string changes per process, so SHA-1 of the printed expression is used).

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> kernel_name(C.tanh(var(0)) * var(1), [np.dtype("float32")] * 2)
        'gg_mul_tanh_f32_def6d22b'
    """
    text = ";".join(map(str, expr)) if isinstance(expr, tuple) else str(expr)
    key = f"{text}|{','.join(d.name for d in dtypes)}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    kind = compute_dtype(dtypes)
    tag = {"b": "b", "f": "f", "i": "i", "u": "u", "c": "c"}[kind.kind] + str(8 * kind.itemsize)
    if isinstance(expr, tuple):
        tag += f"_x{len(expr)}"
    return f"gg_{short_form(expr)}_{tag}_{digest}"


@dataclass(frozen=True)
class KernelSpec:
    """One elementwise kernel in CuPy's terms (``cupy.ElementwiseKernel``'s arguments)."""

    name: str
    in_params: str
    out_params: str
    operation: str
    preamble: str
    in_dtypes: tuple[np.dtype[Any], ...]
    out_dtype: np.dtype[Any]
    out_dtypes: tuple[np.dtype[Any], ...] = ()  # every output's (one, or a VJP's several)


def build_spec(expr: Expr | tuple[Expr, ...], dtypes: Sequence[np.dtype[Any]]) -> KernelSpec:
    """The kernel evaluating ``expr`` over inputs of ``dtypes`` (one per ``var``); for a
    tuple of expressions, one kernel writing all their values (``out0, out1, ...``), as a
    VJP writes every input's cotangent in one launch.

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> s = build_spec(C.select(var(0), var(1), 0.0), [np.dtype(bool), np.dtype("float16")])
        >>> s.in_params, s.out_params
        ('bool x0, float16 in1', 'float16 out0')
        >>> print(s.operation)
        const T x1 = (T)in1;
        out0 = (x0 ? x1 : (T)0.0);
    """
    dtypes = tuple(np.dtype(d) for d in dtypes)
    roots = expr if isinstance(expr, tuple) else (expr,)
    needed = max(num_vars(r) for r in roots)
    if len(dtypes) < needed:
        raise ValueError(f"{expr} reads {needed} inputs, got {len(dtypes)} dtypes")
    compute = compute_dtype(dtypes)
    t = _COMPUTE_CTYPES.get(compute.name, ctype(compute))
    params: list[str] = []
    converts: list[str] = []
    for i, d in enumerate(dtypes):
        if d.kind == "b" or (d == compute and d.name not in _COMPUTE_CTYPES):
            params.append(f"{d.name} x{i}")
        else:  # stored narrower or differently: convert once, then compute in T
            params.append(f"{d.name} in{i}")
            converts.append(f"const T x{i} = (T)in{i};")
    outs = tuple(out_dtype(r, dtypes) for r in roots)
    for out in outs:
        ctype(out)  # reject dtypes without a CUDA type early
    body = "\n".join([*converts, to_cuda(expr, out="out0")])
    preamble = f"{header_text()}\ntypedef {t} T;\n"
    return KernelSpec(
        name=kernel_name(expr, dtypes),
        in_params=", ".join(params),
        out_params=", ".join(f"{out.name} out{k}" for k, out in enumerate(outs)),
        operation=body,
        preamble=preamble,
        in_dtypes=dtypes,
        out_dtype=outs[0],
        out_dtypes=outs,
    )


def param_list(params: str) -> list[tuple[str, str]]:
    return [(p.split()[0], p.split()[1]) for p in params.split(",")]


def kernel_function(spec: KernelSpec) -> str:
    """The ``extern "C" __global__`` function CuPy generates for ``spec`` (no preamble).

    It follows ``cupy/_core/_kernel.pyx`` (``_get_elementwise_kernel_code``) for contiguous
    1-d arrays: ``CArray`` parameters named ``_raw_<param>`` and a ``CIndexer``, a
    grid-stride loop that binds each element to a reference named like the parameter, then
    the operation.
    """
    params: list[str] = []
    binds: list[str] = []
    ins = [(p, True) for p in param_list(spec.in_params)]
    outs = [(p, False) for p in param_list(spec.out_params)]
    for (dtype_name, name), is_input in [*ins, *outs]:
        c = ctype(np.dtype(dtype_name))
        qualifier = "const " if is_input else ""
        params.append(f"{qualifier}CArray<{c}, 1, true, true> _raw_{name}")
        binds.append(f"{qualifier}{c} &{name} = _raw_{name}[_ind.get()];")
    params.append("CIndexer<1, true> _ind")
    loop_body = "\n".join("    " + line for line in [*binds, *spec.operation.splitlines()])
    return (
        f'extern "C" __global__ void {spec.name}({", ".join(params)}) {{\n'
        "  #pragma unroll 1\n"
        "  CUPY_FOR(i, _ind.size()) {\n"
        "    _ind.set(i);\n"
        f"{loop_body}\n"
        "  }\n"
        "}\n"
    )


def cupy_includes(specs: Sequence[KernelSpec] = (), headers: Sequence[str] = CUPY_HEADERS) -> str:
    """The ``#include`` lines CuPy puts before elementwise kernels ``specs``: its standard
    headers, and the declaration of any type they use beyond C's (``float16``)."""
    lines = [f"#include <{h}>\n" for h in headers]
    if any(d.name == "float16" for s in specs
           for d in (*s.in_dtypes, s.out_dtype, *s.out_dtypes)):
        lines.append('#include "cupy/float16.cuh"\n')  # CuPy's _scalar.format_type_decls
    return "".join(lines)


def full_source(spec: KernelSpec) -> str:
    """The CUDA translation unit CuPy compiles for ``spec`` (on contiguous 1-d arrays).

    CuPy's headers, the preamble (gpugrad_math.cuh and ``typedef ... T``), then the
    kernel. Compiled by ``--check`` without a GPU, written by ``GPUGRAD_DUMP_KERNELS``, and
    printed by ``python -m gpugrad kernels --show``.

    Example:
        >>> from gpugrad.expr import catalog as C
        >>> from gpugrad.expr.language import var
        >>> src = full_source(build_spec(C.cos(var(0)), [np.dtype("float64")]))
        >>> "typedef double T;" in src and "out0 = cos(x0);" in src
        True
    """
    return f"{cupy_includes([spec])}\n{spec.preamble}\n{kernel_function(spec)}"


def dump_source(spec: KernelSpec, directory: str | Path) -> Path:
    """Write ``spec``'s full source to ``directory/<name>.cu`` (for GPUGRAD_DUMP_KERNELS)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"{spec.name}.cu"
    target.write_text(full_source(spec))
    return target
