"""explain: every name it uses is defined, its text is bounded and always prints."""

import autograd as ag
from autograd import Value, explain


def test_the_path_form_defines_every_generated_name():
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    y = Value(1.0, label="y")
    L = ((w * x).tanh() * y + (w * x).exp() * y).sigmoid(); L.label = "L"
    e = explain(w, L)
    n = e.notation
    text = e.text
    where = text[text.index("where "):]
    for node in ag.topological_order(L):
        if n.is_generated(node) and n[node] in text.split("where ")[0] + text[text.index("path form"):]:
            assert f"{n[node]} = " in where, (n[node], text)


def test_a_dot_of_100000_operands_explains_in_a_few_lines():
    ws = [Value(0.5) for _ in range(100_000)]
    xs = [Value(1.0) for _ in range(100_000)]
    d = ag.dot(ws, xs); d.label = "d"
    text = explain(ws[0], d).text
    assert len(text) < 2000                                   # was the whole operand list, twice
    assert "(99994 more)" in text


def test_lone_surrogates_print():
    x = Value(2.0, label="x\ud800")
    y = x * x; y.label = "y"
    text = explain(x, y).text
    assert "\\ud800" in text
    text.encode("utf-8")                                      # print() no longer raises
