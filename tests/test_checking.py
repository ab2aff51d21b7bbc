"""gradcheck, the per-op check and check_formula: they pass on right rules and catch wrong ones."""

import dataclasses
import json
import math
import sys
import warnings

import pytest

import autograd as ag
from autograd import OPS, OperandError, Value, topological_order
from autograd.tools.checking import GradcheckReport, KinkWarning, gradcheck_ops


def every_op(a, b, c):
    """One expression using every op of the table, away from every kink and domain edge."""
    t = a * b + c - a / b                     # mul add sub div
    t = t + 1.5 - 0.5                          # add_c sub_c
    t = (2 - t) * 3 / 4 + 1 / (b + 3)          # rsub_c mul_c div_c rdiv_c
    t = t ** 2 + 2 ** a + (b + 3) ** c         # pow_c rpow_c pow
    t = -t + a.exp() + (b + 3).log() + (b + 4).clamped_log()  # neg exp log clamped_log
    t = t.sigmoid() + t.tanh() + (t - 5).relu() + (t + 7).relu() + (t - 1).abs() + t.step()
    t = t + ag.bce_with_logits(t * a, 0.25)    # bce_logits
    return ag.sum([t, a, 2.0]) * ag.dot([a, b], [c, t], bias=c)


POINT = [0.7, -1.3, 0.4]


def test_the_composite_uses_every_op():
    out = every_op(*(Value(x) for x in POINT))
    assert {n.op_def.name for n in topological_order(out) if n.op_def} == set(OPS)


def test_gradcheck_passes_on_every_op():
    report = ag.gradcheck(every_op, POINT)
    assert report.ok and [r.name for r in report.rows] == ["a", "b", "c"]
    assert all(r.abs_error < 1e-6 for r in report.rows)


def test_per_op_check_passes_on_every_op():
    report = ag.gradcheck(every_op, POINT, per_op=True)
    assert report.ok and report.first_failure is None
    checked = {r.name.split(" = ")[1].split("(")[0] for r in report.op_rows}
    assert {"sigmoid", "tanh", "relu", "abs", "step", "exp", "log", "sum", "dot"} <= checked


def test_inputs_may_be_labelled_values_or_a_single_number():
    w = Value(0.5, label="w")
    assert [r.name for r in ag.gradcheck(lambda w, x: w * x, [w, 2.0]).rows] == ["w", "x"]
    report = ag.gradcheck(lambda x: x.tanh(), 0.3)
    assert report.rows[0].analytic == pytest.approx(1 - math.tanh(0.3) ** 2)


# -- catching a wrong derivative rule -------------------------------------------------------

@pytest.fixture
def wrong_sigmoid(monkeypatch):
    """A sigmoid whose local derivative is s instead of s(1 - s): a classic slip."""
    wrong = dataclasses.replace(OPS["sigmoid"], local=lambda x, out: (out,))
    monkeypatch.setattr(ag.ops, "sigmoid", wrong)


def neuron(w, x, b):
    return (w * x + b).sigmoid() * x.tanh()


def test_gradcheck_catches_a_wrong_rule(wrong_sigmoid):
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(neuron, [0.5, 2.0, -1.0])
    report = info.value.report
    assert not report.ok and {r.verdict for r in report.rows} == {"MISMATCH"}
    assert isinstance(info.value, ValueError)


def test_per_op_check_names_the_op_with_the_wrong_rule(wrong_sigmoid):
    report = ag.gradcheck(neuron, [0.5, 2.0, -1.0], per_op=True, raise_on_failure=False)
    bad = report.first_failure
    assert bad.name.endswith("sigmoid(#4)") and bad.analytic == pytest.approx(0.5)
    assert bad.numeric == pytest.approx(0.25)      # s(1 - s) at s = 0.5
    assert [r for r in report.op_rows if not r.ok] == [bad]
    assert "first op that disagrees: #5 = sigmoid(#4)" in report.summary()


def test_gradcheck_ops_on_a_graph_with_a_wrong_binary_rule(monkeypatch):
    wrong = dataclasses.replace(OPS["mul"], local=lambda a, b, out: (a, b))  # swapped
    monkeypatch.setattr(ag.ops, "mul", wrong)
    x, y = Value(2.0, label="x"), Value(5.0, label="y")
    z = (x + y) * x
    z.label = "z"
    with pytest.raises(ag.GradcheckError) as info:
        gradcheck_ops(z)
    bad = info.value.report.first_failure
    assert (bad.name, bad.wrt, bad.analytic, bad.numeric) == ("z = #2 * x", "#2", 7.0, pytest.approx(2.0))


def test_the_rule_is_restored_after_the_monkeypatch():
    assert ag.gradcheck(neuron, [0.5, 2.0, -1.0], per_op=True).ok


# -- kinks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["relu", "abs", "step"])
def test_kink_warns_and_marks_the_row(op):
    with pytest.warns(KinkWarning, match=f"{op} exactly at"):
        report = ag.gradcheck(lambda x, y: getattr(x * y, op)() + y, [0.0, 3.0], per_op=True)
    assert report.ok                       # the engine follows its stated convention there
    assert report.rows[0].kink and report.rows[0].verdict in ("on a kink", "ok (on a kink)")
    kinked = [r for r in report.op_rows if r.kink]
    assert len(kinked) == 1 and OPS[op].kink_note in kinked[0].note


def test_relu_at_zero_is_marked_not_a_mismatch():
    with pytest.warns(KinkWarning):
        report = ag.gradcheck(lambda x: x.relu(), [0.0])
    row = report.rows[0]
    assert (row.analytic, row.numeric, row.verdict) == (0.0, 0.5, "on a kink")
    assert "1 on a kink not confirmed" in report.summary()


def test_no_warning_off_the_kink():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ag.gradcheck(lambda x: x.relu() + x.abs(), [0.25]).ok


# -- what the report looks like -------------------------------------------------------------

def test_report_text_is_an_aligned_table():
    text = str(ag.gradcheck(lambda w, x: (w * x).sigmoid(), [Value(0.5, label="w"), 2.0]))
    print(text)
    lines = text.splitlines()
    assert lines[0] == "gradcheck of <lambda>: ok (eps=1e-06, atol=1e-05, rtol=0.001)"
    assert lines[1].split() == ["input", "analytic", "numeric", "abs", "err", "rel", "err", "verdict"]
    assert lines[2].split()[0] == "w" and lines[3].split()[0] == "x"
    # numbers are right-aligned: every row's rel err ends where the header's does
    end = lines[1].index("rel err") + len("rel err")
    assert all(line[end - 1] != " " and line[end] == " " for line in lines[2:])


def test_report_shows_in_notebooks_and_as_data():
    report = ag.gradcheck(lambda x: x.exp(), [1.0], per_op=True)
    markdown, page = report._repr_markdown_(), report._repr_html_()
    assert "| input | analytic |" in markdown and "\n| x | 2.7182818 |" in markdown
    assert page.startswith("<div>") and "<table" in page and "x[0] = exp(" not in page
    data = report.to_dict()
    assert data["ok"] is True and data["rows"][0]["name"] == "x" and len(data["op_rows"]) == 1
    json.dumps(data)


def test_labels_never_break_the_markdown_of_a_report():
    x, w = Value(0.5, label="new\nline <b>`|`</b>"), Value(-2.0, label="w")
    markdown = ag.gradcheck(lambda a, b: (a * b).tanh(), [x, w], per_op=True)._repr_markdown_()
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 2 + 2 + 3                      # header, rule, 2 inputs; header, rule, 3 local rows
    assert all(line.endswith("|") for line in rows) and "<b>" not in markdown and "`" not in markdown
    assert "| new line &lt;b&gt;&#96;\\|&#96;&lt;/b&gt; | -0.83994868 |" in markdown


def test_html_escapes_labels():
    report = ag.gradcheck(lambda x: x * 2, [Value(1.0, label="<b>")])
    assert "&lt;b&gt;" in report._repr_html_() and "<b>" not in report._repr_html_()


def test_a_failing_report_without_raising():
    # x * x.data: the engine sees d/dx = x.data, the finite difference sees 2 x
    report = ag.gradcheck(lambda x: x * Value(x.data), [3.0], raise_on_failure=False)
    row = report.rows[0]
    assert not report.ok and (row.analytic, round(row.numeric, 4)) == (3.0, 6.0)
    assert isinstance(report, GradcheckReport)


@pytest.mark.parametrize("settings, message", [
    ({"eps": 0.0}, "eps must be a finite number > 0, got 0.0"),
    ({"atol": -1.0}, "atol must be a finite number >= 0"),
    ({"rtol": float("nan")}, "rtol must be a finite number >= 0"),
    ({"eps": "small"}, "eps must be a finite number > 0, got 'small'"),
])
def test_bad_settings_are_named(settings, message):
    with pytest.raises(OperandError, match=message):
        ag.gradcheck(lambda x: x * 2, [1.0], **settings)


def test_no_inputs_is_an_error():
    with pytest.raises(OperandError, match="inputs is empty"):
        ag.gradcheck(lambda: Value(1.0), [])


def test_f_must_return_a_value():
    with pytest.raises(OperandError, match="gradcheck: f must return a Value"):
        ag.gradcheck(lambda x: 3.0, [1.0])


def test_per_op_check_on_a_graph_a_hundred_thousand_deep():
    x = Value(0.5, label="x")
    y = x
    for i in range(100_000):
        y = y + 0.001 if i % 2 else y * 0.99999
    report = gradcheck_ops(y)
    assert report.ok and len(report.op_rows) == 100_000
    assert len(str(report).splitlines()) < 10   # a long table shows only the rows to look at


def test_a_long_per_op_table_shows_the_rows_that_disagree(wrong_sigmoid):
    x = Value(0.5, label="x")
    y = x
    for i in range(300):
        y = y.sigmoid() if i == 200 else y * 1.001
    report = gradcheck_ops(y, raise_on_failure=False)
    lines = str(report).splitlines()
    assert "the 1 that need a look; the other 299 agree" in lines[1]
    assert lines[3].startswith("#201 = sigmoid(#200)") and lines[3].endswith("MISMATCH")


# -- hand formulas ------------------------------------------------------------------------------

@pytest.fixture
def neuron_graph():
    """ŷ = σ(w h + b), L = BCE(ŷ, y), with every node labelled."""
    h, w, b, y = (Value(v, label=n) for v, n in [(0.6, "h"), (0.4, "w"), (-0.1, "b"), (1.0, "y")])
    z = w * h + b
    yhat = z.sigmoid()
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    z.label, yhat.label, L.label = "z", "yhat", "L"
    return {"h": h, "w": w, "b": b, "y": y, "z": z, "yhat": yhat, "L": L}


def test_check_formula_against_the_engine(neuron_graph):
    g = neuron_graph
    check = ag.check_formula(g["L"], g["w"], "h * (yhat - y)")
    assert check.ok and check.engine_value == ag.grad(g["L"], g["w"])
    assert check.values == {"h": 0.6, "yhat": g["yhat"].data, "y": 1.0}
    assert ag.check_formula(g["L"], "b", "yhat - y").ok
    assert ag.check_formula(g["L"], "z", "sigmoid(z) - y").ok


def test_check_formula_reads_well(neuron_graph):
    check = ag.check_formula(neuron_graph["L"], "w", "h*(yhat-y)")
    text = str(check)
    print(text)
    lines = text.splitlines()
    assert lines[0] == "check_formula: dL/dw ok"
    assert lines[1].split()[:6] == ["by", "hand", "h", "*", "(yhat", "-"]
    assert lines[2].split()[:2] == ["engine", "grad(L,"]
    assert lines[3].startswith("  where    h = 0.6, yhat = ")
    assert check._repr_markdown_().startswith("**dL/dw: ok**")


def test_a_wrong_formula_raises_or_reports(neuron_graph):
    g = neuron_graph
    with pytest.raises(ag.GradcheckError, match=r"dL/dw by the formula yhat - y") as info:
        ag.check_formula(g["L"], "w", "yhat - y")
    assert isinstance(info.value.report, ag.FormulaCheck)
    check = ag.check_formula(g["L"], "w", "yhat - y", raise_on_mismatch=False)
    assert not check.ok and check.abs_error == pytest.approx(abs((g["yhat"].data - 1) * 0.4))


def test_unknown_names_list_the_labels(neuron_graph):
    with pytest.raises(ag.ExpressionError) as info:
        ag.check_formula(neuron_graph["L"], "w", "h * (y_hat - y)")
    error = info.value
    assert (error.kind, error.position) == ("unknown name", 5)
    labels = str(error).split("the labels are: ")[1]
    assert sorted(labels.split(", ")) == sorted(["h", "w", "b", "z", "yhat", "y", "L"])
    with pytest.raises(ag.ExpressionError, match="no node in the graph is labelled 'v'"):
        ag.check_formula(neuron_graph["L"], "v", "h")


def test_ambiguous_labels_are_refused():
    a1, a2 = Value(1.0, label="a"), Value(2.0, label="a")
    with pytest.raises(ag.ExpressionError, match="2 nodes are labelled 'a'") as info:
        ag.check_formula(a1 * a2, a1, "a")
    assert info.value.kind == "ambiguous name"


def test_labels_with_spaces_in_the_index_are_found():
    w = Value(3.0, label="W[0, 1]")
    x = Value(2.0, label="x")
    assert ag.check_formula(w * x, "W[0,1]", "x").ok
    assert ag.check_formula(w * x, x, "W[0,1]").ok


def test_wrt_outside_the_graph_or_of_the_wrong_type():
    x = Value(2.0, label="x")
    with pytest.raises(ag.BackwardError, match="not part of the graph"):
        ag.check_formula(x * 3, Value(1.0), "3")
    with pytest.raises(OperandError, match="wrt must be a Value or a label"):
        ag.check_formula(x * 3, 1.0, "3")


@pytest.mark.parametrize("formula", ["__import__('os').system('x')", "h.__class__", "lambda: h"])
def test_formulas_never_run_code(neuron_graph, formula):
    with pytest.raises(ag.ExpressionError):
        ag.check_formula(neuron_graph["L"], "w", formula)


def test_a_math_error_in_the_formula_is_the_engines(neuron_graph):
    with pytest.raises(ag.OpError, match="log"):
        ag.check_formula(neuron_graph["L"], "w", "log(y - 1)")


def test_symbolic_comparison(neuron_graph):
    pytest.importorskip("sympy")
    check = ag.check_formula(neuron_graph["L"], "w", "h * (yhat - y)", symbolic=True)
    assert check.ok and check.symbolic_value == pytest.approx(check.engine_value, rel=1e-12)
    assert "sympy" in str(check) and "h" in check.symbolic_derivative


def test_symbolic_without_sympy_names_the_extra(neuron_graph, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(ImportError, match=r'pip install "glassgrad\[sympy\]"'):
        ag.check_formula(neuron_graph["L"], "w", "h * (yhat - y)", symbolic=True)


# -- the finite-difference step: scaled, shrunk near domain edges and kinks; rows named by f ----

def test_rows_are_named_by_the_parameters():
    report = ag.gradcheck(lambda w, x, b: (w * x + b).sigmoid(), [0.5, 2.0, -1.0])
    assert [r.name for r in report.rows] == ["w", "x", "b"]
    assert [r.name for r in ag.gradcheck(lambda *xs: xs[0] * xs[1], [1.0, 2.0]).rows] == ["x[0]", "x[1]"]


def test_step_scales_with_x():
    report = ag.gradcheck(lambda x: x ** 2, [1e9])
    assert report.ok and report.rows[0].rel_error < 1e-6


def test_step_shrinks_near_a_domain_edge():
    report = ag.gradcheck(lambda x: x.log(), [1e-7])
    assert report.ok and "domain edge" in report.rows[0].note
    assert abs(report.rows[0].numeric - 1e7) < 1e7 * 1e-5
    assert ag.gradcheck(lambda x: x ** 0.5, [1e-8]).ok


def test_near_a_kink_warns_and_uses_a_smaller_step():
    with pytest.warns(ag.KinkWarning, match="within the step of a kink"):
        report = ag.gradcheck(lambda x: x.relu(), [1e-7])
    assert report.ok and report.rows[0].numeric == pytest.approx(1.0)
    with pytest.warns(ag.KinkWarning, match="within the step of its kink"):
        ops_report = ag.gradcheck_ops((Value(1e-7) * 1.0).relu())
    assert ops_report.ok
