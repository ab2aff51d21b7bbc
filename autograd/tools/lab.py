"""Exercises in the notebooks: blanks a learner fills in, checked with a clear right or wrong.

An exercise cell holds a blank, ``___``, where the learner's answer goes, and a check::

    from autograd.tools.lab import ___, check_answer
    slope = ___                      # the learner writes (f(2 + h) - f(2)) / h here
    slope = check_answer("slope", slope, expected=4.0, tol=1e-3, hint="rise over run")

* A blank left unfilled prints ``fill in the blank`` (no exception, the notebook goes on).
* A right answer prints ``✓``; a wrong one ``✗``, both numbers, and the hint.
* :func:`check_answer` returns the learner's answer as given (so ``x = check_answer("x", x, ...)``
  keeps it); :func:`check_formula` prints one line per sample and returns ``None``.

**Solutions.** This module never holds a solution: each one is written once, in the collapsed
*Solution* block under its exercise. The test run fills every blank from that block before it
executes the notebook (``notebooks/notebook_exercises.py``), so every check runs against its
solution, while a notebook as shipped shows only the learner's blanks.

Formulas are read as the course notes write them: ``ŷ`` is the node labelled ``yhat``, ``σ(z)``
is ``sigmoid(z)``, ``ln(x)`` is ``log(x)`` (the full list: :data:`autograd.tools.expression.ALIASES`
and :data:`~autograd.tools.expression.NAME_ALIASES`).

>>> check_answer("two plus two", 4, expected=4)
✓ two plus two: 4 (expected 4)
4
>>> bool(___)
False
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import GlassgradError
from ..value import Value

__all__ = ["Blank", "___", "BlankError", "check_answer", "check_formula", "verdicts"]

_VERDICTS: list[tuple[str, str]] = []


class BlankError(GlassgradError, TypeError):
    """A blank ``___`` was used in a computation before it was filled in."""


class Blank:
    """The blank of an exercise, ``___``: replace it with your answer.

    Computing with a blank raises :class:`BlankError` saying so (not a puzzling ``TypeError``);
    a check given a blank prints ``fill in the blank``.

    >>> ___ + 1
    Traceback (most recent call last):
    ...
    autograd.tools.lab.BlankError: fill in the blank ___ first: replace it with your answer, then run the cell again
    """

    _instance: Blank | None = None

    def __new__(cls) -> Blank:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "___"

    def __bool__(self) -> bool:
        return False

    def _refuse(self, *args: Any, **kwargs: Any):
        raise BlankError("fill in the blank ___ first: replace it with your answer, then run the cell again")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __float__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __call__ = __getitem__ = __iter__ = _refuse

    def __reduce__(self) -> str:
        return "___"


___ = Blank()


def verdicts() -> list[tuple[str, str]]:
    """Every check run so far in this Python process, in order, as ``(name, verdict)`` with
    verdict ``"right"``, ``"wrong"`` or ``"blank"`` (the test run asserts they are all right).

    >>> check_answer("one", 1, expected=1); verdicts()[-1]
    ✓ one: 1 (expected 1)
    1
    ('one', 'right')
    """
    return list(_VERDICTS)


def _filled(name: str, got: Any) -> bool:
    """False, after saying so, when ``got`` is the blank still unfilled."""
    if isinstance(got, Blank):
        _VERDICTS.append((name, "blank"))
        print(f"✎ {name}: fill in the blank ___ with your answer, then run the cell again")
        return False
    return True


def _close(got: Any, expected: Any, tol: float) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(got, Value):
            got = got.data
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        return math.isclose(float(got), float(expected), rel_tol=tol, abs_tol=tol)
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        if isinstance(got, str) or not isinstance(got, Iterable):
            return False
        got = list(got)
        return len(got) == len(expected) and all(_close(g, e, tol) for g, e in zip(got, expected))
    return got == expected


def _show(x: Any) -> str:
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in x) + "]"
    return repr(x) if isinstance(x, str) else str(x)


def check_answer(name: str, got: Any, expected: Any, tol: float = 1e-6, hint: str = "") -> Any:
    """Compare an answer with the expected one, print ``✓`` or ``✗`` (with ``hint`` when wrong),
    and return the answer ``got`` unchanged (the blank itself while it is unfilled).

    Numbers (or Values) match within ``tol``, absolute or relative; lists and tuples element by
    element; anything else by ``==``. A blank left unfilled prints ``fill in the blank``.

    >>> slope = check_answer("slope of x*x at 3", 5.9, expected=6.0, tol=1e-3, hint="2x")
    ✗ slope of x*x at 3: 5.9, expected 6
      hint: 2x
    >>> slope
    5.9
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"check_answer: name must be a non-empty string, got {name!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
        raise ValueError(f"check_answer: tol must be a number >= 0, got {tol!r}")
    if not _filled(name, got):
        return got
    right = _close(got, expected, tol)
    _VERDICTS.append((name, "right" if right else "wrong"))
    if right:
        print(f"✓ {name}: {_show(got)} (expected {_show(expected)})")
    else:
        print(f"✗ {name}: {_show(got)}, expected {_show(expected)}")
        if hint:
            print(f"  hint: {hint}")
    return got


def _expand(template: str, index: Mapping[str, int]) -> str:
    for key, k in index.items():
        template = template.replace("{" + key + "}", str(k))
    return template


def check_formula(name: str, formula: Any, roots: Mapping[str, Value], wrt: str,
                  over: Mapping[str, Iterable[int]] | None = None, hint: str = "") -> None:
    """Check a hand formula for d root / d ``wrt`` on every graph in ``roots`` (e.g. one sample with
    y = 0 and one with y = 1), with :func:`autograd.check_formula`; print one line per graph.

    ``over`` repeats the check for indices: with ``over={"j": range(3)}``, ``{j}`` in ``wrt`` and
    in the formula stands for 0, 1 and 2 (``"h[{j}] * (yhat - y)"``). Names may be written as the
    notes write them: ``ŷ`` is the node labelled ``yhat`` (see the module doc).

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> check_formula("dy/dx", "2 * x", {"x = 3": y}, "x")
    ✓ dy/dx (x = 3): 2 * x = 6, engine 6
    """
    from ..backprop import topological_order
    from .checking import check_formula as engine_check
    from .expression import Name, parse, resolve_names

    if not isinstance(name, str) or not name:
        raise TypeError(f"lab.check_formula: name must be a non-empty string, got {name!r}")
    if not isinstance(roots, Mapping) or not roots:
        raise TypeError(f"lab.check_formula: roots must be a non-empty dict of name -> Value, got {roots!r}")
    if not isinstance(wrt, str) or not wrt:
        raise TypeError(f"lab.check_formula: wrt must be the label of a node, as a string, got {wrt!r:.60}")
    if not _filled(name, formula):
        return
    if not isinstance(formula, str):
        _VERDICTS.append((name, "wrong"))
        print(f"✗ {name}: the answer must be a formula in quotes, a string like \"yhat - y\"; "
              f"got {type(formula).__name__} {formula!r}")
        return
    indices: list[dict[str, int]] = [{}]
    for key, values in (over or {}).items():
        indices = [{**ix, key: k} for ix in indices for k in values]
    labels_of = {}
    for sample, root in roots.items():
        if not isinstance(root, Value):
            raise TypeError(f"lab.check_formula: roots[{sample!r}] must be a Value, got {type(root).__name__}")
        labels_of[sample] = {node.label for node in topological_order(root) if node.label}
    wrong = 0
    for ix in indices:
        for sample, root in roots.items():
            written, target = _expand(formula, ix), _expand(wrt, ix)
            head = " ".join([name, *(f"{k}={v}" for k, v in ix.items()), f"({sample})"])
            labels = labels_of[sample]
            try:
                formula_tree = resolve_names(parse(written), labels)
                target = resolve_names(Name(target), labels).name if target not in labels else target
                result = engine_check(root, target, formula_tree, raise_on_mismatch=False)
            except GlassgradError as error:
                print(f"✗ {head}: cannot use the formula {written!r}: {error}")
                wrong += 1
                continue
            mark = "✓" if result.ok else "✗"
            wrong += not result.ok
            line = f"{mark} {head}: {written} = {result.formula_value:.6g}, engine {result.engine_value:.6g}"
            agrees_here = math.isclose(result.formula_value, result.engine_value, rel_tol=1e-6, abs_tol=1e-8)
            elsewhere = getattr(result, "first_mismatch", None) if agrees_here and not result.ok else None
            if elsewhere is not None:  # right at this point, wrong at another that check_formula tried
                line += (f"; but at {elsewhere.name}: {written} = {elsewhere.formula_value:.6g}, "
                         f"engine {elsewhere.engine_value:.6g}")
            print(line)
    _VERDICTS.append((name, "wrong" if wrong else "right"))
    if wrong and hint:
        print(f"  hint: {hint}")
