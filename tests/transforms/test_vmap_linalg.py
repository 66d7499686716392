"""vmap of linear algebra, FFTs and complex parts: each primitive and each public function of
``gpugrad.numpy.linalg`` and ``gpugrad.numpy.fft`` against the Python loop over examples, in
several layouts of the batch (``tools.batching_check.check_layouts``); derivatives of batched
code to order 2 against finite differences; JAX's ``vmap`` where it is installed.

Decompositions whose factors are unique only up to a sign or phase per vector are compared
through quantities that are not (the reconstructed matrix, ``|V|``, the values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core.concrete import ConcretizationError
from gpugrad.primitives import complex as C
from gpugrad.primitives import fft as P
from gpugrad.primitives import linalg as L
from gpugrad.primitives import linalg_decomp as D
from gpugrad.primitives import linalg_eig as E
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, check_vmap, host

LA, F = gnp.linalg, gnp.fft
B = 3  # examples per batch
Row = tuple[str, Callable[..., Any], list[tuple[int, ...]], str]


def _arrays(xp: Any, shapes: list[tuple[int, ...]], kind: str, seed: int) -> list[Any]:
    """A batch (axis 0) of inputs: ``g`` general, ``s`` symmetric positive definite,
    ``h`` Hermitian positive definite, ``c`` complex, ``p`` with distinct real eigenvalues."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        x = rng.standard_normal((B, *shape))
        if kind in "ch":
            x = x + 1j * rng.standard_normal((B, *shape))
        if kind in "sh":
            x = x @ np.conj(np.swapaxes(x, -1, -2)) + shape[-1] * np.eye(shape[-1])
        if kind == "p":  # upper triangular plus a little: well-separated real eigenvalues
            x = np.triu(x, 1) + np.diag(np.arange(1.0, shape[-1] + 1)) + 0.1 * x
        out.append(xp.asarray(x))
    return out


def reconstruct_eigh(a: Any) -> Any:
    w, v = LA.eigh(a)
    return (v * w[..., None, :]) @ L.mH(v), gnp.abs(v)


def reconstruct_svd(a: Any, full: bool = False) -> Any:
    u, s, vh = LA.svd(a, full_matrices=full)
    k = s.shape[-1]
    return (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], s, gnp.abs(u)


def reconstruct_qr(a: Any, mode: str = "reduced") -> Any:
    q, r = LA.qr(a, mode=mode)
    return q @ r, gnp.abs(r)


def reconstruct_eig(a: Any) -> Any:
    w, v = LA.eig(a)
    return w, gnp.abs(v), (v * w[..., None, :]) @ LA.inv(v)


# The primitives themselves (the rules under test), then the public functions.
PRIMITIVES: list[Row] = [
    ("solve", L.solve, [(4, 4), (4, 2)], "g"),
    ("solve-complex", L.solve, [(3, 3), (3, 3)], "c"),
    ("slogdet", L.slogdet, [(4, 4)], "g"),
    ("slogdet-complex", L.slogdet, [(3, 3)], "c"),
    ("cholesky", L.cholesky, [(4, 4)], "s"),
    ("cholesky-complex", L.cholesky, [(3, 3)], "h"),
    ("pinv", lambda a: L.pinv(a, 1e-15), [(5, 3)], "g"),
    ("eigh", lambda a: D.unpack_eigh(D.eigh(a))[0], [(4, 4)], "s"),
    ("svd", lambda a: D.unpack_svd(D.svd(a), 5)[1], [(5, 3)], "g"),
    ("qr", lambda a: L.matmul(*D.unpack_qr(D.qr(a), 5)), [(5, 3)], "g"),
    ("eig", lambda a: E.unpack_eig(E.eig(a))[0], [(4, 4)], "p"),
    ("fft", lambda x: P.fft_transform(x, "fft", (0, 1), (3, 4), "ortho"), [(3, 4, 2)], "c"),
    ("ifft", lambda x: P.fft_transform(x, "ifft", (2,), (4,), "forward"), [(2, 3, 4)], "c"),
    ("rfft", lambda x: P.fft_transform(x, "rfft", (1, 0), (4, 6), "backward"), [(4, 6)], "g"),
    ("irfft", lambda x: P.fft_transform(x, "irfft", (0,), (6,), "ortho"), [(4, 3)], "c"),
    ("real", C.real, [(2, 3)], "c"),
    ("imag", C.imag, [(2, 3)], "c"),
    ("conj", C.conj, [(2, 3)], "c"),
    ("complex_abs", C.complex_abs, [(2, 3)], "c"),
    ("complex", C.make_complex, [(2, 3), (2, 3)], "g"),
]

FUNCTIONS: list[Row] = [
    ("inv", LA.inv, [(4, 4)], "g"),
    ("det", LA.det, [(4, 4)], "g"),
    ("det-complex", LA.det, [(3, 3)], "c"),
    ("slogdet", LA.slogdet, [(2, 4, 4)], "g"),
    ("solve-matrix", LA.solve, [(4, 4), (4, 3)], "g"),
    ("solve-vector", LA.solve, [(4, 4), (4,)], "g"),
    ("solve-stack", LA.solve, [(2, 3, 3), (2, 3, 1)], "g"),
    ("cholesky", LA.cholesky, [(4, 4)], "s"),
    ("cholesky-upper", lambda a: LA.cholesky(a, upper=True), [(3, 3)], "h"),
    ("eigh", reconstruct_eigh, [(4, 4)], "s"),
    ("eigh-complex", reconstruct_eigh, [(3, 3)], "h"),
    ("eigvalsh", lambda a: LA.eigvalsh(a, symmetrize_input=False), [(4, 4)], "s"),
    ("svd-reduced", reconstruct_svd, [(5, 3)], "g"),
    ("svd-full-tall", lambda a: reconstruct_svd(a, full=True), [(5, 3)], "g"),
    ("svd-full-wide", lambda a: reconstruct_svd(a, full=True), [(2, 4)], "c"),
    ("svd-values", lambda a: LA.svd(a, compute_uv=False), [(3, 5)], "g"),
    ("qr", reconstruct_qr, [(5, 3)], "g"),
    ("qr-wide", reconstruct_qr, [(3, 5)], "g"),
    ("qr-complete", lambda a: reconstruct_qr(a, "complete"), [(5, 3)], "c"),
    ("qr-r", lambda a: gnp.abs(LA.qr(a, mode="r")), [(4, 3)], "g"),
    ("pinv", LA.pinv, [(3, 5)], "c"),
    ("matrix_power", lambda a: LA.matrix_power(a, 3), [(3, 3)], "g"),
    ("matrix_power-negative", lambda a: LA.matrix_power(a, -2), [(3, 3)], "g"),
    ("matrix_rank", LA.matrix_rank, [(4, 3)], "g"),
    ("multi_dot", lambda a, b: LA.multi_dot([a, b, a]), [(3, 3), (3, 3)], "g"),
    ("eig", reconstruct_eig, [(4, 4)], "p"),
    ("eigvals", LA.eigvals, [(3, 3)], "c"),
    ("norm-vector", LA.norm, [(5,)], "g"),
    ("norm-axis", lambda a: LA.norm(a, ord=3, axis=0), [(4, 3)], "c"),
    *[(f"norm-vector-{o}", lambda a, o=o: LA.norm(a, ord=o), [(5,)], "g")
      for o in (0, 1, 2, -1, np.inf, -np.inf)],
    *[(f"norm-matrix-{o}", lambda a, o=o: LA.norm(a, ord=o), [(4, 3)], "g")
      for o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)],
    ("fft", lambda x: F.fft(x, n=5, axis=0, norm="ortho"), [(4, 3)], "c"),
    ("ifft", lambda x: F.ifft(x, n=3, norm="forward"), [(2, 5)], "c"),
    ("rfft", lambda x: F.rfft(x, n=7), [(3, 6)], "g"),
    ("irfft", lambda x: F.irfft(x, axis=0), [(4, 3)], "c"),
    ("irfft-n", lambda x: F.irfft(x, n=5, norm="ortho"), [(3, 4)], "c"),
    ("fft2", lambda x: F.fft2(x, s=(3, 5)), [(2, 3, 4)], "c"),
    ("ifft2", F.ifft2, [(3, 4)], "c"),
    ("fftn", lambda x: F.fftn(x, axes=(2, 0)), [(2, 3, 4)], "c"),
    ("ifftn", lambda x: F.ifftn(x, s=(2, 3), norm="ortho"), [(3, 4)], "c"),
    ("rfft2", F.rfft2, [(4, 6)], "g"),
    ("rfftn", lambda x: F.rfftn(x, axes=(1, 0), norm="forward"), [(3, 5)], "g"),
    ("irfft2", lambda x: F.irfft2(x, s=(4, 5)), [(3, 4)], "c"),
    ("irfftn", lambda x: F.irfftn(x, axes=(0, 1)), [(3, 4)], "c"),
    ("fftshift", F.fftshift, [(3, 5)], "c"),
    ("ifftshift", lambda x: F.ifftshift(x, axes=-1), [(3, 4)], "g"),
    ("real", gnp.real, [(2, 3)], "c"),
    ("imag", gnp.imag, [(2, 3)], "c"),
    ("conj", gnp.conj, [(2, 3)], "c"),
    ("abs", gnp.abs, [(2, 3)], "c"),
    ("angle", gnp.angle, [(2, 3)], "c"),
]


def _ids(rows: list[Row]) -> list[str]:
    return [r[0] for r in rows]


@pytest.mark.parametrize("name,fn,shapes,kind", PRIMITIVES + FUNCTIONS,
                         ids=_ids(PRIMITIVES) + [f"np-{n}" for n in _ids(FUNCTIONS)])
def test_layouts(xp: Any, name: str, fn: Callable[..., Any], shapes: list[tuple[int, ...]],
                 kind: str) -> None:
    args = _arrays(xp, shapes, kind, seed=sum(map(ord, name)))
    check_layouts(fn, args, rtol=1e-9, atol=1e-11)


# Batched backward passes: vmap of grad against the loop of grads (the rules of the
# derivatives run on batched values: solves, gathers, scatters, divide_defined...).
GRADS: list[Row] = [
    ("solve", lambda a, b: gnp.sum(LA.solve(a, b) ** 2), [(3, 3), (3, 2)], "g"),
    ("slogdet", lambda a: LA.slogdet(a)[1], [(3, 3)], "g"),
    ("det-complex", lambda a: gnp.abs(LA.det(a)) ** 2, [(3, 3)], "c"),
    ("cholesky", lambda a: gnp.sum(LA.cholesky(a) ** 3), [(3, 3)], "s"),
    ("eigh", lambda a: gnp.sum(LA.eigh(a)[1] ** 4) + LA.eigvalsh(a)[0], [(3, 3)], "s"),
    ("svd", lambda a: gnp.sum(gnp.abs(LA.svd(a, full_matrices=False)[0]) ** 4), [(4, 3)], "c"),
    ("qr", lambda a: gnp.sum(LA.qr(a)[0] ** 3), [(4, 3)], "g"),
    ("pinv", lambda a: gnp.sum(LA.pinv(a) ** 2), [(4, 3)], "g"),
    ("eig", lambda a: gnp.sum(gnp.abs(LA.eig(a)[1]) ** 3), [(3, 3)], "p"),
    ("fft", lambda x: gnp.sum(gnp.abs(F.rfft(x, n=5)) ** 2), [(2, 6)], "g"),
    ("irfft", lambda x: gnp.sum(F.irfft(x) ** 3), [(2, 4)], "c"),
    ("norm-nuc", lambda a: LA.norm(a, "nuc"), [(3, 4)], "g"),
]


@pytest.mark.parametrize("name,fn,shapes,kind", GRADS, ids=_ids(GRADS))
def test_vmap_of_grad(xp: Any, name: str, fn: Callable[..., Any],
                      shapes: list[tuple[int, ...]], kind: str) -> None:
    args = _arrays(xp, shapes, kind, seed=sum(map(ord, name)))
    argnums = tuple(range(len(args)))
    check_layouts(gpugrad.grad(fn, argnums=argnums), args, rtol=1e-8, atol=1e-10)


# Derivatives of the batched function, to order 2 in both modes (float64).
CHECKED: list[Row] = [
    ("solve", lambda a, b: LA.solve(a, b), [(3, 3), (3,)], "g"),
    ("slogdet", lambda a: LA.slogdet(a)[1], [(3, 3)], "g"),
    ("eigvalsh", LA.eigvalsh, [(3, 3)], "s"),
    ("eig", lambda a: gnp.abs(LA.eig(a)[1]) + gnp.real(LA.eigvals(a)[:, None]), [(3, 3)], "p"),
    ("qr", lambda a: LA.qr(a)[1], [(3, 2)], "g"),
    ("svd-values", lambda a: LA.svd(a, compute_uv=False), [(4, 3)], "g"),
    ("svd-values-complex", lambda a: LA.svd(a, compute_uv=False), [(2, 3)], "c"),
    ("fft", lambda x: F.fft(x, n=4), [(2, 3)], "c"),
    ("rfft", lambda x: F.rfftn(x, norm="ortho"), [(3, 4)], "g"),
    ("irfft", lambda x: F.irfft(x, n=5), [(3,)], "c"),
]


@pytest.mark.parametrize("name,fn,shapes,kind", CHECKED, ids=_ids(CHECKED))
@pytest.mark.parametrize("in_axes", [0, -1])
def test_check_grads_of_vmap(name: str, fn: Callable[..., Any], shapes: list[tuple[int, ...]],
                             kind: str, in_axes: int) -> None:
    args = _arrays(np, shapes, kind, seed=sum(map(ord, name)))
    if in_axes == -1:
        args = [np.moveaxis(x, 0, -1) for x in args]
    check_grads(gpugrad.vmap(fn, in_axes=in_axes), args, order=2, modes=("fwd", "rev"))


def test_solve_with_one_matrix_for_all_examples() -> None:
    """An unbatched matrix is solved once against every example's right side, laid out as
    more columns (no copies of the matrix); the batch axis comes out where it went in."""
    a, b = _arrays(np, [(4, 4), (4, 2)], "g", seed=1)
    out = check_vmap(L.solve, [a[0], b], (None, 0))
    np.testing.assert_allclose(out, np.linalg.solve(a[0], b), rtol=1e-12)
    check_vmap(L.solve, [a[0], np.moveaxis(b, 0, -1)], (None, -1), out_axes=1)


def test_divide_defined_batched() -> None:
    """The NaN mask of a zero divisor is computed per example: 0/0 is 0, x/0 is NaN."""
    x = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]])
    d = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 4.0]])
    got = check_vmap(L.divide_defined, [x, d], 1, out_axes=1)
    np.testing.assert_array_equal(host(got), [[0.5, 0.0, np.nan], [0.0, 3.0, 1.0]])


def test_repeated_eigenvalues_batched() -> None:
    """At a repeated eigenvalue in one example only: that example's eigenvector derivative is
    NaN, the others' are finite, and the eigenvalues' derivative is finite everywhere."""
    a = _arrays(np, [(3, 3)], "s", seed=4)[0]
    a[1] = np.diag([1.0, 1.0, 2.0])
    t = _arrays(np, [(3, 3)], "s", seed=5)[0]
    _, (dw, dv) = gpugrad.vmap(lambda a, t: gpugrad.jvp(lambda m: tuple(LA.eigh(m)), (a,),
                                                        (t,)))(a, t)
    assert np.isfinite(dw).all()
    assert np.isnan(dv[1]).any() and np.isfinite(dv[[0, 2]]).all()


def test_value_reads_raise() -> None:
    """lstsq's rank is a Python int that decides the residuals' shape: under vmap it cannot
    be read, and the error says so instead of answering for one example."""
    a, b = _arrays(np, [(4, 2), (4,)], "g", seed=6)
    wanted = r"lstsq\(\) needs the value of its argument 'a'.*batched by vmap"
    with pytest.raises(ConcretizationError, match=wanted):
        gpugrad.vmap(LA.lstsq)(a, b)
    # With the matrix shared, the rank is one value and lstsq works.
    x = gpugrad.vmap(lambda b: LA.lstsq(a[0], b)[0])(b)
    np.testing.assert_allclose(x, [np.linalg.lstsq(a[0], e)[0] for e in b], rtol=1e-10)


_RHS = np.random.default_rng(8).standard_normal((3, 2))  # one right side for every example
JAX_ROWS = [
    ("solve", lambda la, a: la.solve(a, _RHS), (3, 3), "g"),
    ("slogdet", lambda la, a: la.slogdet(a)[1], (3, 3), "g"),
    ("eigvalsh", lambda la, a: la.eigvalsh(a), (3, 3), "s"),
    ("svd", lambda la, a: la.svd(a, compute_uv=False), (4, 3), "c"),
    ("pinv", lambda la, a: la.pinv(a), (3, 4), "g"),
]


@pytest.mark.parametrize("name,fn,shape,kind", JAX_ROWS, ids=[r[0] for r in JAX_ROWS])
def test_against_jax(jax_x64: Any, name: str, fn: Callable[..., Any], shape: tuple[int, ...],
                     kind: str) -> None:
    """jax.vmap's values and the batched gradient of the sum of squares (its convention for
    complex inputs is ours)."""
    jnp = jax_x64.numpy
    (a,) = _arrays(np, [shape], kind, seed=sum(map(ord, name)))
    ours = gpugrad.vmap(lambda m: fn(LA, m), in_axes=-1)(np.moveaxis(a, 0, -1))
    np.testing.assert_allclose(ours, np.asarray(jax_x64.vmap(lambda m: fn(jnp.linalg, m))(a)),
                               rtol=1e-10, atol=1e-12)
    g = gpugrad.vmap(gpugrad.grad(lambda m: gnp.sum(gnp.abs(fn(LA, m)) ** 2)))(a)
    g_jax = jax_x64.vmap(jax_x64.grad(lambda m: jnp.sum(jnp.abs(fn(jnp.linalg, m)) ** 2)))(a)
    np.testing.assert_allclose(g, np.asarray(g_jax), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["fft", "rfft2", "irfftn"])
def test_fft_against_jax(jax_x64: Any, name: str) -> None:
    x = _arrays(np, [(3, 4)], "g" if name.startswith("r") else "c", seed=7)[0]
    ours = gpugrad.vmap(getattr(F, name), in_axes=1, out_axes=-1)(x)
    theirs = jax_x64.vmap(getattr(jax_x64.numpy.fft, name), in_axes=1, out_axes=-1)(x)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-10, atol=1e-12)
