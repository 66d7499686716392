"""The threads that evaluate a large NumPy expression's slices at once.

NumPy's ufuncs release the GIL while they loop over an array, so the slices of one chunked
evaluation (``numpy_eval``) can run on several cores: :func:`run_in_shares` takes them in
contiguous shares, hands all but the first to one persistent thread pool and works on the
first itself rather than waiting idle. The pool is made on first use, remade when the
``eval_threads`` option (gpugrad.config) changes, forgotten in a forked child (whose copy
would have no threads) and shut down at exit.

NumPy's floating-point error state (``np.errstate``) belongs to a thread (to a context in
NumPy 2), and a worker thread does not inherit its caller's: each share is evaluated under
the state the caller had when it asked (gpugrad's quiet state in a transformation, or
whatever the user set), so values, warnings and errors do not depend on the thread count.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from gpugrad.config import live

__all__ = ["run_in_shares"]

_lock = threading.Lock()  # guards the pool: made, resized and used by any thread
_pool: ThreadPoolExecutor | None = None
_pool_workers = 0


def _executor(workers: int) -> ThreadPoolExecutor:
    """The pool, with ``workers`` threads (called with ``_lock`` held)."""
    global _pool, _pool_workers
    if _pool is None or _pool_workers != workers:
        if _pool is not None:  # work already queued on the old pool still runs
            _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(workers, thread_name_prefix="gpugrad-eval")
        _pool_workers = workers
    return _pool


def _shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _forget_in_child() -> None:
    # A forked child copies the pool object but not its threads: work queued on it would wait
    # forever. The child makes its own on first use.
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


atexit.register(_shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _in_state(state: dict[str, Any], work: Callable[[int, int], None], begin: int,
              end: int) -> None:
    with np.errstate(**state):  # restored on the way out, also when ``work`` raises
        work(begin, end)


def run_in_shares(work: Callable[[int, int], None], bounds: Sequence[int]) -> None:
    """``work(bounds[k], bounds[k + 1])`` for every share ``k``: share 0 on the calling
    thread, the others at the same time on the pool's threads, each under the caller's
    floating-point error state.

    Returns when every share has finished. Where shares raise, the error of the first of
    them (by position) is raised, the one that running them in order would have met first;
    shares not yet started are cancelled, and the others finish before it is raised, so
    nothing writes into the caller's arrays afterwards.

    Example:
        >>> out = np.empty(10)
        >>> def square(begin: int, end: int) -> None:
        ...     np.square(np.arange(begin, end, dtype=float), out=out[begin:end])
        >>> run_in_shares(square, [0, 4, 7, 10])
        >>> out
        array([ 0.,  1.,  4.,  9., 16., 25., 36., 49., 64., 81.])
    """
    state: dict[str, Any] = {**np.geterr(), "call": np.geterrcall()}
    futures: dict[int, Future[None]] = {}
    with _lock:
        # Sized by the option, not by this call's shares: a small array's fewer shares
        # should not remake the pool.
        pool = _executor(max(live.eval_threads - 1, 1))
        for k in range(1, len(bounds) - 1):
            try:
                futures[k] = pool.submit(_in_state, state, work, bounds[k], bounds[k + 1])
            except RuntimeError:  # the interpreter is exiting: this thread does the rest
                break
    failed: tuple[int, BaseException] | None = None
    for k in range(len(bounds) - 1):
        if k in futures:
            continue
        try:
            work(bounds[k], bounds[k + 1])
        except BaseException as error:  # also KeyboardInterrupt: stop the others first
            failed = (k, error)
            for later, future in futures.items():
                if later > k:  # an earlier share's error would still come first
                    future.cancel()
            break
    for k, future in sorted(futures.items()):
        if future.cancelled():
            continue
        raised = future.exception()  # waits for the share (cheaper than futures.wait)
        if raised is not None and (failed is None or k < failed[0]):
            failed = (k, raised)
    if failed is not None:
        raise failed[1]
