"""``ElementwiseKernel``'s parameter lists and type decisions, as CuPy 14 makes them.

Modelled on ``cupy/_core/_kernel.pyx`` (``ParameterInfo``, ``_get_param_info``,
``_decide_params_type_core``): a parameter is ``[raw] [_non_const] TYPE NAME`` where TYPE is
a dtype name (``float32``) or one letter, a placeholder bound by the dtype of the first array
argument in its place (outputs first, then inputs). Scalars bind nothing: they take the type
of their parameter, so a placeholder bound only by scalars is an error (CuPy raises a bare
``KeyError`` there; the stand-in raises the same type with a message).

Example:
    >>> ps = parse_params("float32 x, raw T y", is_const=True)
    >>> [(p.name, p.ctype, p.raw) for p in ps]
    [('x', 'float', False), ('y', 'T', True)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpugrad.kernel.codegen import ctype

__all__ = ["ParameterInfo", "decide_types", "parse_params"]


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter: its name, dtype (None for a placeholder), C type (the placeholder's
    letter or the dtype's C name), whether it is ``raw`` and whether the body may not write it."""

    name: str
    dtype: np.dtype[Any] | None
    ctype: str
    raw: bool
    is_const: bool


def _parse_one(text: str, is_const: bool) -> ParameterInfo:
    words = text.split()
    if len(words) < 2:
        raise Exception(f"Syntax error: {text}")  # CuPy raises a bare Exception here
    typ, name = words[-2:]
    raw = False
    for word in words[:-2]:
        if word == "raw":
            raw = True
        elif word == "_non_const":
            is_const = False
        else:
            raise Exception(f'Unknown keyword "{word}"')
    if len(typ) == 1:
        return ParameterInfo(name, None, typ, raw, is_const)
    dtype = np.dtype(typ)
    return ParameterInfo(name, dtype, ctype(dtype), raw, is_const)


def parse_params(text: str, is_const: bool) -> tuple[ParameterInfo, ...]:
    """The parameters of ``"float32 x, T y"`` (inputs are const, outputs are not)."""
    if not text:
        return ()
    return tuple(_parse_one(part, is_const) for part in text.strip().split(","))


def decide_types(in_params: Sequence[ParameterInfo], out_params: Sequence[ParameterInfo],
                 in_dtypes: Sequence[np.dtype[Any] | None],
                 out_dtypes: Sequence[np.dtype[Any] | None],
                 ) -> tuple[list[np.dtype[Any]], list[np.dtype[Any]], dict[str, np.dtype[Any]]]:
    """(input dtypes, output dtypes, placeholder -> dtype) from the arrays' dtypes (None for a
    scalar); a dtype that differs from its parameter's, or from its placeholder's binding,
    raises ``TypeError("Type is mismatched. ...")`` as CuPy does (no casting: exact match)."""
    bound: dict[str, np.dtype[Any]] = {}

    def bind(p: ParameterInfo, a: np.dtype[Any]) -> None:
        if p.dtype is not None:
            if a != p.dtype:
                raise TypeError(f"Type is mismatched. {p.name} {a} {p.dtype}")
        elif p.ctype in bound:
            if bound[p.ctype] != a:
                raise TypeError(f"Type is mismatched. {p.name} {a} {bound[p.ctype]} {p.ctype}")
        else:
            bound[p.ctype] = a

    for p, a in zip(out_params, out_dtypes):
        if a is None:
            raise TypeError("Output arguments must be cupy.ndarray")
        bind(p, a)
    for p, a in zip(in_params, in_dtypes):
        if a is not None:
            bind(p, a)

    def resolve(p: ParameterInfo) -> np.dtype[Any]:
        if p.dtype is not None:
            return p.dtype
        if p.ctype not in bound:
            raise KeyError(f"type placeholder {p.ctype} of parameter {p.name} is bound by no "
                           "array argument (CuPy does not infer it from scalars)")
        return bound[p.ctype]

    return [resolve(p) for p in in_params], [resolve(p) for p in out_params], bound
