"""Draw the computation graph: every value with its data and grad, every edge with its local derivative.

``draw`` is a thin reader of the graph. It walks it once, without recursion, and emits a
``graphviz.Digraph``: a box per value (label, data, grad), an oval per op (``*3``, ``σ``),
and on the edge from an operand into an op the local derivative d(out)/d(operand). The
chain rule can then be checked by eye: an operand's grad is the sum, over its outgoing
edges, of the edge's number times the grad of the value that op makes.

    >>> from autograd import Value, draw
    >>> w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    >>> y = (w * x + b).sigmoid(); y.label = "y"
    >>> y.backward()
    >>> d = draw(y)
    >>> d
    <Drawing: 6 values, 3 ops, root 'y'>
    >>> d.edge_id(y, 0), "label=<0.25>" in d.source    # d y / d (w*x + b) = y(1 - y) = 0.25
    ('e5_0', True)

``d`` shows itself in Jupyter; ``d.save("graph.png")`` renders with the ``dot`` program,
or with the ``graphviz-pure`` program that ``pip`` installs when Graphviz is missing.

This module puts a drawing together; its parts live beside it: ``drawing_layout`` (which
nodes, of which kind, in which box and order), ``drawing_labels`` (what a box, an oval and
an edge say), ``drawing_legend``, ``drawing_style`` (colours, fonts, escaping),
``drawing_checks`` (the options) and ``drawing_render`` (running Graphviz).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import graphviz

from ..errors import DrawingError, FileWriteError, GraphTooLarge, GraphvizNotFound, GlassgradError
from ..files import write_atomically
from ..value import Value
from .drawing_checks import _check_options, _check_value, _describe, _Marks
from .drawing_labels import _Shown, _edge_rule, _op_attrs, _value_label
from .drawing_layout import (_BIG, _BIG_SPAN, _MAX_VIRTUAL, _MCLIMIT, _NSLIMIT, _NSLIMIT_BIG, _ClusterBoxes,
                             _clusters, _kinds, _neuron_anchors, _operand_rows, _outermost, _select,
                             _virtual_nodes)
from .drawing_legend import _legend_label
from .drawing_render import _fit_width, _run_renderer, _script_dirs  # noqa: F401 (_script_dirs: benchmarks)
from .drawing_style import (_EDGE_LABEL_COLOUR, _EDGE_MARK, _EDGE_SIZE, _FONT, _NODE_SIZE, _TITLE_CHARS,
                            _TITLE_SIZE, _html, _quoted, _shortened)

__all__ = ["draw", "Drawing", "DrawingError", "GraphTooLarge", "GraphvizNotFound"]


def draw(root: Value, *, rankdir: str = "LR", number_format: str = ".4g", show_grad: bool = True,
         show_edge_labels: bool = True, highlight: Iterable[Value] = (),
         highlight_edges: Iterable[tuple[Value, int]] = (),
         highlight_ops: Iterable[Value] = (),
         values: Mapping[Value, float | None] | None = None,
         grads: Mapping[Value, float | None] | None = None,
         names: Mapping[Value, str] | Callable[[Value], str | None] | None = None,
         number_width: int | None = None,
         parameters: Iterable[Value] | None = None,
         cluster: bool | Callable[[Value], str | tuple[str, ...] | None] = True,
         start: Value | None = None, max_nodes: int = 2000, title: str | None = None,
         legend: bool | None = None, collapse: bool = False, timeout: float = 60.0) -> "Drawing":
    """Draw the graph that computes ``root``: values, grads, ops and local derivatives.

    Options: ``rankdir`` "LR" (left to right, the default) or "TB" (top to bottom);
    ``number_format`` a float format spec; ``show_grad`` / ``show_edge_labels``;
    ``values`` / ``grads`` override what is shown (None shows "?");
    ``parameters`` the leaves to colour as parameters: pass ``model.parameters()`` for an nn
    model (without it only nn's ``W1[0,1]``, ``b1[0]`` and the course's ``Wi``, ``Wo``, ``W^i``,
    ``W^o`` are taken for parameters; a lone ``w`` or ``b`` is drawn as an input);
    ``collapse`` leaves the parameters out (a dashed op has operands not drawn; its tooltip
    counts them): a whole network's graph at a readable size; ``cluster`` groups nodes in boxes: True gives one box per neuron, read from
    nn's labels (``W1[0,2]``, ``b1[0]``, ``z1[0]``, ``h1[0]``: layer 1, neuron 0; an
    unlabelled node joins the one box it feeds), a function ``node -> name`` (or a tuple
    of names, outermost first, for nested boxes) chooses them, False draws none;
    ``start`` draws only the nodes on paths from ``start`` to ``root``; graphs with more
    than ``max_nodes`` values are refused with :class:`GraphTooLarge` before any work;
    ``title`` goes on top (``""`` or None: none); ``legend=True`` adds a key to the colours
    and the edges' numbers, ``False`` none; by default (None) a drawing with dashed ops (whose
    operands ``start`` or ``collapse`` left out) gets a one-line key saying so, others none;
    ``timeout`` (seconds) bounds rendering.

    Highlighting (in red) comes in three parts, so that a picture can point at exactly
    one thing: ``highlight`` rings the boxes of the given values (not the ops that made
    them); ``highlight_edges``, pairs ``(node, index)``, lights the edge from
    ``node.parents[index]`` into ``node``'s op and that op; ``highlight_ops`` lights the
    op that made each given node and its arrow into the node. A ringed box takes the
    same room as a plain one, so highlighting never moves anything.

    An unlabelled box shows, in grey italics, the name ``explain`` and ``trace`` give it in
    their text: ``a``, ``b``, ... for a leaf, ``t1``, ``t2``, ... for an op whose expression
    is too long to be its name (a short one, ``a * b``, is in the op's tooltip). With
    ``names`` given, only the names it gives are shown.

    ``names`` (a mapping ``node -> str`` or a function returning a str or None) puts a
    name on top of a box in place of its label: give unlabelled nodes the names your
    text uses for them (``Trace`` passes the ``n7`` and ``w * x`` of its steps). Tooltips
    spell out each op's formula and each edge's rule as ``explain`` writes them, with
    these names (an unlabelled node by its short expression ``w * x``, else ``n7``).

    ``number_width`` reserves room for numbers of that many characters (and for the
    warnings an op will show once its value is known), so that drawings of one graph in
    different states share one layout: a stepper's frames do not jump as "?" turns into
    ``-0.1234``. Boxes get a little wider than their text.

    Networks read in index order: neurons and each node's operands come top to bottom drawn
    LR (``h1[0]``, ``h1[1]``, ...; ``W2[0,0]``, ``W2[0,1]``, ..., ``b2[0]``) and left to right
    drawn TB, with Graphviz old and new. LR reads best for expressions and single neurons,
    and stays the default for networks too (drawn TB, an MLP gets wide). In an MLP the edges
    from the inputs curve around the neuron boxes; ``cluster=False`` draws them short, at the
    cost of the boxes. An edge from one box into another has its number beside it (an
    ``xlabel``, placed once the edge is drawn), not where dot left room for it.

    >>> from autograd import Value, draw
    >>> a = Value(3.0, label="a")
    >>> d = draw(a * a, show_grad=False)
    >>> d.source.count("v0 -> o1")         # a node used twice has two edges
    2
    >>> c = a * a
    >>> d = draw(c, highlight=[a], highlight_edges=[(c, 0)], names={c: "c"})
    >>> d.highlighted                      # a's box, the edge a -> * and the * op; not c's box
    ['e1_0', 'o1', 'v0']
    >>> "<B>c</B>" in d.source
    True
    >>> '<I><FONT COLOR="#6b6b6b">b</FONT></I>' in draw(Value(2.0) * a).source  # explain's "b * a"
    True
    """
    _check_value(root, "root")
    _check_options(rankdir, number_format, max_nodes, timeout, title, start, number_width)
    if legend is not None and not isinstance(legend, bool):
        raise DrawingError(f"draw: legend must be True, False or None (a key where needed), got {legend!r:.40}")
    index, graph = _select(root, start, max_nodes)
    kinds = _kinds(index, root, parameters)
    if collapse:
        hidden = {node: i for node, i in index.items() if kinds[node] == "parameter" and node is not start}
        index = {node: i for node, i in index.items() if node not in hidden}
    paths = _clusters(index, cluster)
    marks = _Marks(index, highlight, highlight_edges, highlight_ops)
    shown = _Shown(number_format, values, grads, names, number_width, graph)

    n_drawn = len(index) + sum(1 for node in index if node.parents)  # boxes and ops
    virtual = _virtual_nodes(index)
    small = n_drawn <= _BIG and virtual <= _BIG_SPAN
    graph_attr = {"rankdir": rankdir, "fontname": _FONT, "nodesep": "0.05" if collapse else "0.25", "ranksep": "0.35",
                  "nslimit": _NSLIMIT if small else _NSLIMIT_BIG, "mclimit": _MCLIMIT}
    if title:  # an empty title is no title: "<B></B>" is a syntax error to Graphviz
        graph_attr.update(label=f"<<B>{_html(_shortened(title, 2 * _TITLE_CHARS))}</B>>", labelloc="t", fontsize=str(_TITLE_SIZE))
    digraph = graphviz.Digraph(
        name="glassgrad", graph_attr=graph_attr,
        node_attr={"fontname": _FONT, "fontsize": str(_NODE_SIZE), "shape": "plain"},
        edge_attr={"fontname": _FONT, "fontsize": str(_EDGE_SIZE), "color": "#555555", "arrowsize": "0.7",
                   "fontcolor": _EDGE_LABEL_COLOUR})
    boxes = _ClusterBoxes(digraph)
    edges = []  # after all nodes, so that no edge declares a node outside its box
    for node, i in index.items():
        body = boxes.get(paths.get(node)).body
        tip = _quoted(f"{kinds[node]} {shown.notation.operand(node)}")
        body.append(f"\tv{i} [label={_value_label(node, kinds[node], shown, show_grad, node in marks.boxes)}"
                    f" id=v{i} tooltip={tip}]\n")
        if not node.parents:
            continue
        body.append(f"\to{i} [{_op_attrs(node, i, index, shown, node in marks.ops)}]\n")
        edges.append(f"\to{i} -> v{i} [id=r{i}{_EDGE_MARK if node in marks.arrows else ''}]\n")
        for k, parent in enumerate(node.parents):
            if parent not in index:
                continue
            local = shown.local(node, k)
            attrs = f"id=e{i}_{k}"
            crosses = _outermost(paths, parent) != _outermost(paths, node)
            if show_edge_labels:
                # an edge from one box into another is routed around the boxes, far from the spot
                # dot keeps for its label (up to 40 pt away, nearer other edges than its own): an
                # xlabel is put beside the edge once it is drawn
                attrs += f" {'xlabel' if crosses else 'label'}=<{shown.edge_label(local)}>"
            attrs += f" tooltip={_quoted(_edge_rule(node, k, shown, local))}"
            if crosses:
                attrs += " minlen=2"  # room to leave one box and enter the next side by side
            if (node, k) in marks.edges:
                attrs += _EDGE_MARK
            edges.append(f"\tv{index[parent]} -> o{i} [{attrs}]\n")
    for box, lines in _operand_rows(index, paths, rankdir).items():
        boxes.get(box).body += lines
    boxes.close()
    cut_off = legend is not False and any(p not in index for node in index for p in node.parents)
    if legend or cut_off:
        digraph.body.append(f"\tlegend [label={_legend_label(bool(legend), cut_off)} id=legend]\n")
    digraph.body += edges
    if collapse and cluster is True:  # after the edges: dot's first order follows the text
        digraph.body += _neuron_anchors(index, paths)
    drawing = Drawing(digraph, index, root, start, timeout, marks.ids(index))
    drawing.virtual_nodes = virtual
    return drawing


class Drawing:
    """A drawn graph: ``.source`` (DOT text), ``.digraph``, ``.svg()``, ``.png()``, ``.save(path)``.

    It shows itself in Jupyter. The DOT text is deterministic: node ids are positions in
    ``topological_order(root)`` (``v3`` for a value, ``o3`` for the op that made it), edge
    ids are ``e{node}_{index}`` for operand ``index`` of a node and ``r{node}`` for an op's
    arrow into its result; the same ids name the elements of the SVG. ``.highlighted``
    lists the ids of what is drawn in red.
    """

    def __init__(self, digraph: graphviz.Digraph, index: dict, root: Value,
                 start: Value | None, timeout: float, highlighted: list[str] | None = None):
        self.digraph = digraph
        self.timeout = timeout
        self.highlighted: list[str] = highlighted or []
        self._index = index
        self._root, self._start = root, start
        self._rendered: dict[tuple, bytes] = {}

    @property
    def source(self) -> str:
        """The DOT text (the same graph always gives the same text)."""
        return self.digraph.source

    def node_id(self, node: Value) -> str:
        """The DOT/SVG id of ``node``'s box."""
        return f"v{self._position(node)}"

    def edge_id(self, node: Value, index: int) -> str:
        """The DOT/SVG id of the edge from ``node.parents[index]`` into ``node``."""
        return f"e{self._position(node)}_{index}"

    def svg(self) -> str:
        """The drawing as SVG text (runs the renderer)."""
        return self._render("svg").decode("utf-8")

    def png(self, dpi: float | None = None) -> bytes:
        """The drawing as PNG bytes (runs the renderer); ``dpi`` defaults to Graphviz's 96."""
        return self._render("png", () if dpi is None else (f"-Gdpi={float(dpi):g}",))

    def save(self, path: str | os.PathLike, dpi: float | None = None) -> Path:
        """Write the drawing to ``path``; its suffix picks the format: .svg, .png (at ``dpi``) or .dot.

        The file is written atomically (:func:`autograd.files.write_atomically`): a failed write
        raises :class:`~autograd.errors.FileWriteError` naming the path and the reason, keeps
        the old file as it was and leaves no temporary file.

        >>> from autograd import Value, draw
        >>> try:
        ...     draw(Value(2.0, label="x")).save("/no/such/folder/x.dot")
        ... except FileWriteError as e:
        ...     print(e)
        Drawing.save: cannot write '/no/such/folder/x.dot': the folder '/no/such/folder' does not exist
        """
        if not isinstance(path, (str, os.PathLike)):
            raise FileWriteError(f"Drawing.save: path must be a file name (str or Path), got "
                                 f"{type(path).__name__} {path!r:.40}")
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".dot", ".gv"):
            data = self.source.encode("utf-8")
        elif suffix == ".svg":
            data = self._render("svg")
        elif suffix == ".png":
            data = self.png(dpi)
        else:
            raise DrawingError(f"Drawing.save: cannot tell the format from the suffix {suffix!r} "
                               f"of {str(path)!r}; use .svg, .png or .dot")
        write_atomically(path, data, _write_error)
        return path

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        try:
            return {"image/svg+xml": _fit_width(self.svg()), "text/plain": repr(self)}
        except GlassgradError as e:  # no renderer: say so in the notebook instead of a traceback
            return {"text/plain": f"{self!r}\n{e}"}

    def __repr__(self) -> str:
        n_ops = sum(1 for node in self._index if node.parents)
        root = self._root
        n_values = len(self._index)
        text = f"<Drawing: {n_values} value{'s' * (n_values != 1)}, {n_ops} op{'s' * (n_ops != 1)}, "
        text += f"root {root.label!r}" if root.label else f"unlabelled root (op {root.op or 'leaf'!r})"
        if self._start is not None and self._start is not root:
            text += f", from {self._start.label!r}" if self._start.label else ", from an unlabelled node"
        return text + ">"

    def _position(self, node: Value) -> int:
        i = self._index.get(node) if isinstance(node, Value) else None
        if i is None:
            raise DrawingError(f"Drawing: {_describe(node)} is not in this drawing")
        return i

    virtual_nodes = 0  # the ranks long edges cross: what makes Graphviz slow (see _virtual_nodes)

    def _render(self, fmt: str, extra: tuple = ()) -> bytes:
        if self.virtual_nodes > _MAX_VIRTUAL:
            raise GraphTooLarge(
                f"draw: cannot lay out this graph: its edges cross {self.virtual_nodes:,} ranks in all "
                f"(a value used at many depths, as in x + x + ... + x), more than {_MAX_VIRTUAL:,}; "
                f"Graphviz's dot would take minutes or crash. Draw a part with start=<a node>, or "
                f"write the repeated use as one op (autograd.sum([x] * n)). Drawing.source still "
                f"gives the DOT text")
        source = self.source
        key = (fmt, extra)
        cached = self._rendered.get(key)
        if cached is None or cached[0] != source:
            self._rendered[key] = cached = (source, _run_renderer(source, fmt, extra, self.timeout))
        return cached[1]


def _write_error(message: str) -> FileWriteError:
    return FileWriteError(f"Drawing.save: {message}")
