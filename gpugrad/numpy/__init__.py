"""``gpugrad.numpy``: NumPy's names, differentiable by every gpugrad transformation.

Every function works on NumPy arrays, CuPy arrays and the tracers a transformation passes
to the user's function, and returns a plain array outside transformations.

Example:
    >>> import gpugrad, gpugrad.numpy as gnp
    >>> gpugrad.grad(lambda x: gnp.sum(gnp.sin(x) ** 2))(gnp.array([0.5]))
    array([0.84147096], dtype=float32)
"""

from __future__ import annotations

import numpy as _np

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
from gpugrad.numpy._linalg import dot, einsum, inner, matmul, outer, tensordot, vdot
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
    IndexUpdateHelper,
    astype,
    at,
    cumprod,
    cumsum,
    broadcast_arrays,
    broadcast_to,
    concatenate,
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

globals().update(_FUNCTIONS)

# Aliases and constants with NumPy's names.
pow = power
amax = max
amin = min
round = _FUNCTIONS["rint"]
around = _FUNCTIONS["rint"]
pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint32 = _np.uint8, _np.uint32
bool_ = _np.bool_
complex64, complex128 = _np.complex64, _np.complex128
ndarray = _np.ndarray
dtype = _np.dtype
shape = _np.shape
ndim = _np.ndim

# Submodules and the wider NumPy surface (each module lists its names in __all__).
from gpugrad.numpy import fft, linalg  # noqa: E402
from gpugrad.numpy._extra import *  # noqa: E402, F403
