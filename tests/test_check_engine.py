"""check_engine against micrograd 0.1.0 itself (all gradients match) and against copies of the
lecture's Value with one planted bug each (each pinpointed at the op whose backward is wrong)."""

import math
import random

import pytest

import autograd as ag
from micrograd.engine import Value as MicroValue
from micrograd.nn import MLP as MicroMLP
from test_engine_ops import micrograd_more_ops


# -- the lecture's Value, with switches that plant the classic bugs ----------------------------

class LectureValue:
    bug = ""  # which planted bug this class has

    def __init__(self, data, _children=(), _op="", label=""):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev, self._op, self.label = set(_children), _op, label

    def __add__(self, other):
        other = other if isinstance(other, LectureValue) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            if self.bug == "assign":  # = instead of +=
                self.grad = 1.0 * out.grad
                other.grad = 1.0 * out.grad
            else:
                self.grad += 1.0 * out.grad
                other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, LectureValue) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            if self.bug == "mul_swapped":
                self.grad += self.data * out.grad
                other.grad += other.data * out.grad
            elif self.bug == "mul_assign":  # = instead of +=
                self.grad = other.data * out.grad
                other.grad = self.data * out.grad
            elif self.bug == "mul_no_chain":  # forgets out.grad
                self.grad += other.data
                other.grad += self.data
            else:
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __rmul__ = __mul__

    def __pow__(self, k):
        out = type(self)(self.data ** k, (self,), f"**{k}")

        def _backward():
            e = k if self.bug == "pow_off_by_one" else k - 1
            self.grad += k * self.data ** e * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            local = {"tanh": 1 - t, "tanh_input": 1 - self.data ** 2}.get(self.bug, 1 - t ** 2)
            self.grad += local * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += (self.data if self.bug == "exp_input" else out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "ReLU")

        def _backward():
            self.grad += (1.0 if self.bug == "relu" or out.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        if self.bug == "breadth_first":  # each node once, but no topological order
            self.grad, queue, seen = 1.0, [self], {self}
            for v in queue:
                v._backward()
                fresh = [c for c in v._prev if c not in seen]
                seen.update(fresh)
                queue.extend(fresh)
            return
        topo, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative, as check_engine's own walk
            v, done = stack.pop()
            if done:
                topo.append(v)
            elif v not in seen or self.bug == "no_visited":  # no_visited: a node once per path
                seen.add(v)
                stack.append((v, True))
                stack.extend((c, False) for c in v._prev)
        self.grad = 1.0
        for v in (topo if self.bug == "forward_order" else reversed(topo)):
            v._backward()


def planted(bug):
    return type(f"Value_{bug}", (LectureValue,), {"bug": bug})


def neuron(V, relu=False):
    """The lecture's neuron: o = tanh(x1 w1 + x2 w2 + b), with / and - and exp thrown in."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh() if not relu else n.relu()
    o.label = "o"
    return o, locals()


# -- micrograd itself: all match ---------------------------------------------------------------

def test_micrograd_expression_all_match():
    _, _, g = micrograd_more_ops(MicroValue)
    g.backward()
    report = ag.check_engine(g)
    assert report.ok and report.first_wrong is None and len(report.rows) > 20
    assert "ok" in str(report)


def test_micrograd_mlp_all_match():
    random.seed(1)
    model = MicroMLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0]]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, [1.0, -1.0, -1.0]))
    loss.backward()
    assert ag.check_engine(loss).ok


def test_lecture_value_without_bugs_matches():
    o, _ = neuron(LectureValue)
    e = (2 * o).exp()
    out = (e - 1) / (e + 1)
    out.backward()
    assert ag.check_engine(out).ok


def test_deep_chain_no_recursion():
    """20,000 nodes deep (micrograd's own backward recurses, so the grads are filled by a loop)."""
    x = MicroValue(0.5)
    nodes = [x]
    for _ in range(20_000):
        nodes.append(nodes[-1] * 1.0)
    for node in nodes:
        node.grad = 1.0
    for node in nodes[1:]:
        constant = next(c for c in node._prev if not c._prev and c is not x)
        constant.grad = 0.5  # d/dc (x * c) = x = 0.5
    report = ag.check_engine(nodes[-1])
    assert report.ok and len(report.rows) == 40_001


# -- planted bugs: each pinpointed -----------------------------------------------------------

def test_tanh_one_minus_t():
    o, nodes = neuron(planted("tanh"))
    o.backward()
    report = ag.check_engine(o)
    assert not report.ok and report.first_wrong.node == "n"
    assert report.message.startswith("tanh: your backward gives 0.29289322, expected 0.5 = 1 - out**2")


def test_assign_instead_of_accumulate():
    V = planted("assign")
    a = V(3.0, label="a")
    b = (a + 1.0) + (a + 2.0)  # a used twice, in two adds
    b.label = "b"
    b.backward()
    report = ag.check_engine(b)
    assert not report.ok and report.first_wrong.node == "a"
    assert (report.first_wrong.theirs, report.first_wrong.expected) == (1.0, 2.0)
    assert "+=" in report.hint and "used 2 times" in report.hint


def test_mul_backward_swapped():
    o, nodes = neuron(planted("mul_swapped"))
    o.backward()
    report = ag.check_engine(o)
    assert not report.ok and report.first_wrong.node in ("x1", "w1", "x2", "w2")
    assert report.message.startswith("*: your backward gives")


def test_pow_off_by_one():
    V = planted("pow_off_by_one")
    x = V(3.0, label="x")
    y = x ** 2
    y.backward()
    report = ag.check_engine(y)
    assert report.first_wrong.node == "x" and (report.first_wrong.theirs, report.first_wrong.expected) == (18.0, 6.0)
    assert report.message.startswith("**2: your backward gives 18, expected 6 = 2 * x**(2 - 1)")


def test_relu_passes_gradient_when_off():
    V = planted("relu")
    x, w = V(-1.0, label="x"), V(2.0, label="w")
    o = (x * w).relu()
    o.backward()
    report = ag.check_engine(o)
    assert not report.ok and report.first_wrong.op == "*"
    assert report.message.startswith("ReLU: your backward gives 1, expected 0")


def test_division_and_subtraction_order_from_data():
    class Sub(LectureValue):
        def __sub__(self, other):  # a real two-child '-' op, children kept in a set
            out = Sub(self.data - other.data, (self, other), "-")

            def _backward():
                self.grad += out.grad
                other.grad -= out.grad
            out._backward = _backward
            return out

    a, b = Sub(5.0, label="a"), Sub(2.0, label="b")
    c = a - b
    c.backward()
    assert ag.check_engine(c).ok


def test_root_grad_not_seeded():
    x = MicroValue(2.0)
    y = x * 3
    report = ag.check_engine(y)  # no backward: every grad is 0
    assert not report.ok and "root" in report.message


def test_unknown_op_is_named():
    x = MicroValue(2.0)
    y = MicroValue(8.0, (x,), "cube")
    with pytest.raises(ag.OperandError, match="'cube'"):
        ag.check_engine(y)
    with pytest.raises(ag.OperandError, match=r"ops\['cube'\] must be an autograd Op"):
        ag.check_engine(y, ops={"cube": "x**3"})


def test_ops_adds_an_op_string():
    x = MicroValue(0.5)
    y = MicroValue(1 / (1 + math.exp(-0.5)), (x,), "σ")
    y.grad, x.grad = 1.0, y.data * (1 - y.data)
    assert ag.check_engine(y, ops={"σ": ag.ops.sigmoid}).ok


def test_not_a_graph():
    with pytest.raises(ag.OperandError, match="micrograd-style"):
        ag.check_engine(3.0)


def test_markdown_and_html():
    o, _ = neuron(planted("tanh"))
    o.backward()
    report = ag.check_engine(o)
    assert "| node | op | your grad |" in report._repr_markdown_()
    assert report._repr_html_().startswith("<div>") and "WRONG" in report._repr_html_()
