"""Central finite differences, and how gradcheck keeps them honest near domain edges and kinks.

    >>> slope, note = _central(lambda t: t * t, 3.0, 1e-6)
    >>> round(slope, 6), note
    (6.0, '')
"""

from __future__ import annotations

import math
from typing import Callable

from ..backprop import topological_order
from ..errors import GlassgradError, OperandError
from ..ops import Op
from ..value import Value


def _check_tolerances(fname: str, **settings: float) -> None:
    for name, x in settings.items():
        bad = not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x) or (
            x <= 0 if name == "eps" else x < 0)
        if bad:
            need = "a finite number > 0" if name == "eps" else "a finite number >= 0"
            raise OperandError(f"{fname}: {name} must be {need}, got {x!r}")


def _central(fn: Callable[[float], float], x: float, eps: float) -> tuple[float, str]:
    """(fn(x + h) - fn(x - h)) / (2 h) with the step scaled to x: h = eps * max(1, |x|).

    Near a domain edge (fn fails at x - h or x + h, as log does below 0) the step is halved
    until both sides are defined, then cut a thousandfold more so it is small next to the
    distance to the edge. nan and why when no step works.
    """
    h = eps * max(1.0, abs(x))
    note = ""
    for _ in range(60):
        try:
            return (fn(x + h) - fn(x - h)) / (2.0 * h) if not note else _shrunk(fn, x, h), note
        except (GlassgradError, ArithmeticError, ValueError) as e:
            if not note:
                note = f"near a domain edge ({e}): the step shrinks below {h:g}"
            h /= 2.0
    return math.nan, f"no finite difference: fn fails at {x:g} ± every step down to {h:g}"


def _shrunk(fn, x: float, h: float) -> float:
    """Both sides are defined at step h: use a step a thousandfold smaller."""
    fn(x + h), fn(x - h)  # raises if not
    h /= 1000.0
    return (fn(x + h) - fn(x - h)) / (2.0 * h)


def _kinks_by_input(out: Value, leaves: list[Value]) -> dict[int, str]:
    """For each input upstream of a ReLU/abs/step sitting exactly on its kink: a note.

    One walk up from all such kinks together, so a long chain of kinks stays linear.
    """
    kinks = [node for node in topological_order(out) if node.op_def is not None
             and node.op_def.kinks and node.parents[0].data in node.op_def.kinks]
    if not kinks:
        return {}
    ops = ", ".join(dict.fromkeys(k.op_def.name for k in kinks))
    notes = "; ".join(dict.fromkeys(k.op_def.kink_note for k in kinks))
    upstream, stack = set(), [k.parents[0] for k in kinks]
    while stack:
        node = stack.pop()
        if node not in upstream:
            upstream.add(node)
            stack.extend(node.parents)
    return {i: f"flows into {ops} exactly at a kink, where {notes}"
            for i, leaf in enumerate(leaves) if leaf in upstream}


def _kink_sides(out: Value) -> tuple:
    """For every node with a kink, in topological order: which side of each kink its input is on."""
    return tuple((x.parents[0].data > k) - (x.parents[0].data < k)
                 for x in topological_order(out) if x.op_def is not None for k in x.op_def.kinks)


def _step_off_kinks(f, names, points, i: int, eps: float, sides: tuple) -> tuple[float, str]:
    """A step for input ``i`` small enough that no kinked op's input crosses its kink at
    x ± step (ReLU at 1e-7 with a step of 1e-6 would average its two slopes)."""
    x = points[i]
    h = eps * max(1.0, abs(x))
    for shrink in range(20):
        crossed = False
        for t in (x - h, x + h):
            try:
                moved = f(*[Value(t if j == i else p, label=n) for j, (n, p) in enumerate(zip(names, points))])
            except (GlassgradError, ArithmeticError, ValueError):
                return eps, ""
            if not isinstance(moved, Value):
                return eps, ""
            crossed = crossed or _kink_sides(moved) != sides
        if not crossed:
            if shrink == 0:
                return eps, ""
            return h / max(1.0, abs(x)), (f"within the step of a kink (the input of an op with a kink "
                                          f"crosses it at x ± {eps * max(1.0, abs(x)):g}): "
                                          f"step shrunk to {h:g}")
        h /= 10.0
    return eps, ""


def _kink_note(op: Op, x: float) -> str:
    return f"{op.name} exactly at its kink {x:g}, where {op.kink_note}"
