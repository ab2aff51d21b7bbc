"""The notebooks' exercises and their solutions, read from the notebooks themselves.

An exercise is a code cell with one or more blanks, each alone on the right of an assignment::

    slope = ___        # the slope at 2

Its solution is written once, in the collapsed *Solution* block (a markdown cell opening with
``<details>``) that follows the exercise, as a line of a fenced ``python`` block::

    <details><summary><b>Solution</b> (click to open)</summary>

    ```python
    slope = (f(2 + h) - f(2)) / h
    ```
    </details>

Nothing else holds a solution: the notebook as shipped shows only the blanks (and, once run
without solutions, the checks' "fill in the blank"). The test run executes :func:`filled`, the
notebook with every blank replaced by its solution, so every check runs on its solution;
:func:`spoilers` lists what would give a solution away in a notebook as saved.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_code_cell("x = ___   # twice 3\\ncheck(x)"),
...     nbformat.v4.new_markdown_cell("<details><summary>Solution</summary>\\n\\n```python\\nx = 2 * 3\\n```\\n</details>")])
>>> [(e.cell, e.blanks) for e in exercises(nb)]
[(0, {'x': '2 * 3'})]
>>> filled(nb, final_check=False).cells[0].source
'x = 2 * 3   # twice 3\\ncheck(x)'
"""

from __future__ import annotations

import copy
import io
import re
import tokenize
from dataclasses import dataclass, field

import nbformat

BLANK = "___"
_ASSIGNMENT = re.compile(r"^(?P<indent>\s*)(?P<name>[A-Za-z_]\w*)\s*=\s*___(?P<rest>\s*(#.*)?)$")
_FENCE = re.compile(r"```python\n(.*?)```", re.S)
_SOLUTION_LINE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<code>\S.*?)\s*$")
CHECK_MARKS = ("✓", "✗")


class ExerciseError(ValueError):
    """A notebook's exercise is not written as this module reads it (says which cell and why)."""


@dataclass
class Exercise:
    """A code cell with blanks: ``blanks`` maps each blank's variable to its solution's code."""

    cell: int
    solution_cell: int
    blanks: dict[str, str] = field(default_factory=dict)


def _blank_lines(source: str) -> list[int]:
    """The numbers (from 0) of the lines where the name ``___`` is used as code (not in a string
    or a comment)."""
    lines = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and token.string == BLANK:
                lines.append(token.start[0] - 1)
    except (tokenize.TokenError, IndentationError) as error:
        raise ExerciseError(f"cannot read the cell's code: {error}") from None
    return sorted(set(lines))


def _is_import(line: str) -> bool:
    return line.lstrip().startswith(("from ", "import "))


def _solution_lines(markdown: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in _FENCE.findall(markdown):
        for line in block.splitlines():
            match = _SOLUTION_LINE.match(line)
            if match and match["name"] not in found:
                found[match["name"]] = match["code"]
    return found


def _is_solution_block(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith("<details")


def exercises(nb) -> list[Exercise]:
    """Every exercise of ``nb`` with its solutions; :class:`ExerciseError` when a blank is not
    ``name = ___`` on a line of its own, or has no solution in the Solution block after it."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            rows = _blank_lines(cell.source)
        except ExerciseError as error:
            raise ExerciseError(f"cell {i}: {error}") from None
        lines = cell.source.splitlines()
        names = []
        for row in rows:
            if _is_import(lines[row]):
                continue
            match = _ASSIGNMENT.match(lines[row])
            if match is None:
                raise ExerciseError(f"cell {i}, line {row + 1}: a blank stands alone on the right of "
                                    f"an assignment, as in `answer = ___`; got {lines[row].strip()!r}")
            names.append(match["name"])
        if not names:
            continue
        block = next((j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"
                      or _is_solution_block(nb.cells[j])), None)
        if block is None or not _is_solution_block(nb.cells[block]):
            raise ExerciseError(f"cell {i}: the exercise ({', '.join(names)}) has no Solution block "
                                "(a markdown cell opening with <details>) before the next code cell")
        solutions = _solution_lines(nb.cells[block].source)
        missing = [n for n in names if n not in solutions]
        if missing:
            raise ExerciseError(f"cell {block}: the Solution block of cell {i} gives no line "
                                f"`{missing[0]} = ...` in a ```python block")
        found.append(Exercise(i, block, {n: solutions[n] for n in names}))
    return found


FINAL_CHECK = """\
# added by the test run: every check of this notebook ran on its solution, and said right
from autograd.tools import lab as _lab
_verdicts = _lab.verdicts()
_bad = [f"{name}: {verdict}" for name, verdict in _verdicts if verdict != "right"]
assert _verdicts and not _bad, f"checks that did not say right: {_bad or 'no check ran'}"
"""


def filled(nb, final_check: bool = True):
    """A copy of ``nb`` with every blank replaced by its solution, as a learner would type it;
    with ``final_check``, and exercises, a last cell asserts every check said right
    (:func:`autograd.tools.lab.verdicts`): a solution that is wrong fails the test run."""
    nb = copy.deepcopy(nb)
    found = exercises(nb)
    for exercise in found:
        cell = nb.cells[exercise.cell]
        lines = cell.source.split("\n")
        for row, line in enumerate(lines):
            match = _ASSIGNMENT.match(line)
            if match and match["name"] in exercise.blanks:
                lines[row] = (f"{match['indent']}{match['name']} = {exercise.blanks[match['name']]}"
                              f"{match['rest']}")
        cell.source = "\n".join(lines)
    if final_check and found:
        nb.cells.append(nbformat.v4.new_code_cell(FINAL_CHECK))
    return nb


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for value in out.get("data", {}).values():
            parts.append(value if isinstance(value, str) else str(value))
    return "".join(parts)


def _visible_markdown(source: str) -> str:
    return re.sub(r"<details>.*?</details>", "", source, flags=re.S)


def spoilers(nb, min_length: int = 6) -> list[str]:
    """What gives an answer away in ``nb`` as saved, one line each:

    * a cell holding a blank ``___`` whose saved output shows a check's verdict (✓ or ✗): it was
      saved from a run with its answers filled in, not as a learner first meets it;
    * a solution's code (``min_length`` characters or more, spaces ignored; not a bare variable
      name such as ``delta_o``, which names another answer) in a code cell, an
      output or a visible (not collapsed) markdown cell before the exercise's Solution block,
      unless the exercise cell's metadata says why it may stand there
      (``{"glassgrad": {"answer_shown_above": "why"}}``: an exercise to find and fix a difference).
    """
    found = []
    all_exercises = exercises(nb)
    asking = {e.cell for e in all_exercises}
    asking |= {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and BLANK in c.source}
    for i in sorted(asking):
        shown = _output_text(nb.cells[i])
        marks = [m for m in CHECK_MARKS if m in shown]
        if marks:
            found.append(f"cell {i}: a cell with a blank whose saved output shows {marks[0]} "
                         "(saved with its answers filled in)")
    for exercise in all_exercises:
        if nb.cells[exercise.cell].metadata.get("glassgrad", {}).get("answer_shown_above"):
            continue
        for name, code in exercise.blanks.items():
            needle = re.sub(r"\s+", "", code.strip("\"'"))
            if len(needle) < min_length or (needle == code and needle.isidentifier()):
                continue  # too short to give anything away, or the name of another variable
            for i, cell in enumerate(nb.cells[:exercise.solution_cell]):
                text = (_visible_markdown(cell.source) if cell.cell_type == "markdown"
                        else cell.source + _output_text(cell))
                if needle in re.sub(r"\s+", "", text):
                    found.append(f"cell {i}: shows the solution of {name} (cell {exercise.cell}): {code}")
    return found
