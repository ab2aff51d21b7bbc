"""Drawn networks read in index order: neuron boxes h1[0], h1[1], h1[2] top to bottom, and a
node's operands (W2[0,0], W2[0,1], W2[0,2], b2[0]) in the order the node lists them.

The positions are read from the rendered SVG (y grows downwards there), so this is what a
reader sees, not what the DOT text asks for.
"""

import random
import re
import xml.etree.ElementTree as ET

import pytest

import autograd as ag
from autograd import Value
from nn import losses
from nn.mlp import MLP

_SVG = "{http://www.w3.org/2000/svg}"


def _tops(drawing) -> tuple[dict[str, float], dict[str, float]]:
    """The y of the first text line of every node box (by DOT id) and of every cluster label
    (by its text), from the rendered SVG: smaller is higher on the page."""
    root = ET.fromstring(drawing.svg())
    nodes, clusters = {}, {}
    for group in root.iter(f"{_SVG}g"):
        texts = [t for t in group.iter(f"{_SVG}text")]
        if not texts:
            continue
        if group.get("class") == "node":
            nodes[group.findtext(f"{_SVG}title")] = float(texts[0].get("y"))
        elif group.get("class") == "cluster":
            clusters["".join(texts[0].itertext())] = float(texts[0].get("y"))
    return nodes, clusters


def _top_to_bottom(drawing, nodes: list[Value]) -> list[str]:
    ys, _ = _tops(drawing)
    return [n.label for n in sorted(nodes, key=lambda n: ys[drawing.node_id(n)])]


def _mlp_loss(sizes: list[int], seed: int = 1):
    model = MLP(2, sizes, seed=seed)
    loss = losses.bce_with_logits(model([0.5, -1.0]), 1)
    loss.label = "L"
    loss.backward()
    return model, loss


def _by_label(root: Value) -> dict[str, Value]:
    return {n.label: n for n in ag.topological_order(root) if n.label}


def _neuron_order(clusters: dict[str, float], layer: int) -> list[int]:
    mine = {int(m[1]): y for name, y in clusters.items()
            if (m := re.fullmatch(rf"layer {layer}, neuron (\d+)", name))}
    return sorted(mine, key=mine.get)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("collapse", [False, True])
def test_mlp_neurons_and_operands_in_index_order(seed, collapse):
    model, loss = _mlp_loss([3, 1], seed)
    d = ag.draw(loss, parameters=model.parameters(), collapse=collapse)
    _, clusters = _tops(d)
    assert _neuron_order(clusters, 1) == [0, 1, 2]
    nodes = _by_label(loss)
    h = [nodes[f"h1[{j}]"] for j in range(3)]
    assert _top_to_bottom(d, h) == ["h1[0]", "h1[1]", "h1[2]"]
    assert _top_to_bottom(d, [nodes["x[0]"], nodes["x[1]"]]) == ["x[0]", "x[1]"]
    if not collapse:  # the output neuron's own operands, in its box, in the order dot() takes them
        own = [nodes[name] for name in ("W2[0,0]", "W2[0,1]", "W2[0,2]", "b2[0]")]
        assert _top_to_bottom(d, own) == ["W2[0,0]", "W2[0,1]", "W2[0,2]", "b2[0]"]
        for j in range(3):
            own = [nodes[f"W1[{j},0]"], nodes[f"W1[{j},1]"], nodes[f"b1[{j}]"]]
            assert _top_to_bottom(d, own) == [f"W1[{j},0]", f"W1[{j},1]", f"b1[{j}]"]


@pytest.mark.parametrize("collapse", [False, True])
def test_two_hidden_layers_in_index_order(collapse):
    model, loss = _mlp_loss([4, 4, 1])
    d = ag.draw(loss, parameters=model.parameters(), collapse=collapse)
    _, clusters = _tops(d)
    assert _neuron_order(clusters, 1) == [0, 1, 2, 3]
    assert _neuron_order(clusters, 2) == [0, 1, 2, 3]
    nodes = _by_label(loss)
    if not collapse:
        own = [nodes[f"W3[0,{j}]"] for j in range(4)] + [nodes["b3[0]"]]
        assert _top_to_bottom(d, own) == [n.label for n in own]


def test_course_network_reads_in_index_order():
    """The course's 2-2-1 sigmoid network with BCE, labelled as its notes write it (no boxes)."""
    rng = random.Random(0)
    x = [Value(rng.uniform(-2, 2), label=f"x{k + 1}") for k in range(2)]
    Wi = [[Value(rng.uniform(-1.5, 1.5), label=f"Wi[{k},{j}]") for j in range(2)] for k in range(2)]
    Wo = [Value(rng.uniform(-1.5, 1.5), label=f"Wo[{j}]") for j in range(2)]
    y = Value(1.0, label="y")
    zh = [ag.dot([Wi[k][j] for k in range(2)], x) for j in range(2)]
    h = [z.sigmoid() for z in zh]
    yhat = ag.dot(Wo, h).sigmoid()
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    for j in range(2):
        zh[j].label, h[j].label = f"zh[{j}]", f"h[{j}]"
    L.backward()
    d = ag.draw(L)
    assert _top_to_bottom(d, x) == ["x1", "x2"]
    assert _top_to_bottom(d, zh) == ["zh[0]", "zh[1]"]
    assert _top_to_bottom(d, h) == ["h[0]", "h[1]"]
    assert _top_to_bottom(d, Wo) == ["Wo[0]", "Wo[1]"]
    assert _top_to_bottom(d, [Wi[0][0], Wi[1][0]]) == ["Wi[0,0]", "Wi[1,0]"]  # zh[0]'s weights
    assert _top_to_bottom(d, [Wi[0][1], Wi[1][1]]) == ["Wi[0,1]", "Wi[1,1]"]  # zh[1]'s


def test_operands_of_a_binary_op_in_order():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = Value(5.0, label="c")
    out = (c - a * b) - (a + b)
    d = ag.draw(out)
    first, second = out.parents
    ys, _ = _tops(d)
    assert ys[d.node_id(first)] < ys[d.node_id(second)]


@pytest.mark.parametrize("sizes", [[6, 1], [8, 8, 1], [16, 16, 1], [5, 7, 3, 1]])
@pytest.mark.parametrize("seed", [0, 1])
def test_collapsed_wide_layers_in_index_order(sizes, seed):
    """The demo's whole-graph drawing (collapsed, no edge labels): without the invisible
    columns that hold them, a 16-wide layer came out 0, 1, 2, 3, 8, 4, 9, 15, 12, ..."""
    model, loss = _mlp_loss(sizes, seed)
    d = ag.draw(loss, parameters=model.parameters(), collapse=True, show_edge_labels=False, title="whole")
    _, clusters = _tops(d)
    for layer, width in enumerate(sizes[:-1], start=1):
        assert _neuron_order(clusters, layer) == list(range(width))
    nodes = _by_label(loss)
    h = [nodes[f"h1[{j}]"] for j in range(sizes[0])]
    assert _top_to_bottom(d, h) == [n.label for n in h]


def test_the_columns_are_invisible_and_only_in_collapsed_neuron_boxes():
    model, loss = _mlp_loss([4, 4, 1])
    collapsed = ag.draw(loss, parameters=model.parameters(), collapse=True).source
    assert collapsed.count("style=invis]") == 2 * 2 * (4 + 3 + 4)   # 2 layers x in/out x (points, chain, ties)
    assert "style=invis" not in ag.draw(loss, parameters=model.parameters()).source
    assert "style=invis" not in ag.draw(loss, parameters=model.parameters(), collapse=True, cluster=False).source
