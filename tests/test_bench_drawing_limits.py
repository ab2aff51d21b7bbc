"""benchmarks/bench_drawing.py reports a limit as a row, not a traceback (issue 23: RESULTS.md's
"Drawing details" held a GraphTooLarge traceback)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import autograd as ag

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_drawing.py"


@pytest.fixture
def bench():
    spec = importlib.util.spec_from_file_location("bench_drawing", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_graph_with_more_edges_than_values_is_drawn_whole(bench, capsys):
    """The unfused MLP has more edges than values: max_nodes must cover both."""
    root = bench.mlp_unfused(3, [5, 1])
    order = ag.topological_order(root)
    assert sum(len(n.parents) for n in order) > len(order)
    bench.median_time = lambda fn, repeat=5: (fn(), 0.01)[1]
    bench.dot_text_figures("DOT text: small unfused MLP", root)
    row = capsys.readouterr().out
    assert row.startswith("DOT text: small unfused MLP") and "us/value" in row


def test_a_limit_is_a_row_and_the_next_figure_still_runs(bench, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise ag.GraphTooLarge("draw: the graph has more than max_nodes=10 values\nand edges")

    monkeypatch.setattr(bench.ag, "draw", refuse)
    bench.dot_text_figures("DOT text: refused", bench.chain(30))
    bench.render_figures()
    n = len(ag.topological_order(bench.chain(30)))
    assert capsys.readouterr().out.splitlines() == [
        f"{'DOT text: refused':<36} {n:>7,} values  not measured: GraphTooLarge: draw: the graph has "
        "more than max_nodes=10 values and edges",
        f"{'render unfused MLP(2,[4,1]) to SVG':<36} {50:>7,} values  not measured: GraphTooLarge: "
        "draw: the graph has more than max_nodes=10 values and edges"]
