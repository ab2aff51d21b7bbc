"""Drawn networks read in index order: neuron boxes h1[0], h1[1], h1[2] top to bottom, and a
node's operands (W2[0,0], W2[0,1], W2[0,2], b2[0]) in the order the node lists them, down the
page drawn LR and across it drawn TB, whichever Graphviz renders them; and each number on an
edge sits beside its edge.

The positions are read from the rendered SVG (y grows downwards there), so this is what a
reader sees, not what the DOT text asks for.
"""

import math
import random
import re
import xml.etree.ElementTree as ET

import pytest

import autograd as ag
from autograd import Value
from nn import losses
from nn.mlp import MLP
from test_drawing import RENDERERS, render

_SVG = "{http://www.w3.org/2000/svg}"


def _tops(drawing, program: str | None = None, axis: str = "y") -> tuple[dict[str, float], dict[str, float]]:
    """The y (or x) of the first text line of every node box (by DOT id) and of every cluster
    label (by its text), from the rendered SVG: smaller is higher (further left) on the page.
    ``program``: the renderer to run (default: the one draw finds)."""
    root = ET.fromstring(drawing.svg() if program is None else render(drawing.source, program))
    nodes, clusters = {}, {}
    for group in root.iter(f"{_SVG}g"):
        texts = [t for t in group.iter(f"{_SVG}text")]
        if not texts:
            continue
        if group.get("class") == "node":
            nodes[group.findtext(f"{_SVG}title")] = float(texts[0].get(axis))
        elif group.get("class") == "cluster":
            clusters["".join(texts[0].itertext())] = float(texts[0].get(axis))
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


def _column_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if re.search(r"\b(in|out)\d+_\d+\b", line)]


def test_the_columns_are_invisible_and_only_in_collapsed_neuron_boxes():
    model, loss = _mlp_loss([4, 4, 1])
    collapsed = ag.draw(loss, parameters=model.parameters(), collapse=True).source
    columns = _column_lines(collapsed)
    assert all("style=invis" in line for line in columns)
    assert "".join(columns).count("style=invis") == 2 * 2 * (4 + 3 + 4)   # 2 layers x in/out x (points, chain, ties)
    assert collapsed.count("style=invis") == 2 * 2 * (4 + 3 + 4)         # collapsed: no weights to hold in a row
    assert not _column_lines(ag.draw(loss, parameters=model.parameters()).source)
    assert "style=invis" not in ag.draw(loss, parameters=model.parameters(), collapse=True, cluster=False).source


def test_a_neuron_s_weights_are_held_in_a_row_by_invisible_edges_in_its_box():
    model, loss = _mlp_loss([3, 1])
    source = ag.draw(loss, parameters=model.parameters()).source
    rows = re.findall(r"\{rank=same; ((?:v\d+ ?)+)\}", source)
    assert sorted(len(row.split()) for row in rows) == [3, 3, 3, 4]   # per neuron: its weights and bias
    assert source.count("[style=invis minlen=0]") == sum(len(row.split()) - 1 for row in rows)


# -- across the page (TB) as well as down it (LR), with either renderer ---------------------------

_ACROSS = {"TB": "x", "BT": "x", "LR": "y", "RL": "y"}


def _in_order(drawing, program, rankdir, nodes: list[Value]) -> list[str]:
    """The labels of ``nodes`` in reading order across a TB drawing, down an LR one."""
    at, _ = _tops(drawing, program, _ACROSS[rankdir])
    return [n.label for n in sorted(nodes, key=lambda n: at[drawing.node_id(n)])]


def _notebook_04():
    """Notebook 04's 2-3-1 network (weights Wi[k,j], Wo[j]) with BCE, drawn as the notebook
    draws it: one box per unit chosen by a function."""
    x = [Value(1.0, label="x[0]"), Value(-0.5, label="x[1]")]
    Wi = [[Value(w, label=f"Wi[{k},{j}]") for j, w in enumerate(row)]
          for k, row in enumerate([[0.4, -0.6, 0.9], [0.7, 0.2, -0.8]])]
    Wo = [Value(w, label=f"Wo[{j}]") for j, w in enumerate([0.5, -1.2, 0.8])]
    y = Value(1.0, label="y")
    zh = [ag.dot([row[j] for row in Wi], x) for j in range(3)]
    h = [z.sigmoid() for z in zh]
    zo = ag.dot(Wo, h)
    yhat = zo.sigmoid()
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    for j in range(3):
        zh[j].label, h[j].label = f"zh[{j}]", f"h[{j}]"
    zo.label, yhat.label, L.label = "zo", "yhat", "L"
    L.backward()

    def unit(node):
        name = node.label or ""
        if name.startswith(("Wi[", "zh[", "h[")):
            return f"hidden unit {name[-2]}"
        if name.startswith("Wo[") or name in ("zo", "yhat"):
            return "output unit"
        return "loss" if name in ("", "L") else None

    return x, Wi, Wo, h, L, unit


@pytest.mark.parametrize("program", RENDERERS)
@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
def test_notebook_04_s_network_reads_in_index_order_every_way_round(program, rankdir):
    """Drawn TB, Graphviz 2.43 put each unit's weights right to left (Wi[1,0] left of Wi[0,0];
    Wo[2], Wo[1], Wo[0]), and Graphviz 16 (graphviz-pure) did so drawn LR."""
    x, Wi, Wo, h, L, unit = _notebook_04()
    params = [w for row in Wi for w in row] + Wo
    d = ag.draw(L, rankdir=rankdir, parameters=params, cluster=unit)
    for j in range(3):
        assert _in_order(d, program, rankdir, [Wi[0][j], Wi[1][j]]) == [f"Wi[0,{j}]", f"Wi[1,{j}]"]
    assert _in_order(d, program, rankdir, Wo) == ["Wo[0]", "Wo[1]", "Wo[2]"]
    assert _in_order(d, program, rankdir, h) == ["h[0]", "h[1]", "h[2]"]
    assert _in_order(d, program, rankdir, x) == ["x[0]", "x[1]"]
    first, second = L.parents
    assert _in_order(d, program, rankdir, [second, first]) == [first.label, second.label]   # both unlabelled
    _, boxes = _tops(d, program, _ACROSS[rankdir])
    assert sorted(["hidden unit 0", "hidden unit 1", "hidden unit 2"], key=boxes.get) == \
        ["hidden unit 0", "hidden unit 1", "hidden unit 2"]


@pytest.mark.parametrize("program", RENDERERS)
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
@pytest.mark.parametrize("sizes", [[3, 1], [4, 4, 1]])
def test_an_mlp_s_neurons_read_their_operands_in_index_order_with_either_renderer(program, rankdir, sizes):
    model, loss = _mlp_loss(sizes, seed=0)
    d = ag.draw(loss, parameters=model.parameters(), rankdir=rankdir)
    nodes = _by_label(loss)
    n_in = 2
    for layer, width in enumerate(sizes, start=1):
        for j in range(width):
            own = [nodes[f"W{layer}[{j},{k}]"] for k in range(n_in)] + [nodes[f"b{layer}[{j}]"]]
            assert _in_order(d, program, rankdir, own) == [n.label for n in own]
        n_in = width


# -- a number on an edge sits beside its edge -----------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _bezier(d: str, steps: int = 16) -> list[tuple[float, float]]:
    """Points along an SVG path of cubic Béziers (``M x,y C x,y x,y x,y ...``, as Graphviz writes edges)."""
    numbers = [float(v) for v in _NUMBER.findall(d)]
    points = list(zip(numbers[0::2], numbers[1::2]))
    along = [points[0]]
    for i in range(1, len(points) - 2, 3):
        p0, p1, p2, p3 = points[i - 1:i + 3]
        for s in range(1, steps + 1):
            t = s / steps
            along.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * e
                               for a, b, c, e in zip(p0, p1, p2, p3)))
    return along


def _label_gaps(svg: bytes) -> dict[str, float]:
    """For every labelled edge (by id), the gap in points between its label's box and its path."""
    gaps = {}
    for group in ET.fromstring(svg).iter(f"{_SVG}g"):
        path = next(group.iter(f"{_SVG}path"), None)
        texts = list(group.iter(f"{_SVG}text"))
        if group.get("class") != "edge" or path is None or not texts:
            continue
        text = texts[0]
        x, y, size = float(text.get("x")), float(text.get("y")), float(text.get("font-size"))
        width = 0.6 * size * len("".join(text.itertext()))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor")]
        box = (left, y - size, left + width, y)
        gaps[group.get("id")] = min(math.hypot(max(box[0] - px, 0, px - box[2]), max(box[1] - py, 0, py - box[3]))
                                    for px, py in _bezier(path.get("d")))
    return gaps


@pytest.mark.parametrize("program", RENDERERS)
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
@pytest.mark.parametrize("graph", ["notebook 04", "MLP(2, [3, 1])", "MLP(2, [4, 1])"])
def test_edge_numbers_sit_beside_their_edges(program, rankdir, graph):
    """An edge from one box into another was routed around the boxes, its number left in the
    middle rank: in notebook 04's network drawn TB 6 of 33 numbers lay more than 8 pt from
    their edge, 2 more than 16 pt, one 37 pt (MLP(2, [4, 1]) TB: 45 pt; MLP(2, [3, 1]) LR: 10
    of 26 past 8 pt). Now most touch their edge: at most one in six lies past 8 pt (the
    inputs' edges, bundled, drawn LR), one in 20 past 16 pt, none past 25 (the worst: 23 pt,
    an edge that leaves its box and turns back into the next, drawn by graphviz-pure)."""
    if graph == "notebook 04":
        x, Wi, Wo, h, L, unit = _notebook_04()
        d = ag.draw(L, rankdir=rankdir, parameters=[w for row in Wi for w in row] + Wo, cluster=unit)
    else:
        model, loss = _mlp_loss([3, 1] if "3" in graph else [4, 1], seed=0)
        d = ag.draw(loss, parameters=model.parameters(), rankdir=rankdir)
    gaps = _label_gaps(render(d.source, program))
    assert len(gaps) == sum(len(n.parents) for n in ag.topological_order(d._root))   # every edge has its number
    far = sorted(round(g, 1) for g in gaps.values() if g > 8)
    assert len(far) <= len(gaps) / 6 and sum(g > 16 for g in far) <= len(gaps) / 20 and max(gaps.values()) <= 25, far
