"""vmap: in_axes/out_axes, its errors, and the batching rules of the core primitives
(elementwise, structural, reductions, einsum) against a Python loop over the examples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core import trace as core_trace
from gpugrad.core.concrete import ConcretizationError
from gpugrad.test_util import check_grads
from tools.batching_check import check_layouts, check_vmap, host


def _rand(xp: Any, *shape: int, seed: int = 0, dtype: Any = np.float64) -> Any:
    return xp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


# ---------------------------------------------------------------------------------------
# The core primitives' rules, each in several layouts of the batch

CASES = {
    "unary": (lambda x: gnp.tanh(x) * 2.0, [(4, 3, 2)]),
    "binary broadcast": (lambda x, y: gnp.sin(x) * y - x, [(4, 3, 2), (4, 2)]),
    "binary ranks": (lambda x, y: x / (1.0 + y ** 2), [(4, 2), (4, 3, 2)]),
    "three operands": (lambda c, x, y: gnp.where(c > 0, x, y), [(4, 3), (4, 3), (4, 1)]),
    "power": (lambda x, y: gnp.abs(x) ** y, [(4, 3), (4, 3)]),
    "comparison": (lambda x, y: x < y, [(4, 3), (4, 3)]),
    "convert": (lambda x: x.astype(np.float32), [(4, 3)]),
    "reshape": (lambda x: gnp.reshape(x, (2, -1)), [(4, 3, 2)]),
    "ravel": (lambda x: x.ravel(), [(4, 3, 2)]),
    "transpose": (lambda x: gnp.transpose(x, (2, 0, 1)), [(4, 3, 2, 5)]),
    "swapaxes": (lambda x: gnp.swapaxes(x, 0, 1), [(4, 3, 2)]),
    "broadcast_to": (lambda x: gnp.broadcast_to(x, (5, 3, 2)), [(4, 3, 1)]),
    "expand_dims": (lambda x: gnp.expand_dims(x, 1), [(4, 3, 2)]),
    "sum all": (lambda x: gnp.sum(x), [(4, 3, 2)]),
    "sum axis": (lambda x: gnp.sum(x, axis=1), [(4, 3, 2)]),
    "sum keepdims": (lambda x: gnp.sum(x, axis=(0, 1), keepdims=True), [(4, 3, 2)]),
    "mean": (lambda x: gnp.mean(x, axis=-1), [(4, 3, 2)]),
    "max": (lambda x: gnp.max(x, axis=0), [(4, 3, 2)]),
    "min": (lambda x: gnp.min(x), [(4, 3, 2)]),
    "prod": (lambda x: gnp.prod(x, axis=(0, 1)), [(4, 3, 2)]),
    "cumsum": (lambda x: gnp.cumsum(x, axis=-1), [(4, 3, 2)]),
    "cumsum flat": (lambda x: gnp.cumsum(x), [(4, 3, 2)]),
    "concatenate": (lambda x, y: gnp.concatenate([x, y], axis=1), [(4, 3, 2), (4, 3, 1)]),
    "stack": (lambda x, y: gnp.stack([x, y], axis=-1), [(4, 3), (4, 3)]),
    "matmul": (lambda a, b: a @ b, [(4, 3, 2), (4, 2, 5)]),
    "matvec": (lambda a, b: a @ b, [(4, 3, 2), (4, 2)]),
    "dot": (lambda a, b: gnp.dot(a, b), [(4, 3), (4, 3)]),
    "outer": (lambda a, b: gnp.outer(a, b), [(4, 3), (4, 2)]),
    "einsum": (lambda a, b: gnp.einsum("ij,jk->ki", a, b), [(4, 3, 2), (4, 2, 5)]),
    "einsum trace": (lambda a: gnp.einsum("ii->", a), [(4, 3, 3)]),
    "tensordot": (lambda a, b: gnp.tensordot(a, b, axes=2), [(4, 3, 2), (4, 3, 2)]),
    "stop_gradient": (lambda x: gpugrad.stop_gradient(x) * x, [(4, 3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_matches_loop(name: str, xp: Any) -> None:
    fun, shapes = CASES[name]
    args = [_rand(xp, *s, seed=k) for k, s in enumerate(shapes)]
    check_layouts(fun, args)


@pytest.mark.parametrize("name", ["unary", "binary broadcast", "matmul", "prod", "max",
                                  "concatenate", "transpose"])
def test_batched_function_derivatives(name: str) -> None:
    fun, shapes = CASES[name]
    args = [_rand(np, *s, seed=k + 10) for k, s in enumerate(shapes)]
    check_grads(gpugrad.vmap(fun), args, order=2, modes=("fwd", "rev"))
    if len(args) > 1:  # the first argument shared by every example
            check_grads(gpugrad.vmap(fun, in_axes=(None,) + (0,) * (len(args) - 1)),
                    [args[0][0], *args[1:]], order=2, modes=("fwd", "rev"))


def test_every_primitive_has_a_batching_rule() -> None:
    # Importing the package's layers makes every primitive.
    import gpugrad.random
    import gpugrad.scipy.special  # noqa: F401

    missing = [p.name for p in core_trace.registry if not core_trace.has_rule(p, "batch")]
    assert len(core_trace.registry) >= 30
    assert missing == []


# ---------------------------------------------------------------------------------------
# in_axes and out_axes


def test_in_axes_pytrees_none_and_negative() -> None:
    w = {"a": _rand(np, 3, 4), "b": _rand(np, 4, seed=1)}
    xs = _rand(np, 5, 3, seed=2)

    def f(params: dict[str, Any], x: Any) -> Any:
        return gnp.tanh(x @ params["a"]) + params["b"]

    got = gpugrad.vmap(f, in_axes=(None, 0))(w, xs)
    want = np.stack([host(f(w, xs[i])) for i in range(5)])
    np.testing.assert_allclose(host(got), want, rtol=1e-12)
    # A prefix per dict entry: "a" batched along its last axis, "b" shared.
    a_batched = np.stack([host(w["a"]) * (k + 1) for k in range(5)], axis=-1)
    got = gpugrad.vmap(f, in_axes=({"a": -1, "b": None}, 0))({"a": a_batched, "b": w["b"]}, xs)
    want = np.stack([host(f({"a": a_batched[..., i], "b": w["b"]}, xs[i])) for i in range(5)])
    np.testing.assert_allclose(host(got), want, rtol=1e-12)


def test_out_axes_trees_and_none() -> None:
    x = _rand(np, 4, 3)
    c = np.arange(3.0)

    def f(x: Any) -> Any:
        return {"y": x * 2.0, "c": c}, gnp.sum(x)

    (tree, total) = gpugrad.vmap(f, out_axes=({"y": 1, "c": None}, 0))(x)
    np.testing.assert_allclose(host(tree["y"]), 2 * host(x).T)
    assert tree["c"] is c  # unbatched and out_axes None: the value itself
    np.testing.assert_allclose(host(total), host(x).sum(axis=1))
    # An unbatched output with an axis is broadcast to every example.
    got = gpugrad.vmap(lambda x: c, out_axes=1)(x)
    np.testing.assert_array_equal(host(got), np.broadcast_to(c[:, None], (3, 4)))


def test_keyword_arguments_are_batched_along_axis_0() -> None:
    x, y = _rand(np, 4, 3), _rand(np, 4, 3, seed=1)
    got = gpugrad.vmap(lambda x, scale: x * scale, in_axes=(1,))(x.T, scale=y)
    np.testing.assert_allclose(host(got), host(x) * host(y))


def test_in_axes_list_is_read_as_a_tuple() -> None:
    x, w = _rand(np, 4, 3), _rand(np, 3, seed=1)
    got = gpugrad.vmap(lambda x, w: x @ w, in_axes=[0, None])(x, w)
    np.testing.assert_allclose(host(got), host(x) @ host(w), rtol=1e-12)


def test_axis_size_without_batched_arguments() -> None:
    got = gpugrad.vmap(lambda x: x + 1.0, in_axes=None, axis_size=3)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(host(got), [[2.0, 3.0]] * 3)


def test_nested_vmap_is_an_outer_product_of_batches() -> None:
    a, b = _rand(np, 3, 2), _rand(np, 5, 2, seed=1)
    pairwise = gpugrad.vmap(gpugrad.vmap(lambda u, v: gnp.sum((u - v) ** 2), in_axes=(None, 0)),
                            in_axes=(0, None))
    want = ((host(a)[:, None, :] - host(b)[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(host(pairwise(a, b)), want, rtol=1e-12)
    check_vmap(gpugrad.vmap(lambda u, v: u * v), [_rand(np, 3, 4, 2), _rand(np, 4, 3, 2)],
               in_axes=(0, 1))


def test_compositions_with_differentiation() -> None:
    x = _rand(np, 6, 3)

    def loss(w: Any) -> Any:
        return gnp.sum(gnp.sin(w) ** 2 * w)

    per_example = gpugrad.vmap(gpugrad.grad(loss))(x)
    closed = np.sin(host(x)) ** 2 + 2 * np.sin(host(x)) * np.cos(host(x)) * host(x)
    np.testing.assert_allclose(host(per_example), closed, rtol=1e-12)
    # grad of a function that uses vmap: the same numbers, summed over the examples.
    total = gpugrad.grad(lambda w: gnp.sum(gpugrad.vmap(loss)(w)))(x)
    np.testing.assert_allclose(host(total), closed, rtol=1e-12)
    # jvp through vmap and vmap through jvp agree.
    t = _rand(np, 6, 3, seed=3)
    _, out1 = gpugrad.jvp(gpugrad.vmap(loss), (x,), (t,))
    out2 = gpugrad.vmap(lambda w, tw: gpugrad.jvp(loss, (w,), (tw,))[1])(x, t)
    np.testing.assert_allclose(host(out1), host(out2), rtol=1e-12)
    np.testing.assert_allclose(host(out1), (closed * host(t)).sum(axis=1), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# Errors: raised at the call, leaving no transformation behind


def _no_state_left() -> None:
    assert core_trace.current_depth() == 0


@pytest.mark.parametrize("in_axes, args, message", [
    ((0, 0), (np.ones(3),), "tuple of 2 entries"),
    ((0, 0), (np.ones(3), np.ones(4)), "inconsistent sizes.*args\\[0\\] has size 3.*"
                                       "args\\[1\\] has size 4"),
    (2, (np.ones((3, 4)),), "axis 2.*must be in \\[-2, 2\\)"),
    (0, (1.0,), "scalar"),
    (None, (np.ones(3),), "at least one argument"),
    (({"a": 0},), ({"b": np.ones(3)},), "pytree prefix"),
])
def test_bad_in_axes(in_axes: Any, args: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gpugrad.vmap(lambda *a: a, in_axes=in_axes)(*args)
    _no_state_left()


def test_bad_axes_types() -> None:
    with pytest.raises(TypeError, match="int, None"):
        gpugrad.vmap(gnp.sin, in_axes=(0.5,))
    with pytest.raises(TypeError, match="out_axes"):
        gpugrad.vmap(gnp.sin, out_axes="0")


def test_out_axes_none_for_a_batched_output() -> None:
    with pytest.raises(ValueError, match="out_axes is None for output 0"):
        gpugrad.vmap(gnp.sin, out_axes=None)(np.ones(3))
    _no_state_left()


def test_value_of_a_batched_array_is_refused() -> None:
    def f(x: Any) -> Any:
        return x * 2 if x > 0 else x

    with pytest.raises(ConcretizationError, match=r"batched by vmap.*gpugrad.numpy.where"):
        gpugrad.vmap(f)(np.array([1.0, -1.0]))
    _no_state_left()
    with pytest.raises(ConcretizationError):
        gpugrad.vmap(lambda x: float(x))(np.array([1.0, -1.0]))
    _no_state_left()
