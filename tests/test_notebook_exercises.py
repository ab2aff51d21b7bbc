"""The notebooks as shipped give no answer away, and the test run checks every solution.

Each solution is written once, in the Solution block under its exercise; the test run fills the
blanks from there (notebooks/conftest.py) and fails when a check does not say right.
"""

import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
if "notebook_exercises" not in sys.modules:   # notebooks/ is no package: load the module by its path
    _spec = importlib.util.spec_from_file_location("notebook_exercises", NOTEBOOKS / "notebook_exercises.py")
    sys.modules["notebook_exercises"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["notebook_exercises"])
exercises_module = sys.modules["notebook_exercises"]
exercises, filled, spoilers = exercises_module.exercises, exercises_module.filled, exercises_module.spoilers
ExerciseError = exercises_module.ExerciseError

LESSONS = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def solution(*lines: str) -> str:
    return "<details><summary><b>Solution</b></summary>\n\n```python\n" + "\n".join(lines) + "\n```\n</details>"


def test_there_are_lessons():
    assert len(LESSONS) >= 6


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_a_shipped_notebook_shows_no_solution(path):
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    assert found, "every lesson has exercises"
    assert spoilers(nb) == []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert "lab.solutions" not in cell.source and "GLASSGRAD_SOLUTIONS" not in cell.source, i
    for exercise in found:                # saved as a learner first meets it
        shown = json.dumps(nb.cells[exercise.cell].outputs, ensure_ascii=False)
        assert "fill in the blank" in shown and "✓" not in shown and "✗" not in shown, exercise.cell


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_no_saved_output_shows_a_tick_under_a_blank(path):
    # the project hook's rule, checked here for every cell (exercises() needs name = ___ lines)
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code" and re.search(r"\b___\b", cell.source):
            assert "✓" not in json.dumps(cell.get("outputs", []), ensure_ascii=False), f"cell {i}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_filling_replaces_every_blank_with_its_solution(path):
    nb = nbformat.read(path, as_version=4)
    full = filled(nb)
    for exercise in exercises(nb):
        source = full.cells[exercise.cell].source
        for name, answer in exercise.blanks.items():
            assert f"{name} = {answer}" in source
        assert not re.search(r"=\s*___\b", source)
    assert "_lab.verdicts()" in full.cells[-1].source and len(full.cells) == len(nb.cells) + 1
    assert nbformat.read(path, as_version=4) == nb                   # the file itself keeps its blanks


def test_exercise_and_solution_format():
    nb = nbformat.v4.new_notebook(cells=[
        code("from autograd.tools.lab import ___\nx = 3"),
        code("a = ___   # first\n    b = ___\ncheck(a, b)  # ___ in a comment, '___' in a string"),
        md("some text"),
        md(solution("a = 2 * x  # the comment stays with the code", "b = [1, 2]", "a = 99", "  c = 1")),
    ])
    [ex] = exercises(nb)
    assert (ex.cell, ex.solution_cell, ex.blanks) == (1, 3, {"a": "2 * x  # the comment stays with the code",
                                                              "b": "[1, 2]"})
    assert filled(nb, final_check=False).cells[1].source.splitlines()[:2] == [
        "a = 2 * x  # the comment stays with the code   # first", "    b = [1, 2]"]


@pytest.mark.parametrize("cells, message", [
    ([code("f(___)"), md(solution("a = 1"))], r"cell 0, line 1: a blank stands alone on the right"),
    ([code("a = ___"), code("print(a)"), md(solution("a = 1"))], r"cell 0: the exercise \(a\) has no Solution"),
    ([code("a = ___")], r"cell 0: the exercise \(a\) has no Solution"),
    ([code("a = ___\nb = ___"), md(solution("a = 1"))], r"cell 1: the Solution block of cell 0 gives no line `b = ...`"),
    ([code("a = ___"), md("<details>`a = 1`</details>")], r"gives no line `a = ...` in a ```python block"),
    ([code("a = (___"), md(solution("a = 1"))], r"cell 0: cannot read the cell's code"),
])
def test_badly_written_exercises_are_named(cells, message):
    with pytest.raises(ExerciseError, match=message):
        exercises(nbformat.v4.new_notebook(cells=cells))


def test_spoilers_found():
    nb = nbformat.v4.new_notebook(cells=[
        code('hint = "try (yhat - y) / 2"'),
        code("d = ___", outputs=[nbformat.v4.new_output("stream", text="✓ d: 3 (expected 3)\n")]),
        md(solution('d = "(yhat - y) / 2"')),
        md("after the exercise, (yhat - y) / 2 may be shown"),
    ])
    assert spoilers(nb) == ["cell 1: a cell with a blank whose saved output shows ✓ (saved with its answers filled in)",
                            'cell 0: shows the solution of d (cell 1): "(yhat - y) / 2"']
    nb.cells[1].outputs = []
    nb.cells[0].source = "<details>collapsed: (yhat - y) / 2</details>"
    nb.cells[0].cell_type = "markdown"
    assert spoilers(nb) == []


def test_the_test_run_fails_on_a_wrong_solution_and_passes_on_right_ones():
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    def run(answer: str):
        nb = nbformat.v4.new_notebook(cells=[
            code("from autograd.tools import lab\nfrom autograd.tools.lab import ___"),
            code('slope = ___\nslope = lab.check_answer("slope", slope, expected=6.0)'),
            md(solution(f"slope = {answer}")),
        ])
        NotebookClient(filled(nb), timeout=60, kernel_name="python3").execute()
        return nbformat.writes(nb)

    run("2 * 3")
    with pytest.raises(CellExecutionError, match=r"checks that did not say right: \['slope: wrong'\]"):
        run("5")


@pytest.mark.parametrize("answer, passes", [("2 * 3", True), ("5", False)])
def test_pytest_nbmake_runs_a_lesson_with_its_solution_filled_in(tmp_path, answer, passes):
    # notebooks/conftest.py as the test command uses it, on a copy of the folder with one lesson
    import shutil
    import subprocess

    for name in ("conftest.py", "notebook_exercises.py"):
        shutil.copy(NOTEBOOKS / name, tmp_path / name)
    nb = nbformat.v4.new_notebook(cells=[
        code("from autograd.tools import lab\nfrom autograd.tools.lab import ___"),
        code('slope = ___\nslope = lab.check_answer("slope", slope, expected=6.0)'),
        md(solution(f"slope = {answer}")),
    ])
    nbformat.write(nb, tmp_path / "00_lesson.ipynb")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")        # not the project's settings
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbmake", "-p", "no:cacheprovider",
                          "-c", str(tmp_path / "pytest.ini"), "00_lesson.ipynb"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (run.returncode == 0) == passes, run.stdout[-2000:]
    if not passes:
        assert "checks that did not say right: ['slope: wrong']" in run.stdout
    assert nbformat.read(tmp_path / "00_lesson.ipynb", as_version=4) == nb     # the lesson keeps its blank
