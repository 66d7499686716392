"""Pytrees: nested tuples, lists, dicts, namedtuples, None and registered classes.

A thin layer over optree, with JAX's names. ``None`` is an empty subtree (no leaves), as in
JAX. Key paths (``tree_flatten_with_path``, ``keystr``, ``DictKey``...) come from
``tree_paths.py``; ``gpugrad.tree`` gives the same functions JAX's short names.

Example:
    >>> tree_leaves({"a": 1, "b": (2, None)})
    [1, 2]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import optree

from gpugrad.tree_paths import (
    NAMESPACE,
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    PyTreeDef,
    SequenceKey,
    keystr,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    tree_flatten_with_path,
    tree_leaves_with_path,
    tree_map_with_path,
)

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "Partial",
    "PyTreeDef",
    "SequenceKey",
    "all_leaves",
    "keystr",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_is_leaf",
]



def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                 ) -> tuple[list[Any], PyTreeDef]:
    """``(leaves, treedef)`` of ``tree``.

    Example:
        >>> leaves, treedef = tree_flatten([1, (2, 3)])
        >>> leaves
        [1, 2, 3]
    """
    return optree.tree_flatten(tree, is_leaf=is_leaf, namespace=NAMESPACE)  # type: ignore[arg-type]


def flatten_with_raw_paths(tree: Any) -> tuple[list[Any], list[Any], PyTreeDef]:
    """``(paths, leaves, treedef)`` with optree's raw paths (dict keys and positions), for
    error messages that name an argument; JAX's key paths are :func:`tree_flatten_with_path`.

    Example:
        >>> flatten_with_raw_paths({"a": [1, 2]})[0]
        [('a', 0), ('a', 1)]
    """
    return optree.tree_flatten_with_path(tree, namespace=NAMESPACE)  # type: ignore[return-value,arg-type]


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


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The structure of ``tree`` without its leaves.

    Example:
        >>> tree_structure((1, 2)).num_leaves
        2
    """
    return optree.tree_structure(tree, is_leaf=is_leaf, namespace=NAMESPACE)  # type: ignore[arg-type]


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


_NO_INITIALIZER = object()


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any,
                initializer: Any = _NO_INITIALIZER,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Fold ``function`` over the leaves of ``tree``, left to right (``functools.reduce``).

    Example:
        >>> import operator
        >>> tree_reduce(operator.add, {"a": 1, "b": [2, 3]})
        6
        >>> tree_reduce(operator.add, [], 10)
        10
    """
    leaves = tree_leaves(tree, is_leaf=is_leaf)
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every leaf of ``tree`` is true (``True`` for a tree without leaves).

    Example:
        >>> tree_all({"a": True, "b": (1, None)}), tree_all([True, 0])
        (True, False)
    """
    return all(tree_leaves(tree, is_leaf=is_leaf))


def all_leaves(iterable: Iterable[Any], is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every item of ``iterable`` is a leaf (a pytree with no children).

    Example:
        >>> all_leaves([1, 2.0]), all_leaves([1, (2,)])
        (True, False)
    """
    return all(optree.treespec_is_leaf(tree_structure(x, is_leaf=is_leaf)) for x in iterable)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """Whether ``treedef`` is the structure of a single leaf.

    Example:
        >>> treedef_is_leaf(tree_structure(1)), treedef_is_leaf(tree_structure((1,)))
        (True, False)
    """
    return optree.treespec_is_leaf(treedef)


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """Turn a tree of structure ``outer`` of trees of structure ``inner`` into a tree of
    structure ``inner`` of trees of structure ``outer``. ``inner_treedef=None`` takes the
    structure of the first inner tree.

    Example:
        >>> outer, inner = tree_structure([0, 0]), tree_structure((0, 0))
        >>> tree_transpose(outer, inner, [(1, 2), (3, 4)])
        ([1, 3], [2, 4])
    """
    if inner_treedef is None:
        first = outer_treedef.flatten_up_to(pytree_to_transpose)[0]
        inner_treedef = tree_structure(first)
    return optree.tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose)


class Partial(functools.partial):  # type: ignore[type-arg]
    """``functools.partial`` that is a pytree: its arguments are the children, the function
    is static, so it can be passed through ``grad``, ``vmap`` and ``tree_map`` (as JAX's).

    Example:
        >>> import operator
        >>> add_one = Partial(operator.add, 1.0)
        >>> tree_leaves(add_one), add_one(2.0)
        ([1.0], 3.0)
    """


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]),
)
