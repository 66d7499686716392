"""The functions of ``gpugrad.numpy.linalg`` with no primitive of their own: ``norm``
(elementwise operations and reductions, ``svd`` for the spectral and nuclear norms),
``matrix_power`` and ``multi_dot`` (products), ``lstsq`` (``pinv``) and ``matrix_rank``.
Re-exported by ``gpugrad.numpy.linalg``.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from gpugrad.core.concrete import array_namespace, concrete_value
from gpugrad.core.trace import Tracer
from gpugrad.dtypes import to_inexact
from gpugrad.numpy import _reductions as R
from gpugrad.numpy._complex import conj, real
from gpugrad.numpy._linalg_decompositions import as_inexact, as_matrices, inv, pinv, svd
from gpugrad.numpy._shape import broadcast_to, expand_dims, moveaxis, squeeze
from gpugrad.numpy._ufuncs import FUNCTIONS
from gpugrad.numpy._ufuncs import power as _power
from gpugrad.numpy.products import dot, matmul
from gpugrad.primitives import discrete as D
from gpugrad.primitives.structural import convert, stop_gradient

__all__ = ["lstsq", "matrix_power", "matrix_rank", "multi_dot", "norm"]

_abs, _sqrt = FUNCTIONS["abs"], FUNCTIONS["sqrt"]


def _sum_squares(x: Any, axis: Any, keepdims: bool) -> Any:
    """``sum(|x|^2)``, as ``real(x * conj(x))`` for complex ``x`` (JAX's form, a real result)."""
    if x.dtype.kind == "c":
        return R.sum(real(x * conj(x)), axis=axis, keepdims=keepdims)
    return R.sum(x * x, axis=axis, keepdims=keepdims)


def _max_or_zero(m: Any) -> Any:
    """``maximum(m, 0)`` of a maximum of absolute values: the same value, but JAX computes
    these norms as ``max(..., initial=0)``, so at the zero array the tie with the initial 0
    halves the derivative (the inf-norm's gradient at 0 is 1/(2n) per element)."""
    return FUNCTIONS["maximum"](m, 0.0)


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool) -> Any:
    if ord is None or ord == 2:
        return _sqrt(_sum_squares(x, axis, keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return _max_or_zero(R.max(_abs(x), axis=axis, keepdims=keepdims))
    if ord == -np.inf:
        return R.min(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries: piecewise constant, no derivative
        count = FUNCTIONS["not_equal"](x, 0).astype(np.finfo(x.dtype).dtype)  # real, as JAX
        return R.sum(count, axis=axis, keepdims=keepdims)
    if ord == 1:
        return R.sum(_abs(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    return _power(R.sum(_power(_abs(x), p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool) -> Any:
    row, col = axes
    if ord is None or ord == "fro":
        return _sqrt(_sum_squares(x, axes, keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum of |x| (sum over rows, extreme over columns); inf: rows.
        inner, outer = (row, col) if ord in (1, -1) else (col, row)
        extreme = R.max if ord in (1, np.inf) else R.min
        sums = R.sum(_abs(x), axis=inner, keepdims=True)
        out = extreme(sums, axis=outer, keepdims=True)
        if extreme is R.max:
            out = _max_or_zero(out)
    elif ord in (2, -2, "nuc"):
        s = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        reduce = R.sum if ord == "nuc" else R.max if ord == 2 else R.min
        out = expand_dims(reduce(s, axis=-1), tuple(sorted((row, col))))
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices")
    return out if keepdims else squeeze(out, (row, col))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, with NumPy's ``ord`` and ``axis``.

    Vectors (1-D, or one ``axis``): ``None``/2 (Euclidean), 1, ``inf``, ``-inf``, 0 (count
    of nonzeros), any other real p. Matrices (2-D, or a pair ``axis``): ``None``/``'fro'``,
    ``'nuc'``, 1, -1, 2, -2, ``inf``, ``-inf``. With ``axis=None`` and ``ord=None`` an array
    of any shape is flattened. Non-smooth points: the 2-norm and Frobenius norm at 0 have no
    derivative (NaN, as JAX); the 1 and inf norms use ``abs'(0) = 1``; ties among maxima
    share the gradient equally, and at the zero array the maximum-based norms (vector
    ``inf``, matrix 1 and ``inf``) halve it, as JAX's ``max(..., initial=0)`` does;
    ``ord=2``/``'nuc'`` follow ``svd``.

    Example:
        >>> gnp.linalg.norm(np.array([3.0, 4.0]))
        array(5.)
        >>> gpugrad.grad(gnp.linalg.norm)(np.array([3.0, 4.0]))
        array([0.6, 0.8])
        >>> gnp.linalg.norm(np.array([[1.0, -2.0], [3.0, 4.0]]), ord=1)
        array(6.)
    """
    if isinstance(ord, Tracer):  # ord picks the formula; JAX also requires it static
        raise TypeError("norm: ord must be a concrete number or string, not a traced value "
                        "(its derivative is not defined); pass a Python number")
    x = R.to_array(x)
    if x.dtype.kind not in "fc":
        x = convert(x, to_inexact(x.dtype))
    if axis is None:
        if ord is None:
            return _sqrt(_sum_squares(x, None, keepdims))
        if x.ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(x.ndim))
    elif isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axes = tuple(int(a) % builtins.max(x.ndim, 1) for a in axis)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError("Duplicate axes given.")
        return _matrix_norm(x, ord, (axes[0], axes[1]), keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def matrix_power(a: Any, n: int) -> Any:
    """``a`` multiplied by itself ``n`` times, by repeated squaring; ``n = 0`` gives the
    identity, ``n < 0`` powers of ``inv(a)``.

    Example:
        >>> gnp.linalg.matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        array([[1., 3.],
               [0., 1.]])
    """
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: exponent must be an integer, got {type(n).__name__}")
    n = int(n)
    a = R.to_array(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        as_matrices(a, square=True)  # raises NumPy's LinAlgError
    if n == 0:
        return broadcast_to(array_namespace(a).eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The split points of the cheapest parenthesization of a matrix chain (Cormen et al.,
    dynamic programming over ``dims``: matrix ``i`` is ``dims[i] x dims[i + 1]``)."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = -1
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def multi_dot(arrays: Any) -> Any:
    """The product of two or more arrays in the cheapest order (NumPy's ``multi_dot``): the
    first may be 1-D (a row vector), the last 1-D (a column vector), the others 2-D.

    Example:
        >>> gnp.linalg.multi_dot([np.ones(2), np.ones((2, 3)), np.ones((3, 4)), np.ones(4)])
        array(24.)
    """
    xs = [R.to_array(x) for x in arrays]
    if len(xs) < 2:
        raise ValueError("Expecting at least two arrays.")
    if len(xs) == 2:
        return dot(xs[0], xs[1])
    first_vector, last_vector = xs[0].ndim == 1, xs[-1].ndim == 1
    if first_vector:
        xs[0] = expand_dims(xs[0], 0)
    if last_vector:
        xs[-1] = expand_dims(xs[-1], -1)
    for x in xs:
        if x.ndim != 2:
            raise ValueError(f"multi_dot: {x.ndim}-dimensional array given; the inner "
                             "arrays must be 2-D, the first and last 1-D or 2-D")
    split = _chain_order([xs[0].shape[0]] + [x.shape[1] for x in xs])

    def product(i: int, j: int) -> Any:
        if i == j:
            return xs[i]
        return matmul(product(i, split[i][j]), product(split[i][j] + 1, j))

    out = product(0, len(xs) - 1)
    if first_vector:
        out = squeeze(out, 0)
    if last_vector:
        out = squeeze(out, -1)
    return out


def lstsq(a: Any, b: Any, rcond: float | None = None) -> tuple[Any, Any, Any, Any]:
    """Least-squares solution of ``a @ x = b`` (``a`` 2-D, as NumPy): ``(x, residuals, rank,
    s)``. ``x = pinv(a, rcond) @ b``, with NumPy's default cutoff ``eps * max(m, n)``.

    ``x``, ``residuals`` and ``s`` are differentiable where the rank of ``a`` is locally
    constant (see ``pinv``); ``rank`` is an integer. ``residuals`` is empty unless ``a`` has
    full column rank and more rows than columns.

    Example:
        >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
        >>> x, res, rank, s = gnp.linalg.lstsq(a, np.array([1.0, 2.0, 2.0]))
        >>> x.round(6), res.round(6), rank
        (array([1.166667, 0.5     ]), array([0.166667]), 2)
    """
    a = as_matrices(a)
    if a.ndim != 2:
        raise np.linalg.LinAlgError(f"lstsq: a must be 2-D, got shape {a.shape}")
    b = as_inexact(b)
    m, n = a.shape
    if rcond is None:
        rcond = float(np.finfo(a.dtype).eps) * max(m, n)
    s = svd(a, compute_uv=False)
    # The rank decides the residuals' shape (empty unless a has full column rank) and is a
    # Python int, as NumPy's: it is read as a value.
    rank = int(concrete_value(_count_above(s, rcond), "lstsq", "a",
                              "the rank, which decides the shape of the residuals"))
    x = matmul(pinv(a, rcond), b)
    if rank == n and m > n:
        r = matmul(a, x) - b
        residuals = _sum_squares(r, 0, keepdims=b.ndim == 1)
    else:
        # Empty, of the real dtype of x (NumPy's, also for complex x).
        residuals = array_namespace(x).zeros((0,), np.finfo(x.dtype).dtype)
    return x, residuals, rank, s


def matrix_rank(A: Any, tol: float | None = None, hermitian: bool = False) -> Any:
    """The number of singular values above ``tol`` (NumPy's default tolerance); an integer,
    with no derivative.

    Example:
        >>> gnp.linalg.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]]))
        array(1)
    """
    # NumPy's count, with its integer dtype; an integer result: no derivative in A or tol.
    A = stop_gradient(R.to_array(A))
    if A.ndim < 2:  # a vector or number has rank 1 unless it is all zeros
        return D.reduce_discrete("any", FUNCTIONS["not_equal"](A, 0), None, None, False,
                                 np.intp)
    s = svd(A, compute_uv=False)
    if tol is None:
        return _count_above(s, max(A.shape[-2:]) * float(np.finfo(s.dtype).eps))
    tol = expand_dims(stop_gradient(R.to_array(tol)), -1)
    return D.count_nonzero(FUNCTIONS["greater"](s, tol), -1, False, np.intp)


def _count_above(s: Any, rtol: float) -> Any:
    """How many of the singular values ``s`` (descending, last axis) exceed ``rtol`` times
    the largest one (an integer array, no derivative)."""
    if s.shape[-1] == 0:
        return D.count_nonzero(s, -1, False, np.intp)  # zero singular values: rank 0
    largest = R.max(stop_gradient(s), axis=-1, keepdims=True)
    return D.count_nonzero(FUNCTIONS["greater"](s, largest * rtol), -1, False, np.intp)
