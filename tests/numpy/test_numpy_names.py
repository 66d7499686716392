"""The NumPy names JAX users call (issue 12): values against NumPy and closed forms, against
jax.numpy where JAX is installed, derivatives by check_grads (order 2, both modes, float64),
JAX's dtypes with 64-bit mode off and on, and the errors for bad input.

Each row of ROWS is ``(id, fn(m, *args), inputs, numpy_too)``: ``fn`` is called with
``m = gpugrad.numpy``, with ``m = jax.numpy`` and (where ``numpy_too``) with ``m = numpy``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import tree_util
from gpugrad.test_util import check_grads

A = np.array([7.5, -7.5, 3.2, -2.5, 1.3, 0.4])
B = np.array([2.0, 2.0, -2.0, -0.7, 3.0, -0.9])
M = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.8]])
T = np.array([[[0.2, 1.0], [-0.5, 0.7]], [[1.1, -0.3], [0.4, 0.9]], [[0.6, 0.1], [-1.0, 2.0]]])
NAN_M = np.where(np.arange(6).reshape(2, 3) == 2, np.nan, M)  # no slice left empty
MASK = np.array([[True, False, True], [False, True, True]])
SOME = np.array([[True, False, True], [False, False, False]])  # a column with none chosen
REPEATS = np.array([3.0, 1.0, 3.0, 2.0, 1.0, 5.0])
# Finite differences split repeated values apart; unique's derivatives are checked on
# distinct values here and with repeats against a closed form below.
DISTINCT = np.array([3.0, 1.0, 3.5, 2.0, 1.2, 5.0])

Row = tuple[str, Callable[..., Any], tuple[Any, ...], bool]
ROWS: list[Row] = [
    # Rounding: inputs kept away from the halfway points, where finite differences jump.
    ("round to 1 place", lambda m, a: m.round(a * 1.333, 1), (A,), True),
    ("round to 2 places", lambda m, a: m.round(a * 1.333, 2), (A,), True),
    ("round to tens", lambda m, a: m.round(a * 13.33, -1), (A,), True),
    ("fmod", lambda m, a, b: m.fmod(a, b), (A, B), True),
    ("copysign", lambda m, a, b: m.copysign(a, b), (A, B), True),
    ("ldexp", lambda m, a: m.ldexp(a, np.array([1, 2, -3, 0, 5, -1])), (A,), True),
    ("frexp", lambda m, a: m.frexp(a)[0], (A,), True),
    ("i0", lambda m, a: m.i0(a), (np.array([0.3, -2.0, 7.5, 19.0, 21.0, -26.0]),), True),
    ("vander", lambda m, a: m.vander(a, 4), (np.array([0.0, 1.5, -2.0]),), True),
    ("vander-increasing", lambda m, a: m.vander(a, increasing=True), (A[:4],), True),
    ("trapezoid", lambda m, y: m.trapezoid(y), (A,), True),
    ("trapezoid-x", lambda m, y, x: m.trapezoid(y, x=x), (A, np.cumsum(B * B)), True),
    ("trapezoid-axis", lambda m, y: m.trapezoid(y, dx=0.5, axis=0), (M,), True),
    ("append", lambda m, a, b: m.append(a, b), (M, A), True),
    ("append-axis", lambda m, a: m.append(a, a * 2, axis=1), (M,), True),
    ("insert", lambda m, a, b: m.insert(a, 1, b[:3], axis=0), (M, A), True),
    ("insert-many", lambda m, a, b: m.insert(a, np.array([0, 2, 2]), b[:3]), (A, B), True),
    ("delete", lambda m, a: m.delete(a, np.array([0, 2]), axis=1), (M,), True),
    ("delete-slice", lambda m, a: m.delete(a, slice(None, None, 2)), (A,), True),
    ("select", lambda m, a, b: m.select([a < 0, b < 0], [a * b, a + b], default=a), (A, B),
     True),
    ("r_", lambda m, a, b: m.r_[a, 0:1:3j, b[:2]], (A, B), True),
    ("r_-directive", lambda m, a: m.r_["0,2,0", a[:3], a[3:]], (A,), True),
    ("c_", lambda m, a, b: m.c_[a, b], (A, B), True),
    ("c_-2d", lambda m, a: m.c_[a[:1], 0, a[1:] * 2], (M,), True),
    ("unique", lambda m, x: m.unique(x), (REPEATS,), True),
    ("unique-size", lambda m, x: m.unique(x, size=6), (REPEATS,), False),
    ("unique-fill", lambda m, x: m.unique(x, size=5, fill_value=-1.0), (REPEATS,), False),
    ("einsum-sublist", lambda m, a, t: m.einsum(a, [0, 1], t, [1, 2, 3], [0, 3, 2]), (M, T),
     True),
    ("einsum-implicit", lambda m, t: m.einsum(t, [Ellipsis, 0, 1], t, [Ellipsis, 1, 2]),
     (T,), True),
    ("sum-where", lambda m, x: m.sum(x, axis=0, where=MASK, initial=1.5), (M,), True),
    ("prod-where", lambda m, x: m.prod(x, axis=1, where=MASK, initial=2.0), (M,), True),
    ("mean-where", lambda m, x: m.mean(x, axis=1, where=MASK), (M,), True),
    ("var-where", lambda m, x: m.var(x, where=MASK, keepdims=True), (M,), True),
    ("std-where", lambda m, x: m.std(x, axis=1, where=MASK), (M,), True),
    ("max-where", lambda m, x: m.max(x, axis=0, where=SOME, initial=0.1), (M,), True),
    ("min-where", lambda m, x: m.min(x, axis=1, where=MASK, initial=5.0), (M,), True),
    ("nansum-where", lambda m, x: m.nansum(x, axis=1, where=MASK, initial=1.0), (M,), True),
    ("nanmean-where", lambda m, x: m.nanmean(x, axis=1, where=MASK), (M,), True),
    ("nanvar-where", lambda m, x: m.nanvar(x, where=MASK), (M,), True),
    ("nanmax-where", lambda m, x: m.nanmax(x, axis=0, where=SOME, initial=-3.0), (M,), True),
    ("nanmin-where", lambda m, x: m.nanmin(x, axis=1, where=MASK, initial=3.0), (M,), True),
    ("nanmean-nans", lambda m, x: m.nanmean(x, axis=0, where=MASK), (NAN_M,), True),
    ("nanvar-nans", lambda m, x: m.nanvar(x, axis=1, where=MASK), (NAN_M,), True),
    ("nanprod-where", lambda m, x: m.nanprod(x, axis=0, where=MASK), (M,), True),
    ("nanstd-where", lambda m, x: m.nanstd(x, axis=1, where=MASK, keepdims=True), (M,), True),
]
IDS = [r[0] for r in ROWS]


@pytest.fixture
def x64() -> Iterator[None]:
    """64-bit mode in gpugrad and (where installed) JAX, restored afterwards."""
    gpugrad.config.update("enable_x64", True)
    try:
        import jax
    except ImportError:
        jax = None
    old = jax.config.jax_enable_x64 if jax else False
    if jax:
        jax.config.update("jax_enable_x64", True)
    yield
    gpugrad.config.update("enable_x64", False)
    if jax:
        jax.config.update("jax_enable_x64", old)


def _close(actual: Any, expected: Any, rtol: float = 1e-10) -> None:
    for a, e in zip(tree_util.tree_leaves(actual), tree_util.tree_leaves(expected), strict=True):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape and a.dtype == e.dtype, (a.shape, a.dtype, e.shape, e.dtype)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_values_against_numpy(row: Row) -> None:
    _, fn, args, numpy_too = row
    if numpy_too:
        _close(fn(gnp, *args), fn(np, *args))


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_values_against_jax(row: Row, x64: None) -> None:
    jnp = pytest.importorskip("jax.numpy")
    _, fn, args, _ = row
    _close(fn(gnp, *args), fn(jnp, *[jnp.asarray(a) for a in args]))


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_derivatives(row: Row) -> None:
    name, fn, args, _ = row
    if name.startswith("unique"):
        args = (DISTINCT,)
    check_grads(lambda *xs: fn(gnp, *xs), args, order=2, modes=("fwd", "rev"))


def test_round_keeps_integers() -> None:
    ints = np.array([7, -15, 25], np.int32)
    for decimals in (0, 2):
        out = gnp.round(ints, decimals)
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out, ints)
    with pytest.raises(NotImplementedError, match=r"decimals=-1.*astype\(float\)"):
        gnp.round(ints, -1)


def test_closed_forms() -> None:
    # d fmod(x, y)/dy = -trunc(x / y); d copysign(x, y)/dx = -1 at x = 0 with y < 0 (JAX).
    g = gpugrad.grad(lambda y: gnp.sum(gnp.fmod(A, y)))(B)
    np.testing.assert_allclose(g, -np.trunc(A / B))
    assert gpugrad.grad(lambda x: gnp.copysign(x, -1.0))(np.float64(0.0)) == -1.0
    # i0' = i1, i1(2) = 1.590636854637329 (Abramowitz and Stegun, table 9.8).
    assert abs(gpugrad.grad(gnp.i0)(np.float64(2.0)) - 1.590636854637329) < 1e-14
    xs = np.array([0.0, 1e-3, 0.5, 5.0, 19.99, 20.01, 80.0, 700.0, -33.0])
    np.testing.assert_allclose(gnp.i0(xs), np.i0(xs), rtol=1e-15)
    special = np.array([0.0, -0.0, 8.0, 0.5, 1e-310, np.inf, -np.inf, np.nan, 1.7e308])
    for ours, numpy in zip(gnp.frexp(special), np.frexp(special), strict=True):
        np.testing.assert_array_equal(ours, numpy.astype(ours.dtype))
    # vander's derivative at 0 is exact: d/dx sum(vander(x)**2) = sum_k 2k x^(2k-1) = 0.
    assert gpugrad.grad(lambda x: gnp.sum(gnp.vander(x, 4) ** 2))(np.zeros(2)).tolist() == [0, 0]
    # trapezoid is linear in y: the gradient is the trapezoid weights.
    x = np.array([0.0, 1.0, 3.0, 3.5])
    np.testing.assert_allclose(gpugrad.grad(lambda y: gnp.trapezoid(y, x))(np.ones(4)),
                               [0.5, 1.5, 1.25, 0.25])
    # unique's values are gathered from the input: padding repeats the first (smallest).
    g = gpugrad.grad(lambda x: gnp.sum(gnp.unique(x, size=5) * gnp.arange(5.0)))(
        np.array([3.0, 1.0, 3.0, 2.0]))
    assert g.tolist() == [2.0, 7.0, 0.0, 1.0]
    # where= on a reduction: masked-out entries get no gradient.
    g = gpugrad.grad(lambda x: gnp.sum(gnp.square(x), where=MASK))(M)
    np.testing.assert_allclose(g, np.where(MASK, 2 * M, 0.0))


def test_any_all_where() -> None:
    x = np.array([[True, False], [False, False]])
    mask = np.array([[False, True], [True, True]])
    assert gnp.any(x, axis=1, where=mask).tolist() == [False, False]
    assert gnp.all(x, axis=0, where=~mask).tolist() == [True, True]
    assert bool(gnp.all(np.array([1.0, 0.0]), where=np.array([True, False])))


def test_unique_results() -> None:
    x = np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 5.0]])
    values, index, inverse, counts = gnp.unique(x, return_index=True, return_inverse=True,
                                                return_counts=True)
    assert values.tolist() == [1, 2, 3, 5] and index.tolist() == [1, 3, 0, 5]
    assert counts.tolist() == [2, 1, 2, 1] and inverse.shape == x.shape
    np.testing.assert_array_equal(values[inverse], x)
    _, index, counts = gnp.unique(x, return_index=True, return_counts=True, size=6)
    assert index.tolist() == [1, 3, 0, 5, 1, 1] and counts.tolist() == [2, 1, 2, 1, 0, 0]
    assert gnp.unique(x, size=2).tolist() == [1, 2]
    assert gnp.unique(x, axis=1).tolist() == [[1, 3, 3], [1, 2, 5]]
    nans = np.array([1.0, np.nan, np.nan])
    assert gnp.unique(nans).size == 2 and gnp.unique(nans, equal_nan=False).size == 3
    # Without size=, unique works under a transformation: gpugrad traces concrete values.
    g = gpugrad.grad(lambda v: gnp.sum(gnp.unique(v) ** 2))(np.array([2.0, 2.0, 3.0]))
    assert g.tolist() == [4.0, 0.0, 6.0]


@pytest.mark.parametrize("enable_x64", [False, True])
def test_integer_reduction_dtypes(enable_x64: bool) -> None:
    gpugrad.config.update("enable_x64", enable_x64)
    try:
        signed, unsigned = ("int64", "uint64") if enable_x64 else ("int32", "uint32")
        expected = {"int8": signed, "int16": signed, "int32": signed, "uint8": unsigned,
                    "uint16": unsigned, "bool": signed}
        for name, want in expected.items():
            x = np.ones((2, 3), name)
            assert gnp.sum(x).dtype == want and gnp.prod(x, axis=0).dtype == want, name
            cum = signed if name == "bool" else name  # running sums keep the dtype
            assert gnp.cumsum(x).dtype == cum and gnp.cumprod(x, axis=1).dtype == cum, name
        assert int(gnp.sum(np.full(300, 100, np.int8))) == 30000  # no int8 overflow
        assert gnp.sum(np.ones(3, np.int8), promote_integers=False).dtype == np.int8
        assert gnp.frexp(np.ones(2))[1].dtype == np.int32  # in both modes, as in JAX
        assert gnp.sum(np.ones(3, np.float16)).dtype == np.float16
    finally:
        gpugrad.config.update("enable_x64", False)


@pytest.mark.parametrize("enable_x64", [False, True])
def test_dtypes_against_jax(enable_x64: bool) -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", enable_x64)
    gpugrad.config.update("enable_x64", enable_x64)
    try:
        for name in ("int8", "int16", "int32", "uint8", "uint16", "uint32", "bool"):
            x = np.ones((2, 3), name)
            for fn in ("sum", "prod", "cumsum", "cumprod", "max", "min"):
                assert getattr(gnp, fn)(x).dtype == getattr(jnp, fn)(x).dtype, (name, fn)
        specs: list[tuple[Any, ...]] = [
            (1, 2.0), (np.int8, 1), (np.float16, 1.0), (1,), (2.5,), (True,), (1j,),
            (np.int32, np.float16), (np.uint8, np.int8), (np.bool_, 1.5), ("float32", "int16"),
            (np.dtype("int8"), 3), (int,), (float,), (np.float32, complex), (np.uint8, -1),
            (np.ones(2, np.float32), 1.0), (np.ones(2, bool), 1)]
        for spec in specs:
            assert gnp.result_type(*spec) == jnp.result_type(*spec), spec
    finally:
        jax.config.update("jax_enable_x64", old)
        gpugrad.config.update("enable_x64", False)


def test_result_type_and_dtype_questions() -> None:
    assert gnp.result_type(np.int8, 1) == np.int8
    assert gnp.result_type(np.uint8, np.int8) == np.int16
    assert gnp.result_type(1, 2.0) == np.float32 and gnp.result_type(np.float16, 1.0) == "f2"
    assert gnp.result_type(np.ones(2, np.float32), np.ones(2, np.int64)) == np.float32
    assert gnp.finfo(np.float32).eps == np.float32(2.0**-23)
    assert gnp.iinfo(np.int32).max == 2**31 - 1
    assert gnp.issubdtype(np.float32, np.floating) and not gnp.issubdtype("int8", np.floating)
    z = np.array([1 + 1j, 2 + 0j])
    assert gnp.iscomplex(z).tolist() == [True, False] and gnp.isreal(z).tolist() == [False, True]
    assert gnp.isreal(np.array([1.0])).tolist() == [True] and not gnp.iscomplex(3.0)
    assert gnp.isrealobj(1.0) and not gnp.isrealobj(z) and gnp.iscomplexobj(z)


def test_comparisons_and_indices() -> None:
    assert bool(gnp.array_equal(np.array([1, 2]), np.array([1.0, 2.0])))
    assert not bool(gnp.array_equal(np.array([1, 2]), np.array([1, 2, 3])))
    nan = np.array([1.0, np.nan])
    assert not bool(gnp.array_equal(nan, nan)) and bool(gnp.array_equal(nan, nan, True))
    assert gnp.allclose(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    assert gnp.isclose(np.array([1.0, np.nan]), nan, equal_nan=True).tolist() == [True, True]
    for ours, numpy in ((gnp.triu_indices(4, 1, 5), np.triu_indices(4, 1, 5)),
                        (gnp.tril_indices(3, -1), np.tril_indices(3, -1)),
                        (gnp.triu_indices_from(M), np.triu_indices_from(M)),
                        (gnp.tril_indices_from(M.T, 1), np.tril_indices_from(M.T, 1))):
        assert ours[0].dtype == np.int32
        np.testing.assert_array_equal(ours, numpy)
    assert gnp.r_[10:0:-3].tolist() == [10, 7, 4, 1] and gnp.r_[1:2:0.25].shape == (4,)
    assert gnp.r_["r", 1:3].shape == (1, 2) and gnp.r_["c", 1:3].shape == (2, 1)
    assert gnp.r_["0,3,1", [1, 2]].shape == (1, 2, 1)
    np.testing.assert_array_equal(gnp.row_stack([A, B]), np.vstack([A, B]))


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: gnp.unique(A, size=0), ValueError, "size must be a positive integer"),
    (lambda: gnp.unique(M, axis=2), ValueError, "axis 2 is out of bounds"),
    (lambda: gnp.ldexp(A, 2.0), TypeError, "exponent must be an integer"),
    (lambda: gnp.select([A > 0], [A, B]), ValueError, "one choice per condition"),
    (lambda: gnp.r_["x", 1], ValueError, "could not understand the directive"),
    (lambda: gnp.r_[1, "0,2"], ValueError, "must come first"),
    (lambda: gnp.max(M, where=MASK), ValueError, "needs initial="),
    (lambda: gnp.sum(M, where=M), TypeError, "boolean mask"),
    (lambda: gnp.triu_indices_from(A), ValueError, "must be 2-D"),
    (lambda: gnp.einsum(M, [0, -1]), ValueError, "sublist labels must be integers"),
    (lambda: gnp.insert(A, 1.5, 0.0), TypeError, "obj must be"),
    (lambda: gnp.delete(A, [9]), IndexError, "delete"),
    (lambda: gnp.result_type([1, 2]), TypeError, "not a list"),
    (lambda: gnp.vander(M), ValueError, "x must be 1-D"),
])
def test_errors(call: Callable[[], Any], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        call()


SCALAR_TYPES = ["bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64", "complex64", "complex128"]


@pytest.mark.parametrize("name", SCALAR_TYPES)
def test_scalar_types_are_dtypes(name: str) -> None:
    ours, numpys = getattr(gnp, name), getattr(np, name)
    assert np.dtype(ours) == np.dtype(numpys)
    assert ours == numpys and numpys == ours and np.dtype(numpys) == ours
    assert hash(ours) == hash(numpys) and {numpys: 1}[ours] == 1
    assert gnp.zeros(2, ours).dtype == numpys
    assert np.arange(3).astype(ours).dtype == numpys
    assert isinstance(numpys(1), ours) and not isinstance(1.5, ours)
    cast = ours(np.array([1.0, 0.0, 2.0]))
    assert type(cast) is np.ndarray and cast.dtype == numpys
    np.testing.assert_array_equal(cast, np.array([1.0, 0.0, 2.0]).astype(numpys))
    scalar = ours(1)
    assert type(scalar) is np.ndarray and scalar.shape == () and scalar.dtype == numpys


def test_scalar_types_cast_traced_values() -> None:
    # As jnp.float64(x) in JAX: a differentiable cast (NumPy's np.float64(x) would drop it).
    g = gpugrad.grad(lambda x: gnp.float64(x) ** 3)(np.float32(2.0))
    assert g.dtype == np.float32 and g == 12.0
    _, t = gpugrad.jvp(lambda x: gnp.float32(x) * x, (np.float64(3.0),), (np.float64(1.0),))
    assert t == 6.0
    # An integer cast of a traced float is an index with no derivative (autograd's
    # test_cast_to_int): only the gathered values carry one.
    W = np.array([[0.4, 1.2], [-0.7, 0.3], [2.0, 1.9]])  # last column -> rows 1, 0, 1
    g = gpugrad.grad(lambda W: gnp.sum(W[gnp.int64(W[:, -1])]))(W)
    np.testing.assert_array_equal(g, [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]])


def test_allclose_and_array_equal_return_arrays_as_jax() -> None:
    # api.md: outside transformations every function returns an array, 0-d for a scalar.
    for out, expected in ((gnp.allclose(np.ones(2), np.ones(2) + 1e-9), True),
                          (gnp.allclose(np.ones(2), np.zeros(2)), False),
                          (gnp.array_equal(np.ones(2), np.ones(2)), True)):
        assert type(out) is np.ndarray and out.shape == () and out.dtype == np.bool_
        assert bool(out) is expected
