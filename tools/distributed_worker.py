"""What ``tests/distributed/test_distributed.py`` runs in each of ``mpiexec -n N``'s processes.

``python -m tools.distributed_worker checks`` runs every check below and prints ``ok <name>``
for each (any failure raises, which makes every process fail); ``failure`` makes process 1
raise before a collective that the others wait in; ``hang`` makes process 1 never arrive;
``nccl`` (on GPUs, ``benchmarks/device_check.sh``: one process, or one per GPU under
``mpiexec``) runs NCCL's three collectives on CuPy buffers against NumPy.
Every process can compute every other's inputs (they depend only on the rank), so each
checks the collectives' results against NumPy on its own.

Example (one process: every collective returns its input):
    >>> from tools import distributed_worker
    >>> distributed_worker.check_collectives()
    'collectives'
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import distributed
from gpugrad.tree_util import tree_leaves, tree_map

__all__ = ["check_collectives", "check_derivatives", "check_example", "check_mismatch",
           "check_nccl", "main"]


def _tree(rank: int) -> dict[str, Any]:
    """A pytree of several dtypes and shapes whose values depend on the rank."""
    rng = np.random.default_rng(rank)
    return {"w": rng.standard_normal((3, 4)).astype(np.float32),
            "layers": [rng.standard_normal(5), np.float64(rank)],
            "count": np.arange(6, dtype=np.int64).reshape(2, 3) * (rank + 1),
            "mask": np.array([rank % 2 == 0, True]),
            "small": (rng.integers(-9, 9, size=(2, 2, 2)).astype(np.int32),
                      np.zeros((0, 3), np.float32))}


def _assert_trees_equal(got: Any, want: Any) -> None:
    assert gpugrad.tree.structure(got) == gpugrad.tree.structure(want)
    for g, w in zip(tree_leaves(got), tree_leaves(want)):
        assert g.dtype == w.dtype and g.shape == w.shape, (g, w)
        np.testing.assert_allclose(g, w, rtol=1e-6)


def check_collectives() -> str:
    """all_reduce (sum, mean, max, min), broadcast and all_gather against NumPy."""
    rank, size = distributed.rank(), distributed.size()
    trees = [_tree(r) for r in range(size)]
    numeric = [{k: v for k, v in t.items() if k != "mask"} for t in trees]

    def over_ranks(f: Any, these: list[Any]) -> Any:
        return tree_map(lambda *leaves: f(np.stack(leaves), axis=0).astype(leaves[0].dtype),
                        *these)

    _assert_trees_equal(distributed.all_reduce(numeric[rank], "sum"), over_ranks(np.sum, numeric))
    _assert_trees_equal(distributed.all_reduce(trees[rank], "max"), over_ranks(np.max, trees))
    _assert_trees_equal(distributed.all_reduce(trees[rank], "min"), over_ranks(np.min, trees))
    floats = {"w": numeric[rank]["w"], "layers": numeric[rank]["layers"]}
    _assert_trees_equal(distributed.all_reduce(floats, "mean"),
                        over_ranks(np.mean, [{"w": t["w"], "layers": t["layers"]}
                                             for t in numeric]))
    # A result kept alive is never the buffer of a later call (buffers are reused only when
    # no leaf of the previous result remains).
    first = distributed.all_reduce(floats, "sum")
    kept = tree_map(np.copy, first)
    distributed.all_reduce(tree_map(lambda x: x + 1, floats), "sum")
    _assert_trees_equal(first, kept)
    root = size - 1
    _assert_trees_equal(distributed.broadcast(trees[rank], root=root), trees[root])
    _assert_trees_equal(distributed.all_gather(trees[rank]),
                        tree_map(lambda *leaves: np.stack(leaves), *trees))
    distributed.barrier()
    assert distributed.local_rank() == rank  # one machine: the local ranks are the ranks
    return "collectives"


def _local_loss(x: Any) -> Any:
    return gnp.sum(gnp.sin(x) * gnp.arange(1.0, 4.0)) ** 2


def check_derivatives() -> str:
    """The differentiable all_reduce: each process's grad, jvp and vmap against one process
    computing every process's part (a cotangent of one on each process's copy of the
    summed loss gives size() times the total's gradient, as JAX's psum does)."""
    rank, size = distributed.rank(), distributed.size()
    xs = [np.linspace(-1.0, 1.0, 3) * (r + 1) for r in range(size)]

    def total(every: list[Any]) -> Any:
        return sum(_local_loss(x) for x in every)

    reduced = lambda x: distributed.all_reduce(_local_loss(x), "sum")
    want = gpugrad.grad(total)(xs)[rank] * size
    np.testing.assert_allclose(gpugrad.grad(reduced)(xs[rank]), want, rtol=1e-12)
    averaged = lambda x: distributed.all_reduce({"l": _local_loss(x)}, "mean")["l"]
    np.testing.assert_allclose(gpugrad.grad(averaged)(xs[rank]), want / size, rtol=1e-12)
    tangents = [np.cos(np.arange(3.0) + r) for r in range(size)]
    _, want_dot = gpugrad.jvp(total, (xs,), (tangents,))
    value, got_dot = gpugrad.jvp(reduced, (xs[rank],), (tangents[rank],))
    np.testing.assert_allclose(value, total(xs), rtol=1e-12)
    np.testing.assert_allclose(got_dot, want_dot, rtol=1e-12)
    batch = np.stack([xs[rank], 2 * xs[rank]])
    want_batch = [sum(_local_loss(k * x) for x in xs) for k in (1, 2)]
    np.testing.assert_allclose(gpugrad.vmap(reduced)(batch), want_batch, rtol=1e-12)
    np.testing.assert_allclose(gpugrad.jit(reduced)(xs[rank]), total(xs), rtol=1e-12)
    return "derivatives"


def check_example() -> str:
    """The data-parallel example: identical parameters, equal to one process's."""
    from gpugrad.examples import data_parallel

    assert data_parallel.main(["--steps", "20", "--per-process", "32"]) == 0
    return "example"


def check_mismatch() -> str:
    """Trees that differ across processes: every process raises, naming both; also where
    every process predicted the tree from the order of the calls before (the check then
    rides on the payload, sent in that tree's sizes), and with sizes that differ."""
    rank, size = distributed.rank(), distributed.size()
    agreed = {"a": np.ones(6)}
    cases = [((2, 3) if rank == 0 else (3, 2), "float64[2, 3]", "float64[3, 2]"),
             (6 if rank == 0 else 7, "float64[6]", "float64[7]")]
    for shape, first, other in cases:
        for _ in range(2):  # in the second round each call's check rides on its payload
            np.testing.assert_array_equal(distributed.all_reduce(agreed)["a"], np.full(6, size))
            np.testing.assert_array_equal(distributed.all_reduce([np.arange(3)])[0],
                                          np.arange(3) * size)
        try:
            distributed.all_reduce({"a": np.zeros(shape)})
        except ValueError as error:
            assert first in str(error) and other in str(error), error
            continue
        raise AssertionError("mismatched trees were not detected")
    # A failed check leaves the history as it was: the agreed tree is still predicted.
    for _ in range(2):
        np.testing.assert_array_equal(distributed.all_reduce(agreed)["a"], np.full(6, size))
    return "mismatch"


def check_nccl() -> str:
    """NCCL's all_reduce, broadcast and all_gather on GPU buffers packed from CuPy leaves,
    against NumPy; through the transport itself, so that one process on one GPU runs it."""
    import cupy

    from gpugrad.distributed import transports
    from gpugrad.distributed.packing import Layout

    rank, size = distributed.rank(), distributed.size()
    trees = [{k: v for k, v in _tree(r).items() if k != "mask"} for r in range(size)]
    nccl = transports.nccl_transport()
    layout = Layout.of(trees[rank])
    on_gpu = tree_map(cupy.asarray, trees[rank])
    for op, f in (("sum", np.sum), ("max", np.max), ("min", np.min)):
        got = layout.unpack([nccl.all_reduce(b, op) for b in layout.pack(on_gpu)])
        want = tree_map(lambda *xs, f=f: f(np.stack(xs), axis=0).astype(xs[0].dtype), *trees)
        _assert_trees_equal(tree_map(cupy.asnumpy, got), want)
    z = cupy.asarray(np.array([1 + 2j, -3j]) * (rank + 1))  # complex: pairs of float64
    np.testing.assert_array_equal(cupy.asnumpy(nccl.all_reduce(z.copy(), "sum")),
                                  np.array([1 + 2j, -3j]) * sum(range(1, size + 1)))
    buffers = layout.pack(tree_map(cupy.asarray, trees[rank]))
    root = size - 1
    got = layout.unpack([nccl.broadcast(b, root) for b in buffers])
    _assert_trees_equal(tree_map(cupy.asnumpy, got), trees[root])
    for b in layout.pack(tree_map(cupy.asarray, trees[rank])):
        gathered = cupy.asnumpy(nccl.all_gather(b, size))
        np.testing.assert_array_equal(gathered[rank], cupy.asnumpy(b))
    return "nccl"


def main(argv: list[str]) -> None:
    """Run the checks named by ``argv[0]`` (see the module's docstring)."""
    distributed.initialize()
    what = argv[0] if argv else "checks"
    if what == "checks":
        for check in (check_collectives, check_derivatives, check_example, check_mismatch):
            print(f"ok {check()} on process {distributed.rank()}", flush=True)
    elif what == "nccl":
        print(f"ok {check_nccl()} on process {distributed.rank()}", flush=True)
    elif what in ("failure", "hang"):
        if distributed.rank() == 1:
            if what == "failure":
                raise ValueError("process one broke on purpose")
            time.sleep(60)  # never arrives; the others' timeout ends the run
        distributed.all_reduce({"a": np.ones(3)})
    else:
        raise SystemExit(f"unknown check {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
