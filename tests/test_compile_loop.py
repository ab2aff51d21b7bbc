"""autograd.compile_loop, and the promises compiled code keeps as eager mode keeps them: the same
numbers, the same refusals (constant-only and data-only nodes included), threads, bounded size."""

import math
import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Value
from autograd.compiling import MAX_SIZE


# -- the loop equals backward on the graph of all the samples, bit for bit ------------------------

def random_sample_graph(rng: random.Random, n_params: int, n_features: int):
    """A random one-sample graph over parameters w and features x (smooth ops and relu)."""
    w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(n_params)]
    x = [Value(rng.uniform(-1, 1), label=f"x{j}") for j in range(n_features)]

    def build(w, x):
        pool = [*w, *x]
        for _ in range(rng.randint(2, 12)):
            a, b = rng.choice(pool), rng.choice(pool)
            kind = rng.randrange(7)
            node = (a * b if kind == 0 else a + b if kind == 1 else (a - b).tanh() if kind == 2 else
                    a.sigmoid() if kind == 3 else (a * 0.5).relu() if kind == 4 else ag.dot([a, b], [b, a], 0.1)
                    if kind == 5 else (a * a + 1.0).log())
            pool.append(node)
        return ag.sum(pool[-3:])

    return w, x, build


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_samples=st.integers(1, 7))
def test_the_loop_equals_backward_on_all_the_samples_bit_for_bit(seed, n_samples):
    rng = random.Random(seed)
    w, x, build = random_sample_graph(rng, rng.randint(1, 4), rng.randint(1, 3))
    rng_state = rng.getstate()
    loop = ag.compile_loop(build(w, x), w, data=x)
    rows = [[random.Random(seed + k).uniform(-2, 2) for _ in x] for k in range(n_samples)]
    seed_grad = 1.0 / n_samples
    run = loop(rows, seed=seed_grad)

    # eager: one graph of all the samples, the outputs summed with weight seed_grad each
    rng.setstate(rng_state)
    outs = []
    for row in rows:
        rng.setstate(rng_state)  # the same random ops for every sample
        outs.append(build(w, [Value(v) for v in row]))
    total = ag.sum(outs) / n_samples if n_samples > 1 else outs[0]
    ag.zero_grad(total)
    total.backward()
    assert run.values == [o.data for o in outs]
    assert run.grads == [p.grad + 0.0 for p in w]


def test_cases_share_the_model_part_and_each_sample_takes_its_own():
    w = Value(0.5, label="w")
    x = Value(0.0, label="x")
    s = w * x
    hinge_pos, hinge_neg = (1.0 - s).relu(), (s + 1.0).relu()  # hinge for y = 1 and y = -1
    loop = ag.compile_loop([hinge_pos, hinge_neg], [w], data=[x], also=[s], case_notes=["y = 1", "y = -1"])
    assert "case 0: y = 1" in loop.source and "elif case == 1:" in loop.source
    rows, cases = [[1.0], [3.0], [-2.0]], [0, 1, 1]
    run = loop(rows, cases=cases, seed=1.0 / 3)
    outs = [(1.0 - w * v).relu() if c == 0 else (w * v + 1.0).relu() for (v,), c in zip(rows, cases)]
    mean = ag.sum(outs) / 3
    w.grad = 0.0
    mean.backward()
    assert run.values == [o.data for o in outs] and run.grads == [w.grad]
    assert run.also == [[0.5], [1.5], [-1.0]]


def test_start_seeds_the_sums_and_a_tied_leaf_is_one_argument():
    w = Value(1.5, label="w")
    x = Value(0.0, label="x")
    y = w * x + w * w  # w used three times
    loop = ag.compile_loop(y, [w], data=[x])
    run = loop([[2.0], [-1.0]], start=[10.0])
    assert run.grads == [10.0 + (2.0 + 3.0) + (-1.0 + 3.0)]


def test_a_failing_sample_raises_eagers_error_naming_the_sample():
    w = Value(1.0, label="w")
    x = Value(1.0, label="x")
    loop = ag.compile_loop((w * x).log(), [w], data=[x])
    assert loop([[1.0], [2.0]]).values == [0.0, math.log(2.0)]
    with pytest.raises(ag.OpError, match=r"log.*\(in sample 2\)"):
        loop([[1.0], [2.0], [-1.0]])
    with pytest.raises(ag.OpError, match=r"\(in sample 17\)"):
        loop([[1.0], [-1.0]], numbers=[4, 17])


def test_a_gradient_that_overflows_in_one_sample_raises_backward_error():
    w = Value(1.0, label="w")
    x = Value(1.0, label="x")
    loop = ag.compile_loop(((w * 1e-300) * x) * x, [w], data=[x])  # values fine, d(w * 1e-300) = x * x
    with pytest.raises(ag.BackwardError, match=r"overflowed.*\(in sample 1\)"):
        loop([[1.0], [1e200]])


@pytest.mark.parametrize("bad, message", [
    (0.5, "rows must be a list"), ([[1.0, 2.0]], "rows\\[0\\] has 2 value"), ([["a"]], "rows\\[0\\]\\[0\\]"),
    ([[float("nan")]], "rows\\[0\\]\\[0\\]")])
def test_bad_rows_are_refused_clearly(bad, message):
    w, x = Value(1.0, label="w"), Value(1.0, label="x")
    loop = ag.compile_loop(w * x, [w], data=[x])
    with pytest.raises(ag.GlassgradError, match=message):
        loop(bad)


def test_bad_cases_are_refused_clearly():
    w, x = Value(1.0, label="w"), Value(1.0, label="x")
    loop = ag.compile_loop([w * x, w + x], [w], data=[x])
    with pytest.raises(ag.OperandError, match=r"cases\[1\] = 2 is not a case number \(0 to 1\)"):
        loop([[1.0], [2.0]], cases=[0, 2])


# -- the same refusals as eager mode (the reproductions) --------------------------------

def test_a_constant_only_gradient_that_overflows_is_refused_as_eager_refuses_it():
    c = Value(1e-300)
    x, z = Value(1e300, label="x"), Value(1e300, label="z")
    y = (c * x) * z
    with pytest.raises(ag.BackwardError) as eager:
        y.backward()
    fn = ag.compile(y, [x, z])
    with pytest.raises(ag.BackwardError) as compiled:
        fn([1e300, 1e300])
    assert str(compiled.value) == str(eager.value)


def test_a_data_only_infinite_derivative_is_refused_as_eager_refuses_it():
    x, d = Value(1.0, label="x"), Value(4.0, label="d")
    fn = ag.compile(x * d ** 0.5, [x], data=[d])
    assert fn([1.0], [4.0]) == (2.0, [2.0])
    with pytest.raises(ag.OpError) as eager:
        Value(1.0, label="x") * Value(0.0, label="d") ** 0.5
    with pytest.raises(ag.OpError) as compiled:
        fn([1.0], [0.0])
    assert str(compiled.value) == str(eager.value)


def test_every_node_gets_its_gradient_in_the_code_as_backward_gives_it():
    x, c = Value(2.0, label="x"), Value(3.0, label="c")
    fn = ag.compile((x * c).tanh(), [x])
    assert "d_c = x * " in fn.source  # a constant's gradient, computed and checked, not returned


# -- calls made wrong ----------------------------------------------------------------------------

def test_a_compiled_function_called_with_a_number_says_what_it_expects():
    x = Value(2.0, label="x")
    fn = ag.compile(x * x, [x])
    with pytest.raises(ag.OperandError, match=r"step: values must be a list of 1 number\(s\), got float 0.5"):
        fn(0.5)
    with pytest.raises(ag.OperandError, match=r"data must be a list"):
        ag.compile(x * x, [], data=[x])([], 3.0)


@pytest.mark.parametrize("name", [123, None, "two words", "__init__", "def"])
def test_compile_name_must_be_an_identifier(name):
    x = Value(2.0, label="x")
    with pytest.raises(ag.OperandError, match="name must be a plain identifier"):
        ag.compile(x * x, [x], name=name)


# -- threads -------------------------------------------------------------------------------------

def test_compiled_backward_from_8_threads_sharing_parameters_loses_nothing():
    import sys
    ws = [Value(0.5, label=f"w{i}") for i in range(3)]
    x = Value(2.0, label="x")
    fn = ag.compile(ag.sum([w * x for w in ws]), ws)
    calls = 400
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can
    try:
        threads = [threading.Thread(target=lambda: [fn.backward() for _ in range(calls)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert [w.grad for w in ws] == [8 * calls * 2.0] * 3


# -- bounded -------------------------------------------------------------------------------------

def test_a_wide_sum_compiles():
    xs = [Value(float(i), label=f"x{i}") for i in range(30_000)]
    fn = ag.compile(ag.sum(xs), xs)
    value, grads = fn([1.0] * len(xs))
    assert value == 30_000.0 and grads == [1.0] * len(xs)


def test_a_graph_beyond_the_budget_is_refused_up_front_with_the_way_out():
    x = Value(0.5, label="x")
    y = x
    for _ in range(MAX_SIZE // 2 + 1):
        y = y + 1.0
    with pytest.raises(ag.CompileTooLarge, match=r"nodes and .* edges, more than the 250,000 .*backward\(\)"):
        ag.compile(y, [x])
    with pytest.raises(ag.CompileTooLarge):
        ag.compile_loop(y, [x])
    ag.free(y)
