"""A random learner at the keyboard: graphs built, reused and backpropagated in any order.

A hypothesis state machine builds random graphs with every op of the table (shared
nodes, ``a*a``, plain-number constants, ``no_grad`` blocks, detached copies) and calls
``backward``, ``zero_grad``, ``grad`` and ``grad(create_graph=True)`` in random order.
After every step every ``.grad`` is compared with what it must be.

The expected numbers come from a tiny reference evaluator written here, independent of
the engine: for every node the machine keeps a recipe (op, operand nodes, constant), the
value in plain floats, and the first and second partial derivatives of the op written out
by hand below. Derivatives of a root are then computed in *forward* mode with
hyper-dual numbers (a + b e1 + c e2 + d e1 e2, e1**2 = e2**2 = 0): one forward sweep per
seed gives d root / d node exactly, and d2 root / d leaf_i d leaf_j for the second
derivatives. The engine's ``local_grads`` are never read.

Tolerance: alongside every tangent the sweep carries a bound on the sum of the absolute
values of all chain-rule terms (what rounding could perturb), and gradients must agree to
1e-9 of that bound.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import autograd as ag
from autograd import OPS, Value

# Figures for docs/guarantees.md: GLASSGRAD_STATS=1 prints them at the end of the run.
STATS = {"machines": 0, "steps": 0, "nodes": 0, "op errors checked": 0, "backward": 0,
         "grad": 0, "second derivatives": 0, "gradients compared": 0}

OPS_BUILT: dict = {}
MAX_NODES = 36          # the pool of nodes one machine run builds
POOL_LIMIT = 1e6        # nodes bigger than this (or with bigger local derivatives) are not reused
MUST_WORK = 1e100       # below this the engine must give a result, not an OpError
RTOL = 1e-9


class Undefined(Exception):
    """The op is not defined here (log of 0, a negative base...): the engine must raise OpError."""


class NoDerivative(Undefined):
    """The value exists but the derivative does not (0 ** 0.5, (-2) ** 2 with a Value exponent):
    refused when building a graph, computed under ``no_grad`` (which needs no derivative)."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


class Overflow(Exception):
    """Some number overflows: the engine may raise OpError (never return inf)."""


# -- the reference: each op's value and its partial derivatives, by hand ----------------------
#
# A rule gets the operand values and the constant and returns (value, first, second), where
# first[k] = d value / d operand k and second is a dict {(k, l): d2 value / d operand k d operand l}
# holding both (k, l) and (l, k).

def _sig(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _unary(f0, f1, f2):
    return f0, [f1], ({(0, 0): f2} if f2 else {})


def _integer(c):
    return c == math.floor(c)


def _pow_c(x, c):
    if x < 0.0 and not _integer(c):
        raise Undefined("negative base, fractional exponent")
    if x == 0.0 and c < 0.0:
        raise Undefined("0 to a negative power")
    v = math.pow(x, c)
    if x == 0.0 and 0.0 < c < 1.0:
        raise NoDerivative(v)   # infinite slope at 0

    def power(e):  # x**e where the coefficient in front may be 0
        return 0.0 if x == 0.0 and e > 0.0 else math.inf if x == 0.0 and e < 0.0 else math.pow(x, e)

    d1 = 0.0 if c == 0.0 else 1.0 if c == 1.0 else c * power(c - 1.0)
    d2 = 0.0 if c in (0.0, 1.0) else 2.0 if c == 2.0 else c * (c - 1.0) * power(c - 2.0)
    return _unary(v, d1, d2)


def _pow(a, b):
    if (a < 0.0 and not _integer(b)) or (a == 0.0 and b < 0.0):
        raise Undefined("no real value")
    v = math.pow(a, b)
    if a <= 0.0:
        raise NoDerivative(v)   # d/db = a**b log(a) needs a > 0
    la = math.log(a)
    return v, [b * v / a, v * la], {(0, 0): b * (b - 1.0) * v / (a * a), (0, 1): v / a * (1.0 + b * la),
                                    (1, 0): v / a * (1.0 + b * la), (1, 1): v * la * la}


def _rpow_c(x, c):
    if (c < 0.0 and not _integer(x)) or (c == 0.0 and x < 0.0):
        raise Undefined("no real value")
    v = math.pow(c, x)
    if c <= 0.0:
        raise NoDerivative(v)   # d/dx = c**x log(c) needs c > 0
    lc = math.log(c)
    return _unary(v, v * lc, v * lc * lc)


def _div(a, b):
    if b == 0.0:
        raise Undefined("division by 0")
    return a / b, [1.0 / b, -a / (b * b)], {(0, 1): -1.0 / (b * b), (1, 0): -1.0 / (b * b),
                                            (1, 1): 2.0 * a / (b * b * b)}


def _rdiv_c(x, c):
    if x == 0.0:
        raise Undefined("division by 0")
    return _unary(c / x, -c / (x * x), 2.0 * c / (x * x * x))


def _div_c(x, c):
    if c == 0.0:
        raise Undefined("division by 0")
    return _unary(x / c, 1.0 / c, 0.0)


def _log(x):
    if x <= 0.0:
        raise Undefined("log of x <= 0")
    return _unary(math.log(x), 1.0 / x, -1.0 / (x * x))


def _clamped_log(x):
    if x < 0.0:
        raise Undefined("clamped_log of x < 0")
    lifted = x if x >= math.exp(-100.0) else x + math.exp(-100.0)
    return _unary(math.log(lifted), 1.0 / lifted, -1.0 / (lifted * lifted))


def _exp(x):
    v = math.exp(x)
    return _unary(v, v, v)


def _sigmoid(x):
    s = _sig(x)
    return _unary(s, s * (1.0 - s), s * (1.0 - s) * (1.0 - 2.0 * s))


def _tanh(x):
    t = math.tanh(x)
    return _unary(t, 1.0 - t * t, -2.0 * t * (1.0 - t * t))


def _bce(z, y):
    if not 0.0 <= y <= 1.0:
        raise Undefined("label outside [0, 1]")
    s = _sig(z)
    return _unary(max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z))), s - y, s * (1.0 - s))


def _sum(xs, c):
    return math.fsum(xs) + c, [1.0] * len(xs), {}


def _dot(xs, c):  # operands are (*ws, *xs, *bias) with len(ws) == len(xs)
    n = len(xs) // 2
    ws, vs, bias = xs[:n], xs[n:2 * n], xs[2 * n:]
    value = math.fsum([w * x for w, x in zip(ws, vs)]) + sum(bias) + c
    second = {}
    for i in range(n):
        second[(i, n + i)] = second[(n + i, i)] = 1.0
    return value, [*vs, *ws, *([1.0] * len(bias))], second


REFERENCE = {
    "add": lambda a, b: (a + b, [1.0, 1.0], {}),
    "sub": lambda a, b: (a - b, [1.0, -1.0], {}),
    "mul": lambda a, b: (a * b, [b, a], {(0, 1): 1.0, (1, 0): 1.0}),
    "div": _div,
    "pow": _pow,
    "add_c": lambda x, c: _unary(x + c, 1.0, 0.0),
    "sub_c": lambda x, c: _unary(x - c, 1.0, 0.0),
    "rsub_c": lambda x, c: _unary(c - x, -1.0, 0.0),
    "mul_c": lambda x, c: _unary(x * c, c, 0.0),
    "div_c": _div_c,
    "rdiv_c": _rdiv_c,
    "pow_c": _pow_c,
    "rpow_c": _rpow_c,
    "neg": lambda x: _unary(-x, -1.0, 0.0),
    "exp": _exp,
    "log": _log,
    "clamped_log": _clamped_log,
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "relu": lambda x: _unary(x if x > 0.0 else 0.0, 1.0 if x > 0.0 else 0.0, 0.0),
    "abs": lambda x: _unary(abs(x), 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0, 0.0),
    "step": lambda x: _unary(1.0 if x > 0.0 else -1.0, 0.0, 0.0),
    "bce_logits": _bce,
    "sum": _sum,
    "dot": _dot,
}

# how a learner writes each op (the constant, when there is one, comes last)
WRITE = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "add_c": lambda x, c: x + c if isinstance(c, float) else c + x,
    "sub_c": lambda x, c: x - c, "rsub_c": lambda x, c: c - x,
    "mul_c": lambda x, c: c * x if isinstance(c, int) else x * c,
    "div_c": lambda x, c: x / c, "rdiv_c": lambda x, c: c / x,
    "pow_c": lambda x, c: x ** c, "rpow_c": lambda x, c: c ** x,
    "neg": lambda x: -x, "exp": lambda x: x.exp(), "log": lambda x: x.log(),
    "clamped_log": lambda x: x.clamped_log(),
    "sigmoid": lambda x: x.sigmoid(), "tanh": lambda x: x.tanh(), "relu": lambda x: x.relu(),
    "abs": lambda x: abs(x), "step": lambda x: x.step(),
    "bce_logits": lambda z, y: ag.bce_with_logits(z, y),
}
# the trickier ops first: hypothesis leans towards the start of a list when it shrinks
UNARY = ["relu", "abs", "log", "step", "sigmoid", "tanh", "exp", "neg"]
BINARY = ["pow", "div", "mul", "sub", "add"]
FOLDED = ["pow_c", "bce_logits", "rdiv_c", "rpow_c", "div_c", "mul_c", "rsub_c", "sub_c", "add_c"]


def reference_op(name, operands, const, derivative=True):
    """(value, first, second) of op ``name`` in plain floats, or Undefined / Overflow.
    With ``derivative=False`` (under no_grad) a value without a derivative is fine."""
    rule_ = REFERENCE[name]
    try:
        if name in ("sum", "dot"):
            value, first, second = rule_(operands, const)
        elif const is None:
            value, first, second = rule_(*operands)
        else:
            value, first, second = rule_(*operands, const)
    except NoDerivative as e:
        if derivative:
            raise
        value, first, second = e.value, [], {}
    except (OverflowError, ZeroDivisionError, ValueError) as e:   # ValueError: inf - inf in fsum
        raise Overflow(str(e)) from None
    if not math.isfinite(value) or not all(map(math.isfinite, first)):
        raise Overflow("not finite")
    return value, first, second


@dataclass
class Node:
    """A node the machine built: the engine's Value and the recipe to recompute it."""

    value: Value
    data: float                          # the reference value
    parents: tuple = ()                  # indices of operand nodes, in operand order
    first: list = field(default_factory=list)
    second: dict = field(default_factory=dict)
    second_ok: bool = True               # second derivatives finite and nothing near underflow
    expected_grad: float = 0.0
    tolerance: float = 0.0

    @property
    def is_leaf(self):
        return not self.parents


def tangents(nodes, upto, seed1, seed2=None):
    """Forward-mode sweep over nodes[0..upto]: per node (d1, d2, d12, m1, m2, m12), where d1 is
    d node / d nodes[seed1] (seed1 held independent), d2 the same for nodes[seed2], d12 the
    mixed second derivative (both seeds leaves), and m1, m2, m12 bounds on the sums of
    |chain-rule terms| of each."""
    out = [None] * (upto + 1)
    zero = (0.0,) * 6
    for i in range(upto + 1):
        node = nodes[i]
        if i == seed1 and (node.is_leaf or seed2 is None):
            two = 1.0 if i == seed2 else 0.0
            out[i] = (1.0, two, 0.0, 1.0, two, 0.0)
            continue
        if node.is_leaf:
            out[i] = (0.0, 1.0, 0.0, 0.0, 1.0, 0.0) if i == seed2 else zero
            continue
        ts = [out[p] for p in node.parents]
        if all(t is zero for t in ts):
            out[i] = zero
            continue
        d1 = d2 = d12 = m1 = m2 = m12 = 0.0
        for f, t in zip(node.first, ts):
            d1 += f * t[0]
            d2 += f * t[1]
            d12 += f * t[2]
            m1 += abs(f) * t[3]
            m2 += abs(f) * t[4]
            m12 += abs(f) * t[5]
        for (k, l), f in node.second.items():
            d12 += f * ts[k][0] * ts[l][1]
            m12 += abs(f) * ts[k][3] * ts[l][4]
        out[i] = (d1, d2, d12, m1, m2, m12)
    return out


def reachable(nodes, root):
    """Indices of the nodes ``root`` depends on (itself included)."""
    seen, stack = {root}, [root]
    while stack:
        for p in nodes[stack.pop()].parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def close(actual, expected, bound):
    return abs(actual - expected) <= RTOL * bound + 1e-300


# -- strategies --------------------------------------------------------------------------------

moderate = st.floats(-3.0, 3.0, allow_subnormal=False)
special = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5])
leaf_numbers = st.one_of(moderate, special, st.integers(-3, 3), moderate.map(np.float64),
                         st.sampled_from([Fraction(1, 3), np.float32(0.25), True]))
constants = st.one_of(moderate, special, st.integers(-3, 3), st.sampled_from([0.5, 1.5, 2.0, 3.0, -1.0, -2.0]),
                      moderate.map(np.float64), st.just(Fraction(2, 3)))
exponents = st.sampled_from([2, 3, 0.5, -1, 1.5, 0, 1, 2.0, -2.5]) | constants
bad_constants = st.sampled_from([math.inf, -math.inf, math.nan, 10 ** 400, -(10 ** 400)])
labels = st.none() | st.text(max_size=12)
index = st.integers(0, 10 ** 6)


class GraphMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.nodes: list[Node] = []
        STATS["machines"] += 1

    # -- helpers -------------------------------------------------------------------
    def pick(self, i):
        return i % len(self.nodes)

    def admit(self, value, data, parents=(), first=(), second=None, second_ok=True):
        """Check the engine's node against the reference and keep it if it is moderate."""
        assert isinstance(value, Value)
        assert math.isclose(value.data, data, rel_tol=1e-12, abs_tol=1e-300), (value.data, data)
        assert type(value.data) is float and value.grad == 0.0
        STATS["nodes"] += 1
        small = abs(data) <= POOL_LIMIT and all(abs(f) <= POOL_LIMIT for f in first)
        if small and len(self.nodes) < MAX_NODES:
            self.nodes.append(Node(value, data, tuple(parents), list(first), dict(second or {}), second_ok))

    def apply(self, name, operand_ids, const, write, off):
        """Run op ``name`` in the engine and in the reference; both must agree on success."""
        operands = [self.nodes[i] for i in operand_ids]
        try:
            const_f = None if const is None else float(const)
            if const_f is not None and not math.isfinite(const_f):
                raise Undefined("a constant that is not a finite float")
            expected = reference_op(name, [n.data for n in operands], const_f, derivative=not off)
        except (Undefined, OverflowError):   # float(10**400) overflows: refused like inf
            expected = Undefined
        except Overflow:
            expected = Overflow
        if off:
            before = ag.is_grad_enabled()
        try:
            if off:
                with ag.no_grad():
                    assert not ag.is_grad_enabled()
                    result = write(*[n.value for n in operands])
            else:
                result = write(*[n.value for n in operands])
        except ag.OpError as e:
            STATS["op errors checked"] += 1
            assert str(e).startswith(OPS[name].family + ":") or name == "bce_logits", str(e)
            if expected is Undefined or expected is Overflow:
                return None
            value, first, _ = expected
            assert max(abs(value), *map(abs, first)) > MUST_WORK, \
                f"{name}{[n.data for n in operands]} c={const!r}: unexpected OpError {e}"
            return None
        finally:
            if off:
                assert ag.is_grad_enabled() == before   # restored even after an error
        assert expected is not Undefined, f"{name}{[n.data for n in operands]} c={const!r} should be refused"
        assert math.isfinite(result.data)
        if expected is Overflow:   # huge but finite: fine, but not reused
            return None
        value, first, second = expected
        OPS_BUILT[name] = OPS_BUILT.get(name, 0) + 1
        if off:
            assert result.is_leaf and result.op == "" and result.op_def is None
            self.admit(result, value)
            return result
        assert result.op_def is OPS[name]
        assert [id(p) for p in result.parents] == [id(n.value) for n in operands]
        data = [n.data for n in operands]
        second_ok = all(math.isfinite(f) and abs(f) <= MUST_WORK for f in second.values()) and all(
            x == 0.0 or abs(x) >= 1e-60 for x in [*data, value])
        self.admit(result, value, operand_ids, first, second, second_ok)
        return result

    def check_grads_of(self, root, seed):
        """Update the expected grads after ``backward(root, seed)``."""
        reach = reachable(self.nodes, root)
        for n in reach:
            t = tangents(self.nodes, root, n)[root]
            node = self.nodes[n]
            if node.is_leaf:
                node.expected_grad += seed * t[0]
                node.tolerance += abs(seed) * t[3]
            else:
                node.expected_grad = seed * t[0]
                node.tolerance = abs(seed) * t[3]
            STATS["gradients compared"] += 1

    # -- building --------------------------------------------------------------------
    @precondition(lambda self: len(self.nodes) < MAX_NODES)
    @rule(x=leaf_numbers, label=labels)
    def leaf(self, x, label):
        v = Value(x, label=label)
        assert v.is_leaf and v.label == label and v.data == float(x)
        self.admit(v, float(x))

    @precondition(lambda self: self.nodes)
    @rule(name=st.sampled_from(UNARY), i=index, off=st.booleans())
    def unary(self, name, i, off):
        self.apply(name, [self.pick(i)], None, WRITE[name], off)

    @precondition(lambda self: self.nodes)
    @rule(name=st.sampled_from(BINARY), i=index, j=index, same=st.booleans(), off=st.booleans())
    def binary(self, name, i, j, same, off):
        i = self.pick(i)
        j = i if same else self.pick(j)   # a * a, a - a, a / a: one node used twice
        self.apply(name, [i, j], None, WRITE[name], off)

    @precondition(lambda self: self.nodes)
    @rule(name=st.sampled_from(FOLDED), i=index, c=constants | bad_constants, exponent=exponents,
          off=st.booleans())
    def folded(self, name, i, c, exponent, off):
        if name == "pow_c":
            c = exponent
        if name == "bce_logits" and isinstance(c, (float, int, np.floating)) and abs(c) < 10:
            c = abs(c) % 1.0 if math.isfinite(c) else c
        self.apply(name, [self.pick(i)], c, lambda x: WRITE[name](x, c), off)

    @precondition(lambda self: self.nodes)
    @rule(items=st.lists(st.tuples(st.booleans(), index, constants), min_size=1, max_size=6), off=st.booleans())
    def summed(self, items, off):
        ids = [self.pick(i) for is_node, i, _ in items if is_node]
        numbers = [c for is_node, _, c in items if not is_node]
        c = 0.0
        for number in numbers:   # the engine folds plain numbers one by one
            c += float(number)
        mixed = []
        it_ids, it_nums = iter(ids), iter(numbers)
        for is_node, _, _ in items:
            mixed.append(self.nodes[next(it_ids)].value if is_node else next(it_nums))
        if not ids:
            s = ag.sum(mixed)
            assert s.is_leaf and s.data == c
            self.admit(s, c)
            return
        self.apply("sum", ids, c, lambda *vs: ag.sum(mixed), off)

    @precondition(lambda self: self.nodes)
    @rule(n=st.integers(1, 3), data=st.data(), off=st.booleans())
    def dotted(self, n, data, off):
        """dot(ws, xs, bias): plain-number weights or inputs become constant leaves."""
        slots = data.draw(st.lists(st.one_of(index, constants), min_size=2 * n, max_size=2 * n))
        bias = data.draw(st.none() | index | constants)
        if off:
            return   # covered by the other ops; a dot under no_grad folds the constant leaves away
        args = [self.nodes[self.pick(s)].value if isinstance(s, int) and s > 100 else s for s in slots]
        bias_arg = self.nodes[self.pick(bias)].value if isinstance(bias, int) and bias > 100 else bias
        z = ag.dot(args[:n], args[n:], bias=bias_arg)
        # register the constant leaves the engine made for plain numbers, then the dot itself
        ids = []
        for k, a in enumerate(args):
            if isinstance(a, Value):
                ids.append(next(i for i, node in enumerate(self.nodes) if node.value is a))
            else:
                p = z.parents[k]
                assert p.is_leaf and p.label is None and p.data == float(a)
                if len(self.nodes) >= MAX_NODES:
                    return
                self.nodes.append(Node(p, float(a)))
                ids.append(len(self.nodes) - 1)
        c = 0.0
        if isinstance(bias_arg, Value):
            ids.append(next(i for i, node in enumerate(self.nodes) if node.value is bias_arg))
        elif bias_arg is not None:
            c = float(bias_arg)
        value, first, second = reference_op("dot", [self.nodes[i].data for i in ids], c)
        assert z.op_def is OPS["dot"] and len(z.parents) == len(ids)
        assert all(p is self.nodes[i].value for p, i in zip(z.parents, ids))
        self.admit(z, value, ids, first, second)

    @precondition(lambda self: self.nodes)
    @rule(i=index)
    def detach(self, i):
        node = self.nodes[self.pick(i)]
        d = node.value.detach()
        assert d is not node.value and d.is_leaf and d.label == node.value.label
        self.admit(d, node.data)

    @precondition(lambda self: self.nodes)
    @rule(i=index, label=st.text(max_size=30))
    def relabel(self, i, label):
        """Labels are the learner's business: any text, never a crash, never a change in the numbers."""
        v = self.nodes[self.pick(i)].value
        v.label = label
        text = repr(v)
        assert isinstance(text, str) and repr(label) in text

    # -- differentiating ---------------------------------------------------------------
    @precondition(lambda self: self.nodes)
    @rule(i=index, seed=st.one_of(moderate, st.just(1.0), st.integers(-2, 2), moderate.map(np.float64)),
          method=st.booleans())
    def backward(self, i, seed, method):
        root = self.pick(i)
        v = self.nodes[root].value
        order = ag.topological_order(v)
        reach = reachable(self.nodes, root)
        assert {id(n) for n in order} == {id(self.nodes[k].value) for k in reach}
        assert len(order) == len({id(n) for n in order}) and order[-1] is v
        position = {id(n): k for k, n in enumerate(order)}
        assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)
        if method and seed == 1.0:
            v.backward()
        else:
            ag.backward(v, seed)
        self.check_grads_of(root, float(seed))
        STATS["backward"] += 1

    @precondition(lambda self: self.nodes)
    @rule(i=index, method=st.booleans())
    def zero_grad(self, i, method):
        root = self.pick(i)
        (self.nodes[root].value.zero_grad if method else lambda: ag.zero_grad(self.nodes[root].value))()
        for n in reachable(self.nodes, root):
            self.nodes[n].expected_grad = self.nodes[n].tolerance = 0.0

    @precondition(lambda self: self.nodes)
    @rule(i=index, inputs=st.lists(index, min_size=1, max_size=4), single=st.booleans())
    def grad(self, i, inputs, single):
        root = self.pick(i)
        inputs = [self.pick(j) for j in inputs]
        values = [self.nodes[j].value for j in inputs]
        got = ag.grad(self.nodes[root].value, values[0] if single else values)
        got = [got] if single else got
        assert len(got) == (1 if single else len(inputs))
        for j, g in zip(inputs, got):
            assert type(g) is float
            t = tangents(self.nodes, root, j)[root] if j <= root else (0.0,) * 6
            assert close(g, t[0], t[3]), (j, g, t)
            STATS["gradients compared"] += 1
        STATS["grad"] += 1

    @precondition(lambda self: any(n.is_leaf for n in self.nodes))
    @rule(i=index, wrt=index, others=st.lists(index, min_size=1, max_size=3))
    def second_derivative(self, i, wrt, others):
        root = self.pick(i)
        leaves = [k for k, n in enumerate(self.nodes) if n.is_leaf]
        a = leaves[wrt % len(leaves)]
        bs = [leaves[b % len(leaves)] for b in others]
        out, x = self.nodes[root].value, self.nodes[a].value
        reach = reachable(self.nodes, root)
        smooth = all(self.nodes[k].second_ok for k in reach)
        try:
            g = ag.grad(out, x, create_graph=True)
            h = ag.grad(g, [self.nodes[b].value for b in bs])
        except ag.OpError:
            assert not smooth, "grad(create_graph=True) refused a smooth graph"
            return
        assert isinstance(g, Value)
        t = tangents(self.nodes, root, a)[root] if a <= root else (0.0,) * 6
        assert close(g.data, t[0], t[3])
        for b, hb in zip(bs, h):
            t2 = tangents(self.nodes, root, a, b)[root] if max(a, b) <= root else (0.0,) * 6
            if smooth:
                assert close(hb, t2[2], t2[5] + abs(t2[2])), (a, b, hb, t2)
            STATS["gradients compared"] += 1
        STATS["second derivatives"] += 1

    # -- after every step ---------------------------------------------------------------
    @invariant()
    def every_grad_is_what_it_must_be(self):
        STATS["steps"] += 1
        assert ag.is_grad_enabled()
        for k, node in enumerate(self.nodes):
            g = node.value.grad
            assert type(g) is float and math.isfinite(g)
            assert close(g, node.expected_grad, node.tolerance), (k, g, node.expected_grad, node.tolerance)


GraphMachine.TestCase.settings = settings(
    settings.default, stateful_step_count=40, max_examples=3 * settings.default.max_examples, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_random_graphs_in_random_order = pytest.mark.timeout(600)(GraphMachine.TestCase)


def test_the_reference_covers_every_op_of_the_table():
    """A new op in ops.py must get a hand-written reference rule here before it is trusted."""
    assert set(REFERENCE) == set(OPS)
    assert set(WRITE) | {"sum", "dot"} == set(OPS)


@pytest.mark.parametrize("name", sorted(set(OPS) - {"sum", "dot"}))
def test_the_reference_itself_agrees_with_central_differences(name):
    """The reference's hand-written partials checked once against finite differences, so a slip
    in them cannot hide a slip in the engine."""
    points = {"pow": (1.7, -0.6), "div": (1.3, -0.8), "log": (0.7,), "rdiv_c": (0.9,), "pow_c": (1.4,),
              "bce_logits": (0.3,)}
    xs = list(points.get(name, (0.6,) if name not in BINARY else (0.6, -1.1)))
    const = {"bce_logits": 0.3, "pow_c": 2.5, "rpow_c": 1.7}.get(name, 1.9 if name in FOLDED else None)
    _, first, second = reference_op(name, xs, const)
    h = 1e-5
    for k in range(len(xs)):
        up, down = list(xs), list(xs)
        up[k] += h
        down[k] -= h
        v_up, f_up, _ = reference_op(name, up, const)
        v_down, f_down, _ = reference_op(name, down, const)
        assert math.isclose(first[k], (v_up - v_down) / (2 * h), rel_tol=1e-6, abs_tol=1e-8)
        for m in range(len(xs)):
            assert math.isclose(second.get((m, k), 0.0), (f_up[m] - f_down[m]) / (2 * h),
                                rel_tol=1e-5, abs_tol=1e-7), (name, m, k)


if os.environ.get("GLASSGRAD_STATS"):
    import atexit

    atexit.register(lambda: print("\nstate machine:", STATS, OPS_BUILT))
