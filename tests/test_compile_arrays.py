"""autograd.compile_arrays: one sample's graph run on columns of samples (NumPy).

Its numbers are eager mode's to 1e-9 relative (not bit for bit: NumPy's exp/log/tanh, sums and
dots added left to right, and sums over the samples in another order), on every op, on random
graphs and on nn's networks and losses; its errors are eager mode's, naming the sample.
"""

import math
import random
import subprocess
import sys

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

import autograd as ag  # noqa: E402
import nn  # noqa: E402
from autograd import OPS, BackwardError, OperandError, OpError, Value, apply  # noqa: E402
from autograd.compiling.arrays import CHUNK, ArrayRun, available, compile_arrays  # noqa: E402

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from test_compile_fuzz import check_source, hostile  # noqa: E402

REL = 1e-9


def close(a: float, b: float, scale: float = 0.0) -> bool:
    """Equal to REL relative, or within REL of ``scale`` (the size of what was summed)."""
    return math.isclose(a, b, rel_tol=REL, abs_tol=REL * scale + 1e-300)


def eager(build, params: list[float], rows: list[list[float]], seed=1.0, cases=None):
    """Each sample's graph built and run by eager mode: (values, grads summed, |grads| summed)."""
    values, grads, sizes = [], [0.0] * len(params), [0.0] * len(params)
    for k, row in enumerate(rows):
        ps = [Value(v, label=f"p{j}") for j, v in enumerate(params)]
        xs = [Value(v, label=f"x{j}") for j, v in enumerate(row)]
        out = build(ps, xs) if cases is None else build(ps, xs, cases[k])
        out.backward(seed[k] if hasattr(seed, "__len__") else seed)
        values.append(out.data)
        grads = [g + p.grad for g, p in zip(grads, ps)]
        sizes = [s + abs(p.grad) for s, p in zip(sizes, ps)]
    return values, grads, sizes


def arrays(build, params: list[float], rows: list[list[float]], n_cases: int = 1, **call):
    """The same through compile_arrays (the graph built at the first sample)."""
    ps = [Value(v, label=f"p{j}") for j, v in enumerate(params)]
    xs = [Value(v, label=f"x{j}") for j, v in enumerate(rows[0])]
    outs = [build(ps, xs) if n_cases == 1 else build(ps, xs, c) for c in range(n_cases)]
    fn = compile_arrays(outs, ps, data=xs)
    return fn(np.array(rows).T, params, **call)


def assert_agrees(build, params, rows, seed=1.0, cases=None, n_cases=1):
    values, grads, sizes = eager(build, params, rows, seed, cases)
    run = arrays(build, params, rows, n_cases, seed=seed, cases=cases)
    assert len(run.values) == len(rows) and len(run.grads) == len(params)
    for a, b in zip(run.values, values):
        assert close(a, b), (run.values, values)
    for a, b, s in zip(run.grads, grads, sizes):
        assert close(a, b, s), (run.grads, grads)


# -- every op ------------------------------------------------------------------------------------

def _op_cases():
    rng = random.Random(11)
    cases = []
    for name, op in OPS.items():
        positive = name in ("log", "clamped_log", "pow", "pow_c")
        for trial in range(4):
            n = op.arity if op.arity is not None else [1, 2, 3, 5][trial]
            if name == "dot":
                n = [2, 3, 4, 7][trial]
            const = None
            if op.takes_constant:
                const = {"pow_c": [0.0, 1.0, 2.0, -1.5][trial], "rpow_c": 0.3 + trial,
                         "bce_logits": [0.0, 1.0, 0.25, 1.0][trial]}.get(name, rng.uniform(-4, 4) or 1.0)
            elif op.arity is None and trial % 2:
                const = rng.uniform(-2, 2)
            rows = [[rng.uniform(0.1, 3.0) if positive else rng.uniform(-3.0, 3.0) for _ in range(n)]
                    for _ in range(6)]
            if name == "pow":
                for row in rows:
                    row[1] = rng.uniform(-2.0, 2.5)
            cases.append((name, n, const, rows))
        if name in ("relu", "abs", "step"):  # the kink, where the convention decides
            cases.append((name, 1, None, [[0.0], [-0.0], [1.0], [-1.0]]))
    cases.append(("clamped_log", 1, None, [[0.0], [1e-50], [3.720075976020836e-44], [0.5]]))
    return cases


@pytest.mark.parametrize("name, n, const, rows", _op_cases())
def test_every_op_over_samples(name, n, const, rows):
    op = OPS[name]

    def build(ps, xs):
        operands = [x + p if k % 2 else x * p for k, (x, p) in enumerate(zip(xs, ps))]
        y = apply(op, *operands, const=const)
        return (y * operands[0] + y) * 1.7  # the op inside a graph: its gradient is not 1

    assert_agrees(build, [1.0] * n, rows)
    assert_agrees(build, [1.0] * n, rows, seed=0.125)


def test_every_op_has_array_code_where_its_code_branches():
    for op in OPS.values():
        for template in (op.code, *(op.local_code if not callable(op.local_code) else ())):
            if isinstance(template, str) and " if " in template:
                assert op.array_code or op.array_local_code, op.name


# -- random graphs ---------------------------------------------------------------------------------

UNARY = ["neg", "exp", "log", "clamped_log", "sigmoid", "tanh", "relu", "abs", "step"]
BINARY = ["add", "sub", "mul", "div", "pow"]
FOLDED = ["add_c", "sub_c", "rsub_c", "mul_c", "div_c", "rdiv_c", "pow_c", "rpow_c", "bce_logits"]


@st.composite
def programs(draw):
    """A random graph: leaves (each a parameter, or data with a value per sample), then ops on
    earlier nodes (reused freely); the output sums every op node."""
    n_leaves = draw(st.integers(1, 4))
    n_samples = draw(st.integers(1, 5))
    kinds = draw(st.lists(st.booleans(), min_size=n_leaves, max_size=n_leaves))  # True: data
    if not any(kinds):
        kinds[0] = True
    values = [draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n_samples, max_size=n_samples))
              for _ in range(n_leaves)]
    steps = []
    for i in range(draw(st.integers(1, 10))):
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
            k = draw(st.integers(1, 3)) * (2 if kind == "dot" else 1) + (draw(st.integers(0, 1)) if kind == "dot" else 0)
            steps.append((kind, [draw(pick) for _ in range(k)], draw(st.sampled_from([None, 0.5]))))
    return kinds, values, steps


def _graph(kinds, leaf_values, steps):
    """(parameters, data leaves, output) of the program at these leaf values."""
    leaves = [Value(v, label=f"leaf{k}") for k, v in enumerate(leaf_values)]
    nodes = list(leaves)
    for name, operands, c in steps:
        nodes.append(apply(OPS[name], *[nodes[p] for p in operands], const=c))
    out = apply(OPS["sum"], *nodes[len(leaves):])
    return [x for x, d in zip(leaves, kinds) if not d], [x for x, d in zip(leaves, kinds) if d], out


def _rounding_spread(kinds, values, steps, seed, trials: int = 6, eager=None) -> tuple[list[float], list[float]]:
    """How far rounding alone moves eager mode's numbers here: each sample's graph built again
    with every node's value and local derivatives off by up to 4 ulps (a fixed random draw),
    ``trials`` times; the largest change of each output value and each summed gradient. (A sum
    that cancels, 1 + 1e119 - 1e119, is 1.0 exactly rounded and 0.0 added left to right.)"""
    rng = random.Random(0)
    eager = eager or _eager_program
    base_values, base_grads = eager(kinds, values, steps, seed)
    spread_v, spread_g = [0.0] * len(base_values), [0.0] * len(base_grads)
    for _ in range(trials):
        try:
            moved_values, moved_grads = eager(kinds, values, steps, seed, rng=rng)
        except (OpError, BackwardError, TypeError):
            return [math.inf] * len(base_values), [math.inf] * len(base_grads)
        spread_v = [max(s, abs(a - b)) for s, a, b in zip(spread_v, moved_values, base_values)]
        spread_g = [max(s, abs(a - b)) for s, a, b in zip(spread_g, moved_grads, base_grads)]
    return spread_v, spread_g


def _jiggled(node, rng):
    """``node`` with its value and local derivatives each times (1 + r), |r| <= 4 ulps."""
    def off(x):
        return x * (1.0 + rng.uniform(-4, 4) * 2.0 ** -52)
    node.data = off(node.data)
    node.local_grads = tuple(off(g) for g in node.local_grads)
    return node


def _eager_program(kinds, values, steps, seed, rng=None):
    """Eager mode on each sample's graph, the parameters shared: the forward passes sample after
    sample, then backward from the last sample, each seeded with ``seed``. (values, gradients),
    or (the error eager mode raises, the sample it is in)."""
    n_samples = len(values[0])
    params = [Value(v[0], label=f"leaf{k}") for k, (v, d) in enumerate(zip(values, kinds)) if not d]
    outs = []
    for s in range(n_samples):
        leaves, it = [], iter(params)
        for k, (v, d) in enumerate(zip(values, kinds)):
            leaves.append(Value(v[s], label=f"leaf{k}") if d else next(it))
        nodes = list(leaves)
        try:
            for name, operands, c in steps:
                node = apply(OPS[name], *[nodes[p] for p in operands], const=c)
                nodes.append(node if rng is None else _jiggled(node, rng))
            outs.append(apply(OPS["sum"], *nodes[len(leaves):]))
        except OpError as e:
            if rng is not None:
                raise
            return e, s
    for s in range(n_samples - 1, -1, -1):
        try:
            outs[s].backward(seed)
        except BackwardError as e:
            return e, s
    return [o.data for o in outs], [p.grad for p in params]


@given(programs(), st.sampled_from([1.0, 0.25]))
def test_random_graphs_agree_with_eager_mode(program, seed):
    kinds, values, steps = program
    try:
        params, data, out = _graph(kinds, [v[0] for v in values], steps)
    except OpError:
        assume(False)
    fn = compile_arrays(out, params, data=data)
    columns = [v for v, d in zip(values, kinds) if d]
    ref, second = _eager_program(kinds, values, steps, seed)
    if isinstance(ref, OpError):  # eager's message, for the first sample that fails
        with pytest.raises(OpError) as raised:
            fn(columns, seed=seed)
        assert str(raised.value) == f"{ref} (in sample {second})"
        return
    if isinstance(ref, BackwardError):  # (a parameter's sum over the samples may be what overflows)
        with pytest.raises(BackwardError):
            fn(columns, seed=seed)
        return
    run = fn(columns, seed=seed)
    if all(close(a, b, 1.0) for a, b in zip([*run.values, *run.grads], [*ref, *second])):
        return
    # else the difference must be what rounding explains: a sum that cancels, added left to right
    spread_v, spread_g = _rounding_spread(kinds, values, steps, seed)
    for a, b, s in zip([*run.values, *run.grads], [*ref, *second], [*spread_v, *spread_g]):
        assert abs(a - b) <= REL * max(abs(b), 1.0) + 1e3 * s, (run.values, ref, run.grads, second)


def _heads(out, case):
    """Three cases: the output itself, and two heads on it (each with nodes of its own)."""
    return out if case == 0 else (out * 0.5).tanh() if case == 1 else (out + 1.0).relu() * out


def _eager_cases(cases):
    """_eager_program's twin for the cases test: sample s's graph is its case's head."""
    def run(kinds, values, steps, seed, rng=None):
        n_samples = len(values[0])
        shared = [Value(v[0], label=f"leaf{k}") for k, (v, d) in enumerate(zip(values, kinds)) if not d]
        outs = []
        for s in range(n_samples):
            leaves, it = [], iter(shared)
            for k, (v, d) in enumerate(zip(values, kinds)):
                leaves.append(Value(v[s], label=f"leaf{k}") if d else next(it))
            nodes = list(leaves)
            try:
                for name, operands, c in steps:
                    node = apply(OPS[name], *[nodes[p] for p in operands], const=c)
                    nodes.append(node if rng is None else _jiggled(node, rng))
                outs.append(_heads(apply(OPS["sum"], *nodes[len(leaves):]), cases[s]))
            except OpError as e:
                if rng is not None:
                    raise
                return e, s
        for s in range(n_samples - 1, -1, -1):
            try:
                outs[s].backward(seed)
            except BackwardError as e:
                if rng is not None:
                    raise
                return e, s
        return [o.data for o in outs], [p.grad for p in shared]
    return run


@given(programs(), st.lists(st.integers(0, 2), min_size=5, max_size=5), st.sampled_from([1.0, 0.25]))
def test_random_cases_agree_with_eager_mode(program, picks, seed):
    """Three cases of a random graph: what they share is written once, and each sample runs its
    case's own nodes."""
    kinds, values, steps = program
    cases = picks[:len(values[0])]
    try:
        params, data, out = _graph(kinds, [v[0] for v in values], steps)
        outputs = [_heads(out, c) for c in range(3)]
    except OpError:
        assume(False)
    fn = compile_arrays(outputs, params, data=data, also=[out])
    columns = [v for v, d in zip(values, kinds) if d]
    eager = _eager_cases(cases)
    ref, second = eager(kinds, values, steps, seed)
    if isinstance(ref, OpError):
        with pytest.raises(OpError) as raised:
            fn(columns, cases=cases, seed=seed)
        assert str(raised.value) == f"{ref} (in sample {second})"
        return
    if isinstance(ref, BackwardError):
        with pytest.raises(BackwardError):
            fn(columns, cases=cases, seed=seed)
        return
    run = fn(columns, cases=cases, seed=seed)
    assert run.also.shape == (len(cases), 1)
    if all(close(a, b, 1.0) for a, b in zip([*run.values, *run.grads], [*ref, *second])):
        return
    spread_v, spread_g = _rounding_spread(kinds, values, steps, seed, eager=eager)
    for a, b, s in zip([*run.values, *run.grads], [*ref, *second], [*spread_v, *spread_g]):
        assert abs(a - b) <= REL * max(abs(b), 1.0) + 1e3 * s, (run.values, ref, run.grads, second)


# -- nn's networks and losses, as nn.fit would run them ---------------------------------------------

def _sample_graph(model, loss, label, x_leaves):
    """One sample's loss: the model on the data leaves, the loss against ``label``."""
    out = model(x_leaves)
    return out, loss(out, label)


@pytest.mark.parametrize("loss, labels, activation, output_activation", [
    (nn.losses.hinge, (-1, 1), "relu", None),
    (nn.losses.bce_with_logits, (0, 1), "tanh", None),
    (nn.losses.bce, (0, 1), "relu", "sigmoid"),
    (nn.losses.mse, (0, 1), "sigmoid", None),
])
def test_nn_networks_and_losses_agree_with_eager_mode(loss, labels, activation, output_activation):
    model = nn.MLP(2, [16, 16, 1], activation=activation, output_activation=output_activation, seed=3)
    X, y = nn.data.moons(60, noise=0.2, seed=1, labels=labels)
    params = model.parameters()
    # eager mode: the batch's mean loss, one backward (what nn.fit does eagerly)
    batch_loss = loss([model(x) for x in X], y)
    batch_loss.backward()
    ref = [p.grad for p in params]
    # one graph per label value (hinge builds relu(1 - s) for +1 and relu(s + 1) for -1)
    x_leaves = [Value(0.0, label="x[0]"), Value(0.0, label="x[1]")]
    cases = [_sample_graph(model, loss, label, x_leaves) for label in labels]
    fn = compile_arrays([c[1] for c in cases], params, data=x_leaves, also=[[c[0]] for c in cases])
    run = fn(np.array(X).T, cases=np.array([labels.index(v) for v in y]), seed=1.0 / len(X))
    assert close(math.fsum(run.values) / len(X), batch_loss.data)
    sizes = [sum(abs(g) for g in ref)] * len(ref)
    for a, b, s in zip(run.grads, ref, sizes):
        assert close(a, b, s * 1e-3), (a, b)
    outputs = [model(x).data for x in X]
    assert np.allclose(run.also[:, 0], outputs, rtol=1e-12, atol=1e-12)


def test_bce_at_its_clamp_agrees_with_eager_mode():
    """Outputs of exactly 0 and 1 (a saturated sigmoid): clamped_log's floor over arrays."""
    w, b = Value(800.0, label="w"), Value(0.0, label="b")
    x = Value(0.0, label="x")
    p = (w * x + b).sigmoid()
    cases = [nn.losses.bce(p, label) for label in (0, 1)]
    fn = compile_arrays(cases, [w, b], data=[x])
    xs, labels = [1.0, -1.0, 1.0, -1.0, 0.0], [0, 1, 1, 0, 1]
    run = fn([xs], cases=np.array(labels), seed=0.2)
    ref_loss = nn.losses.bce([(w * v + b).sigmoid() for v in xs], labels)
    ref_loss.backward()
    assert close(math.fsum(run.values) * 0.2, ref_loss.data)
    assert close(run.grads[0], w.grad, 1.0) and close(run.grads[1], b.grad, 1.0)
    assert run.values[0] == pytest.approx(100.0, abs=1e-9)  # -log(1 - 1) floored at about 100


# -- errors: eager mode's, naming the sample -----------------------------------------------------------

def _log_of_data():
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    y = (w * x).log()
    y.label = "y"
    return compile_arrays(y, [w], data=[x])


def test_a_value_eager_mode_refuses_raises_its_error_for_the_first_such_sample():
    fn = _log_of_data()
    with pytest.raises(OpError) as raised:
        fn([[2.0, 1.0, 0.0, -1.0]])
    with pytest.raises(OpError) as eager_error:
        (Value(0.5, label="w") * Value(0.0, label="x")).log()
    assert str(raised.value) == f"{eager_error.value} (in sample 2)"
    with pytest.raises(OpError, match=r"\(in sample 20\)$"):
        fn([[2.0, 0.0]], numbers=[10, 20])


def test_a_gradient_eager_mode_refuses_raises_for_the_last_such_sample():
    x, c, z = Value(1.0, label="x"), Value(1e-300, label="c"), Value(1.0, label="z")
    fn = compile_arrays((c * x) * z, [z], data=[x])
    with pytest.raises(BackwardError) as raised:
        fn([[1.0, 1e300, 1e300, 2.0]], [1e300])
    with pytest.raises(BackwardError) as eager_error:
        (Value(1e-300, label="c") * Value(1e300, label="x") * Value(1e300, label="z")).backward()
    assert str(raised.value) == f"{eager_error.value} (in sample 2)"  # backward runs from the last sample


def test_a_forward_refusal_comes_before_any_backward_one():
    """Eager mode runs every sample's forward pass before backward: sample 3's log of 0 wins
    over sample 1's overflowing gradient."""
    x, c, z = Value(1.0, label="x"), Value(1e-300, label="c"), Value(1.0, label="z")
    fn = compile_arrays(((c * x) * z).abs().log(), [z], data=[x])
    with pytest.raises(OpError, match=r"log.*\(in sample 3\)$"):
        fn([[1.0, 1e300, 2.0, 0.0]], [1e300])


def test_an_infinite_local_derivative_is_a_forward_refusal():
    """log(5e-324) is finite, its derivative 1/x is not: eager mode refuses it while building."""
    w, x = Value(1.0, label="w"), Value(1.0, label="x")
    fn = compile_arrays((w * x).log(), [w], data=[x])
    with pytest.raises(OpError, match=r"local derivative.*\(in sample 1\)$"):
        fn([[1.0, 5e-324, 1.0]])


def test_a_node_of_parameters_alone_follows_the_same_rules():
    """w1 / w2 is one number for every sample; at w2 = 0 it is eager mode's division by zero."""
    w1, w2, x = Value(1.0, label="w1"), Value(2.0, label="w2"), Value(1.0, label="x")
    fn = compile_arrays((w1 / w2) * x, [w1, w2], data=[x])
    assert fn([[1.0, 2.0]], [1.0, 2.0]).grads == [1.5, -0.75]
    with pytest.raises(OpError, match=r"div: the divisor must not be 0.*\(in sample 0\)$"):
        fn([[1.0, 2.0]], [1.0, 0.0])


def test_when_only_the_arrays_overflow_eager_mode_decides_and_gives_its_numbers():
    """check sums values that each are finite: 1e308 + 1e308 overflows the check, not a node."""
    x = Value(1.0, label="x")
    t = x * 1.0
    out = t.tanh() + t * 0.0 + t  # t is checked (tanh hides an inf); out + t overflows the check
    fn = compile_arrays(out, [], data=[x])
    run = fn([[1e308, 2.0, 1e308]])
    assert run.values.tolist() == [1e308 + 1.0, math.tanh(2.0) + 2.0, 1e308 + 1.0]


def test_gradients_that_overflow_only_when_summed_over_the_samples():
    w, x = Value(1.0, label="w"), Value(1.0, label="x")
    fn = compile_arrays(w * x, [w], data=[x])
    with pytest.raises(BackwardError, match=r"at node w = .*summed over the 3 samples"):
        fn([[1e308, 1e308, 1e308]])


# -- the API -----------------------------------------------------------------------------------------

def test_the_call_seed_start_cases_numbers_and_also():
    w, x = Value(2.0, label="w"), Value(0.0, label="x")
    y = w * x
    fn = compile_arrays([y, y * y], [w], data=[x], also=[y], case_notes=["linear", "square"])
    assert "# case 0 (linear): its samples only" in fn.source and "def step(w, x, seed, case0, case1):" in fn.source
    run = fn([[1.0, 3.0]], cases=[0, 1], seed=[0.5, 0.25], start=[10.0])
    # d/dw: 0.5 * x0 + 0.25 * 2 w x1^2 = 0.5 + 9
    assert isinstance(run, ArrayRun) and run.values.tolist() == [2.0, 36.0] and run.grads == [19.5]
    assert run.also.tolist() == [[2.0], [6.0]]
    assert fn([[1.0, 3.0]], [1.0]).values.tolist() == [1.0, 3.0]
    forward = fn.forward([[1.0, 3.0]], cases=[1, 1])
    assert forward.values.tolist() == [4.0, 36.0] and forward.grads == []
    assert "def step_forward(w, x, case0, case1):" in fn.forward_source and "d_w" not in fn.forward_source
    assert repr(fn).startswith("<ArrayLoop step: 2 case(s), 1 inputs, 1 data columns")
    assert fn._repr_markdown_().startswith("```python\ndef step(")


def test_chunks_change_nothing_but_rounding():
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    xs = [Value(0.0, label="x[0]"), Value(0.0, label="x[1]")]
    fn = compile_arrays(nn.losses.mse(model(xs), 0.5), model.parameters(), data=xs)
    X = np.array(nn.data.moons(50, seed=0).X).T
    whole, chunked = fn(X, seed=0.02), fn(X, seed=0.02, chunk=7)
    assert np.allclose(whole.values, chunked.values, rtol=0, atol=0)
    assert all(close(a, b) for a, b in zip(whole.grads, chunked.grads))
    assert CHUNK * 8 < 128 * 1024  # a chunk's arrays stay below the C library's mmap threshold


@pytest.mark.parametrize("call, message", [
    (lambda fn: fn("ab"), "columns must be a list of 1 column"),
    (lambda fn: fn([[1.0], [2.0]]), r"expects 1 column\(s\), one per data= leaf \('x'\), got 2"),
    (lambda fn: fn([[]]), "no samples"),
    (lambda fn: fn([[1.0, math.nan]]), r"column 0 \('x'\) must be finite, got nan at sample 1"),
    (lambda fn: fn([np.zeros((2, 2))]), r"one number per sample \(1-D\), got shape \(2, 2\)"),
    (lambda fn: fn([["a"]]), "must be numbers"),
    (lambda fn: fn([[1.0]], [1.0, 2.0]), r"expects 1 input value\(s\).*'w'.*got 2"),
    (lambda fn: fn([[1.0]], [math.inf]), r"values\[0\] \(w = 0.5\) must be finite"),
    (lambda fn: fn([[1.0]], 3.0), "values must be a list"),
    (lambda fn: fn([[1.0, 2.0]], seed=[1.0]), r"one number per sample \(2\)"),
    (lambda fn: fn([[1.0]], seed=math.nan), "seed must be finite"),
    (lambda fn: fn([[1.0]], start=[1.0, 2.0]), "start must be a list of 1"),
    (lambda fn: fn([[1.0]], cases=[1]), r"cases\[0\] = 1 is not a case number \(0 to 0\)"),
    (lambda fn: fn([[1.0]], cases=[0.5]), "one case number"),
    (lambda fn: fn([[1.0]], numbers=[1, 2]), "numbers has 2 entries for 1 samples"),
])
def test_bad_arguments_are_clear_errors(call, message):
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    fn = compile_arrays(w * x, [w], data=[x])
    with pytest.raises((OperandError, OpError), match=message):
        call(fn)


def test_the_graph_is_checked_when_compiled():
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    with pytest.raises(OperandError, match="at least one leaf"):
        compile_arrays(w * x, [w, x], data=[])
    with pytest.raises(OperandError, match="given twice"):
        compile_arrays(w * x, [w], data=[w])
    with pytest.raises(OperandError, match="plain identifier"):
        compile_arrays(w * x, [w], data=[x], name="a b")
    with pytest.raises(OperandError, match="at least one output"):
        compile_arrays([], [w], data=[x])
    with pytest.raises(OperandError, match="same number of also"):
        product = w * x
        compile_arrays([product, product + x], [w], data=[x], also=[[product], []])


def test_an_op_without_a_numpy_version_is_refused_at_compile_time():
    from autograd.ops import Op

    odd = Op(name="odd", arity=1, forward=math.erf, local=lambda x, out: (1.0,), symbol="odd", text="odd({0})",
             rule_text=("1",), code="fsum([{0}])", local_code=("1.0",))
    x = Value(0.5, label="x")
    with pytest.raises(OperandError, match="calls fsum, which has no NumPy version"):
        compile_arrays(apply(odd, x) * x, [], data=[x])


def test_hostile_labels_reach_the_code_only_as_names_and_comments(tmp_path):
    labels = hostile(tmp_path / "pwned")
    for start in range(0, len(labels), 3):
        shown = labels[start:] + labels[:start]
        w = [Value(0.5 + k, label=shown[k % len(shown)]) for k in range(3)]
        x = Value(2.0, label=shown[3])
        k = Value(-1.5, label=shown[4])
        z = ag.dot(w[:2], [x, k], bias=w[2])
        z.label = shown[5]
        out = (z.tanh() * k + w[0].sigmoid()).relu() + w[1] * 3.0
        out.label = shown[6]
        fn = compile_arrays(out, w, data=[x], also=[out])
        check_source(fn)
        run = fn([[2.0, 1.0]])
        assert close(run.values[0], out.data)
    assert not (tmp_path / "pwned").exists()


def test_the_code_reads_like_the_one_sample_code():
    model = nn.MLP(2, [2, 1], seed=0)
    xs = [Value(0.0, label="x[0]"), Value(0.0, label="x[1]")]
    fn = compile_arrays(nn.losses.hinge(model(xs), 1), model.parameters(), data=xs)
    lines = fn.source.splitlines()
    assert lines[0].startswith("def step(W1_0_0, W1_0_1, b1_0,") and lines[0].endswith("x_0, x_1, seed):")
    assert "    z1_0 = add_all([W1_0_0 * x_0, W1_0_1 * x_1]) + b1_0" in lines
    assert "    h1_0 = maximum(z1_0, 0.0)" in lines
    assert "    d_W1_0_0 = x_0 @ d_z1_0  # dz1_0/dW1_0_0 = x_0, summed over the samples" in lines
    assert "    d_b1_0 = sum(d_z1_0)  # dz1_0/db1_0 = 1, summed over the samples" in lines


# -- NumPy stays optional -------------------------------------------------------------------------------

def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_importing_autograd_and_nn_does_not_import_numpy():
    done = _python("import sys, autograd, nn, autograd.compiling.arrays; print('numpy' in sys.modules)")
    assert done.stdout.strip() == "False", done.stderr


def test_without_numpy_compile_arrays_says_which_extra_installs_it():
    done = _python(
        "import sys; sys.modules['numpy'] = None\n"
        "import autograd as ag, nn\n"
        "from autograd.compiling.arrays import available, compile_arrays\n"
        "x = ag.Value(1.0, label='x')\n"
        "try:\n"
        "    compile_arrays(x * 2.0, [], data=[x])\n"
        "except ag.MissingExtra as e:\n"
        "    print(available(), e)\n")
    assert done.stdout.strip() == ('False compile_arrays: needs numpy, an optional extra: '
                                   'pip install "glassgrad[fast]"'), done.stderr
    assert available()


def test_a_graph_beyond_compiles_budget_is_refused_up_front():
    x = Value(1.0, label="x")
    with pytest.raises(ag.CompileTooLarge, match="compile_arrays: the graph has 130,002 nodes"):
        compile_arrays(ag.sum([x * float(k + 1) for k in range(130_000)]), [], data=[x])
