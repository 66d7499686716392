"""``einsum`` where an index (named, or under ``...``) has length 1 in one operand and n in
another: NumPy and JAX broadcast it; the implicit output keeps the ``...`` axes first.

Both used to go wrong: a length-1 ellipsis axis raised a reshape error, and the implicit
output summed the ``...`` axes away (``einsum('...i,...i', a, b)`` gave a scalar).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.test_util import check_grads

CASES = [
    ("...i,...i->...", (1, 3), (5, 3)),
    ("i...,i...->i...", (2, 1), (2, 4)),
    ("...i,...i", (1, 3), (5, 3)),
    ("ij...,j...", (2, 3, 1), (3, 4)),
    ("i,i->i", (1,), (3,)),
    ("ij,jk->ik", (2, 1), (3, 4)),
    ("...ij,...jk->...ik", (1, 2, 3), (4, 3, 2)),
    ("...i,i", (2, 3), (3,)),
    ("i...j,j", (2, 4, 3), (3,)),
    ("...,...", (2, 3), (3,)),
]


@pytest.mark.parametrize(("spec", "shape_a", "shape_b"), CASES)
def test_matches_numpy_and_differentiates(spec: str, shape_a: Any, shape_b: Any) -> None:
    rng = np.random.default_rng(len(spec))
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    out = gnp.einsum(spec, a, b)
    expected = np.einsum(spec, a, b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-14)
    # Broadcasting's transpose sums the cotangent back over the stretched axes.
    ga, gb = gpugrad.grad(lambda a, b: gnp.sum(gnp.einsum(spec, a, b)), (0, 1))(a, b)
    for k, x in enumerate((a, b)):  # closed form: d/dx_j sum(einsum) by unit perturbations
        grad = (ga, gb)[k]
        flat = np.zeros(x.size)
        for j in range(x.size):
            e = np.zeros(x.size)
            e[j] = 1.0
            args = [a, b]
            args[k] = e.reshape(x.shape)
            flat[j] = np.sum(np.einsum(spec, *args))  # einsum is linear in each operand
        np.testing.assert_allclose(grad, flat.reshape(x.shape), rtol=1e-13, atol=1e-14)
    check_grads(lambda a, b: gnp.sin(gnp.einsum(spec, a, b)), (a, b), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize(("spec", "shape_a", "shape_b"), CASES)
def test_matches_jax(spec: str, shape_a: Any, shape_b: Any) -> None:
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(len(spec))
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    np.testing.assert_allclose(gnp.einsum(spec, a, b), jnp.einsum(spec, a, b), rtol=1e-5)
    got = gpugrad.grad(lambda a, b: gnp.sum(gnp.sin(gnp.einsum(spec, a, b))), (0, 1))(a, b)
    want = jax.grad(lambda a, b: jnp.sum(jnp.sin(jnp.einsum(spec, a, b))), (0, 1))(a, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_lengths_that_do_not_broadcast_name_the_index() -> None:
    with pytest.raises(ValueError, match="index 'i' has lengths 2 and 3"):
        gnp.einsum("i,i->i", np.ones(2), np.ones(3))
