"""Fuzzing the expression language: random formulas checked against an evaluator written here,
mutated formulas, odd values for the names, and inputs far beyond the limits.

Every input gives a result or an ``ExpressionError`` / ``OpError`` / ``OperandError`` with one
line of message; never another exception, never a hang (pytest-timeout guards every test;
hypothesis inputs are small by construction, the long and deep ones are explicit tests).

The reference evaluator walks a tree the test generated itself (not the parser's), with the
hand-written value and derivative rules of ``test_reliability_state_machine``; derivatives in
forward mode. So a formula's text, parse, build, evaluate and grad are all checked against
numbers computed without the parser and without the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Value
from autograd.tools.expression import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, MAX_TOKENS, evaluate
from test_reliability_state_machine import Overflow, Undefined, reference_op

STATS = {"formulas": 0, "mutants": 0}
CLEAN = (ag.ExpressionError, ag.OpError, ag.OperandError)
NAMES = ["x", "y", "w1", "ŷ", "δ_h", "W1[0,1]", "b[2]"]

# -- random formulas as trees of our own -------------------------------------------------------------

numbers = st.one_of(st.floats(0.0, 4.0, allow_subnormal=False), st.integers(0, 5).map(float),
                    st.sampled_from([0.5, 1e-3, 2.5e2, 1e10]))
leaves = st.one_of(st.sampled_from(NAMES).map(lambda n: ("name", n)), numbers.map(lambda v: ("num", v)))


def _extend(kids):
    return st.one_of(
        st.tuples(st.just("neg"), kids), st.tuples(st.just("pos"), kids),
        st.tuples(st.just("call"), st.sampled_from(FUNCTIONS), kids),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/", "**"]), kids, kids))


trees = st.recursive(leaves, _extend, max_leaves=10)


def to_text(tree, space):
    """The formula written out, every compound operand in parentheses, with some spacing."""
    kind = tree[0]
    if kind == "name":
        return tree[1]
    if kind == "num":
        return repr(tree[1])
    if kind in ("neg", "pos"):
        return ("-" if kind == "neg" else "+") + space + wrap(tree[1], space)
    if kind == "call":
        return f"{tree[1]}({space}{to_text(tree[2], space)}{space})"
    return f"{wrap(tree[2], space)}{space}{tree[1]}{space}{wrap(tree[3], space)}"


def wrap(tree, space):
    text = to_text(tree, space)
    return text if tree[0] in ("name", "num") else f"({text})"


def has_names(tree):
    if tree[0] == "name":
        return True
    return any(has_names(t) for t in tree[1:] if isinstance(t, tuple))


FOLD_RIGHT = {"+": "add_c", "-": "sub_c", "*": "mul_c", "/": "div_c", "**": "pow_c"}   # Value op number
FOLD_LEFT = {"+": "add_c", "-": "rsub_c", "*": "mul_c", "/": "rdiv_c", "**": "rpow_c"}  # number op Value
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


def reference(tree, env, derivative):
    """(value, {name: d value / d name}, {name: bound on |terms|}) in plain floats; raises
    Undefined (the engine must refuse) or Overflow (it may refuse)."""
    kind = tree[0]
    if kind == "num":
        return tree[1], {}, {}
    if kind == "name":
        return env[tree[1]], {tree[1]: 1.0}, {tree[1]: 1.0}
    if not has_names(tree):       # computed at once as plain numbers, no derivative needed
        derivative = False
    if kind in ("neg", "pos", "call"):
        v, g, m = reference(tree[-1], env, derivative)
        if kind == "pos":
            return v, g, m
        name = "neg" if kind == "neg" else tree[1]
        value, first, _ = reference_op(name, [v], None, derivative)
        if not g:
            return value, {}, {}
        return value, {k: first[0] * d for k, d in g.items()}, {k: abs(first[0]) * b for k, b in m.items()}
    op, left, right = tree[1], tree[2], tree[3]
    a, ga, ma = reference(left, env, derivative)
    b, gb, mb = reference(right, env, derivative)
    if has_names(left) and has_names(right):
        value, first, _ = reference_op(BINARY[op], [a, b], None, derivative)
        fa, fb = first if derivative else (0.0, 0.0)
    elif has_names(left):
        value, first, _ = reference_op(FOLD_RIGHT[op], [a], b, derivative)
        fa, fb = (first[0] if derivative else 0.0), 0.0
    elif has_names(right):
        value, first, _ = reference_op(FOLD_LEFT[op], [b], a, derivative)
        fa, fb = 0.0, (first[0] if derivative else 0.0)
    else:
        value, _, _ = reference_op(FOLD_RIGHT[op], [a], b, False)
        return value, {}, {}
    grads, bounds = {}, {}
    for k in set(ga) | set(gb):
        grads[k] = fa * ga.get(k, 0.0) + fb * gb.get(k, 0.0)
        bounds[k] = abs(fa) * ma.get(k, 0.0) + abs(fb) * mb.get(k, 0.0)
    return value, grads, bounds


def expected(tree, env, derivative):
    try:
        return reference(tree, env, derivative)
    except Undefined:
        return Undefined
    except Overflow:
        return Overflow


@settings(max_examples=3 * settings.default.max_examples)
@given(tree=trees, space=st.sampled_from(["", " ", "  ", "\t"]),
       point=st.lists(st.floats(-3.0, 3.0, allow_subnormal=False), min_size=len(NAMES), max_size=len(NAMES)))
def test_random_formulas_parse_evaluate_build_and_differentiate_correctly(tree, space, point):
    STATS["formulas"] += 1
    text = to_text(tree, space)
    env = dict(zip(NAMES, point))
    expr = ag.parse(text)
    assert ag.parse(str(expr)) == expr                       # its canonical text reads back the same
    assert set(expr.names) <= set(NAMES)

    want = expected(tree, env, derivative=False)
    try:
        got = evaluate(expr, {n: env[n] for n in expr.names})
    except ag.OpError:
        assert want in (Undefined, Overflow), (text, env, want)
    else:
        assert want is not Undefined, (text, env, got)
        if want is not Overflow:
            assert math.isclose(got, want[0], rel_tol=1e-12, abs_tol=1e-300), (text, got, want[0])

    leaves_ = {n: Value(env[n], label=n) for n in expr.names}
    want = expected(tree, env, derivative=True)
    try:
        y = ag.build(expr, leaves_)
    except ag.OpError:
        assert want in (Undefined, Overflow), (text, env, want)
        return
    assert want is not Undefined, (text, env, y)
    if want is Overflow:
        return
    value, grads, bounds = want
    assert math.isclose(y.data, value, rel_tol=1e-12, abs_tol=1e-300)
    names = sorted(leaves_)
    if not names:
        return
    try:
        got = ag.grad(y, [leaves_[n] for n in names])
    except ag.BackwardError:
        assert any(not math.isfinite(grads.get(n, 0.0)) or abs(grads.get(n, 0.0)) > 1e300 for n in names)
        return
    for n, g in zip(names, got):
        assert abs(g - grads.get(n, 0.0)) <= 1e-9 * bounds.get(n, 0.0) + 1e-300, (text, n, g, grads.get(n))


# -- mutated formulas -------------------------------------------------------------------------------

PIECES = ["x", "(", ")", "**", "*", "-", "+", "/", ",", "[", "]", "0", "1e", "e", ".", " ", "exp", "log(",
          "W1[", "9" * 20, "1e400", "1e-400", "é", "²", "٣", "\n", "\x00", "'", "lambda", "_", "$", "#"]


@settings(max_examples=3 * settings.default.max_examples)
@given(tree=trees, edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3), st.sampled_from(PIECES)),
                                  min_size=1, max_size=4))
def test_mutated_formulas_give_a_result_or_a_clear_error(tree, edits):
    STATS["mutants"] += 1
    text = to_text(tree, " ")
    for position, cut, piece in edits:
        k = position % (len(text) + 1)
        text = text[:k] + piece + text[k + cut:]
    check_any_text(text)


def check_any_text(text):
    try:
        expr = ag.parse(text)
    except ag.ExpressionError as e:
        assert e.kind in ("syntax error", "number out of range", "unknown function", "unknown name",
                          "ambiguous name", "too long", "too deep"), e.kind
        assert "\n" not in str(e) and len(str(e)) < 400
        assert e.position is None or 0 <= e.position <= len(text)
        caret = e.caret()
        assert caret.count("\n") == 1 and len(caret) < 400
        return None
    assert ag.parse(str(expr)) == expr
    try:
        value = evaluate(expr, {n: 0.75 for n in expr.names})
    except ag.OpError as e:
        assert "\n" not in str(e)
        return None
    assert math.isfinite(value)
    return value


@given(text=st.text(st.characters(codec="utf-8"), max_size=40))
def test_any_unicode_text_gives_a_result_or_a_clear_error(text):
    check_any_text(text)


# -- odd values for the names ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, "1", b"1", [1.0], {1: 2}, 1j, math.nan, math.inf, -math.inf, 10 ** 400,
                                   np.array([1.0, 2.0]), object(), np.float64("nan")])
def test_odd_values_for_a_name_are_refused_by_name(value):
    for run in (lambda: ag.build("x * 2 + y", {"x": value, "y": 1.0}),
                lambda: evaluate("x * 2 + y", {"x": value, "y": 1.0})):
        with pytest.raises(CLEAN) as info:
            run()
        assert "'x'" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("value", [True, 3, np.float32(0.5), np.int64(-2), 2 ** 60, -0.0, 5e-324])
def test_number_like_values_for_a_name_work(value):
    y = ag.build("x * 2 + 1", {"x": value})
    assert y.data == float(value) * 2 + 1
    assert ag.grad(y, y.parents[0].parents[0]) == 2.0


def test_env_that_is_not_a_mapping_or_misbehaves():
    class Exploding(dict):
        def __getitem__(self, key):
            raise KeyError(key)

    for env in ([("x", 1.0)], None, 3):
        with pytest.raises((*CLEAN, TypeError)):
            ag.build("x + 1", env)
    with pytest.raises((*CLEAN, KeyError)):
        ag.build("x + 1", Exploding(x=1.0))


# -- far beyond the limits: explicit, each refused quickly ---------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("text, kind", [
    ("x" * (MAX_LENGTH + 1), "too long"),
    ("x+" * 5_000_000 + "x", "too long"),
    (" " * (10 ** 7) + "x", "too long"),
    ("(" * 10 ** 6 + "x" + ")" * 10 ** 6, "too deep"),
    ("-(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "too deep"),
    ("exp(-" * (MAX_DEPTH // 2 + 1) + "x" + ")" * (MAX_DEPTH // 2 + 1), "too deep"),
    ("x**" * (MAX_DEPTH + 1) + "x", "too deep"),
    ("+".join(["1"] * (MAX_TOKENS // 2 + 1)), "too long"),
    ("9" * 9000, "number out of range"),
    ("1e" + "9" * 5000, "number out of range"),
    ("1e401", "number out of range"),
    ("1e309", "number out of range"),
    ("0." + "0" * 400 + "1", "number out of range"),
    ("1" + "0" * 400 + "e-401", "number out of range"),
])
def test_inputs_far_beyond_the_limits_are_refused_with_their_kind(text, kind):
    with pytest.raises(ag.ExpressionError) as info:
        ag.parse(text)
    assert info.value.kind == kind, str(info.value)
    assert len(str(info.value)) < 300 and len(info.value.caret()) < 400


@pytest.mark.timeout(60)
def test_right_at_the_limits_everything_still_works():
    deepest = "(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)
    assert ag.build(deepest, {"x": 2.0}).data == 2.0
    long_sum = "+".join(["x"] * ((MAX_TOKENS + 1) // 2))
    assert len(long_sum) <= MAX_LENGTH
    y = ag.build(long_sum, {"x": 1.0})
    assert y.data == float((MAX_TOKENS + 1) // 2)
    assert ag.grad(y, y.parents[0] if y.parents[0].is_leaf else ag.topological_order(y)[0]) >= 1.0
    big = "1" + "0" * 300 + "e8"
    assert ag.parse(big).value == 1e308
    assert ag.parse("1e-307").value == 1e-307


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", ["10**10**10", "2**2**2**2**2**2", "exp(exp(exp(10)))", "x**1e300",
                                  "1e308*10", "(-8)**(1/3)", "log(0)", "1/0", "0**-1", "x/0", "x**x**x**x**x"])
def test_huge_or_undefined_math_is_an_op_error_quickly(text):
    with pytest.raises(ag.OpError):
        evaluate(text, {"x": 9.0})


# -- check_formula: a learner's hand formula, any text, any labels ---------------------------------

@settings(max_examples=settings.default.max_examples)
@given(formula=st.one_of(st.text(max_size=30), trees.map(lambda t: to_text(t, " "))),
       labels=st.lists(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), min_size=3, max_size=3),
       wrt=st.integers(0, 2))
def test_check_formula_on_any_text_and_labels_gives_a_verdict_or_a_clear_error(formula, labels, wrt):
    nodes = [Value(v, label=lab) for v, lab in zip((0.5, -1.25, 2.0), labels)]
    y = (nodes[0] * nodes[1] + nodes[2]).tanh()
    y.label = "L"
    try:
        result = ag.check_formula(y, nodes[wrt], formula, raise_on_mismatch=False)
    except ag.GlassgradError as e:
        assert str(e).strip()
        return
    assert isinstance(result.ok, bool) and math.isfinite(result.engine_value) and math.isfinite(result.formula_value)
    assert str(result).startswith("check_formula")
