"""The FFT primitive: complex and real discrete Fourier transforms over a set of axes.

``bind(fft_p, x, kind=k, axes=axes, lengths=n, norm=norm)`` with ``kind`` one of

* ``"fft"`` / ``"ifft"``: complex to complex, ``x.shape[a] == n[i]`` on each axis;
* ``"rfft"``: real to complex, the last axis keeps ``n[-1] // 2 + 1`` bins;
* ``"irfft"``: complex (``n[-1] // 2 + 1`` bins on the last axis) to real of lengths ``n``.

(``gpugrad.numpy.fft`` crops and pads to these shapes first.) Every transform is linear, so
the JVP applies it to the tangent. The VJP is its transpose without conjugation (JAX's
convention: ``ct -> conj(L^T conj(ct))`` with ``L^T`` the real transpose), derived as:

* ``fft``/``ifft``: the DFT matrix (scaled by any norm) is symmetric, so the VJP is the
  same transform with the same norm.
* ``rfft`` is ``fft`` of the real input cut to its first ``n // 2 + 1`` bins: the VJP pads
  the cotangent back to ``n`` bins with zeros, applies ``fft`` and takes the real part.
* ``irfft`` reads each bin strictly between DC and Nyquist twice (itself and its Hermitian
  mirror): its VJP is ``conj(w * rfft(ct))`` with the opposite norm's scale, ``w`` = 1 at DC
  (and at Nyquist for even ``n``), 2 elsewhere, along the last axis.

These rules bind ``fft_p`` and gpugrad's own operations, so every order works. Outputs keep
single precision (float32 -> complex64), as in JAX.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.along_axis import concatenate
from gpugrad.primitives.complex import complex_dtype, conj, real, real_dtype
from gpugrad.primitives.operations import multiply
from gpugrad.primitives.structural import example_axis

__all__ = ["fft_p", "fft_transform", "KINDS", "NORMS"]

KINDS = ("fft", "ifft", "rfft", "irfft")
NORMS = ("backward", "ortho", "forward")
_OPPOSITE = {"backward": "forward", "ortho": "ortho", "forward": "backward"}
_BACKEND_FUNCTION = {"fft": "fftn", "ifft": "ifftn", "rfft": "rfftn", "irfft": "irfftn"}

fft_p = Primitive("fft")


def _impl(x: Any, kind: str, axes: tuple[int, ...], lengths: tuple[int, ...], norm: str
          ) -> Any:
    transform = getattr(namespace_of(x).fft, _BACKEND_FUNCTION[kind])
    out = transform(x, s=lengths, axes=axes, norm=norm)
    dtype = real_dtype(x.dtype) if kind == "irfft" else complex_dtype(x.dtype)
    return out if out.dtype == dtype else out.astype(dtype)


def _jvp(primals: list[Any], tangents: list[Any], **params: Any) -> tuple[Any, Any]:
    return bind(fft_p, primals[0], **params), bind(fft_p, tangents[0], **params)


def _pad_last(ct: Any, axis: int, size: int) -> Any:
    """``ct`` padded with zeros along ``axis`` to ``size`` (a constant block, no derivative)."""
    missing = size - ct.shape[axis]
    if missing <= 0:
        return ct
    shape = tuple(missing if i == axis else d for i, d in enumerate(ct.shape))
    return concatenate([ct, array_namespace(ct).zeros(shape, ct.dtype)], axis)


def hermitian_weights(n: int, dtype: Any, like: Any) -> Any:
    """How often ``irfft`` of length ``n`` reads each of the ``n // 2 + 1`` bins: 1 at DC
    (and at Nyquist when ``n`` is even), 2 elsewhere."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return array_namespace(like).asarray(w.astype(dtype))


def _vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], kind: str,
         axes: tuple[int, ...], lengths: tuple[int, ...], norm: str) -> list[Any]:
    if kind in ("fft", "ifft"):
        return [fft_transform(ct, kind, axes, lengths, norm)]
    if kind == "rfft":
        full = _pad_last(ct, axes[-1], lengths[-1])
        return [real(fft_transform(full, "fft", axes, lengths, norm))]
    # irfft
    spectrum = fft_transform(ct, "rfft", axes, lengths, _OPPOSITE[norm])
    w = hermitian_weights(lengths[-1], real_dtype(spectrum.dtype), ct)
    w = w.reshape(tuple(-1 if i == axes[-1] else 1 for i in range(ct.ndim)))
    return [conj(multiply(spectrum, w))]


fft_p.impl = _impl
fft_p.jvp = _jvp
fft_p.vjp = _vjp
# The same transform over the examples' axes, shifted past the batch axis, which stays.
fft_p.batch = lambda values, dims, axes, **params: (bind(
    fft_p, values[0], axes=tuple(example_axis(a % (values[0].ndim - 1), dims[0]) for a in axes),
    **params), dims[0])


def _abstract(x: ShapedArray, kind: str, axes: tuple[int, ...], lengths: tuple[int, ...],
              norm: str) -> ShapedArray:
    shape = list(x.shape)
    for a, n in zip(axes, lengths):
        shape[a] = n
    if kind == "rfft":  # the non-negative frequencies of the last transformed axis
        shape[axes[-1]] = lengths[-1] // 2 + 1
    dtype = real_dtype(x.dtype) if kind == "irfft" else complex_dtype(x.dtype)
    return ShapedArray(tuple(shape), dtype)


fft_p.abstract_eval = _abstract


def fft_transform(x: Any, kind: str, axes: tuple[int, ...], lengths: tuple[int, ...],
                  norm: str) -> Any:
    """Bind the transform (inputs already cropped/padded and of the right dtype)."""
    return bind(fft_p, x, kind=kind, axes=tuple(axes), lengths=tuple(lengths), norm=norm)
