"""``vmap``: a function of one example, applied to a batch of them in one pass.

The arguments' mapped axes become :class:`~gpugrad.core.batching.BatchTracer` values, the
function runs once on them, and each primitive it applies runs its batching rule on the
whole batch. ``in_axes`` and ``out_axes`` are pytree prefixes of the arguments and outputs, as
in JAX; every check of them happens before the function runs, so a bad call leaves nothing
behind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import optree

from gpugrad import tree_util
from gpugrad.core import batching
from gpugrad.core.trace import new_main
from gpugrad.naming import P
from gpugrad.numpy import asarray
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.elementwise_eval import quiet_floating_point
from gpugrad.primitives.structural import move_axis

__all__ = ["map_rows", "vmap"]


class _Unmapped:
    """``None`` in an axes tree, as a leaf (``None`` is an empty subtree in pytrees)."""

    def __repr__(self) -> str:
        return "None"


_UNMAPPED = _Unmapped()


def _check_axes_spec(spec: Any, what: str) -> None:
    for leaf in tree_util.tree_leaves(spec):
        if not (isinstance(leaf, int) and not isinstance(leaf, bool)):
            raise TypeError(
                f"vmap: {what} must be an int, None, or a pytree of them, got {leaf!r} of "
                f"type {type(leaf).__name__} in {what}={spec!r}"
            )


def _axes_per_leaf(spec: Any, tree: Any, what: str) -> list[int | None]:
    """The axis of each leaf of ``tree``, ``spec`` being a pytree prefix of it."""
    marked = optree.tree_map(lambda a: _UNMAPPED if a is None else a, spec, none_is_leaf=True,
                             namespace=tree_util.NAMESPACE)
    try:
        axes = optree.broadcast_prefix(marked, tree, namespace=tree_util.NAMESPACE)
    except ValueError as e:
        raise ValueError(
            f"vmap: {what} must be a pytree prefix of the corresponding value (the same "
            f"structure, or a single axis standing for a whole subtree), but {what}={spec!r} "
            f"does not match the structure {tree_util.tree_structure(tree)} ({e})"
        ) from None
    return [None if a is _UNMAPPED else a for a in axes]  # type: ignore[misc]


def _name(path: tuple[Any, ...], positional: int) -> str:
    """``args[0]['w']`` or ``kwargs['x']``: where a leaf is among the arguments."""
    head, *rest = path
    where = f"args[{head}]" if head < positional else f"kwargs[{rest[0]!r}]"
    if head >= positional:
        rest = rest[1:]
    return where + "".join(f"[{k!r}]" for k in rest)


def vmap(fun: Callable[P, Any], in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None) -> Callable[P, Any]:
    """``fun`` mapped over an axis of its arguments, vectorized: one call on the batch.

    ``in_axes`` says which axis of each positional argument holds the batch: an int for all
    of them, ``None`` for an argument shared by every example, or a tuple with one entry per
    argument, each entry itself a pytree prefix of its argument. Keyword arguments are
    batched along axis 0. ``out_axes`` says where the batch axis goes in each output (a
    pytree prefix of the output; ``None`` only for an output that does not depend on the
    batch). ``axis_size`` gives the batch size when no argument is batched. ``vmap``
    composes with itself and with every other transformation.

    Example:
        >>> x = gnp.array([[1.0, 2.0], [3.0, 4.0]])
        >>> gpugrad.vmap(lambda row, w: gnp.dot(row, w), in_axes=(0, None))(
        ...     x, gnp.array([1.0, 1.0]))
        array([3., 7.], dtype=float32)
        >>> gpugrad.vmap(gpugrad.grad(lambda x: gnp.sum(x ** 3)))(x)
        array([[ 3., 12.],
               [27., 48.]], dtype=float32)
    """
    if isinstance(in_axes, list):
        # A tuple over the positional arguments; a list reads the same to users (as in JAX).
        in_axes = tuple(in_axes)
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")
    if axis_size is not None and (not isinstance(axis_size, int) or axis_size < 0):
        raise TypeError(f"vmap: axis_size must be a non-negative int or None, got "
                        f"{axis_size!r}")

    @functools.wraps(fun)
    def batched(*args: Any, **kwargs: Any) -> Any:
        spec = in_axes
        if isinstance(spec, tuple) and len(spec) != len(args):
            raise ValueError(
                f"vmap: in_axes is a tuple of {len(spec)} entries, but the function was called "
                f"with {len(args)} positional argument{'s' if len(args) != 1 else ''}; give "
                "one entry per positional argument (keyword arguments are batched along "
                "axis 0)"
            )
        if not isinstance(spec, tuple):
            spec = (spec,) * len(args)
        everything = (*args, *kwargs.values())
        leaves, tree = tree_util.tree_flatten(everything)
        axes = _cached_axes((*spec, *(0,) * len(kwargs)), everything, tree, "in_axes")

        def name(k: int) -> str:  # where leaf k is, for an error message
            path = tree_util.flatten_with_raw_paths(everything)[0][k]
            head = path[0]
            if head >= len(args):  # a keyword argument
                path = (head, list(kwargs)[head - len(args)], *path[1:])
            return _name(path, len(args))

        size, leaves, axes = _prepare(leaves, axes, name, axis_size)
        with quiet_floating_point(), new_main(batching.BatchTrace) as main:
            traced = [x if a is None else batching.BatchTracer(main.trace, x, a)
                      for x, a in zip(leaves, axes)]
            rebuilt = tree_util.tree_unflatten(tree, traced)
            out = fun(*rebuilt[:len(args)], **dict(zip(kwargs, rebuilt[len(args):])))
            out_leaves, out_tree = tree_util.tree_flatten(out)
            unpacked = [batching.unpack(o, main) for o in out_leaves]
        targets = _cached_axes(out_axes, out, out_tree, "out_axes")
        results = [_place(v, d, t, size, k) for k, ((v, d), t) in enumerate(zip(unpacked,
                                                                                targets))]
        return tree_util.tree_unflatten(out_tree, results)

    return batched


def map_rows(fun: Callable[[Any], Any], rows: Any, out_axis: int = 0) -> list[Any]:
    """``fun`` applied to every row of ``rows`` (an array batched along axis 0) in one
    batched call: ``vmap(fun, out_axes=out_axis)(rows)`` for a ``fun`` returning a list of
    arrays, without the argument handling (the Jacobians call it on every evaluation).

    Example:
        >>> map_rows(lambda r: [gnp.sum(r * 2), gnp.ones(())], np.eye(2))
        [array([2., 2.]), array([1., 1.], dtype=float32)]
    """
    size = int(rows.shape[0])
    with quiet_floating_point(), new_main(batching.BatchTrace) as main:
        outs = fun(batching.BatchTracer(main.trace, rows, 0))
        unpacked = [batching.unpack(o, main) for o in outs]
    return [_place(v, d, out_axis, size, k) for k, (v, d) in enumerate(unpacked)]


def _cached_axes(spec: Any, tree: Any, treedef: Any, what: str) -> list[int | None]:
    """:func:`_axes_per_leaf`, remembered per (spec, structure): a batched function is
    called many times with the same structures."""
    try:
        key = (spec, treedef)
        hit = _AXES.get(key)
    except TypeError:  # an unhashable spec (a dict): worked out each time
        return _axes_per_leaf(spec, tree, what)
    if hit is None:
        hit = _AXES[key] = _axes_per_leaf(spec, tree, what)
        if len(_AXES) > 4096:
            _AXES.clear()
    return hit


_AXES: dict[Any, list[int | None]] = {}


def _prepare(leaves: list[Any], axes: list[int | None], name: Callable[[int], str],
             axis_size: int | None) -> tuple[int, list[Any], list[int | None]]:
    """The batch size, the leaves (mapped ones as arrays) and their non-negative axes."""
    sizes: list[tuple[str, int, int, tuple[int, ...]]] = []
    out_leaves, out_axes = [], []
    for k, (x, a) in enumerate(zip(leaves, axes)):
        if a is not None:
            if not hasattr(x, "shape"):
                x = asarray(x)
            ndim = len(x.shape)
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"vmap: in_axes asks to map {name(k)} along axis {a}, but "
                    f"it has {ndim} ax{'is' if ndim == 1 else 'es'} (shape {tuple(x.shape)}); "
                    f"the axis must be in [{-ndim}, {ndim})" if ndim else
                    f"vmap: in_axes asks to map {name(k)} along axis {a}, but "
                    "it is a scalar (shape ()), which has no axis to map; pass None for it "
                    "in in_axes"
                )
            a %= ndim
            sizes.append((str(k), int(x.shape[a]), a, tuple(x.shape)))
        out_leaves.append(x)
        out_axes.append(a)
    found = {s for _, s, _, _ in sizes}
    if axis_size is not None:
        found.add(axis_size)
    if len(found) > 1:
        listed = "; ".join(f"{name(int(k))} has size {s} along axis {a} (shape {shape})"
                           for k, s, a, shape in sizes)
        given = f"; axis_size={axis_size}" if axis_size is not None else ""
        raise ValueError(
            f"vmap got inconsistent sizes for the mapped axes: {listed}{given}. Every mapped "
            "axis must have the same size (the number of examples)"
        )
    if not found:
        raise ValueError(
            "vmap needs at least one argument mapped along an axis (in_axes is None for all "
            "of them, and there are no keyword arguments), or axis_size to say how many "
            "examples there are"
        )
    return found.pop(), out_leaves, out_axes


def _place(value: Any, dim: int | None, target: int | None, size: int, k: int) -> Any:
    """An output's batched value with its batch axis at ``target`` (broadcast if the output
    is the same for every example), or the value itself for ``target`` None."""
    if target is None:
        if dim is not None:
            raise ValueError(
                f"vmap: out_axes is None for output {k}, which depends on the batch (it "
                "differs between examples); give it an axis in out_axes, or return only "
                "values that are the same for every example there"
            )
        return value
    if not hasattr(value, "shape"):
        value = asarray(value)
    ndim = len(value.shape) + (dim is None)
    if not -ndim <= target < ndim:
        raise ValueError(
            f"vmap: out_axes asks to put the batch of output {k} at axis {target}, but with "
            f"the batch it has {ndim} ax{'is' if ndim == 1 else 'es'}; the axis must be in "
            f"[{-ndim}, {ndim})"
        )
    if dim is None:
        value, dim = at_front(value, None, size), 0
    return move_axis(value, dim, target % ndim)
