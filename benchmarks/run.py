"""Run the benchmark suite and write ``benchmarks/RESULTS.md``.

    python -m benchmarks            # the full suite (10-20 minutes; micrograd at 10^6 is slow)
    python -m benchmarks --quick    # smaller sizes, a few minutes: for checking a change
    python -m benchmarks --smoke    # tiny sizes, seconds: used by tests/test_benchmarks_smoke.py

Every engine runs in a worker process of its own (``benchmarks/worker.py``). Each workload
runs its engines in turn, repetition after repetition (the order rotates), so a ratio is
taken between runs made moments apart: ``x micrograd`` is the median over repetitions of
micrograd's time divided by the engine's time in the same repetition.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import random
import select
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# sizes and repetitions of each mode
MODES = {
    "full": {"runs": 5, "chain": [10**3, 10**4, 10**5], "chain_ours_only": [10**6],
             "wide": [10**4, 10**5, 10**6], "demo_points": 100, "demo_steps": 3, "draw": (24, [48, 48, 1]),
             "memory_max_n_others": 10**4, "torch_max_n": 10**6},
    "quick": {"runs": 5, "chain": [10**3, 10**4], "chain_ours_only": [10**5],
              "wide": [10**4, 10**5], "demo_points": 100, "demo_steps": 3, "draw": (24, [48, 48, 1]),
              "memory_max_n_others": 10**4, "torch_max_n": 10**4},
    "smoke": {"runs": 2, "chain": [100], "chain_ours_only": [1000], "wide": [100],
              "demo_points": 8, "demo_steps": 1, "draw": (3, [4, 1]), "memory_max_n_others": 100, "torch_max_n": 100},
}

# (label in the table, worker, variant or key); "GC paused" rows switch the cyclic collector off
# for the timed run: not a target, they show what the collector costs and what a loop gains
PAUSED = " (GC paused)"
CHAIN_ENGINES = [("glassgrad", "glassgrad", ""), ("glassgrad" + PAUSED, "glassgrad", ""),
                 ("micrograd", "micrograd", ""), ("torch 0-d", "torch", "")]
WIDE_ENGINES = [("glassgrad sum()", "glassgrad", ""), ("glassgrad sum()" + PAUSED, "glassgrad", ""),
                ("glassgrad + chain", "glassgrad", "+"), ("micrograd", "micrograd", ""), ("torch 0-d", "torch", "")]
DEMO_ENGINES = [("glassgrad unfused", "glassgrad", "unfused"), ("glassgrad unfused" + PAUSED, "glassgrad", "unfused"),
                ("glassgrad unfused, nn.fit", "glassgrad", "unfused"),
                ("glassgrad fused (dot)", "glassgrad", "fused"), ("glassgrad fused (dot)" + PAUSED, "glassgrad", "fused"),
                ("glassgrad fused (dot), nn.fit", "glassgrad", "fused"),
                ("micrograd", "micrograd", "micrograd"), ("torch 0-d", "torch", "torch")]
DRAW_ENGINES = [("glassgrad draw()", "glassgrad", "draw"), ("glassgrad trace()", "glassgrad", "trace"),
                ("micrograd draw_dot", "micrograd", "draw")]

LOSS_TOLERANCE = 1e-12
JOB_TIMEOUT = 1800.0  # seconds; micrograd's wide 10^6 takes a few minutes


# -- workers -------------------------------------------------------------------------------------------

class WorkerFailed(RuntimeError):
    """The worker died (a crash, e.g. micrograd overflowing the C stack) or timed out."""


class Workers:
    """One process per engine, started on first use and again after a crash."""

    def __init__(self):
        self.procs: dict[str, subprocess.Popen] = {}

    def ask(self, engine: str, job: dict, timeout: float = JOB_TIMEOUT) -> dict:
        proc = self.procs.get(engine)
        if proc is None or proc.poll() is not None:
            proc = self.procs[engine] = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.worker", engine], cwd=ROOT, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerFailed(self._ended(engine)) from None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            if not ready:
                proc.kill()
                proc.wait()
                self.procs.pop(engine, None)
                raise WorkerFailed(f"timed out after {timeout:.0f} s")
            raise WorkerFailed(self._ended(engine))
        answer = json.loads(line)
        if not answer.pop("ok"):
            raise WorkerFailed(answer["error"])
        return answer

    def _ended(self, engine: str) -> str:
        proc = self.procs.pop(engine)
        code = proc.wait()
        return f"the process died (exit code {code})"

    def close(self) -> None:
        for proc in self.procs.values():
            proc.stdin.close()
            proc.wait()
        self.procs.clear()


# -- results ------------------------------------------------------------------------------------------

@dataclass
class Row:
    workload: str
    n: int | str
    engine: str
    runs: list = field(default_factory=list)   # one answer dict per repetition (None: not run)
    failed: str | None = None
    memory: dict | None = None
    memory_note: str = ""
    note: str = ""

    def times(self, key: str = "total") -> list[float]:
        return [r[key] for r in self.runs if r is not None]

    def median(self, key: str = "total") -> float | None:
        t = self.times(key)
        return statistics.median(t) if t else None

    def gc_share(self) -> float | None:
        pairs = [(r["gc"], r["total"]) for r in self.runs if r is not None]
        return statistics.median(g / t for g, t in pairs) if pairs else None

    def to_json(self) -> dict:
        return {"workload": self.workload, "n": self.n, "engine": self.engine, "runs": self.runs,
                "failed": self.failed, "memory": self.memory, "memory_note": self.memory_note,
                "note": self.note}


def ratios(base: Row | None, row: Row) -> list[float]:
    """base time / row time, repetition by repetition (both must have run)."""
    if base is None or base is row:
        return []
    return [b["total"] / r["total"] for b, r in zip(base.runs, row.runs) if b is not None and r is not None]


# -- the suite ------------------------------------------------------------------------------------------

class Suite:
    def __init__(self, mode: str, runs: int | None, engines: set[str], log):
        self.mode, self.cfg = mode, MODES[mode]
        self.runs = runs or self.cfg["runs"]
        self.available = engines
        self.log = log
        self.workers = Workers()
        self.rows: list[Row] = []
        self.checks: dict = {}
        self.versions: dict = {}

    def run(self, only: set[str] | None) -> None:
        for engine in sorted(self.available):
            self.versions[engine] = self.workers.ask(engine, {"job": "info"})
        try:
            for name, step in (("chain", self.chain), ("wide", self.wide), ("demo", self.demo),
                               ("draw", self.draw)):
                if only is None or name in only:
                    step()
        finally:
            self.workers.close()

    # -- helpers
    def _alternate(self, rows: list[Row], jobs: list[tuple[str, dict]]) -> None:
        """Run each engine's job once per repetition, rotating the order."""
        for rep in range(self.runs):
            k = rep % len(rows)
            for row, (engine, job) in list(zip(rows, jobs))[k:] + list(zip(rows, jobs))[:k]:
                if row.failed:
                    row.runs.append(None)
                    continue
                try:
                    row.runs.append(self.workers.ask(engine, job))
                except WorkerFailed as e:
                    row.failed = str(e)
                    row.runs.append(None)
                    self.log(f"    {row.engine} fails: {e}")
            done = [f"{r.engine} {r.runs[-1]['total']:.4g}s" for r in rows if r.runs[-1] is not None]
            self.log(f"    rep {rep + 1}/{self.runs}: " + ", ".join(done))

    def _memory(self, row: Row, engine: str, job: dict, n: int) -> None:
        if engine == "torch":
            row.memory_note = "n/a (native allocations)"
            return
        if engine != "glassgrad" and n > self.cfg["memory_max_n_others"]:
            row.memory_note = "see the smaller N"
            return
        try:
            row.memory = self.workers.ask(engine, {**job, "job": "memory"})
        except WorkerFailed as e:
            row.memory_note = f"fails: {e}"

    def _graph_workload(self, workload: str, sizes: list[int], engines: list, ours_only: list[int]) -> None:
        for n in sizes + ours_only:
            chosen = [(label, w, v) for label, w, v in engines if w in self.available]
            if n in ours_only:
                chosen = [c for c in chosen if c[1] == "glassgrad"]
            self.log(f"{workload} N={n}")
            rows, jobs = [], []
            for label, worker, variant in chosen:
                row = Row(workload, n, label)
                self.rows.append(row)
                job = {"job": "graph", "workload": workload, "n": n, "variant": variant,
                       "pause_gc": label.endswith(PAUSED)}
                if worker == "torch" and n > self.cfg["torch_max_n"]:
                    row.failed = "not run (slow: about 10 us per op)"
                    row.note = "skipped"
                    continue
                if not label.endswith(PAUSED):
                    self._memory(row, worker, job, n)
                rows.append(row)
                jobs.append((worker, job))
            self._alternate(rows, jobs)

    # -- workloads
    def chain(self) -> None:
        self._graph_workload("chain", self.cfg["chain"], CHAIN_ENGINES, self.cfg["chain_ours_only"])

    def wide(self) -> None:
        self._graph_workload("wide", self.cfg["wide"], WIDE_ENGINES, [])

    def demo(self) -> None:
        n_points = self.cfg["demo_points"]
        X, y = _two_moons(n_points)
        weights = _micrograd_init([2, 16, 16, 1], seed=1337)
        self.log(f"demo step: MLP(2, [16, 16, 1]) on {n_points} two-moons points")
        rows, jobs, losses = [], [], {}
        for label, worker, variant in DEMO_ENGINES:
            if worker not in self.available:
                continue
            row = Row("demo step", n_points, label)
            self.rows.append(row)
            try:  # each row trains a model of its own, from the same weights
                setup = self.workers.ask(worker, {"job": "demo_setup", "key": label, "weights": weights,
                                                  "fused": variant == "fused", "X": X, "y": y})
            except WorkerFailed as e:
                row.failed = str(e)
                continue
            if label in ("glassgrad unfused", "glassgrad fused (dot)", "micrograd", "torch 0-d"):
                losses[label] = setup["loss"]
            if setup["nodes"]:
                row.note = f"{setup['nodes']:,} values"
            rows.append(row)
            jobs.append((worker, {"job": "demo_step", "key": label, "pause_gc": label.endswith(PAUSED),
                                  "steps": self.cfg["demo_steps"]}))
        reference = losses.get("micrograd", losses.get("glassgrad unfused"))
        self.checks["demo_losses"] = losses
        self.checks["demo_loss_max_difference"] = (
            max(abs(v - reference) for v in losses.values()) if losses else None)
        self.checks["demo_losses_agree"] = bool(losses) and all(
            abs(v - reference) <= LOSS_TOLERANCE for v in losses.values())
        self._alternate(rows, jobs)

    def draw(self) -> None:
        n_inputs, widths = self.cfg["draw"]
        self.log(f"draw and trace: unfused ReLU network ({n_inputs}, {widths})")
        rows, jobs = [], []
        for label, worker, tool in DRAW_ENGINES:
            if worker not in self.available:
                continue
            row = Row("draw / trace", "", label)
            self.rows.append(row)
            rows.append(row)
            jobs.append((worker, {"job": tool, "n_inputs": n_inputs, "widths": widths}))
        self._alternate(rows, jobs)
        for row in rows:
            nodes = {r["nodes"] for r in row.runs if r is not None}
            row.n = nodes.pop() if len(nodes) == 1 else "?"


def _two_moons(n: int) -> tuple[list[list[float]], list[float]]:
    """n two-moons points with noise 0.1, labels -1/+1 (nn.data.moons, as sklearn's make_moons)."""
    from nn import data

    X, y = data.moons(n, noise=0.1, seed=0, labels=(-1, 1))
    return [[float(a), float(b)] for a, b in X], [float(t) for t in y]


def _micrograd_init(widths: list[int], seed: int) -> list:
    """Weights as micrograd's Neuron draws them: uniform(-1, 1), bias 0; [layer][neuron] = (w, b)."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1, 1) for _ in range(n_in)], 0.0) for _ in range(n_out)]
            for n_in, n_out in zip(widths, widths[1:])]


# -- the report -----------------------------------------------------------------------------------------

def _fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} us"


def _fmt_ratio(rs: list[float]) -> str:
    if not rs:
        return ""
    return f"**{statistics.median(rs):.1f}x** ({min(rs):.1f}-{max(rs):.1f})"


def _fmt_n(n) -> str:
    if isinstance(n, int) and n >= 1000 and str(n).strip("0") == "1":
        return f"10^{len(str(n)) - 1}"
    return f"{n:,}" if isinstance(n, int) else str(n)


def _machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def _find(rows: list[Row], workload: str, n, engine: str) -> Row | None:
    return next((r for r in rows if r.workload == workload and r.n == n and r.engine == engine), None)


def _baseline(rows: list[Row], row: Row, engine: str) -> Row | None:
    if row.workload == "draw / trace":
        if engine != "micrograd":
            return None
        return next((r for r in rows if r.workload == row.workload and r.engine == "micrograd draw_dot"), None)
    return _find(rows, row.workload, row.n, engine)


def _memory_cell(row: Row) -> str:
    m = row.memory
    if not m or not m.get("nodes"):
        return row.memory_note
    return f"{m['bytes_forward'] / m['nodes']:.0f} / {m['bytes_backward'] / m['nodes']:.0f}"


def _first(row: Row) -> dict:
    return next((r for r in row.runs if r is not None), {})


def table(rows: list[Row]) -> list[str]:
    lines = ["| workload | N | engine | median | min-max | forward | backward | GC share "
             "| x micrograd | x torch | bytes/node (fwd / after bwd) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        times = row.times()
        if row.failed and not times:
            cells = [row.failed, "", "", "", "", "", "", ""]
        else:
            mg = _baseline(rows, row, "micrograd")
            th = _baseline(rows, row, "torch 0-d")
            cells = [_fmt_time(row.median()), f"{_fmt_time(min(times))} - {_fmt_time(max(times))}",
                     _fmt_time(row.median("forward")) if "forward" in _first(row) else "",
                     _fmt_time(row.median("backward")) if "backward" in _first(row) else "",
                     f"{row.gc_share():.0%}",
                     _fmt_ratio(ratios(mg, row)), _fmt_ratio(ratios(th, row))]
            cells.append(_memory_cell(row))
        n = _fmt_n(row.n) + (f" ({row.note})" if row.note and row.note != "skipped" else "")
        lines.append(f"| {row.workload} | {n} | {row.engine} | " + " | ".join(cells) + " |")
    return lines


def targets(rows: list[Row], checks: dict, ours_recursion_limit) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for each target: the readable engine's speed floor and its memory."""
    out = []

    def ratio(workload, n, engine, base):
        row, b = _find(rows, workload, n, engine), _find(rows, workload, n, base)
        rs = ratios(b, row) if row and b else []
        return statistics.median(rs) if rs else None

    def add(text, value, goal, paused=None):
        if value is None:
            out.append((text, "not measured", None))
            return
        shown = f"{value:.1f}x"
        if paused is not None:
            shown += f" ({paused:.1f}x with the GC paused)"
        out.append((text, shown, value >= goal))

    def both(workload, n, engine, base, text, goal):
        add(text, ratio(workload, n, engine, base), goal, ratio(workload, n, engine + PAUSED, base))

    # The readable engine's speed floor (the engine is read, not tuned: speed comes from compiling).
    demo_n = next((r.n for r in rows if r.workload == "demo step"), None)
    both("demo step", demo_n, "glassgrad unfused", "micrograd", "demo step, unfused: >= 4x micrograd", 4)
    both("demo step", demo_n, "glassgrad fused (dot)", "micrograd", "demo step, fused (dot): >= 15x micrograd", 15)
    add("demo step, unfused, as nn.fit runs it: >= 12x micrograd",
        ratio("demo step", demo_n, "glassgrad unfused, nn.fit", "micrograd"), 12)
    add("demo step, fused (dot), as nn.fit runs it: >= 40x micrograd",
        ratio("demo step", demo_n, "glassgrad fused (dot), nn.fit", "micrograd"), 40)
    agree = checks.get("demo_losses_agree")
    diff = checks.get("demo_loss_max_difference")
    out.append(("demo step: the same loss in every engine, to 1e-12",
                "not measured" if diff is None else f"max difference {diff:.1e}", agree))
    big = _find(rows, "chain", 10**6, "glassgrad")
    if big is None:
        out.append(("chain 10^6: backward at the default recursion limit", "not measured", None))
    else:
        ok = not big.failed and ours_recursion_limit is not None and ours_recursion_limit <= 1000
        out.append(("chain 10^6: backward at the default recursion limit",
                    f"{'ran' if not big.failed else 'failed'}, recursion limit {ours_recursion_limit}", ok))
    wide = _find(rows, "wide", 10**6, "glassgrad sum()")
    if wide and wide.memory and wide.memory.get("nodes"):
        per = wide.memory["bytes_forward"] / wide.memory["nodes"]
        out.append(("wide 10^6: <= 250 bytes per node", f"{per:.0f} bytes", per <= 250))
    else:
        out.append(("wide 10^6: <= 250 bytes per node", "not measured", None))
    return out


def report(suite: Suite, started: datetime.datetime, seconds: float, load: tuple) -> str:
    m = _machine()
    versions = ", ".join(f"{k} {v['version']}" for k, v in sorted(suite.versions.items()))
    missing = [e for e in ("micrograd", "torch") if e not in suite.available]
    ours_limit = suite.versions.get("glassgrad", {}).get("recursion_limit")
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python -m benchmarks{'' if suite.mode == 'full' else ' --' + suite.mode}` "
        f"on {started:%Y-%m-%d %H:%M} UTC in {seconds / 60:.1f} min"
        + ("" if suite.mode == "full" else f" (**{suite.mode} mode: not the reference numbers**)") + ".",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores; {m['platform']}",
        f"- Python: {m['implementation']} {m['python']}; engines: {versions}",
        f"- Load average (1 min) at start / end: {load[0]:.2f} / {load[1]:.2f} "
        "(the machine is shared, which is why every ratio is taken repetition by repetition)",
        f"- {suite.runs} repetitions per row; each repetition runs every engine once, in rotating order, "
        "each in its own worker process.",
    ]
    for e in missing:
        lines.append(f"- **{e} is not available (not installed, or left out): its rows are skipped** "
                     f"({'pip install micrograd==0.1.0, the bench extra' if e == 'micrograd' else 'pip install torch'}).")
    lines += ["", "## Targets", "",
              "Measured with Python's cyclic collector on, as any program runs; in brackets, the same with the "
              "collector paused for the timed run. The *as nn.fit runs it* rows are the step as glassgrad's own "
              "training loop (`nn.fit`, used by the notebooks and `glassgrad demo`) runs it: it pauses the "
              "collector for each step, whose graph is acyclic and gone by the step's end (see "
              "benchmarks/README.md, *Why the cyclic garbage collector shows up*).", "",
              "| target | measured | met |", "|---|---|---|"]
    for text, value, ok in targets(suite.rows, suite.checks, ours_limit):
        lines.append(f"| {text} | {value} | {'yes' if ok else 'n/a' if ok is None else '**no**'} |")
    lines += ["", "## Results", ""]
    lines += table(suite.rows)
    lines += ["", "## How to read it", "",
              "- **median, min-max**: wall time of the timed part: forward (building the graph) + backward for "
              "chain and wide; a whole training step (forward, zero_grad + backward, SGD update, freeing the "
              "graph) for the demo; building the DOT source or the trace for draw / trace.",
              "- **x micrograd / x torch**: that engine's time divided by this row's, repetition by repetition "
              "(median, then min-max over repetitions). Above 1: this row is faster.",
              "- **GC share**: the part of the timed run spent in the cyclic garbage collector (`gc.callbacks`).",
              "- **bytes/node**: tracemalloc's traced memory after building the graph (and after backward, "
              "whose new gradients are floats) minus before, divided by the number of values in the graph, "
              "leaves included (glassgrad folds constants into nodes; micrograd makes a leaf for each). "
              "Measured in a separate untimed run. Not available for torch (its graph lives in C++ memory).",
              "- **chain**: `y = y * 1.0001 + 0.5`, N times. **wide**: the sum of N products of fresh leaves; "
              "glassgrad as one `sum` node or, like micrograd's builtin `sum`, a chain of binary `+`.",
              "- **demo step**: micrograd's demo: `MLP(2, [16, 16, 1])`, ReLU, max-margin loss + 1e-4 L2 "
              "on two-moons points, full batch, SGD, the same initial weights in every engine. Timed as micrograd's "
              "demo loop runs it: a model's steps form one loop (no collection forced between them; an untimed "
              "step, then 3 timed ones whose mean is one repetition), and each step's graph stays alive until the next forward pass "
              "has built its own (as `total_loss = ...` in a loop).",
              "- **draw / trace**: an unfused ReLU network of leaves and binary ops (N values, the same in both "
              "engines): `autograd.draw(...).source`, `autograd.trace(...)`, and the `draw_dot` recipe of "
              "micrograd's `trace_graph.ipynb` on micrograd's graph.",
              ""]
    losses = suite.checks.get("demo_losses")
    if losses:
        lines += ["Demo loss at the first step (same weights): "
                  + ", ".join(f"{k} {v!r}" for k, v in losses.items()), ""]
    return "\n".join(lines)


def _drawing_figures() -> str | None:
    script = HERE / "bench_drawing.py"
    if not script.exists():
        return None
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    text = out.stdout if out.returncode == 0 else out.stdout + f"\n(failed: {out.stderr.strip()[-400:]})"
    return "## Drawing details (`benchmarks/bench_drawing.py`)\n\n```\n" + text.rstrip() + "\n```\n"


def _compile_figures() -> str | None:
    script = HERE / "bench_compile.py"
    if not script.exists():
        return None
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_compile"], cwd=ROOT, capture_output=True,
                         text=True)
    text = out.stdout if out.returncode == 0 else f"bench_compile failed:\n{out.stderr[-2000:]}"
    return "## The compiled step (`benchmarks/bench_compile.py`)\n\n```\n" + text.rstrip() + "\n```\n"


def _arrays_figures() -> str | None:
    script = HERE / "bench_arrays.py"
    if not script.exists():
        return None
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_arrays"], cwd=ROOT, capture_output=True,
                         text=True)
    text = out.stdout if out.returncode == 0 else f"bench_arrays failed:\n{out.stderr[-2000:]}"
    return "## The NumPy backend at scale (`benchmarks/bench_arrays.py`)\n\n" + text.rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes, checks that everything runs")
    parser.add_argument("--runs", type=int, help="repetitions per row (default 5; smoke 2)")
    parser.add_argument("--only", nargs="+", choices=["chain", "wide", "demo", "draw", "compile", "arrays"], help="some workloads")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when installed")
    parser.add_argument("--no-micrograd", action="store_true", help="leave micrograd out even when installed")
    parser.add_argument("--out", type=Path, help="where to write the Markdown results "
                        "(default benchmarks/RESULTS.md; --quick and --smoke write nothing unless given)")
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON here")
    args = parser.parse_args(argv)
    mode_name = "smoke" if args.smoke else "quick" if args.quick else "full"
    out = args.out or (HERE / "RESULTS.md" if mode_name == "full" else None)

    engines = {"glassgrad"}
    if not args.no_micrograd and importlib.util.find_spec("micrograd") is not None:
        engines.add("micrograd")
    if not args.no_torch and importlib.util.find_spec("torch") is not None:
        engines.add("torch")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    for e in ("micrograd", "torch"):
        if e not in engines:
            log(f"note: {e} is not available: its rows are skipped")
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    suite = Suite(mode_name, args.runs, engines, log)
    suite.run(set(args.only) if args.only else None)
    text = report(suite, started, time.perf_counter() - t0, (load0, os.getloadavg()[0]))
    if mode_name == "full" and (args.only is None or "draw" in args.only):
        log("drawing details: benchmarks/bench_drawing.py")
        figures = _drawing_figures()
        if figures:
            text += "\n" + figures
    if mode_name == "full" and (args.only is None or "compile" in args.only):
        log("the compiled step: benchmarks/bench_compile.py")
        figures = _compile_figures()
        if figures:
            text += "\n" + figures
    if mode_name == "full" and (args.only is None or "arrays" in args.only):
        log("the NumPy backend at scale: benchmarks/bench_arrays.py")
        figures = _arrays_figures()
        if figures:
            text += "\n" + figures
    print(text)
    if out:
        out.write_text(text + ("" if text.endswith("\n") else "\n"))
        log(f"written: {out}")
    if args.json:
        args.json.write_text(json.dumps({"mode": mode_name, "checks": suite.checks, "versions": suite.versions,
                                         "rows": [r.to_json() for r in suite.rows]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
