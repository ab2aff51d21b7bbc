"""The engine's exceptions, and how they name the values involved."""

from __future__ import annotations

__all__ = ["GlassgradError", "OpError", "OperandError", "BackwardError", "describe"]


class GlassgradError(Exception):
    """Base class of every error glassgrad raises on purpose."""


class OpError(GlassgradError, ValueError, ArithmeticError):
    """An op got inputs outside its domain, or its result is not a finite real number.

    Example: ``Value(0.0, label="x").log()`` raises
    ``OpError: log: log needs an input > 0; got log(x=0.0)``.
    """


class OperandError(GlassgradError, TypeError):
    """An operand is not a real number or a Value (a str, None, a list, a complex number...)."""


class BackwardError(GlassgradError, ValueError):
    """``backward`` or ``grad`` was asked for something it cannot do."""


def describe(x, sep: str = " = ") -> str:
    """How a value is named in an error: ``x = 0.0`` for a labelled Value, ``0.0`` otherwise.

    ``sep=""`` writes ``x=0.0``, for inside an expression: ``log(x=0.0)``.
    """
    label = getattr(x, "label", None)
    data = getattr(x, "data", x)
    if label:
        return f"{label}{sep}{data!r}"
    return repr(data)
