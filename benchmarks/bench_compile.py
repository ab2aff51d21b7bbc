"""``autograd.compile`` on micrograd's demo step, against the engines and a hand-written float step.

    python -m benchmarks.bench_compile            # a table and the targets, in a few minutes
    python -m benchmarks.bench_compile --quick    # fewer repetitions

The workload is micrograd's demo: ``MLP(2, [16, 16, 1])`` with ReLU, max-margin (hinge) loss
+ 1e-4 L2 on 100 two-moons points, full batch, one SGD step (forward, backward, update). Rows:

* **compiled fused / unfused**: ``autograd.compile`` of the graph ``nn.fit`` builds (one
  ``dot`` node per neuron, or micrograd's binary nodes), called in a plain loop:
  ``value, grads = fn([p.data for p in params])`` then the SGD update;
* **compiled, as nn.fit runs it**: the same through ``fn.backward()`` (reads ``.data``, adds
  to ``.grad``) with ``zero_grad`` and ``nn.optim.SGD.step``, as a compiled ``fit`` would;
* **eager fused / unfused**: the graph built and backpropagated every step (``nn`` as is);
* **micrograd 0.1.0** and **torch 0-d** (float64 scalars), as ``benchmarks/engines.py`` runs them;
* **hand-written floats**: the same network written by hand in plain Python floats and
  lists (forward and backward), the floor for code that runs one float at a time.

Every engine runs in this process, one after the other, repetition after repetition; a ratio
is taken within one repetition and the table shows its median. Also measured: the time to
generate and compile the code (once per graph) and the memory (tracemalloc) it holds.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from operator import mul

N_POINTS, ALPHA, LR = 100, 1e-4, 0.05


# -- the hand-written step: the same network in plain floats -----------------------------------

def float_step(W1, B1, W2, B2, W3, B3, X, Y, lr):
    """One SGD step of MLP(2, [16, 16, 1]) with ReLU, hinge loss + ALPHA * L2, written by hand.
    ``W*`` are lists of rows (one per neuron), ``B*`` lists of biases; updated in place."""
    n = len(X)
    gW1 = [[0.0, 0.0] for _ in W1]
    gB1 = [0.0] * len(B1)
    gW2 = [[0.0] * len(W2[0]) for _ in W2]
    gB2 = [0.0] * len(B2)
    gW3 = [0.0] * len(W3[0])
    gB3 = 0.0
    total = 0.0
    for (x0, x1), y in zip(X, Y):
        # forward
        z1 = [w[0] * x0 + w[1] * x1 + b for w, b in zip(W1, B1)]
        h1 = [z if z > 0.0 else 0.0 for z in z1]
        z2 = [sum(map(mul, w, h1)) + b for w, b in zip(W2, B2)]
        h2 = [z if z > 0.0 else 0.0 for z in z2]
        s = sum(map(mul, W3[0], h2)) + B3[0]
        margin = 1.0 - y * s
        total += margin if margin > 0.0 else 0.0
        # backward: d loss / d s = -y / n where the margin is positive
        ds = -y / n if margin > 0.0 else 0.0
        gW3 = [g + h * ds for g, h in zip(gW3, h2)]
        gB3 += ds
        dz2 = [w * ds if z > 0.0 else 0.0 for w, z in zip(W3[0], z2)]
        dh1 = [0.0] * len(h1)
        for i, (w, d) in enumerate(zip(W2, dz2)):
            gW2[i] = [g + h * d for g, h in zip(gW2[i], h1)]
            gB2[i] += d
            dh1 = [a + wj * d for a, wj in zip(dh1, w)]
        for i, (d, z) in enumerate(zip(dh1, z1)):
            d = d if z > 0.0 else 0.0
            gW1[i][0] += x0 * d
            gW1[i][1] += x1 * d
            gB1[i] += d
    # L2 and the update
    loss = total / n
    for rows, grads in ((W1, gW1), (W2, gW2)):
        for w, g in zip(rows, grads):
            loss += ALPHA * sum(map(mul, w, w))
            w[:] = [wi - lr * (gi + 2.0 * ALPHA * wi) for wi, gi in zip(w, g)]
    loss += ALPHA * sum(map(mul, W3[0], W3[0]))
    W3[0][:] = [wi - lr * (gi + 2.0 * ALPHA * wi) for wi, gi in zip(W3[0], gW3)]
    for biases, grads in ((B1, gB1), (B2, gB2), (B3, [gB3])):
        loss += ALPHA * sum(b * b for b in biases)
        biases[:] = [b - lr * (g + 2.0 * ALPHA * b) for b, g in zip(biases, grads)]
    return loss


def _float_model(weights):
    (l1, l2, l3) = weights
    return ([list(w) for w, _ in l1], [b for _, b in l1], [list(w) for w, _ in l2], [b for _, b in l2],
            [list(w) for w, _ in l3], [b for _, b in l3])


# -- the runners: each makes a step function from the same weights -------------------------------

def _data():
    from .run import _micrograd_init, _two_moons

    X, y = _two_moons(N_POINTS)
    return X, y, _micrograd_init([2, 16, 16, 1], seed=1337)


def _glassgrad_model(weights, fused: bool):
    import nn

    from .engines import _set_weights

    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0, fused=fused)
    _set_weights(model, weights)
    return model


def _loss(model, X, y):
    import nn

    return nn.losses.hinge([model(x) for x in X], y) + nn.losses.l2(model, ALPHA)


def compiled_runner(weights, X, y, fused: bool):
    """The compiled step in a plain loop; returns (step, first loss, compile seconds, compiled fn)."""
    import autograd

    model = _glassgrad_model(weights, fused)
    params = model.parameters()
    loss = _loss(model, X, y)
    seconds = []
    for _ in range(3):  # the fastest of three: the machine is shared
        t0 = time.perf_counter()
        fn = autograd.compile(loss, params, name="demo_step")
        seconds.append(time.perf_counter() - t0)
    seconds = min(seconds)
    first = loss.data
    del loss

    def step():
        value, grads = fn([p.data for p in params])
        for p, g in zip(params, grads):
            p.data -= LR * g
        return value
    return step, first, seconds, fn


def compiled_fit_runner(weights, X, y, fused: bool):
    """The compiled step as a compiled ``nn.fit`` would run it: zero_grad, fn.backward(), SGD."""
    import autograd
    import nn

    model = _glassgrad_model(weights, fused)
    params = model.parameters()
    fn = autograd.compile(_loss(model, X, y), params)
    optimizer = nn.optim.SGD(params, lr=LR)

    def step():
        optimizer.zero_grad()
        value = fn.backward().value
        optimizer.step()
        return value
    return step


def eager_runner(weights, X, y, fused: bool):
    model = _glassgrad_model(weights, fused)
    params = model.parameters()

    def step():
        loss = _loss(model, X, y)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data
    return step


def engine_runner(name: str, weights, X, y):
    from .engines import ENGINES

    engine = ENGINES[name]()
    engine.demo_setup("demo", weights, fused=False)

    def step():
        loss = engine.demo_forward("demo", X, y)
        engine.demo_backward("demo", loss)
        engine.demo_update("demo", LR)
        return engine.loss_value(loss)
    return step


def float_runner(weights, X, y):
    model = _float_model(weights)
    return lambda: float_step(*model, X, y, LR)


# -- measuring -------------------------------------------------------------------------------------

def _time(step, calls: int, pause_gc: bool) -> float:
    """Seconds per call after one untimed call; the cyclic collector runs as in a plain loop,
    or is paused during the calls (``pause_gc``, as ``nn.fit`` pauses it during a step)."""
    step()
    gc.collect()
    if pause_gc:
        gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        return (time.perf_counter() - t0) / calls
    finally:
        gc.enable()


def _memory(make) -> int:
    """Bytes allocated (tracemalloc) by ``make()`` and still held by what it returns."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        made = make()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    del made
    return held


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-micrograd", action="store_true")
    args = parser.parse_args(argv)
    repetitions = 3 if args.quick else 5
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # micrograd's backward recurses
    X, y, weights = _data()

    rows, first_losses, compile_seconds = {}, {}, {}
    for fused in (True, False):
        kind = "fused" if fused else "unfused"
        step, first, seconds, fn = compiled_runner(weights, X, y, fused)
        rows[f"compiled {kind}"], first_losses[f"compiled {kind}"] = step, first
        compile_seconds[kind] = seconds
        rows[f"compiled {kind}, as nn.fit"] = compiled_fit_runner(weights, X, y, fused)
        rows[f"eager {kind}"] = eager_runner(weights, X, y, fused)
        del fn
    rows["hand-written floats"] = float_runner(weights, X, y)
    for engine in ("micrograd", "torch"):
        if getattr(args, f"no_{engine}"):
            continue
        try:
            rows[engine if engine == "micrograd" else "torch 0-d"] = engine_runner(engine, weights, X, y)
        except ImportError as e:
            print(f"({engine} skipped: {e})")

    # the first loss of every row, from the same weights (compiled rows were read above)
    fresh = {name: make() for name, make in (
        ("eager fused", lambda: eager_runner(weights, X, y, True)()),
        ("hand-written floats", lambda: float_runner(weights, X, y)()),
        *((("micrograd", lambda: engine_runner("micrograd", weights, X, y)()),) if "micrograd" in rows else ()),
        *((("torch 0-d", lambda: engine_runner("torch", weights, X, y)()),) if "torch 0-d" in rows else ()))}
    first_losses.update(fresh)

    calls = {name: (1 if name in ("micrograd", "torch 0-d") or name.startswith("eager") else 10) for name in rows}
    times = {name: [] for name in rows}
    for _ in range(repetitions):
        for name, step in rows.items():
            times[name].append(_time(step, calls[name], pause_gc=name.endswith("nn.fit")))

    def ratio(a: str, b: str) -> float | None:
        if a not in times or b not in times:
            return None
        return statistics.median(tb / ta for ta, tb in zip(times[a], times[b]))

    print(f"demo step: MLP(2, [16, 16, 1]), ReLU, hinge + {ALPHA} L2, {N_POINTS} points, full batch "
          f"(median of {repetitions}; ratios within a repetition)")
    print(f"{'':32} {'step':>10} {'x micrograd':>12} {'x torch 0-d':>12} {'/ floats':>9}")
    print("(x micrograd: how many times faster; / floats: this step's time over the hand-written one's)")
    for name in rows:
        median = statistics.median(times[name])
        cells = [ratio(name, "micrograd"), ratio(name, "torch 0-d"), ratio("hand-written floats", name)]
        shown = [f"{c:.1f}x" if c is not None else "-" for c in cells]
        print(f"{name:32} {median * 1e3:8.2f} ms {shown[0]:>12} {shown[1]:>12} {shown[2]:>9}")
    print()
    for kind, seconds in compile_seconds.items():
        print(f"generate + compile the {kind} graph: {seconds:.2f} s (fastest of 3)")
    for fused in (True, False):
        kind = "fused" if fused else "unfused"
        held = _memory(lambda: compiled_runner(weights, X, y, fused)[3])
        print(f"memory held by the compiled {kind} step: {held / 1e6:.1f} MB")
    reference = first_losses.get("micrograd", first_losses["eager fused"])
    worst = max(abs(v - reference) / abs(reference) for v in first_losses.values())
    print(f"first loss in every row: {reference!r}; largest relative difference {worst:.1e}")

    targets = [
        ("compiled fused >= 300x micrograd", ratio("compiled fused", "micrograd"), 300, True),
        ("compiled fused >= 60x torch 0-d", ratio("compiled fused", "torch 0-d"), 60, True),
        ("compiled fused within 1.5x of hand-written floats", ratio("hand-written floats", "compiled fused"),
         1.5, False),
        ("compiled unfused within 1.5x of hand-written floats",
         ratio("hand-written floats", "compiled unfused"), 1.5, False),
        ("generate + compile the fused demo graph <= 1.5 s", compile_seconds["fused"], 1.5, False),
        ("first losses agree to 1e-12 relative", worst, 1e-12, False),
    ]
    print()
    for text, value, bound, at_least in targets:
        if value is None:
            print(f"  [skip] {text}")
            continue
        met = value >= bound if at_least else value <= bound
        print(f"  [{'met' if met else 'MISSED'}] {text}: {value:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
