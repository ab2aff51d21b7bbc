"""How the nodes of one graph are written: names, op expressions and local rules.

Drawing, tracing and explaining all write nodes the same way through :class:`Notation`.

    >>> from autograd import Value
    >>> from autograd.tools.notation import Notation
    >>> x = Value(2.0, label="x"); y = x.exp(); y.label = "y"
    >>> n = Notation([x, y])
    >>> n.expression(y), n.rule(y, 0)
    ('exp(x)', 'exp(x)')
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping

from ..backprop import topological_order
from ..value import Value
from .markup import latex_text

__all__ = ["Notation"]


class Notation:
    """How the nodes of one graph are written: a name per node, op expressions and local rules.

    A node is named by its label (or by ``names``). An unlabelled node gets a short
    generated name, listed by :meth:`legend`: a leaf a letter (``a``, ``b``, ... skipping the
    names labels use), an op node its expression over its parents' names while that stays
    short (``w * x``), otherwise ``t1``, ``t2``, ... in topological order. So no node is ever
    named by a bare number ("Chain rule at 2"). Label your nodes for the clearest explanations.

    ``order`` holds the nodes in topological order (any: a trace's computing order will do),
    or maps each node to its position in it. The names are handed out in one order whatever
    order is given, ``topological_order`` of the graph's output (the last node), so every
    text and drawing of one graph names its nodes alike. Only the nodes given are named (a
    node whose operands are not among them gets a ``t`` name). ``max_operands`` shortens
    the operand list of an n-ary op (``sum``, ``dot``) in expressions to that many and "...";
    it changes no name (an expression name is short, so it is written in full). ``walked=True``
    says ``order`` is ``topological_order`` of its last node already, a mapping's keys too (it
    saves a walk).

    >>> from autograd import Value, topological_order
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> y = (w * x).tanh()
    >>> names = Notation(topological_order(y))
    >>> names[y], names.rule(y.parents[0], 1), names.rule(y.parents[0], 1, numbers=True)
    ('tanh(w * x)', 'w', '0.5')
    >>> Notation(topological_order(y), names={w: "weight"})[y]
    'tanh(weight * x)'
    >>> Notation({y: 3, y.parents[0]: 2})[y.parents[0]]     # its operands w, x are not named here
    't1'
    >>> u = Value(2.0) * w                                  # an unlabelled leaf is a letter
    >>> n = Notation(topological_order(u))
    >>> n.name(u), n.is_generated(u.parents[0]), n.legend(topological_order(u))
    ('a * w', True, ['a = 2 (unlabelled input)'])
    """

    def __init__(self, order: Iterable[Value] | Mapping[Value, int], number_format: str = ".4g",
                 max_name: int = 16, *, names: Mapping[Value, str | None] | None = None,
                 max_operands: int | None = None, walked: bool = False):
        self.number_format = number_format
        self.max_operands = max_operands
        self.text: dict = {}
        self.latex: dict = {}
        self._composite: dict = {}  # node named by an expression -> its precedence (see _precedence)
        self._generated: dict = {}  # node -> "leaf" or "op": named a, b, ... or t1, t2, ...
        if walked:  # its keys, for a mapping, are in that order too
            nodes = list(order)
        else:
            nodes = _canonical([node for node, _ in sorted(order.items(), key=lambda item: item[1])]
                               if isinstance(order, Mapping) else list(order))
        numbered = [(node, names.get(node) if names else None) for node in nodes]
        taken = {label or node.label for node, label in numbered} - {None, ""}
        letters, n_ops = _fresh_letters(taken), 0
        for node, label in numbered:
            label = label or node.label
            if label:
                self.text[node], self.latex[node] = label, _latex_label(label)
            elif not node.parents:
                self.text[node] = self.latex[node] = next(letters)
                self._generated[node] = "leaf"
            elif (len(node.parents) <= max_name  # each operand takes a character at least
                  and all(p in self.text and self._generated.get(p) != "op" for p in node.parents)
                  and len(expr := self._expression(node, False, False, None)) <= max_name):
                self.text[node], self.latex[node] = expr, self._expression(node, True, False, None)
                self._composite[node] = 1 if node.op_def.arity is None and node.const \
                    else _precedence(node.op_def.text)
            else:
                n_ops += 1
                while f"t{n_ops}" in taken:
                    n_ops += 1
                self.text[node], self.latex[node] = f"t{n_ops}", f"t_{{{n_ops}}}"
                self._generated[node] = "op"

    def __getitem__(self, node: Value) -> str:
        return self.text[node]

    def name(self, node: Value) -> str:
        """``node``'s name: its label, a short expression (``w * x``), or a generated ``a`` / ``t1``."""
        return self.text[node]

    def is_generated(self, node: Value) -> bool:
        """True when ``node``'s name was made up here (``a``, ``t1``): a text using it should
        say what it stands for (see :meth:`legend`)."""
        return node in self._generated

    @property
    def generated(self) -> frozenset:
        """The nodes whose names were made up here."""
        return frozenset(self._generated)

    def legend(self, nodes: Iterable[Value]) -> list[str]:
        """What each generated name among ``nodes`` stands for, one line each, in the order
        given (each node once): ``a = 2 (unlabelled input)``, ``t1 = w * x (unlabelled)``."""
        lines = []
        for node in dict.fromkeys(nodes):
            kind = self._generated.get(node)
            if kind == "leaf":
                lines.append(f"{self.text[node]} = {self.number(node.data)} (unlabelled input)")
            elif kind == "op":
                lines.append(f"{self.text[node]} = {self.expression(node)} (unlabelled)")
        return lines

    def number(self, x: float) -> str:
        """``x`` in the chosen number format (``-0`` written ``0``)."""
        return format(x + 0.0, self.number_format)

    def expression(self, node: Value, *, latex: bool = False, numbers: bool = False) -> str:
        """The op that made ``node`` over its operands: ``w * x`` (or with numbers, ``0.5 * 2``)."""
        return self._expression(node, latex, numbers, self.max_operands)

    def _expression(self, node: Value, latex: bool, numbers: bool, max_operands: int | None) -> str:
        op = node.op_def
        text = self._fill(op.latex if latex else op.text, node, latex, numbers, op.text, max_operands)
        if op.arity is None and node.const:  # the folded constant of sum([x, y, 3])
            c = format(node.const + 0.0, "g")
            text += f" - {c[1:]}" if c.startswith("-") else f" + {c}"
        return text

    def rule(self, node: Value, i: int, *, latex: bool = False, numbers: bool = False) -> str:
        """The local derivative ``∂node/∂parents[i]`` as the op's rule: ``w`` for ``w * x``."""
        op = node.op_def
        rules = op.rule_latex if latex else op.rule_text
        if op.local_is_partner:  # a weight's rule is its input and back (dot), 1 for a bias
            n = len(node.parents) // 2
            if i >= 2 * n:
                return "1"
            partner = node.parents[i + n if i < n else i - n]
            return self.operand(partner, latex, numbers)
        return self._fill(rules[min(i, len(rules) - 1)], node, latex, numbers, "", self.max_operands)

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

    def _fill(self, template: str, node: Value, latex: bool, numbers: bool, shape: str,
              max_operands: int | None) -> str:
        """Fill a template of ``node``'s op. ``shape``, the op's text template, lets precedence
        drop needless parentheses: ``w * x + b``, not ``(w * x) + b``."""
        # only the operands the template shows are written: an n-ary node's rule is filled once
        # per edge, so writing all n operands each time would be quadratic
        count = len(node.parents)
        if "{args}" not in template:
            count = min(count, _positional_slots(template))
        elif max_operands is not None:
            count = min(count, max(max_operands, _positional_slots(template)))
        operands, plain = [], []  # plain: as items of a list, which need no parentheses
        for i, p in enumerate(node.parents[:count]):
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
        if max_operands is not None and len(node.parents) > max_operands:
            plain[max_operands:] = ["\\dots" if latex else "..."]
        return template.format(*operands, c=const, out=out, args=", ".join(plain))


def _canonical(nodes: list[Value]) -> list[Value]:
    """``nodes`` in ``topological_order`` of the last of them (the output), which names them:
    the same names whichever topological order a caller lists them in. Nodes the output does
    not depend on keep their place after the others."""
    if not nodes:
        return nodes
    given = set(nodes)
    ordered = [node for node in topological_order(nodes[-1]) if node in given]
    if len(ordered) < len(given):
        placed = set(ordered)
        ordered += [node for node in dict.fromkeys(nodes) if node not in placed]
    return ordered


_SLOT = re.compile(r"\{(\d+)\}")


def _positional_slots(template: str) -> int:
    """How many positional operands ``template`` uses: 2 for ``{0} * {1}``."""
    return max((int(m) + 1 for m in _SLOT.findall(template)), default=0)


def _fresh_letters(taken: set) -> Iterator[str]:
    """``a``, ``b``, ... ``z``, then ``aa``, ``ab``, ...: names for unlabelled leaves, skipping ``taken``."""
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for size in itertools.count(1):
        for letters in itertools.product(alphabet, repeat=size):
            name = "".join(letters)
            if name not in taken:
                yield name


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
