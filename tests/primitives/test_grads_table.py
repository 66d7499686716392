"""Every primitive and composed function, checked by check_grads to order 2 in both modes
(central finite differences for JVPs, the inner-product identity for VJPs), in float64, on
inputs inside each function's domain, with broadcasting pairs and axis variants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad.numpy as gnp
from gpugrad.test_util import check_grads

Row = tuple[str, Callable[..., Any], list[tuple[tuple[int, ...], float, float]]]


def _inputs(xp: Any, specs: list[tuple[tuple[int, ...], float, float]], seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    return tuple(xp.asarray(rng.uniform(lo, hi, size=shape)) for shape, lo, hi in specs)


M = [((3, 4), -2.0, 2.0)]
POS = [((3, 4), 0.5, 2.0)]
UNIT = [((3, 4), -0.9, 0.9)]

UNARY: list[Row] = [
    (name, getattr(gnp, name), domain)
    for name, domain in [
        ("sin", M), ("cos", M), ("tan", UNIT), ("arcsin", UNIT), ("arccos", UNIT),
        ("arctan", M), ("sinh", M), ("cosh", M), ("tanh", M), ("arcsinh", M),
        ("arccosh", [((3, 4), 1.2, 3.0)]), ("arctanh", UNIT), ("exp", M), ("exp2", M),
        ("expm1", M), ("log", POS), ("log2", POS), ("log10", POS),
        ("log1p", [((3, 4), -0.5, 2.0)]), ("sqrt", POS), ("cbrt", POS), ("square", M),
        ("reciprocal", POS), ("negative", M), ("abs", POS), ("absolute", [((3, 4), -2, -0.5)]),
    ]
]

PAIRS = [
    [((3, 4), 0.5, 2.0), ((3, 4), 0.5, 2.0)],
    [((3, 4), 0.5, 2.0), ((4,), 0.5, 2.0)],
    [((3, 1), 0.5, 2.0), ((1, 4), 0.5, 2.0)],
    [((), 0.5, 2.0), ((3,), 0.5, 2.0)],
]
BINARY: list[Row] = [
    (f"{name}-{k}", getattr(gnp, name), pair)
    for name in ["add", "subtract", "multiply", "true_divide", "power", "arctan2", "logaddexp",
                 "maximum", "minimum"]
    for k, pair in enumerate(PAIRS)
]

OTHER: list[Row] = [
    ("ipow2", lambda x: x**2, M),
    ("ipow3", lambda x: x**3, M),
    ("ipow-neg", lambda x: x**-2, POS),
    ("rpow", lambda x: 2.0**x, M),
    ("scalar-ops", lambda x: (3.0 - x) / 2.0 + 1.0 / (x + 3.0) * x, POS),
    ("remainder", lambda x, y: gnp.remainder(x, y), [((5,), 0.1, 0.9), ((5,), 1.0, 1.0)]),
    ("where", lambda x, y: gnp.where(x > 0, x * y, gnp.sin(y)), [((3, 4), -1, 1), ((4,), -1, 1)]),
    ("clip", lambda x: gnp.clip(x, -0.5, 0.5), [((3, 4), -1, 1)]),
    ("sum", lambda x: gnp.sum(x), M),
    ("sum-axis0", lambda x: gnp.sum(x, axis=0), M),
    ("sum-keepdims", lambda x: gnp.sum(x, axis=(0, 1), keepdims=True), M),
    ("mean-axis1", lambda x: gnp.mean(x, axis=1), M),
    ("prod", lambda x: gnp.prod(x), [((3, 4), 0.5, 1.5)]),
    ("prod-axis0", lambda x: gnp.prod(x, axis=0, keepdims=True), [((3, 4), -1.5, 1.5)]),
    ("max", lambda x: gnp.max(x), M),
    ("max-axis1", lambda x: gnp.max(x, axis=1), M),
    ("min-axis0", lambda x: gnp.min(x, axis=0, keepdims=True), M),
    ("var", lambda x: gnp.var(x, axis=0), M),
    ("std-ddof", lambda x: gnp.std(x, ddof=1), M),
    ("dot-mv", gnp.dot, [((3, 4), -1, 1), ((4,), -1, 1)]),
    ("dot-mm", gnp.dot, [((3, 4), -1, 1), ((4, 2), -1, 1)]),
    ("dot-vv", gnp.dot, [((4,), -1, 1), ((4,), -1, 1)]),
    ("dot-3d", gnp.dot, [((2, 3, 4), -1, 1), ((4, 2), -1, 1)]),
    ("matmul-batch", gnp.matmul, [((2, 3, 4), -1, 1), ((4, 5), -1, 1)]),
    ("matmul-bcast", gnp.matmul, [((2, 1, 3, 4), -1, 1), ((3, 4, 2), -1, 1)]),
    ("matmul-vm", gnp.matmul, [((3,), -1, 1), ((2, 3, 4), -1, 1)]),
    ("vdot", gnp.vdot, [((2, 3), -1, 1), ((2, 3), -1, 1)]),
    ("tensordot", lambda a, b: gnp.tensordot(a, b, axes=([0, 2], [1, 0])),
     [((2, 3, 4), -1, 1), ((4, 2, 5), -1, 1)]),
    ("outer", gnp.outer, [((3,), -1, 1), ((2, 2), -1, 1)]),
    ("inner", gnp.inner, [((2, 4), -1, 1), ((3, 4), -1, 1)]),
    ("einsum-mm", lambda a, b: gnp.einsum("ij,jk->ik", a, b), [((3, 4), -1, 1), ((4, 2), -1, 1)]),
    ("einsum-sum", lambda a: gnp.einsum("ijk->ki", a), [((2, 3, 4), -1, 1)]),
    ("einsum-3", lambda a, b, c: gnp.einsum("ij,jk,k->i", a, b, c),
     [((2, 3), -1, 1), ((3, 4), -1, 1), ((4,), -1, 1)]),
    ("einsum-only-a", lambda a, b: gnp.einsum("ij,k->k", a, b), [((2, 3), -1, 1), ((4,), -1, 1)]),
    ("reshape", lambda x: gnp.reshape(x, (2, -1)) * 2.0, M),
    ("reshape-F", lambda x: gnp.reshape(x, (4, 3), order="F"), M),
    ("transpose", lambda x: gnp.transpose(x, (2, 0, 1)), [((2, 3, 4), -1, 1)]),
    ("swapaxes", lambda x: gnp.swapaxes(x, 0, 2), [((2, 3, 4), -1, 1)]),
    ("moveaxis", lambda x: gnp.moveaxis(x, 0, -1), [((2, 3, 4), -1, 1)]),
    ("expand-squeeze", lambda x: gnp.squeeze(gnp.expand_dims(x, (0, 2)), 0), M),
    ("broadcast_to", lambda x: gnp.broadcast_to(x, (2, 3, 4)), [((3, 1), -1, 1)]),
    ("ravel", lambda x: gnp.ravel(x) ** 2, M),
    ("concatenate", lambda x, y: gnp.concatenate([x, y, x], axis=1),
     [((3, 2), -1, 1), ((3, 4), -1, 1)]),
    ("stack", lambda x, y: gnp.stack([x, y], axis=-1), [((3, 4), -1, 1), ((3, 4), -1, 1)]),
    ("split", lambda x: gnp.split(x, [1, 3], axis=1)[1] * gnp.split(x, 2, axis=1)[0], M),
    ("flip", lambda x: gnp.flip(x, 0) * x, M),
    ("getitem-basic", lambda x: x[1:, ::2] * x[0, None, :2], M),
    ("getitem-int", lambda x: x[np.array([0, 2, 0])] * 3.0, M),
    ("getitem-mask", lambda x: x[x > 0] ** 2, M),
    ("getitem-ellipsis", lambda x: x[..., 1], [((2, 3, 4), -1, 1)]),
    ("at-add", lambda x, y: gnp.at(x)[np.array([0, 2, 0])].add(y), [((4,), -1, 1), ((3,), -1, 1)]),
    ("at-set", lambda x, y: gnp.at(x)[1:3].set(y * y), [((4,), -1, 1), ((2,), -1, 1)]),
    ("at-set-repeated", lambda x, y: gnp.at(x)[np.array([0, 2, 0])].set(y * y),
     [((4,), -1, 1), ((3,), -1, 1)]),
    ("at-multiply", lambda x, y: gnp.at(x)[np.array([0, 2, 0])].multiply(y),
     [((4,), -1, 1), ((3,), -1, 1)]),
    ("at-divide", lambda x, y: gnp.at(x)[1:].divide(y), [((4,), -1, 1), ((3,), 0.5, 2)]),
    ("at-min", lambda x, y: gnp.at(x)[np.array([1, 3])].min(y), [((4,), -1, 1), ((2,), -1, 1)]),
    ("at-max", lambda x, y: gnp.at(x)[:, 1].max(y), [((3, 4), -1, 1), ((3,), -1, 1)]),
    ("at-power", lambda x, y: gnp.at(x)[np.array([0, 0])].power(y),
     [((3,), 0.5, 2), ((2,), 0.5, 2)]),
    ("cumsum", lambda x: gnp.cumsum(x, axis=1), M),
    ("cumprod", lambda x: gnp.cumprod(x, axis=1), [((3, 5), -2, 2)]),
    # gnp.multiply, not `*`: outside a trace x is a plain array whose own operator refuses a
    # host array when x is on the device; gpugrad's functions move the host operand there.
    ("prod-with-zero", lambda x: gnp.prod(gnp.multiply(x, np.array([1.0, 0.0, 1.0, 1.0])),
                                          axis=1), M),
    ("iteration", lambda x: sum(row * k for k, row in enumerate(x)), M),
    ("tracer-methods", lambda x: x.T.reshape(-1).sum() + x.mean(axis=0).max(), M),
    ("logistic-loss", lambda w, b: -gnp.sum(gnp.log(
        0.5 * (gnp.tanh((gnp.dot(np.ones((4, 3)), w) + b) / 2) + 1))),
     [((3,), -1, 1), ((), -1, 1)]),
]

ROWS = UNARY + BINARY + OTHER


@pytest.fixture(params=["unfused", "fused", "lazy"])
def fusion_mode(request: pytest.FixtureRequest, configure: Callable[..., None]) -> str:
    """Every row three times: with the backward pass evaluated node by node; fused (fusion
    and rematerialization forced on whatever the array size); and lazy (elementwise results
    of the forward pass computed only when read, as for large arrays)."""
    never = 1 << 62
    configure(fusion_min_size=never if request.param == "unfused" else 0,
              lazy_min_size=0 if request.param == "lazy" else never)
    return str(request.param)


@pytest.mark.parametrize("name,fn,domain", ROWS, ids=[r[0] for r in ROWS])
def test_check_grads_order2(xp: Any, fusion_mode: str, name: str, fn: Callable[..., Any],
                            domain: list[tuple[tuple[int, ...], float, float]]) -> None:
    args = _inputs(xp, domain, seed=sum(map(ord, name)))
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


def test_check_grads_catches_a_wrong_rule() -> None:
    """check_grads must fail on a function whose derivative is wrong (it can fail)."""
    from gpugrad.expr import catalog as C
    from gpugrad.expr.language import OpSpec, var
    from gpugrad.primitives.elementwise import elementwise_p

    wrong = OpSpec("wrong_sin", 1, "xp.sin({0})", "sin({0})", (lambda x, o: C.sin(x),))
    expr = wrong(var(0))
    with pytest.raises(AssertionError, match="finite differences"):
        check_grads(lambda x: elementwise_p.bind(x, expr=expr), (np.linspace(0.1, 1, 5),), 1)


@pytest.mark.parametrize("name,fn,domain", ROWS, ids=[r[0] for r in ROWS])
def test_float32_derivatives_stay_float32(fusion_mode: str, name: str, fn: Callable[..., Any],
                                          domain: list[tuple[tuple[int, ...], float, float]]
                                          ) -> None:
    """A gradient has its input's dtype and a tangent its output's, to second order: no
    intermediate of a rule may widen float32 to float64 (a select between constants
    evaluated by NumPy would). Rows that multiply by a float64 array compute in float64
    (JAX's promotion) and still return float32 gradients."""
    import gpugrad

    args = tuple(a.astype(np.float32) for a in _inputs(np, domain, seed=sum(map(ord, name))))
    floats = [k for k, a in enumerate(args) if a.dtype.kind == "f"]

    def total(*xs: Any) -> Any:
        return gnp.sum(fn(*xs))

    first = gpugrad.grad(total, argnums=tuple(floats))(*args)
    second = gpugrad.grad(lambda *xs: gnp.sum(gpugrad.grad(total)(*xs)))(*args)
    out, tangent = gpugrad.jvp(total, args, tuple(np.ones_like(a) for a in args))
    for value in (*first, second):
        assert value.dtype == np.float32, (name, value.dtype)
    assert tangent.dtype == out.dtype == fn(*args).dtype, (name, tangent.dtype)
