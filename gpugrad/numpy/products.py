"""Products: ``dot``, ``vdot``, ``matmul``, ``tensordot``, ``inner``, ``outer``, ``einsum``.

Each one is lowered to the contraction primitive with an explicit einsum spec, so they all
share one pair of derivative rules.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from gpugrad.core.trace import Tracer
from gpugrad.dtypes import result_type
from gpugrad.numpy._complex import conj
from gpugrad.numpy._shape import broadcast_to, ravel
from gpugrad.numpy._ufuncs import FUNCTIONS
from gpugrad.numpy.matrices import einsum_diagonal
from gpugrad.numpy.operands import to_array
from gpugrad.primitives import structural as S
from gpugrad.primitives.contraction import contract, matrix_product

__all__ = ["dot", "einsum", "inner", "matmul", "outer", "tensordot", "vdot"]

_LETTERS = string.ascii_letters


def _promote(*xs: Any) -> Any:
    if len(xs) == 2:  # the common case, two arrays of one dtype, without a generator
        a, b = xs
        if ((type(a) is np.ndarray or isinstance(a, Tracer))
                and (type(b) is np.ndarray or isinstance(b, Tracer))
                and a.dtype == b.dtype and a.dtype.kind in "fciu"):
            return [a, b]
    first = xs[0]
    if all((type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype == first.dtype
           for x in xs) and first.dtype.kind in "fciu":
        return list(xs)  # the common case: arrays of one dtype, nothing to promote
    arrays = [to_array(x) for x in xs]
    dtype = result_type(*arrays)
    return [S.convert(a, dtype) for a in arrays]


def dot(a: Any, b: Any) -> Any:
    """NumPy's ``dot``: inner product of vectors, matrix product, or a sum over the last
    axis of ``a`` and the second-to-last of ``b``.

    Example:
        >>> gnp.dot(gnp.array([1.0, 2.0]), gnp.array([3.0, 4.0]))
        array(11., dtype=float32)
    """
    a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return FUNCTIONS["multiply"](a, b)
    la = _LETTERS[: a.ndim]
    if b.ndim == 1:
        return contract(f"{la},{la[-1]}->{la[:-1]}", a, b)
    lb = _LETTERS[a.ndim : a.ndim + b.ndim - 2] + la[-1] + _LETTERS[a.ndim + b.ndim - 2]
    out = la[:-1] + lb[:-2] + lb[-1]
    return contract(f"{la},{lb}->{out}", a, b)


def matmul(a: Any, b: Any) -> Any:
    """Matrix product with broadcasting batch dimensions (the ``@`` operator).

    Example:
        >>> gnp.matmul(gnp.ones((2, 3)), gnp.ones(3))
        array([3., 3.], dtype=float32)
    """
    a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: an operand is 0-dimensional; use * for scalars")
    if a.ndim == 1 and b.ndim == 1:
        return contract("i,i->", a, b)
    if a.ndim == 1:
        lb = _LETTERS[: b.ndim]
        return contract(f"{lb[-2]},{lb}->{lb[:-2] + lb[-1]}", a, b)
    if b.ndim == 1:
        la = _LETTERS[: a.ndim]
        return contract(f"{la},{la[-1]}->{la[:-1]}", a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({a.shape[-1]} != {b.shape[-2]})")
    return matrix_product(a, b)


def vdot(a: Any, b: Any) -> Any:
    """Dot product of the flattened arrays (the first conjugated).

    Example:
        >>> gnp.vdot(gnp.ones((2, 2)), gnp.ones((2, 2)))
        array(4., dtype=float32)
    """
    a, b = _promote(a, b)
    if a.dtype.kind == "c":
        a = conj(a)
    return contract("i,i->", ravel(a), ravel(b))


def inner(a: Any, b: Any) -> Any:
    """Sum product over the last axes: each row of ``a`` against ``b`` below.

    Example:
        >>> gnp.inner(gnp.array([[1.0, 2.0], [3.0, 5.0]]), gnp.array([1.0, -1.0]))
        array([-1., -2.], dtype=float32)
    """
    a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return FUNCTIONS["multiply"](a, b)
    la = _LETTERS[: a.ndim]
    lb = _LETTERS[a.ndim : a.ndim + b.ndim - 1] + la[-1]
    return contract(f"{la},{lb}->{la[:-1] + lb[:-1]}", a, b)


def outer(a: Any, b: Any) -> Any:
    """Outer product of the flattened arrays.

    Example:
        >>> gnp.outer(gnp.ones(2), gnp.ones(3)).shape
        (2, 3)
    """
    a, b = _promote(a, b)
    return contract("i,j->ij", ravel(a), ravel(b))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum products over the given axes (an int ``n``: the last ``n`` of ``a`` with the
    first ``n`` of ``b``).

    Example:
        >>> gnp.tensordot(gnp.ones((2, 3)), gnp.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    a, b = _promote(a, b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes_a, axes_b = ([axes[0]] if np.ndim(axes[0]) == 0 else list(axes[0]),
                          [axes[1]] if np.ndim(axes[1]) == 0 else list(axes[1]))
        axes_a = [int(x) % a.ndim for x in axes_a]
        axes_b = [int(x) % b.ndim for x in axes_b]
    la = list(_LETTERS[: a.ndim])
    lb = list(_LETTERS[a.ndim : a.ndim + b.ndim])
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: shape mismatch on contracted axes {a.shape[i]} "
                             f"and {b.shape[j]}")
        lb[j] = la[i]
    out = [c for k, c in enumerate(la) if k not in axes_a]
    out += [c for k, c in enumerate(lb) if k not in axes_b]
    return contract(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", a, b)


def _expand_ellipsis(spec: str, operands: list[Any]) -> str:
    if "..." not in spec:
        return spec
    if "->" not in spec:  # implicit output: the broadcast axes first, then the indices
        letters = spec.replace("...", "").replace(",", "")  # that occur once, in order
        spec += "->..." + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    inputs, _, output = spec.partition("->")
    used = set(spec)
    spare = [c for c in _LETTERS if c not in used]
    terms = inputs.split(",")
    width = max((x.ndim - len(t.replace("...", "")) for t, x in zip(terms, operands)
                 if "..." in t), default=0)
    fill = "".join(spare[:width])
    expanded = []
    for t, x in zip(terms, operands):
        if "..." in t:
            k = x.ndim - len(t.replace("...", ""))
            t = t.replace("...", fill[width - k :])
        expanded.append(t)
    return ",".join(expanded) + "->" + output.replace("...", fill)


def _broadcast_unit_axes(terms: list[str], xs: list[Any], spec: str) -> None:
    """Operands broadcast in place where an index has length 1 in some and n in others (an
    ellipsis over batch axes of different lengths, or a named index), as NumPy and JAX
    allow; lengths that differ otherwise are an error naming the index."""
    sizes: dict[str, int] = {}
    for t, x in zip(terms, xs):
        for c, d in zip(t, x.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = d
            elif d not in (1, sizes[c]):
                raise ValueError(f"einsum {spec!r}: index {c!r} has lengths {sizes[c]} and {d} "
                                 "in different operands; they must be equal, or one of them 1")
    for k, (t, x) in enumerate(zip(terms, xs)):
        wanted = tuple(sizes[c] for c in t)
        if wanted != tuple(x.shape):
            xs[k] = broadcast_to(x, wanted)


def _sublist_term(sublist: Any) -> str:
    """One sublist of integer labels (and Ellipsis) as a subscript string."""
    out = []
    for label in sublist:
        if label is Ellipsis:
            out.append("...")
        elif isinstance(label, (int, np.integer)) and 0 <= label < len(_LETTERS):
            out.append(_LETTERS[int(label)])
        else:
            raise ValueError(f"einsum: sublist labels must be integers in [0, {len(_LETTERS)})"
                             f" or Ellipsis, got {label!r}")
    return "".join(out)


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """``(a, [0, 1], b, [1, 2], [0, 2])`` as ``("ab,bc->ac", (a, b))``."""
    output = args[-1] if len(args) % 2 else None  # an odd count ends with the output
    pairs = args[:-1] if len(args) % 2 else args
    operands, sublists = pairs[0::2], pairs[1::2]
    inputs = [_sublist_term(s) for s in sublists]
    if output is not None:
        out_term = _sublist_term(output)
    else:  # NumPy's implicit output: the broadcast axes, then labels seen once, in order
        labels = [int(x) for s in sublists for x in s if x is not Ellipsis]
        once = sorted(k for k in set(labels) if labels.count(k) == 1)
        ellipsis = any(x is Ellipsis for s in sublists for x in s)
        out_term = ("..." if ellipsis else "") + _sublist_term(once)
    return ",".join(inputs) + "->" + out_term, tuple(operands)


def einsum(spec: Any, *operands: Any) -> Any:
    """Einstein summation; more than two operands are contracted left to right. The
    subscripts are a string, or given as sublists of integers after each operand (with
    ``...`` for broadcast axes and an optional output sublist last).

    Example:
        >>> gnp.einsum("ij,j->i", gnp.ones((2, 3)), gnp.ones(3))
        array([3., 3.], dtype=float32)
        >>> gnp.einsum(gnp.ones((2, 3)), [0, 1], gnp.ones(3), [1], [0])
        array([3., 3.], dtype=float32)
    """
    if not isinstance(spec, str):
        spec, operands = _from_sublists((spec, *operands))
    xs = _promote(*operands)
    spec = _expand_ellipsis(spec.replace(" ", ""), xs)
    if "->" in spec:
        inputs, output = spec.split("->")
    else:
        inputs = spec
        counts = {c: inputs.count(c) for c in set(inputs) if c != ","}
        output = "".join(sorted(c for c, n in counts.items() if n == 1))
    terms = inputs.split(",")
    if len(terms) != len(xs):
        raise ValueError(f"einsum: spec {spec!r} names {len(terms)} operands, got {len(xs)}")
    for k, (t, x) in enumerate(zip(terms, xs)):
        if len(t) != x.ndim:
            raise ValueError(f"einsum: term {t!r} has {len(t)} indices for an operand of "
                             f"shape {x.shape}")
        if len(set(t)) != len(t):  # a diagonal or trace: gather the diagonal first

            terms[k], xs[k] = einsum_diagonal(t, x)
    _broadcast_unit_axes(terms, xs, spec)
    if len(xs) == 1:
        return contract(f"{terms[0]}->{output}", xs[0])
    acc, acc_term = xs[0], terms[0]
    for k in range(1, len(xs)):
        later = set(output).union(*terms[k + 1 :])
        keep = "".join(dict.fromkeys(c for c in acc_term + terms[k] if c in later))
        acc = contract(f"{acc_term},{terms[k]}->{keep}", acc, xs[k])
        acc_term = keep
    return contract(f"{acc_term}->{output}", acc) if acc_term != output else acc
