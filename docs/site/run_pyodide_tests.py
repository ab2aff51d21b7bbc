"""glassgrad's tests under Pyodide, CPython 3.14 for WebAssembly, in Node.js: one command.

    python docs/site/run_pyodide_tests.py            # the engine's tests that Pyodide can run
    python docs/site/run_pyodide_tests.py tests/test_expression.py -x   # some files; pytest's options go through

It fetches what it needs as the site's build does (Pyodide from npm with ``npm ci``; pytest,
hypothesis and glassgrad's dependencies as pinned, hash-checked wheels from PyPI, cached in
~/.cache/glassgrad-site), then runs pytest inside Pyodide on the repository's ``tests/`` and
modules (their doctests), one pytest run per file, as the site's pages run glassgrad: Graphviz's
``dot`` is Graphviz wasm (``@viz-js/viz``) and thread pools run their jobs one after another
(docs/site/web/glassgrad_web.py). Left out: the files in :data:`LEFT_OUT` (a browser, packages
not shipped for Pyodide). A test that fails on what WebAssembly lacks is reported as skipped,
with the reason: starting a subprocess or a thread, rendering PNG (Graphviz for WebAssembly
renders SVG), an optional extra (SymPy, ipywidgets), a POSIX call (``os.mkfifo``). A test that
overflows WebAssembly's stack (CPython frees a graph thousands of nodes deep recursively, and the
overflow ends Pyodide) is listed apart by name and not counted; its file goes on in a fresh
Pyodide. The last line is the total: "N passed, M failed, K skipped"; the exit code is 1 when a
test failed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402  (docs/site/build.py: the same pinned downloads and cache)

REPO = HERE.parents[1]
LEFT_OUT: dict[str, str] = {
    "test_site_browser.py": "drives Chromium (a subprocess)",
    "test_stepper_browser.py": "drives Chromium (a subprocess)",
    "test_quiz_browser.py": "drives Chromium (a subprocess)",
    "test_reliability_state_machine.py": "NumPy scalars are among its inputs (NumPy has no wheel for Pyodide on PyPI)",
    "test_reliability_fuzz.py": "NumPy scalars and arrays are among its inputs",
    "test_reliability_extremes.py": "NumPy scalars are among its inputs",
    "test_notebook_exercises.py": "reads notebooks with nbformat (jsonschema, jupyter_core: not shipped here)",
}
"""Test files not run under Pyodide, each with why."""
DESELECTED: dict[str, str] = {
    "tests/test_nn_module.py::test_a_new_model_file_gets_the_permissions_the_umask_allows":
        "Emscripten's file system ignores the umask (a file made under umask 077 is 0o666)",
}
"""Single tests not run under Pyodide, each with why."""


def targets() -> list[str]:
    """What runs, one pytest run each: the doctests of autograd and nn, then each test file."""
    files = sorted(p.name for p in (REPO / "tests").glob("test_*.py"))
    return ["autograd", "nn", *(f"tests/{name}" for name in files if name not in LEFT_OUT)]


def pytest_args(extra: list[str]) -> list[str]:
    deselected = [arg for test in DESELECTED for arg in ("--deselect", test)]
    return [*deselected, "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-o", "markers=timeout: pytest-timeout's (not used here)",
            "-W", "ignore::pytest.PytestConfigWarning", "-rfEs", "--doctest-modules", *extra]


def main(argv: list[str]) -> int:
    node = shutil.which("node")
    if node is None:
        print("run_pyodide_tests.py: node is not on PATH: install Node.js 18+ (apt-get install nodejs npm)",
              file=sys.stderr)
        return 2
    try:
        modules = build.npm_modules()
        wheels = build.wheels(HERE / "site-wheels.txt") + build.wheels(HERE / "test-wheels.txt")
    except build.BuildError as e:
        print(f"run_pyodide_tests.py: {e}", file=sys.stderr)
        return 2
    for test, why in {**{f"tests/{name}": why for name, why in LEFT_OUT.items()}, **DESELECTED}.items():
        print(f"left out: {test}: {why}")
    chosen = [arg for arg in argv if not arg.startswith("-") and (REPO / arg.split("::")[0]).exists()]
    options = [arg for arg in argv if arg not in chosen]
    command = [node, str(HERE / "pyodide_tests.mjs"), str(modules), str(REPO), *map(str, wheels),
               "--", *(chosen or targets()), "--", *pytest_args(options)]
    return subprocess.run(command, cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
