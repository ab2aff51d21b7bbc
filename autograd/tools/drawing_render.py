"""Rendering a drawing: finding and running Graphviz's ``dot`` (or ``graphviz-pure``), with clear errors.

    >>> _fit_width('<svg width="300pt" height="100pt"')
    '<svg width="100%" style="max-width: 300pt; height: auto"'
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

from ..errors import DrawingError, GraphvizNotFound
from .markup import visible

_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def _fit_width(svg: str) -> str:
    """The SVG scaled down to the width of the page it is shown in (a notebook's cell), never up:
    width 100% with its own width as the most, the height following the viewBox."""
    return _SVG_SIZE.sub(lambda m: f'<svg width="100%" style="max-width: {m[1]}pt; height: auto"',
                         svg, count=1)


def _find_renderer() -> str:
    """``dot`` on PATH, else ``graphviz-pure`` on PATH or next to this Python (pip puts it there)."""
    for program in ("dot", "graphviz-pure"):
        found = shutil.which(program)
        if found:
            return found
    for folder in _script_dirs():
        for program in ("graphviz-pure", "graphviz-pure.exe"):
            candidate = Path(folder) / program
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    raise GraphvizNotFound(
        "draw: cannot render: neither Graphviz's `dot` program (on PATH) nor the `graphviz-pure` "
        "program (next to this Python) was found. Install one of them: "
        "`pip install graphviz-pure` (no system install needed), or Graphviz itself "
        "(`apt-get install graphviz`, `brew install graphviz`, `conda install graphviz`). "
        "Drawing.source still gives the DOT text.")


def _script_dirs() -> list[str]:
    return list(dict.fromkeys([str(Path(sys.executable).parent), sysconfig.get_path("scripts")]))


def _run_renderer(source: str, fmt: str, extra: tuple, timeout: float) -> bytes:
    program = _find_renderer()
    name = Path(program).name
    try:
        done = subprocess.run([program, f"-T{fmt}", *extra], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DrawingError(f"draw: {name} took more than {timeout:g} s to lay out the graph; "
                           f"draw a part of it with start=..., try cluster=False, or raise "
                           f"timeout") from None
    except OSError as e:
        raise DrawingError(f"draw: could not run {program}: {e}") from None
    if done.returncode != 0:
        raise DrawingError(f"draw: {name} could not render the graph as {fmt} "
                           f"({_how_it_ended(done.returncode)}): {_reason(done.stderr)}")
    return done.stdout


def _how_it_ended(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _reason(stderr: bytes) -> str:
    """The renderer's own message, or, when it said nothing (a crash), what usually causes it."""
    message = visible(stderr.decode("utf-8", "replace").strip())[:500]
    return message or ("it gave no message; a crash like this usually means the graph is too big "
                       "or too tangled for it (one value used at many depths): draw a part with "
                       "start=<a node>, or try cluster=False")
