"""The engine as a learner reads it, and the Value contract a learner relies on.

value.py, ops.py and backprop.py are read right after micrograd's engine.py: every op is a
real method showing its op, every node holds plain parents / local_grads / op_def, backward
is the loop it is taught as, and a Value always holds finite floats.
"""

import inspect
import subprocess
import sys
import threading

import pytest

import autograd as ag
from autograd import OpError, OperandError, Value, backprop, ops
from autograd.errors import BackwardError

METHODS = {"__add__": "add", "__radd__": "add_c", "__sub__": "sub", "__rsub__": "rsub_c",
           "__mul__": "mul", "__rmul__": "mul_c", "__truediv__": "div", "__rtruediv__": "rdiv_c",
           "__pow__": "pow", "__rpow__": "rpow_c", "__neg__": "neg", "abs": "abs", "exp": "exp",
           "log": "log", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "step": "step"}


@pytest.mark.parametrize("method, op", METHODS.items())
def test_every_op_method_is_a_short_def_naming_its_table_entry(method, op):
    source = inspect.getsource(getattr(Value, method))
    assert source.lstrip().startswith(f"def {method}(")
    assert f"ops.{op}" in source and len(source.splitlines()) <= 6
    assert "local derivative" in getattr(Value, method).__doc__


def test_a_node_holds_plain_tuples_of_parents_and_local_grads():
    for name in ("parents", "local_grads", "op_def", "const"):  # label, data, grad: checked properties
        assert name in Value.__slots__ and not isinstance(getattr(Value, name), property)
    a = Value(3.0)
    y = a * a
    assert type(y.parents) is tuple and y.parents == (a, a) and y.local_grads == (3.0, 3.0)
    assert y.op_def is ops.mul and y.op == "*"


def test_backward_is_the_loop_it_is_taught_as():
    source = inspect.getsource(backprop.backward)
    assert "for node in reversed(order):" in source
    assert "for parent, local in zip(node.parents, node.local_grads):" in source
    assert "parent.grad += local * node.grad" in source
    walk = inspect.getsource(backprop.topological_order)
    body = [line for line in walk.split('"""')[2].splitlines() if line.strip()]
    assert len(body) <= 22


def test_a_million_deep_chain_at_the_default_recursion_limit():
    code = ("import sys; from autograd import Value, topological_order\n"
            "assert sys.getrecursionlimit() == 1000\n"
            "x = Value(1.0); y = x\n"
            "for _ in range(10**6): y = y * 1.0000001\n"
            "y.backward(); print(len(topological_order(y)), round(x.grad, 6))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1000001", str(round(1.0000001 ** 10 ** 6, 6))]


# -- higher derivatives through division stay finite -------------------------------------------

def test_the_sixth_derivative_of_tanh_written_with_divisions():
    x = Value(-7.0)
    e = (-2 * x).exp()
    d = (1 - e) / (1 + e)
    for _ in range(6):
        d = ag.grad(d, x, create_graph=True)
    assert d.data == pytest.approx(0.00010643001182233877, rel=1e-8)   # sympy, 20 digits


def test_division_of_tiny_numbers_is_an_ordinary_float():
    a, b = Value(1e-300), Value(1e-200)
    q = a / b
    q.backward()
    assert q.data == pytest.approx(1e-100)
    assert a.grad == pytest.approx(1e200) and b.grad == pytest.approx(-1e-100 / 1e-200)
    for make in (lambda x: 1.0 / x, lambda x: Value(1.0) / x):
        x = Value(1e-154)               # x * x = 1e-308 is subnormal: the rules must not square x
        make(x).backward()
        assert x.grad == pytest.approx(-1e308, rel=1e-12)


# -- the Value contract: always finite floats ------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "x", None, [1.0], 1j])
def test_data_and_grad_refuse_anything_but_a_finite_number(bad):
    v = Value(1.0, label="w")
    with pytest.raises((OpError, OperandError), match=r"^Value: data"):
        v.data = bad
    with pytest.raises((OpError, OperandError), match=r"^Value: grad"):
        v.grad = bad
    assert (v.data, v.grad) == (1.0, 0.0)


def test_data_and_grad_take_ints_and_numpy_numbers_as_floats():
    np = pytest.importorskip("numpy")
    v = Value(np.float32(0.5))
    v.data = np.int64(3)
    v.grad = True
    assert (type(v.data), v.data, type(v.grad), v.grad) == (float, 3.0, float, 1.0)
    assert (v * np.bool_(True)).data == 3.0 and Value(np.bool_(False)).data == 0.0


def test_a_value_of_a_value_says_what_to_do():
    with pytest.raises(OperandError, match=r"data is already a Value .*detach"):
        Value(Value(2.0))


def test_star_import_does_not_replace_the_builtin_sum():
    namespace = {}
    exec("from autograd import *\nresult = sum(range(10))", namespace)  # noqa: S102 - a test
    assert namespace["result"] == 45 and "Value" in namespace
    assert ag.sum([Value(1.0), 2]).data == 3.0


# -- coming from micrograd and PyTorch --------------------------------------------------------------

def test_order_comparisons_and_truth_use_the_data():
    a, b = Value(2.0), Value(3.0)
    assert a < b and b > 2 and a >= 2 and a <= 2.0 and not a > 5
    assert bool(Value(0.5)) and not Value(0.0)


def test_equality_is_identity_and_with_a_number_says_so():
    a = Value(2.0)
    assert a == a and a != Value(2.0) and a in {a: 1} and a != None  # noqa: E711
    with pytest.raises(TypeError, match=r"v\.data == 2\.0"):
        a == 2.0  # noqa: B015


@pytest.mark.parametrize("name, hint", [("_prev", "parents"), ("_backward", "topological_order"),
                                        ("_op", "op_def"), ("_children", "parents")])
def test_micrograd_names_point_to_ours(name, hint):
    with pytest.raises(AttributeError, match=hint):
        getattr(Value(1.0), name)
    with pytest.raises(AttributeError, match=r"no attribute 'nothing'$"):
        Value(1.0).nothing


# -- failing passes and threads ---------------------------------------------------------------------

def test_a_failed_backward_changes_no_grad_at_all():
    v = Value(1e-300, label="tiny")
    mid = v * 1e300
    r = mid * 1e300
    mid.grad, r.grad, v.grad = 5.0, 6.0, 0.25
    with pytest.raises(BackwardError, match="no .grad was changed"):
        r.backward()
    assert (v.grad, mid.grad, r.grad) == (0.25, 5.0, 6.0)


def test_a_failing_backward_in_one_thread_keeps_another_threads_gradient():
    shared = Value(1.0, label="w")
    good = shared * 1.0
    bad = ((shared * 1e-300) * 1e300) * 1e300  # finite data, but d bad / d (shared * 1e-300) = 1e600

    def accumulate():
        for _ in range(2000):
            good.backward()

    def fail():
        for _ in range(200):
            with pytest.raises(BackwardError):
                bad.backward()

    threads = [threading.Thread(target=accumulate) for _ in range(4)] + [threading.Thread(target=fail)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert shared.grad == 8000.0


# -- Python protocols on deep graphs ----------------------------------------------------------------

def deep_graph(depth=100_000):
    x = Value(2.0, label="x")
    y = x
    for _ in range(depth):
        y = y * 1.0000001 + 0.5
    return x, (y * x).sigmoid()


def test_a_deep_graph_pickles_and_keeps_shared_leaves_shared():
    import pickle

    x, z = deep_graph()
    x2, z2 = pickle.loads(pickle.dumps([x, z]))
    assert z2.data == z.data and z2.op == "σ" and z2.parents[0].parents[1] is x2
    z.backward()
    z2.backward()
    assert x2.grad == x.grad


def test_a_deep_graph_deep_copies_and_copies():
    import copy

    x, z = deep_graph()
    d = copy.deepcopy(z)
    assert d is not z and d.data == z.data
    leaf = ag.topological_order(d)[0]
    assert leaf is not x and leaf.label == "x"
    c = copy.copy(z)
    assert c is not z and c.parents[0] is z.parents[0]


def test_a_derivative_too_steep_for_a_float_says_so_not_out_of_domain():
    with pytest.raises(OpError, match=r"^log: its local derivative at this input is too large"):
        Value(5e-324).log()
