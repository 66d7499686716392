"""``jit`` and ``make_jaxpr``: values, the cache (hits, retracing on new shapes, dtypes and
static values), side effects while tracing only, weak types, printed programs, the passes
that rewrite them, and each error with its message."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.compiler import passes
from gpugrad.core.concrete import ConcretizationError
from gpugrad.core.trace import current_depth


def _traces(fun: Any) -> list[Any]:
    """``fun`` wrapped so that each trace appends its arguments' shapes to the list returned."""
    seen: list[Any] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        seen.append([getattr(a, "shape", a) for a in args])
        return fun(*args, **kwargs)

    return seen, counted  # type: ignore[return-value]


def test_values_match_eager_and_the_cache_is_hit() -> None:
    seen, f = _traces(lambda x, y: gnp.sum(gnp.sin(x) * y) + gnp.max(x))
    jf = gpugrad.jit(f)
    x, y = np.linspace(-1, 1, 6).reshape(2, 3), np.arange(3.0)
    expected = gnp.sum(gnp.sin(x) * y) + gnp.max(x)
    for _ in range(3):
        np.testing.assert_allclose(jf(x, y), expected, rtol=1e-15)
    assert len(seen) == len(jf._cache) == 1  # one trace for three calls


def test_new_shapes_and_dtypes_retrace_and_old_ones_hit() -> None:
    seen, f = _traces(lambda x: x * 2.0)
    jf = gpugrad.jit(f)
    jf(np.ones(3))
    jf(np.ones(4))
    jf(np.ones(3, np.float32))
    jf(np.ones(3))
    jf(np.ones((3, 1)))
    assert seen == [[(3,)], [(4,)], [(3,)], [(3, 1)]]
    assert jf(np.ones(3, np.float32)).dtype == np.float32


def test_static_arguments_are_passed_as_they_are_and_key_the_cache() -> None:
    seen, f = _traces(lambda x, n, *, mode: x ** n if mode == "pow" else x * n)
    jf = gpugrad.jit(f, static_argnums=1, static_argnames="mode")
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(jf(x, 3, mode="pow"), x ** 3)
    np.testing.assert_allclose(jf(x, 3, mode="mul"), x * 3)
    np.testing.assert_allclose(jf(x, 2, mode="pow"), x ** 2)
    jf(x, 3, mode="pow")
    assert len(seen) == 3
    # Python's own loop over a static count, as in JAX.
    g = gpugrad.jit(lambda x, k: sum(x ** i for i in range(k)), static_argnums=(1,))
    np.testing.assert_allclose(g(x, 3), 1 + x + x ** 2)


def test_static_argnames_found_from_positions_and_positions_from_names() -> None:
    def f(x, power):
        return x ** power

    x = np.array([2.0, 3.0])
    np.testing.assert_allclose(gpugrad.jit(f, static_argnums=1)(x, power=3), x ** 3)
    np.testing.assert_allclose(gpugrad.jit(f, static_argnames="power")(x, 2), x ** 2)


def test_side_effects_run_while_tracing_only() -> None:
    log: list[str] = []

    def f(x):
        log.append(f"tracing {x}")
        return x + 1

    jf = gpugrad.jit(f)
    for _ in range(3):
        jf(np.zeros(2, np.float32))
    assert log == ["tracing Traced<ShapedArray(float32[2])>with<StagingTrace>"]


def test_pytrees_in_and_out_and_keyword_arguments() -> None:
    def f(params, x, *, scale):
        return {"out": params["w"] @ x * scale, "aux": (params["b"], None)}

    jf = gpugrad.jit(f)
    params = {"w": np.eye(2) * 3.0, "b": np.array(1.0)}
    out = jf(params, np.array([1.0, 2.0]), scale=np.array(0.5))
    np.testing.assert_allclose(out["out"], [1.5, 3.0])
    assert out["aux"][1] is None and float(out["aux"][0]) == 1.0


def test_python_numbers_are_weak_as_in_eager_mode() -> None:
    f = gpugrad.jit(lambda a, b: a * b)
    half = np.ones(2, np.float16)
    assert f(2.0, half).dtype == np.float16  # the number gives way, as eagerly
    assert f(2, half).dtype == np.float16
    assert f(2.0, 3).dtype == np.float32  # numbers alone: the default dtype
    with _x64():
        assert f(2.0, np.ones(2, np.float32)).dtype == np.float32
        assert gpugrad.jit(lambda a: a + 1.5)(2.0).dtype == np.float64


class _x64:
    def __enter__(self) -> None:
        gpugrad.config.update("enable_x64", True)

    def __exit__(self, *exc: object) -> None:
        gpugrad.config.update("enable_x64", False)


def test_make_jaxpr_prints_the_program() -> None:
    program = gpugrad.make_jaxpr(lambda x: gnp.sum(gnp.sin(x) * 2.0))(np.ones(3, np.float32))
    assert str(program) == (
        "{ lambda ; a:f32[3]. let\n"
        "    b:f32[3] = elementwise[expr=sin(x0)] a\n"
        "    c:f32[3] = elementwise[expr=mul(x0, x1)] b 2.0:f32[]\n"
        "    d:f32[] = reduce_sum[axes=(0,)] c\n"
        "  in (d,) }")
    closed = gpugrad.make_jaxpr(lambda x: x + np.arange(3.0))(np.ones(3))
    assert str(closed).startswith("{ lambda a:f64[3]; b:f64[3]. let")


def test_compiled_program_is_fused_and_has_no_dead_code() -> None:
    def f(x):
        unused = gnp.cos(x) @ x  # noqa: F841  # dead: dropped
        return gnp.sum(gnp.exp(-x ** 2) * gnp.sin(3.0 * x) + gnp.log1p(x ** 2))

    jf = gpugrad.jit(f)
    x = np.linspace(-1, 1, 50)
    np.testing.assert_allclose(jf(x), f(x), rtol=1e-14)
    compiled = next(iter(jf._cache.values())).compiled
    prims = [e.prim.name for e in compiled.program.eqns]
    assert prims == ["elementwise", "reduce_sum"]  # seven elementwise steps, one evaluation
    assert "einsum" not in compiled.source


def test_common_subexpressions_are_merged_and_constants_folded() -> None:
    const = np.arange(3.0)

    def f(x):
        return gnp.sin(x) * gnp.sin(x) + gnp.exp(const) * 2.0

    jf = gpugrad.jit(f)
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(jf(x), f(x), rtol=1e-15)
    compiled = next(iter(jf._cache.values())).compiled
    (eqn,) = compiled.program.eqns  # exp(const) * 2 folded, the rest one fused evaluation
    assert str(eqn.params["expr"]) == "add(mul(sin(x0), sin(x0)), x1)"
    np.testing.assert_allclose(compiled.consts[0], np.exp(const) * 2.0, rtol=1e-15)
    merged = passes.merge_common(gpugrad.make_jaxpr(f)(x))
    assert [str(e.params.get("expr")) for e in merged.eqns].count("sin(x0)") == 1


def test_value_dependent_python_control_flow_names_the_fixes() -> None:
    def f(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(ConcretizationError, match=r"static_argnums.*gpugrad\.lax\.cond"):
        gpugrad.jit(f)(np.ones(3))
    assert current_depth() == 0
    with pytest.raises(ConcretizationError, match="float32 of shape \\(\\)"):
        gpugrad.jit(lambda x: float(x))(np.float32(1.0))
    with pytest.raises(ConcretizationError, match="nonzero"):
        gpugrad.jit(lambda x: gnp.nonzero(x))(np.ones(3))
    with pytest.raises(ConcretizationError):
        gpugrad.jit(lambda x: x[x > 0])(np.ones(3))
    # Shapes are concrete and usable.
    np.testing.assert_allclose(
        gpugrad.jit(lambda x: gnp.zeros(x.shape[0] * 2) + x.ndim)(np.ones(3)), np.ones(6))


def test_bad_arguments_get_clear_errors() -> None:
    with pytest.raises(TypeError, match=r"must be hashable.*tuple instead of a list"):
        gpugrad.jit(lambda x, n: x, static_argnums=1)(np.ones(2), [1, 2])
    with pytest.raises(TypeError, match=r"str.*Mark it static"):
        gpugrad.jit(lambda x, s: x)(np.ones(2), "mode")
    with pytest.raises(ValueError, match="static_argnums 3 is out of range"):
        gpugrad.jit(lambda x: x, static_argnums=3)
    with pytest.raises(TypeError, match="expected a function"):
        gpugrad.jit(3)
    assert current_depth() == 0


def test_a_traced_value_stored_outside_is_refused_later() -> None:
    kept: list[Any] = []

    def f(x):
        kept.append(x)
        return x * 2.0

    gpugrad.jit(f)(np.ones(2))
    with pytest.raises(RuntimeError, match="used after that transformation returned"):
        gnp.sin(kept[0])


def test_nested_jit_and_closures_over_arrays_and_outer_tracers() -> None:
    inner = gpugrad.jit(lambda x: gnp.tanh(x) * 2.0)
    outer = gpugrad.jit(lambda x: inner(x) + inner(x * 3.0))
    x = np.array([0.1, -0.4])
    np.testing.assert_allclose(outer(x), 2 * np.tanh(x) + 2 * np.tanh(3 * x), rtol=1e-15)

    def f(y):  # jit inside grad, closing over the differentiated value
        return gnp.sum(gpugrad.jit(lambda x: x * y ** 2)(np.ones(2)))

    np.testing.assert_allclose(gpugrad.grad(f)(np.array(1.5)), 2 * 2 * 1.5)
    assert current_depth() == 0


def test_block_until_ready_and_devices() -> None:
    tree = {"a": np.ones(2), "b": (np.zeros(1),)}
    assert gpugrad.block_until_ready(tree) is tree
    assert gpugrad.devices("cpu") == [gpugrad.devices("numpy")[0]]
    assert repr(gpugrad.devices("cpu")[0]) == "CpuDevice(id=0)"
    assert gpugrad.device_count("cpu") == 1
    assert gpugrad.device_count() == len(gpugrad.devices()) >= 1
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        gpugrad.devices("tpu")


@pytest.mark.gpu
def test_jit_on_cupy_arrays(cupy_module: Any) -> None:
    cp = cupy_module
    f = lambda x: gnp.sum(gnp.exp(-x ** 2) * gnp.sin(3.0 * x))
    x = np.linspace(-1, 2, 1000)
    jf = gpugrad.jit(gpugrad.value_and_grad(f))
    value, g = jf(cp.asarray(x))
    assert isinstance(g, cp.ndarray)
    ref_value, ref_g = gpugrad.value_and_grad(f)(x)
    np.testing.assert_allclose(cp.asnumpy(g), ref_g, rtol=1e-12)
    np.testing.assert_allclose(float(value), ref_value, rtol=1e-12)
    assert gpugrad.block_until_ready(g) is g
    assert gpugrad.devices("gpu")[0].platform == "gpu"


@pytest.mark.gpu
def test_python_numbers_alone_run_on_the_default_backend(cupy_module: Any) -> None:
    # Regression: with no array among the arguments the program ran on NumPy even with CuPy
    # the default backend, where grad (and JAX's default device) put Python numbers.
    cp = cupy_module
    with gpugrad.use_backend("cupy"):
        for jf, args in [(gpugrad.jit(gpugrad.grad(lambda x: x ** 3)), (2.0,)),
                         (gpugrad.jit(lambda a, b: (a * b, 1.0)), (3.0, 4)),
                         (gpugrad.jit(lambda: gnp.ones(2)), ())]:
            outs = gpugrad.tree_util.tree_leaves(jf(*args))
            assert all(isinstance(v, cp.ndarray) for v in outs), [type(v) for v in outs]
        assert float(gpugrad.jit(gpugrad.grad(lambda x: x ** 3))(2.0)) == 12.0
    f = gpugrad.jit(lambda a: a * 2.0)
    for name in ("numpy", "cupy", "numpy", "cupy"):  # called again: the fast path
        with gpugrad.use_backend(name):
            assert isinstance(f(3.0), cp.ndarray if name == "cupy" else np.ndarray)
