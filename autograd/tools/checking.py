"""Check the engine's derivatives: against finite differences, and against hand formulas.

* :func:`gradcheck` compares ``autograd.grad`` with central differences
  ``(f(x + eps) - f(x - eps)) / (2 eps)`` for every input of a function;
* :func:`gradcheck_ops` does the same for every *local* derivative in a graph and names
  the first op whose rule disagrees with its own ``forward``;
* :func:`check_formula` evaluates a learner's formula for a gradient (names are node
  labels) and compares it with the engine.

    >>> import autograd as ag
    >>> report = ag.gradcheck(lambda w, x: (w * x).tanh(), [0.5, 2.0])
    >>> report.ok, [row.name for row in report.rows]   # rows named by f's parameters
    (True, ['w', 'x'])
"""

from __future__ import annotations

import html
import math
import random
import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping, Sequence

from ..backprop import grad, topological_order
from ..errors import GradcheckError, KinkWarning, BackwardError, GlassgradError, OperandError, describe
from .expression import Expr, ExpressionError, Name, _postorder, evaluate, parse
from .markup import markdown as _md, markdown_code as _code
from ..ops import Op, _num
from ..grad_mode import no_grad
from ..value import Value

__all__ = ["gradcheck", "gradcheck_ops", "check_formula", "GradcheckReport", "GradcheckRow",
           "GradcheckError", "FormulaCheck", "FormulaPoint", "KinkWarning", "FORMULA_POINTS"]


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


# -- gradcheck -----------------------------------------------------------------------

def gradcheck(f: Callable[..., Value], inputs: Sequence[float | Value] | float | Value,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *,
              raise_on_failure: bool = True, per_op: bool = False) -> GradcheckReport:
    """Compare ``autograd.grad`` of ``f(*inputs)`` with central differences, input by input.

    ``inputs`` are numbers or Values (their data and labels are used; unlabelled inputs
    are called ``x[0]``, ``x[1]``...). A row agrees when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. With ``per_op=True`` every local
    derivative in the graph is checked too (see :func:`gradcheck_ops`). Raises
    :class:`GradcheckError` on a mismatch unless ``raise_on_failure=False``; warns with
    :class:`KinkWarning` when an input flows into ReLU, abs or step exactly at their kink.

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> print(gradcheck(lambda w, x: (w * x - 1).sigmoid(), [w, x]))  # doctest: +ELLIPSIS
    gradcheck of <lambda>: ok (eps=1e-06, atol=1e-05, rtol=0.001)
    input  analytic  numeric  abs err  rel err  verdict
    w           0.5      0.5  ...  ok
    x         0.125    0.125  ...  ok
    """
    _check_tolerances("gradcheck", eps=eps, atol=atol, rtol=rtol)
    names, points = _inputs(inputs, _parameter_names(f))
    leaves = [Value(p, label=n) for n, p in zip(names, points)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise OperandError(f"gradcheck: f must return a Value built from its inputs, "
                           f"got {type(out).__name__} {out!r:.40}")
    analytic = grad(out, leaves)
    kinks = _kinks_by_input(out, leaves)
    rows = []
    sides = _kink_sides(out)
    for i, name in enumerate(names):
        step, near = eps, ""
        if sides and i not in kinks:
            step, near = _step_off_kinks(f, names, points, i, eps, sides)
        numeric, note = _central(lambda t: _call(f, names, points, i, t), points[i], step)
        note = "; ".join(filter(None, [near, note]))
        rows.append(_row(name, analytic[i], numeric, atol, rtol, kink=i in kinks,
                         note="; ".join(filter(None, [kinks.get(i, ""), note]))))
    op_rows = _op_rows(out, eps, atol, rtol) if per_op else ()
    title = f"gradcheck of {getattr(f, '__name__', 'f')}"
    report = GradcheckReport(title, tuple(rows), tuple(op_rows), eps, atol, rtol)
    return _finish(report, raise_on_failure)


def gradcheck_ops(root: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *,
                  raise_on_failure: bool = True) -> GradcheckReport:
    """Check every local derivative in ``root``'s graph against its op's own ``forward``.

    For each node (parents first) and each operand, the ``local_grads[i]`` the node recorded is
    compared with the central difference of the op's forward rule in that operand, the
    other operands and any folded constant held fixed. ``report.first_failure`` is the
    first op whose rule disagrees: where a wrong derivative enters the graph.

    >>> from autograd import Value
    >>> x = Value(0.3, label="x")
    >>> report = gradcheck_ops((x * x).exp(), raise_on_failure=False)
    >>> [(r.name, r.wrt, r.ok) for r in report.op_rows]
    [('#1 = x * x', 'x', True), ('#1 = x * x', 'x', True), ('#2 = exp(#1)', '#1', True)]
    """
    if not isinstance(root, Value):
        raise OperandError(f"gradcheck_ops: expects a Value, got {type(root).__name__}")
    _check_tolerances("gradcheck_ops", eps=eps, atol=atol, rtol=rtol)
    label = f" of {root.label}" if root.label else ""
    report = GradcheckReport(f"gradcheck_ops{label}", (), tuple(_op_rows(root, eps, atol, rtol)),
                             eps, atol, rtol)
    return _finish(report, raise_on_failure)


def _finish(report: GradcheckReport, raise_on_failure: bool) -> GradcheckReport:
    kinked = [r for r in (*report.rows, *report.op_rows) if r.kink]
    near = [r for r in (*report.rows, *report.op_rows) if "within the step of" in r.note]
    if near:
        warnings.warn(f"{report.title}: {'; '.join(report._notes(near)[:3])}. The rows use the "
                      f"smaller step; move the point away from the kink to be sure.",
                      KinkWarning, stacklevel=3)
    if kinked:
        where = "; ".join(report._notes(kinked)[:3])
        warnings.warn(f"{report.title}: {where}. A finite difference there averages two slopes "
                      f"and cannot confirm the engine's convention; those rows are marked "
                      f"'on a kink' and do not fail the check. Move the point off the kink to "
                      f"test them.", KinkWarning, stacklevel=3)
    if raise_on_failure and not report.ok:
        raise GradcheckError(str(report), report)
    return report


def _check_tolerances(fname: str, **settings: float) -> None:
    for name, x in settings.items():
        bad = not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x) or (
            x <= 0 if name == "eps" else x < 0)
        if bad:
            need = "a finite number > 0" if name == "eps" else "a finite number >= 0"
            raise OperandError(f"{fname}: {name} must be {need}, got {x!r}")


def _parameter_names(f) -> list[str]:
    """f's positional parameter names (``lambda w, x, b: ...`` -> w, x, b); none for ``*args``."""
    import inspect

    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    names = []
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name)
    return names


def _inputs(inputs, parameters: Sequence[str] = ()) -> tuple[list[str], list[float]]:
    if isinstance(inputs, (Value, int, float)):
        inputs = [inputs]
    names, points = [], []
    for i, x in enumerate(inputs):
        default = parameters[i] if i < len(parameters) else f"x[{i}]"
        if isinstance(x, Value):
            names.append(x.label or default)
            points.append(x.data)
        else:
            names.append(default)
            points.append(Value(x).data)  # the engine's check: a finite real number
    if not names:
        raise OperandError("gradcheck: inputs is empty; give f at least one input")
    return names, points


def _call(f, names: list[str], points: list[float], i: int, t: float) -> float:
    """f with input ``i`` moved to ``t``, without a graph."""
    with no_grad():
        out = f(*[Value(t if j == i else p, label=n) for j, (n, p) in enumerate(zip(names, points))])
    return out.data if isinstance(out, Value) else float(out)


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


# -- the per-op check ------------------------------------------------------------------

def _op_rows(root: Value, eps: float, atol: float, rtol: float) -> list[GradcheckRow]:
    order = topological_order(root)
    index = {node: k for k, node in enumerate(order)}
    rows = []
    for node in order:
        op = node.op_def
        if op is None:
            continue
        operands = [p.label or f"#{index[p]}" for p in node.parents]
        name = f"{node.label or f'#{index[node]}'} = {_written(op, operands, node.const)}"
        args = [p.data for p in node.parents]
        for i, local in enumerate(node.local_grads):
            step = eps
            near = [k for k in op.kinks if 0.0 < abs(args[i] - k) <= eps * max(1.0, abs(args[i]))]
            if near:  # within a step of a kink: a smaller step keeps both sides on one branch
                step = abs(args[i] - near[0]) / (4.0 * max(1.0, abs(args[i])))
            numeric, note = _central(lambda t: _forward_at(op, args, node.const, i, t), args[i], step)
            kink = bool(op.kinks) and args[i] in op.kinks
            if kink:
                note = _kink_note(op, args[i])
            elif near:
                note = f"{op.name}'s input {args[i]:g} is within the step of its kink {near[0]:g}: step shrunk to {step:g}"
            rows.append(_row(name, local, numeric, atol, rtol, wrt=operands[i], kink=kink, note=note))
    return rows


def _forward_at(op: Op, args: list[float], const: float | None, i: int, t: float) -> float:
    """The op's forward rule with operand ``i`` moved to ``t``."""
    return op.forward_at([t if j == i else a for j, a in enumerate(args)], const)


def _written(op: Op, operands: list[str], const: float | None) -> str:
    """The node's expression from the op's text template: ``sigmoid(zh[0])``, ``#3 * 2``."""
    shown = operands if len(operands) <= 4 else [*operands[:3], f"... {len(operands)} operands"]
    c = "" if const is None else _num(const)
    return op.text.format(*shown, c=c, args=", ".join(shown), out="")


# -- hand formulas ---------------------------------------------------------------------

FORMULA_POINTS = 5
"""How many perturbed points :func:`check_formula` tries besides the given one (and the labels flipped)."""


@dataclass(frozen=True)
class FormulaPoint:
    """The formula and the engine at one point of :func:`check_formula`.

    ``name`` says which point (``given``, ``y = 0``, ``perturbed 3``); ``changes`` lists the
    leaves (and folded labels) whose value differs from the given point, as
    ``(name, given value, value here)``. A point where the graph is not defined, or where an
    input crosses a kink (ReLU switching off), is ``skipped`` with the reason.
    """

    name: str
    changes: tuple[tuple[str, float, float], ...] = ()
    formula_value: float = math.nan
    engine_value: float = math.nan
    abs_error: float = math.nan
    ok: bool = True
    skipped: str = ""
    note: str = ""

    def where(self, limit: int = 6) -> str:
        """The point as a learner reads it: ``y = 0 (was 1), x[0] = 1.2 (was 1.1)``."""
        if not self.changes:
            return "at the given values"
        shown = [f"{n} = {_value(new)} (was {_value(old)})" for n, old, new in self.changes[:limit]]
        more = f", ... ({len(self.changes)} values moved)" if len(self.changes) > limit else ""
        return "at " + ", ".join(shown) + more


@dataclass(frozen=True)
class FormulaCheck:
    """A hand formula for d output / d wrt next to the engine's value, at several points.

    ``formula_value``/``engine_value`` are at the given point; ``points`` holds every point
    tried (the given one first); ``first_mismatch`` the first point where they disagree.
    With ``symbolic=True``, ``symbolic_verdict`` says what sympy found.
    """

    formula: str
    output: str
    wrt: str
    formula_value: float
    engine_value: float
    abs_error: float
    ok: bool
    values: Mapping[str, float] = field(default_factory=dict)
    atol: float = 1e-8
    rtol: float = 1e-6
    symbolic_value: float | None = None
    symbolic_derivative: str | None = None
    points: tuple[FormulaPoint, ...] = ()
    symbolic_verdict: str | None = None
    symbolic_ok: bool | None = None
    where: Mapping[str, str] = field(default_factory=dict)

    @property
    def derivative(self) -> str:
        return f"d{self.output}/d{self.wrt}"

    @property
    def first_mismatch(self) -> FormulaPoint | None:
        """The first point where the formula and the engine disagree, or None."""
        return next((p for p in self.points if not p.ok and not p.skipped), None)

    def _lines(self) -> list[tuple[str, str]]:
        lines = [("by hand", f"{self.formula} = {_value(self.formula_value)}"),
                 ("engine", f"grad({self.output}, {self.wrt}) = {_value(self.engine_value)}"
                            f"   (abs err {self.abs_error:.1e})")]
        for name, text in self.where.items():
            lines.append(("with", f"{name} = {text}"))
        if self.values:
            lines.append(("where", ", ".join(f"{k} = {_value(v)}" for k, v in self.values.items())))
        if self.points:
            tried = [p for p in self.points if not p.skipped]
            skipped = len(self.points) - len(tried)
            lines.append(("points", f"{sum(p.ok for p in tried)} of {len(tried)} agree"
                                    + (f" ({skipped} skipped)" if skipped else "")))
            bad = self.first_mismatch
            if bad is not None and bad.changes:
                lines.append(("mismatch", f"{bad.where()}: by hand {_value(bad.formula_value)}, "
                                          f"engine {_value(bad.engine_value)}{'; ' + bad.note if bad.note else ''}"))
        if self.symbolic_verdict is not None:
            shown = self.symbolic_derivative or ""
            shown = shown if len(shown) <= 120 else shown[:117] + "..."
            if shown:
                lines.append(("sympy", shown))
            lines.append(("symbolic", self.symbolic_verdict))
        return lines

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self._lines())
        head = f"check_formula: {self.derivative} {'ok' if self.ok else 'MISMATCH'}"
        return "\n".join([head, *(f"  {k.ljust(width)}  {v}" for k, v in self._lines())])

    def _repr_markdown_(self) -> str:
        head = f"**{_md(self.derivative)}: {'ok' if self.ok else 'MISMATCH'}**"
        return "\n".join([head, "", *(f"- {k}: {_code(v)}" for k, v in self._lines())])


def check_formula(root: Value, wrt: Value | str, formula: str | Expr, *,
                  where: Mapping[str, str | Expr] | None = None,
                  values: Mapping[str, float] | None = None, pin: Sequence[str] = (),
                  points: int = FORMULA_POINTS, seed: int = 0, atol: float = 1e-8,
                  rtol: float = 1e-6, symbolic: bool = False,
                  raise_on_mismatch: bool = True) -> FormulaCheck:
    """Compare a hand formula for d root / d wrt with the engine, at several points.

    Names in ``formula`` are labels of nodes in ``root``'s graph (``h[0]``, ``yhat``, ``zo``),
    each standing for its value; ``wrt`` is a Value or a label. The formula is read by
    glassgrad's own parser (``σ``/``sigma`` and ``ln`` are accepted), never run as code.

    How it checks. One point can hide a wrong formula (at y = 1, ``-1/yhat`` equals
    ``(yhat - y)/(yhat(1 - yhat))``), so the graph is re-evaluated, with the op table's
    forward and local rules on floats, at

    * the given point;
    * every *label* flipped: a labelled leaf holding exactly 0 or 1, and a label folded into
      an op as its constant (``bce_with_logits(z, y)``), get the other value too;
    * ``points`` perturbed points (seeded by ``seed``): every other labelled leaf moved by
      10-30 % and a little more, the labels cycling through their values.

    Unlabelled leaves (constants) and the names in ``pin`` keep their value. A point where
    the graph is undefined (log of a negative number) or where an input crosses a kink
    (ReLU switching on or off) is skipped. At each point the formula is evaluated with the
    names bound to the re-evaluated nodes; the first disagreeing point is named.

    ``where`` names sub-expressions, as the notes write them: ``where={"delta_o": "yhat - y"}``.
    ``values`` gives numbers for names that are no node: a label folded as a constant is
    found by itself (an unknown name in the formula, such as ``y``, stands for it, and flips
    with it); any other name in ``values`` stays fixed.

    With ``symbolic=True`` (needs sympy) the two derivatives are also compared symbolically:
    sympy differentiates the graph (labelled leaves as symbols) and simplifies the difference
    with the formula, within size and time bounds (see :mod:`autograd.tools.symbolic`);
    when it cannot decide, the verdict says so and the numeric points stand.

    Raises :class:`GradcheckError` on a mismatch unless ``raise_on_mismatch=False``.

    >>> from autograd import Value
    >>> h, w, y = Value(0.6, label="h"), Value(0.4, label="w"), Value(1.0, label="y")
    >>> yhat = (h * w).sigmoid(); yhat.label = "yhat"
    >>> L = -(y * yhat.log() + (1 - y) * (1 - yhat).log()); L.label = "L"
    >>> print(check_formula(L, w, "h*(yhat - y)"))  # doctest: +NORMALIZE_WHITESPACE
    check_formula: dL/dw ok
      by hand  h * (yhat - y) = -0.26417181
      engine   grad(L, w) = -0.26417181   (abs err 0.0e+00)
      where    h = 0.6, yhat = 0.55971365, y = 1
      points   7 of 7 agree
    >>> check_formula(L, w, "h*(yhat - 1)", raise_on_mismatch=False).first_mismatch.where()  # right at y = 1 only
    'at y = 0 (was 1)'
    """
    if not isinstance(root, Value):
        raise OperandError(f"check_formula: root must be a Value, got {type(root).__name__}")
    _check_tolerances("check_formula", atol=atol, rtol=rtol)
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
        raise OperandError(f"check_formula: points must be a whole number from 0 to 100, got {points!r}")
    expr = formula if isinstance(formula, Expr) else parse(formula)
    order = topological_order(root)
    by_label = _labels(order)
    target = _target(wrt, by_label, order)
    subs = _where(where, by_label)
    fixed = _fixed_values(values, by_label)
    pinned = _pinned(pin, by_label)
    needed = list(dict.fromkeys(n for e in (expr, *subs.values()) for n in e.names if n not in subs))
    replay = _Replay(order, target)
    label_consts = replay.label_constants()
    bound: dict[str, Value] = {}
    const_names: dict[str, int] = {}
    for name in needed:
        if name in fixed:
            continue
        if name not in by_label and label_consts and len({order[k].const for k in label_consts}) == 1:
            const_names[name] = label_consts[0]  # "y": the label folded into bce_with_logits
            continue
        bound[name] = _node_named(name, expr if name in expr.names else
                                  next(e for e in subs.values() if name in e.names), by_label)
    env_at = _Environment(replay, bound, const_names, fixed, subs, expr)
    engine_value = grad(root, target)
    given = env_at.point({}, {})
    formula_value = given[0]
    values_shown = {name: given[2][name] for name in expr.names if name not in subs}
    rows = [_point_row("given", (), given[0], engine_value, atol, rtol, given[1])]
    for name, leaves, consts in replay.points(pinned, points, seed):
        rows.append(env_at.row(name, leaves, consts, atol, rtol))
    abs_error = abs(formula_value - engine_value)
    ok = all(p.ok for p in rows if not p.skipped)
    symbolic_value = symbolic_text = verdict = symbolic_ok = None
    if symbolic:
        from .symbolic import check_symbolically

        found = check_symbolically(root, target, expr, subs, bound, const_names, fixed,
                                   [leaves for _, leaves, _ in replay.points(pinned, points, seed)])
        symbolic_text, symbolic_value, verdict, symbolic_ok = found
        if symbolic_ok is False:
            ok = False
    result = FormulaCheck(str(expr), root.label or "output", target.label or "wrt", formula_value,
                          engine_value, abs_error, ok, values_shown, atol, rtol, symbolic_value,
                          symbolic_text, tuple(rows), verdict, symbolic_ok,
                          {name: str(e) for name, e in subs.items()})
    if raise_on_mismatch and not ok:
        bad = result.first_mismatch
        where_text = f" {bad.where()}" if bad is not None else ""
        by_hand = bad.formula_value if bad is not None else formula_value
        engine = bad.engine_value if bad is not None else engine_value
        raise GradcheckError(f"check_formula: {result.derivative} by the formula {result.formula} "
                             f"is {_value(by_hand)}{where_text}, the engine gives {_value(engine)}"
                             f"{'' if verdict is None else f'; sympy: {verdict}'}\n{result}", result)
    return result


def _point_row(name, changes, formula_value, engine_value, atol, rtol, note="") -> FormulaPoint:
    if formula_value is None:  # the formula itself fails here
        return FormulaPoint(name, changes, math.nan, engine_value, math.nan, False, "", note)
    abs_error = abs(formula_value - engine_value)
    ok = abs_error <= atol + rtol * abs(engine_value)
    return FormulaPoint(name, changes, formula_value, engine_value, abs_error, ok, "", note)


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




class _Environment:
    """Evaluates the formula (and its ``where`` names) at a point of the replayed graph."""

    def __init__(self, replay: _Replay, bound, const_names, fixed, subs, formula: Expr):
        self.replay, self.bound, self.const_names, self.fixed, self.subs = \
            replay, bound, const_names, fixed, subs
        self.formula = formula

    def env(self, vals: list[float] | None, consts: Mapping[int, float]) -> dict[str, float]:
        pos, order = self.replay.position, self.replay.order
        env = dict(self.fixed)
        for name, node in self.bound.items():
            env[name] = node.data if vals is None else vals[pos[node]]
        for name, k in self.const_names.items():
            env[name] = consts.get(k, order[k].const)
        return env

    def evaluate(self, env: dict[str, float]) -> tuple[float | None, str]:
        try:
            for name, sub in self.subs.items():
                env[name] = evaluate(sub, env)
            return evaluate(self.formula, env), ""
        except (GlassgradError, ArithmeticError, ValueError) as e:
            return None, f"the formula fails here: {e}"

    def point(self, leaves, consts):
        """At the given point a formula that fails raises its error, as evaluate does."""
        env = self.env(None, consts)
        for name, sub in self.subs.items():
            env[name] = evaluate(sub, env)
        return evaluate(self.formula, env), "", env

    def row(self, name, leaves, consts, atol, rtol) -> FormulaPoint:
        replay = self.replay
        changes = tuple((replay.name(k), replay.order[k].data, v) for k, v in leaves.items()
                        if v != replay.order[k].data)
        changes += tuple((self._label_name(k), replay.order[k].const, v) for k, v in consts.items())
        try:
            vals, engine_value = replay.run(leaves, consts)
        except (GlassgradError, ArithmeticError, ValueError) as e:
            return FormulaPoint(name, changes, skipped=f"the graph is not defined here ({e})")
        kink = replay.crossed_kink(vals)
        if kink:
            return FormulaPoint(name, changes, skipped=kink)
        value, note = self.evaluate(self.env(vals, consts))
        return _point_row(name, changes, value, engine_value, atol, rtol, note)

    def _label_name(self, k: int) -> str:
        """A folded label, by the name the formula uses for it (``y``) if it uses one."""
        named = [n for n, j in self.const_names.items() if j == k]
        return named[0] if named else f"the label in {self.replay.name(k)}"


def _where(where, by_label) -> dict[str, Expr]:
    """The named sub-expressions, in an order where each uses only names before it."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise OperandError(f"check_formula: where must be a dict of name -> formula, got {type(where).__name__}")
    exprs = {}
    for name, text in where.items():
        if not isinstance(name, str) or _as_name(name) != name:
            raise OperandError(f"check_formula: where: {name!r} is not a name a formula can use "
                               f"(a letter or _ first, then letters, digits, _)")
        if name in by_label:
            raise OperandError(f"check_formula: where: {name!r} is also a node label; name the "
                               f"sub-expression differently")
        exprs[name] = text if isinstance(text, Expr) else parse(text)
    ordered: dict[str, Expr] = {}
    waiting = dict(exprs)
    while waiting:
        ready = [n for n, e in waiting.items() if all(m not in waiting or m == n for m in e.names)]
        cyclic = [n for n in ready if n in waiting[n].names]
        if cyclic or not ready:
            names = cyclic or list(waiting)
            raise OperandError(f"check_formula: where: {', '.join(map(repr, names))} refer to "
                               f"{'itself' if len(names) == 1 else 'each other'}; a sub-expression "
                               f"must be built from nodes and earlier names")
        for n in ready:
            ordered[n] = waiting.pop(n)
    return ordered


def _fixed_values(values, by_label) -> dict[str, float]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise OperandError(f"check_formula: values must be a dict of name -> number, got {type(values).__name__}")
    fixed = {}
    for name, v in values.items():
        if name in by_label:
            raise OperandError(f"check_formula: values: {name!r} is a node label; its value comes "
                               f"from the graph (leave it out of values)")
        try:
            fixed[name] = Value(v).data
        except GlassgradError as e:
            raise OperandError(f"check_formula: values[{name!r}]: {e}") from None
    return fixed


def _pinned(pin, by_label) -> set:
    if isinstance(pin, str):
        pin = [pin]
    nodes = set()
    for name in pin:
        found = by_label.get(name, [])
        if not found:
            raise OperandError(f"check_formula: pin: no node is labelled {name!r}; {_available(by_label)}")
        nodes.update(found)
    return nodes


def _labels(order: list[Value]) -> dict[str, list[Value]]:
    """Nodes by label, in topological order; labels as the parser writes them (``W[0,1]``)."""
    by_label: dict[str, list[Value]] = {}
    for node in order:
        if node.label:
            key = _as_name(node.label)
            if key is not None:
                by_label.setdefault(key, []).append(node)
    return by_label


_PLAIN_INDEX = re.compile(r"[0-9]+(?:,[0-9]+)*\]", re.ASCII)


def _as_name(label: str) -> str | None:
    """How ``label`` is written in a formula, or None when a formula cannot name it."""
    head, bracket, index = label.partition("[")
    if head.isidentifier() and (not bracket or _PLAIN_INDEX.fullmatch(index)):
        return label  # the common case, without parsing: "w", "h[0]", "W1[0,1]"
    try:
        expr = parse(label)
    except ExpressionError:
        return None
    return expr.name if isinstance(expr, Name) else None


def _node_named(name: str, expr: Expr, by_label: dict[str, list[Value]]) -> Value:
    nodes = by_label.get(name, [])
    if len(nodes) == 1:
        return nodes[0]
    where = next((n.pos for n in _names_in(expr) if n.name == name), None)
    text = expr.source if expr.source is not None else str(expr)
    position = where if expr.source is not None else None
    if not nodes:
        raise ExpressionError(f"no node in the graph is labelled {name!r}; {_available(by_label)}",
                              kind="unknown name",
                              position=position, text=text)
    raise ExpressionError(f"{len(nodes)} nodes are labelled {name!r} "
                          f"({', '.join(describe(n) for n in nodes[:4])}); give them different "
                          f"labels", kind="ambiguous name", position=position, text=text)


def _names_in(expr: Expr):
    return (n for n in _postorder(expr) if type(n) is Name)


def _available(by_label: dict[str, list[Value]]) -> str:
    labels = list(by_label)
    if not labels:
        return "the graph has no labelled nodes (set node.label = 'name')"
    shown = ", ".join(labels[:40]) + (f", ... ({len(labels)} labels)" if len(labels) > 40 else "")
    return f"the labels are: {shown}"


def _target(wrt, by_label: dict[str, list[Value]], order: list[Value]) -> Value:
    if isinstance(wrt, Value):
        if wrt not in set(order):
            raise BackwardError(f"check_formula: wrt ({describe(wrt)}) is not part of the graph "
                                f"of the output")
        return wrt
    if not isinstance(wrt, str):
        raise OperandError(f"check_formula: wrt must be a Value or a label, got {type(wrt).__name__}")
    key = _as_name(wrt)
    return _node_named(key or wrt, Name(key or wrt, pos=0, source=wrt), by_label)
