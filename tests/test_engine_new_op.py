"""Adding an op from outside the package, as ops.py's docstring shows: one table entry, one method.

Every tool must pick it up from the entry alone: backward, second derivatives, draw, explain,
trace, gradcheck (per op too), sympy and compile.
"""

import math

import pytest

import autograd as ag
from autograd import Value, apply
from autograd.ops import Op


def _cos(x):
    return x.cos() if isinstance(x, Value) else math.cos(x)


def _minus_sin(x):
    return -x.sin() if isinstance(x, Value) else -math.sin(x)


SIN = Op(name="sin", arity=1,
         forward=math.sin,
         local=lambda x, out: (_cos(x),),
         symbol="sin", text="sin({0})", latex="\\sin {0}", rule_text=("cos({0})",),
         sympy=lambda sp, x: sp.sin(x), code="sin({0})", local_code=("cos({0})",))
COS = Op(name="cos", arity=1,
         forward=math.cos,
         local=lambda x, out: (_minus_sin(x),),
         symbol="cos", text="cos({0})", latex="\\cos {0}", rule_text=("-sin({0})",),
         sympy=lambda sp, x: sp.cos(x), code="cos({0})", local_code=("-sin({0})",))


@pytest.fixture(autouse=True)
def sin_and_cos(monkeypatch):
    monkeypatch.setitem(ag.OPS, "sin", SIN)
    monkeypatch.setitem(ag.OPS, "cos", COS)
    monkeypatch.setattr(Value, "sin", lambda self: apply(SIN, self), raising=False)
    monkeypatch.setattr(Value, "cos", lambda self: apply(COS, self), raising=False)


def test_the_node_and_backward():
    x = Value(0.5, label="x")
    y = x.sin() * x
    y.label = "y"
    y.backward()
    assert y.parents[0].op == "sin" and y.parents[0].local_grads == (math.cos(0.5),)
    assert x.grad == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))


def test_second_derivatives():
    x = Value(0.3)
    d1 = ag.grad(x.sin(), x, create_graph=True)
    d2 = ag.grad(d1, x, create_graph=True)
    assert (d1.data, d2.data) == pytest.approx((math.cos(0.3), -math.sin(0.3)))
    assert ag.grad(d2, x) == pytest.approx(-math.cos(0.3))


def test_draw_explain_and_trace():
    x = Value(0.5, label="x")
    y = x.sin()
    y.label = "y"
    y.backward()
    source = ag.draw(y).source
    assert "sin" in source and "0.8776" in source          # the op and its local derivative cos(0.5)
    text = ag.explain(x, y).text
    assert "cos(x)" in text and "0.8776" in text
    t = ag.trace(y)
    assert any("sin(x)" in step.text for step in t)
    assert "cos(x)" in t[-1].text


def test_gradcheck_and_per_op():
    assert ag.gradcheck(lambda x: x.sin() * x.cos(), [0.7], per_op=True).ok


def test_sympy():
    pytest.importorskip("sympy")
    x = Value(0.5, label="x")
    expr = ag.to_sympy(x.sin() * 2)
    assert str(expr) == "2*sin(x)"


def test_compile():
    x = Value(0.5, label="x")
    y = x.sin() * x.cos()
    y.backward()
    fn = ag.compile(y, [x])
    value, (dx,) = fn([0.5])
    assert (value, dx) == (y.data, x.grad)       # bit for bit, as for the table's own ops
    assert "sin(x)" in fn.source and "cos(x)" in fn.source
