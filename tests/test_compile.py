"""autograd.compile: the same numbers as backward, bit for bit, the same errors, and code to read.

Bit for bit means ``repr`` equality (so 0.0 and -0.0 differ): the compiled function does the
float operations backward does, in the same order, op by op.
"""

import math
import random
import sys

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd as ag
from autograd import OPS, OperandError, OpError, Value, apply
from autograd.compiling import CompiledGraph, identifier, signature

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from test_course_network import course_network  # noqa: E402


def same(a, b) -> bool:
    """Equal as floats, bit for bit."""
    return repr(float(a)) == repr(float(b))


def eager(build, values):
    """(value, grads) from a graph built at ``values`` by ``build(leaves)`` and ``backward``."""
    leaves = [Value(v, label=f"x{k}") for k, v in enumerate(values)]
    out = build(leaves)
    out.backward()
    return out.data, [x.grad for x in leaves]


def compiled(build, values, at=None):
    """The same through ``autograd.compile`` (compiled at ``values``, called at ``at``)."""
    leaves = [Value(v, label=f"x{k}") for k, v in enumerate(values)]
    fn = ag.compile(build(leaves), leaves)
    return fn(values if at is None else at)


def assert_same(build, values, at=None):
    value, grads = compiled(build, values, at)
    ref_value, ref_grads = eager(build, values if at is None else at)
    assert same(value, ref_value), (value, ref_value)
    assert len(grads) == len(ref_grads)
    for g, r in zip(grads, ref_grads):
        assert same(g, r), (grads, ref_grads)


# -- every op, bit for bit -----------------------------------------------------------------------

def _op_cases():
    """(op name, operand count, constant, operand values) covering every op of the table."""
    rng = random.Random(7)
    cases = []
    for name, op in OPS.items():
        positive = name in ("log", "clamped_log", "pow", "pow_c")
        for trial in range(6):
            counts = [op.arity] if op.arity is not None else [1, 2, 3, 4, 5, 7]
            n = counts[trial % len(counts)]
            if name == "dot":
                n = [2, 3, 4, 5, 6, 9][trial]
            values = [rng.uniform(0.1, 3.0) if positive else rng.uniform(-3.0, 3.0) for _ in range(n)]
            if name == "pow":
                values[1] = rng.uniform(-2.0, 2.5)
            const = None
            if op.takes_constant:
                const = {"pow_c": [0.0, 1.0, 2.0, -1.5, 0.5, 3.0][trial], "rpow_c": 0.3 + trial,
                         "bce_logits": [0.0, 1.0, 0.25, 1.0, 0.0, 0.5][trial]}.get(name, rng.uniform(-4, 4) or 1.0)
            elif op.arity is None and trial % 2:
                const = rng.uniform(-2, 2)
            cases.append((name, n, const, values))
        if name in ("relu", "abs", "step"):
            cases.append((name, 1, None, [0.0]))
            cases.append((name, 1, None, [-0.0]))
    return cases


@pytest.mark.parametrize("name, n, const, values", _op_cases())
def test_every_op_bit_for_bit(name, n, const, values):
    op = OPS[name]

    def build(xs):
        y = apply(op, *xs, const=const)
        return (y * xs[0] + y) * 1.7  # the op inside a graph: its gradient is not 1

    assert_same(build, values)
    other = [v * 0.9 + 0.05 for v in values]  # compiled at one point, called at another
    try:
        eager(build, other)
    except OpError:
        return
    assert_same(build, values, at=other)


def test_every_op_has_code_templates():
    for op in OPS.values():
        assert op.code and op.local_code, op.name


def test_hides_inf_is_true_exactly_where_a_non_finite_operand_can_give_a_finite_value():
    bad = [math.inf, -math.inf, math.nan]
    for op in OPS.values():
        n = op.arity or 3
        const = {"pow_c": -1.0, "rpow_c": 2.0, "bce_logits": 1.0}.get(op.name, 2.0) if op.takes_constant else None
        finite = False
        for k in range(n):
            for x in bad:
                for other in (1.0, -1.0, 0.0):
                    xs = [other] * n
                    xs[k] = x
                    try:
                        finite |= math.isfinite(op.forward_at(xs, const))
                    except (ArithmeticError, ValueError):
                        pass
        assert finite == op.hides_inf or (op.hides_inf and op.name in ("div", "pow")), op.name


# -- random graphs -------------------------------------------------------------------------------

UNARY = ["neg", "exp", "log", "sigmoid", "tanh", "relu", "abs", "step"]
BINARY = ["add", "sub", "mul", "div", "pow"]
FOLDED = ["add_c", "sub_c", "rsub_c", "mul_c", "div_c", "rdiv_c", "pow_c", "rpow_c", "bce_logits"]


@st.composite
def programs(draw):
    """A random graph as a program: leaves, then ops on earlier nodes (reused freely)."""
    n_leaves = draw(st.integers(1, 4))
    values = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n_leaves, max_size=n_leaves))
    steps = []
    for i in range(draw(st.integers(1, 12))):
        size = n_leaves + i
        kind = draw(st.sampled_from(["unary", "binary", "folded", "sum", "dot"]))
        pick = st.integers(0, size - 1)
        if kind == "unary":
            steps.append((draw(st.sampled_from(UNARY)), [draw(pick)], None))
        elif kind == "binary":
            steps.append((draw(st.sampled_from(BINARY)), [draw(pick), draw(pick)], None))
        elif kind == "folded":
            name = draw(st.sampled_from(FOLDED))
            c = draw(st.sampled_from([0.0, 1.0, 0.5, 2.0, -1.5, 3.0])) if name != "bce_logits" else 1.0
            steps.append((name, [draw(pick)], c))
        else:
            k = draw(st.integers(1, 4)) * (2 if kind == "dot" else 1) + (draw(st.integers(0, 1)) if kind == "dot" else 0)
            steps.append((kind, [draw(pick) for _ in range(k)], draw(st.sampled_from([None, 0.5]))))
    inputs = draw(st.lists(st.integers(0, n_leaves - 1), unique=True, max_size=n_leaves))
    return values, steps, inputs


def run_program(values, steps):
    """The nodes, the last one a sum of every op node (so each is part of the output's graph)."""
    nodes = [Value(v, label=f"leaf{k}") for k, v in enumerate(values)]
    for name, operands, c in steps:
        nodes.append(apply(OPS[name], *[nodes[p] for p in operands], const=c))
    nodes.append(apply(OPS["sum"], *nodes[len(values):]))
    return nodes


@given(programs(), st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=4))
def test_random_graphs_bit_for_bit_with_backward(program, other):
    values, steps, picked = program
    try:
        nodes = run_program(values, steps)
    except OpError:
        assume(False)
    leaves = [nodes[k] for k in picked]
    fn = ag.compile(nodes[-1], leaves)
    # at the values it was built at
    nodes[-1].backward()
    value, grads = fn([x.data for x in leaves])
    assert same(value, nodes[-1].data)
    assert all(same(g, x.grad) for g, x in zip(grads, leaves))
    # at other values of the inputs: the graph built there, or its error
    moved = list(values)
    for j, k in enumerate(picked):
        moved[k] = other[j]
    try:
        again = run_program(moved, steps)
        again[-1].backward()
    except OpError as e:
        with pytest.raises(OpError) as raised:
            fn([moved[k] for k in picked])
        assert str(raised.value) == str(e)
        return
    except ag.BackwardError as e:
        with pytest.raises(ag.BackwardError):
            fn([moved[k] for k in picked])
        return
    value, grads = fn([moved[k] for k in picked])
    assert same(value, again[-1].data)
    assert all(same(g, again[k].grad) for g, k in zip(grads, picked))
    assert same(fn.forward([moved[k] for k in picked]), again[-1].data)


# -- the API --------------------------------------------------------------------------------------

def test_forward_only_and_repr():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    fn = ag.compile((a * b).tanh() + a, [a, b])
    assert isinstance(fn, CompiledGraph)
    assert same(fn.forward([0.5, 0.25]), math.tanh(0.125) + 0.5)
    assert "def step_forward(a, b):" in fn.forward_source and "d_" not in fn.forward_source
    assert "2 inputs" in repr(fn)
    assert fn._repr_markdown_().startswith("```python\ndef step(a, b):")
    assert "<" in fn._repr_html_()


def test_html_without_pygments_is_escaped_pre(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)
    a = Value(1.0, label="a")
    html = ag.compile(a * 2, [a])._repr_html_()
    assert html.startswith("<pre>def step(a):") and "&quot;&quot;&quot;" in html


def test_constants_data_and_also():
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(0.1, label="b")
    z = w * x + b
    z.label = "z"
    out = z.relu() * 3
    fn = ag.compile(out, [w], data=[x], also=[z])
    assert "def step(w, x):" in fn.source and "b = 0.1" in fn.source
    run = fn.run([0.5], [4.0])
    assert same(run.value, (0.5 * 4.0 + 0.1) * 3) and same(run.grads[0], 12.0) and same(run.also[0], 2.1)
    with pytest.raises(OperandError, match="expects 1 data value"):
        fn.run([0.5])
    assert ag.compile(out, [w]).forward([1.0]) == (2.0 + 0.1) * 3


def test_an_input_the_output_does_not_use_gets_zero_and_the_output_may_be_an_input():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    assert ag.compile(a * 3, [a, b])([1.0, 2.0]) == (3.0, [3.0, 0.0])
    assert ag.compile(a, [a, b])([5.0, 2.0]) == (5.0, [1.0, 0.0])
    assert ag.compile(a * 3, [b])([7.0]) == (3.0, [0.0])


def test_backward_adds_to_grad_like_backward():
    model_x = [Value(0.3, label="u"), Value(-1.2, label="v")]
    out = (model_x[0] * model_x[1]).sigmoid() * model_x[0]
    fn = ag.compile(out, model_x)
    out.backward()
    expected = [x.grad for x in model_x]
    for x in model_x:
        x.grad = 0.0
    run = fn.backward()
    assert same(run.value, out.data)
    assert all(same(x.grad, g) for x, g in zip(model_x, expected))
    fn.backward()
    assert all(same(x.grad, 2 * g) for x, g in zip(model_x, expected))


def test_inputs_are_checked():
    a, b = Value(1.0, label="a"), Value(2.0)
    c = a * b
    with pytest.raises(OperandError, match="not a leaf"):
        ag.compile(c + 1, [c])
    with pytest.raises(OperandError, match="given twice"):
        ag.compile(c, [a, a])
    with pytest.raises(OperandError, match="must be a Value"):
        ag.compile(c, [1.0])
    with pytest.raises(OperandError, match="not part of"):
        ag.compile(c, [a], also=[Value(3.0)])
    with pytest.raises(OperandError, match="plain identifier"):
        ag.compile(c, [a], name="x; import os")


def test_signature_says_when_the_code_can_be_reused():
    def graph(w_value, x_value):
        w = Value(w_value, label="w")
        return w, (w * x_value).relu()
    w1, y1 = graph(0.5, 2.0)
    w2, y2 = graph(-7.0, 2.0)  # other parameter values: the same code
    w3, y3 = graph(0.5, 3.0)   # another constant: other code
    assert ag.compile(y1, [w1]).signature == signature(y2, [w2]) != signature(y3, [w3])


# -- errors, as eager mode gives them -------------------------------------------------------------------

def _error(build, values):
    leaves = [Value(v, label=f"x{k}") for k, v in enumerate(values)]
    with pytest.raises((OpError, ag.BackwardError)) as raised:
        build(leaves).backward()
    return type(raised.value), str(raised.value)


@pytest.mark.parametrize("build, good, bad", [
    (lambda xs: (xs[0] - 1.0).log(), [2.0], [1.0]),                         # log of 0
    (lambda xs: xs[1] / (xs[0] - 2.0), [1.0, 1.0], [2.0, 1.0]),            # division by 0
    (lambda xs: (xs[0] * 2).exp(), [1.0], [400.0]),                        # exp overflows
    (lambda xs: (xs[0] * 1e300 * 1e300).sigmoid(), [1e-300], [1.0]),       # inf hidden by sigmoid
    (lambda xs: (-(xs[0] * 1e300 * 1e300)).relu(), [1e-300], [1.0]),       # -inf hidden by relu
    (lambda xs: (xs[0] * 1e300 * xs[0] * 1e300).tanh(), [1e-300], [1.0]),  # hidden by tanh
    (lambda xs: xs[0] ** 0.5, [4.0], [-4.0]),                              # complex result
    (lambda xs: (xs[0] - 1.0) ** 0.5 + xs[0], [2.0], [1.0]),               # infinite derivative
    (lambda xs: (xs[0] * 1e200 * xs[0] * 1e200).tanh() * xs[0], [1e-300], [1e-3]),  # inf, then tanh
    (lambda xs: xs[0] * 1e308 + xs[0] * 1e308, [1e-300], [1e-300]),       # the gradient overflows
    (lambda xs: xs[0] * 1e200 * 1e200 * 0.0, [1e-300], [1.0]),             # inf * 0
])
def test_the_same_error_as_eager_mode(build, good, bad):
    leaves = [Value(v, label=f"x{k}") for k, v in enumerate(good)]
    try:
        fn = ag.compile(build(leaves), leaves)
    except OpError:
        pytest.skip("the graph cannot be built at the good point")
    kind, message = _error(build, bad)
    with pytest.raises(kind) as raised:
        fn(bad)
    assert str(raised.value) == message


def test_wrong_count_and_non_finite_inputs_are_clear_errors():
    a, b = Value(1.0, label="W[0]"), Value(2.0, label="b")
    fn = ag.compile(a * b, [a, b])
    with pytest.raises(OperandError, match=r"expects 2 input value\(s\).*'W\[0\]', 'b'.*got 1"):
        fn([1.0])
    with pytest.raises(OpError, match=r"argument 0 \(W\[0\] = 1.0\) must be finite, got nan"):
        fn([math.nan, 1.0])
    with pytest.raises(OpError, match="must be finite, got inf"):
        fn.forward([1.0, math.inf])
    with pytest.raises(OperandError, match="must be a number"):
        fn(["1.0", 2.0])
    assert fn([1, 2]) == (2.0, [2.0, 1.0])  # ints are numbers, as Value(1) takes them


# -- big and deep graphs ----------------------------------------------------------------------------

def test_a_deep_chain_compiles_and_runs_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0, label="x")
    y = x
    for _ in range(50_000):  # 10^5 nodes
        y = y * 1.0001 + 0.5
    fn = ag.compile(y, [x], comments=False)
    y.backward()
    value, grads = fn([1.0])
    assert same(value, y.data) and same(grads[0], x.grad)


def test_a_wide_node_is_summed_in_statements_short_enough_to_compile():
    x = Value(0.5, label="x")
    out = ag.sum([x * (k % 7) for k in range(20_000)])  # x has 20000 edges out
    fn = ag.compile(out, [x], comments=False)
    out.backward()
    assert same(fn([0.5])[1][0], x.grad)


def test_the_fused_and_unfused_demo_graphs_give_backwards_numbers():
    import nn

    X, y = nn.data.moons(20, noise=0.1, seed=0, labels=(-1, 1))
    for fused in (True, False):
        model = nn.MLP(2, [16, 16, 1], activation="relu", seed=1, fused=fused)
        loss = nn.losses.hinge([model(x) for x in X], y) + nn.losses.l2(model, 1e-4)
        params = model.parameters()
        fn = ag.compile(loss, params)
        loss.backward()
        value, grads = fn([p.data for p in params])
        assert same(value, loss.data)
        assert all(same(g, p.grad) for g, p in zip(grads, params))


# -- the source, to read ------------------------------------------------------------------------

def test_the_course_network_reads_like_the_course_steps():
    net = course_network(0)
    params = [w for row in net["Wi"] for w in row] + net["Wo"]
    fn = ag.compile(net["L"], params)
    lines = [line.strip() for line in fn.source.splitlines()]
    for expected in [
        "def step(Wi_0_0, Wi_0_1, Wi_0_2, Wi_1_0, Wi_1_1, Wi_1_2, Wo_0, Wo_1, Wo_2):",
        "zh_0 = fsum([Wi_0_0 * x_0, Wi_1_0 * x_1]) + 0.0",       # z^h = x W^i
        "h_0 = sigmoid(zh_0)",                                   # h = σ(z^h)
        "zo = fsum([Wo_0 * h_0, Wo_1 * h_1, Wo_2 * h_2]) + 0.0",  # z^o = h W^o
        "yhat = sigmoid(zo)",                                    # ŷ = σ(z^o)
        "d_zo = yhat * (1.0 - yhat) * d_yhat  # dyhat/dzo = yhat(1 - yhat)",  # 1a
        "d_Wo_0 = h_0 * d_zo  # dzo/dWo_0 = h_0",                # 2: h δ^o
        "d_h_0 = Wo_0 * d_zo  # dzo/dh_0 = Wo_0",                # 2a: W^o δ^o
        "d_zh_0 = h_0 * (1.0 - h_0) * d_h_0  # dh_0/dzh_0 = h_0(1 - h_0)",  # δ^h
        "d_Wi_0_0 = x_0 * d_zh_0  # dzh_0/dWi_0_0 = x_0",        # 3: x δ^h
    ]:
        assert expected in lines, expected
    value, grads = fn([p.data for p in params])
    net["L"].backward()
    assert same(value, net["L"].data) and all(same(g, p.grad) for g, p in zip(grads, params))


def test_names_come_from_labels_where_they_make_identifiers():
    assert identifier("W1[0,1]") == "W1_0_1" and identifier("z1[0]") == "z1_0"
    for bad in ["", "ŷ", "1x", "a b'", "x\ny", "__class__", "a" * 100, None, 3]:
        assert identifier(bad) is None or bad == "a b'" and identifier(bad) is None
    a = Value(1.0, label="lambda")   # a keyword
    b = Value(2.0, label="sum")      # a builtin
    c = Value(3.0, label="d_a")      # looks like a gradient's name
    d = Value(4.0, label="t3")       # looks like a numbered name
    out = (a * b + c) * d
    out.label = "a"                  # a second "a"
    fn = ag.compile(out, [a, b, c, d])
    header = fn.source.splitlines()[0]
    assert header.startswith("def step(lambda_2, sum_2, d_a, t3):"), header
    out.backward()
    assert fn([1.0, 2.0, 3.0, 4.0]) == (out.data, [a.grad, b.grad, c.grad, d.grad])


def test_constant_leaves_are_named_or_written_as_numbers():
    x = Value(1.5, label="x")
    k = [Value(-2.0), Value(3.0, label="k"), Value(4.0, label="k")]  # unlabelled, named, a repeated label
    out = x * k[0] + x * k[1] + x * k[2]
    source = ag.compile(out, [x]).source
    assert "k = 3.0" in source and "x * (-2.0)" in source and "x * 4.0" in source
