"""``jit`` and ``make_jaxpr``: trace a function once per kind of argument into a program,
then run the compiled program.

The cache key of a call is everything tracing depends on: the pytree structure of the
arguments, each leaf's shape, dtype and weak type, the values of static arguments, the
backend, and the configuration options that change what is traced (64-bit mode, the PRNG
layout). A call with a new key traces again; any other runs the program compiled for it.

Called with tracers of an outer transformation (``grad(jit(f))``, ``vmap(jit(f))``), the
program runs one equation at a time through ``bind``, so the outer transformation sees the
primitives the function applies, exactly as if it had been called without ``jit``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.backend import default_backend, get_xp, is_cupy_array, namespace_of
from gpugrad.compiler import Compiled, compile_program
from gpugrad.config import live
from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.core.program import Program, eval_program
from gpugrad.core.staging import trace_to_program
from gpugrad.core.trace import Tracer
from gpugrad.naming import P, R

__all__ = ["jit", "make_jaxpr"]

_SCALARS = (bool, int, float, complex)



class _Entry:
    """One traced and compiled version of the function."""

    __slots__ = ("backend", "compiled", "consts", "out_tree", "program", "scalars",
                 "traced_consts")

    def __init__(self, program: Program, consts: list[Any], out_tree: Any, backend: str
                 ) -> None:
        self.program = program
        self.consts = consts
        self.out_tree = out_tree
        self.backend = backend  # "numpy" or "cupy": the arrays the program runs on
        # A tracer of an outer transformation that the function closed over: the program
        # must then run through bind, and is not kept for another call.
        self.traced_consts = any(isinstance(c, Tracer) for c in consts)
        self.compiled: Compiled | None = None
        # (position, dtype) of each argument leaf that is a Python number, for the fast path.
        self.scalars: tuple[tuple[int, Any], ...] = ()


def _static_positions(fun: Callable[..., Any], static_argnums: Any, static_argnames: Any
                      ) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """``static_argnums`` and ``static_argnames``, each completed by the other through the
    signature of ``fun`` where it has one (as JAX does)."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"jit: static_argnums must be ints, got {static_argnums!r}")
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return nums, names
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    for n in nums:
        if not has_varargs and not -len(positional) <= n < len(positional):
            raise ValueError(
                f"jit: static_argnums {n} is out of range for {_name(fun)}, which takes "
                f"{len(positional)} positional argument(s)")
    extra_names = tuple(positional[n].name for n in nums
                        if -len(positional) <= n < len(positional)
                        and positional[n].kind == positional[n].POSITIONAL_OR_KEYWORD)
    extra_nums = tuple(i for i, p in enumerate(positional) if p.name in names)
    return (tuple(sorted(set(nums) | set(extra_nums))),
            tuple(dict.fromkeys(names + extra_names)))


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _hashable(value: Any, what: str) -> Hashable:
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"jit: the static argument {what} must be hashable (it is part of the key under "
            f"which the compiled program is kept), but it is a {type(value).__name__}: "
            f"{value!r:.80}. Pass a tuple instead of a list, or make the argument dynamic "
            "(leave it out of static_argnums / static_argnames)") from None
    return value  # type: ignore[no-any-return]


def _leaf_aval(leaf: Any, where: str) -> ShapedArray:
    if isinstance(leaf, (np.ndarray, Tracer, np.generic, *_SCALARS)) or is_cupy_array(leaf):
        return abstractify(leaf)
    raise TypeError(
        f"jit: {where} is a {type(leaf).__name__} ({leaf!r:.60}), which is not an array or a "
        "number, so it cannot be traced. Mark it static (static_argnums / static_argnames) "
        "if it configures the function, or pass arrays")


def _is_python_number(leaf: Any) -> bool:
    return isinstance(leaf, _SCALARS) and not isinstance(leaf, np.generic)


def _leaf_value(leaf: Any, aval: ShapedArray, xp: Any) -> Any:
    """A Python number becomes a 0-d array of its (default) dtype when the program runs."""
    if _is_python_number(leaf):
        return xp.asarray(leaf, aval.dtype)
    return leaf


def jit(fun: Callable[P, R], static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
        ) -> Callable[P, R]:
    """``fun`` traced once per kind of argument into a program, which then runs compiled.

    The function is traced with abstract values (shapes and dtypes, no values) the first
    time it meets arguments of a given pytree structure, shapes, dtypes and static values;
    the recorded program is optimized (dead code removed, common subexpressions merged,
    constants folded, elementwise chains fused into one evaluation) and kept, and later
    calls with the same kind of arguments run it without calling ``fun``. So Python side
    effects in ``fun`` (printing, appending to a list) happen while tracing only, and
    Python control flow may depend on shapes, dtypes and static arguments but not on the
    values of the other arguments: use ``gpugrad.numpy.where`` or ``gpugrad.lax`` there.

    ``static_argnums`` / ``static_argnames`` name arguments that are passed to ``fun`` as
    they are (hashable values: a new value traces again). ``donate_argnums`` is accepted
    for compatibility; NumPy and CuPy arrays are not reused in place, so it changes nothing.

    Example:
        >>> f = gpugrad.jit(lambda x: gnp.sum(gnp.sin(x) ** 2))
        >>> float(f(np.zeros(3)))
        0.0
        >>> gpugrad.jit(gpugrad.grad(lambda x: gnp.sum(x ** 3)))(np.array([1.0, 2.0]))
        array([ 3., 12.])
    """
    if not callable(fun):
        raise TypeError(f"jit: expected a function, got {type(fun).__name__} {fun!r:.60}")
    static_nums, static_names = _static_positions(fun, static_argnums, static_argnames)
    cache: dict[Any, _Entry] = {}
    # The same compiled entries, keyed by what NumPy arrays and Python numbers show without
    # computing their abstract values: a call of the common kind skips abstractify.
    fast: dict[Any, _Entry] = {}
    has_statics = bool(static_nums or static_names)

    @functools.wraps(fun)
    def jitted(*args: Any, **kwargs: Any) -> Any:
        statics, dyn_args, dyn_kwargs = _split(len(args), static_nums, static_names, args,
                                               kwargs) if has_statics else ((), args, kwargs)
        leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kwargs))
        signature = _numpy_signature(leaves)
        key = None
        if signature is not None:
            key = (in_tree, signature, statics, live.enable_x64,
                   live.threefry_partitionable)
            hit = fast.get(key)
            if hit is not None:
                return _run_fast(hit, leaves)
        entry, leaves, avals = _lookup(fun, cache, static_nums, static_names, args, kwargs)
        out = _run(entry, leaves, avals)
        if key is not None and entry.compiled is not None:  # compiled: kept for later calls
            entry.scalars = tuple((i, aval.dtype) for i, (leaf, aval) in
                                  enumerate(zip(leaves, avals)) if type(leaf) in _SCALARS)
            fast[key] = entry
        return out

    jitted._cache = cache  # type: ignore[attr-defined]  # for tests: what was traced
    return jitted


def _numpy_signature(leaves: list[Any]) -> tuple[Any, ...] | None:
    """Each leaf's shape and dtype (a NumPy array) or type (a Python number), or None when
    a leaf is anything else (a tracer, a CuPy array, a NumPy scalar: the full lookup)."""
    signature: list[Any] = []
    arrays = False
    for leaf in leaves:
        kind = type(leaf)
        if kind is np.ndarray:
            signature.append((leaf.shape, leaf.dtype))
            arrays = True
        elif kind in _SCALARS:
            signature.append(kind)
        else:
            return None
    if not arrays:  # Python numbers alone run on the default backend (see _lookup)
        signature.append(default_backend())
    return tuple(signature)


def _run_fast(entry: _Entry, leaves: list[Any]) -> Any:
    """Run the compiled program of an entry found by :func:`_numpy_signature`."""
    asarray = np.asarray if entry.backend == "numpy" else get_xp(entry.backend).asarray
    for i, dtype in entry.scalars:
        leaves[i] = asarray(leaves[i], dtype)
    assert entry.compiled is not None
    return tree_util.tree_unflatten(entry.out_tree, entry.compiled(leaves))


def _split(nargs: int, static_nums: tuple[int, ...], static_names: tuple[str, ...],
           args: tuple[Any, ...], kwargs: dict[str, Any]
           ) -> tuple[tuple[Any, ...], tuple[Any, ...], dict[str, Any]]:
    """(static values as (position or name, value) pairs, dynamic args, dynamic kwargs)."""
    if not static_nums and not static_names:
        return (), args, kwargs
    statics: list[Any] = []
    positions = sorted({n % nargs for n in static_nums if -nargs <= n < nargs})
    for n in positions:
        statics.append((n, _hashable(args[n], f"at position {n}")))
    dyn_args = tuple(a for i, a in enumerate(args) if i not in positions)
    dyn_kwargs = {}
    for k in sorted(kwargs):
        if k in static_names:
            statics.append((k, _hashable(kwargs[k], repr(k))))
        else:
            dyn_kwargs[k] = kwargs[k]
    return tuple(statics), dyn_args, dyn_kwargs


def _lookup(fun: Callable[..., Any], cache: dict[Any, _Entry], static_nums: tuple[int, ...],
            static_names: tuple[str, ...], args: tuple[Any, ...], kwargs: dict[str, Any]
            ) -> tuple[_Entry, list[Any], list[ShapedArray]]:
    statics, dyn_args, dyn_kwargs = _split(len(args), static_nums, static_names, args, kwargs)
    leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kwargs))
    avals = [_leaf_aval(leaf, f"argument leaf {i}") for i, leaf in enumerate(leaves)]
    xp = namespace_of(*leaves)
    if all(_is_python_number(leaf) for leaf in leaves):
        # No array says where to run: Python numbers go to the default backend, as ``grad``
        # puts them (and JAX on its default device).
        xp = get_xp()
    key = (in_tree, tuple(avals), statics, xp.__name__, live.enable_x64,
           live.threefry_partitionable)
    entry = cache.get(key)
    if entry is not None:
        return entry, leaves, avals
    out_trees = []

    def flat_fun(*flat: Any) -> list[Any]:
        dyn, kw = tree_util.tree_unflatten(in_tree, list(flat))
        full = list(dyn)
        for where, value in statics:
            if isinstance(where, int):
                full.insert(where, value)  # positions ascend: each lands where it was
            else:
                kw[where] = value
        out_leaves, out_tree = tree_util.tree_flatten(fun(*full, **kw))
        out_trees.append(out_tree)
        return out_leaves  # type: ignore[no-any-return]

    program, consts = trace_to_program(flat_fun, avals, xp)
    entry = _Entry(program, consts, out_trees[0], xp.__name__)
    if not entry.traced_consts:
        cache[key] = entry
    return entry, leaves, avals


def _run(entry: _Entry, leaves: list[Any], avals: list[ShapedArray]) -> Any:
    xp = np if entry.backend == "numpy" else get_xp(entry.backend)
    values = [_leaf_value(leaf, aval, xp) for leaf, aval in zip(leaves, avals)]
    if entry.traced_consts or any(isinstance(v, Tracer) for v in values):
        outs = eval_program(entry.program, entry.consts, values)
    else:
        if entry.compiled is None:
            entry.compiled = compile_program(entry.program, entry.consts, entry.backend)
        outs = entry.compiled(values)
    return tree_util.tree_unflatten(entry.out_tree, outs)


def make_jaxpr(fun: Callable[P, Any], static_argnums: int | Sequence[int] = ()
               ) -> Callable[P, Program]:
    """A function that traces ``fun`` on the given arguments and returns its program,
    which prints as JAX prints a jaxpr.

    Example:
        >>> print(gpugrad.make_jaxpr(lambda x: gnp.sum(x * 2.0))(np.ones(3, np.float32)))
        { lambda ; a:f32[3]. let
            b:f32[3] = elementwise[expr=mul(x0, x1)] a 2.0:f32[]
            c:f32[] = reduce_sum[axes=(0,)] b
          in (c,) }
    """
    static_nums, _ = _static_positions(fun, static_argnums, ())

    def traced(*args: Any, **kwargs: Any) -> Program:
        entry, _, _ = _lookup(fun, {}, static_nums, (), args, kwargs)
        return entry.program

    return traced
