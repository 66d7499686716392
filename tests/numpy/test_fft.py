"""gpugrad.numpy.fft: values and dtypes against numpy.fft, and derivatives of every transform
(every norm, cropping and padding, several axes) to order 2 in both modes. The rfft/irfft
rows guard the Hermitian weighting of the duplicated bins in their transposes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.test_util import check_grads

F = gnp.fft
Row = tuple[str, Callable[..., Any], tuple[int, ...], str]


def _input(xp: Any, shape: tuple[int, ...], kind: str, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return xp.asarray(x)


def _host(x: Any) -> Any:
    return x.get() if hasattr(x, "get") else np.asarray(x)


ROWS: list[Row] = [
    ("fft", F.fft, (3, 6), "c"),
    ("fft-real-input", F.fft, (3, 6), "r"),
    ("fft-crop-ortho", lambda a: F.fft(a, n=4, axis=0, norm="ortho"), (5, 3), "c"),
    ("fft-pad-forward", lambda a: F.fft(a, n=8, norm="forward"), (2, 5), "c"),
    ("ifft", F.ifft, (3, 6), "c"),
    ("ifft-ortho", lambda a: F.ifft(a, n=7, norm="ortho"), (2, 5), "c"),
    ("rfft", F.rfft, (3, 6), "r"),
    ("rfft-odd", lambda a: F.rfft(a, n=5, norm="ortho"), (3, 6), "r"),
    ("rfft-axis0-forward", lambda a: F.rfft(a, axis=0, norm="forward"), (4, 3), "r"),
    ("irfft", F.irfft, (3, 4), "c"),
    ("irfft-odd", lambda a: F.irfft(a, n=7), (3, 4), "c"),
    ("irfft-crop-ortho", lambda a: F.irfft(a, n=4, norm="ortho"), (3, 5), "c"),
    ("irfft-axis0-forward", lambda a: F.irfft(a, axis=0, norm="forward"), (4, 3), "c"),
    ("fft2", lambda a: F.fft2(a, s=(4, 5)), (3, 4), "c"),
    ("ifft2", lambda a: F.ifft2(a, norm="ortho"), (2, 3, 4), "c"),
    ("fftn", lambda a: F.fftn(a, axes=(0, 2)), (2, 3, 4), "c"),
    ("ifftn", lambda a: F.ifftn(a, s=(3, 2), norm="forward"), (2, 3, 4), "c"),
    ("rfft2", F.rfft2, (3, 4), "r"),
    ("rfftn-s", lambda a: F.rfftn(a, s=(2, 7)), (3, 6), "r"),
    ("rfftn-axes", lambda a: F.rfftn(a, axes=(2, 0), norm="ortho"), (2, 3, 5), "r"),
    ("irfft2", F.irfft2, (3, 4), "c"),
    ("irfftn-s", lambda a: F.irfftn(a, s=(3, 5), norm="ortho"), (3, 4), "c"),
    ("irfftn-axes", lambda a: F.irfftn(a, axes=(1, 0), norm="forward"), (4, 3), "c"),
    ("round-trip", lambda a: F.irfft(F.rfft(a) * F.rfft(a), n=a.shape[-1]), (2, 6), "r"),
    ("power-spectrum", lambda a: gnp.abs(F.fft(gnp.sin(a))) ** 2, (5,), "r"),
    ("shifts", lambda a: F.fftshift(a) * F.ifftshift(a, axes=1), (3, 5), "c"),
]


@pytest.mark.parametrize("name,fn,shape,kind", ROWS, ids=[r[0] for r in ROWS])
def test_check_grads_order2(xp: Any, name: str, fn: Callable[..., Any],
                            shape: tuple[int, ...], kind: str) -> None:
    x = _input(xp, shape, kind, seed=sum(map(ord, name)))
    check_grads(fn, (x,), order=2, modes=("fwd", "rev"))


NORMS = [None, "backward", "ortho", "forward"]
VALUE_CASES = [
    ("fft", {"n": 5}, "c"), ("ifft", {"axis": 0}, "c"), ("rfft", {"n": 7}, "r"),
    ("irfft", {"n": 9}, "c"), ("irfft", {}, "c"), ("fft2", {"s": (3, 4)}, "c"),
    ("ifft2", {}, "c"), ("rfft2", {"axes": (0, 1)}, "r"), ("irfft2", {"s": (4, 5)}, "c"),
    ("fftn", {"axes": (1,)}, "c"), ("ifftn", {}, "c"), ("rfftn", {"s": (4, 4),
                                                                   "axes": (1, 0)}, "r"),
    ("irfftn", {"axes": (0, 1)}, "c"),
]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,kwargs,kind", VALUE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(VALUE_CASES)])
def test_values_match_numpy(xp: Any, name: str, kwargs: dict[str, Any], kind: str,
                            norm: str | None) -> None:
    x = _input(xp, (4, 6), kind, seed=1)
    ours = getattr(F, name)(x, norm=norm, **kwargs)
    theirs = getattr(np.fft, name)(_host(x), norm=norm, **kwargs)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(_host(ours), theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,kind,expected", [
    ("fft", "r", np.complex64), ("ifft", "c", np.complex64), ("rfft", "r", np.complex64),
    ("irfft", "c", np.float32), ("fftn", "r", np.complex64), ("irfftn", "c", np.float32),
])
def test_single_precision_stays_single(name: str, kind: str, expected: Any) -> None:
    x = _input(np, (4, 6), kind, seed=2).astype(np.complex64 if kind == "c" else np.float32)
    out = getattr(F, name)(x)
    assert out.dtype == expected
    theirs = getattr(np.fft, name)(x.astype(np.complex128 if kind == "c" else np.float64))
    np.testing.assert_allclose(out, theirs, rtol=1e-4, atol=1e-4)


def test_integer_input_uses_the_default_float() -> None:
    assert F.fft(np.arange(4)).dtype == np.complex64
    assert F.rfft(np.arange(4)).dtype == np.complex64


def test_shifts_and_frequencies(xp: Any) -> None:
    x = _input(xp, (4, 5), "r", seed=3)
    for axes in [None, 0, (1,), (0, 1)]:
        np.testing.assert_array_equal(_host(F.fftshift(x, axes)), np.fft.fftshift(_host(x), axes))
        np.testing.assert_array_equal(_host(F.ifftshift(x, axes)),
                                      np.fft.ifftshift(_host(x), axes))
    for n, d in [(1, 1.0), (6, 0.1), (7, 2.0)]:
        np.testing.assert_allclose(F.fftfreq(n, d, dtype=np.float64), np.fft.fftfreq(n, d))
        np.testing.assert_allclose(F.rfftfreq(n, d, dtype=np.float64), np.fft.rfftfreq(n, d))
    assert F.fftfreq(4).dtype == np.float32


def test_parseval_gradients() -> None:
    """sum |fft x|^2 = N sum |x|^2: its gradient is 2N x, and 2N conj(z) for complex z
    (JAX's convention: the conjugate of d/dx + i d/dy)."""
    x = _input(np, (6,), "r", seed=4)
    z = _input(np, (6,), "c", seed=5)
    energy = lambda v: gnp.sum(gnp.abs(F.fft(v)) ** 2)
    np.testing.assert_allclose(gpugrad.grad(energy)(x), 12 * x)
    np.testing.assert_allclose(gpugrad.grad(energy)(z), 12 * np.conj(z))
    # rfft keeps half the spectrum (bins 1..N/2-1 stand for two): checked numerically.
    half = lambda v: gnp.sum(gnp.abs(F.rfft(v)) ** 2)
    expected = _numeric_grad(lambda v: float(np.sum(np.abs(np.fft.rfft(v)) ** 2)), x)
    np.testing.assert_allclose(gpugrad.grad(half)(x), expected, rtol=1e-6)


def _numeric_grad(f: Callable[[Any], float], x: Any, eps: float = 1e-6) -> Any:
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


def test_vjp_of_fft_is_fft() -> None:
    """The non-conjugated transpose of the (symmetric) DFT matrix is the DFT itself."""
    z = _input(np, (5,), "c", seed=6)
    ct = _input(np, (5,), "c", seed=7)
    for norm in NORMS:
        _, f_vjp = gpugrad.vjp(lambda v: F.fft(v, norm=norm), z)
        np.testing.assert_allclose(f_vjp(ct)[0], np.fft.fft(ct, norm=norm))


def test_errors() -> None:
    with pytest.raises(TypeError, match="real input"):
        F.rfft(np.ones(4, complex))
    with pytest.raises(ValueError, match="norm"):
        F.fft(np.ones(4), norm="unitary")
    with pytest.raises(ValueError, match="data points"):
        F.fft(np.ones(4), n=0)
    with pytest.raises(ValueError, match="same length"):
        F.fftn(np.ones((2, 2)), s=(2,), axes=(0, 1))
    with pytest.raises(ValueError, match="out of bounds"):
        F.fft(np.ones(4), axis=1)
