"""The legend: a key to a drawing's colours, to the numbers on its edges and to its dashed ops.

    >>> "parameter" in _legend_label(colours=True, cut_off=False)
    True
    >>> "not drawn" in _legend_label(colours=False, cut_off=True)
    True
"""

from __future__ import annotations

from .drawing_style import _EDGE_LABEL_COLOUR, _FILL, _NOTE_SIZE, _OP_FILL, _WARNING_FILL

# short lines: a wide key would widen the drawing, and a notebook shrinks a wide drawing to fit
_CUT_OFF = ("some operands not drawn", "(start= or collapse=True):", "hover for how many")


def _legend_label(colours: bool = True, cut_off: bool = False) -> str:
    """The key: with ``colours``, a row of the colours and what the numbers on the edges are;
    with ``cut_off``, a row saying what a dashed op is."""
    kinds = [(_FILL["input"], "input"), (_FILL["parameter"], "parameter"),
             (_FILL["constant"], "constant"), (_FILL["output"], "output"),
             (_OP_FILL, "op"), (_WARNING_FILL, "op with a warning")]
    width = len(kinds) if colours else 2
    rows = []
    if colours:
        cells = "".join(f'<TD BGCOLOR="{fill}" BORDER="1" STYLE="ROUNDED">{text}</TD>' for fill, text in kinds)
        rows.append(cells)
        rows.append(f'<TD COLSPAN="{width}" ALIGN="LEFT"><FONT COLOR="{_EDGE_LABEL_COLOUR}">0.25</FONT>'
                    f' on an edge: the local derivative d out / d in of that operand</TD>')
    if cut_off:  # a dashed oval, and beside it what it means, one short line a row
        dashed = f'<TD BGCOLOR="{_OP_FILL}" BORDER="1" STYLE="dashed,rounded">op</TD>'
        for k, line in enumerate(_CUT_OFF):
            rows.append(f'{dashed if k == 0 else "<TD></TD>"}<TD COLSPAN="{width - 1}" ALIGN="LEFT">'
                        f'<FONT POINT-SIZE="{_NOTE_SIZE + 1}">{line}</FONT></TD>')
    body = "".join(f"<TR>{row}</TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3">{body}</TABLE>>'
