"""Backward, grad, no_grad and memory: the semantics the engine promises, and its depth guarantees."""

import gc
import math
import subprocess
import sys
import textwrap
import threading
import weakref

import pytest

import autograd as ag
from autograd import Value


def chain(n, x=None):
    x = Value(1.0, label="x") if x is None else x
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.5
    return x, y


# -- backward semantics ------------------------------------------------------------------------------

def test_root_is_seeded_and_intermediates_hold_this_pass_while_leaves_accumulate():
    x = Value(3.0, label="x")
    h = x * x          # intermediate
    y = h + 1
    y.backward()
    assert (y.grad, h.grad, x.grad) == (1.0, 1.0, 6.0)
    y.backward()
    assert (y.grad, h.grad) == (1.0, 1.0)   # reset each pass
    assert x.grad == 12.0                   # leaves accumulate, as PyTorch parameters do
    y.zero_grad()
    assert (y.grad, h.grad, x.grad) == (0.0, 0.0, 0.0)


def test_backward_with_a_seed():
    x = Value(2.0)
    y = x * 5
    y.backward(0.5)
    assert y.grad == 0.5 and x.grad == 2.5


def test_backward_on_a_leaf_seeds_it():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0


def test_diamond_graph_sums_both_paths():
    #      a
    #    /   \
    #  b=2a  c=a**2
    #    \   /
    #    d=b*c   -> d = 2a**3, dd/da = 6a**2
    a = Value(1.5, label="a")
    b, c = a * 2, a ** 2
    d = b * c
    d.backward()
    assert math.isclose(a.grad, 6 * 1.5 ** 2)


def test_a_plus_a_and_a_times_a():
    a = Value(-2.0)
    (a + a).backward()
    assert a.grad == 2.0
    a.grad = 0.0
    (a * a * a).backward()
    assert a.grad == 12.0


def test_topological_order_is_deterministic_with_parents_first():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d * c
    order = ag.topological_order(e)
    assert order[-1] is e
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]
    assert len(order) == len({id(n) for n in order}) == 5
    assert [n.label or n.op for n in order] == [n.label or n.op for n in ag.topological_order(e)]
    assert [n.label or n.op for n in order] == ["a", "b", "*", "+", "*"]


def test_zero_grad_clears_the_whole_graph():
    x, y = chain(10)
    y.backward()
    ag.zero_grad(y)
    assert all(n.grad == 0.0 for n in ag.topological_order(y))


# -- grad(), second derivatives -------------------------------------------------------------------------

def test_grad_leaves_dot_grad_untouched():
    x, w = Value(2.0), Value(-3.0)
    y = (x * w).tanh()
    gx, gw = ag.grad(y, [x, w])
    assert x.grad == 0.0 and w.grad == 0.0 and y.grad == 0.0
    y.backward()
    assert (gx, gw) == (x.grad, w.grad)


def test_grad_of_an_unused_input_is_zero():
    x, unused = Value(2.0), Value(5.0)
    assert ag.grad(x * 3, [x, unused]) == [3.0, 0.0]
    assert ag.grad(x * 3, unused, create_graph=True).data == 0.0


@pytest.mark.parametrize("x0", [-2.0, -0.5, 0.7, 3.0])
def test_second_derivative_of_a_cube(x0):
    x = Value(x0)
    dy = ag.grad(x ** 3, x, create_graph=True)
    assert math.isclose(dy.data, 3 * x0 ** 2)
    assert math.isclose(ag.grad(dy, x), 6 * x0)


@pytest.mark.parametrize("x0", [-3.0, -0.2, 0.0, 1.1, 4.0])
def test_second_derivative_of_sigmoid(x0):
    x = Value(x0)
    s = x.sigmoid()
    ds = ag.grad(s, x, create_graph=True)
    s0 = s.data
    assert math.isclose(ds.data, s0 * (1 - s0))
    assert math.isclose(ag.grad(ds, x), s0 * (1 - s0) * (1 - 2 * s0), abs_tol=1e-15)


def test_a_two_by_two_hessian():
    # f = x**2 y + y**3 -> H = [[2y, 2x], [2x, 6y]]
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    f = x ** 2 * y + y ** 3
    fx, fy = ag.grad(f, [x, y], create_graph=True)
    hessian = [ag.grad(fx, [x, y]), ag.grad(fy, [x, y])]
    assert hessian == [[2 * -0.5, 2 * 1.5], [2 * 1.5, 6 * -0.5]]


@pytest.mark.parametrize("make", [
    lambda x, y: (x / y).log(), lambda x, y: x ** y, lambda x, y: (x * y).exp() - y.tanh(),
    lambda x, y: 2 ** x + 1 / y - (3 - x) / 2, lambda x, y: ag.dot([x, y], [y, x], bias=x).sigmoid(),
    lambda x, y: ag.sum([x * x, y, 3]), lambda x, y: ag.bce_with_logits(x * y, 1), lambda x, y: abs(x) * y.relu(),
])
def test_create_graph_matches_finite_differences_of_first_derivatives(make):
    x0, y0, h = 1.3, 0.7, 1e-5

    def first(xv, yv):
        x, y = Value(xv), Value(yv)
        return ag.grad(make(x, y), [x, y])

    x, y = Value(x0), Value(y0)
    gx, gy = ag.grad(make(x, y), [x, y], create_graph=True)
    assert math.isclose(gx.data, first(x0, y0)[0]) and math.isclose(gy.data, first(x0, y0)[1])
    hxx, hxy = ag.grad(gx, [x, y])
    assert math.isclose(hxx, (first(x0 + h, y0)[0] - first(x0 - h, y0)[0]) / (2 * h), rel_tol=1e-5, abs_tol=1e-7)
    assert math.isclose(hxy, (first(x0, y0 + h)[0] - first(x0, y0 - h)[0]) / (2 * h), rel_tol=1e-5, abs_tol=1e-7)


# -- no_grad, detach, threads ---------------------------------------------------------------------------

def test_no_grad_as_context_manager_and_decorator():
    x = Value(2.0)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 3
    assert ag.is_grad_enabled()
    assert y.data == 6.0 and y.parents == () and y.op == ""

    @ag.no_grad
    def double(v):
        return v * 2

    @ag.no_grad()
    def triple(v):
        return v * 3

    assert double(x).parents == () and triple(x).parents == ()
    assert (x * 2).parents == (x,)


def test_no_grad_in_one_thread_does_not_leak_into_another():
    started, release = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with ag.no_grad():
            started.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    started.wait(5)
    x = Value(1.0)
    seen["parents"] = (x * 2).parents
    release.set()
    t.join()
    assert seen["parents"] == (x,)


def test_detach_cuts_the_graph():
    x = Value(2.0, label="x")
    y = (x * x).detach()
    assert y.parents == () and y.data == 4.0
    (y * 3).backward()
    assert x.grad == 0.0


def test_repr_is_short_and_does_not_walk_the_graph():
    x, y = chain(100_000)
    text = repr(y)
    assert text.startswith("Value(data=") and "op='+0.5'" in text and len(text) < 120
    assert repr(Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"


# -- depth and memory ------------------------------------------------------------------------------------

def test_a_chain_of_100k_ops_backpropagates_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        x, y = chain(50_000)   # 100k op nodes
        assert len(ag.topological_order(y)) == 100_001
        y.backward()
        expected = 1.0001 ** 50_000
        assert math.isclose(x.grad, expected, rel_tol=1e-9)
        assert math.isclose(ag.grad(y, x), expected, rel_tol=1e-9)
        ag.zero_grad(y)
        assert x.grad == 0.0
    finally:
        sys.setrecursionlimit(limit)


def test_graphs_are_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0, label="x")
        y = (x * x + x.exp()).sigmoid() * ag.dot([x, x], [x, 2.0], bias=x)
        y.backward()
        ag.grad(y, x, create_graph=True)
        refs = [weakref.ref(n) for n in ag.topological_order(y)]
        del y
        alive = [r for r in refs if r() is not None]
        assert [r() for r in alive] == [x]   # only the leaf we still hold
    finally:
        gc.enable()


def test_no_reference_cycles_are_created():
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        x, y = chain(1000)
        y.backward()
        ag.grad(y, x)
        del x, y
        # everything must already be gone: a collection finds nothing unreachable
        assert gc.collect() == 0, before
    finally:
        gc.enable()


def test_a_deleted_million_node_chain_is_freed_without_a_crash():
    # in a subprocess so a crash (C stack overflow in deallocation) would fail this test, not the run
    code = textwrap.dedent("""
        import gc, weakref
        from autograd import Value
        gc.disable()
        x = Value(1.0)
        y = x
        for _ in range(500_000):
            y = y * 1.0 + 0.0       # two nodes per step: 10**6 nodes
        first, last = weakref.ref(y.parents[0]), weakref.ref(y)
        del y
        print(first() is None, last() is None)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]


def test_nodes_use_slots():
    assert not hasattr(Value(1.0), "__dict__")
    assert not hasattr(Value(1.0) * 2, "__dict__")


def test_methods_made_from_the_op_table_carry_their_own_names_and_pickle():
    import pickle

    for name in ("__add__", "__radd__", "__rsub__", "__truediv__", "__rtruediv__", "__rpow__",
                 "__neg__", "__abs__", "exp", "relu", "step"):
        method = getattr(Value, name)
        assert method.__qualname__ == f"Value.{method.__name__}" and method.__doc__
    assert Value.__neg__.__name__ == "__neg__" and Value.__rtruediv__.__name__ == "__rtruediv__"
    x = Value(2.0, label="x")
    assert pickle.loads(pickle.dumps(x.__neg__))().data == -2.0
    copy = pickle.loads(pickle.dumps(x))
    assert (copy.data, copy.label, copy.parents, copy.is_leaf) == (2.0, "x", (), True)


def test_topological_order_is_the_textbook_depth_first_post_order_on_random_graphs():
    import random

    def textbook(root):  # the recursive definition, fine on small graphs
        order, seen = [], set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            for p in node.parents:
                visit(p)
            order.append(node)
        visit(root)
        return order

    rng = random.Random(0)
    for _ in range(500):
        nodes = [Value(rng.uniform(-1, 1)) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(0, 25)):
            a, kind = rng.choice(nodes), rng.random()
            if kind < 0.3:
                n = a.tanh()                       # chains of one-parent nodes
            elif kind < 0.45:
                n = a * 2
            elif kind < 0.75:
                n = a * rng.choice(nodes)           # shared nodes, a*a
            elif kind < 0.85:
                n = ag.sum(rng.sample(nodes, min(len(nodes), rng.randint(1, 4))))
            else:
                m = rng.randint(1, 3)
                n = ag.dot([rng.choice(nodes) for _ in range(m)], [rng.choice(nodes) for _ in range(m)])
            nodes.append(n)
        assert ag.topological_order(nodes[-1]) == textbook(nodes[-1])
