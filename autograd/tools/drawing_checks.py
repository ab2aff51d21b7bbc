"""Checking what ``draw`` is given, and what it is asked to highlight: clear errors, named values.

    >>> from autograd import Value
    >>> _describe(Value(2.0, label="w")), _describe(3)
    ('the node w = 2.0', 'int 3')
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

from ..errors import DrawingError, OperandError, describe
from ..value import Value

_RANKDIRS = ("LR", "TB", "RL", "BT")


# -- checking options ------------------------------------------------------------

def _check_value(x, what: str) -> Value:
    if not isinstance(x, Value):
        raise OperandError(f"draw: {what} must be a Value, got {type(x).__name__} {x!r:.40}")
    return x


def _check_options(rankdir, number_format, max_nodes, timeout, title, start, number_width) -> None:
    if rankdir not in _RANKDIRS:
        raise DrawingError(f"draw: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    try:
        if not isinstance(number_format, str):
            raise TypeError
        format(1.5, number_format)
    except (TypeError, ValueError):
        raise DrawingError(f"draw: number_format {number_format!r} is not a format spec for "
                           f"floats; try '.4g' or '.3f'") from None
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise DrawingError(f"draw: max_nodes must be a positive int, got {max_nodes!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, Real) or not timeout > 0:
        raise DrawingError(f"draw: timeout must be a positive number of seconds, got {timeout!r}")
    if title is not None and not isinstance(title, str):
        raise OperandError(f"draw: title must be a str or None, got {type(title).__name__}")
    if start is not None:
        _check_value(start, "start")
    if number_width is not None and (isinstance(number_width, bool) or not isinstance(number_width, int)
                                     or number_width < 1):
        raise DrawingError(f"draw: number_width must be None or a positive int (characters), "
                           f"got {number_width!r}")


def _check_names(names):
    if names is not None and not isinstance(names, Mapping) and not callable(names):
        raise OperandError(f"draw: names must be a mapping node -> str or a function node -> str | None, "
                           f"got {type(names).__name__} {names!r:.40}")
    return names


def _check_mapping(m, what: str):
    if m is not None and not isinstance(m, Mapping):
        raise OperandError(f"draw: {what} must be a mapping node -> number or None, "
                           f"got {type(m).__name__}")
    return m


def _iterate(xs, what: str):
    if isinstance(xs, Value):
        raise OperandError(f"draw: {what} expects an iterable of Values, got a single Value")
    try:
        return iter(xs)
    except TypeError:
        raise OperandError(f"draw: {what} expects an iterable, got {type(xs).__name__}") from None


def _describe(x) -> str:
    if isinstance(x, Value):
        return f"the node {describe(x)}" if x.label else f"an unlabelled node ({x.op or 'leaf'}, {x.data!r})"
    return f"{type(x).__name__} {x!r:.40}"


class _Marks:
    """What is drawn in red, checked against the drawing: ``boxes`` (values), ``ops`` (the nodes
    whose op oval is lit), ``arrows`` (the nodes whose op's arrow into them is lit) and ``edges``
    (``(node, index)`` pairs)."""

    def __init__(self, index: dict, highlight, highlight_edges, highlight_ops):
        self.boxes = {self._drawn(node, index, "highlight") for node in _iterate(highlight, "highlight")}
        self.arrows: set = set()
        for node in _iterate(highlight_ops, "highlight_ops"):
            if not self._drawn(node, index, "highlight_ops").parents:
                raise DrawingError(f"draw: highlight_ops {_describe(node)} is a leaf: no op made it")
            self.arrows.add(node)
        self.edges: set = set()
        for edge in _iterate(highlight_edges, "highlight_edges"):
            if not (isinstance(edge, tuple) and len(edge) == 2 and isinstance(edge[0], Value)
                    and isinstance(edge[1], int) and not isinstance(edge[1], bool)):
                raise OperandError(f"draw: each of highlight_edges must be a (node, index) pair, "
                                   f"got {edge!r:.60}")
            node, k = edge
            if not 0 <= k < len(node.parents):
                raise DrawingError(f"draw: highlight_edges index {k} is out of range for "
                                   f"{_describe(node)}, which has {len(node.parents)} operands")
            if node not in index or node.parents[k] not in index:
                raise DrawingError(f"draw: highlight_edges edge {k} into {_describe(node)} "
                                   f"is not in the drawing")
            self.edges.add(edge)
        self.ops = self.arrows | {node for node, _ in self.edges}

    @staticmethod
    def _drawn(node, index: dict, what: str) -> Value:
        if _check_value(node, f"each of {what}") not in index:
            raise DrawingError(f"draw: {what} {_describe(node)} is not in the drawing")
        return node

    def ids(self, index: dict) -> list[str]:
        """The DOT/SVG ids of everything marked, sorted."""
        return sorted([*(f"v{index[n]}" for n in self.boxes), *(f"o{index[n]}" for n in self.ops),
                       *(f"r{index[n]}" for n in self.arrows),
                       *(f"e{index[n]}_{k}" for n, k in self.edges)])
