"""Pytrees: nested tuples, lists, dicts, namedtuples, None and registered classes.

A thin layer over optree, with JAX's names. ``None`` is an empty subtree (no leaves), as in
JAX.

Example:
    >>> tree_leaves({"a": 1, "b": (2, None)})
    [1, 2]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optree

__all__ = [
    "register_pytree_node",
    "register_pytree_node_class",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]

NAMESPACE = "gpugrad"
PyTreeDef = optree.PyTreeSpec


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], PyTreeDef]:
    """``(leaves, treedef)`` of ``tree``.

    Example:
        >>> leaves, treedef = tree_flatten([1, (2, 3)])
        >>> leaves
        [1, 2, 3]
    """
    return optree.tree_flatten(tree, is_leaf=is_leaf, namespace=NAMESPACE)  # type: ignore[arg-type]


def tree_flatten_with_path(tree: Any) -> tuple[list[Any], list[Any], PyTreeDef]:
    """``(paths, leaves, treedef)``: each leaf's path of keys from the root."""
    return optree.tree_flatten_with_path(tree, namespace=NAMESPACE)  # type: ignore[return-value]


def tree_unflatten(treedef: PyTreeDef, leaves: Any) -> Any:
    """Rebuild a tree of structure ``treedef`` from ``leaves``.

    Example:
        >>> leaves, treedef = tree_flatten({"a": 1})
        >>> tree_unflatten(treedef, [5])
        {'a': 5}
    """
    return optree.tree_unflatten(treedef, leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The leaves of ``tree``, in order.

    Example:
        >>> tree_leaves([1, {"x": 2}])
        [1, 2]
    """
    return optree.tree_leaves(tree, is_leaf=is_leaf, namespace=NAMESPACE)  # type: ignore[arg-type]


def tree_structure(tree: Any) -> PyTreeDef:
    """The structure of ``tree`` without its leaves.

    Example:
        >>> tree_structure((1, 2)).num_leaves
        2
    """
    return optree.tree_structure(tree, namespace=NAMESPACE)


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``f`` to every leaf (and the matching leaves of ``rest``).

    Example:
        >>> tree_map(lambda x: x * 2, {"a": 1, "b": [2]})
        {'a': 2, 'b': [4]}
    """
    return optree.tree_map(f, tree, *rest, is_leaf=is_leaf, namespace=NAMESPACE)  # type: ignore[arg-type]


def register_pytree_node(cls: type, flatten_func: Callable[[Any], tuple[Any, Any]],
                         unflatten_func: Callable[[Any, Any], Any]) -> None:
    """Register ``cls`` as a pytree node, JAX-style: ``flatten_func(obj) -> (children,
    aux_data)`` and ``unflatten_func(aux_data, children) -> obj``.

    Example:
        >>> class Pair:
        ...     def __init__(self, a, b): self.a, self.b = a, b
        >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
        ...                      lambda aux, ch: Pair(*ch))
        >>> tree_leaves(Pair(1, 2))
        [1, 2]
    """
    optree.register_pytree_node(
        cls,
        flatten_func,
        lambda aux, children: unflatten_func(aux, children),
        namespace=NAMESPACE,
    )


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: register a class with ``tree_flatten`` and classmethod
    ``tree_unflatten(aux_data, children)``, as in JAX.

    Example:
        >>> @register_pytree_node_class
        ... class Box:
        ...     def __init__(self, v): self.v = v
        ...     def tree_flatten(self): return (self.v,), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children): return cls(*children)
        >>> tree_leaves(Box(3))
        [3]
    """
    register_pytree_node(cls, lambda obj: obj.tree_flatten(), cls.tree_unflatten)  # type: ignore[attr-defined]
    return cls
