"""The stand-in's ``cupy.ElementwiseKernel`` and ``cupy.RawKernel``: the CUDA source compiled
for the host (g++) and run serially, with CuPy 14's argument rules and errors.

``ElementwiseKernel`` follows ``cupy/_core/_kernel.pyx`` (``ElementwiseKernel.__call__``,
``_broadcast``, ``_decide_params_type_core``, ``_get_out_args_with_params``,
``_get_elementwise_kernel_code``): arguments are stand-in arrays or scalars (a NumPy array
is refused, as by CuPy's ``CScalar``), non-raw arrays broadcast together, types come from
the arrays only (:mod:`._params`), scalars are converted to their parameter's type,
outputs are allocated with the broadcast shape (or ``size=``) when not passed after the
inputs. The generated host function has CuPy's shape: typedefs of the placeholders, the
preamble, ``loop_prep``, a loop over ``i`` with ``_ind.set(i)`` and one reference per non-raw
array, the operation, ``after_loop``; raw arrays are ``CArray`` objects (``x[i]`` in C order,
``x.size()``, ``x.shape()``, ``x[idx]`` with one index per axis).

Where the host differs: one thread runs the whole loop, so ``loop_prep`` and ``after_loop``
run once, not once per GPU thread (a kernel keeping state across its elements in them gives
other results); ``reduce_dims`` is accepted and ignored (``_ind`` keeps the broadcast shape's
axes, which only ``_ind.get()`` shows); ``options``, ``stream`` and ``block_size`` are
accepted and ignored; no ``cached_code``. The math library is the host's (see
``kernels/host_shim.h``), complex numbers are ``std::complex`` (``cupy_host_complex.h``).

``RawKernel`` (``cupy/_core/raw.pyx``, ``cupy/cuda/function.pyx``) runs every (block,
thread) pair in order, with ``blockIdx``, ``threadIdx``, ``blockDim`` and ``gridDim`` set.
Arguments: stand-in arrays (their data pointer), ``None`` (a null pointer), NumPy arrays
of size one and NumPy or Python scalars by value (Python ``int`` as int64, ``float`` as
float64, as CuPy passes them). Serial execution makes atomics and static ``__shared__``
arrays work; ``__syncthreads`` (and warp shuffles, dynamic shared memory) cannot be honoured
by a serial loop, so a source using them raises :class:`CompileException` before compiling.

Example:
    >>> import numpy as np
    >>> from tools.cupy_standin._array import wrap
    >>> k = ElementwiseKernel("T x, T y", "T z", "z = x * y + i", "mul_add")
    >>> k(wrap(np.arange(3.0)), 2.0).get().tolist()
    [0.0, 3.0, 6.0]
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from gpugrad.kernel.codegen import ctype
from tools.cupy_standin import _stats
from tools.cupy_standin._array import ndarray, wrap
from tools.cupy_standin._compile import CompileException, load
from tools.cupy_standin._params import decide_types, parse_params

__all__ = ["CompileException", "ElementwiseKernel", "RawKernel"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What a serial loop over the threads cannot do (a barrier, warp exchanges, dynamic
# shared memory sized at launch).
_UNSUPPORTED = re.compile(r"__syncthreads|__syncwarp|__shfl|extern\s+__shared__")


def _meta(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The block a ``CArray`` reads: size, shape, strides in bytes."""
    return np.array([a.size, *a.shape, *a.strides], dtype=np.int64)


def _scalar(value: Any) -> np.ndarray[Any, Any]:
    """A Python or NumPy scalar as CuPy's ``CScalar`` types it (else CuPy's TypeError)."""
    if type(value) is bool:
        return np.array(value, np.bool_)
    if type(value) is int:
        return np.array(value, np.uint64 if value >= 2**63 else np.int64)
    if type(value) in (float, complex):
        return np.array(value)
    if isinstance(value, np.generic):
        return np.array(value)
    raise TypeError(f"Unsupported type {type(value)}")


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f'Invalid kernel name: "{name}"')


class ElementwiseKernel:
    """CuPy's user-defined elementwise kernel, run on the host (see the module's text).

    Example:
        >>> import numpy as np
        >>> from tools.cupy_standin._array import wrap
        >>> k = ElementwiseKernel("raw T x, int32 n", "T y", "y = x[n - 1 - i]", "rev")
        >>> k(wrap(np.array([1, 2, 3])), 3, size=3).get().tolist()
        [3, 2, 1]
    """

    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel",
                 reduce_dims: bool = True, preamble: str = "", no_return: bool = False,
                 return_tuple: bool = False, **kwargs: Any) -> None:
        _check_name(name)
        self.in_params = parse_params(in_params, True)
        self.out_params = parse_params(out_params, False)
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.nargs = self.nin + self.nout
        self.params = self.in_params + self.out_params
        self.operation = operation
        self.name = self.__name__ = name
        self.reduce_dims = reduce_dims
        self.preamble = preamble
        self.no_return = no_return
        self.return_tuple = return_tuple
        self.kwargs = kwargs  # loop_prep, after_loop, options (ignored on the host)
        if "i" in [p.name for p in self.params]:
            raise ValueError("Can not use 'i' as a parameter name")
        self._compiled: dict[Any, Any] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the kernel: ``k(*inputs)`` or ``k(*inputs, *outputs)``; ``size=`` gives the
        loop size when every array is raw; returns the outputs (see ``no_return``,
        ``return_tuple``)."""
        size = kwargs.pop("size", -1)
        kwargs.pop("stream", None)
        block_size = kwargs.pop("block_size", 128)
        if kwargs:
            raise TypeError(f"Wrong arguments {kwargs}")
        if block_size <= 0:
            raise ValueError("block_size must be greater than zero")
        if len(args) not in (self.nin, self.nargs):
            raise TypeError(f"Wrong number of arguments for {self.name!r}. It must be either "
                            f"{self.nin} or {self.nargs} (with outputs), but given {len(args)}.")
        for a in args:  # CuPy wraps each non-array in a CScalar: anything else is refused
            if not isinstance(a, ndarray):
                _scalar(a)
        values = list(args)
        shape = self._broadcast(values, size != -1)
        in_args, out_args = values[:self.nin], values[self.nin:]
        in_types, out_types, bound = decide_types(
            self.in_params, self.out_params,
            [a.dtype if isinstance(a, ndarray) else None for a in in_args],
            [a.dtype if isinstance(a, ndarray) else None for a in out_args])
        if size != -1:
            shape = (size,)
        outs = self._outputs(out_args, out_types, shape, size != -1)
        ret = None if self.no_return else (
            outs[0] if self.nout == 1 and not self.return_tuple else tuple(outs))
        if 0 in shape:
            return ret
        buffers: list[np.ndarray[Any, Any]] = []
        for p, a, t in zip(self.params, [*in_args, *outs], [*in_types, *out_types]):
            if isinstance(a, ndarray):
                host = a._host if p.raw else np.broadcast_to(a._host, shape)
                buffers += [host, _meta(host)]
            else:  # CScalar.apply_dtype: NumPy's assignment (an out-of-range int raises)
                buffers.append(np.array(a, dtype=t))
        buffers.append(np.array([int(np.prod(shape)), *shape], dtype=np.int64))
        function = self._function([*in_args, *outs], len(shape), bound)
        pointers = (ctypes.c_void_p * len(buffers))(*(b.ctypes.data for b in buffers))
        _stats.record_launch(self.name)
        function(pointers)
        return ret

    def _broadcast(self, values: list[Any], use_size: bool) -> tuple[int, ...]:
        """The broadcast shape of the non-raw arrays (inputs and outputs alike)."""
        arrays = [a for p, a in zip(self.params, values) if not p.raw and isinstance(a, ndarray)]
        if use_size and arrays:
            raise ValueError("Specified 'size' can be used only if all of the ndarray are 'raw'.")
        if not use_size and not arrays:
            raise ValueError("Loop size is undecided.")
        return tuple(np.broadcast_shapes(*(a.shape for a in arrays)))

    def _outputs(self, out_args: list[Any], out_types: Sequence[np.dtype[Any]],
                 shape: tuple[int, ...], size_given: bool) -> list[ndarray]:
        if not out_args:
            if any(p.raw for p in self.out_params) and not size_given:
                raise ValueError("Output array size is Undecided")
            return [wrap(np.empty(shape, dtype=t)) for t in out_types]
        for p, a in zip(self.out_params, out_args):
            if not isinstance(a, ndarray):
                raise TypeError("Output arguments type must be cupy.ndarray")
            if not p.raw and a.shape != shape:
                raise ValueError("Out shape is mismatched")
        return out_args

    def _function(self, args: Sequence[Any], ndim: int, bound: dict[str, np.dtype[Any]]
                  ) -> Any:
        """The compiled function for these arguments' kinds, ranks and types (memoized per
        kernel object, as CuPy keys its compiled kernels by the arguments' layout)."""
        layout = tuple(a.ndim if isinstance(a, ndarray) else -1 for a in args)
        key = (layout, ndim, tuple(sorted(bound.items())))
        function = self._compiled.get(key)
        if function is None:
            options = tuple(self.kwargs.get("options", ()))
            code = self._code(args, ndim, bound)
            function = self._compiled[key] = getattr(load(code, self.name, options), self.name)
        return function

    def _code(self, args: Sequence[Any], ndim: int, bound: dict[str, np.dtype[Any]]) -> str:
        """The host translation unit: ``extern "C" void NAME(void** _a)``."""
        typedefs = "".join(f"typedef {ctype(bound[k])} {k};\n" for k in sorted(bound))
        decls, refs, k = [], [], 0
        for p, a in zip(self.params, args):
            const = "const " if p.is_const else ""
            if isinstance(a, ndarray):
                dims = a.ndim if p.raw else ndim
                var = p.name if p.raw else f"_raw_{p.name}"
                decls.append(f"{const}CArray<{p.ctype}, {dims}> {var}"
                             f"(_a[{k}], (const long long*)_a[{k + 1}]);")
                if not p.raw:
                    refs.append(f"{const}{p.ctype} &{p.name} = _raw_{p.name}[_ind.get()];")
                k += 2
            else:
                decls.append(f"const {p.ctype} {p.name} = *(const {p.ctype}*)_a[{k}];")
                k += 1
        decls.append(f"CIndexer<{ndim}> _ind((const long long*)_a[{k}]);")
        body = "\n".join(["    _ind.set(i);", *("    " + r for r in refs), self.operation])
        return (f"{typedefs}{self.preamble}\n"
                f'extern "C" void {self.name}(void** _a) {{\n  ' + "\n  ".join(decls) + "\n"
                f"  {self.kwargs.get('loop_prep', '')};\n"
                "  for (ptrdiff_t i = 0; i < _ind.size(); ++i) {\n"
                f"{body};\n  }}\n"
                f"  {self.kwargs.get('after_loop', '')};\n}}\n")


class RawKernel:
    """CuPy's kernel from CUDA source, run on the host: ``kernel(grid, block, args)``.

    Example:
        >>> import numpy as np
        >>> from tools.cupy_standin._array import wrap
        >>> src = '''extern "C" __global__ void twice(const float* x, float* y, int n) {
        ...     int t = blockIdx.x * blockDim.x + threadIdx.x;
        ...     if (t < n) y[t] = 2 * x[t];
        ... }'''
        >>> x, y = wrap(np.arange(5, dtype=np.float32)), wrap(np.zeros(5, np.float32))
        >>> RawKernel(src, "twice")((2,), (4,), (x, y, np.int32(5)))
        >>> y.get().tolist()
        [0.0, 2.0, 4.0, 6.0, 8.0]
    """

    def __init__(self, code: str, name: str, options: tuple[str, ...] = (),
                 backend: str = "nvrtc", *, translate_cucomplex: bool = False,
                 enable_cooperative_groups: bool = False, jitify: Any = None) -> None:
        self.code = code
        self.name = self.__name__ = name
        self.options = options
        self.backend = backend
        self.enable_cooperative_groups = enable_cooperative_groups
        self._launcher: Any = None

    @property
    def kernel(self) -> Any:
        """The compiled launcher (compiles at first use, as CuPy's property does)."""
        if self._launcher is not None:
            return self._launcher
        _check_name(self.name)
        found = _UNSUPPORTED.search(self.code)
        if found:
            raise CompileException(
                f"{self.name}: the host stand-in runs a kernel's threads one after another, "
                f"so it cannot honour `{found.group(0)}`; such kernels need a real GPU",
                self.code, self.name, self.options)
        launcher = f"cupy_standin_launch_{self.name}"
        code = (f"{self.code}\n"
                f'extern "C" int {launcher}(const unsigned int* dims, void** args, int n) {{\n'
                f"  return cupy_standin_launch({self.name}, dims, args, n);\n}}\n")
        self._launcher = getattr(load(code, self.name, self.options), launcher)
        return self._launcher

    def __call__(self, grid: tuple[int, ...], block: tuple[int, ...], args: Sequence[Any],
                 shared_mem: int = 0, stream: Any = None) -> None:
        """Launch on ``grid`` blocks of ``block`` threads (tuples of 1 to 3 ints)."""
        if not isinstance(grid, tuple) or not isinstance(block, tuple):
            raise TypeError("grid and block must be tuples (CuPy's Function.__call__ takes "
                            f"tuples), got {type(grid).__name__} and {type(block).__name__}")
        dims = [max(1, int(d)) for d in (grid + (1, 1))[:3] + (block + (1, 1))[:3]]
        slots: list[Any] = []
        for a in args:
            if isinstance(a, ndarray):
                slots.append(ctypes.c_void_p(a._host.ctypes.data))
            elif a is None:
                slots.append(ctypes.c_void_p(0))
            elif isinstance(a, np.ndarray):
                if a.size != 1:
                    raise TypeError(
                        f"You are trying to pass a numpy.ndarray of shape {a.shape} as a kernel "
                        "parameter. Only numpy.ndarrays of size one can be passed by value. If "
                        "you meant to pass a pointer to __global__ memory, you need to pass a "
                        "cupy.ndarray instead.")
                slots.append(np.ascontiguousarray(a))
            else:
                slots.append(_scalar(a))
        kernel = self.kernel
        addresses = [ctypes.addressof(s) if isinstance(s, ctypes.c_void_p) else s.ctypes.data
                     for s in slots]
        pointers = (ctypes.c_void_p * max(1, len(slots)))(*addresses)
        _stats.record_launch(self.name)
        if kernel((ctypes.c_uint * 6)(*dims), pointers, len(slots)) != 0:
            raise TypeError(f"kernel {self.name!r} takes a different number of arguments than "
                            f"the {len(slots)} given (CUDA would read garbage)")
