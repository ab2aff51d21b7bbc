"""What a drawing says about each node and edge: a value's box, an op's oval, an edge's label and rule.

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> y = w * x
    >>> shown = _Shown(".4g", None, None, None, None, {w: 0, x: 1, y: 2})
    >>> shown.data(y), shown.local(y, 0), _edge_rule(y, 0, shown, "2")
    ('1', '2', '∂(w * x)/∂w = x = 2')
"""

from __future__ import annotations

from numbers import Real

from ..errors import OperandError
from ..value import Value
from .diagnostics import diagnose
from .drawing_checks import _check_mapping, _check_names, _describe
from .drawing_style import (_FILL, _GRAD_COLOUR, _HIGHLIGHT, _MADE_UP_NAME, _NODE_SIZE, _EDGE_SIZE, _NOTE_SIZE,
                            _OP_FILL, _RING, _SHOWN_OPERANDS, _TITLE_CHARS, _WARNING_FILL, _WARNING_TEXT,
                            _html, _line_room, _quoted, _shortened, _text_room)
from .notation import Notation

class _Shown:
    """What the drawing says about a node: its name, its data and grad (or their overrides) in
    the chosen format, and the room its numbers take; ``notation`` (explain's) writes the nodes
    of the tooltips. Each text is made once per node."""

    def __init__(self, number_format: str, values, grads, names, number_width: int | None,
                 graph: dict[Value, int]):
        self.format = number_format
        self.values = _check_mapping(values, "values")
        self.grads = _check_mapping(grads, "grads")
        self.names = _check_names(names)
        self._data: dict[Value, str] = {}
        self._titles: dict[Value, str | None] = {}
        titles = None if self.names is None else {node: self.title(node) for node in graph}
        self.notation = Notation(graph, number_format, names=titles, max_operands=_SHOWN_OPERANDS,
                                 walked=True)  # graph: positions in topological_order(root)
        # the room reserved, in points, so that a number of number_width characters (or "?") always fits
        self.number_room = self.edge_room = None
        if number_width is not None:
            digits = "0" * number_width
            self.number_room = _text_room(f"grad {digits}", _NODE_SIZE) + 2 * 3  # + the cell's padding
            self.edge_room = _text_room(digits, _EDGE_SIZE)

    def number(self, x, what: str, node: Value) -> str:
        if x is None:
            return "?"
        if type(x) is not float and not isinstance(x, Real):
            raise OperandError(f"draw: {what}[{_describe(node)}] must be a number or None, "
                               f"got {type(x).__name__} {x!r:.40}")
        return format(float(x) + 0.0, self.format)  # + 0.0 shows -0.0 as 0

    def data(self, node: Value) -> str:
        text = self._data.get(node)
        if text is None:
            x = self.values.get(node, node.data) if self.values else node.data
            text = self._data[node] = self.number(x, "values", node)
        return text

    def grad(self, node: Value) -> str:
        x = self.grads.get(node, node.grad) if self.grads else node.grad
        return self.number(x, "grads", node)

    def known(self, node: Value) -> bool:
        """False when ``values`` says this node is not computed yet."""
        return not self.values or self.values.get(node, 0.0) is not None

    def local(self, node: Value, k: int) -> str:
        return self.number(node.local_grads[k], "local_grads", node) if self.known(node) else "?"

    def edge_label(self, local: str) -> str:
        """An edge's label: its local derivative, in a cell of fixed room when numbers have one."""
        if self.edge_room is None:
            return _html(local)
        return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
                f'<TD WIDTH="{self.edge_room}">{_html(local)}</TD></TR></TABLE>')

    def title(self, node: Value) -> str | None:
        """The name on top of the node's box: from ``names``, else its label, else none."""
        if self.names is None:
            return node.label or None
        if node in self._titles:
            return self._titles[node]
        if callable(self.names):
            name = self.names(node)
        else:
            name = self.names.get(node)
        if name is not None and not isinstance(name, str):
            raise OperandError(f"draw: names gave {type(name).__name__} {name!r:.40} for "
                               f"{_describe(node)}; expected a str (or None to keep the label)")
        self._titles[node] = title = name or node.label or None
        return title


def _value_label(node: Value, kind: str, shown: _Shown, show_grad: bool, marked: bool) -> str:
    """The box of a value: its name, data and grad, in a margin that turns into a red ring when marked."""
    rows = []
    title = shown.title(node)
    if title:
        rows.append(f"<B>{_html(_shortened(title, _TITLE_CHARS))}</B>")
    elif shown.names is None and shown.notation.is_generated(node):
        # the a / t1 explain calls it, in grey italics: made up, not the learner's label. With names=
        # the caller's text names the nodes (a trace's order may letter the leaves otherwise)
        rows.append(f'<I><FONT COLOR="{_MADE_UP_NAME}">{_html(shown.notation.name(node))}</FONT></I>')
    room = "" if shown.number_room is None else f' WIDTH="{shown.number_room}"'
    rows.append(f"data {_html(shown.data(node))}")
    if show_grad:
        rows.append(f'<FONT COLOR="{_GRAD_COLOUR}">grad {_html(shown.grad(node))}</FONT>')
    cells = "<HR/>".join(f"<TR><TD{room if k == len(rows) - 1 else ''}>{row}</TD></TR>"
                         for k, row in enumerate(rows))
    box = (f'<TABLE BORDER="1" COLOR="black" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
           f'STYLE="ROUNDED" BGCOLOR="{_FILL[kind]}">{cells}</TABLE>')
    # the ring and the blank margin are the same size, so marking a box moves nothing; the ring's
    # fill shows only in the corners, where the box's rounding would leave white gaps
    ring = (f'BORDER="{_RING}" COLOR="{_HIGHLIGHT}" BGCOLOR="{_HIGHLIGHT}" STYLE="ROUNDED" CELLPADDING="0"'
            if marked
            else f'BORDER="0" CELLPADDING="{_RING}"')
    return f'<<TABLE {ring} CELLBORDER="0" CELLSPACING="0"><TR><TD>{box}</TD></TR></TABLE>>'


def _op_attrs(node: Value, i: int, index: dict, shown: _Shown, marked: bool) -> str:
    """The oval of the op that made ``node``: its symbol, its formula as a tooltip, warnings.

    With room reserved for numbers, an op whose value is not known yet keeps the room of the
    warnings it will show, so the layout does not change when they appear."""
    known = shown.known(node)
    notes = diagnose(node) if known or shown.number_room is not None else []
    tip = f"{shown.notation.definition(node)} = {shown.data(node)}"
    hidden = sum(1 for p in node.parents if p not in index)
    if hidden:
        tip += f"\n{hidden} operand(s) not drawn"
    tip = "\n".join([tip, *notes] if known else [tip])
    headlines = [note.split(": ")[0] for note in notes]  # small, under the op; the rest is in the tooltip
    lines = [f'<FONT POINT-SIZE="{_NOTE_SIZE}" COLOR="{_WARNING_TEXT}">{_html(h)}</FONT>' if known else ""
             for h in headlines]
    if shown.number_room is None:
        label = "<BR/>".join([_html(node.op), *lines])
    else:
        rows = [f"<TR><TD>{_html(node.op)}</TD></TR>"]
        rows += (f'<TR><TD WIDTH="{_text_room(h, _NOTE_SIZE)}" HEIGHT="{_line_room(_NOTE_SIZE)}">{line}</TD></TR>'
                 for h, line in zip(headlines, lines))
        label = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>'
    style = "filled,dashed" if hidden else "filled"
    warned = known and notes
    attrs = (f'label=<{label}> id=o{i} shape=ellipse style="{style}" '
             f'fillcolor="{_WARNING_FILL if warned else _OP_FILL}" tooltip={_quoted(tip)} '
             f'margin="0.04,0.02" height=0.3')
    if marked:
        attrs += f' color="{_HIGHLIGHT}" penwidth=3'
    return attrs


def _edge_rule(node: Value, k: int, shown: _Shown, local: str) -> str:
    """``∂y/∂z = y(1 - y) = 0.25``: the local derivative's rule from the op table, and its value."""
    n = shown.notation
    return f"{n.partial(node, node.parents[k])} = {n.rule(node, k)} = {local}"
