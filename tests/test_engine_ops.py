"""Every op's local derivative against central finite differences, plus hand-worked cases.

The table in autograd/ops.py is the single definition of each op; ``BUILDERS`` below says
how a learner writes each one, and a test checks that no op is left without a builder.
"""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd as ag
from autograd import OPS, Value

# how each op of the table is made with the public API: f(*values, const) -> Value
BUILDERS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "add_c": lambda x, c: x + c,
    "sub_c": lambda x, c: x - c,
    "rsub_c": lambda x, c: c - x,
    "mul_c": lambda x, c: x * c,
    "div_c": lambda x, c: x / c,
    "rdiv_c": lambda x, c: c / x,
    "pow_c": lambda x, c: x ** c,
    "rpow_c": lambda x, c: c ** x,
    "bce_logits": lambda z, y: ag.bce_with_logits(z, y),
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "clamped_log": lambda x: x.clamped_log(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: abs(x),
    "step": lambda x: x.step(),
    "sum": lambda *xs: ag.sum(xs),
    "dot": lambda *xs: ag.dot(xs[: len(xs) // 2], xs[len(xs) // 2:]),
}

moderate = st.floats(-4.0, 4.0)
positive = st.floats(0.2, 5.0)
away_from_zero = moderate.filter(lambda x: abs(x) > 0.05)
labels01 = st.floats(0.0, 1.0)

# inputs for each op, away from kinks and singularities: (strategy for the Value operands, constant or None)
DOMAINS = {
    "add": (st.tuples(moderate, moderate), None),
    "sub": (st.tuples(moderate, moderate), None),
    "mul": (st.tuples(moderate, moderate), None),
    "div": (st.tuples(moderate, away_from_zero.filter(lambda b: abs(b) > 0.3)), None),
    "pow": (st.tuples(positive, st.floats(-2.5, 2.5)), None),
    "add_c": (st.tuples(moderate), moderate),
    "sub_c": (st.tuples(moderate), moderate),
    "rsub_c": (st.tuples(moderate), moderate),
    "mul_c": (st.tuples(moderate), moderate),
    "div_c": (st.tuples(moderate), away_from_zero),
    "rdiv_c": (st.tuples(st.floats(0.3, 4.0)), moderate),
    "pow_c": (st.tuples(positive), st.floats(-3.0, 3.0)),
    "rpow_c": (st.tuples(moderate), st.floats(0.1, 5.0)),
    "bce_logits": (st.tuples(st.floats(-8.0, 8.0)), labels01),
    "neg": (st.tuples(moderate), None),
    "exp": (st.tuples(moderate), None),
    "log": (st.tuples(positive), None),
    "clamped_log": (st.tuples(positive), None),
    "sigmoid": (st.tuples(st.floats(-8.0, 8.0)), None),
    "tanh": (st.tuples(moderate), None),
    "relu": (st.tuples(away_from_zero), None),
    "abs": (st.tuples(away_from_zero), None),
    "step": (st.tuples(away_from_zero), None),
    "sum": (st.lists(moderate, min_size=1, max_size=6).map(tuple), None),
    "dot": (st.integers(1, 4).flatmap(lambda n: st.lists(moderate, min_size=2 * n, max_size=2 * n)).map(tuple),
            None),
}


def draw_case(name, data):
    """Operands for op ``name`` from its domain, and its constant (as a 0- or 1-tuple)."""
    strategy, const_strategy = DOMAINS[name]
    xs = data.draw(strategy, label="operands")
    args = () if const_strategy is None else (data.draw(const_strategy, label="constant"),)
    return xs, args


def central_difference(f, xs, i, h=1e-6):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def close(a, b, rel=1e-4, abs_=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def test_every_op_in_the_table_has_a_builder_and_a_domain():
    assert set(OPS) == set(BUILDERS) == set(DOMAINS)


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_local_derivatives_match_central_differences(name, data):
    xs, args = draw_case(name, data)
    build = BUILDERS[name]

    node = build(*(Value(x) for x in xs), *args)
    assert node.op_def is OPS[name]
    assert len(node.local_grads) == len(node.parents) == len(xs)

    def f(point):
        return build(*(Value(x) for x in point), *args).data

    for i, local in enumerate(node.local_grads):
        assert close(local, central_difference(f, xs, i)), (name, xs, args, i)


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_backward_gives_the_local_derivative_of_each_operand(name, data):
    xs, args = draw_case(name, data)
    leaves = [Value(x) for x in xs]
    node = BUILDERS[name](*leaves, *args)
    node.backward()
    assert node.grad == 1.0
    for leaf, local in zip(leaves, node.local_grads):
        assert leaf.grad == local


# -- composite expressions of smooth ops against finite differences ------------------------------

def expressions():
    """Random expression trees over leaves x0, x1, x2 as nested tuples."""
    leaf = st.sampled_from([("x", 0), ("x", 1), ("x", 2)]) | st.floats(-2, 2).map(lambda c: ("c", c))
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*"]), kids, kids),
            st.tuples(st.sampled_from(["sigmoid", "tanh", "sin-free-exp", "square"]), kids),
        ),
        max_leaves=12,
    )


def evaluate(tree, xs):
    kind = tree[0]
    if kind == "x":
        return xs[tree[1]]
    if kind == "c":
        return tree[1]
    if kind in "+-*":
        a, b = evaluate(tree[1], xs), evaluate(tree[2], xs)
        return a + b if kind == "+" else a - b if kind == "-" else a * b
    a = evaluate(tree[1], xs)
    if kind == "sigmoid":
        return a.sigmoid() if isinstance(a, Value) else 1 / (1 + math.exp(-a))
    if kind == "tanh":
        return a.tanh() if isinstance(a, Value) else math.tanh(a)
    if kind == "square":
        return a ** 2
    # exp of a bounded argument keeps values moderate
    t = a.tanh() if isinstance(a, Value) else math.tanh(a)
    return t.exp() if isinstance(t, Value) else math.exp(t)


@given(tree=expressions(), point=st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5)))
def test_composite_expressions_match_finite_differences(tree, point):
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    out = evaluate(tree, xs)
    assume(isinstance(out, Value))
    assume(abs(out.data) < 1e6)
    out.backward()

    def f(p):
        v = evaluate(tree, list(p))
        return float(v)

    for i, x in enumerate(xs):
        assert close(x.grad, central_difference(f, point, i, h=1e-5), rel=1e-3, abs_=1e-5)


# -- hand-worked cases -------------------------------------------------------------------------------

def test_micrograd_sanity_check_numbers():
    # the classic check from micrograd's test suite, worked out by hand: y = -20, dy/dx = 46
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def micrograd_more_ops(value_class):
    """micrograd's test_more_ops expression, built from ``value_class``; returns (a, b, g)."""
    a, b = value_class(-4.0), value_class(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_more_ops_numbers():
    a, b, g = micrograd_more_ops(Value)
    g.backward()
    assert math.isclose(g.data, 24.70408163265306, rel_tol=1e-12)
    assert math.isclose(a.grad, 138.83381924198252, rel_tol=1e-12)
    assert math.isclose(b.grad, 645.5772594752186, rel_tol=1e-12)


def test_sigmoid_neuron_by_hand():
    # y = s(w x + b) at w=0.5, x=2, b=-1: s(0) = 1/2, s' = 1/4; dy/dw = x/4, dy/dx = w/4, dy/db = 1/4
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    y = (w * x + b).sigmoid()
    y.backward()
    assert y.data == 0.5
    assert (w.grad, x.grad, b.grad) == (0.5, 0.125, 0.25)


def test_subtraction_and_division_are_single_ops():
    a, b = Value(6.0, label="a"), Value(3.0, label="b")
    d = a - b
    q = a / b
    assert d.op == "-" and d.parents == (a, b) and d.local_grads == (1.0, -1.0)
    assert q.op == "/" and q.parents == (a, b) and q.local_grads == (1 / 3, -6.0 / 9.0)


@pytest.mark.parametrize("make, op, local", [
    (lambda x: x * 3, "*3", 3.0),
    (lambda x: 3 * x, "*3", 3.0),
    (lambda x: x + 2, "+2", 1.0),
    (lambda x: x - 2, "-2", 1.0),
    (lambda x: 2 - x, "2-", -1.0),
    (lambda x: x / 4, "/4", 0.25),
    (lambda x: 8 / x, "8/", -2.0),
    (lambda x: x ** 3, "**3", 12.0),
    (lambda x: 3 ** x, "3**", 9 * math.log(3)),
])
def test_constants_fold_into_the_op_and_stay_visible(make, op, local):
    x = Value(2.0, label="x")
    y = make(x)
    assert y.op == op
    assert y.parents == (x,)
    assert math.isclose(y.local_grads[0], local)


def test_a_node_used_twice_has_two_edges():
    a = Value(3.0, label="a")
    sq = a * a
    assert sq.parents == (a, a)
    assert sq.local_grads == (3.0, 3.0)
    sq.backward()
    assert a.grad == 6.0
    twice = a + a
    assert twice.parents == (a, a)


def test_sum_and_dot_are_single_nodes():
    ws = [Value(float(i), label=f"w{i}") for i in range(1, 4)]
    xs = [Value(float(-i), label=f"x{i}") for i in range(1, 4)]
    b = Value(0.5, label="b")
    z = ag.dot(ws, xs, bias=b)
    assert z.op == "dot" and z.data == -14 + 0.5
    assert z.parents == (*ws, *xs, b)
    assert z.local_grads == (-1.0, -2.0, -3.0, 1.0, 2.0, 3.0, 1.0)
    s = ag.sum([ws[0], ws[1], 10])
    assert s.op == "Σ+10" and s.data == 13.0 and s.local_grads == (1.0, 1.0)


def test_dot_with_plain_number_inputs_makes_constant_leaves():
    ws = [Value(2.0), Value(3.0)]
    z = ag.dot(ws, [1.0, -1.0], bias=0.25)
    assert z.data == -0.75
    assert [p.data for p in z.parents[2:]] == [1.0, -1.0]
    assert z.op == "dot+0.25"


# -- numerics and kink conventions -------------------------------------------------------------------

@pytest.mark.parametrize("x", [-1000.0, -745.0, -40.0, 40.0, 745.0, 1000.0, 1e300, -1e300])
def test_sigmoid_and_tanh_are_stable_for_any_finite_input(x):
    s = Value(x).sigmoid()
    t = Value(x).tanh()
    for node in (s, t):
        assert math.isfinite(node.data) and math.isfinite(node.local_grads[0])
    assert 0.0 <= s.data <= 1.0
    if x <= -745:
        assert s.data < 1e-300 and s.local_grads[0] < 1e-300
    if x >= 40:
        assert s.data == 1.0 and s.local_grads[0] == 0.0


def test_kink_conventions():
    assert Value(0.0).relu().local_grads == (0.0,)      # ReLU'(0) = 0, as PyTorch
    assert Value(0.0).abs().local_grads == (0.0,)       # abs'(0) = 0, as PyTorch
    assert Value(0.0).step().data == -1.0               # step(0) = -1: "1 if w.x > phi else -1"
    assert Value(1e-300).step().data == 1.0
    assert Value(-3.0).step().local_grads == (0.0,)     # step's derivative is 0 everywhere
    for name in ("relu", "abs", "step"):
        assert OPS[name].kinks == (0.0,) and OPS[name].kink_note


def test_pow_special_exponents():
    x = Value(0.0)
    assert (x ** 0).data == 1.0 and (x ** 0).local_grads == (0.0,)
    assert (x ** 1).local_grads == (1.0,)
    assert (x ** 2).local_grads == (0.0,)
    assert (Value(-2.0) ** 3).data == -8.0 and (Value(-2.0) ** 3).local_grads == (12.0,)


def test_numpy_scalars_are_accepted_as_floats():
    np = pytest.importorskip("numpy")
    x = Value(np.float32(2.0))
    y = x * np.float64(3.0) + np.int64(1)
    assert type(x.data) is float and y.data == 7.0
    assert y.op == "+1"


def test_bce_with_logits_is_one_stable_node_with_the_cancelled_derivative():
    for z, y in [(0.0, 1), (3.0, 0), (-3.0, 1), (700.0, 0), (-700.0, 1), (1e6, 1)]:
        loss = ag.bce_with_logits(Value(z), y)
        s = 1 / (1 + math.exp(-z)) if z > -700 else 0.0
        assert len(loss.parents) == 1 and math.isfinite(loss.data)
        assert math.isclose(loss.local_grads[0], s - y, abs_tol=1e-12)


# -- clamped_log (bce's log), worked by hand ------------------------------------------------------

def test_clamped_log_is_log_above_the_floor_and_log_of_x_plus_the_floor_below():
    floor = math.exp(-100.0)
    x = Value(0.25)
    y = x.clamped_log()
    y.backward()
    assert (y.data, x.grad) == (math.log(0.25), 4.0)
    zero = Value(0.0)
    y = zero.clamped_log()
    y.backward()
    assert y.data == math.log(floor) == -100.0
    assert zero.grad == 1.0 / floor
    with pytest.raises(ag.OpError, match="clamped_log"):
        Value(-1.0).clamped_log()
