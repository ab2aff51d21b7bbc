"""Reverse mode: topological order, ``backward``, ``grad`` and ``zero_grad``.

Nothing here recurses: the graph may be millions of nodes deep.

The chain rule is one loop over the nodes, outputs first::

    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence, overload

from .errors import BackwardError, describe

if TYPE_CHECKING:
    from .value import Value

__all__ = ["topological_order", "backward", "grad", "zero_grad"]


def topological_order(root: "Value") -> list["Value"]:
    """Every node ``root`` depends on, each once, parents before the nodes made from them.

    The order is deterministic (depth first, parents in operand order); ``root`` is last.

    >>> from autograd import Value, topological_order
    >>> a = Value(1.0, label="a"); b = a * 2; c = b + a
    >>> [n.label or n.op for n in topological_order(c)]
    ['a', '*2', '+']
    """
    _check_node(root, "topological_order")
    if root._op is None:
        return [root]
    order: list = []
    seen = {root}
    # `path` is the chain of nodes from root to the one being expanded. The top node is looked
    # at again each time one of its parents is done, and pushes its first parent not yet seen;
    # with none left it is finished. Leaves are finished at once; a run of one-parent nodes is
    # pushed in one go, and finished in one go when it ends on a done parent. Nothing per node
    # is allocated that the cyclic GC would have to scan (an iterator per node on the path made
    # a 10**6 chain 4x slower); only an n-ary node keeps its place among its parents, in `resume`.
    path = [root]
    resume: dict = {}
    push, pop, finish, extend, add = path.append, path.pop, order.append, order.extend, seen.add
    while path:
        node = path[-1]
        a = node._a
        if a is not None:
            if a not in seen:
                add(a)
                if a._op is None:
                    finish(a)  # a leaf: on to the second parent, below
                else:
                    run_start = len(path)
                    push(a)
                    deepest = a
                    while deepest._b is None:  # down a run of one-parent nodes
                        parent = deepest._a
                        if parent is None:  # `deepest` is an n-ary node: visited as usual
                            break
                        if parent not in seen:
                            add(parent)
                            if parent._op is not None:
                                push(parent)
                                deepest = parent
                                continue
                            finish(parent)
                        # the run ends on a done parent: the run is done too, deepest node first
                        extend(reversed(path[run_start:]))
                        del path[run_start:]
                        break
                    continue
            b = node._b
            if b is not None and b not in seen:
                add(b)
                if b._op is None:
                    finish(b)
                else:
                    # look ahead: if b's parents are done (seen and not on the path: in a DAG
                    # that is the same), b and then node are finished without a visit of b's
                    ba = b._a
                    if ba is not None and ba in seen:
                        bb = b._b
                        if bb is None or bb in seen:
                            finish(b)
                            finish(pop())
                            continue
                    push(b)
                    continue
        else:  # an n-ary node
            parents = resume.get(node)
            if parents is None:
                if seen.issuperset(node._ps):  # all done already (checked at C speed)
                    finish(pop())
                    continue
                parents = resume[node] = iter(node._ps)
            for p in parents:
                if p not in seen:
                    add(p)
                    if p._op is None:
                        finish(p)
                    else:
                        push(p)
                        break
            else:
                del resume[node]
                finish(pop())
            continue
        finish(pop())
    return order


def backward(root: "Value", grad: float = 1.0) -> None:
    """Fill ``.grad`` of every node ``root`` depends on with d root / d node.

    Semantics: ``root`` is seeded with ``grad``; every intermediate node (one with
    parents) is reset first, so it holds this pass's gradient; leaves *accumulate*
    across calls, as PyTorch parameters do (call ``zero_grad`` between steps).

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x
    >>> y.backward(); y.backward(); x.grad   # leaves accumulate: 6 + 6
    12.0
    """
    _check_node(root, "backward")
    seed = _seed(grad)
    order = topological_order(root)
    leaves = []
    for node in order:
        if node._op is not None:
            node.grad = 0.0
        else:
            leaves.append(node)
    grads_before = [leaf.grad for leaf in leaves]
    root.grad += seed
    for node in reversed(order):
        g = node.grad
        if g == 0.0:
            continue
        # the loop of the module docstring, written out for the one or two parents a node
        # keeps in its own slots (see Value), then for the tuples of an n-ary node
        a = node._a
        if a is not None:
            a.grad += node._da * g
            b = node._b
            if b is not None:
                b.grad += node._db * g
        elif node._op is not None:
            for p, local in zip(node._ps, node._ls):
                p.grad += local * g
    # A gradient that overflowed passes inf or nan (inf * 0) on to every node below it, down to
    # the leaves: checking the leaves finds it without a check per node.
    for leaf in leaves:
        g = leaf.grad
        if g - g != 0.0:
            culprit = next(n for n in reversed(order) if n.grad - n.grad != 0.0)
            bad = culprit.grad
            _undo(order, leaves, grads_before)
            raise overflow_error("backward", culprit, bad, " (no .grad was changed)")


def overflow_error(fname: str, node: "Value", g: float, after: str = "") -> BackwardError:
    """The one message for a gradient that stopped being a finite float (backward, grad, trace)."""
    return BackwardError(f"{fname}: the gradient at node {describe(node)} (op {node.op or 'leaf'!r}) "
                         f"overflowed to {g!r}; the graph multiplies very large local derivatives{after}")


def _undo(order: list, leaves: list, grads_before: list) -> None:
    """Put every grad back as it was before a backward pass that failed half-way."""
    for node in order:
        if node._op is not None:
            node.grad = 0.0
    for leaf, g in zip(leaves, grads_before):
        leaf.grad = g


def zero_grad(root: "Value") -> None:
    """Set ``grad`` to 0.0 on ``root`` and every node it depends on."""
    _check_node(root, "zero_grad")
    for node in topological_order(root):
        node.grad = 0.0


@overload
def grad(output: "Value", inputs: "Value", create_graph: bool = ...) -> "float | Value": ...
@overload
def grad(output: "Value", inputs: Sequence["Value"], create_graph: bool = ...) -> list: ...


def grad(output, inputs, create_graph=False):
    """d output / d input for each input, without touching any ``.grad``.

    ``inputs`` is a Value (one result) or a sequence of Values (a list of results).
    An input the output does not depend on gets 0. With ``create_graph=True`` the
    gradients are Values built from the same op rules, so they can be differentiated
    again (second derivatives, Hessians).

    >>> from autograd import Value, grad
    >>> x = Value(2.0)
    >>> y = x ** 3
    >>> dy = grad(y, x, create_graph=True)      # 3 x**2 = 12
    >>> dy.data, grad(dy, x)                     # 6 x = 12
    (12.0, 12.0)
    """
    from .value import Value

    _check_node(output, "grad")
    single = isinstance(inputs, Value)
    targets = [inputs] if single else list(inputs)
    for x in targets:
        if not isinstance(x, Value):
            raise BackwardError(f"grad: inputs must be Values, got {type(x).__name__}")
    grads: dict = {output: 1.0}
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None:
            continue
        if type(g) is float and g - g != 0.0:  # (as Values, gradients are checked by their ops)
            raise overflow_error("grad", node, g)
        if node._op is None:
            continue
        parents = node.parents
        if create_graph:
            for p, local in zip(parents, local_grads_as_values(node)):
                contribution = _times(local, g)
                prev = grads.get(p)
                grads[p] = contribution if prev is None else prev + contribution
        else:
            for p, local in zip(parents, node.local_grads):
                prev = grads.get(p)
                grads[p] = local * g if prev is None else prev + local * g
    results = [grads.get(x, 0.0) for x in targets]
    if create_graph:
        results = [r if isinstance(r, Value) else Value(r) for r in results]
    return results[0] if single else results


def local_grads_as_values(node: "Value") -> tuple:
    """The local derivatives of ``node`` rebuilt as graph nodes (floats where they are constant).

    The op's one derivative rule runs on the parent Values instead of their floats.
    """
    op = node.op_def
    if op.kind == "unary":
        return op.local(node.parents[0], node)
    if op.kind == "binary":
        return op.local(node.parents[0], node.parents[1], node)
    if op.kind == "folded":
        return op.local(node.parents[0], node.const, node)
    return op.local(node.parents, node.const or 0.0, node)


def _times(local, g):
    """local * g, skipping the multiplications by exactly 1 that would clutter the graph."""
    if type(local) is float and local == 1.0:
        return g
    if type(g) is float and g == 1.0:
        return local
    return local * g


def _seed(grad) -> float:
    from .value import _number

    return _number(grad, "backward", "seed grad")


def _check_node(x, fname: str) -> None:
    from .value import Value

    if not isinstance(x, Value):
        raise BackwardError(f"{fname}: expects a Value, got {type(x).__name__} {x!r:.40}")
