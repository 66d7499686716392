"""``gpugrad.random``'s CUDA kernels on the host, against ``gpugrad.random`` on NumPy.

Each kernel of :mod:`gpugrad.random.cuda_kernels` (the bodies of its ``SPECS`` after the text of
``kernels/threefry.cuh``, the same text CuPy compiles) is wrapped in a host loop over the
element index ``i`` (CuPy's name for it in an ``ElementwiseKernel``), compiled with the
host compiler (``kernels/host_shim.h`` maps the bit casts and the ``__f*_rn`` intrinsics),
and run for two keys, an odd and an even size, and both of JAX's bit layouts (legacy and
partitionable). The NumPy path draws the same numbers with the same key.

Tolerance: the float32 recipes reproduce XLA's rounding step by step, so the host must give
the NumPy path's bits exactly (and so must the bits, booleans and the block function); the
float64 ones call the math library (``log``, ``log1p``, ``erf``), so they are compared
within :data:`F64_ULPS` ulps (``normal``: :data:`NORMAL_ULPS`, its erfinv being the same steps
on both sides); ``truncated_normal`` also within the error that its bounds' erf, off by
:data:`ERF_ULPS` ulps of 1, leaves in z (large in the tails, where erf is flat).

Example:
    >>> [c.label for c in random_cases()][:2]
    ['random:gg_threefry_block', 'random:gg_uniform_f32']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpugrad import random as R
from gpugrad.config import config
from gpugrad.kernel.host import HostLibrary
from gpugrad.kernel_check.host_samples import ulp_distance
from gpugrad.random import cuda_kernels
from gpugrad.random.threefry import threefry2x32

__all__ = ["RandomCase", "random_cases", "run_random"]

Array = np.ndarray[Any, Any]
SIZES = (1001, 64)  # odd: the legacy layout's padded last counter
SEEDS = (0, 42)
# float64 draws: within F64_ULPS ulps (the math library's log, log1p, erf against NumPy's);
# normal within NORMAL_ULPS: host and NumPy path run the same erfinv steps (gg_erfinv_f64 and
# gpugrad.random._xla_float64.erfinv64), only log(1 + m) comes from two libraries. truncated_normal
# also within what its bounds' erf (glibc's against the NumPy path's series, ERF_ULPS ulps of
# 1 apart) moves z by: sqrt(2) ERF_ULPS eps / erf'(z / sqrt(2)).
F64_ULPS = 8
NORMAL_ULPS = 2
ERF_ULPS = 4


@dataclass(frozen=True)
class RandomCase:
    """A kernel, the float parameters it gets (one value each), and its NumPy twin."""

    label: str
    name: str
    params: tuple[float, ...]
    numpy: Callable[[Any, int], Array]  # (key, size) -> the NumPy path's draw


def random_cases() -> list[RandomCase]:
    """Every kernel of ``gpugrad.random.cuda_kernels`` with the call that draws the same on
    NumPy."""
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)

    def block(key: Any, n: int) -> Array:  # the counters run_random passes: 0..n, n..2n
        k0, k1 = (int(w) for w in np.asarray(R.key_data(key)))
        x0, x1 = _counters(n)
        return np.concatenate(threefry2x32(k0, k1, x0, x1))

    table: dict[str, tuple[tuple[float, ...], Callable[[Any, int], Array]]] = {
        "gg_threefry_block": ((), block),
        "gg_uniform_f32": ((-2.0, 3.0), lambda k, n: R.uniform(k, (n,), f32, -2.0, 3.0)),
        "gg_uniform_f64": ((-2.0, 3.0), lambda k, n: R.uniform(k, (n,), f64, -2.0, 3.0)),
        "gg_normal_f32": ((), lambda k, n: R.normal(k, (n,), f32)),
        "gg_normal_f64": ((), lambda k, n: R.normal(k, (n,), f64)),
        "gg_truncated_normal_f32": (
            (-1.0, 2.0), lambda k, n: R.truncated_normal(k, -1.0, 2.0, (n,), f32)),
        "gg_truncated_normal_f64": (
            (-1.0, 2.0), lambda k, n: R.truncated_normal(k, -1.0, 2.0, (n,), f64)),
        "gg_bernoulli_f32": ((0.3,), lambda k, n: R.bernoulli(k, 0.3, (n,))),
        "gg_gumbel_low_f32": ((), lambda k, n: R.gumbel(k, (n,), f32, mode="low")),
        "gg_gumbel_high_f32": ((), lambda k, n: R.gumbel(k, (n,), f32, mode="high")),
        "gg_gumbel_low_f64": ((), lambda k, n: R.gumbel(k, (n,), f64, mode="low")),
        "gg_exponential_f32": ((), lambda k, n: R.exponential(k, (n,), f32)),
        "gg_exponential_f64": ((), lambda k, n: R.exponential(k, (n,), f64)),
        "gg_laplace_f32": ((), lambda k, n: R.laplace(k, (n,), f32)),
        "gg_laplace_f64": ((), lambda k, n: R.laplace(k, (n,), f64)),
    }
    missing = sorted(set(cuda_kernels.SPECS) - set(table))
    if missing:  # a new kernel must get its NumPy twin here
        raise RuntimeError(f"gpugrad.random kernels without a host comparison: {missing}")
    return [RandomCase(f"random:{name}", name, *table[name]) for name in cuda_kernels.SPECS]


def _counters(n: int) -> tuple[Array, Array]:
    return np.arange(n, dtype=np.uint32), np.arange(n, 2 * n, dtype=np.uint32)


def _host_function(name: str) -> str:
    """``extern "C" void name(long long n, void** args)``: the kernel's body per element;
    args are the key, each input (the scalars ``count``, ``legacy``, ``per`` as one-element
    arrays), then the outputs."""
    inputs, outputs, body = cuda_kernels.SPECS[name]
    head = ["  const unsigned int* key = (const unsigned int*)_args[0];"]
    binds: list[str] = []
    k = 1
    for typ, var in inputs:
        c = cuda_kernels.CTYPES[typ]
        if var in cuda_kernels.SCALARS:
            head.append(f"  const {c} {var} = *(const {c}*)_args[{k}];")
        else:
            binds.append(f"const {c} {var} = ((const {c}*)_args[{k}])[i];")
        k += 1
    for out in outputs.split(","):
        typ, var = out.split()
        c = cuda_kernels.CTYPES[typ]
        binds.append(f"{c}& {var} = (({c}*)_args[{k}])[i];")
        k += 1
    inner = "\n    ".join([*binds, *body.splitlines()])
    return (f'extern "C" void {name}(long long _n, void** _args) {{\n' + "\n".join(head)
            + f"\n  for (long long i = 0; i < _n; ++i) {{\n    {inner}\n  }}\n}}\n")


def _library() -> HostLibrary:
    functions = [_host_function(name) for name in cuda_kernels.SPECS]
    return HostLibrary([], '#include "host_shim.h"\n' + cuda_kernels.threefry_header()
                       + "\n".join(functions))


def _draw(library: HostLibrary, case: RandomCase, key: Any, n: int, legacy: bool) -> Array:
    inputs, outputs, _ = cuda_kernels.SPECS[case.name]
    data = np.ascontiguousarray(np.asarray(R.key_data(key)), dtype=np.uint32)
    floats = iter(case.params)
    args: list[Array] = [data]
    for typ, var in inputs:
        if var == "count":  # gumbel's high mode draws 2n words
            args.append(np.array([2 * n if "gumbel_high" in case.name else n], np.uint64))
        elif var == "legacy":
            args.append(np.array([int(legacy)], np.uint32))
        elif var == "per":  # one key: all n elements are its draw
            args.append(np.array([n], np.uint64))
        elif var in ("k0", "k1"):  # the block function's key words, one per block
            args.append(np.full(n, data[0 if var == "k0" else 1], np.uint32))
        elif typ == "uint32":  # the block function's counters
            args.append(_counters(n)[0 if var == "x0" else 1])
        else:
            args.append(np.full(n, next(floats), dtype=typ))
    outs = [np.zeros(n, dtype=out.split()[0]) for out in outputs.split(",")]
    library.call(case.name, n, [*args, *outs])
    return np.concatenate(outs)


def _agree_f64(host: Array, ref: Array, name: str) -> Array:
    """Within the ulps above for the kernel ``name`` (or, for truncated_normal, the bound its
    bounds' erf leaves); NaN with NaN, infinities exactly."""
    both_nan = np.isnan(host) & np.isnan(ref)
    finite = np.isfinite(host) & np.isfinite(ref)
    close = ulp_distance(host, ref) <= (NORMAL_ULPS if name == "gg_normal_f64" else F64_ULPS)
    if name == "gg_truncated_normal_f64":
        slope = 2.0 / np.sqrt(np.pi) * np.exp(-0.5 * host * host)  # erf' at host / sqrt(2)
        with np.errstate(divide="ignore"):
            bound = np.sqrt(2.0) * ERF_ULPS * np.finfo(np.float64).eps / slope
        close |= np.abs(host - ref) <= bound
    return np.asarray(both_nan | (host == ref) | (finite & close))


def run_random(cases: list[RandomCase] | None = None) -> tuple[int, dict[str, list[str]], bool]:
    """(kernels run, differences per label, whether the library came from the cache)."""
    library = _library()
    differ: dict[str, list[str]] = {}
    old = config.threefry_partitionable, config.enable_x64
    try:
        for case in random_cases() if cases is None else cases:
            # float64 draws need x64 on the NumPy path; bernoulli's float32 p must stay so.
            config.update("enable_x64", case.name.endswith("_f64"))
            for legacy in (True, False):
                config.update("threefry_partitionable", not legacy)
                for seed in SEEDS:
                    for n in SIZES:
                        host = _draw(library, case, R.key(seed), n, legacy)
                        ref = np.asarray(case.numpy(R.key(seed), n)).reshape(-1)
                        if host.dtype == np.float64:
                            ok = _agree_f64(host, ref, case.name)
                        else:
                            ok = host == ref
                        layout = "legacy" if legacy else "partitionable"
                        differ.setdefault(case.label, []).extend(
                            f"{case.label} ({layout}, key {seed}, n {n}) element {j}: "
                            f"host={host[j]!r}, numpy={ref[j]!r}" for j in np.flatnonzero(~ok))
    finally:
        config.update("threefry_partitionable", old[0])
        config.update("enable_x64", old[1])
    return len(random_cases()) if cases is None else len(cases), {
        k: v for k, v in differ.items() if v}, library.cached
