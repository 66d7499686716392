"""Data-parallel training across processes: collectives on pytrees over MPI and NCCL.

Start the processes with MPI's launcher, and call :func:`initialize` first::

    mpiexec -n 2 python train.py                      # NumPy arrays: MPI (shared memory)
    mpiexec -n 4 python train.py                      # CuPy arrays: NCCL, one GPU each

``all_reduce``, ``broadcast`` and ``all_gather`` take pytrees and send one message per
dtype; NumPy leaves go over MPI (mpi4py), CuPy leaves over NCCL (``cupy.cuda.nccl``, GPU
buffers, no copy through the host). ``all_reduce(..., "sum" | "mean")`` differentiates as
JAX's ``psum``/``pmean``. A collective waits at most ``gpugrad.config.distributed_timeout``
seconds (``GPUGRAD_DISTRIBUTED_TIMEOUT``, default 300); a process that raises an uncaught
exception tells the others, which raise :class:`DistributedError` naming its rank and error.

Example:
    >>> from gpugrad import distributed
    >>> distributed.initialize()
    >>> distributed.all_reduce({"g": np.ones(3, np.float32)}, "mean")
    {'g': array([1., 1., 1.], dtype=float32)}
"""

from gpugrad.distributed.collectives import all_gather, all_reduce, broadcast
from gpugrad.distributed.differentiable import all_reduce_p
from gpugrad.distributed.processes import (
    DistributedError,
    barrier,
    initialize,
    is_initialized,
    local_rank,
    rank,
    size,
)

__all__ = ["DistributedError", "all_gather", "all_reduce", "all_reduce_p", "barrier",
           "broadcast", "initialize", "is_initialized", "local_rank", "rank", "size"]
