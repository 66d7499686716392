"""``check_grads``: verify derivatives numerically, to any order, in both modes.

* Forward mode: the JVP in a random direction ``t`` must match the central finite
  difference ``(f(x + eps t) - f(x - eps t)) / (2 eps)``.
* Reverse mode: the VJP with a random cotangent ``c`` must satisfy the inner-product
  identity ``<J t, c> == <t, J^T c>`` against the (separately checked) JVP.
* Order ``n``: the same checks applied recursively to the JVP and VJP functions themselves,
  so ``order=2`` checks second derivatives in every combination of modes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.api import jvp, vjp
from gpugrad.backend import namespace_of

__all__ = ["check_grads"]

_DEFAULT_TOL = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 2e-2,
                np.dtype(np.float64): 1e-5}
_DEFAULT_EPS = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-2,
                np.dtype(np.float64): 1e-5}


def _host(x: Any) -> np.ndarray[Any, Any]:
    return x.get() if hasattr(x, "__cuda_array_interface__") else np.asarray(x)


def _inner(a: Any, b: Any) -> float:
    la, lb = tree_util.tree_leaves(a), tree_util.tree_leaves(b)
    return float(sum(np.vdot(_host(x).astype(np.complex128).ravel(),
                             _host(y).astype(np.complex128).ravel()).real
                     for x, y in zip(la, lb)))


def _wide(x: Any) -> np.ndarray[Any, Any]:
    """On the host in float64 (complex128 for complex values)."""
    x = _host(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _conj(tree: Any) -> Any:
    return tree_util.tree_map(lambda x: x.conj() if x.dtype.kind == "c" else x, tree)


def _random_like(tree: Any, rng: np.random.Generator) -> Any:
    def draw(x: Any) -> Any:
        raw = _host(x)
        if raw.dtype.kind not in "fc":
            return np.zeros(raw.shape, raw.dtype)
        sample = rng.standard_normal(raw.shape)
        if raw.dtype.kind == "c":  # a random direction in the complex plane
            sample = sample + 1j * rng.standard_normal(raw.shape)
        return namespace_of(x).asarray(sample.astype(raw.dtype))

    return tree_util.tree_map(draw, tree)


def _axpy(a: float, x: Any, y: Any) -> Any:
    return tree_util.tree_map(
        lambda xi, yi: yi + (a * xi).astype(yi.dtype) if yi.dtype.kind in "fc" else yi, x, y
    )


def _widest_float(tree: Any) -> np.dtype[Any]:
    dtypes = [np.dtype(x.dtype) for x in tree_util.tree_leaves(tree) if x.dtype.kind in "fc"]
    if not dtypes:
        return np.dtype(np.float64)
    real = [np.dtype(np.float64) if d in (np.complex128,) else
            np.dtype(np.float32) if d == np.complex64 else d for d in dtypes]
    return min(real, key=lambda d: d.itemsize)


def _assert_close(what: str, actual: Any, expected: Any, atol: float, rtol: float) -> None:
    for a, e in zip(tree_util.tree_leaves(actual), tree_util.tree_leaves(expected)):
        a, e = _wide(a), _wide(e)
        if a.shape != e.shape:
            raise AssertionError(f"{what}: shape {a.shape} != expected {e.shape}")
        if not np.allclose(a, e, atol=atol, rtol=rtol, equal_nan=True):
            err = np.max(np.abs(a - e)) if a.size else 0.0
            raise AssertionError(f"{what} mismatch (max abs error {err:.3g}, atol={atol}, "
                                 f"rtol={rtol}):\n got      {a}\n expected {e}")


def check_jvp(f: Callable[..., Any], args: tuple[Any, ...], atol: float, rtol: float,
              eps: float, rng: np.random.Generator) -> None:
    """The JVP of ``f`` at ``args`` in a random direction against central differences."""
    tangents = _random_like(args, rng)
    _, t_out = jvp(f, args, tangents)
    plus = f(*_axpy(eps, tangents, args))
    minus = f(*_axpy(-eps, tangents, args))
    numeric = tree_util.tree_map(
        lambda p, m: (_wide(p) - _wide(m)) / (2 * eps),
        plus, minus)
    _assert_close("JVP vs finite differences", t_out, numeric, atol, rtol)


def check_vjp(f: Callable[..., Any], args: tuple[Any, ...], atol: float, rtol: float,
              rng: np.random.Generator) -> None:
    """``<J t, c> == <t, J^T c>`` for random ``t`` and ``c``."""
    tangents = _random_like(args, rng)
    out, vjp_fn = vjp(f, *args)
    cotangent = _random_like(out, rng)
    _, t_out = jvp(f, args, tangents)
    forward = _inner(t_out, cotangent)
    # JAX's convention for complex numbers: the VJP is the transpose without conjugation,
    # so the real transpose J^T c is conj(vjp(conj(c))) (the identity for real dtypes).
    backward = _inner(tangents, _conj(vjp_fn(_conj(cotangent))))
    scale = max(1.0, abs(forward), abs(backward))
    if abs(forward - backward) > atol + rtol * scale:
        raise AssertionError(f"VJP fails the inner-product identity: <J t, c> = {forward!r} "
                             f"but <t, J^T c> = {backward!r}")


def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int,
                modes: Sequence[str] = ("fwd", "rev"), atol: float | None = None,
                rtol: float | None = None, eps: float | None = None, seed: int = 0) -> None:
    """Check the derivatives of ``f`` at ``args`` up to ``order``; raise AssertionError if off.

    Example:
        >>> check_grads(gnp.sin, (np.array([0.5, 1.0]),), order=2)
    """
    args = tuple(args)
    dtype = _widest_float(args)
    atol = _DEFAULT_TOL.get(dtype, 1e-5) if atol is None else atol
    rtol = _DEFAULT_TOL.get(dtype, 1e-5) if rtol is None else rtol
    eps = _DEFAULT_EPS.get(dtype, 1e-5) if eps is None else eps
    rng = np.random.default_rng(seed)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"unknown mode {mode!r}; expected 'fwd' or 'rev'")
    _check(f, args, order, tuple(modes), atol, rtol, eps, rng)


def _check(f: Callable[..., Any], args: tuple[Any, ...], order: int, modes: tuple[str, ...],
           atol: float, rtol: float, eps: float, rng: np.random.Generator) -> None:
    if order < 1:
        return
    if "fwd" in modes:
        check_jvp(f, args, atol, rtol, eps, rng)
        if order > 1:
            tangents = _random_like(args, rng)
            _check(lambda *xs: jvp(f, xs, tangents)[1], args, order - 1, modes, atol, rtol,
                   eps, rng)
    if "rev" in modes:
        check_vjp(f, args, atol, rtol, rng)
        if order > 1:
            cotangent = _random_like(f(*args), rng)
            _check(lambda *xs: vjp(f, *xs)[1](cotangent), args, order - 1, modes, atol,
                   rtol, eps, rng)
