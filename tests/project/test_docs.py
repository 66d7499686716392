"""Every public function's docstring example runs (doctest over the whole package).

Examples assume the imports a user of the package has made, as NumPy's assume
``import numpy as np``: :data:`EXAMPLE_GLOBALS`."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import gpugrad
import gpugrad.numpy as gnp
from gpugrad import lax

# What every docstring example may use without importing it (the README says the same).
EXAMPLE_GLOBALS = {"np": np, "gpugrad": gpugrad, "gnp": gnp, "lax": lax}

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(gpugrad.__path__, "gpugrad.")
    if not m.name.startswith("gpugrad.examples")  # scripts: run by their own tests
)
# The development tools outside the package (run from the repository root).
TOOLS = ["tools.abstract_check", "tools.config_table", "tools.coverage_table",
         "tools.distributed_worker",
         "tools.verify_fma32"]


@pytest.mark.parametrize("name", MODULES + TOOLS)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failures, _ = doctest.testmod(module, extraglobs=EXAMPLE_GLOBALS, optionflags=flags)
    assert failures == 0


def test_generated_ufunc_examples_run():
    from gpugrad.numpy._ufuncs import FUNCTIONS

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name, fn in FUNCTIONS.items():
        for test in finder.find(fn, name, globs=dict(EXAMPLE_GLOBALS)):
            runner.run(test)
    assert runner.failures == 0 and runner.tries >= len(FUNCTIONS)


def test_public_functions_have_examples():
    import gpugrad.numpy as gnp

    missing = [name for name in ("grad", "value_and_grad", "vjp", "jvp", "linearize", "jacrev",
                                 "jacfwd", "hessian", "stop_gradient")
               if ">>>" not in (getattr(gpugrad, name).__doc__ or "")]
    missing += [f"gnp.{n}" for n in dir(gnp) if not n.startswith("_") and callable(getattr(gnp, n))
                and getattr(getattr(gnp, n), "__module__", "").startswith("gpugrad")
                and ">>>" not in (getattr(gnp, n).__doc__ or "")]
    assert not missing, f"public functions without a runnable example: {missing}"
