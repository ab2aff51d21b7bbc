"""The notebooks' exercise checker: blanks, right/wrong with hints, the notes' symbols."""

import pickle

import pytest

from autograd import Value
from autograd.tools import lab
from autograd.tools.lab import ___, Blank, BlankError, check_answer


def course_sample(y_label: float):
    """yhat = sigmoid(w h), L = BCE, labelled as the course does."""
    h, w, y = Value(0.6, label="h"), Value(0.4, label="w"), Value(y_label, label="y")
    yhat = (h * w).sigmoid(); yhat.label = "yhat"
    L = -(y * yhat.log() + (1 - y) * (1 - yhat).log()); L.label = "L"
    return L


def test_blank_is_one_falsy_sentinel_that_refuses_arithmetic():
    assert Blank() is ___ and repr(___) == "___" and not ___
    for use in (lambda: ___ + 1, lambda: 2 * ___, lambda: (1.0 - ___) / 3, lambda: float(___),
                lambda: -___, lambda: ___ < 1, lambda: ___[0]):
        with pytest.raises(BlankError, match="fill in the blank ___ first"):
            use()
    assert pickle.loads(pickle.dumps(___)) is ___


def test_unfilled_blank_says_fill_in_and_is_returned(capsys):
    assert check_answer("t-unfilled", ___, expected=4.0) is ___
    out = capsys.readouterr().out
    assert out == "✎ t-unfilled: fill in the blank ___ with your answer, then run the cell again\n"


def test_check_answer_returns_the_learners_value_right_or_wrong(capsys):
    du_dx = check_answer("du/dx", 2.0, expected=2.0)
    wrong = check_answer("dy/du", [5.0, 1], expected=[6.0, 1], hint="2u")
    v = Value(3.0)
    assert du_dx == 2.0 and wrong == [5.0, 1] and check_answer("v", v, expected=3.0) is v
    assert capsys.readouterr().out.splitlines() == [
        "✓ du/dx: 2 (expected 2)", "✗ dy/du: [5, 1], expected [6, 1]", "  hint: 2u", "✓ v: 3 (expected 3)"]


def test_lab_holds_no_solutions():
    assert not hasattr(lab, "solutions") and not any("SOLUTION" in name.upper() for name in vars(lab))


def test_right_and_wrong_numbers_lists_values_and_strings(capsys):
    check_answer("close", 1.0005, expected=1.0, tol=1e-3)
    check_answer("list", [1, 2.0000001], expected=[1.0, 2.0])
    check_answer("short list", [1.0], expected=[1.0, 2.0], hint="two numbers")
    check_answer("a Value", Value(3.0), expected=3.0)
    check_answer("a string is not a number", "3", expected=3.0)
    check_answer("text", "yes", expected="yes")
    out = capsys.readouterr().out.splitlines()
    assert [line[0] for line in out if not line.startswith("  ")] == ["✓", "✓", "✗", "✓", "✗", "✓"]
    assert "  hint: two numbers" in out


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "0.1", True])
def test_bad_tolerance_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match=r"check_answer: tol must be a number >= 0, got"):
        check_answer("x", 1.0, expected=1.0, tol=bad)


def test_bad_names_are_refused():
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        check_answer("", 1.0, expected=1.0)
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        lab.check_formula("", "x", {"one": Value(1.0, label="x")}, "x")
    with pytest.raises(TypeError, match=r"lab.check_formula: wrt must be the label of a node, as a string, got Value"):
        lab.check_formula("f", "1", {"one": Value(1.0, label="x")}, Value(1.0))
    with pytest.raises(TypeError, match=r"lab.check_formula: roots\['one'\] must be a Value, got float"):
        lab.check_formula("f", "1", {"one": 1.0}, "x")


def test_formula_checked_on_both_samples(capsys):
    roots = {"y = 0": course_sample(0.0), "y = 1": course_sample(1.0)}
    lab.check_formula("step 2", "h * (yhat - y)", roots, "w")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("✓ step 2 (y = ") for line in out)


def test_a_formula_right_for_one_label_only_is_caught(capsys):
    # h * yhat is the gradient only when y = 0: the y = 1 sample catches it (and check_formula,
    # which also tries each graph with its 0/1 label flipped, catches it on the y = 0 sample too)
    roots = {"y = 0": course_sample(0.0), "y = 1": course_sample(1.0)}
    lab.check_formula("step 2", "h * yhat", roots, "w", hint="where is y?")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ step 2 (y = 0)") or out[0].startswith("✗ step 2 (y = 0)")
    if out[0].startswith("✗"):                 # right at the sample's own point: say where it is wrong
        assert "; but at y = 1" in out[0] and out[0].endswith("engine -0.264172")
    assert out[1].startswith("✗ step 2 (y = 1): h * yhat = 0.335828, engine -0.264172")
    assert out[2] == "  hint: where is y?"


def test_formula_over_indices(capsys):
    x = [Value(float(k + 1), label=f"x[{k}]") for k in range(3)]
    s = x[0] * x[0] + x[1] * x[1] + x[2] * x[2]; s.label = "s"
    lab.check_formula("ds/dx", "2 * x[{j}]", {"one": s}, "x[{j}]", over={"j": range(3)})
    out = capsys.readouterr().out.splitlines()
    assert out == [f"✓ ds/dx j={k} (one): 2 * x[{k}] = {2 * (k + 1)}, engine {2 * (k + 1)}" for k in range(3)]


def test_formula_that_does_not_parse_or_is_not_a_string(capsys):
    s = Value(2.0, label="a") * 3
    lab.check_formula("f", "a *", {"one": s}, "a")
    lab.check_formula("f", 6.0, {"one": s}, "a")
    out = capsys.readouterr().out
    assert "✗ f (one): cannot use the formula 'a *'" in out
    assert "the answer must be a formula in quotes" in out


def test_formula_blank_says_fill_in(capsys):
    s = Value(2.0, label="a") * 3; s.label = "s"
    assert lab.check_formula("t-formula", ___, {"one": s}, "a") is None
    assert capsys.readouterr().out.startswith("✎ t-formula: fill in the blank")


def test_formula_in_the_notes_symbols(capsys):
    roots = {"y = 0": course_sample(0.0), "y = 1": course_sample(1.0)}
    lab.check_formula("step 1", "(ŷ - y) / (ŷ * (1 - ŷ))", roots, "ŷ")    # ŷ: the node labelled yhat
    lab.check_formula("step 2", "h * (σ(h * w) - y)", roots, "w")
    lab.check_formula("wrong", "ŷ", roots, "yhat")
    out = capsys.readouterr().out.splitlines()
    assert [line[:13] for line in out[:4]] == ["✓ step 1 (y ="] * 2 + ["✓ step 2 (y ="] * 2
    assert out[4].startswith("✗ wrong (y = 0): ŷ = 0.559714, engine 2.27")


def test_formula_with_yhat_on_a_graph_labelled_in_the_notes_symbol(capsys):
    x = Value(0.5, label="x")
    s = x.sigmoid(); s.label = "ŷ"
    loss = s * s; loss.label = "L"
    lab.check_formula("d", "2 * yhat", {"one": loss}, "yhat")
    lab.check_formula("d", "2 * ŷ", {"one": loss}, "ŷ")
    assert [line[0] for line in capsys.readouterr().out.splitlines()] == ["✓", "✓"]
