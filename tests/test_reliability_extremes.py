"""Extreme numbers: near overflow, subnormal, signed zeros, ints beyond float range, numpy scalars.

The promise: every op gives a finite float (with finite local derivatives) or an ``OpError``
that names the op; backward and grad give finite gradients or a ``BackwardError``. Never an
inf, a NaN, a complex number, or an exception of another kind.

Values are checked against the reference rules of ``test_reliability_state_machine`` (the
same float formulas, so they must agree to the last bits); local derivatives against its
hand-written partials wherever the numbers are in a range where both formulas are exact
enough to compare.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import OPS, Value
from test_reliability_state_machine import BINARY, FOLDED, UNARY, WRITE, Overflow, Undefined, reference_op

STATS = {"op calls": 0, "op errors": 0, "backward errors": 0}

finite = st.floats(allow_nan=False, allow_infinity=False)
edges = st.sampled_from([
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-160, 1.0, -1.0,
    709.78, 709.79, -745.2, 710.0, 1e154, 1e155, 1.7976931348623157e308, -1.7976931348623157e308,
    0.5, 2.0, 3.0, -2.0, 1e-20, 36.7, -36.7,
])
numbers_ = st.one_of(finite, edges, st.integers(-10, 10))
# what a learner might hand over as a number: Python ints of any size, numpy scalars, fractions
raw = st.one_of(
    numbers_,
    st.integers(),
    st.sampled_from([10 ** 308, 10 ** 309, -(10 ** 400), 2 ** 1023, 2 ** 1024, True, False]),
    finite.map(np.float64), st.floats(width=32, allow_nan=False, allow_infinity=False).map(np.float32), st.integers(-2 ** 63, 2 ** 63 - 1).map(np.int64),
    st.sampled_from([np.float16(65504), np.uint64(2 ** 64 - 1), np.longdouble("1e400"),
                     np.float32(1e-45), Fraction(10 ** 400, 3), Fraction(1, 10 ** 400)]),
)


def as_float(x):
    """The float the engine should see, or None when there is none (too large, not finite)."""
    try:
        f = float(x)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def check_node(node, name):
    assert isinstance(node, Value)
    assert type(node.data) is float and math.isfinite(node.data)
    assert all(type(g) is float and math.isfinite(g) for g in node.local_grads)
    assert node.op_def is OPS[name]


def comparable(*xs):
    return all(x == 0.0 or 1e-150 <= abs(x) <= 1e150 for x in xs)


def run(name, operand_values, const):
    """Build op ``name`` on extreme operands; check it against the reference."""
    STATS["op calls"] += 1
    operands = [Value(x) for x in operand_values]
    try:
        expected = reference_op(name, operand_values, const)
    except Undefined:
        expected = Undefined
    except Overflow:
        expected = Overflow
    try:
        if name == "sum":
            node = ag.sum([*operands, const])
        elif name == "dot":
            n = len(operands) // 2
            node = ag.dot(operands[:n], operands[n:], bias=const)
        else:
            node = WRITE[name](*operands, *(() if const is None else (const,)))
    except ag.OpError as e:
        STATS["op errors"] += 1
        message = str(e)
        assert message.startswith(f"{OPS[name].family}:") or name == "bce_logits", message
        assert "\n" not in message and len(message) < 400
        if isinstance(expected, tuple):   # refused although the reference has a result: only near overflow
            value, first, _ = expected
            assert max(abs(value), *map(abs, first)) > 1e250, (name, operand_values, const, message)
        return None
    check_node(node, name)
    assert expected is not Undefined, (name, operand_values, const, node)
    if isinstance(expected, tuple):
        value, first, _ = expected
        assert node.data == value or math.isclose(node.data, value, rel_tol=1e-13), (node.data, value)
        if comparable(value, *operand_values, *first, *(node.local_grads)):
            for got, want in zip(node.local_grads, first):
                assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-300), (name, operand_values, got, want)
    return node


@given(name=st.sampled_from(UNARY), x=numbers_)
def test_unary_ops_on_extreme_inputs_give_a_finite_float_or_an_op_error(name, x):
    run(name, [float(x)], None)


@given(name=st.sampled_from(BINARY), a=numbers_, b=numbers_)
def test_binary_ops_on_extreme_inputs_give_a_finite_float_or_an_op_error(name, a, b):
    run(name, [float(a), float(b)], None)


@given(name=st.sampled_from(FOLDED), x=numbers_, c=numbers_)
def test_ops_with_a_constant_on_extreme_inputs_give_a_finite_float_or_an_op_error(name, x, c):
    if name == "bce_logits" and abs(c) <= 1:
        c = abs(c)
    run(name, [float(x)], float(c))


@given(xs=st.lists(numbers_, min_size=1, max_size=6), c=numbers_)
def test_sum_and_dot_on_extreme_inputs(xs, c):
    run("sum", [float(x) for x in xs], float(c))
    n = len(xs) // 2
    if n:
        run("dot", [float(x) for x in xs[:2 * n]], float(c))


@given(x=raw)
def test_any_number_becomes_a_float_leaf_or_a_clear_error(x):
    expected = as_float(x)
    if expected is None:
        with pytest.raises(ag.OpError, match=r"^Value: data (must be finite|.* is too large for a float)"):
            Value(x)
        return
    v = Value(x)
    assert type(v.data) is float and v.data == expected
    assert math.copysign(1.0, v.data) == math.copysign(1.0, expected)   # -0.0 stays -0.0


@given(x=raw, op=st.sampled_from(["+", "-", "*", "/", "**", "r+", "r-", "r*", "r/", "r**"]), base=numbers_)
def test_any_number_as_a_constant_folds_or_fails_clearly(x, op, base):
    if isinstance(x, Fraction) and op == "r**" and as_float(x) is None:
        return   # Fraction.__pow__ itself calls float(x) and overflows before the engine is asked
    v = Value(float(base))
    write = {"+": lambda: v + x, "-": lambda: v - x, "*": lambda: v * x, "/": lambda: v / x,
             "**": lambda: v ** x, "r+": lambda: x + v, "r-": lambda: x - v, "r*": lambda: x * v,
             "r/": lambda: x / v, "r**": lambda: x ** v}[op]
    try:
        out = write()
    except ag.OpError as e:
        assert "\n" not in str(e)
        return
    assert isinstance(out, Value), type(out)          # never a numpy array or a bare float
    assert type(out.data) is float and math.isfinite(out.data)
    assert as_float(x) is not None and out.const == as_float(x)
    assert all(math.isfinite(g) for g in out.local_grads)


@pytest.mark.parametrize("x", [10 ** 309, -(10 ** 400), 2 ** 1024, Fraction(10 ** 400, 3)])
def test_ints_beyond_float_range_are_refused_by_name(x):
    v = Value(1.0, label="x")
    for write in (lambda: Value(x), lambda: v + x, lambda: x * v, lambda: v ** x, lambda: ag.sum([v, x]),
                  lambda: ag.dot([v], [x]), lambda: ag.dot([v], [v], bias=x)):
        with pytest.raises(ag.OpError, match="too large for a float"):
            write()


def test_numpy_scalars_of_every_kind_become_python_floats():
    x = Value(2.0)
    for scalar in (np.float16(1.5), np.float32(1.5), np.float64(1.5), np.longdouble(1.5), np.int8(3),
                   np.int64(3), np.uint64(7)):
        for out in (Value(scalar), x * scalar, scalar * x, scalar - x, scalar ** x, x ** scalar,
                    ag.sum([x, scalar]), ag.dot([x], [scalar], bias=scalar)):
            assert isinstance(out, Value) and type(out.data) is float
            assert out.const is None or type(out.const) is float
            assert all(type(p.data) is float for p in out.parents)
    assert Value(np.uint64(2 ** 64 - 1)).data == 2.0 ** 64
    (x * np.float32(3.0)).backward(np.float32(2.0))
    assert type(x.grad) is float and x.grad == 6.0


def test_signed_zeros():
    zero, minus_zero = Value(0.0), Value(-0.0)
    assert math.copysign(1.0, minus_zero.data) == -1.0
    assert minus_zero.relu().data == 0.0 and minus_zero.relu().local_grads == (0.0,)
    assert minus_zero.abs().data == 0.0 and minus_zero.abs().local_grads == (0.0,)
    assert minus_zero.step().data == -1.0 and zero.step().data == -1.0   # step(x) = 1 only for x > 0
    assert (minus_zero * 5).data == 0.0
    for refused in (lambda: 1 / minus_zero, lambda: minus_zero.log(), lambda: Value(3.0) / minus_zero,
                    lambda: minus_zero ** -1, lambda: minus_zero ** 0.5, lambda: minus_zero ** Value(2.0)):
        with pytest.raises(ag.OpError):
            refused()
    assert (minus_zero ** 2).data == 0.0 and (minus_zero ** 0).data == 1.0
    y = minus_zero * minus_zero + zero
    y.backward()
    assert minus_zero.grad == 0.0 and zero.grad == 1.0


@pytest.mark.parametrize("x", [5e-324, -5e-324, 2.2250738585072014e-308, 1e-310])
def test_subnormals(x):
    v = Value(x, label="tiny")
    assert (v * 1.0).data == x and (v + 0.0).data == x and (-v).data == -x
    assert v.sigmoid().data == 0.5 and v.tanh().data == x and v.exp().data == 1.0
    assert (v * v).data == 0.0                                   # underflows quietly to 0, a finite float
    y = v * 1e300
    y.backward()
    assert v.grad == 1e300
    with pytest.raises(ag.OpError, match="^div:"):
        Value(1.0) / v                                           # 1 / tiny overflows: refused, never inf
    if x > 0 and 1.0 / x == math.inf:
        with pytest.raises(ag.OpError, match="^log: .*derivative"):
            v.log()                                             # log is finite but d/dx = 1/x is not
        with ag.no_grad():
            assert math.isclose(v.log().data, math.log(x))       # ...and without a graph the value is fine


@pytest.mark.parametrize("make", [
    lambda x: x.exp(), lambda x: x * x, lambda x: x ** 3, lambda x: 10 ** x, lambda x: x / 1e-300,
    lambda x: ag.sum([x, x]), lambda x: ag.dot([x, x], [x, x]), lambda x: x * 2,
])
def test_overflow_is_an_op_error_naming_the_op(make):
    with pytest.raises(ag.OpError, match="too large for a float|infinite"):
        make(Value(1.7976931348623157e308, label="big"))


@pytest.mark.parametrize("x", [1e308, -1e308, 1e300, -1e300, 745.2, -745.2])
def test_saturating_ops_stay_finite_at_the_ends_of_the_float_range(x):
    v = Value(x)
    for node in (v.sigmoid(), v.tanh(), v.relu(), abs(v), v.step(), ag.bce_with_logits(v, 0),
                 ag.bce_with_logits(v, 1), ag.bce_with_logits(v, 0.5)):
        assert math.isfinite(node.data) and all(math.isfinite(g) for g in node.local_grads)
    assert v.sigmoid().data in (0.0, 1.0) or abs(x) < 1e3
    loss = ag.bce_with_logits(v, 1.0 if x > 0 else 0.0)           # confidently right: loss ~ 0
    assert loss.data < 1e-300 or abs(x) < 1e3


def chain_of(ops, x0):
    x = Value(x0, label="x")
    y = x
    for op in ops:
        y = op(y)
    return x, y


growing = [lambda y: y * 1e50, lambda y: y * y, lambda y: y.exp(), lambda y: y ** 3, lambda y: y * 1e-50,
           lambda y: y.tanh(), lambda y: y + 1e300, lambda y: 1e300 * y, lambda y: y / 1e-300]


@settings(max_examples=2 * settings.default.max_examples)
@given(steps=st.lists(st.sampled_from(range(len(growing))), min_size=1, max_size=12), x0=numbers_,
       seed=st.one_of(numbers_, st.sampled_from([1e308, -1e308, 5e-324])))
def test_backward_and_grad_give_finite_gradients_or_a_backward_error(steps, x0, seed):
    try:
        x, y = chain_of([growing[k] for k in steps], x0)
    except ag.OpError:
        return
    try:
        ag.backward(y, seed)
    except ag.BackwardError as e:
        STATS["backward errors"] += 1
        assert "overflowed" in str(e) and "\n" not in str(e)
    else:
        assert all(math.isfinite(n.grad) for n in ag.topological_order(y))
    try:
        g = ag.grad(y, x)
    except ag.BackwardError:
        pass
    else:
        assert type(g) is float and math.isfinite(g)
    try:
        g2 = ag.grad(y, x, create_graph=True)
    except (ag.BackwardError, ag.OpError):
        pass
    else:
        assert isinstance(g2, Value) and math.isfinite(g2.data)


def test_an_overflowing_seed_is_refused_before_anything_changes():
    x = Value(2.0)
    y = x * 3
    for seed in (math.inf, math.nan, 10 ** 400, "1", None, 1j):
        with pytest.raises((ag.OpError, ag.OperandError)):
            ag.backward(y, seed)
    assert x.grad == 0.0 and y.grad == 0.0


def test_large_but_finite_gradients_are_kept_exactly():
    x = Value(1e-300, label="x")
    y = x * 1e300 * 1e8
    y.backward()
    assert x.grad == 1e308
    assert ag.grad(y, x) == 1e308



def overflowing_graph():
    """Each local derivative is 1e200, finite; their product 1e400 is not."""
    x = Value(1e-200, label="x")
    return x, x * 1e200 * 1e200


def test_a_failed_backward_leaves_no_infinite_grad_behind():
    x, y = overflowing_graph()
    with pytest.raises(ag.BackwardError):
        y.backward()
    assert all(math.isfinite(n.grad) for n in ag.topological_order(y)), x.grad


def test_trace_of_an_overflowing_gradient_is_a_clear_error_not_inf():
    x, y = overflowing_graph()
    try:
        t = ag.trace(y)
    except ag.GlassgradError:
        return
    assert all(math.isfinite(g) for g in t.grads.values()), t.grads[x]


def test_explain_of_an_overflowing_gradient_is_a_clear_error():
    x, y = overflowing_graph()
    with pytest.raises(ag.BackwardError, match="overflowed"):
        ag.explain(x, y)


# -- optimizers: a step on extreme gradients is whole or nothing ------------------------------------------

huge_or_tiny = st.one_of(finite, st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0, 1e-300, 1e300]))


@settings(max_examples=2 * settings.default.max_examples)
@given(kind=st.sampled_from(["sgd", "momentum", "decay", "adam"]),
       lr=st.one_of(st.floats(1e-6, 10.0), st.sampled_from([1e300, 1e308, 5e-324])),
       start=st.lists(huge_or_tiny, min_size=3, max_size=3),
       grads=st.lists(st.lists(huge_or_tiny, min_size=3, max_size=3), min_size=1, max_size=4))
def test_an_optimizer_step_keeps_every_parameter_finite_or_changes_nothing(kind, lr, start, grads):
    import nn

    params = [Value(v, label=f"w{i}") for i, v in enumerate(start)]
    make = {"sgd": lambda: nn.optim.SGD(params, lr=lr), "momentum": lambda: nn.optim.SGD(params, lr=lr, momentum=0.9),
            "decay": lambda: nn.optim.SGD(params, lr=lr, weight_decay=0.1),
            "adam": lambda: nn.optim.Adam(params, lr=lr)}[kind]
    try:
        opt = make()
    except nn.InputError:
        return
    import copy

    def state():   # the optimizer's own numbers (momentum, moments, step count), whatever it calls them
        return copy.deepcopy({k: v for k, v in vars(opt).items() if k != "params"})

    for step in grads:
        before, kept = [p.data for p in params], state()
        for p, g in zip(params, step):
            p.grad = g
        try:
            opt.step()
        except (nn.InputError, ag.OpError) as e:
            assert [p.data for p in params] == before, "a failed step changed parameters"
            assert state() == kept, "a failed step changed the optimizer's state"
            assert "\n" not in str(e)
            return
        assert all(type(p.data) is float and math.isfinite(p.data) for p in params), [p.data for p in params]
