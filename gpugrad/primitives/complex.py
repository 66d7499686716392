"""Complex primitives: the operations that are not holomorphic, with explicit rules.

``real``, ``imag``, ``conj``, ``complex(re, im)`` and the modulus ``abs`` of a complex array.
(Holomorphic elementwise functions need nothing here: the catalog's partials already give
``t * f'(z)`` forwards and ``ct * f'(z)`` backwards.)

Conventions are JAX's. A complex number is a pair of reals and the JVP is the real-linear
map ``L`` of the tangent; the VJP is ``ct -> conj(L^T conj(ct))``, with ``L^T`` the
transpose of ``L`` as a map between real vector spaces. For a holomorphic ``f`` that is
``ct * f'(z)`` (no conjugation), and ``grad`` of a real-valued function of ``z`` returns the
*conjugate* of the usual gradient ``df/dx + i df/dy``:

==============  ===========================  ============================
operation       JVP                          VJP
==============  ===========================  ============================
real(z)         real(t)                      complex(ct, 0)
imag(z)         imag(t)                      complex(0, -ct)
conj(z)         conj(t)                      conj(ct)
complex(a, b)   complex(t_a, t_b)            real(ct), -imag(ct)
abs(z)          real(t * conj(z) / |z|)      ct * conj(z) / |z|
==============  ===========================  ============================

with ``|z| = 0`` replaced by 1 in ``abs``'s rules, so its derivative at 0 is 0 (as for real
``abs``). Every rule is written in gpugrad's operations, so all orders work.

Example:
    >>> gpugrad.grad(lambda z: complex_abs(z) ** 2)(np.complex128(3 + 4j))
    array(6.-8.j)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpugrad.backend import namespace_of
from gpugrad.core.abstract import ShapedArray
from gpugrad.core.trace import Primitive, bind
from gpugrad.primitives.broadcasting import at_front
from gpugrad.primitives.operations import equal, multiply, negative, true_divide, where
from gpugrad.primitives.structural import batch_size, convert, zeros_like

__all__ = [
    "complex_abs", "complex_dtype", "conj", "imag", "make_complex", "real", "real_dtype",
]


def complex_dtype(dtype: Any) -> np.dtype[Any]:
    """The complex dtype whose parts have ``dtype``: float32 -> complex64, else complex128."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return dtype
    return np.dtype(np.complex64 if dtype == np.float32 else np.complex128)


def real_dtype(dtype: Any) -> np.dtype[Any]:
    """The dtype of the real part: complex64 -> float32, complex128 -> float64."""
    dtype = np.dtype(dtype)
    return np.dtype(np.finfo(dtype).dtype) if dtype.kind == "c" else dtype


def _array(out: Any) -> Any:
    return np.asarray(out) if isinstance(out, np.generic) else out


def _same_dim(fn: Any) -> Any:
    """The batching rule (vmap) of an elementwise one-operand ``fn``: the batch axis stays."""
    return lambda values, dims: (fn(values[0]), dims[0])


def _linear_map(name: str, vjp: Any, result_dtype: Any) -> Primitive:
    """The primitive ``name`` (``real``, ``imag``, ``conj``): the backend's function of that
    name, a real-linear map, so its JVP is itself applied to the tangent and its batch axis
    stays; ``vjp`` is its transpose and ``result_dtype`` its dtype from the operand's."""
    prim = Primitive(name)
    prim.impl = lambda z: _array(getattr(namespace_of(z), name)(z))
    prim.jvp = lambda primals, tangents: (bind(prim, primals[0]), bind(prim, tangents[0]))
    prim.vjp = vjp
    prim.batch = _same_dim(lambda z: bind(prim, z))
    prim.abstract_eval = lambda z: ShapedArray(z.shape, result_dtype(z.dtype))
    return prim


# ---------------------------------------------------------------------------------------
# real, imag, conj: linear maps of a complex array


def _imag_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    return [make_complex(zeros_like(ct), negative(ct))]


real_p = _linear_map("real", lambda ct, primals, out, wanted: [convert(ct, primals[0].dtype)],
                     real_dtype)
imag_p = _linear_map("imag", _imag_vjp, real_dtype)
conj_p = _linear_map("conj", lambda ct, primals, out, wanted: [conj(ct)], lambda d: d)


def real(z: Any) -> Any:
    """The real part of a complex array (a real array of the matching precision)."""
    return bind(real_p, z)


def imag(z: Any) -> Any:
    """The imaginary part of a complex array."""
    return bind(imag_p, z)


def conj(z: Any) -> Any:
    """The complex conjugate of a complex array."""
    return bind(conj_p, z)


def real_part(x: Any) -> Any:
    """The real part of ``x``, which may be real (then it is ``x`` itself)."""
    return real(x) if x.dtype.kind == "c" else x


def conjugate(x: Any) -> Any:
    """The complex conjugate of ``x``, which may be real (then it is ``x`` itself)."""
    return conj(x) if x.dtype.kind == "c" else x


# ---------------------------------------------------------------------------------------
# complex(re, im): two real arrays of one shape and dtype into one complex array

complex_p = Primitive("complex")


def _complex_impl(re: Any, im: Any) -> Any:
    # Assembled part by part: ``re + 1j * im`` would turn an infinite ``im`` into NaN + inf j.
    out = namespace_of(re, im).empty(re.shape, complex_dtype(re.dtype))
    out.real[...] = re
    out.imag[...] = im
    return out


def _complex_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    ts = [zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
    return make_complex(*primals), make_complex(*ts)


def _complex_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    return [real(ct) if wanted[0] else None, negative(imag(ct)) if wanted[1] else None]


complex_p.impl = _complex_impl
complex_p.jvp = _complex_jvp
complex_p.vjp = _complex_vjp


def _complex_batch(values: list[Any], dims: list[int | None]) -> tuple[Any, int]:
    (re, im), (d_re, d_im) = values, dims
    if d_re == d_im:
        return make_complex(re, im), d_re  # type: ignore[return-value]
    # The parts must have one shape: both get the batch axis in front (an unbatched one is
    # broadcast to every example).
    size = batch_size(values, dims)
    return make_complex(at_front(re, d_re, size), at_front(im, d_im, size)), 0


complex_p.batch = _complex_batch
complex_p.abstract_eval = lambda re, im: ShapedArray(re.shape, complex_dtype(re.dtype))


def make_complex(re: Any, im: Any) -> Any:
    """``re + i im`` for real arrays of the same shape and dtype."""
    if re.shape != im.shape or re.dtype != im.dtype:
        raise ValueError(f"complex parts must match: got {re.shape} {re.dtype} and "
                         f"{im.shape} {im.dtype}")
    return bind(complex_p, re, im)


# ---------------------------------------------------------------------------------------
# abs of a complex array: |z|, real-valued and not holomorphic

complex_abs_p = Primitive("complex_abs")
complex_abs_p.impl = lambda z: _array(namespace_of(z).abs(z))


def _abs_factor(z: Any, out: Any) -> Any:
    """``conj(z) / |z|`` with ``|z| = 0`` replaced by 1: ``d|z| = real(factor * dz)``."""
    safe = where(equal(out, 0), 1.0, out)
    return true_divide(conj(z), convert(safe, z.dtype))


def _abs_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (z,), (t,) = primals, tangents
    out = complex_abs(z)
    return out, real(multiply(t, _abs_factor(z, out)))


def _abs_vjp(ct: Any, primals: list[Any], out: Any, wanted: list[bool]) -> list[Any]:
    (z,) = primals
    return [multiply(convert(ct, z.dtype), _abs_factor(z, out))]


complex_abs_p.jvp = _abs_jvp
complex_abs_p.vjp = _abs_vjp
complex_abs_p.batch = _same_dim(lambda z: complex_abs(z))
complex_abs_p.abstract_eval = lambda z: ShapedArray(z.shape, real_dtype(z.dtype))


def complex_abs(z: Any) -> Any:
    """``|z|`` of a complex array (a real array of the matching precision)."""
    return bind(complex_abs_p, z)
