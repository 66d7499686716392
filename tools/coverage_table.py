"""The derivative coverage table ``docs/coverage.md``, generated from the code.

Every public function of ``gpugrad.numpy``, ``gpugrad.numpy.linalg``, ``gpugrad.numpy.fft``
and ``gpugrad.scipy.special`` (their ``__all__`` at generation time) is called on a tiny
float64 sample input, and its derivatives are checked with
:func:`gpugrad.test_util.check_grads` in forward mode and in reverse mode separately, up to
order 2. The status in the table is what that run found, never a declaration:

* ``order 2``: the JVP (or VJP) matches finite differences (or the inner-product identity),
  and so do the derivatives of the derivative;
* ``zero``: it passes and the derivative is identically zero (piecewise-constant functions,
  as in JAX);
* ``order 1``: first derivatives pass, second derivatives fail;
* ``fails (...)``: even first derivatives raise or are wrong;
* ``—``: no derivative to take (integer or boolean results, creation from shapes), or no
  sample input could be found (``no sample``).

Run ``python -m tools.coverage_table`` to rewrite the table, ``--check`` to exit with
status 1 when it is stale (``tests/project/test_coverage.py`` does the same).

The module also lists the NumPy functions that HIPS autograd differentiates
(``AUTOGRAD_FUNCTIONS``, found by introspecting its ``defvjp`` registrations:
``autograd.core.primitive_vjps``, keeping the wrapped NumPy functions).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["AUTOGRAD_FUNCTIONS", "DOC_PATH", "MODULES", "autograd_functions", "render"]

MODULES = ("gpugrad.numpy", "gpugrad.numpy.linalg", "gpugrad.numpy.fft", "gpugrad.scipy.special")
DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"

# The 106 functions of the main NumPy namespace that autograd 1.x registers a VJP for, and
# the ones of numpy.linalg and numpy.fft (see autograd_functions() to recompute them).
AUTOGRAD_FUNCTIONS: tuple[str, ...] = (
    "absolute", "add", "amax", "amin", "angle", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "array_split", "astype", "atleast_1d", "atleast_2d",
    "atleast_3d", "broadcast_to", "clip", "conjugate", "cos", "cosh", "cross", "cumsum",
    "deg2rad", "degrees", "diag", "diagonal", "diff", "divide", "dot", "dsplit", "einsum",
    "exp", "exp2", "expand_dims", "expm1", "fabs", "fliplr", "flipud", "fmax", "fmin",
    "full", "gradient", "hsplit", "hypot", "imag", "inner", "kron", "linspace", "log",
    "log10", "log1p", "log2", "logaddexp", "logaddexp2", "matmul", "max", "maximum", "mean",
    "min", "minimum", "moveaxis", "multiply", "nan_to_num", "negative", "outer", "pad",
    "partition", "power", "prod", "rad2deg", "radians", "ravel", "real", "real_if_close",
    "reciprocal", "remainder", "repeat", "reshape", "roll", "rollaxis", "rot90", "sin",
    "sinc", "sinh", "sort", "split", "sqrt", "square", "squeeze", "std", "subtract", "sum",
    "swapaxes", "tan", "tanh", "tensordot", "tile", "trace", "transpose", "tril", "triu",
    "var", "vsplit", "where",
)
AUTOGRAD_LINALG: tuple[str, ...] = (
    "cholesky", "det", "eig", "eigh", "inv", "norm", "pinv", "slogdet", "solve", "svd",
)
AUTOGRAD_FFT: tuple[str, ...] = (
    "fft", "fft2", "fftn", "fftshift", "ifft", "ifft2", "ifftn", "ifftshift", "irfft",
    "irfft2", "irfftn", "rfft", "rfft2", "rfftn",
)


def autograd_functions() -> dict[str, list[str]]:
    """``{"numpy": [...], "numpy.linalg": [...], "numpy.fft": [...]}``: the NumPy functions
    with a VJP in the installed autograd (raises ImportError without autograd)."""
    importlib.import_module("autograd.numpy")
    importlib.import_module("autograd.numpy.linalg")
    importlib.import_module("autograd.numpy.fft")
    from autograd.core import primitive_vjps

    found: dict[str, set[str]] = {"numpy": set(), "numpy.linalg": set(), "numpy.fft": set()}
    for prim in primitive_vjps:
        raw = getattr(prim, "fun", None)
        name = getattr(raw, "__name__", None)
        for key, mod in (("numpy", np), ("numpy.linalg", np.linalg), ("numpy.fft", np.fft)):
            if name and getattr(mod, name, None) is raw:
                found[key].add(name)
                break
    return {k: sorted(v) for k, v in found.items()}


# ---------------------------------------------------------------------------------------
# Sample inputs. Functions not listed are tried on generic samples, in order.

V = np.array([0.2, 0.7, 0.4, 0.9])
W = np.array([0.6, 0.3, 0.8, 0.5])
M = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])
M2 = np.array([[0.5, 0.1, 0.2], [0.3, 0.9, 0.4], [0.2, 0.6, 0.7]])
T3 = np.arange(1.0, 13.0).reshape(2, 3, 2) / 13.0
GENERIC = (("x", (V,)), ("x, y", (V, W)), ("A", (M,)), ("A, B", (M, M2)), ("A, x", (M, V[:3])))

Call = Callable[..., Any]
CREATION = "creation"
SAMPLES: dict[str, tuple[str, Call, tuple[Any, ...]] | str] = {
    name: CREATION for name in (
        "arange", "eye", "full", "geomspace", "identity", "linspace", "logspace", "ones",
        "tri", "zeros", "empty", "fftfreq", "rfftfreq")
}
SAMPLES.update({
    "array_split": ("array_split(x, 3)", lambda f, x: f(x, 3), (V,)),
    "astype": ("astype(x, float64)", lambda f, x: f(x, np.float64), (V,)),
    "at": ("at(x)[1:3].set(y[:2])", lambda f, x, y: f(x)[1:3].set(y[:2]), (V, W)),
    "broadcast_to": ("broadcast_to(x, (2, 4))", lambda f, x: f(x, (2, 4)), (V,)),
    "choose": ("choose([0, 1, 1, 0], [x, y])", lambda f, x, y: f(np.array([0, 1, 1, 0]), [x, y]),
               (V, W)),
    "clip": ("clip(x, 0.3, 0.8)", lambda f, x: f(x, 0.3, 0.8), (V,)),
    "column_stack": ("column_stack([x, y])", lambda f, x, y: f([x, y]), (V, W)),
    "concatenate": ("concatenate([x, y])", lambda f, x, y: f([x, y]), (V, W)),
    "corrcoef": ("corrcoef(A)", lambda f, a: f(a), (M2,)),
    "cross": ("cross(A, B)", lambda f, a, b: f(a, b), (M, M2)),
    "delete": ("delete(x, [0, 2])", lambda f, x: f(x, np.array([0, 2])), (V,)),
    "dsplit": ("dsplit(T, 2)", lambda f, t: f(t, 2), (T3,)),
    "dstack": ("dstack([x, y])", lambda f, x, y: f([x, y]), (V, W)),
    "einsum": ("einsum('ij,jk->ik', A, B)", lambda f, a, b: f("ij,jk->ik", a, b), (M, M2)),
    "expand_dims": ("expand_dims(x, 0)", lambda f, x: f(x, 0), (V,)),
    "full_like": ("full_like(x, 2.0)", lambda f, x: f(x, 2.0), (V,)),
    "getitem": ("getitem(x, [0, 2])", lambda f, x: f(x, np.array([0, 2])), (V,)),
    "hsplit": ("hsplit(x, 2)", lambda f, x: f(x, 2), (V,)),
    "hstack": ("hstack([x, y])", lambda f, x, y: f([x, y]), (V, W)),
    "insert": ("insert(x, 1, y[:2])", lambda f, x, y: f(x, 1, y[:2]), (V, W)),
    "interp": ("interp(y, sort(x), x)", lambda f, x, y: f(y, np.sort(V), x), (V, W)),
    "issubdtype": ("issubdtype(float32, floating)", lambda f: f(np.float32, np.floating), ()),
    "ldexp": ("ldexp(x, [1, 2, -1, 0])", lambda f, x: f(x, np.array([1, 2, -1, 0])), (V,)),
    "matrix_power": ("matrix_power(A, 3)", lambda f, a: f(a, 3), (M,)),
    "multi_dot": ("multi_dot([A, B, A])", lambda f, a, b: f([a, b, a]), (M, M2)),
    "moveaxis": ("moveaxis(A, 0, 1)", lambda f, a: f(a, 0, 1), (M,)),
    "nanpercentile": ("nanpercentile(x, 30)", lambda f, x: f(x, 30), (V,)),
    "nanquantile": ("nanquantile(x, 0.3)", lambda f, x: f(x, 0.3), (V,)),
    "pad": ("pad(x, 1, mode='edge')", lambda f, x: f(x, 1, mode="edge"), (V,)),
    "partition": ("partition(x, 1)", lambda f, x: f(x, 1), (V,)),
    "argpartition": ("argpartition(x, 1)", lambda f, x: f(x, 1), (V,)),
    "percentile": ("percentile(x, 30)", lambda f, x: f(x, 30), (V,)),
    "quantile": ("quantile(x, 0.3)", lambda f, x: f(x, 0.3), (V,)),
    "repeat": ("repeat(x, 2)", lambda f, x: f(x, 2), (V,)),
    "reshape": ("reshape(x, (2, 2))", lambda f, x: f(x, (2, 2)), (V,)),
    "roll": ("roll(x, 1)", lambda f, x: f(x, 1), (V,)),
    "rollaxis": ("rollaxis(A, 1)", lambda f, a: f(a, 1), (M,)),
    "select": ("select([x > 0.5], [y], x)", lambda f, x, y: f([x > 0.5], [y], x), (V, W)),
    "split": ("split(x, 2)", lambda f, x: f(x, 2), (V,)),
    "stack": ("stack([x, y])", lambda f, x, y: f([x, y]), (V, W)),
    "swapaxes": ("swapaxes(A, 0, 1)", lambda f, a: f(a, 0, 1), (M,)),
    "take": ("take(x, [3, 0])", lambda f, x: f(x, [3, 0]), (V,)),
    "take_along_axis": ("take_along_axis(x, [2, 0], 0)",
                        lambda f, x: f(x, np.array([2, 0]), 0), (V,)),
    "tile": ("tile(x, 2)", lambda f, x: f(x, 2), (V,)),
    "tril_indices": ("tril_indices(3)", lambda f: f(3), ()),
    "triu_indices": ("triu_indices(3)", lambda f: f(3), ()),
    "vsplit": ("vsplit(A, [1])", lambda f, a: f(a, [1]), (M,)),
    "vstack": ("vstack([x, y])", lambda f, x, y: f([x, y]), (V, W)),
    "where": ("where(x > 0.5, x, y)", lambda f, x, y: f(x > 0.5, x, y), (V, W)),
})


def public_functions(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    out = []
    for n in names:
        obj = getattr(module, n, None)
        if callable(obj) and not isinstance(obj, (type, types.ModuleType)):
            out.append(n)
    return sorted(set(out))


def _float_leaves(out: Any) -> bool:
    from gpugrad import tree_util

    leaves = tree_util.tree_leaves(out)
    return bool(leaves) and any(getattr(x, "dtype", np.dtype(int)).kind in "fc" for x in leaves)


def _find_sample(name: str, fn: Call) -> tuple[str, Call, tuple[Any, ...]] | str | None:
    declared = SAMPLES.get(name)
    if declared is not None:
        return declared
    for desc, args in GENERIC:
        try:
            fn(*args)
        except Exception:
            continue
        return f"{name}({desc})", lambda f, *a: f(*a), args
    return None


def _mode_status(f: Call, args: tuple[Any, ...], mode: str) -> str:
    from gpugrad.test_util import check_grads

    try:
        check_grads(f, args, order=1, modes=(mode,))
    except Exception as e:  # report, never raise: the table shows what happened
        return f"fails ({type(e).__name__})"
    try:
        check_grads(f, args, order=2, modes=(mode,))
    except Exception as e:
        return f"order 1 (2nd: {type(e).__name__})"
    return "order 2"


def _is_zero(f: Call, args: tuple[Any, ...]) -> bool:
    from gpugrad import api, tree_util

    try:
        rng = np.random.default_rng(1)
        tangents = tuple(rng.standard_normal(np.shape(a)) for a in args)
        _, t = api.jvp(f, args, tangents)
    except Exception:
        return False
    return all(not np.any(np.asarray(x)) for x in tree_util.tree_leaves(t))


def status(name: str, fn: Call) -> tuple[str, str, str]:
    """``(sample, forward, reverse)`` for one function, found by running it."""
    sample = _find_sample(name, fn)
    if sample is None:
        return "no sample", "—", "—"
    if sample == CREATION:
        return "creation", "—", "—"
    assert not isinstance(sample, str)
    desc, call, args = sample
    f = lambda *xs: call(fn, *xs)
    try:
        out = f(*args)
    except Exception as e:
        return desc, f"fails ({type(e).__name__})", f"fails ({type(e).__name__})"
    if not _float_leaves(out):
        return desc, "— (integer/bool result)", "— (integer/bool result)"
    fwd, rev = _mode_status(f, args, "fwd"), _mode_status(f, args, "rev")
    if fwd == rev == "order 2" and _is_zero(f, args):
        fwd = rev = "zero"
    return desc, fwd, rev


def rows(module_name: str) -> list[tuple[str, str, str, str]]:
    module = importlib.import_module(module_name)
    return [(n, *status(n, getattr(module, n))) for n in public_functions(module)]


def render() -> str:
    """The Markdown text of ``docs/coverage.md``."""
    import gpugrad

    lines = [
        "# Derivative coverage",
        "",
        "Generated by `python -m tools.coverage_table` from the code (do not edit): each "
        "function is run on the sample shown (float64, NumPy backend) and its derivatives "
        "are checked by `gpugrad.test_util.check_grads` in each mode, up to order 2.",
        "`order 2`: derivatives of first and second order pass; `zero`: they pass and are "
        "identically zero (piecewise-constant functions); `order 1`: only first order "
        "passes; `fails`: first order raises or is wrong; `—`: nothing to differentiate.",
        "",
    ]
    summary = []
    sections = []
    with warnings.catch_warnings(), gpugrad.use_backend("numpy"), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for module_name in MODULES:
            table = rows(module_name)
            ok = sum(1 for r in table if r[2] in ("order 2", "zero") and r[3] == r[2])
            summary.append(f"| `{module_name}` | {len(table)} | {ok} |")
            sections += [f"## `{module_name}`", "",
                         "| function | sample | forward (JVP) | reverse (VJP) |",
                         "| --- | --- | --- | --- |"]
            sections += [f"| `{n}` | `{s}` | {fw} | {rv} |" for n, s, fw, rv in table]
            sections.append("")
    lines += ["| module | functions | differentiable to order 2 in both modes |",
              "| --- | --- | --- |", *summary, ""]
    lines += sections
    lines += _autograd_section()
    return "\n".join(lines).rstrip() + "\n"


def _autograd_section() -> list[str]:
    import gpugrad.numpy as gnp

    lines = ["## HIPS autograd parity", "",
             f"The {len(AUTOGRAD_FUNCTIONS)} NumPy functions (plus {len(AUTOGRAD_LINALG)} of "
             f"`numpy.linalg` and {len(AUTOGRAD_FFT)} of `numpy.fft`) that autograd "
             "differentiates, and whether `gpugrad.numpy` has them:", ""]
    for title, names, module in (("numpy", AUTOGRAD_FUNCTIONS, gnp),
                                 ("numpy.linalg", AUTOGRAD_LINALG, gnp.linalg),
                                 ("numpy.fft", AUTOGRAD_FFT, gnp.fft)):
        missing = [n for n in names if not hasattr(module, n)]
        lines.append(f"- `{title}`: {len(names) - len(missing)} of {len(names)} present"
                     + (f"; missing: {', '.join(f'`{n}`' for n in missing)}" if missing else ""))
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.coverage_table",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if docs/coverage.md is stale")
    parser.add_argument("--output", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python -m tools.coverage_table",
                  file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
