"""Every error api.md lists: raised at the call that is wrong, naming what was wrong, and
leaving no tracing state behind."""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import grad, jacrev, jvp, vjp
from gpugrad.core.trace import current_depth

X = np.array([1.0, 2.0])


def test_non_scalar_output_to_grad():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(2,\).*jacrev"):
        grad(lambda x: x * 2)(X)


def test_integer_and_bool_inputs_named():
    with pytest.raises(TypeError, match="argument 0 has dtype int32"):
        grad(lambda x: x * 1.0)(1)
    with pytest.raises(TypeError, match=r"argument 0\['w'\] has dtype bool"):
        grad(lambda p: gnp.sum(p["w"]) * 1.0)({"w": np.array([True])})
    with pytest.raises(TypeError, match="dtype int64"):
        jacrev(lambda x: x)(np.arange(3))


def test_argnums_out_of_range_and_not_int():
    with pytest.raises(ValueError, match="out of range for a function called with 2 positional"):
        grad(lambda x, y: x, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        grad(lambda x: x, argnums="0")(1.0)


def test_has_aux_without_pair():
    with pytest.raises(TypeError, match="has_aux=True requires the function to return a pair"):
        grad(lambda x: x * 2, has_aux=True)(1.0)


def test_tangent_and_cotangent_mismatch_name_both_shapes():
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        jvp(gnp.sin, (X,), (np.ones(3),))
    with pytest.raises(ValueError, match=r"dtype float32.*dtype float64"):
        jvp(gnp.sin, (X,), (np.ones(2, np.float32),))
    _, f_vjp = vjp(gnp.sin, X)
    with pytest.raises(ValueError, match=r"shape \(5,\).*shape \(2,\)"):
        f_vjp(np.ones(5))


def test_non_array_leaf_names_its_path():
    with pytest.raises(TypeError, match=r"argument 0\['b'\]\[1\] is a str"):
        grad(lambda p: gnp.sum(p["a"]))({"a": X, "b": [1.0, "oops"]})


def test_cupy_requested_but_unusable(monkeypatch):
    from gpugrad import backend

    monkeypatch.setattr(backend, "_cupy_probe", (False, "no CUDA device (test)"))
    with pytest.raises(RuntimeError, match=r"no CUDA device \(test\).*GPUGRAD_BACKEND=numpy"):
        backend.set_default_backend("cupy")
    with pytest.raises(RuntimeError, match="cannot be used"), gpugrad.use_backend("cupy"):
        pass


def test_assignment_into_traced_array_points_to_at():
    def f(x):
        x[0] = 1.0
        return gnp.sum(x)

    with pytest.raises(TypeError, match=r"x\.at\[idx\]\.set\(y\)"):
        grad(f)(X)


def test_traced_value_to_numpy_is_an_error():
    with pytest.raises(TypeError, match="stop_gradient"):
        grad(lambda x: np.asarray(x).sum())(X)


def test_escaped_tracer():
    leaked = []
    grad(lambda x: leaked.append(x) or gnp.sum(x))(X)
    with pytest.raises(RuntimeError, match="used after that transformation returned"):
        gnp.sin(leaked[0])


def test_no_state_left_after_errors():
    for bad in (lambda: grad(lambda x: x)(X), lambda: grad(lambda x: 1 / 0)(1.0)):
        with pytest.raises((TypeError, ZeroDivisionError)):
            bad()
        assert current_depth() == 0
    np.testing.assert_allclose(grad(lambda x: gnp.sum(x**2))(X), 2 * X)


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="cannot reshape array of size 2"):
        grad(lambda x: gnp.sum(gnp.reshape(x, (3,))))(X)
    with pytest.raises(ValueError, match="do not align"):
        gnp.matmul(np.ones((2, 3)), np.ones((2, 3)))
