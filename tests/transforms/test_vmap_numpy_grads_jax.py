"""Batched ``gpugrad.numpy`` code differentiated (``check_grads`` of ``vmap(f)`` to the second
order, both modes, float64) and compared with ``jax.vmap`` in several layouts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.scipy.special as gsp
from gpugrad.test_util import check_grads

_DIFFERENTIABLE = [  # (function of one example, in_axes, example shapes)
    (lambda x: gnp.var(x, axis=0, ddof=1) + gnp.std(x), 0, [(4, 3)]),
    (lambda x, w: gnp.average(x, axis=1, weights=w), (0, None), [(2, 3), (2, 3)]),
    (lambda x: gsp.logsumexp(x) + gsp.softmax(x) * x, 1, [(4,)]),
    (lambda a, b: gnp.einsum("ij,jk->ik", a, b) + gnp.tensordot(a, b, 1), (0, 1),
     [(2, 3), (3, 2)]),
    (lambda a, b: gnp.outer(a, b) * gnp.dot(a, b) + gnp.inner(a, b), (None, 0), [(3,), (3,)]),
    (lambda a, b: gnp.stack([a, b], 1) * gnp.sum(gnp.concatenate([b, a]) ** 2), 0,
     [(2,), (2,)]),
    (lambda a, b: gnp.vstack([a, b]) * gnp.prod(gnp.hstack([b, a])), (1, 0), [(2,), (2,)]),
]


@pytest.mark.parametrize(("f", "in_axes", "shapes"), _DIFFERENTIABLE)
def test_batched_code_differentiates(f: Any, in_axes: Any, shapes: list[Any], x64: None
                                     ) -> None:
    # Batched functions of statistics, products and stacking: derivatives of vmap(f) to the
    # second order, forwards and backwards, against central differences in float64.
    rng = np.random.default_rng(1)
    spec = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(shapes)
    args = []
    for shape, axis in zip(shapes, spec):
        batched = shape if axis is None else shape[:axis] + (3,) + shape[axis:]
        args.append(rng.uniform(0.5, 2.0, batched))
    check_grads(gpugrad.vmap(f, in_axes), args, order=2, modes=("fwd", "rev"))


_AGAINST_JAX = [  # (name, in_axes, out_axes, example shapes)
    ("var", 1, 0, [(4, 3)]), ("average", (0, None), 1, [(2, 3), (3,)]),
    ("cumsum", 0, -1, [(2, 3)]), ("matmul", (None, 2), 0, [(2, 3), (3, 2)]),
    ("kron", (0, 0), 1, [(2,), (3,)]), ("logsumexp", 1, 0, [(4,)]),
    ("nansum", 0, 0, [(5,)]), ("pad", 0, 0, [(3,)]), ("meshgrid", (0, None), 0, [(2,), (3,)]),
]


def _jax_and_gpugrad(name: str, jax: Any) -> tuple[Any, Any]:
    import jax.scipy.special as jsp

    jnp = jax.numpy
    if name == "average":
        return (lambda x, w: jnp.average(x, axis=1, weights=w),
                lambda x, w: gnp.average(x, axis=1, weights=w))
    if name == "pad":
        return (lambda x: jnp.pad(x, (1, 2), constant_values=-1.0),
                lambda x: gnp.pad(x, (1, 2), constant_values=-1.0))
    if name == "logsumexp":
        return jsp.logsumexp, gsp.logsumexp
    if name == "meshgrid":
        return (lambda a, b: jnp.meshgrid(a, b)[0] * jnp.meshgrid(a, b)[1],
                lambda a, b: gnp.meshgrid(a, b)[0] * gnp.meshgrid(a, b)[1])
    return getattr(jnp, name), getattr(gnp, name)


@pytest.mark.parametrize(("name", "in_axes", "out_axes", "shapes"), _AGAINST_JAX)
def test_vmap_matches_jax(name: str, in_axes: Any, out_axes: int, shapes: list[Any],
                          jax_x64: Any) -> None:
    rng = np.random.default_rng(2)
    spec = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(shapes)
    args = [rng.standard_normal(s if a is None else s[:a] + (4,) + s[a:])
            for s, a in zip(shapes, spec)]
    if name == "nansum":
        args[0][1, 2] = np.nan
    jax_f, our_f = _jax_and_gpugrad(name, jax_x64)
    want = jax_x64.vmap(jax_f, in_axes, out_axes)(*args)
    got = gpugrad.vmap(our_f, in_axes, out_axes)(*args)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12, atol=1e-12)
