"""The notebooks' exercise checker: blanks, right/wrong with hints, solutions mode for CI."""

import pickle

import pytest

from autograd import Value
from autograd.tools import lab
from autograd.tools.lab import ___, Blank, BlankError, check_answer


@pytest.fixture
def no_solutions(monkeypatch):
    monkeypatch.delenv(lab.SOLUTIONS_ENV, raising=False)


@pytest.fixture
def with_solutions(monkeypatch):
    monkeypatch.setenv(lab.SOLUTIONS_ENV, "1")


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


def test_unfilled_blank_says_fill_in_and_never_uses_the_solution(no_solutions, capsys):
    lab.solutions({"t-unfilled": 4.0})
    check_answer("t-unfilled", ___, expected=4.0)
    out = capsys.readouterr().out
    assert "✎ t-unfilled: fill in the blank ___" in out and "✓" not in out


def test_solutions_mode_checks_the_registered_solution(with_solutions, capsys):
    calls = []
    lab.solutions({"t-lazy": lambda: calls.append(1) or 6.0})
    assert calls == []                                   # called only when a blank needs it
    check_answer("t-lazy", ___, expected=6.0)
    assert calls == [1]
    assert capsys.readouterr().out == "✓ t-lazy: 6 (expected 6)\n"


def test_solutions_mode_keeps_a_filled_answer(with_solutions, capsys):
    lab.solutions({"t-filled": 6.0})
    check_answer("t-filled", 5.0, expected=6.0, hint="twice x")
    assert capsys.readouterr().out == "✗ t-filled: 5, expected 6\n  hint: twice x\n"


def test_right_and_wrong_numbers_lists_values_and_strings(no_solutions, capsys):
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
    with pytest.raises(TypeError, match="exercise names must be non-empty strings"):
        lab.solutions({3: "x"})
    with pytest.raises(TypeError, match="want a dict"):
        lab.solutions(["a"])


def test_formula_checked_on_both_samples(no_solutions, capsys):
    roots = {"y = 0": course_sample(0.0), "y = 1": course_sample(1.0)}
    lab.check_formula("step 2", "h * (yhat - y)", roots, "w")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("✓ step 2 (y = ") for line in out)


def test_a_formula_right_for_one_label_only_is_caught(no_solutions, capsys):
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


def test_formula_over_indices(no_solutions, capsys):
    x = [Value(float(k + 1), label=f"x[{k}]") for k in range(3)]
    s = x[0] * x[0] + x[1] * x[1] + x[2] * x[2]; s.label = "s"
    lab.check_formula("ds/dx", "2 * x[{j}]", {"one": s}, "x[{j}]", over={"j": range(3)})
    out = capsys.readouterr().out.splitlines()
    assert out == [f"✓ ds/dx j={k} (one): 2 * x[{k}] = {2 * (k + 1)}, engine {2 * (k + 1)}" for k in range(3)]


def test_formula_that_does_not_parse_or_is_not_a_string(no_solutions, capsys):
    s = Value(2.0, label="a") * 3
    lab.check_formula("f", "a *", {"one": s}, "a")
    lab.check_formula("f", 6.0, {"one": s}, "a")
    out = capsys.readouterr().out
    assert "✗ f (one): cannot use the formula 'a *'" in out
    assert "the answer must be a formula in quotes" in out


def test_formula_blank_in_both_modes(monkeypatch, capsys):
    s = Value(2.0, label="a") * 3; s.label = "s"
    lab.solutions({"t-formula": "3"})
    monkeypatch.delenv(lab.SOLUTIONS_ENV, raising=False)
    lab.check_formula("t-formula", ___, {"one": s}, "a")
    monkeypatch.setenv(lab.SOLUTIONS_ENV, "1")
    lab.check_formula("t-formula", ___, {"one": s}, "a")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✎ t-formula: fill in the blank") and out[1].startswith("✓ t-formula (one)")
