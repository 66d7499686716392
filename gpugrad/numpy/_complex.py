"""Complex parts: ``real``, ``imag``, ``conj``/``conjugate`` and ``angle``, differentiable with
JAX's conventions for complex numbers (see ``gpugrad/primitives/complex.py``).

For real inputs they are what JAX gives: ``real`` and ``conj`` return the array itself,
``imag`` zeros (with a zero derivative) and ``angle`` 0 or pi.
"""

from __future__ import annotations

import math
from typing import Any

from gpugrad.dtypes import default_float
from gpugrad.numpy._creation import zeros_like
from gpugrad.numpy._ufuncs import FUNCTIONS
from gpugrad.numpy.operands import to_array
from gpugrad.primitives import complex as P
from gpugrad.primitives.structural import convert

__all__ = ["angle", "conj", "conjugate", "imag", "real"]


def real(x: Any) -> Any:
    """The real part (the array itself for real dtypes).

    Example:
        >>> gnp.real(gnp.array([1.0 + 2.0j]))
        array([1.], dtype=float32)
    """
    return P.real_part(to_array(x))


def imag(x: Any) -> Any:
    """The imaginary part (zeros for real dtypes).

    Example:
        >>> gnp.imag(gnp.array([1.0 + 2.0j]))
        array([2.], dtype=float32)
    """
    x = to_array(x)
    if x.dtype.kind == "c":
        return P.imag(x)

    return zeros_like(x)


def conj(x: Any) -> Any:
    """The complex conjugate (the array itself for real dtypes).

    Example:
        >>> gnp.conj(gnp.array([1.0 + 2.0j]))
        array([1.-2.j], dtype=complex64)
    """
    return P.conjugate(to_array(x))


conjugate = conj


def angle(z: Any, deg: bool = False) -> Any:
    """The argument of ``z``: ``arctan2(imag(z), real(z))``, in radians (degrees if ``deg``).

    Like every function of a complex input with a real output, its gradient follows JAX's
    convention (the conjugate of ``d/dx + i d/dy``).

    Example:
        >>> angle(gnp.array([1.0j, -1.0]))
        array([1.5707964, 3.1415927], dtype=float32)
    """
    z = to_array(z)
    if z.dtype.kind not in "fc":  # JAX's angle of an integer is the default float
        z = convert(z, default_float())
    out = FUNCTIONS["arctan2"](imag(z), real(z))
    return FUNCTIONS["multiply"](out, 180.0 / math.pi) if deg else out
