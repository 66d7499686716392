"""NumPy evaluation of a fused expression with few temporaries (for large arrays).

``expr.to_python`` gives one ufunc call per node, and each call allocates its result: a VJP
expression of 15 nodes over 1e6 float32 elements allocates 15 arrays of 4 MB, and every
allocation of that size is fresh memory from the OS (page faults, cache misses). Here the
same expression is generated as Python source in which each ufunc writes with ``out=`` into
a buffer owned by the function: in place into an argument temporary that dies at that node,
else into a buffer freed earlier, else a new one. Peak memory falls from (number of nodes)
to (largest number of simultaneously live temporaries), and the arithmetic is unchanged —
the same ufuncs in the same order, so the results are bit-identical.

Buffer reuse needs every array-valued node to have the same shape and, per kind (boolean or
not), the same dtype: the generated function is specialised to which arguments are arrays
of the full broadcast shape and which are scalars, and
``elementwise_eval.numpy_function_for`` uses it only when that holds, the arrays are large
(the ``chunked_min_size`` option), and every node is a plain ufunc call; otherwise it
returns the plain ``to_python`` function. Contiguous
arrays are evaluated slice by slice, and from the ``parallel_min_size`` option's elements
the slices are shared among the ``eval_threads`` option's threads (``eval_threads.py``).

Example:
    >>> from gpugrad.expr import catalog as C
    >>> from gpugrad.expr.language import var
    >>> print(fused_source(C.exp(-C.square(var(0))) * var(1), 2, (True, True)))
    def _fused(xp, x0, x1):
        t0 = xp.square(x0)
        xp.negative(t0, out=t0)
        xp.exp(t0, out=t0)
        xp.multiply(t0, x1, out=t0)
        return t0
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpugrad.config import live
from gpugrad.expr.language import Expr, OpSpec, depends_on, evaluation_order
from gpugrad.primitives.eval_threads import run_in_shares

__all__ = [
    "fused_function",
    "fused_source",
    "large_evaluator",
]

# Below the chunked_min_size option (gpugrad.config) the plain evaluator stays: a temporary
# then fits in cache and the allocator recycles it cheaply, so buffer bookkeeping would only
# add overhead.

_UFUNC_CALL = re.compile(r"^xp\.(\w+)\((\{\d+\}(?:, \{\d+\})*)\)$")


def _ufunc_name(op: OpSpec) -> str | None:
    """The NumPy ufunc ``op``'s template calls on exactly its arguments, else None."""
    match = _UFUNC_CALL.match(op.numpy)
    if match is None or not isinstance(getattr(np, match.group(1), None), np.ufunc):
        return None
    order = [int(k) for k in re.findall(r"\{(\d+)\}", match.group(2))]
    return match.group(1) if order == list(range(op.arity)) else None


def fusable(expr: Expr) -> bool:
    """Whether every node of ``expr`` is a plain ufunc call (one that accepts ``out=``)."""
    cached = expr.cache.get("fusable")
    if cached is None:
        cached = expr.cache["fusable"] = all(
            isinstance(n.op, OpSpec) and _ufunc_name(n.op) for n in evaluation_order(expr)
        )
    return bool(cached)


def fused_source(expr: Expr, nargs: int, arrays: Sequence[bool], name: str = "_fused",
                 chunked: bool = False) -> str:
    """Python source of ``def name(xp, x0, ...)`` evaluating ``expr`` with buffer reuse.

    ``chunked``: the source of ``def name(xp, out, scratch, x0, ...)`` instead, which takes
    its buffers from the list ``scratch`` (their kinds, boolean or not, as
    :func:`_fused_source` returns them) and writes the result into ``out[0]``: the form
    evaluated slice by slice by :func:`large_evaluator`'s choice.

    ``arrays[i]`` says whether input ``i`` is a floating array of the full (output) shape;
    the others are floating scalars of the same dtype. Nodes that depend only on scalars
    stay scalars. Raises ``ValueError`` for an expression whose buffers could not all be
    typed (a non-boolean ufunc fed by booleans only, say), which the caller evaluates
    the plain way.
    """
    return _fused_source(expr, nargs, arrays, name, chunked)[0]


def _fused_source(expr: Expr, nargs: int, arrays: Sequence[bool], name: str, chunked: bool,
                  exports: Sequence[Expr] = ()) -> tuple[str, list[bool]]:
    """:func:`fused_source`, and the kinds of its buffers (True: boolean).

    Chunked, ``out`` is a list: the result goes to ``out[0]`` and the value of the
    subexpression ``exports[j]`` (floating, of the full shape) to ``out[j + 1]``.
    """
    nodes = evaluation_order(expr)
    export_at = {e: j + 1 for j, e in enumerate(exports)}
    if len(export_at) < len(exports) or expr in export_at:  # each output written once
        raise ValueError("exported values must differ from each other and from the result")
    if not set(export_at) <= set(nodes):
        raise ValueError("an exported value is not a subexpression of the result")
    array_vars = [i for i in range(nargs) if arrays[i]]

    def is_array(node: Expr) -> bool:
        return any(depends_on(node, i) for i in array_vars)

    last_use: dict[Expr, int] = {}
    for k, node in enumerate(nodes):
        for a in node.args:
            last_use[a] = k
    names: dict[Expr, str] = {}
    boolean_node: dict[Expr, bool] = {}
    kind_of: dict[str, bool] = {}  # owned buffer -> holds booleans
    free: list[str] = []  # owned buffers whose value is dead
    head = ["xp", "out", "scratch"] if chunked else ["xp"]
    lines = [f"def {name}({', '.join(head + [f'x{i}' for i in range(nargs)])}):"]
    if chunked and (not nodes or not is_array(expr)):  # nothing would write the output
        raise ValueError("the result is not computed from an array")

    def render(e: Expr) -> str:
        if e.op == "var":
            return f"x{e.value}"
        if e.op == "const":
            return repr(e.value)
        return names[e]

    for k, node in enumerate(nodes):
        assert isinstance(node.op, OpSpec)
        boolean = boolean_node[node] = node.op.out_kind == "bool"
        ufunc = _ufunc_name(node.op)
        if not is_array(node):  # a scalar: no buffer
            names[node] = f"s{k}"
            lines.append(f"    s{k} = {node.op.numpy.format(*map(render, node.args))}")
            continue
        if ufunc is None:
            raise ValueError(f"{node.op.name} is not a plain ufunc call")
        floats = [a for a in node.args if is_array(a) and not boolean_node.get(a, False)]
        if not boolean and not floats:  # NumPy would pick the dtype from booleans
            raise ValueError(f"{node} computes a number from booleans only")
        args = ", ".join(render(a) for a in node.args)
        dying = [names[a] for a in dict.fromkeys(node.args)
                 if a in names and last_use[a] == k and names[a] in kind_of]
        reusable = [b for b in dying if kind_of[b] == boolean]
        pool = [b for b in free if kind_of[b] == boolean]
        if chunked and node is expr:
            lines.append(f"    xp.{ufunc}({args}, out=out[0])")
            return "\n".join([*lines, "    return out"]), list(kind_of.values())
        if node in export_at:  # written straight to its own output, never reused
            if boolean:
                raise ValueError("an exported value is boolean")
            target = names[node] = f"out[{export_at[node]}]"
            lines.append(f"    xp.{ufunc}({args}, out={target})")
            free += [b for b in dying if b not in free]
            continue
        if reusable or pool:  # in place: a ufunc reads each element before writing it
            target = reusable[0] if reusable else pool[0]
            if target in free:
                free.remove(target)
            lines.append(f"    xp.{ufunc}({args}, out={target})")
        else:
            target = f"t{len(kind_of)}"
            kind_of[target] = boolean
            if chunked:
                lines.append(f"    {target} = scratch[{len(kind_of) - 1}]")
                lines.append(f"    xp.{ufunc}({args}, out={target})")
            else:
                lines.append(f"    {target} = xp.{ufunc}({args})")
        free += [b for b in dying if b != target and b not in free]
        names[node] = target
    lines.append(f"    return {render(expr)}")
    return "\n".join(lines), list(kind_of.values())


def fused_function(expr: Expr, nargs: int, arrays: tuple[bool, ...]) -> Callable[..., Any]:
    """The compiled :func:`fused_source` (generated once per expression and array pattern)."""
    key = ("fused", nargs, arrays)
    fn = expr.cache.get(key)
    if fn is None:
        namespace: dict[str, Any] = {}
        source = fused_source(expr, nargs, arrays)
        exec(compile(source, f"<gpugrad fused {expr}>", "exec"), namespace)
        fn = expr.cache[key] = namespace["_fused"]
    return fn  # type: ignore[no-any-return]


def large_evaluator(expr: Expr, args: Sequence[Any], plain: Callable[..., Any]
                    ) -> tuple[Callable[..., Any], str, str]:
    """The evaluator of ``expr`` over NumPy ``args`` of at least ``chunked_min_size`` elements,
    the name of that evaluator and why it was chosen: slice by slice (contiguous arrays), with
    reused buffers (strided ones), or ``plain`` (the ``to_python`` evaluator) where neither
    applies."""
    first = next((a for a in args if type(a) is np.ndarray and a.ndim), None)
    if first is None:
        return plain, "plain NumPy", "no array among the arguments"
    shape, dtype = first.shape, first.dtype
    if dtype.kind != "f":
        return plain, "plain NumPy", f"{dtype} is not floating"
    if not fusable(expr):
        return plain, "plain NumPy", "an operation that is not a ufunc call"
    layout = _layout(args, shape, dtype)
    if layout is None:
        return plain, "plain NumPy", "arrays of different shapes or dtypes (broadcasting)"
    pattern, contiguous, broadcast_scalar = layout
    nodes = expr.cache.get("nodes")  # a walk of the tree: once per expression, not per call
    if nodes is None:
        nodes = expr.cache["nodes"] = len(evaluation_order(expr))
    if nodes < 2:  # one ufunc call, as the plain function makes it
        return plain, "plain NumPy", "a single operation: nothing to fuse"
    size = f"size >= chunked_min_size={live.chunked_min_size}"
    if contiguous:
        chunked = _chunked_function(expr, len(args), pattern)
        if chunked is not None:
            compiled = chunked

            def _chunked(xp: Any, *values: Any) -> Any:
                return _run_chunked(compiled, pattern, shape, dtype, values)

            threads = _slicing(first.size)[2]
            if threads > 1:
                return _chunked, "chunked NumPy", (
                    f"{size}, contiguous; {threads} threads, "
                    f"size >= parallel_min_size={live.parallel_min_size}")
            return _chunked, "chunked NumPy", f"{size}, contiguous"
    try:
        fn = fused_function(expr, len(args), pattern)
    except ValueError:  # buffers that cannot be typed: remember to evaluate it plainly
        expr.cache[("fused", len(args), pattern)] = plain
        return plain, "plain NumPy", "buffers that cannot be typed"
    if fn is plain:
        return plain, "plain NumPy", "buffers that cannot be typed"
    if broadcast_scalar:  # (a cotangent of a sum): its one value, as a scalar
        reused = fn

        def _single_values(xp: Any, *values: Any) -> Any:
            return reused(xp, *[_single_value(v) if not is_array else v
                                for v, is_array in zip(values, pattern)])

        return _single_values, "NumPy with reused buffers", f"{size}, strided"
    return fn, "NumPy with reused buffers", f"{size}, strided"


def _single_value(value: Any) -> Any:
    """The one value of an array broadcast from a single element (strides all zero)."""
    if type(value) is np.ndarray and value.ndim:
        return value[(0,) * value.ndim]
    return value


def _layout(args: Sequence[Any], shape: tuple[int, ...], dtype: Any
            ) -> tuple[tuple[bool, ...], bool, bool] | None:
    """(which arguments are full arrays, whether those are all contiguous, whether one is a
    single value broadcast) when every array has ``shape`` and every value ``dtype``; else
    None (broadcasting, mixed dtypes, a boolean or differently typed scalar)."""
    arrays: list[bool] = []
    contiguous = True
    broadcast_scalar = False
    for a in args:
        if type(a) is np.ndarray and a.ndim:
            if a.shape != shape or a.dtype != dtype:
                return None
            if not any(a.strides):  # one value broadcast (a cotangent of sum, say)
                arrays.append(False)
                broadcast_scalar = True
                continue
            arrays.append(True)
            contiguous = contiguous and a.flags.c_contiguous
        elif type(a) in (float, int) or getattr(a, "dtype", None) == dtype:
            arrays.append(False)
        else:
            return None
    return tuple(arrays), contiguous, broadcast_scalar


# A chunked evaluator, the kinds of its scratch buffers (True: boolean), and whether the
# result is boolean (a comparison: its output buffer is then boolean, not the inputs' dtype).
Chunked = tuple[Callable[..., Any], list[bool], bool]


def _chunked_function(expr: Expr, nargs: int, arrays: tuple[bool, ...],
                      exports: tuple[Expr, ...] = ()) -> Chunked | None:
    key = ("chunked", nargs, arrays, exports)
    hit = expr.cache.get(key, False)
    if hit is False:
        try:
            source, kinds = _fused_source(expr, nargs, arrays, "_fused", True, exports)
        except ValueError:
            hit = None
        else:
            namespace: dict[str, Any] = {}
            exec(compile(source, f"<gpugrad chunked {expr}>", "exec"), namespace)
            boolean = isinstance(expr.op, OpSpec) and expr.op.out_kind == "bool"
            hit = (namespace["_fused"], kinds, boolean)
        expr.cache[key] = hit
    return hit  # type: ignore[no-any-return]


def _slicing(size: int) -> tuple[int, int, int]:
    """(elements per slice, number of slices, number of threads) of a chunked evaluation of
    ``size`` elements."""
    # Slices of the chunk_size option's elements (gpugrad.config): each buffer of a slice
    # stays in cache between the ufuncs that write and read it, and a few dozen slices per
    # million elements keep the per-slice Python cost small against the arithmetic. At
    # least eight slices, so that the buffers stay a small fraction of one array.
    step = max(min(live.chunk_size, max(size // 8, 1024)), 1)
    slices = -(-size // step)
    if size < live.parallel_min_size:  # a hand-off to a thread would cost more than it saves
        return step, slices, 1
    return step, slices, max(min(live.eval_threads, slices), 1)


def _run_chunked(compiled: Chunked, arrays: tuple[bool, ...],
                 shape: tuple[int, ...], dtype: Any, args: Sequence[Any], outputs: int = 1
                 ) -> Any:
    """Evaluate slice by slice into one output (or a list of ``outputs``, see
    :func:`evaluate_with_exports`): the temporaries of the whole expression then cost a
    few cache-sized buffers instead of full arrays of fresh memory. From the
    ``parallel_min_size`` option's elements the slices are shared among ``eval_threads``
    threads (``eval_threads.run_in_shares``)."""
    fn, kinds, boolean = compiled
    size = 1
    for d in shape:
        size *= d
    values: list[Any] = []
    for a, is_array in zip(args, arrays):
        if is_array:
            values.append(a.reshape(-1))
        elif type(a) is np.ndarray and a.ndim:
            values.append(a[(0,) * a.ndim])  # a broadcast single value
        else:
            values.append(a)
    outs = [np.empty(size, bool if boolean and k == 0 else dtype) for k in range(outputs)]
    step, slices, shares = _slicing(size)

    def run_slices(begin: int, end: int) -> None:
        # Scratch buffers of its own: the generated function writes them.
        scratch = [np.empty(step, bool if k else dtype) for k in kinds]
        for start in range(begin, end, step):
            stop = start + step
            if stop > end:
                scratch = [b[: end - start] for b in scratch]
            fn(np, [o[start:stop] for o in outs], scratch,
               *[v[start:stop] if is_array else v for v, is_array in zip(values, arrays)])

    if shares > 1:  # contiguous runs of whole slices: the same slices as on one thread
        run_in_shares(run_slices, [min(k * slices // shares * step, size)
                                   for k in range(shares + 1)])
    else:
        run_slices(0, size)
    if outputs == 1:
        return outs[0].reshape(shape)
    return [o.reshape(shape) for o in outs]


def evaluate_with_exports(expr: Expr, args: Sequence[Any], exports: tuple[Expr, ...]
                          ) -> list[Any] | None:
    """``[value of expr, value of exports[0], ...]`` from one chunked pass over ``args``,
    or None where that evaluation does not apply (small, broadcast, strided or mixed-dtype
    arrays; an export that is not a floating subexpression of ``expr``)."""
    first = next((a for a in args if type(a) is np.ndarray and a.ndim), None)
    if first is None or first.size < live.chunked_min_size or first.dtype.kind != "f":
        return None
    shape, dtype = first.shape, first.dtype
    layout = _layout(args, shape, dtype)
    if layout is None or not layout[1] or not fusable(expr):
        return None
    pattern = layout[0]
    compiled = _chunked_function(expr, len(args), pattern, exports)
    if compiled is None:
        return None
    with np.errstate(all="ignore"):
        values = _run_chunked(compiled, pattern, shape, dtype, args, 1 + len(exports))
    return values if exports else [values]
