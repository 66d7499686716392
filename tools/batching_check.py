"""Checks of ``vmap`` against its definition: a Python loop over the examples, stacked.

``check_vmap(f, args, in_axes)`` runs ``vmap(f, in_axes, out_axes)`` once and compares it
with ``f`` applied to each example alone (the mapped axes sliced away), results stacked
along ``out_axes``: same shapes, same dtypes, values equal to the dtype's rounding.
``check_layouts(f, args)`` does so for several layouts of the same batch (every argument
batched along its first axis, its last, some of them unbatched), so that a rule is checked
with the batch axis where an earlier operation would leave it, not only in front.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import gpugrad
from gpugrad import tree_util

__all__ = ["check_layouts", "check_vmap", "host"]

_RTOL = {"f2": 1e-2, "f4": 2e-5, "f8": 1e-12, "c8": 2e-5, "c16": 1e-12}


def host(x: Any) -> np.ndarray[Any, Any]:
    return x.get() if hasattr(x, "__cuda_array_interface__") else np.asarray(x)


def _take(x: Any, axis: int | None, i: int) -> Any:
    if axis is None:
        return x
    index: list[slice | int] = [slice(None)] * x.ndim
    index[axis] = i
    return x[tuple(index)]


def check_vmap(f: Callable[..., Any], args: Sequence[Any], in_axes: Any = 0,
               out_axes: int = 0, rtol: float | None = None, atol: float = 0.0) -> Any:
    """Assert ``vmap(f, in_axes, out_axes)(*args)`` equals the loop over examples; return
    the batched result. ``in_axes`` is an int, None or a tuple of ints/None (one per
    argument; each argument an array)."""
    spec = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    sizes = {int(x.shape[a]) for x, a in zip(args, spec) if a is not None}
    assert len(sizes) == 1, f"the mapped axes disagree: {sizes}"
    n = sizes.pop()
    batched = gpugrad.vmap(f, in_axes=in_axes, out_axes=out_axes)(*args)
    examples = [f(*(_take(x, a, i) for x, a in zip(args, spec))) for i in range(n)]
    got_leaves, got_tree = tree_util.tree_flatten(batched)
    per_example = [tree_util.tree_leaves(e) for e in examples]
    assert tree_util.tree_structure(examples[0]) == got_tree, "output structures differ"
    for k, got in enumerate(got_leaves):
        want = np.stack([host(e[k]) for e in per_example], axis=out_axes)
        got = host(got)
        assert got.shape == want.shape, f"output {k}: shape {got.shape}, loop gives {want.shape}"
        assert got.dtype == want.dtype, f"output {k}: dtype {got.dtype}, loop gives {want.dtype}"
        if got.dtype.kind in "fc":
            tol = _RTOL[got.dtype.str[1:]] if rtol is None else rtol
            np.testing.assert_allclose(got, want, rtol=tol, atol=atol,
                                       err_msg=f"output {k}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"output {k}")
    return batched


def _move(x: Any, axis: int) -> Any:
    return gpugrad.numpy.moveaxis(x, 0, axis)


def check_layouts(f: Callable[..., Any], args: Sequence[Any], rtol: float | None = None,
                  atol: float = 0.0) -> None:
    """:func:`check_vmap` of ``f`` over ``args`` (each batched along axis 0, same size) in
    several layouts: all along axis 0; all along their last axis; each argument in turn
    unbatched (its first example, in_axes None) with the others along axis 0; and with the
    result's batch axis last (``out_axes=-1``)."""
    check_vmap(f, args, 0, rtol=rtol, atol=atol)
    check_vmap(f, [_move(x, x.ndim - 1) for x in args],
               tuple(x.ndim - 1 for x in args), rtol=rtol, atol=atol)
    if len(args) > 1:
        for i in range(len(args)):
            moved = [x[0] if j == i else x for j, x in enumerate(args)]
            check_vmap(f, moved, tuple(None if j == i else 0 for j in range(len(args))),
                       rtol=rtol, atol=atol)
    check_vmap(f, args, 0, out_axes=-1, rtol=rtol, atol=atol)
