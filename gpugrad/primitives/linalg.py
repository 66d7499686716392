"""Linear-algebra primitives built on LU and Cholesky: ``solve``, ``slogdet``, ``cholesky``
and ``pinv`` (the decompositions ``eigh``, ``svd`` and ``qr`` are in ``linalg_decomp.py``).

Each primitive evaluates with ``numpy.linalg`` or ``cupy.linalg`` (the backend of its
arguments) on stacks of matrices ``(..., m, n)``, and its JVP and VJP rules are the standard
matrix results (Giles 2008, "Collected matrix derivative results"; Murray 2016 for the
Cholesky factor; Golub & Pereyra 1973 for the pseudo-inverse). Every VJP here is the exact
adjoint of its JVP, and both are written in gpugrad's own operations, calling the primitives
themselves (``solve`` inside the rule of ``solve``), so derivatives of every order work.

Complex matrices follow JAX's convention (see ``gpugrad/primitives/complex.py``): the JVP is
the real formula with every transpose made a conjugate transpose (``mH``), and the VJP is
``ct -> conj(L*(conj(ct)))``, with ``L*`` the adjoint of the JVP ``L`` for the real inner
product ``Re tr(X^H Y)``: the real adjoint with ``mH`` for ``mT``, wrapped in ``conj``
(``adjoint_vjp``). ``solve`` is holomorphic, so its rule is the real one unchanged (the
transpose without conjugation). Outputs that are real by definition (``log|det|``) are kept
in the packed complex output with a zero imaginary part, and their cotangents are read
through ``real``.

Inverses are never formed where a solve does: ``A^{-1} B`` is ``solve(A, B)`` and
``B A^{-1}`` is ``solve(A^T, B^T)^T``. Only the matrix dimensions are handled here; the
public functions in ``gpugrad.numpy.linalg`` broadcast the batch dimensions first. Under
``vmap`` the examples are one more leading dimension of the stack (``matrix_batch``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of, on_one_backend
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.concrete import array_namespace
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.broadcasting import at_front, broadcast_to
from gpugrad.primitives.complex import conjugate, imag, make_complex, real_dtype, real_part
from gpugrad.primitives.contraction import matrix_product
from gpugrad.primitives.operations import (
    equal,
    expand_dims,
    multiply,
    promote,
    stack,
    sum_over,
    swapaxes,
    where,
)
from gpugrad.primitives.shape_rules import linalg_dtype, matrix_result
from gpugrad.primitives.structural import batch_size, convert, move_axis, reshape, zeros_like

__all__ = [
    "adjoint_vjp",
    "cholesky",
    "diag_embed",
    "diagonal",
    "eye_like",
    "inv",
    "is_complex",
    "matmul",
    "matrix_batch",
    "mH",
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
def matmul(a: Any, b: Any) -> Any:
    """The product of two stacks of matrices, promoted to one dtype (batch axes broadcast)."""
    return matrix_product(*promote((a, b), False))


def mT(x: Any) -> Any:
    """The matrix transpose of a stack of matrices (swap the last two axes)."""
    return swapaxes(x, -1, -2)


def is_complex(x: Any) -> bool:
    return bool(x.dtype.kind == "c")


def mH(x: Any) -> Any:
    """The conjugate transpose of a stack of matrices (``mT`` for real ones)."""
    return conjugate(mT(x)) if is_complex(x) else mT(x)


def adjoint_vjp(adjoint: Any) -> Any:
    """A VJP rule in JAX's convention, ``ct -> conj(adjoint(conj(ct)))``, from ``adjoint``,
    the adjoint of the JVP for the real inner product ``Re tr(X^H Y)`` (for real arrays the
    two are the same and nothing is conjugated)."""
    def vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], **params: Any
            ) -> list[Any]:
        cts = adjoint(conjugate(ct), primals, out, wanted, **params)
        return [None if c is None else conjugate(c) for c in cts]

    return vjp


def eye_like(x: Any, n: int | None = None) -> Any:
    """A concrete identity on ``x``'s backend with its dtype (a constant, no derivative)."""
    return array_namespace(x).eye(x.shape[-1] if n is None else n, dtype=x.dtype)


def _mask(x: Any, k: int, diagonal_weight: float | None = None) -> Any:
    """Concrete lower-triangular 0/1 mask below the ``k``-th diagonal (``x``'s last 2 dims)."""
    xp = array_namespace(x)
    mask = xp.tril(xp.ones(x.shape[-2:], dtype=x.dtype), k)
    if diagonal_weight is not None:
        mask = mask + diagonal_weight * xp.eye(*x.shape[-2:], dtype=x.dtype)
    return mask


def tril(x: Any, k: int = 0) -> Any:
    """The lower triangle of each matrix, as a product with a constant mask (linear)."""
    return x * _mask(x, k)


def diagonal(x: Any) -> Any:
    """The main diagonal of each square matrix, ``(..., n, n) -> (..., n)``."""
    return sum_over(x * eye_like(x), (-1,))


def diag_embed(v: Any) -> Any:
    """Diagonal matrices with ``v`` on the diagonal, ``(..., n) -> (..., n, n)``."""
    return expand_dims(v, -2) * eye_like(v)


def divide_defined(x: Any, d: Any) -> Any:
    """``x / d`` (broadcasting), where a zero divisor means "undefined": the result is 0 where
    ``x == 0`` and NaN where ``x != 0``.

    Decomposition rules divide by gaps between eigenvalues (or by singular values). Where a
    gap is exactly zero (a repeated eigenvalue) the eigenvectors have no derivative, so any
    quantity built from their derivative is NaN, as in JAX; but a function of the
    eigenvalues alone sends an exactly zero cotangent (or tangent) there, and its derivative
    stays finite. The inner ``where`` keeps the derivative of ``x / d`` finite where ``d`` is
    0 (JAX's NaN trap). The NaN mask is a constant (``where`` passes no derivative to its
    condition, and its branches here are constants) computed with gpugrad's comparisons, so
    it is batched under ``vmap`` like the rest.
    """
    zero_divisor = equal(d, 0)
    quotient = x / where(zero_divisor, 1.0, d)
    undefined = where(zero_divisor, where(equal(x, 0), 0.0, math.nan), 0.0)
    return quotient + convert(undefined, real_dtype(quotient.dtype))


def divide_by_gaps(x: Any, w: Any) -> Any:
    """``F o x`` with ``F[..., i, j] = 1 / (w_j - w_i)`` off the diagonal and 0 on it, where
    a zero gap is undefined (see ``divide_defined``)."""
    # 1 on the diagonal of the gaps; ``w`` is real, ``x`` may be complex.
    gaps = expand_dims(w, -2) - expand_dims(w, -1) + eye_like(w)
    return divide_defined(x * (1 - eye_like(x)), gaps)


def inv(a: Any) -> Any:
    """The inverse of each matrix, as ``solve(a, I)``."""
    return solve(a, broadcast_to(eye_like(a), a.shape))


def matrix_batch(prim: Primitive) -> Any:
    """The batching rule (vmap) of a one-operand primitive on stacks of matrices whose
    result keeps the operand's leading axes: the batch axis stays where it is when it is one
    of those leading axes, else it is moved to the front."""
    def rule(values: list[Any], dims: list[int | None], **params: Any) -> tuple[Any, int]:
        (x,), (d,) = values, dims
        assert d is not None
        if d >= x.ndim - 2:  # among the matrix axes
            x, d = move_axis(x, d, 0), 0
        return bind(prim, x, **params), d

    return rule


# ---------------------------------------------------------------------------------------
# solve(A, B) = A^{-1} B, for A (..., n, n) and B (..., n, k) with the same batch shape
# (holomorphic in both, so one rule serves real and complex matrices).
#   JVP:  X' = A^{-1} (B' - A' X)
#   VJP:  ct_B = A^{-T} ct_X,  ct_A = -ct_B X^T
# Singular A: NumPy raises LinAlgError (in the value and in every derivative); CuPy
# returns non-finite values.

solve_p = Primitive("solve")
def _solve_impl(a: Any, b: Any) -> Any:
    xp, (a, b) = on_one_backend(a, b)  # a host matrix or right side moves to the device
    return xp.linalg.solve(a, b)


solve_p.impl = _solve_impl


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


def _solve_batch(values: list[Any], dims: list[int | None]) -> tuple[Any, int]:
    (a, b), (da, db) = values, dims
    if da is None:
        # One matrix for every example: the examples' right sides become more columns of
        # one solve, (..., n, B, k) -> (..., n, B * k), with no copy of the matrix.
        assert db is not None
        b = move_axis(b, db, b.ndim - 2)
        size, k = b.shape[-2:]
        x = solve(a, reshape(b, (*b.shape[:-2], size * k)))
        return reshape(x, b.shape), b.ndim - 2
    # Otherwise both get the batch axis in front (the primitive wants equal batch shapes).
    size = batch_size(values, dims)
    return solve(at_front(a, da, size), at_front(b, db, size)), 0


solve_p.batch = _solve_batch


def _solve_abstract(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    # NumPy reads b as one right side only when it is 1-d; else the stacks broadcast.
    shape = b.shape if b.ndim == 1 else (
        *np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), *b.shape[-2:])
    return ShapedArray(shape, linalg_dtype(a.dtype, b.dtype))


solve_p.abstract_eval = _solve_abstract


def solve(a: Any, b: Any) -> Any:
    return bind(solve_p, a, b)


# ---------------------------------------------------------------------------------------
# slogdet(A): one LU gives both parts, packed as (..., 2) = [sign, log|det A|] so that the
# primitive has one output (complex for a complex A, with log|det A| as its real part).
# With tau = tr(A^{-1} A'), the holomorphic derivative of log det A:
#   d log|det A| = Re(tau),   d sign = sign * i Im(tau)   (0 for a real A: piecewise constant)
#   VJP:  ct_tau = Re(ct_logabsdet) + i Im(sign * ct_sign),   ct_A = ct_tau A^{-T}
# (the transpose of Re is Re, that of i Im is i Im, in JAX's pairing Re sum(x y)).
# At a singular A, log|det A| = -inf and its derivative (A^{-T}) does not exist.

slogdet_p = Primitive("slogdet")


def _slogdet_impl(a: Any) -> Any:
    xp = namespace_of(a)
    sign, logabsdet = xp.linalg.slogdet(a)
    return xp.stack([xp.asarray(sign), xp.asarray(logabsdet).astype(sign.dtype)], axis=-1)


def _slogdet_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    out = slogdet(a)
    tau = diagonal(solve(a, ta)).sum(axis=-1)
    if not is_complex(a):
        return out, stack([zeros_like(tau), tau], axis=-1)
    d_logabsdet = convert(real_part(tau), a.dtype)
    return out, stack([multiply(out[..., 0], tau - d_logabsdet), d_logabsdet], axis=-1)


def _slogdet_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (a,) = primals
    ct_tau = ct[..., 1]
    if is_complex(a):
        ct_tau = make_complex(real_part(ct_tau), imag(multiply(out[..., 0], ct[..., 0])))
    return [ct_tau[..., None, None] * mT(inv(a))]


slogdet_p.impl = _slogdet_impl
slogdet_p.jvp = _slogdet_jvp
slogdet_p.vjp = _slogdet_vjp
slogdet_p.batch = matrix_batch(slogdet_p)
slogdet_p.abstract_eval = matrix_result(lambda m, n: (2,))


def slogdet(a: Any) -> Any:
    """``(..., 2)``: the sign and the log of the absolute value of each determinant."""
    return bind(slogdet_p, a)


# ---------------------------------------------------------------------------------------
# cholesky(A) = L, lower triangular with A = L L^H, for a Hermitian (real: symmetric)
# positive-definite A (the public function symmetrizes its input first). Murray 2016, with
# Phi(X) = tril(X, -1) + diag(X) / 2:
#   JVP:      L' = L Phi(L^{-1} A' L^{-H})
#   adjoint:  ct_A = L^{-H} Phi(L^H ct_L) L^{-1}  (not symmetrized: the symmetrization in
#             the public function contributes its own adjoint), taken by adjoint_vjp
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
    middle = mH(solve(factor, mH(x)))
    return factor, matmul(factor, _phi(middle))


def _cholesky_adjoint(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    factor_h = mH(out)
    p = _phi(matmul(factor_h, ct))
    z = solve(factor_h, p)  # L^{-H} P
    return [mH(solve(factor_h, mH(z)))]  # (L^{-H} Z^H)^H = Z L^{-1}


cholesky_p.jvp = _cholesky_jvp
cholesky_p.vjp = adjoint_vjp(_cholesky_adjoint)
cholesky_p.batch = matrix_batch(cholesky_p)
cholesky_p.abstract_eval = matrix_result(lambda m, n: (m, n))


def cholesky(a: Any) -> Any:
    return bind(cholesky_p, a)


# ---------------------------------------------------------------------------------------
# pinv(A) = P, the Moore-Penrose pseudo-inverse (singular values below rcond * s_max are
# treated as zero). Where the rank is locally constant (Golub & Pereyra 1973):
#   JVP:      P' = -P A' P + P P^H A'^H (I - A P) + (I - P A) A'^H P^H P
#   adjoint:  ct_A = -P^H ct P^H + (I - A P) ct^H P P^H + P^H P ct^H (I - P A)
# term by term, taken by adjoint_vjp. Where the rank changes (a singular value
# crossing the cutoff) the pseudo-inverse is discontinuous and has no derivative.

pinv_p = Primitive("pinv")
pinv_p.impl = lambda a, rcond: namespace_of(a).linalg.pinv(a, rcond)


def _pinv_jvp(primals: list[Any], tangents: list[Any], rcond: float) -> tuple[Any, Any]:
    (a,), (ta,) = primals, tangents
    p = pinv(a, rcond)
    ta_h = mH(ta)
    term1 = -matmul(matmul(p, ta), p)
    term2 = matmul(matmul(p, mH(p)), ta_h - matmul(matmul(ta_h, a), p))
    term3 = matmul(ta_h - matmul(matmul(p, a), ta_h), matmul(mH(p), p))
    return p, term1 + term2 + term3


def _pinv_adjoint(ct: Any, primals: list[Any], out: Any, wanted: list[bool], rcond: float
                  ) -> list[Any]:
    (a,) = primals
    p, p_h, ct_h = out, mH(out), mH(ct)
    term1 = -matmul(matmul(p_h, ct), p_h)
    term2 = matmul(ct_h - matmul(matmul(a, p), ct_h), matmul(p, p_h))
    term3 = matmul(matmul(p_h, p), ct_h - matmul(matmul(ct_h, p), a))
    return [term1 + term2 + term3]


pinv_p.jvp = _pinv_jvp
pinv_p.vjp = adjoint_vjp(_pinv_adjoint)
pinv_p.batch = matrix_batch(pinv_p)
pinv_p.abstract_eval = matrix_result(lambda m, n: (n, m))


def pinv(a: Any, rcond: float) -> Any:
    return bind(pinv_p, a, rcond=float(rcond))
