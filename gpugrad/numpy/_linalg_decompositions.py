"""The functions of ``gpugrad.numpy.linalg`` that rest on primitives with rules of their own:
``solve`` (and ``inv``), ``slogdet`` (and ``det``), ``cholesky``, ``pinv``, ``eigh``
(``eigvalsh``), ``svd`` and ``qr``; the conventions are those the package's docstring
(``linalg.py``) states. ``_linalg_composed.py`` builds the rest on these.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gpugrad.numpy._shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    getitem,
    squeeze,
)
from gpugrad.numpy._ufuncs import FUNCTIONS
from gpugrad.numpy.operands import inexact_array
from gpugrad.numpy.products import matmul
from gpugrad.primitives import linalg as L
from gpugrad.primitives import linalg_decomp as D
from gpugrad.primitives.complex import real
from gpugrad.primitives.structural import convert

__all__ = [
    "EighResult", "LinAlgError", "QRResult", "SVDResult", "SlogdetResult", "as_inexact",
    "as_matrices", "cholesky", "det", "eigh", "eigvalsh", "inv", "pinv", "qr", "slogdet",
    "solve", "svd",
]

LinAlgError = np.linalg.LinAlgError


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class SlogdetResult(NamedTuple):
    sign: Any
    logabsdet: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


as_inexact = inexact_array  # integers and bools become JAX's float for them


def _real_part(x: Any) -> Any:
    """The real part of a complex primitive output whose values are real (``s``, ``w``)."""
    return real(x) if x.dtype.kind == "c" else x


def as_matrices(a: Any, square: bool = False) -> Any:
    a = as_inexact(a)
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least "
                          "two-dimensional")
    if square and a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")
    return a


def _symmetric(a: Any, symmetrize_input: bool, lower: bool = True) -> Any:
    """The Hermitian (real: symmetric) matrix that ``a`` stands for."""
    if symmetrize_input:
        return (a + L.mH(a)) / 2
    # The one triangle NumPy reads, moved to the lower half, then mirrored; LAPACK reads only
    # the real part of the diagonal, so its imaginary part is dropped.
    low = L.tril(a if lower else L.mH(a))
    strict = L.tril(low, -1)
    diagonal = low - strict
    if diagonal.dtype.kind == "c":
        diagonal = convert(real(diagonal), a.dtype)
    return strict + L.mH(strict) + diagonal


# ---------------------------------------------------------------------------------------
# Solves, inverses and determinants


def solve(a: Any, b: Any) -> Any:
    """Solve ``a @ x = b``; ``b`` is one vector when 1-D, else a stack of matrices (NumPy 2).

    Singular ``a``: NumPy raises ``LinAlgError``; CuPy gives non-finite values.

    Example:
        >>> a = np.array([[3.0, 1.0], [1.0, 2.0]])
        >>> gnp.linalg.solve(a, np.array([9.0, 8.0]))
        array([2., 3.])
        >>> gpugrad.grad(lambda b: gnp.linalg.solve(a, b).sum())(np.array([9.0, 8.0]))
        array([0.2, 0.4])
    """
    a = as_matrices(a, square=True)
    b = as_inexact(b)
    dtype = np.result_type(a.dtype, b.dtype)
    a, b = convert(a, dtype), convert(b, dtype)
    vector = b.ndim == 1
    if vector:
        b = expand_dims(b, -1)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = L.solve(broadcast_to(a, batch + a.shape[-2:]), broadcast_to(b, batch + b.shape[-2:]))
    return squeeze(x, -1) if vector else x


def inv(a: Any) -> Any:
    """The inverse of each square matrix, as ``solve(a, I)``.

    Example:
        >>> gnp.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    return L.inv(as_matrices(a, square=True))


def slogdet(a: Any) -> SlogdetResult:
    """``(sign, logabsdet)`` of each determinant, from one LU factorization.

    ``d logabsdet / da = inv(a).T``; the sign has zero derivative. At a singular matrix
    ``logabsdet`` is ``-inf`` and has no derivative (NumPy raises ``LinAlgError`` there).

    Example:
        >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
        >>> round(float(gnp.linalg.slogdet(a).logabsdet), 6)
        1.609438
        >>> gpugrad.grad(lambda a: gnp.linalg.slogdet(a)[1])(a)
        array([[ 0.6, -0.2],
               [-0.2,  0.4]])
    """
    packed = L.slogdet(as_matrices(a, square=True))
    # getitem, not packed[...]: a NumPy array would give NumPy scalars for one matrix.
    logabsdet = _real_part(getitem(packed, (Ellipsis, 1)))
    return SlogdetResult(getitem(packed, (Ellipsis, 0)), logabsdet)


def det(a: Any) -> Any:
    """The determinant of each square matrix, ``sign * exp(logabsdet)``.

    Its derivative is ``det(a) * inv(a).T``, which needs an invertible ``a``: at a singular
    matrix the value is 0 but the derivative (the adjugate) is not computed (NumPy raises
    ``LinAlgError``).

    Example:
        >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
        >>> round(float(gnp.linalg.det(a)), 6)
        5.0
        >>> gpugrad.grad(gnp.linalg.det)(a).round(6)
        array([[ 3., -1.],
               [-1.,  2.]])

    Complex matrices: the gradient of a real loss follows JAX (``2 |det|^2 inv(a).T`` here).

        >>> c = np.array([[1j, 2.0], [0.0, 1.0 + 1j]])
        >>> g = gpugrad.grad(lambda c: gnp.abs(gnp.linalg.det(c)) ** 2)(c)
        >>> np.allclose(g, 2 * abs(np.linalg.det(c)) ** 2 * np.linalg.inv(c).T)
        True
    """
    sign, logabsdet = slogdet(a)
    # multiply, not `*`: NumPy's 0-d product is a scalar
    return FUNCTIONS["multiply"](sign, FUNCTIONS["exp"](logabsdet))


def cholesky(a: Any, upper: bool = False, *, symmetrize_input: bool = True) -> Any:
    """The Cholesky factor of each Hermitian (real: symmetric) positive-definite matrix:
    lower ``L`` with ``a = L @ L.conj().T`` (or upper ``U = L.conj().T`` with ``upper=True``).

    Reads ``(a + a.conj().T) / 2`` (JAX's default), so its gradient is Hermitian; with
    ``symmetrize_input=False`` it reads the lower triangle, as NumPy does. Not positive
    definite: NumPy raises ``LinAlgError``, CuPy gives NaN.

    Example:
        >>> gnp.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
        array([[2., 0.],
               [1., 2.]])
    """
    factor = L.cholesky(_symmetric(as_matrices(a, square=True), symmetrize_input))
    return L.mH(factor) if upper else factor


def pinv(a: Any, rcond: float | None = None, hermitian: bool = False) -> Any:
    """The Moore-Penrose pseudo-inverse; singular values at most ``rcond * s_max`` (default
    ``1e-15``) count as zero. ``hermitian`` is accepted for NumPy's signature.

    Differentiable where the rank is locally constant (Golub & Pereyra): at a full-rank
    matrix, or along perturbations that keep the rank. Where a singular value crosses the
    cutoff the pseudo-inverse jumps and has no derivative.

    Example:
        >>> gnp.linalg.pinv(np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]))
        array([[1. , 0. , 0. ],
               [0. , 0.5, 0. ]])
    """
    return L.pinv(as_matrices(a), 1e-15 if rcond is None else rcond)


# ---------------------------------------------------------------------------------------
# Decompositions


def eigh(a: Any, UPLO: str = "L", *, symmetrize_input: bool = True) -> EighResult:
    """Eigenvalues (ascending, real) and eigenvectors (columns) of each Hermitian (real:
    symmetric) matrix.

    Reads ``(a + a.conj().T) / 2`` (JAX's default); with ``symmetrize_input=False`` it reads
    the ``UPLO`` triangle, as NumPy does. A complex eigenvector is defined up to a phase: only
    phase-invariant functions of it have a derivative (JAX's: ``V^H V'`` has a zero
    diagonal). Degenerate case: at a repeated eigenvalue the eigenvectors are not unique and
    have no derivative, so every derivative that goes through them is NaN (as in JAX; also
    for basis-independent results such as ``V @ diag(w) @ V.T``); the eigenvalues alone keep
    finite derivatives there.

    Example:
        >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
        >>> gnp.linalg.eigh(a).eigenvalues
        array([1., 3.])
        >>> gpugrad.grad(lambda a: gnp.linalg.eigh(a).eigenvalues[1])(a)
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', got {UPLO!r}")
    a = _symmetric(as_matrices(a, square=True), symmetrize_input, lower=UPLO == "L")
    w, v = D.unpack_eigh(D.eigh(a))
    return EighResult(_real_part(w), v)


def eigvalsh(a: Any, UPLO: str = "L", *, symmetrize_input: bool = True) -> Any:
    """Eigenvalues (ascending) of each symmetric matrix; see ``eigh``. Differentiable also
    at repeated eigenvalues (one-sided there, as any sorted spectrum).

    Example:
        >>> gnp.linalg.eigvalsh(np.array([[2.0, 0.0], [0.0, 1.0]]))
        array([1., 2.])
    """
    return eigh(a, UPLO, symmetrize_input=symmetrize_input).eigenvalues


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
        ) -> Any:
    """Singular value decomposition ``a = U @ diag(S) @ Vh``, singular values descending.

    Differentiable for ``full_matrices=False`` (or square ``a``); the extra columns of a full
    ``U``/``Vh`` of a non-square matrix are arbitrary, so differentiating them raises
    ``NotImplementedError`` (as JAX). ``hermitian`` is accepted for NumPy's signature.
    Degenerate cases: at repeated singular values, or a zero one of a non-square matrix
    (rank deficiency), the singular vectors are not unique and derivatives through them are
    NaN (as in JAX); ``S`` alone keeps finite derivatives (at 0 it has a kink, like ``abs``).

    Example:
        >>> a = np.array([[3.0, 0.0], [0.0, 4.0]])
        >>> gnp.linalg.svd(a, compute_uv=False)
        array([4., 3.])
        >>> gpugrad.grad(lambda a: gnp.linalg.svd(a, compute_uv=False)[0])(a)
        array([[0., 0.],
               [0., 1.]])
    """
    a = as_matrices(a)
    m, n = a.shape[-2:]
    if compute_uv and full_matrices and m != n:
        u, s, vh = D.svd_full(a)  # no derivative: its rules raise
        return SVDResult(u, _real_part(s), vh)
    u, s, v = D.unpack_svd(D.svd(a), m)
    s = _real_part(s)
    return SVDResult(u, s, L.mH(v)) if compute_uv else s


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition ``a = Q @ R`` (``mode`` ``'reduced'``, ``'complete'`` or ``'r'``).

    A wide ``a = [X, Y]`` is factored as ``X = Q R_X``, ``R = [R_X, Q.T @ Y]``. The derivative
    needs a full-rank leading square block (``R`` invertible); the extra columns of a
    ``'complete'`` ``Q`` of a tall matrix are arbitrary, so differentiating them raises
    ``NotImplementedError`` (as JAX).

    Example:
        >>> q, r = gnp.linalg.qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
        >>> (q @ r).round(6)
        array([[3., 1.],
               [4., 2.]])
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = as_matrices(a)
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        return QRResult(*D.qr_complete(a))  # no derivative: its rules raise
    if m >= n:
        q, r = D.unpack_qr(D.qr(a), m)
    else:
        q, r_square = D.unpack_qr(D.qr(a[..., :m]), m)
        r = concatenate([r_square, matmul(L.mH(q), a[..., m:])], axis=-1)
    return r if mode == "r" else QRResult(q, r)
