"""gpugrad.nn against jax.nn 0.10.2: values, first and second derivatives (at the kinks too,
and at +-1e4 in float32, where a careless formula overflows), finite differences in
float64, vmap, and the errors of bad arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import nn
from gpugrad.test_util import check_grads

jax = pytest.importorskip("jax")
jnn = pytest.importorskip("jax.nn")

# name -> (keyword arguments); the same call in both libraries.
ACTIVATIONS: dict[str, dict[str, Any]] = {
    "relu": {}, "relu6": {}, "hard_tanh": {}, "leaky_relu": {},
    "leaky_relu-slope": {"negative_slope": 0.2}, "elu": {}, "elu-alpha": {"alpha": 0.5},
    "celu": {}, "celu-alpha": {"alpha": 2.0}, "selu": {}, "hard_sigmoid": {}, "hard_silu": {},
    "hard_swish": {}, "soft_sign": {}, "softplus": {}, "log_sigmoid": {}, "sigmoid": {},
    "silu": {}, "swish": {}, "gelu": {}, "gelu-exact": {"approximate": False},
    "sparse_plus": {}, "sparse_sigmoid": {}, "squareplus": {}, "mish": {}, "identity": {},
    "tanh": {},
}
# The kinks of every function above (0, +-1, +-3, 6), -0.0, ordinary points, the large
# magnitudes where exp overflows in float32, and NaN.
POINTS = [-1e4, -100.0, -6.0, -3.0, -2.5, -1.0, -0.3, -0.0, 0.0, 0.7, 1.0, 2.0, 3.0, 6.0,
          7.5, 100.0, 1e4, np.nan]
# Away from every kink: where finite differences hold.
SMOOTH = np.array([-4.2, -2.1, -0.6, -0.2, 0.4, 1.3, 2.6, 4.9, 8.0])


def _fn(module: Any, name: str) -> Callable[..., Any]:
    base = name.split("-")[0]
    kwargs = ACTIVATIONS[name]
    f = getattr(module, base)
    return lambda x: f(x, **kwargs)


def _derivatives(lib: Any, f: Callable[..., Any], x: Any) -> list[Any]:
    """``f(x)``, ``f'(x)`` and ``f''(x)`` elementwise, by ``vmap`` of ``grad``."""
    d1 = lib.grad(f)
    return [f(x), lib.vmap(d1)(x), lib.vmap(lib.grad(d1))(x)]


def _assert_close(ours: Any, theirs: Any, dtype: Any, what: str, order: int = 0) -> None:
    theirs = np.asarray(theirs)
    assert ours.dtype == theirs.dtype == dtype, f"{what}: {ours.dtype} != {theirs.dtype}"
    # NaN and infinities where JAX has them, and a few ulp elsewhere. Derivatives of order k
    # get an absolute slack of 8^k ulp of 1: in float32 both libraries lose digits to
    # cancellation (tanh' = 1 - tanh**2 at 6 is 2.4557e-5 here, 2.4796e-5 in JAX; the exact
    # value is 2.4576e-5).
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=4 * eps, atol=8 ** (order + 1)
                               * eps / 2, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_derivatives_match_jax_float32(name: str) -> None:
    x = np.array(POINTS, dtype=np.float32)
    ours = _derivatives(gpugrad, _fn(nn, name), x)
    theirs = _derivatives(jax, _fn(jnn, name), jax.numpy.asarray(x))
    for order, (a, b) in enumerate(zip(ours, theirs)):
        _assert_close(a, b, np.float32, f"{name} order {order}", order)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_derivatives_match_jax_float64(name: str, jax_x64: Any,
                                                             x64: None) -> None:
    x = np.array(POINTS, dtype=np.float64)
    ours = _derivatives(gpugrad, _fn(nn, name), x)
    theirs = _derivatives(jax_x64, _fn(jnn, name), jax_x64.numpy.asarray(x))
    for order, (a, b) in enumerate(zip(ours, theirs)):
        _assert_close(a, b, np.float64, f"{name} order {order}", order)


def test_celu_derivative_at_nan_is_nan_in_both_modes() -> None:
    """expm1'(NaN) = NaN meets minimum's share 0 for the input it did not pick: 0 * NaN."""
    x = np.array([np.nan, -1.0], dtype=np.float32)
    reverse = gpugrad.vmap(gpugrad.grad(nn.celu))(x)
    forward = gpugrad.jvp(nn.celu, (x,), (np.ones_like(x),))[1]
    for d in (reverse, forward):
        assert np.isnan(d[0]) and d[1] == np.float32(np.exp(-1.0))


@pytest.mark.parametrize("name", ["relu", "relu6", "hard_tanh", "leaky_relu", "elu", "celu",
                                  "hard_sigmoid", "hard_silu"])
def test_derivatives_at_kinks_are_jaxs(name: str) -> None:
    """The values JAX gives at the kinks, written out (relu'(0) = 0 and the rest)."""
    kinks = {"relu": ([0.0], [0.0]), "relu6": ([0.0, 6.0], [0.0, 0.0]),
             "hard_tanh": ([-1.0, 1.0], [1.0, 1.0]), "leaky_relu": ([0.0], [1.0]),
             "elu": ([0.0], [1.0]), "celu": ([0.0], [1.0]),
             "hard_sigmoid": ([-3.0, 3.0], [0.0, 0.0]), "hard_silu": ([-3.0, 3.0], [0.0, 1.0])}
    x, expected = kinks[name]
    got = gpugrad.vmap(gpugrad.grad(getattr(nn, name)))(np.array(x))
    np.testing.assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"identity"}))
def test_activation_derivatives_by_finite_differences(name: str) -> None:
    check_grads(_fn(nn, name), (SMOOTH,), order=2, modes=("fwd", "rev"))


def test_celu_second_derivative_at_zero_splits_the_tie() -> None:
    # maximum(x, 0) and minimum(x, 0) tie at 0: each takes half, so celu''(0) = 1/4.
    assert float(gpugrad.grad(gpugrad.grad(nn.celu))(0.0)) == 0.25


def test_integer_inputs_promote_as_jax() -> None:
    ints = np.array([-2, 0, 3], dtype=np.int32)
    for name in ("relu", "relu6", "leaky_relu", "hard_tanh", "softplus", "elu", "gelu",
                 "log_sigmoid"):
        ours, theirs = getattr(nn, name)(ints), getattr(jnn, name)(ints)
        assert ours.dtype == theirs.dtype, name
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=name)


def _axis_functions(module: Any) -> dict[str, Callable[..., Any]]:
    mask = np.array([[True, False, True, True], [True, True, True, False]])
    return {
        "softmax": lambda x: module.softmax(x),
        "softmax-axis0": lambda x: module.softmax(x, axis=0),
        "softmax-where": lambda x: module.softmax(x, where=mask),
        "log_softmax": lambda x: module.log_softmax(x),
        "log_softmax-axes": lambda x: module.log_softmax(x, axis=(0, 1)),
        "log_softmax-where": lambda x: module.log_softmax(x, where=mask),
        "logsumexp": lambda x: module.logsumexp(x, axis=-1),
        "logsumexp-all": lambda x: module.logsumexp(x),
        "logmeanexp": lambda x: module.logmeanexp(x, axis=1),
        "standardize": lambda x: module.standardize(x),
        "standardize-axis0": lambda x: module.standardize(x, axis=0, epsilon=1e-3),
        "standardize-given": lambda x: module.standardize(x, mean=0.5, variance=2.0),
        "glu": lambda x: module.glu(x),
        "glu-axis0": lambda x: module.glu(x, axis=0),
    }


AXIS_CASES = sorted(_axis_functions(nn))
# A row with the float32 extremes and one with ordinary values.
BIG = [[1e4, -1e4, 0.5, 1e4], [0.3, -1.2, 2.0, 0.1]]


def _weighted_sum(lib: Any, f: Callable[..., Any]) -> Callable[..., Any]:
    # A scalar of every output entry, with distinct weights (masked -inf entries left out).
    def loss(x: Any) -> Any:
        y = f(x)
        w = lib.numpy.arange(1.0, y.size + 1.0, dtype=y.dtype).reshape(y.shape)
        return lib.numpy.sum(lib.numpy.where(lib.numpy.isfinite(y), y * w, 0.0))

    return loss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", AXIS_CASES)
def test_axis_functions_match_jax(name: str, dtype: Any,
                                  request: pytest.FixtureRequest) -> None:
    # float64 in 64-bit mode in both libraries (Python scalars such as epsilon then stay
    # float64), float32 in the default mode.
    if dtype == np.float64:
        request.getfixturevalue("x64")
        jax_x64 = request.getfixturevalue("jax_x64")
    else:
        jax_x64 = jax
    x = np.array(BIG if dtype == np.float32 else [[3.0, -2.0, 0.5, 1.0], [0.3, -1.2, 2.0, 0.1]],
                 dtype=dtype)
    ours_f, theirs_f = _axis_functions(nn)[name], _axis_functions(jnn)[name]
    ours = [ours_f(x), gpugrad.grad(_weighted_sum(gpugrad, ours_f))(x)]
    theirs = [theirs_f(jax_x64.numpy.asarray(x)),
              jax_x64.grad(_weighted_sum(jax_x64, theirs_f))(jax_x64.numpy.asarray(x))]
    for a, b in zip(ours, theirs):
        # standardize at 1e4 in float32 loses digits in mean(x**2) - mean**2, in both.
        tol = 2e-3 if (dtype == np.float32 and name.startswith("standardize")) else None
        if tol is None:
            _assert_close(a, b, np.dtype(dtype), name)
        else:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("name", ["softmax", "softmax-axis0", "log_softmax", "logsumexp",
                                  "logmeanexp", "standardize-axis0", "glu", "glu-axis0"])
def test_axis_function_derivatives_by_finite_differences(name: str) -> None:
    x = np.array([[0.3, -1.2, 2.0, 0.1], [1.5, 0.4, -0.7, 0.9]])
    check_grads(_axis_functions(nn)[name], (x,), order=2, modes=("fwd", "rev"))


def test_vmap_matches_the_batched_call() -> None:
    xs = np.array([[0.3, -1.2, 2.0, 0.1], [1.5, 0.4, -0.7, 0.9], [1e4, 0.0, -1e4, 2.0]],
                  dtype=np.float32)
    for f in (nn.softmax, nn.log_softmax, nn.standardize, nn.relu, nn.gelu, nn.glu):
        np.testing.assert_allclose(gpugrad.vmap(f)(xs), f(xs), rtol=1e-6, atol=1e-7)
    per_example = gpugrad.vmap(gpugrad.grad(lambda x: nn.log_softmax(x)[0]))(xs)
    expected = jax.vmap(jax.grad(lambda x: jnn.log_softmax(x)[0]))(xs)
    np.testing.assert_allclose(per_example, expected, rtol=1e-6, atol=1e-7)
    one_hots = gpugrad.vmap(lambda i: nn.one_hot(i, 4))(np.array([0, 3, 7]))
    np.testing.assert_array_equal(one_hots, jnn.one_hot(np.array([0, 3, 7]), 4))


def test_one_hot_matches_jax() -> None:
    labels = np.array([[0, 2, -1], [5, 1, 3]])
    for kwargs in ({}, {"axis": 0}, {"axis": 1}, {"dtype": np.int32},
                   {"dtype": np.bool_, "axis": -2}):
        ours, theirs = nn.one_hot(labels, 4, **kwargs), jnn.one_hot(labels, 4, **kwargs)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_one_hot_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"num_classes must be an integer.*3\.0"):
        nn.one_hot(np.array([0, 1]), 3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        nn.one_hot(np.array([0, 1]), 3, axis=3)
    with pytest.warns(DeprecationWarning, match="integer-typed"):
        got = nn.one_hot(np.array([0.0, 2.7]), 3)
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 0, 0]])


def test_bad_arguments_name_the_fix() -> None:
    with pytest.raises(ValueError, match="glu: axis -1 of x has length 3, which is odd"):
        nn.glu(np.ones(3))
    with pytest.raises(ValueError, match="unknown algorithm 'slow'"):
        nn.standardize(np.ones(3), algorithm="slow")


def test_stable_algorithm_of_standardize_matches_jax() -> None:
    x = np.array([[1e3 + 0.1, 1e3 - 0.2, 1e3 + 0.3]], dtype=np.float32)
    np.testing.assert_allclose(nn.standardize(x, algorithm="stable"),
                               jnn.standardize(x, algorithm="stable"), rtol=1e-5, atol=1e-5)


def test_logsumexp_is_scipy_specials() -> None:
    from gpugrad.scipy import special

    assert nn.logsumexp is special.logsumexp
    assert gpugrad.nn is nn


@pytest.mark.gpu
def test_on_cupy_as_on_numpy(cupy_module: Any) -> None:
    """Every function keeps CuPy arrays on the device, values and gradients as on NumPy."""
    x_host = np.array([[-1.5, 0.0, 0.5, 2.0], [1e4, -1e4, 3.0, 6.0]], dtype=np.float32)
    x = cupy_module.asarray(x_host)
    for name in [*sorted(ACTIVATIONS), *AXIS_CASES]:
        f = _fn(nn, name) if name in ACTIVATIONS else _axis_functions(nn)[name]
        with gpugrad.use_backend("cupy"):
            y, g = f(x), gpugrad.grad(lambda v: gnp.sum(f(v)))(x)
        assert gpugrad.backend.is_cupy_array(y) and gpugrad.backend.is_cupy_array(g), name
        with gpugrad.use_backend("numpy"):
            y_host, g_host = f(x_host), gpugrad.grad(lambda v: gnp.sum(f(v)))(x_host)
        for a, b in ((y, y_host), (g, g_host)):
            np.testing.assert_allclose(gpugrad.device_get(a), b, rtol=1e-5, atol=1e-6,
                                       err_msg=name)
    with gpugrad.use_backend("cupy"):
        assert gpugrad.backend.is_cupy_array(nn.one_hot(cupy_module.asarray([0, 2]), 3))
