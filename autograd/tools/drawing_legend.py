"""The legend: a key to a drawing's colours and to the numbers on its edges.

    >>> "parameter" in _legend_label()
    True
"""

from __future__ import annotations

from .drawing_style import _EDGE_LABEL_COLOUR, _FILL, _OP_FILL, _WARNING_FILL

def _legend_label() -> str:
    """A key to the colours, one row, and what the numbers on the edges are."""
    kinds = [(_FILL["input"], "input"), (_FILL["parameter"], "parameter"),
             (_FILL["constant"], "constant"), (_FILL["output"], "output"),
             (_OP_FILL, "op"), (_WARNING_FILL, "op with a warning")]
    cells = "".join(f'<TD BGCOLOR="{fill}" BORDER="1" STYLE="ROUNDED">{text}</TD>' for fill, text in kinds)
    note = (f'<TD COLSPAN="{len(kinds)}" ALIGN="LEFT"><FONT COLOR="{_EDGE_LABEL_COLOUR}">0.25</FONT>'
            f' on an edge: the local derivative d out / d in of that operand</TD>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3"><TR>{cells}</TR><TR>{note}</TR></TABLE>>'
