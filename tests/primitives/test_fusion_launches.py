"""Kernel launches on CuPy: the forward pass of an elementwise chain is one kernel (the lazy
forward, no size threshold), and its backward pass is one more.

Under the CPU stand-in (``GPUGRAD_CUPY_STANDIN=1``, ``tools/cupy_standin``) every CuPy kernel
is counted: gpugrad's elementwise kernels and CuPy's own (reductions, fills, copies). Real
CuPy has no such counter, so on a device only gpugrad's kernels are counted there.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import kernel as K

pytestmark = pytest.mark.gpu


def chain(x: Any) -> Any:
    return gnp.sum(gnp.exp(-(x**2)) * gnp.sin(3.0 * x) + gnp.log1p(x**2))


def chain_grad(x: np.ndarray) -> np.ndarray:
    """The closed form, in float64."""
    return np.exp(-(x**2)) * (-2 * x * np.sin(3 * x) + 3 * np.cos(3 * x)) + 2 * x / (1 + x**2)


class Launches:
    """The kernels launched in a ``with every_launch(cp)`` block: ``every`` CuPy kernel
    (gpugrad's alone on a real device), and ``gpugrad``'s own."""

    every = 0
    gpugrad = 0


def standin_of(cp: Any) -> Any:
    """The CPU stand-in's package when ``cp`` is its ``cupy`` module, else None."""
    standin = sys.modules.get("tools.cupy_standin")
    return standin if standin is not None and cp is standin.modules()["cupy"] else None


@contextlib.contextmanager
def every_launch(cp: Any) -> Iterator[Launches]:
    standin = standin_of(cp)
    counts = Launches()
    with K.count_launches() as ours, (
            standin.counting() if standin is not None else contextlib.nullcontext()) as every:
        yield counts
    counts.gpugrad = ours.count
    counts.every = ours.count if standin is None else every.launches


@pytest.mark.parametrize("n", [10, 1000, 1_000_000])
def test_chain_is_one_kernel_forward_and_one_backward(cupy_module: Any, n: int) -> None:
    """``grad(sum(exp(-x**2) sin(3x) + log1p(x**2)))``: the forward pass launches the fused
    chain (which also writes out exp(-x**2) and sin(3x) for the backward pass) and the sum;
    the backward pass one kernel (all the VJPs and the accumulation of x's three
    contributions); at n=10 as at n=1e6 (no size threshold on CuPy). The values are the
    NumPy backend's."""
    cp = cupy_module
    x = cp.linspace(-2.0, 2.0, n, dtype=cp.float32)
    ct = cp.asarray(1.0, dtype=cp.float32)
    with every_launch(cp) as forward:
        out, f_vjp = gpugrad.vjp(chain, x)
    with every_launch(cp) as backward:
        (g,) = f_vjp(ct)
    assert forward.every <= 2 and backward.every <= 3  # every CuPy kernel, reductions too
    assert (forward.gpugrad, backward.gpugrad) == (1, 1)
    assert out.dtype == g.dtype == cp.float32
    x_host = cp.asnumpy(x)
    out_numpy, vjp_numpy = gpugrad.vjp(chain, x_host)
    (g_numpy,) = vjp_numpy(np.float32(1.0))
    assert g_numpy.dtype == np.float32
    np.testing.assert_allclose(cp.asnumpy(out), out_numpy, rtol=1e-5)
    np.testing.assert_allclose(cp.asnumpy(g), g_numpy, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(cp.asnumpy(g), chain_grad(x_host.astype(np.float64)),
                               rtol=2e-5, atol=2e-5)
