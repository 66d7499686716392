"""``gpugrad.numpy``: NumPy's names, differentiable by every gpugrad transformation.

Every function works on NumPy arrays, CuPy arrays and the tracers a transformation passes
to the user's function, and returns a plain array outside transformations.

Example:
    >>> import gpugrad, gpugrad.numpy as gnp
    >>> gpugrad.grad(lambda x: gnp.sum(gnp.sin(x) ** 2))(gnp.array([0.5]))
    array([0.841471], dtype=float32)
"""

from __future__ import annotations

import sys as _sys
from collections.abc import Callable as _Callable
from typing import Any as _Any

import numpy as _np

from gpugrad.numpy._at import IndexUpdateHelper, at
from gpugrad.numpy._complex import conj, conjugate, imag, real
from gpugrad.numpy._creation import (
    arange,
    array,
    asarray,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from gpugrad.numpy._reductions import (
    all,
    any,
    argmax,
    argmin,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from gpugrad.numpy._shape import (
    astype,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    cumprod,
    cumsum,
    expand_dims,
    flip,
    getitem,
    moveaxis,
    ravel,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from gpugrad.numpy._ufuncs import FUNCTIONS as _FUNCTIONS
from gpugrad.numpy._ufuncs import clip, power, where
from gpugrad.numpy.products import dot, einsum, inner, matmul, outer, tensordot, vdot
from gpugrad.numpy.scalar_types import (
    bool_,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)

# The elementwise functions, generated from the catalog (listed so type checkers see them).
exp: _Callable[..., _Any] = _FUNCTIONS["exp"]
exp2: _Callable[..., _Any] = _FUNCTIONS["exp2"]
expm1: _Callable[..., _Any] = _FUNCTIONS["expm1"]
log: _Callable[..., _Any] = _FUNCTIONS["log"]
log2: _Callable[..., _Any] = _FUNCTIONS["log2"]
log10: _Callable[..., _Any] = _FUNCTIONS["log10"]
log1p: _Callable[..., _Any] = _FUNCTIONS["log1p"]
sqrt: _Callable[..., _Any] = _FUNCTIONS["sqrt"]
cbrt: _Callable[..., _Any] = _FUNCTIONS["cbrt"]
sin: _Callable[..., _Any] = _FUNCTIONS["sin"]
cos: _Callable[..., _Any] = _FUNCTIONS["cos"]
tan: _Callable[..., _Any] = _FUNCTIONS["tan"]
arcsin: _Callable[..., _Any] = _FUNCTIONS["arcsin"]
arccos: _Callable[..., _Any] = _FUNCTIONS["arccos"]
arctan: _Callable[..., _Any] = _FUNCTIONS["arctan"]
sinh: _Callable[..., _Any] = _FUNCTIONS["sinh"]
cosh: _Callable[..., _Any] = _FUNCTIONS["cosh"]
tanh: _Callable[..., _Any] = _FUNCTIONS["tanh"]
arcsinh: _Callable[..., _Any] = _FUNCTIONS["arcsinh"]
arccosh: _Callable[..., _Any] = _FUNCTIONS["arccosh"]
arctanh: _Callable[..., _Any] = _FUNCTIONS["arctanh"]
reciprocal: _Callable[..., _Any] = _FUNCTIONS["reciprocal"]
negative: _Callable[..., _Any] = _FUNCTIONS["negative"]
abs: _Callable[..., _Any] = _FUNCTIONS["abs"]
absolute: _Callable[..., _Any] = _FUNCTIONS["absolute"]
sign: _Callable[..., _Any] = _FUNCTIONS["sign"]
square: _Callable[..., _Any] = _FUNCTIONS["square"]
add: _Callable[..., _Any] = _FUNCTIONS["add"]
subtract: _Callable[..., _Any] = _FUNCTIONS["subtract"]
multiply: _Callable[..., _Any] = _FUNCTIONS["multiply"]
maximum: _Callable[..., _Any] = _FUNCTIONS["maximum"]
minimum: _Callable[..., _Any] = _FUNCTIONS["minimum"]
floor_divide: _Callable[..., _Any] = _FUNCTIONS["floor_divide"]
remainder: _Callable[..., _Any] = _FUNCTIONS["remainder"]
mod: _Callable[..., _Any] = _FUNCTIONS["mod"]
equal: _Callable[..., _Any] = _FUNCTIONS["equal"]
not_equal: _Callable[..., _Any] = _FUNCTIONS["not_equal"]
less: _Callable[..., _Any] = _FUNCTIONS["less"]
less_equal: _Callable[..., _Any] = _FUNCTIONS["less_equal"]
greater: _Callable[..., _Any] = _FUNCTIONS["greater"]
greater_equal: _Callable[..., _Any] = _FUNCTIONS["greater_equal"]
true_divide: _Callable[..., _Any] = _FUNCTIONS["true_divide"]
divide: _Callable[..., _Any] = _FUNCTIONS["divide"]
arctan2: _Callable[..., _Any] = _FUNCTIONS["arctan2"]
logaddexp: _Callable[..., _Any] = _FUNCTIONS["logaddexp"]
floor: _Callable[..., _Any] = _FUNCTIONS["floor"]
ceil: _Callable[..., _Any] = _FUNCTIONS["ceil"]
rint: _Callable[..., _Any] = _FUNCTIONS["rint"]
trunc: _Callable[..., _Any] = _FUNCTIONS["trunc"]
logical_and: _Callable[..., _Any] = _FUNCTIONS["logical_and"]
logical_or: _Callable[..., _Any] = _FUNCTIONS["logical_or"]
logical_xor: _Callable[..., _Any] = _FUNCTIONS["logical_xor"]
logical_not: _Callable[..., _Any] = _FUNCTIONS["logical_not"]

# Aliases and constants with NumPy's names.
pow = power
amax = max
amin = min
pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None
ndarray = _np.ndarray
dtype = _np.dtype

# Submodules, and the wider NumPy surface composed from the functions above; each module
# lists its names in __all__:
# * sorting: take, take_along_axis, choose, sort, partition, argsort, nonzero, searchsorted, ...;
# * rearranging: roll, rot90, tile, repeat, pad, flipud, fliplr, copy;
# * stacking: the stack and split families, atleast_*d, meshgrid;
# * matrices: tril, triu, diag, diagonal, trace, kron, cross, tri, logspace, ...;
# * statistics: the nan-reductions, average, cov, corrcoef, ptp;
# * order_statistics: median, quantile, percentile (and nan forms), diff, gradient;
# * elementwise_math: hypot, sinc, fmax, nan_to_num, float_power, isnan, size, ...;
# * signals: convolve, correlate, interp, polyval, vander, trapezoid;
# * floating: round, fmod, copysign, ldexp, frexp, i0;
# * dtype_functions: result_type, finfo, iinfo, issubdtype, iscomplex, isreal, ...;
# * setops: unique, array_equal;
# * array_edit: append, insert, delete, select;
# * index_tricks: r_, c_, triu_indices, tril_indices and their *_from forms.
from gpugrad.numpy import _dispatch, fft, linalg  # noqa: E402
from gpugrad.numpy.array_edit import *  # noqa: E402, F403
from gpugrad.numpy.dtype_functions import *  # noqa: E402, F403
from gpugrad.numpy.elementwise_math import *  # noqa: E402, F403
from gpugrad.numpy.floating import *  # noqa: E402, F403
from gpugrad.numpy.index_tricks import *  # noqa: E402, F403
from gpugrad.numpy.matrices import *  # noqa: E402, F403
from gpugrad.numpy.order_statistics import *  # noqa: E402, F403
from gpugrad.numpy.rearranging import *  # noqa: E402, F403
from gpugrad.numpy.setops import *  # noqa: E402, F403
from gpugrad.numpy.signals import *  # noqa: E402, F403
from gpugrad.numpy.sorting import *  # noqa: E402, F403
from gpugrad.numpy.stacking import *  # noqa: E402, F403
from gpugrad.numpy.statistics import *  # noqa: E402, F403

# NumPy's own functions called on tracers (np.sin(x), np.sum(x)) run the ones above.
_dispatch.install(_sys.modules[__name__])
