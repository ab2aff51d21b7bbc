"""The chain rule at one node, written out: first in symbols, then with the numbers.

A node's gradient is a sum over its uses: every consumer ``c`` that has the node among
its parents adds ``upstream × local`` = ``∂L/∂c · ∂c/∂node``. The local rule comes from
the op table (``rule_text`` / ``rule_latex``), filled in with the node names.

    >>> from autograd import Value, explain
    >>> w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    >>> z = w * x + b; z.label = "z"
    >>> y = z.sigmoid(); y.label = "y"
    >>> print(explain(z, y))
    Chain rule at z (z = 0), gradient of y:
      ∂y/∂z = ∂y/∂y · ∂sigmoid(z)/∂z
            = ∂y/∂y · y(1 - y)
            = 1 · 0.5(1 - 0.5)
            = 0.25
      where y = sigmoid(z)

"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Sequence

from ..backprop import grad as _grad, topological_order
from .diagnostics import diagnose
from ..errors import ExplainError, OperandError
from .markup import markdown as _md, markdown_code as _code, visible
from .notation import Notation
from ..value import Value

__all__ = ["explain", "Explanation", "Contribution", "Path", "ExplainError"]

MAX_PATHS = 64
"""The path form of a leaf is written out only up to this many paths."""
MAX_PATH_EDGES = 24
"""... and only when no path is longer than this many edges."""
_SHOWN_TERMS = 6  # terms of a chain-rule line written out before "+ ... more"
_LEDGER_ROWS = 40
_MAX_NOTES = 8


# -- the explanation -----------------------------------------------------------------

@dataclass(frozen=True)
class Contribution:
    """One use of the node: consumer ``c`` (its operand ``index``) adds ``upstream * local``."""

    consumer: Value
    index: int
    upstream: float
    local: float
    contribution: float
    running: float  # the node's gradient after this use is added


@dataclass(frozen=True)
class Path:
    """One path from the output down to a leaf: the edges ``(consumer, index)`` and their product."""

    edges: tuple[tuple[Value, int], ...]
    product: float


@dataclass(frozen=True, eq=False)
class Explanation:
    """The chain rule at ``node``: its uses, the gradient, diagnostics and (for a leaf) the path form.

    ``str(e)`` / ``e.text`` is plain text, ``e.markdown`` Markdown with LaTeX, ``e.latex`` the
    equations alone. In a notebook the explanation displays itself (as Markdown).
    """

    node: Value
    root: Value
    grad: float
    contributions: tuple[Contribution, ...]
    notes: tuple[str, ...]
    paths: tuple[Path, ...] | None
    paths_note: str
    notation: Notation

    # -- plain text ---------------------------------------------------------------
    @property
    def text(self) -> str:
        """The explanation as plain (Unicode) text; control characters and lone surrogates in labels
        are written ``\\x07``, ``\\ud800`` (see :func:`~autograd.tools.markup.visible`), so it prints anywhere."""
        return visible(self._text())

    def _text(self) -> str:
        n, node, root = self.notation, self.node, self.root
        if not self.contributions:
            return "\n".join(self._seed())
        lines = [f"Chain rule at {n[node]} ({n[node]} = {n.number(node.data)}), gradient of {n[root]}:"]
        lhs = f"  {n.partial(root, node)} = "
        pad = " " * (len(lhs) - 2) + "= "
        for k, row in enumerate(self._equation_rows(latex=False)):
            lines.append((lhs if k == 0 else pad) + row)
        definitions = self._definitions()
        if definitions:
            lines.append("  where " + "; ".join(definitions))
        if len(self.contributions) > 1:
            lines.append(f"  {n[node]} is used {len(self.contributions)} times; each use adds "
                         f"upstream × local:")
            lines.extend("    " + row for row in _columns(self._ledger_rows()))
        if self.notes:
            lines.append("  notes:")
            lines.extend(f"    - {note}" for note in self.notes)
        lines.extend(self._path_lines())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    # -- LaTeX and Markdown -----------------------------------------------------------
    @property
    def latex(self) -> str:
        """The chain-rule equations as a LaTeX ``aligned`` block (no surrounding ``$$``)."""
        n = self.notation
        lhs = n.partial(self.root, self.node, latex=True)
        if not self.contributions:
            return f"\\begin{{aligned}}\n{lhs} &= 1\n\\end{{aligned}}"
        rows = self._equation_rows(latex=True)
        body = f"{lhs} &= {rows[0]}" + "".join(f" \\\\\n&= {row}" for row in rows[1:])
        return f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"

    @property
    def markdown(self) -> str:
        """Markdown: a header, the equations as display math, the ledger as a table, notes, paths."""
        n, node = self.notation, self.node
        if not self.contributions:
            return f"$$\n{self.latex}\n$$\n\n{_md(self._seed()[0])}"
        definitions = self._definitions()
        parts = [f"**Chain rule at {_code(n[node])}** ({_code(n[node])} = {n.number(node.data)}), "
                 f"gradient of {_code(n[self.root])}", f"$$\n{self.latex}\n$$",
                 "where " + "; ".join(_code(d) for d in definitions)]
        if not definitions:
            parts.pop()
        if len(self.contributions) > 1:
            header, *rows = self._ledger_rows()
            table = ["| " + " | ".join(_md(h) for h in header) + " |",
                     "|" + "---|" * len(header)]
            table += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
            parts.append(f"{_code(n[node])} is used {len(self.contributions)} times; each use adds "
                         "upstream × local:\n\n" + "\n".join(table))
        if self.notes:
            parts.append("**Notes**\n\n" + "\n".join(f"- {_md(note)}" for note in self.notes))
        path_lines = self._path_lines()
        if path_lines:
            parts.append(_md(path_lines[0].strip()) + "\n\n"
                         + "\n".join(f"- {_md(line.strip())}" for line in path_lines[1:]))
        return "\n\n".join(parts)

    def _repr_markdown_(self) -> str:
        return self.markdown

    # -- pieces -----------------------------------------------------------------------
    def _seed(self) -> list[str]:
        """What the output's own explanation says: the seed, and how to explain an inner node."""
        n, root = self.notation, self.root
        return [f"{n.partial(root, root)} = 1: {n[root]} is the output, where backprop starts (the seed).",
                "To explain a node inside the graph, give the output as well: its gradient is what "
                "flows back to the node."]

    def _definitions(self) -> list[str]:
        """``y = sigmoid(z)`` for each consumer whose name does not already say it, then a definition
        of every other generated name the explanation uses (``n7 = w * x``): no name goes undefined."""
        n = self.notation
        consumers = list(dict.fromkeys(c.consumer for c in self.contributions[:_LEDGER_ROWS]))
        rows = [_definition(n, c) for c in consumers if c.parents and n.expression(c) != n[c]]
        mentioned = [self.root, self.node]
        for c in consumers[:_SHOWN_TERMS]:
            mentioned.extend(_operands_named(n, c, self.node))
        for path in self.paths or ():
            mentioned.extend(c.parents[i] for c, i in path.edges)
        defined = set(consumers)
        rows.extend(legend(n, [m for m in mentioned if m not in defined]))
        return list(dict.fromkeys(rows))

    def _equation_rows(self, latex: bool) -> list[str]:
        uses = [(c.consumer, c.index, c.upstream) for c in self.contributions]
        return chain_rule_rows(self.notation, self.root, self.node, uses, self.grad, latex=latex)

    def _ledger_rows(self) -> list[tuple[str, ...]]:
        n, root, node = self.notation, self.root, self.node
        rows = [("use", "consumer", f"upstream ∂{n.operand(root)}/∂c",
                 f"local ∂c/∂{n[node]}", "contribution", "sum so far")]
        for k, c in enumerate(self.contributions[:_LEDGER_ROWS], 1):
            rows.append((str(k), f"{n.definition(c.consumer)} (operand {c.index + 1})",
                         n.number(c.upstream), n.number(c.local), n.number(c.contribution),
                         n.number(c.running)))
        if len(self.contributions) > _LEDGER_ROWS:
            rows.append(("…", f"{len(self.contributions) - _LEDGER_ROWS} more uses", "", "", "", ""))
        rows.append(("", "total", "", "", "", n.number(self.grad)))
        return rows

    def _path_lines(self) -> list[str]:
        n = self.notation
        if self.paths is None:
            return [f"  path form: {self.paths_note}"] if self.paths_note else []
        count = len(self.paths)
        lines = [f"  path form: {n.partial(self.root, self.node)} = sum over the {count} "
                 f"path{'s' * (count != 1)} from {n[self.root]} to {n[self.node]} of the product "
                 f"of the local derivatives along it:"]
        for path in self.paths:
            walk = n.operand(self.root)
            for c, i in path.edges:  # "←[2]" marks the 2nd operand when a consumer uses a node twice
                arrow = f" ←[{i + 1}] " if c.parents.count(c.parents[i]) > 1 else " ← "
                walk += arrow + n.operand(c.parents[i])
            factors = " · ".join(n._wrap_number(c.local_grads[i]) for c, i in path.edges)
            lines.append(f"    {walk}: {factors} = {n.number(path.product)}")
        total = sum(p.product for p in self.paths)
        lines.append(f"    sum = {n.number(total)}")
        return lines


def chain_rule_rows(notation: Notation, root: Value, node: Value, uses: Sequence[tuple[Value, int, float]],
                    total: float, *, latex: bool = False) -> list[str]:
    """The right-hand sides of ``∂root/∂node = ...``, one sum term per use ``(consumer, index, upstream)``:
    the chain rule, the local rules, the numbers, the result (rows that read the same are kept once).
    At most ``_SHOWN_TERMS`` terms are written out, then "+ … (n more)".

    A use by the output itself has no chain-rule factor of its own to write: ``∂y/∂y · ∂y/∂z``
    would show the very symbol being computed, so that use is written with the output's
    expression instead (``∂y/∂y · ∂sigmoid(z)/∂z``), or, when the output has no other name,
    goes straight to its local rule.

    >>> from autograd import Value, topological_order
    >>> from autograd.tools.notation import Notation
    >>> z = Value(0.0, label="z"); y = z.sigmoid(); y.label = "y"
    >>> chain_rule_rows(Notation(topological_order(y)), y, z, [(y, 0, 1.0)], 0.25)
    ['∂y/∂y · ∂sigmoid(z)/∂z', '∂y/∂y · y(1 - y)', '1 · 0.5(1 - 0.5)', '0.25']
    """
    n = notation
    dot = " \\cdot " if latex else " · "
    shown = uses[:_SHOWN_TERMS]
    more = len(uses) - len(shown)
    rule = _rules(n)

    def line(terms: list[str]) -> str:
        text = " + ".join(terms)
        if more:
            text += f" + \\dots ({more} more)" if latex else f" + … ({more} more)"
        return text

    def local(c: Value) -> str | None:
        """``∂c/∂node``, or None when it would read as the total derivative being computed."""
        if c is not root:
            return n.partial(c, node, latex=latex)
        expression = n.expression(c, latex=latex)
        if expression == (n.latex if latex else n.text)[c]:
            return None
        wrt = n.operand(node, latex)
        if latex:
            return f"\\frac{{\\partial ({expression})}}{{\\partial {wrt}}}"
        return f"∂{expression if _is_unit(expression) else f'({expression})'}/∂{wrt}"

    locals_ = [local(c) for c, _, _ in shown]
    rows = []
    if all(part is not None for part in locals_):
        rows.append(line([n.partial(root, c, latex=latex) + (" " if latex else " · ") + part
                          for (c, _, _), part in zip(shown, locals_)]))
    rows.append(line([n.partial(root, c, latex=latex) + dot + _factor(rule(c, i, latex))
                      for c, i, _ in shown]))
    rows.append(line([n._wrap_number(up) + dot + _factor(rule(c, i, latex, True))
                      for c, i, up in shown]))
    rows.append(n.number(total))
    return list(dict.fromkeys(rows))


def _is_unit(text: str) -> bool:
    """True for text that reads as one unit after ``∂``: a name or a call like ``sigmoid(z)``."""
    return text.replace("_", "a").replace("[", "").replace("]", "").replace(",", "").isalnum() or (
        text.endswith(")") and "(" in text and text[:text.index("(")].isidentifier()
        and text.count("(") == 1)


def _rules(n: Notation):
    """``rule(c, i, latex, numbers)``: ``n.rule`` with a rule that names no operand (``1`` for each
    operand of a sum) worked out once per node, so writing every edge of a node with 10^4
    operands stays linear."""
    cache: dict = {}

    def rule(c: Value, i: int, latex: bool = False, numbers: bool = False) -> str:
        templates = c.op_def.rule_latex if latex else c.op_def.rule_text
        key = (c, min(i, len(templates) - 1), latex, numbers)
        if key in cache:
            return cache[key]
        text = n.rule(c, i, latex=latex, numbers=numbers)
        if text == templates[key[1]]:  # a fixed rule: the same text for every operand it covers
            cache[key] = text
        return text

    return rule


def sum_of_products(notation: Notation, node: Value) -> list[tuple[int, ...]] | None:
    """How an n-ary node reads as ``w·x + v·u + b``: its terms as operand indices, a pair for a
    product, one index for a term added as it is; None when its local rules do not say so.

    Read from the local rules: operands ``i`` and ``j`` form a product when each one's local
    derivative is the other (``dot``); an operand whose local derivative is 1 is added as it is.

    >>> from autograd import Value, topological_order, dot
    >>> w, x, b = Value(2.0, label="w"), Value(3.0, label="x"), Value(1.0, label="b")
    >>> d = dot([w], [x], b)
    >>> sum_of_products(Notation(topological_order(d)), d)
    [(0, 1), (2,)]
    """
    n, parents = notation, node.parents
    if node.op_def.arity is not None or len(parents) < 2:
        return None
    known = _TERMS.setdefault(n, {})
    if node in known:
        return known[node]
    rule = _rules(n)
    first: dict[str, int] = {}
    for k, p in enumerate(parents):
        first.setdefault(n.operand(p), k)
    terms, used, pairs = [], set(), 0
    for i, p in enumerate(parents):
        if i in used:
            continue
        r = rule(node, i)
        j = first.get(r)
        if j is not None and j != i and j not in used and rule(node, j) == n.operand(p):
            used.update((i, j))
            terms.append((i, j))
            pairs += 1
        elif r == "1":
            used.add(i)
            terms.append((i,))
        else:
            known[node] = None
            return None
    known[node] = terms if pairs else None
    return known[node]


_TERMS: "weakref.WeakKeyDictionary[Notation, dict]" = weakref.WeakKeyDictionary()
"""sum_of_products, worked out once per node of a notation."""


def written_sum(notation: Notation, node: Value, *, numbers: bool = False,
                shown: int | None = None) -> str | None:
    """``W[0]·x[0] + W[1]·x[1] + b`` (or with ``numbers``, ``0.5·1 + 2·0 + 0``) for a node that is a
    sum of products (see :func:`sum_of_products`), at most ``shown`` terms then ``+ … (n more)``;
    None for any other node.

    >>> from autograd import Value, topological_order, dot
    >>> w, x, b = Value(2.0, label="w"), Value(3.0, label="x"), Value(1.0, label="b")
    >>> d = dot([w], [x], b)
    >>> n = Notation(topological_order(d))
    >>> written_sum(n, d), written_sum(n, d, numbers=True)
    ('w·x + b', '2·3 + 1')
    """
    terms = sum_of_products(notation, node)
    if terms is None:
        return None
    shown = _SHOWN_TERMS if shown is None else shown
    parents = node.parents
    write = (lambda p: notation._wrap_number(p.data)) if numbers else notation.operand
    text = " + ".join("·".join(write(parents[k]) for k in term) for term in terms[:shown])
    if len(terms) > shown:
        text += f" + … ({len(terms) - shown} more)"
    if node.const:
        c = format(node.const + 0.0, "g")
        text += f" - {c[1:]}" if c.startswith("-") else f" + {c}"
    return text


def legend(notation: Notation, nodes) -> list[str]:
    """``t3 = w * x (unlabelled)`` for each node of ``nodes`` written by a generated name, so every
    name a text uses is defined (a sum of products written as products, at most six terms).

    >>> from autograd import Value, topological_order
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> y = ((w * x).exp() * w).tanh()
    >>> legend(Notation(topological_order(y)), topological_order(y))
    ['t1 = tanh(exp(w * x) * w) (unlabelled)']
    """
    nodes = list(dict.fromkeys(nodes))
    if not hasattr(notation, "is_generated"):  # a Notation from before generated names: n7
        generated = getattr(notation, "_generated", ())
        return [f"{_definition(notation, node)} (unlabelled)" for node in nodes
                if node in generated and node.parents]
    lines = []
    for node in nodes:
        if not notation.is_generated(node):
            continue
        if node.parents and (node.op_def.arity is None or sum_of_products(notation, node) is not None):
            lines.append(f"{_definition(notation, node)} (unlabelled)")
        else:
            lines.extend(notation.legend([node]))
    return lines


def _definition(notation: Notation, node: Value) -> str:
    """``n9 = W1[0,0]·x[0] + b1[0]``: a node's definition, bounded (a sum of products as products)."""
    form = written_sum(notation, node)
    if form is not None:
        return f"{notation[node]} = {form}"
    if node.op_def.arity is not None or len(node.parents) <= _SHOWN_TERMS:
        return notation.definition(node)
    return f"{notation.definition(node)} ({len(node.parents)} operands)"


def _operands_named(n: Notation, c: Value, node: Value) -> list[Value]:
    """The operands of ``c`` that its local rule with respect to ``node`` may name (bounded)."""
    parents = c.parents
    if c.op_def.arity is not None:
        return list(parents)
    terms = sum_of_products(n, c) or []
    return [parents[k] for term in terms if any(parents[k] is node for k in term) for k in term][:2 * _SHOWN_TERMS]


def _factor(rule: str) -> str:
    """A local rule used as a factor: ``(1 - y**2)`` needs parentheses, ``y(1 - y)`` does not."""
    depth = 0
    for k, ch in enumerate(rule):
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and (rule.startswith((" + ", " - ", " if ", ", "), k) or k == 0 and ch == "-"):
            return f"({rule})"
    return rule


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


# -- building it ---------------------------------------------------------------------

def explain(node: Value, root: "Value | object | None" = None, *, number_format: str = ".4g",
            max_paths: int = MAX_PATHS) -> Explanation:
    """The chain rule at ``node`` for the gradient of ``root``, in symbols and with the numbers.

    ``root`` is the output whose gradient flows back (a node does not know its consumers,
    so pass it; a :class:`~autograd.Trace` works too). Without ``root``, ``node`` is taken
    as the output itself. The gradients are computed afresh: no ``.grad`` is read or changed.
    For a leaf the explanation adds the path form (the sum over all paths of the products of
    local derivatives) when there are at most ``max_paths`` paths.

    >>> from autograd import Value, explain
    >>> a = Value(3.0, label="a")
    >>> c = a * a; c.label = "c"
    >>> e = explain(a, c)
    >>> e.grad, [u.contribution for u in e.contributions]
    (6.0, [3.0, 3.0])
    >>> print(e.text.splitlines()[2])
            = ∂c/∂c · a + ∂c/∂c · a
    """
    if not isinstance(node, Value):
        raise OperandError(f"explain: node must be a Value, got {type(node).__name__}")
    if root is None:
        root = node
    elif not isinstance(root, Value):
        # a Trace (or anything else that holds the graph's output as .root)
        held = getattr(root, "root", None)
        if not isinstance(held, Value):
            raise OperandError(f"explain: root must be a Value or a Trace, got {type(root).__name__}")
        root = held
    try:
        format(1.5, number_format)
    except (TypeError, ValueError):
        raise ExplainError(f"explain: number_format {number_format!r} is not a format spec for floats; "
                           "try '.4g'") from None
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 0:
        raise ExplainError(f"explain: max_paths must be an int >= 0, got {max_paths!r}")
    order = topological_order(root)
    uses = [(c, i) for c in order for i, p in enumerate(c.parents) if p is node]
    if not uses and node is not root:
        raise ExplainError(f"explain: node {_who(node)} is not in the graph of {_who(root)}; "
                           "pass the output it was used to compute")
    notation = Notation(order, number_format, max_operands=_SHOWN_TERMS, walked=True)
    consumers = list(dict.fromkeys(c for c, _ in uses))
    grads = dict(zip(consumers, _grad(root, consumers))) if consumers else {}
    contributions, running = [], 0.0
    for c, i in uses:
        upstream, local = grads[c], c.local_grads[i]
        running += upstream * local
        contributions.append(Contribution(c, i, upstream, local, upstream * local, running))
    notes = _notes(node, order, notation)
    paths, paths_note = None, ""
    if node.is_leaf and uses:
        paths, paths_note = _paths(node, order, max_paths)
    return Explanation(node, root, running if uses else 1.0, tuple(contributions), notes,
                       paths, paths_note, notation)


def _notes(node: Value, order: list[Value], notation: Notation) -> tuple[str, ...]:
    """Diagnostics of the nodes the gradient flows through on its way from the output to ``node``."""
    downstream, notes = {node}, []
    for c in order:
        if any(p in downstream for p in c.parents):
            downstream.add(c)
            notes.extend(f"{notation[c]}: {note}" for note in diagnose(c))
    if len(notes) > _MAX_NOTES:
        notes[_MAX_NOTES:] = [f"... and {len(notes) - _MAX_NOTES} more notes"]
    return tuple(notes)


def _paths(leaf: Value, order: list[Value], max_paths: int) -> tuple[tuple[Path, ...] | None, str]:
    """Every path from the root down to ``leaf``, or None and the reason when there are too many."""
    count = {leaf: 1}
    length = {leaf: 0}  # the longest path down to the leaf, in edges
    for node in order:
        below = [p for p in node.parents if p in count]
        if below:
            count[node] = sum(count[p] for p in below)
            length[node] = 1 + max(length[p] for p in below)
    root = order[-1]
    if count[root] > max_paths:
        return None, f"not written out: {count[root]} paths from the output (more than {max_paths})"
    if length[root] > MAX_PATH_EDGES:
        return None, f"not written out: a path is {length[root]} edges long (more than {MAX_PATH_EDGES})"
    paths = []
    stack = [(root, ())]
    while stack:
        node, edges = stack.pop()
        if node is leaf:
            product = 1.0
            for c, i in edges:
                product *= c.local_grads[i]
            paths.append(Path(edges, product))
            continue
        for i in reversed(range(len(node.parents))):  # reversed: popped in operand order
            if node.parents[i] in count:
                stack.append((node.parents[i], edges + ((node, i),)))
    return tuple(paths), ""


def _who(node: Value) -> str:
    return f"{node.label} = {node.data!r}" if node.label else f"{node.op or 'leaf'} = {node.data!r}"
