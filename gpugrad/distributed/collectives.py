"""Collectives on pytrees: ``all_reduce``, ``broadcast``, ``all_gather``.

Each call packs the tree's leaves into one buffer per dtype (:mod:`.packing`), checks with
one tiny message that every process holds a tree of the same structure, shapes and dtypes,
and moves each buffer with one non-blocking MPI collective (NumPy arrays) or one NCCL call on
the GPU buffers (CuPy arrays; :mod:`.transports`), waited for with the ``distributed_timeout``.
An ``all_reduce`` of NumPy leaves whose tree every process predicted from the trees of its
earlier calls sends no separate check: one more element in its payload says whether each
process's tree is the predicted one (see ``_history`` below).
On a single process each returns its input (``all_gather`` adds an axis of length one).

Example:
    >>> from gpugrad import distributed
    >>> grads = {"w": np.ones((2, 2), np.float32), "step": np.array(3)}
    >>> distributed.all_reduce(grads, "mean")["w"]
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    >>> distributed.all_gather(grads)["step"]
    array([3])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.backend import is_cupy_array
from gpugrad.core.trace import Tracer
from gpugrad.distributed import processes, transports
from gpugrad.distributed.differentiable import all_reduce_p, all_reduce_traced
from gpugrad.distributed.packing import Layout
from gpugrad.tree_util import tree_flatten, tree_map, tree_unflatten

__all__ = ["OPS", "all_gather", "all_reduce", "broadcast", "reduce_leaves"]

OPS = ("sum", "mean", "max", "min")


def all_reduce(tree: Any, op: str = "sum") -> Any:
    """Combine ``tree`` across all processes, leaf by leaf: ``"sum"``, ``"mean"``, ``"max"``
    or ``"min"``; every process gets the result.

    Under ``grad``, ``jvp``, ``vjp`` and ``vmap``, ``"sum"`` and ``"mean"`` differentiate as
    JAX's ``psum``/``pmean``: the derivative of a sum across processes is the sum of the
    derivatives, so the cotangents are summed across processes too.

    Example:
        >>> from gpugrad import distributed
        >>> distributed.all_reduce([np.float32(2.0), np.arange(3)], "max")
        [array(2., dtype=float32), array([0, 1, 2])]
        >>> gpugrad.grad(lambda x: distributed.all_reduce(x * x, "sum"))(3.0)
        array(6., dtype=float32)
    """
    if op not in OPS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(OPS)}; got {op!r}")
    leaves, treedef = tree_flatten(tree)
    if any(isinstance(leaf, Tracer) for leaf in leaves):
        return tree_unflatten(treedef, all_reduce_traced(leaves, op))
    return tree_unflatten(treedef, reduce_leaves([_as_array(x) for x in leaves], op))


def reduce_leaves(leaves: list[Any], op: str) -> list[Any]:
    """``all_reduce`` of concrete arrays: the evaluation of the differentiable primitive."""
    count = processes.size()
    if count == 1 or not leaves:
        return leaves
    layout = Layout.of_leaves(leaves)
    # The mean divides each floating leaf by the number of processes as it is packed, which
    # saves a pass over the buffer. For a power of two that is exact barring underflow (the
    # bits of the sum divided); else each term gains a rounding, within the sum's own bound.
    divisor = count if op == "mean" else 1
    if any(is_cupy_array(x) for x in leaves):  # NCCL's buffers: checked apart
        checked = _check_same_tree(layout, "all_reduce")
        buffers = layout.pack_reusing(leaves, divisor)
        checked()
        return _finish_mean(layout, _reduce_buffers(layout, buffers, op), op)
    predicted = _predicted()
    if predicted is not None:
        reduced = _reduce_as_predicted(predicted, layout, leaves, op, divisor)
        if reduced is not None:
            _agreed_on(layout)
            return _finish_mean(layout, reduced, op)
    checked = _check_same_tree(layout, "all_reduce")
    buffers = layout.pack_reusing(leaves, divisor, extra=1)
    checked()
    buffers[0][-1] = 0  # the check's slot, unused here
    reduced = _reduce_buffers(layout, buffers, op)
    _agreed_on(layout)
    return _finish_mean(layout, reduced, op)


# The check on the payload. Every process predicts the tree of its next all_reduce of NumPy
# leaves alike: the tree that followed the last call's tree the last time, so a training
# loop (one tree, or gradients and then a loss, call after call) predicts right. Then each
# sends buffers of the predicted tree's sizes whatever its own tree, so the counts match:
# its leaves when its tree is that one, else zeros; one more element, after the first
# buffer's leaves, says which, and the reduction carries a "no" to every process. Then all
# check the slow way (naming the trees when they differ) and send again. The history is
# the same in every process: it changes only after a call every process made with one tree.
_history: dict[str, str | None] = {"last": None}
_following: dict[str | None, Layout] = {}  # by a tree's description, the tree after it
# Per reduction: the flag of a process holding the predicted tree, and of one that does not;
# the reduction of any number of these equals the first only when every process sent it
# (for a sum of 8-bit integers, unless 256 processes or a multiple of it said no).
_FLAGS = {"sum": (0, 1), "max": (0, 1), "min": (1, 0), "lor": (False, True),
          "land": (True, False)}


def _impl(*leaves: Any, op: str) -> list[Any]:
    return reduce_leaves(list(leaves), op)


all_reduce_p.impl = _impl  # the primitive's evaluation (see gpugrad.distributed.differentiable)


def _predicted() -> Layout | None:
    last = _history["last"]
    return None if last is None else _following.get(last)


def _agreed_on(layout: Layout) -> None:
    """Every process completed an all_reduce with ``layout``'s tree: learn it."""
    _following[_history["last"]] = layout
    _history["last"] = layout.description


def _reduce_as_predicted(predicted: Layout, layout: Layout, leaves: list[Any], op: str,
                         divisor: int) -> list[Any] | None:
    """The reduced buffers, sent in ``predicted``'s sizes; None when some process's tree
    was another (every process then returns None)."""
    try:
        reductions = [_reduction(op, group.dtype) for group in predicted.groups]
    except TypeError:
        return None  # checked the slow way, which raises against the tree passed
    same = layout is predicted or layout.description == predicted.description
    if same:
        buffers = layout.pack_reusing(leaves, divisor, extra=1)
    else:
        buffers = [np.zeros(group.offsets[-1] + (index == 0), group.dtype)
                   for index, group in enumerate(predicted.groups)]
    agree, differ = _FLAGS[reductions[0]]
    buffers[0][-1] = agree if same else differ
    reduced = [_transport(buffer).all_reduce(buffer, reduction)
               for buffer, reduction in zip(buffers, reductions)]
    return reduced if reduced[0][-1] == agree else None


def _reduce_buffers(layout: Layout, buffers: list[Any], op: str) -> list[Any]:
    return [_transport(buffer).all_reduce(buffer, _reduction(op, group.dtype))
            for group, buffer in zip(layout.groups, buffers)]


def _finish_mean(layout: Layout, reduced: list[Any], op: str) -> list[Any]:
    """The leaves of the reduced buffers; for a mean, integer sums divided (a float, as
    NumPy's mean; floating leaves were divided as they were packed)."""
    if op == "mean":
        reduced = [r if r.dtype.kind in "fc" else r / processes.size() for r in reduced]
    return layout.unpack_leaves(reduced)


def broadcast(tree: Any, root: int = 0) -> Any:
    """Process ``root``'s ``tree`` on every process; the others pass a tree of the same
    structure, shapes and dtypes, whose values are ignored.

    Example:
        >>> from gpugrad import distributed
        >>> distributed.broadcast({"w": np.arange(4.0)}, root=0)
        {'w': array([0., 1., 2., 3.])}
    """
    if not 0 <= root < processes.size():
        raise ValueError(f"broadcast: root must be a process index below {processes.size()}, "
                         f"got {root}")
    tree = tree_map(_as_array, tree)
    if processes.size() == 1:
        return tree
    layout = Layout.of(tree)
    checked = _check_same_tree(layout, "broadcast")
    packed = layout.pack(tree)
    checked()
    buffers = [_transport(b).broadcast(b, root) for b in packed]
    return layout.unpack(buffers)


def all_gather(tree: Any) -> Any:
    """Every process's ``tree`` stacked: each leaf gets a new first axis of length
    ``size()``, ordered by rank.

    Example:
        >>> from gpugrad import distributed
        >>> distributed.all_gather((np.zeros(2), np.int32(5)))
        (array([[0., 0.]]), array([5], dtype=int32))
    """
    tree = tree_map(_as_array, tree)
    count = processes.size()
    layout = Layout.of(tree)
    if count > 1:
        checked = _check_same_tree(layout, "all_gather")
        packed = layout.pack(tree)
        checked()
        gathered = [_transport(b).all_gather(b, count) for b in packed]
    else:
        gathered = [b.reshape(1, -1) for b in layout.pack(tree)]
    leaves: list[Any] = [None] * len(layout.shapes)
    for group, stacked in zip(layout.groups, gathered):
        for j, position in enumerate(group.positions):
            part = stacked[:, group.offsets[j]:group.offsets[j + 1]]
            leaves[position] = part.reshape((count, *layout.shapes[position]))
    return tree_unflatten(layout.treedef, leaves)


def _as_array(x: Any) -> Any:
    if isinstance(x, np.generic) or not hasattr(x, "shape"):
        return np.asarray(x)  # NumPy and Python scalars: 0-d arrays, as outside a process group
    return x


def _reduction(op: str, dtype: np.dtype[Any]) -> str:
    if dtype == np.bool_:
        if op in ("sum", "mean"):
            raise TypeError(f"all_reduce: op {op!r} on bool leaves; use 'max' (any) or 'min' "
                            "(all), or convert them to integers first")
        return {"max": "lor", "min": "land"}[op]
    if dtype.kind == "c" and op in ("max", "min"):
        raise TypeError(f"all_reduce: op {op!r} is not defined on complex leaves ({dtype})")
    return "sum" if op == "mean" else op


def _transport(buffer: Any) -> Any:
    if is_cupy_array(buffer):
        return transports.nccl_transport()
    return transports.mpi_transport()


def _check_same_tree(layout: Layout, what: str) -> Callable[[], None]:
    """Start checking that every process holds a tree like ``layout`` (one small message:
    the maximum of the signature's hash and of its negation); the function returned waits
    for it and raises, in every process, when the trees differ. The caller packs its
    buffers in between, which hides the message's latency behind the copy."""
    comm = processes.communicator()
    from mpi4py import MPI  # optional: mpi4py, only under an MPI launcher

    mine = np.array([layout.digest, -layout.digest], dtype=np.int64)
    agreed = np.empty_like(mine)
    request = comm.Iallreduce(mine, agreed, op=MPI.MAX)

    def finish() -> None:
        processes.wait(request, what)
        if agreed.tolist() == mine.tolist():  # (lists: a tenth of NumPy's all() on 2 items)
            return  # every digest equals the largest and the smallest: all the same
        descriptions = comm.allgather(layout.description)
        differing = [f"process {r}: {d}" for r, d in enumerate(descriptions)
                     if d != descriptions[0]]
        raise ValueError(
            f"{what}: the processes passed different trees (structure, shapes or dtypes); "
            f"process 0: {descriptions[0]}; " + "; ".join(differing))

    return finish
