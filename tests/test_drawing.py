"""Drawing the graph: what a learner must see to check the chain rule by eye.

Structure is checked on the DOT text (nodes, edges, labels, colours, boxes), never on
SVG bytes; rendering is checked by running the real renderers (Graphviz's `dot`, and the
`graphviz-pure` program pip installs) and reading back what they drew.
"""

import html
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from hypothesis import example, given, settings, strategies as st

import autograd as ag
from autograd import Value
from autograd.tools import drawing, drawing_layout, drawing_render, drawing_style
from autograd.tools.drawing import DrawingError, GraphTooLarge, GraphvizNotFound

DOT = shutil.which("dot")
PURE = shutil.which("graphviz-pure") or next(
    (str(Path(d) / "graphviz-pure") for d in drawing_render._script_dirs()
     if (Path(d) / "graphviz-pure").is_file()), None)
RENDERERS = [pytest.param(p, id=Path(p).name) for p in (DOT, PURE) if p]


# -- reading the DOT text back ------------------------------------------------------------------------

class Dot:
    """The nodes, edges and boxes of a DOT text written by ``draw``; ``invisible``: the edges
    that only hold the layout in order (not part of the graph)."""

    def __init__(self, source: str):
        self.nodes, self.edges, self.boxes, self.invisible = {}, [], {}, []
        open_boxes = []
        for line in source.splitlines():
            line = line.strip()
            if m := re.match(r"subgraph (cluster_\d+) \{$", line):
                open_boxes.append(m[1])
                self.boxes[m[1]] = {"label": None, "nodes": set(), "inside": list(open_boxes[:-1])}
            elif line == "}" and open_boxes:
                open_boxes.pop()
            elif open_boxes and (m := re.match(r"graph \[(.*)\]$", line)):
                self.boxes[open_boxes[-1]]["label"] = text_of(attributes(m[1])["label"])
            elif m := re.match(r"(\w+) -> (\w+) \[(.*)\]$", line):
                edge = (m[1], m[2], attributes(m[3]))
                (self.invisible if edge[2].get("style") == "invis" else self.edges).append(edge)
            elif (m := re.match(r"(\w+) \[(.*)\]$", line)) and m[1] not in ("graph", "node", "edge"):
                self.nodes[m[1]] = attributes(m[2])
                for box in open_boxes:
                    self.boxes[box]["nodes"].add(m[1])

    def text(self, node_id: str) -> str:
        return text_of(self.nodes[node_id]["label"])

    def edge(self, edge_id: str) -> tuple:
        (found,) = [e for e in self.edges if e[2]["id"] == edge_id]
        return found

    def box_of(self, node_id: str) -> str | None:
        """The label of the innermost box holding the node, or None."""
        holding = [b for b in self.boxes.values() if node_id in b["nodes"]]
        return max(holding, key=lambda b: len(b["inside"]))["label"] if holding else None


def attributes(text: str) -> dict:
    """``a=1 label=<<B>x</B>> tooltip="say \\"hi\\""`` -> dict; HTML values keep their markup."""
    attrs, i = {}, 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        eq = text.index("=", i)
        key, i = text[i:eq], eq + 1
        if text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            attrs[key] = text[i + 1:j - 1]
        elif text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            attrs[key] = text[i + 1:j]
            j += 1
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            attrs[key] = text[i:j]
        i = j
    return attrs


def text_of(label: str) -> str:
    """The words an HTML-like label shows: tags dropped, entities and backslashes decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", label)).replace("\\\\", "\\").split())


def sigmoid_neuron():
    """y = sigmoid(w*x + b) at w=0.5, x=2, b=-1, after backward: z = 0, y = 0.5, dy/dz = 0.25."""
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    y = (w * x + b).sigmoid()
    y.label = "y"
    y.backward()
    return w, x, b, y


def mlp_2_4_1(fused=True):
    """MLP(2, [4, 1]) on one sample, labelled the way nn labels its nodes."""
    xs = [Value(0.5, label="x[0]"), Value(-1.0, label="x[1]")]
    inputs = xs
    for layer, (n_in, n_out) in enumerate([(2, 4), (4, 1)], start=1):
        outs = []
        for i in range(n_out):
            ws = [Value(0.1 * (i + j + 1), label=f"W{layer}[{i},{j}]") for j in range(n_in)]
            b = Value(0.0, label=f"b{layer}[{i}]")
            if fused:
                z = ag.dot(ws, inputs, b)
            else:
                z = ag.sum([w * h for w, h in zip(ws, inputs)]) + b
            z.label = f"z{layer}[{i}]"
            h = z.sigmoid()
            h.label = f"h{layer}[{i}]"
            outs.append(h)
        inputs = outs
    loss = (inputs[0] - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return xs, loss


# -- what a node and an edge show ---------------------------------------------------------------------

def test_sigmoid_neuron_shows_every_value_grad_and_local_derivative():
    w, x, b, y = sigmoid_neuron()
    dot = Dot(ag.draw(y).source)
    # topological order: w, x, w*x, b, w*x+b, y
    assert dot.text("v0") == "w data 0.5 grad 0.5"        # dy/dw = x * s(1-s) = 2 * 0.25
    assert dot.text("v1") == "x data 2 grad 0.125"        # dy/dx = w * 0.25
    assert dot.text("v2") == "data 1 grad 0.25"           # w*x, unlabelled
    assert dot.text("v5") == "y data 0.5 grad 1"
    assert [dot.text(f"o{i}") for i in (2, 4, 5)] == ["*", "+", "σ"]
    # each edge carries d(out)/d(operand): d(w*x)/dw = x, d(w*x)/dx = w, d(z+b)/db = 1, σ' = 0.25
    assert {e[2]["id"]: (e[0], e[1], text_of(e[2]["label"])) for e in dot.edges if "label" in e[2]} == {
        "e2_0": ("v0", "o2", "2"), "e2_1": ("v1", "o2", "0.5"),
        "e4_0": ("v2", "o4", "1"), "e4_1": ("v3", "o4", "1"),
        "e5_0": ("v4", "o5", "0.25")}
    # each op points at the value it makes
    assert {(t, h) for t, h, a in dot.edges if "label" not in a} == {("o2", "v2"), ("o4", "v4"), ("o5", "v5")}


def test_a_value_used_twice_has_two_edges_each_with_its_local_derivative():
    a = Value(3.0, label="a")
    y = a * a
    y.backward()
    dot = Dot(ag.draw(y).source)
    into = [e for e in dot.edges if e[:2] == ("v0", "o1")]
    assert [e[2]["id"] for e in into] == ["e1_0", "e1_1"]
    assert [text_of(e[2]["label"]) for e in into] == ["3", "3"]   # 3 + 3 = 6 = a.grad
    assert dot.text("v0") == "a data 3 grad 6"


def test_op_nodes_show_folded_constants_from_the_op_table():
    x = Value(2.0, label="x")
    y = (3 - x * 3) / 4
    dot = Dot(ag.draw(y).source)
    assert [dot.text(n) for n in dot.nodes if n.startswith("o")] == ["*3", "3-", "/4"]


def test_every_op_in_the_table_draws_and_renders():
    a, b = Value(1.5, label="a"), Value(0.5, label="b")
    nodes = [a + b, a - b, a * b, a / b, a ** b, a + 2, a - 2, 2 - a, a * 2, a / 2, 2 / a, a ** 2, 2 ** a,
             -a, a.exp(), a.log(), a.clamped_log(), a.sigmoid(), a.tanh(), a.relu(), a.abs(), a.step(),
             ag.sum([a, b, 1]), ag.dot([a], [b], 0.5), ag.bce_with_logits(a, 1)]
    assert {n.op_def.name for n in nodes} == set(ag.OPS), "a new op: add it here"
    d = ag.draw(ag.sum(nodes), legend=True)
    dot = Dot(d.source)
    op_texts = {dot.text("o" + d.node_id(n)[1:]) for n in nodes}           # o12 is the op that made v12
    assert {t.split()[0] for t in op_texts} == {n.op.split()[0] for n in nodes}
    if RENDERERS:
        assert b"<svg" in render(d.source, RENDERERS[0].values[0])


def test_tooltips_spell_out_formulas_and_derivative_rules_in_explains_notation():
    w, x, b, y = sigmoid_neuron()
    dot = Dot(ag.draw(y).source)
    assert dot.nodes["o2"]["tooltip"] == "w * x = 1"
    assert dot.nodes["o5"]["tooltip"] == "y = sigmoid(w * x + b) = 0.5"   # unlabelled operands by name
    assert dot.nodes["v4"]["tooltip"] == "value (w * x + b)"
    assert dot.edge("e2_0")[2]["tooltip"] == "∂(w * x)/∂w = x = 2"
    assert dot.edge("e5_0")[2]["tooltip"] == "∂y/∂(w * x + b) = y(1 - y) = 0.25"
    assert "∂y/∂(w * x + b) = " in ag.explain(y.parents[0], y).text   # the same words as explain
    xs = [Value(float(k), label=f"x{k}") for k in range(6)]
    s = ag.dot(xs, xs[::-1]) * 2; s.label = "s"                 # a long operand list, and a node named t1
    dot = Dot(ag.draw(s).source)
    assert dot.nodes["o6"]["tooltip"] == "t1 = dot(x0, x1, x2, x3, ...) = 20"
    assert dot.nodes["o7"]["tooltip"] == "s = t1 * 2 = 40"
    assert dot.edge("e6_1")[2]["tooltip"] == "∂t1/∂x1 = x4 = 4"          # dot's rule: the partner's name


def test_a_part_of_a_graph_names_what_it_leaves_out_as_the_whole_graph_does():
    w, x, b, y = sigmoid_neuron()
    dot = Dot(ag.draw(y, start=b).source)
    assert dot.nodes["o4"]["tooltip"] == "w * x + b = 0\\n1 operand(s) not drawn"
    assert dot.edge("e5_0")[2]["tooltip"] == "∂y/∂(w * x + b) = y(1 - y) = 0.25"
    assert Dot(ag.draw(y).source).edge("e5_0")[2]["tooltip"] == dot.edge("e5_0")[2]["tooltip"]


def test_colours_tell_inputs_parameters_constants_and_output_apart():
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.5, label="b")
    y = ag.dot([w, 3.0], [x, Value(1.0, label="u")], b)   # 3.0 becomes a constant leaf; y = 2.5
    dot = Dot(ag.draw(y).source)

    def fill(label):
        node = next(n for n in dot.nodes if n.startswith("v") and dot.text(n).startswith(label))
        return re.search(r'BGCOLOR="(#\w+)"', dot.nodes[node]["label"])[1]

    # a lone w or b may be anything: an input unless parameters= says (nn's W1[0,1] and the
    # course's Wo are guessed: see test_drawing_limits)
    assert fill("w") == fill("b") == fill("x") == fill("u") == drawing_style._FILL["input"]
    assert fill("a data 3") == drawing_style._FILL["constant"]      # named as explain names it: a, t1
    assert fill("t1 data 2.5") == drawing_style._FILL["output"]
    # parameters= names them exactly: now only u is a parameter
    dot = Dot(ag.draw(y, parameters=[y.parents[3]]).source)
    assert fill("u") == drawing_style._FILL["parameter"] and fill("w") == drawing_style._FILL["input"]


def test_diagnostics_show_on_the_op_a_relu_that_is_off():
    x = Value(-2.0, label="x")
    h = x.relu()
    dot = Dot(ag.draw(h).source)
    assert dot.nodes["o1"]["fillcolor"] == drawing_style._WARNING_FILL
    assert dot.text("o1") == "ReLU ReLU is off (input -2 <= 0)"
    assert "it passes no gradient" in dot.nodes["o1"]["tooltip"]
    assert Dot(ag.draw(Value(1.0).relu()).source).nodes["o1"]["fillcolor"] == drawing_style._OP_FILL


def test_options_grads_edge_labels_number_format_direction_title():
    w, x, b, y = sigmoid_neuron()
    dot = Dot(ag.draw(y, show_grad=False, show_edge_labels=False).source)
    assert dot.text("v0") == "w data 0.5"
    assert not any("label" in e[2] for e in dot.edges)
    assert Dot(ag.draw(y, number_format=".2f").source).text("v1") == "x data 2.00 grad 0.12"
    source = ag.draw(y, rankdir="TB", title="y = σ(w·x + b)", legend=True).source
    assert "rankdir=TB" in source and "y = σ(w·x + b)" in source
    assert "local derivative" in Dot(source).text("legend")
    assert ag.draw(y, title="").source == ag.draw(y).source         # an empty title is no title


def test_values_and_grads_can_be_overridden_and_unknown_ones_show_a_question_mark():
    w, x, b, y = sigmoid_neuron()
    z = y.parents[0]
    dot = Dot(ag.draw(y, values={z: None, y: None}, grads={w: None, x: 7}).source)
    assert dot.text("v0") == "w data 0.5 grad ?"
    assert dot.text("v1") == "x data 2 grad 7"
    assert dot.text("v4") == "data ? grad 0.25"
    assert text_of(dot.edge("e5_0")[2]["label"]) == "?"   # y not computed yet: its local derivative neither
    assert text_of(dot.edge("e2_0")[2]["label"]) == "2"


def red_parts(dot: Dot) -> list[str]:
    """The ids of the boxes, ops and edges drawn in the highlight colour."""
    red = drawing_style._HIGHLIGHT
    nodes = [n for n, a in dot.nodes.items() if red in a["label"] or a.get("color") == red]
    return sorted(nodes + [e[2]["id"] for e in dot.edges if e[2].get("color") == red])


def test_highlight_rings_value_boxes_and_not_the_ops_that_made_them():
    w, x, b, y = sigmoid_neuron()
    wx = y.parents[0].parents[0]
    d = ag.draw(y, highlight=[w, wx])
    assert red_parts(Dot(d.source)) == d.highlighted == ["v0", "v2"]   # the * that made w*x stays plain


def test_a_highlighted_edge_lights_the_op_it_enters_and_highlight_ops_the_op_and_its_arrow():
    w, x, b, y = sigmoid_neuron()
    wx = y.parents[0].parents[0]
    d = ag.draw(y, highlight_edges=[(wx, 1)])                          # x -> *
    assert red_parts(Dot(d.source)) == d.highlighted == ["e2_1", "o2"]
    d = ag.draw(y, highlight_ops=[y])                                  # σ and its arrow into y
    assert red_parts(Dot(d.source)) == d.highlighted == ["o5", "r5"]
    with pytest.raises(DrawingError, match="highlight_ops the node w = 0.5 is a leaf: no op made it"):
        ag.draw(y, highlight_ops=[w])


def test_names_put_the_texts_names_on_unlabelled_nodes_and_in_tooltips():
    w, x, b, y = sigmoid_neuron()
    z = y.parents[0]
    wx = z.parents[0]
    dot = Dot(ag.draw(y, names={z: "z", wx: "n2"}).source)
    assert dot.text("v4") == "z data 0 grad 0.25" and dot.text("v2") == "n2 data 1 grad 0.25"
    assert dot.nodes["o4"]["tooltip"] == "z = n2 + b = 0"
    assert dot.edge("e5_0")[2]["tooltip"] == "∂y/∂z = y(1 - y) = 0.25"
    dot = Dot(ag.draw(y, names=lambda n: "weight" if n is w else None).source)   # None keeps the label
    assert dot.text("v0") == "weight data 0.5 grad 0.5" and dot.text("v1") == "x data 2 grad 0.125"
    with pytest.raises(ag.OperandError, match="names gave int 3 for the node w = 0.5; expected a str"):
        ag.draw(y, names={w: 3})


def test_number_width_gives_numbers_and_coming_warnings_fixed_room():
    x = Value(-2.0, label="x")
    h = (x * 1.0).relu()
    dot = Dot(ag.draw(h, values={h: None}, number_width=6).source)
    assert re.search(r'<TD WIDTH="\d+">', dot.nodes["v0"]["label"])          # the box's number cell
    assert re.search(r'<TD WIDTH="\d+">\?</TD>', dot.edge("e2_0")[2]["label"])   # the edge label's
    assert dot.text("o2") == "ReLU" and "WIDTH=" in dot.nodes["o2"]["label"]  # room for the note to come
    assert dot.nodes["o2"]["fillcolor"] == drawing_style._OP_FILL
    dot = Dot(ag.draw(h, number_width=6).source)
    assert dot.text("o2") == "ReLU ReLU is off (input -2 <= 0)"


def layout(source: str, program: str) -> list[tuple[str, ...]]:
    """Where the renderer puts things: the graph's size, and each node's place and size."""
    return [tuple(line.split()[:6]) for line in render(source, program, "plain").decode().splitlines()
            if line.startswith(("graph ", "node "))]


@pytest.mark.parametrize("program", RENDERERS)
def test_with_number_width_highlights_and_unknown_numbers_move_nothing(program):
    w, x, b, y = sigmoid_neuron()
    z = y.parents[0]
    unknown = ag.draw(y, values={z: None, y: None}, grads=dict.fromkeys([w, x, b, z, y]),
                      highlight=[w], number_width=6)
    known = ag.draw(y, highlight=[z, y], highlight_edges=[(y, 0)], highlight_ops=[y], number_width=6)
    assert layout(unknown.source, program) == layout(known.source, program)


def reused_sum(n):
    """x + x + ... + x, n terms: one value feeding ops at n different depths."""
    x = Value(1.5, label="x")
    y = x
    for _ in range(n - 1):
        y = y + x
    return y


@pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")
def test_a_value_used_many_times_lays_out_quickly_and_ordinary_graphs_do_not_move():
    for root in (sigmoid_neuron()[3], mlp_2_4_1()[1], mlp_2_4_1(fused=False)[1], reused_sum(10)):
        source = ag.draw(root).source
        assert "nslimit=20" in source
        assert layout(source, DOT) == layout(re.sub(r" nslimit=\d+", "", source), DOT)
    assert "<svg" in ag.draw(reused_sum(60), timeout=10).svg()   # 0.7 s; 46 s without nslimit
    assert "nslimit=5" in ag.draw(reused_sum(130)).source   # past 250 boxes and ops: a smaller limit


def test_node_and_edge_ids_follow_the_topological_order():
    w, x, b, y = sigmoid_neuron()
    d = ag.draw(y)
    assert [d.node_id(n) for n in ag.topological_order(y)] == [f"v{i}" for i in range(6)]
    assert d.edge_id(y.parents[0], 1) == "e4_1"
    with pytest.raises(DrawingError, match="not in this drawing"):
        d.node_id(Value(1.0))


def test_the_dot_text_is_deterministic_across_graphs_and_processes():
    sources = {ag.draw(mlp_2_4_1()[1]).source for _ in range(2)}   # new Values each time
    program = "import sys, test_drawing as t, autograd as ag; sys.stdout.write(ag.draw(t.mlp_2_4_1()[1]).source)"
    for seed in ("1", "2"):                                          # other hash seeds, other addresses
        sources.add(subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True,
            cwd=Path(__file__).parent, env={"PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}).stdout)
    assert len(sources) == 1


# -- boxes per neuron ---------------------------------------------------------------------------------

def test_an_mlp_gets_one_box_per_neuron_from_its_labels():
    xs, loss = mlp_2_4_1()
    d = ag.draw(loss)
    dot = Dot(d.source)
    boxes = sorted(b["label"] for b in dot.boxes.values())
    assert boxes == ["layer 1, neuron 0", "layer 1, neuron 1", "layer 1, neuron 2", "layer 1, neuron 3",
                     "layer 2, neuron 0"]
    order = ag.topological_order(loss)
    by_label = {n.label: n for n in order if n.label}
    for label in ("W1[2,0]", "W1[2,1]", "b1[2]", "z1[2]", "h1[2]"):
        assert dot.box_of(d.node_id(by_label[label])) == "layer 1, neuron 2"
    assert dot.box_of(f"o{order.index(by_label['z1[2]'])}") == "layer 1, neuron 2"   # its dot op too
    assert dot.box_of(d.node_id(by_label["x[0]"])) is None     # inputs feed every neuron
    assert dot.box_of(d.node_id(loss)) is None
    # an edge from outside a box into it gets room to leave one box and enter the next
    assert dot.edge(d.edge_id(by_label["z1[0]"], 2))[2].get("minlen") == "2"     # x[0] -> neuron
    assert "minlen" not in dot.edge(d.edge_id(by_label["z1[0]"], 0))[2]          # W1[0,0] -> neuron


def test_unlabelled_ops_join_the_box_they_feed_when_there_is_only_one():
    xs, loss = mlp_2_4_1(fused=False)
    d = ag.draw(loss)
    dot = Dot(d.source)
    z = next(n for n in ag.topological_order(loss) if n.label == "z1[1]")
    product = z.parents[0].parents[0]          # W1[1,0] * x[0], unlabelled
    assert product.label is None and dot.box_of(d.node_id(product)) == "layer 1, neuron 1"
    shared = xs[0] * 2                          # feeds two neurons: no box
    a, b = (shared + Value(1.0, label="b1[0]")), (shared + Value(1.0, label="b1[1]"))
    a.label, b.label = "z1[0]", "z1[1]"
    d = ag.draw(a * b)
    assert Dot(d.source).box_of(d.node_id(shared)) is None


def test_clusters_can_be_turned_off_or_chosen_by_a_function():
    xs, loss = mlp_2_4_1()
    assert Dot(ag.draw(loss, cluster=False).source).boxes == {}

    def by_layer(node):
        m = re.match(r"[A-Za-z]+(\d)\[(\d)", node.label or "")
        return (f"layer {m[1]}", f"neuron {m[2]}") if m else None

    d = ag.draw(loss, cluster=by_layer)
    dot = Dot(d.source)
    assert sorted(b["label"] for b in dot.boxes.values() if not b["inside"]) == ["layer 1", "layer 2"]
    w = next(n for n in ag.topological_order(loss) if n.label == "W2[0,3]")
    assert dot.box_of(d.node_id(w)) == "neuron 0"
    (outer,) = [b for b in dot.boxes.values() if d.node_id(w) in b["nodes"] and not b["inside"]]
    assert outer["label"] == "layer 2"
    with pytest.raises(DrawingError, match="cluster function returned 3"):
        ag.draw(loss, cluster=lambda n: 3)


# -- big graphs -----------------------------------------------------------------------------------------

def test_a_deep_chain_is_refused_before_any_work_and_its_tail_can_be_drawn(monkeypatch):
    x = Value(1.0, label="x")
    y = x
    for _ in range(100_000):
        y = y + 1.0
    tail = y.parents[0].parents[0].parents[0]          # three ops before the output

    def no_full_walk(root):
        raise AssertionError("walked the whole graph before refusing it")

    with monkeypatch.context() as m:
        m.setattr(drawing_layout, "topological_order", no_full_walk)
        with pytest.raises(GraphTooLarge, match=r"has more than 2000 values .* takes at most max_nodes=2000 of each.*start="):
            ag.draw(y)
    d = ag.draw(y, start=tail)                          # the part from tail to y: 4 values
    assert repr(d) == "<Drawing: 4 values, 4 ops, unlabelled root (op '+1'), from an unlabelled node>"
    dot = Dot(d.source)
    assert sorted(n for n in dot.nodes if n.startswith("v")) == ["v100000", "v99997", "v99998", "v99999"]
    assert "dashed" in dot.nodes["o99997"]["style"]     # its operand is not drawn
    with pytest.raises(GraphTooLarge, match=r"has 4 values and 3 edges; draw\(\) takes at most max_nodes=3 of each"):
        ag.draw(y, start=tail, max_nodes=3)


def test_a_graph_deeper_than_the_recursion_limit_is_drawn_whole():
    depth = 3 * sys.getrecursionlimit()
    y = Value(1.0, label="x")
    for _ in range(depth):
        y = y.tanh()
    dot = Dot(ag.draw(y, max_nodes=depth + 1).source)
    assert len(dot.nodes) == 2 * depth + 1 and len(dot.edges) == 2 * depth


def test_start_keeps_only_the_paths_from_it_to_the_root():
    w, x, b, y = sigmoid_neuron()
    dot = Dot(ag.draw(y, start=x).source)
    assert sorted(dot.text(n) for n in dot.nodes if n.startswith("v")) == [
        "data 0 grad 0.25", "data 1 grad 0.25", "x data 2 grad 0.125", "y data 0.5 grad 1"]
    assert ("v0", "o2") not in {e[:2] for e in dot.edges}   # w is off the path
    with pytest.raises(DrawingError, match="is not part of the graph"):
        ag.draw(y, start=Value(1.0, label="elsewhere"))


# -- escaping --------------------------------------------------------------------------------------------

def render(source: str, program: str, fmt: str = "svg") -> bytes:
    done = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def drawn_text(svg: bytes, node_id: str) -> tuple[str, str]:
    """What the renderer wrote in a node (its text lines) and its tooltip."""
    ns = {"s": "http://www.w3.org/2000/svg"}
    group = next(g for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g") if g.get("id") == node_id)
    lines = [t.text or "" for t in group.iterfind(".//s:text", ns)]
    tip = next(a.get("{http://www.w3.org/1999/xlink}title") for a in group.iter("{http://www.w3.org/2000/svg}a"))
    # draw puts an invisible word joiner after an "&" that would read as an entity ("&amp;")
    return "\n".join(lines).replace("\u2060", ""), tip.replace("\u2060", "")


NASTY = ['say "hi"', "{a|b}", "<B>bold</B>", "a & b &amp;", "x\\ny \\N \\G", "back\\", "line 1\nline 2",
         "]]> -->", "σ′(z) ∂L/∂w 中文 🙂", "label=<x>", "a]; b [label=", "\\\"", "<<", ">", "tab\there"]


@pytest.mark.parametrize("program", RENDERERS)
@pytest.mark.parametrize("label", NASTY)
def test_labels_render_literally_and_never_break_the_dot(program, label):
    v = Value(1.0, label=label)
    svg = render(ag.draw(v, title=label).source, program)
    lines, tip = drawn_text(svg, "v0")
    assert lines.split() == (label + "\ndata 1\ngrad 0").split()
    assert tip.split() == f"output {label}".split()


@pytest.mark.skipif(not RENDERERS, reason="no renderer")
@settings(max_examples=40)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12))
@example("\\\\\"")
def test_any_printable_label_renders_literally(label):
    svg = render(ag.draw(Value(-2.5, label=label)).source, RENDERERS[0].values[0])
    lines, tip = drawn_text(svg, "v0")
    assert lines.split() == (label + "\ndata -2.5\ngrad 0").split()
    assert tip.split() == f"output {label}".split()


def test_control_characters_are_shown_as_escapes():
    v = Value(1.0, label="bell\x07nul\x00")
    assert Dot(ag.draw(v).source).text("v0").startswith(r"bell\x07nul\x00")


# -- rendering ---------------------------------------------------------------------------------------------

def test_the_drawing_is_a_graphviz_digraph_and_shows_itself_in_jupyter():
    w, x, b, y = sigmoid_neuron()
    d = ag.draw(y)
    assert isinstance(d.digraph, graphviz.Digraph) and d.digraph.source == d.source
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"] == repr(d) == "<Drawing: 6 values, 3 ops, root 'y'>"
    assert ET.fromstring(bundle["image/svg+xml"]).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")
def test_save_renders_svg_png_and_dot_with_the_dot_program(tmp_path):
    w, x, b, y = sigmoid_neuron()
    d = ag.draw(y)
    assert drawing_render._find_renderer() == DOT
    assert d.save(tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(d.save(tmp_path / "g.svg")).getroot().tag.endswith("svg")
    assert d.save(tmp_path / "g.dot").read_text(encoding="utf-8") == d.source
    with pytest.raises(DrawingError, match=r"suffix '\.pdf'"):
        d.save(tmp_path / "g.pdf")


def test_without_dot_the_graphviz_pure_program_from_pip_renders(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))           # hide `dot` (and everything else)
    program = drawing_render._find_renderer()
    assert Path(program).name == "graphviz-pure"
    w, x, b, y = sigmoid_neuron()
    d = ag.draw(y)
    assert b"graphviz-pure" in d.svg().encode()[:400]   # its signature comment: it drew this one
    assert d.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_any_renderer_the_error_says_how_to_install_one(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(drawing_render, "_script_dirs", lambda: [str(tmp_path)])
    w, x, b, y = sigmoid_neuron()
    d = ag.draw(y)
    with pytest.raises(GraphvizNotFound) as error:
        d.svg()
    assert "`pip install graphviz-pure`" in str(error.value) and "`apt-get install graphviz`" in str(error.value)
    assert isinstance(GraphvizNotFound("x"), ag.GlassgradError) and ag.GraphvizNotFound is GraphvizNotFound
    assert "v5 [label=" in d.source                      # the DOT text needs no renderer
    bundle = d._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "pip install graphviz-pure" in bundle["text/plain"]


def test_a_failing_renderer_is_reported_with_its_message(monkeypatch):
    monkeypatch.setattr(drawing_render, "_find_renderer", lambda: sys.executable)   # not a renderer
    with pytest.raises(DrawingError, match="could not render the graph as svg"):
        ag.draw(Value(1.0)).svg()


# -- bad input -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"rankdir": "XY"}, DrawingError, "rankdir must be one of LR, TB"),
    ({"number_format": ".4q"}, DrawingError, "number_format '.4q'"),
    ({"max_nodes": 0}, DrawingError, "max_nodes must be a positive int"),
    ({"cluster": "yes"}, DrawingError, "cluster must be True, False or a function"),
    ({"start": 3.0}, ag.OperandError, "start must be a Value, got float"),
    ({"highlight": [Value(9.0, label="q")]}, DrawingError, "highlight the node q = 9.0 is not in"),
    ({"highlight_edges": [(None, 0)]}, ag.OperandError, r"\(node, index\) pair"),
    ({"highlight_ops": [3.0]}, ag.OperandError, "each of highlight_ops must be a Value, got float"),
    ({"names": 3}, ag.OperandError, "names must be a mapping node -> str or a function"),
    ({"number_width": 0}, DrawingError, "number_width must be None or a positive int"),
    ({"values": [1.0]}, ag.OperandError, "values must be a mapping"),
    ({"timeout": -1}, DrawingError, "timeout must be a positive number"),
])
def test_bad_options_are_named_in_the_error(kwargs, error, message):
    with pytest.raises(error, match=message):
        ag.draw(Value(1.0, label="a") * 2, **kwargs)


def test_bad_roots_edges_and_overrides_are_named_in_the_error():
    with pytest.raises(ag.OperandError, match="root must be a Value, got list"):
        ag.draw([1.0])
    y = Value(1.0, label="a") * 2
    with pytest.raises(DrawingError, match="index 1 is out of range.*1 operands"):
        ag.draw(y, highlight_edges=[(y, 1)])
    with pytest.raises(ag.OperandError, match=r"values\[the node a = 1.0\] must be a number or None, got str"):
        ag.draw(y, values={y.parents[0]: "one"})


# -- generated names: the a, b, t1 of explain's text are on the boxes ---------------------------

_MADE_UP = re.compile(r'<I><FONT COLOR="#6b6b6b">([^<]*)</FONT></I>')


def _made_up_names(d) -> dict[str, str]:
    """Box id -> the generated name shown in it (grey italics)."""
    return {m[1]: n for m in re.finditer(r"\tv(\d+) \[label=(.*?) id=v\1 ", d.source)
            for n in _MADE_UP.findall(m[2])}


def _unlabelled_graphs():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    yield ((a * b + c) * f).tanh()                                 # leaves a..d, the output t1
    y = Value(1.0) + (Value(2.0) * Value(3.0)).tanh()
    yield y
    xs = [Value(float(k)) for k in range(7)]
    s = ag.sum(xs)                                                 # 7 operands: shortened in tooltips
    yield (s * s).exp() + ag.dot(xs[:3], xs[3:6], 0.5)
    w = Value(0.5, label="w")
    yield (w * Value(2.0) + Value(1.0)).sigmoid()                  # a label among them: "a" is free


@pytest.mark.parametrize("root", list(_unlabelled_graphs()))
def test_every_generated_name_explain_uses_is_on_its_box(root):
    order = ag.topological_order(root)
    shown = _made_up_names(ag.draw(root))
    notation = ag.explain(order[0], root).notation
    generated = {notation.name(n): n for n in order if notation.is_generated(n)}
    used = set()
    for leaf in (n for n in order if not n.parents):
        used |= set(re.findall(r"\b(?:[a-z]|t\d+)\b", ag.explain(leaf, root).text)) & set(generated)
    assert used and used <= set(shown.values())                 # every made-up name the text uses is drawn
    for name, node in generated.items():                        # ... on the box of the node it names
        assert shown[str(order.index(node))] == name
    assert len(shown) == len(generated)                         # and nothing else: w, a * b, tanh(...) are not


def test_generated_names_are_grey_italics_only_where_explain_makes_them_up():
    w = Value(0.5, label="w")
    y = (w * Value(2.0)).tanh()                                 # tanh(w * a): short, its own name
    d = ag.draw(y)
    assert list(_made_up_names(d).values()) == ["a"]
    assert "<B>w</B>" in d.source and '"output tanh(w * a)"' in d.source  # the expression is the tooltip
    assert not _MADE_UP.search(ag.trace(y).frame(0).source)     # names= given: only its names are shown
    assert not _MADE_UP.search(ag.draw(y, names={}).source)


def test_generated_names_render_in_italics():
    long = (Value(2.0) * Value(3.0) + Value(1.0)).tanh() * Value(4.0)   # t1: too long for a name
    svg = ag.draw(long).svg()
    texts = {"".join(t.itertext()): t.get("font-style")
             for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}
    assert {name: texts.get(name) for name in ("a", "b", "c", "d", "t1")} == dict.fromkeys(
        ("a", "b", "c", "d", "t1"), "italic")
