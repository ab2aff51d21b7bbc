"""Bad input always gets a clear error that names the op and the values, never a NaN or a deep traceback."""

import math

import pytest

import autograd as ag
from autograd import BackwardError, GlassgradError, OpError, OperandError, Value


@pytest.mark.parametrize("make, words", [
    (lambda: Value(0.0, label="x").log(), ["log", "> 0", "x=0.0"]),
    (lambda: Value(-1.0).log(), ["log", "-1.0"]),
    (lambda: Value(1.0, label="a") / 0, ["div", "divisor", "a=1.0", "0.0"]),
    (lambda: Value(1.0) / Value(0.0, label="d"), ["div", "d=0.0"]),
    (lambda: 1 / Value(0.0, label="x"), ["div", "x=0.0"]),
    (lambda: Value(-8.0) ** 0.5, ["pow", "-8.0", "0.5"]),
    (lambda: Value(0.0) ** -1, ["pow", "0.0"]),
    (lambda: Value(0.0, label="x") ** 0.5, ["pow", "x=0.0", "derivative"]),
    (lambda: Value(-2.0) ** Value(2.0), ["pow", "base", "> 0"]),
    (lambda: (-2) ** Value(0.5), ["pow", "> 0"]),
    (lambda: 0 ** Value(1.0), ["pow", "> 0"]),
    (lambda: Value(1000.0, label="t").exp(), ["exp", "too large", "t=1000.0"]),
    (lambda: Value(1e200) * Value(1e200, label="big"), ["mul", "too large", "big=1e+200"]),
    (lambda: Value(10.0) ** 400, ["pow", "too large"]),
    (lambda: Value(5e-324).log(), ["log", "derivative"]),
    (lambda: ag.sum([Value(1e308), Value(1e308)]), ["sum", "too large"]),
    (lambda: Value(1.0) * float("nan"), ["mul", "finite", "nan"]),
    (lambda: Value(1.0) + float("inf"), ["add", "finite", "inf"]),
    (lambda: Value(float("nan")), ["Value", "finite"]),
    (lambda: Value(10 ** 400), ["Value", "too large"]),
    (lambda: ag.bce_with_logits(Value(0.0), 2), ["bce_with_logits", "[0, 1]"]),
])
def test_math_errors_name_the_op_and_the_values(make, words):
    with pytest.raises(OpError) as info:
        make()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    # no chained traceback from deep inside
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


@pytest.mark.parametrize("make, words", [
    (lambda: Value(1.0) + "a", ["add", "str", "'a'"]),
    (lambda: Value(1.0) * None, ["mul", "NoneType"]),
    (lambda: Value(1.0) - [1, 2], ["sub", "list"]),
    (lambda: Value(2.0) * (1 + 2j), ["mul", "complex", "(1+2j)"]),
    (lambda: Value("3"), ["Value", "str"]),
    (lambda: Value(1.0, label=3), ["label", "int"]),
    (lambda: ag.dot([Value(1.0)], [1.0, 2.0]), ["dot", "1 and 2"]),
    (lambda: ag.dot([Value(1.0)], ["x"]), ["dot", "str"]),
    (lambda: ag.dot([], []), ["dot", "at least one"]),
    (lambda: ag.sum(Value(1.0)), ["sum", "single Value"]),
    (lambda: ag.sum(3), ["sum", "iterable", "int"]),
])
def test_non_numbers_are_refused_clearly(make, words):
    with pytest.raises(OperandError) as info:
        make()
    assert isinstance(info.value, TypeError) and isinstance(info.value, GlassgradError)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_a_complex_result_is_never_produced():
    with pytest.raises(OpError, match="pow"):
        Value(-8.0) ** (1 / 3)


@pytest.mark.parametrize("call, words", [
    (lambda: ag.backward(3.0), ["backward", "Value", "float"]),
    (lambda: Value(1.0).backward(float("nan")), ["backward", "finite"]),
    (lambda: Value(1.0).backward("1"), ["backward", "str"]),
    (lambda: ag.grad(Value(1.0), [2.0]), ["grad", "Value", "float"]),
    (lambda: ag.topological_order([Value(1.0)]), ["topological_order", "list"]),
])
def test_backward_on_something_odd(call, words):
    with pytest.raises(GlassgradError) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_an_overflowing_gradient_is_an_error_not_an_inf():
    v = Value(1e-300, label="tiny")
    r = (v * 1e300) * 1e300     # the data (1e300) is finite, but d r / d v = 1e600 is not
    v.grad = 0.25                # from an earlier pass
    with pytest.raises(BackwardError, match="overflow"):
        r.backward()
    assert v.grad == 0.25        # a failed pass changes nothing: no inf left behind
    assert all(n.grad == 0.0 for n in ag.topological_order(r) if n.parents)
    with pytest.raises(BackwardError, match="overflow"):
        ag.grad(r * 10, v)
    with pytest.raises(BackwardError, match="overflow"):
        ag.grad(r * 10, v, create_graph=True)


def test_errors_are_also_the_builtin_kinds_people_catch():
    with pytest.raises(ValueError):
        Value(0.0).log()
    with pytest.raises(ArithmeticError):
        Value(1.0) / 0
    with pytest.raises(TypeError):
        Value(1.0) + "a"
