"""Unlabelled nodes get short generated names (a, b, ... for leaves, t1, t2, ... for ops), never a bare number."""

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
