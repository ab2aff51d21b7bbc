"""The graph re-evaluated at other leaf values, for :func:`check_formula`: the op table's
forward and local rules on floats, in topological order, then the backward loop on floats.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x * x
    >>> replay = _Replay([x, y], x)
    >>> replay.run({0: 5.0}, {})   # every value, and dy/dx, at x = 5
    ([5.0, 25.0], 10.0)
"""

from __future__ import annotations

import math
import random
from typing import Mapping

from ..ops import _num
from ..value import Value


class _Replay:
    """The graph re-evaluated at other leaf values: the op table's forward and local rules
    on floats, in topological order, then the backward loop on floats. Nothing recurses."""

    def __init__(self, order: list[Value], target: Value):
        self.order = order
        position = {node: k for k, node in enumerate(order)}
        self.position = position
        self.parents = [[position[p] for p in node.parents] for node in order]
        self.target = position[target]
        self.kinked = [k for k, node in enumerate(order) if node.op_def is not None and node.op_def.kinks]

    def label_constants(self) -> list[int]:
        """Nodes whose folded constant is a 0/1 label (its op says so: ``constant_is_label``)."""
        found = []
        for k, node in enumerate(self.order):
            op = node.op_def
            if op is None or node.const not in (0.0, 1.0):
                continue
            if op.constant_is_label:
                found.append(k)
        return found

    def name(self, k: int) -> str:
        node = self.order[k]
        return node.label or f"#{k}"

    def points(self, pinned: set, count: int, seed: int):
        """(name, {leaf index: value}, {node index: constant}) for every point but the given one."""
        labels = [k for k, n in enumerate(self.order) if n.is_leaf and n.label and n not in pinned
                  and n.data in (0.0, 1.0)]
        consts = self.label_constants()
        free = [k for k, n in enumerate(self.order) if n.is_leaf and n.label and n not in pinned
                and k not in labels]
        flips = [(k, True) for k in labels] + [(k, False) for k in consts]
        for k, is_leaf in flips:
            old = self.order[k].data if is_leaf else self.order[k].const
            label = f"{self.name(k) if is_leaf else 'the label in ' + self.name(k)} = {_num(1.0 - old)}"
            yield (label, {k: 1.0 - old}, {}) if is_leaf else (label, {}, {k: 1.0 - old})
        rng = random.Random(seed)
        for p in range(count):
            leaves = {}
            for k in free:
                x = self.order[k].data
                leaves[k] = x * (1.0 + rng.choice((-1.0, 1.0)) * rng.uniform(0.1, 0.3)) + rng.uniform(-0.1, 0.1)
            moved = {}
            for bit, (k, is_leaf) in enumerate(flips):
                if (p + 1) >> bit & 1:
                    old = self.order[k].data if is_leaf else self.order[k].const
                    moved[k] = 1.0 - old
            yield (f"perturbed {p + 1}", {**leaves, **{k: v for k, v in moved.items() if self.order[k].is_leaf}},
                   {k: v for k, v in moved.items() if not self.order[k].is_leaf})

    def run(self, leaves: Mapping[int, float], consts: Mapping[int, float]) -> tuple[list[float], float]:
        """Every node's value and d root / d target at these leaf values and constants."""
        order, parents = self.order, self.parents
        n = len(order)
        vals = [0.0] * n
        locals_: list[tuple] = [()] * n
        for k, node in enumerate(order):
            op = node.op_def
            if op is None:
                vals[k] = leaves.get(k, node.data)
                continue
            args = [vals[i] for i in parents[k]]
            c = consts.get(k, node.const)
            out = op.forward_at(args, c)
            if not math.isfinite(out):
                raise OverflowError(f"{op.name} gives {out}")
            local = op.local_at(args, c, out)
            if not all(math.isfinite(g) for g in local):
                raise OverflowError(f"{op.name} has an infinite local derivative")
            vals[k], locals_[k] = out, local
        grads = [0.0] * n
        grads[-1] = 1.0
        for k in range(n - 1, -1, -1):
            g = grads[k]
            if g != 0.0 and parents[k]:
                for i, local in zip(parents[k], locals_[k]):
                    grads[i] += local * g
        return vals, grads[self.target]

    def crossed_kink(self, vals: list[float]) -> str:
        """Which kinked op's input is on another side of its kink than at the given point."""
        for k in self.kinked:
            node = self.order[k]
            for kink in node.op_def.kinks:
                before, now = node.parents[0].data, vals[self.parents[k][0]]
                if (before > kink) != (now > kink) or (before == kink) != (now == kink):
                    return f"{node.op_def.name} at {self.name(k)} crosses its kink ({_num(kink)})"
        return ""
