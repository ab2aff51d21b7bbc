"""``glassgrad code``: the formula's forward and backward pass as straight-line Python, through a
real subprocess (helpers from test_cli)."""

import re

import autograd as ag
from nn.cli_formula import load_formula

from test_cli import AT, EXPR, fails, ok, run


def test_prints_the_generated_code_with_a_line_per_node_and_per_edge(tmp_path):
    out = ok(run("code", EXPR, "--at", AT, cwd=tmp_path))
    lines = out.splitlines()
    assert lines[0] == "def step(w, x, b):"
    for line in ("t2 = w * x", "t4 = t2 + b", "f = sigmoid(t4)",
                 "d_t4 = f * (1.0 - f) * d_f  # df/dt4 = f(1 - f)",
                 "d_x = w * d_t2  # dt2/dx = w", "d_w = x * d_t2  # dt2/dw = x",
                 "return f, grads, check"):
        assert "    " + line in lines, line
    # the same text autograd.compile writes for the same graph
    formula = load_formula(EXPR, [AT])
    assert out.rsplit("\n\n", 1)[0] + "\n" == ag.compile(formula.root, list(formula.leaves.values())).source


def test_the_last_line_gives_the_numbers_of_glassgrad_grad(tmp_path):
    last = ok(run("code", EXPR, "--at", AT, cwd=tmp_path)).splitlines()[-1]
    assert last == ("# at w = 0.5, x = 2.0, b = -1.0 it returns f = 0.5 and grads = [0.5, 0.125, 0.25] "
                    "(df/dw, df/dx, df/db)")
    grad = ok(run("grad", EXPR, "--at", AT, cwd=tmp_path)).splitlines()
    assert grad == ["value = 0.5", "d/dw = 0.5", "d/dx = 0.125", "d/db = 0.25"]


def test_wrt_makes_the_other_names_constants(tmp_path):
    out = ok(run("code", EXPR, "--at", AT, "--wrt", "b, w", cwd=tmp_path))
    lines = out.splitlines()
    assert lines[0] == "def step(w, b):"  # the formula's order, not the option's
    assert "    x = 2.0" in lines
    # a constant's gradient is computed and checked, as backward computes it, but not returned
    assert any(line.lstrip().startswith("d_x =") for line in lines)
    assert [line for line in lines if line.lstrip().startswith("grads = ")] == ["    grads = [d_w + 0.0, d_b + 0.0]"]
    assert lines[-1].endswith("grads = [0.5, 0.25] (df/dw, df/db)")


def test_forward_only_and_no_comments(tmp_path):
    forward = ok(run("code", EXPR, "--at", AT, "--forward", "--name", "sigmoid_unit", cwd=tmp_path))
    assert forward.splitlines()[0] == "def sigmoid_unit_forward(w, x, b):"
    assert " d_" not in forward and forward.splitlines()[-1] == "# at w = 0.5, x = 2.0, b = -1.0 it returns f = 0.5"
    plain = ok(run("code", EXPR, "--at", AT, "--no-comments", cwd=tmp_path))
    assert "    d_x = w * d_t2" in plain.splitlines()
    assert not re.search(r"d_\w+ = .*#", plain)  # no rule comments after the backward lines


def test_labels_in_course_notation_become_identifiers(tmp_path):
    out = ok(run("code", "tanh(W1[0,1]*x[1] + b1[0])", "--at", "W1[0,1]=0.5, x[1]=1, b1[0]=0", cwd=tmp_path))
    assert out.splitlines()[0] == "def step(W1_0_1, x_1, b1_0):"
    assert out.splitlines()[-1].endswith("(df/dW1[0,1], df/dx[1], df/db1[0])")


def test_a_long_formula_is_written_in_linear_time(tmp_path):
    expr = " + ".join(f"x*{k}" for k in range(1, 1001))
    out = ok(run("code", expr, "--at", "x=1", "--no-comments", cwd=tmp_path))
    assert out.splitlines()[-1] == "# at x = 1.0 it returns f = 500500.0 and grads = [500500.0] (df/dx)"


def test_errors_are_one_line_with_the_right_exit_code(tmp_path):
    fails(run("code", EXPR, "--at", AT, "--wrt", "q", cwd=tmp_path), 2, "--wrt", "'q'", "w, x, b")
    fails(run("code", EXPR, "--at", AT, "--wrt", "w,", cwd=tmp_path), 2, "--wrt", "empty")
    fails(run("code", EXPR, "--at", AT, "--name", "1x", cwd=tmp_path), 2, "--name", "'1x'")
    fails(run("code", EXPR, "--at", AT, "--name", "class", cwd=tmp_path), 2, "--name", "'class'")
    fails(run("code", EXPR, "--at", AT, "--name", "grads", cwd=tmp_path), 2, "--name", "'grads'", "pick another")
    fails(run("code", "log(x)", "--at", "x=0", cwd=tmp_path), 1, "log")
    fails(run("code", EXPR, "--at", "w=1", cwd=tmp_path), 2, "x", caret=True)
