"""Notes on nodes a learner should notice: saturated sigmoids, ReLUs that are off, kinks.

Drawings and explanations both read these, so they say the same thing.

    >>> from autograd import Value
    >>> from autograd.tools.diagnostics import diagnose
    >>> diagnose(Value(-3.0).relu())
    ['ReLU is off (input -3 <= 0): it passes no gradient']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..value import Value

__all__ = ["diagnose", "SATURATION"]

SATURATION = 1e-3
"""A sigmoid or tanh whose local derivative is below this is called saturated."""


def diagnose(node: "Value") -> list[str]:
    """Plain-text notes about ``node``'s op at its current inputs (empty when nothing stands out)."""
    op = node.op_def
    if op is None:
        return []
    notes = []
    x = node.parents[0].data if node.parents else None
    if op.saturates and node.local_grads[0] < SATURATION:
        notes.append(f"saturated {op.name} (input {x:g}): local derivative "
                     f"{node.local_grads[0]:.3g}, so almost no gradient flows back")
    elif op.blocks is not None and x is not None and op.blocks(x):
        notes.append(op.blocks_note.format(x=x))
    if x is not None and op.kinks and x in op.kinks:
        notes.append(f"input exactly on a kink at {x:g}: {op.kink_note}")
    return notes
