"""``eig`` and ``eigvals`` of general square matrices (re-exported by ``gpugrad.numpy.linalg``).

The rules are in ``gpugrad/primitives/linalg_eig.py``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Tracer
from gpugrad.numpy.operands import inexact_array
from gpugrad.primitives import linalg_eig as E
from gpugrad.primitives.complex import complex_dtype

__all__ = ["EigResult", "eig", "eigvals"]


class EigResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


def _square(a: Any) -> Any:
    a = inexact_array(a)
    if a.ndim < 2:
        raise np.linalg.LinAlgError(f"{a.ndim}-dimensional array given. Array must be at "
                                    "least two-dimensional")
    if a.shape[-1] != a.shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    return a


def eig(a: Any) -> EigResult:
    """Eigenvalues ``w`` and right eigenvectors ``v`` (columns, ``a @ v = v * w``) of each
    square matrix, real or complex, batched over leading dimensions.

    Both are always complex, as in JAX (complex64 for float32 input, complex128 for float64;
    NumPy returns real arrays when every eigenvalue is real); the values are NumPy's, in
    LAPACK's order. Each eigenvector has unit norm and a real largest-magnitude component
    (LAPACK's normalization), and its derivative is taken under that normalization (as JAX's
    ``eig`` with ``enable_eigvec_derivs=True``).

    Degenerate cases: the derivatives need distinct eigenvalues and an invertible ``v``. At a
    repeated eigenvalue every derivative that goes through the eigenvectors is NaN (it grows
    without bound as two eigenvalues approach each other), while functions of the
    eigenvalues alone stay finite; a defective matrix (no eigenvector basis) has no
    derivative, and what is computed there is meaningless (as in JAX). Two components of an
    eigenvector tied for the largest magnitude make the normalization, hence ``v``,
    discontinuous there.

    Example:
        >>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
        >>> w, v = gnp.linalg.eig(a)
        >>> w
        array([2.+0.j, 3.+0.j])
        >>> np.allclose(a @ v, v * w)
        True
        >>> gpugrad.grad(lambda a: gnp.real(gnp.linalg.eig(a).eigenvalues[1]))(a)
        array([[0., 0.],
               [1., 1.]])
    """
    w, v = E.unpack_eig(E.eig(_square(a)))
    return EigResult(w, v)


def eigvals(a: Any) -> Any:
    """The eigenvalues of each square matrix (complex, as ``eig``; see there).

    Untraced, this calls ``eigvals`` of NumPy/CuPy (no eigenvectors); under a
    transformation it is ``eig(a).eigenvalues``, whose derivative needs the eigenvectors:
    ``dw = diag(v^{-1} da v)``, finite for distinct eigenvalues (and wherever ``v`` is
    invertible).

    Example:
        >>> a = np.array([[0.0, -1.0], [1.0, 0.0]])
        >>> gnp.linalg.eigvals(a)
        array([0.+1.j, 0.-1.j])
        >>> gpugrad.grad(lambda a: gnp.sum(gnp.imag(gnp.linalg.eigvals(a)) ** 2))(a)
        array([[ 0., -2.],
               [ 2.,  0.]])
    """
    a = _square(a)
    if isinstance(a, Tracer):
        return eig(a).eigenvalues
    xp = namespace_of(a)  # a concrete array here: no derivative is wanted, eigvals suffices
    if xp is not np and not hasattr(xp.linalg, "eigvals"):
        return eig(a).eigenvalues
    return xp.linalg.eigvals(a).astype(complex_dtype(a.dtype))
