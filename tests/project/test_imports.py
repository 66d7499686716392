"""Imports sit at the top of their module, and no modules import each other. An import inside
a function hides a dependency from the reader, and usually an import cycle that a lower module
or a registration hook should break instead. The few that stay are listed in ``ALLOWED``, each
with its reason: a dependency that may be absent, a module loaded late because it is heavy and
seldom needed, or a cycle still to break."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CUPY = "optional dependency: CuPy, present only with a GPU"
_MPI = "optional dependency: mpi4py, present only under an MPI launcher"
# (importing module, imported name) -> why the import stays inside a function. The imported
# name is the module for ``import m`` and ``m.name`` for ``from m import name``.
ALLOWED: dict[tuple[str, str], str] = {
    # Dependencies that may be absent: imported where they are used, after checking.
    ("gpugrad.backend", "cupy"): _CUPY,
    ("gpugrad.distributed.collectives", "mpi4py.MPI"): _MPI,
    ("gpugrad.distributed.processes", "cupy"): _CUPY,
    ("gpugrad.distributed.processes", "mpi4py.MPI"): _MPI,
    ("gpugrad.distributed.transports", "cupy"): _CUPY,
    ("gpugrad.distributed.transports", "cupy.cuda.nccl"): _CUPY,
    ("gpugrad.distributed.transports", "mpi4py.MPI"): _MPI,
    ("gpugrad.examples.quickstart", "autograd"): "optional: a benchmark contender if installed",
    ("gpugrad.examples.quickstart", "autograd.numpy"): "optional: as autograd",
    ("gpugrad.examples.quickstart", "cupy"): _CUPY,
    ("gpugrad.info", "cupy"): _CUPY,
    ("gpugrad.kernel.compiler", "cupy"): _CUPY,
    ("gpugrad.kernel.compiler", "cupy._core.core"): _CUPY,
    ("gpugrad.kernel.compiler", "cupy_backends.cuda.libs.nvrtc"): _CUPY,
    ("gpugrad.kernel.launch", "cupy"): _CUPY,
    ("gpugrad.kernel.launch", "cupy.cuda._compiler_cache"): _CUPY,
    ("gpugrad.kernel.launch", "cupy.cuda.compiler"): _CUPY,
    ("gpugrad.kernel.launch", "cupy.cuda.compiler.CompileException"): _CUPY,
    ("gpugrad.primitives.indexing", "cupyx"): _CUPY,
    ("gpugrad.random.cuda_kernels", "cupy"): _CUPY,
    ("gpugrad.random.cuda_kernels", "cupy_backends.cuda.libs.nvrtc"): _CUPY,
    ("gpugrad.random.cuda_kernels", "nvidia.cuda_nvrtc"): "optional: pip's NVRTC, preloaded "
                                                          "when CuPy cannot find its own",
    # Heavy and seldom needed: loaded on first use.
    ("gpugrad.__main__", "gpugrad.kernel_check.check.main"):
        "the kernel checker (~90 ms), for `python -m gpugrad kernels` alone",
    ("gpugrad.__main__", "gpugrad.examples.quickstart.main"):
        "the quickstart (~20 ms), for `python -m gpugrad quickstart` alone",
    ("gpugrad.random._float_kernels", "gpugrad.random.cuda_kernels"):
        "the CUDA sources of the random kernels (~10 ms), used on CuPy keys only",
    ("gpugrad.random.threefry", "gpugrad.random.cuda_kernels"):
        "the CUDA sources of the random kernels (~10 ms), used on CuPy arrays only",
    ("gpugrad.primitives.elementwise_eval", "gpugrad.kernel.run_elementwise"):
        "the CUDA kernel generator and launcher, used on CuPy arrays only",
}


def function_imports(package: Path) -> list[tuple[str, str, int]]:
    """``(module, imported name, line)`` for every import statement inside a function (at
    any depth: methods and nested functions too) of the modules under ``package``."""
    found = set()
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    found.update((module, alias.name, node.lineno) for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    base = "." * node.level + (node.module or "")
                    found.update((module, f"{base}.{alias.name}", node.lineno)
                                 for alias in node.names)
    return sorted(found)


def module_imports(package: Path) -> dict[str, set[str]]:
    """The modules of ``package`` each module imports at module level (outside functions and
    ``if TYPE_CHECKING:``), ``from p import m`` counting as an import of the module ``p.m``."""
    files = {".".join(p.relative_to(package.parent).with_suffix("").parts).removesuffix(
        ".__init__"): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        edges = graph[module] = set()
        todo = list(ast.parse(path.read_text(), str(path)).body)
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                todo.extend(node.orelse)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom) and node.module in files:
                edges.update(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files
                             else node.module for a in node.names)
            else:
                todo.extend(ast.iter_child_nodes(node))
        # A package's __init__ runs before its modules: importing one's own package is no
        # edge (the package is already being imported).
        edges.difference_update(m for m in list(edges) if module.startswith(m + "."))
        edges.discard(module)
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` (its modules in order, the first repeated last), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[module] = 2
        path.pop()
        return []

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return []


def test_no_module_level_import_cycle():
    cycle = import_cycle(module_imports(ROOT / "gpugrad"))
    assert cycle == [], "modules that import each other: " + " -> ".join(cycle)


def test_the_import_cycle_check_can_fail(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg import a\n")
    (package / "a.py").write_text("import pkg.b\n")
    (package / "b.py").write_text("def f():\n    import pkg.c\n")  # inside a function
    (package / "c.py").write_text("from pkg import a\n")
    assert import_cycle(module_imports(package)) == []
    (package / "b.py").write_text("from pkg.c import x\n")
    assert import_cycle(module_imports(package)) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_no_import_inside_a_function_outside_the_allowlist():
    found = function_imports(ROOT / "gpugrad")
    unexpected = [(m, name, line) for m, name, line in found if (m, name) not in ALLOWED]
    assert unexpected == [], "imports inside functions; move them to the module's top (or " \
        "break the cycle that keeps them there):\n" + "\n".join(
            f"{m}:{line} imports {name}" for m, name, line in unexpected)


def test_every_allowlist_entry_is_still_needed():
    """An entry whose import moved to the top (or went away) leaves the list."""
    present = {(m, name) for m, name, _ in function_imports(ROOT / "gpugrad")}
    assert sorted(set(ALLOWED) - present) == []


def test_the_function_import_check_can_fail(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("import os\n")
    (package / "user.py").write_text(
        "import sys\n\n\n"
        "def f():\n    import json\n    return json\n\n\n"
        "class C:\n    def g(self):\n        def h():\n"
        "            from os.path import join, sep\n        return h\n")
    assert function_imports(package) == [("pkg.user", "json", 5),
                                         ("pkg.user", "os.path.join", 12),
                                         ("pkg.user", "os.path.sep", 12)]
