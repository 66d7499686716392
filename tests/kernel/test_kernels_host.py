"""``python -m gpugrad kernels --run-on-host``: every CUDA kernel compiled by the host C++
compiler, run on edge values and compared with gpugrad's NumPy evaluation; and the fixes
that comparison found (each against a closed form, the C library or JAX)."""

from __future__ import annotations

import dataclasses
import io
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gpugrad.config import config
from gpugrad.expr import catalog as C
from gpugrad.expr.language import var
from gpugrad.expr.printers import to_cuda
from gpugrad.kernel.codegen import build_spec
from gpugrad.kernel.host import HostLibrary, cache_dir
from gpugrad.kernel_check.host_check import (
    HostItem,
    helper_items,
    host_items,
    main_on_host,
    run_host_check,
)
from gpugrad.kernel_check.host_random import random_cases, run_random
from gpugrad.kernel_check.host_samples import accept, sample_inputs, ulp_distance
from gpugrad.primitives import special_math


@pytest.fixture
def host_cache(tmp_path: Path) -> Iterator[Path]:
    """A fresh, empty cache of host libraries for one test."""
    old = config.kernel_cache_dir
    config.update("kernel_cache_dir", str(tmp_path))
    yield tmp_path / "host"
    config.update("kernel_cache_dir", old)


def test_every_kernel_agrees_with_numpy(host_cache: Path) -> None:
    # The whole check, cold (about 10 s on 2 cores; 5 s from the cache).
    stream = io.StringIO()
    result = run_host_check(jobs=2, stream=stream)
    assert result.run == len(host_items()) + len(helper_items()) + len(random_cases()) > 900
    assert not result.differ, stream.getvalue()
    assert result.libraries >= 10
    assert len(list(host_cache.glob("k_*.so"))) == result.libraries


def test_main_prints_the_summary_and_hits_the_cache(host_cache: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    items = host_items([C.OPS["tanh"]], ["float32"])
    assert run_host_check(items).cached == 0
    start = time.perf_counter()
    again = run_host_check(items)
    assert again.cached == 1 and again.libraries == 1 and time.perf_counter() - start < 2
    assert [p.parent for p in host_cache.glob("k_*.so")] == [cache_dir()]
    assert main_on_host(jobs=1) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    total = len(host_items()) + len(helper_items()) + len(random_cases())
    assert lines[-1] == f"kernels on host: {total} run, 0 differ"


def test_a_wrong_formula_is_reported_with_its_name_and_input(host_cache: Path) -> None:
    items = host_items([C.OPS["sin"]], ["float64"])
    jvp = next(i for i in items if i.label == "sin/jvp/float64")
    assert jvp.spec.operation == "T t0 = cos(x0);\nout0 = (t0 * x1);"
    flipped = dataclasses.replace(jvp.spec, operation="T t0 = cos(x0);\nout0 = -(t0 * x1);")
    wrong = HostItem(jvp.label, jvp.expr, flipped)
    stream = io.StringIO()
    result = run_host_check([i if i is not jvp else wrong for i in items], stream=stream)
    assert result.summary == f"kernels on host: {len(items)} run, 1 differ"
    assert list(result.differ) == ["sin/jvp/float64"]
    text = stream.getvalue()
    assert text.startswith(f"DIFFERS sin/jvp/float64 {flipped.name} out0 at (x0=np.float64(")
    assert text.splitlines()[-1].startswith("DIFFERS sin/jvp/float64: ")  # "N more elements"
    line = next(li for li in result.differ["sin/jvp/float64"] if "x0=np.float64(1.0)" in li)
    x1 = float(line.split("x1=np.float64(")[1].split(")")[0])
    host = float(line.split("host=np.float64(")[1].split(")")[0])
    assert host == -math.cos(1.0) * x1  # the flipped sign, as the host ran it


def test_the_command_exits_1_listing_each_difference(host_cache: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from gpugrad.kernel_check import check, host_check

    item = host_items([C.OPS["exp"]], ["float32"])[0]  # exp/value/float32
    wrong = dataclasses.replace(item, spec=dataclasses.replace(item.spec,
                                                               operation="out0 = exp(-x0);"))
    real = host_check.run_host_check
    monkeypatch.setattr(host_check, "run_host_check",
                        lambda jobs, verbose: real([wrong], jobs=jobs, verbose=verbose))
    assert check.main(["--run-on-host", "-j", "1", "-v"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "kernels on host: 1 run, 1 differ"
    listed = [li for li in lines if li.startswith("DIFFERS exp/value/float32 ")]
    assert len(listed) > 100  # -v lists every element, not the first three
    assert "x0=np.float32(1.0)): host=np.float32(0.36787945), numpy=np.float32(2.718282)" \
        in "\n".join(listed)  # e^-1 on the host (glibc's expf), e from NumPy


def test_helpers_are_run_for_every_type_they_support(host_cache: Path) -> None:
    items = helper_items()
    labels = {i.label for i in items}
    assert {"gg_softplus/float64", "gg_ipow_neg/int32", "gg_floor_divide/uint32"} <= labels
    wrong = [dataclasses.replace(i, reference=np.fmax) if i.label == "gg_maximum/float32"
             else i for i in items]  # fmax drops NaNs: the helper must not
    result = run_host_check(wrong, stream=io.StringIO())
    assert list(result.differ) == ["gg_maximum/float32"]
    assert all("host=np.float32(nan)" in line for line in result.differ["gg_maximum/float32"])


def test_random_kernels_match_the_numpy_path_and_a_wrong_one_is_caught(host_cache: Path) -> None:
    cases = random_cases()
    assert {c.name for c in cases} >= {"gg_threefry_block", "gg_normal_f32", "gg_bernoulli_f32"}
    run, differ, _ = run_random([c for c in cases if c.name.endswith("_f32")])
    assert run == 8 and differ == {}  # the float32 recipes bit for bit
    uniform = next(c for c in cases if c.name == "gg_uniform_f32")
    shifted = dataclasses.replace(uniform, params=(-2.0, 3.5))  # the kernel draws on [-2, 3.5)
    _, differ, cached = run_random([shifted])
    assert cached and list(differ) == ["random:gg_uniform_f32"]
    assert "(legacy, key 0, n 1001) element 0: host=np.float32(" in differ[shifted.label][0]


def test_sampled_inputs_cover_the_edges() -> None:
    x, y = sample_inputs([np.dtype("float32")] * 2, "demo")
    for edge in (0.0, np.inf, -np.inf, np.finfo(np.float32).max, 1.4e-45):
        assert (x == edge).any() and (y == edge).any()
    assert np.isnan(x).any() and (np.signbit(x) & (x == 0)).any()
    assert ((x == 0) & (y == -1)).any()  # every pair of edge values
    assert ulp_distance(np.float64([np.inf]), np.float64([np.finfo(float).max])).tolist() == [1]


def test_accept_rules() -> None:
    one = np.float32(1.0)
    host = np.float32([1.0, 0.0, np.inf, np.nan, np.nextafter(one, np.float32(2))])
    numpy = np.float32([1.0, -0.0, np.float32(3e38), np.nan, 1.0])
    assert accept(host, numpy, None, None).tolist() == [True, False, False, True, True]
    wide = np.float64([1.0, 1e-8])  # a cancellation: 4 ulps of the intermediate 1.0
    assert accept(wide, np.float64([1.0, 1e-8 + 4e-16]), None, np.ones(2)).tolist() == [1, 1]
    assert not accept(np.float64([1e-8]), np.float64([1e-8 + 4e-16]), None, None)[0]


# --- the differences the host run found, and their fixes ------------------------------


def test_a_root_written_to_two_outputs_writes_both() -> None:
    # add's VJP is (ct, ct): the kernel wrote out1 twice and left out0 unwritten.
    assert to_cuda((var(3), var(3))) == "out0 = x3;\nout1 = x3;"
    assert to_cuda((C.sin(var(0)), C.sin(var(0)))) == "T t0 = sin(x0);\nout0 = t0;\nout1 = t0;"


def test_maximum_and_minimum_kernels_break_zero_ties_as_numpy(host_cache: Path) -> None:
    a = np.float64([0.0, -0.0, 1.0, np.nan])
    b = np.float64([-0.0, 0.0, np.nan, 2.0])
    for op, ufunc in (("maximum", np.maximum), ("minimum", np.minimum)):
        spec = build_spec(C.OPS[op](var(0), var(1)), [np.dtype("float64")] * 2)
        (out,) = HostLibrary([spec]).run(spec, [a, b])
        expected = ufunc(a, b)
        assert np.array_equal(out, expected, equal_nan=True)
        assert np.signbit(out).tolist() == np.signbit(expected).tolist()


def test_polygamma_at_signed_zeros_is_the_one_sided_limit() -> None:
    # psi''(x) ~ -2 / x^3 near 0: -inf from the right, +inf from the left; psi' ~ 1 / x^2.
    assert special_math.polygamma(2, np.float64([0.0, -0.0])).tolist() == [-np.inf, np.inf]
    assert special_math.polygamma(1, np.float64([0.0, -0.0])).tolist() == [np.inf, np.inf]
    assert special_math.polygamma(3, np.float64([-0.0])).tolist() == [np.inf]  # 6 / x^4


def test_polygamma_far_below_zero_is_fast_and_matches_the_reflection() -> None:
    # psi'(x) + psi'(1 - x) = pi^2 / sin^2(pi x); x = -99999.5 sums 1e5 terms directly.
    x = np.float64([-99999.5, -1000.25, -3.3])
    start = time.perf_counter()
    lhs = special_math.polygamma(1, x) + special_math.polygamma(1, 1.0 - x)
    assert time.perf_counter() - start < 1.0
    np.testing.assert_allclose(lhs, (math.pi / np.sin(math.pi * x)) ** 2, rtol=1e-11)


def test_gammaln_edges_match_the_c_library() -> None:
    x = np.float64([1.0, 2.0, -5e-324, -1e-300, -2.5, -3.5, -1e-21, -1.7976931348623157e308])
    out = special_math.gammaln(x)
    assert not np.signbit(out[:2]).any() and out[:2].tolist() == [0.0, 0.0]
    expected = [math.lgamma(v) for v in x[2:-1]]
    # gammaln(-2.5) = -0.056 comes from a reflection of terms ~1: 4 ulps of 1 absolute.
    np.testing.assert_allclose(out[2:-1], expected, rtol=4e-16, atol=9e-16)
    assert out[-1] == np.inf  # a pole: every float that large is an even integer
    tiny = np.float32(-1e-45)  # the smallest subnormal, 1.4e-45
    assert special_math.gammaln(tiny) == np.float32(-math.log(-float(tiny)))


def test_gammaln_matches_jax(jax_x64: Any) -> None:
    x = np.float64([1.0, 2.0, -1e-300, -2.5, -1e300, 0.5])
    ours = special_math.gammaln(x)
    theirs = np.asarray(jax_x64.scipy.special.gammaln(x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert np.signbit(ours).tolist() == np.signbit(theirs).tolist()


def test_cache_key_covers_the_included_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited host_shim.h (or a header it includes) gives another cached library: the
    text read for the header is part of the key, with nothing on disk changed."""
    from gpugrad.kernel import host

    source = host.host_source([build_spec(C.sin(var(0)), [np.dtype("float64")])])
    assert host.included_headers(source) == ["host_shim.h"]
    before = host.cache_path(source)
    assert host.cache_path(source) == before  # the same text: the same key
    real = host.header_text

    def edited(name: str = "gpugrad_math.cuh") -> str:
        text = real(name)
        return text + "\n// edited\n" if name == "host_shim.h" else text

    monkeypatch.setattr(host, "header_text", edited)
    assert host.cache_path(source) != before
