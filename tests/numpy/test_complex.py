"""Complex dtypes with JAX's conventions: the VJP is the transpose of the JVP without
conjugation, so ``grad`` of a real function of ``z`` is the conjugate of ``df/dx + i df/dy``
and ``grad(f, holomorphic=True)`` is ``f'(z)``. Every row is checked to order 2 in both modes
(check_grads draws complex directions and uses the real inner product ``Re<a, b>``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad.numpy._complex import angle
from gpugrad.test_util import check_grads

Row = tuple[str, Callable[..., Any], list[tuple[tuple[int, ...], str]]]


def _inputs(xp: Any, specs: list[tuple[tuple[int, ...], str]], seed: int) -> tuple[Any, ...]:
    """``"c"``: complex128 with parts in [-1, 1] away from 0; ``"r"``: float64."""
    rng = np.random.default_rng(seed)
    out = []
    for shape, kind in specs:
        re = rng.uniform(0.3, 1.2, shape) * rng.choice([-1.0, 1.0], shape)
        im = rng.uniform(0.3, 1.2, shape) * rng.choice([-1.0, 1.0], shape)
        out.append(xp.asarray(re + 1j * im if kind == "c" else re))
    return tuple(out)


C = [((3, 4), "c")]
CC = [((3, 4), "c"), ((3, 4), "c")]

HOLOMORPHIC: list[Row] = [
    (name, getattr(gnp, name), C)
    for name in ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos",
                 "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
                 "arccosh", "arctanh", "reciprocal", "negative", "square"]
]

OTHER: list[Row] = [
    ("add", gnp.add, CC),
    ("subtract", gnp.subtract, [((3, 4), "c"), ((4,), "c")]),
    ("multiply", gnp.multiply, CC),
    ("divide", gnp.true_divide, [((3, 1), "c"), ((1, 4), "c")]),
    ("power", gnp.power, CC),
    ("ipow", lambda z: z**3 - 2 * z**-2, C),
    ("scalar-ops", lambda z: (1 + 2j) * z / (3.0 - z) + 1j, C),
    ("real", gnp.real, C),
    ("imag", gnp.imag, C),
    ("conj", gnp.conj, C),
    ("conjugate", lambda z: gnp.conjugate(z) * z, C),
    ("abs", gnp.abs, C),
    ("absolute-squared", lambda z: gnp.absolute(z) ** 2, C),
    ("angle", angle, C),
    ("angle-deg", lambda z: angle(z, deg=True), C),
    ("tracer-attributes", lambda z: z.real * z.imag + z.conj(), C),
    ("real-to-complex", lambda x, y: gnp.exp(x + 1j * y), [((3, 4), "r"), ((3, 4), "r")]),
    ("real-times-complex", lambda x, z: gnp.abs(x * z), [((3, 4), "r"), ((4,), "c")]),
    ("mixed-sum", lambda x, z: gnp.sum(gnp.real(z * x) + gnp.imag(z) ** 2), [((3, 4), "r"), C[0]]),
    ("sum", lambda z: gnp.sum(z * z, axis=0), C),
    ("mean", lambda z: gnp.mean(gnp.sin(z)), C),
    ("var", lambda z: gnp.var(z, axis=1), C),
    ("dot", gnp.dot, [((3, 4), "c"), ((4,), "c")]),
    ("matmul-mixed", gnp.matmul, [((3, 4), "r"), ((4, 2), "c")]),
    ("einsum", lambda a, b: gnp.einsum("ij,ij->i", a, gnp.conj(b)), CC),
    ("reshape-index", lambda z: gnp.reshape(z, (2, 6))[1, ::2] * z[0, :3], C),
    ("where", lambda z: gnp.where(gnp.real(z) > 0, z * z, gnp.conj(z)), C),
    ("astype-real", lambda z: gnp.astype(z, np.float64) * gnp.imag(z), C),
]

ROWS = HOLOMORPHIC + OTHER


@pytest.mark.parametrize("name,fn,domain", ROWS, ids=[r[0] for r in ROWS])
def test_check_grads_complex_order2(xp: Any, name: str, fn: Callable[..., Any],
                                    domain: list[tuple[tuple[int, ...], str]]) -> None:
    args = _inputs(xp, domain, seed=sum(map(ord, name)))
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------
# JAX's conventions, with known values

Z = np.complex128(3 + 4j)


def test_grad_of_abs_squared_is_the_conjugate_gradient() -> None:
    # JAX: grad(lambda z: abs(z)**2)(3+4j) == 6-8j (conj of d/dx + i d/dy = 2z).
    np.testing.assert_allclose(gpugrad.grad(lambda z: gnp.abs(z) ** 2)(Z), 6 - 8j)
    np.testing.assert_allclose(gpugrad.grad(lambda z: gnp.real(z * gnp.conj(z)))(Z), 6 - 8j)


def test_grad_of_parts() -> None:
    assert gpugrad.grad(gnp.real)(Z) == 1
    assert gpugrad.grad(gnp.imag)(Z) == -1j
    assert gpugrad.grad(lambda z: gnp.imag(gnp.conj(z)))(Z) == 1j
    np.testing.assert_allclose(gpugrad.grad(gnp.abs)(Z), (3 - 4j) / 5)
    # angle = atan2(y, x): d/dx = -y/r^2, d/dy = x/r^2, so grad = (-4 - 3j) / 25.
    np.testing.assert_allclose(gpugrad.grad(angle)(Z), (-4 - 3j) / 25)
    # real(g) for a holomorphic g: df/dx - i df/dy = Re g' + i Im g' = g'(z).
    np.testing.assert_allclose(gpugrad.grad(lambda z: gnp.real(gnp.sin(z)))(Z), np.cos(Z))
    np.testing.assert_allclose(gpugrad.grad(lambda z: gnp.imag(gnp.sin(z)))(Z),
                               -1j * np.cos(Z))


def test_abs_derivative_at_zero_is_zero() -> None:
    zero = np.complex128(0)
    assert gpugrad.grad(gnp.abs)(zero) == 0
    assert gpugrad.jvp(gnp.abs, (zero,), (np.complex128(1 + 1j),))[1] == 0


def test_jvp_and_vjp_of_abs() -> None:
    t = np.complex128(0.5 - 2j)
    _, tangent = gpugrad.jvp(gnp.abs, (Z,), (t,))
    np.testing.assert_allclose(tangent, (np.conj(Z) * t).real / 5)
    _, f_vjp = gpugrad.vjp(gnp.abs, Z)
    np.testing.assert_allclose(f_vjp(np.float64(2.0))[0], 2 * np.conj(Z) / 5)


@pytest.mark.parametrize("f,df", [
    (lambda z: z**2, lambda z: 2 * z),
    (gnp.sin, np.cos),
    (gnp.exp, np.exp),
    (gnp.log, lambda z: 1 / z),
    (lambda z: gnp.sqrt(z) * z, lambda z: 1.5 * np.sqrt(z)),
    (lambda z: 1 / (1 + z), lambda z: -1 / (1 + z) ** 2),
])
def test_holomorphic_grad_is_the_complex_derivative(f: Any, df: Any) -> None:
    np.testing.assert_allclose(gpugrad.grad(f, holomorphic=True)(Z), df(Z))
    # The VJP is ct * f'(z), not conjugated, and the JVP is t * f'(z).
    ct = np.complex128(0.3 - 1.1j)
    np.testing.assert_allclose(gpugrad.vjp(f, Z)[1](ct)[0], ct * df(Z))
    np.testing.assert_allclose(gpugrad.jvp(f, (Z,), (ct,))[1], ct * df(Z))


def test_holomorphic_jacobians_and_hessian() -> None:
    z = np.array([1 + 2j, -0.5 + 0.25j])
    expected = np.diag(3 * z**2)
    f = lambda v: v**3
    np.testing.assert_allclose(gpugrad.jacrev(f, holomorphic=True)(z), expected)
    np.testing.assert_allclose(gpugrad.jacfwd(f, holomorphic=True)(z), expected)
    hess = gpugrad.hessian(lambda v: gnp.sum(v**3), holomorphic=True)(z)
    np.testing.assert_allclose(hess, np.diag(6 * z))
    value, g = gpugrad.value_and_grad(lambda v: gnp.sum(gnp.exp(v)), holomorphic=True)(z)
    np.testing.assert_allclose(value, np.sum(np.exp(z)))
    np.testing.assert_allclose(g, np.exp(z))


def test_jacrev_of_a_real_function_of_complex_input() -> None:
    z = np.array([3 + 4j, 1 - 1j])
    jac = gpugrad.jacrev(lambda v: gnp.abs(v) ** 2)(z)
    np.testing.assert_allclose(jac, np.diag(2 * np.conj(z)))


def test_grad_of_real_input_through_complex_values_is_real() -> None:
    x = np.array([0.3, -1.2])
    g = gpugrad.grad(lambda v: gnp.sum(gnp.abs(v * (1 + 2j)) ** 2))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * 5 * x)
    g = gpugrad.grad(lambda v: gnp.sum(gnp.real(gnp.exp(1j * v))))(x)
    np.testing.assert_allclose(g, -np.sin(x))


def test_complex_errors() -> None:
    with pytest.raises(TypeError, match="holomorphic=True"):
        gpugrad.grad(lambda z: z**2)(Z)
    with pytest.raises(TypeError, match="complex dtype"):
        gpugrad.grad(lambda x: x**2 + 0j, holomorphic=True)(np.float64(1.0))
    with pytest.raises(TypeError, match="complex dtype"):
        gpugrad.grad(gnp.abs, holomorphic=True)(Z)
    with pytest.raises(TypeError, match="real-valued outputs"):
        gpugrad.jacrev(gnp.sin)(np.array([Z]))
    with pytest.raises(TypeError, match="real-valued inputs"):
        gpugrad.jacfwd(gnp.abs)(np.array([Z]))
    with pytest.raises(TypeError, match="complex dtype"):
        gpugrad.jacfwd(gnp.abs, holomorphic=True)(np.array([Z]))


# ---------------------------------------------------------------------------------------
# Values and dtypes


def test_values_match_numpy(xp: Any) -> None:
    (z,) = _inputs(xp, C, seed=3)
    host = z.get() if hasattr(z, "get") else z
    for ours, theirs in [(gnp.real, np.real), (gnp.imag, np.imag), (gnp.conj, np.conj),
                         (gnp.abs, np.abs), (angle, np.angle)]:
        out = ours(z)
        np.testing.assert_allclose(out.get() if hasattr(out, "get") else out, theirs(host),
                                   rtol=1e-14)
    out = angle(z, deg=True)
    np.testing.assert_allclose(out.get() if hasattr(out, "get") else out,
                               np.angle(host, deg=True), rtol=1e-14)


def test_real_inputs_follow_jax() -> None:
    x = np.array([-2.0, 3.0])
    assert gnp.real(x) is x and gnp.conj(x) is x
    np.testing.assert_array_equal(gnp.imag(x), [0.0, 0.0])
    np.testing.assert_allclose(angle(x), [math.pi, 0.0])
    assert gpugrad.grad(lambda v: gnp.sum(gnp.imag(v)))(x).tolist() == [0.0, 0.0]


def test_single_precision_stays_single() -> None:
    z = np.array([1 + 2j, 3 - 1j], dtype=np.complex64)
    assert gnp.real(z).dtype == np.float32
    assert gnp.abs(z).dtype == np.float32
    assert gnp.exp(z).dtype == np.complex64
    assert angle(z).dtype == np.float32
    g = gpugrad.grad(lambda v: gnp.sum(gnp.abs(v) ** 2))(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 2 * np.conj(z), rtol=1e-6)


def test_python_complex_scalars() -> None:
    np.testing.assert_allclose(gnp.abs(3 + 4j), 5.0)
    assert gnp.abs(3 + 4j).dtype == np.float32  # the default complex is complex64
    np.testing.assert_allclose(gnp.real(1 + 2j), 1.0)


def test_real_if_close_of_complex_arrays_follows_numpy() -> None:
    for z in (np.array([1.0 + 1e-15j, -2.0]), np.array([1.0 + 1e-3j, -2.0]),
              np.array([1.0 + 1e-9j], np.complex64), np.array([1.0 + 1e-3j]),
              np.array([3.0 + 0.0j])):
        for tol in (100, 1e-2):
            got, expected = gnp.real_if_close(z, tol=tol), np.real_if_close(z, tol=tol)
            assert got.dtype == expected.dtype, (z, tol)
            np.testing.assert_array_equal(got, expected)


def test_real_if_close_derivatives() -> None:
    # Imaginary parts far from zero: the identity, checked to order 2 in complex directions.
    check_grads(gnp.real_if_close, (np.array([1.0 + 0.5j, -2.0 - 1.0j]),), order=2)
    # Imaginary parts at zero: the real part, whose gradient (JAX's convention) is real.
    z = np.array([1.5 + 0.0j, -2.0 + 0.0j])
    g = gpugrad.grad(lambda v: gnp.sum(gnp.real_if_close(v) ** 2))(z)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, [3.0, -4.0], rtol=1e-15)
