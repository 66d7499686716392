"""Moving flat buffers between processes: NumPy's over MPI, CuPy's over NCCL.

Each collective takes one flat buffer (packed by :mod:`.packing`) and returns the result in a
buffer of its own. MPI's non-blocking collectives are polled by :func:`processes.wait`, which
also watches for another process's failure and the ``distributed_timeout``. NCCL works on the
GPU buffers themselves (no copy through the host): the call is queued on the current CUDA
stream, an event recorded after it is polled against the same deadline, and on a timeout
the NCCL communicator is aborted so that the GPU does not wait forever either. The NCCL
communicator is made at the first CuPy collective, from a unique id that process 0 draws and
broadcasts over MPI; each process uses the GPU :func:`processes.initialize` chose from its
local rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.distributed import processes

__all__ = ["MpiTransport", "NcclTransport", "mpi_transport", "nccl_transport"]


class MpiTransport:
    """The three collectives on one flat NumPy buffer, over the collectives' communicator."""

    def __init__(self) -> None:
        from mpi4py import MPI  # optional: mpi4py, only under an MPI launcher

        self.MPI = MPI
        self.ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "lor": MPI.LOR,
                    "land": MPI.LAND}

    def all_reduce(self, buffer: np.ndarray, op: str) -> np.ndarray:
        # In place: the buffer is a fresh copy of the leaves (packing), so nothing else
        # sees it change, and MPI is spared a second buffer.
        comm = processes.communicator()
        processes.wait(comm.Iallreduce(self.MPI.IN_PLACE, buffer, op=self.ops[op]),
                       "all_reduce")
        return buffer

    def broadcast(self, buffer: np.ndarray, root: int) -> np.ndarray:
        processes.wait(processes.communicator().Ibcast(buffer, root=root), "broadcast")
        return buffer

    def all_gather(self, buffer: np.ndarray, count: int) -> np.ndarray:
        out = np.empty((count, buffer.size), buffer.dtype)
        processes.wait(processes.communicator().Iallgather(buffer, out), "all_gather")
        return out


class NcclTransport:
    """The three collectives on one flat CuPy buffer, with ``cupy.cuda.nccl``."""

    def __init__(self) -> None:
        from cupy.cuda import nccl  # optional: CuPy, only with a GPU

        self.nccl = nccl
        unique_id = nccl.get_unique_id() if processes.rank() == 0 else None
        if processes.size() > 1:  # one process (a check on one GPU) needs no MPI
            unique_id = processes.communicator().bcast(unique_id, root=0)
        self.comm = nccl.NcclCommunicator(processes.size(), unique_id, processes.rank())
        self.ops = {"sum": nccl.NCCL_SUM, "max": nccl.NCCL_MAX, "min": nccl.NCCL_MIN,
                    "lor": nccl.NCCL_MAX, "land": nccl.NCCL_MIN}  # on bools seen as uint8

    def _datatype(self, buffer: Any) -> tuple[Any, int, Any]:
        """NCCL's datatype for ``buffer``, its element count, and the buffer as NCCL sees it
        (complex as pairs of floats, bool as uint8: the same bytes)."""
        if buffer.dtype.kind == "c":
            buffer = buffer.view(buffer.real.dtype)
        elif buffer.dtype == np.bool_:
            buffer = buffer.view(np.uint8)
        name = {"float16": "FLOAT16", "float32": "FLOAT32", "float64": "FLOAT64",
                "int8": "INT8", "uint8": "UINT8", "int32": "INT32", "uint32": "UINT32",
                "int64": "INT64", "uint64": "UINT64"}.get(buffer.dtype.name)
        if name is None:
            raise TypeError(f"gpugrad.distributed: NCCL has no type for {buffer.dtype}")
        return getattr(self.nccl, f"NCCL_{name}"), buffer.size, buffer

    def _wait(self, what: str) -> None:
        import cupy  # optional: CuPy, only with a GPU

        done = cupy.cuda.Event(block=False, disable_timing=True)
        done.record()
        try:
            processes.wait(_EventRequest(done), what)
        except processes.DistributedError:
            self.comm.abort()
            raise

    def all_reduce(self, buffer: Any, op: str) -> Any:
        import cupy  # optional: CuPy, only with a GPU

        datatype, count, raw = self._datatype(buffer)
        stream = cupy.cuda.get_current_stream().ptr
        self.comm.allReduce(raw.data.ptr, raw.data.ptr, count, datatype, self.ops[op], stream)
        self._wait("all_reduce")
        return buffer

    def broadcast(self, buffer: Any, root: int) -> Any:
        import cupy  # optional: CuPy, only with a GPU

        datatype, count, raw = self._datatype(buffer)
        stream = cupy.cuda.get_current_stream().ptr
        self.comm.broadcast(raw.data.ptr, raw.data.ptr, count, datatype, root, stream)
        self._wait("broadcast")
        return buffer

    def all_gather(self, buffer: Any, count: int) -> Any:
        import cupy  # optional: CuPy, only with a GPU

        out = cupy.empty((count, buffer.size), buffer.dtype)
        datatype, elements, raw = self._datatype(buffer)
        stream = cupy.cuda.get_current_stream().ptr
        self.comm.allGather(raw.data.ptr, out.data.ptr, elements, datatype, stream)
        self._wait("all_gather")
        return out


class _EventRequest:
    """A CUDA event seen as an MPI request: ``Test()`` is whether the GPU passed it."""

    def __init__(self, event: Any) -> None:
        self.event = event

    def Test(self) -> bool:  # MPI's spelling, for processes.wait
        return bool(self.event.done)


_made: dict[str, Any] = {}


def mpi_transport() -> MpiTransport:
    """The process's MPI transport (made once)."""
    if "mpi" not in _made:
        _made["mpi"] = MpiTransport()
    return _made["mpi"]


def nccl_transport() -> NcclTransport:
    """The process's NCCL transport (made once, by every process at the same call)."""
    if "nccl" not in _made:
        _made["nccl"] = NcclTransport()
    return _made["nccl"]
