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
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from numbers import Real
from pathlib import Path

import graphviz

from ..backprop import topological_order
from .diagnostics import diagnose
from ..errors import DrawingError, GraphTooLarge, GraphvizNotFound, GlassgradError, OperandError, describe
from .notation import Notation
from .markup import visible
from ..value import Value

__all__ = ["draw", "Drawing", "DrawingError", "GraphTooLarge", "GraphvizNotFound"]


_RANKDIRS = ("LR", "TB", "RL", "BT")
_LAYER_NEURON = re.compile(r"^[A-Za-z_]+(\d+)\[(\d+)")         # W1[0,2], b1[0], z2[0], h1[3]
# Parameters by name, when draw is not told: nn's layer-numbered W1[0,1], b1[0], and the course's
# Wi, Wo, W^i, W^o, W_{o}, W^{(o)}, w^{(1)}. A lone w or b may be anything: an input unless said.
_PARAMETER_LABEL = re.compile(r"^(?:[Wb]\d+\[|W(?:[io]|[\^_]\{?\(?[io]\)?\}?)(?:\[|$)"
                              r"|[Ww][\^_]\{?\(\w+\)\}?(?:\[|$))")

_FONT = "Helvetica"
_NODE_SIZE, _EDGE_SIZE, _NOTE_SIZE, _TITLE_SIZE = 11, 10, 8, 16  # font sizes in points
_FILL = {"input": "#d6eaff", "parameter": "#ffe2b8", "constant": "#eeeeee",
         "output": "#c9f2c9", "value": "#ffffff"}
_OP_FILL, _WARNING_FILL, _WARNING_TEXT = "#ece6f6", "#ffb3b3", "#8b0000"
_GRAD_COLOUR, _EDGE_LABEL_COLOUR, _HIGHLIGHT = "#a0306a", "#1f5fbf", "#d62728"
_MADE_UP_NAME = "#6b6b6b"  # an unlabelled node's generated name (a, t1), in italics
_CLUSTER_FILL = ("#f6f6f6", "#ebebeb")  # outermost box, boxes inside it
_EDGE_MARK = f' color="{_HIGHLIGHT}" fontcolor="{_HIGHLIGHT}" penwidth=2.5'
_RING = 3  # points of red around a highlighted box; a plain box has as much blank margin instead
_SHOWN_OPERANDS = 4  # operands of sum and dot written out in a tooltip; explain writes 6, which names
# nodes alike: an op of 5 or more operands never fits Notation's 16-character expression names
_TITLE_CHARS, _TIP_CHARS = 80, 2000  # a longer name is cut with "…" in its box, a longer tooltip too
# Graphviz lays a long edge out as a chain of one virtual node per rank it crosses: a value used
# at many depths (x + x + ... + x, n terms) makes ~n^2 of them. dot takes minutes past ~20,000
# and crashes (SIGSEGV) near 60,000, so such a graph is refused before dot runs.
_MAX_VIRTUAL = 20000
# dot's positioning (network simplex, up to nslimit x nodes iterations) runs for minutes when one
# value feeds ops at many depths (x + x + ... + x: 50 terms 6.8 s, 100 terms > 2 min). Ordinary
# graphs converge well within 20 (their layout is unchanged: checked on ~500 graphs, MLPs
# included); past 250 nodes an iteration costs more, and 5 still leaves MLPs unchanged.
_NSLIMIT, _NSLIMIT_BIG, _BIG = "20", "5", 250
_BIG_SPAN = 2000  # virtual nodes past which an iteration is costly: the smaller nslimit
# dot orders the nodes of a rank by a breadth-first walk from the inputs in the order the DOT text
# gives them (so in operand order), then crossing minimisation moves them about; in a network
# most moves change no crossing (every h1[j] feeds every neuron of the next layer alike) and only
# scramble it: hidden units came out 0, 2, 1 and a neuron's operands W2[0,2], b2[0], W2[0,0], W2[0,1].
# A small mclimit keeps dot's first order: neurons and operands in index order, top to bottom.
_MCLIMIT = "0.1"


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
         legend: bool = False, collapse: bool = False, timeout: float = 60.0) -> "Drawing":
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
    ``title`` goes on top (``""`` or None: none); ``legend`` adds a key to the colours;
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

    LR reads best for expressions and single neurons, and stays the default for networks
    too: drawn LR, neurons and each node's operands come top to bottom in index order
    (``h1[0]``, ``h1[1]``, ...; ``W2[0,0]``, ``W2[0,1]``, ..., ``b2[0]``); drawn TB, an MLP
    gets wide, the operands in a neuron's box come right to left and its input edges no shorter. In an MLP drawn LR the edges from the inputs curve around the neuron
    boxes; ``cluster=False`` draws them short, at the cost of the boxes.

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
    index, outside = _select(root, start, max_nodes)
    kinds = _kinds(index, root, parameters)
    if collapse:
        hidden = {node: i for node, i in index.items() if kinds[node] == "parameter" and node is not start}
        index = {node: i for node, i in index.items() if node not in hidden}
        outside = {**outside, **hidden}
    paths = _clusters(index, cluster)
    marks = _Marks(index, highlight, highlight_edges, highlight_ops)
    shown = _Shown(number_format, values, grads, names, number_width, {**outside, **index})

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
            if show_edge_labels:
                attrs += f" label=<{shown.edge_label(local)}>"
            attrs += f" tooltip={_quoted(_edge_rule(node, k, shown, local))}"
            if _outermost(paths, parent) != _outermost(paths, node):
                attrs += " minlen=2"  # room to leave one box and enter the next side by side
            if (node, k) in marks.edges:
                attrs += _EDGE_MARK
            edges.append(f"\tv{index[parent]} -> o{i} [{attrs}]\n")
    boxes.close()
    if legend:
        digraph.body.append(f"\tlegend [label={_legend_label()} id=legend]\n")
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
        """Write the drawing to ``path``; its suffix picks the format: .svg, .png (at ``dpi``) or .dot."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".dot", ".gv"):
            path.write_text(self.source, encoding="utf-8")
        elif suffix == ".svg":
            path.write_bytes(self._render("svg"))
        elif suffix == ".png":
            path.write_bytes(self.png(dpi))
        else:
            raise DrawingError(f"Drawing.save: cannot tell the format from the suffix {suffix!r} "
                               f"of {str(path)!r}; use .svg, .png or .dot")
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


_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def _fit_width(svg: str) -> str:
    """The SVG scaled down to the width of the page it is shown in (a notebook's cell), never up:
    width 100% with its own width as the most, the height following the viewBox."""
    return _SVG_SIZE.sub(lambda m: f'<svg width="100%" style="max-width: {m[1]}pt; height: auto"',
                         svg, count=1)


# -- which nodes, of which kind, in which box -----------------------------------

def _select(root: Value, start: Value | None, max_nodes: int) -> tuple[dict[Value, int], dict[Value, int]]:
    """The nodes to draw, and the operands of theirs not drawn (with ``start``), each with its
    position in ``topological_order(root)``."""
    if start is None:
        n_values, n_edges = _count_up_to(root, max_nodes)
        if n_values > max_nodes or n_edges > max_nodes:
            raise GraphTooLarge(
                f"draw: the graph of {_describe(root)} has {_counted(n_values, max_nodes, n_edges)} values and "
                f"{_counted(n_edges, max_nodes, n_values)} edges; draw() takes at most max_nodes={max_nodes} of "
                f"each. Draw the part near the output with start=<a node>, or raise max_nodes")
        return {node: i for i, node in enumerate(topological_order(root))}, {}
    on_path: dict[Value, int] = {}
    position: dict[Value, int] = {}
    for i, node in enumerate(topological_order(root)):
        position[node] = i
        if node is start or any(p in on_path for p in node.parents):
            on_path[node] = i
    if start not in on_path:
        raise DrawingError(f"draw: start {_describe(start)} is not part of the graph "
                           f"that computes {_describe(root)}")
    n_edges = sum(p in on_path for node in on_path for p in node.parents)  # the edges drawn
    if len(on_path) > max_nodes or n_edges > max_nodes:
        raise GraphTooLarge(f"draw: the part from {_describe(start)} to {_describe(root)} has "
                            f"{len(on_path)} values and {n_edges} edges; draw() takes at most "
                            f"max_nodes={max_nodes} of each. Choose a start nearer the output or "
                            f"raise max_nodes")
    outside = {p: position[p] for node in on_path for p in node.parents if p not in on_path}
    return on_path, outside


def _count_up_to(root: Value, limit: int) -> tuple[int, int]:
    """How many values ``root`` depends on (itself included) and how many edges join them;
    past ``limit`` in either the count stops (a value just past it: "more than")."""
    seen = {root}
    stack = [root]
    edges = 0
    while stack:
        parents = stack.pop().parents
        edges += len(parents)
        for p in parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)
        if edges > limit or len(seen) > limit:
            return len(seen), edges
    return len(seen), edges


def _counted(n: int, limit: int, other: int) -> str:
    """A count of ``_count_up_to``: exact while both stayed within ``limit``."""
    if n > limit:
        return f"more than {limit}"
    return str(n) if other <= limit else f"at least {n}"


def _virtual_nodes(index: dict) -> int:
    """How many ranks the edges cross in all, the ranks as dot assigns them (a box one rank
    after its op, an op one after its deepest operand): the chains of virtual nodes dot lays out."""
    rank: dict[Value, int] = {}
    total = 0
    for node in index:  # operands first
        ranks = [rank[p] for p in node.parents if p in rank]
        if not ranks:
            rank[node] = 0
            continue
        op_rank = max(ranks) + 1
        total += sum(op_rank - r - 1 for r in ranks)
        rank[node] = op_rank + 1
    return total


def _kinds(index: dict, root: Value, parameters: Iterable[Value] | None) -> dict[Value, str]:
    """output / value (made by an op) / parameter / input / constant, for the colours."""
    chosen = None
    if parameters is not None:
        chosen = set()
        for p in _iterate(parameters, "parameters"):
            chosen.add(_check_value(p, "each of parameters"))
    kinds = {}
    for node in index:
        if node is root:
            kinds[node] = "output"
        elif node.parents:
            kinds[node] = "value"
        elif chosen is not None and node in chosen:
            kinds[node] = "parameter"
        elif not node.label:
            kinds[node] = "constant"
        elif chosen is None and _PARAMETER_LABEL.match(node.label):
            kinds[node] = "parameter"
        else:
            kinds[node] = "input"
    return kinds


_MIXED = ("mixed",)  # an unlabelled node that feeds several boxes joins none


def _clusters(index: dict, cluster) -> dict[Value, tuple[str, ...]]:
    """For each node, the names of the boxes it is drawn in, outermost first (absent: none)."""
    if cluster is False or cluster is None:
        return {}
    if cluster is not True and not callable(cluster):
        raise DrawingError(f"draw: cluster must be True, False or a function node -> name, "
                           f"got {type(cluster).__name__} {cluster!r:.40}")
    paths: dict[Value, tuple[str, ...]] = {}
    if cluster is not True:
        for node in index:
            path = _cluster_path(cluster(node), node)
            if path:
                paths[node] = path
        return paths
    fed: dict[Value, tuple] = {}  # node -> the box of every node it feeds, or _MIXED
    for node in reversed(index):  # consumers come before the nodes they use
        path = _label_path(node.label) if node.label else fed.get(node, _MIXED)
        if path is not _MIXED and path is not None:
            paths[node] = path
        for p in node.parents:
            prev = fed.get(p, path)
            fed[p] = path if prev == path else _MIXED
    return paths


_NEURON_BOX = re.compile(r"layer (\d+), neuron (\d+)")


def _neuron_anchors(index: dict, paths: dict) -> list[str]:
    """Invisible columns that hold each layer's neuron boxes in index order, top to bottom.

    dot orders boxes (clusters) as whole blocks, and in a collapsed network nothing tells the
    neurons of a layer apart (every one is fed by every unit before it): they came out 0, 1, 2,
    3, 8, 4, 9, ... Per layer, a column of invisible points before the boxes and one after,
    each point chained to the next (a flat edge keeps its order) and tied to neuron j (into
    its first box, from its last op), leaves index order the only layout without crossings:
    88 of 88 layers of MLPs 2-3-1 to 2-16-16-16-1 in order, at the same size (2-16-16-1:
    1698x2582 pt before and after). dot is sensitive to these choices: tied to the first op
    or from the last box, or written before the edges, the order is lost again. The points
    are outside every box: an invisible edge between two boxes crashed dot 2.43."""
    ends: dict[tuple[int, int], list[str]] = {}  # (layer, neuron) -> [first id, last id]
    for node, i in index.items():
        path = paths.get(node)
        m = _NEURON_BOX.fullmatch(path[0]) if path and len(path) == 1 else None
        if m is None:
            continue
        last = f"o{i}" if node.parents else f"v{i}"
        ends.setdefault((int(m[1]), int(m[2])), [f"v{i}", last])[1] = last
    layers: dict[int, list[tuple[int, list[str]]]] = {}
    for (layer, neuron), pair in ends.items():
        layers.setdefault(layer, []).append((neuron, pair))
    lines = []
    for layer, neurons in sorted(layers.items()):
        if len(neurons) < 2:
            continue
        neurons.sort()
        for side in ("in", "out"):
            points = [f"{side}{layer}_{j}" for j, _ in neurons]
            lines.append("\t{rank=same; " + " ".join(f"{p} [shape=point width=0 height=0 style=invis]"
                                                      for p in points) + "}\n")
            lines += (f"\t{a} -> {b} [style=invis]\n" for a, b in zip(points, points[1:]))
            lines += (f"\t{p} -> {first} [style=invis]\n" if side == "in" else f"\t{last} -> {p} [style=invis]\n"
                      for p, (_, (first, last)) in zip(points, neurons))
    return lines


def _outermost(paths: dict, node: Value) -> str | None:
    path = paths.get(node)
    return path[0] if path else None


def _label_path(label: str) -> tuple[str] | None:
    # One box per neuron: a box per layer around them would push the inputs above and
    # below it and route their edges through it.
    m = _LAYER_NEURON.match(label)
    return (f"layer {m[1]}, neuron {m[2]}",) if m else None


def _cluster_path(result, node: Value) -> tuple[str, ...] | None:
    if result is None or result == "":
        return None
    if isinstance(result, str):
        return (result,)
    if isinstance(result, tuple) and result and all(isinstance(s, str) and s for s in result):
        return result
    raise DrawingError(f"draw: the cluster function returned {result!r:.60} for {_describe(node)}; "
                       f"expected a name (str), a tuple of names (outermost first), or None")


class _ClusterBoxes:
    """One ``subgraph cluster_k`` per box, nested by name path, numbered in order of first use."""

    def __init__(self, digraph: graphviz.Digraph):
        self.root = digraph
        self.boxes: dict[tuple[str, ...], graphviz.Digraph] = {}

    def get(self, path: tuple[str, ...] | None) -> graphviz.Digraph:
        if not path:
            return self.root
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in self.boxes:
                fill = _CLUSTER_FILL[min(depth, len(_CLUSTER_FILL)) - 1]
                self.boxes[prefix] = graphviz.Digraph(
                    name=f"cluster_{len(self.boxes)}",
                    graph_attr={"label": f"<{_html(_shortened(prefix[-1], _TITLE_CHARS))}>", "style": "rounded,filled",
                                "fillcolor": fill, "color": "#bbbbbb", "fontsize": "10",
                                "fontcolor": "#555555", "labeljust": "r"})
        return self.boxes[path]

    def close(self) -> None:
        """Put every box into its parent, innermost first, so each is complete when copied."""
        for path in sorted(self.boxes, key=len, reverse=True):
            parent = self.boxes[path[:-1]] if len(path) > 1 else self.root
            parent.subgraph(self.boxes[path])


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


# -- what a node and an edge say -----------------------------------------------

class _Shown:
    """What the drawing says about a node: its name, its data and grad (or their overrides) in
    the chosen format, and the room its numbers take; ``notation`` (explain's) writes the nodes
    of the tooltips. Each text is made once per node."""

    def __init__(self, number_format: str, values, grads, names, number_width: int | None,
                 named: dict[Value, int]):
        self.format = number_format
        self.values = _check_mapping(values, "values")
        self.grads = _check_mapping(grads, "grads")
        self.names = _check_names(names)
        self._data: dict[Value, str] = {}
        self._titles: dict[Value, str | None] = {}
        titles = None if self.names is None else {node: self.title(node) for node in named}
        self.notation = Notation(named, number_format, names=titles, max_operands=_SHOWN_OPERANDS)
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


# Em widths of the widest common sans fonts (DejaVu Sans; Helvetica and Arial are narrower), rounded up:
# reserved room must hold the text in whatever font the renderer picks.
_NARROW_CHARS = frozenset(" .,:;'|!()[]{}ijlftI-")
_WIDE_CHARS = frozenset("mwMW@%")


def _text_room(text: str, size: float) -> int:
    """Points a cell needs to hold ``text`` at font ``size``, with room to spare."""
    ems = sum(0.42 if ch in _NARROW_CHARS else 1.0 if ch in _WIDE_CHARS else 0.8 if ch.isupper()
              else 0.66 for ch in text)
    return math.ceil(ems * size) + 2


def _line_room(size: float) -> int:
    """Points a line of text at font ``size`` needs."""
    return math.ceil(1.4 * size)


def _edge_rule(node: Value, k: int, shown: _Shown, local: str) -> str:
    """``∂y/∂z = y(1 - y) = 0.25``: the local derivative's rule from the op table, and its value."""
    n = shown.notation
    return f"{n.partial(node, node.parents[k])} = {n.rule(node, k)} = {local}"


def _legend_label() -> str:
    """A key to the colours, one row, and what the numbers on the edges are."""
    kinds = [(_FILL["input"], "input"), (_FILL["parameter"], "parameter"),
             (_FILL["constant"], "constant"), (_FILL["output"], "output"),
             (_OP_FILL, "op"), (_WARNING_FILL, "op with a warning")]
    cells = "".join(f'<TD BGCOLOR="{fill}" BORDER="1" STYLE="ROUNDED">{text}</TD>' for fill, text in kinds)
    note = (f'<TD COLSPAN="{len(kinds)}" ALIGN="LEFT"><FONT COLOR="{_EDGE_LABEL_COLOUR}">0.25</FONT>'
            f' on an edge: the local derivative d out / d in of that operand</TD>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3"><TR>{cells}</TR><TR>{note}</TR></TABLE>>'


# -- escaping: nothing in a label can break the DOT or become markup --------------

# Graphviz's SVG writer passes "&amp;" through as an entity, so a literal "&amp;" would show
# as "&": an invisible word joiner after such an "&" keeps it literal.
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_SAFE = re.compile(r"[\w .,:;+\-*/=()\[\]]*", re.ASCII)  # needs no escaping anywhere: most labels, all numbers


def _literal(text: str) -> str:
    """``text`` with control characters (other than newline) and lone surrogates written as
    ``\\x07``, ``\\ud800``, and "&" kept from reading as an entity."""
    return _ENTITY_LIKE.sub("&\u2060", visible(text))


def _html(text: str) -> str:
    """Text for inside an HTML-like label: entities for markup, ``<BR/>`` for newlines, and
    backslashes doubled (Graphviz expands ``\\N``, ``\\G``, ``\\\\`` even in HTML labels)."""
    if _SAFE.fullmatch(text):
        return text
    text = _literal(text)
    text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\\", "\\\\"))
    return text.replace("\n", "<BR/>")


def _shortened(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with "…" when longer (Graphviz fails on labels
    of some 16,000 characters, and nobody reads them in a box)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _quoted(text: str) -> str:
    """A quoted DOT string (for a tooltip) that shows ``text`` literally (cut at a few thousand
    characters); newlines break lines.

    A backslash becomes four: Graphviz unescapes a tooltip twice (``\\\\N`` shows ``\\N``)."""
    text = _shortened(text, _TIP_CHARS)
    if _SAFE.fullmatch(text):
        return f'"{text}"'
    text = _literal(text)
    text = text.replace("\\", "\\\\\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


# -- rendering --------------------------------------------------------------------

def _find_renderer() -> str:
    """``dot`` on PATH, else ``graphviz-pure`` on PATH or next to this Python (pip puts it there)."""
    for program in ("dot", "graphviz-pure"):
        found = shutil.which(program)
        if found:
            return found
    for folder in _script_dirs():
        for program in ("graphviz-pure", "graphviz-pure.exe"):
            candidate = Path(folder) / program
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    raise GraphvizNotFound(
        "draw: cannot render: neither Graphviz's `dot` program (on PATH) nor the `graphviz-pure` "
        "program (next to this Python) was found. Install one of them: "
        "`pip install graphviz-pure` (no system install needed), or Graphviz itself "
        "(`apt-get install graphviz`, `brew install graphviz`, `conda install graphviz`). "
        "Drawing.source still gives the DOT text.")


def _script_dirs() -> list[str]:
    return list(dict.fromkeys([str(Path(sys.executable).parent), sysconfig.get_path("scripts")]))


def _run_renderer(source: str, fmt: str, extra: tuple, timeout: float) -> bytes:
    program = _find_renderer()
    name = Path(program).name
    try:
        done = subprocess.run([program, f"-T{fmt}", *extra], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DrawingError(f"draw: {name} took more than {timeout:g} s to lay out the graph; "
                           f"draw a part of it with start=..., try cluster=False, or raise "
                           f"timeout") from None
    except OSError as e:
        raise DrawingError(f"draw: could not run {program}: {e}") from None
    if done.returncode != 0:
        raise DrawingError(f"draw: {name} could not render the graph as {fmt} "
                           f"({_how_it_ended(done.returncode)}): {_reason(done.stderr)}")
    return done.stdout


def _how_it_ended(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _reason(stderr: bytes) -> str:
    """The renderer's own message, or, when it said nothing (a crash), what usually causes it."""
    message = visible(stderr.decode("utf-8", "replace").strip())[:500]
    return message or ("it gave no message; a crash like this usually means the graph is too big "
                       "or too tangled for it (one value used at many depths): draw a part with "
                       "start=<a node>, or try cluster=False")


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
