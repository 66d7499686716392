"""``checkpoint`` / ``remat``: identical values and derivatives with every policy and under
every transformation, the values inside recomputed (counted) rather than kept, and the peak
memory of reverse mode through a stack of blocks (tracemalloc)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.primitives.contraction import einsum_p
from gpugrad.test_util import check_grads

POLICIES = {
    "nothing": None,
    "dots": gpugrad.checkpoint_policies.dots_saveable,
    "dots-no-batch": gpugrad.checkpoint_policies.dots_with_no_batch_dims_saveable,
    "everything": gpugrad.checkpoint_policies.everything_saveable,
}


def block(w: Any, h: Any) -> Any:
    z = h @ w
    return gnp.tanh(z) * 0.5 + gnp.sin(z) * 0.1 + z * 0.01


def stack(ws: Any, h: Any, wrap: Callable[[Any], Any]) -> Any:
    for w in ws:
        h = wrap(block)(w, h)
    return gnp.sum(h * h)


def _weights(n: int, count: int, dtype: Any = np.float64) -> tuple[list[Any], Any]:
    rng = np.random.default_rng(0)
    ws = [(rng.standard_normal((n, n)) / np.sqrt(n)).astype(dtype) for _ in range(count)]
    return ws, rng.standard_normal((4, n)).astype(dtype)


@pytest.mark.parametrize("policy", list(POLICIES), ids=list(POLICIES))
def test_same_derivatives_under_every_transformation(policy: str) -> None:
    wrap = (lambda f: gpugrad.checkpoint(f, policy=POLICIES[policy]))
    ws, x = _weights(6, 3)
    plain = gpugrad.grad(lambda w: stack(w, x, lambda f: f))(ws)
    for g in (gpugrad.grad(lambda w: stack(w, x, wrap)),
              gpugrad.jit(gpugrad.grad(lambda w: stack(w, x, wrap))),
              gpugrad.grad(gpugrad.jit(lambda w: stack(w, x, wrap)))):
        for a, b in zip(g(ws), plain):
            np.testing.assert_allclose(a, b, rtol=1e-13)
    f = wrap(block)
    check_grads(f, (ws[0], x), order=2, modes=("fwd", "rev"))
    batch = np.stack([x, x * 0.5])
    np.testing.assert_allclose(
        gpugrad.vmap(gpugrad.grad(lambda h: gnp.sum(f(ws[0], h))))(batch),
        gpugrad.vmap(gpugrad.grad(lambda h: gnp.sum(block(ws[0], h))))(batch), rtol=1e-13)
    np.testing.assert_allclose(
        gpugrad.grad(lambda w: gnp.sum(gpugrad.vmap(f, in_axes=(None, 0))(w, batch)))(ws[0]),
        gpugrad.grad(lambda w: gnp.sum(gpugrad.vmap(block, in_axes=(None, 0))(w, batch)))(
            ws[0]), rtol=1e-13)


def _count_forward_products(monkeypatch: pytest.MonkeyPatch, run: Callable[[], Any]) -> int:
    """How many times ``h @ w`` itself (not a product of the backward pass) is evaluated."""
    count = [0]
    impl = einsum_p.impl

    def counted(*args: Any, **params: Any) -> Any:
        count[0] += params["spec"] == "ab,bc->ac"
        return impl(*args, **params)

    monkeypatch.setattr(einsum_p, "impl", counted)
    run()
    monkeypatch.undo()
    return count[0]


def test_the_forward_is_recomputed_unless_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    ws, x = _weights(8, 4)

    def products(policy: Any) -> int:
        wrap = (lambda f: f) if policy == "plain" else (
            lambda f: gpugrad.checkpoint(f, policy=policy))
        return _count_forward_products(
            monkeypatch, lambda: gpugrad.grad(lambda w: stack(w, x, wrap))(ws))

    assert products("plain") == 4
    assert products(None) == 8  # each block's product once more, in the backward pass
    assert products(gpugrad.checkpoint_policies.dots_saveable) == 4  # saved, not redone
    assert products(gpugrad.checkpoint_policies.everything_saveable) == 4


def test_static_argnums_and_jaxpr() -> None:
    def powered(x: Any, n: int) -> Any:
        return x ** n

    f = gpugrad.checkpoint(powered, static_argnums=(1,))
    np.testing.assert_allclose(gpugrad.grad(f)(np.array(2.0), 3), 12.0)
    assert "remat[program=" in str(gpugrad.make_jaxpr(lambda x: f(x, 2))(np.ones(2)))
    assert gpugrad.remat is gpugrad.checkpoint


def _peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpointed_blocks_keep_at_most_half_the_memory() -> None:
    ws, x = _weights(256, 20, np.float32)  # 20 blocks, as the 1024 x 1024 figure
    x = np.random.default_rng(1).standard_normal((256, 256)).astype(np.float32)
    plain = _peak(lambda: gpugrad.grad(lambda w: stack(w, x, lambda f: f))(ws))
    saved = _peak(lambda: gpugrad.grad(lambda w: stack(w, x, gpugrad.checkpoint))(ws))
    assert saved <= 0.5 * plain, (saved, plain)
