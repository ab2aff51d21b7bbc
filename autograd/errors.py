"""Every exception glassgrad's ``autograd`` package raises on purpose, and how they name values.

All derive from :class:`GlassgradError`, so ``except GlassgradError`` catches any of them.
"""

from __future__ import annotations

import numbers

__all__ = ["GlassgradError", "OpError", "OperandError", "BackwardError", "MissingExtra",
           "DrawingError", "GraphTooLarge", "GraphvizNotFound", "TraceError", "GradcheckError",
           "CheckTooLarge", "KinkWarning", "ExplainError", "ExpressionError", "SympyTooDeep",
           "FileWriteError", "CompileTooLarge", "describe", "finite_float"]


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


class MissingExtra(GlassgradError, ImportError):
    """An optional package is not installed; the message names the extra that installs it.

    >>> print(MissingExtra("sympy", "sympy", "to_sympy"))
    to_sympy: needs sympy, an optional extra: pip install "glassgrad[sympy]"
    """

    def __init__(self, package: str, extra: str, what: str):
        super().__init__(f'{what}: needs {package}, an optional extra: pip install "glassgrad[{extra}]"',
                         name=package)
        self.package, self.extra = package, extra


def require(package: str, extra: str, what: str):
    """Import ``package`` (an optional extra) or raise :class:`MissingExtra` naming the extra.

    >>> require("math", "none", "this example").pi > 3
    True
    """
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingExtra(package, extra, what) from None

def _window(text: str, position: int | None, width: int = 72) -> tuple[str, int | None]:
    """At most ``width`` characters of ``text`` around ``position``, one character per column."""
    start = 0
    if len(text) > width:
        centre = len(text) if position is None else position
        start = max(0, min(centre - width // 2, len(text) - width))
    shown = "".join(" " if ch.isspace() else ch if ch.isprintable() else "?"
                    for ch in text[start:start + width])
    column = None if position is None else position - start
    if start > 0:
        shown, column = "..." + shown, None if column is None else column + 3
    if start + width < len(text):
        shown += "..."
    return shown, column



def finite_float(x, opname: str, what: str = "operand") -> float:
    """``x`` (a plain number) as a finite float, or a clear error naming the op and ``what`` it is.

    >>> finite_float(2, "mul")
    2.0
    """
    if type(x) is float and x - x == 0.0:  # already a finite float: nearly always
        return x
    if hasattr(x, "local_grads"):  # a Value
        raise OperandError(f"{opname}: {what} must be a plain number here, got the Value {describe(x)}")
    if isinstance(x, numbers.Real) or type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_"):
        # int, bool, Fraction, numpy's numbers (numpy's bool is no numbers.Real, but a bool is a number)
        try:
            f = float(x)
        except OverflowError:
            raise OpError(f"{opname}: {what} {_short(x)} is too large for a float") from None
    elif isinstance(x, numbers.Complex):
        raise OperandError(f"{opname}: {what} must be a real number, got the complex number {x!r}")
    else:
        raise OperandError(
            f"{opname}: {what} must be a number or a Value, got {type(x).__name__} {_short(x)}")
    if f - f != 0.0:  # inf or nan
        raise OpError(f"{opname}: {what} must be finite, got {f!r}")
    return f


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def describe(x, sep: str = " = ") -> str:
    """How a value is named in an error: ``x = 0.0`` for a labelled Value, ``0.0`` otherwise.

    ``sep=""`` writes ``x=0.0``, for inside an expression: ``log(x=0.0)``.
    """
    label = getattr(x, "label", None)
    data = getattr(x, "data", x)
    if label:
        return f"{label}{sep}{data!r}"
    return repr(data)


class FileWriteError(GlassgradError, OSError):
    """A file could not be written (a missing folder, a full disk, a read-only file...): the
    message names the path and the reason; the old file, if any, is unchanged."""


class CheckTooLarge(GlassgradError, ValueError):
    """``gradcheck`` was given more work than its bound (inputs x graph values, as ``glassgrad
    check``): the message gives the size, the bound and the ways out."""


class CompileTooLarge(GlassgradError, ValueError):
    """A graph is beyond what ``autograd.compile`` writes out: the message gives its size, the
    budget and the way out (run it eagerly)."""


class DrawingError(GlassgradError, ValueError):
    """``draw`` got an option it cannot use, or the renderer failed."""


class GraphTooLarge(DrawingError):
    """The graph has more nodes than ``max_nodes``: draw a part of it with ``start=``."""


class GraphvizNotFound(GlassgradError, RuntimeError):
    """Neither Graphviz's ``dot`` nor the ``graphviz-pure`` program could be found."""


class TraceError(GlassgradError, ValueError):
    """A trace was asked for a step or a frame it cannot give."""


class GradcheckError(GlassgradError, ValueError):
    """A derivative disagrees with its check; ``.report`` holds the full report."""

    def __init__(self, message: str, report):
        super().__init__(message)
        self.report = report


class KinkWarning(UserWarning):
    """A point sits exactly on a kink (ReLU, abs or step at 0), where a finite difference
    averages two different slopes and cannot confirm the engine's convention."""


class ExplainError(GlassgradError, ValueError):
    """``explain`` was asked about a node it cannot place in the output's graph."""


class ExpressionError(GlassgradError, ValueError):
    """A formula that cannot be read or built; ``str()`` is one line saying what and where.

    ``kind`` is one of ``"syntax error"``, ``"number out of range"``, ``"unknown function"``,
    ``"unknown name"``, ``"ambiguous name"``, ``"no value"``, ``"too long"``, ``"too deep"``.
    ``position`` is the 0-based column in ``text`` (None when there is no single place).

    >>> from autograd import parse
    >>> try:
    ...     parse("2 * (x + 1")
    ... except ExpressionError as e:
    ...     print(e); print(e.caret())
    syntax error at column 5: '(' is never closed
    2 * (x + 1
        ^
    """

    def __init__(self, message: str, *, kind: str = "syntax error", position: int | None = None,
                 text: str | None = None):
        where = f" at column {position + 1}" if position is not None else ""
        super().__init__(f"{kind}{where}: {message}")
        self.kind = kind
        self.message = message
        self.position = position
        self.text = text

    def caret(self) -> str:
        """The text on one line and a ``^`` under the column (just the text without a column)."""
        if self.text is None:
            return str(self)
        line, column = _window(self.text, self.position)
        return line if column is None else f"{line}\n{' ' * column}^"


class SympyTooDeep(GlassgradError, ValueError):
    """sympy recursed too deeply on an expression as deep as a long graph."""
