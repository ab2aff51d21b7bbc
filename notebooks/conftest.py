"""The test run executes every notebook with its blanks filled in from its own Solution blocks.

nbmake runs the file its item names; before each notebook's run, that name is pointed at a copy
with every ``___`` replaced by the solution written in the collapsed block under the exercise
(:func:`notebook_exercises.filled`), so every check runs on its solution. The notebook in the
repository keeps its blanks.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograd.errors import FileWriteError
from autograd.files import write_atomically
from notebook_exercises import filled

HERE = Path(__file__).resolve().parent

# --doctest-modules would import this file again under the name tests/conftest.py has ("conftest"):
# an "import file mismatch" error. It holds no doctests (tests/conftest.py ignores itself likewise).
collect_ignore = ["conftest.py"]


def _is_lesson(item) -> bool:
    path = Path(str(getattr(item, "filename", "")))
    return bool(getattr(item, "nbmake", False)) and path.suffix == ".ipynb" and \
        (Path(str(item.config.rootdir)) / path).resolve().parent == HERE


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not _is_lesson(item):
        return
    source = (Path(str(item.config.rootdir)) / item.filename).resolve()
    folder = Path(tempfile.mkdtemp(prefix="glassgrad-filled-"))
    target = folder / source.name
    text = nbformat.writes(filled(nbformat.read(source, as_version=4)))

    def fail(message: str) -> Exception:
        return FileWriteError(f"notebooks/conftest.py: {message}")

    write_atomically(target, text.encode("utf-8"), fail)
    item.glassgrad_filled = (item.filename, folder)
    item.filename = str(target)


def pytest_runtest_teardown(item):
    original = getattr(item, "glassgrad_filled", None)
    if original is not None:
        item.filename, folder = original
        shutil.rmtree(folder, ignore_errors=True)
        del item.glassgrad_filled
