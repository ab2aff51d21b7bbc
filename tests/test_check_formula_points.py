"""check_formula at several points: notebook 4's network, where one point (y = 1 or y = 0) hides
wrong formulas that drop a (1 - y) or y term; the labels are flipped and leaves perturbed."""

import math

import pytest

import autograd as ag
from autograd import Value
from test_course_network import course_network

Y1, Y0 = 1, 0  # course_network(1) has y = 1, course_network(0) has y = 0

RIGHT = [("yhat", "(yhat - y)/(yhat*(1 - yhat))"), ("zo", "yhat - y"), ("Wo[0]", "h[0]*(yhat - y)")]
WRONG_AT_Y1 = [("yhat", "-1/yhat"), ("yhat", "-y/yhat"), ("zo", "yhat - 1"), ("Wo[0]", "h[0]*(yhat - 1)")]


@pytest.mark.parametrize("seed", [Y1, Y0])
@pytest.mark.parametrize("wrt,formula", RIGHT)
def test_right_formulas_pass_at_every_point(seed, wrt, formula):
    check = ag.check_formula(course_network(seed)["L"], wrt, formula)
    assert check.ok and len([p for p in check.points if not p.skipped]) >= 6


@pytest.mark.parametrize("wrt,formula", WRONG_AT_Y1)
def test_formulas_right_only_at_y1_fail_and_name_y0(wrt, formula):
    net = course_network(Y1)
    assert net["y"].data == 1.0
    check = ag.check_formula(net["L"], wrt, formula, raise_on_mismatch=False)
    assert not check.ok
    assert check.points[0].ok  # right at the given point: one point alone would say ok
    assert check.first_mismatch.where() == "at y = 0 (was 1)"


def test_formula_right_only_at_y0_fails():
    net = course_network(Y0)
    check = ag.check_formula(net["L"], "Wo[0]", "h[0]*yhat", raise_on_mismatch=False)
    assert not check.ok and check.points[0].ok and check.first_mismatch.where() == "at y = 1 (was 0)"


def test_mismatch_error_names_the_point():
    with pytest.raises(ag.GradcheckError, match=r"at y = 0 \(was 1\), the engine gives"):
        ag.check_formula(course_network(Y1)["L"], "zo", "yhat - 1")


def test_pinned_label_is_not_flipped():
    net = course_network(Y1)
    check = ag.check_formula(net["L"], "zo", "yhat - 1", pin=["y"])
    assert check.ok and all("y" not in [c[0] for c in p.changes] for p in check.points)


def test_perturbed_points_catch_a_formula_right_at_one_weight():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    out = (w * x) ** 2
    out.label = "out"
    # d out/dw = 2 w x**2 = 36 here; "18*w" is 36 at w = 2 only
    check = ag.check_formula(out, w, "18*w", raise_on_mismatch=False)
    assert not check.ok and check.first_mismatch.name.startswith("perturbed")
    assert "x = " in check.first_mismatch.where() and ag.check_formula(out, w, "2*w*x**2").ok


def test_points_are_deterministic():
    net = course_network(2)
    a = ag.check_formula(net["L"], "zo", "yhat - y").points
    b = ag.check_formula(net["L"], "zo", "yhat - y").points
    assert a == b


def test_undefined_points_and_kinks_are_skipped():
    x = Value(0.05, label="x")
    out = (x.relu() + 1.0).log()
    out.label = "out"
    check = ag.check_formula(out, x, "1/(x + 1)")
    skipped = [p for p in check.points if p.skipped]
    assert check.ok and skipped and all("kink" in p.skipped for p in skipped)
    z = Value(0.5, label="z")
    out = (z - 0.45).log()
    out.label = "out"
    check = ag.check_formula(out, z, "1/(z - 0.45)")
    assert check.ok and any("not defined" in p.skipped for p in check.points)


# -- the notes' way of writing: σ, ln, where=, a folded label ------------------------------

def test_sigma_ln_and_where():
    net = course_network(Y1)
    check = ag.check_formula(net["L"], "Wi[0,1]", "x[0] * delta_h1",
                             where={"delta_h1": "h[1]*(1 - h[1])*Wo[1]*delta_o", "delta_o": "yhat - y"})
    assert check.ok and check.where == {"delta_o": "yhat - y", "delta_h1": "h[1] * (1 - h[1]) * Wo[1] * delta_o"}
    assert ag.check_formula(net["L"], "zh[0]", "σ(zh[0])*(1 - sigma(zh[0]))*Wo[0]*(yhat - y)").ok
    assert ag.check_formula(net["L"], "yhat", "-y/yhat + (1 - y)/(1 - yhat) + 0*ln(yhat)").ok


def test_where_errors():
    net = course_network(Y1)
    with pytest.raises(ag.OperandError, match="refer to each other"):
        ag.check_formula(net["L"], "zo", "a", where={"a": "b", "b": "a"})
    with pytest.raises(ag.OperandError, match="also a node label"):
        ag.check_formula(net["L"], "zo", "yhat - y", where={"yhat": "1"})


def test_folded_label_is_named_y_and_flipped():
    z = Value(0.3, label="z")
    L = ag.bce_with_logits(z, 1.0)
    L.label = "L"
    assert ag.check_formula(L, z, "sigmoid(z) - y").ok  # y: the label folded into bce_with_logits
    check = ag.check_formula(L, z, "sigmoid(z) - 1", raise_on_mismatch=False)
    assert not check.ok and check.first_mismatch.where() == "at the label in L = 0 (was 1)"
    check = ag.check_formula(L, z, "sigmoid(z) - y*0 - 1", raise_on_mismatch=False)
    assert not check.ok and check.first_mismatch.where() == "at y = 0 (was 1)"


def test_values_name_a_plain_number():
    yhat = Value(0.7, label="yhat")
    L = -(1.0 * yhat.log())  # y = 1 written as a plain float
    L.label = "L"
    assert ag.check_formula(L, yhat, "-y/yhat", values={"y": 1.0}).ok
    with pytest.raises(ag.OperandError, match="node label"):
        ag.check_formula(L, yhat, "-1/yhat", values={"yhat": 1.0})


# -- symbolic=True: the wrong formulas fail there too, within bounds --------------------------

@pytest.mark.parametrize("wrt,formula", [("zo", "yhat - 1"), ("Wo[0]", "h[0]*(yhat - 1)")])
def test_symbolic_wrong_formulas_fail(wrt, formula):
    check = ag.check_formula(course_network(Y1)["L"], wrt, formula, symbolic=True, raise_on_mismatch=False)
    assert not check.ok and check.symbolic_ok is False and check.symbolic_verdict.startswith("different")


@pytest.mark.parametrize("wrt,formula", RIGHT)
def test_symbolic_right_formulas_pass(wrt, formula):
    check = ag.check_formula(course_network(Y1)["L"], wrt, formula, symbolic=True)
    assert check.ok and check.symbolic_ok is True


def test_symbolic_is_bounded_on_a_tanh_mlp():
    import time

    import nn

    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    x = [Value(0.3, label="x[0]"), Value(-0.7, label="x[1]")]
    out = model(x)
    out = out[0] if isinstance(out, list) else out
    L = (out - 1.0) ** 2
    L.label = "L"
    w = next(n for n in ag.topological_order(L) if n.is_leaf and n.label and not n.label.startswith("x"))
    start = time.perf_counter()
    check = ag.check_formula(L, w, "0", symbolic=True, raise_on_mismatch=False)
    assert time.perf_counter() - start < 30
    assert check.symbolic_verdict is not None


def test_the_notes_yhat_symbol_names_the_node_labelled_yhat():
    net = course_network(Y1)
    assert ag.check_formula(net["L"], "ŷ", "(ŷ - y) / (ŷ * (1 - ŷ))").ok
    assert ag.check_formula(net["L"], "Wo[0]", "h[0] * (ŷ - y)").ok
    wrong = ag.check_formula(net["L"], "Wo[0]", "h[0] * (ŷ - 1)", raise_on_mismatch=False)
    assert not wrong.ok  # right at y = 1 only: the flipped label catches it, ŷ or not
