"""How a formula's names bind to the graph, for :func:`check_formula`: node labels (``h[0]``,
``yhat``), ``where=`` sub-expressions, ``values=`` numbers and ``pin=`` names.

    >>> from autograd import Value
    >>> _as_name("W1[0,1]"), _as_name("two words")
    ('W1[0,1]', None)
"""

from __future__ import annotations

import re
from typing import Mapping

from ..errors import BackwardError, GlassgradError, OperandError, describe
from ..value import Value
from .expression import Expr, ExpressionError, Name, _postorder, parse, resolve_names


def _where(where, by_label) -> dict[str, Expr]:
    """The named sub-expressions, in an order where each uses only names before it."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise OperandError(f"check_formula: where must be a dict of name -> formula, got {type(where).__name__}")
    exprs = {}
    for name, text in where.items():
        if not isinstance(name, str) or _as_name(name) != name:
            raise OperandError(f"check_formula: where: {name!r} is not a name a formula can use "
                               f"(a letter or _ first, then letters, digits, _)")
        if name in by_label:
            raise OperandError(f"check_formula: where: {name!r} is also a node label; name the "
                               f"sub-expression differently")
        exprs[name] = text if isinstance(text, Expr) else parse(text)
    ordered: dict[str, Expr] = {}
    waiting = dict(exprs)
    while waiting:
        ready = [n for n, e in waiting.items() if all(m not in waiting or m == n for m in e.names)]
        cyclic = [n for n in ready if n in waiting[n].names]
        if cyclic or not ready:
            names = cyclic or list(waiting)
            raise OperandError(f"check_formula: where: {', '.join(map(repr, names))} refer to "
                               f"{'itself' if len(names) == 1 else 'each other'}; a sub-expression "
                               f"must be built from nodes and earlier names")
        for n in ready:
            ordered[n] = waiting.pop(n)
    return ordered


def _fixed_values(values, by_label) -> dict[str, float]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise OperandError(f"check_formula: values must be a dict of name -> number, got {type(values).__name__}")
    fixed = {}
    for name, v in values.items():
        if name in by_label:
            raise OperandError(f"check_formula: values: {name!r} is a node label; its value comes "
                               f"from the graph (leave it out of values)")
        try:
            fixed[name] = Value(v).data
        except GlassgradError as e:
            raise OperandError(f"check_formula: values[{name!r}]: {e}") from None
    return fixed


def _pinned(pin, by_label) -> set:
    if isinstance(pin, str):
        pin = [pin]
    nodes = set()
    for name in pin:
        found = by_label.get(name, [])
        if not found:
            raise OperandError(f"check_formula: pin: no node is labelled {name!r}; {_available(by_label)}")
        nodes.update(found)
    return nodes


def _labels(order: list[Value]) -> dict[str, list[Value]]:
    """Nodes by label, in topological order; labels as the parser writes them (``W[0,1]``)."""
    by_label: dict[str, list[Value]] = {}
    for node in order:
        if node.label:
            key = _as_name(node.label)
            if key is not None:
                by_label.setdefault(key, []).append(node)
    return by_label


_PLAIN_INDEX = re.compile(r"[0-9]+(?:,[0-9]+)*\]", re.ASCII)


def _as_name(label: str) -> str | None:
    """How ``label`` is written in a formula, or None when a formula cannot name it."""
    head, bracket, index = label.partition("[")
    if head.isidentifier() and (not bracket or _PLAIN_INDEX.fullmatch(index)):
        return label  # the common case, without parsing: "w", "h[0]", "W1[0,1]"
    try:
        expr = parse(label)
    except ExpressionError:
        return None
    return expr.name if isinstance(expr, Name) else None


def _node_named(name: str, expr: Expr, by_label: dict[str, list[Value]]) -> Value:
    nodes = by_label.get(name, [])
    if len(nodes) == 1:
        return nodes[0]
    where = next((n.pos for n in _names_in(expr) if n.name == name), None)
    text = expr.source if expr.source is not None else str(expr)
    position = where if expr.source is not None else None
    if not nodes:
        raise ExpressionError(f"no node in the graph is labelled {name!r}; {_available(by_label)}",
                              kind="unknown name",
                              position=position, text=text)
    raise ExpressionError(f"{len(nodes)} nodes are labelled {name!r} "
                          f"({', '.join(describe(n) for n in nodes[:4])}); give them different "
                          f"labels", kind="ambiguous name", position=position, text=text)


def _names_in(expr: Expr):
    return (n for n in _postorder(expr) if type(n) is Name)


def _available(by_label: dict[str, list[Value]]) -> str:
    labels = list(by_label)
    if not labels:
        return "the graph has no labelled nodes (set node.label = 'name')"
    shown = ", ".join(labels[:40]) + (f", ... ({len(labels)} labels)" if len(labels) > 40 else "")
    return f"the labels are: {shown}"


def _target(wrt, by_label: dict[str, list[Value]], order: list[Value]) -> Value:
    if isinstance(wrt, Value):
        if wrt not in set(order):
            raise BackwardError(f"check_formula: wrt ({describe(wrt)}) is not part of the graph "
                                f"of the output")
        return wrt
    if not isinstance(wrt, str):
        raise OperandError(f"check_formula: wrt must be a Value or a label, got {type(wrt).__name__}")
    key = _as_name(wrt)
    if key is not None and key not in by_label:  # wrt="ŷ" names the node labelled yhat
        key = resolve_names(Name(key), by_label).name
    return _node_named(key or wrt, Name(key or wrt, pos=0, source=wrt), by_label)
