"""check_engine names the wrong op wherever its node sits: each planted bug on graphs where the
wrong node has several uses (micrograd's own examples and the lecture's), a walk that is wrong
while every op is right alone, engines it cannot run alone, and graphs that are no graphs."""

import math

import pytest

import autograd as ag
from micrograd.engine import Value as MicroValue
from test_check_engine import LectureValue, planted
from test_engine_ops import micrograd_more_ops


# -- graphs: micrograd's examples and the lecture's, every node that matters labelled ------------

def sanity(V):
    """micrograd's test_sanity_check: x, z and q are each used several times."""
    x = V(-4.0, label="x")
    z = 2 * x + 2 + x
    z.label = "z"
    q = z.relu() + z * x
    q.label = "q"
    h = (z * z).relu()
    h.label = "h"
    y = h + q + q * x
    y.label = "y"
    return y


def more_ops(V):
    """micrograd's test_more_ops (a and b used many times, c and d rebound)."""
    a, b, g = micrograd_more_ops(V)
    a.label, b.label = "a", "b"
    return g


def power(V):
    """a feeds **2, * and +."""
    a = V(2.0, label="a")
    b = a ** 2
    b.label = "b"
    y = b * a + a
    y.label = "y"
    return y


def exp_shared(V):
    """x feeds exp, * and +."""
    x = V(0.5, label="x")
    e = x.exp()
    e.label = "e"
    y = e * x + x
    y.label = "y"
    return y


def tanh_shared(V):
    """The lecture's neuron input n feeds tanh, * and +."""
    x, w = V(0.5, label="x"), V(-0.8, label="w")
    n = x * w + x
    n.label = "n"
    t = n.tanh()
    t.label = "t"
    o = t * n + n
    o.label = "o"
    return o


def lecture_neuron_exp(V):
    """The lecture's neuron with tanh written through exp: e feeds - and +."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    e = (2 * n).exp()
    e.label = "e"
    o = (e - 1) / (e + 1)
    o.label = "o"
    return o


def nodes_of(root):
    """Every node of their graph, by identity."""
    seen, stack = {id(root): root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def uses(root, label):
    """How many nodes of root's graph have the node labelled ``label`` among their children."""
    (node,) = [n for n in nodes_of(root) if n.label == label]
    return sum(1 for n in nodes_of(root) if any(c is node for c in n._prev))


def checked(bug, build):
    root = build(planted(bug))
    root.backward()
    return root, ag.check_engine(root)


# -- right engines: all ok, every op run alone -------------------------------------------------

@pytest.mark.parametrize("build", [sanity, more_ops])
def test_micrograd_itself_ok_and_every_op_run_alone(build):
    root = build(MicroValue) if build is more_ops else None
    if root is None:  # micrograd's Value takes no label: the same expression without labels
        x = MicroValue(-4.0)
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        root = h + q + q * x
    root.backward()
    report = ag.check_engine(root)
    assert report.ok and report.message == ""
    ran = {c.op for c in report.alone if not c.skipped}
    assert ran == {n._op for n in nodes_of(root) if n._prev}
    assert all(c.ok for c in report.alone)
    assert "WRONG" not in report.alone_summary() and "+ ok at " in report.alone_summary()


@pytest.mark.parametrize("build", [sanity, more_ops, power, exp_shared, tanh_shared, lecture_neuron_exp])
def test_lecture_value_without_bugs_ok(build):
    root = build(LectureValue)
    root.backward()
    report = ag.check_engine(root)
    assert report.ok, str(report)
    assert all(c.ok for c in report.alone) and report.alone


# -- each planted bug, named at its op, where the wrong node has several uses -------------------

PLANTED = [
    # bug, graph, first wrong node, the op named, words of the hint
    ("pow_off_by_one", power, "a", "**2", "lowers the exponent"),
    ("exp_input", exp_shared, "x", "exp", "uses the input x"),
    ("tanh_input", tanh_shared, "n", "tanh", "squares the input"),
    ("tanh", tanh_shared, "n", "tanh", "t not squared"),
    ("relu", sanity, "z", "ReLU", "only where its input is > 0"),
]


@pytest.mark.parametrize("bug, build, node, op, hint", PLANTED)
def test_wrong_local_derivative_named_under_several_uses(bug, build, node, op, hint):
    root, report = checked(bug, build)
    assert not report.ok and report.first_wrong.node == node
    assert uses(root, node) >= 2  # the case the old check could only list the uses for
    assert report.message.startswith(f"{op}: your backward gives ")
    assert f"node {node} feeds" in report.message  # and the uses are still listed
    assert hint in report.hint
    alone = [c for c in report.alone if c.op == op]
    assert alone and not any(c.ok for c in alone if c.op_def.name != "relu")


def test_pow_numbers_alone():
    _, report = checked("pow_off_by_one", power)
    # at a = 2: the backward gives 2 * 2**2 = 8 where 2 * 2**1 = 4 belongs
    assert "your backward gives 8, expected 4 = 2 * a**(2 - 1), run alone at a = 2" in report.message


def test_exp_named_on_the_lecture_neuron():
    _, report = checked("exp_input", lecture_neuron_exp)
    assert report.message.startswith("exp: your backward gives ")
    assert uses(lecture_neuron_exp(LectureValue), "e") == 2


@pytest.mark.parametrize("bug, op", [("assign", "+"), ("mul_assign", "*")])
@pytest.mark.parametrize("build", [sanity, more_ops])
def test_assign_for_accumulate_named(bug, op, build):
    root, report = checked(bug, build)
    assert not report.ok
    assert report.message.startswith(f"{op}: your backward overwrites its operands' grads")
    assert "+=" in report.hint
    first = report.first_wrong
    assert "feeds" in report.message and f"yours is {first.theirs:.8g}" in report.message
    assert all(c.keeps is False for c in report.alone if c.op == op)
    assert all(c.ok for c in report.alone if c.op != op)


@pytest.mark.parametrize("build", [sanity, more_ops, lecture_neuron_exp])
def test_mul_swapped_named(build):
    _, report = checked("mul_swapped", build)
    assert report.message.startswith("*: your backward gives ")
    assert "the *other* one's data" in report.hint


def test_forgotten_out_grad_named():
    _, report = checked("mul_no_chain", lecture_neuron_exp)
    assert report.message.startswith("*: your backward adds ")
    assert "out.grad" in report.hint and "chain rule" in report.hint


def test_graph_right_but_op_wrong_alone():
    """`=` in + on a graph where no node is used twice: every grad matches, the op is still wrong."""
    V = planted("assign")
    a, b = V(2.0, label="a"), V(3.0, label="b")
    y = a * b + b * 2.0
    y.label = "y"
    y.backward()
    report = ag.check_engine(y)
    assert report.first_wrong is None and all(r.ok for r in report.rows)
    assert not report.ok
    assert report.message.startswith("every gradient of this graph matches, but +: your backward overwrites")
    assert "+=" in report.hint and report.summary().startswith("check_engine: every gradient")


# -- the walk: every op right alone, the graph wrong ------------------------------------------

@pytest.mark.parametrize("build", [sanity, more_ops, lecture_neuron_exp])
def test_forward_order_is_the_walk(build):
    _, report = checked("forward_order", build)
    assert not report.ok and all(c.ok for c in report.alone)
    assert report.message.startswith("every op's backward is right alone")
    assert "forward order" in report.message and "reverse topological order" in report.message
    assert "reversed(topo)" in report.hint
    assert not report.message.startswith("+")


def late_use(V):
    """z is met early from the root (through y) and late (through u): breadth first runs z's
    backward before u adds into z.grad."""
    x = V(1.5, label="x")
    z = x * 2.0
    z.label = "z"
    u = (z * 3.0) * 4.0
    u.label = "u"
    y = z + u
    y.label = "y"
    return y


@pytest.mark.parametrize("bug", ["breadth_first", "no_visited"])
def test_other_walks_said_how_it_should_be(bug):
    _, report = checked(bug, late_use)
    assert not report.ok and all(c.ok for c in report.alone)
    assert "so the walk or the accumulation is wrong" in report.message
    assert "reverse topological order" in report.message and "`+=`" in report.message
    assert "visited set" in report.hint


def test_backward_twice_without_zeroing():
    root = sanity(LectureValue)
    root.backward()
    root.backward()
    report = ag.check_engine(root)
    assert "2 backward passes" in report.message and "grad to 0" in report.hint


# -- engines it cannot run alone, and engines without _backward --------------------------------

def test_class_without_the_op_method_falls_back_to_the_graph():
    class Bare:  # grads filled in by hand, no methods to run alone
        def __init__(self, data, prev=(), op=""):
            self.data, self.grad, self._prev, self._op = data, 0.0, set(prev), op

    x = Bare(0.5)
    t = Bare(math.tanh(0.5), (x,), "tanh")
    t.grad, x.grad = 1.0, 1 - t.data  # 1 - t where 1 - t**2 belongs
    report = ag.check_engine(t)
    assert report.message.startswith("tanh: your backward gives 0.53788284, expected 0.78644773")
    assert "(tanh could not be run alone: Bare has no method 'tanh' to apply it with)" in report.message
    assert [c.skipped != "" for c in report.alone] == [True]


def test_constructor_that_needs_more_is_skipped_not_raised():
    class Strict(LectureValue):
        def __init__(self, data, _children=(), _op="", label="", *, tag):
            super().__init__(data, _children, _op, label)

        def __mul__(self, other):
            return Strict(self.data * other.data, (self, other), "*", tag=0)

    x, three = Strict(2.0, tag=1), Strict(3.0, tag=1)
    y = x * three
    y.grad, x.grad, three.grad = 1.0, 3.0, 2.0  # right grads, filled in by hand
    report = ag.check_engine(y)
    assert report.ok and "raised TypeError" in report.alone[0].skipped
    assert "* not run (running it alone raised TypeError" in report.alone_summary()


class TapeValue:
    """A microgpt-style Value: local grads kept at construction, no _backward; backward() does it."""

    bug = False

    def __init__(self, data, children=(), local_grads=(), op=""):
        self.data, self.grad = data, 0.0
        self._prev, self._local_grads, self._op = children, local_grads, op

    def __mul__(self, other):
        local = (self.data, other.data) if self.bug else (other.data, self.data)
        return type(self)(self.data * other.data, (self, other), local, "*")

    def __add__(self, other):
        return type(self)(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def backward(self):
        topo, seen, stack = [], set(), [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                topo.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((c, False) for c in v._prev)
        self.grad = 1.0
        for v in reversed(topo):
            for child, local in zip(v._prev, v._local_grads):
                child.grad += local * v.grad


@pytest.mark.parametrize("bug", [False, True])
def test_engine_without_backward_closures_run_alone_through_backward(bug):
    V = type("V", (TapeValue,), {"bug": bug})
    a, b = V(2.0), V(-3.0)
    y = a * b + a
    y.backward()
    report = ag.check_engine(y)
    assert [c.skipped for c in report.alone] == ["", ""]
    assert report.ok is not bug
    if bug:
        assert report.message.startswith("*: your backward gives ")
        assert "the *other* one's data" in report.hint
        assert all(c.keeps is None for c in report.alone)  # `=` cannot be told apart this way


def test_identical_nodes_share_one_run():
    x = MicroValue(0.5)
    y = x
    for _ in range(300):
        y = y * 1.0 + 0.0
    y.backward()
    report = ag.check_engine(y)
    assert report.ok and len(report.rows) == 1201
    assert sorted(c.op for c in report.alone) == ["*", "+"]  # 600 op nodes, 2 runs


# -- graphs that are not graphs --------------------------------------------------------------

def test_cycle_on_itself_is_a_clear_error():
    a, b = MicroValue(2.0), MicroValue(3.0)
    c = a * b
    c.backward()
    c._prev = {c}  # the case: was a raw IndexError
    with pytest.raises(ag.GlassgradError, match=r"the graph has a cycle: node\(_op='\*', data=6.0\) -> node"):
        ag.check_engine(c)


def test_longer_cycle_names_its_nodes():
    a = LectureValue(2.0, label="a")
    b = a * 3.0
    b.label = "b"
    d = b + a
    d.label = "d"
    d.backward()
    a._prev = {d}
    with pytest.raises(ag.GlassgradError, match=r"cycle: d -> (b -> )?a -> d"):
        ag.check_engine(d)


@pytest.mark.parametrize("bad, words", [
    (5, "_prev must be a set, tuple or list of its children, got int 5"),
    ("ab", "got str 'ab'"),
    ([1.0], "has a child that is not a node (no data or grad or _op): float 1.0"),
    ({"key": 1}, "not a node"),
])
def test_malformed_prev_is_a_clear_error(bad, words):
    a, b = MicroValue(2.0), MicroValue(3.0)
    c = a * b
    c.backward()
    c._prev = bad  # _prev = 5 was a raw TypeError
    with pytest.raises(ag.OperandError) as info:
        ag.check_engine(c)
    assert words in str(info.value) and "'*'" in str(info.value)


def test_op_that_is_no_string():
    a, b = MicroValue(2.0), MicroValue(3.0)
    c = a * b
    c.backward()
    c._op = 5
    with pytest.raises(ag.OperandError, match="_op must be a str"):
        ag.check_engine(c)


# -- what a person reads -----------------------------------------------------------------------

def test_text_markdown_and_html_show_the_verdict_the_hint_and_the_ops_alone():
    _, report = checked("assign", sanity)
    text = str(report)
    assert "hint: " in text and "each op run alone on fresh operands: " in text
    assert "+ WRONG at 5 of 5 points" in text and "ReLU ok at 2 points" in text
    markdown = report._repr_markdown_()
    assert "each op run alone" in markdown and "WRONG" in markdown
    page = report._repr_html_()
    assert "<code>+=</code>" in page and "each op run alone" in page
    assert "<script" not in page


def test_small_slip_alone_grown_by_the_graph_is_still_named():
    """At x = 12, tanh's derivative is 1.5e-10 and the slip 1 - t gives 7.5e-11: too small to
    see alone, but times 1e6 further up it is the graph's wrong gradient, so tanh is named."""
    V = planted("tanh")
    x = V(12.0, label="x")
    t = x.tanh()
    t.label = "t"
    y = t * 1e6
    y.label = "y"
    y.backward()
    report = ag.check_engine(y)
    assert report.first_wrong.node == "x"
    assert report.message.startswith("tanh: your backward gives 7.5")
    assert "t not squared" in report.hint and "tanh WRONG at 1 of 1 point" in report.alone_summary()


def test_tiny_slip_alone_is_reported_at_tanh():
    """tanh at e**2 = 7.39 (the fuzz test's find): 7.6e-7 for 1.5e-6 is wrong alone."""
    V = planted("tanh")
    x = V(2.0, label="x")
    y = x.exp().tanh()
    y.backward()
    report = ag.check_engine(y)
    assert report.message.startswith("tanh: your backward gives 7.6")


def test_past_the_limit_of_runs_alone_the_graph_still_speaks(monkeypatch):
    import autograd.tools.engine_check as engine_check

    monkeypatch.setattr(engine_check, "ALONE_LIMIT", 1)
    x = planted("forward_order")(2.0, label="x")
    q = x * 3.0
    q.label = "q"
    r = q + q.relu()  # in forward order relu passes q nothing: q is the first wrong node
    r.label = "r"
    r.backward()
    report = ag.check_engine(r)
    assert not report.ok and len(report.alone) == 1 and report.first_wrong.node == "q"
    # q feeds r and relu: one of the two was run alone, so the walk cannot be concluded
    assert report.message.startswith("node q feeds 2 uses")
    assert report.message.endswith("(not every use of node q was run alone)")
