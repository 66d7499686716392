"""``jit`` composed with every transformation, in both orders, against the eager result: for
every row of the gradient table (``test_grads_table.py``), and for random elementwise
programs (``test_fusion_programs.py``'s generator) on small and fused sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core.concrete import ConcretizationError
from gpugrad.test_util import check_grads
from tests.primitives.test_fusion_programs import run as run_program
from tests.primitives.test_fusion_programs import step
from tests.primitives.test_grads_table import ROWS

# Rows whose result's shape depends on values: refused under jit, as JAX refuses them.
VALUE_SHAPED = {"getitem-mask"}


def _inputs(domain: list[tuple[tuple[int, ...], float, float]], seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(lo, hi, size=shape) for shape, lo, hi in domain)


def _close(a: Any, b: Any) -> None:
    for x, y in zip(gpugrad.tree_util.tree_leaves(a), gpugrad.tree_util.tree_leaves(b)):
        assert np.asarray(x).dtype == np.asarray(y).dtype
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-13)


def _scalar(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *a: gnp.sum(gnp.sin(fn(*a)))


@pytest.mark.parametrize("name,fn,domain", ROWS, ids=[r[0] for r in ROWS])
def test_every_row_jitted_in_both_orders(name: str, fn: Callable[..., Any], domain: Any) -> None:
    args = _inputs(domain)
    if name in VALUE_SHAPED:
        with pytest.raises(ConcretizationError):
            gpugrad.jit(fn)(*args)
        return
    jit = gpugrad.jit
    argnums = tuple(range(len(args)))
    loss = _scalar(fn)
    _close(jit(fn)(*args), fn(*args))
    _close(jit(jit(fn))(*args), fn(*args))
    grad = gpugrad.grad(loss, argnums)
    _close(jit(grad)(*args), grad(*args))
    _close(gpugrad.grad(jit(loss), argnums)(*args), grad(*args))
    tangents = _inputs(domain, seed=1)
    expected = gpugrad.jvp(fn, args, tangents)
    _close(jit(lambda a, t: gpugrad.jvp(fn, a, t))(args, tangents), expected)
    _close(gpugrad.jvp(jit(fn), args, tangents), expected)
    out, pull = gpugrad.vjp(fn, *args)
    ct = np.cos(np.arange(np.size(out), dtype=float)).reshape(np.shape(out))
    _close(jit(lambda a, c: gpugrad.vjp(fn, *a)[1](c))(args, ct), pull(ct))
    _close(gpugrad.vjp(jit(fn), *args)[1](ct), pull(ct))


@pytest.mark.parametrize("name,fn,domain", ROWS, ids=[r[0] for r in ROWS])
def test_every_row_batched_and_twice_differentiated(name: str, fn: Callable[..., Any],
                                                    domain: Any) -> None:
    if name in VALUE_SHAPED:
        return  # refused under jit (see above)
    args = _inputs(domain)
    batch = tuple(np.stack([a, a * 0.5 + 0.25, a[::-1] if a.ndim else a]) for a in args)
    loss = _scalar(fn)
    jit = gpugrad.jit
    _close(jit(gpugrad.vmap(fn))(*batch), gpugrad.vmap(fn)(*batch))
    _close(gpugrad.vmap(jit(fn))(*batch), gpugrad.vmap(fn)(*batch))
    hess = gpugrad.hessian(loss)
    _close(jit(hess)(*args), hess(*args))
    _close(gpugrad.hessian(jit(loss))(*args), hess(*args))
    _close(jit(gpugrad.jacfwd(fn))(*args), gpugrad.jacfwd(fn)(*args))
    if ROWS.index((name, fn, domain)) % 6 == 0:  # finite differences: every sixth row
        check_grads(jit(fn), args, order=2, modes=("fwd", "rev"))


@pytest.fixture(scope="module", params=[700, 7], ids=["chunked", "small"])
def program_inputs(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    """70,000 elements (the chunked evaluator of large arrays) or 700."""
    rng = np.random.default_rng(5)
    n = request.param
    return rng.uniform(-1, 1, (n, 100)), rng.uniform(-1, 1, (100,))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(step, min_size=1, max_size=12), float32=st.booleans())
def test_random_programs_jitted_and_eager_agree(program: Any, float32: bool,
                                                program_inputs: Any) -> None:
    x, y = program_inputs
    if float32:
        x, y = x.astype(np.float32), y.astype(np.float32)
    rtol = 2e-4 if float32 else 1e-11
    f = gpugrad.value_and_grad(lambda a, b: run_program(program, a, b), argnums=(0, 1))
    (value, grads), (jvalue, jgrads) = f(x, y), gpugrad.jit(f)(x, y)
    assert np.asarray(jvalue).dtype == np.asarray(value).dtype
    np.testing.assert_allclose(jvalue, value, rtol=rtol, atol=rtol)
    for g, jg in zip(grads, jgrads):
        assert jg.dtype == g.dtype and jg.shape == g.shape
        np.testing.assert_allclose(jg, g, rtol=rtol, atol=rtol * np.abs(g).max())
