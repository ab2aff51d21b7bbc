"""check_engine on random lecture-style expressions (nodes reused at random): a right engine is
always ok, and a planted bug, whenever it is reported, is reported at its own op (or as the
walk, for a walk in forward order); an `=` for `+=` or an exp that uses its input is always
caught when its op is in the graph, even where no node is used twice."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from test_check_engine import LectureValue, planted

STEP = st.tuples(st.sampled_from(["+", "*", "tanh", "exp", "**2", "ReLU"]),
                 st.integers(0, 30), st.integers(0, 30))
PROGRAM = st.tuples(st.lists(st.floats(-2.0, 2.0, allow_nan=False).map(lambda x: round(x, 3)),
                             min_size=1, max_size=4),
                    st.lists(STEP, min_size=1, max_size=12))


def build(V, program):
    """The expression ``program`` describes, built from V: each step applies an op to earlier
    nodes (picked by index, so nodes get reused); exp and **2 only where they stay small."""
    leaves, steps = program
    nodes = [V(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "+":
            out = a + b
        elif op == "*":
            out = a * b
        elif op == "exp" and abs(a.data) < 3:
            out = a.exp()
        elif op == "**2" and abs(a.data) < 30:
            out = a ** 2
        elif op == "ReLU":
            out = a.relu()
        else:
            out = a.tanh()
        nodes.append(out)
    return nodes[-1]


def ops_in(root):
    seen, stack, ops = {id(root)}, [root], set()
    while stack:
        node = stack.pop()
        ops.add(node._op)
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return ops


@given(PROGRAM)
def test_right_engine_always_ok(program):
    root = build(LectureValue, program)
    root.backward()
    report = ag.check_engine(root)
    assert report.ok, str(report)


BUGS = {"assign": "+", "mul_assign": "*", "exp_input": "exp", "tanh": "tanh", "tanh_input": "tanh",
        "pow_off_by_one": "**2", "mul_swapped": "*", "relu": "ReLU", "mul_no_chain": "*"}
ALWAYS_CAUGHT = {"assign", "mul_assign", "exp_input"}  # never equal to the right backward


@pytest.mark.parametrize("bug", sorted(BUGS))
@given(program=PROGRAM)
def test_planted_bug_reported_at_its_op(bug, program):
    root = build(planted(bug), program)
    if not root._prev:
        return  # a single leaf: no op to check
    root.backward()
    report = ag.check_engine(root)
    op = BUGS[bug]
    if bug in ALWAYS_CAUGHT and op in ops_in(root):
        assert not report.ok
    if not report.ok:
        assert report.message.startswith(f"{op}: ") or f"but {op}: " in report.message, report.message
        assert all(c.ok for c in report.alone if c.op != op)


@given(PROGRAM)
def test_forward_order_reported_as_the_walk(program):
    root = build(planted("forward_order"), program)
    root.backward()
    report = ag.check_engine(root)
    assert all(c.ok for c in report.alone)
    if not report.ok:
        assert "every op's backward is right alone" in report.message or "root" in report.message
        assert not math.isnan(report.first_wrong.expected)
