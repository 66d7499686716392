"""The ``gg_*`` helpers of ``kernels/gpugrad_math.cuh`` called directly, for the host run.

The catalog's kernels reach most helpers, but not all of their uses: ``gg_softplus`` is in
no template, ``gg_ipow`` meets a negative exponent only in float kernels (``cbrt``'s
derivative), and no catalog kernel is unsigned. Each item here is one helper, one C type,
compared with the NumPy function that states the helper's contract (its comment in the
header): ``np.maximum``, ``np.floor_divide``, ``np.logaddexp(0, x)``, ...

Example:
    >>> labels = [i.label for i in helper_items()]
    >>> "gg_softplus/float32" in labels and "gg_remainder/uint32" in labels
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpugrad.kernel.codegen import KernelSpec, ctype, header_text
from gpugrad.kernel.host_check import HostItem
from gpugrad.primitives import special_math

__all__ = ["helper_items"]

Array = np.ndarray[Any, Any]

FLOAT_TYPES = ("float32", "float64")
INT_TYPES = ("int32", "int64", "uint32")


def _int_negative_power(x: Array, n: int) -> Array:
    """C's truncated x**n for n < 0 (NumPy refuses negative integer powers): 1 at x = 1,
    (-1)**n at x = -1, else 0, as the header documents."""
    one = np.ones_like(x)
    if x.dtype.kind == "u":
        return np.where(x == 1, one, 0 * one)
    minus = one if n % 2 == 0 else -one
    return np.where(x == 1, one, np.where(x == -1, minus, 0 * one))


# (helper call with x0, x1, the NumPy reference, number of inputs, the dtypes it applies to)
_HELPERS: list[tuple[str, str, Callable[..., Array], int, tuple[str, ...]]] = [
    ("gg_ipow", "gg_ipow(x0, 3)", lambda x: np.power(x, 3), 1, FLOAT_TYPES + INT_TYPES),
    ("gg_ipow_neg", "gg_ipow(x0, -2)", lambda x: np.power(x, -2.0), 1, FLOAT_TYPES),
    ("gg_ipow_neg", "gg_ipow(x0, -3)", lambda x: _int_negative_power(x, -3), 1, INT_TYPES),
    ("gg_maximum", "gg_maximum(x0, x1)", np.maximum, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_minimum", "gg_minimum(x0, x1)", np.minimum, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_floor_divide", "gg_floor_divide(x0, x1)", np.floor_divide, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_remainder", "gg_remainder(x0, x1)", np.remainder, 2, FLOAT_TYPES + INT_TYPES),
    ("gg_sign", "gg_sign(x0)", np.sign, 1, FLOAT_TYPES + INT_TYPES),
    ("gg_logaddexp", "gg_logaddexp(x0, x1)", np.logaddexp, 2, FLOAT_TYPES),
    ("gg_softplus", "gg_softplus(x0)", lambda x: np.logaddexp(x.dtype.type(0), x), 1,
     FLOAT_TYPES),
    ("gg_sigmoid", "gg_sigmoid(x0)", special_math.expit, 1, FLOAT_TYPES),
    ("gg_digamma", "gg_digamma(x0)", special_math.digamma, 1, FLOAT_TYPES),
    ("gg_polygamma", "gg_polygamma((T)3, x0)", lambda x: special_math.polygamma(3, x), 1,
     FLOAT_TYPES),
]


def _spec(label: str, call: str, dtype: np.dtype[Any], arity: int) -> KernelSpec:
    name = "gg_helper_" + label.replace("/", "_")
    params = ", ".join(f"{dtype.name} x{i}" for i in range(arity))
    return KernelSpec(
        name=name,
        in_params=params,
        out_params=f"{dtype.name} out0",
        operation=f"out0 = {call};",
        preamble=f"{header_text()}\ntypedef {ctype(dtype)} T;\n",
        in_dtypes=(dtype,) * arity,
        out_dtype=dtype,
        out_dtypes=(dtype,),
    )


def helper_items() -> list[HostItem]:
    """A :class:`~gpugrad.kernel.host_check.HostItem` per (helper, C type)."""
    items = []
    for helper, call, reference, arity, dtypes in _HELPERS:
        for name in dtypes:
            label = f"{helper}/{name}"
            spec = _spec(label, call, np.dtype(name), arity)
            items.append(HostItem(label, None, spec, reference))
    return items
