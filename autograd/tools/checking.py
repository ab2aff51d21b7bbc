"""Check the engine's derivatives: against finite differences, and against hand formulas.

This module gathers the checking tools under one name; each lives in a module with one job:

* :func:`gradcheck` compares ``autograd.grad`` with central differences
  ``(f(x + eps) - f(x - eps)) / (2 eps)`` for every input of a function, and
  :func:`gradcheck_ops` does the same for every *local* derivative in a graph and names
  the first op whose rule disagrees with its own ``forward`` (:mod:`.gradchecking`; the
  differences in :mod:`.finite_differences`, the report in :mod:`.gradcheck_report`);
* :func:`check_formula` evaluates a learner's formula for a gradient (names are node
  labels) and compares it with the engine (:mod:`.formula_check`, with
  :mod:`.formula_names` and :mod:`.formula_replay`).

    >>> import autograd as ag
    >>> report = ag.gradcheck(lambda w, x: (w * x).tanh(), [0.5, 2.0])
    >>> report.ok, [row.name for row in report.rows]   # rows named by f's parameters
    (True, ['w', 'x'])
"""

from __future__ import annotations

from ..errors import GradcheckError, KinkWarning
from .formula_check import FORMULA_POINTS, FormulaCheck, FormulaPoint, check_formula
from .gradcheck_report import MAX_SHOWN_ROWS, GradcheckReport, GradcheckRow
from .gradchecking import MAX_WORK, gradcheck, gradcheck_ops

__all__ = ["gradcheck", "gradcheck_ops", "check_formula", "GradcheckReport", "GradcheckRow",
           "GradcheckError", "FormulaCheck", "FormulaPoint", "KinkWarning", "FORMULA_POINTS",
           "MAX_SHOWN_ROWS", "MAX_WORK"]
