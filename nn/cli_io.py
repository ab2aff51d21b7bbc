"""The ``glassgrad`` command's plumbing shared by its subcommands: exit codes, one-line error
reports, the output streams, and output files written atomically.

    >>> exit_code(UsageError("x")), exit_code(ag.OpError("log of 0"))
    (2, 1)
    >>> one_line("two\\n  lines")
    'two lines'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import autograd as ag
from autograd import ExpressionError, GlassgradError, OpError, OperandError

from autograd.files import write_atomically
from .errors import CommandFailed, InputError, UsageError

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "exit_code", "report", "one_line", "Streams",
           "output_path", "write_output", "drawing_bytes", "size"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
"""Exit codes: done; the work failed (math error, failed check, renderer or file); usage error."""


def exit_code(error: BaseException) -> int:
    """The exit code for an error raised on purpose: 2 when the input is wrong, else 1."""
    usage = (UsageError, ExpressionError, OperandError, ag.GraphTooLarge, InputError,
             ag.TraceError, ag.ExplainError)
    return EXIT_USAGE if isinstance(error, usage) else EXIT_FAILED


def one_line(text: str, limit: int = 400) -> str:
    """``text`` on one line (runs of white space made one space), cut at ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def report(error: GlassgradError, err: TextIO) -> int:
    """Write ``error`` to ``err`` (one line, plus the caret display) and return its exit code."""
    code = exit_code(error)
    if isinstance(error, ExpressionError):
        hint = ""
        if error.kind == "no value":
            hint = "; give every name a value with --at NAME=VALUE,..."
        print(f"glassgrad: {one_line(str(error))}{hint}", file=err)
        if error.text is not None and error.text.strip() and error.position is not None:
            print(error.caret(), file=err)
    elif isinstance(error, OpError):
        print(f"glassgrad: math error: {one_line(str(error))}", file=err)
    else:
        text = one_line(str(error))
        print(text if text.startswith("glassgrad") else f"glassgrad: {text}", file=err)
    return code


@dataclass
class Streams:
    """Where a subcommand writes: its results to ``out``, warnings to ``err``."""

    out: TextIO
    err: TextIO

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(f"glassgrad: {text}", file=self.err)


def output_path(path: str, suffixes: tuple[str, ...], what: str) -> Path:
    """``path`` checked before any work: a known suffix, an existing folder, not a folder itself."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise UsageError(f"-o: cannot tell the format of {str(out)!r} from its suffix "
                         f"{out.suffix or '(none)'!r}; {what} writes {', '.join(suffixes)}")
    if out.is_dir():
        raise UsageError(f"-o: {str(out)!r} is a folder; give a file name such as {out / ('graph' + suffixes[0])}")
    if not out.parent.is_dir():
        raise UsageError(f"-o: the folder {str(out.parent)!r} does not exist")
    return out


def write_output(path: str | os.PathLike, data: bytes | str) -> None:
    """Write an output file atomically (see :mod:`autograd.files`): on any failure -- a full disk,
    a read-only file, a device in its place -- the old file stays as it was and
    :class:`~nn.errors.CommandFailed` names ``path``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    write_atomically(path, data, CommandFailed)


def drawing_bytes(drawing: ag.Drawing, suffix: str) -> bytes:
    """The file contents of ``drawing`` in the format its ``suffix`` names (.svg, .png, .dot, .gv)."""
    suffix = suffix.lower()
    if suffix in (".dot", ".gv"):
        return drawing.source.encode("utf-8")
    if suffix == ".png":
        return drawing.png()
    if suffix == ".svg":
        return drawing.svg().encode("utf-8")
    raise UsageError(f"cannot tell the format of a drawing from the suffix {suffix!r}; use .svg, .png or .dot")


def size(path: Path) -> str:
    """The size of the file at ``path``, for people: ``812 B``, ``14.2 kB``, ``1.3 MB``."""
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"
