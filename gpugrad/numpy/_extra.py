"""More of NumPy: indexing, ordering, shape, statistics, signal and elementwise functions,
composed from the primitives (each file lists its names in ``__all__``):

* ``_extra_index``: take, take_along_axis, choose, sort, partition, argsort, nonzero, ...;
* ``_extra_shape``: roll, rot90, tile, repeat, pad, flipud, fliplr, copy;
* ``_extra_stack``: the stack and split families, atleast_*d, meshgrid;
* ``_extra_matrix``: tril, triu, diag, diagonal, trace, kron, cross, tri, logspace, ...;
* ``_extra_stats``: the nan-reductions, average, cov, corrcoef, ptp;
* ``_extra_order``: median, quantile, percentile (and nan forms), diff, gradient;
* ``_extra_math``: hypot, sinc, fmax, nan_to_num, float_power, isnan, size, ...;
* ``_extra_signal``: convolve, correlate, interp, polyval.
* ``floating``: round, fmod, copysign, ldexp, frexp, i0;
* ``dtype_functions``: result_type, finfo, iinfo, issubdtype, iscomplex, isreal, ...;
* ``setops``: unique, array_equal;
* ``array_edit``: append, insert, delete, select;
* ``index_tricks``: r_, c_, triu_indices, tril_indices and their ``*_from`` forms.
"""

from __future__ import annotations

from gpugrad.numpy import (
    _extra_index,
    _extra_math,
    _extra_matrix,
    _extra_order,
    _extra_shape,
    _extra_signal,
    _extra_stack,
    _extra_stats,
    array_edit,
    dtype_functions,
    floating,
    index_tricks,
    setops,
)
from gpugrad.numpy._extra_index import *  # noqa: F403
from gpugrad.numpy._extra_math import *  # noqa: F403
from gpugrad.numpy._extra_matrix import *  # noqa: F403
from gpugrad.numpy._extra_order import *  # noqa: F403
from gpugrad.numpy._extra_shape import *  # noqa: F403
from gpugrad.numpy._extra_signal import *  # noqa: F403
from gpugrad.numpy._extra_stack import *  # noqa: F403
from gpugrad.numpy._extra_stats import *  # noqa: F403
from gpugrad.numpy.array_edit import *  # noqa: F403
from gpugrad.numpy.dtype_functions import *  # noqa: F403
from gpugrad.numpy.floating import *  # noqa: F403
from gpugrad.numpy.index_tricks import *  # noqa: F403
from gpugrad.numpy.setops import *  # noqa: F403

__all__: list[str] = sorted(
    _extra_index.__all__ + _extra_math.__all__ + _extra_matrix.__all__ + _extra_order.__all__
    + _extra_shape.__all__ + _extra_signal.__all__ + _extra_stack.__all__ + _extra_stats.__all__
    + array_edit.__all__ + dtype_functions.__all__ + floating.__all__ + index_tricks.__all__
    + setops.__all__
)
