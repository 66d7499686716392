"""The backend layer: choice, switching, moving arrays, environment info."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import backend
from gpugrad.test_util import check_grads


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=120)


def test_auto_picks_numpy_quietly_without_a_device():
    if backend.cupy_status()[0]:
        pytest.skip("a CUDA device is usable here: auto picks CuPy")  # only on GPU machines
    proc = _run("import gpugrad; print(gpugrad.default_backend())", GPUGRAD_BACKEND="auto")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "numpy"
    assert proc.stderr == ""


def test_cupy_requested_on_a_machine_without_a_device_raises_with_reason():
    if backend.cupy_status()[0]:
        pytest.skip("a CUDA device is usable here")
    proc = _run("import gpugrad.numpy as gnp; gnp.zeros(2)", GPUGRAD_BACKEND="cupy")
    assert proc.returncode != 0
    assert "RuntimeError: the CuPy backend was requested but cannot be used" in proc.stderr
    assert "GPUGRAD_BACKEND=numpy" in proc.stderr


def test_bad_backend_name_is_a_clear_error():
    proc = _run("import gpugrad", GPUGRAD_BACKEND="tpu")
    assert "GPUGRAD_BACKEND" in proc.stderr and "auto, cupy, numpy" in proc.stderr


def test_use_backend_and_set_default():
    with gpugrad.use_backend("numpy"):
        assert gpugrad.default_backend() == "numpy"
        assert type(gnp.ones(2)) is np.ndarray
    gpugrad.set_default_backend("numpy")
    assert gpugrad.default_backend() == "numpy"


def test_device_put_and_get_numpy():
    tree = {"a": [1.0, 2.0], "b": np.arange(3)}
    put = gpugrad.device_put(tree, "numpy")
    assert type(put["a"][0]) is np.ndarray and put["a"][0].dtype == np.float32
    assert put["b"].dtype == np.arange(3).dtype
    got = gpugrad.device_get(put)
    np.testing.assert_array_equal(got["a"][1], 2.0)


@pytest.mark.gpu
def test_device_put_to_gpu(cupy_module):
    x = gpugrad.device_put(np.ones(3), "cupy")
    assert isinstance(x, cupy_module.ndarray)
    g = gpugrad.grad(lambda v: gnp.sum(v**2))(x)
    assert isinstance(g, cupy_module.ndarray)
    np.testing.assert_allclose(gpugrad.device_get(g), 2 * np.ones(3))


def test_on_one_backend_moves_host_arrays_to_the_device(xp):
    host, other = np.array([1.0, 2.0]), xp.asarray([3.0])
    module, (a, b, c, d) = backend.on_one_backend(host, other, 2.5, None)
    assert module is xp and type(a) is type(other) and type(b) is type(other)
    assert b is other and c == 2.5 and d is None  # device arrays and scalars as they are
    np.testing.assert_array_equal(gpugrad.device_get(a), host)


def test_on_one_backend_leaves_a_lazy_value_uncomputed(configure):
    """Telling a lazy elementwise result's backend reads its lazy value's inputs: computing it
    there would split the fused evaluation it belongs to."""
    from gpugrad.core.reverse import LazyVJPTracer

    configure(fusion_min_size=0, lazy_min_size=0)  # every elementwise result is lazy
    seen = []

    def f(x):
        y = gnp.exp(x) * 2.0
        module, (same, host) = backend.on_one_backend(y, np.ones(3))
        seen.append(isinstance(y, LazyVJPTracer) and y._value is None and same is y)
        seen.append(module is np)
        return gnp.sum(y * host)

    g = gpugrad.grad(f)(np.array([0.0, 1.0, 2.0]))
    assert seen == [True, True]
    np.testing.assert_allclose(g, 2 * np.exp([0.0, 1.0, 2.0]))


def test_host_operands_of_value_functions_move_to_the_device(xp):
    """A NumPy array beside a device array is moved to the device (as JAX does), in the
    functions that compute on values: CuPy's searchsorted and isclose refuse host arrays."""
    knots, points = np.array([-1.0, 0.0, 2.0]), xp.asarray([-2.0, 0.5, 2.0, 3.0])
    unsorted, order = np.array([2.0, -1.0, 0.0]), np.array([1, 2, 0])  # a host sorter too
    got = {
        "searchsorted": gnp.searchsorted(knots, points, side="right"),
        "searchsorted-sorter": gnp.searchsorted(unsorted, points, side="right", sorter=order),
        "isclose": gnp.isclose(points, np.array([-2.0, 0.5000001, 2.1, 3.0])),
        "allclose": gnp.allclose(np.array([-2.0, 0.5, 2.0, 3.0]), points),
        "interp": gnp.interp(points, knots, np.array([1.0, 3.0, -1.0])),
    }
    expected = {
        "searchsorted": [0, 2, 3, 3], "searchsorted-sorter": [0, 2, 3, 3],
        "isclose": [True, True, False, True], "allclose": True,
        "interp": [1.0, 2.0, -1.0, -1.0],
    }
    for name, out in got.items():
        assert type(out) is type(points), name
        np.testing.assert_allclose(gpugrad.device_get(out), expected[name], err_msg=name)
    # interp's derivative in the values at host knots: the hat functions at the points
    jac = gpugrad.jacrev(lambda f: gnp.interp(points, knots, f))(xp.asarray([1.0, 3.0, -1.0]))
    np.testing.assert_allclose(gpugrad.device_get(jac), [[1, 0, 0], [0, 0.75, 0.25],
                                                         [0, 0, 1], [0, 0, 1]])


_A = np.array([[2.0, 0.5, 0.1], [0.3, 3.0, 0.2], [0.1, 0.4, 4.0]])
_U, _V = np.array([0.3, 1.2, 2.5]), np.array([0.5, -1.5, 2.5])
MIXED = [  # name, function of two float64 arrays, its arguments, NumPy's value
    ("solve", gnp.linalg.solve, (_A, _U), np.linalg.solve(_A, _U)),
    ("kron", gnp.kron, (_U[:2], _V[:2]), np.kron(_U[:2], _V[:2])),
    ("cross", gnp.cross, (_U, _V), np.cross(_U, _V)),
    ("polyval", gnp.polyval, (_U, _V), np.polyval(_U, _V)),
    ("trapezoid", lambda y, x: gnp.trapezoid(y, x=x), (_U, _V), np.trapezoid(_U, _V)),
    ("copysign", gnp.copysign, (_U, _V), np.copysign(_U, _V)),
    ("fmod", gnp.fmod, (_V, 0.7 * _U), np.fmod(_V, 0.7 * _U)),
    ("average", lambda a, w: gnp.average(a, weights=w), (_U, _V ** 2),
     np.average(_U, weights=_V ** 2)),
    ("cov", lambda m, w: gnp.cov(m, aweights=w), (_A, _V ** 2), np.cov(_A, aweights=_V ** 2)),
    ("ldexp", lambda x, n: gnp.ldexp(x, n.astype(np.int64)), (_U, np.array([1.0, -1.0, 2.0])),
     np.ldexp(_U, [1, -1, 2])),
]


@pytest.mark.parametrize("on_device", [0, 1], ids=["device-host", "host-device"])
@pytest.mark.parametrize("name,fn,args,expected", MIXED, ids=[r[0] for r in MIXED])
def test_host_operand_beside_a_device_operand(xp, on_device, name, fn, args, expected):
    """Functions composed of gpugrad operations take a host array beside a device array and
    compute on the device (outside a trace their intermediates are plain arrays, whose own
    operators refuse the other backend); their derivatives in the device argument hold."""
    mixed = tuple(xp.asarray(a) if k == on_device else a for k, a in enumerate(args))
    out = fn(*mixed)
    assert type(out) is type(mixed[on_device])
    np.testing.assert_allclose(gpugrad.device_get(out), expected, rtol=1e-13, atol=1e-15)
    if name != "ldexp":  # its exponent is an integer
        def of_device_arg(x):
            return fn(*(x if k == on_device else a for k, a in enumerate(mixed)))

        check_grads(of_device_arg, (mixed[on_device],), order=2, modes=("fwd", "rev"))


def test_print_environment_info_and_cli():
    proc = _run("import gpugrad; gpugrad.print_environment_info()")
    assert proc.returncode == 0, proc.stderr
    for key in ("gpugrad:", "numpy:", "cupy:", "backend:"):
        assert key in proc.stdout
    cli = subprocess.run([sys.executable, "-m", "gpugrad", "info"], capture_output=True,
                         text=True, timeout=120)
    assert cli.returncode == 0 and "backend: " in cli.stdout


def test_config_options_are_one_table():
    from gpugrad.config import OPTIONS

    assert {"backend", "enable_x64", "threefry_partitionable", "kernel_cache_dir",
            "dump_kernels"} <= set(OPTIONS)
    with open(os.path.join(os.path.dirname(__file__), "..", "README.md")) as fh:
        readme = fh.read()
    from tools.config_table import markdown_table

    assert markdown_table() in readme, "README's configuration table is stale: regenerate it " \
        "with python -m tools.config_table"
    for option in OPTIONS.values():
        assert f"`{option.env}`" in readme
    with pytest.raises(KeyError, match="unknown gpugrad config option"):
        gpugrad.config.update("no_such_option", 1)


def test_jax_spellings_of_configuration():
    # JAX tutorials open with jax.config.update("jax_enable_x64", True).
    try:
        gpugrad.config.update("jax_enable_x64", True)
        assert gpugrad.config.enable_x64 is True
        assert gpugrad.config.jax_enable_x64 is True and gpugrad.config.x64_enabled is True
        assert gnp.array(1.5).dtype == np.float64
    finally:
        gpugrad.config.update("enable_x64", False)
    assert gnp.array(1.5).dtype == np.float32
    try:
        gpugrad.config.update("jax_threefry_partitionable", True)
        assert gpugrad.config.threefry_partitionable is True
        assert gpugrad.config.jax_threefry_partitionable is True
    finally:
        gpugrad.config.update("threefry_partitionable", False)
    with pytest.raises(KeyError, match="jax_enable_x64"):  # the known names are listed
        gpugrad.config.update("jax_debug_nans", True)
    with pytest.raises(AttributeError, match="no option 'jax_debug_nans'"):
        gpugrad.config.jax_debug_nans


def test_jax_platform_name_picks_the_backend():
    # A platform chosen after arrays exist takes effect (the option is resolved again).
    proc = _run(
        "import gpugrad, gpugrad.numpy as gnp\n"
        "gnp.zeros(1)\n"
        "gpugrad.config.update('jax_platform_name', 'cpu')\n"
        "print(gpugrad.default_backend(), gpugrad.config.backend)\n"
        "gpugrad.set_default_backend('numpy'); gnp.zeros(1)\n"
        "print(gpugrad.default_backend())\n"
        "try:\n"
        "    gpugrad.config.update('jax_platforms', 'tpu')\n"
        "except ValueError as err:\n"
        "    print(err)\n"
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "numpy numpy"
    assert lines[1] == "numpy"
    assert "JAX platform 'tpu' has no gpugrad backend" in lines[2]


def test_scipy_imports_on_first_use():
    proc = _run("import gpugrad, sys\n"
                "assert 'gpugrad.scipy' not in sys.modules\n"
                "print(float(gpugrad.scipy.special.erf(0.5)))")
    assert proc.returncode == 0, proc.stderr
    assert abs(float(proc.stdout) - 0.5204998778130465) < 1e-6


def test_backend_reason_names_use_backend_inside_its_block():
    from gpugrad.backend import backend_reason

    with gpugrad.use_backend("numpy"):
        assert backend_reason() == "use_backend('numpy')"
    assert not backend_reason().startswith("use_backend")
