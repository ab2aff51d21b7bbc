"""Reverse mode: topological order, ``backward``, ``grad`` and ``zero_grad``.

A node is anything with ``parents`` and ``local_grads`` (a :class:`~autograd.Value`). The
chain rule is one loop over the nodes, outputs first::

    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad

Nothing here recurses: the graph may be millions of nodes deep.
"""

from __future__ import annotations

import threading

from .errors import BackwardError, OpError, describe, finite_float

__all__ = ["topological_order", "backward", "grad", "zero_grad", "free"]


def topological_order(root) -> list:
    """Every node ``root`` depends on, each once, parents before the nodes made from them.

    A depth-first walk, parents in operand order, written with a stack instead of recursion;
    ``root`` comes last.

    >>> from autograd import Value, topological_order
    >>> a = Value(1.0, label="a"); b = a * 2; c = b + a
    >>> [n.label or n.op for n in topological_order(c)]
    ['a', '*2', '+']
    """
    _check_node(root, "topological_order")
    order = []
    visited = {root}
    stack = [(root, iter(root.parents))]  # the path from root down, each with its parents still to visit
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:  # go down to it first
                visited.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every parent is in order: so is the node
            stack.pop()
            order.append(node)
    return order


# Threads may share leaves (the parameters of one model): one backward pass at a time, so
# that `+=` on a shared gradient never loses another pass's contribution, and a failed pass
# can put back exactly what it changed.
_one_pass_at_a_time = threading.Lock()


def backward(root, grad: float = 1.0) -> None:
    """Fill ``.grad`` of every node ``root`` depends on with d root / d node.

    ``root`` is seeded with ``grad``; every intermediate node (one with parents) is reset
    first, so it holds this pass's gradient; leaves *accumulate* across calls, as PyTorch
    parameters do (call ``zero_grad`` between steps). If a gradient overflows, every
    ``.grad`` is put back as it was and a :class:`BackwardError` names the node.

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x
    >>> y.backward(); y.backward(); x.grad   # leaves accumulate: 6 + 6
    12.0
    """
    _check_node(root, "backward")
    seed = finite_float(grad, "backward", "seed grad")
    order = topological_order(root)
    with _one_pass_at_a_time:
        grads_before = [node.grad for node in order]
        for node in order:
            if node.parents and node.grad:  # an intermediate node holds this pass's gradient only
                node.grad = 0.0
        parent = root  # (the node whose gradient is being added to, named if it overflows)
        try:
            root.grad += seed
            for node in reversed(order):
                for parent, local in zip(node.parents, node.local_grads):
                    parent.grad += local * node.grad
        except OpError:  # the grad setter refused an overflowed (infinite) gradient
            for n, g in zip(order, grads_before):
                n.grad = g
            raise overflow_error("backward", parent, float("inf"), " (no .grad was changed)") from None


def overflow_error(fname: str, node, g: float, after: str = "") -> BackwardError:
    """The one message for a gradient that stopped being a finite float (backward, grad, trace)."""
    return BackwardError(f"{fname}: the gradient at node {describe(node)} (op {node.op or 'leaf'!r}) "
                         f"overflowed to {g!r}; the graph multiplies very large local derivatives{after}")


def zero_grad(root) -> None:
    """Set ``grad`` to 0.0 on ``root`` and every node it depends on."""
    _check_node(root, "zero_grad")
    for node in topological_order(root):
        node.grad = 0.0


def grad(output, inputs, create_graph: bool = False):
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
    _check_node(output, "grad")
    single = _is_node(inputs)
    targets = [inputs] if single else list(inputs)
    for x in targets:
        if not _is_node(x):
            raise BackwardError(f"grad: inputs must be Values, got {type(x).__name__}")
    grads = {output: 1.0}  # d output / d node, as found so far
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None:
            continue
        if type(g) is float and g - g != 0.0:  # (gradients built as Values are checked by their ops)
            raise overflow_error("grad", node, g)
        if not node.parents:
            continue
        if not create_graph:
            for parent, local in zip(node.parents, node.local_grads):
                grads[parent] = grads.get(parent, 0.0) + local * g
            continue
        try:
            for parent, local in zip(node.parents, local_grads_as_values(node)):
                contribution = _times(local, g)
                grads[parent] = contribution if parent not in grads else grads[parent] + contribution
        except OpError as e:
            raise BackwardError(f"grad(create_graph=True): the derivative at node {describe(node)} "
                                f"(op {node.op!r}) cannot be built as a graph to differentiate again: "
                                f"{e}") from None
    results = [grads.get(x, 0.0) for x in targets]
    if create_graph:  # every result a Value, even where it is a constant
        results = [r if _is_node(r) else type(output)(r) for r in results]
    return results[0] if single else results


def local_grads_as_values(node) -> tuple:
    """The local derivatives of ``node`` built as graph nodes (floats where they are constant):
    the op's one derivative rule, run on the parent Values instead of their floats."""
    return node.op_def.local_at(node.parents, node.const, node)


def _times(local, g):
    """local * g, skipping the multiplications by exactly 1 that would clutter the graph."""
    if type(local) is float and local == 1.0:
        return g
    if type(g) is float and g == 1.0:
        return local
    return local * g


def free(root) -> int:
    """Take the graph below ``root`` apart, one node at a time; return how many nodes it unlinked.

    ``root`` and every node it was computed from become leaves: each keeps its ``data``,
    ``grad`` and ``label`` and lets go of its ``parents``. Call it when you are done with the
    graph (gradients read). Dropping a graph frees it node after node by reference counting,
    and CPython 3.13 does that recursively, thousands of nodes deep, which crashes a thread
    with a small stack (docs/guarantees.md). After ``free`` no node holds another, so
    dropping them never recurses.

    >>> from autograd import Value, free
    >>> x = Value(2.0, label="x"); y = (x * x).exp()
    >>> y.backward(); free(y)
    2
    >>> y.is_leaf, y.parents, round(x.grad, 2)
    (True, (), 218.39)
    """
    _check_node(root, "free")
    unlinked = 0
    stack = [root]
    while stack:
        node = stack.pop()
        parents = node.parents
        if parents:  # else a leaf, or a node taken apart already (reached a second time)
            node.parents, node.local_grads, node.op_def, node.const = (), (), None, None
            stack.extend(parents)  # held here, so no parent is freed while it holds its own
            unlinked += 1
    return unlinked


def _is_node(x) -> bool:
    return hasattr(x, "parents") and hasattr(x, "local_grads")


def _check_node(x, fname: str) -> None:
    if not _is_node(x):
        raise BackwardError(f"{fname}: expects a Value, got {type(x).__name__} {x!r:.40}")
