"""``gpugrad.tree``: JAX's short pytree names (``jax.tree``), the same functions as
:mod:`gpugrad.tree_util` under the names ``map``, ``leaves``, ``flatten``, ...

``None`` is an empty subtree (no leaves), as in JAX; ``is_leaf`` stops the walk at the
subtrees it accepts.

Example:
    >>> params = {"b": 0.5, "w": [1.0, 2.0]}
    >>> gpugrad.tree.map(lambda x: x * 2, params)
    {'b': 1.0, 'w': [2.0, 4.0]}
    >>> gpugrad.tree.leaves(params)
    [0.5, 1.0, 2.0]
    >>> gpugrad.tree.reduce(lambda a, b: a + b, params)
    3.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optree

from gpugrad import tree_util
from gpugrad.tree_util import NAMESPACE

__all__ = [
    "all", "broadcast", "flatten", "flatten_with_path", "leaves", "leaves_with_path", "map",
    "map_with_path", "reduce", "structure", "transpose", "unflatten",
]

all = tree_util.tree_all
flatten = tree_util.tree_flatten
flatten_with_path = tree_util.tree_flatten_with_path
leaves = tree_util.tree_leaves
leaves_with_path = tree_util.tree_leaves_with_path
map = tree_util.tree_map
map_with_path = tree_util.tree_map_with_path
reduce = tree_util.tree_reduce
structure = tree_util.tree_structure
transpose = tree_util.tree_transpose
unflatten = tree_util.tree_unflatten


def broadcast(prefix_tree: Any, full_tree: Any,
              is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``prefix_tree`` with each of its leaves repeated over the matching subtree of
    ``full_tree``: a tree of ``full_tree``'s structure.

    Example:
        >>> broadcast({"a": 1, "b": 2}, {"a": (0, 0), "b": [0]})
        {'a': (1, 1), 'b': [2]}
    """
    return optree.tree_broadcast_prefix(prefix_tree, full_tree, is_leaf=is_leaf,  # type: ignore[arg-type]
                                        namespace=NAMESPACE)
