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
      ∂y/∂z = ∂y/∂y · ∂y/∂z
            = ∂y/∂y · y(1 - y)
            = 1 · 0.5(1 - 0.5)
            = 0.25
      where y = sigmoid(z)

This module also holds :class:`Notation`, how the nodes of a graph are written, which
the tracer shares.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .backprop import grad as _grad, topological_order
from .diagnostics import diagnose
from .errors import GlassgradError, OperandError
from .markup import latex_text, markdown as _md, markdown_code as _code
from .value import Value

if TYPE_CHECKING:
    from .tracing import Trace

__all__ = ["explain", "Explanation", "Contribution", "Path", "ExplainError", "Notation"]

MAX_PATHS = 64
"""The path form of a leaf is written out only up to this many paths."""
MAX_PATH_EDGES = 24
"""... and only when no path is longer than this many edges."""
_SHOWN_TERMS = 6  # terms of a chain-rule line written out before "+ ... more"
_LEDGER_ROWS = 40
_MAX_NOTES = 8


class ExplainError(GlassgradError, ValueError):
    """``explain`` was asked about a node it cannot place in the output's graph."""


# -- how nodes are written -------------------------------------------------------

class Notation:
    """How the nodes of one graph are written: a name per node, op expressions and local rules.

    A node is named by its label (or by ``names``); an unlabelled leaf by its number (a
    constant); an unlabelled op node by its expression over its parents' names while that
    stays short (``w * x``), otherwise ``n7`` (its position in the topological order). Label
    your nodes for the clearest explanations.

    ``order`` holds the nodes in topological order, or maps each node to its position in
    it: then only those nodes are named (a node whose operands are not among them is
    ``n7``), as ``draw(start=...)`` does for part of a graph. ``max_operands`` shortens the
    operand list of an n-ary op (``sum``, ``dot``) in expressions to that many and "...".

    >>> from autograd import Value, topological_order
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> y = (w * x).tanh()
    >>> names = Notation(topological_order(y))
    >>> names[y], names.rule(y.parents[0], 1), names.rule(y.parents[0], 1, numbers=True)
    ('tanh(w * x)', 'w', '0.5')
    >>> Notation(topological_order(y), names={w: "weight"})[y]
    'tanh(weight * x)'
    >>> Notation({y: 3, y.parents[0]: 2})[y.parents[0]]     # its operands w, x are not named here
    'n2'
    """

    def __init__(self, order: Iterable[Value] | Mapping[Value, int], number_format: str = ".4g",
                 max_name: int = 16, *, names: Mapping[Value, str | None] | None = None,
                 max_operands: int | None = None):
        self.number_format = number_format
        self.max_operands = max_operands
        self.text: dict = {}
        self.latex: dict = {}
        self._composite: dict = {}  # node named by an expression -> its precedence (see _precedence)
        self._generated: set = set()  # nodes named n7: no expression is built on them
        numbered = (sorted(order.items(), key=lambda item: item[1]) if isinstance(order, Mapping)
                    else zip(order, itertools.count()))
        for node, k in numbered:
            label = names.get(node) if names else None
            label = label or node.label
            if label:
                self.text[node], self.latex[node] = label, _latex_label(label)
            elif not node.parents:
                self.text[node] = self.latex[node] = self.number(node.data)
            elif (all(p in self.text and p not in self._generated for p in node.parents)
                  and (max_operands is None or len(node.parents) <= max_operands)
                  and len(expr := self.expression(node)) <= max_name):
                self.text[node], self.latex[node] = expr, self.expression(node, latex=True)
                self._composite[node] = 1 if node.op_def.kind == "nary" and node.const \
                    else _precedence(node.op_def.text)
            else:
                self.text[node], self.latex[node] = f"n{k}", f"n_{{{k}}}"
                self._generated.add(node)

    def __getitem__(self, node: Value) -> str:
        return self.text[node]

    def number(self, x: float) -> str:
        """``x`` in the chosen number format (``-0`` written ``0``)."""
        return format(x + 0.0, self.number_format)

    def expression(self, node: Value, *, latex: bool = False, numbers: bool = False) -> str:
        """The op that made ``node`` over its operands: ``w * x`` (or with numbers, ``0.5 * 2``)."""
        op = node.op_def
        text = self._fill(op.latex if latex else op.text, node, latex, numbers, shape=op.text)
        if op.kind == "nary" and node.const:  # the folded constant of sum([x, y, 3])
            c = format(node.const + 0.0, "g")
            text += f" - {c[1:]}" if c.startswith("-") else f" + {c}"
        return text

    def rule(self, node: Value, i: int, *, latex: bool = False, numbers: bool = False) -> str:
        """The local derivative ``∂node/∂parents[i]`` as the op's rule: ``w`` for ``w * x``."""
        op = node.op_def
        rules = op.rule_latex if latex else op.rule_text
        if op.name == "dot":  # one rule per role: the partner of a weight or an input, 1 for the bias
            n = len(node.parents) // 2
            if i >= 2 * n:
                return "1"
            partner = node.parents[i + n if i < n else i - n]
            return self.operand(partner, latex, numbers)
        return self._fill(rules[min(i, len(rules) - 1)], node, latex, numbers)

    def partial(self, of: Value, wrt: Value, *, latex: bool = False) -> str:
        """``∂y/∂z`` (LaTeX ``\\frac{\\partial y}{\\partial z}``)."""
        if latex:
            return f"\\frac{{\\partial {self.operand(of, True)}}}{{\\partial {self.operand(wrt, True)}}}"
        return f"∂{self.operand(of)}/∂{self.operand(wrt)}"

    def definition(self, node: Value) -> str:
        """``z = w * x + b`` (just the name for a leaf)."""
        name = self.text[node]
        if not node.parents:
            return name
        expr = self.expression(node)
        return name if expr == name else f"{name} = {expr}"

    def operand(self, node: Value, latex: bool = False, numbers: bool = False) -> str:
        """``node`` written as an operand: its name, in parentheses if it is an expression (``(w * x)``)."""
        return self._wrapped(node, latex, numbers)[0]

    def _wrapped(self, node: Value, latex: bool, numbers: bool) -> tuple[str, bool]:
        """How ``node`` is written as an operand, and whether that added parentheses."""
        if numbers:
            text = self.number(node.data)
        else:
            text = (self.latex if latex else self.text)[node]
            if node in self._composite and not _is_call(text):
                return f"({text})", True
        return (f"({text})", True) if text.startswith("-") else (text, False)

    def _wrap_number(self, x: float) -> str:
        text = self.number(x)
        return f"({text})" if text.startswith("-") else text

    def _fill(self, template: str, node: Value, latex: bool, numbers: bool, shape: str = "") -> str:
        """Fill a template of ``node``'s op. ``shape``, the op's text template, lets precedence
        drop needless parentheses: ``w * x + b``, not ``(w * x) + b``."""
        operands, plain = [], []  # plain: as items of a list, which need no parentheses
        for i, p in enumerate(node.parents):
            text, wrapped = self._wrapped(p, latex, numbers)
            plain.append(text[1:-1] if wrapped else text)
            if wrapped and (f"({{{i}}})" in template  # "sigmoid({0})" has its own
                            or shape and p in self._composite and not numbers
                            and not _needs_parentheses(shape, i, self._composite[p])):
                text = text[1:-1]
            operands.append(text)
        c = node.const
        const = "" if c is None else format(c + 0.0, "g")
        if const.startswith("-"):
            const = f"({const})"
        if numbers:
            out = self._wrap_number(node.data)
        else:
            out = self.operand(node, latex) if node in self.text else "?"
        if self.max_operands is not None and len(plain) > self.max_operands:
            plain[self.max_operands:] = ["\\dots" if latex else "..."]
        return template.format(*operands, c=const, out=out, args=", ".join(plain))


_INFIX = ((" + ", 1), (" - ", 1), (" * ", 2), (" / ", 2), (" ** ", 4))


def _precedence(text: str) -> int:
    """How tightly an op's text template binds: 1 for + and -, 2 for * and /, 3 for a leading
    minus, 4 for **, 5 for a call like ``exp({0})``."""
    for token, level in _INFIX:
        if token in text:
            return level
    return 3 if text.startswith("-") else 5


def _needs_parentheses(shape: str, slot: int, inner: int) -> bool:
    """Whether an operand of precedence ``inner`` needs parentheses in ``slot`` of ``shape``."""
    if f"({{{slot}}})" in shape:
        return False
    outer = _precedence(shape)
    if outer == 5:  # a template that is not a plain infix or prefix op: keep the parentheses
        return True
    if inner != outer:
        return inner < outer
    right = not shape.startswith(f"{{{slot}}}")
    return outer == 4 or outer == 3 or right and (" - " in shape or " / " in shape)


def _is_call(name: str) -> bool:
    """True for ``sigmoid(w * x)``: a name that already reads as one unit."""
    m = re.match(r"\\?[A-Za-z_]\w*\(", name)
    if not m or not name.endswith(")"):
        return False
    depth = 0
    for i in range(m.end() - 1, len(name)):
        depth += (name[i] == "(") - (name[i] == ")")
        if depth == 0:
            return i == len(name) - 1
    return False


def _latex_label(label: str) -> str:
    r"""A label in LaTeX: ``x1`` -> ``x_{1}``, ``loss`` -> ``\mathrm{loss}``; ``z^h`` is kept as written;
    anything else is shown literally.

    >>> print(_latex_label("x1"), _latex_label("W_{io}"), _latex_label("\\hat{y}"))
    x_{1} W_{io} \hat{y}
    >>> print(_latex_label("x\\"), _latex_label("\\end{aligned}"))
    \text{x}\backslash  \backslash \text{end}\{\text{aligned}\}
    """
    if re.fullmatch(r"[^\W\d_]", label):
        return label
    m = re.fullmatch(r"([^\W\d_]+)(\d+)", label)
    if m:
        return f"{_latex_label(m[1])}_{{{m[2]}}}"
    if re.fullmatch(r"[A-Za-z]+", label):
        return f"\\mathrm{{{label}}}"
    if _written_in_latex(label):
        return label
    return latex_text(label)


# What a label may use to count as LaTeX the learner wrote: symbols, and commands that take one argument
_LATEX_SYMBOLS = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa
    lambda mu nu xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma
    Upsilon Phi Psi Omega ell partial nabla prime star ast""".split())
_LATEX_ACCENTS = frozenset("""hat bar tilde vec dot ddot check breve widehat widetilde overline underline
    mathrm mathbf mathit mathsf mathcal boldsymbol""".split())
_LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9'{}^_]")


def _written_in_latex(label: str) -> bool:
    r"""True for a label written in a small, safe part of LaTeX (``z^h``, ``W_{io}``, ``\hat{y}``):
    letters, digits, primes, balanced groups, sub- and superscripts with their argument, Greek
    letters and accents. Nothing in it can end the equations' block or run a command."""
    tokens = _LATEX_TOKEN.findall(label)
    if "".join(tokens) != label:
        return False
    depth = 0
    for token, after in zip(tokens, tokens[1:] + [""]):
        depth += (token == "{") - (token == "}")
        command = token[1:] if token.startswith("\\") else None
        if depth < 0 or command is not None and command not in _LATEX_SYMBOLS | _LATEX_ACCENTS:
            return False
        takes_argument = token in ("^", "_") or command in _LATEX_ACCENTS
        if takes_argument and not (after == "{" or after.isalnum() or after.startswith("\\")):
            return False
    return depth == 0 and any(t.isalnum() or t.startswith("\\") for t in tokens)


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
        """The explanation as plain (Unicode) text."""
        n, node, root = self.notation, self.node, self.root
        if not self.contributions:
            return "\n".join(self._seed())
        lines = [f"Chain rule at {n[node]} ({n[node]} = {n.number(node.data)}), gradient of {n[root]}:"]
        lhs = f"  {n.partial(root, node)} = "
        pad = " " * (len(lhs) - 2) + "= "
        for k, row in enumerate(self._equation_rows(latex=False)):
            lines.append((lhs if k == 0 else pad) + row)
        if self._definitions():
            lines.append("  where " + "; ".join(self._definitions()))
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
        parts = [f"**Chain rule at {_code(n[node])}** ({_code(n[node])} = {n.number(node.data)}), "
                 f"gradient of {_code(n[self.root])}", f"$$\n{self.latex}\n$$",
                 "where " + "; ".join(_code(d) for d in self._definitions())]
        if not self._definitions():
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
        """``y = sigmoid(z)`` for each consumer whose name does not already say it."""
        n = self.notation
        consumers = dict.fromkeys(c.consumer for c in self.contributions)
        return [n.definition(c) for c in consumers if n.definition(c) != n[c]]

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
    """
    n = notation
    dot = " \\cdot " if latex else " · "
    shown = uses[:_SHOWN_TERMS]
    more = len(uses) - len(shown)

    def line(terms: list[str]) -> str:
        text = " + ".join(terms)
        if more:
            text += f" + \\dots ({more} more)" if latex else f" + … ({more} more)"
        return text

    chain = line([n.partial(root, c, latex=latex) + (" " if latex else " · ") + n.partial(c, node, latex=latex)
                  for c, _, _ in shown])
    rules = line([n.partial(root, c, latex=latex) + dot + _factor(n.rule(c, i, latex=latex))
                  for c, i, _ in shown])
    numbers = line([n._wrap_number(up) + dot + _factor(n.rule(c, i, latex=latex, numbers=True))
                    for c, i, up in shown])
    return list(dict.fromkeys([chain, rules, numbers, n.number(total)]))


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

def explain(node: Value, root: "Value | Trace | None" = None, *, number_format: str = ".4g",
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
        from .tracing import Trace

        if not isinstance(root, Trace):
            raise OperandError(f"explain: root must be a Value or a Trace, got {type(root).__name__}")
        root = root.root
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
    notation = Notation(order, number_format)
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
