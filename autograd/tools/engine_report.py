"""What :func:`~autograd.tools.engine_check.check_engine` returns: a row per node of the
learner's graph (their grad next to glassgrad's), the verdict, and each op run alone, shown as
text, Markdown or HTML.

    >>> row = EngineRow(0, "x", "", 3.0, 7.0, False)
    >>> print(EngineCheck((row,), row, "node x: your grad 3, expected 7"))
    check_engine: 1 of 1 gradients differ; node x: your grad 3, expected 7
    node  op    your grad  expected
    x     leaf          3         7  WRONG
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .engine_alone import AloneCheck
from .markup import markdown as _md

__all__ = ["EngineCheck", "EngineRow"]


@dataclass(frozen=True)
class EngineRow:
    """One node of their graph: their gradient next to glassgrad's.

    ``op`` is their op string ('' for a leaf); ``rule`` is how glassgrad's op passes the
    gradient to its inputs (its local derivatives).
    """

    index: int
    node: str
    op: str
    theirs: float
    expected: float
    ok: bool
    rule: str = ""


@dataclass(frozen=True)
class EngineCheck:
    """What :func:`check_engine` found. ``rows`` run from the root down (reverse topological
    order, the order backward visits); ``first_wrong`` is the first row that disagrees and
    ``message`` says which op's backward gave it, or what is wrong with the walk. ``alone``
    holds each op run alone on fresh operands (one per distinct op, operand class and data)."""

    rows: tuple[EngineRow, ...]
    first_wrong: EngineRow | None
    message: str
    hint: str = ""
    atol: float = 1e-6
    rtol: float = 1e-6
    alone: tuple[AloneCheck, ...] = ()

    @property
    def ok(self) -> bool:
        """Every gradient of the graph matches and every op is right alone."""
        return self.first_wrong is None and all(c.ok or c.skipped for c in self.alone)

    def summary(self) -> str:
        if self.ok:
            return f"check_engine: ok, all {len(self.rows)} gradients match glassgrad's"
        if self.first_wrong is None:
            return f"check_engine: {self.message}"
        wrong = sum(1 for r in self.rows if not r.ok)
        return f"check_engine: {wrong} of {len(self.rows)} gradients differ; {self.message}"

    def alone_summary(self) -> str:
        """One line: each op of their engine and how it did alone."""
        by_op: dict[str, list[AloneCheck]] = {}
        for c in self.alone:
            by_op.setdefault(c.op, []).append(c)
        parts = []
        for op, checks in by_op.items():
            ran = [c for c in checks if not c.skipped]
            wrong = sum(1 for c in ran if not c.ok)
            points = f"{len(ran)} point{'s' if len(ran) != 1 else ''}"
            if not ran:
                parts.append(f"{op} not run ({checks[0].skipped})")
            elif wrong:
                parts.append(f"{op} WRONG at {wrong} of {points}")
            else:
                parts.append(f"{op} ok at {points}")
        return "each op run alone on fresh operands: " + ", ".join(parts) if parts else ""

    def _table(self) -> list[list[str]]:
        return [[r.node, r.op or "leaf", f"{r.theirs:.8g}", f"{r.expected:.8g}",
                 "ok" if r.ok else "WRONG"] for r in self.rows]

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        if self.alone:
            lines.append(self.alone_summary())
        body = self._table()
        if len(body) > 40:  # show the first wrong rows and their neighbours only
            keep = [i for i, r in enumerate(self.rows) if not r.ok][:20] or list(range(10))
            body = [body[i] for i in keep]
        headers = ["node", "op", "your grad", "expected", ""]
        widths = [max([len(h), *(len(row[i]) for row in body)]) for i, h in enumerate(headers)]
        for row in [headers, *body]:
            lines.append("  ".join(c.rjust(w) if i in (2, 3) else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        parts = [f"**{_md(self.summary())}**", ""]
        if self.hint:
            parts += [f"*hint: {_md(self.hint)}*", ""]
        if self.alone:
            parts += [_md(self.alone_summary()), ""]
        parts += ["| node | op | your grad | expected | |", "|---|---|---:|---:|---|"]
        parts += ["| " + " | ".join(_md(c) for c in row) + " |" for row in self._table()[:200]]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        out = [f'<div><p style="font-weight:bold;color:{colour}">{_code(self.summary())}</p>']
        if self.hint:
            out.append(f"<p><i>hint: {_code(self.hint)}</i></p>")
        if self.alone:
            out.append(f"<p>{html.escape(self.alone_summary())}</p>")
        out.append("<table style='font-family:monospace'><tr><th>node</th><th>op</th>"
                   "<th>your grad</th><th>expected</th><th></th></tr>")
        for row in self._table()[:200]:
            shade = " style='background:#ffebe9'" if row[-1] == "WRONG" else ""
            out.append(f"<tr{shade}>" + "".join(f"<td{_RIGHT if i in (2, 3) else ''}>{html.escape(c)}</td>"
                                                for i, c in enumerate(row)) + "</tr>")
        return "".join(out) + "</table></div>"


_RIGHT = " style='text-align:right'"  # the numbers, aligned on their last digit


def _code(text: str) -> str:
    """``text`` escaped for HTML, with its `code spans` (`+=`) as <code>."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))
