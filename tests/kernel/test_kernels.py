"""Fused CUDA kernels (gpugrad.kernel) and the fused NumPy evaluator (primitives.numpy_eval).

Default tests need no GPU: NVRTC compiles every kernel's full source for compute_80/90.
The ``gpu`` class runs the kernels on a device (skips without one); the wheel test is
``slow``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import gpugrad.kernel as K
from gpugrad.backend import cupy_status
from gpugrad.config import config
from gpugrad.expr import catalog as C
from gpugrad.expr.language import OpSpec, var
from gpugrad.kernel import codegen
from gpugrad.kernel_check import check
from gpugrad.kernel_check import items as kernel_items
from gpugrad.primitives.elementwise import jvp_expr, vjp_expr
from gpugrad.primitives.elementwise_eval import evaluate_many, numpy_function, numpy_function_for
from gpugrad.primitives.numpy_eval import fused_function, fused_source

REPO = Path(__file__).resolve().parents[2]
# The sizes at which NumPy evaluation changes evaluator (gpugrad.config options).
CHUNKED_MIN_SIZE = config.chunked_min_size
CHUNK_SIZE = config.chunk_size
# Inputs inside every operation's domain (the default is (0.2, 0.9)).
DOMAINS = {"arccosh": (1.2, 3.0)}


def _inputs(op_name: str, dtypes: list[np.dtype], n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    lo, hi = DOMAINS.get(op_name, (0.2, 0.9))
    out = []
    for d in dtypes:
        if d.kind == "b":
            out.append(rng.random(n) < 0.5)
        elif d.kind in "iu":
            out.append(rng.integers(-9, 10, n).astype(d))
        else:
            out.append(rng.uniform(lo, hi, n).astype(d))
    return out


def _expected_catalog_count() -> int:
    """Items the check must compile, counted straight from the catalog."""
    total = 0
    for op in C.OPS.values():
        expr, is_bool = kernel_items.op_value_expr(op)
        n = len(is_bool)
        diffable = tuple(i for i in range(n) if not is_bool[i])
        per_float = 1  # the value
        jvp = jvp_expr(expr, n, diffable) if diffable else None
        if jvp is not None and jvp.op != "const":  # a constant (zero) tangent needs no kernel
            per_float += 1
        if sum(vjp_expr(expr, n, i) is not None for i in diffable) > 1:
            per_float += 1  # the unfused VJP: every input's cotangent in one kernel
        for i in diffable:
            v = vjp_expr(expr, n, i)
            if v is not None:
                # first order, then one second-order kernel per non-boolean input of it
                per_float += 1 + sum(
                    vjp_expr(v, n + 2, j) is not None
                    for j in range(n + 2) if j >= n or not is_bool[j]
                )
        if is_bool and all(is_bool):
            total += 1  # logic on booleans: the value only
        else:
            complex_dtypes = 0 if op.name in kernel_items.REAL_ONLY_OPS else 2
            ints = 2 if op.name in kernel_items.INT_OPS else 0
            total += (3 + complex_dtypes) * per_float + ints
    return total


class TestNvrtcCheck:
    def test_every_catalog_kernel_and_helper_compiles(self) -> None:
        items = kernel_items.all_items()
        headers = sorted(p.name for p in K.kernel_dir().glob("*.cuh"))
        assert [i.label for i in items if i.label.startswith("header:")] == [
            f"header:{h}" for h in headers
        ]
        randoms = [i for i in items if i.label.startswith("random:")]
        expected = _expected_catalog_count() + len(headers) + len(randoms)
        result = check.run_check(items, archs=("sm_80", "sm_90"))
        assert result.failed == []
        assert result.compiled == expected
        assert result.summary == f"kernels: {expected} compiled, 0 failed"

    def test_cli_prints_one_summary_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        status = check.main(["--check", "--arch", "sm_80", "-j", "1"])
        out = capsys.readouterr().out.strip().splitlines()
        assert status == 0
        assert re.fullmatch(r"kernels: \d+ compiled, 0 failed", out[-1])

    def test_show_prints_the_generated_source(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert check.main(["--show", "sin"]) == 0
        out = capsys.readouterr().out
        assert "out0 = sin(x0);" in out and "__global__ void gg_sin_f32_" in out


class TestCompileErrors:
    def test_broken_template_names_the_kernel_and_carries_the_log(self) -> None:
        broken = OpSpec("broken", 1, "xp.sin({0})", "sinn({0})", (None,))
        spec = K.build_spec(broken(var(0)), [np.dtype("float32")])
        with pytest.raises(K.KernelCompileError) as info:
            K.compile_to_ptx(K.full_source(spec), spec.name)
        message = str(info.value)
        assert spec.name in message and spec.name.startswith("gg_broken_f32_")
        assert 'identifier "sinn" is undefined' in message
        assert info.value.kernel == spec.name and "sinn" in info.value.log

    def test_the_check_reports_a_broken_template(self) -> None:
        broken = OpSpec("broken", 1, "xp.sin({0})", "sinn({0})", (lambda x, o: x,))
        items = kernel_items.catalog_items([broken, C.OPS["cos"]], ["float32"])
        result = check.run_check(items, archs=["80"])
        failed = dict(result.failed)
        assert set(failed) == {"broken/value/float32"}  # its derivative kernels are fine
        assert "sinn" in failed["broken/value/float32"]
        assert result.summary == f"kernels: {len(items) - 1} compiled, 1 failed"


class TestNames:
    def test_deterministic_across_processes(self) -> None:
        expr = C.tanh(var(0)) * var(1)
        name = K.kernel_name(expr, [np.dtype("float32")] * 2)
        code = (
            "import numpy as np; from gpugrad.expr import catalog as C;"
            "from gpugrad.expr.language import var; import gpugrad.kernel as K;"
            "print(K.kernel_name(C.tanh(var(0)) * var(1), [np.dtype('float32')] * 2))"
        )
        env = {**os.environ, "PYTHONHASHSEED": "12345"}
        other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                               text=True, check=True).stdout.strip()
        assert other == name == "gg_mul_tanh_f32_def6d22b"

    def test_readable_and_distinct_per_dtype(self) -> None:
        e = vjp_expr(C.logaddexp(var(0), var(1)), 2, 0)
        assert e is not None
        n32 = K.kernel_name(e, [np.dtype("float32")] * 4)
        n64 = K.kernel_name(e, [np.dtype("float64")] * 4)
        assert re.fullmatch(r"gg_[a-z0-9_]+_f32_[0-9a-f]{8}", n32)
        # exp(x0 - out) * ct, with +inf read as 0 in the difference (a select, then more)
        assert n32.startswith("gg_mul_exp_sub_select_etc_f32_")
        assert n64.replace("_f64_", "_f32_")[:-8] == n32[:-8] and n32 != n64


class TestDump:
    def test_check_dump_writes_every_source(self, tmp_path: Path) -> None:
        items = kernel_items.catalog_items([C.OPS["exp"]], ["float32"])
        check.run_check(items, archs=["80"], dump=tmp_path)
        written = sorted(p.stem for p in tmp_path.glob("*.cu"))
        assert written == sorted({i.name for i in items})
        text = (tmp_path / f"{items[0].name}.cu").read_text()
        assert "gg_logaddexp" in text and f"void {items[0].name}(" in text

    def test_dump_source(self, tmp_path: Path) -> None:
        spec = K.build_spec(C.exp(var(0)), [np.dtype("float64")])
        path = codegen.dump_source(spec, tmp_path / "sub")
        assert path == tmp_path / "sub" / f"{spec.name}.cu"
        assert path.read_text() == K.full_source(spec)


class TestFusedNumpy:
    @pytest.mark.parametrize("op_name", sorted(C.OPS))
    def test_equals_plain_evaluation(self, op_name: str) -> None:
        op = C.OPS[op_name]
        dtype = "bool" if kernel_items.op_dtypes(op) == ("bool",) else "float64"
        with np.errstate(all="ignore"):
            for role, expr, dtypes in kernel_items.op_roles(op, dtype):
                args = _inputs(op_name, dtypes, 257)
                if isinstance(expr, tuple):  # every cotangent at once: each as computed alone
                    together = evaluate_many(expr, list(args))
                    for e, value in zip(expr, together):
                        alone = np.asarray(numpy_function(e, len(args))(np, *args))
                        np.testing.assert_array_equal(value, alone, err_msg=f"{op_name} {role}")
                    continue
                plain = np.asarray(numpy_function(expr, len(args))(np, *args))
                try:
                    fused = fused_function(expr, len(args), (True,) * len(args))
                except ValueError:  # not plain ufuncs: numpy_function_for keeps it plain
                    big = [np.resize(a, CHUNKED_MIN_SIZE) for a in args]
                    assert numpy_function_for(expr, big) is numpy_function(expr, len(args))
                    continue
                got = np.asarray(fused(np, *args))
                assert got.dtype == plain.dtype, role
                np.testing.assert_array_equal(got, plain, err_msg=f"{op_name} {role}")
                if dtype == "float64" and role == "value":
                    assert np.isfinite(got).any()

    def test_composite_vjp_is_fused_above_the_threshold(self) -> None:
        x = var(0)
        f = C.exp(-(x**2)) * C.sin(3.0 * x) + C.log1p(x**2)
        vjp = vjp_expr(f, 1, 0)
        assert vjp is not None
        xs = np.linspace(-2.0, 2.0, CHUNKED_MIN_SIZE)
        out = numpy_function(f, 1)(np, xs)
        ct = np.cos(xs)
        fn = numpy_function_for(vjp, (xs, out, ct))
        assert fn.__name__ == "_chunked"
        expected = (np.exp(-xs**2) * (3 * np.cos(3 * xs) - 2 * xs * np.sin(3 * xs))
                    + 2 * xs / (1 + xs**2)) * ct
        np.testing.assert_allclose(fn(np, xs, out, ct), expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(fn(np, xs, out, ct),
                                      numpy_function(vjp, 3)(np, xs, out, ct))
        # far fewer buffers than nodes: 6 live temporaries for 18 operations
        source = fused_source(vjp, 3, (True, True, True))
        assert len(set(re.findall(r"\bt\d+\b", source))) <= 6

    def test_small_or_broadcast_arrays_stay_plain(self) -> None:
        e = C.sin(var(0)) * var(1)
        plain = numpy_function(e, 2)
        small = np.ones(10)
        assert numpy_function_for(e, (small, small)) is plain
        big = np.ones(CHUNKED_MIN_SIZE)
        assert numpy_function_for(e, (big, np.ones((2, CHUNKED_MIN_SIZE)))) is plain
        assert numpy_function_for(e, (big, np.float32(2.0))) is plain  # would widen
        assert numpy_function_for(e, (big, 2.0)).__name__ == "_chunked"
        strided = np.ones(2 * CHUNKED_MIN_SIZE)[::2]
        assert numpy_function_for(e, (strided, 2.0)).__name__ == "_fused"

    @pytest.mark.parametrize("n", [CHUNKED_MIN_SIZE, 3 * CHUNK_SIZE + 17])
    def test_chunked_equals_plain(self, n: int) -> None:
        x = var(0)
        e = C.exp(-(x**2)) * var(1) + C.sin(x) * var(2) * C.gt(x, 0.0)  # a boolean buffer too
        xs = np.linspace(-2.0, 2.0, n).reshape(-1, 1)
        ct = np.broadcast_to(np.float64(0.5), xs.shape)  # a broadcast single value
        args = (xs, ct, np.cos(xs))
        fn = numpy_function_for(e, args)
        assert fn.__name__ == "_chunked"
        got = fn(np, *args)
        assert got.shape == xs.shape and got.dtype == xs.dtype
        np.testing.assert_array_equal(got, numpy_function(e, 3)(np, *args))


    @pytest.mark.parametrize("n", [CHUNKED_MIN_SIZE, 2 * CHUNK_SIZE + 5])
    def test_exports_are_the_subexpressions_values(self, n: int) -> None:
        from gpugrad.primitives.numpy_eval import evaluate_with_exports

        x = var(0)
        inner, other = C.exp(-(x**2)), C.sin(3.0 * x)
        e = inner * other + C.log1p(x**2)
        xs = np.linspace(-2.0, 2.0, n, dtype=np.float32).reshape(-1, 1)
        value, e1, e2 = evaluate_with_exports(e, [xs], (inner, other))
        assert value.shape == e1.shape == e2.shape == xs.shape
        assert value.dtype == e1.dtype == np.float32
        np.testing.assert_array_equal(value, numpy_function(e, 1)(np, xs))
        np.testing.assert_array_equal(e1, numpy_function(inner, 1)(np, xs))
        np.testing.assert_array_equal(e2, numpy_function(other, 1)(np, xs))
        (alone,) = evaluate_with_exports(e, [xs], ())
        np.testing.assert_array_equal(alone, value)
        assert evaluate_with_exports(e, [xs], (C.cos(x),)) is None  # not a subexpression
        assert evaluate_with_exports(e, [xs[::2]], ()) is None  # strided
        assert evaluate_with_exports(x, [xs], ()) is None  # no operation would write it
        assert evaluate_with_exports(e, [xs], (inner, inner)) is None  # written once each
        assert evaluate_with_exports(e, [xs], (e,)) is None  # the result is output 0


def test_vjp_kernel_writes_every_cotangent() -> None:
    """x * y's VJP kernel: both cotangents (g*y and g*x) from one kernel, two outputs."""
    from gpugrad.kernel.codegen import build_spec, full_source

    x, y = var(0), var(1)
    exprs = (vjp_expr(x * y, 2, 0), vjp_expr(x * y, 2, 1))
    spec = build_spec(exprs, [np.dtype("float32")] * 4)
    assert spec.out_params == "float32 out0, float32 out1"
    assert re.fullmatch(r"gg_mul_f32_x2_[0-9a-f]{8}", spec.name)
    assert spec.operation.splitlines() == ["out0 = (x1 * x3);", "out1 = (x0 * x3);"]
    assert f"void {spec.name}(" in full_source(spec)
    names = {item.name for item in kernel_items.catalog_items([C.OPS["mul"]], ["float32"])}
    assert spec.name in names  # compiled by the NVRTC check


def test_unfused_vjp_evaluates_every_cotangent_once(monkeypatch) -> None:
    """With fusion off, a primitive's VJP is one evaluation for all its inputs, sharing
    their common subexpressions (arctan2's 1/(x**2 + y**2))."""
    import gpugrad
    import gpugrad.numpy as gnp
    from gpugrad.core.trace import bind
    from gpugrad.expr import catalog as C
    from gpugrad.expr.language import var
    from gpugrad.primitives import elementwise, elementwise_eval
    from gpugrad.primitives.elementwise import elementwise_p

    calls = []
    original = elementwise_eval.many_function

    def spy(exprs, nargs):
        fn = original(exprs, nargs)

        def counted(*args):
            calls.append(len(exprs))
            return fn(*args)

        return counted

    for module in (elementwise, elementwise_eval):  # the concrete VJP rule's and _vjp's route
        monkeypatch.setattr(module, "many_function", spy)
    # A fresh expression object: no rule cached by another test is reused.
    expr = C.arctan2(var(0), var(1))
    x, y = np.linspace(0.5, 1.0, 5), np.linspace(-1.0, 1.0, 5)
    gpugrad.config.update("fuse_backward", False)
    try:
        gx, gy = gpugrad.grad(lambda x, y: gnp.sum(bind(elementwise_p, y, x, expr=expr)),
                              (0, 1))(x, y)
    finally:
        gpugrad.config.update("fuse_backward", True)
    assert calls == [2]  # one evaluation giving both cotangents
    np.testing.assert_allclose(gx, -y / (x**2 + y**2), rtol=1e-14)
    np.testing.assert_allclose(gy, x / (x**2 + y**2), rtol=1e-14)


@pytest.fixture
def cp():
    """CuPy; skips the test cleanly without a usable device."""
    usable, reason = cupy_status()
    if not usable:
        pytest.skip(f"no usable CUDA device: {reason}")
    import cupy

    return cupy


@pytest.mark.gpu
class TestOnDevice:
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    @pytest.mark.parametrize("op_name", sorted(C.OPS))
    def test_kernels_match_numpy(self, cp, op_name: str, dtype: str) -> None:
        op = C.OPS[op_name]
        if dtype not in kernel_items.op_dtypes(op):
            dtype = kernel_items.op_dtypes(op)[0]
        tol = {"float32": 1e-4, "float64": 1e-10}.get(dtype, 0)
        with np.errstate(all="ignore"):
            for role, expr, dtypes in kernel_items.op_roles(op, dtype):
                args = _inputs(op_name, dtypes, 1000, seed=1)
                exprs = expr if isinstance(expr, tuple) else (expr,)
                with K.count_launches() as launches:
                    got = K.run_elementwise(expr, [cp.asarray(a) for a in args])
                assert launches.count == 1
                for e, value in zip(exprs, got if isinstance(expr, tuple) else (got,)):
                    expected = np.asarray(numpy_function(e, len(args))(np, *args))
                    assert value.dtype == expected.dtype, f"{op_name} {role}"
                    np.testing.assert_allclose(cp.asnumpy(value), expected, rtol=tol, atol=tol,
                                               equal_nan=True, err_msg=f"{op_name} {role}")

    def test_scalars_broadcasting_and_0d(self, cp) -> None:
        e = C.exp(var(0)) * var(1) + var(2)
        x = cp.linspace(0.0, 1.0, 6, dtype=cp.float32).reshape(2, 3)
        out = K.run_elementwise(e, [x, 2.0, np.ones(3, np.float32)])
        assert out.shape == (2, 3) and out.dtype == cp.float32
        np.testing.assert_allclose(cp.asnumpy(out), np.exp(cp.asnumpy(x)) * 2 + 1, rtol=1e-6)
        zero_d = K.run_elementwise(e, [cp.asarray(0.0), 1.0, 0.5])
        assert isinstance(zero_d, cp.ndarray) and zero_d.shape == ()
        assert float(zero_d) == 1.5

    def test_one_launch_per_fused_expression(self, cp) -> None:
        x = var(0)
        vjp = vjp_expr(C.exp(-(x**2)) * C.sin(3.0 * x) + C.log1p(x**2), 1, 0)
        args = [cp.linspace(-1, 1, 100)] * 3
        with K.count_launches() as launches:
            K.run_elementwise(vjp, args)
        assert launches.count == 1

    def test_unfused_vjp_of_a_product_is_one_launch(self, cp) -> None:
        import gpugrad

        x, y = cp.linspace(0.5, 1.0, 1000), cp.linspace(-1.0, 1.0, 1000)
        gpugrad.config.update("fuse_backward", False)
        try:
            _, f_vjp = gpugrad.vjp(lambda x, y: x * y, x, y)
            with K.count_launches() as launches:
                gx, gy = f_vjp(cp.full(1000, 2.0))
        finally:
            gpugrad.config.update("fuse_backward", True)
        assert launches.count == 1
        np.testing.assert_allclose(cp.asnumpy(gx), 2 * cp.asnumpy(y), rtol=1e-15)
        np.testing.assert_allclose(cp.asnumpy(gy), 2 * cp.asnumpy(x), rtol=1e-15)

    def test_runtime_compile_error_names_the_kernel(self, cp) -> None:
        broken = OpSpec("broken", 1, "xp.sin({0})", "sinn({0})", (None,))
        with pytest.raises(K.KernelCompileError, match=r"gg_broken_f64_[0-9a-f]{8}[\s\S]*sinn"):
            K.run_elementwise(broken(var(0)), [cp.ones(3)])

    def test_dump_kernels_option(self, cp, tmp_path: Path) -> None:
        import gpugrad

        gpugrad.config.update("dump_kernels", str(tmp_path))
        try:
            K.run_elementwise(C.cosh(var(0)) * 3.0, [cp.ones(3)])
        finally:
            gpugrad.config.update("dump_kernels", None)
        assert [p.name for p in tmp_path.glob("gg_mul_cosh_f64_*.cu")]


@pytest.mark.slow
def test_wheel_ships_the_kernels(tmp_path: Path) -> None:
    """The built wheel carries kernels/ as gpugrad/_kernels, and an install finds it there."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
                   cwd=REPO, check=True, capture_output=True)
    (wheel,) = dist.glob("gpugrad-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run([str(python), "-c", purelib], check=True, capture_output=True,
                          text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", site, str(wheel)], check=True, capture_output=True)
    # numpy, optree and cupy from this environment, after the venv's own site-packages (a
    # plain path entry: this environment's editable-install hook is not activated).
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    code = (
        "import gpugrad, gpugrad.kernel as K\n"
        "from gpugrad.kernel import codegen\n"
        "from gpugrad.kernel_check import check, items\n"
        "print(gpugrad.__file__)\nprint(K.kernel_dir())\n"
        "assert 'gg_logaddexp' in codegen.header_text()\n"
        "print(check.run_check(items.header_items(), archs=['80']).summary)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True)
    package_file, kernels, summary = result.stdout.strip().splitlines()[-3:]
    assert Path(package_file).is_relative_to(venv)
    assert Path(kernels) == Path(site) / "gpugrad" / "_kernels"
    assert summary.endswith("compiled, 0 failed")
