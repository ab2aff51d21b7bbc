"""How fast ``autograd.draw`` builds DOT text, refuses huge graphs, and renders.

    python benchmarks/bench_drawing.py

Figures (median of several runs, this machine):
* DOT text for a 10^4-value graph (a deep chain, and an unfused MLP with a box per neuron),
  as seconds, as a share of the 1 s budget, and against two baselines: walking the graph
  (``topological_order``) and a bare micrograd-style ``draw_dot`` on the same graph
  (one record per value, one node per op, unlabelled edges; no escaping, no boxes).
* Refusing a 10^5-deep chain with ``max_nodes`` (it stops counting at max_nodes + 1).
* Rendering an unfused MLP(2, [4, 1]) to SVG with each renderer found (``dot``, ``graphviz-pure``).

A figure that hits a limit (draw's ``max_nodes``, a renderer that fails) is a row saying so, and
the other figures still run: the output never ends in a traceback.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from pathlib import Path

import graphviz

import autograd as ag
from autograd import Value
from autograd.tools import drawing


def chain(n_values: int) -> Value:
    """x -> tanh -> *0.999 + x -> tanh ...: about n_values values, as deep as it is long."""
    x = Value(0.5, label="x")
    y = x
    for i in range((n_values - 1) * 2 // 3):  # 3 values every 2 steps
        y = y.tanh() if i % 2 else y * 0.999 + x
    return y


def mlp_unfused(n_in: int, widths: list[int]) -> Value:
    """An MLP built one binary op at a time, labelled like nn (W1[i,j], b1[i], z1[i], h1[i])."""
    h = [Value(0.01 * j, label=f"x[{j}]") for j in range(n_in)]
    for layer, width in enumerate(widths, start=1):
        outs = []
        for i in range(width):
            z = Value(0.0, label=f"b{layer}[{i}]")
            for j, inp in enumerate(h):
                z = z + Value(0.01 * (i - j), label=f"W{layer}[{i},{j}]") * inp
            z.label = f"z{layer}[{i}]"
            a = z.tanh()
            a.label = f"h{layer}[{i}]"
            outs.append(a)
        h = outs
    return h[0]


def micrograd_draw_dot(root: Value) -> graphviz.Digraph:
    """micrograd's draw_dot recipe (records, an op node per value), walked iteratively."""
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    for n in ag.topological_order(root):
        uid = str(id(n))
        dot.node(uid, label="{ %s | data %.4f | grad %.4f }" % (n.label or "", n.data, n.grad),
                 shape="record")
        if n.parents:
            dot.node(uid + n.op, label=n.op)
            dot.edge(uid + n.op, uid)
            for p in n.parents:
                dot.edge(str(id(p)), uid + n.op)
    return dot


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def limit_row(name: str, size: str, error: BaseException) -> None:
    """A figure that could not be made: its row says why, in one line."""
    reason = " ".join(str(error).split())
    print(f"{name:<36} {size}  not measured: {type(error).__name__}: "
          f"{reason if len(reason) <= 300 else reason[:297] + '...'}")


def dot_text_figures(name: str, root: Value) -> None:
    order = ag.topological_order(root)
    n = len(order)
    edges = sum(len(node.parents) for node in order)
    root.backward()
    try:  # the whole graph: max_nodes bounds the values and the edges alike
        ours = median_time(lambda: ag.draw(root, max_nodes=max(n, edges)).source)
    except ag.GlassgradError as e:
        limit_row(name, f"{n:>7,} values", e)
        return
    walk = median_time(lambda: ag.topological_order(root))
    bare = median_time(lambda: micrograd_draw_dot(root).source)
    print(f"{name:<36} {n:>7,} values  {ours:7.3f} s  {ours:6.1%} of 1 s  "
          f"{1e6 * ours / n:5.1f} us/value  x{ours / walk:5.1f} the walk  x{ours / bare:4.2f} bare draw_dot")


def refusal_figures() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(100_000):
        y = y + 1.0

    def refuse():
        try:
            ag.draw(y)
        except ag.GlassgradError:
            return
        raise AssertionError("not refused")

    try:
        refused = median_time(refuse)
    except (ag.GlassgradError, AssertionError) as e:
        limit_row("refuse a 10^5-deep chain", f"{100_001:>7,} values", e)
        return
    walk = median_time(lambda: ag.topological_order(y))
    tail = median_time(lambda: ag.draw(y, start=y.parents[0].parents[0]).source)
    print(f"{'refuse a 10^5-deep chain':<36} {100_001:>7,} values  {refused:7.4f} s  "
          f"(walking it all: {walk:.4f} s, x{walk / refused:.0f}); drawing its 3-value tail: {tail:.4f} s")


def render_figures() -> None:
    loss = (mlp_unfused(2, [4, 1]) - 1.0) ** 2
    loss.backward()
    n = len(ag.topological_order(loss))
    name = "render unfused MLP(2,[4,1]) to SVG"
    try:
        d = ag.draw(loss)
    except ag.GlassgradError as e:
        limit_row(name, f"{n:>7,} values", e)
        return
    pure = shutil.which("graphviz-pure") or next(
        (str(Path(f) / "graphviz-pure") for f in drawing._script_dirs() if (Path(f) / "graphviz-pure").is_file()),
        None)
    programs = list(filter(None, (shutil.which("dot"), pure)))
    if not programs:
        print(f"{name:<36} {n:>7,} values  not measured: neither dot nor graphviz-pure was found")
    for program in programs:
        def render():
            subprocess.run([program, "-Tsvg"], input=d.source.encode(), capture_output=True, check=True,
                           timeout=120)
        try:
            seconds = median_time(render, 3)
        except (OSError, subprocess.SubprocessError) as e:
            limit_row(name, f"{n:>7,} values", e)
            continue
        print(f"{name:<36} {n:>7,} values  {seconds:7.3f} s  with {Path(program).name}")


if __name__ == "__main__":
    dot_text_figures("DOT text: deep chain", chain(10_000))
    dot_text_figures("DOT text: unfused MLP(24,[48,48,1])", mlp_unfused(24, [48, 48, 1]))
    refusal_figures()
    render_figures()
