"""The processes of a distributed run: joining them, who is who, and failing together.

gpugrad does not start processes; MPI's launcher does (``mpiexec -n 2 python train.py``),
and :func:`initialize` joins them through mpi4py. A single process (no launcher, or mpi4py
not installed) is a world of size one, where every collective returns its input.

A collective waits for every process. If one process raises instead of arriving, the others
would wait forever; so after :func:`initialize`, an uncaught exception in any process sends
its rank and message to the others (on a communicator of its own, :data:`ERROR_TAG`), and
every wait in :mod:`gpugrad.distributed.collectives` polls for such a message and for the
``distributed_timeout`` deadline (``gpugrad.config``, seconds) instead of blocking. A process
stopped by such a message raises :class:`DistributedError` naming the failed rank and its
error, prints it, and answers (:data:`ACK_TAG`); the failed process waits for every answer
(at most 10 s or the timeout: a process busy computing reads the message only at its next
collective) and then ends the run with ``MPI_Abort``, so that nothing is left waiting.
An exception caught by the user's own code is not reported: it does not end the process.

Example:
    >>> from gpugrad import distributed
    >>> distributed.initialize()
    >>> distributed.rank(), distributed.size(), distributed.local_rank()
    (0, 1, 0)
    >>> distributed.barrier()
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from types import TracebackType
from typing import Any

from gpugrad.backend import cupy_status
from gpugrad.config import config

__all__ = ["ACK_TAG", "ERROR_TAG", "DistributedError", "barrier", "initialize", "is_initialized",
           "local_rank", "rank", "size", "wait"]

# The tag of the messages that carry a failed process's rank and error.
ERROR_TAG = 7001
# How long a wait spins on MPI's test before it starts yielding its core. Measured on 2
# shared cores (all_reduce of 2.6 MB, 2 processes, median ms per call): 5.2 spinning 0 s,
# 7.1 spinning 2 ms, 17.9 spinning 20 ms; MPI's own blocking Allreduce 5.1. A spinning
# process takes the core that the process it waits for needs.
SPIN_SECONDS = 0.0
# The tag of a process's answer that it has read a failure message and printed its error.
ACK_TAG = 7002
# How long at most a failing process waits for those answers before it aborts them all.
_GRACE_SECONDS = 10.0


class DistributedError(RuntimeError):
    """Another process failed, or a collective did not complete within the timeout.

    ``failed_process`` is the rank of the process that failed first, when one did."""

    def __init__(self, message: str, failed_process: int | None = None) -> None:
        super().__init__(message)
        self.failed_process = failed_process


class _World:
    """The state of this process's membership: MPI's communicators, or none."""

    def __init__(self) -> None:
        self.initialized = False
        self.comm: Any = None  # the collectives' communicator (a duplicate of COMM_WORLD)
        self.errors: Any = None  # the failure messages' communicator
        self.rank = 0
        self.size = 1
        self.local_rank = 0
        self.previous_hook: Any = None


_world = _World()


def _launched_by_mpi() -> bool:
    # MPICH's hydra, Open MPI, Slurm and PMIx launchers all set one of these.
    keys = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")
    return any(key in os.environ for key in keys)


def initialize() -> None:
    """Join the processes started by ``mpiexec``/``mpirun`` (a no-op for one process).

    Safe to call more than once. Without an MPI launcher's environment, and without mpi4py,
    the world is this process alone.

    Example:
        >>> from gpugrad import distributed
        >>> distributed.initialize(); distributed.size()
        1
    """
    if _world.initialized:
        return
    _world.initialized = True
    if not _launched_by_mpi():
        return
    try:
        from mpi4py import MPI  # optional: mpi4py, only under an MPI launcher
    except ImportError as error:
        raise RuntimeError(
            "gpugrad.distributed: this process was started by an MPI launcher but mpi4py is "
            "not installed; install it with `pip install gpugrad[distributed]`") from error
    world = MPI.COMM_WORLD
    _world.comm = world.Dup()
    _world.errors = world.Dup()
    _world.rank, _world.size = world.Get_rank(), world.Get_size()
    # The processes that share this machine's memory: their order picks each one's GPU.
    node = world.Split_type(MPI.COMM_TYPE_SHARED, key=_world.rank)
    _world.local_rank = node.Get_rank()
    node.Free()
    _use_local_gpu()
    if _world.size > 1:
        _world.previous_hook = sys.excepthook
        sys.excepthook = _report_and_abort


def _use_local_gpu() -> None:
    """Make the GPU numbered by the local rank (modulo the GPUs present) CuPy's current one,
    before anything allocates on the device."""
    if not cupy_status()[0]:
        return
    import cupy  # optional: CuPy, only with a GPU

    cupy.cuda.Device(_world.local_rank % cupy.cuda.runtime.getDeviceCount()).use()


def is_initialized() -> bool:
    """Whether :func:`initialize` has run in this process."""
    return _world.initialized


def rank() -> int:
    """This process's index among all processes, from 0 (0 before :func:`initialize`)."""
    return _world.rank


def size() -> int:
    """The number of processes (1 before :func:`initialize` or without a launcher)."""
    return _world.size


def local_rank() -> int:
    """This process's index among the processes on its machine (its GPU's index)."""
    return _world.local_rank


def communicator() -> Any:
    """The mpi4py communicator of the collectives (None for a single process)."""
    return _world.comm


def barrier() -> None:
    """Wait until every process has reached this call (with the collectives' timeout).

    Example:
        >>> from gpugrad import distributed
        >>> distributed.barrier()
    """
    if _world.size > 1:
        wait(_world.comm.Ibarrier(), "barrier")


def _timeout() -> float:
    return float(config.distributed_timeout)


def wait(request: Any, what: str) -> None:
    """Wait for the non-blocking MPI ``request`` of the collective ``what``, failing with a
    :class:`DistributedError` when another process reports a failure or the timeout passes."""
    if request.Test():  # small messages are often done already
        return
    start = time.monotonic()
    deadline = start + _timeout()
    spins = 0
    while not request.Test():
        spins += 1
        if spins % 32:
            continue
        _raise_if_a_process_failed(what)
        now = time.monotonic()
        if now > deadline:
            raise DistributedError(
                f"{what} on process {_world.rank} did not complete within "
                f"{_timeout():g} s (gpugrad.config.distributed_timeout): another process "
                "is stuck, slower than the timeout, or calls a different collective")
        waited = now - start
        if waited < SPIN_SECONDS:
            continue
        if waited < 0.01:
            # Then yield the core between tests: with more processes than cores (or other
            # work on them) the process waited for may need this one's core to arrive.
            os.sched_yield()
        else:
            time.sleep(1e-4)  # a long wait (a slow process): stop burning the core


def _raise_if_a_process_failed(what: str) -> None:
    if _world.errors is None:
        return  # one process (a GPU wait without MPI): nobody else to hear from
    from mpi4py import MPI  # optional: mpi4py, only under an MPI launcher

    status = MPI.Status()
    if _world.errors.Iprobe(source=MPI.ANY_SOURCE, tag=ERROR_TAG, status=status):
        source = status.Get_source()
        message = _world.errors.recv(source=source, tag=ERROR_TAG)
        raise DistributedError(f"{what} on process {_world.rank} stopped: process {source} "
                               f"failed with {message}", failed_process=source)


def _report_and_abort(kind: type[BaseException], error: BaseException,
                      tb: TracebackType | None) -> None:
    """sys.excepthook after initialize: print, tell the other processes, end them all."""
    traceback.print_exception(kind, error, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    errors = _world.errors
    failed = error.failed_process if isinstance(error, DistributedError) else None
    if failed is not None:
        # Failing because another failed: its message is printed; tell that process, which
        # waits for every answer before it aborts the run. Exiting first would let the
        # launcher end the run on this exit, before the others have printed theirs.
        _wait_briefly([errors.isend(None, dest=failed, tag=ACK_TAG)])
        time.sleep(min(_GRACE_SECONDS, _timeout()) + 1.0)
        os._exit(1)  # not MPI_Finalize, which would wait for processes that may be stuck
    text = f"{kind.__name__}: {error}"
    peers = [r for r in range(_world.size) if r != _world.rank]
    _wait_briefly([errors.isend(text, dest=r, tag=ERROR_TAG) for r in peers])
    from mpi4py import MPI  # optional: mpi4py, only under an MPI launcher

    answered: set[int] = set()
    deadline = time.monotonic() + min(_GRACE_SECONDS, _timeout())
    status = MPI.Status()
    # A process busy computing reads the message only at its next collective: past the
    # grace period, the abort ends it without its own message.
    while len(answered) < len(peers) and time.monotonic() < deadline:
        if errors.Iprobe(source=MPI.ANY_SOURCE, tag=ACK_TAG, status=status):
            answered.add(status.Get_source())
            errors.recv(source=status.Get_source(), tag=ACK_TAG)
        else:
            time.sleep(0.005)
    _world.comm.Abort(1)
    os._exit(1)


def _wait_briefly(requests: list[Any]) -> None:
    """Wait up to a second for small messages to leave (they usually have already)."""
    deadline = time.monotonic() + 1.0
    while not all(request.Test() for request in requests) and time.monotonic() < deadline:
        time.sleep(0.001)
