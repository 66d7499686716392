"""Backward-pass fusion: chains of elementwise VJPs run as one evaluation, and the fused
results agree with the unfused ones (to every order)."""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.test_util import check_grads


@pytest.fixture(autouse=True)
def fuse_small_arrays(configure):
    """Fuse whatever the size (on NumPy fusion normally starts at the fusion_min_size option)."""
    configure(fusion_min_size=0)


@pytest.fixture
def unfused():
    gpugrad.config.update("fuse_backward", False)
    yield
    gpugrad.config.update("fuse_backward", True)


def chain(x):
    return gnp.sum(gnp.exp(-(x**2)) * gnp.sin(3.0 * x) + gnp.log1p(x**2))


def test_sin_squared_backward_is_one_evaluation(evaluations):
    x = np.linspace(-1, 1, 7)
    _, f_vjp = gpugrad.vjp(lambda x: gnp.sum(gnp.sin(x) ** 2), x)
    evaluations.clear()
    (g,) = f_vjp(np.array(1.0))
    assert len(evaluations) == 1, [str(e) for e in evaluations]
    assert "cos" in str(evaluations[0])
    np.testing.assert_allclose(g, np.sin(2 * x), rtol=1e-14)


def test_accumulation_from_several_consumers_is_fused(evaluations):
    x = np.linspace(0.1, 1, 5)
    _, f_vjp = gpugrad.vjp(lambda x: gnp.sum(gnp.sin(x) * 2.0 + gnp.exp(x) * 3.0), x)
    evaluations.clear()
    (g,) = f_vjp(np.array(1.0))
    assert len(evaluations) == 1  # both contributions and their sum: one evaluation
    np.testing.assert_allclose(g, 2 * np.cos(x) + 3 * np.exp(x), rtol=1e-14)


def test_fused_equals_unfused_on_the_benchmark_chain(unfused):
    x = np.random.default_rng(0).standard_normal(101)
    g_unfused = gpugrad.grad(chain)(x)
    gpugrad.config.update("fuse_backward", True)
    g_fused = gpugrad.grad(chain)(x)
    np.testing.assert_allclose(g_fused, g_unfused, rtol=1e-13)
    expected = (np.exp(-(x**2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
                + 2 * x / (1 + x**2))
    np.testing.assert_allclose(g_fused, expected, rtol=1e-12)


def test_chain_backward_fewer_evaluations_than_unfused(evaluations):
    x = np.linspace(-1, 1, 7)
    _, f_vjp = gpugrad.vjp(chain, x)
    evaluations.clear()
    f_vjp(np.array(1.0))
    fused = len(evaluations)
    gpugrad.config.update("fuse_backward", False)
    try:
        _, f_vjp = gpugrad.vjp(chain, x)
        evaluations.clear()
        f_vjp(np.array(1.0))
    finally:
        gpugrad.config.update("fuse_backward", True)
    assert fused <= 3 < len(evaluations)


def test_fused_backward_is_differentiable_to_third_order():
    x = np.linspace(-0.9, 0.9, 5)
    check_grads(chain, (x,), order=2)
    s0 = np.array(0.7)  # float64: a Python float would trace in float32
    third = gpugrad.grad(gpugrad.grad(gpugrad.grad(lambda s: chain(s * x))))(s0)
    h = 1e-4
    second = gpugrad.grad(gpugrad.grad(lambda s: chain(s * x)))
    numeric = (second(s0 + h) - second(s0 - h)) / (2 * h)
    assert float(third) == pytest.approx(float(numeric), rel=1e-5)


# --- kept lazy: the forward pass keeps lazy values, not intermediate arrays --------------


def held_after_forward(f, x):
    """Bytes of memory still allocated once ``vjp(f, x)`` has returned (what the graph keeps)."""
    import tracemalloc

    tracemalloc.start()
    try:
        out, f_vjp = gpugrad.vjp(f, x)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return held, f_vjp


def test_forward_keeps_no_intermediate_of_an_elementwise_chain():
    x = np.random.default_rng(1).standard_normal(200_000)
    held, f_vjp = held_after_forward(chain, x)
    # Nine elementwise intermediates of x's size would hold 9 * x.nbytes; the graph holds
    # the input to ``sum`` and the two costly values its backward pass reads (see below).
    assert held < 3.2 * x.nbytes, held / x.nbytes
    (g,) = f_vjp(np.array(1.0))
    expected = (np.exp(-(x**2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
                + 2 * x / (1 + x**2))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)


def test_unfused_forward_keeps_every_intermediate(unfused):
    x = np.random.default_rng(1).standard_normal(200_000)
    held, _ = held_after_forward(chain, x)
    assert held > 6 * x.nbytes  # the contrast that makes the test above meaningful


def test_long_chain_keeps_checkpoints_and_stays_exact():
    steps = 4 * gpugrad.config.lazy_max_nodes

    def long_chain(x):
        y = x
        for k in range(steps):
            y = gnp.sin(y) * 0.9 + 0.1 * x if k % 2 else gnp.tanh(y) + y * 0.5
        return gnp.sum(y)

    x = np.random.default_rng(2).uniform(-1, 1, 50_000)
    held, f_vjp = held_after_forward(long_chain, x)
    # A lazy value is cut off after lazy_max_nodes operations, so some checkpoints are kept: not
    # the four arrays per step of the unfused graph, and not none (that would recompute the
    # chain from x at every node).
    assert 1.5 * x.nbytes < held < steps / 2 * x.nbytes
    (g_fused,) = f_vjp(np.array(1.0))
    gpugrad.config.update("fuse_backward", False)
    try:
        g_plain = gpugrad.grad(long_chain)(x)
    finally:
        gpugrad.config.update("fuse_backward", True)
    np.testing.assert_allclose(g_fused, g_plain, rtol=1e-12, atol=1e-14)


def test_rematerialized_vjp_can_be_called_again_and_differentiated():
    x = np.linspace(-0.9, 0.9, 20_000)
    _, f_vjp = gpugrad.vjp(chain, x)
    (g1,) = f_vjp(np.array(1.0))
    (g2,) = f_vjp(np.array(2.0))
    np.testing.assert_allclose(g2, 2 * g1, rtol=1e-15)
    # the cotangent traced by an outer jvp: d/ds vjp(s) = vjp(1), linear in s
    _, tangent = gpugrad.jvp(lambda s: f_vjp(s)[0], (np.array(3.0),), (np.array(1.0),))
    np.testing.assert_allclose(tangent, g1, rtol=1e-14)


# --- lazy forward: large elementwise results are computed when first read ------------------


def test_lazy_forward_evaluates_a_chain_once(evaluations, monkeypatch):
    from gpugrad.core import reverse
    from gpugrad.core.reverse import LazyVJPTracer

    lazy_reads = []
    original = reverse.lazy.evaluate  # registered by gpugrad.primitives.elementwise

    def counting(node):
        lazy_reads.append(node)
        return original(node)

    monkeypatch.setattr(reverse.lazy, "evaluate", counting)
    x = np.random.default_rng(3).standard_normal(200_000)
    seen = {}

    def f(x):
        y = gnp.exp(-(x**2)) * gnp.sin(3.0 * x) + gnp.log1p(x**2)
        seen["lazy"] = type(y) is LazyVJPTracer
        seen["meta"] = (y.shape, y.dtype, y.ndim, y.size)
        seen["evaluated before the sum"] = len(evaluations)
        return gnp.sum(y)

    out, f_vjp = gpugrad.vjp(f, x)
    assert seen == {"lazy": True, "meta": ((200_000,), np.dtype("float64"), 1, 200_000),
                    "evaluated before the sum": 0}
    # the whole chain, in one fused evaluation (not through the primitive), at the sum
    assert len(lazy_reads) == 1 and evaluations == []
    np.testing.assert_allclose(out, np.sum(np.exp(-(x**2)) * np.sin(3 * x) + np.log1p(x**2)),
                               rtol=1e-13)
    (g,) = f_vjp(np.array(1.0))
    expected = (np.exp(-(x**2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
                + 2 * x / (1 + x**2))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)


def test_lazy_values_are_read_by_control_flow_and_keep_the_float32_dtype():
    x = np.linspace(-1.0, 1.0, 100_000, dtype=np.float32)

    def f(x):
        y = gnp.tanh(x) * 2.0 + 1.0
        if y[0] < 0:  # reading a lazy value evaluates it; the branch is taken
            y = y * -1.0
        return gnp.sum(gnp.where(y > 0, y, 0.0) ** 2)

    g = gpugrad.grad(f)(x)
    assert g.dtype == np.float32
    t = np.tanh(x.astype(np.float64))
    y = -(2 * t + 1)
    expected = np.where(y > 0, 2 * y, 0.0) * -2 * (1 - t**2)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-5)


def test_a_lazy_comparison_is_boolean():
    """The chunked NumPy pass once wrote a comparison into a buffer of its inputs' dtype: a
    lazy ``sin(x) > 0.3`` declared bool was read as float64 zeros and ones."""
    from gpugrad.expr import catalog as C
    from gpugrad.expr.language import var
    from gpugrad.primitives.elementwise_eval import evaluate

    x = np.linspace(-1.0, 1.0, 1 << 17)
    seen = {}

    def f(x):
        m = gnp.sin(x) > 0.3
        seen["declared"], seen["read"] = m.dtype, np.asarray(m).dtype
        return gnp.sum(gnp.where(m, x * x, 0.0))

    g = gpugrad.grad(f)(x)
    assert seen == {"declared": np.dtype(bool), "read": np.dtype(bool)}
    np.testing.assert_allclose(g, np.where(np.sin(x) > 0.3, 2 * x, 0.0), rtol=1e-15)
    m = evaluate(x, np.float64(0.3), expr=C.gt(C.sin(var(0)), var(1)))
    assert m.dtype == bool and np.array_equal(m, np.sin(x) > 0.3)


def test_a_comparison_of_integers_does_not_widen_the_float32_select():
    """A lazy ``where(i == 1, 3x, x)`` with int32 ``i`` (a batched ``lax.cond``) was declared
    float64, the common dtype of every input of the composed lazy value (and so computed on
    CuPy)."""
    x, declared = np.linspace(-1.0, 1.0, 1 << 17, dtype=np.float32), []

    def f(x):
        y = gnp.where(gnp.equal((x > 0.5).astype(np.int32), 1), x * 3.0, x)
        declared.append(y.dtype)
        return y

    out, f_vjp = gpugrad.vjp(f, x)
    (g,) = f_vjp(np.ones_like(x))
    assert (declared, out.dtype, g.dtype) == ([np.float32], np.float32, np.float32)
    np.testing.assert_array_equal(out, np.where(x > 0.5, x * np.float32(3.0), x))
    np.testing.assert_array_equal(g, np.where(x > 0.5, 3.0, 1.0).astype(np.float32))


def test_lazy_shape_error_is_raised_at_the_call_that_is_wrong():
    x = np.ones(100_000)

    def f(x):
        y = gnp.sin(x)
        return gnp.sum(y[:70_000] + y)

    with pytest.raises(ValueError, match="broadcast"):
        gpugrad.grad(f)(x)


def test_lazy_forward_saves_the_costly_values_the_backward_reads(evaluations):
    x = np.random.default_rng(4).standard_normal(200_000)
    held, f_vjp = held_after_forward(chain, x)
    # exp(-x**2) and sin(3x) are written out by the forward evaluation (the VJPs of the
    # product read them); log1p(x**2) and the cheap x**2 are not: two arrays, plus the
    # input of the sum.
    assert 2.9 * x.nbytes < held < 3.2 * x.nbytes, held / x.nbytes
    evaluations.clear()
    (g,) = f_vjp(np.array(1.0))
    (backward,) = [str(e) for e in evaluations]
    assert "cos(" in backward and "exp(" not in backward and "sin(" not in backward
    expected = (np.exp(-(x**2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x))
                + 2 * x / (1 + x**2))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)


def test_small_arrays_are_evaluated_at_once_with_the_same_answers(monkeypatch, configure):
    """Small NumPy elementwise operations under one grad are evaluated when applied, nothing
    kept lazy, and give what the fused route gives: broadcasting, weak Python scalars, NumPy
    scalars, a bool mask, and a value read twice (accumulated)."""
    from gpugrad.config import OPTIONS
    from gpugrad.primitives import lazy_forward

    configure(fusion_min_size=OPTIONS["fusion_min_size"].default)  # not this file's 0
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.5, (4, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 3).astype(np.float32)
    mask = rng.random((4, 3)) < 0.5

    def f(x, b):
        z = gnp.tanh(x * 2.0 + b) / np.float32(3)
        p = z * mask + (1 - z) * (1 - mask)
        return gnp.sum(gnp.log1p(p * p) + gnp.maximum(z, 0.1))

    plain, kept = [], []
    evaluate_plain, keep_lazy = lazy_forward.evaluate_plain, lazy_forward.keep_lazy
    monkeypatch.setattr(lazy_forward, "evaluate_plain",
                        lambda *a: plain.append(1) or evaluate_plain(*a))
    monkeypatch.setattr(lazy_forward, "keep_lazy", lambda n: kept.append(n) or keep_lazy(n))
    direct = gpugrad.value_and_grad(f, (0, 1))(x, b)
    assert len(plain) == 12 and kept == []  # each traced elementwise step, evaluated at once
    configure(fusion_min_size=0)  # the general route, fused
    general = gpugrad.value_and_grad(f, (0, 1))(x, b)
    np.testing.assert_allclose(direct[0], general[0], rtol=1e-6)
    for d, g in zip(direct[1], general[1]):
        assert d.dtype == g.dtype == np.float32
        np.testing.assert_allclose(d, g, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_a_comparison_of_integers_does_not_widen_the_backward_on_cupy(cupy_module):
    """Its backward pass put the mask's int32 operands in one kernel with the float32
    cotangent: the gradient was float64 on CuPy."""
    cp = cupy_module
    x = cp.linspace(-1.0, 1.0, 1 << 17, dtype=cp.float32)

    def f(x):
        return gnp.sum(gnp.where(gnp.equal((x > 0.5).astype(np.int32), 1), x * 3.0, x))

    g = gpugrad.grad(f)(x)
    assert isinstance(g, cp.ndarray) and g.dtype == np.float32
    np.testing.assert_array_equal(cp.asnumpy(g), np.where(cp.asnumpy(x) > 0.5, 3.0, 1.0))
