"""The chunked NumPy evaluation on several threads (``eval_threads``, ``parallel_min_size``):
the same bits as on one thread, the caller's floating-point error state in every worker, a
worker's error raised in the caller, and a default that follows the CPUs the process may use.

Sizes are the options' own, set small: slices of 1024 elements from arrays of 2^11.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.config import OPTIONS
from gpugrad.expr import catalog as C
from gpugrad.expr.language import var
from gpugrad.primitives import eval_threads, numpy_eval
from gpugrad.primitives.elementwise_eval import numpy_function, numpy_function_for
from gpugrad.primitives.numpy_eval import evaluate_with_exports

SLICE = 1024  # the smallest slice the chunked evaluation makes
N = 10 * SLICE + 17  # 11 slices, the last a short one: shares of unequal lengths


@pytest.fixture
def shares(configure: Any, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Chunked evaluation from 2^11 elements in slices of 1024, on threads from any size;
    the list of each call's share boundaries (one per call that ran on threads)."""
    configure(chunked_min_size=1 << 11, chunk_size=SLICE, parallel_min_size=0)
    seen: list[list[int]] = []
    original = numpy_eval.run_in_shares

    def spy(work: Any, bounds: list[int]) -> None:
        seen.append(list(bounds))
        original(work, bounds)

    monkeypatch.setattr(numpy_eval, "run_in_shares", spy)
    return seen


x, y, z = var(0), var(1), var(2)
EXPRESSIONS = [
    C.exp(-(x**2)) * C.sin(3.0 * x) + C.log1p(x**2),
    C.exp(-(x**2)) * y + C.sin(x) * z * C.gt(x, 0.0),  # a boolean buffer too
    C.tanh(x * y) / (1.0 + C.square(z)) - C.sqrt(C.absolute(x)),
    C.lt(C.sin(x), C.cos(y)),  # a boolean result
]


def _arguments(dtype: str, n: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(0)
    a = rng.uniform(-2.0, 2.0, n).astype(dtype)
    b = np.broadcast_to(np.asarray(0.5, dtype), (n,))  # a single value broadcast
    return a, b, rng.uniform(-1.0, 1.0, n).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [N, 1 << 12, 3 * SLICE + 1])
def test_any_thread_count_gives_the_same_bits(dtype: str, n: int, shares: list[list[int]],
                                              configure: Any) -> None:
    args = _arguments(dtype, n)
    for expr in EXPRESSIONS:
        plain = numpy_function(expr, 3)(np, *args)
        values = {}
        for threads in (1, 2, 3):  # 3: more threads than this machine may have cores
            configure(eval_threads=threads)
            fn = numpy_function_for(expr, args)
            assert fn.__name__ == "_chunked"
            values[threads] = fn(np, *args)
        for threads, value in values.items():
            assert value.dtype == plain.dtype and value.shape == plain.shape
            np.testing.assert_array_equal(value, plain, err_msg=f"{expr}, {threads} threads")
    slices = -(-n // SLICE)
    bounds = [[k * slices // t * SLICE for k in range(t)] + [n] for t in (2, 3)]
    assert shares == [bounds[0], bounds[1]] * len(EXPRESSIONS)  # whole slices per share


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exports_are_the_same_on_threads(dtype: str, shares: list[list[int]],
                                         configure: Any) -> None:
    inner, other = C.exp(-(x**2)), C.sin(3.0 * x)
    e = inner * other + C.log1p(x**2)
    xs = np.linspace(-2.0, 2.0, N, dtype=dtype).reshape(-1, 1)
    by_threads = {}
    for threads in (1, 2, 3):
        configure(eval_threads=threads)
        by_threads[threads] = evaluate_with_exports(e, [xs], (inner, other))
    assert len(shares) == 2
    for threads, outputs in by_threads.items():
        assert outputs is not None
        for got, part in zip(outputs, (e, inner, other)):
            assert got.shape == xs.shape and got.dtype == xs.dtype
            np.testing.assert_array_equal(got, numpy_function(part, 1)(np, xs),
                                          err_msg=f"{part}, {threads} threads")


def test_below_parallel_min_size_one_thread(shares: list[list[int]], configure: Any) -> None:
    configure(eval_threads=2, parallel_min_size=N + 1)
    xs = np.linspace(-1.0, 1.0, N)
    np.testing.assert_array_equal(numpy_function_for(EXPRESSIONS[0], (xs,))(np, xs),
                                  numpy_function(EXPRESSIONS[0], 1)(np, xs))
    assert shares == []
    configure(parallel_min_size=N)
    numpy_function_for(EXPRESSIONS[0], (xs,))(np, xs)
    assert len(shares) == 1


def _log_of(values: np.ndarray) -> Any:
    """``log(v) * 2``, chunked (two operations), evaluated in the caller's error state."""
    expr = C.log(x) * 2.0
    return numpy_function_for(expr, (values,))(np, values)


def _with_bad_values(at: dict[int, float]) -> np.ndarray:
    values = np.linspace(1.0, 2.0, N)
    for i, v in at.items():
        values[i] = v
    return values


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_errors_and_warnings_as_the_caller_asked(threads: int, shares: list[list[int]],
                                                 configure: Any) -> None:
    configure(eval_threads=threads)
    last = _with_bad_values({N - 1: -1.0})  # in the last share: a worker's
    both = _with_bad_values({0: 0.0, N - 1: -1.0})  # log(0) in the caller's share too
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError, match="invalid value encountered in log"):
            _log_of(last)
        # each share fails: the first share's error, as evaluating in order would give
        with pytest.raises(FloatingPointError, match="divide by zero encountered in log"):
            _log_of(both)
    with np.errstate(all="warn"), pytest.warns(RuntimeWarning, match="invalid value"):
        _log_of(last)
    heard: list[str] = []
    with np.errstate(all="call", call=lambda kind, flag: heard.append(kind)):
        _log_of(both)
    assert sorted(heard) == ["divide by zero", "invalid value"]
    with np.errstate(all="ignore"):  # gpugrad's quiet state: nothing said, same values
        out = _log_of(both)
    assert out[0] == -np.inf and np.isnan(out[-1])
    np.testing.assert_array_equal(out[1:-1], 2 * np.log(both[1:-1]))
    assert len(shares) == (0 if threads == 1 else 5)


def test_a_transformation_is_quiet_on_every_thread(shares: list[list[int]],
                                                   configure: Any) -> None:
    """gpugrad returns nan for log(-1) without a word, whatever the user's state outside:
    its quiet state reaches the workers (with theirs, pytest would turn the warning into an
    error)."""
    configure(fusion_min_size=1 << 11, lazy_min_size=1 << 11)
    values = _with_bad_values({N - 1: -1.0})  # in the last share: a worker's

    def loss(v: Any) -> Any:
        return gnp.sum(gnp.log(v) * gnp.sin(v))

    grads = {}
    for threads in (1, 2):
        configure(eval_threads=threads)
        with np.errstate(all="raise"):
            grads[threads] = gpugrad.grad(loss)(values)
    assert len(shares) == 2  # the forward chain and the backward pass, on 2 threads
    np.testing.assert_array_equal(grads[1], grads[2])
    good = values[:-1]
    np.testing.assert_allclose(grads[2][:-1], np.cos(good) * np.log(good)
                               + np.sin(good) / good, rtol=1e-13)
    assert np.isnan(grads[2][-1])


def test_every_share_runs_in_the_callers_error_state() -> None:
    states: dict[int, dict[str, str]] = {}
    names: dict[int, str] = {}

    def record(begin: int, end: int) -> None:
        states[begin] = np.geterr()
        names[begin] = threading.current_thread().name

    bounds = [0, 1, 2, 3]
    with np.errstate(all="raise", under="ignore"):
        eval_threads.run_in_shares(record, bounds)
    assert list(states.values()) == [{"divide": "raise", "over": "raise", "under": "ignore",
                                      "invalid": "raise"}] * 3
    assert names[0] == threading.current_thread().name  # the caller does the first share
    assert all(names[k].startswith("gpugrad-eval") for k in (1, 2))
    eval_threads.run_in_shares(record, bounds)  # no state left in the pool's threads
    assert list(states.values()) == [np.geterr()] * 3

    def fail_in_a_worker(begin: int, end: int) -> None:
        if begin == 2:
            raise ValueError("share 2")
        record(begin, end)

    with pytest.raises(ValueError, match="share 2"):
        eval_threads.run_in_shares(fail_in_a_worker, bounds)


def test_one_pool_remade_when_the_option_changes(configure: Any) -> None:
    configure(eval_threads=2)
    eval_threads.run_in_shares(lambda begin, end: None, [0, 1, 2])
    pool = eval_threads._pool
    eval_threads.run_in_shares(lambda begin, end: None, [0, 1, 2])
    assert eval_threads._pool is pool  # kept between calls
    configure(eval_threads=4)
    eval_threads.run_in_shares(lambda begin, end: None, [0, 1, 2])
    assert eval_threads._pool is not pool and eval_threads._pool_workers == 3


_CHILD = """
import os, time
import numpy as np
import gpugrad
from gpugrad.expr import catalog as C
from gpugrad.expr.language import var
from gpugrad.primitives.elementwise_eval import numpy_function_for
print(gpugrad.config.eval_threads)
gpugrad.config.update("eval_threads", 2)
gpugrad.config.update("parallel_min_size", 0)
xs = np.linspace(0.0, 1.0, 1 << 17)
fn = numpy_function_for(C.sin(var(0)) * 2.0, (xs,))
fn(np, xs)  # the parent's pool exists now
pid = os.fork()
if pid == 0:  # the child's copy of the pool has no threads: it must make its own
    os._exit(0 if np.array_equal(fn(np, xs), np.sin(xs) * 2.0) else 1)
for _ in range(300):  # a child waiting on threads it does not have would hang: kill it
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print(os.waitstatus_to_exitcode(status))
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    print("hung")
"""


def _child(code: str, **env: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_the_default_follows_the_cpus_the_process_may_use() -> None:
    option = OPTIONS["eval_threads"]
    assert option.env == "GPUGRAD_EVAL_THREADS" and option.parse("3") == 3
    if not hasattr(os, "sched_setaffinity"):  # no affinity mask: the machine's count
        assert option.default == (os.cpu_count() or 1)
        return
    assert option.default == len(os.sched_getaffinity(0))
    pin = "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
    assert _child(pin + _CHILD) == ["1", "0"]  # pinned: 1; a forked child still evaluates
    assert _child(pin + "import gpugrad; print(gpugrad.config.eval_threads)",
                  GPUGRAD_EVAL_THREADS="3") == ["3"]
