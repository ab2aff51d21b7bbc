"""nn.fit at scale: the compiled step (one sample's graph, run over every batch) against eager
training, in time and in peak memory, and the per-sample cost against the whole batch unrolled.

    python -m benchmarks.bench_fit            # the issue's targets (about 3 minutes: eager is slow)
    python -m benchmarks.bench_fit --quick    # smaller data, seconds

Each training run is a fresh process (``python -c``), so its peak resident memory
(``ru_maxrss``) is its own; the table gives it above the process's size once nn, the data
and the model are loaded. Ratios are between runs made in this one invocation.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TRAIN = textwrap.dedent("""
    import json, resource, time, nn
    from nn import data, losses, optim
    X, y = data.moons({n}, noise=0.1, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [16, 16, 1], seed=1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    history = nn.fit(model, (X, y), losses.hinge, opt, epochs={epochs}, batch_size={batch}, progress=False,
                     l2=1e-4, compiled={compiled})
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"seconds": seconds, "peak_mb": (peak - base) / 1024, "loss": history[-1].loss,
                      "params": [p.data for p in model.parameters()]}}))
""")

PER_SAMPLE = textwrap.dedent("""
    import json, time, autograd as ag, nn
    from nn import data, losses, optim
    from nn.train import _SampleStep

    def _timed(f, k):
        start = time.perf_counter()
        for _ in range(k):
            f()
        return (time.perf_counter() - start) / k

    X, y = data.moons(100, noise=0.1, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [16, 16, 1], seed=1)
    params = model.parameters()
    start = time.perf_counter()
    step = _SampleStep(model, losses.hinge, X, y)
    compile_seconds = time.perf_counter() - start
    opt = optim.SGD(params, lr=1e-12)  # (nearly) the same work every step
    batch = list(range(100))
    best_loop = min(_timed(lambda: step.step(batch, y, opt, params, 1e-4, 0.0), 20) for _ in range(5))
    # the whole batch unrolled into one function (what fit compiled before)
    loss = losses.hinge([model(x) for x in X], y) + losses.l2(params, 1e-4)
    start = time.perf_counter()
    fn = ag.compile(loss, params, comments=False)
    unrolled_compile = time.perf_counter() - start
    del loss
    best_unrolled = min(_timed(lambda: (opt.zero_grad(), fn.backward(), opt.step()), 20) for _ in range(5))
    print(json.dumps({"compile_seconds": compile_seconds, "loop_us": best_loop / 100 * 1e6,
                      "unrolled_us": best_unrolled / 100 * 1e6, "unrolled_compile_seconds": unrolled_compile}))
""")

def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def train(n: int, epochs: int, compiled, batch="None") -> dict:
    return _run(TRAIN.format(n=n, epochs=epochs, compiled=repr(compiled), batch=batch))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    cases = [(1000, 5, "None"), (2000, 5, "64")] if args.quick else [
        (1000, 30, "None"), (3000, 20, "None"), (10_000, 20, "None"), (10_000, 5, "64")]
    lines = ["| moons(n), MLP(2, [16, 16, 1]) | epochs | batch | eager s | compiled loop s | eager / compiled | "
             "eager peak MB | compiled peak MB | same parameters |", "|---|---:|---|---:|---:|---:|---:|---:|---|"]
    target = None
    for n, epochs, batch in cases:
        eager = train(n, epochs, False, batch)
        compiled = train(n, epochs, "loop", batch)  # the per-sample loop (NumPy arrays: bench_arrays)
        same = eager["params"] == compiled["params"]
        ratio = eager["seconds"] / compiled["seconds"]
        lines.append(f"| {n:,} | {epochs} | {'full' if batch == 'None' else batch} | {eager['seconds']:.2f} | "
                     f"{compiled['seconds']:.2f} | {ratio:.1f}x | {eager['peak_mb']:.0f} | "
                     f"{compiled['peak_mb']:.0f} | {'bit for bit' if same else 'NO'} |")
        if (n, epochs, batch) == (10_000, 20, "None"):
            target = (eager, compiled, ratio)
    per = _run(PER_SAMPLE)
    lines += ["", "| per sample, demo network (100 samples, fused) | value |", "|---|---:|",
              f"| one-sample loop (nn.fit's step) | {per['loop_us']:.1f} us |",
              f"| the whole batch unrolled in one function (the old step) | {per['unrolled_us']:.1f} us |",
              f"| loop / unrolled | {per['loop_us'] / per['unrolled_us']:.2f}x |",
              f"| compiling the one-sample graph (2 cases) | {per['compile_seconds'] * 1e3:.0f} ms |",
              f"| compiling the whole batch (old) | {per['unrolled_compile_seconds'] * 1e3:.0f} ms |"]
    targets = ["", "| target (issue: compiled training at any size) | measured | met |", "|---|---|---|"]
    if target:
        eager, compiled, ratio = target
        targets.append(f"| moons(10^4), 20 epochs: peak <= eager's + 100 MB | {compiled['peak_mb']:.0f} MB vs "
                       f"{eager['peak_mb']:.0f} MB | {'yes' if compiled['peak_mb'] <= eager['peak_mb'] + 100 else 'no'} |")
        targets.append(f"| moons(10^4), 20 epochs: time <= 1/5 of eager's | {ratio:.1f}x faster | "
                       f"{'yes' if ratio >= 5 else 'no'} |")
    per_ratio = per["loop_us"] / per["unrolled_us"]
    targets.append(f"| per-sample cost <= 1.3x the unrolled step | {per_ratio:.2f}x | {'yes' if per_ratio <= 1.3 else 'no'} |")
    targets.append(f"| compiling the one-sample graph <= 0.2 s | {per['compile_seconds']:.3f} s | "
                   f"{'yes' if per['compile_seconds'] <= 0.2 else 'no'} |")
    text = "\n".join(lines + targets) + "\n"
    print(text)
    if args.out:
        sys.path.insert(0, str(ROOT))
        from autograd.files import write_atomically
        write_atomically(args.out, text.encode(), OSError)
    return 0


if __name__ == "__main__":
    sys.exit(main())
