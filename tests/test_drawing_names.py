"""Unlabelled nodes get short generated names (a, b, ... for leaves, t1, t2, ... for ops), never a bare number."""

import re

import pytest

import autograd as ag
from autograd import Value, topological_order
from autograd.tools.notation import Notation


def test_unlabelled_leaves_are_letters_skipping_names_labels_use():
    a = Value(3.0, label="a")
    y = Value(2.0) * a + Value(2.0)
    n = Notation(topological_order(y))
    first, second = y.parents[0].parents[0], y.parents[1]
    assert (n.name(first), n.name(second)) == ("b", "c")        # "a" is a label already
    assert n.name(y) == "b * a + c" and not n.is_generated(y)
    assert n.is_generated(first) and not n.is_generated(a)
    assert n.generated == {first, second}
    assert n.legend(topological_order(y)) == ["b = 2 (unlabelled input)", "c = 2 (unlabelled input)"]


def test_long_unlabelled_ops_are_t1_t2_in_order_with_a_legend():
    xs = [Value(float(k), label=f"x{k}") for k in range(6)]
    s = ag.sum(xs)
    y = (s * s).tanh()
    order = topological_order(y)
    n = Notation(order, max_operands=4)
    assert n.name(s) == "t1" and n.name(s * s if False else y.parents[0]) == "t2"
    assert n.name(y) == "t3"                                    # no expression is built on t names
    assert n.legend([y, s, y, xs[0]]) == ["t3 = tanh(t2) (unlabelled)",
                                          "t1 = sum(x0, x1, x2, x3, ...) (unlabelled)"]
    assert n[y] == n.name(y)                                    # the old way still works


def test_no_name_is_a_number_and_t_names_skip_labels():
    t1 = Value(1.0, label="t1")
    z = ag.sum([t1, Value(2.0), Value(2.0), Value(2.0), Value(2.0)])
    n = Notation(topological_order(z), max_operands=4)
    assert n.name(z) == "t2"
    assert not any(name[0].isdigit() or name[0] == "-" for name in n.text.values())


def test_explain_of_an_unlabelled_graph_has_no_numbers_as_subjects():
    x = Value(2.0)
    y = x * x
    y.backward()
    text = ag.explain(x, y).text
    assert "at 2 " not in text and "∂(a * a)/∂a" in text


# -- one graph, one name per node: every drawing of it, explain and trace agree --------------

_GENERATED = re.compile(r'(v\d+) \[label=<.*?<I><FONT COLOR="#6b6b6b">([^<]*)</FONT></I>')


def _drawn_names(drawing) -> dict[str, str]:
    """DOT id of each box -> the generated name it shows (grey italics)."""
    return dict(_GENERATED.findall(drawing.source))


def _course_network():
    """Notebook 04's 2-3-1 network with BCE: the loss has one long unlabelled product."""
    x = [Value(1.0, label="x[0]"), Value(-0.5, label="x[1]")]
    Wi = [[Value(w, label=f"Wi[{k},{j}]") for j, w in enumerate(row)]
          for k, row in enumerate([[0.4, -0.6, 0.9], [0.7, 0.2, -0.8]])]
    Wo = [Value(w, label=f"Wo[{j}]") for j, w in enumerate([0.5, -1.2, 0.8])]
    y = Value(1.0, label="y")
    h = [ag.dot([row[j] for row in Wi], x).sigmoid() for j in range(3)]
    zo = ag.dot(Wo, h)
    yhat = zo.sigmoid()
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    zo.label, yhat.label, L.label = "zo", "yhat", "L"
    L.backward()
    return zo, L


def test_a_tail_drawn_with_start_names_its_nodes_as_the_whole_graph_does():
    zo, L = _course_network()
    whole, tail = ag.draw(L), ag.draw(L, start=zo)
    named = _drawn_names(tail)
    assert named                                                   # the long product is unlabelled
    assert {k: v for k, v in _drawn_names(whole).items() if k in named} == named
    assert _drawn_names(ag.draw(L, collapse=True)) == _drawn_names(whole)
    t = ag.trace(L)
    order = ag.topological_order(L)
    for node_id, name in named.items():
        node = order[int(node_id[1:])]
        assert t.notation[node] == name
        assert f"Chain rule at {name} " in ag.explain(node, L).text


def test_a_trace_letters_unlabelled_inputs_as_drawings_and_explain_do():
    p, q = Value(1.0), Value(2.0)
    L = -p + (q * 3).exp()
    L.label = "L"
    L.backward()
    t = ag.trace(L)
    assert t.order[0] is q and ag.topological_order(L)[0] is p    # the two orders differ
    names = Notation(ag.topological_order(L))
    assert (t.notation[p], t.notation[q]) == (names[p], names[q]) == ("a", "b")
    drawn = _drawn_names(ag.draw(L))
    assert drawn[ag.draw(L).node_id(p)] == "a" and drawn[ag.draw(L).node_id(q)] == "b"
    assert "∂L/∂a" in ag.explain(p, L).text


def test_the_order_given_does_not_change_the_names():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    z = ((a * b).exp() + c.tanh() * a).sigmoid()
    order = ag.topological_order(z)
    leaves_last_first = [n for n in reversed(order) if not n.parents] + [n for n in order if n.parents]
    assert leaves_last_first != order                              # another topological order
    assert Notation(leaves_last_first).text == Notation(order).text
    assert Notation({n: 10 * i for i, n in enumerate(order)}).text == Notation(order).text
    assert [Notation(order)[n] for n in (a, b, c)] == ["a", "b", "c"]


@pytest.mark.parametrize("max_operands", [None, 1, 2, 4, 6])
def test_max_operands_shortens_expressions_but_changes_no_name(max_operands):
    xs = [Value(float(k), label=f"x{k}") for k in range(3)]
    s = ag.sum(xs)                                                 # "sum(x0, x1, x2)": 15 characters
    y = ag.sum([Value(1.0, label=f"u{k}") for k in range(9)]) * s
    order = ag.topological_order(y)
    assert Notation(order, max_operands=max_operands).text == Notation(order).text
    assert Notation(order)[s] == "sum(x0, x1, x2)"
