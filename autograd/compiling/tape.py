"""A graph as plain data: what ``compile`` reads once, and what a compiled function keeps.

Node ``i`` of a :class:`Tape` is node ``i`` of ``topological_order(output)``: its op (None
for a leaf), the indices of its operands, its folded constant and its label. A leaf is an
*input* (an argument whose gradient is returned), a *data* leaf (an argument with no
gradient) or a *constant* (its value is written into the code). The tape holds no Value, so
the graph it was read from is freed as usual.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = (x * 3).relu()
    >>> tape = Tape.read(y, [x])
    >>> [op.name if op else role for op, role in zip(tape.ops, tape.roles)], tape.operands
    (['input', 'mul_c', 'relu'], [(), (0,), (1,)])
"""

from __future__ import annotations

import hashlib

from ..backprop import topological_order
from ..errors import OperandError, describe

INPUT, DATA, CONSTANT, NODE = "input", "data", "constant", "node"


class Tape:
    """The graph of ``output`` in topological order (see the module docstring)."""

    __slots__ = ("ops", "operands", "consts", "labels", "values", "roles", "slots", "output",
                 "n_inputs", "n_data", "also", "arguments", "argument_labels")

    @classmethod
    def read(cls, output, inputs, data=(), also=(), where: str = "compile") -> "Tape":
        """The tape of ``output``; ``inputs`` and ``data`` are leaves that become arguments,
        ``also`` nodes whose values each call reports as well."""
        if not _is_value(output):
            raise OperandError(f"{where}: output must be a Value, got {type(output).__name__}")
        inputs, data, also = (_values(xs, what, where) for xs, what in
                              ((inputs, "inputs"), (data, "data"), (also, "also")))
        slot_of = {}  # leaf -> its argument position
        for what, leaves in (("inputs", inputs), ("data", data)):
            for k, leaf in enumerate(leaves):
                if leaf.parents:
                    raise OperandError(f"{where}: {what}[{k}] ({describe(leaf)}) is not a leaf: it is "
                                       f"computed by the op {leaf.op!r}; pass the leaves it comes from")
                if leaf in slot_of:
                    raise OperandError(f"{where}: {what}[{k}] ({describe(leaf)}) is given twice; "
                                       f"every argument must be a different leaf")
                slot_of[leaf] = len(slot_of)

        order = topological_order(output)
        index = {node: i for i, node in enumerate(order)}
        tape = cls()
        tape.ops = [node.op_def for node in order]
        tape.operands = [tuple(index[p] for p in node.parents) for node in order]
        tape.consts = [node.const for node in order]
        tape.labels = [node.label if type(node.label) is str else None for node in order]
        tape.values = [node.data for node in order]  # the constants' values (the rest change)
        tape.roles = [NODE if node.parents else
                      (INPUT if slot_of[node] < len(inputs) else DATA) if node in slot_of else CONSTANT
                      for node in order]
        tape.slots = [slot_of.get(node) for node in order]  # argument position of an input or data leaf
        tape.output = len(order) - 1
        tape.n_inputs, tape.n_data = len(inputs), len(data)
        tape.also = []
        for k, node in enumerate(also):
            if node not in index:
                raise OperandError(f"{where}: also[{k}] ({describe(node)}) is not part of the output's graph")
            tape.also.append(index[node])
        # arguments the output does not depend on still take a place (their gradient is 0)
        tape.arguments = [None] * (len(inputs) + len(data))
        for i, slot in enumerate(tape.slots):
            if slot is not None:
                tape.arguments[slot] = i
        tape.argument_labels = [leaf.label if type(leaf.label) is str else None for leaf in (*inputs, *data)]
        return tape

    def __len__(self) -> int:
        return len(self.ops)

    def signature(self) -> str:
        """A fingerprint of everything the generated code depends on: ops, wiring, constants,
        which leaves are arguments. Two graphs with the same signature compile to the same code
        (up to names and comments)."""
        digest = hashlib.sha256()
        for op, operands, const, role, slot, value in zip(self.ops, self.operands, self.consts,
                                                          self.roles, self.slots, self.values):
            if op is not None:
                item = f"{op.name}{operands}{const!r};"
            elif role == CONSTANT:
                item = f"={value!r};"
            else:
                item = f"{role}{slot};"
            digest.update(item.encode())
        digest.update(f"{self.n_inputs},{self.n_data},{self.also}".encode())
        return digest.hexdigest()[:16]


def _is_value(x) -> bool:
    return hasattr(x, "parents") and hasattr(x, "local_grads")


def _values(xs, what: str, where: str) -> list:
    if _is_value(xs):
        return [xs]
    try:
        xs = list(xs)
    except TypeError:
        raise OperandError(f"{where}: {what} must be a list of Values, got {type(xs).__name__}") from None
    for k, x in enumerate(xs):
        if not _is_value(x):
            raise OperandError(f"{where}: {what}[{k}] must be a Value, got {type(x).__name__}")
    return xs
