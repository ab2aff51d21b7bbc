"""The formula the ``glassgrad`` subcommands take apart: the formula text and its ``--at`` values.

A formula is read by the project's own parser (:func:`autograd.parse`, never ``eval``) and
built from Values with :func:`autograd.build`, one labelled leaf per name.

``--at`` gives the names their values: ``NAME=VALUE`` pairs separated by commas, the
option may be repeated, a name may carry an index (``W1[0,1]=0.3``). A name given twice
is an error; a name the formula does not use is listed in ``Formula.unused`` (the command
warns), a name the formula uses without a value is an error.

    >>> load_formula("x**2 + 3*x", ["x=2"]).root.data
    10.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import autograd as ag
from autograd import Expr, ExpressionError, Value, build, parse

from .errors import UsageError

__all__ = ["parse_at", "load_formula", "Formula", "read_name", "shorten", "edges",
           "MAX_AT_LENGTH", "MAX_NUMBER_LENGTH"]

MAX_AT_LENGTH = 20_000
"""Most characters in all ``--at`` options together."""
MAX_NUMBER_LENGTH = 400
"""Most characters in one ``--at`` value (a float needs at most 17 significant digits)."""

_ROOT_NAMES = ("f", "out", "output", "result")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def parse_at(items: Sequence[str] | None) -> dict[str, float]:
    """The values of ``--at``: ``NAME=VALUE`` pairs separated by commas, from every ``--at`` given.

    Names are read by the expression parser (so ``W1[0, 1]`` is ``W1[0,1]``); a comma
    inside an index does not split pairs. Values are decimal numbers, with a sign and an
    exponent if wanted. Raises :class:`UsageError` for anything else, and for a name given twice.

    >>> parse_at(["w=0.5, x=2", "b=-1e-3"])
    {'w': 0.5, 'x': 2.0, 'b': -0.001}
    >>> parse_at(["W1[0, 1]=3"])
    {'W1[0,1]': 3.0}
    """
    values: dict[str, float] = {}
    items = list(items or ())
    if sum(len(item) for item in items) > MAX_AT_LENGTH:
        raise UsageError(f"--at: longer than {MAX_AT_LENGTH:,} characters")
    for item in items:
        for pair in _split_pairs(item):
            if not pair.strip():
                continue  # "w=1," or "w=1,,x=2": an empty pair says nothing
            name_text, equals, number = pair.partition("=")
            if not equals:
                raise UsageError(f"--at: {_clip(pair.strip())} is not NAME=VALUE "
                                 "(for example --at w=0.5,x=2,b=-1)")
            name = read_name(name_text.strip(), "--at")
            value = _number(number.strip(), name)
            if name in values:
                raise UsageError(f"--at: {name!r} is given twice ({values[name]:g} and {value:g}); "
                                 "give each name one value")
            values[name] = value
    return values


def _split_pairs(text: str) -> list[str]:
    """``text`` split at the commas outside square brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _clip(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def read_name(text: str, option: str) -> str:
    """``text`` as a name of the expression language (canonical form), or a UsageError."""
    if not text:
        raise UsageError(f"{option}: a name is missing before '='" if option == "--at"
                         else f"{option}: the name is empty")
    try:
        expr = parse(text)
    except ExpressionError as e:
        raise UsageError(f"{option}: {_clip(text)} is not a name ({e.message})") from None
    if expr.names != (str(expr),):  # a formula that is just one name
        raise UsageError(f"{option}: {_clip(text)} is not a name (names look like w, x_1, ŷ or W1[0,1])")
    return expr.name


def _number(text: str, name: str) -> float:
    if not text:
        raise UsageError(f"--at: {name!r} has no value after '='")
    if len(text) > MAX_NUMBER_LENGTH:
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, has {len(text)} characters, more "
                         f"than {MAX_NUMBER_LENGTH}; a float needs at most 17 significant digits")
    if not _NUMBER.fullmatch(text):
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, is not a number "
                         "(write numbers like 2, -0.5 or 1e-3)")
    value = float(text)
    if not math.isfinite(value):
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, is too large for a float")
    if value == 0.0 and re.search("[1-9]", re.split("[eE]", text)[0]):
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, is too small for a float "
                         "(it would be 0)")
    return value


@dataclass
class Formula:
    """A parsed formula built at the ``--at`` values: one leaf per name, ``root`` the result."""

    expr: Expr
    values: dict[str, float]
    leaves: dict[str, Value]
    root: Value
    unused: list[str]

    def header(self) -> str:
        """``f = sigmoid(w * x + b) = 0.5 at w = 0.5, x = 2, b = -1``."""
        at = ", ".join(f"{n} = {self.values[n]:g}" for n in self.leaves)
        formula = shorten(str(self.expr))
        text = f"{formula} = {self.root.data:.6g}"
        if self.root.label != formula:  # the formula "w" is the leaf w itself
            text = f"{self.root.label} = {text}"
        return text + (f" at {at}" if at else "")


def shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_formula(text: str, at: Sequence[str] | None) -> Formula:
    """Parse ``text``, read the ``--at`` items, and build the graph with one labelled leaf per name.

    The result is labelled ``f`` (or ``out``... when the formula uses ``f`` as a name).
    ``unused`` lists the ``--at`` names the formula does not use.

    >>> formula = load_formula("sigmoid(w*x + b)", ["w=0.5,x=2,b=-1"])
    >>> formula.header()
    'f = sigmoid(w * x + b) = 0.5 at w = 0.5, x = 2, b = -1'
    >>> list(formula.leaves), formula.root.op
    (['w', 'x', 'b'], 'σ')
    """
    expr = parse(text)
    values = parse_at(at)
    leaves = {n: Value(values[n], label=n) for n in expr.names if n in values}
    root = build(expr, leaves)  # a name without a value: ExpressionError "no value", with a caret
    if root.label is None:
        root.label = next((n for n in _ROOT_NAMES if n not in expr.names), None)
    return Formula(expr, values, leaves, root, [n for n in values if n not in expr.names])


def edges(root: Value) -> int:
    """How many edges the graph of ``root`` has (one backward step each)."""
    return sum(len(node.parents) for node in ag.topological_order(root))
