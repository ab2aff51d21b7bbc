"""The command line in-process: ``main(argv)`` returns the exit code, output is captured.

A hypothesis fuzz feeds random text to the parser through the CLI's own entry function:
every input ends in a result (exit 0), a math error (1) or a usage error (2), with a
clear message and never a traceback or any other exception.
"""

import io
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.cli import main, parse_at, UsageError


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code:
        lines = err.splitlines()
        assert lines and lines[0].startswith("glassgrad"), err
        assert len(lines) in (1, 3), lines
        if len(lines) == 3:
            assert lines[2].strip() == "^"


# Random text, and text built from the language's own pieces (so that much of it parses).
PIECES = ["x", "y", "w", "b", "z", "2", "0", "0.5", "1e3", "1e-9", "1e308", "+", "-", "*", "/", "**", "(",
          ")", "(", ")", " ", "exp(", "log(", "sigmoid(", "relu(", "tanh(", "abs(", "step(", ",", "W1[0,1]",
          "[", "]", "=", "'", ".", "^", "__import__", "lambda", "sin(", "10**10**10", "ŷ", "δ_h", "\t", "\n"]
FUNCTIONS = ["exp", "log", "sigmoid", "relu", "tanh", "abs", "step"]
well_formed = st.recursive(
    st.sampled_from(["x", "y", "w", "b", "W1[0,1]", "2", "0.5", "0", "1e-9", "700", "z"]),  # z has no value
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda t: f"-{t}")),
    max_leaves=12)
formulas = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    well_formed,
)


COMMANDS = [["grad"], ["grad", "--json"], ["explain"], ["explain", "--all"], ["check"], ["draw", "-o", "-"]]


@pytest.mark.timeout(120)
@settings(max_examples=200)
@given(text=formulas, command=st.sampled_from(COMMANDS))
def test_random_formulas_give_a_result_or_a_clear_error(text, command):
    code, out, err = call(*command, "--at", "x=0.5,y=-2,w=3,b=1e-3,W1[0,1]=2", text)
    assert_clean(code, out, err)
    if code == 0 and not text.startswith("-h"):
        assert out.startswith({"grad": "value = ", "explain": "", "check": "gradcheck of ",
                               "draw": "digraph"}[command[0]] if "--json" not in command else "{")


@pytest.mark.timeout(120)
@settings(max_examples=100)
@given(at=st.one_of(st.text(max_size=40),
                    st.lists(st.sampled_from(["x", "y", "=", ",", "-", "1", "0.5", "e", "[0,1]", " ", "W1",
                                              "nan", "inf", "1e999"]), max_size=12).map("".join)))
def test_random_at_values_give_a_result_or_a_usage_error(at):
    code, out, err = call("grad", "x*y", "--at", at)
    assert_clean(code, out, err)
    assert code in (0, 2)
    if code == 0:
        assert out.startswith("value = ")


def test_a_formula_that_is_one_name_or_a_constant():
    assert call("explain", "w", "--at", "w=3") == (0, "w = 3 at w = 3\n\n∂w/∂w = 1: the formula is the name w "
                                                    "itself\n", "")
    assert call("grad", "w", "--at", "w=3", "--json")[1].count('"w": 1.0') == 1
    assert call("grad", "exp(0)")[1] == "value = 1.0\n"
    code, out, _ = call("draw", "2", "-o", "-")
    assert code == 0 and "data 2" in out


def test_main_returns_the_exit_code_and_prints_help():
    code, out, err = call("grad", "x**2", "--at", "x=3")
    assert (code, out, err) == (0, "value = 9.0\nd/dx = 6.0\n", "")
    code, out, _ = call("--help")
    assert code == 0 and "usage: glassgrad" in out
    code, out, _ = call("grad", "--help")
    assert code == 0 and "--json" in out
    code, out, _ = call("--version")
    assert code == 0 and out.startswith("glassgrad ")


def test_a_formula_that_starts_with_a_minus_is_not_an_option():
    assert call("grad", "-x*y", "--at", "x=2,y=3")[1] == "value = -6.0\nd/dx = -3.0\nd/dy = -2.0\n"
    assert call("grad", "--at", "x=2", "-.5*x")[1] == "value = -1.0\nd/dx = -0.5\n"
    code, _, err = call("grad", "x", "-q")
    assert code == 2 and "unrecognized arguments: -q" in err  # the typed text, not a placeholder


def test_parse_at():
    assert parse_at(["a=1,b=+2.5e1", " W1[0, 1] = -0 ", "c=.5,"]) == {"a": 1.0, "b": 25.0, "W1[0,1]": -0.0,
                                                                     "c": 0.5}
    assert parse_at(None) == {}
    with pytest.raises(UsageError, match="longer than"):
        parse_at(["x=1," * 6000])


def test_demo_without_matplotlib_skips_the_plots_and_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    code, out, err = call("demo", "--epochs", "2", "--samples", "10", "--no-progress",
                          "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert err.splitlines() == ['glassgrad: skipped decision-boundary.png and loss-curve.png: they need '
                                'matplotlib, an optional extra; get it with: pip install "glassgrad[plot]"']
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "backprop-stepper.html", "loss-graph-full.svg", "loss-graph.png", "loss-graph.svg"]
    assert "decision-boundary.png" not in out


def test_demo_refuses_a_file_as_its_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    code, _, err = call("demo", "--out", str(tmp_path / "file"))
    assert code == 2 and "is a file, not a folder" in err
