"""``gpugrad.numpy.linalg``: every function checked by check_grads to order 2 in both modes
(float64, well-conditioned random inputs, batched shapes), its values against NumPy's,
closed-form derivatives, degenerate cases and errors.

Decompositions are checked through functions that do not depend on their sign conventions
(eigenvectors and singular vectors squared, reconstructions): finite differences of a
quantity whose sign LAPACK may choose differently nearby would be meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.test_util import check_grads

LA = gnp.linalg


def _host(x: Any) -> np.ndarray:
    return x.get() if hasattr(x, "get") else np.asarray(x)


def general(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random matrix (stack) with singular values bounded away from 0 and from each other."""
    m, n = shape[-2:]
    k = min(m, n)
    base = np.zeros((m, n))
    base[range(k), range(k)] = np.linspace(2.0, 4.0, k)
    return base + 0.5 * np.random.default_rng(seed).standard_normal(shape)


def spd(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random symmetric positive-definite matrix (stack) with distinct eigenvalues."""
    rng = np.random.default_rng(seed)
    b = rng.standard_normal(shape)
    n = shape[-1]
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def vec(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def gauge_free_eigh(a: Any) -> Any:
    w, v = LA.eigh(a)
    return w, v**2, (v * w[..., None, :]) @ gnp.swapaxes(v, -1, -2)


def gauge_free_svd(a: Any) -> Any:
    u, s, vh = LA.svd(a, full_matrices=False)
    return s, u**2, vh**2, (u * s[..., None, :]) @ vh


def lstsq_parts(a: Any, b: Any) -> Any:
    x, residuals, _, s = LA.lstsq(a, b)
    return x, residuals, s


Case = tuple[str, Callable[..., Any], Callable[[], tuple[np.ndarray, ...]]]

CASES: list[Case] = [
    ("solve-matrix", LA.solve, lambda: (general((3, 3), 0), vec((3, 2), 1))),
    ("solve-vector", LA.solve, lambda: (general((3, 3), 2), vec((3,), 3))),
    ("solve-batched", LA.solve, lambda: (general((2, 3, 3), 4), vec((3, 2), 5))),
    ("inv", LA.inv, lambda: (general((3, 3), 6),)),
    ("inv-batched", LA.inv, lambda: (general((2, 3, 3), 7),)),
    ("det", LA.det, lambda: (general((3, 3), 8),)),
    ("det-batched", LA.det, lambda: (general((2, 3, 3), 9),)),
    ("slogdet", lambda a: LA.slogdet(a).logabsdet, lambda: (general((2, 3, 3), 10),)),
    ("cholesky", LA.cholesky, lambda: (spd((3, 3), 11),)),
    ("cholesky-batched-upper", lambda a: LA.cholesky(a, upper=True),
     lambda: (spd((2, 3, 3), 12),)),
    ("cholesky-lower-triangle",
     lambda a: LA.cholesky(a, symmetrize_input=False), lambda: (spd((3, 3), 13),)),
    ("eigh", gauge_free_eigh, lambda: (spd((3, 3), 14),)),
    ("eigh-batched", gauge_free_eigh, lambda: (spd((2, 3, 3), 15),)),
    ("eigh-upper-triangle", lambda a: LA.eigh(a, UPLO="U", symmetrize_input=False)[0],
     lambda: (spd((3, 3), 16),)),
    ("eigvalsh", LA.eigvalsh, lambda: (spd((2, 3, 3), 17),)),
    ("svd-square", gauge_free_svd, lambda: (general((3, 3), 18),)),
    ("svd-tall", gauge_free_svd, lambda: (general((4, 3), 19),)),
    ("svd-wide-batched", gauge_free_svd, lambda: (general((2, 3, 4), 20),)),
    ("svd-values", lambda a: LA.svd(a, compute_uv=False), lambda: (general((4, 2), 21),)),
    ("qr-tall", lambda a: tuple(LA.qr(a)), lambda: (general((4, 3), 22),)),
    ("qr-square-batched", lambda a: tuple(LA.qr(a)), lambda: (general((2, 3, 3), 23),)),
    ("qr-wide", lambda a: tuple(LA.qr(a)), lambda: (general((3, 5), 24),)),
    ("qr-r", lambda a: LA.qr(a, mode="r"), lambda: (general((4, 2), 25),)),
    ("pinv-tall", LA.pinv, lambda: (general((4, 3), 26),)),
    ("pinv-wide-batched", LA.pinv, lambda: (general((2, 2, 3), 27),)),
    ("lstsq-vector", lstsq_parts, lambda: (general((5, 3), 28), vec((5,), 29))),
    ("lstsq-matrix", lstsq_parts, lambda: (general((4, 3), 30), vec((4, 2), 31))),
    ("matrix_power-3", lambda a: LA.matrix_power(a, 3), lambda: (vec((2, 3, 3), 32),)),
    ("matrix_power-1", lambda a: LA.matrix_power(a, 1), lambda: (vec((3, 3), 33),)),
    ("matrix_power-neg2", lambda a: LA.matrix_power(a, -2), lambda: (general((3, 3), 34),)),
    ("multi_dot-vectors", lambda a, b, c, d: LA.multi_dot([a, b, c, d]),
     lambda: (vec((3,), 35), vec((3, 4), 36), vec((4, 2), 37), vec((2,), 38))),
    ("multi_dot-matrices", lambda a, b, c: LA.multi_dot([a, b, c]),
     lambda: (vec((5, 2), 39), vec((2, 4), 40), vec((4, 3), 41))),
]

NORMS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("flat", {}, (2, 3, 2)),
    ("flat-keepdims", {"keepdims": True}, (2, 3)),
    ("vector-2", {"ord": 2}, (4,)),
    ("vector-1", {"ord": 1}, (4,)),
    ("vector-inf", {"ord": np.inf}, (4,)),
    ("vector-neginf", {"ord": -np.inf}, (4,)),
    ("vector-3", {"ord": 3}, (4,)),
    ("vector-0", {"ord": 0}, (4,)),
    ("vector-half", {"ord": 0.5}, (4,)),
    ("vector-axis", {"axis": 1}, (2, 3, 2)),
    ("vector-axis-keepdims", {"axis": -1, "ord": 1, "keepdims": True}, (3, 4)),
    ("fro", {"ord": "fro"}, (3, 4)),
    ("nuc", {"ord": "nuc"}, (3, 4)),
    ("spectral", {"ord": 2}, (4, 3)),
    ("spectral-min", {"ord": -2}, (3, 3)),
    ("matrix-1", {"ord": 1}, (3, 4)),
    ("matrix-neg1", {"ord": -1}, (3, 4)),
    ("matrix-inf", {"ord": np.inf}, (3, 4)),
    ("matrix-neginf", {"ord": -np.inf}, (3, 4)),
    ("matrix-axes", {"ord": "nuc", "axis": (2, 0)}, (3, 2, 4)),
    ("matrix-axes-keepdims", {"ord": 1, "axis": (0, 2), "keepdims": True}, (3, 2, 4)),
]


@pytest.mark.parametrize("name,fn,make", CASES, ids=[c[0] for c in CASES])
def test_check_grads_order2(xp: Any, name: str, fn: Callable[..., Any],
                            make: Callable[[], tuple[np.ndarray, ...]]) -> None:
    args = tuple(xp.asarray(a) for a in make())
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name,kwargs,shape", NORMS, ids=[n[0] for n in NORMS])
def test_norm_grads_order2(xp: Any, name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
                           ) -> None:
    x = xp.asarray(vec(shape, 100 + len(name)))
    check_grads(lambda x: LA.norm(x, **kwargs), (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(_host(LA.norm(x, **kwargs)),
                               np.linalg.norm(_host(x), **kwargs), rtol=1e-12)


def test_values_match_numpy(xp: Any) -> None:
    a, s = general((2, 4, 3), 50), spd((2, 3, 3), 51)
    sq, b = general((2, 3, 3), 52), vec((3, 2), 53)
    A, S, SQ, B = (xp.asarray(x) for x in (a, s, sq, b))
    close = lambda got, want: np.testing.assert_allclose(_host(got), want, rtol=1e-10,
                                                         atol=1e-12)
    close(LA.solve(SQ, B), np.linalg.solve(sq, np.broadcast_to(b, (2, 3, 2))))
    close(LA.inv(SQ), np.linalg.inv(sq))
    close(LA.det(SQ), np.linalg.det(sq))
    for got, want in zip(LA.slogdet(SQ), np.linalg.slogdet(sq)):
        close(got, want)
    close(LA.cholesky(S), np.linalg.cholesky(s))
    for got, want in zip(LA.eigh(S), np.linalg.eigh(s)):
        close(got, want)
    close(LA.eigvalsh(S), np.linalg.eigvalsh(s))
    for got, want in zip(LA.svd(A, full_matrices=False), np.linalg.svd(a, full_matrices=False)):
        close(got, want)
    for got, want in zip(LA.svd(A), np.linalg.svd(a)):  # full matrices: no derivative
        close(got, want)
    for got, want in zip(LA.qr(A), np.linalg.qr(a)):
        close(got, want)
    wide = np.swapaxes(a, -1, -2)
    for got, want in zip(LA.qr(xp.asarray(wide)), np.linalg.qr(wide)):
        close(got, want)
    close(LA.qr(A, mode="r"), np.linalg.qr(a, mode="r"))
    for got, want in zip(LA.qr(A, mode="complete"), np.linalg.qr(a, mode="complete")):
        close(got, want)
    close(LA.pinv(A), np.linalg.pinv(a))
    for got, want in zip(LA.lstsq(A[0], B[:, 0].repeat(2)[:4]),
                         np.linalg.lstsq(a[0], b[:, 0].repeat(2)[:4])):
        close(got, want)
    close(LA.matrix_power(SQ, 3), np.linalg.matrix_power(sq, 3))
    close(LA.matrix_power(SQ, -2), np.linalg.matrix_power(sq, -2))
    close(LA.matrix_power(SQ, 0), np.linalg.matrix_power(sq, 0))
    mats = [vec((3,), 54), vec((3, 5), 55), vec((5, 2), 56), vec((2, 4), 57)]
    close(LA.multi_dot([xp.asarray(m) for m in mats]), np.linalg.multi_dot(mats))
    assert int(LA.matrix_rank(xp.asarray(np.outer([1.0, 2.0, 3.0], [1.0, 1.0])))) == 1
    close(LA.solve(SQ, B[:, 0]), np.linalg.solve(sq, b[:, 0]))  # a vector against a stack


def test_symmetrize_input(xp: Any) -> None:
    """By default (JAX) cholesky/eigh read (a + a.T) / 2; symmetrize_input=False reads one
    triangle, exactly as NumPy does, and then only that triangle gets a gradient."""
    s = spd((3, 3), 90)
    skewed = s + np.triu(vec((3, 3), 91), 1)  # NumPy reads only the lower triangle
    S = xp.asarray(skewed)
    close = lambda got, want: np.testing.assert_allclose(_host(got), want, rtol=1e-10)
    close(LA.cholesky(S, symmetrize_input=False), np.linalg.cholesky(skewed))
    close(LA.eigvalsh(S, symmetrize_input=False), np.linalg.eigvalsh(skewed))
    close(LA.eigvalsh(S, "U", symmetrize_input=False), np.linalg.eigvalsh(skewed, "U"))
    sym = (skewed + skewed.T) / 2
    close(LA.cholesky(S), np.linalg.cholesky(sym))
    close(LA.eigvalsh(S), np.linalg.eigvalsh(sym))
    g = _host(gpugrad.grad(lambda a: gnp.sum(LA.cholesky(a, symmetrize_input=False)))(S))
    assert np.all(np.triu(g, 1) == 0) and np.all(g[np.tril_indices(3)] != 0)
    g = _host(gpugrad.grad(lambda a: gnp.sum(LA.cholesky(a)))(S))
    np.testing.assert_allclose(g, g.T, rtol=1e-12)


@pytest.mark.parametrize("name", ["det", "eigh", "svd-tall", "qr-wide", "pinv-tall"])
def test_check_grads_float32(xp: Any, name: str) -> None:
    fn, make = next((c[1], c[2]) for c in CASES if c[0] == name)
    args = tuple(xp.asarray(a.astype(np.float32)) for a in make())
    check_grads(fn, args, order=1, modes=("fwd", "rev"))
    assert all(leaf.dtype == np.float32 for leaf in gpugrad.tree_util.tree_leaves(fn(*args)))


def test_closed_forms(xp: Any) -> None:
    a, s = general((3, 3), 60), spd((3, 3), 61)
    A, S = xp.asarray(a), xp.asarray(s)
    inv_a = np.linalg.inv(a)
    close = lambda got, want: np.testing.assert_allclose(_host(got), want, rtol=1e-9,
                                                         atol=1e-12)
    # d log|det A| = A^{-T};  d det A = det(A) A^{-T};  d tr(A^{-1}) = -(A^{-2})^T
    close(gpugrad.grad(lambda a: LA.slogdet(a).logabsdet)(A), inv_a.T)
    close(gpugrad.grad(LA.det)(A), np.linalg.det(a) * inv_a.T)
    close(gpugrad.grad(lambda a: gnp.sum(LA.inv(a) * gnp.eye(3, dtype=a.dtype)))(A),
          -(inv_a @ inv_a).T)
    # Hessian of log|det A|: d2/dA_ij dA_kl = -inv(A)_li inv(A)_jk.
    close(gpugrad.hessian(lambda a: LA.slogdet(a).logabsdet)(A),
          -np.einsum("li,jk->ijkl", inv_a, inv_a))
    # 2 sum(log diag(chol(S))) = log det S, whose gradient is S^{-1} (symmetric S).
    logdet = lambda s: 2 * gnp.sum(gnp.log(gnp.sum(LA.cholesky(s) * gnp.eye(3), axis=-1)))
    close(gpugrad.grad(logdet)(S), np.linalg.inv(s))
    # sum of eigenvalues = trace; d lambda_max = v v^T; nuclear norm of A: U Vh.
    close(gpugrad.grad(lambda s: gnp.sum(LA.eigvalsh(s)))(S), np.eye(3))
    w, v = np.linalg.eigh(s)
    close(gpugrad.grad(lambda s: LA.eigvalsh(s)[-1])(S), np.outer(v[:, -1], v[:, -1]))
    u, _, vh = np.linalg.svd(a)
    close(gpugrad.grad(lambda a: LA.norm(a, "nuc"))(A), u @ vh)
    # Forward and reverse Jacobians agree.
    close(gpugrad.jacfwd(LA.pinv)(A), _host(gpugrad.jacrev(LA.pinv)(A)))


def test_degenerate_spectra(xp: Any) -> None:
    """Repeated eigenvalues / singular values: functions of the eigenvalues (singular values)
    alone keep finite derivatives; anything that needs the eigenvectors' derivative there is
    NaN (undefined, as in JAX), never a finite wrong number."""
    diag = xp.asarray(np.diag([1.0, 1.0, 3.0]))
    grad_sum = gpugrad.grad(lambda a: gnp.sum(LA.eigvalsh(a)))(diag)
    np.testing.assert_allclose(_host(grad_sum), np.eye(3), atol=1e-12)
    _, tangent = gpugrad.jvp(LA.eigvalsh, (diag,), (xp.asarray(vec((3, 3), 80)),))
    assert np.isfinite(_host(tangent)).all()
    recon = lambda a: gnp.sum(gauge_free_eigh(a)[2] * np.arange(9.0).reshape(3, 3))
    assert np.isnan(_host(gpugrad.grad(recon)(diag))).any()
    grad_s = gpugrad.grad(lambda a: gnp.sum(LA.svd(a, compute_uv=False)))(xp.eye(3))
    np.testing.assert_allclose(_host(grad_s), np.eye(3), atol=1e-12)
    # A zero singular value (rank deficiency): the nonzero one keeps its derivative u v^T.
    rank1 = xp.asarray(np.outer([1.0, 2.0, 2.0], [2.0, 1.0]))
    for f in (gpugrad.grad, gpugrad.jacfwd):
        g = f(lambda a: LA.svd(a, compute_uv=False)[0])(rank1)
        expected = np.outer([1.0, 2.0, 2.0], [2.0, 1.0]) / (3 * np.sqrt(5))  # u v^T
        np.testing.assert_allclose(_host(g), expected, atol=1e-12)


def test_errors(xp: Any) -> None:
    tall = xp.asarray(general((4, 3), 70))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        gpugrad.grad(lambda a: gnp.sum(LA.svd(a)[0]))(tall)
    with pytest.raises(NotImplementedError, match="mode='reduced'"):
        gpugrad.grad(lambda a: gnp.sum(LA.qr(a, mode="complete")[0]))(tall)
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        LA.inv(tall)
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        LA.det(xp.ones(3))
    with pytest.raises(ValueError, match="Invalid norm order"):
        LA.norm(tall, ord="nuc", axis=0)
    with pytest.raises(TypeError, match="integer"):
        LA.matrix_power(xp.eye(2), 1.5)
