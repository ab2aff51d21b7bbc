"""The NumPy backend (``autograd.compile_arrays``, nn's ``ArrayStep``) against the other engines,
from 10^2 to 10^6 samples, and the issue's targets.

    python -m benchmarks.bench_arrays             # every table and the targets (about 6 minutes)
    python -m benchmarks.bench_arrays --quick     # smaller sizes, about a minute
    python -m benchmarks.bench_arrays --smoke     # tiny sizes, seconds

The network is micrograd's demo, ``MLP(2, [16, 16, 1])`` with ReLU, on ``moons(N)`` (noise
0.1, labels -1/+1), every engine from the same initial weights (micrograd's, seed 1337).

* **Scaling**: one full-batch step (forward, backward, SGD update) of the mean hinge loss, per
  engine: glassgrad eager (``nn``, the graph built every step; small N), glassgrad's compiled
  per-sample loop (``nn.fit``'s step: ``autograd.compile_loop``), glassgrad over NumPy arrays
  (``nn.array_step.ArrayStep``: ``autograd.compile_arrays``), micrograd 0.1.0 (N = 100),
  PyTorch tensors (``torch.nn.Linear``, float64, 2 threads, and on 1 thread: on a shared
  machine two threads can wait on each other) and the same network's step hand-written in NumPy (matrix products: the floor for NumPy). Every engine runs in this
  process, one after the other, repetition after repetition; ``x torch`` is the engine's
  time over PyTorch's in the same repetition (median). Peak memory is measured apart: each
  engine and N in a fresh process (its peak resident memory, /proc's VmHWM, above its size once
  the imports and the data are loaded), running a few steps.
* **Targets**: moons(10^5), full batch, 10 epochs of Adam (nn.optim.Adam; torch.optim.Adam)
  with the hinge loss, through ``ArrayStep`` as ``nn.fit`` calls it, against PyTorch: the
  time (and the optimizer's share: nn's Adam is a Python loop over the 337 parameters), the
  peak memory (VmHWM of the training process, everything included), and the parameters against the compiled per-sample loop (which equals eager
  mode bit for bit). The demo step: 100 samples, hinge + 1e-4 L2, SGD.
* **Crossover**: the batch size from which ``ArrayStep`` beats the per-sample loop (demo step,
  hinge + 1e-4 L2, SGD), what ``nn.array_step.FASTER_FROM`` is set from.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import subprocess
import sys
import time

N_FULL = [100, 1_000, 10_000, 100_000, 1_000_000]
LR = 0.05
ALPHA = 1e-4
WIDTHS = [2, 16, 16, 1]
LIMITS = {  # the largest N each engine runs (a step of eager mode on 10^4 samples takes seconds)
    "glassgrad eager": 1_000, "glassgrad compiled loop": 100_000, "micrograd": 100,
}
ENGINES = ["glassgrad eager", "glassgrad compiled loop", "glassgrad NumPy arrays", "micrograd", "torch",
           "torch 1 thread", "numpy by hand"]


# -- the data and the weights ------------------------------------------------------------------------

def moons(n: int):
    from nn import data

    X, y = data.moons(n, noise=0.1, seed=0, labels=(-1, 1))
    return X, [float(t) for t in y]


def init_weights() -> list:
    """[layer][neuron] = (w, b), as micrograd's Neuron draws them (uniform(-1, 1), bias 0)."""
    import random

    rng = random.Random(1337)
    return [[([rng.uniform(-1, 1) for _ in range(n_in)], 0.0) for _ in range(n_out)]
            for n_in, n_out in zip(WIDTHS, WIDTHS[1:])]


def glassgrad_model(weights):
    import nn

    model = nn.MLP(2, WIDTHS[1:], activation="relu", seed=0)
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, (w, b) in zip(layer.neurons, layer_weights):
            for p, v in zip(neuron.w, w):
                p.data = v
            neuron.b.data = b
    return model


# -- one step per engine: make(X, y, weights, optimizer) -> step() returning the loss --------------------

def make_eager(X, y, weights, adam=False, l2=0.0):
    import nn
    from nn.train import _collector_paused, _step

    model = glassgrad_model(weights)
    params = model.parameters()
    opt = nn.optim.Adam(params, lr=1e-3) if adam else nn.optim.SGD(params, lr=LR)

    def step():
        with _collector_paused(True):
            return _step(model, X, y, nn.losses.hinge, opt, params, l2, 0.0)[0]
    return step, model, opt


def make_loop(X, y, weights, adam=False, l2=0.0):
    import nn
    from nn.train import _collector_paused, _SampleStep

    model = glassgrad_model(weights)
    params = model.parameters()
    opt = nn.optim.Adam(params, lr=1e-3) if adam else nn.optim.SGD(params, lr=LR)
    sample_step = _SampleStep(model, nn.losses.hinge, X, y)
    batch = list(range(len(X)))

    def step():
        with _collector_paused(True):
            return sample_step.step(batch, y, opt, params, l2, 0.0)[0]
    return step, model, opt


def make_arrays(X, y, weights, adam=False, l2=0.0):
    import autograd as ag
    import nn
    from nn.array_step import ArrayStep

    if not hasattr(ag, "compile_arrays"):  # until autograd exports it
        from autograd.compiling.arrays import compile_arrays
        ag.compile_arrays = compile_arrays
    model = glassgrad_model(weights)
    params = model.parameters()
    opt = nn.optim.Adam(params, lr=1e-3) if adam else nn.optim.SGD(params, lr=LR)
    array_step = ArrayStep(model, nn.losses.hinge, X, y)
    batch = range(len(X))

    def step():
        return array_step.step(batch, y, opt, params, l2, 0.0)[0]
    return step, model, opt


def make_micrograd(X, y, weights, adam=False, l2=0.0):
    from micrograd.nn import MLP

    model = MLP(2, WIDTHS[1:])
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, (w, b) in zip(layer.neurons, layer_weights):
            for p, v in zip(neuron.w, w):
                p.data = v
            neuron.b.data = b
    n = len(X)

    def step():
        scores = [model(x) for x in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
        loss = sum(losses) * (1.0 / n)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        return loss.data
    return step, None, None


def make_torch(X, y, weights, adam=False, l2=0.0, threads=2):
    import torch

    torch.set_num_threads(threads)
    layers = []
    for k, layer_weights in enumerate(weights):
        linear = torch.nn.Linear(len(layer_weights[0][0]), len(layer_weights), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([w for w, _ in layer_weights], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([b for _, b in layer_weights], dtype=torch.float64))
        layers += [linear] + ([torch.nn.ReLU()] if k < len(weights) - 1 else [])
    model = torch.nn.Sequential(*layers)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3) if adam else torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        torch.set_num_threads(threads)  # (the process's setting: each torch row sets its own)
        opt.zero_grad()
        scores = model(Xt).squeeze(1)
        loss = torch.relu(1.0 - yt * scores).mean()
        if l2:
            loss = loss + l2 * sum((p * p).sum() for p in model.parameters())
        loss.backward()
        opt.step()
        return loss.item()
    return step, model, opt


def make_numpy(X, y, weights, adam=False, l2=0.0):
    """The same network's full-batch SGD step written by hand with NumPy matrix products."""
    import numpy as np

    Xa, ya = np.array(X), np.array(y)
    W = [np.array([w for w, _ in layer]) for layer in weights]
    B = [np.array([b for _, b in layer]) for layer in weights]
    n = len(X)

    def step():
        Z1 = Xa @ W[0].T + B[0]
        H1 = np.maximum(Z1, 0.0)
        Z2 = H1 @ W[1].T + B[1]
        H2 = np.maximum(Z2, 0.0)
        s = (H2 @ W[2].T + B[2])[:, 0]
        margin = 1.0 - ya * s
        loss = np.maximum(margin, 0.0).mean()
        ds = -(ya / n) * (margin > 0.0)
        dZ2 = np.outer(ds, W[2][0]) * (Z2 > 0.0)
        dZ1 = (dZ2 @ W[1]) * (Z1 > 0.0)
        grads = [(dZ1.T @ Xa, dZ1.sum(0)), (dZ2.T @ H1, dZ2.sum(0)), (ds[None, :] @ H2, np.array([ds.sum()]))]
        for k, (gw, gb) in enumerate(grads):
            W[k] -= LR * gw
            B[k] -= LR * gb
        return float(loss)
    return step, None, None


def make_torch_one_thread(X, y, weights, adam=False, l2=0.0):
    """PyTorch on one thread: on a shared machine, two threads can wait on each other."""
    return make_torch(X, y, weights, adam, l2, threads=1)


MAKERS = {"glassgrad eager": make_eager, "glassgrad compiled loop": make_loop,
          "glassgrad NumPy arrays": make_arrays, "micrograd": make_micrograd, "torch": make_torch,
          "torch 1 thread": make_torch_one_thread, "numpy by hand": make_numpy}


def installed(engine: str) -> bool:
    import importlib.util

    module = {"micrograd": "micrograd", "torch": "torch", "torch 1 thread": "torch"}.get(engine)
    return module is None or importlib.util.find_spec(module) is not None


# -- measuring -------------------------------------------------------------------------------------------

def timed(step, k: int) -> float:
    start = time.perf_counter()
    for _ in range(k):
        step()
    return (time.perf_counter() - start) / k


def repeats_for(engine: str, n: int) -> int:
    """Steps per timing: enough that a timing lasts a few tens of milliseconds."""
    guess = {"glassgrad eager": 4e-4, "glassgrad compiled loop": 4e-5, "micrograd": 1.3e-2}.get(engine, 2e-6)
    return max(1, min(50, int(0.05 / (guess * n + 5e-4))))


def scaling(sizes: list[int], runs: int, log) -> list[dict]:
    """Each engine's step time for each N, engines alternating within a repetition."""
    rows = []
    for n in sizes:
        X, y = moons(n)
        weights = init_weights()
        engines = [e for e in ENGINES if installed(e) and n <= LIMITS.get(e, math.inf)]
        steps, first = {}, {}
        for engine in engines:
            step, *_ = MAKERS[engine](X, y, weights)
            first[engine] = step()  # the first loss, before any update: every engine's must agree
            steps[engine] = step
        times = {e: [] for e in engines}
        for r in range(runs):
            order = engines[r % len(engines):] + engines[:r % len(engines)]
            for engine in order:
                gc.collect()
                times[engine].append(timed(steps[engine], repeats_for(engine, n)))
        ref = first.get("torch", first["glassgrad NumPy arrays"])
        for engine in engines:
            ratios = [t / u for t, u in zip(times[engine], times["torch"])] if "torch" in times else []
            rows.append({"n": n, "engine": engine, "median": statistics.median(times[engine]),
                         "min": min(times[engine]), "x_torch": statistics.median(ratios) if ratios else None,
                         "first_loss_agrees": math.isclose(first[engine], ref, rel_tol=1e-9)})
        log(f"  N = {n}: " + ", ".join(f"{e} {statistics.median(times[e]) * 1e3:.3g} ms" for e in engines))
        del steps
    return rows


WORKER = """
import gc, json, sys, time
sys.path.insert(0, {root!r})
from benchmarks import bench_arrays as b
X, y = b.moons({n})
weights = b.init_weights()
import nn, numpy  # loaded before the baseline, as a training script has them
{imports}
gc.collect()
def status(field):  # this process's memory in MB (/proc: ru_maxrss would count the parent's before exec)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak (VmHWM) starts again from here
except OSError:
    pass
base = status("VmRSS")
start = time.perf_counter()
step, model, opt = b.MAKERS[{engine!r}](X, y, weights, adam={adam})
made = time.perf_counter() - start
optimizer_seconds = 0.0
if opt is not None and {adam} and hasattr(opt, "step") and not hasattr(opt, "param_groups"):
    inner = opt.step
    def counted():
        global optimizer_seconds
        t = time.perf_counter(); inner(); optimizer_seconds += time.perf_counter() - t
    opt.step = counted
start = time.perf_counter()
for _ in range({steps}):
    loss = step()
seconds = time.perf_counter() - start
peak = status("VmHWM")
params = [p.data for p in model.parameters()] if model is not None and hasattr(model, "layers") and hasattr(model, "num_parameters") else None
print(json.dumps({{"seconds": seconds, "made": made, "optimizer": optimizer_seconds, "loss": loss,
                  "peak_mb": peak, "extra_mb": peak - base, "base_mb": base, "params": params}}))
"""


def worker(engine: str, n: int, steps: int, adam: bool = False) -> dict:
    """One engine's steps on moons(n) in a fresh process: time, memory, final parameters."""
    from pathlib import Path

    imports = "import torch" if engine.startswith("torch") else ""
    code = WORKER.format(root=str(Path(__file__).resolve().parent.parent), n=n, engine=engine, steps=steps,
                         adam=adam, imports=imports)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(sizes: list[int], log) -> dict:
    found = {}
    for n in sizes:
        for engine in ENGINES:
            if installed(engine) and n <= LIMITS.get(engine, math.inf):
                found[(engine, n)] = worker(engine, n, 2)
        log(f"  memory N = {n}: " + ", ".join(f"{e} {r.get('extra_mb', float('nan')):.0f} MB"
                                                for (e, m), r in found.items() if m == n))
    return found


def targets(n: int, epochs: int, runs: int, check_exact: bool, log) -> dict:
    """moons(n), full batch, ``epochs`` epochs of Adam: ArrayStep against torch, each in fresh
    processes (so each has its own peak memory), alternating ``runs`` times."""
    ours, torch_runs, torch_one = [], [], []
    for _ in range(runs):
        ours.append(worker("glassgrad NumPy arrays", n, epochs, adam=True))
        if installed("torch"):
            torch_runs.append(worker("torch", n, epochs, adam=True))
            torch_one.append(worker("torch 1 thread", n, epochs, adam=True))
    result = {"n": n, "epochs": epochs, "ours": ours, "torch": torch_runs, "torch 1 thread": torch_one}
    if check_exact:
        log(f"  exactness: the compiled per-sample loop (bit for bit with eager), {epochs} epochs on {n}")
        loop = worker("glassgrad compiled loop", n, epochs, adam=True)
        result["loop"] = loop
        if "params" in loop and ours and "params" in ours[0] and loop["params"]:
            result["max_rel_diff"] = max(abs(a - b) / max(abs(b), 1e-300)
                                         for a, b in zip(ours[0]["params"], loop["params"]))
    return result


def demo_step(runs: int) -> dict:
    """The demo step (100 samples, hinge + 1e-4 L2, SGD) through ArrayStep, and its parts."""
    X, y = moons(100)
    step, model, opt = make_arrays(X, y, init_weights(), l2=ALPHA)
    step()
    whole = [timed(step, 200) for _ in range(runs)]
    optimizer = [timed(opt.step, 200) for _ in range(runs)]
    return {"median": statistics.median(whole), "min": min(whole), "optimizer": statistics.median(optimizer)}


def crossover(sizes: list[int], runs: int) -> list[dict]:
    """The demo step (hinge + 1e-4 L2, SGD) on batches of each size: ArrayStep and the loop."""
    X, y = moons(max(sizes))
    weights = init_weights()
    rows = []
    for n in sizes:
        arrays_step, *_ = make_arrays(X[:n], y[:n], weights, l2=ALPHA)
        loop_step, *_ = make_loop(X[:n], y[:n], weights, l2=ALPHA)
        k = max(3, int(0.03 / (4e-5 * n + 1e-3)))
        pairs = [(timed(arrays_step, k), timed(loop_step, k)) for _ in range(runs)]
        rows.append({"n": n, "arrays": statistics.median(a for a, _ in pairs),
                     "loop": statistics.median(b for _, b in pairs),
                     "ratio": statistics.median(b / a for a, b in pairs)})
    return rows


# -- the report ----------------------------------------------------------------------------------------

def _ms(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t:.2f} s" if t >= 1 else f"{t * 1e3:.3g} ms"


def report(scale: list[dict], mem: dict, goal: dict, demo: dict, cross: list[dict], seconds: float) -> str:
    lines = ["Scaling: one full-batch step (mean hinge loss, SGD), MLP(2, [16, 16, 1]) on moons(N)", "",
             "| N | engine | step (median) | min | x torch | peak memory above start | first loss agrees |",
             "|---:|---|---:|---:|---:|---:|:---:|"]
    for row in scale:
        m = mem.get((row["engine"], row["n"]), {})
        shown = f"{m['extra_mb']:.0f} MB" if "extra_mb" in m else m.get("failed", "-")
        ratio = f"{row['x_torch']:.2f}x" if row["x_torch"] is not None else "-"
        lines.append(f"| {row['n']:,} | {row['engine']} | {_ms(row['median'])} | {_ms(row['min'])} | {ratio} | "
                     f"{shown} | {'yes' if row['first_loss_agrees'] else 'NO'} |")
    for engine in ENGINES:
        if not installed(engine):
            lines.append(f"\n{engine}: not installed")
    lines += ["", f"Targets: moons({goal['n']:,}), full batch, {goal['epochs']} epochs of Adam (hinge loss), "
                  f"each run a fresh process", ""]
    ours = [r for r in goal["ours"] if "seconds" in r]
    theirs = [r for r in goal["torch"] if "seconds" in r]
    if ours:
        t_ours = statistics.median(r["seconds"] for r in ours)
        lines.append(f"- glassgrad NumPy arrays (ArrayStep as nn.fit calls it): {_ms(t_ours)} for {goal['epochs']} "
                     f"epochs ({_ms(t_ours / goal['epochs'])} a step; compiling {_ms(ours[0]['made'])}); "
                     f"nn.optim.Adam's share {statistics.median(r['optimizer'] / r['seconds'] for r in ours):.1%}; "
                     f"peak memory {max(r['peak_mb'] for r in ours):.0f} MB "
                     f"({max(r['extra_mb'] for r in ours):.0f} MB above the loaded process)")
    if theirs:
        t_torch = statistics.median(r["seconds"] for r in theirs)
        lines.append(f"- PyTorch tensors (float64, 2 threads): {_ms(t_torch)}; peak memory "
                     f"{max(r['peak_mb'] for r in theirs):.0f} MB ({max(r['extra_mb'] for r in theirs):.0f} MB above)")
    one = [r for r in goal.get("torch 1 thread", []) if "seconds" in r]
    if one:
        lines.append(f"- PyTorch tensors on 1 thread: {_ms(statistics.median(r['seconds'] for r in one))}")
    if ours and theirs:
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(ours, theirs)]
        ratio = statistics.median(ratios)
        lines.append(f"- time: {ratio:.2f}x PyTorch (runs: {', '.join(f'{r:.2f}' for r in ratios)}); target <= 4x: "
                     f"{'met' if ratio <= 4 else 'NOT met'}")
        if one:
            ratios = [a["seconds"] / b["seconds"] for a, b in zip(ours, one)]
            lines.append(f"- against PyTorch on 1 thread: {statistics.median(ratios):.2f}x "
                         f"(runs: {', '.join(f'{r:.2f}' for r in ratios)})")
    if ours:
        peak = max(r["peak_mb"] for r in ours)
        lines.append(f"- peak memory {peak:.0f} MB (the whole process); target <= 500 MB: "
                     f"{'met' if peak <= 500 else 'NOT met'}")
    if "max_rel_diff" in goal:
        lines.append(f"- parameters after {goal['epochs']} epochs against the compiled per-sample loop (eager's "
                     f"numbers bit for bit): largest relative difference {goal['max_rel_diff']:.1e}; target <= 1e-9: "
                     f"{'met' if goal['max_rel_diff'] <= 1e-9 else 'NOT met'} (the loop took "
                     f"{_ms(goal['loop']['seconds'])})")
    lines += ["", f"- demo step (100 samples, hinge + 1e-4 L2, SGD) through ArrayStep: {_ms(demo['median'])} "
                  f"(min {_ms(demo['min'])}; nn.optim.SGD.step {_ms(demo['optimizer'])} of it); target <= 1.5 ms: "
                  f"{'met' if demo['median'] <= 1.5e-3 else 'NOT met'}", "",
              "Crossover: the demo step (hinge + 1e-4 L2, SGD) on a batch of N samples", "",
              "| N | ArrayStep | compiled per-sample loop | loop / arrays |", "|---:|---:|---:|---:|"]
    for row in cross:
        lines.append(f"| {row['n']} | {_ms(row['arrays'])} | {_ms(row['loop'])} | {row['ratio']:.2f} |")
    faster = [row["n"] for row in cross if row["ratio"] > 1.0]
    first = next((row["n"] for k, row in enumerate(cross) if all(r["ratio"] > 1.0 for r in cross[k:])), None)
    lines += ["", f"The arrays are faster from N = {first} on (faster at: {faster})." if first else
              "The arrays were not faster at any N measured.",
              "", f"({seconds:.0f} s; load average {', '.join(f'{x:.1f}' for x in __import__('os').getloadavg())})"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_arrays", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", help="also write the measurements as JSON here")
    args = parser.parse_args(argv)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    if args.smoke:
        sizes, runs, goal_n, epochs, cross_sizes = [100, 1000], 2, 1000, 2, [8, 64]
    elif args.quick:
        sizes, runs, goal_n, epochs, cross_sizes = [100, 1000, 10_000, 100_000], 3, 100_000, 10, [8, 32, 64, 128]
    else:
        sizes, runs, goal_n, epochs = N_FULL, 5, 100_000, 10
        cross_sizes = [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256, 512]
    log("scaling")
    scale = scaling(sizes, runs, log)
    log("peak memory")
    mem = memory(sizes, log)
    log("targets")
    goal = targets(goal_n, epochs, 3 if not args.smoke else 1, check_exact=not args.quick, log=log)
    demo = demo_step(runs)
    log("crossover")
    cross = crossover(cross_sizes, runs)
    text = report(scale, mem, goal, demo, cross, time.perf_counter() - started)
    print(text)
    if args.json:
        from pathlib import Path

        Path(args.json).write_text(json.dumps({"scaling": scale, "memory": {f"{e} {n}": r for (e, n), r in mem.items()},
                                               "targets": goal, "demo": demo, "crossover": cross}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
