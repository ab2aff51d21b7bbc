"""Check a learner's own autograd engine (micrograd's shape) against glassgrad, node by node.

Learners of the micrograd lecture write their own ``Value``: ``data``, ``grad``, ``_prev``
(the children, often a set) and ``_op`` (``'+'``, ``'*'``, ``'**2'``, ``'tanh'``...).
:func:`check_engine` takes the root of such a graph *after* their ``backward()``, rebuilds
the graph with glassgrad's ops, and compares every node's ``grad`` with glassgrad's. The
first wrong node (from the root down) names the op whose backward gave it:

    >>> from micrograd.engine import Value as MValue        # doctest: +SKIP
    >>> a, b = MValue(2.0), MValue(-3.0)                      # doctest: +SKIP
    >>> L = (a * b + a).relu(); L.backward()                  # doctest: +SKIP
    >>> check_engine(L).ok                                    # doctest: +SKIP
    True

How their op strings are read (:data:`MICROGRAD_OPS`): ``'+'``, ``'*'``, ``'**k'`` (the
exponent is in the string), ``'ReLU'``/``'relu'``, ``'tanh'``, ``'exp'``, ``'log'``,
``'sigmoid'``, ``'neg'``, and a two-child ``'-'`` or ``'/'``. ``_prev`` is often a set, so the
operand order is unknown: for ``-`` and ``/`` it is found from the node's data (the order
whose result matches). A set also keeps one child for ``a + a``: the operand is used twice.
Nodes are matched by identity and the walk has no recursion, so deep graphs work.
"""

from __future__ import annotations

import html
import re
import math
from dataclasses import dataclass
from typing import Any, Mapping

from .. import ops as _ops
from ..backprop import grad
from ..errors import GlassgradError, OperandError
from ..ops import Op, _num
from ..value import Value, apply
from .markup import markdown as _md

__all__ = ["check_engine", "EngineCheck", "EngineRow", "MICROGRAD_OPS"]

MICROGRAD_OPS: dict[str, Op] = {
    "+": _ops.add, "*": _ops.mul, "-": _ops.sub, "/": _ops.div,
    "ReLU": _ops.relu, "relu": _ops.relu, "tanh": _ops.tanh, "exp": _ops.exp, "log": _ops.log,
    "sigmoid": _ops.sigmoid, "neg": _ops.neg, "abs": _ops.abs,
}
"""Their op string -> glassgrad's op. ``'**k'`` is read separately (pow with the constant k)."""

_COMMUTATIVE = {"add", "mul"}  # operand order does not change the value or the local derivatives


@dataclass(frozen=True)
class EngineRow:
    """One node of their graph: their gradient next to glassgrad's.

    ``op`` is their op string ('' for a leaf); ``rule`` is how glassgrad's op passes the
    gradient to its inputs (its local derivatives).
    """

    index: int
    node: str
    op: str
    theirs: float
    expected: float
    ok: bool
    rule: str = ""


@dataclass(frozen=True)
class EngineCheck:
    """What :func:`check_engine` found. ``rows`` run from the root down (reverse topological
    order, the order backward visits); ``first_wrong`` is the first row that disagrees and
    ``message`` says which op's backward gave it."""

    rows: tuple[EngineRow, ...]
    first_wrong: EngineRow | None
    message: str
    hint: str = ""
    atol: float = 1e-6
    rtol: float = 1e-6

    @property
    def ok(self) -> bool:
        return self.first_wrong is None

    def summary(self) -> str:
        if self.ok:
            return f"check_engine: ok, all {len(self.rows)} gradients match glassgrad's"
        wrong = sum(1 for r in self.rows if not r.ok)
        return f"check_engine: {wrong} of {len(self.rows)} gradients differ; {self.message}"

    def _table(self) -> list[list[str]]:
        return [[r.node, r.op or "leaf", f"{r.theirs:.8g}", f"{r.expected:.8g}",
                 "ok" if r.ok else "WRONG"] for r in self.rows]

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        body = self._table()
        if len(body) > 40:  # show the first wrong rows and their neighbours only
            keep = [i for i, r in enumerate(self.rows) if not r.ok][:20] or list(range(10))
            body = [body[i] for i in keep]
        headers = ["node", "op", "your grad", "expected", ""]
        widths = [max([len(h), *(len(row[i]) for row in body)]) for i, h in enumerate(headers)]
        for row in [headers, *body]:
            lines.append("  ".join(c.rjust(w) if i in (2, 3) else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        parts = [f"**{_md(self.summary())}**", ""]
        if self.hint:
            parts += [f"*hint: {_md(self.hint)}*", ""]
        parts += ["| node | op | your grad | expected | |", "|---|---|---:|---:|---|"]
        parts += ["| " + " | ".join(_md(c) for c in row) + " |" for row in self._table()[:200]]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        out = [f'<div><p style="font-weight:bold;color:{colour}">{html.escape(self.summary())}</p>']
        if self.hint:
            hint = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(self.hint))  # `+=` as code
            out.append(f"<p><i>hint: {hint}</i></p>")
        out.append("<table style='font-family:monospace'><tr><th>node</th><th>op</th>"
                   "<th>your grad</th><th>expected</th><th></th></tr>")
        for row in self._table()[:200]:
            shade = " style='background:#ffebe9'" if row[-1] == "WRONG" else ""
            out.append(f"<tr{shade}>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        return "".join(out) + "</table></div>"


def check_engine(root: Any, *, atol: float = 1e-6, rtol: float = 1e-6,
                 ops: Mapping[str, Op] | None = None) -> EngineCheck:
    """Compare the gradients of a micrograd-style graph (after its ``backward()``) with glassgrad's.

    ``root`` is any object with ``data``, ``grad``, ``_prev`` (or ``_children``) and ``_op``.
    Their graph is rebuilt with glassgrad's ops (``ops`` adds or overrides op strings, e.g.
    ``{"σ": autograd.ops.sigmoid}``), glassgrad's gradient of the root is taken with respect
    to every node, and each node's ``grad`` is compared (``|theirs - expected| <= atol +
    rtol * |expected|``). A wrong gradient is blamed on the backward of the op that consumes
    the node: ``tanh: your backward gives 1.0, expected 0.5 = 1 - out**2 (out = 0.7071)``.

    >>> class V:  # the smallest micrograd-like node, with its backward done by hand
    ...     def __init__(self, data, prev=(), op=""):
    ...         self.data, self.grad, self._prev, self._op = data, 0.0, set(prev), op
    >>> x = V(0.5); t = V(math.tanh(0.5), (x,), "tanh")
    >>> t.grad = 1.0; x.grad = 1 - t.data          # the classic slip: 1 - t, not 1 - t**2
    >>> print(check_engine(t).message)  # doctest: +NORMALIZE_WHITESPACE
    tanh: your backward gives 0.53788284, expected 0.78644773 = 1 - out**2 (out = 0.46211716);
    node #0: your grad 0.53788284, expected 0.78644773
    """
    table = dict(MICROGRAD_OPS)
    if ops is not None:
        for key, op in ops.items():
            if not isinstance(op, Op):
                raise OperandError(f"check_engine: ops[{key!r}] must be an autograd Op "
                                   f"(e.g. autograd.ops.tanh), got {type(op).__name__}")
        table.update(ops)
    order = _their_order(root)
    index = {id(n): k for k, n in enumerate(order)}
    mine: list[Value] = []
    ops_of: list[tuple[Op | None, list[int], float | None]] = []
    for k, node in enumerate(order):
        kids = [index[id(c)] for c in _children(node)]
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
    message, hint = ("", "") if first is None else _blame(first, order, ops_of, mine, expected, index)
    return EngineCheck(tuple(rows), first, message, hint, atol, rtol)


def _their_order(root) -> list:
    """Their nodes, children before parents, each once (by identity); no recursion."""
    for attr in ("data", "grad", "_op"):
        if not hasattr(root, attr):
            raise OperandError(f"check_engine: expects the root of a micrograd-style graph (with data, "
                               f"grad, _prev and _op), got {type(root).__name__} without {attr!r}")
    order, seen = [], {id(root)}
    stack = [(root, iter(_children(root)))]
    while stack:
        node, kids = stack[-1]
        for kid in kids:
            if id(kid) not in seen:
                seen.add(id(kid))
                stack.append((kid, iter(_children(kid))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _children(node) -> tuple:
    kids = getattr(node, "_prev", None)
    if kids is None:
        kids = getattr(node, "_children", ())
    return tuple(kids)


def _read(node, kids: list[int], mine: list[Value], table, k: int):
    """(glassgrad op, operand indices in order, constant) for their node; (None, [], None) for a leaf."""
    code = node._op or ""
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


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


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
