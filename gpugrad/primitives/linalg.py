"""Linear-algebra primitives built on LU and Cholesky: ``solve``, ``slogdet``, ``cholesky``
and ``pinv`` (the decompositions ``eigh``, ``svd`` and ``qr`` are in ``linalg_decomp.py``).

Each primitive evaluates with ``numpy.linalg`` or ``cupy.linalg`` (the backend of its
arguments) on stacks of matrices ``(..., m, n)``, and its JVP and VJP rules are the standard
matrix results (Giles 2008, "Collected matrix derivative results"; Murray 2016 for the
Cholesky factor; Golub & Pereyra 1973 for the pseudo-inverse). Every VJP here is the exact
adjoint of its JVP, and both are written in gpugrad's own operations, calling the primitives
themselves (``solve`` inside the rule of ``solve``), so derivatives of every order work.

Inverses are never formed where a solve does: ``A^{-1} B`` is ``solve(A, B)`` and
``B A^{-1}`` is ``solve(A^T, B^T)^T``. Only the matrix dimensions are handled here; the
public functions in ``gpugrad.numpy.linalg`` broadcast the batch dimensions first.
"""

from __future__ import annotations

from typing import Any

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind, raw_value

__all__ = [
    "cholesky",
    "diag_embed",
    "diagonal",
    "eye_like",
    "inv",
    "matmul",
    "mT",
    "pinv",
    "divide_by_gaps",
    "divide_defined",
    "slogdet",
    "solve",
    "tril",
]


# ---------------------------------------------------------------------------------------
# Helpers shared by the rules (also used by linalg_decomp.py). They take tracers or arrays.
# gpugrad.numpy is imported lazily: it imports this module while it is being initialised.


def matmul(a: Any, b: Any) -> Any:
    import gpugrad.numpy as gnp

    return gnp.matmul(a, b)


def mT(x: Any) -> Any:
    """The matrix transpose of a stack of matrices (swap the last two axes)."""
    import gpugrad.numpy as gnp

    return gnp.swapaxes(x, -1, -2)


def eye_like(x: Any, n: int | None = None) -> Any:
    """A concrete identity on ``x``'s backend with its dtype (a constant, no derivative)."""
    raw = raw_value(x)
    return namespace_of(raw).eye(raw.shape[-1] if n is None else n, dtype=raw.dtype)


def _mask(x: Any, k: int, diagonal_weight: float | None = None) -> Any:
    """Concrete lower-triangular 0/1 mask below the ``k``-th diagonal (``x``'s last 2 dims)."""
    raw = raw_value(x)
    xp = namespace_of(raw)
    mask = xp.tril(xp.ones(raw.shape[-2:], dtype=raw.dtype), k)
    if diagonal_weight is not None:
        mask = mask + diagonal_weight * xp.eye(*raw.shape[-2:], dtype=raw.dtype)
    return mask


def tril(x: Any, k: int = 0) -> Any:
    """The lower triangle of each matrix, as a product with a constant mask (linear)."""
    return x * _mask(x, k)


def diagonal(x: Any) -> Any:
    """The main diagonal of each square matrix, ``(..., n, n) -> (..., n)``."""
    import gpugrad.numpy as gnp

    return gnp.sum(x * eye_like(x), axis=-1)


def diag_embed(v: Any) -> Any:
    """Diagonal matrices with ``v`` on the diagonal, ``(..., n) -> (..., n, n)``."""
    import gpugrad.numpy as gnp

    return gnp.expand_dims(v, -2) * eye_like(v)


def divide_defined(x: Any, d: Any) -> Any:
    """``x / d`` (broadcasting), where a zero divisor means "undefined": the result is 0 where
    ``x == 0`` and NaN where ``x != 0``.

    Decomposition rules divide by gaps between eigenvalues (or by singular values). Where a
    gap is exactly zero (a repeated eigenvalue) the eigenvectors have no derivative, so any
    quantity built from their derivative is NaN, as in JAX; but a function of the
    eigenvalues alone sends an exactly zero cotangent (or tangent) there, and its derivative
    stays finite. The inner ``where`` keeps the derivative of ``x / d`` finite where ``d`` is
    0 (JAX's NaN trap); the NaN mask is a constant, computed from the values.
    """
    import gpugrad.numpy as gnp

    quotient = x / gnp.where(gnp.equal(d, 0), 1.0, d)
    raw_x, raw_d = raw_value(x), raw_value(d)
    xp = namespace_of(raw_x, raw_d)
    undefined = (raw_d == 0) & (raw_x != 0)
    return quotient + xp.where(undefined, xp.nan, 0.0).astype(raw_x.dtype)


def divide_by_gaps(x: Any, w: Any) -> Any:
    """``F o x`` with ``F[..., i, j] = 1 / (w_j - w_i)`` off the diagonal and 0 on it, where
    a zero gap is undefined (see ``divide_defined``)."""
    import gpugrad.numpy as gnp

    eye = eye_like(x)
    gaps = gnp.expand_dims(w, -2) - gnp.expand_dims(w, -1) + eye  # 1 on the diagonal
    return divide_defined(x * (1 - eye), gaps)


def inv(a: Any) -> Any:
    """The inverse of each matrix, as ``solve(a, I)``."""
    import gpugrad.numpy as gnp

    return solve(a, gnp.broadcast_to(eye_like(a), a.shape))


# ---------------------------------------------------------------------------------------
# solve(A, B) = A^{-1} B, for A (..., n, n) and B (..., n, k) with the same batch shape.
#   JVP:  X' = A^{-1} (B' - A' X)
#   VJP:  ct_B = A^{-T} ct_X,  ct_A = -ct_B X^T
# Singular A: NumPy raises LinAlgError (in the value and in every derivative); CuPy
# returns non-finite values.

solve_p = Primitive("solve")
solve_p.impl = lambda a, b: namespace_of(a, b).linalg.solve(a, b)


def _solve_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    a, b = primals
    ta, tb = tangents
    x = solve(a, b)
    rhs = tb
    if ta is not None:
        rhs = -matmul(ta, x) if rhs is None else rhs - matmul(ta, x)
    return x, solve(a, rhs)


def _solve_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    a, _ = primals
    ct_b = solve(mT(a), ct)
    ct_a = -matmul(ct_b, mT(out)) if wanted[0] else None
    return [ct_a, ct_b if wanted[1] else None]


solve_p.jvp = _solve_jvp
solve_p.vjp = _solve_vjp


def solve(a: Any, b: Any) -> Any:
    return bind(solve_p, a, b)


# ---------------------------------------------------------------------------------------
# slogdet(A): one LU gives both parts, packed as (..., 2) = [sign, log|det A|] so that the
# primitive has one output. The sign is piecewise constant (zero derivative);
#   d log|det A| = tr(A^{-1} A'),   ct_A = ct * A^{-T}.
# At a singular A, log|det A| = -inf and its derivative (A^{-T}) does not exist.

slogdet_p = Primitive("slogdet")


def _slogdet_impl(a: Any) -> Any:
    xp = namespace_of(a)
    sign, logabsdet = xp.linalg.slogdet(a)
    return xp.stack([xp.asarray(sign), xp.asarray(logabsdet)], axis=-1)


def _slogdet_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    import gpugrad.numpy as gnp

    (a,), (ta,) = primals, tangents
    d_logabsdet = diagonal(solve(a, ta)).sum(axis=-1)
    return slogdet(a), gnp.stack([gnp.zeros_like(d_logabsdet), d_logabsdet], axis=-1)


def _slogdet_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (a,) = primals
    ct_logabsdet = ct[..., 1]
    return [ct_logabsdet[..., None, None] * mT(inv(a))]


slogdet_p.impl = _slogdet_impl
slogdet_p.jvp = _slogdet_jvp
slogdet_p.vjp = _slogdet_vjp


def slogdet(a: Any) -> Any:
    """``(..., 2)``: the sign and the log of the absolute value of each determinant."""
    return bind(slogdet_p, a)


# ---------------------------------------------------------------------------------------
# cholesky(A) = L, lower triangular with A = L L^T, for a symmetric positive-definite A
# (the public function symmetrizes its input first). Murray 2016, with
# Phi(X) = tril(X, -1) + diag(X) / 2:
#   JVP:  L' = L Phi(L^{-1} A' L^{-T})
#   VJP:  ct_A = L^{-T} Phi(L^T ct_L) L^{-1}     (the exact adjoint, not symmetrized: the
#         symmetrization in the public function contributes its own transpose)
# Not positive definite: NumPy raises LinAlgError; CuPy returns NaN.

cholesky_p = Primitive("cholesky")
cholesky_p.impl = lambda a: namespace_of(a).linalg.cholesky(a)


def _phi(x: Any) -> Any:
    return x * _mask(x, -1, diagonal_weight=0.5)


def _cholesky_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    factor = cholesky(a)
    # L^{-1} A' L^{-T} as two solves: X = L^{-1} A', then (L^{-1} X^T)^T.
    x = solve(factor, ta)
    middle = mT(solve(factor, mT(x)))
    return factor, matmul(factor, _phi(middle))


def _cholesky_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    factor_t = mT(out)
    p = _phi(matmul(factor_t, ct))
    z = solve(factor_t, p)  # L^{-T} P
    return [mT(solve(factor_t, mT(z)))]  # (L^{-T} Z^T)^T = Z L^{-1}


cholesky_p.jvp = _cholesky_jvp
cholesky_p.vjp = _cholesky_vjp


def cholesky(a: Any) -> Any:
    return bind(cholesky_p, a)


# ---------------------------------------------------------------------------------------
# pinv(A) = P, the Moore-Penrose pseudo-inverse (singular values below rcond * s_max are
# treated as zero). Where the rank is locally constant (Golub & Pereyra 1973):
#   JVP:  P' = -P A' P + P P^T A'^T (I - A P) + (I - P A) A'^T P^T P
#   VJP:  ct_A = -P^T ct P^T + (I - A P) ct^T P P^T + P^T P ct^T (I - P A)
# The VJP is the adjoint of the JVP term by term. Where the rank changes (a singular value
# crossing the cutoff) the pseudo-inverse is discontinuous and has no derivative.

pinv_p = Primitive("pinv")
pinv_p.impl = lambda a, rcond: namespace_of(a).linalg.pinv(a, rcond)


def _pinv_jvp(primals: list[Any], tangents: list[Any], rcond: float) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    p = pinv(a, rcond)
    ta_t = mT(ta)
    term1 = -matmul(matmul(p, ta), p)
    term2 = matmul(matmul(p, mT(p)), ta_t - matmul(matmul(ta_t, a), p))
    term3 = matmul(ta_t - matmul(matmul(p, a), ta_t), matmul(mT(p), p))
    return p, term1 + term2 + term3


def _pinv_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], rcond: float
              ) -> list[Any]:
    (a,) = primals
    p, p_t, ct_t = out, mT(out), mT(ct)
    term1 = -matmul(matmul(p_t, ct), p_t)
    term2 = matmul(ct_t - matmul(matmul(a, p), ct_t), matmul(p, p_t))
    term3 = matmul(matmul(p_t, p), ct_t - matmul(matmul(ct_t, p), a))
    return [term1 + term2 + term3]


pinv_p.jvp = _pinv_jvp
pinv_p.vjp = _pinv_vjp


def pinv(a: Any, rcond: float) -> Any:
    return bind(pinv_p, a, rcond=float(rcond))
