"""The contraction primitive: ``einsum`` of one or two operands, the engine of every product.

``dot``, ``matmul``, ``tensordot``, ``inner``, ``outer``, ``vdot`` and ``einsum`` of
``gpugrad.numpy`` all lower to this one primitive with an explicit spec (``"ab,bc->ac"``).
Its VJP for an operand is again a contraction: the output cotangent with the other operand,
back to the operand's indices (an index summed away from that operand alone comes back by
broadcasting). Its JVP is bilinear: one contraction per operand with a tangent.

Two-operand contractions run as one batched ``matmul`` (BLAS, or cuBLAS on CuPy) after
transposes and reshapes planned once per (spec, shapes).
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.broadcasting import broadcast_to
from gpugrad.primitives.operations import add
from gpugrad.primitives.shape_rules import accumulated_dtype
from gpugrad.primitives.structural import reshape

__all__ = ["einsum_p", "contract"]

einsum_p = Primitive("einsum")


def parse(spec: str) -> tuple[list[str], str]:
    inputs, output = spec.split("->")
    return inputs.split(","), output


@lru_cache(maxsize=4096)
def _plan(spec: str, shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[Any, ...]:
    (ia, ib), out = parse(spec)
    size = dict(zip(ia, shape_a))
    size.update(zip(ib, shape_b))
    batch = [c for c in out if c in ia and c in ib]
    contract = [c for c in ia if c in ib and c not in out]
    free_a = [c for c in ia if c in out and c not in ib]
    free_b = [c for c in ib if c in out and c not in ia]
    sum_a = tuple(i for i, c in enumerate(ia) if c not in out and c not in ib)
    sum_b = tuple(i for i, c in enumerate(ib) if c not in out and c not in ia)
    ia_kept = [c for c in ia if c in out or c in ib]
    ib_kept = [c for c in ib if c in out or c in ia]
    perm_a = [ia_kept.index(c) for c in batch + free_a + contract]
    perm_b = [ib_kept.index(c) for c in batch + contract + free_b]

    def prod(cs: list[str]) -> int:
        return int(np.prod([size[c] for c in cs], dtype=np.int64))

    nb, nfa, nfb, nc = prod(batch), prod(free_a), prod(free_b), prod(contract)
    mid = batch + free_a + free_b
    out_shape = tuple(size[c] for c in mid)
    perm_out = [mid.index(c) for c in out]
    return (sum_a, sum_b, perm_a, perm_b, (nb, nfa, nc), (nb, nc, nfb), out_shape, perm_out)


def _impl(*operands: Any, spec: str) -> Any:
    if len(operands) != 2:
        xp = namespace_of(*operands)
        out = xp.einsum(spec, *operands)
        return np.asarray(out) if isinstance(out, np.generic) else out
    a, b = operands
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        xp = namespace_of(a, b)
        a, b = xp.asarray(a), xp.asarray(b)
    return _runner(spec, a.shape, b.shape)(a, b)


@lru_cache(maxsize=4096)
def _runner(spec: str, shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> Any:
    """The steps of a two-operand contraction for these shapes, with the ones that would do
    nothing (identity transposes, reshapes to the same shape) left out: for small operands
    each step's call costs more than the arithmetic."""
    if _is_matmul(spec) and shape_a[:-2] == shape_b[:-2]:
        return _matmul  # NumPy's own matmul computes exactly this contraction
    sum_a, sum_b, perm_a, perm_b, shape3_a, shape3_b, out_shape, perm_out = _plan(
        spec, shape_a, shape_b)

    def prepare(sums: tuple[int, ...], perm: list[int], shape: tuple[int, ...],
                target: tuple[int, ...]) -> Any:
        kept = tuple(d for i, d in enumerate(shape) if i not in sums)
        transposed = tuple(kept[i] for i in perm)
        steps: list[Any] = []
        if sums:
            steps.append(lambda x: x.sum(axis=sums))
        if perm != sorted(perm):
            steps.append(lambda x: x.transpose(perm))
        if transposed != target:
            steps.append(lambda x: x.reshape(target))
        return steps

    if shape3_a[0] == 1:  # no batch: a 2-D product (NumPy's batched path is slower)
        shape3_a, shape3_b = shape3_a[1:], shape3_b[1:]
    steps_a = prepare(sum_a, perm_a, shape_a, shape3_a)
    steps_b = prepare(sum_b, perm_b, shape_b, shape3_b)
    mid_shape = (*shape3_a[:-1], shape3_b[-1])
    reshape_out = mid_shape != out_shape
    transpose_out = perm_out != sorted(perm_out)

    def run(a: Any, b: Any) -> Any:
        for step in steps_a:
            a = step(a)
        for step in steps_b:
            b = step(b)
        out = a @ b
        if reshape_out:
            out = out.reshape(out_shape)
        if transpose_out:
            out = out.transpose(perm_out)
        return out

    return run


def _is_matmul(spec: str) -> bool:
    """Whether ``spec`` is what ``a @ b`` computes for operands of its ranks: ``...mk,...kn
    ->...mn`` with the same batch indices, or a vector on either side (``mk,k->m``,
    ``k,...kn->...n``, ``k,k->``)."""
    (ia, ib), out = parse(spec)
    if not ia or not ib or len(set(out)) != len(out):  # (operands repeat no index)
        return False
    if len(ia) >= 2 and len(ib) >= 2:
        return (len(ia) == len(ib) and ia[:-2] == ib[:-2] and ia[-1] == ib[-2]
                and out == ia[:-1] + ib[-1])
    if len(ib) == 1:
        return ib == ia[-1] and out == ia[:-1]
    return ia == ib[-2] and out == ib[:-2] + ib[-1]


def _matmul(a: Any, b: Any) -> Any:
    out = a @ b
    return out if getattr(out, "ndim", 0) else namespace_of(a).asarray(out)


def _jvp(primals: list[Any], tangents: list[Any], spec: str) -> tuple[Any, Any]:
    if len(primals) == 2 and all(type(p) is np.ndarray for p in primals) and all(
            t is None or type(t) is np.ndarray for t in tangents):
        return _concrete_jvp(primals, tangents, spec)
    out = contract(spec, *primals)
    total = None
    for k, t in enumerate(tangents):
        if t is None:
            continue
        operands = list(primals)
        operands[k] = t
        term = contract(spec, *operands)
        total = term if total is None else add(total, term)
    return out, total


@lru_cache(maxsize=4096)
def _transposed(spec: str, k: int) -> tuple[str, str, str]:
    """(the contraction giving operand ``k``'s cotangent, the indices it keeps, the
    operand's own indices)."""
    inputs, output = parse(spec)
    mine = inputs[k]
    others = [s for j, s in enumerate(inputs) if j != k]
    visible = set(output).union(*others) if others else set(output)
    kept = "".join(c for c in mine if c in visible)
    return ",".join([output] + others) + "->" + kept, kept, mine


def _vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool], spec: str) -> list[Any]:
    if (type(ct) is np.ndarray and len(primals) == 2 and type(primals[0]) is np.ndarray
            and type(primals[1]) is np.ndarray):
        rule = _concrete_vjp(spec, primals[0].shape, primals[1].shape, ct.shape, tuple(wanted))
        if rule is not None:
            return rule(ct, primals[0], primals[1])  # type: ignore[no-any-return]
    cts: list[Any] = []
    for k, w in enumerate(wanted):
        if not w:
            cts.append(None)
            continue
        sub, kept, mine = _transposed(spec, k)
        c = contract(sub, ct, *[p for j, p in enumerate(primals) if j != k])
        if kept != mine:  # indices summed away from this operand alone: broadcast back
            shape = primals[k].shape
            c = reshape(c, tuple(d if ch in kept else 1 for ch, d in zip(mine, shape)))
            c = broadcast_to(c, shape)
        cts.append(c)
    return cts


@lru_cache(maxsize=4096)
def _concrete_vjp(spec: str, shape_a: tuple[int, ...], shape_b: tuple[int, ...],
                  out_shape: tuple[int, ...], wanted: tuple[bool, ...]) -> Any:
    """:func:`_vjp` of a two-operand contraction of NumPy arrays, its products planned once
    for these shapes; None where a cotangent needs broadcasting back (the general rule)."""
    plan_a, plan_b = (_transposed(spec, k) if w else None for k, w in enumerate(wanted))
    if any(plan is not None and plan[1] != plan[2] for plan in (plan_a, plan_b)):
        return None
    run_a = None if plan_a is None else _runner(plan_a[0], out_shape, shape_b)
    run_b = None if plan_b is None else _runner(plan_b[0], out_shape, shape_a)

    def rule(ct: Any, a: Any, b: Any) -> list[Any]:
        return [None if run_a is None else run_a(ct, b), None if run_b is None else run_b(ct, a)]

    return rule


def _concrete_jvp(primals: list[Any], tangents: list[Any], spec: str) -> tuple[Any, Any]:
    """:func:`_jvp` of a two-operand contraction of NumPy arrays: the product and its
    bilinear tangent, with the products planned once for these shapes."""
    (a, b), (ta, tb) = primals, tangents
    run = _runner(spec, a.shape, b.shape)
    tangent = run(ta, b) if ta is not None else None
    if tb is not None:
        tangent = run(a, tb) if tangent is None else np.asarray(tangent + run(a, tb))
    return run(a, b), tangent


def _batch(values: list[Any], dims: list[int | None], spec: str) -> tuple[Any, int]:
    """The batch is one more index of the contraction: a letter the spec does not use,
    written where each batched operand has its batch axis and first in the output."""
    return bind(einsum_p, *values, spec=_batched_spec(spec, tuple(dims))), 0


@lru_cache(maxsize=4096)
def _batched_spec(spec: str, dims: tuple[int | None, ...]) -> str:
    inputs, output = parse(spec)
    letter = next(c for c in string.ascii_letters if c not in spec)
    subscripts = [s if d is None else s[:d] + letter + s[d:] for s, d in zip(inputs, dims)]
    return f"{','.join(subscripts)}->{letter}{output}"


def _abstract(*operands: ShapedArray, spec: str) -> ShapedArray:
    inputs, output = parse(spec)
    size: dict[str, int] = {}
    for term, x in zip(inputs, operands):
        for c, d in zip(term, x.shape):
            if size.get(c, 1) == 1:  # a length-1 axis broadcasts (an expanded ellipsis)
                size[c] = d
            elif d not in (1, size[c]):
                raise ValueError(f"einsum {spec!r}: index {c!r} has lengths {size[c]} and {d}")
    dtypes = [x.dtype for x in operands]
    if len(operands) == 2:  # _runner sums an index only one operand has first, widening ints
        dtypes = [accumulated_dtype(x.dtype) if any(c not in output and c not in other
                                                    for c in term) else x.dtype
                  for term, other, x in zip(inputs, inputs[::-1], operands)]
    return ShapedArray(tuple(size[c] for c in output), np.result_type(*dtypes))


einsum_p.impl = _impl
einsum_p.abstract_eval = _abstract
einsum_p.jvp = _jvp
einsum_p.vjp = _vjp
einsum_p.batch = _batch


def contract(spec: str, *operands: Any) -> Any:
    """Bind the contraction ``spec`` (explicit ``->``, no index repeated in an operand)."""
    if len(operands) == 1:
        inputs, output = parse(spec)
        if inputs[0] == output:
            return operands[0]
    return bind(einsum_p, *operands, spec=spec)


def matrix_product(a: Any, b: Any) -> Any:
    """The product of two stacks of matrices of one dtype, ``(..., n, k) @ (..., k, m)``,
    their batch axes broadcast.

    Example:
        >>> matrix_product(np.ones((2, 3)), np.ones((3, 1)))
        array([[3.],
               [3.]])
    """
    if a.ndim == 2 and b.ndim == 2:  # no batch (np.broadcast_shapes is slow to ask)
        return contract("ab,bc->ac", a, b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = broadcast_to(a, batch + a.shape[-2:])
    b = broadcast_to(b, batch + b.shape[-2:])
    letters = string.ascii_letters[: len(batch) + 3]
    lead, (i, j, k) = letters[: len(batch)], list(letters[len(batch):])
    return contract(f"{lead}{i}{j},{lead}{j}{k}->{lead}{i}{k}", a, b)
