"""One dtype rule for elementwise expressions, on NumPy as in a CUDA kernel.

A kernel computes in ``T = gpugrad.dtypes.compute_dtype(input dtypes)`` and casts every
constant to ``T``; the generated NumPy evaluator must give each value the same dtype, also a
value built from constants and booleans alone (``where(eq(x0, x1), 1.0, 0.5)`` in the second
derivative of ``maximum``), which NumPy by itself computes in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.numpy as gnp
from gpugrad.dtypes import argument_dtypes, compute_dtype
from gpugrad.expr import catalog as C
from gpugrad.expr.language import const, var
from gpugrad.kernel import codegen
from gpugrad.kernel_check import items as kernel_items
from gpugrad.primitives import elementwise_eval
from gpugrad.primitives.elementwise_eval import numpy_function


def _args(dtypes: list[np.dtype], n: int = 9) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    values = []
    for d in dtypes:
        if d.kind == "b":
            values.append(rng.random(n) < 0.5)
        else:
            # Ties (x0 == x1) make the constant-only branches of maximum's derivatives live.
            values.append(np.round(rng.uniform(0.2, 0.9, n), 1).astype(d))
    return values


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("op_name", sorted(C.OPS))
def test_numpy_evaluation_has_the_kernels_dtype(op_name: str, dtype: str) -> None:
    """Every kernel the NVRTC check builds (value, JVP, VJPs, VJPs of VJPs), evaluated by
    the NumPy evaluator, has the dtype ``codegen.out_dtype`` gives the kernel's output."""
    op = C.OPS[op_name]
    if dtype not in kernel_items.op_dtypes(op):
        dtype = kernel_items.op_dtypes(op)[0]
    with np.errstate(all="ignore"):
        for role, expr, dtypes in kernel_items.op_roles(op, dtype):
            args = _args(dtypes)
            for e in expr if isinstance(expr, tuple) else (expr,):
                got = np.asarray(numpy_function(e, len(args))(np, *args))
                assert got.dtype == codegen.out_dtype(e, dtypes), f"{op_name} {role} {e}"


def test_second_derivative_of_maximum_stays_in_float32(monkeypatch: pytest.MonkeyPatch,
                                                       jax_x64) -> None:
    """The Hessian of a float32 maximum computes no float64 array along the way (each was
    narrowed back to float32 after the fact), and its values are JAX's."""
    widened: list[np.dtype] = []
    narrowed = elementwise_eval._narrowed

    def spy(out, args):
        if out.dtype == np.float64:
            widened.append(out.dtype)
        return narrowed(out, args)

    monkeypatch.setattr(elementwise_eval, "_narrowed", spy)
    x = np.array([0.5, -1.0, 2.0, 0.25], np.float32)
    y = np.array([0.5, 1.0, 1.5, -2.0], np.float32)  # a tie at x[0]

    def f(x, y, m):
        return m.sum(m.maximum(x, y) * x * x)

    h = gg.hessian(lambda x: f(x, y, gnp))(x)
    assert h.dtype == np.float32
    assert widened == []
    jnp = jax_x64.numpy
    want = jax_x64.hessian(lambda x: f(x, jnp.asarray(y, jnp.float64), jnp))(
        jnp.asarray(x, jnp.float64))
    np.testing.assert_allclose(h, np.asarray(want), rtol=1e-6)


def test_argument_dtypes_type_python_numbers_weakly() -> None:
    f32 = np.ones(2, np.float32)
    assert argument_dtypes([f32, 2.0, True]) == [np.dtype(np.float32)] * 2 + [np.dtype(bool)]
    assert argument_dtypes([2.0]) == [np.dtype(np.float32)]  # JAX's default float
    assert argument_dtypes([np.ones(2, bool), 3]) == [np.dtype(bool), np.dtype(np.int32)]
    assert compute_dtype([np.dtype(bool)]) == np.dtype(bool)
    assert compute_dtype([np.dtype(np.float16), np.dtype(np.float32)]) == np.float32



@pytest.mark.parametrize("dtype", ["float16", "float32", "complex64"])
def test_constant_result_has_the_compute_dtype(dtype: str) -> None:
    """An expression that is one constant (the derivative of ``x**1``, say) evaluates in
    the inputs' compute dtype, as its kernel writes ``out0 = (T)1.0``."""
    x = np.array([0.5, 2.0], dtype)
    alone = numpy_function(const(1.0), 1)(np, x)
    beside = elementwise_eval.many_function((var(0) * 2.0, const(0.0)), 1)(np, x)[1]
    assert np.asarray(alone).dtype == np.asarray(beside).dtype == np.dtype(dtype)
    assert alone == 1 and beside == 0
