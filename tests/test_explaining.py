"""explain(node, root): the chain rule at a node, checked against the course's hand derivation.

The network of the notes: z^h = x W^i, h = σ(z^h), z^o = h W^o, ŷ = σ(z^o), L = BCE(ŷ, y).
By hand: δ^o = ∂L/∂z^o = ŷ - y, ∂L/∂W^o = h δ^o, δ^h = h(1 - h) W^o δ^o, ∂L/∂W^i = x δ^h.
"""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Value, explain
from autograd.tools.explaining import ExplainError


def one_hidden_layer(x=1.5, w_i=0.4, w_o=-0.7, y=1.0):
    x, w_i, w_o = Value(x, label="x"), Value(w_i, label="W^i"), Value(w_o, label="W^o")
    z_h = x * w_i; z_h.label = "z^h"
    h = z_h.sigmoid(); h.label = "h"
    z_o = h * w_o; z_o.label = "z^o"
    y_hat = z_o.sigmoid(); y_hat.label = "ŷ"
    loss = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()); loss.label = "L"
    return dict(x=x, w_i=w_i, w_o=w_o, z_h=z_h, h=h, z_o=z_o, y_hat=y_hat, loss=loss, y=y)


def test_the_hand_derivation_of_backprop_through_one_hidden_layer():
    n = one_hidden_layer()
    delta_o = n["y_hat"].data - n["y"]
    delta_h = n["h"].data * (1 - n["h"].data) * n["w_o"].data * delta_o
    assert explain(n["z_o"], n["loss"]).grad == pytest.approx(delta_o)
    assert explain(n["w_o"], n["loss"]).grad == pytest.approx(n["h"].data * delta_o)
    assert explain(n["z_h"], n["loss"]).grad == pytest.approx(delta_h)
    assert explain(n["w_i"], n["loss"]).grad == pytest.approx(n["x"].data * delta_h)


def test_the_sigmoid_rule_is_written_with_the_node_names_then_the_numbers():
    n = one_hidden_layer()
    text = explain(n["z_h"], n["loss"]).text
    h = n["h"].data
    assert "∂L/∂z^h = ∂L/∂h · ∂h/∂z^h" in text          # the chain rule
    assert "= ∂L/∂h · h(1 - h)" in text                  # the op's rule, with the label
    assert f"· {h:.4g}(1 - {h:.4g})" in text              # the same rule with the numbers
    assert "where h = sigmoid(z^h)" in text


def test_a_node_used_twice_gets_a_ledger_of_both_contributions():
    a = Value(3.0, label="a")
    c = a * a; c.label = "c"
    e = explain(a, c)
    assert [(u.consumer, u.index) for u in e.contributions] == [(c, 0), (c, 1)]
    assert [u.contribution for u in e.contributions] == [3.0, 3.0]
    assert [u.running for u in e.contributions] == [3.0, 6.0]
    assert e.grad == 6.0 == ag.grad(c, a)
    assert "a is used 2 times" in e.text
    lines = e.text.splitlines()
    start = lines.index("  a is used 2 times; each use adds upstream × local:")
    ledger = [line.split() for line in lines[start + 1:start + 5]]
    assert ledger[0][:3] == ["use", "consumer", "upstream"]
    assert ledger[1][:2] == ["1", "c"] and ledger[1][-2:] == ["3", "3"]
    assert ledger[2][:2] == ["2", "c"] and ledger[2][-2:] == ["3", "6"]
    assert ledger[3] == ["total", "6"]


def test_uses_by_different_consumers_add_up():
    x = Value(2.0, label="x")
    y = x * 3 + x.exp() + x; y.label = "y"
    e = explain(x, y)
    assert len(e.contributions) == 3
    assert e.grad == pytest.approx(3 + math.exp(2.0) + 1)
    assert "exp(x)" in e.text


def test_the_path_form_sums_the_products_along_every_path():
    a = Value(3.0, label="a")
    c = a * a; c.label = "c"
    d = c + a * 2; d.label = "d"
    e = explain(a, d)
    assert [p.product for p in e.paths] == [3.0, 3.0, 2.0]
    assert sum(p.product for p in e.paths) == e.grad == 8.0
    assert "d ← c ←[1] a: 1 · 3 = 3" in e.text      # a*a: which operand the path goes through
    assert "d ← (a * 2) ← a: 1 · 2 = 2" in e.text


def test_the_path_form_is_refused_above_the_cap_with_the_count():
    x = Value(1.0, label="x")
    y = x
    for _ in range(7):
        y = y + y                                     # 2**7 = 128 paths from y to x
    e = explain(x, y)
    assert e.paths is None and e.grad == 128.0
    assert "128 paths" in e.text and "more than 64" in e.text
    assert len(explain(x, y, max_paths=200).paths) == 128


def test_explain_reads_and_writes_no_grad():
    n = one_hidden_layer()
    n["w_i"].grad = 99.0                               # stale, as after many backward calls
    e = explain(n["w_i"], n["loss"])
    assert e.grad == pytest.approx(ag.grad(n["loss"], n["w_i"]))
    assert n["w_i"].grad == 99.0 and n["loss"].grad == 0.0


def test_the_output_itself_is_the_seed():
    n = one_hidden_layer()
    e = explain(n["loss"])
    assert e.grad == 1.0 and e.contributions == ()
    assert e.text.splitlines() == [
        "∂L/∂L = 1: L is the output, where backprop starts (the seed).",
        "To explain a node inside the graph, give the output as well: its gradient is what flows back "
        "to the node."]                                  # reads right in Python and in the CLI alike
    assert e.markdown.endswith("\n\n∂L/∂L = 1: L is the output, where backprop starts (the seed).")


def test_a_trace_can_stand_for_the_output():
    n = one_hidden_layer()
    assert explain(n["h"], ag.trace(n["loss"])).grad == explain(n["h"], n["loss"]).grad


def test_diagnostics_on_the_way_back_are_shown():
    h = Value(-3.0, label="h")
    r = (h * 2).relu() + (h * 10).sigmoid(); r.label = "r"
    text = explain(h, r).text
    assert "relu(h * 2): ReLU is off (input -6 <= 0)" in text
    assert "sigmoid(h * 10): saturated sigmoid (input -30)" in text
    k = Value(0.0, label="k")
    assert "input exactly on a kink at 0" in explain(k, abs(k) * 3).text


def test_many_uses_are_shortened_in_the_equation_but_all_in_the_ledger():
    x = Value(1.0, label="x")
    y = ag.sum([x * float(k) for k in range(1, 11)]); y.label = "y"
    e = explain(x, y)
    assert e.grad == 55.0
    assert "(4 more)" in e.text
    assert "x * 10 (operand 1)" in e.text


def test_latex_and_markdown():
    n = one_hidden_layer()
    e = explain(n["z_h"], n["loss"])
    assert e.latex.startswith("\\begin{aligned}")
    assert "\\frac{\\partial L}{\\partial z^h}" in e.latex and "h(1 - h)" in e.latex
    md = e._repr_markdown_()
    assert "$$\n\\begin{aligned}" in md and "**Chain rule at `z^h`**" in md
    a = Value(3.0, label="a")
    assert "| use | consumer |" in explain(a, a * a).markdown


def test_labels_cannot_inject_html_into_markdown():
    x = Value(1.0, label="<img src=x onerror=alert(1)>")
    y = x.relu() * 2; y.label = "<script>alert(1)</script>"
    md = explain(x, y).markdown
    outside_code = re.sub(r"`[^`]*`", "", md)          # code spans show their text literally
    assert "<img" not in outside_code and "<script" not in outside_code
    assert "\\lt \\text{script}\\gt" in explain(x, y).latex


LATEX_LABELS = {"z^h": "z^h", "W_{io}": "W_{io}", "\\hat{y}": "\\hat{y}", "x_1'": "x_1'",  # written in LaTeX
                "x\\": "\\text{x}\\backslash ", "a^": "\\text{a}\\hat{}", "}{": "\\}\\{",
                "\\end{aligned}": "\\backslash \\text{end}\\{\\text{aligned}\\}",
                "\\def\\x": "\\backslash \\text{def}\\backslash \\text{x}",
                "blank\n\nline": "\\text{blank  line}", "50% $": "\\text{50}\\%\\text{ }\\$"}


@pytest.mark.parametrize("label", LATEX_LABELS)
def test_labels_are_written_in_latex_as_given_only_when_that_is_safe(label):
    x = Value(1.0, label=label)
    y = x * 2; y.label = "y"
    latex = explain(x, y).latex
    assert f"\\frac{{\\partial y}}{{\\partial {LATEX_LABELS[label]}}}" in latex
    assert latex.count("\\end{aligned}") == 1 and "\n\n" not in latex


@pytest.mark.parametrize("label", ["new\nline <b>x</b>", "`", "a|b", "\\[x\\]", "$$", "[a](javascript:x)",
                                   "# h", "1. x", "- y", "*em* _em_ ~s~"])
def test_labels_never_break_the_markdown(label):
    x = Value(1.0, label=label)
    y = (x * 2 + x).tanh(); y.label = label                  # a ledger and path lines, with the label
    md = explain(x, y).markdown
    body = re.sub(r"\$\$\n.*?\n\$\$", "", md, flags=re.S)       # the equations
    text = re.sub(r"`[^`\n]*`", "", body)                   # code spans
    assert not re.search(r"[`<$]|(?<!\\)\]\(", text) and "\\\\" not in body   # no HTML, link or math
    for line in text.splitlines():
        assert not re.match(r"(#|[-+*] |\d\. )", line.removeprefix("- ")), line   # no heading or list
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 5 and all(len(re.findall(r"(?<!\\)\|", row)) == 7 for row in rows)


def test_bad_input_is_named():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    with pytest.raises(ExplainError, match="node x = 1.0 is not in the graph of y = 2.0"):
        explain(x, y)
    with pytest.raises(TypeError, match="explain: node must be a Value, got float"):
        explain(1.0, y)
    with pytest.raises(TypeError, match="explain: root must be a Value or a Trace, got str"):
        explain(x, "y")
    with pytest.raises(ExplainError, match="number_format 'q' is not a format spec"):
        explain(x, x * x, number_format="q")


def test_a_graph_100000_nodes_deep_is_explained_without_recursion():
    x = Value(1.0, label="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    e = explain(x, y)
    assert e.grad == 1.0
    assert "100000 edges long" in e.text


# -- the property: explain agrees with grad, and so does the path form --------------

ops = st.sampled_from(["add", "mul", "sub", "tanh", "sigmoid", "mul_c"])
graphs = st.lists(st.tuples(ops, st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=12)


def build(leaves, steps):
    nodes = list(leaves)
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append({"add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b,
                      "tanh": a.tanh, "sigmoid": a.sigmoid, "mul_c": lambda: a * 0.5}[op]())
    return nodes[-1]


@given(st.lists(st.floats(-2, 2), min_size=1, max_size=3), graphs)
def test_explain_agrees_with_grad_on_random_graphs(data, steps):
    leaves = [Value(d, label=f"x{k}") for k, d in enumerate(data)]
    root = build(leaves, steps)
    for leaf, expected in zip(leaves, ag.grad(root, leaves)):
        if not any(n is leaf for n in ag.topological_order(root)):
            continue
        e = explain(leaf, root, max_paths=10**6)
        assert math.isclose(e.grad, expected, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(math.fsum(p.product for p in e.paths), expected, rel_tol=1e-9, abs_tol=1e-12)
