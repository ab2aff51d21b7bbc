"""Several cases of one sample's graph as ONE array function: what they share runs once.

A sample's graph can take several shapes, one per label value (hinge builds ``relu(1 - s)``
for y = 1 and ``relu(s + 1)`` for y = -1), and nearly all of it, the model, is the same in
every shape. This writer finds the nodes every case has (the same op on the same operands, down
to the same leaves), writes them once for every sample of the batch, and then each case's own
nodes for its samples only::

    def fit_step(W1_0_0, ..., x_0, x_1, seed, case0, case1):
        # forward pass: the nodes every case shares, one line each, for every sample
        z3_0 = add_all([W3_0_0 * h2_0, ...]) + b3_0
        # case 0 (y = -1): its samples only
        z3_0_case0 = z3_0[case0]
        t404 = z3_0_case0 + 1.0
        L = maximum(t404, 0.0)
        ...
        # the nodes every case shares, for every sample: each case's gradient put back at its samples
        d_z3_0 = put(x_0, (case0, d_z3_0_case0), (case1, d_z3_0_case1))  # from each case's samples

``case0`` holds the positions of case 0's samples in the batch; ``z3_0[case0]`` takes them out
of a column, and ``put`` puts each case's values back at their samples (a column as long as
``x_0``). Each case's lines are that case's one-sample code, as
:class:`~.array_source.ArraySource` writes it; a node that computes what an earlier shared node
computes (``-x`` written twice) is that node, written once.
"""

from __future__ import annotations

import builtins
import keyword

from ..errors import OperandError
from .array_source import (_IDENTIFIER, _NAME, _OWN_NAMES, _SAFE_LOCAL, GRADS, LOCALS, _term,
                           _wrapped, summed)
from .source import Names, comment_text, fill, identifier, literal, rule_comments, sum_statements, templates_of
from .tape import CONSTANT, DATA, INPUT, Tape

__all__ = ["CasesSource"]

_TERMS_PER_STATEMENT = 64


class CasesSource:
    """The generated text of several cases of one graph (see the module docstring)."""

    def __init__(self, tapes: list[Tape], name: str, comments: bool, helpers: dict, notes: list[str]):
        self.reserved = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *helpers, *_OWN_NAMES, "put"}
        if not _IDENTIFIER.match(name) or name in self.reserved or name.startswith("__"):
            raise OperandError(f"compile_arrays: name must be a plain identifier, got {name!r}")
        self.tapes, self.name, self.comments, self.notes = tapes, name, comments, notes
        self._cache = {}
        self._merge()
        self._name_nodes()

    # -- which nodes the cases share ------------------------------------------------------------
    def _merge(self) -> None:
        """Number every node by what it computes (op, constant, operands' numbers; a leaf by its
        role and place), so equal numbers in two cases are the same node; then list the nodes:
        the shared ones (in case 0's order), then each case's own."""
        ids: dict = {}
        self.node_ids = []
        for tape in self.tapes:
            numbers = []
            for i, op in enumerate(tape.ops):
                if op is None:
                    role = tape.roles[i]
                    key = (role, tape.slots[i]) if role != CONSTANT else (role, repr(tape.values[i]), tape.labels[i])
                else:
                    key = (op.name, repr(tape.consts[i]), tuple(numbers[p] for p in tape.operands[i]))
                numbers.append(ids.setdefault(key, len(ids)))
            self.node_ids.append(numbers)
        common = set(self.node_ids[0])
        for numbers in self.node_ids[1:]:
            common &= set(numbers)
        self.shared = common
        # merged nodes: (case, index in that case's tape); case None for a shared node (from tape 0)
        # (a node that computes what an earlier one does is that node: written once, as one node)
        first = {}
        for i, n in enumerate(self.node_ids[0]):
            if n in common:
                first.setdefault(n, i)
        self.nodes = [(None, i) for i in first.values()]
        self.position = {self.node_ids[0][i]: k for k, (_, i) in enumerate(self.nodes)}
        self.case_nodes = []
        for c, numbers in enumerate(self.node_ids):
            own = [i for i, n in enumerate(numbers) if n not in common]
            self.case_nodes.append(own)

    def _tape_of(self, case):
        return self.tapes[0 if case is None else case]

    # -- names --------------------------------------------------------------------------------
    def _claim(self, base: str) -> str:
        return self._names.claim(base)

    def _name_nodes(self) -> None:
        """Names: the case arguments and the leaves first, then the shared nodes (case 0's labels),
        then each case's own nodes; and per case, copies of the shared array nodes it reads."""
        tape0 = self.tapes[0]
        self._names = Names(self.reserved)
        self.taken = self._names.taken
        self.case_args = [self._claim(f"case{c}") for c in range(len(self.tapes))]
        self.argument_names = []
        for k, label in enumerate(tape0.argument_labels):
            base = identifier(label) or (f"p{k}" if k < tape0.n_inputs else f"data{k - tape0.n_inputs}")
            self.argument_names.append(self._claim(base))
        self.named_constants = []  # (name, value), every constant leaf: one number
        self.is_array = {name: k >= tape0.n_inputs for k, name in enumerate(self.argument_names)}
        self.shared_names = {}  # node number -> name
        for _, i in self.nodes:
            number = self.node_ids[0][i]
            self.shared_names[number] = self._node_name(None, tape0, i)
        self.also_shared = [len({self.node_ids[c][t.also[j]] for c, t in enumerate(self.tapes)}) == 1
                            and self.node_ids[0][tape0.also[j]] in self.shared for j in range(len(tape0.also))]
        self.copies, self.case_names, self.gathered_leaves = [], [], []
        for c, own in enumerate(self.case_nodes):
            tape, numbers = self.tapes[c], self.node_ids[c]
            used = [p for i in own for p in tape.operands[i] if numbers[p] in self.shared]
            used += [tape.output] if numbers[tape.output] in self.shared else []
            used += [i for j, i in enumerate(tape.also) if numbers[i] in self.shared and not self.also_shared[j]]
            copies = {}
            for p in dict.fromkeys(used):
                if tape.roles[p] == INPUT:
                    continue  # a parameter is one number: every case uses it as it is
                shared = self.shared_names[numbers[p]]
                copies[numbers[p]] = name = self._claim(f"{shared}_case{c}")
                self.is_array[name] = self.is_array[shared]
            self.copies.append(copies)
            names = {}
            self.case_names.append(names)
            for i in own:
                names[i] = self._node_name(c, tape, i)

    def _node_name(self, case, tape: Tape, i: int) -> str:
        role = tape.roles[i]
        if role == INPUT:
            return self.argument_names[tape.slots[i]]
        if role == DATA:
            column = self.argument_names[tape.slots[i]]
            if case is None:
                return column
            name = self._claim(f"{column}_case{case}")  # a column only this case reads: its samples
            self.is_array[name] = True
            self.gathered_leaves.append((case, name, column))
            return name
        if role == CONSTANT:
            base = identifier(tape.labels[i])
            free = base and base not in self.reserved and base not in self.taken and "d_" + base not in self.taken
            name = self._claim(base if free else f"c{i}")
            self.named_constants.append((name, tape.values[i]))
            self.is_array[name] = False
            return name
        name = self._claim(identifier(tape.labels[i]) or f"t{i}")
        numbers = self.node_ids[0 if case is None else case]
        operands = [self.shared_names[numbers[p]] if numbers[p] in self.shared else self.case_names[case][p]
                    for p in tape.operands[i]]
        self.is_array[name] = any(self.is_array[n] for n in operands)
        return name

    # the names a node's template sees: a shared array node read by a case is its copy
    def _operand_names(self, case, i: int) -> list[str]:
        tape = self._tape_of(case)
        if case is None:
            return [self.shared_names[self.node_ids[0][p]] for p in tape.operands[i]]
        return [self._in_case(case, p) for p in tape.operands[i]]

    def _in_case(self, case: int, p: int) -> str:
        """Case ``case``'s name for its tape's node p: its own, a copy, or a parameter."""
        number = self.node_ids[case][p]
        if number not in self.shared:
            return self.case_names[case][p]
        return self.copies[case].get(number) or self.shared_names[number]

    def _name(self, case, i: int) -> str:
        return self.shared_names[self.node_ids[0][i]] if case is None else self.case_names[case][i]

    # -- templates ------------------------------------------------------------------------------
    def _templates(self, case, i: int):
        tape = self._tape_of(case)
        op, n, const = tape.ops[i], len(tape.operands[i]), tape.consts[i]
        key = (op, n, const)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = templates_of(op, n, const, "compile_arrays", arrays=True)
        return found

    def _filled(self, case, i: int, templates) -> list[str]:
        return fill(templates, self._operand_names(case, i), self._tape_of(case).consts[i], self._name(case, i))

    def _rules(self, case, i: int, locals_: list[str]) -> list[str]:
        tape = self._tape_of(case)
        return rule_comments(tape.ops[i], self._operand_names(case, i), tape.consts[i], self._name(case, i), locals_)

    def _holds_array(self, expression: str) -> bool:
        return any(self.is_array.get(name, False) for name in _NAME.findall(expression))

    # -- the text ---------------------------------------------------------------------------------
    def text(self, mode: str = GRADS, name: str | None = None) -> str:
        """The function's source (``mode``: GRADS, FORWARD or LOCALS, as ArraySource's)."""
        name = name or self.name
        tape0 = self.tapes[0]
        like = self.argument_names[tape0.n_inputs]  # a data column: the batch's size, for put
        arguments = self.argument_names + (["seed"] if mode == GRADS else []) + self.case_args
        lines = _wrapped(f"def {name}(", arguments, "):")
        what = ",\n    and the sum over the samples of seed * d output / d each input" if mode == GRADS else ""
        lines += [f'    """Each sample\'s output (its case\'s){what} (written by autograd.compile_arrays).',
                  "",
                  f"    {', '.join(self.case_args)}: the positions of each case's samples in the batch.\"\"\""]
        if self.named_constants:
            lines.append("    # constants")
            lines += [f"    {n} = {literal(v)}" for n, v in self.named_constants]
        lines.append("    # forward pass: the nodes every case shares, one line each, for every sample")
        checked = []
        for case, i in self.nodes:
            lines += self._forward_line(case, i, checked)
        case_checked = [[] for _ in self.tapes]
        for c, own in enumerate(self.case_nodes):
            lines.append(f"    # case {c}{self._note(c)}: its samples only")
            for number, copy in self.copies[c].items():
                shared = self.shared_names[number]
                lines.append(f"    {copy} = {shared}[{self.case_args[c]}]" if self.is_array[shared] else
                             f"    {copy} = {shared}")
            lines += [f"    {n} = {column}[{self.case_args[c]}]" for k, n, column in self.gathered_leaves if k == c]
            for i in own:
                lines += self._forward_line(c, i, case_checked[c])
            case_checked[c].append(self._in_case(c, self.tapes[c].output))
        if mode == LOCALS:  # eager mode's forward pass makes and checks every local derivative
            for case, i in self.nodes:
                checked += self._unsafe_locals(case, i)
            for c, own in enumerate(self.case_nodes):
                for i in own:
                    case_checked[c] += self._unsafe_locals(c, i)
        if mode == GRADS:
            lines += self._backward_lines(like, checked, case_checked)
        lines.append("    # each sample's output, from its case")
        lines.append(f"    output = {self._put(like, [self._in_case(c, t.output) for c, t in enumerate(self.tapes)])}")
        lines.append("    # eager mode refuses inf and nan at every node and gradient; these could hide one: "
                     "their sum tells")
        per_case = [terms[0] if len(terms) == 1 else f"add_all([{', '.join(terms)}])" for terms in case_checked]
        lines += _wrapped("    check = add_all([", [*checked, self._put(like, per_case)], "])")
        if mode == GRADS:
            returned = [f"d_{n}" if f"d_{n}" in self._written else "0.0" for n in self.argument_names[:tape0.n_inputs]]
            lines.append("    # the inputs' gradients, each summed over the samples")
            lines += _wrapped("    grads = [", returned, "]")
        if tape0.also:
            names = [self.shared_names[self.node_ids[0][tape0.also[j]]] if shared else
                     self._put(like, [self._in_case(c, t.also[j]) for c, t in enumerate(self.tapes)])
                     for j, shared in enumerate(self.also_shared)]
            lines += _wrapped("    also = [", names, "]")
        results = ["output", *(["grads"] if mode == GRADS else []), "check", *(["also"] if tape0.also else [])]
        lines.append(f"    return {', '.join(results)}")
        return "\n".join(lines) + "\n"

    def _note(self, c: int) -> str:
        return f" ({comment_text(self.notes[c], 60, quoted=False)})" if c < len(self.notes) and self.notes[c] else ""

    def _put(self, like: str, per_case: list[str]) -> str:
        """Each case's values (on its samples) put back at their samples, one column."""
        return f"put({like}, " + ", ".join(f"({self.case_args[c]}, {n})" for c, n in enumerate(per_case)) + ")"

    def _forward_line(self, case, i: int, checked: list[str]) -> list[str]:
        tape = self._tape_of(case)
        op = tape.ops[i]
        if op is None:
            return []
        code, _ = self._templates(case, i)
        name = self._name(case, i)
        line = f"    {name} = {self._filled(case, i, (code,))[0]}"
        label = tape.labels[i]
        if self.comments and label is not None and identifier(label) != name:
            line += f"  # {comment_text(label)}"
        if op.hides_inf:
            names = self._operand_names(case, i)
            checked += [n for n, p in zip(names, tape.operands[i]) if tape.roles[p] not in (INPUT, DATA, CONSTANT)]
        return [line]

    def _unsafe_locals(self, case, i: int) -> list[str]:
        if self._tape_of(case).ops[i] is None:
            return []
        _, local_code = self._templates(case, i)
        filled = self._filled(case, i, local_code)
        return [local for template, local in zip(local_code, filled) if not _SAFE_LOCAL.match(template)]

    def _edges(self, case, i: int):
        """Node i's edges: (operand's name as this node reads it, its tape index, local, d, rule)."""
        tape = self._tape_of(case)
        _, local_code = self._templates(case, i)
        locals_ = self._filled(case, i, local_code)
        rules = self._rules(case, i, locals_) if self.comments else locals_
        me = self._name(case, i)
        names = self._operand_names(case, i)
        return [(names[k], p, locals_[k], f"d_{me}", f"d{me}/d{names[k]} = {rules[k]}")
                for k, p in enumerate(tape.operands[i])]

    def _backward_lines(self, like: str, checked: list[str], case_checked: list[list[str]]) -> list[str]:
        """Each case's nodes on its samples (outputs first, its copies of shared nodes last), then
        the shared nodes on every sample, each shared node's gradient the cases' put back at
        their samples plus its edges from shared nodes. A parameter's edges, from whatever
        case, are summed over the samples."""
        lines = ["    # backward pass, outputs first: d_v = seed * d output / d v for every sample, summed "
                 "over the edges out of v"]
        self._written = set()
        into: dict[str, list] = {}  # a shared node or a parameter -> its edges (from any case)
        put_back: dict[str, list] = {}  # a shared node -> [(case, its copy's gradient)]
        for c, own in enumerate(self.case_nodes):
            tape = self.tapes[c]
            lines.append(f"    # case {c}{self._note(c)}")
            out = self._in_case(c, tape.output)
            lines.append(f"    d_{out} = seed[{self.case_args[c]}]")
            self._written.add(f"d_{out}")
            uses: dict[str, list] = {}
            for i in reversed(own):
                if tape.ops[i] is None:
                    continue
                for target, p, local, d, rule in self._edges(c, i):
                    (into if tape.roles[p] == INPUT else uses).setdefault(target, []).append((local, d, rule))
            order = [self._name(c, i) for i in reversed(own)] + list(self.copies[c].values())
            for target in order:
                if target in uses:
                    lines += self._sum_lines(f"d_{target}", uses[target], over_samples=False)
                    self._written.add(f"d_{target}")
            for number, copy in self.copies[c].items():
                if f"d_{copy}" in self._written:
                    put_back.setdefault(self.shared_names[number], []).append((c, f"d_{copy}"))
            case_checked[c] += [f"d_{self._name(c, i)}" for i in own if tape.ops[i] is None
                                and tape.roles[i] != INPUT and f"d_{self._name(c, i)}" in self._written]
        lines.append("    # the nodes every case shares, for every sample: each case's gradient put back at its samples")
        for case, i in reversed(self.nodes):
            if self.tapes[0].ops[i] is not None:
                for target, p, local, d, rule in self._edges(case, i):
                    into.setdefault(target, []).append((local, d, rule))
        tape0 = self.tapes[0]
        order = [self._name(case, i) for case, i in reversed(self.nodes)]
        order += [n for n in self.argument_names[:tape0.n_inputs] if n not in order]  # a case's own parameters
        for target in order:
            edges, puts = into.get(target, []), put_back.get(target, [])
            if not edges and not puts:
                continue
            over = target in self.argument_names[:tape0.n_inputs]
            head = [f"put({like}, " + ", ".join(f"({self.case_args[c]}, {d})" for c, d in puts) + ")"] if puts else []
            lines += self._sum_lines(f"d_{target}", edges, over_samples=over, first_terms=head)
            self._written.add(f"d_{target}")
        checked += [f"d_{self._name(case, i)}" for case, i in self.nodes
                    if tape0.ops[i] is None and tape0.roles[i] in (DATA, CONSTANT)
                    and f"d_{self._name(case, i)}" in self._written]
        return lines

    def _sum_lines(self, target: str, edges: list, over_samples: bool, first_terms: list[str] = ()) -> list[str]:
        where = ", summed over the samples" if over_samples else ""
        items = [(t, "  # from each case's samples" if self.comments else "") for t in first_terms] + [
            (summed(local, d, self._holds_array(local)) if over_samples else _term(local, d),
             f"  # {comment_text(rule, 60, quoted=False)}{where}" if self.comments else "")
            for local, d, rule in edges]
        return sum_statements(target, items, indent="    ")

