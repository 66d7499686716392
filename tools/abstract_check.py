"""A check of every primitive's ``abstract_eval`` against its ``impl``, on real calls.

Inside ``with checking_abstract_eval() as calls:`` each primitive's ``impl`` is wrapped so
that every concrete evaluation also runs the primitive's abstract evaluation on its
arguments' abstract values (``gpugrad.core.abstract``) and asserts that the shape and dtype
it predicts are those of the array ``impl`` returned. ``calls`` counts the checked calls
per primitive name, so a test can assert that the code it ran reached every primitive.
The original ``impl`` of every primitive is restored on exit, even when the block raises.

Only evaluations that go through ``impl`` are seen: the fast paths that evaluate small
NumPy arrays directly (the elementwise values recorded at once in reverse mode, forward
mode's shortcut for concrete values, the batching
rule of the elementwise primitive) are not.

Example:
    >>> import numpy as np
    >>> import gpugrad.numpy as gnp
    >>> with checking_abstract_eval() as calls:
    ...     _ = gnp.sum(np.ones((2, 3)), axis=0)
    >>> calls["reduce_sum"]
    1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from gpugrad.core.abstract import ShapedArray, abstractify
from gpugrad.core.trace import Primitive, registry

__all__ = ["aval_of", "checking_abstract_eval"]


def aval_of(x: Any) -> ShapedArray:
    """The abstract value staging would give ``x``. A NumPy scalar is strongly typed (the
    evaluation types it by its own dtype, as JAX does); ``abstractify`` would take an
    ``np.float64``, a subclass of ``float``, for a weak Python scalar."""
    if isinstance(x, np.generic):
        return ShapedArray((), x.dtype)
    return abstractify(x)


def _checked(prim: Primitive, impl: Callable[..., Any], calls: Counter[str]
             ) -> Callable[..., Any]:
    def checked_impl(*args: Any, **params: Any) -> Any:
        out = impl(*args, **params)
        avals = [aval_of(a) for a in args]
        predicted = prim.abstract_eval(*avals, **params)
        outs, predictions = (out, predicted) if prim.multiple_results else ([out], [predicted])
        assert len(outs) == len(predictions), (
            f"{prim.name}: {len(outs)} results but abstract_eval predicts {len(predictions)}")
        for result, aval in zip(outs, predictions):
            assert isinstance(aval, ShapedArray), (
                f"{prim.name}: abstract_eval returned {type(aval).__name__}, not ShapedArray")
            got = (tuple(result.shape), np.dtype(result.dtype))
            if got != (aval.shape, aval.dtype):
                shown = {k: v for k, v in params.items() if k != "expr"} | (
                    {"expr": str(params["expr"])} if "expr" in params else {})
                raise AssertionError(
                    f"{prim.name}: impl returned {got[1]}{list(got[0])} but abstract_eval says "
                    f"{aval.dtype}{list(aval.shape)}, for {avals} and {shown}")
        calls[prim.name] += 1
        return out

    return checked_impl


@contextmanager
def checking_abstract_eval() -> Iterator[Counter[str]]:
    """Check every primitive's abstract evaluation on each concrete evaluation in the block;
    yields the count of checked calls per primitive name."""
    calls: Counter[str] = Counter()
    saved = [(prim, prim.impl) for prim in registry]
    try:
        for prim, impl in saved:
            prim.impl = _checked(prim, impl, calls)
        yield calls
    finally:
        for prim, impl in saved:
            prim.impl = impl
