"""Decomposition primitives: ``eigh``, ``svd`` (reduced) and ``qr`` (reduced, ``m >= n``).

The engine's primitives have one output, so each decomposition returns its factors packed
into one array along the second-to-last axis, and the public functions of
``gpugrad.numpy.linalg`` slice them apart (slicing is differentiable, so a cotangent that
reaches only some factors arrives here as zeros for the others):

* ``eigh``: ``(..., 1 + n, n)`` = ``[w; V]`` (eigenvalues as a row, then the eigenvectors);
* ``svd``:  ``(..., m + 1 + n, k)`` = ``[U; s; V]`` with ``V = Vh^T`` and ``k = min(m, n)``;
* ``qr``:   ``(..., m + n, n)`` = ``[Q; R^T]``.

The rules are the standard results for real matrices: eigh (Giles 2008), SVD (Townsend 2016,
as in JAX), QR (Walter & Lehmann 2018). Each VJP is the exact adjoint of its JVP, written in
gpugrad's operations so that higher derivatives work.

Degenerate spectra: the derivatives of eigenvectors (singular vectors) divide by gaps
``w_j - w_i`` (``s_j^2 - s_i^2``, and by ``s_i`` for the extra rows of a non-square matrix).
Where a divisor is exactly zero the vectors have no derivative: terms that need it are NaN,
as in JAX, while terms multiplied by an exactly zero tangent or cotangent are 0
(``divide_defined``), so functions of the eigenvalues (singular values) alone keep finite
derivatives at repeated values. Near-degenerate gaps give large derivatives, as they should.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.linalg import (
    diag_embed,
    diagonal,
    divide_by_gaps,
    divide_defined,
    matmul,
    mT,
    solve,
    tril,
)

__all__ = ["eigh", "qr", "svd", "unpack_eigh", "unpack_qr", "unpack_svd"]


def _concat(parts: list[Any]) -> Any:
    import gpugrad.numpy as gnp

    return gnp.concatenate(parts, axis=-2)


# ---------------------------------------------------------------------------------------
# eigh(A) for a symmetric A = V diag(w) V^T (the public function symmetrizes its input).
# With M = V^T A' V and F the reciprocal gaps:
#   JVP:  w' = diag(M),  V' = V (F o M)
#   VJP:  ct_A = V (diag(ct_w) + F o (V^T ct_V)) V^T

eigh_p = Primitive("eigh")


def _eigh_impl(a: Any) -> Any:
    xp = namespace_of(a)
    w, v = xp.linalg.eigh(a)
    return xp.concatenate([w[..., None, :], v], axis=-2)


def unpack_eigh(packed: Any) -> tuple[Any, Any]:
    return packed[..., 0, :], packed[..., 1:, :]


def _eigh_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    import gpugrad.numpy as gnp

    (a,), (ta,) = primals, tangents
    out = eigh(a)
    w, v = unpack_eigh(out)
    m = matmul(matmul(mT(v), ta), v)
    w_dot = diagonal(m)
    v_dot = matmul(v, divide_by_gaps(m, w))
    return out, _concat([gnp.expand_dims(w_dot, -2), v_dot])


def _eigh_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    w, v = unpack_eigh(out)
    ct_w, ct_v = unpack_eigh(ct)
    inner = diag_embed(ct_w) + divide_by_gaps(matmul(mT(v), ct_v), w)
    return [matmul(matmul(v, inner), mT(v))]


eigh_p.impl = _eigh_impl
eigh_p.jvp = _eigh_jvp
eigh_p.vjp = _eigh_vjp


def eigh(a: Any) -> Any:
    return bind(eigh_p, a)


# ---------------------------------------------------------------------------------------
# svd(A) = U diag(s) V^T, reduced (U: m x k, V: n x k). With dP = U^T A' V,
# F[i, j] = 1 / (s_j^2 - s_i^2) and S = diag(s):
#   JVP:  s' = diag(dP)
#         U' = U (F o (dP S + S dP^T)) + (I - U U^T) A' V S^{-1}      (2nd term if m > k)
#         V' = V (F o (S dP + dP^T S)) + (I - V V^T) A'^T U S^{-1}    (2nd term if n > k)
#   VJP:  with G = U^T ct_U, H = V^T ct_V,
#         ct_A = U (diag(ct_s) + (F o (G - G^T)) S + S (F o (H - H^T))) V^T
#              + (I - U U^T) ct_U S^{-1} V^T + U S^{-1} ct_V^T (I - V V^T)
# Rank deficiency (a zero s_i) or repeated values: the singular vectors there are not unique
# and have no derivative (NaN where used, see divide_defined); s stays differentiable where
# its values are nonzero (at 0 it has a kink, like abs).

svd_p = Primitive("svd")


def _svd_impl(a: Any) -> Any:
    xp = namespace_of(a)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    return xp.concatenate([u, s[..., None, :], xp.swapaxes(vh, -1, -2)], axis=-2)


def unpack_svd(packed: Any, m: int) -> tuple[Any, Any, Any]:
    """``(U, s, V)`` from the packed output of an ``m``-row input."""
    return packed[..., :m, :], packed[..., m, :], packed[..., m + 1 :, :]


def _svd_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    import gpugrad.numpy as gnp

    (a,), (ta,) = primals, tangents
    m, n = a.shape[-2:]
    out = svd(a)
    u, s, v = unpack_svd(out, m)
    ta_v = matmul(ta, v)
    dp = matmul(mT(u), ta_v)
    s_row, s_col = gnp.expand_dims(s, -2), gnp.expand_dims(s, -1)
    dp_s = dp * s_row  # dP S
    s_dp = s_col * dp  # S dP
    u_dot = matmul(u, divide_by_gaps(dp_s + mT(dp_s), s * s))
    v_dot = matmul(v, divide_by_gaps(s_dp + mT(s_dp), s * s))
    if m > n:
        u_dot = u_dot + divide_defined(ta_v - matmul(u, dp), s_row)
    if n > m:
        v_dot = v_dot + divide_defined(matmul(mT(ta), u) - matmul(v, mT(dp)), s_row)
    return out, _concat([u_dot, gnp.expand_dims(diagonal(dp), -2), v_dot])


def _svd_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    import gpugrad.numpy as gnp

    (a,) = primals
    m, n = a.shape[-2:]
    u, s, v = unpack_svd(out, m)
    ct_u, ct_s, ct_v = unpack_svd(ct, m)
    g = matmul(mT(u), ct_u)
    h = matmul(mT(v), ct_v)
    s_row, s_col = gnp.expand_dims(s, -2), gnp.expand_dims(s, -1)
    core = (diag_embed(ct_s) + divide_by_gaps(g - mT(g), s * s) * s_row
            + s_col * divide_by_gaps(h - mT(h), s * s))
    ct_a = matmul(matmul(u, core), mT(v))
    if m > n:
        ct_a = ct_a + matmul(divide_defined(ct_u - matmul(u, g), s_row), mT(v))
    if n > m:
        ct_a = ct_a + matmul(u, mT(divide_defined(ct_v - matmul(v, h), s_row)))
    return [ct_a]


svd_p.impl = _svd_impl
svd_p.jvp = _svd_jvp
svd_p.vjp = _svd_vjp


def svd(a: Any) -> Any:
    return bind(svd_p, a)


# ---------------------------------------------------------------------------------------
# qr(A) = Q R, reduced, for m >= n (the public function reduces a wide A to a square one).
# With B = A' R^{-1}, C = Q^T B and Omega = tril(C, -1) - tril(C, -1)^T (skew-symmetric):
#   JVP:  Q' = Q (Omega - C) + B,   R' = (C - Omega) R
#   VJP:  with M = Q^T ct_Q - ct_R R^T:
#         ct_C = tril(M - M^T, -1) - M,  ct_A = (ct_Q + Q ct_C) R^{-T}
# A rank-deficient A has a singular R: Q is then not unique and has no derivative (NumPy
# raises LinAlgError from the solve).

qr_p = Primitive("qr")


def _qr_impl(a: Any) -> Any:
    xp = namespace_of(a)
    if xp is not np and a.ndim > 2:
        # cupy.linalg.qr (up to CuPy 13) takes one matrix: factor a stack one by one.
        flat = a.reshape((-1,) + a.shape[-2:])
        return xp.stack([_qr_impl(m) for m in flat]).reshape(a.shape[:-2] + (-1, a.shape[-1]))
    q, r = xp.linalg.qr(a)
    return xp.concatenate([q, xp.swapaxes(r, -1, -2)], axis=-2)


def unpack_qr(packed: Any, m: int) -> tuple[Any, Any]:
    """``(Q, R)`` from the packed output of an ``m``-row input."""
    return packed[..., :m, :], mT(packed[..., m:, :])


def _right_solve(b: Any, r: Any) -> Any:
    """``B R^{-1}``, as ``(R^{-T} B^T)^T``."""
    return mT(solve(mT(r), mT(b)))


def _qr_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    out = qr(a)
    q, r = unpack_qr(out, a.shape[-2])
    b = _right_solve(ta, r)
    c = matmul(mT(q), b)
    low = tril(c, -1)
    omega = low - mT(low)
    q_dot = matmul(q, omega - c) + b
    r_dot = matmul(c - omega, r)
    return out, _concat([q_dot, mT(r_dot)])


def _qr_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (a,) = primals
    q, r = unpack_qr(out, a.shape[-2])
    ct_q, ct_r = unpack_qr(ct, a.shape[-2])
    m = matmul(mT(q), ct_q) - matmul(ct_r, mT(r))
    ct_c = tril(m - mT(m), -1) - m
    ct_b = ct_q + matmul(q, ct_c)
    return [mT(solve(r, mT(ct_b)))]  # ct_B R^{-T} = (R^{-1} ct_B^T)^T


qr_p.impl = _qr_impl
qr_p.jvp = _qr_jvp
qr_p.vjp = _qr_vjp


def qr(a: Any) -> Any:
    return bind(qr_p, a)
