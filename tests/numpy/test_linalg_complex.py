"""``gpugrad.numpy.linalg`` on complex matrices, with JAX's conventions: values against
NumPy's, derivatives by check_grads (JVPs against central differences in complex directions,
VJPs by the identity ``Re <J t, c> = Re <t, J^H c>``), JVPs along purely real and purely
imaginary directions, closed-form gradients of real losses, and JAX's own jvp/vjp/grad.

Singular vectors and eigenvectors of complex matrices are defined up to a phase each (LAPACK
picks one), so only phase-invariant functions of them are differentiated: ``|U|^2``,
``U diag(s) Vh``, ``V diag(w) V^H``, as in JAX's tests.
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


def cgeneral(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random complex matrix (stack) with singular values apart from 0 and each other."""
    m, n = shape[-2:]
    k = min(m, n)
    base = np.zeros((m, n))
    base[range(k), range(k)] = np.linspace(2.0, 4.0, k)
    rng = np.random.default_rng(seed)
    return base + 0.5 * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))


def hpd(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random Hermitian positive-definite matrix (stack) with distinct eigenvalues."""
    b = cgeneral(shape, seed) - 2 * np.eye(shape[-1])
    return b @ np.conj(np.swapaxes(b, -1, -2)) + shape[-1] * np.eye(shape[-1])


def cvec(shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# Each function takes ``(la, xp)``, the linalg module and the NumPy module (gpugrad's or
# JAX's), and returns the function of the matrix to differentiate, so that one definition
# serves check_grads and the comparison with JAX.


def mh(xp: Any, x: Any) -> Any:
    return xp.conj(xp.swapaxes(x, -1, -2))


def svd_parts(la: Any, xp: Any) -> Callable[[Any], Any]:
    def f(a: Any) -> Any:
        u, s, vh = la.svd(a, full_matrices=False)
        return s, xp.abs(u) ** 2, xp.abs(vh) ** 2, (u * s[..., None, :]) @ vh

    return f


def eigh_parts(la: Any, xp: Any, uplo: str = "L") -> Callable[[Any], Any]:
    def f(a: Any) -> Any:
        w, v = la.eigh(a, UPLO=uplo)
        return w, xp.abs(v) ** 2, (v * w[..., None, :]) @ mh(xp, v)

    return f


Case = tuple[str, Callable[[Any, Any], Callable[..., Any]], Callable[[], np.ndarray]]

CASES: list[Case] = [
    ("svd-square", svd_parts, lambda: cgeneral((3, 3), 0)),
    ("svd-tall", svd_parts, lambda: cgeneral((4, 3), 1)),
    ("svd-wide-batched", svd_parts, lambda: cgeneral((2, 2, 3), 2)),
    ("svd-values", lambda la, xp: lambda a: la.svd(a, compute_uv=False),
     lambda: cgeneral((4, 2), 3)),
    ("svd-full-square", lambda la, xp: lambda a: (lambda u, s, vh: u @ vh)(*la.svd(a)),
     lambda: cgeneral((3, 3), 4)),
    ("eigh", eigh_parts, lambda: hpd((3, 3), 5)),
    ("eigh-upper-batched", lambda la, xp: eigh_parts(la, xp, "U"), lambda: hpd((2, 3, 3), 6)),
    ("eigh-not-hermitian", eigh_parts, lambda: cgeneral((3, 3), 7)),
    ("eigvalsh", lambda la, xp: la.eigvalsh, lambda: cgeneral((2, 3, 3), 8)),
    ("qr-tall", lambda la, xp: lambda a: tuple(la.qr(a)), lambda: cgeneral((4, 3), 9)),
    ("qr-square-batched", lambda la, xp: lambda a: tuple(la.qr(a)),
     lambda: cgeneral((2, 3, 3), 10)),
    ("qr-r", lambda la, xp: lambda a: la.qr(a, mode="r"), lambda: cgeneral((4, 2), 11)),
    ("cholesky", lambda la, xp: la.cholesky, lambda: hpd((3, 3), 12)),
    ("cholesky-upper-batched", lambda la, xp: lambda a: la.cholesky(a, upper=True),
     lambda: hpd((2, 3, 3), 13)),
    ("solve", lambda la, xp: lambda a: la.solve(a, a[..., :2] + 1), lambda: cgeneral((3, 3), 14)),
    ("solve-vector", lambda la, xp: lambda a: la.solve(a, a[0]), lambda: cgeneral((3, 3), 15)),
    ("inv", lambda la, xp: la.inv, lambda: cgeneral((2, 3, 3), 16)),
    ("det", lambda la, xp: la.det, lambda: cgeneral((2, 3, 3), 17)),
    ("slogdet", lambda la, xp: lambda a: tuple(la.slogdet(a)), lambda: cgeneral((3, 3), 18)),
    ("abs-det-squared", lambda la, xp: lambda a: xp.abs(la.det(a)) ** 2,
     lambda: cgeneral((3, 3), 19)),
    ("norm-fro", lambda la, xp: lambda a: la.norm(a, "fro"), lambda: cgeneral((3, 4), 20)),
    ("norm-nuc", lambda la, xp: lambda a: la.norm(a, "nuc"), lambda: cgeneral((3, 4), 21)),
    ("norm-2", lambda la, xp: lambda a: la.norm(a, 2), lambda: cgeneral((4, 3), 22)),
    ("norm--2", lambda la, xp: lambda a: la.norm(a, -2), lambda: cgeneral((3, 3), 23)),
    ("norm-vector", lambda la, xp: lambda a: la.norm(a, axis=-1), lambda: cgeneral((2, 3), 24)),
    ("norm-vector-3", lambda la, xp: lambda a: la.norm(a, 3, axis=0),
     lambda: cgeneral((2, 3), 25)),
    ("norm-1", lambda la, xp: lambda a: la.norm(a, 1), lambda: cgeneral((3, 3), 26)),
    ("pinv", lambda la, xp: la.pinv, lambda: cgeneral((4, 3), 27)),
    ("matrix-power", lambda la, xp: lambda a: la.matrix_power(a, -2),
     lambda: cgeneral((3, 3), 28)),
    ("multi-dot", lambda la, xp: lambda a: la.multi_dot([a, xp.conj(a), a[0]]),
     lambda: cgeneral((3, 3), 29)),
    ("lstsq", lambda la, xp: lambda a: la.lstsq(a, a[:, 0] ** 2)[:2],
     lambda: cgeneral((4, 3), 30)),
]

# Beyond JAX (whose QR has no derivative for wide matrices): checked by check_grads only.
WIDE_QR: Case = ("qr-wide", lambda la, xp: lambda a: tuple(la.qr(a)),
                 lambda: cgeneral((2, 3, 5), 31))


@pytest.mark.parametrize("name,make_fn,make", CASES + [WIDE_QR],
                         ids=[c[0] for c in CASES + [WIDE_QR]])
def test_check_grads(xp: Any, name: str, make_fn: Any, make: Any) -> None:
    fn = make_fn(LA, gnp)
    check_grads(fn, (xp.asarray(make()),), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["svd-tall", "eigh", "qr-tall", "cholesky", "det", "slogdet",
                                  "norm-nuc"])
def test_check_grads_complex64(xp: Any, name: str) -> None:
    make_fn, make = next((c[1], c[2]) for c in CASES if c[0] == name)
    fn = make_fn(LA, gnp)
    a = xp.asarray(make().astype(np.complex64))
    check_grads(fn, (a,), order=1, modes=("fwd", "rev"))
    for leaf in gpugrad.tree_util.tree_leaves(fn(a)):
        assert leaf.dtype in (np.complex64, np.float32)


@pytest.mark.parametrize("name", ["svd-tall", "eigh", "qr-tall", "cholesky", "slogdet",
                                  "norm-2"])
def test_real_and_imaginary_directions(name: str) -> None:
    """The JVP along a purely real and a purely imaginary direction, each against its own
    central difference (a complex function is not holomorphic in general: the two differ)."""
    make_fn, make = next((c[1], c[2]) for c in CASES if c[0] == name)
    fn, a = make_fn(LA, gnp), make()
    direction = np.random.default_rng(40).standard_normal(a.shape).astype(complex)
    eps = 1e-6
    for t in (direction, 1j * direction):
        _, t_out = gpugrad.jvp(fn, (a,), (t,))
        plus, minus = fn(a + eps * t), fn(a - eps * t)
        for got, p, m in zip(*(gpugrad.tree_util.tree_leaves(x) for x in (t_out, plus, minus))):
            np.testing.assert_allclose(got, (p - m) / (2 * eps), atol=1e-7, rtol=1e-6)


# ---------------------------------------------------------------------------------------
# Values against NumPy


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_values_against_numpy(xp: Any, dtype: Any) -> None:
    a, h = cgeneral((2, 4, 3), 50).astype(dtype), hpd((3, 3), 51).astype(dtype)
    sq = a[..., :3, :]
    rtol = 1e-4 if dtype == np.complex64 else 1e-10
    real = np.float32 if dtype == np.complex64 else np.float64

    def close(got: Any, want: Any) -> None:
        got = _host(got)
        assert got.dtype == np.asarray(want).dtype, (got.dtype, np.asarray(want).dtype)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)

    A, H, SQ = xp.asarray(a), xp.asarray(h), xp.asarray(sq)
    close(LA.svd(A, compute_uv=False), np.linalg.svd(a, compute_uv=False))
    u, s, vh = LA.svd(A, full_matrices=False)
    close((_host(u) * _host(s)[..., None, :]) @ _host(vh), a)
    close(np.abs(_host(u)), np.abs(np.linalg.svd(a, full_matrices=False)[0]))
    close(LA.svd(A)[2], np.linalg.svd(a)[2])  # full_matrices: NumPy's own
    w, v = LA.eigh(H)
    close(w, np.linalg.eigvalsh(h))
    close(LA.eigvalsh(H, "U"), np.linalg.eigvalsh(h, "U"))
    close((_host(v) * _host(w)[None, :]) @ np.conj(_host(v)).T, h)
    for mode in ("reduced", "complete"):
        for got, want in zip(LA.qr(A, mode=mode), np.linalg.qr(a, mode=mode)):
            close(got, want)
    close(LA.qr(A, mode="r"), np.linalg.qr(a, mode="r"))
    q, r = LA.qr(xp.asarray(np.swapaxes(a, -1, -2)))  # wide
    close(q, np.linalg.qr(np.swapaxes(a, -1, -2))[0])
    close(r, np.linalg.qr(np.swapaxes(a, -1, -2))[1])
    close(LA.cholesky(H), np.linalg.cholesky(h))
    close(LA.cholesky(H, upper=True), np.conj(np.linalg.cholesky(h)).T)
    close(LA.solve(SQ, SQ[..., :2]), np.linalg.solve(sq, sq[..., :2]))
    close(LA.inv(SQ), np.linalg.inv(sq))
    close(LA.det(SQ), np.linalg.det(sq))
    sign, logabsdet = LA.slogdet(SQ)
    close(sign, np.linalg.slogdet(sq)[0])
    close(logabsdet, np.linalg.slogdet(sq)[1])
    close(LA.pinv(A), np.linalg.pinv(a))
    for ord in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
        close(LA.norm(A[0], ord), np.linalg.norm(a[0], ord).astype(real))
    for ord in (None, 2, 1, 3, 0.5, np.inf, -np.inf, 0):
        close(LA.norm(A[0, 0], ord), np.linalg.norm(a[0, 0], ord).astype(real))
    close(LA.norm(A, axis=(0, 2)), np.linalg.norm(a, axis=(0, 2)).astype(real))
    x, residuals, rank, s = LA.lstsq(A[0], A[0, :, 0] + 1)
    want = np.linalg.lstsq(a[0], a[0, :, 0] + 1)
    close(x, want[0])
    close(residuals, want[1])
    assert rank == want[2]


# ---------------------------------------------------------------------------------------
# Closed forms: grad of a real loss L is G with dL = Re sum(G * dA) (JAX's convention: the
# conjugate of dL/dRe + i dL/dIm)


def test_closed_form_gradients() -> None:
    a, h = cgeneral((3, 3), 60), hpd((3, 3), 61)
    close = lambda got, want: np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)
    det = np.linalg.det(a)
    close(gpugrad.grad(lambda m: gnp.abs(LA.det(m)) ** 2)(a),
          2 * abs(det) ** 2 * np.linalg.inv(a).T)
    close(gpugrad.grad(lambda m: LA.slogdet(m).logabsdet)(a), np.linalg.inv(a).T)
    # d angle(det) = Im tr(A^{-1} dA), so G = -i A^{-T}.
    close(gpugrad.grad(lambda m: gnp.angle(LA.slogdet(m).sign))(a), -1j * np.linalg.inv(a).T)
    close(gpugrad.grad(lambda m: LA.norm(m))(a), np.conj(a) / np.linalg.norm(a))
    u, _, vh = np.linalg.svd(a)
    close(gpugrad.grad(lambda m: LA.norm(m, "nuc"))(a), np.conj(u @ vh))
    close(gpugrad.grad(lambda m: LA.norm(m, 2))(a), np.conj(np.outer(u[:, 0], vh[0])))
    w, v = np.linalg.eigh(h)
    for k in range(3):
        close(gpugrad.grad(lambda m, k=k: LA.eigvalsh(m)[k])(h),
              np.conj(np.outer(v[:, k], np.conj(v[:, k]))))
    # holomorphic: grad of det with holomorphic=True is det(A) A^{-T}
    close(gpugrad.grad(LA.det, holomorphic=True)(a), det * np.linalg.inv(a).T)
    close(gpugrad.jacrev(LA.inv, holomorphic=True)(a),
          -np.einsum("ik,lj->ijkl", np.linalg.inv(a), np.linalg.inv(a)))


def test_hermitian_conventions() -> None:
    """eigh/cholesky read (a + a^H) / 2, so a real loss's gradient is Hermitian; with
    symmetrize_input=False they read one triangle (NumPy's values) and only it gets a
    gradient, the diagonal's imaginary part none (LAPACK ignores it)."""
    a = hpd((3, 3), 70) + np.triu(cvec((3, 3), 71), 0)  # not Hermitian
    herm = (a + np.conj(a).T) / 2
    np.testing.assert_allclose(LA.eigvalsh(a), np.linalg.eigvalsh(herm), rtol=1e-12)
    np.testing.assert_allclose(LA.cholesky(a), np.linalg.cholesky(herm), rtol=1e-12)
    for loss in (lambda m: gnp.sum(LA.eigvalsh(m) * np.arange(3.0)),
                 lambda m: gnp.sum(gnp.abs(LA.cholesky(m)) ** 2 * np.arange(3.0))):
        g = gpugrad.grad(loss)(a)
        np.testing.assert_allclose(g, np.conj(g).T, atol=1e-12)
    for uplo, read in (("L", np.tril), ("U", np.triu)):
        np.testing.assert_allclose(LA.eigvalsh(a, uplo, symmetrize_input=False),
                                   np.linalg.eigvalsh(a, uplo), rtol=1e-12)
        g = gpugrad.grad(lambda m: gnp.sum(LA.eigvalsh(m, uplo, symmetrize_input=False)
                                           * np.arange(3.0)))(a)
        np.testing.assert_array_equal(g[read(np.ones((3, 3))) == 0], 0)
        np.testing.assert_array_equal(np.imag(np.diag(g)), 0)
    np.testing.assert_allclose(LA.cholesky(a, symmetrize_input=False),
                               np.linalg.cholesky(a), rtol=1e-12)


def test_gauge() -> None:
    """JAX's choice of phase: V^H V' has a zero diagonal for eigh; for the SVD the phase
    term sits in U (U^H U' has imaginary diagonal i Im(diag(U^H A' V)) / s, V^H V' none)."""
    a, t = hpd((3, 3), 80), cvec((3, 3), 81)
    (_, v), (_, dv) = gpugrad.jvp(lambda m: tuple(LA.eigh(m)), (a,), (t,))
    np.testing.assert_allclose(np.diag(np.conj(v).T @ dv), 0, atol=1e-12)
    a = cgeneral((4, 3), 82)
    (u, s, vh), (du, _, dvh) = gpugrad.jvp(lambda m: tuple(LA.svd(m, full_matrices=False)),
                                           (a,), (t[:, :3].repeat(2, 0)[:4],))
    dp = np.conj(u).T @ t[:, :3].repeat(2, 0)[:4] @ np.conj(vh).T
    np.testing.assert_allclose(np.diag(np.conj(u).T @ du), 1j * np.imag(np.diag(dp)) / s,
                               atol=1e-12)
    np.testing.assert_allclose(np.diag(vh @ np.conj(dvh).T), 0, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Against JAX: jvp and vjp of every function in the table, and grads of real losses


def _jax_cotangent(out: Any, rng: np.random.Generator) -> Any:
    def draw(x: Any) -> Any:
        x = np.asarray(x)
        c = rng.standard_normal(x.shape)
        return (c + 1j * rng.standard_normal(x.shape) if x.dtype.kind == "c" else c
                ).astype(x.dtype)

    return gpugrad.tree_util.tree_map(draw, out)


# complex128 for every row; complex64 (JAX compiles each case anew: seconds each) for one row
# of each decomposition.
SINGLE = {"svd-tall", "eigh", "qr-tall", "cholesky", "slogdet", "norm-nuc"}


@pytest.mark.parametrize("name,make_fn,make,dtype",
                         [c + (np.complex128,) for c in CASES]
                         + [c + (np.complex64,) for c in CASES if c[0] in SINGLE],
                         ids=[c[0] for c in CASES] + [c[0] + "-c64" for c in CASES
                                                      if c[0] in SINGLE])
def test_against_jax(name: str, make_fn: Any, make: Any, dtype: Any, jax_x64: Any) -> None:
    jax = jax_x64
    rng = np.random.default_rng(90)
    a = make().astype(dtype)
    t = cvec(a.shape, 91).astype(dtype)
    tol = 2e-4 if dtype == np.complex64 else 1e-10
    ours, theirs = make_fn(LA, gnp), jax.jit(make_fn(jax.numpy.linalg, jax.numpy))
    out, t_out = gpugrad.jvp(ours, (a,), (t,))
    j_out, j_t_out = jax.jvp(theirs, (a,), (t,))
    for got, want in ((out, j_out), (t_out, j_t_out)):
        got, want = gpugrad.tree_util.tree_leaves(got), gpugrad.tree_util.tree_leaves(want)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    ct = _jax_cotangent(out, rng)
    (got,) = gpugrad.vjp(ours, a)[1](ct)
    (want,) = jax.vjp(theirs, a)[1](ct if isinstance(ct, np.ndarray) else
                                    gpugrad.tree_util.tree_map(np.asarray, tuple(ct)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_real_losses_against_jax(jax_x64: Any) -> None:
    jax = jax_x64
    a, h = cgeneral((3, 3), 100), hpd((2, 3, 3), 101)
    weights = np.random.default_rng(102).standard_normal((3, 3))

    def losses(la: Any, xp: Any) -> list[tuple[Callable[[Any], Any], np.ndarray]]:
        def svd_loss(m: Any) -> Any:
            u, s, vh = la.svd(m)
            return xp.sum(weights * xp.abs(u) ** 2) + xp.sum(s**3) + xp.real(xp.sum(u @ vh))

        def eigh_loss(m: Any) -> Any:
            w, v = la.eigh(m)
            return xp.sum(weights * xp.abs(v[1]) ** 2) + xp.sum(w**2)

        def qr_loss(m: Any) -> Any:
            q, r = la.qr(m)
            return xp.sum(weights * xp.abs(q)) + xp.imag(xp.sum(r**2))

        return [(lambda m: xp.abs(la.det(m)) ** 2, a), (svd_loss, a), (eigh_loss, h),
                (qr_loss, a), (lambda m: xp.real(xp.sum(la.cholesky(m) ** 2)), h),
                (lambda m: la.norm(m, "nuc") + la.norm(m, -2) + la.norm(m), a),
                (lambda m: xp.angle(la.slogdet(m)[0]) + la.slogdet(m)[1], a),
                (lambda m: xp.imag(xp.sum(la.solve(m, m[:, :1] ** 2))), a)]

    for (ours, x), (theirs, _) in zip(losses(LA, gnp), losses(jax.numpy.linalg, jax.numpy)):
        np.testing.assert_allclose(gpugrad.grad(ours)(x), jax.grad(theirs)(x), rtol=1e-9,
                                   atol=1e-10)
        # Second order: the Hessian-vector product of the real loss.
        t = cvec(x.shape, 103)
        np.testing.assert_allclose(
            gpugrad.jvp(gpugrad.grad(ours), (x,), (t,))[1],
            jax.jvp(jax.grad(theirs), (x,), (t,))[1], rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------------------------------
# Degenerate cases


def test_degenerate_spectra() -> None:
    """At a repeated eigenvalue (singular value) the vectors have no derivative (NaN where
    used, as JAX), while functions of the values alone keep finite, closed-form gradients."""
    q = np.linalg.qr(cvec((3, 3), 110))[0]
    h = q @ np.diag([1.0, 1.0, 2.0]) @ np.conj(q).T
    weights = np.array([1.0, 1.0, 3.0])
    g = gpugrad.grad(lambda m: gnp.sum(LA.eigvalsh(m) * weights))(h)
    projector = q[:, :2] @ np.conj(q[:, :2]).T
    np.testing.assert_allclose(g, np.conj(projector + 3 * (np.eye(3) - projector)),
                               atol=1e-12)
    exact = np.diag([1.0, 1.0, 2.0]).astype(complex)  # LAPACK's eigenvalues exactly equal
    _, dv = gpugrad.jvp(lambda m: LA.eigh(m).eigenvectors, (exact,), (cvec((3, 3), 111),))
    assert np.isnan(dv[:, :2]).all() and np.isfinite(dv[:, 2]).all()
    # A rank-deficient square matrix: s = 0 is a kink of the nuclear norm; its gradient is
    # U Vh's conjugate over the nonzero values plus the null space's (LAPACK's) pairing.
    a = np.array([[3j, 1 + 1j, 0], [0, 2, 0], [0, 0, 0]])
    u, s, vh = np.linalg.svd(a)
    assert s[2] == 0  # exactly
    g = gpugrad.grad(lambda m: LA.norm(m, "nuc"))(a)
    np.testing.assert_allclose(g, np.conj(u @ vh), atol=1e-10)
    _, (du, _, _) = gpugrad.jvp(lambda m: tuple(LA.svd(m)), (a,), (cvec((3, 3), 113),))
    assert np.isfinite(du).all()  # the phase term is 0 at s = 0 (JAX's choice)


def test_errors() -> None:
    with pytest.raises(np.linalg.LinAlgError):
        LA.cholesky(-hpd((3, 3), 120))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        gpugrad.grad(lambda m: gnp.sum(gnp.abs(LA.svd(m)[0])))(cgeneral((4, 3), 121))
    with pytest.raises(ValueError, match="UPLO"):
        LA.eigh(hpd((3, 3), 122), UPLO="X")
