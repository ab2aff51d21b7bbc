"""The ``glassgrad`` command line: every subcommand and every error, through a real subprocess.

Each run is ``python -m nn ...`` with this interpreter (so the venv's packages), in a
temporary folder. An error must exit 1 (math, failed check) or 2 (usage) with one line on
stderr (three with the caret display) and never a traceback.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nn.cli import MAX_DRAW_VALUES, MAX_STEP_EDGES

EXPR = "sigmoid(w*x + b)"
AT = "w=0.5,x=2,b=-1"


def run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="default", COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "nn", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, env=env)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def fails(result: subprocess.CompletedProcess, code: int, *words: str, caret: bool = False) -> list[str]:
    """The run exited with ``code``, no traceback, one line on stderr (3 with a caret) naming ``words``."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == (3 if caret else 1), lines
    assert lines[0].startswith("glassgrad")
    for word in words:
        assert word in lines[0], (word, lines[0])
    if caret:
        assert lines[2].strip() == "^"
    return lines


# -- the command itself -------------------------------------------------------------------

def test_python_dash_m_and_the_console_script_are_the_same_command(tmp_path):
    text = ok(run("--help", cwd=tmp_path))
    for command in ("demo", "draw", "explain", "step", "check", "grad", "code"):
        assert command in text
    script = Path(sys.executable).parent / "glassgrad"
    if not script.exists():
        pytest.skip("the glassgrad console script is not installed next to this interpreter")
    direct = subprocess.run([str(script), "grad", EXPR, "--at", AT], cwd=tmp_path, capture_output=True,
                            text=True, encoding="utf-8", timeout=60)
    assert direct.returncode == 0 and direct.stdout == ok(run("grad", EXPR, "--at", AT, cwd=tmp_path))


def test_every_subcommand_has_help_with_an_example(tmp_path):
    for command in ("demo", "draw", "explain", "step", "check", "grad", "code"):
        text = ok(run(command, "--help", cwd=tmp_path))
        assert "example" in text and f"glassgrad {command}" in text, command


# -- grad ----------------------------------------------------------------------------------

def test_grad_writes_the_value_then_one_gradient_per_line(tmp_path):
    out = ok(run("grad", EXPR, "--at", AT, cwd=tmp_path))
    assert out.splitlines() == ["value = 0.5", "d/dw = 0.5", "d/dx = 0.125", "d/db = 0.25"]


def test_grad_json_lists_gradients_in_order_of_first_appearance(tmp_path):
    out = ok(run("grad", "b + x*w + w", "--at", "w=3", "--at", "x=-2e0, b=1", "--json", cwd=tmp_path))
    data = json.loads(out)
    assert data == {"expression": "b + x * w + w", "at": {"w": 3.0, "x": -2.0, "b": 1.0},
                    "value": -2.0, "gradients": {"b": 1.0, "x": 3.0, "w": -1.0}}
    assert list(data["gradients"]) == ["b", "x", "w"]


def test_grad_reads_indexed_names_and_formulas_that_start_with_a_minus(tmp_path):
    out = ok(run("grad", "-W1[0,1]**2 - 1", "--at", "W1[0, 1]=3", cwd=tmp_path))
    assert out.splitlines() == ["value = -10.0", "d/dW1[0,1] = -6.0"]
    assert ok(run("grad", "-1 + x", "--at", "x=2", cwd=tmp_path)).splitlines() == ["value = 1.0", "d/dx = 1.0"]


def test_a_value_for_a_name_the_formula_does_not_use_is_a_warning(tmp_path):
    result = run("grad", "x**2", "--at", "x=3,c=1", cwd=tmp_path)
    assert ok(result).splitlines() == ["value = 9.0", "d/dx = 6.0"]
    assert result.stderr.splitlines() == [
        "glassgrad: warning: --at gives 'c', which the formula does not use; its names are: x"]


# -- explain ---------------------------------------------------------------------------------

def test_explain_writes_the_chain_rule_at_every_name(tmp_path):
    out = ok(run("explain", EXPR, "--at", AT, cwd=tmp_path))
    assert out.splitlines()[0] == "f = sigmoid(w * x + b) = 0.5 at w = 0.5, x = 2, b = -1"
    for name in ("w", "x", "b"):
        assert f"Chain rule at {name} ({name} = " in out
    assert "f ← (w * x + b) ← (w * x) ← w: 0.25 · 1 · 2 = 0.5" in out
    assert "= 0.25 · 0.5\n" in out  # d f / d x = d f / d(w x) · w


def test_explain_wrt_one_name_and_all_nodes(tmp_path):
    out = ok(run("explain", EXPR, "--at", AT, "--wrt", "b", cwd=tmp_path))
    assert "Chain rule at b" in out and "Chain rule at w" not in out
    every = ok(run("explain", EXPR, "--at", AT, "--all", cwd=tmp_path))
    assert "Chain rule at w * x + b (w * x + b = 0)" in every and "Chain rule at w * x (" in every
    fails(run("explain", EXPR, "--at", AT, "--wrt", "y", cwd=tmp_path), 2, "--wrt", "'y'", "w, x, b")


# -- draw --------------------------------------------------------------------------------------

def test_draw_writes_dot_svg_and_png(tmp_path):
    out = ok(run("draw", EXPR, "--at", AT, "-o", "g.dot", cwd=tmp_path))
    assert out.startswith("wrote g.dot")
    dot = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert dot.startswith("digraph")
    for text in ("<B>w</B>", "<B>x</B>", "<B>b</B>", "<B>f</B>", "grad 0.125", "label=<0.25>", "σ"):
        assert text in dot, text
    ok(run("draw", EXPR, "--at", AT, "-o", "g.svg", "--rankdir", "TB", cwd=tmp_path))
    svg = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "grad 0.125" in svg
    ok(run("draw", EXPR, "--at", AT, "-o", "g.png", cwd=tmp_path))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_defaults_to_graph_svg_and_no_backward_hides_the_grads(tmp_path):
    ok(run("draw", EXPR, "--at", AT, cwd=tmp_path))
    assert "<svg" in (tmp_path / "graph.svg").read_text(encoding="utf-8")
    forward = ok(run("draw", EXPR, "--at", AT, "--no-backward", "-o", "-", cwd=tmp_path))
    assert forward.startswith("digraph") and "data 0.5" in forward and "label=<0.25>" in forward
    assert ">grad " not in forward  # a node shows "grad 0.125" only after backward
    assert ">grad 0.125<" in (tmp_path / "graph.svg").read_text(encoding="utf-8")


# -- step --------------------------------------------------------------------------------------

def test_step_writes_a_self_contained_html_stepper(tmp_path):
    out = ok(run("step", EXPR, "--at", AT, "-o", "steps.html", cwd=tmp_path))
    assert "9 steps (3 forward, the seed, 5 backward)" in out
    page = (tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<figure class="frame"') == 9
    assert "∂f/∂w" in page and "0.25 · 2 = 0.5" in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # loads nothing



def test_step_quiz_asks_each_gradient_once_and_params_skip_the_other_names(tmp_path):
    out = ok(run("step", EXPR, "--at", AT, "--quiz", "-o", "quiz.html", cwd=tmp_path))
    assert "it asks 5 questions" in out                      # z, w*x (as the trace names it), w, x, b
    page = (tmp_path / "quiz.html").read_text(encoding="utf-8")
    assert page.count('<form class="quiz"') == 5 and "Score 0 / 0" in page
    assert "What is ∂f/∂w?" in page and "What is ∂f/∂x?" in page
    out = ok(run("step", EXPR, "--at", AT, "--quiz", "--params", "w, b", "-o", "quiz.html", cwd=tmp_path))
    assert "it asks 4 questions" in out                      # not x: the input
    page = (tmp_path / "quiz.html").read_text(encoding="utf-8")
    assert "What is ∂f/∂w?" in page and "What is ∂f/∂x?" not in page


def test_step_quiz_on_a_name_used_twice_asks_the_sum_or_each_contribution(tmp_path):
    out = ok(run("step", "x*y + x", "--at", "x=3,y=2", "--quiz", "-o", "quiz.html", cwd=tmp_path))
    page = (tmp_path / "quiz.html").read_text(encoding="utf-8")
    assert "it asks 3 questions" in out and "x has 2 uses" in page and 'data-answer="3.0"' in page
    out = ok(run("step", "x*y + x", "--at", "x=3,y=2", "--quiz", "--contributions", "--params", "x",
                 "-o", "quiz.html", cwd=tmp_path))
    page = (tmp_path / "quiz.html").read_text(encoding="utf-8")
    assert "it asks 3 questions" in out and "use 2 of the 2 uses of x" in page
    assert [float(a) for a in re.findall(r'data-answer="([^"]+)"', page)] == [1.0, 1.0, 2.0]


def test_step_quiz_options_are_checked(tmp_path):
    fails(run("step", EXPR, "--at", AT, "--params", "w", cwd=tmp_path), 2, "--params goes with --quiz")
    fails(run("step", EXPR, "--at", AT, "--contributions", cwd=tmp_path), 2, "--contributions goes with --quiz")
    fails(run("step", EXPR, "--at", AT, "--quiz", "--params", "w,q", cwd=tmp_path), 2,
          "--params: 'q' is not a name in the formula; its names are: w, x, b")
    fails(run("step", EXPR, "--at", AT, "--quiz", "--params", "w+1", cwd=tmp_path), 2, "--params", "not a name")
    assert not (tmp_path / "steps.html").exists()


# -- check --------------------------------------------------------------------------------------

def test_check_prints_the_gradcheck_table(tmp_path):
    out = ok(run("check", EXPR, "--at", AT, cwd=tmp_path))
    lines = out.splitlines()
    assert lines[0].startswith("gradcheck of sigmoid(w * x + b): ok")
    assert lines[1].split() == ["input", "analytic", "numeric", "abs", "err", "rel", "err", "verdict"]
    assert [line.split()[0] for line in lines[2:5]] == ["w", "x", "b"]
    assert all(line.endswith("ok") for line in lines[2:5])
    per_op = ok(run("check", EXPR, "--at", AT, "--per-op", cwd=tmp_path))
    assert "local derivatives, in topological order:" in per_op


def test_check_near_a_kink_shrinks_its_step_and_passes(tmp_path):
    # relu at 1e-7: a fixed step would straddle the kink and average the slopes 0 and 1
    result = run("check", "relu(x)", "--at", "x=1e-7", cwd=tmp_path)
    assert result.returncode == 0 and "within the step of a kink" in result.stdout


def test_check_on_a_kink_passes_with_a_note(tmp_path):
    result = run("check", "relu(x)", "--at", "x=0", cwd=tmp_path)
    assert "on a kink" in ok(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassgrad: note:") and "kink" in lines[0]


# -- errors ---------------------------------------------------------------------------------------

def test_a_syntax_error_points_at_the_column(tmp_path):
    lines = fails(run("grad", "2 * (x + 1", "--at", "x=1", cwd=tmp_path), 2, "syntax error at column 5",
                  caret=True)
    assert lines[1:] == ["2 * (x + 1", "    ^"]
    lines = fails(run("draw", "w*x +* b", cwd=tmp_path), 2, "column 6", caret=True)
    assert lines[2].index("^") == 5


def test_an_unknown_function_is_named(tmp_path):
    lines = fails(run("explain", "softplus(x)", "--at", "x=1", cwd=tmp_path), 2, "unknown function",
                  "'softplus'", caret=True)
    assert "exp, log" in lines[0]


def test_a_name_without_a_value_is_named_with_a_caret(tmp_path):
    lines = fails(run("grad", "x*y + z", "--at", "x=1", cwd=tmp_path), 2, "'y', 'z' have no value", "--at",
                  caret=True)
    assert lines[2].index("^") == 2
    fails(run("check", "x*y", cwd=tmp_path), 2, "no value", caret=True)  # no --at at all


def test_a_math_error_exits_1(tmp_path):
    fails(run("grad", "log(x)", "--at", "x=0", cwd=tmp_path), 1, "math error", "log", "x=0.0")
    fails(run("step", "x / (y - 1)", "--at", "x=1,y=1", cwd=tmp_path), 1, "math error", "divisor")
    fails(run("draw", "exp(x)", "--at", "x=1000", cwd=tmp_path), 1, "math error", "too large")


@pytest.mark.parametrize("at, words", [
    ("x", ["'x' is not NAME=VALUE"]),
    ("x=", ["'x' has no value"]),
    ("=1", ["name is missing"]),
    ("x=abc", ["'abc'", "not a number"]),
    ("x=nan", ["not a number"]),
    ("x=1e999", ["too large"]),
    ("x=1e-999", ["too small"]),
    ("x+1=2", ["'x+1' is not a name"]),
    ("exp=2", ["'exp' is not a name", "function"]),
    ("x=1,x=2", ["'x' is given twice"]),
])
def test_bad_at_values(tmp_path, at, words):
    fails(run("grad", "x", "--at", at, cwd=tmp_path), 2, "--at", *words)


def test_bad_output_paths(tmp_path):
    fails(run("draw", "x", "--at", "x=1", "-o", "graph.jpg", cwd=tmp_path), 2, "'.jpg'", ".svg, .png, .dot")
    fails(run("step", "x", "--at", "x=1", "-o", "steps.svg", cwd=tmp_path), 2, "'.svg'", ".html")
    fails(run("draw", "x", "--at", "x=1", "-o", "no/such/dir/g.svg", cwd=tmp_path), 2, "does not exist")
    (tmp_path / "taken.svg").mkdir()
    fails(run("draw", "x", "--at", "x=1", "-o", "taken.svg", cwd=tmp_path), 2, "is a folder")
    assert not (tmp_path / "graph.jpg").exists() and not (tmp_path / "steps.svg").exists()


def test_usage_errors_are_one_line(tmp_path):
    fails(run(cwd=tmp_path), 2, "COMMAND")
    fails(run("derive", "x", cwd=tmp_path), 2, "invalid choice", "'derive'")
    fails(run("grad", cwd=tmp_path), 2, "glassgrad grad", "EXPR")
    fails(run("grad", "x", "--at", "x=1", "--jsn", cwd=tmp_path), 2, "unrecognized", "--jsn")
    fails(run("explain", "x", "--at", "x=1", "--wrt", "x", "--all", cwd=tmp_path), 2, "not allowed")
    fails(run("demo", "--epochs", "0", cwd=tmp_path), 2, "--epochs", "between 1")
    fails(run("grad", "", cwd=tmp_path), 2, "empty")


def test_nothing_to_differentiate(tmp_path):
    assert ok(run("grad", "2*3 - 1", cwd=tmp_path)).splitlines() == ["value = 5.0"]
    fails(run("explain", "2*3", cwd=tmp_path), 2, "no names")
    fails(run("check", "2*3", cwd=tmp_path), 2, "no names")


@pytest.mark.parametrize("expr, code, words", [
    ("x" * 20_000, 2, ["too long", "10,000 characters"]),
    ("(" * 200 + "x" + ")" * 200, 2, ["too deep"]),
    ("-" * 300 + "x", 2, ["too deep"]),
    ("10**10**10", 1, ["math error", "too large"]),
    ("__import__('os')", 2, ["unknown function", "'__import__'"]),
    ("os.system('ls')", 2, ["attributes are not part"]),
    ("lambda: 1", 2, ["keyword"]),
    ("1e400 * x", 2, ["number out of range"]),
    ("x ^ 2", 2, ["write powers as x**2"]),
])
def test_hostile_or_huge_input_gets_a_clean_error(tmp_path, expr, code, words):
    fails(run("grad", expr, "--at", "x=1", cwd=tmp_path, timeout=60), code, *words, caret=code == 2)


def test_graphs_too_large_for_the_picture_tools_are_refused(tmp_path):
    n = MAX_DRAW_VALUES // 2 + 1
    expr = " + ".join(f"a{i}" for i in range(n))
    at = ",".join(f"a{i}=1" for i in range(n))
    fails(run("draw", expr, "--at", at, "-o", "big.svg", cwd=tmp_path), 2, "max_nodes")
    assert not (tmp_path / "big.svg").exists()
    expr = " + ".join(["x"] * (MAX_STEP_EDGES // 2 + 2))  # one more addition: two more edges
    fails(run("step", expr, "--at", "x=1", cwd=tmp_path), 2, "edges", f"up to {MAX_STEP_EDGES}")


def test_random_text_through_a_subprocess_never_shows_a_traceback(tmp_path):
    import random

    rng = random.Random(7)
    alphabet = "xyw0123456789.+-*/() eE,[]_=!'\"\\σ∂\t" + "".join(chr(c) for c in range(0x20, 0x7f, 7))
    for _ in range(6):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        result = run("grad", text, "--at", "x=0.5,y=2,w=-1", cwd=tmp_path)
        assert result.returncode in (0, 1, 2), (text, result.stderr)
        assert "Traceback" not in result.stderr, text


# -- demo -------------------------------------------------------------------------------------------

def test_demo_trains_and_writes_every_file(tmp_path):
    result = run("demo", "--epochs", "5", "--samples", "40", "--out", "out", cwd=tmp_path)
    out = ok(result)
    assert "final loss" in out and "accuracy" in out
    folder = tmp_path / "out"
    names = {p.name for p in folder.iterdir()}
    assert names == {"decision-boundary.png", "loss-curve.png", "loss-graph.svg", "loss-graph.png",
                     "loss-graph-full.svg", "backprop-stepper.html"}
    for name in names:
        assert name in out  # every file written is listed
    for png in ("decision-boundary.png", "loss-curve.png", "loss-graph.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    part = (folder / "loss-graph.svg").read_text(encoding="utf-8")
    assert "<svg" in part and "every path from W1[" in part and "BCE" in part
    whole = (folder / "loss-graph-full.svg").read_text(encoding="utf-8")
    for label in ("x[0]", "W1[0,0]", "W2[15,15]", "W3[0,15]", "z3[0]", "layer 2, neuron 15"):
        assert label in whole, label
    page = (folder / "backprop-stepper.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('<figure class="frame"') == 29
    assert "∂L/∂W1[0,0]" in page
    assert "fit:" in result.stderr  # the progress bar


def test_a_long_but_valid_number_is_a_number(tmp_path):
    tiny = "0." + "0" * 70 + "1"                      # 73 characters: 1e-71
    result = run("grad", "x*2", "--at", f"x={tiny}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    huge = "1" * 500
    result = run("grad", "x*2", "--at", f"x={huge}", cwd=tmp_path)
    assert result.returncode == 2 and "500 characters, more than 400" in result.stderr
