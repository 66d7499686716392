"""``autograd.test_util`` and ``autograd.misc`` on gpugrad: ``check_grads`` and
``combo_check`` with autograd's signatures, run by ``gpugrad.test_util.check_grads``."""

from __future__ import annotations

import builtins
import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import test_util as gtest_util

from .operators import unary_to_nary

# --- autograd.test_util -------------------------------------------------------------------


def _as_array(x: Any) -> Any:
    """Python numbers as float64/complex128 arrays (autograd's vector spaces of scalars)."""
    if isinstance(x, (builtins.float, builtins.int, builtins.complex)) and not isinstance(
            x, bool):
        return np.asarray(x, np.complex128 if isinstance(x, builtins.complex) else np.float64)
    if isinstance(x, (builtins.list, builtins.tuple)):
        return type(x)(_as_array(v) for v in x)
    if isinstance(x, builtins.dict):
        return {k: _as_array(v) for k, v in x.items()}
    return x


def _all_float64(tree: Any) -> bool:
    leaves = gpugrad.tree_util.tree_leaves(tree)
    return all(np.dtype(v.dtype) in (np.float64, np.complex128) for v in leaves
               if np.dtype(v.dtype).kind in "fc")


@unary_to_nary
def check_grads(f: Callable[..., Any], x: Any, modes: Any = ("fwd", "rev"),
                order: int = 2) -> None:
    """autograd's ``check_grads(f, argnum=0, modes, order)(*args)`` on gpugrad's checks.

    In float64 the finite-difference step is autograd's (5e-7 each side) rather than gpugrad's
    1e-5: its tests draw points a little more than 1e-5 from a kink (two nearly equal entries
    under ``min``), where a wider step steps over it.
    """
    x = _as_array(x)
    eps = 5e-7 if _all_float64(x) else None
    gtest_util.check_grads(f, (x,), order=order, modes=tuple(modes), eps=eps)


def combo_check(fun: Callable[..., Any], *check_args: Any,
                **check_kwargs: Any) -> Callable[..., None]:
    """Check gradients at every combination of the given arguments and keyword values."""

    def run(*arg_lists: Any, **kwarg_lists: Any) -> None:
        keys = builtins.list(kwarg_lists)
        for args in itertools.product(*arg_lists):
            for values in itertools.product(*kwarg_lists.values()):
                check_grads(fun, *check_args, **check_kwargs)(*args, **dict(zip(keys, values)))

    return run


def scalar_close(a: Any, b: Any) -> bool:
    return bool(abs(a - b) < 1e-6 or abs(a - b) / abs(a + b) < 1e-6)


def check_equivalent(x: Any, y: Any) -> None:
    for a, b in zip(gpugrad.tree_util.tree_leaves(x), gpugrad.tree_util.tree_leaves(y)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, f"{a!r} vs {b!r}"
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6), f"Value mismatch:\nx: {a}\ny: {b}"


# --- autograd.misc ------------------------------------------------------------------------


def flatten(value: Any) -> tuple[Any, Callable[..., Any]]:
    """All leaves raveled into one vector, and the function that puts a vector back."""
    leaves, tree = gpugrad.tree_util.tree_flatten(value)
    flat = gnp.concatenate([gnp.ravel(v) for v in leaves]) if leaves else gnp.zeros(0)
    shapes = [gnp.shape(v) for v in leaves]

    def unflatten(vector: Any) -> Any:
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            parts.append(gnp.reshape(vector[start:start + size], shape))
            start += size
        return gpugrad.tree_util.tree_unflatten(tree, parts)

    return flat, unflatten


def const_graph(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """autograd caches the traced graph; the values are those of ``fun`` itself."""
    return functools.partial(fun, *args, **kwargs)
