"""Key paths of pytrees, as JAX spells them: where each leaf sits, from the root.

A path is a tuple of keys: :class:`DictKey` (a dict entry), :class:`SequenceKey` (a list or
tuple position), :class:`GetAttrKey` (a namedtuple field or an attribute) and
:class:`FlattenedIndexKey` (the position among the children of a node registered without
keys); classes registered with :func:`register_pytree_with_keys` give their own keys.
optree finds the paths (its accessors); this module names them with JAX's key types, so
``keystr`` prints what JAX prints. ``tree_util`` and ``tree`` export these functions.

Example:
    >>> pairs, _ = tree_flatten_with_path({"a": [1, 2]})
    >>> [(keystr(path), leaf) for path, leaf in pairs]
    [("['a'][0]", 1), ("['a'][1]", 2)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import optree

__all__ = [
    "DictKey", "FlattenedIndexKey", "GetAttrKey", "SequenceKey", "keystr",
    "register_pytree_with_keys", "register_pytree_with_keys_class", "tree_flatten_with_path",
    "tree_leaves_with_path", "tree_map_with_path",
]

# optree's registry namespace of gpugrad's pytree classes, and the structure type; here, below
# tree_util, which builds on this module and re-exports both.
NAMESPACE = "gpugrad"
PyTreeDef = optree.PyTreeSpec


class _Key:
    """What JAX's four key types share: one field, and a printed form (``form``, given in the
    class statement) that ``keystr`` joins into a path."""

    __slots__ = ()
    _form: ClassVar[str]
    _field: ClassVar[str]

    def __init_subclass__(cls, form: str = "{}", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._form = form
        (cls._field,) = cls.__annotations__  # the one field, whatever the class names it

    @property
    def _entry(self) -> Any:
        return getattr(self, self._field)

    def __str__(self) -> str:
        return self._form.format(self._entry)


@dataclass(frozen=True)
class DictKey(_Key, form="[{!r}]"):
    """The key of a dict entry.

    Example:
        >>> tree_leaves_with_path({"a": 1})
        [((DictKey(key='a'),), 1)]
    """

    key: Any


@dataclass(frozen=True)
class SequenceKey(_Key, form="[{!r}]"):
    """The position in a list or tuple.

    Example:
        >>> str(SequenceKey(0)), SequenceKey(0).idx
        ('[0]', 0)
    """

    idx: int


@dataclass(frozen=True)
class GetAttrKey(_Key, form=".{}"):
    """The name of a namedtuple field or an attribute.

    Example:
        >>> keystr((GetAttrKey("x"), SequenceKey(1)))
        '.x[1]'
    """

    name: str


@dataclass(frozen=True)
class FlattenedIndexKey(_Key, form="[<flat index {}>]"):
    """The position among the children of a node registered without keys.

    Example:
        >>> print(FlattenedIndexKey(2))
        [<flat index 2>]
    """

    key: int


KeyPath = tuple[Any, ...]


class _UserKeyEntry(optree.PyTreeEntry):
    """An optree path entry holding a key given by ``register_pytree_with_keys``."""


def _jax_key(entry: optree.PyTreeEntry) -> Any:
    """JAX's key for one of optree's path entries."""
    if isinstance(entry, _UserKeyEntry):
        return entry.entry
    if isinstance(entry, optree.NamedTupleEntry):
        return GetAttrKey(entry.field)
    if isinstance(entry, optree.GetAttrEntry):
        return GetAttrKey(entry.name)
    if isinstance(entry, optree.MappingEntry):
        return DictKey(entry.entry)
    if isinstance(entry, optree.SequenceEntry):
        return SequenceKey(entry.entry)
    return FlattenedIndexKey(entry.entry)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """A path as text: ``"['a'][0].x"``; with ``simple=True`` only the keys themselves,
    joined by ``separator`` (``"a/0/x"`` for ``separator="/"``).

    Example:
        >>> keystr((DictKey("a"), SequenceKey(0), GetAttrKey("x")))
        "['a'][0].x"
        >>> keystr((DictKey("a"), SequenceKey(0)), simple=True, separator="/")
        'a/0'
    """
    if not simple:
        return separator.join(str(k) for k in keys)
    return separator.join(str(k._entry if isinstance(k, _Key) else k) for k in keys)


@dataclass(frozen=True)
class _Marked:
    """A subtree that an ``is_leaf`` taking paths chose to keep whole, as one leaf."""

    value: Any


def _mark_leaves(tree: Any, is_leaf: Callable[..., bool], path: KeyPath) -> Any:
    """``tree`` with every subtree for which ``is_leaf(path, subtree)`` holds wrapped in
    :class:`_Marked`, walking one level at a time to know each subtree's path."""
    if is_leaf(path, tree):
        return _Marked(tree)
    if tree is None or optree.tree_is_leaf(tree, namespace=NAMESPACE):
        return tree  # None: a node without children
    # One level: every child a leaf (None included, so that is_leaf sees it too).
    accessors, children, spec = optree.tree_flatten_with_accessor(
        tree, is_leaf=lambda x: x is not tree, none_is_leaf=True, namespace=NAMESPACE)
    marked = [_mark_leaves(child, is_leaf, (*path, _jax_key(accessor[0])))
              for accessor, child in zip(accessors, children)]
    return optree.tree_unflatten(spec, marked)


def tree_flatten_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                           is_leaf_takes_path: bool = False
                           ) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """``([(path, leaf), ...], treedef)``: each leaf with its path of keys from the root.
    With ``is_leaf_takes_path``, ``is_leaf`` is called as ``is_leaf(path, subtree)``.

    Example:
        >>> pairs, treedef = tree_flatten_with_path((1, {"b": 2}))
        >>> pairs
        [((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), DictKey(key='b')), 2)]
    """
    if is_leaf is not None and is_leaf_takes_path:
        tree = _mark_leaves(tree, is_leaf, ())
        is_leaf = lambda x: isinstance(x, _Marked)
    accessors, leaves, treedef = optree.tree_flatten_with_accessor(
        tree, is_leaf=is_leaf, namespace=NAMESPACE)
    leaves = [leaf.value if isinstance(leaf, _Marked) else leaf for leaf in leaves]
    paths = [tuple(_jax_key(entry) for entry in accessor) for accessor in accessors]
    return list(zip(paths, leaves)), treedef


def tree_leaves_with_path(tree: Any, is_leaf: Callable[..., bool] | None = None,
                          is_leaf_takes_path: bool = False) -> list[tuple[KeyPath, Any]]:
    """``[(path, leaf), ...]`` of ``tree``.

    Example:
        >>> [(keystr(p), v) for p, v in tree_leaves_with_path({"w": 1, "b": [2]})]
        [("['b'][0]", 2), ("['w']", 1)]
    """
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(f: Callable[..., Any], tree: Any, *rest: Any,
                       is_leaf: Callable[..., bool] | None = None,
                       is_leaf_takes_path: bool = False) -> Any:
    """Apply ``f(path, leaf, *leaves_of_rest)`` to every leaf of ``tree``.

    Example:
        >>> tree_map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": 1, "b": (2,)})
        {'a': "['a']=1", 'b': ("['b'][0]=2",)}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [treedef.flatten_up_to(r) for r in rest]
    mapped = [f(path, leaf, *(o[i] for o in others)) for i, (path, leaf) in enumerate(pairs)]
    return optree.tree_unflatten(treedef, mapped)


def register_pytree_with_keys(
        nodetype: type,
        flatten_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Any]],
        unflatten_func: Callable[[Any, Any], Any],
        flatten_func: Callable[[Any], tuple[Any, Any]] | None = None) -> None:
    """Register ``nodetype`` as a pytree node whose children have keys:
    ``flatten_with_keys(obj) -> ([(key, child), ...], aux_data)`` and
    ``unflatten_func(aux_data, children) -> obj``. (``flatten_func`` is accepted for JAX's
    signature; the children come from ``flatten_with_keys``.)

    Example:
        >>> class Point:
        ...     def __init__(self, x, y): self.x, self.y = x, y
        >>> register_pytree_with_keys(
        ...     Point, lambda p: (((GetAttrKey("x"), p.x), (GetAttrKey("y"), p.y)), None),
        ...     lambda aux, ch: Point(*ch))
        >>> [keystr(p) for p, _ in tree_leaves_with_path(Point(1, 2))]
        ['.x', '.y']
    """
    def flatten(obj: Any) -> tuple[list[Any], Any, list[Any]]:
        pairs, aux = flatten_with_keys(obj)
        pairs = list(pairs)
        return [child for _, child in pairs], aux, [key for key, _ in pairs]

    optree.register_pytree_node(nodetype, flatten,  # type: ignore[arg-type]
                                lambda aux, children: unflatten_func(aux, children),
                                path_entry_type=_UserKeyEntry, namespace=NAMESPACE)


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: :func:`register_pytree_node_class` with ``tree_flatten_with_keys``.

    Example:
        >>> @register_pytree_with_keys_class
        ... class Box:
        ...     def __init__(self, v): self.v = v
        ...     def tree_flatten_with_keys(self): return ((GetAttrKey("v"), self.v),), None
        ...     @classmethod
        ...     def tree_unflatten(cls, aux, children): return cls(*children)
        >>> keystr(tree_leaves_with_path(Box(3))[0][0])
        '.v'
    """
    register_pytree_with_keys(cls, lambda obj: obj.tree_flatten_with_keys(),  # type: ignore[attr-defined]
                              cls.tree_unflatten)  # type: ignore[attr-defined]
    return cls
