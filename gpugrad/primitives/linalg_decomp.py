"""Decomposition primitives: ``eigh``, ``svd`` (reduced) and ``qr`` (reduced, ``m >= n``).

The engine's primitives have one output, so each decomposition returns its factors packed
into one array along the second-to-last axis, and the public functions of
``gpugrad.numpy.linalg`` slice them apart (slicing is differentiable, so a cotangent that
reaches only some factors arrives here as zeros for the others):

* ``eigh``: ``(..., 1 + n, n)`` = ``[w; V]`` (eigenvalues as a row, then the eigenvectors);
* ``svd``:  ``(..., m + 1 + n, k)`` = ``[U; s; V]`` with ``V = Vh^H`` and ``k = min(m, n)``;
* ``qr``:   ``(..., m + n, n)`` = ``[Q; R^T]``.

A complex input gives a complex packed array; the real factors (``w``, ``s``) sit in it with
a zero imaginary part, their tangents are real, and their cotangents are read through
``real`` (the public functions take ``real`` of them).

The rules are the standard results: eigh (Giles 2008), SVD (Townsend 2016, as in JAX), QR
(Walter & Lehmann 2018), written for complex matrices (conjugate transposes ``mH``; the
transpose for real ones), with JAX's choice of gauge: the eigenvectors' derivative has no
component along themselves (``diag(V^H V') = 0``), the SVD puts the phase term
``i Im(diag(U^H A' V)) / s`` into ``U'``, and ``diag(R)`` stays real in QR. Each VJP is the
exact adjoint of its JVP in JAX's convention (``adjoint_vjp`` in ``linalg.py``), written in
gpugrad's operations so that higher derivatives work.

Degenerate spectra: the derivatives of eigenvectors (singular vectors) divide by gaps
``w_j - w_i`` (``s_j^2 - s_i^2``, and by ``s_i`` for the extra rows of a non-square matrix).
Where a divisor is exactly zero the vectors have no derivative: terms that need it are NaN,
as in JAX, while terms multiplied by an exactly zero tangent or cotangent are 0
(``divide_defined``), so functions of the eigenvalues (singular values) alone keep finite
derivatives at repeated values. Near-degenerate gaps give large derivatives, as they should.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.complex import real_part
from gpugrad.primitives.linalg import (
    adjoint_vjp,
    diag_embed,
    diagonal,
    divide_by_gaps,
    divide_defined,
    is_complex,
    matmul,
    matrix_batch,
    mH,
    mT,
    solve,
    tril,
)
from gpugrad.primitives.operations import concatenate, equal, expand_dims, where
from gpugrad.primitives.shape_rules import matrix_result
from gpugrad.primitives.structural import convert

__all__ = ["eigh", "qr", "qr_complete", "svd", "svd_full", "unpack_eigh", "unpack_qr", "unpack_svd"]


def _concat(parts: list[Any]) -> Any:
    return concatenate(parts, axis=-2)


def _real_row(x: Any, dtype: Any) -> Any:
    """The real part of ``x`` (a tangent of real factors) as a row in the packed ``dtype``."""
    return expand_dims(convert(real_part(x), dtype), -2)


def _imag_diagonal(x: Any) -> Any:
    """``i Im(diag(x))`` as a diagonal matrix (the projection that is its own adjoint)."""
    d = diagonal(x)
    return diag_embed(d - convert(real_part(d), d.dtype))


def _define_factorization(prim: Primitive, impl: Any, jvp: Any, adjoint: Any,
                          factors: Callable[[int, int], tuple[int, ...]]) -> None:
    """The rules of a differentiable decomposition: ``impl`` packs its factors into one array
    of ``factors(m, n)`` trailing axes, the VJP is the JVP's ``adjoint`` (conjugated as JAX
    does), and vmap batches it as a matrix primitive."""
    prim.define_rules(impl=impl, abstract_eval=matrix_result(factors), jvp=jvp,
                      vjp=adjoint_vjp(adjoint), batch=matrix_batch(prim))


# ---------------------------------------------------------------------------------------
# eigh(A) for a Hermitian A = V diag(w) V^H (the public function symmetrizes its input).
# With M = V^H A' V and F the reciprocal gaps:
#   JVP:      w' = Re diag(M),  V' = V (F o M)
#   adjoint:  ct_A = V (diag(Re ct_w) + F o (V^H ct_V)) V^H

eigh_p = Primitive("eigh")


def _eigh_impl(a: Any) -> Any:
    xp = namespace_of(a)
    w, v = xp.linalg.eigh(a)
    return xp.concatenate([w.astype(v.dtype)[..., None, :], v], axis=-2)


def unpack_eigh(packed: Any) -> tuple[Any, Any]:
    """``(w, V)``; ``w`` has ``V``'s dtype (real values in a complex array for complex input)."""
    return packed[..., 0, :], packed[..., 1:, :]


def _eigh_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    out = eigh(a)
    w, v = unpack_eigh(out)
    m = matmul(matmul(mH(v), ta), v)
    v_dot = matmul(v, divide_by_gaps(m, real_part(w)))
    return out, _concat([_real_row(diagonal(m), a.dtype), v_dot])


def _eigh_adjoint(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    w, v = unpack_eigh(out)
    ct_w, ct_v = unpack_eigh(ct)
    inner = diag_embed(real_part(ct_w)) + divide_by_gaps(matmul(mH(v), ct_v), real_part(w))
    return [matmul(matmul(v, inner), mH(v))]


# Packed as [w; V].
_define_factorization(eigh_p, _eigh_impl, _eigh_jvp, _eigh_adjoint, lambda m, n: (n + 1, n))


def eigh(a: Any) -> Any:
    return bind(eigh_p, a)


# ---------------------------------------------------------------------------------------
# svd(A) = U diag(s) V^H, reduced (U: m x k, V: n x k). With dP = U^H A' V,
# F[i, j] = 1 / (s_j^2 - s_i^2) and S = diag(s):
#   JVP:  s' = Re diag(dP)
#         U' = U (F o (dP S + S dP^H) + i Im(diag(dP)) S^{-1}) + (I - U U^H) A' V S^{-1}
#         V' = V (F o (S dP + dP^H S)) + (I - V V^H) A'^H U S^{-1}
#         (the second terms only if m > k, resp. n > k; the phase term only if complex)
#   adjoint:  with G = U^H ct_U, H = V^H ct_V,
#         ct_A = U (diag(Re ct_s) + (F o (G - G^H)) S + S (F o (H - H^H))
#                   + i Im(diag(G)) S^{-1}) V^H
#              + (I - U U^H) ct_U S^{-1} V^H + U S^{-1} ct_V^H (I - V V^H)
# Rank deficiency (a zero s_i) or repeated values: the singular vectors there are not unique
# and have no derivative (NaN where used, see divide_defined); s stays differentiable where
# its values are nonzero (at 0 it has a kink, like abs). The phase term is 0 at s_i = 0,
# as in JAX.

svd_p = Primitive("svd")


def _svd_impl(a: Any) -> Any:
    xp = namespace_of(a)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    v = xp.conj(xp.swapaxes(vh, -1, -2))
    return xp.concatenate([u, s.astype(u.dtype)[..., None, :], v], axis=-2)


def unpack_svd(packed: Any, m: int) -> tuple[Any, Any, Any]:
    """``(U, s, V)`` from the packed output of an ``m``-row input (``s`` in its dtype)."""
    return packed[..., :m, :], packed[..., m, :], packed[..., m + 1 :, :]


def _phase_term(x: Any, s: Any) -> Any:
    """``i Im(diag(x)) S^{-1}``, 0 where ``s_i = 0`` (JAX's choice of phase for ``U``)."""
    zero = equal(s, 0)
    inverse = where(zero, 0.0, 1 / where(zero, 1.0, s))
    return _imag_diagonal(x) * convert(expand_dims(inverse, -2), x.dtype)


def _svd_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    m, n = a.shape[-2:]
    out = svd(a)
    u, s, v = unpack_svd(out, m)
    s = real_part(s)
    ta_v = matmul(ta, v)
    dp = matmul(mH(u), ta_v)
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
    dp_s = dp * s_row  # dP S
    s_dp = s_col * dp  # S dP
    u_inner = divide_by_gaps(dp_s + mH(dp_s), s * s)
    if is_complex(a):
        u_inner = u_inner + _phase_term(dp, s)
    u_dot = matmul(u, u_inner)
    v_dot = matmul(v, divide_by_gaps(s_dp + mH(s_dp), s * s))
    if m > n:
        u_dot = u_dot + divide_defined(ta_v - matmul(u, dp), s_row)
    if n > m:
        v_dot = v_dot + divide_defined(matmul(mH(ta), u) - matmul(v, mH(dp)), s_row)
    return out, _concat([u_dot, _real_row(diagonal(dp), a.dtype), v_dot])


def _svd_adjoint(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (a,) = primals
    m, n = a.shape[-2:]
    u, s, v = unpack_svd(out, m)
    s = real_part(s)
    ct_u, ct_s, ct_v = unpack_svd(ct, m)
    g = matmul(mH(u), ct_u)
    h = matmul(mH(v), ct_v)
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
    core = (diag_embed(real_part(ct_s)) + divide_by_gaps(g - mH(g), s * s) * s_row
            + s_col * divide_by_gaps(h - mH(h), s * s))
    if is_complex(a):
        core = core + _phase_term(g, s)
    ct_a = matmul(matmul(u, core), mH(v))
    if m > n:
        ct_a = ct_a + matmul(divide_defined(ct_u - matmul(u, g), s_row), mH(v))
    if n > m:
        ct_a = ct_a + matmul(u, mH(divide_defined(ct_v - matmul(v, h), s_row)))
    return [ct_a]


# Packed as [U; s; V].
_define_factorization(svd_p, _svd_impl, _svd_jvp, _svd_adjoint,
                      lambda m, n: (m + 1 + n, min(m, n)))


def svd(a: Any) -> Any:
    return bind(svd_p, a)


# ---------------------------------------------------------------------------------------
# qr(A) = Q R, reduced, for m >= n (the public function reduces a wide A to a square one).
# With B = A' R^{-1}, C = Q^H B and Omega = tril(C, -1) - tril(C, -1)^H + i Im(diag(C))
# (skew-Hermitian; the diagonal term, 0 for real A, keeps diag(R) real as LAPACK's is):
#   JVP:      Q' = Q (Omega - C) + B,   R' = (C - Omega) R
#   adjoint:  with M = Q^H ct_Q - ct_R R^H:
#             ct_C = tril(M - M^H, -1) + i Im(diag(M)) - M,  ct_A = (ct_Q + Q ct_C) R^{-H}
# A rank-deficient A has a singular R: Q is then not unique and has no derivative (NumPy
# raises LinAlgError from the solve).

qr_p = Primitive("qr")


def _qr_of_stack(a: Any, mode: str) -> tuple[Any, Any]:
    xp = namespace_of(a)
    if xp is np or a.ndim == 2:
        return xp.linalg.qr(a, mode=mode)  # type: ignore[no-any-return]
    # cupy.linalg.qr (up to CuPy 13) takes one matrix: factor a stack one by one.
    flat = [xp.linalg.qr(m, mode=mode) for m in a.reshape((-1,) + a.shape[-2:])]
    q, r = (xp.stack(parts) for parts in zip(*flat))
    return q.reshape(a.shape[:-2] + q.shape[-2:]), r.reshape(a.shape[:-2] + r.shape[-2:])


def _qr_impl(a: Any) -> Any:
    q, r = _qr_of_stack(a, "reduced")
    return namespace_of(a).concatenate([q, r.swapaxes(-1, -2)], axis=-2)


def unpack_qr(packed: Any, m: int) -> tuple[Any, Any]:
    """``(Q, R)`` from the packed output of an ``m``-row input."""
    return packed[..., :m, :], mT(packed[..., m:, :])


def _skew(c: Any) -> Any:
    """``tril(C, -1) - tril(C, -1)^H + i Im(diag(C))``: the ``Omega`` of the JVP."""
    low = tril(c, -1)
    omega = low - mH(low)
    return omega + _imag_diagonal(c) if is_complex(c) else omega


def _qr_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    out = qr(a)
    q, r = unpack_qr(out, a.shape[-2])
    b = mH(solve(mH(r), mH(ta)))  # A' R^{-1} = (R^{-H} A'^H)^H
    c = matmul(mH(q), b)
    omega = _skew(c)
    q_dot = matmul(q, omega - c) + b
    r_dot = matmul(c - omega, r)
    return out, _concat([q_dot, mT(r_dot)])


def _qr_adjoint(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (a,) = primals
    q, r = unpack_qr(out, a.shape[-2])
    ct_q, ct_r = unpack_qr(ct, a.shape[-2])
    m = matmul(mH(q), ct_q) - matmul(ct_r, mH(r))
    ct_c = tril(m - mH(m), -1) - m
    if is_complex(m):
        ct_c = ct_c + _imag_diagonal(m)
    ct_b = ct_q + matmul(q, ct_c)
    return [mH(solve(r, mH(ct_b)))]  # ct_B R^{-H} = (R^{-1} ct_B^H)^H


# Packed as [Q; R^T].
_define_factorization(qr_p, _qr_impl, _qr_jvp, _qr_adjoint, lambda m, n: (m + n, min(m, n)))


def qr(a: Any) -> Any:
    return bind(qr_p, a)


# ---------------------------------------------------------------------------------------
# The complete factors of a non-square matrix: svd(full_matrices=True) and qr('complete') of
# a tall one. Their extra columns are an arbitrary basis of a complement, so they have no
# derivative (both rules raise, as JAX's); they are primitives so that vmap batches them.
#   svd_full: (..., m + 1 + n, p) = [U; s; Vh], each padded with zeros to p = max(m, n)
#   qr_complete: (..., m, m + n) = [Q, R]


def _without_derivative(name: str, impl: Any, message: str) -> Primitive:
    """A matrix primitive whose derivative rules raise ``message`` (vmap batches it)."""
    def rule(*args: Any, **params: Any) -> Any:
        raise NotImplementedError(message)

    prim = Primitive(name)
    prim.impl, prim.jvp, prim.vjp = impl, rule, rule
    prim.batch = matrix_batch(prim)
    return prim


def _pad_columns(xp: Any, x: Any, width: int) -> Any:
    pad = [(0, 0)] * (x.ndim - 1) + [(0, width - x.shape[-1])]
    return xp.pad(x, pad)


def _svd_full_impl(a: Any) -> Any:
    xp = namespace_of(a)
    u, s, vh = xp.linalg.svd(a, full_matrices=True)
    p = max(a.shape[-2:])
    parts = [u, s.astype(u.dtype)[..., None, :], vh]
    return xp.concatenate([_pad_columns(xp, x, p) for x in parts], axis=-2)


svd_full_p = _without_derivative(
    "svd_full", _svd_full_impl, "the derivative of svd(full_matrices=True) of a non-square "
    "matrix is not defined; use full_matrices=False")
svd_full_p.abstract_eval = matrix_result(lambda m, n: (m + 1 + n, max(m, n)))


def svd_full(a: Any) -> tuple[Any, Any, Any]:
    """``(U, s, Vh)`` with square ``U`` and ``Vh`` (``s`` in their dtype), no derivative."""
    m, n = a.shape[-2:]
    packed = bind(svd_full_p, a)
    return packed[..., :m, :m], packed[..., m, :min(m, n)], packed[..., m + 1:, :n]


def _qr_complete_impl(a: Any) -> Any:
    return namespace_of(a).concatenate(_qr_of_stack(a, "complete"), axis=-1)


qr_complete_p = _without_derivative(
    "qr_complete", _qr_complete_impl, "the derivative of qr(mode='complete') of a tall matrix "
    "is not defined; use mode='reduced'")
qr_complete_p.abstract_eval = matrix_result(lambda m, n: (m, m + n))  # [Q, R]


def qr_complete(a: Any) -> tuple[Any, Any]:
    """``(Q, R)`` with square ``Q``, no derivative."""
    m = a.shape[-2]
    packed = bind(qr_complete_p, a)
    return packed[..., :m], packed[..., m:]
