"""Discipline in code: ruff and mypy are clean, the import layers of pyproject.toml hold, and
no module imports another's private name."""

from __future__ import annotations

import ast
import inspect
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_clean():
    proc = _run("ruff", "check", "gpugrad", "tests", "benchmarks", "tools")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean():
    proc = _run("mypy")  # the files listed in pyproject.toml
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean_on_the_cupy_stand_in():
    proc = _run("mypy", "--explicit-package-bases", "tools/cupy_standin")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_py_typed_ships():
    assert (ROOT / "gpugrad" / "py.typed").exists()


def _lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_import_layers_hold():
    """The layers contract (and the forbidden ones) of pyproject.toml: every import of every
    module, at module level or inside a function, looks down."""
    proc = _lint_imports(ROOT / "pyproject.toml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout


def test_import_linter_reports_an_upward_import(tmp_path):
    """The check can fail: a contract the code breaks (the core does import the backend)."""
    config = tmp_path / "broken.toml"
    config.write_text('[tool.importlinter]\nroot_package = "gpugrad"\n\n'
                      '[[tool.importlinter.contracts]]\nname = "core above backend"\n'
                      'type = "layers"\nlayers = ["gpugrad.backend", "gpugrad.core"]\n')
    proc = _lint_imports(config)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gpugrad.core.concrete -> gpugrad.backend" in proc.stdout


def private_imports(package: Path) -> list[tuple[str, str, int]]:
    """``(importer, imported, line)`` for every ``from m import _name`` in ``package`` whose
    ``_name`` belongs to another module: a private function, class or constant of ``m``, or
    a private module of a package other than the importer's own."""
    files = {".".join(p.relative_to(package.parent).with_suffix("").parts).removesuffix(
        ".__init__"): p for p in package.rglob("*.py")}
    found = []
    for name, path in files.items():
        own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith(package.name)):
                continue
            for alias in node.names:
                if not alias.name.startswith("_") or alias.name.startswith("__"):
                    continue
                full = f"{node.module}.{alias.name}"
                if full in files and node.module == own_package:
                    continue  # a private module of the importer's own package
                found.append((name, full, node.lineno))
    return found


def test_no_module_imports_anothers_private_name():
    found = private_imports(ROOT / "gpugrad")
    assert found == [], "\n".join(f"{a}:{line} imports {b}" for a, b, line in found)


def test_the_private_name_check_can_fail(tmp_path):
    package = tmp_path / "gpugrad"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "inner" / "_hidden.py").write_text("_helper = 1\n")
    (package / "user.py").write_text("from gpugrad.inner._hidden import _helper\n"
                                     "from gpugrad.inner import _hidden\n")
    assert private_imports(package) == [("gpugrad.user", "gpugrad.inner._hidden._helper", 1),
                                        ("gpugrad.user", "gpugrad.inner._hidden", 2)]


# Calls of factory-made public functions, each wrong in its arguments (by count or by a
# keyword the function does not take), and the same calls made rightly. The functions run
# on ``*args`` or are made by a factory, so only their declared types let mypy see these.
_HEADER = """import numpy as np

import gpugrad.numpy as gnp
from gpugrad import lax
from gpugrad.nn import initializers
from gpugrad.scipy import special

x = gnp.ones(3)
"""
_WRONG = """gnp.sin(x, x, x)
gnp.add(x)
gnp.zeros_like(x, dtyp=None)
gnp.max(x, 0, False, None)
gnp.argmax(x, where=x)
gnp.any(x, axes=0)
gnp.quantile(x)
gnp.fft.fft(x, nn=3)
gnp.isnan(x, x)
gnp.fmax(x)
gnp.hypot(x)
gnp.float32(1, 2)
lax.add(x)
lax.sin(x, x)
lax.argmax(x, 0)
lax.cumsum(x, axes=0)
special.xlogy(x)
special.erf(x, x)
initializers.glorot_uniform(in_ax=0)
"""
_RIGHT = """gnp.sin(x)
gnp.add(x, 1.0)
gnp.zeros_like(x, dtype=None)
gnp.max(x, 0, False, initial=None)
gnp.argmax(x, axis=0)
gnp.any(x, axis=0, where=x)
gnp.quantile(x, 0.5, method="lower")
gnp.fft.fft(x, n=3)
gnp.isnan(x)
gnp.fmax(x, x)
gnp.hypot(x, 4.0)
gnp.float32(1)
lax.add(x, y=x)
lax.sin(x=x)
lax.argmax(x, 0, np.int32)
lax.cumsum(x, axis=0, reverse=True)
special.xlogy(x, x)
special.erf(x)
initializers.glorot_uniform(in_axis=0)
"""


def _mypy_errors(path: Path) -> tuple[set[int], str]:
    """The lines of ``path`` mypy (the project's configuration) reports errors at."""
    proc = _run("mypy", str(path))
    # Matched by the file's name: where its text is unchanged, mypy's cache replays the
    # errors under the path the file had when they were found (another tmp_path).
    lines = {int(line.split(":")[1]) for line in proc.stdout.splitlines()
             if line.split(":")[0].endswith(f"/{path.name}") and ": error:" in line}
    return lines, proc.stdout + proc.stderr


def _check_calls(folder: Path, name: str, header: str, wrong_calls: str, right_calls: str
                 ) -> None:
    """mypy reports an error at every line of ``wrong_calls`` and none in ``right_calls``;
    the right calls are right when run, too: the declared types match the functions."""
    wrong, right = folder / f"{name}_wrong.py", folder / f"{name}_right.py"
    wrong.write_text(header + wrong_calls)
    right.write_text(header + right_calls)
    first = header.count("\n") + 1
    errors, output = _mypy_errors(wrong)
    assert errors == set(range(first, first + wrong_calls.count("\n"))), output
    errors, output = _mypy_errors(right)
    assert errors == set(), output
    runpy.run_path(str(right))


def test_mypy_checks_the_arguments_of_factory_made_functions(tmp_path):
    _check_calls(tmp_path, "factories", _HEADER, _WRONG, _RIGHT)


def _protocol_pairs() -> list[tuple[type, Any]]:
    import gpugrad.numpy as gnp
    from gpugrad import lax
    from gpugrad.lax.operands import BinaryOp, UnaryOp
    from gpugrad.lax.reductions import ArgExtremum
    from gpugrad.lax.scans import Cumulative
    from gpugrad.nn import initializers
    from gpugrad.numpy._creation import LikeFactory
    from gpugrad.numpy._reductions import Extremum
    from gpugrad.numpy.fft import ManyAxes, OneAxis
    from gpugrad.numpy.order_statistics import OrderStatistic

    return [(LikeFactory, gnp.ones_like), (OrderStatistic, gnp.nanpercentile),
            (OneAxis, gnp.fft.irfft), (ManyAxes, gnp.fft.fftn), (ManyAxes, gnp.fft.fft2),
            (Extremum, gnp.min), (UnaryOp, lax.cos), (BinaryOp, lax.ge),
            (BinaryOp, lax.bitwise_or), (BinaryOp, lax.sub), (ArgExtremum, lax.argmin),
            (Cumulative, lax.cummax), (initializers.InitializerFactory, initializers.he_normal)]


def test_the_factory_protocols_spell_the_runtime_signatures():
    """Each protocol's ``__call__`` has its functions' parameters: names, kinds, defaults
    (``...`` where the functions' defaults differ) and annotations."""
    for protocol, fn in _protocol_pairs():
        declared = list(inspect.signature(protocol.__call__).parameters.values())[1:]
        actual = list(inspect.signature(fn).parameters.values())
        assert len(declared) == len(actual), (protocol, fn)
        for d, a in zip(declared, actual):
            if d.default is ...:
                d = d.replace(default=a.default)
            assert d == a, (protocol.__name__, fn.__name__, d, a)


# Calls of the functions the transformations make, each wrong against the user's function's
# signature (arguments, keywords, or the type of the result), and the same calls made rightly.
# The transformations keep the function's parameters in their types (and jit, checkpoint and
# the custom functions its return type; vjp, jvp and linearize check the primals against
# the parameters), so mypy sees these at the call.
_TRANSFORM_HEADER = """from functools import partial

import numpy as np

import gpugrad
import gpugrad.numpy as gnp


def square(x: float) -> float:
    return x * x


def loss(w: np.ndarray, x: np.ndarray, scale: float = 1.0) -> np.ndarray:
    return gnp.sum(gnp.tanh(w * x)) * scale


@gpugrad.jit
def cube(x: np.ndarray) -> np.ndarray:
    return x ** 3


@partial(gpugrad.jit, static_argnums=1)
def power(x: np.ndarray, n: int) -> np.ndarray:
    return x ** n


@gpugrad.custom_jvp
def softplus(x: np.ndarray) -> np.ndarray:
    return gnp.log1p(gnp.exp(x))


@softplus.defjvp
def _softplus_jvp(primals: tuple[np.ndarray], tangents: tuple[np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + gnp.exp(-x))


@partial(gpugrad.custom_vjp, nondiff_argnums=(0,))
def scale_by(n: int, x: np.ndarray) -> np.ndarray:
    return x * n


def _scale_by_fwd(n: int, x: np.ndarray) -> tuple[np.ndarray, None]:
    return scale_by(n, x), None


def _scale_by_bwd(n: int, residuals: None, ct: np.ndarray) -> tuple[np.ndarray]:
    return (n * ct,)


scale_by.defvjp(_scale_by_fwd, _scale_by_bwd)


def _times(n: int, x: np.ndarray) -> np.ndarray:
    return x * n


times = gpugrad.custom_jvp(_times, nondiff_argnums=(0,))


@times.defjvp
def _times_jvp(n: int, primals: tuple[np.ndarray], tangents: tuple[np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray]:
    return times(n, primals[0]), n * tangents[0]


x = np.array([0.5, -1.0, 2.0])
batch = np.stack([x, 2.0 * x])
"""
_TRANSFORM_WRONG = """gpugrad.jit(square)(1.0, 2.0)
s: str = gpugrad.jit(square)(1.0)
gpugrad.jit(square, static_argnums=0)(1.0, 2.0)
cube(x, x)
c: str = cube(x)
power(x)
gpugrad.grad(loss)(x, x, y=1)
gpugrad.grad(loss, argnums=(0, 1))(x)
gpugrad.value_and_grad(loss)(x, x, 1.0, 2.0)
value, grads, extra = gpugrad.value_and_grad(loss)(x, x)
gpugrad.vmap(loss)()
gpugrad.vmap(loss, in_axes=(0, None))(batch, x, scal=2.0)
gpugrad.checkpoint(square)("a", "b")
k: str = gpugrad.checkpoint(square, policy=gpugrad.checkpoint_policies.dots_saveable)(1.0)
gpugrad.remat(loss)(x)
gpugrad.jacrev(loss)(x, x, 1.0, 2.0)
gpugrad.jacfwd(loss)(x)
gpugrad.hessian(loss)(w=x)
gpugrad.make_jaxpr(loss)()
softplus(x, x)
p: str = softplus(x)
scale_by(x)
times(x, 3)
gpugrad.jit(gpugrad.grad(loss))(x)
gpugrad.vmap(gpugrad.jit(loss))(batch, batch, 1.0, 2.0)
gpugrad.grad(gpugrad.checkpoint(loss), argnums=1)(x)
gpugrad.vjp(loss, x)
gpugrad.vjp(loss, x, x, 1.0, 2.0)
gpugrad.vjp(square, "a")
gpugrad.jvp(loss, (x,), (x,))
gpugrad.linearize(loss, x, x)[1](x)
"""
_TRANSFORM_RIGHT = """dw = x * (1.0 - np.tanh(x * x) ** 2)
assert float(gpugrad.jit(square)(3.0)) == 9.0
s: float = gpugrad.jit(square)(3.0)
assert float(s) == 9.0
assert float(gpugrad.jit(square, static_argnums=0)(3.0)) == 9.0
np.testing.assert_allclose(cube(x), x ** 3)
np.testing.assert_allclose(power(x, 2), x ** 2)
np.testing.assert_allclose(gpugrad.grad(loss)(x, x, scale=2.0), 2.0 * dw)
np.testing.assert_allclose(gpugrad.grad(loss, argnums=(0, 1))(x, x)[1], dw)
value, grads = gpugrad.value_and_grad(loss)(x, x)
np.testing.assert_allclose(value, np.sum(np.tanh(x * x)))
np.testing.assert_allclose(grads, dw)
np.testing.assert_allclose(gpugrad.vmap(loss, in_axes=(0, None, None))(batch, x, 2.0),
                           2.0 * np.tanh(batch * x).sum(axis=1))
assert gpugrad.checkpoint(square)(3.0) == 9.0
k: float = gpugrad.checkpoint(square, policy=gpugrad.checkpoint_policies.dots_saveable)(3.0)
assert k == 9.0
np.testing.assert_allclose(gpugrad.grad(gpugrad.remat(loss))(x, x), dw)
np.testing.assert_allclose(gpugrad.jacrev(loss)(x, x, 1.0), dw)
np.testing.assert_allclose(gpugrad.jacfwd(loss)(x, x), dw)
np.testing.assert_allclose(gpugrad.hessian(loss)(x, x=x),
                           np.diag(-2.0 * x ** 2 * np.tanh(x * x) * (1.0 - np.tanh(x * x) ** 2)))
assert "tanh" in str(gpugrad.make_jaxpr(loss)(x, x))
np.testing.assert_allclose(softplus(x), np.log1p(np.exp(x)))
np.testing.assert_allclose(gpugrad.grad(lambda v: gnp.sum(softplus(v)))(x), 1 / (1 + np.exp(-x)))
p: np.ndarray = softplus(x)
np.testing.assert_allclose(scale_by(3, x), 3.0 * x)
np.testing.assert_allclose(gpugrad.grad(lambda v: gnp.sum(scale_by(3, v)))(x), [3.0] * 3)
np.testing.assert_allclose(gpugrad.grad(lambda v: gnp.sum(times(4, v)))(x), [4.0] * 3)
np.testing.assert_allclose(gpugrad.jit(gpugrad.grad(loss))(x, x), dw)
np.testing.assert_allclose(gpugrad.vmap(gpugrad.jit(loss))(batch, batch),
                           np.tanh(batch * batch).sum(axis=1))
np.testing.assert_allclose(gpugrad.grad(gpugrad.checkpoint(loss), argnums=1)(x, x), dw)
out, pull = gpugrad.vjp(loss, x, x)
np.testing.assert_allclose(pull(np.array(1.0))[0], dw)
np.testing.assert_allclose(gpugrad.vjp(loss, x, x, 2.0)[1](np.array(1.0))[1], 2.0 * dw)
out, tangent = gpugrad.jvp(loss, (x, x), (np.ones(3), np.zeros(3)))
np.testing.assert_allclose(tangent, dw.sum())
np.testing.assert_allclose(gpugrad.jvp(loss, [x, x], [np.zeros(3), np.ones(3)])[1], dw.sum())
out, loss_jvp = gpugrad.linearize(loss, x, x)
np.testing.assert_allclose(loss_jvp(np.ones(3), np.zeros(3)), dw.sum())
"""


def test_mypy_checks_the_calls_of_transformed_functions(tmp_path):
    """Each wrong call is reported at its line; the right ones are clean and give the numbers
    of the closed forms (``loss``'s gradient in ``w`` is ``x (1 - tanh(w x)^2)``)."""
    _check_calls(tmp_path, "transformed", _TRANSFORM_HEADER, _TRANSFORM_WRONG, _TRANSFORM_RIGHT)
