"""Check a learner's own autograd engine (micrograd's shape) against glassgrad, node by node.

Learners of the micrograd lecture write their own ``Value``: ``data``, ``grad``, ``_prev``
(the children, often a set) and ``_op`` (``'+'``, ``'*'``, ``'**2'``, ``'tanh'``...).
:func:`check_engine` takes the root of such a graph *after* their ``backward()``, rebuilds
the graph with glassgrad's ops, and compares every node's ``grad`` with glassgrad's. Each op
of their engine is also run alone (their class on fresh operands, their ``_backward``, against
glassgrad's local derivatives: :mod:`.engine_alone`), so a wrong op is named wherever its node
sits; when every op is right alone and the graph is still wrong, the walk or the accumulation
is (reverse topological order, ``+=``). A cycle or a malformed ``_prev`` is an OperandError.

How their op strings are read (:data:`MICROGRAD_OPS`): ``'+'``, ``'*'``, ``'**k'`` (the
exponent is in the string), ``'ReLU'``/``'relu'``, ``'tanh'``, ``'exp'``, ``'log'``,
``'sigmoid'``, ``'neg'``, and a two-child ``'-'`` or ``'/'``. ``_prev`` is often a set, so the
operand order is unknown: for ``-`` and ``/`` it is found from the node's data (the order
whose result matches). A set also keeps one child for ``a + a``: the operand is used twice.
Nodes are matched by identity and the walk has no recursion, so deep graphs work:

    >>> from micrograd.engine import Value as MValue        # doctest: +SKIP
    >>> a, b = MValue(2.0), MValue(-3.0)                      # doctest: +SKIP
    >>> L = (a * b + a).relu(); L.backward()                  # doctest: +SKIP
    >>> check_engine(L).ok                                    # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Mapping

from .. import ops as _ops
from ..backprop import grad
from ..errors import GlassgradError, OperandError
from ..ops import Op, _num
from ..value import Value, apply
from .engine_alone import AloneCheck, describe, diagnose_walk, run_one
from .engine_alone import children as _children_checked, close as _close
from .engine_report import EngineCheck, EngineRow

__all__ = ["check_engine", "EngineCheck", "EngineRow", "MICROGRAD_OPS"]

MICROGRAD_OPS: dict[str, Op] = {
    "+": _ops.add, "*": _ops.mul, "-": _ops.sub, "/": _ops.div,
    "ReLU": _ops.relu, "relu": _ops.relu, "tanh": _ops.tanh, "exp": _ops.exp, "log": _ops.log,
    "sigmoid": _ops.sigmoid, "neg": _ops.neg, "abs": _ops.abs,
}
"""Their op string -> glassgrad's op. ``'**k'`` is read separately (pow with the constant k)."""

_COMMUTATIVE = {"add", "mul"}  # operand order does not change the value or the local derivatives


def check_engine(root: Any, *, atol: float = 1e-6, rtol: float = 1e-6,
                 ops: Mapping[str, Op] | None = None) -> EngineCheck:
    """Compare the gradients of a micrograd-style graph (after its ``backward()``) with glassgrad's.

    ``root`` is any object with ``data``, ``grad``, ``_prev`` (or ``_children``) and ``_op``.
    Their graph is rebuilt with glassgrad's ops (``ops`` adds or overrides op strings, e.g.
    ``{"σ": autograd.ops.sigmoid}``), glassgrad's gradient of the root is taken with respect
    to every node, and each node's ``grad`` is compared (``|theirs - expected| <= atol +
    rtol * |expected|``). A wrong gradient is blamed on the backward of the op that consumes
    the node: ``tanh: your backward gives 1.0, expected 0.5 = 1 - out**2 (out = 0.7071)``.

    Each op is also run alone, on fresh operands of their class (see ``engine_alone``), so a
    wrong op is named wherever its node sits, even under a node with several uses; when every
    op is right alone but the graph is wrong, the message says what is wrong with the walk.

    >>> class V:  # the smallest micrograd-like Value: tanh only, with the classic slip
    ...     def __init__(self, data, _children=(), _op=""):
    ...         self.data, self.grad, self._prev, self._op = data, 0.0, set(_children), _op
    ...         self._backward = lambda: None
    ...     def tanh(self):
    ...         out = V(math.tanh(self.data), (self,), "tanh")
    ...         def _backward():
    ...             self.grad += (1 - out.data) * out.grad     # 1 - t, not 1 - t**2
    ...         out._backward = _backward
    ...         return out
    >>> x = V(0.5); t = x.tanh(); t.grad = 1.0; t._backward()
    >>> report = check_engine(t)
    >>> print(report.message)  # doctest: +NORMALIZE_WHITESPACE
    tanh: your backward gives 0.53788284, expected 0.78644773 = 1 - out**2 (out = 0.46211716),
    run alone at x = 0.5 (#0); node #0: your grad 0.53788284, expected 0.78644773
    >>> print(report.hint)
    yours is 1 - t: t not squared (t = out.data)
    """
    table = dict(MICROGRAD_OPS)
    if ops is not None:
        for key, op in ops.items():
            if not isinstance(op, Op):
                raise OperandError(f"check_engine: ops[{key!r}] must be an autograd Op "
                                   f"(e.g. autograd.ops.tanh), got {type(op).__name__}")
        table.update(ops)
    order, kids_of = _their_order(root)
    index = {id(n): k for k, n in enumerate(order)}
    mine: list[Value] = []
    ops_of: list[tuple[Op | None, list[int], float | None]] = []
    for k, node in enumerate(order):
        kids = [index[id(c)] for c in kids_of[id(node)]]
        op, operands, const = _read(node, kids, mine, table, k)
        ops_of.append((op, operands, const))
        if op is None:
            mine.append(Value(_number(node.data, k, "data"), label=_name(node, k)))
            continue
        try:
            made = apply(op, *[mine[i] for i in operands], const=const)
        except GlassgradError as e:
            raise OperandError(f"check_engine: node #{k} ({node._op!r}) cannot be rebuilt: {e}") from None
        theirs = _number(node.data, k, "data")
        if not _close(theirs, made.data, 1e-9, 1e-7):
            raise OperandError(f"check_engine: the forward value of node #{k} ({node._op!r}) is "
                               f"{theirs:.8g} but glassgrad's {op.name} of its children gives "
                               f"{made.data:.8g}: fix the forward pass first")
        made.label = _name(node, k)
        mine.append(made)
    expected = grad(mine[-1], mine)
    rows = []
    for k in reversed(range(len(order))):
        node, op = order[k], ops_of[k][0]
        theirs = _number(node.grad, k, "grad")
        ok = _close(theirs, expected[k], atol, rtol)
        rule = "" if op is None else _rule(op, ops_of[k][2])
        rows.append(EngineRow(k, mine[k].label, node._op or "", theirs, expected[k], ok, rule))
    first = next((r for r in rows if not r.ok), None)
    users = [] if first is None else [j for j in range(len(order)) if first.index in ops_of[j][1]]
    alone = _run_alone(order, ops_of, mine, users, atol, rtol)
    message, hint = _verdict(first, users, rows, order, ops_of, mine, expected, alone, atol, rtol)
    distinct = tuple({id(c): c for c in alone.values()}.values())
    return EngineCheck(tuple(rows), first, message, hint, atol, rtol, distinct)


ALONE_LIMIT = 5000
"""At most this many op nodes (distinct op, operand class and data) are run alone."""
ALONE_ATOL = 1e-9
"""The absolute tolerance of a run alone (at most ``atol``): a local derivative of 1e-6 can be
multiplied by 1e6 further up the graph, so only rounding is forgiven there."""


def _run_alone(order, ops_of, mine, first_users, atol, rtol) -> dict[int, AloneCheck]:
    """Each op node of their graph run alone (see engine_alone), the uses of the first wrong
    node first, then from the root down: node index -> its check. Nodes with the same op,
    operand class and data share one run."""
    done: dict[tuple, AloneCheck] = {}
    by_node: dict[int, AloneCheck] = {}
    for k in [*first_users, *reversed(range(len(order)))]:
        op, operands, const = ops_of[k]
        if op is None or k in by_node:
            continue
        data = tuple(mine[i].data for i in operands)
        key = (type(order[operands[0]]), order[k]._op,
               tuple(sorted(data)) if op.name in _COMMUTATIVE else data, const)
        if key not in done:
            if len(done) >= ALONE_LIMIT:
                continue
            names = tuple(mine[i].label for i in operands)
            done[key] = run_one(type(order[operands[0]]), order[k]._op, op, data, const, names,
                                min(atol, ALONE_ATOL), rtol)
        by_node[k] = done[key]
    return by_node


def _verdict(first, users, rows, order, ops_of, mine, expected, alone, atol, rtol) -> tuple[str, str]:
    """The message and hint: the root's seed, else an op wrong alone (a use of the first wrong
    node when one is wrong alone), else the walk (when every use of the first wrong node is right
    alone, its grad can only be wrong through the walk), else the graph's own account."""
    n = len(order)
    if first is not None and first.index == n - 1:
        return (f"the root's grad is {first.theirs:.8g}; backward starts from 1.0 "
                f"(set root.grad = 1 before the loop)", "")
    failed = [k for k in reversed(range(n)) if k in alone and not (alone[k].ok or alone[k].skipped)]
    if not failed and first is not None and _tightened(first, users, order, ops_of, alone, atol, rtol):
        failed = [j for j in users if not alone[j].ok]
    if failed:
        feeding = [j for j in failed if j in users]
        k = (feeding or failed)[0]
        message, hint = describe(alone[k], ops_of[k][1].index(first.index) if feeding else None)
        if first is None:
            return (f"every gradient of this graph matches, but {message} (a wrong op can be "
                    f"right on one graph and wrong on the next)", hint)
        if feeding:
            graph_text, graph_hint = _blame(first, order, ops_of, mine, expected, {})
            if "feeds" in graph_text:
                return f"{message}; {graph_text}", graph_hint or hint
            return (f"{message}; node {first.node}: your grad {first.theirs:.8g}, expected "
                    f"{first.expected:.8g}", hint)
        return message, hint
    if first is None:
        return "", ""
    if all(j in alone and not alone[j].skipped for j in users):
        seen = ", ".join(dict.fromkeys(c.op for c in alone.values() if not c.skipped))
        return diagnose_walk([r.theirs for r in sorted(rows, key=lambda r: r.index)],
                             ops_of, mine, seen, atol, rtol)
    message, hint = _blame(first, order, ops_of, mine, expected, {})
    skipped = next((alone[j] for j in users if j in alone and alone[j].skipped), None)
    if skipped is None:  # more distinct uses than ALONE_LIMIT
        return f"{message} (not every use of node {first.node} was run alone)", hint
    return f"{message} ({skipped.op} could not be run alone: {skipped.skipped})", hint


def _tightened(first, users, order, ops_of, alone, atol, rtol) -> bool:
    """When every use of the first wrong node is right alone within the tolerance, but their
    local derivatives, as run alone, still give that node's wrong grad (a difference too small
    to see alone, grown by the graph), hold the use that differs most to exact agreement so it
    is reported; True when one was."""
    if not users or any(j not in alone or alone[j].skipped or not alone[j].theirs for j in users):
        return False
    shares = [(j, pos) for j in users for pos, i in enumerate(ops_of[j][1]) if i == first.index]
    upstream = {j: float(order[j].grad) for j in users}
    predicted = sum(alone[j].theirs[pos] * upstream[j] for j, pos in shares)
    if not _close(predicted, first.theirs, atol, rtol) or _close(predicted, first.expected, atol, rtol):
        return False
    def gap(share):  # how far their share of the first wrong node's grad is from glassgrad's
        j, pos = share
        return abs(alone[j].theirs[pos] - alone[j].expected[pos]) * abs(upstream[j])

    j, _ = max(shares, key=gap)
    strict = replace(alone[j], atol=0.0, rtol=1e-12)
    for k, check in list(alone.items()):
        if check is alone[j]:
            alone[k] = strict
    return not strict.ok


def _their_order(root) -> tuple[list, dict[int, tuple]]:
    """Their nodes, children before parents, each once (by identity), and each node's children
    (read once); no recursion. A cycle or a malformed ``_prev`` is an OperandError."""
    for attr in ("data", "grad", "_op"):
        if not hasattr(root, attr):
            raise OperandError(f"check_engine: expects the root of a micrograd-style graph (with data, "
                               f"grad, _prev and _op), got {type(root).__name__} without {attr!r}")
    kids_of = {id(root): _children_checked(root)}
    order, seen, on_path = [], {id(root)}, {id(root)}
    stack = [(root, iter(kids_of[id(root)]))]
    while stack:
        node, kids = stack[-1]
        for kid in kids:
            if id(kid) in on_path:
                raise OperandError(_cycle_message([n for n, _ in stack], kid))
            if id(kid) not in seen:
                seen.add(id(kid))
                on_path.add(id(kid))
                kids_of[id(kid)] = _children_checked(kid)
                stack.append((kid, iter(kids_of[id(kid)])))
                break
        else:
            stack.pop()
            on_path.discard(id(node))
            order.append(node)
    return order, kids_of


def _cycle_message(path: list, back_to) -> str:
    start = next(i for i, n in enumerate(path) if n is back_to)
    loop = [*path[start:], back_to]
    shown = " -> ".join(_describe(n) for n in loop[:8]) + (" -> ..." if len(loop) > 8 else "")
    return (f"check_engine: the graph has a cycle: {shown} (each arrow goes from a node to one "
            f"of its _prev). A node's _prev must hold only the nodes it was computed from, made "
            f"before it; backward cannot order a cycle")


def _describe(node) -> str:
    label = getattr(node, "label", "")
    if isinstance(label, str) and label:
        return label
    return f"node(_op={getattr(node, '_op', '')!r}, data={getattr(node, 'data', None)!r:.20})"


def _read(node, kids: list[int], mine: list[Value], table, k: int):
    """(glassgrad op, operand indices in order, constant) for their node; (None, [], None) for a leaf."""
    code = node._op or ""
    if not isinstance(code, str):
        raise OperandError(f"check_engine: node #{k} has _op {code!r}; "
                           f"_op must be a str such as '+' or 'tanh'")
    if not kids:
        return None, [], None
    if code.startswith("**"):
        try:
            c = float(code[2:])
        except ValueError:
            raise OperandError(f"check_engine: node #{k} has _op {code!r}; '**k' needs a number k") from None
        return _ops.pow_c, _operands(kids, 1, code, k), c
    if code == "-" and len(kids) == 1:
        return _ops.neg, kids, None
    op = table.get(code)
    if op is None:
        raise OperandError(f"check_engine: node #{k} has _op {code!r}, which glassgrad does not know; "
                           f"known: {', '.join(table)}, '**k' (pass ops={{{code!r}: autograd.ops.<op>}})")
    arity = op.arity or len(kids)
    operands = _operands(kids, arity, code, k)
    if arity == 2 and op.name not in _COMMUTATIVE and operands[0] != operands[1]:
        operands = _ordered(op, operands, node.data, mine)
    return op, operands, None


def _operands(kids: list[int], arity: int, code: str, k: int) -> list[int]:
    if len(kids) == arity:
        return kids
    if len(kids) == 1 and arity == 2:  # a set keeps one child for a + a, a * a
        return kids * 2
    raise OperandError(f"check_engine: node #{k} ({code!r}) has {len(kids)} children, expected {arity}")


def _ordered(op: Op, operands: list[int], data: float, mine: list[Value]) -> list[int]:
    """The operand order of a non-commutative op whose children came as a set: the one
    whose forward value matches their node's data."""
    a, b = operands
    for order in ([a, b], [b, a]):
        try:
            if _close(op.forward_at([mine[i].data for i in order]), float(data), 1e-9, 1e-7):
                return order
        except (ArithmeticError, ValueError):
            continue
    return operands


def _rule(op: Op, const: float | None) -> str:
    c = "" if const is None else _num(const)
    names = ("a", "b") if op.arity == 2 else ("x",)
    return "; ".join(f"d/d{n} = {t.format(*names, c=c, out='out', args='xs')}"
                     for n, t in zip(names, op.rule_text))


def _blame(first: EngineRow, order, ops_of, mine, expected, index) -> tuple[str, str]:
    """Which op's backward made ``first`` wrong, in one line, and a hint when it is the
    classic one-contribution-only bug."""
    k = first.index
    if k == len(order) - 1:
        return (f"the root's grad is {first.theirs:.8g}; backward starts from 1.0 "
                f"(set root.grad = 1 before the loop)", "")
    # every edge that feeds node k: (consumer index, operand position)
    edges = [(j, pos) for j in range(k + 1, len(order)) if ops_of[j][0] is not None
             for pos, i in enumerate(ops_of[j][1]) if i == k]
    contributions = [mine[j].local_grads[pos] * expected[j] for j, pos in edges]
    consumers = list(dict.fromkeys(j for j, _ in edges))
    if len(consumers) == 1:
        j = consumers[0]
        op, const = ops_of[j][0], ops_of[j][2]
        g_out = order[j].grad
        local = sum(mine[j].local_grads[pos] for jj, pos in edges)
        rule_text = _local_text(op, [pos for _, pos in edges], const, mine[j])
        if g_out:
            theirs_local = first.theirs / g_out
            return (f"{order[j]._op}: your backward gives {theirs_local:.8g}, expected "
                    f"{local:.8g} = {rule_text}; node {first.node}: your grad {first.theirs:.8g}, "
                    f"expected {first.expected:.8g}", _twice_hint(first, edges, contributions))
        return (f"{order[j]._op}: node {first.node} gets grad {first.theirs:.8g}, expected "
                f"{first.expected:.8g} = {local:.8g} ({rule_text}) x {expected[j]:.8g}", "")
    listed = ", ".join(f"{getattr(order[j], 'label', '') or f'{order[j]._op} #{j}'} ({c:.8g})"
                       for (j, _), c in zip(edges, contributions))
    return (f"node {first.node} feeds {len(edges)} uses: {listed}; its grad should be their sum "
            f"{first.expected:.8g}, yours is {first.theirs:.8g}", _twice_hint(first, edges, contributions))


def _local_text(op: Op, positions: list[int], const, node: Value) -> str:
    c = "" if const is None else _num(const)
    names = [p.label for p in node.parents]
    parts = [op.rule_text[min(pos, len(op.rule_text) - 1)].format(*names, c=c, out="out", args="xs")
             for pos in positions]
    text = " + ".join(dict.fromkeys(parts)) if len(set(parts)) == 1 else " + ".join(parts)
    if len(positions) > 1 and len(set(parts)) == 1:
        text = f"{len(positions)} * ({parts[0]})"
    if "out" in text:
        text += f" (out = {node.data:.8g})"
    return text


def _twice_hint(first: EngineRow, edges, contributions) -> str:
    if len(edges) < 2:
        return ""
    for c in contributions:
        if _close(first.theirs, c, 1e-9, 1e-7):
            return (f"node {first.node} is used {len(edges)} times and its grad equals the "
                    f"contribution of one use only: accumulate with `+=` in _backward, not `=`")
    return ""


def _number(x, k: int, what: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise OperandError(f"check_engine: node #{k} has {what} {x!r}, not a number") from None
    if not math.isfinite(value):
        raise OperandError(f"check_engine: node #{k} has {what} {value}, not a finite number")
    return value


def _name(node, k: int) -> str:
    label = getattr(node, "label", "")
    return label if isinstance(label, str) and label else f"#{k}"
