"""The CuPy stand-in's ElementwiseKernel and RawKernel against CuPy 14's documented behaviour
(cupy/_core/_kernel.pyx, cupy/_core/_scalar.pyx, cupy/cuda/function.pyx) and NumPy's values.

The stand-in's modules are imported directly: ``sys.modules['cupy']`` is left alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from tools.cupy_standin import _stats
from tools.cupy_standin._array import ndarray, wrap
from tools.cupy_standin._params import decide_types, parse_params
from tools.cupy_standin.kernels import CompileException, ElementwiseKernel, RawKernel


def host(a: ndarray) -> np.ndarray:
    return np.asarray(a._host)


# ---- ElementwiseKernel: parameters, types, broadcasting, outputs -------------------------

def test_placeholders_bind_from_arrays_and_scalars_take_the_bound_type() -> None:
    k = ElementwiseKernel("T x, T y", "T z", "z = x * y", "mul")
    x = wrap(np.array([1.5, 2.5, -3.0], np.float32))
    z = k(x, 2.0)  # the Python float becomes a float32 kernel scalar (T = float32)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(host(z), np.array([3.0, 5.0, -6.0], np.float32))
    # A float64 NumPy scalar binds nothing either: converted to float32, as CuPy's CScalar
    z = k(x, np.float64(0.1))
    np.testing.assert_array_equal(host(z), host(x) * np.float32(0.1))


def test_explicit_dtypes_and_two_placeholders() -> None:
    k = ElementwiseKernel("T x, U y, float64 s", "U z", "z = (U)(x * s) + y", "two")
    x = wrap(np.array([1, 2, 3], np.int32))
    y = wrap(np.array([0.5, 0.25, 0.125]))
    z = k(x, y, 0.5)
    assert z.dtype == np.float64
    np.testing.assert_array_equal(host(z), [1.0, 1.25, 1.625])


def test_broadcasting_of_non_raw_inputs_and_index_i() -> None:
    k = ElementwiseKernel("T x, T y", "T z", "z = x - y + i * 100", "bc")
    x = wrap(np.arange(3.0).reshape(3, 1))
    y = wrap(np.array([10.0, 20.0]))
    z = k(x, y)
    assert z.shape == (3, 2)
    expected = (np.arange(3.0)[:, None] - np.array([10.0, 20.0])
                + 100 * np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(host(z), expected)
    with pytest.raises(ValueError):
        k(wrap(np.zeros(3)), wrap(np.zeros(2)))


def test_zero_d_arrays_and_scalars_with_an_output_array() -> None:
    k = ElementwiseKernel("T x, T y", "T z", "z = x * y + _ind.size()", "zd")
    z = k(wrap(np.array(3.0)), 2.0)
    assert z.shape == () and host(z)[()] == 7.0
    # Only scalars as inputs: the output passed after them sets the loop size and binds T.
    out = wrap(np.zeros((2, 2), np.float32))
    assert k(1.5, 2.0, out) is out
    np.testing.assert_array_equal(host(out), np.full((2, 2), 7.0, np.float32))


def test_non_contiguous_views_read_and_written_in_place() -> None:
    base = np.arange(12.0).reshape(3, 4)
    out = np.zeros((4, 3))
    k = ElementwiseKernel("T x", "T y", "y = 2 * x", "dbl")
    k(wrap(base.T), wrap(out))  # x's strides are transposed; out is written, not a copy
    np.testing.assert_array_equal(out, 2 * base.T)
    k(wrap(base[:, ::-2]), wrap(out[::2, :].T[:, ::-1]))
    np.testing.assert_array_equal(out[::2, :].T[:, ::-1], 2 * base[:, ::-2])


def test_raw_parameters_carray_semantics() -> None:
    k = ElementwiseKernel(
        "raw T x, int32 n", "T y",
        "y = x[n - 1 - i] + x.size() * 1000 + x.shape()[1] * 10", "rev")
    x = wrap(np.arange(6.0).reshape(2, 3))
    y = k(x, 6, size=6)  # size= gives the loop size when every array is raw
    np.testing.assert_array_equal(host(y), np.arange(6.0)[::-1] + 6030)
    # Multi-index access: one index per axis, through the strides (a transposed view).
    k2 = ElementwiseKernel("raw T x", "T y",
                           "ptrdiff_t idx[] = {i % 2, i / 2}; y = x[idx]", "mi")
    xt = np.arange(6.0).reshape(3, 2).T  # shape (2, 3)
    y = k2(wrap(xt), size=6)
    np.testing.assert_array_equal(host(y), [xt[j % 2, j // 2] for j in range(6)])


def test_raw_output_needs_size_and_is_written_by_index() -> None:
    k = ElementwiseKernel("T x", "raw T y", "y[_ind.size() - 1 - i] = x", "scatter")
    with pytest.raises(ValueError, match="Output array size is Undecided"):
        k(wrap(np.arange(4.0)))
    out = wrap(np.zeros(4))
    assert k(wrap(np.arange(4.0)), out) is out
    np.testing.assert_array_equal(host(out), [3.0, 2.0, 1.0, 0.0])


def test_outputs_no_return_return_tuple_loop_prep_after_loop() -> None:
    # loop_prep and after_loop run in the kernel function, around the loop: outputs are
    # reachable there as CArrays (_raw_b), the per-element references are not.
    k = ElementwiseKernel("T x", "T a, T b", "a = x + 1; b = x * scale", "two_out",
                          loop_prep="const T scale = 10", after_loop="_raw_b[0] = -scale")
    a, b = k(wrap(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(host(a), [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(host(b), [-10.0, 20.0, 30.0])
    one = ElementwiseKernel("T x", "T y", "y = x", "copy1", return_tuple=True)
    res = one(wrap(np.ones(2)))
    assert isinstance(res, tuple) and len(res) == 1
    none = ElementwiseKernel("T x", "T y", "y = x", "copy2", no_return=True)
    out = wrap(np.zeros(2))
    assert none(wrap(np.ones(2)), out) is None
    np.testing.assert_array_equal(host(out), [1.0, 1.0])


def test_zero_size_launches_nothing_and_launches_are_recorded() -> None:
    k = ElementwiseKernel("T x", "T y", "y = x", "copy_zero")
    raw = RawKernel('extern "C" __global__ void nop() {}', "nop")
    with _stats.counting() as counts:
        assert k(wrap(np.zeros((0, 3)))).shape == (0, 3)  # CuPy returns before launching
    assert counts.launches == 0
    with _stats.counting() as counts:
        k(wrap(np.zeros(2)))
        raw((2,), (3,), ())
    assert counts.launches == 2
    assert counts.launch_names == {"copy_zero": 1, "nop": 1}


def test_scalar_conversion_follows_numpy_assignment() -> None:
    k = ElementwiseKernel("T x, uint8 s", "T y", "y = x + s", "addu8")
    x = wrap(np.zeros(2, np.int32))
    np.testing.assert_array_equal(host(k(x, 7)), [7, 7])
    with pytest.raises(OverflowError):  # a Python int out of uint8's range (NEP 50)
        k(x, 300)
    with pytest.raises(ValueError):  # NaN cannot be assigned to an integer
        ElementwiseKernel("T x, int32 s", "T y", "y = x + s", "addi")(x, float("nan"))


def test_errors_cupy_raises() -> None:
    k = ElementwiseKernel("T x, float32 y", "T z", "z = x + y", "errs")
    f32 = wrap(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="Wrong number of arguments for 'errs'"):
        k(f32)
    with pytest.raises(TypeError, match="Type is mismatched"):
        k(f32, wrap(np.zeros(3)))  # float64 array for a float32 parameter: no casting
    with pytest.raises(TypeError, match="Type is mismatched"):
        k(f32, f32, wrap(np.zeros(3)))  # output float64 where T is float32
    with pytest.raises(TypeError, match="Unsupported type"):
        k(np.zeros(3, np.float32), 1.0)  # a NumPy array, not a (stand-in) CuPy array
    with pytest.raises(ValueError, match="Loop size is undecided"):
        k(1.0, 2.0)
    with pytest.raises(ValueError, match="'size' can be used only"):
        k(f32, 1.0, size=3)
    with pytest.raises(TypeError, match="Wrong arguments"):
        k(f32, 1.0, sizes=3)
    with pytest.raises(ValueError, match="Can not use 'i'"):
        ElementwiseKernel("T i", "T z", "z = i", "bad")
    with pytest.raises(ValueError, match="Invalid kernel name"):
        ElementwiseKernel("T x", "T z", "z = x", "1bad")
    with pytest.raises(Exception, match="Unknown keyword"):
        ElementwiseKernel("const T x", "T z", "z = x", "kw")


def test_output_shape_mismatch() -> None:
    k = ElementwiseKernel("T x", "T z", "z = x", "oshape")
    with pytest.raises(ValueError, match="broadcast"):  # outputs take part in broadcasting
        k(wrap(np.zeros(3)), wrap(np.zeros(2)))
    with pytest.raises(ValueError, match="Out shape is mismatched"):
        k(wrap(np.zeros((2, 3))), wrap(np.zeros((1, 3))))
    out = wrap(np.zeros((2, 3)))  # an input broadcasts to the output's shape
    k(wrap(np.arange(3.0).reshape(1, 3)), out)
    np.testing.assert_array_equal(host(out), [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])


def test_decide_types_matches_cupy() -> None:
    # The values CuPy 14.2's cupy._core._kernel._decide_params_type gives for these calls.
    ins, outs = parse_params("T x, float32 y", True), parse_params("T z", False)
    f8, f4 = np.dtype("f8"), np.dtype("f4")
    assert decide_types(ins, outs, [f8, None], [])[:2] == ([f8, f4], [f8])
    with pytest.raises(KeyError):  # CuPy: KeyError 'T' when only scalars stand for T
        decide_types(ins, outs, [None, None], [])
    with pytest.raises(TypeError, match=r"Type is mismatched\. y float64 float32"):
        decide_types(ins, outs, [f8, f8], [])


def test_compile_error_carries_the_log() -> None:
    k = ElementwiseKernel("T x", "T y", "y = undefined_name(x)", "broken")
    with pytest.raises(CompileException, match="undefined_name") as info:
        k(wrap(np.zeros(2)))
    assert "undefined_name" in info.value.source and info.value.name == "broken"


def test_float16_complex_and_bool() -> None:
    k = ElementwiseKernel("T x, T y", "T z", "z = x * y", "mulc")
    a = np.array([1 + 2j, -0.5j], np.complex64)
    b = np.array([3 - 1j, 2 + 2j], np.complex64)
    np.testing.assert_array_equal(host(k(wrap(a), wrap(b))), a * b)
    # cupy/complex.cuh's additions: NumPy's order, log1p, expm1, min/max losing NaNs
    o = ElementwiseKernel("T x, T y", "bool lt, bool ge, T lp, T em, T mx",
                          "lt = x < y; ge = x >= y; lp = log1p(x); em = expm1(x); mx = max(x, y)",
                          "cplx")
    x = np.array([1 + 2j, 1 + 2j, 0.5 - 1j, np.nan], np.complex128)
    y = np.array([1 + 3j, 0 + 9j, 0.5 - 1j, 2.0], np.complex128)
    lt, ge, lp, em, mx = (host(r) for r in o(wrap(x), wrap(y)))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(lt, x < y)
        np.testing.assert_array_equal(ge, x >= y)
    np.testing.assert_allclose(lp[:3], np.log1p(x[:3]), rtol=1e-15)
    np.testing.assert_allclose(em[:3], np.expm1(x[:3]), rtol=1e-15)
    np.testing.assert_array_equal(mx, [1 + 3j, 1 + 2j, 0.5 - 1j, 2.0])
    h = np.array([0.1, 3.0, 200.0, -7.3], np.float16)
    np.testing.assert_array_equal(host(k(wrap(h), wrap(h))), h * h)
    n = ElementwiseKernel("T x", "bool y", "y = !x", "notb")
    np.testing.assert_array_equal(host(n(wrap(np.array([True, False])))), [False, True])


# ---- RawKernel -----------------------------------------------------------------------------

_SAXPY = r'''
extern "C" __global__ void saxpy(float a, const float* x, float* y, long long n) {
    long long t = (long long)(blockIdx.y * gridDim.x + blockIdx.x) * blockDim.x * blockDim.y
                  + threadIdx.y * blockDim.x + threadIdx.x;
    if (t < n) y[t] = a * x[t] + y[t];
}
'''


def test_raw_kernel_covers_grid_and_block() -> None:
    x = np.arange(37, dtype=np.float32)
    y = np.ones(37, np.float32)
    kernel = RawKernel(_SAXPY, "saxpy")
    kernel((3, 2), (4, 2), (np.float32(2.0), wrap(x), wrap(y), 37))  # 48 threads for 37
    np.testing.assert_array_equal(y, 2 * x + 1)


def test_raw_kernel_atomics_and_shared() -> None:
    src = r'''
    extern "C" __global__ void hist(const int* v, int* bins, int n) {
        __shared__ int calls;
        if (blockIdx.x == 0 && threadIdx.x == 0) calls = 0;
        calls += 1;
        int t = blockIdx.x * blockDim.x + threadIdx.x;
        if (t < n) atomicAdd(&bins[v[t]], 1);
        if (t == n - 1) bins[4] = calls;
    }'''
    v = np.array([0, 1, 1, 3, 3, 3, 2], np.int32)
    bins = np.zeros(5, np.int32)
    RawKernel(src, "hist")((2,), (4,), (wrap(v), wrap(bins), np.int32(7)))
    np.testing.assert_array_equal(bins[:4], np.bincount(v, minlength=4))
    assert bins[4] == 7  # threads run in order: thread 6 is the 7th to count


def test_raw_kernel_cuda_device_functions_and_python_scalars() -> None:
    src = r'''
    extern "C" __global__ void f(const double* x, double* y, int n, double s, long long big) {
        int t = threadIdx.x;
        if (t < n) y[t] = max(__ldg(x + t), s) + min(t, 1) + rsqrt(4.0) + __popc(7u) + big;
    }'''
    x = np.array([-1.0, 0.5, 3.0])
    y = np.zeros(3)
    # Python scalars go by value as CuPy's CScalar types them: int -> int64, float -> float64.
    RawKernel(src, "f")((1,), (32,), (wrap(x), wrap(y), np.int32(3), 0.25, 2**40))
    np.testing.assert_array_equal(y, np.maximum(x, 0.25) + [0, 1, 1] + 0.5 + 3 + 2.0**40)


def test_raw_kernel_errors() -> None:
    k = RawKernel(_SAXPY, "saxpy")
    y = wrap(np.zeros(3, np.float32))
    with pytest.raises(TypeError, match=r"Only numpy\.ndarrays of size one"):
        k((1,), (4,), (np.float32(1), np.zeros(3, np.float32), y, 3))
    with pytest.raises(TypeError, match="different number of arguments"):
        k((1,), (4,), (np.float32(1), y, y))
    with pytest.raises(TypeError, match="tuples"):
        k(1, (4,), (np.float32(1), y, y, 3))
    with pytest.raises(TypeError, match="Unsupported type"):
        k((1,), (4,), (np.float32(1), y, y, "3"))
    sync = RawKernel('extern "C" __global__ void s(float* x) { __syncthreads(); }', "s")
    with pytest.raises(CompileException, match="__syncthreads"):
        sync((1,), (1,), (y,))
    with pytest.raises(CompileException, match="nope"):
        RawKernel('extern "C" __global__ void b() { nope; }', "b")((1,), (1,), ())


# ---- gpugrad's own kernels: the stand-in against gpugrad.kernel.host -----------------------

def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and bool(np.all((a == b) | ((a != a) & (b != b))))


def test_gpugrad_kernels_match_the_host_library_bit_for_bit() -> None:
    # The same specs the CuPy path launches (launch.get_kernel), on the sampled inputs with
    # edge values of `python -m gpugrad kernels --run-on-host`, against its host library.
    from gpugrad.expr import catalog as C
    from gpugrad.kernel.host import HostLibrary
    from gpugrad.kernel_check.host_check import host_items
    from gpugrad.kernel_check.host_samples import sample_inputs

    items = host_items([C.OPS[n] for n in ("log1p", "power", "maximum")],
                       ["float16", "float32", "float64", "int32"])
    items = [it for it in items if "/vjp" not in it.label or it.label.endswith("vjp0/float64")]
    library = HostLibrary([it.spec for it in items])
    assert len(items) >= 8
    for it in items:
        spec = it.spec
        inputs = sample_inputs(spec.in_dtypes, spec.name)
        expected = library.run(spec, inputs)
        kernel = ElementwiseKernel(spec.in_params, spec.out_params, spec.operation, spec.name,
                                   preamble=spec.preamble)
        got = kernel(*[wrap(np.ascontiguousarray(a, d)) for a, d in zip(inputs, spec.in_dtypes)])
        outs = got if isinstance(got, tuple) else (got,)
        for o, e in zip(outs, expected):
            assert _same(host(o), e), it.label


def test_gpugrad_random_kernel_matches_the_host_path() -> None:
    # gg_uniform_f32 as gpugrad.random.cuda_kernels builds it: a raw key, typed scalars (uint64
    # count, uint32 legacy flag, uint64 numbers per key) and float32 bounds broadcast from
    # 0-d arrays.
    from gpugrad.kernel_check import host_random
    from gpugrad.random import cuda_kernels

    n = 1001
    inputs, outputs, body = cuda_kernels.SPECS["gg_uniform_f32"]
    params = ", ".join(["raw uint32 key", *(f"{t} {v}" for t, v in inputs)])
    kernel = ElementwiseKernel(params, outputs, body, "gg_uniform_f32",
                               preamble=cuda_kernels.threefry_header())
    key = np.array([0, 42], np.uint32)
    lo, hi = (wrap(np.array(v, np.float32)) for v in (-2.0, 3.0))
    for legacy in (0, 1):
        out = wrap(np.empty(n, np.float32))
        kernel(wrap(key), lo, hi, np.uint64(n), np.uint32(legacy), np.uint64(n), out)
        draw = host_random._library()
        args = [key, np.full(n, -2.0, np.float32), np.full(n, 3.0, np.float32),
                np.array([n], np.uint64), np.array([legacy], np.uint32),
                np.array([n], np.uint64)]
        expected = np.zeros(n, np.float32)
        draw.call("gg_uniform_f32", n, [*args, expected])
        assert _same(host(out), expected)
        assert np.all((host(out) >= -2.0) & (host(out) < 3.0))
