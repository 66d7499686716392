"""``gpugrad.numpy.fft``: discrete Fourier transforms, differentiable in both modes.

NumPy's names and signatures (``n``/``s``, ``axis``/``axes``, ``norm``), run by the array's
backend (``numpy.fft`` or ``cupy.fft``). As in JAX, single precision stays single: the FFT of
a float32 array is complex64 (NumPy would give complex128). Crops and zero-padding to
``n``/``s`` happen here, with differentiable gpugrad operations; the transforms themselves
are one primitive (``gpugrad/primitives/fft.py``, where the derivative rules are derived).

Example:
    >>> gnp.fft.fft(np.array([1.0, 2.0, 3.0, 4.0]))
    array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    >>> gpugrad.grad(lambda x: gnp.sum(gnp.abs(gnp.fft.rfft(x)) ** 2))(np.array([1.0, 2.0]))
    array([4., 8.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Tracer
from gpugrad.dtypes import default_float, to_inexact
from gpugrad.naming import example_doc, named
from gpugrad.numpy._creation import asarray
from gpugrad.numpy._shape import getitem
from gpugrad.numpy.operands import to_array
from gpugrad.primitives.along_axis import concatenate
from gpugrad.primitives.complex import complex_dtype
from gpugrad.primitives.fft import NORMS, fft_transform
from gpugrad.primitives.structural import convert

__all__ = [
    "fft", "fft2", "fftfreq", "fftn", "fftshift", "ifft", "ifft2", "ifftn", "ifftshift",
    "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn",
]


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(f"invalid norm {norm!r}; expected None, 'backward', 'ortho' or "
                         "'forward'")
    return norm


def _as_complex(x: Any) -> Any:
    if x.dtype.kind == "c":
        return x
    return convert(x, complex_dtype(to_inexact(x.dtype)))


def _as_real(x: Any, name: str) -> Any:
    if x.dtype.kind == "c":
        raise TypeError(f"{name} requires a real input, got dtype {x.dtype}; use the complex "
                        "transform (fft, fftn) for complex data")
    if x.dtype.kind != "f":
        return convert(x, to_inexact(x.dtype))
    if x.dtype == np.float16:
        return convert(x, np.float32)
    return x


def _resize(x: Any, axis: int, size: int) -> Any:
    """Crop ``x`` along ``axis`` to ``size``, or pad it with zeros there (NumPy's n/s)."""
    have = x.shape[axis]
    if have == size:
        return x
    if have > size:
        return getitem(x, (slice(None),) * axis + (slice(0, size),))
    shape = tuple(size - have if i == axis else d for i, d in enumerate(x.shape))
    return concatenate([x, array_namespace(x).zeros(shape, x.dtype)], axis)


def _plan(x: Any, s: Sequence[int] | None, axes: Sequence[int] | None, kind: str
          ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """NumPy's rules for ``s`` and ``axes``: the axes (non-negative) and signal lengths."""
    ndim = x.ndim
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    axes = tuple(int(a) for a in axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
    axes = tuple(a % ndim for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axes are not supported: {axes}")
    if s is None:
        lengths = [x.shape[a] for a in axes]
        if kind == "irfft" and axes:
            lengths[-1] = 2 * (x.shape[axes[-1]] - 1)
    else:
        lengths = [int(n) for n in s]
        if len(lengths) != len(axes):
            raise ValueError(f"shape s={tuple(s)} and axes={axes} must have the same length")
    for n in lengths:
        if n < 1:
            raise ValueError(f"invalid number of FFT data points ({n}) specified")
    return axes, tuple(lengths)


def _transform(kind: str, a: Any, s: Sequence[int] | None, axes: Sequence[int] | None,
               norm: str | None, name: str) -> Any:
    x = to_array(a)
    norm = _norm(norm)
    axes_t, lengths = _plan(x, s, axes, kind)
    x = _as_real(x, name) if kind == "rfft" else _as_complex(x)
    if not axes_t:
        return x
    for a, n in zip(axes_t[:-1], lengths[:-1]):
        x = _resize(x, a, n)
    last = lengths[-1] // 2 + 1 if kind == "irfft" else lengths[-1]
    x = _resize(x, axes_t[-1], last)
    return fft_transform(x, kind, axes_t, lengths, norm)


class OneAxis(Protocol):
    """The type of ``fft``, ``ifft``, ``rfft`` and ``irfft``."""

    def __call__(self, a: Any, n: int | None = None, axis: int = -1, norm: str | None = None
                 ) -> Any: ...


class ManyAxes(Protocol):
    """The type of the transforms over several axes (``fftn``, ``fft2``, ...)."""

    def __call__(self, a: Any, s: Sequence[int] | None = None,
                 axes: Sequence[int] | None = ..., norm: str | None = None) -> Any: ...


def _one_axis(kind: str, summary: str, *session: str) -> OneAxis:
    """The transform ``kind`` along one axis, NumPy's ``fft.<kind>(a, n, axis, norm)``,
    documented by ``summary`` and the doctest lines ``session``."""

    def transform(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None
                  ) -> Any:
        return _transform(kind, a, None if n is None else [n], [axis], norm, kind)

    return named(transform, kind, example_doc(summary, *session))


def _many_axes(name: str, kind: str, default_axes: Sequence[int] | None, summary: str,
               *session: str) -> ManyAxes:
    """The transform ``kind`` over several axes, NumPy's ``fft.<name>(a, s, axes, norm)``
    (``fftn``, all axes by default, or ``fft2``, the last two), documented by ``summary`` and
    the doctest lines ``session``."""

    def transform(a: Any, s: Sequence[int] | None = None,
                  axes: Sequence[int] | None = default_axes, norm: str | None = None) -> Any:
        return _transform(kind, a, s, axes, norm, name)

    return named(transform, name, example_doc(summary, *session))


fft = _one_axis("fft", "One-dimensional discrete Fourier transform along ``axis``.",
                ">>> gnp.fft.fft(gnp.array([0.0, 1.0]))",
                "array([ 1.+0.j, -1.+0.j], dtype=complex64)")
ifft = _one_axis("ifft", "Inverse of :func:`fft`.", ">>> gnp.fft.ifft(gnp.array([1.0, -1.0]))",
                 "array([0.+0.j, 1.+0.j], dtype=complex64)")
rfft = _one_axis("rfft", "FFT of a real input: the ``n // 2 + 1`` non-negative frequency bins.",
                 ">>> gnp.fft.rfft(gnp.array([1.0, 2.0, 3.0]))",
                 "array([ 6. +0.j       , -1.5+0.8660254j], dtype=complex64)")
irfft = _one_axis(
    "irfft", "Inverse of :func:`rfft`: a real signal of length ``n`` (default ``2 * (m - 1)``).",
    ">>> gnp.fft.irfft(gnp.array([6.0, -1.5 + 0.8660254j]), n=3)",
    "array([1., 2., 3.], dtype=float32)")

fftn = _many_axes(
    "fftn", "fft", None,
    "N-dimensional FFT over ``axes`` (all by default; the last ``len(s)`` if ``s`` is given).",
    ">>> gnp.fft.fftn(gnp.ones((2, 2)))",
    "array([[4.+0.j, 0.+0.j],", "       [0.+0.j, 0.+0.j]], dtype=complex64)")
ifftn = _many_axes("ifftn", "ifft", None, "Inverse of :func:`fftn`.",
                   ">>> gnp.fft.ifftn(gnp.array([[4.0, 0.0], [0.0, 0.0]])).real",
                   "array([[1., 1.],", "       [1., 1.]], dtype=float32)")
rfftn = _many_axes("rfftn", "rfft", None,
                   "N-dimensional FFT of a real input (half the bins on the last axis).",
                   ">>> gnp.fft.rfftn(gnp.ones((2, 4))).shape", "(2, 3)")
irfftn = _many_axes("irfftn", "irfft", None, "Inverse of :func:`rfftn`.",
                    ">>> gnp.fft.irfftn(gnp.fft.rfftn(gnp.ones((2, 4)))).shape", "(2, 4)")

fft2 = _many_axes("fft2", "fft", (-2, -1),
                  "Two-dimensional FFT (:func:`fftn` over the last two axes by default).",
                  ">>> gnp.fft.fft2(gnp.ones((3, 2, 2)))[0]",
                  "array([[4.+0.j, 0.+0.j],", "       [0.+0.j, 0.+0.j]], dtype=complex64)")
ifft2 = _many_axes("ifft2", "ifft", (-2, -1), "Inverse of :func:`fft2`.",
                   ">>> gnp.fft.ifft2(gnp.ones((2, 2)))",
                   "array([[1.+0.j, 0.+0.j],", "       [0.+0.j, 0.+0.j]], dtype=complex64)")
rfft2 = _many_axes("rfft2", "rfft", (-2, -1), "Two-dimensional FFT of a real input.",
                   ">>> gnp.fft.rfft2(gnp.ones((2, 4))).shape", "(2, 3)")
irfft2 = _many_axes("irfft2", "irfft", (-2, -1), "Inverse of :func:`rfft2`.",
                    ">>> gnp.fft.irfft2(gnp.ones((2, 3))).shape", "(2, 4)")


def _roll(x: Any, shifts: list[tuple[int, int]]) -> Any:
    for axis, shift in shifts:
        n = x.shape[axis]
        k = shift % n if n else 0
        if k == 0:
            continue
        head = (slice(None),) * axis
        x = concatenate([getitem(x, (*head, slice(n - k, n))),
                         getitem(x, (*head, slice(0, n - k)))], axis)
    return x


def _shift_axes(x: Any, axes: int | Sequence[int] | None) -> list[int]:
    if axes is None:
        return list(range(x.ndim))
    if isinstance(axes, (int, np.integer)):
        axes = [int(axes)]
    return [int(a) % x.ndim for a in axes]


def fftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """Move the zero-frequency bin to the centre (a roll by ``n // 2`` on each axis).

    Example:
        >>> gnp.fft.fftshift(gnp.array([0.0, 1.0, 2.0, -2.0, -1.0]))
        array([-2., -1.,  0.,  1.,  2.], dtype=float32)
    """
    x = to_array(x)
    return _roll(x, [(a, x.shape[a] // 2) for a in _shift_axes(x, axes)])


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """Inverse of :func:`fftshift` (a roll by ``-(n // 2)``).

    Example:
        >>> gnp.fft.ifftshift(gnp.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
        array([ 0.,  1.,  2., -2., -1.], dtype=float32)
    """
    x = to_array(x)
    return _roll(x, [(a, -(x.shape[a] // 2)) for a in _shift_axes(x, axes)])


def _frequencies(values: np.ndarray[Any, Any], n: int, d: Any, dtype: Any) -> Any:
    """``values / (n * d)``; a traced spacing ``d`` keeps its derivative."""
    dtype = default_float() if dtype is None else np.dtype(dtype)
    if isinstance(d, Tracer):
        return asarray(values.astype(dtype)) / (n * convert(d, dtype))
    return asarray((values * (1.0 / (n * float(d)))).astype(dtype))


def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None) -> Any:
    """The frequency of each bin of an ``n``-point FFT with sample spacing ``d``.

    Example:
        >>> gnp.fft.fftfreq(4, d=0.5)
        array([ 0. ,  0.5, -1. , -0.5], dtype=float32)
    """
    n = int(n)
    values = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _frequencies(values.astype(np.float64), n, d, dtype)


def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None) -> Any:
    """The frequency of each bin of an ``n``-point :func:`rfft` with sample spacing ``d``.

    Example:
        >>> gnp.fft.rfftfreq(4, d=0.5)
        array([0. , 0.5, 1. ], dtype=float32)
    """
    n = int(n)
    return _frequencies(np.arange(0, n // 2 + 1, dtype=np.float64), n, d, dtype)
