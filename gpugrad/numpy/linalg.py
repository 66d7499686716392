"""``gpugrad.numpy.linalg``: linear algebra, differentiable in both modes to any order.

NumPy's names and signatures, batched over leading dimensions (``(..., m, n)``), on real or
complex floating arrays (integers become the default float). Few primitives carry rules
(``solve``, ``slogdet``, ``cholesky``, ``pinv``, ``eigh``, ``svd``, ``qr``, ``eig``: see
``gpugrad/primitives/linalg*.py``); everything else is composed from them: ``inv`` is
``solve(a, I)``, ``det`` comes from ``slogdet``, ``lstsq`` from ``pinv``, ``norm`` from
elementwise operations, reductions and ``svd``, ``matrix_power`` and ``multi_dot`` from
``matmul``.

Like JAX, ``cholesky``, ``eigh`` and ``eigvalsh`` read ``(a + a^H) / 2`` (so a gradient is
Hermitian); pass ``symmetrize_input=False`` to read one triangle, as NumPy does (the
derivative is then that of the triangle read, matching finite differences of the values;
JAX's differs there).

Complex arrays follow JAX's conventions for values and derivatives (see
``gpugrad/primitives/complex.py``): ``grad`` of a real function of a complex matrix is the
conjugate of ``d/dRe + i d/dIm``; real results (singular values, eigenvalues of Hermitian
matrices, ``logabsdet``, norms) are real arrays; ``slogdet``'s sign is ``det / |det|``.
Singular vectors and eigenvectors of complex matrices are defined up to a phase each, so
only phase-invariant functions of them (``|U|``, ``U diag(s) Vh``) have a well-defined
derivative; the derivative follows JAX's choice of phase.
"""

from __future__ import annotations

from gpugrad.numpy._linalg_composed import lstsq, matrix_power, matrix_rank, multi_dot, norm

# Besides the functions of __all__ (those that NumPy's own linalg functions dispatch to), the
# error class, the result tuples and the operand helpers are attributes of this module.
from gpugrad.numpy._linalg_decompositions import (  # noqa: F401
    EighResult,
    LinAlgError,
    QRResult,
    SlogdetResult,
    SVDResult,
    as_inexact,
    as_matrices,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
)
from gpugrad.numpy._linalg_eig import EigResult, eig, eigvals  # noqa: F401

__all__ = [
    "cholesky",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
]

