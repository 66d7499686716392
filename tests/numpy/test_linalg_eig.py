"""``gpugrad.numpy.linalg.eig`` and ``eigvals`` of general (non-symmetric) matrices: values
against NumPy, check_grads to order 2 in both modes, derivatives against JAX's, degenerate
cases and errors.

Eigenvectors are unique only up to a complex factor per column. LAPACK fixes it (unit norm,
real largest-magnitude component) up to a sign, and the derivative is taken under that
normalization, so the checks use functions of ``v`` that are invariant to the factor
(``|v|^2``, the projectors ``v_j v_j^H``), or to the sign alone (``v**2``, which checks the
normalization's own derivative).
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


def _similar(d: np.ndarray, shape: tuple[int, ...], seed: int, kind: str) -> np.ndarray:
    """``S d S^{-1}`` for random well-conditioned ``S`` (real or complex), one per matrix."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(shape)
    if kind == "c":
        s = s + 1j * rng.standard_normal(shape)
    s = np.eye(shape[-1]) + 0.3 * s
    return s @ d @ np.linalg.inv(s)


def real_matrix(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random non-symmetric real matrix (stack) with eigenvalues ``-1.5 +- 1.2i`` and then
    real ones from 0.5 to 2.5: a complex pair, all gaps at least 1."""
    n = shape[-1]
    d = np.diag(np.concatenate([[-1.5, -1.5], np.linspace(0.5, 2.5, n - 2)]))
    d[0, 1], d[1, 0] = 1.2, -1.2
    return _similar(d, shape, seed, "r")


def complex_matrix(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random complex matrix (stack) with eigenvalues ``2 exp(2 pi i k / n) + 0.3 k``."""
    n = shape[-1]
    k = np.arange(n)
    return _similar(np.diag(2 * np.exp(2j * np.pi * k / n) + 0.3 * k), shape, seed, "c")


def eigenvalues(a: Any) -> Any:
    return LA.eig(a).eigenvalues


def abs_vectors(a: Any) -> Any:
    w, v = LA.eig(a)
    return gnp.abs(v) ** 2, gnp.real(w) * gnp.imag(w)


def projectors(a: Any) -> Any:
    """``v_j v_j^H`` for every column: invariant to each column's phase."""
    v = LA.eig(a).eigenvectors
    return gnp.expand_dims(v, -2) * gnp.conj(gnp.expand_dims(v, -3))


def squared_vectors(a: Any) -> Any:
    """Depends on the phase LAPACK fixes, not on the sign: checks the normalization term."""
    w, v = LA.eig(a)
    return w, v**2


def weighted(a: Any) -> Any:
    w, v = LA.eig(a)
    weights = np.linspace(0.5, 1.5, v.shape[-1] * v.shape[-2]).reshape(v.shape[-2:])
    # gnp.multiply moves the host weights to v's device; `*` on a plain CuPy v would refuse.
    return gnp.sum(gnp.multiply(weights, gnp.abs(v) ** 2)) + gnp.real(gnp.sum(w**2))


Case = tuple[str, Callable[..., Any], Callable[[], np.ndarray]]

CASES: list[Case] = [
    ("eigenvalues-real", eigenvalues, lambda: real_matrix((4, 4), 0)),
    ("eigvals-real", LA.eigvals, lambda: real_matrix((4, 4), 0)),
    ("eigvals-complex", LA.eigvals, lambda: complex_matrix((3, 3), 1)),
    ("abs-vectors-real", abs_vectors, lambda: real_matrix((4, 4), 0)),
    ("abs-vectors-batched", abs_vectors, lambda: real_matrix((2, 3, 3), 2)),
    ("abs-vectors-complex", abs_vectors, lambda: complex_matrix((2, 3, 3), 3)),
    ("projectors-real", projectors, lambda: real_matrix((3, 3), 4)),
    ("projectors-complex", projectors, lambda: complex_matrix((3, 3), 5)),
    ("squared-vectors-real", squared_vectors, lambda: real_matrix((4, 4), 6)),
    ("squared-vectors-complex", squared_vectors, lambda: complex_matrix((2, 3, 3), 7)),
    ("weighted-sum", weighted, lambda: real_matrix((3, 3), 8)),
]


@pytest.mark.parametrize("name,fn,make", CASES, ids=[c[0] for c in CASES])
def test_check_grads_order2(xp: Any, name: str, fn: Callable[..., Any],
                            make: Callable[[], np.ndarray]) -> None:
    check_grads(fn, (xp.asarray(make()),), order=2, modes=("fwd", "rev"))


def test_check_grads_float32() -> None:
    a = real_matrix((3, 3), 9).astype(np.float32)
    check_grads(abs_vectors, (a,), order=1, modes=("fwd", "rev"), atol=5e-2, rtol=5e-2)


# ---------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize("make", [lambda: real_matrix((2, 4, 4), 10),
                                  lambda: complex_matrix((3, 3), 11)], ids=["real", "complex"])
def test_values_match_numpy(xp: Any, make: Callable[[], np.ndarray]) -> None:
    a = make()
    w, v = (_host(x) for x in LA.eig(xp.asarray(a)))
    want = np.linalg.eigvals(a)
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(want), atol=1e-12)
    np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, atol=1e-12)
    top = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
    np.testing.assert_allclose(top.imag, 0.0, atol=1e-12)  # LAPACK's normalization
    vals = _host(LA.eigvals(xp.asarray(a)))
    np.testing.assert_allclose(np.sort_complex(vals), np.sort_complex(want), atol=1e-12)
    if xp is np:  # NumPy's own order and vectors, made complex
        w_np, v_np = np.linalg.eig(a)
        np.testing.assert_array_equal(w, w_np)
        np.testing.assert_array_equal(v, v_np)


def test_dtypes() -> None:
    for dtype, want in [(np.float32, np.complex64), (np.float64, np.complex128),
                        (np.complex64, np.complex64), (np.complex128, np.complex128)]:
        a = np.array([[2.0, 1.0], [0.5, 3.0]]).astype(dtype)  # real eigenvalues: still complex
        w, v = LA.eig(a)
        assert w.dtype == v.dtype == LA.eigvals(a).dtype == want
    w, _ = LA.eig(np.array([[1, 2], [3, 4]]))  # integers: the default float's complex
    assert w.dtype.kind == "c"


def test_grad_of_real_input_is_real() -> None:
    a = real_matrix((3, 3), 12)
    g = gpugrad.grad(weighted)(a)
    assert g.dtype == np.float64
    g32 = gpugrad.grad(weighted)(a.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g, rtol=1e-3, atol=1e-3)


def test_eigenvalue_derivative_closed_form() -> None:
    # dw_j/dA = u_j v_j^T / (u_j^T v_j), u_j the left eigenvector (JAX convention: grad of
    # real(w_j) is conj of (d/dRe + i d/dIm), which for real A is the real part).
    a = real_matrix((4, 4), 13)
    w, v = np.linalg.eig(a)
    u = np.linalg.inv(v).T  # columns: left eigenvectors with u_j^T v_j = 1
    for j in range(4):
        g = gpugrad.grad(lambda m, j=j: gnp.real(LA.eig(m).eigenvalues[j]))(a)
        np.testing.assert_allclose(g, np.real(np.outer(u[:, j], v[:, j])), atol=1e-12)


# ---------------------------------------------------------------------------------------
# Against JAX (lax.linalg.eig with enable_eigvec_derivs: the same normalization)


@pytest.mark.parametrize("make", [lambda: real_matrix((4, 4), 14),
                                  lambda: complex_matrix((3, 3), 15),
                                  lambda: real_matrix((2, 3, 3), 16)],
                         ids=["real", "complex", "batched"])
def test_against_jax(make: Callable[[], np.ndarray], jax_x64: Any) -> None:
    jax = jax_x64
    from jax.lax import linalg as jax_linalg

    jnp = jax.numpy
    a = make()
    rng = np.random.default_rng(0)
    t = rng.standard_normal(a.shape) + (1j * rng.standard_normal(a.shape) if a.dtype.kind == "c"
                                        else 0.0)

    def jax_eig(m: Any) -> Any:
        w, v = jax_linalg.eig(m, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
        return w, v

    (jw, jv), (djw, djv) = jax.jvp(jax_eig, (a,), (t,))
    (w, v), (dw, dv) = gpugrad.jvp(lambda m: tuple(LA.eig(m)), (a,), (t,))
    np.testing.assert_allclose(w, jw, atol=1e-12)
    # Both are LAPACK's vectors; allow a sign per column (the normalization leaves it free).
    sign = np.sign(np.real(np.sum(np.conj(v) * np.asarray(jv), axis=-2, keepdims=True)))
    np.testing.assert_allclose(v * sign, jv, atol=1e-12)
    np.testing.assert_allclose(dw, djw, atol=1e-10)
    np.testing.assert_allclose(dv * sign, djv, atol=1e-10)

    weights = rng.standard_normal(a.shape)

    def loss(eig_fn: Any, np_mod: Any) -> Any:
        def f(m: Any) -> Any:
            w, v = eig_fn(m)
            return (np_mod.sum(weights * np_mod.abs(v) ** 2)
                    + np_mod.real(np_mod.sum(w**2) + np_mod.sum(v**2)))
        return f

    want = jax.grad(loss(jax_eig, jnp))(a)
    got = gpugrad.grad(loss(lambda m: tuple(LA.eig(m)), gnp))(a)
    np.testing.assert_allclose(got, want, atol=1e-10)


# ---------------------------------------------------------------------------------------
# Degenerate cases and errors


def test_repeated_eigenvalues() -> None:
    a = np.diag([2.0, 2.0, 3.0])  # diagonalizable, one eigenvalue repeated
    g = gpugrad.grad(lambda m: gnp.real(gnp.sum(LA.eigvals(m) ** 2)))(a)
    np.testing.assert_allclose(g, 2 * a.T)  # d tr(A^2) = 2 A^T: eigenvalues stay finite
    _, dv = gpugrad.jvp(lambda m: LA.eig(m).eigenvectors, (a,), (real_matrix((3, 3), 17),))
    assert np.isnan(dv[:, :2]).any()  # the repeated pair has no derivative
    _, dw = gpugrad.jvp(eigenvalues, (a,), (real_matrix((3, 3), 17),))
    assert np.isfinite(dw).all()


def test_errors() -> None:
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        LA.eig(np.ones(3))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        LA.eigvals(np.ones((2, 3)))
