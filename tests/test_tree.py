"""gpugrad.tree and gpugrad.tree_util against jax.tree / jax.tree_util 0.10.2 on nested dicts,
lists, tuples, namedtuples, None and registered classes: leaves, structures, paths (the same
key types, printed the same by keystr), maps, reductions, transposes, is_leaf."""

from __future__ import annotations

import operator
from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import gpugrad
from gpugrad import tree_util as tu

jax = pytest.importorskip("jax")
jtu = jax.tree_util

Point = namedtuple("Point", ["x", "y"])


class Pair:
    """A node registered without keys in both libraries (paths use flat indices)."""

    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pair) and (self.a, self.b) == (other.a, other.b)

    __hash__ = None  # type: ignore[assignment]


class Named:
    """A node registered with keys in both libraries."""

    def __init__(self, w: Any, b: Any) -> None:
        self.w, self.b = w, b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Named) and (self.w, self.b) == (other.w, other.b)

    __hash__ = None  # type: ignore[assignment]


def _pair_children(p: Pair) -> tuple[tuple[Any, Any], None]:
    return (p.a, p.b), None


tu.register_pytree_node(Pair, _pair_children, lambda aux, ch: Pair(*ch))
jtu.register_pytree_node(Pair, _pair_children, lambda aux, ch: Pair(*ch))
tu.register_pytree_with_keys(
    Named, lambda n: (((tu.GetAttrKey("w"), n.w), (tu.GetAttrKey("b"), n.b)), "aux"),
    lambda aux, ch: Named(*ch))
jtu.register_pytree_with_keys(
    Named, lambda n: (((jtu.GetAttrKey("w"), n.w), (jtu.GetAttrKey("b"), n.b)), "aux"),
    lambda aux, ch: Named(*ch))

TREES: dict[str, Any] = {
    "leaf": 1.5,
    "none": None,
    "empty": ((), [], {}),
    "nested": {"b": [1, (2, None)], "a": Point(3, {"z": 4}), "c": None},
    "custom": [Pair(1, {"k": (2, 3)}), Named(4, [5, None])],
    "arrays": {"w": np.ones((2, 3)), "b": np.zeros(3)},
}


def _key(k: Any) -> tuple[str, Any]:
    """A key of either library as (type name, value): they are different classes."""
    for attr in ("key", "idx", "name"):
        if hasattr(k, attr):
            return type(k).__name__, getattr(k, attr)
    raise AssertionError(f"unknown key {k!r}")


def _paths(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, ...]]:
    return [(tuple(_key(k) for k in path), leaf) for path, leaf in pairs]


def _same_leaves(a: list[Any], b: list[Any]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", sorted(TREES))
def test_leaves_structure_and_flatten_match_jax(name: str) -> None:
    tree = TREES[name]
    _same_leaves(gpugrad.tree.leaves(tree), jax.tree.leaves(tree))
    leaves, treedef = gpugrad.tree.flatten(tree)
    assert treedef.num_leaves == jax.tree.structure(tree).num_leaves == len(leaves)
    assert treedef.num_nodes == jax.tree.structure(tree).num_nodes
    rebuilt = gpugrad.tree.unflatten(treedef, [10 * i for i in range(len(leaves))])
    expected = jax.tree.unflatten(jax.tree.structure(tree), [10 * i for i in range(len(leaves))])
    assert rebuilt == expected
    assert gpugrad.tree.structure(rebuilt) == treedef


@pytest.mark.parametrize("name", sorted(TREES))
def test_paths_match_jax(name: str) -> None:
    tree = TREES[name]
    ours, theirs = gpugrad.tree.leaves_with_path(tree), jax.tree.leaves_with_path(tree)
    assert [p for p, _ in _paths(ours)] == [p for p, _ in _paths(theirs)]
    assert [tu.keystr(p) for p, _ in ours] == [jtu.keystr(p) for p, _ in theirs]
    for simple, sep in ((True, "/"), (False, "|")):
        assert ([tu.keystr(p, simple=simple, separator=sep) for p, _ in ours]
                == [jtu.keystr(p, simple=simple, separator=sep) for p, _ in theirs])
    pairs, treedef = gpugrad.tree.flatten_with_path(tree)
    assert [p for p, _ in _paths(pairs)] == [p for p, _ in _paths(ours)]
    assert treedef == gpugrad.tree.structure(tree)


def test_keystr_of_every_key_type() -> None:
    path = (tu.DictKey("a"), tu.SequenceKey(0), tu.GetAttrKey("x"), tu.FlattenedIndexKey(2))
    jpath = (jtu.DictKey("a"), jtu.SequenceKey(0), jtu.GetAttrKey("x"),
             jtu.FlattenedIndexKey(2))
    assert tu.keystr(path) == jtu.keystr(jpath) == "['a'][0].x[<flat index 2>]"
    assert repr(path[0]) == repr(jpath[0]) == "DictKey(key='a')"
    assert repr(path[1]) == repr(jpath[1]) == "SequenceKey(idx=0)"


def _same_tree(ours: Any, theirs: Any) -> None:
    """The same leaves in the same structure (dicts compare equal in any key order)."""
    _same_leaves(gpugrad.tree.leaves(ours), jax.tree.leaves(theirs))
    assert gpugrad.tree.structure(ours).num_nodes == jax.tree.structure(theirs).num_nodes
    if not any(isinstance(x, np.ndarray) for x in jax.tree.leaves(theirs)):
        assert ours == theirs


@pytest.mark.parametrize("name", sorted(TREES))
def test_map_and_map_with_path_match_jax(name: str) -> None:
    tree = TREES[name]
    _same_tree(gpugrad.tree.map(lambda x: x * 2, tree), jax.tree.map(lambda x: x * 2, tree))
    other = gpugrad.tree.map(lambda x: x + 1, tree)
    _same_tree(gpugrad.tree.map(operator.sub, other, tree),
               jax.tree.map(operator.sub, other, tree))
    ours = gpugrad.tree.map_with_path(lambda p, x, y: tu.keystr(p), tree, other)
    theirs = jax.tree.map_with_path(lambda p, x, y: jtu.keystr(p), tree, other)
    _same_tree(ours, theirs)


def test_is_leaf_and_is_leaf_takes_path_match_jax() -> None:
    tree = TREES["nested"]

    def by_type(x: Any) -> bool:
        return isinstance(x, tuple) and not isinstance(x, Point)

    _same_leaves(gpugrad.tree.leaves(tree, is_leaf=by_type), jax.tree.leaves(tree,
                                                                             is_leaf=by_type))
    assert gpugrad.tree.leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]

    def at_depth_two(path: Any, x: Any) -> bool:
        return len(path) == 2

    ours = gpugrad.tree.leaves_with_path(tree, is_leaf=at_depth_two, is_leaf_takes_path=True)
    theirs = jax.tree.leaves_with_path(tree, is_leaf=at_depth_two, is_leaf_takes_path=True)
    assert _paths(ours) == _paths(theirs)
    mapped = gpugrad.tree.map_with_path(lambda p, x: len(p), tree, is_leaf=at_depth_two,
                                        is_leaf_takes_path=True)
    assert mapped == jax.tree.map_with_path(lambda p, x: len(p), tree, is_leaf=at_depth_two,
                                            is_leaf_takes_path=True)


def test_reduce_all_transpose_broadcast_match_jax() -> None:
    tree = {"a": [1, 2], "b": (3, None, 4)}
    assert gpugrad.tree.reduce(operator.add, tree) == jax.tree.reduce(operator.add, tree) == 10
    assert gpugrad.tree.reduce(operator.add, tree, 100) == 110
    assert gpugrad.tree.reduce(operator.add, [], 5) == 5
    with pytest.raises(TypeError, match="empty"):
        gpugrad.tree.reduce(operator.add, [None])
    for t in ([], [True, (1, None)], {"a": [1, 0]}, [np.array(True)]):
        assert gpugrad.tree.all(t) == jax.tree.all(t)
    outer, inner = gpugrad.tree.structure([0, 0, 0]), gpugrad.tree.structure({"m": 0, "v": 0})
    stacked = [{"m": i, "v": -i} for i in range(3)]
    expected = jax.tree.transpose(jax.tree.structure([0, 0, 0]),
                                  jax.tree.structure({"m": 0, "v": 0}), stacked)
    assert gpugrad.tree.transpose(outer, inner, stacked) == expected
    assert gpugrad.tree.transpose(outer, None, stacked) == expected
    prefix, full = [1, {"a": 2}], [(0, 0), {"a": [0, 0]}]
    assert gpugrad.tree.broadcast(prefix, full) == jax.tree.broadcast(prefix, full)


def test_tree_util_keeps_jax_names() -> None:
    names = ["tree_map", "tree_leaves", "tree_structure", "tree_flatten", "tree_unflatten",
             "tree_reduce", "tree_all", "tree_transpose", "tree_map_with_path",
             "tree_leaves_with_path", "tree_flatten_with_path", "keystr", "Partial",
             "register_pytree_node", "register_pytree_node_class", "register_pytree_with_keys",
             "register_pytree_with_keys_class", "DictKey", "SequenceKey", "GetAttrKey",
             "FlattenedIndexKey", "all_leaves", "treedef_is_leaf"]
    missing = [n for n in names if not hasattr(gpugrad.tree_util, n)]
    assert not missing and all(hasattr(jtu, n) for n in names)
    for name in ("map", "leaves", "structure", "flatten", "unflatten", "reduce", "all",
                 "transpose", "leaves_with_path", "map_with_path", "flatten_with_path"):
        assert callable(getattr(gpugrad.tree, name)) and hasattr(jax.tree, name)


def test_partial_is_a_pytree_through_grad() -> None:
    import gpugrad.numpy as gnp

    scale = tu.Partial(gnp.multiply, np.array(3.0))
    assert tu.tree_leaves(scale) == [np.array(3.0)]
    doubled = tu.tree_map(lambda x: 2 * x, scale)
    assert isinstance(doubled, tu.Partial) and float(doubled(np.array(1.0))) == 6.0
    g = gpugrad.grad(lambda f, x: f(x), argnums=0)(scale, np.array(2.0))
    assert isinstance(g, tu.Partial) and float(g.args[0]) == 2.0


def test_register_pytree_with_keys_class_and_all_leaves() -> None:
    @tu.register_pytree_with_keys_class
    class Box:
        def __init__(self, v: Any) -> None:
            self.v = v

        def tree_flatten_with_keys(self) -> Any:
            return ((tu.GetAttrKey("v"), self.v),), None

        @classmethod
        def tree_unflatten(cls, aux: Any, children: Any) -> Box:
            return cls(*children)

    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path({"b": Box(1)})] == ["['b'].v"]
    assert tu.all_leaves([1, 2.0, np.ones(2)]) and not tu.all_leaves([1, Box(2)])
    assert tu.treedef_is_leaf(tu.tree_structure(1))
    assert not tu.treedef_is_leaf(tu.tree_structure(Box(1)))


def test_grad_error_names_the_argument_path() -> None:
    # tree_util's JAX-style paths replaced optree's in the public function; the messages of
    # grad and vmap still name the argument by its raw path.
    with pytest.raises(TypeError, match=r"argument 0\['n'\]\[1\] has dtype int"):
        gpugrad.grad(lambda p: 0.0)({"n": [1.0, 2]})
