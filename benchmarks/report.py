"""Turn a pytest-benchmark JSON run into a Markdown table, ratios and a plot.

    python -m benchmarks.report RUN.json [--out DIR] [--append benchmarks/RESULTS.md]

writes ``DIR/report.md`` (medians per framework, then gpugrad's ratios: to autograd, to the
fastest peer, to the forward floor, with the goal of each case where it has one; then
gpugrad.jit's ratios to jax.jit, per call and first call, with their goals; then the
backward-fusion benchmark's own table, with peak memory) and ``DIR/ratios.png``;
``--append`` adds the same section, dated, with device, versions and commit, to a results
file. The report reads only the JSON (``extra_info`` written by ``harness.py`` and
``bench_fusion.py``, ``machine_info`` by ``conftest.py``), so it runs on any machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpugrad.examples.quickstart import fmt_time  # one formatter, shared with quickstart

PEER_ORDER = ("autograd", "jax", "jax.jit", "torch.func", "torch.autograd")
GPUGRAD_COLUMNS = ("gpugrad", "gpugrad.jit")  # eager, then jitted
COMPILING = ("gpugrad.jit", "jax.jit")  # frameworks whose first call traces and compiles


@dataclass
class Case:
    """One workload at one size: each framework's median (seconds) and gpugrad's goal."""

    name: str
    scale: str
    target: str | None = None
    jit_target: str | None = None  # gpugrad.jit's goal, e.g. "jax.jit<=3"
    medians: dict[str, float] = field(default_factory=dict)
    compile_s: dict[str, float] = field(default_factory=dict)  # first call less a steady one
    first_call_s: dict[str, float] = field(default_factory=dict)  # trace, compile and run
    floor: str | None = None  # the name of the forward floor's column

    def ratio(self, other: str | None, of: str = "gpugrad") -> float | None:
        """``of``'s median (gpugrad's by default) over ``other``'s, or None if either is
        missing."""
        if other is None or of not in self.medians or other not in self.medians:
            return None
        return self.medians[of] / self.medians[other]

    def first_call_ratio(self) -> float | None:
        """gpugrad.jit's first call over jax.jit's, or None if either is missing."""
        mine, theirs = self.first_call_s.get("gpugrad.jit"), self.first_call_s.get("jax.jit")
        return None if mine is None or theirs is None else mine / theirs

    def fastest_peer(self) -> str | None:
        peers = [p for p in self.medians if p in PEER_ORDER]
        return min(peers, key=self.medians.__getitem__) if peers else None

    def goal(self) -> tuple[str, float, float | None] | None:
        """``(against, limit, measured ratio)`` for a case with a goal, e.g. autograd<=0.5."""
        if not self.target:
            return None
        against, limit = self.target.split("<=")
        column = self.floor if against == "forward" else against
        return against, float(limit), self.ratio(column)


@dataclass
class FusionRow:
    """One variant of the backward-fusion benchmark (``bench_fusion.py``) at one size."""

    n: int
    size: str
    variant: str
    kind: str  # "gpugrad", "hand-written", "floor" or "peer"
    order: int
    median: float
    peak_arrays: float | None  # peak memory of one call / the input's bytes
    peak_method: str
    goals: dict[str, float] | None  # gpugrad's: time_vs_forward, memory (arrays)

    @classmethod
    def from_bench(cls, bench: dict[str, Any]) -> FusionRow:
        info = bench["extra_info"]
        peak = info.get("peak_arrays")
        return cls(
            n=int(info["n"]),
            size=str(info["size"]),
            variant=str(info["variant"]),
            kind=str(info["kind"]),
            order=int(info.get("order", 99)),
            median=float(bench["stats"]["median"]),
            peak_arrays=None if peak is None else float(peak),
            peak_method=str(info.get("peak_method", "")),
            goals=info.get("goals"),
        )


def load(path: str | Path) -> tuple[list[Case], list[str], dict[str, Any]]:
    """``(cases, framework columns, run info)`` from a pytest-benchmark JSON file."""
    data = json.loads(Path(path).read_text())
    cases: dict[str, Case] = {}
    names: set[str] = set()
    others: list[tuple[str, str, float]] = []
    fusion: list[FusionRow] = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if info.get("suite") == "fusion":  # bench_fusion.py's variants: a table of their own
            fusion.append(FusionRow.from_bench(bench))
            continue
        if "framework" not in info:  # written without harness.py (bench_random.py, say)
            others.append((bench.get("group") or "", bench["name"], bench["stats"]["median"]))
            continue
        fw = info["framework"]
        case = cases.setdefault(bench["group"], Case(bench["group"], info.get("scale", "")))
        case.target = case.target or info.get("target")
        case.jit_target = case.jit_target or info.get("jit_target")
        case.medians[fw] = float(bench["stats"]["median"])
        if info.get("role") == "floor":
            case.floor = fw
        if "compile_s" in info:
            case.compile_s[fw] = float(info["compile_s"])
        if "first_call_s" in info:
            case.first_call_s[fw] = float(info["first_call_s"])
        names.add(fw)
    floors = sorted({c.floor for c in cases.values() if c.floor})
    columns = [g for g in GPUGRAD_COLUMNS if g in names] + [p for p in PEER_ORDER if p in names]
    columns += floors
    fusion.sort(key=lambda r: (r.n, r.order, r.variant))
    return list(cases.values()), columns, {**_run_info(data), "others": others, "fusion": fusion}


def _run_info(data: dict[str, Any]) -> dict[str, Any]:
    machine, commit = data.get("machine_info", {}), data.get("commit_info", {})
    dirty = " (with uncommitted changes)" if commit.get("dirty") else ""
    return {
        "date": data.get("datetime", "")[:19].replace("T", " "),
        "device": machine.get("device", machine.get("cpu", {}).get("brand_raw", "?")),
        "backend": machine.get("gpugrad_backend", "?"),
        "reason": machine.get("gpugrad_backend_reason", ""),
        "versions": machine.get("versions", {}),
        "python": machine.get("python_version", "?"),
        "threads": machine.get("cpu_threads", ""),
        "cpus": machine.get("cpu_affinity", ""),
        "commit": (commit.get("id") or machine.get("gpugrad_commit") or "?")[:12] + dirty,
    }


def fmt_ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}x"


def medians_table(cases: list[Case], columns: list[str]) -> str:
    """Markdown: one row per case, one column per framework, medians; then the compile time
    of each framework that compiles (its first call less a steady-state one)."""
    compiling = [fw for fw in COMPILING if any(fw in c.compile_s for c in cases)]
    head = ["case", *columns] + [f"{fw} compile" for fw in compiling]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for c in cases:
        row = [c.name, *(fmt_time(c.medians.get(col)) for col in columns)]
        row += [fmt_time(c.compile_s.get(fw)) for fw in compiling]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def ratios_table(cases: list[Case]) -> str:
    """Markdown: gpugrad's median over autograd's, the fastest peer's and the forward's."""
    head = ["case", "gpugrad / autograd", "gpugrad / fastest peer", "gpugrad / forward", "goal"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for c in cases:
        fastest = c.fastest_peer()
        vs_fastest = fmt_ratio(c.ratio(fastest)) + (f" ({fastest})" if fastest else "")
        goal = c.goal()
        if goal is None:
            goal_text = ""
        else:
            against, limit, got = goal
            met = "—" if got is None else ("met" if got <= limit else "missed")
            goal_text = f"≤ {limit:g}x {against}: {met}"
        row = [
            c.name,
            fmt_ratio(c.ratio("autograd")),
            vs_fastest,
            fmt_ratio(c.ratio(c.floor)),
            goal_text,
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def jit_ratios_table(cases: list[Case]) -> str:
    """Markdown: gpugrad.jit's median over jax.jit's (and over eager gpugrad's), both first
    calls and their ratio, and whether each goal is met: the case's per-call goal, and a
    first call at most jax.jit's."""
    head = ["case", "gpugrad.jit / jax.jit", "per-call goal", "gpugrad.jit / gpugrad",
            "first call: gpugrad.jit", "jax.jit", "gpugrad.jit / jax.jit", "first-call goal"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for c in cases:
        if "gpugrad.jit" not in c.medians or "jax.jit" not in c.medians:
            continue
        per_call = c.ratio("jax.jit", of="gpugrad.jit")
        goal = ""
        if c.jit_target and per_call is not None:
            limit = float(c.jit_target.split("<=")[1])
            goal = f"≤ {limit:g}x: {'met' if per_call <= limit else 'missed'}"
        first = c.first_call_ratio()
        row = [c.name, fmt_ratio(per_call), goal, fmt_ratio(c.ratio("gpugrad", of="gpugrad.jit")),
               fmt_time(c.first_call_s.get("gpugrad.jit")), fmt_time(c.first_call_s.get("jax.jit")),
               fmt_ratio(first), "" if first is None else ("met" if first <= 1 else "missed")]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _met(ok: bool, limit: str) -> str:
    return "met" if ok else f"missed (limit {limit})"


def fusion_table(rows: list[FusionRow]) -> str:
    """Markdown: per size, each variant's median, its ratio to the forward's, its peak memory
    in arrays of the input's size, and for gpugrad whether its two targets are met."""
    head = ["size", "variant", "median", "/ forward", "peak memory (arrays)", "measured by"]
    head += ["time target", "memory target"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    forwards = {r.n: r for r in rows if r.kind == "floor"}
    for r in rows:
        fwd = forwards.get(r.n)
        ratio = r.median / fwd.median if fwd else None
        peak = "—" if r.peak_arrays is None else f"{r.peak_arrays:.2f}"
        time_goal = memory_goal = ""
        if r.goals and fwd:
            limit = r.goals["time_vs_forward"]
            time_goal = _met(ratio is not None and ratio <= limit, f"{limit:g}x")
            if r.peak_arrays is not None and fwd.peak_arrays is not None:
                cap = fwd.peak_arrays + r.goals["memory"]
                memory_goal = _met(r.peak_arrays <= cap, f"{cap:.2f}")
        row = [r.size, r.variant, fmt_time(r.median), fmt_ratio(ratio), peak, r.peak_method]
        lines.append("| " + " | ".join([*row, time_goal, memory_goal]) + " |")
    return "\n".join(lines)


JIT_INTRO = (
    "gpugrad.jit / jax.jit, per call (median) and first call (trace and compile plus one "
    "run); goals: small cells ≤ 3x, the chain and the MLP ≤ 1.2x, first call ≤ 1x:"
)

FUSION_INTRO = (
    "Backward fusion, `grad` of `sum(exp(-x**2) sin(3x) + log1p(x**2))`, float32 "
    "(`benchmarks/bench_fusion.py`). Peak memory of one call, in arrays of the input's size "
    "(the gradient is one); gpugrad's targets: time ≤ 1.5x the forward's, peak ≤ the "
    "forward's peak + 1 array:"
)


def render(cases: list[Case], columns: list[str], info: dict[str, Any], title: str) -> str:
    """The whole Markdown section: environment, medians, ratios (and other benchmarks)."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    reason = f" ({info['reason']})" if info["reason"] else ""
    threads = f"; CPU threads capped at {info['threads']}" if info.get("threads") else ""
    if info.get("cpus"):
        threads += f"; {info['cpus']} CPU(s) in the process's affinity mask"
    lines = [
        f"## {title}",
        "",
        f"- device: {info['device']}; gpugrad backend: {info['backend']}{reason}",
        f"- commit: {info['commit']}; Python {info['python']}{threads}",
        f"- versions: {versions}",
        "",
    ]
    if cases:
        lines += ["Medians (lower is better):", "", medians_table(cases, columns), ""]
        lines += ["gpugrad's ratios (below 1x: gpugrad is faster):", "", ratios_table(cases), ""]
        if any("gpugrad.jit" in c.medians and "jax.jit" in c.medians for c in cases):
            lines += [JIT_INTRO, "", jit_ratios_table(cases), ""]
    if info.get("fusion"):
        lines += [FUSION_INTRO, "", fusion_table(info["fusion"]), ""]
    if info.get("others"):  # benchmarks without a framework column (bench_random.py)
        lines += ["Other benchmarks (medians):", "", "| group | benchmark | median |"]
        lines += ["| --- | --- | --- |"]
        lines += [f"| {g} | {n} | {fmt_time(m)} |" for g, n, m in info["others"]]
        lines.append("")
    return "\n".join(lines)


def plot(cases: list[Case], path: str | Path) -> Path:
    """A PNG of gpugrad's ratios per case, on a log axis with 1x marked."""
    import matplotlib

    matplotlib.use("Agg")  # no display in CI or in the docker image
    import matplotlib.pyplot as plt

    series = [
        ("gpugrad / autograd", lambda c: c.ratio("autograd")),
        ("gpugrad / fastest peer", lambda c: c.ratio(c.fastest_peer())),
        ("gpugrad / forward", lambda c: c.ratio(c.floor)),
    ]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(cases) + 1.5))
    height = 0.8 / len(series)
    for k, (label, get) in enumerate(series):
        ys = [i + (k - 1) * height for i in range(len(cases))]
        xs = [get(c) or 0.0 for c in cases]  # a missing ratio draws no bar
        ax.barh(ys, xs, height=height, label=label)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(cases)), [c.name for c in cases])
    ax.invert_yaxis()
    ax.set_xlabel("gpugrad's median time / other's (log scale; left of 1: gpugrad faster)")
    # Above the axes, so no bar hides under it.
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=len(series),
        fontsize="small",
        frameon=False,
    )
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def append_results(section: str, results: str | Path) -> None:
    """Append a dated run to a results file (created with a header if missing)."""
    path = Path(results)
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    path.write_text(text.rstrip("\n") + "\n\n" + section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report",
        description="Turn a pytest-benchmark JSON run into report.md (medians and gpugrad's "
        "ratios) and ratios.png.",
    )
    parser.add_argument("json", help="the --benchmark-json file of a run")
    parser.add_argument("--out", default=".", help="directory for report.md and ratios.png")
    parser.add_argument(
        "--append",
        metavar="RESULTS_MD",
        help="also append the dated section to this file (benchmarks/RESULTS.md)",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib)")
    args = parser.parse_args(argv)
    cases, columns, info = load(args.json)
    if not cases and not info["others"] and not info["fusion"]:
        print(f"{args.json}: no benchmarks in this run", file=sys.stderr)
        return 1
    section = render(cases, columns, info, f"{info['date']} — {info['device']}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(section)
    print(section)
    if cases and not args.no_plot:
        try:
            print(f"plot: {plot(cases, out / 'ratios.png')}")
        except ImportError:
            print("plot skipped: matplotlib is not installed (pip install matplotlib)")
    if args.append:
        append_results(section, args.append)
        print(f"appended to {args.append}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
