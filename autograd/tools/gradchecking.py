"""``gradcheck`` and ``gradcheck_ops``: the engine's derivatives against central differences.

* :func:`gradcheck` compares ``autograd.grad`` with ``(f(x + eps) - f(x - eps)) / (2 eps)``
  for every input of a function;
* :func:`gradcheck_ops` does the same for every *local* derivative in a graph and names
  the first op whose rule disagrees with its own ``forward``.

    >>> import autograd as ag
    >>> report = ag.gradcheck(lambda w, x: (w * x).tanh(), [0.5, 2.0])
    >>> report.ok, [row.name for row in report.rows]   # rows named by f's parameters
    (True, ['w', 'x'])
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Callable, Iterable, Sequence

from ..backprop import grad, topological_order
from ..errors import CheckTooLarge, GradcheckError, KinkWarning, OperandError, finite_float
from ..grad_mode import no_grad
from ..ops import Op, _num
from ..value import Value
from .finite_differences import (_central, _check_tolerances, _kink_note, _kink_sides,
                                 _kinks_by_input, _step_off_kinks)
from .gradcheck_report import GradcheckReport, GradcheckRow, _row

__all__ = ["gradcheck", "gradcheck_ops", "GradcheckReport", "GradcheckRow", "GradcheckError",
           "KinkWarning", "MAX_WORK"]

MAX_WORK = 1_000_000
"""The most work :func:`gradcheck` takes on by default, counted as inputs x graph values: its
finite differences evaluate the whole graph twice per input (``glassgrad check`` has the same
bound). ``max_work=None`` lifts it."""


# -- gradcheck -----------------------------------------------------------------------

def gradcheck(f: Callable[..., Value], inputs: Sequence[float | Value] | float | Value,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *,
              raise_on_failure: bool = True, per_op: bool = False,
              max_work: int | None = MAX_WORK) -> GradcheckReport:
    """Compare ``autograd.grad`` of ``f(*inputs)`` with central differences, input by input.

    ``inputs`` are numbers or Values (their data and labels are used; unlabelled inputs
    are called ``x[0]``, ``x[1]``...). A row agrees when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. With ``per_op=True`` every local
    derivative in the graph is checked too (see :func:`gradcheck_ops`). Raises
    :class:`GradcheckError` on a mismatch unless ``raise_on_failure=False``; warns with
    :class:`KinkWarning` when an input flows into ReLU, abs or step exactly at their kink.

    The finite differences evaluate the whole graph twice per input, so the work grows as
    inputs x graph values: past ``max_work`` (:data:`MAX_WORK`, a million, a few seconds)
    gradcheck refuses at once with :class:`~autograd.errors.CheckTooLarge`, saying the size;
    ``max_work=None`` runs it however long it takes.

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> print(gradcheck(lambda w, x: (w * x - 1).sigmoid(), [w, x]))  # doctest: +ELLIPSIS
    gradcheck of <lambda>: ok (eps=1e-06, atol=1e-05, rtol=0.001)
    input  analytic  numeric  abs err  rel err  verdict
    w           0.5      0.5  ...  ok
    x         0.125    0.125  ...  ok
    """
    if not callable(f):
        raise OperandError(f"gradcheck: f must be a function of the inputs that returns a Value "
                           f"(gradcheck(lambda w, x: w * x, [0.5, 2.0])), got {type(f).__name__} {f!r:.40}")
    _check_tolerances("gradcheck", eps=eps, atol=atol, rtol=rtol)
    _check_max_work(max_work)
    parameters, arity = _parameters(f)
    names, points = _inputs(inputs, parameters)
    if arity is not None and not arity[0] <= len(names) <= arity[1]:
        takes = f"{arity[0]}" if arity[0] == arity[1] else f"{arity[0]} to {arity[1]}"
        raise OperandError(f"gradcheck: f takes {takes} positional argument{'s' * (arity[1] != 1)}"
                           f"{' (' + ', '.join(parameters) + ')' if parameters else ''}, "
                           f"but inputs has {len(names)}: give one input per argument")
    leaves = [Value(p, label=n) for n, p in zip(names, points)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise OperandError(f"gradcheck: f must return a Value built from its inputs, "
                           f"got {type(out).__name__} {out!r:.40}")
    if max_work is not None:
        _refuse_large(len(names), len(topological_order(out)), max_work)
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


def _parameters(f) -> tuple[list[str], tuple[float, float] | None]:
    """f's positional parameter names (``lambda w, x, b: ...`` -> w, x, b; none for ``*args``),
    and how many positional arguments it takes, (least, most), or None when it cannot be told."""
    import inspect

    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return [], None
    names, least, most = [], 0, 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            most = math.inf
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
            most += 1
            least += p.default is p.empty
        elif p.kind == p.KEYWORD_ONLY and p.default is p.empty:
            return names, None  # f cannot be called with inputs alone; let the call say so
    return names, (least, most)


def _check_max_work(max_work) -> None:
    if max_work is not None and (not isinstance(max_work, int) or isinstance(max_work, bool)
                                 or max_work < 1):
        raise OperandError(f"gradcheck: max_work must be a whole number >= 1, or None for no "
                           f"bound, got {max_work!r:.40}")


def _refuse_large(n_inputs: int, n_values: int, max_work: int) -> None:
    """The CLI's bound, with its message: inputs x graph values past ``max_work`` is refused."""
    if n_inputs * n_values > max_work:
        raise CheckTooLarge(
            f"gradcheck: {n_inputs:,} inputs in a graph of {n_values:,} values: the finite "
            f"differences evaluate the whole graph twice per input, {n_inputs:,} x {n_values:,} = "
            f"{n_inputs * n_values:,} steps, more than the {max_work:,} gradcheck takes "
            f"(max_work); check a smaller function or fewer inputs, pass max_work=None to wait "
            f"for it, or get the gradients alone with autograd.grad")


def _inputs(inputs, parameters: Sequence[str] = ()) -> tuple[list[str], list[float]]:
    if isinstance(inputs, (Value, numbers.Real)):
        inputs = [inputs]
    elif isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise OperandError(f"gradcheck: inputs must be a list of numbers or Values (or one of "
                           f"them), got {type(inputs).__name__} {inputs!r:.40}")
    names, points = [], []
    for i, x in enumerate(inputs):
        default = parameters[i] if i < len(parameters) else f"x[{i}]"
        if isinstance(x, Value):
            names.append(x.label or default)
            points.append(x.data)
        else:
            names.append(default)
            points.append(finite_float(x, "gradcheck", f"inputs[{i}]"))  # the engine's check
    if not names:
        raise OperandError("gradcheck: inputs is empty; give f at least one input")
    return names, points


def _call(f, names: list[str], points: list[float], i: int, t: float) -> float:
    """f with input ``i`` moved to ``t``, without a graph."""
    with no_grad():
        out = f(*[Value(t if j == i else p, label=n) for j, (n, p) in enumerate(zip(names, points))])
    return out.data if isinstance(out, Value) else float(out)


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
