"""``gpugrad.numpy.fft``: discrete Fourier transforms, differentiable in both modes.

NumPy's names and signatures (``n``/``s``, ``axis``/``axes``, ``norm``), run by the array's
backend (``numpy.fft`` or ``cupy.fft``). As in JAX, single precision stays single: the FFT of
a float32 array is complex64 (NumPy would give complex128). Crops and zero-padding to
``n``/``s`` happen here, with differentiable gpugrad operations; the transforms themselves
are one primitive (``gpugrad/primitives/fft.py``, where the derivative rules are derived).

Example:
    >>> import numpy as np
    >>> import gpugrad, gpugrad.numpy as gnp
    >>> gnp.fft.fft(np.array([1.0, 2.0, 3.0, 4.0]))
    array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
    >>> gpugrad.grad(lambda x: gnp.sum(gnp.abs(gnp.fft.rfft(x)) ** 2))(np.array([1.0, 2.0]))
    array([4., 8.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gpugrad.dtypes import default_float, to_inexact
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
    from gpugrad.core.concrete import array_namespace
    from gpugrad.numpy._shape import getitem

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


def _one(n: int | None) -> list[int] | None:
    return None if n is None else [n]


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """One-dimensional discrete Fourier transform along ``axis``.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.fft(gnp.array([0.0, 1.0]))
        array([ 1.+0.j, -1.+0.j], dtype=complex64)
    """
    return _transform("fft", a, _one(n), [axis], norm, "fft")


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """Inverse of :func:`fft`.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.ifft(gnp.array([1.0, -1.0]))
        array([0.+0.j, 1.+0.j], dtype=complex64)
    """
    return _transform("ifft", a, _one(n), [axis], norm, "ifft")


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """FFT of a real input: the ``n // 2 + 1`` non-negative frequency bins.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.rfft(gnp.array([1.0, 2.0, 3.0]))
        array([ 6. +0.j       , -1.5+0.8660254j], dtype=complex64)
    """
    return _transform("rfft", a, _one(n), [axis], norm, "rfft")


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    """Inverse of :func:`rfft`: a real signal of length ``n`` (default ``2 * (m - 1)``).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.irfft(gnp.array([6.0, -1.5 + 0.8660254j]), n=3)
        array([1., 2., 3.], dtype=float32)
    """
    return _transform("irfft", a, _one(n), [axis], norm, "irfft")


def fftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None) -> Any:
    """N-dimensional FFT over ``axes`` (all by default; the last ``len(s)`` if ``s`` is given).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.fftn(gnp.ones((2, 2)))
        array([[4.+0.j, 0.+0.j],
               [0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _transform("fft", a, s, axes, norm, "fftn")


def ifftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> Any:
    """Inverse of :func:`fftn`.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.ifftn(gnp.array([[4.0, 0.0], [0.0, 0.0]])).real
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """
    return _transform("ifft", a, s, axes, norm, "ifftn")


def rfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> Any:
    """N-dimensional FFT of a real input (half the bins on the last axis).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.rfftn(gnp.ones((2, 4))).shape
        (2, 3)
    """
    return _transform("rfft", a, s, axes, norm, "rfftn")


def irfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None) -> Any:
    """Inverse of :func:`rfftn`.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.irfftn(gnp.fft.rfftn(gnp.ones((2, 4)))).shape
        (2, 4)
    """
    return _transform("irfft", a, s, axes, norm, "irfftn")


def fft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None) -> Any:
    """Two-dimensional FFT (:func:`fftn` over the last two axes by default).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.fft2(gnp.ones((3, 2, 2)))[0]
        array([[4.+0.j, 0.+0.j],
               [0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _transform("fft", a, s, axes, norm, "fft2")


def ifft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Any:
    """Inverse of :func:`fft2`.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.ifft2(gnp.ones((2, 2)))
        array([[1.+0.j, 0.+0.j],
               [0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _transform("ifft", a, s, axes, norm, "ifft2")


def rfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Any:
    """Two-dimensional FFT of a real input.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.rfft2(gnp.ones((2, 4))).shape
        (2, 3)
    """
    return _transform("rfft", a, s, axes, norm, "rfft2")


def irfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Any:
    """Inverse of :func:`rfft2`.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.irfft2(gnp.ones((2, 3))).shape
        (2, 4)
    """
    return _transform("irfft", a, s, axes, norm, "irfft2")


def _roll(x: Any, shifts: list[tuple[int, int]]) -> Any:
    from gpugrad.numpy._shape import getitem

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
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.fftshift(gnp.array([0.0, 1.0, 2.0, -2.0, -1.0]))
        array([-2., -1.,  0.,  1.,  2.], dtype=float32)
    """
    x = to_array(x)
    return _roll(x, [(a, x.shape[a] // 2) for a in _shift_axes(x, axes)])


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """Inverse of :func:`fftshift` (a roll by ``-(n // 2)``).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.ifftshift(gnp.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
        array([ 0.,  1.,  2., -2., -1.], dtype=float32)
    """
    x = to_array(x)
    return _roll(x, [(a, -(x.shape[a] // 2)) for a in _shift_axes(x, axes)])


def _frequencies(values: np.ndarray[Any, Any], n: int, d: Any, dtype: Any) -> Any:
    """``values / (n * d)``; a traced spacing ``d`` keeps its derivative."""
    from gpugrad.core.trace import Tracer
    from gpugrad.numpy._creation import asarray

    dtype = default_float() if dtype is None else np.dtype(dtype)
    if isinstance(d, Tracer):
        return asarray(values.astype(dtype)) / (n * convert(d, dtype))
    return asarray((values * (1.0 / (n * float(d)))).astype(dtype))


def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None) -> Any:
    """The frequency of each bin of an ``n``-point FFT with sample spacing ``d``.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.fftfreq(4, d=0.5)
        array([ 0. ,  0.5, -1. , -0.5], dtype=float32)
    """
    n = int(n)
    values = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _frequencies(values.astype(np.float64), n, d, dtype)


def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None) -> Any:
    """The frequency of each bin of an ``n``-point :func:`rfft` with sample spacing ``d``.

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.fft.rfftfreq(4, d=0.5)
        array([0. , 0.5, 1. ], dtype=float32)
    """
    n = int(n)
    return _frequencies(np.arange(0, n // 2 + 1, dtype=np.float64), n, d, dtype)
