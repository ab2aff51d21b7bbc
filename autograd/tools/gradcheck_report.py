"""What :func:`gradcheck` and :func:`gradcheck_ops` report: one row per derivative compared
with its finite difference, printed as an aligned table (text, Markdown or HTML).

    >>> row = _row("w", 0.5, 0.500000001, atol=1e-5, rtol=1e-3)   # engine, finite difference
    >>> print(GradcheckReport("gradcheck of f", (row,)))
    gradcheck of f: ok (eps=1e-06, atol=1e-05, rtol=0.001)
    input  analytic  numeric  abs err  rel err  verdict
    w           0.5      0.5  1.0e-09  2.0e-09  ok
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from typing import Sequence

from .markup import markdown as _md

__all__ = ["GradcheckRow", "GradcheckReport", "MAX_SHOWN_ROWS"]


MAX_SHOWN_ROWS = 60
"""A per-op table longer than this shows only the rows that disagree or sit on a kink."""


# -- rows and the report -----------------------------------------------------------

@dataclass(frozen=True)
class GradcheckRow:
    """One derivative compared with its finite difference.

    For :func:`gradcheck` ``name`` is an input and ``wrt`` is empty; for the per-op
    check ``name`` is a node (``h[0] = sigmoid(zh[0])``) and ``wrt`` one of its operands.
    """

    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool
    wrt: str = ""
    kink: bool = False
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ok:
            return "ok (on a kink)" if self.kink else "ok"
        return "on a kink" if self.kink else "MISMATCH"


def _row(name: str, analytic: float, numeric: float, atol: float, rtol: float, *,
         wrt: str = "", kink: bool = False, note: str = "") -> GradcheckRow:
    abs_error = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel_error = abs_error / scale if scale else 0.0
    ok = abs_error <= atol + rtol * abs(numeric)  # False when numeric is nan
    return GradcheckRow(name, analytic, numeric, abs_error, rel_error, ok, wrt, kink, note)


@dataclass(frozen=True)
class GradcheckReport:
    """What :func:`gradcheck` found: one row per input (and per local derivative with
    ``per_op``). Prints as an aligned table; shows as a table in notebooks.

    A row on a kink does not make the report fail (the engine follows a stated
    convention there, see the op's ``kink_note``); a :class:`KinkWarning` says so.
    """

    title: str
    rows: tuple[GradcheckRow, ...]
    op_rows: tuple[GradcheckRow, ...] = ()
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def ok(self) -> bool:
        """True when every row agrees (rows on a kink excepted)."""
        return not self.failures

    @property
    def failures(self) -> list[GradcheckRow]:
        """The rows that disagree and are not on a kink, inputs first, then ops in order."""
        return [r for r in (*self.rows, *self.op_rows) if not r.ok and not r.kink]

    @property
    def first_failure(self) -> GradcheckRow | None:
        """The first op (in topological order) whose local derivative disagrees, else the
        first input row that does; None when all agree."""
        ops = [r for r in self.op_rows if not r.ok and not r.kink]
        return ops[0] if ops else (self.failures[0] if self.failures else None)

    def summary(self) -> str:
        """One line: the verdict, and the first disagreement if any."""
        settings = f"eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
        bad = self.first_failure
        if bad is None:
            unconfirmed = sum(1 for r in (*self.rows, *self.op_rows) if r.kink and not r.ok)
            kinks = f", {unconfirmed} on a kink not confirmed" if unconfirmed else ""
            return f"{self.title}: ok{kinks} ({settings})"
        what = (f"first op that disagrees: {bad.name}, d/d{bad.wrt}" if bad.wrt
                else f"first mismatch: d/d{bad.name}")
        return (f"{self.title}: MISMATCH in {len(self.failures)} of "
                f"{len(self.rows) + len(self.op_rows)} rows; {what}: engine {_value(bad.analytic)}, "
                f"finite difference {_value(bad.numeric)} ({settings})")

    def _tables(self) -> list[tuple[str, list[str], list[list[str]]]]:
        tables = []
        if self.rows:
            tables.append(("inputs", ["input", "analytic", "numeric", "abs err", "rel err", "verdict"],
                           [[r.name, *_numbers(r), r.verdict] for r in self.rows]))
        if self.op_rows:
            shown = self.op_rows
            caption = "local derivatives, in topological order"
            if len(shown) > MAX_SHOWN_ROWS:
                shown = [r for r in self.op_rows if r.verdict != "ok"][:MAX_SHOWN_ROWS]
                caption += (f" (the {len(shown)} that need a look; the other "
                            f"{len(self.op_rows) - len(shown)} agree)" if shown
                            else f" (all {len(self.op_rows)} agree)")
            tables.append((caption,
                           ["node", "wrt", "local", "numeric", "abs err", "rel err", "verdict"],
                           [[r.name, r.wrt, *_numbers(r), r.verdict] for r in shown]))
        return tables

    def _notes(self, rows: Sequence[GradcheckRow] | None = None) -> list[str]:
        rows = (*self.rows, *self.op_rows) if rows is None else rows
        return list(dict.fromkeys(f"{r.name}{' wrt ' + r.wrt if r.wrt else ''}: {r.note}"
                                  for r in rows if r.note))

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        lines = [self.summary()]
        for caption, headers, body in self._tables():
            if self.op_rows:
                lines.append(f"{caption}:")
            if body:
                lines.extend(_aligned(headers, body))
        lines.extend(f"note: {n}" for n in self._notes())
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        parts = [f"**{_md(self.summary())}**", ""]
        for caption, headers, body in self._tables():
            if self.op_rows:
                parts += [f"*{caption}*", ""]
            if not body:
                continue
            parts.append("| " + " | ".join(headers) + " |")
            parts.append("|" + "|".join("---" if i < len(headers) - 5 else "---:" for i in
                                        range(len(headers) - 1)) + "|---|")
            parts += ["| " + " | ".join(_md(c) for c in row) + " |" for row in body]
            parts.append("")
        parts += [f"- {_md(n)}" for n in self._notes()]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        out = [f'<div><p style="font-weight:bold;color:{colour}">{html.escape(self.summary())}</p>']
        for caption, headers, body in self._tables():
            if not body:
                out.append(f"<p style='font-style:italic'>{html.escape(caption)}</p>")
                continue
            numeric = range(len(headers) - 5, len(headers) - 1)
            out.append('<table style="border-collapse:collapse;font-family:monospace;'
                       'margin-bottom:12px">')
            if self.op_rows:
                out.append(f"<caption style='text-align:left;font-style:italic'>"
                           f"{html.escape(caption)}</caption>")
            out.append("<tr style='border-bottom:1px solid #888'>" + "".join(
                f"<th style='padding:2px 8px;text-align:{'right' if i in numeric else 'left'}'>"
                f"{html.escape(h)}</th>" for i, h in enumerate(headers)) + "</tr>")
            for row in body:
                verdict = row[-1]
                shade = {"MISMATCH": "#ffebe9", "on a kink": "#fff8c5"}.get(verdict, "")
                cells = "".join(
                    f"<td style='padding:2px 8px;text-align:{'right' if i in numeric else 'left'}'>"
                    f"{html.escape(c)}</td>" for i, c in enumerate(row))
                out.append(f"<tr style='background:{shade}'>{cells}</tr>" if shade else
                           f"<tr>{cells}</tr>")
            out.append("</table>")
        out += [f"<p style='margin:2px'>note: {html.escape(n)}</p>" for n in self._notes()]
        return "".join(out) + "</div>"

    def to_dict(self) -> dict:
        """Plain data: settings, verdict and every row (JSON-friendly apart from nan)."""
        bad = self.first_failure
        return {"title": self.title, "ok": self.ok, "eps": self.eps, "atol": self.atol,
                "rtol": self.rtol, "rows": [asdict(r) for r in self.rows],
                "op_rows": [asdict(r) for r in self.op_rows],
                "first_failure": None if bad is None else asdict(bad)}


def _value(x: float) -> str:
    return f"{x:.8g}"


def _numbers(r: GradcheckRow) -> list[str]:
    return [_value(r.analytic), _value(r.numeric), f"{r.abs_error:.1e}", f"{r.rel_error:.1e}"]


def _aligned(headers: list[str], body: list[list[str]]) -> list[str]:
    """Text columns; the four number columns (before the verdict) aligned right."""
    widths = [max([len(h), *(len(row[i]) for row in body)]) for i, h in enumerate(headers)]
    numeric = range(len(headers) - 5, len(headers) - 1)

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(headers), *(line(row) for row in body)]
