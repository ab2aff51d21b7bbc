"""The code :func:`autograd.compile_arrays` runs: one sample's graph, a name per node holding
one number per sample (a NumPy array).

The layout is ``autograd.compile``'s (:mod:`.source`): the forward pass is a line per node
from the op table's templates, the backward pass a line per edge, outputs first. Three things
differ, each visible in the text:

* templates: an op's ``array_code`` / ``array_local_code`` where it has them (relu is
  ``maximum(z, 0.0)``, its local derivative ``(z > 0.0)``), else ``code`` / ``local_code``,
  with NumPy's functions under math's names;
* the output's gradient is ``seed`` (one number per sample), and an input's gradient is
  summed over the samples as it is made: ``d_w = x @ d_z`` (a column times a column is their
  dot product, the sum over the samples of ``x * d_z``), ``d_b = sum(d_z)`` for a local 1;
* every node's gradient is computed, as ``backward`` computes it (data and constants
  included), so that the ``check`` sum sees every value and gradient eager mode checks.

Which names hold arrays is known before running: the data leaves and every node computed
from one. Parameters, constants and nodes of those alone are single numbers.
"""

from __future__ import annotations

import builtins
import dis
import keyword
import math
import re
import types

from ..errors import OperandError
from .source import Names, comment_text, fill, identifier, literal, rule_comments, sum_statements, templates_of
from .tape import CONSTANT, DATA, INPUT, Tape

__all__ = ["ArraySource", "helpers", "function"]

_TERMS_PER_STATEMENT = 64  # Python's compiler recurses once per term of a + b + ...
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_LOCAL = re.compile(r"(\{\w+\}|-?[0-9]+\.[0-9]+)\Z")  # an operand, the output, c or a number
_OWN_NAMES = {"add_all", "put", "sum", "where", "maximum", "sign", "sigmoid", "bce_logits",
              "check", "grads", "also", "seed"}

GRADS, FORWARD, LOCALS = "grads", "forward", "locals"
"""What a text computes: values and gradients; values only; values and every local derivative
(eager mode's forward pass checks both; written only to find a failing sample)."""


def summed(local: str, d: str, column: bool) -> str:
    """The sum over the samples of local * d: ``x @ d`` (local a column), ``sum(d)`` (local 1)."""
    if column:
        return f"{local if _NAME.fullmatch(local) else f'({local})'} @ {d}"
    if local == "1.0":
        return f"sum({d})"
    if local == "-1.0":
        return f"-sum({d})"
    return f"{local} * sum({d})"


class ArraySource:
    """The generated text of one graph over arrays (see the module docstring)."""

    def __init__(self, tape: Tape, name: str, comments: bool, helpers: dict, note: str = ""):
        self.reserved = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *helpers, *_OWN_NAMES}
        if not _IDENTIFIER.match(name) or name in self.reserved or name.startswith("__"):
            raise OperandError(f"compile_arrays: name must be a plain identifier, got {name!r}")
        self.tape, self.name, self.comments, self.note = tape, name, comments, note
        self._cache = {}
        self.names = self._name_nodes()
        self.is_array = self._arrays()
        self._array_names = {name for name, array in zip(self.names, self.is_array) if array}

    # -- names ------------------------------------------------------------------------------
    def _claim(self, base: str) -> str:
        return self._names.claim(base)

    def _name_nodes(self) -> list[str]:
        """A label where it makes a fresh identifier, else ``t17``; a constant without a free
        name is written as its number (its gradient then gets a name ``d_c17``)."""
        tape = self.tape
        self._names = Names(self.reserved)
        self.taken = self._names.taken
        self.argument_names = []
        for k, label in enumerate(tape.argument_labels):
            base = identifier(label) or (f"p{k}" if k < tape.n_inputs else f"data{k - tape.n_inputs}")
            self.argument_names.append(self._claim(base))
        names, self.named_constants = [], []
        for i, (label, role) in enumerate(zip(tape.labels, tape.roles)):
            if role in (INPUT, DATA):
                names.append(self.argument_names[tape.slots[i]])
            elif role == CONSTANT:
                base = identifier(label)
                if base and base not in self.reserved and base not in self.taken and "d_" + base not in self.taken:
                    self.named_constants.append(i)
                    names.append(self._claim(base))
                else:
                    names.append(literal(tape.values[i]))
            else:
                names.append(self._claim(identifier(label) or f"t{i}"))
        self.grad_names = [f"d_{name}" if _IDENTIFIER.match(name) else f"d_{self._claim(f'c{i}')}"
                           for i, name in enumerate(names)]
        return names

    def _arrays(self) -> list[bool]:
        """Which nodes hold one number per sample: the data leaves and what depends on them."""
        tape, arrays = self.tape, []
        for role, operands in zip(tape.roles, tape.operands):
            arrays.append(role == DATA or any(arrays[p] for p in operands))
        return arrays

    def _holds_array(self, expression: str) -> bool:
        return any(name in self._array_names for name in _NAME.findall(expression))

    # -- templates -----------------------------------------------------------------------------
    def _templates(self, i: int) -> tuple[str, tuple[str, ...]]:
        """Node i's array templates (the float ones where the op table gives none)."""
        op, n, const = self.tape.ops[i], len(self.tape.operands[i]), self.tape.consts[i]
        key = (op, n, const)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = templates_of(op, n, const, "compile_arrays", arrays=True)
        return found

    def _filled(self, i: int, templates) -> list[str]:
        tape, names = self.tape, self.names
        return fill(templates, [names[p] for p in tape.operands[i]], tape.consts[i], names[i])

    def _rules(self, i: int, locals_: list[str]) -> list[str]:
        """Node i's local-derivative rules as the op table writes them, for comments."""
        tape, names = self.tape, self.names
        return rule_comments(tape.ops[i], [names[p] for p in tape.operands[i]], tape.consts[i], names[i], locals_)

    # -- the text --------------------------------------------------------------------------------
    def text(self, mode: str = GRADS, name: str | None = None) -> str:
        """The function's source (``mode``: GRADS, FORWARD or LOCALS)."""
        tape, names = self.tape, self.names
        out = names[tape.output]
        name = name or self.name
        data_names = self.argument_names[tape.n_inputs:]
        lines = [f"# {comment_text(self.note, 80, quoted=False)}"] if self.note else []
        lines += _wrapped(f"def {name}(", self.argument_names + (["seed"] if mode == GRADS else []), "):")
        columns = ", ".join(data_names[:3]) + (", ..." if len(data_names) > 3 else "")
        if mode == GRADS:
            lines += [f'    """{out} for every sample ({columns}: one number per sample) and the sum over the '
                      f'samples',
                      f'    of seed * d {out} / d each input (written by autograd.compile_arrays)."""']
        else:
            lines.append(f'    """{out} for every sample ({columns}: one number per sample; written by '
                         f'autograd.compile_arrays)."""')
        if self.named_constants:
            lines.append("    # constants")
            lines += [f"    {names[i]} = {literal(tape.values[i])}" for i in self.named_constants]
        lines.append("    # forward pass: one line per node, each for every sample at once")
        checked = [out]  # eager mode checks every value: the output and what could hide an inf or nan
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
                checked += [names[p] for p in tape.operands[i] if tape.roles[p] not in (INPUT, DATA, CONSTANT)]
        if mode == LOCALS:  # eager mode's forward pass makes and checks every local derivative
            for i, op in enumerate(tape.ops):
                if op is not None:
                    checked += [local for template, local in zip(self._templates(i)[1],
                                                                 self._filled(i, self._templates(i)[1]))
                                if not _SAFE_LOCAL.match(template)]
        if mode == GRADS:
            lines += self._backward_lines()
            checked += [self.grad_names[i] for i, role in enumerate(tape.roles)
                        if role in (DATA, CONSTANT) and self._has_edges[i]]
        lines += self._check_lines(checked)
        if mode == GRADS:
            returned = [self.grad_names[i] if i is not None and self._has_edges[i] else "0.0"
                        for i in tape.arguments[:tape.n_inputs]]
            lines.append("    # the inputs' gradients, each summed over the samples")
            lines += _wrapped("    grads = [", returned, "]")
        if tape.also:
            lines += _wrapped("    also = [", [names[i] for i in tape.also], "]")
        results = [out, *(["grads"] if mode == GRADS else []), "check", *(["also"] if tape.also else [])]
        lines.append(f"    return {', '.join(results)}")
        return "\n".join(lines) + "\n"

    def _backward_lines(self) -> list[str]:
        """``d_v`` is seed * d output / d v for every sample, summed over the edges out of v in
        the order backward adds them; an input's is summed over the samples too."""
        tape, names, grad_names = self.tape, self.names, self.grad_names
        out = tape.output
        lines = [f"    # backward pass, outputs first: d_v = seed * d {names[out]} / d v for every sample, "
                 f"summed over the edges out of v",
                 f"    {grad_names[out]} = " + ("sum(seed)" if tape.roles[out] == INPUT else "seed")]
        uses = [[] for _ in tape.ops]
        for i in range(out, -1, -1):
            if tape.ops[i] is None:
                continue
            _, local_code = self._templates(i)
            locals_ = self._filled(i, local_code)
            rules = self._rules(i, locals_) if self.comments else locals_
            for k, p in enumerate(tape.operands[i]):
                uses[p].append((locals_[k], grad_names[i], f"d{names[i]}/d{names[p]} = {rules[k]}"))
        self._has_edges = [bool(u) for u in uses]
        self._has_edges[out] = True
        for p in range(out - 1, -1, -1):
            if uses[p]:
                lines += self._sum_lines(grad_names[p], uses[p], over_samples=tape.roles[p] == INPUT)
        return lines

    def _sum_lines(self, target: str, edges: list, over_samples: bool) -> list[str]:
        """``target = t1 + t2 + ...``, one term (and its comment) per line (source.sum_statements)."""
        where = ", summed over the samples" if over_samples else ""
        items = [(self._summed(local, d) if over_samples else _term(local, d),
                  f"  # {comment_text(rule, 60, quoted=False)}{where}" if self.comments else "")
                 for local, d, rule in edges]
        return sum_statements(target, items, indent="    ")

    def _summed(self, local: str, d: str) -> str:
        return summed(local, d, self._holds_array(local))

    def _check_lines(self, checked: list[str]) -> list[str]:
        lines = ["    # eager mode refuses inf and nan at every node and gradient; these could hide one: "
                 "their sum tells"]
        if len(checked) == 1:
            return lines + [f"    check = {checked[0]}"]
        return lines + _wrapped("    check = add_all([", checked, "])")


def _term(local: str, d: str) -> str:
    """local * d, with 1 * d written d and -1 * d written -d (the same numbers)."""
    if local == "1.0":
        return d
    if local == "-1.0":
        return f"-{d}"
    return f"{local} * {d}"


def _wrapped(head: str, items: list[str], tail: str, width: int = 100) -> list[str]:
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


# -- the helpers the array code calls ----------------------------------------------------------

_HELPERS: dict = {}


def helpers(np) -> dict:
    """The array code's only globals: NumPy's functions under math's names (``exp``, ``log``,
    ``tanh``, ``fabs``, ``pow``...), ``where``, ``maximum``, ``sign``, ``sum``, and ours:
    ``add_all``, ``put`` (cases' values back at their samples), ``sigmoid``, ``bce_logits``."""
    found = _HELPERS.get(id(np))
    if found is not None:
        return found
    table = {}
    for name, f in vars(math).items():
        if callable(f) and not name.startswith("_") and isinstance(getattr(np, name, None), np.ufunc):
            table[name] = getattr(np, name)
    table.update(sum=np.add.reduce, pow=np.power, fabs=np.fabs, where=np.where, maximum=np.maximum,
                 sign=np.sign, sigmoid=_sigmoid(np), bce_logits=_bce_logits(np), add_all=_add_all,
                 put=_put(np))
    _HELPERS[id(np)] = table
    return table


def _add_all(terms: list):
    """The terms added left to right (``fsum``'s place in array code: one rounding per term)."""
    total = terms[0]
    if len(terms) == 1:
        return total
    total = total + terms[1]  # a new array: adding the rest in place changes no operand
    for term in terms[2:]:
        total += term
    return total


def _put(np):
    def put(like, *cases):
        """A column as long as ``like``: each case's values put at its samples' positions."""
        column = np.zeros(len(like))
        for where, values in cases:
            column[where] = values
        return column
    return put


def _sigmoid(np):
    def sigmoid(x):
        """1 / (1 + e^-x), exp only ever taken of a number <= 0 (as ops.sigmoid_float)."""
        e = np.exp(-np.fabs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    return sigmoid


def _bce_logits(np):
    def bce_logits(z, y):
        """max(z, 0) - z y + log(1 + e^-|z|), as ops._bce_logits."""
        return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.fabs(z)))
    return bce_logits


def function(source: str, name: str, table: dict):
    """The function ``name`` defined by ``source``, whose only globals are the helpers: the text
    is compiled and only the function is made from it (as ``autograd.compile`` does). A name the
    code calls that has no NumPy version is refused here, not on the first call."""
    module = builtins.compile(source, f"<autograd.compile_arrays {name}>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    called = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    unknown = sorted(called - set(table))
    if unknown:
        raise OperandError(f"compile_arrays: the code calls {', '.join(unknown)}, which has no NumPy "
                           f"version here; give the op array_code / array_local_code templates "
                           f"(see autograd.ops)")
    return types.FunctionType(code, {**table, "__builtins__": {}}, name)
