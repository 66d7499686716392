"""Where gpugrad.numpy needs a value, not just a shape: ``concrete_value``, the one helper.

Today's traces carry values, so the helper returns them. A trace whose values are abstract
(as a staging ``jit`` will be) is imitated here by a test trace: it holds only a shape and a
dtype, records which primitive reaches it, and the helper must refuse it with an error that
names the function, the argument and the fix. The operations rewritten in gpugrad's own
primitives must reach the trace (so they could be staged) instead of reading a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.core.concrete import ConcretizationError, array_namespace, concrete_value
from gpugrad.core.trace import Primitive, Trace, Tracer, new_main


class Staged(Exception):
    """Raised by the abstract trace: ``args[0]`` is the primitive that reached it."""


class AbstractTrace(Trace):
    __slots__ = ()
    abstract = True

    def process_primitive(self, prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
                          ) -> Any:
        raise Staged(prim.name)


class AbstractTracer(Tracer):
    """A shape and a dtype, no value: reading one fails loudly."""

    __slots__ = ()

    def __init__(self, trace: Trace, shape: tuple[int, ...], dtype: Any) -> None:
        self.trace = trace
        self.primal = SimpleNamespace(shape=shape, dtype=np.dtype(dtype))


@pytest.fixture
def abstract() -> Iterator[Callable[..., AbstractTracer]]:
    with new_main(AbstractTrace) as main:
        yield lambda shape, dtype=np.float64: AbstractTracer(main.trace, shape, dtype)


def test_returns_the_value_under_concrete_traces() -> None:
    x = np.array([1.0, -2.0, 3.0])
    seen = []

    def f(x: Any) -> Any:
        value = concrete_value(x, "f", "x", "a count")
        seen.append(value)
        return gnp.sum(x[: int((value > 0).sum())] ** 2)

    assert gpugrad.grad(f)(x).tolist() == [2.0, -4.0, 0.0]
    assert gpugrad.jvp(f, (x,), (np.ones(3),))[1] == -2.0  # 2 * 1 - 2 * 2 over x[:2]
    assert all(type(v) is np.ndarray and v.tolist() == x.tolist() for v in seen)
    assert concrete_value(x, "f", "x", "a count") is x  # a plain array is itself


def test_refuses_an_abstract_value(abstract: Callable[..., AbstractTracer]) -> None:
    x = abstract((3,))
    with pytest.raises(ConcretizationError,
                       match=r"f\(\) needs the value of its argument 'x' to decide a count.*"
                             r"shape \(3,\) and dtype float64.*Pass it as a static argument"):
        concrete_value(x, "f", "x", "a count")
    assert issubclass(ConcretizationError, TypeError)


@pytest.mark.parametrize("call, function, fix", [
    (lambda x: gnp.nonzero(x), "nonzero", "size="),
    (lambda x: gnp.flatnonzero(x), "flatnonzero", "size="),
    (lambda x: gnp.unique(x), "unique", "static argument"),
    (lambda x: gnp.arange(x), "arange", "static argument"),
    (lambda x: gnp.repeat(gnp.ones(3), x), "repeat", "static argument"),
])
def test_shapes_and_static_indices_ask_for_values(
        abstract: Callable[..., AbstractTracer], call: Any, function: str, fix: str) -> None:
    x = abstract(() if function == "arange" else (3,), np.int32)
    with pytest.raises(ConcretizationError, match=rf"{function}\(\) needs the value.*{fix}"):
        call(x)


@pytest.mark.parametrize("call, primitive", [
    (gnp.argsort, "argsort"),
    (lambda x: gnp.sort(x), "argsort"),
    (lambda x: gnp.argpartition(x, 1), "argpartition"),
    (lambda x: gnp.searchsorted(gnp.ones(3), x), "searchsorted"),
    (gnp.count_nonzero, "count_nonzero"),
    (lambda x: gnp.isclose(x, 1.0), "isclose"),
    (gnp.signbit, "signbit"),
    (gnp.argmax, "reduce_discrete"),
    (gnp.all, "reduce_discrete"),
    (gnp.isnan, "elementwise"),
    (gnp.sinc, "elementwise"),
    (lambda x: gnp.heaviside(x, 0.5), "stop_gradient"),
    (gnp.nan_to_num, "elementwise"),
    (gnp.nanmean, "elementwise"),
    (gnp.linalg.matrix_rank, "stop_gradient"),
    # The positions of the order statistics are computed from q, not read from it.
    (lambda x: gnp.quantile(gnp.ones(3), x), "convert"),
])
def test_value_dependent_results_are_operations(
        abstract: Callable[..., AbstractTracer], call: Any, primitive: str) -> None:
    # These compute masks, orders and counts from values with gpugrad's primitives, so an
    # abstract trace receives them instead of a read of the value.
    x = abstract((3, 3) if primitive == "stop_gradient" else (3,))
    with pytest.raises(Staged, match=primitive):
        call(x)


@pytest.mark.parametrize("call", [
    lambda i: gnp.take(gnp.ones(3), i),
    lambda i: gnp.take_along_axis(gnp.ones(3), i, 0),
    lambda i: gnp.getitem(gnp.ones((3, 2)), (slice(None), i)),
    lambda i: gnp.at(gnp.ones(3))[i].add(1.0),
])
def test_integer_indices_are_operands_of_the_gather(
        abstract: Callable[..., AbstractTracer], call: Any) -> None:
    # An integer index array is an operand of gather/scatter_add, not a static parameter:
    # the trace receives the indexing instead of a read of the index's value.
    with pytest.raises(Staged, match=r"gather|scatter_add"):
        call(abstract((3,), np.int32))


def test_metadata_needs_no_value(abstract: Callable[..., AbstractTracer]) -> None:
    x = abstract((2, 3), np.int32)
    assert array_namespace(x) is np
    assert gnp.zeros_like(x).shape == (2, 3)
    assert gnp.empty_like(x).dtype == np.int32
    assert gnp.isfinite(x).tolist() == [[True] * 3] * 2  # integers are always finite
