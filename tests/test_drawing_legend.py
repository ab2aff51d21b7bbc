"""The legend: the colours and the edges' numbers when asked for, and, unasked, what a dashed op is
wherever a drawing has one (an op some of whose operands start= or collapse=True left out)."""

import re

import pytest

import autograd as ag
from autograd import Value
from nn.mlp import MLP
from test_drawing import RENDERERS, Dot, render


def _neuron():
    ws = [Value(0.8, label="w0"), Value(-0.5, label="w1")]
    xs = [Value(1.5, label="x0"), Value(0.5, label="x1")]
    y = ag.dot(ws, xs, Value(0.1, label="b")).sigmoid()
    y.label = "y"
    y.backward()
    return ws, y


def _legend_text(drawing) -> str | None:
    dot = Dot(drawing.source)
    return dot.text("legend") if "legend" in dot.nodes else None


def test_a_drawing_with_cut_off_ops_explains_them_unasked():
    ws, y = _neuron()
    part = ag.draw(y, start=ws[0])
    dot = Dot(part.source)
    dashed = [n for n, attrs in dot.nodes.items() if "dashed" in attrs.get("style", "")]
    assert dashed == ["o5"]                                        # dot: 4 of its 5 operands not drawn
    text = _legend_text(part)
    assert "some operands not drawn" in text and "start=" in text and "collapse=True" in text
    assert "parameter" not in text                                 # only the key this drawing needs
    assert 'STYLE="dashed,rounded"' in dot.nodes["legend"]["label"]


def test_no_dashed_op_no_unasked_legend_and_legend_false_has_none():
    ws, y = _neuron()
    assert _legend_text(ag.draw(y)) is None
    assert _legend_text(ag.draw(y, start=ws[0], legend=False)) is None


def test_legend_true_has_the_colours_and_the_dashed_row_only_when_needed():
    ws, y = _neuron()
    full = _legend_text(ag.draw(y, legend=True))
    assert "parameter" in full and "local derivative" in full and "not drawn" not in full
    both = _legend_text(ag.draw(y, start=ws[0], legend=True))
    assert "parameter" in both and "some operands not drawn" in both


def test_a_collapsed_network_explains_its_dashed_ops():
    model = MLP(2, [3, 1], seed=0)
    loss = model([0.5, -1.0])
    loss.backward()
    d = ag.draw(loss, parameters=model.parameters(), collapse=True)
    assert "some operands not drawn" in _legend_text(d)


@pytest.mark.parametrize("bad", ["yes", 1, 0.0])
def test_legend_must_be_true_false_or_none(bad):
    with pytest.raises(ag.DrawingError, match="legend must be True, False or None"):
        ag.draw(Value(1.0), legend=bad)


@pytest.mark.parametrize("program", RENDERERS)
def test_the_key_renders_with_a_dashed_oval_and_stays_narrow(program):
    """The key sits beside the drawing: it must not make a narrow drawing much wider (a notebook
    shrinks a wide drawing to fit its cell)."""
    ws, y = _neuron()
    svg = render(ag.draw(y, start=ws[0], rankdir="TB").source, program).decode()
    legend = re.search(r'<g id="legend" class="node">.*?</g>', svg, re.S)[0]
    assert "stroke-dasharray" in legend and "some operands not drawn" in legend
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg)[1])
    assert width < 350
