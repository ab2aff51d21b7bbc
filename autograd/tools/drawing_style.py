"""How drawings look: fonts, colours, the room text takes, and escaping for Graphviz labels.

Shared by the parts of :mod:`autograd.tools.drawing`; nothing here reads a graph.

    >>> _html("a < b"), _quoted('say "hi"')
    ('a &lt; b', '"say \\\\"hi\\\\""')
"""

from __future__ import annotations

import math
import re

from .markup import visible

_FONT = "Helvetica"
_NODE_SIZE, _EDGE_SIZE, _NOTE_SIZE, _TITLE_SIZE = 11, 10, 8, 16  # font sizes in points
_FILL = {"input": "#d6eaff", "parameter": "#ffe2b8", "constant": "#eeeeee",
         "output": "#c9f2c9", "value": "#ffffff"}
_OP_FILL, _WARNING_FILL, _WARNING_TEXT = "#ece6f6", "#ffb3b3", "#8b0000"
_GRAD_COLOUR, _EDGE_LABEL_COLOUR, _HIGHLIGHT = "#a0306a", "#1f5fbf", "#d62728"
_MADE_UP_NAME = "#6b6b6b"  # an unlabelled node's generated name (a, t1), in italics
_CLUSTER_FILL = ("#f6f6f6", "#ebebeb")  # outermost box, boxes inside it
_EDGE_MARK = f' color="{_HIGHLIGHT}" fontcolor="{_HIGHLIGHT}" penwidth=2.5'
_RING = 3  # points of red around a highlighted box; a plain box has as much blank margin instead
_SHOWN_OPERANDS = 4  # operands of sum and dot written out in a tooltip (explain writes 6; names do not
# depend on it: an expression name is short, written in full)
_TITLE_CHARS, _TIP_CHARS = 80, 2000  # a longer name is cut with "…" in its box, a longer tooltip too


# Em widths of the widest common sans fonts (DejaVu Sans; Helvetica and Arial are narrower), rounded up:
# reserved room must hold the text in whatever font the renderer picks.
_NARROW_CHARS = frozenset(" .,:;'|!()[]{}ijlftI-")
_WIDE_CHARS = frozenset("mwMW@%")


def _text_room(text: str, size: float) -> int:
    """Points a cell needs to hold ``text`` at font ``size``, with room to spare."""
    ems = sum(0.42 if ch in _NARROW_CHARS else 1.0 if ch in _WIDE_CHARS else 0.8 if ch.isupper()
              else 0.66 for ch in text)
    return math.ceil(ems * size) + 2


def _line_room(size: float) -> int:
    """Points a line of text at font ``size`` needs."""
    return math.ceil(1.4 * size)


# -- escaping: nothing in a label can break the DOT or become markup --------------

# Graphviz's SVG writer passes "&amp;" through as an entity, so a literal "&amp;" would show
# as "&": an invisible word joiner after such an "&" keeps it literal.
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_SAFE = re.compile(r"[\w .,:;+\-*/=()\[\]]*", re.ASCII)  # needs no escaping anywhere: most labels, all numbers


def _literal(text: str) -> str:
    """``text`` with control characters (other than newline) and lone surrogates written as
    ``\\x07``, ``\\ud800``, and "&" kept from reading as an entity."""
    return _ENTITY_LIKE.sub("&\u2060", visible(text))


def _html(text: str) -> str:
    """Text for inside an HTML-like label: entities for markup, ``<BR/>`` for newlines, and
    backslashes doubled (Graphviz expands ``\\N``, ``\\G``, ``\\\\`` even in HTML labels)."""
    if _SAFE.fullmatch(text):
        return text
    text = _literal(text)
    text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\\", "\\\\"))
    return text.replace("\n", "<BR/>")


def _shortened(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with "…" when longer (Graphviz fails on labels
    of some 16,000 characters, and nobody reads them in a box)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _quoted(text: str) -> str:
    """A quoted DOT string (for a tooltip) that shows ``text`` literally (cut at a few thousand
    characters); newlines break lines.

    A backslash becomes four: Graphviz unescapes a tooltip twice (``\\\\N`` shows ``\\N``)."""
    text = _shortened(text, _TIP_CHARS)
    if _SAFE.fullmatch(text):
        return f'"{text}"'
    text = _literal(text)
    text = text.replace("\\", "\\\\\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
