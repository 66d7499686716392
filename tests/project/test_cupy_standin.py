"""The CuPy stand-in (``tools/cupy_standin``) behaves like CuPy 14.2 where a GPU run would.

Each test names the CuPy behaviour it checks and where CuPy's source or documentation says
so. The stand-in is installed as ``cupy`` only inside the ``cupy`` fixture, which restores
``sys.modules`` after, so tests that import the real CuPy (the NVRTC checks) are unaffected.
"""

from __future__ import annotations

import doctest
import gc
import importlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tools import cupy_standin
from tools.cupy_standin._module import SNAPSHOT

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")
UNSUPPORTED = "Unsupported type <class 'numpy.ndarray'>"


@pytest.fixture
def cupy() -> Iterator[Any]:
    with cupy_standin.installed():
        import cupy

        yield cupy


def test_installed_restores_sys_modules() -> None:
    before = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("cupy", "cupyx")}
    with cupy_standin.installed():
        import cupy

        assert cupy.__version__ == "14.2.0" and "stand-in" in (cupy.__doc__ or "")
        assert sys.modules["cupy.cuda.runtime"].getDeviceCount() == 1
    after = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("cupy", "cupyx")}
    assert after == before


def test_implicit_conversion_to_numpy_raises_cupys_type_error(cupy: Any) -> None:
    # cupy/_core/core.pyx, ndarray.__array__
    x = cupy.arange(3.0)
    for convert in (np.asarray, np.array, np.ascontiguousarray, lambda a: np.array([a])):
        with pytest.raises(TypeError) as err:
            convert(x)
        assert str(err.value) == IMPLICIT
    assert type(x).__module__ == "cupy" and not isinstance(x, np.ndarray)


def test_explicit_copies_are_counted_with_their_bytes(cupy: Any) -> None:
    host = np.arange(4, dtype=np.float32)
    with cupy_standin.counting() as counts:
        x = cupy.asarray(host)
        y = cupy.array([1.0, 2.0])
        back = x.get()
        again = cupy.asnumpy(y)
    assert (counts.h2d, counts.h2d_bytes, counts.d2h, counts.d2h_bytes) == (2, 32, 2, 32)
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert again.tolist() == [1.0, 2.0]
    host[0] = 9  # asarray copied: the device array does not see host writes
    assert float(x[0]) == 0.0
    assert cupy.asarray(x) is x  # a device array of the right dtype is not copied


def test_numpy_arrays_are_refused_as_operands(cupy: Any) -> None:
    # ufunc arguments go through CScalar (cupy/_core/_scalar.pyx), which takes scalars only;
    # np_a + x reaches CuPy's ufunc through __array_ufunc__ (core.pyx) and fails the same way.
    x, a, a0 = cupy.ones(3), np.ones(3), np.array(2.0)
    for op in (lambda: x + a, lambda: a + x, lambda: x * a0, lambda: cupy.exp(a),
               lambda: cupy.add(x, a0), lambda: np.add(a, x), lambda: cupy.maximum(x, a)):
        with pytest.raises(TypeError) as err:
            op()
        assert str(err.value) == UNSUPPORTED
    with pytest.raises(TypeError, match="Unsupported type <class 'list'>"):
        cupy.sin([1.0, 2.0])
    with pytest.raises(TypeError, match="Unsupported type"):
        cupy.concatenate([x, a])
    # cupy.sum & co. end in `return a.sum(...)` (cupy/_math/sumprod.py): a list has no such
    # method, and a NumPy array quietly sums on the host, giving a NumPy value
    with pytest.raises(AttributeError, match="'list' object has no attribute 'sum'"):
        cupy.sum([1.0, 2.0])
    assert type(cupy.max(a)) is np.float64
    # NumPy scalars are kernel scalars: allowed, and typed (NEP 50: strong), Python's weak.
    assert (x * np.float32(2)).dtype == np.float64
    assert (cupy.ones(2, np.float32) * 2.5).dtype == np.float32
    assert (cupy.ones(2, np.int32) + 7).dtype == np.int32
    # comparisons turn a 0-d NumPy array into a Python scalar first (core.pyx richcmp)
    assert (x < np.array(2.0)).get().tolist() == [True] * 3
    assert (x == None).get().tolist() == [False] * 3  # noqa: E711


def test_numpy_functions_dispatch_to_cupy_or_refuse(cupy: Any) -> None:
    # __array_function__ (core.pyx): cupy's function of the same name, else NotImplemented.
    x = cupy.arange(6.0).reshape(2, 3)
    s = np.sum(x, axis=0)
    assert type(s).__module__ == "cupy" and s.get().tolist() == [3.0, 5.0, 7.0]
    assert type(np.linalg.norm(x)).__module__ == "cupy"
    assert abs(float(np.linalg.norm(x)) - np.sqrt(55.0)) < 1e-12
    assert "unstack" not in SNAPSHOT["namespace"] and "vecdot" not in SNAPSHOT["namespace"]
    with pytest.raises(TypeError, match=r"no implementation found for 'numpy.unstack'"):
        np.unstack(x)
    with pytest.raises(TypeError, match="returned NotImplemented from __array_ufunc__"):
        np.vecdot(x, x)  # a ufunc CuPy lacks


def test_results_are_zero_d_arrays_never_scalars(cupy: Any) -> None:
    x = cupy.arange(4.0)
    for r in (x[1], x.sum(), cupy.max(x), x.argmax(), x.mean(), cupy.dot(x, x), x[-1, ...]):
        assert type(r).__module__ == "cupy" and r.shape == ()
    first = x[0]
    first[...] = 7.0  # integer indexing gives a 0-d *view*, as CuPy's does
    assert float(x[0]) == 7.0
    items = list(x)
    assert all(type(i).__module__ == "cupy" and i.shape == () for i in items)
    with cupy_standin.counting() as counts:
        assert (float(x[1]), int(x[2]), bool(x[3]), x[1].item()) == (1.0, 2, True, 1.0)
        assert x.tolist() == [7.0, 1.0, 2.0, 3.0]
    assert counts.d2h == 5  # every conversion to a Python value is a sync
    with pytest.raises(TypeError, match="len"):
        len(x.sum())
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError):  # cupy.ndarray has no __index__: a 0-d array is no int
        [0, 1][x.argmax()]
    with pytest.warns(DeprecationWarning, match="empty array is ambiguous"):
        assert not bool(cupy.zeros(0))  # CuPy 14.2 warns and says False (core.pyx)


def test_indexing_accepts_host_indices_and_refuses_host_values_in_basic_assignment(
        cupy: Any) -> None:
    # cupy/_core/_routines_indexing.pyx: _prepare_slice_list converts lists and NumPy
    # arrays (a copy to the device); _scatter_op fills basic slices from scalars only.
    x = cupy.arange(6.0).reshape(2, 3)
    with cupy_standin.counting() as counts:
        rows = x[np.array([1, 0])]
        cols = x[:, [2]]
    assert rows.get().tolist() == [[3, 4, 5], [0, 1, 2]] and cols.shape == (2, 1)
    assert counts.h2d == 2 and counts.launches == 2
    with pytest.raises(IndexError, match="integer or boolean"):
        x[np.array([0.0])]
    with pytest.raises(ValueError, match=r"non-scalar numpy.ndarray cannot be used for fill"):
        x[0] = np.ones(3)
    x[0] = np.array(5.0)
    x[1, :2] = 2
    x[[1], [2]] = np.array([9.0])  # advanced assignment copies the value over
    x[x > 8] = cupy.zeros(1)
    assert x.get().tolist() == [[5, 5, 5], [2, 2, 0]]


def test_namespace_is_cupy_14_2s(cupy: Any) -> None:
    with pytest.raises(AttributeError, match="module 'cupy' has no attribute 'float128'"):
        cupy.float128
    with pytest.raises(AttributeError, match=r"stand-in does not model cupy.poly1d"):
        cupy.poly1d
    assert cupy.float32 is np.float32 and cupy.finfo is np.finfo
    assert isinstance(cupy.exp, cupy.ufunc) and cupy.exp.nin == 1
    # the few CuPy names not modelled (NumPy 1 leftovers, DLPack, index tricks) say so
    missing = [n for n in SNAPSHOT["namespace"] if not hasattr(cupy, n)]
    assert len(missing) < 40 and len(SNAPSHOT["namespace"]) > 480
    for name in missing:
        with pytest.raises(AttributeError, match=f"stand-in does not model cupy.{name}"):
            getattr(cupy, name)
    assert sorted(n for n in dir(cupy.linalg) if not n.startswith("_")) == sorted(
        SNAPSHOT["linalg"])
    # reduce/accumulate exist for add and multiply only, at for scatter ops (_kernel.pyx)
    m = cupy.arange(6.0).reshape(2, 3)
    assert cupy.add.reduce(m).get().tolist() == [3.0, 5.0, 7.0]
    assert cupy.multiply.accumulate(cupy.arange(1.0, 4.0)).get().tolist() == [1.0, 2.0, 6.0]
    with pytest.raises(NotImplementedError, match=r"cupy_maximum.reduce"):
        cupy.maximum.reduce(m)
    with pytest.raises(NotImplementedError, match=r"cupy_sin.at"):
        cupy.sin.at(m, 0)
    cupy.add.at(m, (np.array([0, 0]), np.array([1, 1])), 1.0)
    assert float(m[0, 1]) == 3.0
    assert type(cupy.allclose(m, m)).__module__ == "cupy"  # an array in CuPy, bool in NumPy


def test_dtypes_follow_numpy_2(cupy: Any) -> None:
    f32 = cupy.ones(4, np.float32)
    assert f32.sum().dtype == np.float32 and cupy.fft.fft(f32).dtype == np.complex64
    assert cupy.fft.rfft(f32).dtype == np.complex64
    assert (f32 / 2).dtype == np.float32 and (cupy.arange(3) / 2).dtype == np.float64
    assert cupy.linalg.inv(cupy.eye(2, dtype=np.float32)).dtype == np.float32


def test_launches_are_counted_and_views_are_free(cupy: Any) -> None:
    x = cupy.arange(12.0).reshape(3, 4)
    with cupy_standin.counting() as views:
        x.reshape(4, 3), x.T, x[1:], x[0], cupy.empty(5), x.shape, x.ravel(), cupy.squeeze(x)
    assert views.launches == 0
    with cupy_standin.counting() as counts:
        x + 1, cupy.exp(x), x.sum(), x.T.reshape(12), x.copy(), x[[0, 2]], cupy.zeros(3)
        cupy.linalg.inv(cupy.eye(2)), cupy.fft.fft(x)
    assert counts.launches == 10  # eye is one more
    assert counts.launch_names["cupy_add"] == 1 and counts.launch_names["reshape"] == 1
    y = cupy.zeros(3)
    with cupy_standin.counting() as inplace:
        y += 1
        y.fill(2.0)
    assert inplace.launches == 2 and y.get().tolist() == [2.0] * 3


def test_out_and_in_place_operators_return_the_same_array(cupy: Any) -> None:
    x, out = cupy.arange(3.0), cupy.empty(3)
    assert cupy.multiply(x, 2, out=out) is out and out.get().tolist() == [0.0, 2.0, 4.0]
    y = x
    y *= 3
    assert y is x and x.get().tolist() == [0.0, 3.0, 6.0]
    z = cupy.ndarray((2, 2), np.float32)
    assert z.shape == (2, 2) and z.dtype == np.float32


def test_runtime_has_one_device(cupy: Any) -> None:
    rt = cupy.cuda.runtime
    assert (rt.getDeviceCount(), rt.getDevice()) == (1, 0)
    props = rt.getDeviceProperties(0)
    assert isinstance(props["name"], bytes) and props["major"] * 10 + props["minor"] == 90
    assert rt.runtimeGetVersion() > 0 and rt.driverGetVersion() > 0
    dev = cupy.cuda.Device()
    assert dev.id == 0 and dev.compute_capability == "90"
    with dev:
        dev.synchronize()
    with pytest.raises(rt.CUDARuntimeError, match="invalid device ordinal"):
        cupy.cuda.Device(1)
    from cupy.cuda.compiler import CompileException

    assert issubclass(CompileException, Exception)
    assert cupy.arange(2).device.id == 0


def test_memory_pool_tracks_live_arrays_and_peak(cupy: Any) -> None:
    pool = cupy.get_default_memory_pool()
    gc.collect()
    base = pool.used_bytes()
    pool.reset_peak()
    x = cupy.zeros(1000)  # 8000 bytes, rounded up to 8192 (512-byte units)
    view = x[10:]
    assert pool.used_bytes() - base == 8192
    del x, view
    gc.collect()
    assert pool.used_bytes() == base and pool.peak_bytes() - base == 8192
    assert pool.total_bytes() >= pool.used_bytes() + 8192
    pool.free_all_blocks()
    assert pool.total_bytes() == pool.used_bytes()


def test_gpugrad_sees_a_cupy_array(cupy: Any) -> None:
    from gpugrad.backend import is_cupy_array, namespace_of

    x = cupy.arange(3.0)
    assert is_cupy_array(x) and namespace_of(np.ones(1), x) is cupy
    cai = x.__cuda_array_interface__
    assert cai["shape"] == (3,) and cai["typestr"] == "<f8" and cai["data"][0] == x.data.ptr


@pytest.mark.parametrize("name", ["__init__", "_array", "_creation", "_indexing",
                                  "_memory", "_methods", "_module", "_namespace", "_runtime",
                                  "_stats", "_ufuncs"])
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(
        "tools.cupy_standin" if name == "__init__" else f"tools.cupy_standin.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
