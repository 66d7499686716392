"""Real and imaginary parts of real arrays (complex differentiation is not supported yet)."""

from __future__ import annotations

from typing import Any

from gpugrad.numpy._reductions import _array


def _real_only(name: str, x: Any) -> Any:
    if x.dtype.kind == "c":
        raise NotImplementedError(
            f"{name} of a complex array is not differentiable in gpugrad yet; "
            "work with real and imaginary parts as separate real arrays"
        )
    return x


def real(x: Any) -> Any:
    """The real part (the array itself for real dtypes).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.real(gnp.array([1.0]))
        array([1.], dtype=float32)
    """
    return _real_only("real", _array(x))


def imag(x: Any) -> Any:
    """The imaginary part (zeros for real dtypes).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.imag(gnp.array([1.0]))
        array([0.], dtype=float32)
    """
    from gpugrad.numpy._creation import zeros_like

    return zeros_like(_real_only("imag", _array(x)))


def conj(x: Any) -> Any:
    """The complex conjugate (the array itself for real dtypes).

    Example:
        >>> import gpugrad.numpy as gnp
        >>> gnp.conj(gnp.array([1.0]))
        array([1.], dtype=float32)
    """
    return _real_only("conj", _array(x))


conjugate = conj
