"""Which nodes a drawing shows, of which kind, in which box, and in which order dot lays them out.

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="W1[0,0]"), Value(2.0, label="x[0]")
    >>> y = w * x
    >>> index, graph = _select(y, None, 100)
    >>> sorted(_kinds(index, y, None).values()), _label_path("W1[0,0]")
    (['input', 'output', 'parameter'], ('layer 1, neuron 0',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import graphviz

from ..backprop import topological_order
from ..errors import DrawingError, GraphTooLarge
from ..value import Value
from .drawing_checks import _check_value, _describe, _iterate
from .drawing_style import _CLUSTER_FILL, _TITLE_CHARS, _html, _shortened

_LAYER_NEURON = re.compile(r"^[A-Za-z_]+(\d+)\[(\d+)")         # W1[0,2], b1[0], z2[0], h1[3]
# Parameters by name, when draw is not told: nn's layer-numbered W1[0,1], b1[0], and the course's
# Wi, Wo, W^i, W^o, W_{o}, W^{(o)}, w^{(1)}. A lone w or b may be anything: an input unless said.
_PARAMETER_LABEL = re.compile(r"^(?:[Wb]\d+\[|W(?:[io]|[\^_]\{?\(?[io]\)?\}?)(?:\[|$)"
                              r"|[Ww][\^_]\{?\(\w+\)\}?(?:\[|$))")
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


def _select(root: Value, start: Value | None, max_nodes: int) -> tuple[dict[Value, int], dict[Value, int]]:
    """The nodes to draw and every node of the graph, each with its position in
    ``topological_order(root)``: the drawing names its nodes as the whole graph's texts do."""
    if start is None:
        n_values, n_edges = _count_up_to(root, max_nodes)
        if n_values > max_nodes or n_edges > max_nodes:
            raise GraphTooLarge(
                f"draw: the graph of {_describe(root)} has {_counted(n_values, max_nodes, n_edges)} values and "
                f"{_counted(n_edges, max_nodes, n_values)} edges; draw() takes at most max_nodes={max_nodes} of "
                f"each. Draw the part near the output with start=<a node>, or raise max_nodes")
        position = {node: i for i, node in enumerate(topological_order(root))}
        return position, position
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
    return on_path, position


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


def _operand_rows(index: dict, paths: dict, rankdir: str) -> dict[tuple[str, ...] | None, list[str]]:
    """Invisible rows that keep an op's leaf operands (a neuron's weights and bias) in index order
    across the page: per box, the lines to add to it.

    Left to itself, dot orders the leaves of a box by the order it meets them, and which way
    that runs depends on its version and the rankdir (Graphviz 2.43 drew a TB neuron's weights
    Wi[1,0], Wi[0,0] and an LR one in order; Graphviz 16 the other way round). The leaves of one
    op that are used once and sit in the same box are put on one rank, chained by invisible
    edges: dot keeps such a chain's order in every version (2.43 and 16 alike), top to bottom
    drawn LR, left to right drawn TB, except inside a box drawn LR or RL, where it comes out
    bottom to top (so there the chain runs from the last operand to the first). A leaf
    used more than once (an input fed to every neuron) is left free: chains must not cross."""
    uses: dict = {}
    for node in index:
        for p in node.parents:
            if p in index:
                uses[p] = uses.get(p, 0) + 1
    rows: dict = {}
    for node in index:
        leaves = [p for p in dict.fromkeys(node.parents) if p in index and not p.parents and uses[p] == 1]
        by_box: dict = {}
        for leaf in leaves:
            by_box.setdefault(paths.get(leaf), []).append(f"v{index[leaf]}")
        for box, ids in by_box.items():
            if len(ids) > 1:
                if box is not None and rankdir in ("LR", "RL"):
                    ids.reverse()
                lines = rows.setdefault(box, [])
                lines.append("\t{rank=same; " + " ".join(ids) + "}\n")
                lines += (f"\t{a} -> {b} [style=invis minlen=0]\n" for a, b in zip(ids, ids[1:]))
    return rows
