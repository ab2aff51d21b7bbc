"""Writing a graph as straight-line Python: one line per node, then one line per edge.

The forward pass is the op table's ``code`` template of each node, in topological order::

    zh_0 = fsum([Wi_0_0 * x_0, Wi_1_0 * x_1]) + 0.0
    h_0 = sigmoid(zh_0)

The backward pass is the loop of :func:`autograd.backward` unrolled: for each node, outputs
first, and each of its edges in operand order, ``d_parent += local * d_node``, with ``local``
the op's ``local_code`` template. The first edge into a parent is written ``d_parent = ...``
(backward adds it to 0.0; the two differ only for -0.0, so a returned gradient gets ``+ 0.0``).

What goes into the text: names this module makes (checked identifiers), finite float
literals (``repr``), the op table's templates, and comments whose label text is escaped to
printable ASCII on one line. Nothing else a user wrote reaches the code.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re

from .. import ops
from ..errors import OperandError
from .tape import CONSTANT, DATA, INPUT, Tape

# The compiled code's only globals: math's functions (a new op's code template may call any of
# them: sin({0})) and the op table's stable helpers.
HELPERS = {**{name: f for name, f in vars(math).items() if callable(f) and not name.startswith("_")},
           "sigmoid": ops.sigmoid_float, "bce_logits": ops._bce_logits}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *HELPERS, "check", "grads", "also"}
_SAFE_LOCAL = re.compile(r"(\{\w+\}|-?[0-9]+\.[0-9]+)\Z")  # an operand, the output, c or a number
_CHECKS_PER_LINE = 12
_TERMS_PER_STATEMENT = 64
_BARE = re.compile(r"\{([0-9]+)\}\Z")  # a template that is just an operand
_MAX_LABEL = 32


class Names:
    """Variable names: a label where it makes a fresh identifier (``W1[0,1]`` -> ``W1_0_1``),
    else a numbered ``t17``. Claiming ``x`` also claims its gradient's name ``d_x``."""

    def __init__(self):
        self.taken: set[str] = set()
        self.suffix: dict[str, int] = {}

    def claim(self, base: str) -> str:
        name = base
        while name in self.taken or "d_" + name in self.taken or name in _RESERVED:
            self.suffix[base] = k = self.suffix.get(base, 1) + 1
            name = f"{base}_{k}"
        self.taken.update((name, "d_" + name))
        return name

    def free(self, name: str) -> bool:
        return name not in self.taken and "d_" + name not in self.taken and name not in _RESERVED


def identifier(label) -> str | None:
    """The identifier a label makes, or None: ``W1[0,1]`` -> ``W1_0_1``, ``z1[0]`` -> ``z1_0``.

    Only ASCII letters, digits and ``_`` pass, after ``[`` and ``,`` become ``_`` and ``]``
    and spaces go; no leading ``__``, and not ``_`` alone.

    >>> identifier("W1[0,1]"), identifier("yhat"), identifier("ŷ"), identifier("a'); import os")
    ('W1_0_1', 'yhat', None, None)
    """
    if type(label) is not str or not label or len(label) > _MAX_LABEL:
        return None
    text = label.replace("[", "_").replace(",", "_").replace("]", "").replace(" ", "")
    if not _IDENTIFIER.match(text) or text.startswith("__") or not text.strip("_"):
        return None
    return text


def comment_text(text: str, limit: int = 40, quoted: bool = True) -> str:
    """``text`` as it may appear in a comment: printable ASCII on one line (``ascii`` escapes
    the rest: newlines, quotes' partners, lone surrogates), shortened to about ``limit``."""
    shown = ascii(text if len(text) <= limit else text[:limit - 3])
    if not quoted:
        shown = shown[1:-1]
    return shown if len(text) <= limit else shown + "..."


def literal(x: float) -> str:
    """A finite float as Python source; negative numbers in parentheses (``(-2.0)``), so that
    every template reads the same whatever its operands are (``(-2.0) ** x``)."""
    if type(x) is not float or x - x != 0.0:
        raise OperandError(f"compile: a constant must be a finite float, got {x!r}")
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


class Source:
    """The generated text of one graph (``text``) and the argument names it uses."""

    def __init__(self, tape: Tape, name: str = "step", comments: bool = True):
        if not _IDENTIFIER.match(name) or name in _RESERVED or name.startswith("__"):
            raise OperandError(f"compile: name must be a plain identifier, got {name!r}")
        self.tape, self.name, self.comments = tape, name, comments
        self._template_cache = {}
        self.names = self._name_nodes()
        self.needs_grad = self._needs_grad()

    # -- names -----------------------------------------------------------------------
    def _name_nodes(self) -> list[str]:
        """One name (or, for an unnamed constant, a literal) per node, and one per argument."""
        tape, names = self.tape, Names()
        self.argument_names = []
        for k, label in enumerate(tape.argument_labels):  # arguments first: they are the signature
            base = identifier(label) or (f"p{k}" if k < tape.n_inputs else f"data{k - tape.n_inputs}")
            self.argument_names.append(names.claim(base))
        result, self.named_constants = [], []
        for i, (op, label, role) in enumerate(zip(tape.ops, tape.labels, tape.roles)):
            if role in (INPUT, DATA):
                result.append(self.argument_names[tape.slots[i]])
            elif role == CONSTANT:  # named when its label is free as it is, else written as a number
                base = identifier(label)
                if base and names.free(base):
                    self.named_constants.append(i)
                    result.append(names.claim(base))
                else:
                    result.append(literal(tape.values[i]))
            else:
                result.append(names.claim(identifier(label) or f"t{i}"))
        return result

    def _needs_grad(self) -> list[bool]:
        """Which nodes depend on an input: only their gradients are computed."""
        tape, needs = self.tape, []
        for role, operands in zip(tape.roles, tape.operands):
            needs.append(role == INPUT or any(needs[p] for p in operands))
        return needs

    # -- templates ---------------------------------------------------------------------
    def _templates(self, i: int) -> tuple[str, tuple[str, ...]]:
        """Node i's ``code`` and ``local_code`` templates from the op table."""
        op, n, const = self.tape.ops[i], len(self.tape.operands[i]), self.tape.consts[i]
        key = (op, n, const) if callable(op.code) or callable(op.local_code) else op
        found = self._template_cache.get(key)
        if found is None:
            code = op.code(n, const) if callable(op.code) else op.code
            local_code = op.local_code(n, const) if callable(op.local_code) else op.local_code
            if not code or len(local_code) != n:
                raise OperandError(f"compile: the op {op.name!r} has no code template for {n} operand(s) "
                                   f"(its Op entry needs code=... and local_code=..., see autograd.ops)")
            found = self._template_cache[key] = (code, tuple(local_code))
        return found

    def _filled(self, i: int, templates) -> list[str]:
        """``templates`` with node i's operand names, constant and name put in."""
        tape, names = self.tape, self.names
        shown = [names[p] for p in tape.operands[i]]
        const = tape.consts[i]
        c = literal(float(const)) if const is not None else "0.0"
        out = names[i]
        filled = []
        for template in templates:
            bare = _BARE.match(template)
            filled.append(shown[int(bare.group(1))] if bare else
                          template.format(*shown, c=c, out=out, args=", ".join(shown)))
        return filled

    def _rules(self, i: int, locals_: list[str]) -> list[str]:
        """Node i's local-derivative rules as the op table writes them (``rule_text``), for comments."""
        op, tape = self.tape.ops[i], self.tape
        if op.arity is None or len(op.rule_text) != len(tape.operands[i]):
            return [local.replace("1.0", "1") if local in ("1.0", "-1.0") else local for local in locals_]
        const = tape.consts[i]
        shown = [self.names[p] for p in tape.operands[i]]
        c = "" if const is None else f"{const:g}"
        return [rule.format(*shown, c=c, out=self.names[i]) for rule in op.rule_text]

    # -- the text ----------------------------------------------------------------------
    def text(self, grads: bool = True) -> str:
        """The function's source: forward pass, then (with ``grads``) the backward pass."""
        tape, names = self.tape, self.names
        out = names[tape.output]
        name = self.name if grads else self.name + "_forward"
        lines = [*_wrapped(f"def {name}(", self.argument_names, "):")]
        what = f"{out} and d {out} / d each input" if grads else out
        lines.append(f'    """{what}, at the arguments\' values (written by autograd.compile)."""')
        if self.named_constants:
            lines.append("    # constants")
            lines += [f"    {names[i]} = {literal(tape.values[i])}" for i in self.named_constants]
        lines.append("    # forward pass: one line per node")
        checked = []  # operands of ops that could hide an inf or nan (relu(-inf) = 0)
        roles = tape.roles
        for i, op in enumerate(tape.ops):
            if op is None:
                continue
            code, _ = self._templates(i)
            line = f"    {names[i]} = {self._filled(i, (code,))[0]}"
            label = tape.labels[i]
            if self.comments and label is not None and identifier(label) != names[i]:
                line += f"  # {comment_text(label)}"
            lines.append(line)
            if op.hides_inf:
                checked += [names[p] for p in tape.operands[i] if roles[p] not in (INPUT, DATA, CONSTANT)]
        if grads:
            backward = self._backward_lines(checked)
        lines += self._check_lines(checked)
        if grads:
            lines += backward
            returned = [f"d_{names[i]} + 0.0" if i is not None and self.needs_grad[i] else "0.0"
                        for i in tape.arguments[:tape.n_inputs]]
            lines.append("    # the inputs' gradients (+ 0.0: backward starts each at 0.0, so it never gives -0.0)")
            lines += _wrapped("    grads = [", returned, "]")
        if tape.also:
            lines += _wrapped("    also = [", [names[i] for i in tape.also], "]")
        results = [out, *(["grads"] if grads else []), "check", *(["also"] if tape.also else [])]
        lines.append(f"    return {', '.join(results)}")
        return "\n".join(lines) + "\n"

    def _backward_lines(self, checked: list[str]) -> list[str]:
        """``d_v`` is d output / d v: the sum, over the edges out of v, of local * d_consumer.

        One line per edge. The edges into ``v`` are added in the order backward adds them
        (consumers outputs first, operands in order), so the sum is the same float."""
        tape, names, needs = self.tape, self.names, self.needs_grad
        out = tape.output
        lines = [f"    # backward pass, outputs first: d_v = d {names[out]} / d v, summed over the edges out of v"]
        if not needs[out]:
            return lines
        lines.append(f"    d_{names[out]} = 1.0")
        uses = [[] for _ in tape.ops]  # per node: its edges (consumer, term, rule), in backward's order
        for i in range(out, -1, -1):
            op = tape.ops[i]
            if op is None or not needs[i]:
                continue
            _, local_code = self._templates(i)
            locals_ = self._filled(i, local_code)
            rules = self._rules(i, locals_) if self.comments else locals_
            for k, p in enumerate(tape.operands[i]):
                if needs[p]:
                    uses[p].append((locals_[k], f"d_{names[i]}", f"d{names[i]}/d{names[p]} = {rules[k]}"))
                elif not _SAFE_LOCAL.match(local_code[k]):  # no gradient here, but eager checks the local
                    checked.append(locals_[k])
        for p in range(out - 1, -1, -1):
            if uses[p]:
                lines += self._sum_lines(f"d_{names[p]}", uses[p])
        return lines

    def _sum_lines(self, target: str, edges: list) -> list[str]:
        """``target = t1 + t2 + ...``, one term (and its comment) per line, in statements of at
        most _TERMS_PER_STATEMENT terms (Python's compiler recurses once per term)."""
        lines = []
        for start in range(0, len(edges), _TERMS_PER_STATEMENT):
            chunk = edges[start:start + _TERMS_PER_STATEMENT]
            terms = [] if start == 0 else [target]
            terms += [_term(local, d, first=(start == 0 and k == 0)) for k, (local, d, _) in enumerate(chunk)]
            comments = [""] * (len(terms) - len(chunk)) + [
                f"  # {comment_text(rule, 60, quoted=False)}" if self.comments else "" for _, _, rule in chunk]
            if len(terms) == 1:
                lines.append(f"    {target} = {terms[0]}{comments[0]}")
                continue
            head = f"    {target} = ("
            pad = " " * len(head)
            for k, (term, comment) in enumerate(zip(terms, comments)):
                text = term if k == 0 else (f"- {term[1:]}" if term.startswith("-") else f"+ {term}")
                end = ")" if k == len(terms) - 1 else ""
                lines.append(f"{head if k == 0 else pad}{text}{end}{comment}")
        return lines

    def _check_lines(self, checked: list[str]) -> list[str]:
        if not checked:
            return ["    check = 0.0"]
        lines = ["    # eager mode refuses inf and nan at every node; these values could hide one: their sum tells"]
        for start in range(0, len(checked), _CHECKS_PER_LINE):
            terms = " + ".join(checked[start:start + _CHECKS_PER_LINE])
            lines.append(f"    check {'=' if start == 0 else '+='} {terms}")
        return lines


def _term(local: str, d: str, first: bool) -> str:
    """local * d, with 1 * d written d and -1 * d written -d (the same float, exactly)."""
    if local == "1.0":
        return d
    if local == "-1.0":
        return f"-{d}"
    return f"{local} * {d}"


def _wrapped(head: str, items: list[str], tail: str, width: int = 100) -> list[str]:
    """``head`` + items joined by ", " + ``tail``, broken into lines of about ``width``."""
    lines, line = [], head
    indent = " " * 8
    for k, item in enumerate(items):
        piece = item + (", " if k < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip() and line != head:
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line + tail)
    return lines
