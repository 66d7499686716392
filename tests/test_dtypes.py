"""The dtype policy of api.md, one test per rule."""

from __future__ import annotations

import numpy as np

import gpugrad
import gpugrad.numpy as gnp


def test_python_floats_and_lists_become_float32():
    assert gnp.array([1.0, 2.0]).dtype == np.float32
    assert gnp.asarray(1.5).dtype == np.float32
    assert gnp.sin(1.0).dtype == np.float32


def test_python_ints_int32_bools_bool():
    assert gnp.array([1, 2]).dtype == np.int32
    assert gnp.array([True]).dtype == np.bool_


def test_x64_mode(x64):
    assert gnp.array([1.0]).dtype == np.float64
    assert gnp.array([1]).dtype == np.int64
    assert gpugrad.grad(lambda x: x * 2)(1.0).dtype == np.float64


def test_input_arrays_keep_their_dtype():
    assert gnp.sin(np.ones(2, np.float64)).dtype == np.float64
    assert gnp.asarray(np.ones(2, np.float16)).dtype == np.float16


def test_weak_python_scalars_do_not_widen():
    x = np.ones(2, np.float32)
    assert gnp.multiply(x, 2.5).dtype == np.float32
    assert gnp.add(np.ones(2, np.int8), 3).dtype == np.int8
    assert gnp.multiply(np.ones(2, np.int32), 2.5).dtype == np.float32


def test_int_with_float_array_takes_the_float():
    assert gnp.multiply(np.ones(2, np.float32), np.ones(2, np.int64)).dtype == np.float32
    assert gnp.add(np.ones(2, np.float16), np.ones(2, np.int32)).dtype == np.float16


def test_seed_001_bool_targets_stay_float32():
    targets = gnp.array([True, False])

    def loss(preds):
        out = preds * targets + (1 - preds) * (1 - targets)
        assert out.dtype == np.float32  # JAX's promotion: bool/int with float32 stays float32
        return gnp.sum(out)

    preds = np.array([0.2, 0.7], np.float32)
    value, g = gpugrad.value_and_grad(loss)(preds)
    assert value.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_allclose(g, [1.0, -1.0])
    # gnp functions follow the same rule on plain arrays:
    assert gnp.multiply(gnp.subtract(1, preds), gnp.subtract(1, targets)).dtype == np.float32


def test_wider_float_and_wider_int_win():
    assert gnp.add(np.ones(1, np.float32), np.ones(1, np.float64)).dtype == np.float64
    assert gnp.add(np.ones(1, np.int16), np.ones(1, np.int32)).dtype == np.int32


def test_gradient_flows_back_to_the_narrower_dtype():
    g = gpugrad.grad(lambda x, y: gnp.sum(x * y))(np.ones(2, np.float32), np.ones(2))
    assert g.dtype == np.float32


def test_true_divide_of_ints_is_float32():
    assert gnp.true_divide(np.arange(3, dtype=np.int32), 2).dtype == np.float32
