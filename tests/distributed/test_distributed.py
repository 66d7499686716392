"""gpugrad.distributed across real processes: ``mpiexec -n 2`` and ``-n 3`` (pip's mpi4py and
MPICH wheel) run ``tools/distributed_worker.py``, which checks every collective on pytrees of
several dtypes and shapes, the differentiable all_reduce against one process's gradient, the
data-parallel example against one process on the whole batch, and the mismatched-tree error;
a process that raises, or never arrives, must end the run with its rank named, not hang.
The single-process behaviour and the errors of bad calls are checked in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import gpugrad
from gpugrad import distributed
from gpugrad.test_util import check_grads

ROOT = Path(__file__).resolve().parents[2]
# The MPICH wheel puts mpiexec beside the interpreter of the environment it is installed in.
MPIEXEC = Path(sys.executable).parent / "mpiexec"
LIMIT = 50  # seconds for one launch; a hang would be caught here, not by CI's own timeout


def _launch(processes: int, check: str, timeout: float = 20.0
            ) -> subprocess.CompletedProcess[str]:
    assert MPIEXEC.exists(), f"{MPIEXEC} is missing: pip install gpugrad[distributed]"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "GPUGRAD_DISTRIBUTED_TIMEOUT": str(timeout)}
    env.pop("GPUGRAD_CUPY_STANDIN", None)  # the worker uses NumPy arrays: MPI, not NCCL
    return subprocess.run(
        [str(MPIEXEC), "-n", str(processes), sys.executable, "-m", "tools.distributed_worker",
         check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=LIMIT)


@pytest.mark.parametrize("processes", [2, 3])
def test_collectives_derivatives_example_and_mismatch(processes):
    proc = _launch(processes, "checks")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for check in ("collectives", "derivatives", "example", "mismatch"):
        for rank in range(processes):
            assert f"ok {check} on process {rank}" in proc.stdout, proc.stdout + proc.stderr
    assert "largest difference from one process on the whole batch" in proc.stdout


@pytest.mark.parametrize("processes", [2, 3])
def test_a_process_that_raises_ends_the_others_with_its_rank_and_error(processes):
    proc = _launch(processes, "failure")
    assert proc.returncode != 0
    assert "ValueError: process one broke on purpose" in proc.stderr
    # The others were waiting in all_reduce: each fails, naming process 1 and its error
    # (process 1 waits for their answers before it aborts the run).
    for rank in set(range(processes)) - {1}:
        assert (f"all_reduce on process {rank} stopped: process 1 failed with ValueError: "
                "process one broke on purpose") in proc.stderr, proc.stderr


def test_a_process_that_never_arrives_ends_the_run_after_the_timeout():
    proc = _launch(2, "hang", timeout=2.0)
    assert proc.returncode != 0
    assert "all_reduce on process 0 did not complete within 2 s" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------
# One process: every collective returns its input; the rules seen through check_grads.

def test_one_process_is_a_world_of_one():
    distributed.initialize()
    assert (distributed.rank(), distributed.size(), distributed.local_rank()) == (0, 1, 0)
    tree = {"a": np.arange(3.0), "b": [np.int32(4)]}
    out = distributed.all_reduce(tree, "mean")
    np.testing.assert_array_equal(out["a"], tree["a"])
    assert out["b"][0].dtype == np.int32 and out["b"][0].shape == ()
    gathered = distributed.all_gather(tree)
    assert gathered["a"].shape == (1, 3) and gathered["b"][0].shape == (1,)


@pytest.mark.parametrize("count", [2, 3])
def test_the_mean_divides_as_it_packs_and_a_live_result_keeps_its_buffer(monkeypatch, count):
    """A world of ``count`` played by this process alone on COMM_SELF (the sum across
    processes is its own values), so the mean is each leaf over ``count``, bit for bit as
    NumPy divides: floats are divided as they are packed (times the reciprocal for a power
    of two), first into a fresh buffer and then into the reused one; integers after the sum."""
    from mpi4py import MPI

    from gpugrad.distributed import processes

    monkeypatch.setattr(processes._world, "comm", MPI.COMM_SELF)
    monkeypatch.setattr(processes._world, "size", count)
    rng = np.random.default_rng(count)
    tree = {"w": rng.standard_normal((2, 3)).astype(np.float32),
            "z": np.array([1 + 3j, 1e-310 - 7j]), "n": np.arange(3),
            "t": rng.standard_normal((2, 4))[:, ::2]}
    wanted = {key: np.divide(x, count) for key, x in tree.items()}

    def address(x):
        return x.__array_interface__["data"][0]

    first = distributed.all_reduce(tree, "mean")
    second = distributed.all_reduce(tree, "mean")
    # `first` was alive: the second call packed into a new buffer, not into first's.
    assert address(second["w"]) != address(first["w"])
    kept = address(second["w"])
    del second
    third = distributed.all_reduce(tree, "mean")
    assert address(third["w"]) == kept  # the free buffer reused, divided as it was filled
    for result in (first, third):
        for key, want in wanted.items():
            assert result[key].dtype == want.dtype and result[key].shape == want.shape
            np.testing.assert_array_equal(result[key], want)
            assert not np.shares_memory(result[key], tree[key])
    np.testing.assert_array_equal(distributed.all_reduce(tree, "sum")["t"], tree["t"])
    # The primitive's evaluation may get NumPy scalars: packed as arrays, with the slot
    # of the check after them (a repeat: the check on the payload).
    from gpugrad.distributed.collectives import reduce_leaves

    for _ in range(2):
        means = reduce_leaves([np.float64(3.0), np.float64(5.0)], "mean")
        assert [float(x) for x in means] == [3.0 / count, 5.0 / count]


def test_trees_in_a_repeating_order_send_their_check_on_the_payload(monkeypatch):
    """Once every process has seen gradients and then a loss reduced, call after call, it
    predicts each call's tree and sends no separate check message; a tree not predicted
    is checked the slow way. (A world of two played on COMM_SELF, as above.)"""
    from mpi4py import MPI

    from gpugrad.distributed import collectives, processes

    monkeypatch.setattr(processes._world, "comm", MPI.COMM_SELF)
    monkeypatch.setattr(processes._world, "size", 2)
    monkeypatch.setattr(collectives, "_history", {"last": None})
    monkeypatch.setattr(collectives, "_following", {})
    checked = []
    check = collectives._check_same_tree
    monkeypatch.setattr(collectives, "_check_same_tree",
                        lambda layout, what: (checked.append(what), check(layout, what))[1])
    grads = {"w": np.arange(6.0, dtype=np.float32).reshape(3, 2), "n": np.arange(2)}
    for _ in range(4):
        mean = distributed.all_reduce(grads, "mean")
        np.testing.assert_array_equal(mean["w"], grads["w"] / 2)
        np.testing.assert_array_equal(mean["n"], [0.0, 0.5])
        assert distributed.all_reduce(np.float64(2.5), "max") == 2.5
    # Checked apart: gradients and loss the first time, and gradients after the first loss.
    assert len(checked) == 3
    other = distributed.all_reduce([np.ones(5, np.int32)], "min")
    np.testing.assert_array_equal(other[0], np.ones(5, np.int32))
    assert len(checked) == 4  # a tree not predicted (gradients were): the slow way


def test_the_primitive_differentiates_to_second_order():
    f = lambda x: distributed.all_reduce({"y": gpugrad.numpy.sin(x) * x}, "sum")["y"]
    check_grads(f, (np.linspace(-1.0, 1.0, 4),), order=2, modes=("fwd", "rev"))
    g = lambda x: distributed.all_reduce([x ** 3], "mean")[0]
    check_grads(g, (np.array([0.5, 2.0]),), order=2, modes=("fwd", "rev"))


def test_bad_calls_say_what_is_wrong():
    with pytest.raises(ValueError, match="op must be one of sum, mean, max, min; got 'prod'"):
        distributed.all_reduce(np.ones(2), "prod")
    with pytest.raises(ValueError, match="root must be a process index below 1, got 2"):
        distributed.broadcast(np.ones(2), root=2)
    with pytest.raises(TypeError, match=r"op='max' has no derivative"):
        gpugrad.grad(lambda x: distributed.all_reduce(x, "max"))(1.0)


def test_the_timeout_is_a_documented_option():
    from gpugrad.config import OPTIONS, config

    assert OPTIONS["distributed_timeout"].env == "GPUGRAD_DISTRIBUTED_TIMEOUT"
    before = config.distributed_timeout
    config.update("distributed_timeout", "12.5")
    assert config.distributed_timeout == 12.5
    with pytest.raises(ValueError, match="positive number of seconds"):
        config.update("distributed_timeout", "0")
    config.update("distributed_timeout", before)


# ---------------------------------------------------------------------------------------
# The NCCL path without a GPU: CuPy's stand-in (host memory behind ``.data.ptr``) and a
# stand-in for ``cupy.cuda.nccl``, which the CuPy stand-in lacks. It plays a world of two
# processes that hold the same values, acting on the memory the pointers name, so the
# calls' pointers, counts, datatypes and operations are checked by the results.

_NCCL_TYPES = {name: index for index, name in enumerate(
    ["INT8", "UINT8", "INT32", "UINT32", "INT64", "UINT64", "FLOAT16", "FLOAT32", "FLOAT64"])}


class _FakeNcclCommunicator:
    calls: ClassVar[list[tuple]] = []  # every call of the test, in order

    def __init__(self, ndev, unique_id, rank):
        assert rank < ndev and len(unique_id) == 128
        self.ndev = ndev

    @staticmethod
    def _view(ptr, count, datatype):
        import ctypes

        dtype = np.dtype(list(_NCCL_TYPES)[datatype].lower())
        raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(ptr)
        return np.frombuffer(raw, dtype)

    def allReduce(self, send, recv, count, datatype, op, stream):
        self.calls.append(("allReduce", send == recv, count, datatype, op))
        values = self._view(send, count, datatype).copy()
        self._view(recv, count, datatype)[:] = values * self.ndev if op == 0 else values

    def broadcast(self, send, recv, count, datatype, root, stream):
        self.calls.append(("broadcast", send == recv, count, datatype, root))

    def allGather(self, send, recv, count, datatype, stream):
        self.calls.append(("allGather", send == recv, count, datatype))
        out = self._view(recv, self.ndev * count, datatype).reshape(self.ndev, count)
        out[:] = self._view(send, count, datatype)

    def abort(self):
        self.calls.append(("abort",))


def _fake_nccl():
    import types

    module = types.ModuleType("cupy.cuda.nccl")
    module.get_unique_id = lambda: tuple(range(128))
    module.NcclCommunicator = _FakeNcclCommunicator
    for name, index in _NCCL_TYPES.items():
        setattr(module, f"NCCL_{name}", index)
    module.NCCL_SUM, module.NCCL_MAX, module.NCCL_MIN = 0, 1, 2
    return module


class _FakeEvent:  # cupy.cuda.Event, absent from the stand-in: the GPU is always done
    def __init__(self, block=False, disable_timing=False):
        self.done = False

    def record(self, stream=None):
        self.done = True


@pytest.fixture
def fake_nccl(monkeypatch):
    """CuPy's stand-in as ``cupy``, with the NCCL and Event stand-ins; a fresh transport."""
    from gpugrad.distributed import transports
    from tools import cupy_standin

    with cupy_standin.installed():
        import cupy

        monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", _fake_nccl())
        monkeypatch.setattr(cupy.cuda, "Event", _FakeEvent, raising=False)
        monkeypatch.setattr(transports, "_made", {})
        _FakeNcclCommunicator.calls = []
        yield cupy


def test_the_device_checks_nccl_part_runs_on_one_process(fake_nccl):
    from tools import distributed_worker

    assert distributed_worker.check_nccl() == "nccl"
    # float32, float64, int32, int64: 3 reductions, a complex sum, a broadcast, a gather each.
    assert len(_FakeNcclCommunicator.calls) == 4 * 3 + 1 + 4 + 4


def test_cupy_leaves_go_through_nccl_on_their_own_buffers(fake_nccl, monkeypatch):
    from mpi4py import MPI

    from gpugrad.distributed import processes

    cupy = fake_nccl
    monkeypatch.setattr(processes._world, "comm", MPI.COMM_SELF)
    monkeypatch.setattr(processes._world, "size", 2)
    tree = {"w": cupy.asarray(np.arange(6.0, dtype=np.float32).reshape(2, 3)),
            "b": cupy.asarray(np.ones(2, np.float32)),
            "z": cupy.asarray(np.array([1 + 2j])), "n": cupy.asarray(np.arange(3))}
    summed = distributed.all_reduce(tree, "sum")
    assert type(summed["w"]).__module__ == "cupy"
    np.testing.assert_array_equal(cupy.asnumpy(summed["w"]), 2 * np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cupy.asnumpy(summed["z"]), [2 + 4j])
    mean = distributed.all_reduce({"w": tree["w"]}, "mean")["w"]
    np.testing.assert_array_equal(cupy.asnumpy(mean), np.arange(6.0).reshape(2, 3))
    gathered = distributed.all_gather({"n": tree["n"]})["n"]
    np.testing.assert_array_equal(cupy.asnumpy(gathered), [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(cupy.asnumpy(distributed.broadcast(tree)["b"]), [1, 1])
    with pytest.raises(TypeError, match="NCCL has no type for int16"):
        distributed.all_reduce({"h": cupy.asarray(np.ones(2, np.int16))})
    f32, f64, i64 = (_NCCL_TYPES[t] for t in ("FLOAT32", "FLOAT64", "INT64"))
    # One call per dtype, in place: complex128 as twice as many float64.
    assert _FakeNcclCommunicator.calls == [
        ("allReduce", True, 2, f64, 0), ("allReduce", True, 8, f32, 0),
        ("allReduce", True, 3, i64, 0), ("allReduce", True, 6, f32, 0),
        ("allGather", False, 3, i64), ("broadcast", True, 2, f64, 0),
        ("broadcast", True, 8, f32, 0), ("broadcast", True, 3, i64, 0)]


def test_the_derivative_convention_is_jaxs_psum_under_pmap():
    """JAX (two host devices, in a child process) differentiates psum under pmap to size()
    times the gradient of the total, the convention the worker checks every process's
    all_reduce against; here JAX's numbers against gpugrad's for the worker's function."""
    pytest.importorskip("jax")
    from tools.distributed_worker import _local_loss

    script = (
        "import json, jax, jax.numpy as jnp\n"
        "jax.config.update('jax_enable_x64', True)\n"
        "f = lambda x: jnp.sum(jnp.sin(x) * jnp.arange(1.0, 4.0)) ** 2\n"
        "xs = jnp.stack([jnp.linspace(-1.0, 1.0, 3) * (r + 1) for r in range(2)])\n"
        "for name, reduce in (('sum', jax.lax.psum), ('mean', jax.lax.pmean)):\n"
        "    g = jax.pmap(jax.grad(lambda x: reduce(f(x), 'i')), axis_name='i')(xs)\n"
        "    print(json.dumps([name, g.tolist()]))\n")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json

    jax_grads = dict(json.loads(line) for line in proc.stdout.splitlines())
    xs = [np.linspace(-1.0, 1.0, 3) * (r + 1) for r in range(2)]
    total = gpugrad.grad(lambda every: _local_loss(every[0]) + _local_loss(every[1]))(xs)
    np.testing.assert_allclose(jax_grads["sum"], 2 * np.stack(total), rtol=1e-12)
    np.testing.assert_allclose(jax_grads["mean"], np.stack(total), rtol=1e-12)
