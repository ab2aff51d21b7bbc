"""``check_formula``: a learner's formula for a gradient next to the engine's, at several points.

Names in the formula are node labels (:mod:`.formula_names` binds them); the graph is
re-evaluated at other points by :class:`.formula_replay._Replay`.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> check_formula(y, x, "2*x").ok
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..backprop import grad, topological_order
from ..errors import GlassgradError, GradcheckError, OperandError
from ..value import Value
from .expression import Expr, evaluate, parse, resolve_names
from .finite_differences import _check_tolerances
from .formula_names import _fixed_values, _labels, _node_named, _pinned, _target, _where
from .formula_replay import _Replay
from .gradcheck_report import _value
from .markup import markdown as _md, markdown_code as _code

__all__ = ["check_formula", "FormulaCheck", "FormulaPoint", "FORMULA_POINTS"]


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
    expr = resolve_names(expr, by_label)  # the notes' ŷ: the node labelled yhat (and the other way)
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
