"""Argument handling shared by the transformations: ``argnums``, pytree leaves, and the
checks that turn bad input into a clear error at the call that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.backend import is_cupy_array, namespace_of
from gpugrad.core.trace import Tracer
from gpugrad.dtypes import dtype_of
from gpugrad.numpy import asarray

_SCALARS = (bool, int, float, complex)


_argnums_cache: dict[tuple[Any, int], tuple[tuple[int, ...], bool]] = {}


def normalize_argnums(argnums: Any, nargs: int, what: str) -> tuple[tuple[int, ...], bool]:
    """``(positions, single)``: ``argnums`` as non-negative positions, and whether it was an
    int (one result) rather than a tuple (a tuple of results, even of length one)."""
    key = (argnums, nargs) if isinstance(argnums, (int, tuple)) else None
    if key is not None:
        hit = _argnums_cache.get(key)
        if hit is not None:
            return hit
    result = _normalize_argnums(argnums, nargs, what)
    if key is not None:
        _argnums_cache[key] = result
    return result


def _normalize_argnums(argnums: Any, nargs: int, what: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    items = (argnums,) if single else argnums
    if not isinstance(items, (tuple, list)) or not all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items
    ):
        raise TypeError(f"{what}: argnums must be an int or a tuple of ints, got {argnums!r}")
    out = []
    for a in items:
        a = int(a)
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{what}: argnums {a} is out of range for a function called with {nargs} "
                f"positional argument{'s' if nargs != 1 else ''} (valid: {-nargs} to "
                f"{nargs - 1}); keyword arguments are never differentiated"
            )
        out.append(a % nargs)
    return tuple(out), single


_IDENTITY = [tuple(range(n)) for n in range(256)]


def partial_over(fun: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 argnums: Any, what: str, allow_int: bool
                 ) -> tuple[Callable[..., Any], tuple[Any, ...], bool]:
    """``fun`` as a function of the arguments at ``argnums`` only, those arguments (checked
    for differentiable dtypes), and whether a single result is wanted."""
    positions, single = normalize_argnums(argnums, len(args), what)
    for p in positions:
        check_differentiable(args[p], p, what, allow_int)
    if not kwargs and len(positions) == len(args) < 256 and positions == _IDENTITY[len(args)]:
        return fun, args, single  # every argument differentiated, in order: fun as it is

    def f(*dyn: Any) -> Any:
        full = list(args)
        for p, a in zip(positions, dyn):
            full[p] = a
        return fun(*full, **kwargs)

    return f, tuple([args[p] for p in positions]), single


def _path_text(path: tuple[Any, ...]) -> str:
    return "".join(f"[{k!r}]" for k in path)


def _is_array(x: Any) -> bool:
    return type(x) is np.ndarray or isinstance(x, Tracer) or hasattr(
        x, "__cuda_array_interface__")


def check_differentiable(arg: Any, position: int, what: str, allow_int: bool) -> None:
    if _is_array(arg) and (allow_int or arg.dtype.kind in "fc"):
        return  # the common case, without flattening
    paths, leaves, _ = tree_util.flatten_with_raw_paths(arg)
    for path, leaf in zip(paths, leaves):
        dtype = _leaf_dtype(leaf, f"argument {position}{_path_text(path)}", what)
        if dtype.kind in "biu" and not allow_int:
            raise TypeError(
                f"{what} requires real- or complex-valued inputs, but argument "
                f"{position}{_path_text(path)} has dtype {dtype}. Pass a floating-point "
                f"value (e.g. 1.0 instead of 1, or x.astype('float32')), exclude it from "
                f"argnums, or use allow_int=True to get a zero gradient for it"
            )


def _leaf_dtype(leaf: Any, where: str, what: str) -> np.dtype[Any]:
    if isinstance(leaf, Tracer) or hasattr(leaf, "dtype") or isinstance(leaf, _SCALARS):
        return dtype_of(leaf)
    raise TypeError(
        f"{what}: {where} is a {type(leaf).__name__} ({leaf!r:.60}), not an array; "
        "every leaf of a differentiated argument must be an array or a number (pass other "
        "values as keyword arguments, or outside argnums)"
    )


def prepare_primals(primals: tuple[Any, ...], what: str
                    ) -> tuple[list[Any], Any, list[bool]]:
    """Flatten ``primals``; make every leaf an array; mark integer leaves as constants.

    When every primal is already an array the tree is flat and ``None`` stands for its
    structure (no flattening on the hot path)."""
    flat: list[Any] = []
    for p in primals:  # the common case, a flat list of arrays and numbers: no flattening
        if type(p) is np.ndarray or isinstance(p, Tracer):
            flat.append(p)
        elif type(p) in _SCALARS or isinstance(p, (np.number, np.bool_)):
            flat.append(asarray(p))
        elif hasattr(p, "__cuda_array_interface__"):
            flat.append(p)
        else:
            break
    else:
        return flat, None, [p.dtype.kind not in "fc" for p in flat]
    paths, leaves, treedef = tree_util.flatten_with_raw_paths(primals)
    out = []
    constant = []
    for path, leaf in zip(paths, leaves):
        where = f"argument {path[0]}{_path_text(path[1:])}" if path else "argument"
        dtype = _leaf_dtype(leaf, where, what)
        if not (isinstance(leaf, Tracer) or type(leaf) is np.ndarray
                or hasattr(leaf, "__cuda_array_interface__")):
            leaf = asarray(leaf)
        out.append(leaf)
        constant.append(dtype.kind not in "fc")
    return out, treedef, constant


def split_aux(out: Any, has_aux: bool, what: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"{what} with has_aux=True requires the function to return a pair "
            f"(output, aux), but it returned {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        )
    return out[0], out[1]


def output_array(value: Any, what: str) -> Any:
    """An output leaf as an array (Python numbers become arrays, others are an error)."""
    if isinstance(value, Tracer) or type(value) is np.ndarray or hasattr(
        value, "__cuda_array_interface__"
    ):
        return value
    if isinstance(value, _SCALARS) or isinstance(value, np.generic):
        return asarray(value)
    raise TypeError(f"{what}: the function returned a {type(value).__name__} where an array "
                    "was expected; return arrays (or pytrees of arrays)")


def _mismatch(kind: str, of: str, given: Any, expected: Any) -> ValueError:
    return ValueError(
        f"{kind} {of} has shape {tuple(given.shape)} and dtype {given.dtype}, but it must "
        f"match shape {tuple(expected.shape)} and dtype {expected.dtype}"
    )


def _beside(leaf: Any, like: Any) -> Any:
    """``leaf`` on the device when ``like`` (its primal or output) is there: a host tangent or
    cotangent moves to the device (api.md: host to device, as JAX does), else the derivative
    would come back on the host."""
    if is_cupy_array(like) and not is_cupy_array(leaf) and not isinstance(leaf, Tracer):
        return namespace_of(like).asarray(leaf)
    return leaf


def check_tangent(tangents: tuple[Any, ...], in_tree: Any, primals: list[Any]) -> list[Any]:
    """Tangent leaves matching ``primals`` leaf for leaf, or a ValueError naming both."""
    leaves, tree = tree_util.tree_flatten(tangents)
    if tree != in_tree:
        raise ValueError(f"jvp: tangents have structure {tree} but primals have {in_tree}")
    out: list[Any] = []
    for k, (t, p) in enumerate(zip(leaves, primals)):
        if not hasattr(t, "shape"):
            t = asarray(t, dtype=p.dtype) if isinstance(t, _SCALARS) else asarray(t)
        if p.dtype.kind not in "fc":
            out.append(None)  # integer primals have no tangent space
            continue
        if tuple(t.shape) != tuple(p.shape) or t.dtype != p.dtype:
            raise _mismatch("jvp: tangent", f"leaf {k}", t, p)
        out.append(_beside(t, p))
    return out


def check_ct(ct: Any, out_tree: Any, values: list[Any]) -> list[Any]:
    """Cotangent leaves matching the outputs leaf for leaf, or a ValueError naming both."""
    leaves, tree = tree_util.tree_flatten(ct)
    if tree != out_tree:
        raise ValueError(f"vjp: the cotangent has structure {tree} but the function's output "
                         f"has {out_tree}")
    out = []
    for k, (c, v) in enumerate(zip(leaves, values)):
        if not hasattr(c, "shape"):
            c = asarray(c, dtype=v.dtype) if isinstance(c, _SCALARS) else asarray(c)
        if tuple(c.shape) != tuple(v.shape) or (c.dtype != v.dtype and v.dtype.kind in "fc"):
            raise _mismatch("vjp: cotangent", f"for output leaf {k}", c, v)
        out.append(_beside(c, v))
    return out
