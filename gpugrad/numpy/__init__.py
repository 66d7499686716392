"""``gpugrad.numpy``: NumPy's names, differentiable by every gpugrad transformation.

Every function works on NumPy arrays, CuPy arrays and the tracers a transformation passes
to the user's function, and returns a plain array outside transformations.

Example:
    >>> gpugrad.grad(lambda x: gnp.sum(gnp.sin(x) ** 2))(gnp.array([0.5]))
    array([0.841471], dtype=float32)
"""

from __future__ import annotations

import sys as _sys
from collections.abc import Callable as _Callable
from typing import Any as _Any

import numpy as _np

from gpugrad.naming import Binary as _Binary
from gpugrad.naming import Unary as _Unary
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
exp: _Unary = _FUNCTIONS["exp"]
exp2: _Unary = _FUNCTIONS["exp2"]
expm1: _Unary = _FUNCTIONS["expm1"]
log: _Unary = _FUNCTIONS["log"]
log2: _Unary = _FUNCTIONS["log2"]
log10: _Unary = _FUNCTIONS["log10"]
log1p: _Unary = _FUNCTIONS["log1p"]
sqrt: _Unary = _FUNCTIONS["sqrt"]
cbrt: _Unary = _FUNCTIONS["cbrt"]
sin: _Unary = _FUNCTIONS["sin"]
cos: _Unary = _FUNCTIONS["cos"]
tan: _Unary = _FUNCTIONS["tan"]
arcsin: _Unary = _FUNCTIONS["arcsin"]
arccos: _Unary = _FUNCTIONS["arccos"]
arctan: _Unary = _FUNCTIONS["arctan"]
sinh: _Unary = _FUNCTIONS["sinh"]
cosh: _Unary = _FUNCTIONS["cosh"]
tanh: _Unary = _FUNCTIONS["tanh"]
arcsinh: _Unary = _FUNCTIONS["arcsinh"]
arccosh: _Unary = _FUNCTIONS["arccosh"]
arctanh: _Unary = _FUNCTIONS["arctanh"]
reciprocal: _Unary = _FUNCTIONS["reciprocal"]
negative: _Unary = _FUNCTIONS["negative"]
abs: _Unary = _FUNCTIONS["abs"]
absolute: _Unary = _FUNCTIONS["absolute"]
sign: _Unary = _FUNCTIONS["sign"]
square: _Unary = _FUNCTIONS["square"]
add: _Binary = _FUNCTIONS["add"]
subtract: _Binary = _FUNCTIONS["subtract"]
multiply: _Binary = _FUNCTIONS["multiply"]
maximum: _Binary = _FUNCTIONS["maximum"]
minimum: _Binary = _FUNCTIONS["minimum"]
floor_divide: _Binary = _FUNCTIONS["floor_divide"]
remainder: _Binary = _FUNCTIONS["remainder"]
mod: _Binary = _FUNCTIONS["mod"]
equal: _Binary = _FUNCTIONS["equal"]
not_equal: _Binary = _FUNCTIONS["not_equal"]
less: _Binary = _FUNCTIONS["less"]
less_equal: _Binary = _FUNCTIONS["less_equal"]
greater: _Binary = _FUNCTIONS["greater"]
greater_equal: _Binary = _FUNCTIONS["greater_equal"]
true_divide: _Binary = _FUNCTIONS["true_divide"]
divide: _Binary = _FUNCTIONS["divide"]
arctan2: _Binary = _FUNCTIONS["arctan2"]
logaddexp: _Binary = _FUNCTIONS["logaddexp"]
floor: _Unary = _FUNCTIONS["floor"]
ceil: _Unary = _FUNCTIONS["ceil"]
rint: _Unary = _FUNCTIONS["rint"]
trunc: _Unary = _FUNCTIONS["trunc"]
logical_and: _Binary = _FUNCTIONS["logical_and"]
logical_or: _Binary = _FUNCTIONS["logical_or"]
logical_xor: _Binary = _FUNCTIONS["logical_xor"]
logical_not: _Unary = _FUNCTIONS["logical_not"]

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
from gpugrad.numpy.counting import *  # noqa: E402, F403
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
