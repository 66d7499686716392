"""Abstract evaluation: each primitive's ``abstract_eval`` (the shape and dtype of its result
for arguments known only by theirs, what ``jit`` and ``make_jaxpr`` trace with).

The rules are checked against the evaluations themselves: the other test files' case tables
run eagerly and under ``grad``, ``jvp`` and ``vmap`` inside ``tools.abstract_check``, which
compares every ``impl`` result with its primitive's prediction, and the sweep must reach
every primitive. Hand-written shapes pin the subtle rules (NumPy's placement of advanced
indices, packed decompositions, FFT lengths, random kernels, weak types).
"""

from __future__ import annotations

import contextlib
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
import gpugrad.random as gr
import tests.lax.test_lax_control_flow as control_flow
import tests.numpy.test_jax_sweep as jax_sweep
import tests.primitives.test_grads_table as grads_table
import tests.transforms.test_checkpoint as checkpointing
import tests.transforms.test_custom_derivatives as custom_rules
import tests.transforms.test_vmap_indexing as vmap_indexing
import tests.transforms.test_vmap_linalg as vmap_linalg
import tests.transforms.test_vmap_numpy as vmap_numpy
import tests.transforms.test_vmap_random as vmap_random
from gpugrad import distributed, lax, tree_util
from gpugrad.config import config
from gpugrad.core import trace as core_trace
from gpugrad.core.abstract import ShapedArray
from gpugrad.expr import catalog as C
from gpugrad.expr.language import var
from gpugrad.primitives.along_axis import concatenate_p
from gpugrad.primitives.broadcasting import reduce_sum_p
from gpugrad.primitives.contraction import einsum_p
from gpugrad.primitives.discrete import reduce_discrete_p, searchsorted_rows_p
from gpugrad.primitives.elementwise import elementwise_p
from gpugrad.primitives.fft import fft_p
from gpugrad.primitives.indexing import ARRAY, SliceBounds, gather_p
from gpugrad.primitives.linalg_decomp import qr_complete_p, svd_full_p
from gpugrad.random._sampling import KERNELS, RESULTS, random_p
from tools.abstract_check import aval_of, checking_abstract_eval
from tools.batching_check import host

F32, F64, C64, I32, U32 = (np.dtype(d) for d in ("float32", "float64", "complex64", "int32",
                                                 "uint32"))


def test_every_primitive_has_an_abstract_eval_rule() -> None:
    import gpugrad.scipy.special  # noqa: F401  (importing the layers makes every primitive)

    missing = [p.name for p in core_trace.registry if not core_trace.has_rule(p, "abstract_eval")]
    assert len(core_trace.registry) >= 40
    assert missing == []


def test_every_random_kernel_says_what_it_returns() -> None:
    assert sorted(RESULTS) == sorted(KERNELS)


# ---------------------------------------------------------------------------------------
# The sweep: the case tables of other test files, under the check


Case = tuple[str, Callable[[], Any]]


def _total(f: Callable[..., Any]) -> Callable[..., Any]:
    """A real scalar made of every floating output of ``f`` (something to differentiate)."""
    def total(*args: Any) -> Any:
        leaves = [x for x in tree_util.tree_leaves(f(*args)) if x.dtype.kind in "fc"]
        return sum((gnp.sum(gnp.real(x)) for x in leaves), gnp.zeros(()))

    return total


def _first(args: list[Any]) -> list[Any]:
    return [a[0] for a in args]


def _vmap_numpy_cases(xp: Any) -> Iterator[Case]:
    """gpugrad.numpy and scipy.special: each row eagerly (one example), batched, and the
    gradient of its floating outputs."""
    batch = vmap_numpy._kinds(np.random.default_rng(0))
    for row in vmap_numpy._ROWS:
        name, f, kinds = row.values
        args = [xp.asarray(batch[k]) for k in kinds]
        yield f"{name} eager", lambda f=f, args=args: f(*_first(args))
        yield f"{name} vmap", lambda f=f, args=args: gpugrad.vmap(f)(*args)
        if all(a.dtype.kind == "f" for a in args):
            yield f"{name} grad", lambda f=f, args=args: gpugrad.grad(_total(f))(*_first(args))


def _grads_table_cases(xp: Any) -> Iterator[Case]:
    """Every row of the gradient table: second-order reverse mode and forward mode."""
    for name, f, domain in grads_table.ROWS:
        args = grads_table._inputs(xp, domain, seed=0)
        yield f"{name} grad of grad", lambda f=f, args=args: gpugrad.grad(
            lambda *a: gnp.sum(gpugrad.grad(_total(f))(*a)))(*args)
        yield f"{name} jvp", lambda f=f, args=args: gpugrad.jvp(f, args, args)


def _jax_sweep_cases(xp: Any) -> Iterator[Case]:
    """The JAX sweep's calls in float64: their VJP and JVP."""
    for call in jax_sweep.CALLS:
        rng = np.random.default_rng(zlib.crc32(call.name.encode()))
        args = tuple(xp.asarray(np.asarray(make(rng), np.float64)) for make in call.args)
        f = (lambda *a, call=call: call.fun(jax_sweep.GG, *a))
        yield f"{call.name} vjp", lambda f=f, args=args: gpugrad.grad(_total(f))(*args)
        yield f"{call.name} jvp", lambda f=f, args=args: gpugrad.jvp(f, args, args)


def _linalg_cases(xp: Any) -> Iterator[Case]:
    """Linear algebra, FFT and complex parts: eagerly, batched (also in single precision),
    and batched gradients."""
    for name, f, shapes, kind in vmap_linalg.PRIMITIVES + vmap_linalg.FUNCTIONS:
        args = vmap_linalg._arrays(xp, shapes, kind, seed=0)
        single = [a.astype(C64 if a.dtype.kind == "c" else F32) for a in args]
        yield f"{name} eager", lambda f=f, args=args: f(*_first(args))
        yield f"{name} vmap", lambda f=f, args=args: gpugrad.vmap(f)(*args)
        yield f"{name} vmap single", lambda f=f, args=single: gpugrad.vmap(f)(*args)
    for name, f, shapes, kind in vmap_linalg.GRADS:
        args = vmap_linalg._arrays(xp, shapes, kind, seed=0)
        argnums = tuple(range(len(args)))
        yield f"{name} vmap grad", lambda f=f, args=args, argnums=argnums: gpugrad.vmap(
            gpugrad.grad(f, argnums=argnums))(*args)


def _control_flow_cases(xp: Any) -> Iterator[Case]:
    """cond, switch, while, scan and fori_loop eagerly (their own evaluations run their
    bodies' programs), differentiated in both modes and batched."""
    x = xp.asarray(np.array([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]]))
    for name, f in [("cond", control_flow.piecewise), ("scan", control_flow.recurrence),
                    ("fori", control_flow.power_loop),
                    ("switch", lambda v: control_flow.three_way(np.int32(1), v))]:
        yield f"{name} eager", lambda f=f: f(x)
        yield f"{name} grad", lambda f=f: gpugrad.grad(_total(f))(x)
        yield f"{name} jvp", lambda f=f: gpugrad.jvp(f, (x,), (x,))
        yield f"{name} vmap", lambda f=f: gpugrad.vmap(f)(x)
        yield f"{name} jit", lambda f=f: gpugrad.jit(f)(x)  # staged: the primitive runs
    dots = gpugrad.checkpoint_policies.dots_saveable
    for name, f in [("custom_jvp", custom_rules.softplus),
                    ("custom_vjp", custom_rules.clipped_sin),
                    ("remat", gpugrad.checkpoint(gnp.sin)),
                    ("remat dots", gpugrad.checkpoint(lambda v: gnp.tanh(v @ v.T), policy=dots))]:
        yield f"{name} grad", lambda f=f: gpugrad.grad(_total(f))(x)
        yield f"{name} vmap", lambda f=f: gpugrad.vmap(gpugrad.grad(_total(f)))(x)
        yield f"{name} jit", lambda f=f: gpugrad.jit(f)(x)
    yield "blocks", lambda: gpugrad.grad(
        lambda w: checkpointing.stack([w], x.T, gpugrad.checkpoint))(x @ x.T)
    ints = xp.asarray(np.array([[3, 5], [12, 7], [1, 0]], np.int32))
    for name, f in [("bitwise", lambda v: lax.bitwise_xor(lax.bitwise_and(v, 6), v)),
                    ("bitwise not", lax.bitwise_not),
                    ("bitcast", lambda v: lax.bitcast_convert_type(v, np.float32))]:
        yield f"{name} eager", lambda f=f: f(ints)
        yield f"{name} vmap", lambda f=f: gpugrad.vmap(f)(ints)
        yield f"{name} jit", lambda f=f: gpugrad.jit(f)(ints)
    yield "nextafter", lambda: gpugrad.vmap(lax.nextafter)(x, x * 2.0)
    starts = xp.asarray(np.array([5.0, 0.5, 20.0]))
    yield "while eager", lambda: control_flow.halving(starts[0])
    yield "while jvp", lambda: gpugrad.jvp(control_flow.halving, (starts[0],), (starts[1],))
    yield "while vmap", lambda: gpugrad.vmap(control_flow.halving)(starts)


def _distributed_cases(xp: Any) -> Iterator[Case]:
    """all_reduce on one process (its value is its input) under each transformation."""
    x = xp.asarray(np.array([[0.5, -1.0], [2.0, 0.25]]))
    f = lambda v: distributed.all_reduce({"a": v * v, "b": [gnp.sin(v)]}, "sum")["a"]
    yield "all_reduce grad", lambda: gpugrad.grad(_total(f))(x)
    yield "all_reduce jvp", lambda: gpugrad.jvp(f, (x,), (x,))
    yield "all_reduce vmap", lambda: gpugrad.vmap(f)(x)
    yield "all_reduce jit", lambda: gpugrad.jit(f)(x)


def _random_cases(xp: Any) -> Iterator[Case]:
    """Every sampler batched over keys (random_p is bound only under a transformation), and
    over its array parameters with one key or a key per example."""
    keys = xp.asarray(host(gr.split(gr.PRNGKey(3), 3)))
    for name, f in vmap_random._cases(gr).items():
        yield f"{name} keys", lambda f=f: gpugrad.vmap(f)(keys)
    five = xp.asarray(host(gr.split(gr.PRNGKey(5), 5)))
    for name, (f, values) in vmap_random._param_cases(gr).items():
        params = [xp.asarray(v) for v in values]
        axes = (None, *(0,) * len(params))
        yield f"{name} params", lambda f=f, p=params: gpugrad.vmap(f)(five, *p)
        yield f"{name} one key", lambda f=f, p=params, axes=axes: gpugrad.vmap(
            f, in_axes=axes)(xp.asarray(host(gr.PRNGKey(5))), *p)
    seeds = xp.asarray(np.arange(3, dtype=np.int32))
    yield "keys of seeds", lambda: gpugrad.vmap(gr.PRNGKey)(seeds)
    lows = xp.asarray(np.linspace(-1.0, 0.0, 3, dtype=np.float32))

    def draw(k: Any, lo: Any) -> Any:  # differentiable bounds: unit floats, then the map
        return gnp.sum(gr.uniform(k, (2,), minval=lo, maxval=2.0))

    yield "uniform grad", lambda: gpugrad.vmap(gpugrad.grad(draw, argnums=1))(keys, lows)


def _indexing_cases(xp: Any) -> Iterator[Case]:
    """Sorting, searching, counting and gathering functions, eagerly and batched; each
    index of the gather table batched, with its gradient (a scatter)."""
    args = vmap_indexing._discrete_args(xp)
    for name, (f, names) in vmap_indexing.DISCRETE.items():
        values = [args[a] for a in names.split()]
        yield f"{name} eager", lambda f=f, v=values: f(*_first(v))
        yield f"{name} vmap", lambda f=f, v=values: gpugrad.vmap(f)(*v)
    rng = np.random.default_rng(0)
    x = vmap_indexing._x(xp, rng)
    for name, index, spec in vmap_indexing.INDICES:
        arrays = vmap_indexing._index_arrays(xp, rng, spec)

        def picked(x: Any, *a: Any, index: Any = index) -> Any:
            return x[index(*a)]

        yield f"{name} vmap", lambda f=picked, a=arrays: gpugrad.vmap(f)(x, *a)
        yield f"{name} vmap grad", lambda f=picked, a=arrays: gpugrad.vmap(
            gpugrad.grad(_total(f)))(x, *a)


@contextlib.contextmanager
def _x64() -> Iterator[None]:
    old = config.enable_x64
    config.update("enable_x64", True)
    try:
        yield
    finally:
        config.update("enable_x64", old)


def _run(cases: Iterator[Case]) -> int:
    count = 0
    for label, call in cases:
        try:
            call()
        except AssertionError as err:  # name the case whose evaluation disagreed
            raise AssertionError(f"{label}: {err}") from None
        count += 1
    return count


def test_abstract_eval_matches_every_evaluation_of_the_sweep(xp: Any) -> None:
    with checking_abstract_eval() as calls:
        cases = _run(_vmap_numpy_cases(xp)) + _run(_grads_table_cases(xp))
        if xp is np:
            # Again with fusion on at every size: small elementwise operations then go
            # through the primitive's evaluation (and fused backward passes) instead of
            # NumPy's fast paths, which CuPy arrays never take.
            saved = config.fusion_min_size
            config.update("fusion_min_size", 0)
            try:
                cases += _run(_vmap_numpy_cases(xp)) + _run(_grads_table_cases(xp))
            finally:
                config.update("fusion_min_size", saved)
        with _x64():
            cases += _run(_jax_sweep_cases(xp))
        cases += _run(_linalg_cases(xp)) + _run(_random_cases(xp)) + _run(_indexing_cases(xp))
        cases += _run(_control_flow_cases(xp)) + _run(_distributed_cases(xp))
    assert cases > (2500 if xp is np else 1500)  # the tables ran (3028 and 1943 calls now)
    unchecked = [p.name for p in core_trace.registry if calls[p.name] == 0]
    assert unchecked == [], f"the sweep never evaluated {unchecked}"


def test_the_random_cases_reach_every_kernel() -> None:
    kernels: Counter[str] = Counter()
    with checking_abstract_eval() as calls:
        checked = random_p.impl

        def counting(*args: Any, kernel: str, **static: Any) -> Any:
            kernels[kernel] += 1
            return checked(*args, kernel=kernel, **static)

        random_p.impl = counting  # the check restores the evaluation on exit
        _run(_random_cases(np))
    assert sorted(kernels) == sorted(KERNELS)
    assert calls["random"] == sum(kernels.values())


def test_the_check_catches_a_wrong_rule() -> None:
    """The check can fail: a rule that forgets the reduced axis is caught, and every
    primitive's evaluation is restored when the block raises."""
    impls = [p.impl for p in core_trace.registry]
    rule = reduce_sum_p.abstract_eval
    reduce_sum_p.abstract_eval = lambda x, axes: ShapedArray(x.shape, x.dtype)
    try:
        with pytest.raises(AssertionError, match=r"reduce_sum: impl returned float64\[3\]"), \
                checking_abstract_eval():
            gnp.sum(np.ones((2, 3)), axis=0)
    finally:
        reduce_sum_p.abstract_eval = rule
    assert [p.impl for p in core_trace.registry] == impls


# ---------------------------------------------------------------------------------------
# Hand-written shapes


def _a(*shape: int, dtype: Any = F32, weak: bool = False) -> ShapedArray:
    return ShapedArray(shape, dtype, weak)


ALL = SliceBounds(None, None, None)


@pytest.mark.parametrize("index, arrays, shape", [
    ((ARRAY, ALL, ARRAY), [(2, 3), (3,)], (2, 3, 5)),  # separated: the block goes in front
    ((ALL, ARRAY, ARRAY), [(2, 3), (3,)], (4, 2, 3)),  # adjacent: where the first one is
    ((0, ALL, ARRAY), [(7,)], (7, 5)),  # an int counts as advanced: separated
    ((None, 1, ARRAY), [(7,)], (1, 7, 6)),  # int and array adjacent, after the new axis
    ((ARRAY, None, ARRAY), [(4,), (1,)], (4, 1, 6)),
    ((Ellipsis, ARRAY), [(2, 2)], (4, 5, 2, 2)),
    ((SliceBounds(1, None, 2), ARRAY, SliceBounds(None, -2, None)), [(3,)], (2, 3, 4)),
    ((ARRAY, ALL, ARRAY), [(), ()], (5,)),  # 0-d arrays index like ints
    ((1, SliceBounds(3, 1, -1), None), [], (2, 1, 6)),
])
def test_gather_places_advanced_indices_as_numpy_does(index: Any, arrays: Any,
                                                     shape: Any) -> None:
    x = _a(4, 5, 6, weak=True)
    out = gather_p.abstract_eval(x, *[_a(*s, dtype=np.intp) for s in arrays], index=index)
    assert out == ShapedArray(shape, F32, weak_type=True)
    shapes = iter(arrays)
    np_index = tuple(slice(*k) if isinstance(k, SliceBounds) else np.zeros(next(shapes), int)
                     if k is ARRAY else k for k in index)
    assert np.empty((4, 5, 6))[np_index].shape == shape  # NumPy agrees


def test_einsum_broadcasts_length_one_axes_of_an_expanded_ellipsis() -> None:
    out = einsum_p.abstract_eval(_a(2, 1, 3, 4), _a(5, 4, 6, dtype=F64), spec="xyij,yjk->xyik")
    assert out == _a(2, 5, 3, 6, dtype=F64)
    # The public function, checked against its evaluation: "..." becomes spare letters.
    with checking_abstract_eval() as calls:
        got = gnp.einsum("...ij,...jk->...ik", np.ones((2, 5, 3, 4)), np.ones((5, 4, 6)))
    assert got.shape == (2, 5, 3, 6) and calls["einsum"] == 1
    # An index summed away from one operand alone: NumPy's sum widens int32 first.
    assert einsum_p.abstract_eval(_a(2, 3, dtype=I32), _a(4, dtype=I32),
                                  spec="ij,k->k").dtype == np.int_


def test_full_decompositions_pack_square_factors() -> None:
    a = _a(2, 5, 3)
    assert svd_full_p.abstract_eval(a) == _a(2, 5 + 1 + 3, 5)  # [U; s; Vh], width max(m, n)
    assert qr_complete_p.abstract_eval(a) == _a(2, 5, 5 + 3)  # [Q, R]
    assert svd_full_p.abstract_eval(_a(3, 4, dtype=I32)) == _a(8, 4, dtype=F64)


@pytest.mark.parametrize("kind, x, lengths, out", [
    ("rfft", _a(4, 6), (7,), _a(4, 4, dtype=C64)),  # 7 // 2 + 1 bins
    ("rfft", _a(4, 6, dtype=F64), (3, 8), _a(3, 5, dtype=np.complex128)),
    ("irfft", _a(4, 4, dtype=C64), (3, 7), _a(3, 7)),
    ("irfft", _a(4, 4, dtype=C64), (4, 6), _a(4, 6)),
    ("fft", _a(4, 6, dtype=I32), (2, 6), _a(2, 6, dtype=np.complex128)),
])
def test_fft_lengths(kind: str, x: ShapedArray, lengths: Any, out: ShapedArray) -> None:
    axes = (1,) if len(lengths) == 1 else (0, 1)
    assert fft_p.abstract_eval(x, kind=kind, axes=axes, lengths=lengths, norm="ortho") == out


def test_random_kernels() -> None:
    keys = _a(3, 2, dtype=U32)

    def result(name: str, *params: ShapedArray, **static: Any) -> ShapedArray:
        return random_p.abstract_eval(keys, *params, kernel=name, **static)

    assert result("bits", width=8, shape=(4,), partitionable=True) == _a(3, 4, dtype=np.uint8)
    assert result("split", shape=(2, 5), partitionable=False) == _a(3, 2, 5, 2, dtype=U32)
    assert result("bernoulli", _a(1, 4), shape=(4,), mode="low",
                  partitionable=True) == _a(3, 4, dtype=bool)
    items = _a(3, 4, 6, dtype=F64)  # one (4, 6) array per key; picked along its last axis
    assert result("choice", items, n_inputs=6, shape=(2, 5), replace=True, has_a=True, axis=1,
                  mode=None, partitionable=True) == _a(3, 4, 2, 5, dtype=F64)
    assert result("permutation", n=7, axis=0, independent=False,
                  partitionable=True) == _a(3, 7, dtype=I32)
    assert random_p.abstract_eval(_a(5, dtype=I32), kernel="seed", wide=False) == _a(
        5, 2, dtype=U32)


def test_searchsorted_rows_and_argmax() -> None:
    out = searchsorted_rows_p.abstract_eval(_a(3, 6), _a(3, 2, 4), side="left", dtype=I32)
    assert out == _a(3, 2, 4, dtype=I32)
    argmax = reduce_discrete_p.abstract_eval(_a(3, 4), name="argmax", axis=None,
                                             keepdims=True, dtype=None)
    assert argmax == _a(1, 1, dtype=np.intp)


def test_weak_types() -> None:
    weak, strong = _a(1, weak=True), _a(2)
    assert concatenate_p.abstract_eval(weak, strong, axis=0) == _a(3)
    assert concatenate_p.abstract_eval(weak, weak, axis=0) == _a(2, weak=True)
    mul, less = C.mul(var(0), var(1)), C.lt(var(0), var(1))
    half = _a(dtype=np.float16)
    scalar = aval_of(2.5)  # a Python float: weak, of the default float dtype
    assert scalar == _a(weak=True)
    assert elementwise_p.abstract_eval(half, scalar, expr=mul) == half  # the array's dtype
    assert elementwise_p.abstract_eval(scalar, scalar, expr=mul) == scalar
    assert elementwise_p.abstract_eval(scalar, scalar, expr=less) == _a(dtype=bool)
    # A NumPy scalar is typed by its own dtype (np.float64 is a float, but not weak).
    assert elementwise_p.abstract_eval(half, aval_of(np.float64(2.5)), expr=mul) == _a(dtype=F64)
    assert reduce_sum_p.abstract_eval(_a(3, dtype=I32, weak=True), axes=(0,)) == ShapedArray(
        (), np.int_, weak_type=True)  # NumPy's sum widens int32


def test_an_expression_that_ignores_inputs_still_takes_their_broadcast_shape(xp: Any) -> None:
    """Derivative formulas often read fewer inputs than they are given; the result has the
    shape of all of them broadcast, as abstract evaluation (and a CUDA kernel) says."""
    a, b = xp.ones((3, 1)), xp.full((1, 4), 2.0)
    out = elementwise_p.impl(a, b, expr=var(1))
    predicted = elementwise_p.abstract_eval(ShapedArray((3, 1), np.float64),
                                            ShapedArray((1, 4), np.float64), expr=var(1))
    assert tuple(out.shape) == predicted.shape == (3, 4)
    assert float(out.sum()) == 24.0
    many = gpugrad.jvp(lambda u: gnp.add(u, b), (a,), (a,))[1]
    assert tuple(many.shape) == (3, 4)
