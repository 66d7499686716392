"""Discipline in code: ruff and mypy are clean, the import layers of pyproject.toml hold, and
no module imports another's private name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
