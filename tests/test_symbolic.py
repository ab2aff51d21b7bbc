"""to_sympy: the graph as a sympy expression, whose derivative matches the engine's."""

import sys

import pytest

import autograd as ag
from autograd import OPS, Value
from autograd.errors import MissingExtra
from autograd.tools.symbolic import sympy_grad, to_sympy

sp = pytest.importorskip("sympy")


def test_every_op_of_the_table_has_a_sympy_rule():
    assert all(op.sympy is not None for op in OPS.values())


# one small graph per op: (name, function of the leaves a, b), all away from kinks
PER_OP = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "add_c": lambda a, b: a + 2.5, "sub_c": lambda a, b: a - 2.5, "rsub_c": lambda a, b: 2.5 - a,
    "mul_c": lambda a, b: a * 2.5, "div_c": lambda a, b: a / 2.5, "rdiv_c": lambda a, b: 2.5 / a,
    "pow_c": lambda a, b: a ** 2.5, "rpow_c": lambda a, b: 2.5 ** a,
    "neg": lambda a, b: -a, "exp": lambda a, b: a.exp(), "log": lambda a, b: a.log(),
    "sigmoid": lambda a, b: a.sigmoid(), "tanh": lambda a, b: a.tanh(), "relu": lambda a, b: a.relu(),
    "abs": lambda a, b: a.abs(), "step": lambda a, b: a.step(),
    "bce_logits": lambda a, b: ag.bce_with_logits(a, 0.3),
    "sum": lambda a, b: ag.sum([a, b, a, 1.5]),
    "dot": lambda a, b: ag.dot([a, b], [b, 3.0], bias=a),
}


@pytest.mark.parametrize("name", sorted(PER_OP))
@pytest.mark.parametrize("point", [(0.7, 1.9), (1.3, -0.4)])
def test_value_and_derivatives_match_the_engine(name, point):
    a, b = Value(point[0], label="a"), Value(point[1], label="b")
    if name in ("pow", "log", "pow_c") and a.data <= 0:
        pytest.skip("outside the domain")
    out = PER_OP[name](a, b)
    assert name in {n.op_def.name for n in ag.topological_order(out) if n.op_def}
    expr = to_sympy(out)
    at = {sp.Symbol("a", real=True): a.data, sp.Symbol("b", real=True): b.data}
    assert float(expr.evalf(30, subs=at)) == pytest.approx(out.data, rel=1e-12, abs=1e-14)
    for leaf in (a, b):
        symbolic, value = sympy_grad(out, leaf)
        assert value == pytest.approx(ag.grad(out, leaf), rel=1e-10, abs=1e-14), (name, leaf.label)


@pytest.mark.parametrize("op", ["relu", "abs", "step"])
def test_kinks_follow_the_engines_convention(op):
    x = Value(0.0, label="x")
    out = getattr(x, op)()
    assert sympy_grad(out, x)[1] == ag.grad(out, x) == 0.0


def test_relu_and_step_are_piecewise():
    x = Value(1.0, label="x")
    s = sp.Symbol("x", real=True)
    assert to_sympy(x.relu()) == sp.Piecewise((s, s > 0), (0, True))
    assert to_sympy(x.step()) == sp.Piecewise((1, s > 0), (-1, True))


def test_symbols_for_modes():
    y, z = Value(1.0, label="y"), Value(0.3, label="z")
    yhat = z.sigmoid()
    yhat.label = "yhat"
    L = -(y * yhat.log()) + Value(2.0)      # an unlabelled leaf is a number
    L.label = "L"
    Y, Z, YHAT = (sp.Symbol(n, real=True) for n in ("y", "z", "yhat"))
    assert to_sympy(L) == -Y * sp.log(1 / (1 + sp.exp(-Z))) + 2
    assert to_sympy(L, symbols_for="labels") == -Y * sp.log(YHAT) + 2
    assert to_sympy(L, symbols_for=[yhat]) == -sp.log(YHAT) + 2


def test_constants_are_exact():
    x = Value(3.0, label="x")
    assert to_sympy(x ** 2 * 0.1) == sp.Symbol("x", real=True) ** 2 * sp.Float(0.1, precision=53)
    assert to_sympy(x * 2.0).args[0] == 2 and isinstance(to_sympy(x * 2.0).args[0], sp.Integer)


def test_repeated_labels_get_distinct_symbols():
    b1, b2 = Value(1.0, label="b"), Value(2.0, label="b")
    expr = to_sympy(b1 * b2)
    assert sorted(s.name for s in expr.free_symbols) == ["b", "b_2"]


def test_derivative_through_an_intermediate_node():
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    z = w * x
    z.label = "z"
    out = z.tanh() * w
    derivative, value = sympy_grad(out, z)
    assert value == pytest.approx(ag.grad(out, z), rel=1e-12)
    assert derivative.free_symbols == {sp.Symbol("z", real=True), sp.Symbol("w", real=True)}


def test_small_derivatives_read_like_the_notes():
    """Step 1 of the notes: dL/dŷ of the BCE, from sympy."""
    y, yhat = Value(1.0, label="y"), Value(0.8, label="yhat")
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    derivative, value = sympy_grad(L, yhat)
    Y, YHAT = sp.Symbol("y", real=True), sp.Symbol("yhat", real=True)
    assert sp.simplify(derivative - (YHAT - Y) / (YHAT * (1 - YHAT))) == 0
    assert sp.count_ops(derivative) <= 6 and value == pytest.approx(-1.25)


def test_an_output_that_does_not_depend_on_wrt():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    assert sympy_grad(a * 3, b) == (0, 0.0)


def test_a_graph_a_hundred_thousand_deep():
    x = Value(0.5, label="x")
    y = x
    for _ in range(100_000):
        y = -y
    expr = to_sympy(y.exp())
    assert expr == sp.exp(sp.Symbol("x", real=True))


def test_bad_arguments():
    with pytest.raises(ag.OperandError, match="to_sympy: expects a Value"):
        to_sympy(3.0)
    with pytest.raises(ag.OperandError, match="symbols_for must be"):
        to_sympy(Value(1.0), symbols_for="everything")


def test_without_sympy_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(MissingExtra, match=r'pip install "glassgrad\[sympy\]"') as info:
        to_sympy(Value(1.0, label="x"))
    assert isinstance(info.value, ImportError) and isinstance(info.value, ag.GlassgradError)


def test_the_time_limit_is_not_swallowed_by_except_exception_and_keeps_an_outer_timer():
    import signal
    import time

    from autograd.tools.symbolic import _time_limit, _TimedOut

    pytest_timeout = signal.getitimer(signal.ITIMER_REAL)  # (pytest-timeout's own, put back below)
    signal.setitimer(signal.ITIMER_REAL, 50.0)  # an outer timer, as pytest-timeout's
    before = signal.getitimer(signal.ITIMER_REAL)[0]
    start = time.monotonic()
    with pytest.raises(_TimedOut):
        with _time_limit(0.2):
            while True:  # code that swallows every Exception, as sympy does in places
                try:
                    time.sleep(0.01)
                except Exception:
                    pass
    assert time.monotonic() - start < 5
    left = signal.getitimer(signal.ITIMER_REAL)[0]
    signal.setitimer(signal.ITIMER_REAL, *pytest_timeout)
    assert 0 < left <= before
