"""The general (non-symmetric) eigendecomposition ``A = V diag(w) V^{-1}``: primitive ``eig``.

The output is complex (complex64 for float32/complex64 input, else complex128) and packed
into one array, as the engine's primitives have one output: ``(..., 1 + n, n)`` =
``[w; V]`` (the eigenvalues as a row, then the eigenvectors as columns), sliced apart by
``unpack_eig``. A real input is decomposed as real (NumPy's ``eig``, so the values are
NumPy's) and its cotangent is the real part.

Eigenvectors are defined up to a complex factor each; LAPACK's ``geev`` fixes it by giving
each column unit 2-norm and a real largest-magnitude component, and the derivative is taken
under that normalization (as JAX's ``eig`` with ``enable_eigvec_derivs``). Nondegenerate
perturbation theory (Giles 2008, sec. 3.1), with ``F[i, j] = 1 / (w_j - w_i)`` off the
diagonal and 0 on it:

  JVP:  P = V^{-1} A' V,   w' = diag(P),   U = V (F o P),   V' = U + V diag(c),
        c_j = -Re(v_j^H u_j) - i Im(U[k_j, j]) / Re(V[k_j, j]),   k_j = argmax_i |V[i, j]|
        (the first term keeps the norm at 1, the second the largest component real).
  VJP:  the transpose of that map without conjugation (JAX's convention for complex
        numbers): with g_j = sum_i V_ij ct_V_ij (the cotangent of c),
        ct_U  = ct_V - conj(V) diag(Re g) - i E_k diag(Im g / Re V[k_j, j])
                (E_k: 1 at (k_j, j), 0 elsewhere),
        ct_A  = V^{-T} (diag(ct_w) + F o (V^T ct_U)) V^T.

Both are written in gpugrad's operations (``solve`` for ``V^{-1}``), so higher derivatives
work. The index ``k_j`` is a constant (a comparison with the column's maximum).

Degenerate cases: at a repeated eigenvalue ``F`` divides by a zero gap, so derivatives that
go through the eigenvectors are NaN (inf-like growth near it), as in JAX, while terms with an
exactly zero tangent or cotangent stay 0 (``divide_defined``): functions of the eigenvalues
alone have finite derivatives wherever ``V`` is invertible. A defective matrix has no
eigenvector basis and no derivative: LAPACK's ``V`` is then singular or nearly so, and the
results are meaningless (``LinAlgError``, huge or simply wrong values, as in JAX). Two
components tied for the largest magnitude make the normalization, hence ``V``, discontinuous.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.along_axis import cumsum
from gpugrad.primitives.complex import complex_abs, complex_dtype, conj, imag, make_complex, real
from gpugrad.primitives.linalg import (
    diag_embed,
    diagonal,
    divide_by_gaps,
    matmul,
    matrix_batch,
    mT,
    solve,
)
from gpugrad.primitives.operations import concatenate, equal, expand_dims, sum_over
from gpugrad.primitives.reductions import reduce_max
from gpugrad.primitives.shape_rules import matrix_result
from gpugrad.primitives.structural import convert, stop_gradient

__all__ = ["eig", "eig_p", "unpack_eig"]

eig_p = Primitive("eig")


def _normalize_phase(xp: Any, v: Any) -> Any:
    """Make each column's largest-magnitude component real (LAPACK's geev already does)."""
    k = xp.argmax(xp.abs(v), axis=-2)[..., None, :]
    top = xp.take_along_axis(v, k, axis=-2)
    scale = xp.abs(top)
    phase = xp.where(scale == 0, 1, xp.conj(top) / xp.where(scale == 0, 1, scale))
    # Keep the sign LAPACK chose where the component is already real.
    phase = xp.where(top.imag == 0, 1, phase)
    return v * phase


def _eig_impl(a: Any) -> Any:
    xp = namespace_of(a)
    dtype = complex_dtype(a.dtype)
    if xp is np:
        w, v = np.linalg.eig(a)
    elif hasattr(xp.linalg, "eig"):  # CuPy >= 14 (cuSOLVER Xgeev)
        w, v = xp.linalg.eig(a)
        v = _normalize_phase(xp, v.astype(dtype))
    else:  # older CuPy: on the host
        w, v = np.linalg.eig(xp.asnumpy(a))
        w, v = xp.asarray(w), xp.asarray(v)
    return xp.concatenate([w.astype(dtype)[..., None, :], v.astype(dtype)], axis=-2)


def unpack_eig(packed: Any) -> tuple[Any, Any]:
    """``(w, V)`` from the packed output of ``eig``."""
    return packed[..., 0, :], packed[..., 1:, :]


def _top_mask(v: Any) -> Any:
    """The 0/1 mask ``E_k`` of each column's largest-magnitude component (the first of
    equals, as ``argmax``): a constant (comparisons have no derivative), made with gpugrad's
    operations so that it is batched under ``vmap`` like the rest."""
    magnitude = complex_abs(stop_gradient(v))
    top = expand_dims(reduce_max(magnitude, (magnitude.ndim - 2,)), -2)
    hit = convert(equal(magnitude, top), magnitude.dtype)
    first = equal(cumsum(hit, hit.ndim - 2), 1.0)  # ones up to and at the first maximum
    return convert(hit * convert(first, hit.dtype), v.dtype)


def _column_sum(x: Any) -> Any:
    return sum_over(x, (-2,), keepdims=True)


def _eig_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    out = eig(a)
    w, v = unpack_eig(out)
    ta = convert(ta, v.dtype)
    p = solve(v, matmul(ta, v))
    w_dot = diagonal(p)
    u = matmul(v, divide_by_gaps(p, w))
    mask = _top_mask(v)
    top = real(_column_sum(mask * v))  # Re V[k_j, j], differentiable (higher orders)
    c = make_complex(-real(_column_sum(conj(v) * u)), -imag(_column_sum(mask * u)) / top)
    v_dot = u + v * c
    return out, concatenate([expand_dims(w_dot, -2), v_dot], axis=-2)


def _eig_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (a,) = primals
    w, v = unpack_eig(out)
    ct_w, ct_v = unpack_eig(ct)
    mask = _top_mask(v)
    top = real(_column_sum(mask * v))
    g = _column_sum(v * ct_v)
    ct_u = ct_v - conj(v) * real(g) - 1j * mask * (imag(g) / top)
    inner = diag_embed(ct_w) + divide_by_gaps(matmul(mT(v), ct_u), w)
    ct_a = matmul(solve(mT(v), inner), mT(v))
    return [convert(ct_a, a.dtype)]


eig_p.impl = _eig_impl
eig_p.abstract_eval = matrix_result(lambda m, n: (n + 1, n), complex_dtype)  # [w; V]
eig_p.jvp = _eig_jvp
eig_p.vjp = _eig_vjp
eig_p.batch = matrix_batch(eig_p)


def eig(a: Any) -> Any:
    """The packed ``[w; V]`` of each square matrix (see the module docstring)."""
    return bind(eig_p, a)
