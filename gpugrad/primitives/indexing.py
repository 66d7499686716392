"""Indexing primitives: ``gather`` (``x[index]``) and its transpose ``scatter_add``.

``index`` is a normalised NumPy index: a tuple of ints, slices, ``None``, ``Ellipsis`` and
concrete integer arrays (boolean masks are turned into integer arrays first, traced index
arrays are read as values: indices have no derivative). The VJP of a gather is a scatter-add
of the cotangent into zeros (repeated indices accumulate); the VJP of a scatter-add is a
gather. Both are linear, so their JVPs apply themselves to the tangents.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.trace import Primitive, bind, raw_value
from gpugrad.primitives.structural import zeros_like

__all__ = ["gather", "normalize_index", "scatter_add"]


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def normalize_index(index: Any, ndim: int) -> tuple[Any, bool]:
    """``(index tuple, has_advanced)`` with masks as integer arrays, values made concrete."""
    if not isinstance(index, tuple):
        index = (index,)
    out: list[Any] = []
    advanced = False
    for k in index:
        k = raw_value(k)
        if isinstance(k, (list, tuple)):
            k = np.asarray(k)
            if k.dtype == object or (k.size == 0 and k.dtype.kind == "f"):
                k = k.astype(np.intp)
        if isinstance(k, (bool, np.bool_)):
            k = np.asarray(k)
        if _is_array(k) and not isinstance(k, np.generic):
            if k.dtype == bool:
                out.extend(k.nonzero())
                advanced = True
                continue
            if k.dtype.kind not in "iu":
                raise IndexError(
                    f"arrays used as indices must be of integer or boolean type, got {k.dtype}"
                )
            advanced = True
        elif isinstance(k, np.generic):
            k = int(k)
        elif not (k is None or k is Ellipsis or isinstance(k, (int, slice))):
            raise IndexError(f"only integers, slices, None, Ellipsis and integer or boolean "
                             f"arrays are valid indices, got {type(k).__name__}")
        out.append(k)
    return tuple(out), advanced


def _gather_impl(x: Any, index: tuple[Any, ...], advanced: bool) -> Any:
    xp = namespace_of(x)
    if xp is not np and advanced:
        index = tuple(xp.asarray(k) if isinstance(k, np.ndarray) else k for k in index)
    out = x[index]
    return np.asarray(out) if isinstance(out, np.generic) else out


gather_p = Primitive("gather")
gather_p.impl = _gather_impl
gather_p.jvp = lambda primals, tangents, index, advanced: (
    gather(primals[0], index, advanced),
    gather(tangents[0], index, advanced),
)


def _gather_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool],
                index: tuple[Any, ...], advanced: bool) -> list[Any]:
    (x,) = primals
    return [scatter_add(zeros_like(x, dtype=ct.dtype), index, ct, advanced)]


gather_p.vjp = _gather_vjp


def gather(x: Any, index: tuple[Any, ...], advanced: bool = False) -> Any:
    return bind(gather_p, x, index=index, advanced=advanced)


def _scatter_add_impl(x: Any, y: Any, index: tuple[Any, ...], advanced: bool) -> Any:
    xp = namespace_of(x, y)
    out = xp.array(x, copy=True)  # x may be a read-only broadcast view
    if xp is not np:
        y = xp.asarray(y)
    if advanced:
        if xp is np:
            np.add.at(out, index, y)
        else:
            import cupyx

            index = tuple(xp.asarray(k) if isinstance(k, np.ndarray) else k for k in index)
            cupyx.scatter_add(out, index, y)
    else:
        out[index] += y
    return out


def _scatter_add_jvp(primals: list[Any], tangents: list[Any], index: tuple[Any, ...],
                     advanced: bool) -> tuple[Any, Any]:
    x, y = primals
    tx, ty = tangents
    out = scatter_add(x, index, y, advanced)
    if ty is None:
        return out, tx
    tx = zeros_like(x) if tx is None else tx
    return out, scatter_add(tx, index, ty, advanced)


scatter_add_p = Primitive("scatter_add")
scatter_add_p.impl = _scatter_add_impl
scatter_add_p.jvp = _scatter_add_jvp
scatter_add_p.vjp = lambda ct, primals, out, wanted, index, advanced: [
    ct if wanted[0] else None,
    gather(ct, index, advanced) if wanted[1] else None,
]


def scatter_add(x: Any, index: tuple[Any, ...], y: Any, advanced: bool = False) -> Any:
    """``x`` with ``y`` added at ``index`` (``y`` already has the shape of ``x[index]``)."""
    return bind(scatter_add_p, x, y, index=index, advanced=advanced)
