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
_RESERVED = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *HELPERS, "check", "grads", "also",
             "samples", "case", "seed", "values", "keep_value", "keep_also"}
_CHECKS_PER_LINE = 12
_TERMS_PER_STATEMENT = 64
_BARE = re.compile(r"\{([0-9]+)\}\Z")  # a template that is just an operand
_MAX_LABEL = 32


class Names:
    """Variable names: a label where it makes a fresh identifier (``W1[0,1]`` -> ``W1_0_1``),
    else a numbered ``t17``. Claiming ``x`` also claims its gradient's name ``d_x``."""

    def __init__(self, reserved=_RESERVED):
        self.taken: set[str] = set()
        self.suffix: dict[str, int] = {}
        self.reserved = reserved

    def claim(self, base: str) -> str:
        name = base
        while name in self.taken or "d_" + name in self.taken or name in self.reserved:
            self.suffix[base] = k = self.suffix.get(base, 1) + 1
            name = f"{base}_{k}"
        self.taken.update((name, "d_" + name))
        return name

    def free(self, name: str) -> bool:
        return name not in self.taken and "d_" + name not in self.taken and name not in self.reserved


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


def templates_of(op, n: int, const, where: str = "compile", arrays: bool = False) -> tuple[str, tuple[str, ...]]:
    """The op's ``code`` and ``local_code`` templates for ``n`` operands (with ``arrays``, its
    ``array_code`` and ``array_local_code`` where the op table gives them)."""
    code = (op.array_code or op.code) if arrays else op.code
    local_code = (op.array_local_code or op.local_code) if arrays else op.local_code
    code = code(n, const) if callable(code) else code
    local_code = tuple(local_code(n, const) if callable(local_code) else local_code)
    if not code or len(local_code) != n:
        raise OperandError(f"{where}: the op {op.name!r} has no code template for {n} operand(s) "
                           f"(its Op entry needs code=... and local_code=..., see autograd.ops)")
    return code, local_code


def fill(templates, shown: list[str], const, out: str) -> list[str]:
    """``templates`` with the operands' names ``shown``, the constant and the node's name ``out`` put in."""
    c = literal(float(const)) if const is not None else "0.0"
    filled = []
    for template in templates:
        bare = _BARE.match(template)
        if bare:
            filled.append(shown[int(bare.group(1))])
        elif "{" not in template:  # a number: sum's 1.0 (no call per operand of a wide node)
            filled.append(template)
        elif "{args}" in template:  # (joined only where used: a wide sum has one such template)
            filled.append(template.format(*shown, c=c, out=out, args=", ".join(shown)))
        else:
            filled.append(template.format(*shown, c=c, out=out))
    return filled


def rule_comments(op, shown: list[str], const, out: str, locals_: list[str]) -> list[str]:
    """The local-derivative rules as the op table writes them (``rule_text``), for comments."""
    if op.arity is None or len(op.rule_text) != len(shown):
        return [local.replace("1.0", "1") if local in ("1.0", "-1.0") else local for local in locals_]
    c = "" if const is None else f"{const:g}"
    return [rule.format(*shown, c=c, out=out) for rule in op.rule_text]


class Source:
    """The generated text of one graph (``text``) and the argument names it uses."""

    def __init__(self, tape: Tape, name: str = "step", comments: bool = True):
        if type(name) is not str or not _IDENTIFIER.match(name) or name in _RESERVED or name.startswith("__"):
            raise OperandError(f"compile: name must be a plain identifier (letters, digits, _), got {name!r}")
        self.tape, self.name, self.comments = tape, name, comments
        self._template_cache = {}
        self.names = self._name_nodes()

    # -- names -----------------------------------------------------------------------
    def _name_nodes(self) -> list[str]:
        """One name (or, for an unnamed constant, a literal) per node, and one per argument;
        ``grad_names`` holds each node's gradient variable."""
        tape, names = self.tape, Names()
        self.argument_names = []
        for k, label in enumerate(tape.argument_labels):  # arguments first: they are the signature
            base = identifier(label) or (f"p{k}" if k < tape.n_inputs else f"data{k - tape.n_inputs}")
            self.argument_names.append(names.claim(base))
        result, self.named_constants, self.grad_names = [], [], []
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
                    self.grad_names.append("d_" + names.claim(f"t{i}"))  # its gradient still has a name
                    continue
            else:
                result.append(names.claim(identifier(label) or f"t{i}"))
            self.grad_names.append("d_" + result[-1])
        return result

    # -- templates ---------------------------------------------------------------------
    def _templates(self, i: int) -> tuple[str, tuple[str, ...]]:
        """Node i's ``code`` and ``local_code`` templates from the op table."""
        op, n, const = self.tape.ops[i], len(self.tape.operands[i]), self.tape.consts[i]
        key = (op, n, const) if callable(op.code) or callable(op.local_code) else op
        found = self._template_cache.get(key)
        if found is None:
            found = self._template_cache[key] = templates_of(op, n, const)
        return found

    def _filled(self, i: int, templates) -> list[str]:
        """``templates`` with node i's operand names, constant and name put in."""
        tape, names = self.tape, self.names
        return fill(templates, [names[p] for p in tape.operands[i]], tape.consts[i], names[i])

    def _rules(self, i: int, locals_: list[str]) -> list[str]:
        """Node i's local-derivative rules as the op table writes them (``rule_text``), for comments."""
        tape, names = self.tape, self.names
        return rule_comments(tape.ops[i], [names[p] for p in tape.operands[i]], tape.consts[i], names[i], locals_)

    # -- the pieces ----------------------------------------------------------------------
    def constant_lines(self) -> list[str]:
        names, tape = self.names, self.tape
        if not self.named_constants:
            return []
        return ["# constants", *(f"{names[i]} = {literal(tape.values[i])}" for i in self.named_constants)]

    def forward_lines(self) -> tuple[list[str], list[str]]:
        """The forward pass, one line per node; and the values a check must add up (operands
        of ops that could hide an inf or nan: relu(-inf) = 0)."""
        tape, names, roles = self.tape, self.names, self.tape.roles
        lines, checked = ["# forward pass: one line per node"], []
        for i, op in enumerate(tape.ops):
            if op is None:
                continue
            code, _ = self._templates(i)
            line = f"{names[i]} = {self._filled(i, (code,))[0]}"
            label = tape.labels[i]
            if self.comments and label is not None and identifier(label) != names[i]:
                line += f"  # {comment_text(label)}"
            lines.append(line)
            if op.hides_inf:
                checked += [names[p] for p in tape.operands[i] if roles[p] not in (INPUT, DATA, CONSTANT)]
        return lines, checked

    def backward_lines(self, seed: str = "1.0", accumulate: bool = False) -> tuple[list[str], list[str]]:
        """The backward pass, one line per edge; and the gradients a check must add up (those
        of the leaves that are not inputs: eager mode computes and checks them too).

        ``d_v`` is d output / d v: the sum, over the edges out of v, of local * d_consumer,
        added in the order backward adds them (consumers outputs first, operands in order), so
        the sum is the same float. With ``accumulate`` an input's ``d_`` is never reset: every
        edge adds to it (a loop over samples sums its gradient as backward would)."""
        tape, names, dnames = self.tape, self.names, self.grad_names
        out = tape.output
        first = f"{dnames[out]} + {seed}" if accumulate and tape.roles[out] == INPUT else seed
        lines = [f"# backward pass, outputs first: d_v = d {names[out]} / d v, summed over the edges out of v",
                 f"{dnames[out]} = {first}"]
        uses = [[] for _ in tape.ops]  # per node: its edges (local, d_consumer, rule), in backward's order
        for i in range(out, -1, -1):
            if tape.ops[i] is None:
                continue
            _, local_code = self._templates(i)
            locals_ = self._filled(i, local_code)
            rules = self._rules(i, locals_) if self.comments else locals_
            for k, p in enumerate(tape.operands[i]):
                uses[p].append((locals_[k], dnames[i], f"d{names[i]}/d{names[p]} = {rules[k]}"))
        for p in range(out - 1, -1, -1):
            if uses[p]:
                keep = accumulate and tape.roles[p] == INPUT
                lines += self._sum_lines(dnames[p], uses[p], keep)
        checked = [dnames[i] for i, role in enumerate(tape.roles) if role in (DATA, CONSTANT) and uses[i]]
        return lines, checked

    def _sum_lines(self, target: str, edges: list, keep: bool = False) -> list[str]:
        """``target = t1 + t2 + ...`` (with ``keep``, ``target += t1`` and so on), one term
        (and its comment) per line."""
        items = [(_term(local, d), f"  # {comment_text(rule, 60, quoted=False)}" if self.comments else "")
                 for local, d, rule in edges]
        if keep:  # one edge at a time, as backward's `parent.grad += local * node.grad`
            return [f"{target} += {term}{comment}" for term, comment in items]
        return sum_statements(target, items)

    def returned_grads(self) -> list[str]:
        """What each input's gradient is in the code (``0.0`` for an input the output does not use)."""
        tape = self.tape
        return ["0.0" if i is None else self.grad_names[i] for i in tape.arguments[:tape.n_inputs]]

    # -- the text ----------------------------------------------------------------------
    def text(self, grads: bool = True) -> str:
        """The function's source: forward pass, then (with ``grads``) the backward pass."""
        tape, names = self.tape, self.names
        out = names[tape.output]
        name = self.name if grads else self.name + "_forward"
        lines = [*_wrapped(f"def {name}(", self.argument_names, "):", indent=" " * 8)]
        what = f"{out} and d {out} / d each input" if grads else out
        body = [f'"""{what}, at the arguments\' values (written by autograd.compile)."""',
                *self.constant_lines()]
        forward, checked = self.forward_lines()
        body += forward
        if grads:
            backward, more = self.backward_lines()
            body += backward
            checked += more
        body += _check_lines(checked)
        if grads:
            body.append("# the inputs' gradients (+ 0.0: backward starts each at 0.0, so it never gives -0.0)")
            body += _wrapped("grads = [", [f"{g} + 0.0" if g != "0.0" else g for g in self.returned_grads()], "]")
        if tape.also:
            body += _wrapped("also = [", [names[i] for i in tape.also], "]")
        results = [out, *(["grads"] if grads else []), "check", *(["also"] if tape.also else [])]
        body.append(f"return {', '.join(results)}")
        return "\n".join(lines + _indented(body, 1)) + "\n"


def sum_statements(target: str, items: list[tuple[str, str]], indent: str = "") -> list[str]:
    """``target = t1 + t2 + ...`` for (term, comment) items, one term a line, in statements of at
    most _TERMS_PER_STATEMENT terms (Python's compiler recurses once per term); each statement
    after the first starts from ``target``. A term written ``-x`` is subtracted: ``- x``."""
    lines = []
    for start in range(0, len(items), _TERMS_PER_STATEMENT):
        chunk = items[start:start + _TERMS_PER_STATEMENT]
        if start:
            chunk = [(target, ""), *chunk]
        if len(chunk) == 1:
            lines.append(f"{indent}{target} = {chunk[0][0]}{chunk[0][1]}")
            continue
        head = f"{indent}{target} = ("
        pad = " " * len(head)
        for k, (term, comment) in enumerate(chunk):
            text = term if k == 0 else (f"- {term[1:]}" if term.startswith("-") else f"+ {term}")
            end = ")" if k == len(chunk) - 1 else ""
            lines.append(f"{head if k == 0 else pad}{text}{end}{comment}")
    return lines


def loop_text(cases: list[Source], name: str, case_notes: list[str] | None = None) -> str:
    """One function that runs a graph per sample, in a loop, and sums the inputs' gradients.

    ``cases`` are sources of one sample's graph in its possible shapes (one per label value,
    say: hinge builds relu(1 - s) for y = 1 and relu(s + 1) for y = -1), made with the same
    inputs and data leaves, so they share the argument names. Each sample is a tuple of its
    data values and its case's index. The inputs' gradients start at ``start`` values and
    every edge into an input adds to them, sample after sample: the sum ``backward`` makes on
    the graph of all the samples, when the samples come in reverse order."""
    first = cases[0]
    tape = first.tape
    inputs = first.argument_names[:tape.n_inputs]
    data = first.argument_names[tape.n_inputs:]
    grads = [f"d_{x}" for x in inputs]
    lines = [*_wrapped(f"def {name}(", [*inputs, "samples", "seed", *grads], "):", indent=" " * 8)]
    body = ['"""Each sample\'s output, the inputs\' gradients summed over the samples (starting from the',
            'd_... given), a check, and each sample\'s also values (written by autograd.compile_loop)."""',
            "values, also = [], []",
            "keep_value, keep_also = values.append, also.append",
            "check = 0.0",
            f"for {', '.join([*data, 'case'])} in samples:" if data else "for case in samples:"]
    for k, case in enumerate(cases):
        note = comment_text(case_notes[k], 60, quoted=False) if case_notes else ""
        heading = [f"# case {k}{': ' + note if note else ''}"] if len(cases) > 1 or note else []
        part = [*heading, *case.constant_lines()]
        forward, checked = case.forward_lines()
        backward, more = case.backward_lines(seed="seed", accumulate=True)
        part += forward + backward
        part += _check_lines([case.names[case.tape.output], *checked, *more], target="check", add=True)
        part.append(f"keep_value({case.names[case.tape.output]})")
        if case.tape.also:
            part += _wrapped("keep_also([", [case.names[i] for i in case.tape.also], "])")
        if len(cases) == 1:
            body += _indented(part, 1)
        else:
            body.append(f"    {'if' if k == 0 else 'elif'} case == {k}:")
            body += _indented(part, 2)
    body += _wrapped("grads = [", [f"{g} + 0.0" if g != "0.0" else g for g in _loop_grads(cases)], "]")
    body.append("return values, grads, check, also")
    return "\n".join(lines + _indented(body, 1)) + "\n"


def _loop_grads(cases: list[Source]) -> list[str]:
    """An input's accumulator is its argument d_x whether or not a case uses it."""
    first = cases[0]
    return [f"d_{x}" for x in first.argument_names[:first.tape.n_inputs]]


def _check_lines(checked: list[str], target: str = "check", add: bool = False) -> list[str]:
    """``check = a + b + ...``: one number whose being finite says every term is."""
    if not checked:
        return [] if add else [f"{target} = 0.0"]
    lines = ["# eager mode refuses inf and nan at every node; these values could hide one: their sum tells"]
    for start in range(0, len(checked), _CHECKS_PER_LINE):
        terms = " + ".join(checked[start:start + _CHECKS_PER_LINE])
        lines.append(f"{target} {'=' if start == 0 and not add else '+='} {terms}")
    return lines


def _indented(lines: list[str], level: int) -> list[str]:
    pad = "    " * level
    return [pad + line for line in lines]


def _term(local: str, d: str) -> str:
    """local * d, with 1 * d written d and -1 * d written -d (the same float, exactly)."""
    if local == "1.0":
        return d
    if local == "-1.0":
        return f"-{d}"
    return f"{local} * {d}"


def _wrapped(head: str, items: list[str], tail: str, width: int = 100, indent: str = "    ") -> list[str]:
    """``head`` + items joined by ", " + ``tail``, broken into lines of about ``width``."""
    lines, line = [], head
    for k, item in enumerate(items):
        piece = item + (", " if k < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip() and line != head:
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line + tail)
    return lines
