"""Each route of eager elementwise work against the route that would run without it.

    python -m benchmarks.evaluator_routes [--repeat 7] [--quick]

Which code evaluates an elementwise operation is decided by sizes, every one a
``gpugrad.config`` option. Each row below times one gradient twice, side by side and
interleaved: with the defaults, where the row's route is taken, and with the one option
moved so that it is not (the route the engine would fall back to). A route earns its place
where its ratio is under 1x; one that never is, on any backend, has no reason to exist. The
work is ``f(x) = sum(exp(-x**2) * sin(3x) + log1p(x**2))`` on float32 ``x`` (seed 002's
kind of pipeline), differentiated by ``grad`` (or pushed forward by ``jvp``).

Before timing, each configuration is run once with the ``debug`` option on, and the row
says whether the route it names was taken with the defaults and not taken with the option
moved (``tests/project/test_benchmarks.py`` holds every row to that, at small sizes).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import gpugrad
import gpugrad.numpy as gnp


def chain(x: Any) -> Any:
    return gnp.sum(gnp.exp(-(x**2)) * gnp.sin(3.0 * x) + gnp.log1p(x**2))


def chain_of_transpose(x: Any) -> Any:
    """The chain over ``x.T``: a strided (column-major) view reaches the evaluator."""
    return chain(gnp.transpose(x))


@dataclass(frozen=True)
class Route:
    """One row: the route, the debug message that names it, and how to make it not run."""

    name: str
    label: str  # the start of the debug message the route logs
    size: int
    moved: dict[str, int]  # the options that turn the route off
    make: Callable[[int], tuple[Callable[[Any], Any], Any]]  # size -> (function, argument)


def _vector(n: int) -> Any:
    return np.random.default_rng(0).uniform(-2.0, 2.0, n).astype(np.float32)


def _grad(n: int) -> tuple[Callable[[Any], Any], Any]:
    return gpugrad.grad(chain), _vector(n)


def _jvp(n: int) -> tuple[Callable[[Any], Any], Any]:
    x = _vector(n)
    return (lambda x: gpugrad.jvp(lambda x: gnp.exp(-(x**2)) * gnp.sin(3.0 * x), (x,),
                                  (np.ones_like(x),))), x


def _grad_strided(n: int) -> tuple[Callable[[Any], Any], Any]:
    side = round(n**0.5)
    return gpugrad.grad(chain_of_transpose), _vector(side * side).reshape(side, side)


NEVER = 1 << 62  # a size no array reaches: the threshold's route is off


def routes(quick: bool) -> list[Route]:
    """The rows: small sizes for a quick run (and the test), the measured ones otherwise."""
    small, middle, large = (512, 20_000, 70_000) if quick else (4096, 32_768, 1_000_000)
    return [
        Route("evaluated at once, generated VJP rule", "generated VJP rule", small,
              {"fusion_min_size": 0}, _grad),
        Route("value and tangent from one function", "value and tangent from one function",
              small, {"fusion_min_size": 0}, _jvp),
        Route("kept lazy, recomputed in the fused backward pass",
              "lazy (recomputed in the backward pass)", middle, {"fusion_min_size": NEVER},
              _grad),
        Route("lazy, evaluated when read", "lazy (evaluated when read)", large,
              {"lazy_min_size": NEVER}, _grad),
        Route("chunked NumPy", "chunked NumPy", large, {"chunked_min_size": NEVER}, _grad),
        Route("NumPy with reused buffers (strided arrays)", "NumPy with reused buffers", large,
              {"chunked_min_size": NEVER}, _grad_strided),
    ]


@contextlib.contextmanager
def options(**values: Any) -> Iterator[None]:
    """``gpugrad.config`` options set for the block, restored after it."""
    saved = {name: getattr(gpugrad.config, name) for name in values}
    try:
        for name, value in values.items():
            gpugrad.config.update(name, value)
        yield
    finally:
        for name, value in saved.items():
            gpugrad.config.update(name, value)


class _Labels(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def taken(route: Route, fn: Callable[[Any], Any], x: Any, **moved: Any) -> bool:
    """Whether one call of ``fn(x)`` (with ``moved`` options) logs ``route``'s message."""
    logger = logging.getLogger("gpugrad")
    handler, level = _Labels(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with options(debug=True, **moved):
            fn(x)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return any(m.startswith(route.label) for m in handler.messages)


def _per_call(fn: Callable[[Any], Any], x: Any, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn(x)
    return (time.perf_counter() - start) / number


def measure(route: Route, repeat: int) -> dict[str, Any]:
    """The row's times (median over ``repeat`` interleaved samples) and route checks."""
    fn, x = route.make(route.size)
    on = taken(route, fn, x)
    off = not taken(route, fn, x, **route.moved)
    fn(x)
    number = max(1, int(0.02 / max(_per_call(fn, x, 1), 1e-6)))  # about 20 ms a sample
    with_route: list[float] = []
    without: list[float] = []
    for _ in range(repeat):
        with_route.append(_per_call(fn, x, number))
        with options(**route.moved):
            without.append(_per_call(fn, x, number))
    t_on, t_off = statistics.median(with_route), statistics.median(without)
    return {"route": route.name, "n": route.size, "with": t_on, "without": t_off,
            "moved": ", ".join(f"{k}={'never' if v == NEVER else v}"
                               for k, v in route.moved.items()),
            "ratio": t_on / t_off, "checked": on and off}


def _time(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| route | n | with it | option moved | without it | ratio | route taken only "
             "with the defaults |", "| --- | ---: | ---: | --- | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['route']} | {r['n']:,} | {_time(r['with'])} | `{r['moved']}` | "
                     f"{_time(r['without'])} | {r['ratio']:.2f}x | "
                     f"{'yes' if r['checked'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="samples per configuration")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    args = parser.parse_args(argv)
    rows = [measure(route, args.repeat) for route in routes(args.quick)]
    print(f"Elementwise routes on {gpugrad.default_backend()}, float32, median of "
          f"{args.repeat} interleaved samples (ratio under 1x: the route pays):\n")
    print(table(rows))
    return 0 if all(r["checked"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
