"""The Pythons glassgrad claims: pyproject's ``requires-python``, and what CI tests.

``.ci/run`` runs README's test command with the default ``python3``, then nox (``noxfile.py``)
for every other CPython that ``requires-python`` admits and the machine has, and reports each
supported version it did not find. What holds on which version: docs/guarantees.md (CPython
3.13's expected failure, a deep graph dropped in a small-stack thread, is an ``xfail`` in
tests/test_reliability_threads.py, so a 3.13 run passes with "1 xfailed").
These tests check what can be checked quickly: README's command is in .ci/run word for word, the
noxfile has a tests session per supported version, and its plan reads ``requires-python`` and
reports a missing version rather than passing over it.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"
NOXFILE = ROOT / "noxfile.py"

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib
from packaging.specifiers import SpecifierSet

REQUIRES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
HERE = ".".join(platform.python_version().split(".")[:2])


@pytest.fixture(scope="module")
def noxfile():
    """noxfile.py as a module. Importing it puts the interpreters it found first on PATH (for
    nox): PATH is put back afterwards, so the rest of the suite sees the PATH it had."""
    pytest.importorskip("nox")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", os.environ.get("PATH", ""))
        spec = importlib.util.spec_from_file_location("glassgrad_noxfile", NOXFILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def plan(tmp_path: Path, requires: str, *pythons: str, pyenv: list[str] = ()) -> list[list[str]]:
    """``python noxfile.py`` in a copy of the project with a pyproject admitting ``requires``,
    ``pythons`` (linked as python3.N) the only ones on PATH and ``pyenv`` in a pyenv root."""
    project, bin_dir, pyenv_root = tmp_path / "project", tmp_path / "bin", tmp_path / "pyenv"
    for folder in (project, bin_dir, pyenv_root / "versions"):
        folder.mkdir(parents=True)
    shutil.copy(NOXFILE, project / "noxfile.py")
    (project / "pyproject.toml").write_text(f'[project]\nname = "x"\nrequires-python = "{requires}"\n')
    for python in pythons:
        name = "python" + ".".join(python_version(python).split(".")[:2])
        (bin_dir / name).symlink_to(python)
    for python in pyenv:
        version_bin = pyenv_root / "versions" / python_version(python) / "bin"
        version_bin.mkdir(parents=True)
        (version_bin / "python3").symlink_to(python)
    out = subprocess.run([sys.executable, "noxfile.py"], capture_output=True, text=True, cwd=project,
                         timeout=240, env=dict(os.environ, PATH=str(bin_dir), PYENV_ROOT=str(pyenv_root)))
    assert out.returncode == 0, out.stderr
    return [line.split(maxsplit=3) for line in out.stdout.splitlines()]


def python_version(python: str) -> str:
    return subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, timeout=60).stdout.strip()


def supported_minors(requires: str, newest: int) -> list[str]:
    spec = SpecifierSet(requires)
    return [f"3.{n}" for n in range(newest + 1) if f"3.{n}.0" in spec or f"3.{n}.99" in spec]


# -- .ci/run --------------------------------------------------------------------------------

def test_ci_runs_readmes_test_command_word_for_word():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("run the tests**"):]
    command = re.search(r"```bash\n(.*?)\n```", section, re.S).group(1)
    assert command.startswith("python3 -m venv .venv")
    assert command in CI_RUN.read_text().splitlines()


def test_ci_runs_nox_for_every_version_the_plan_finds_except_python3s():
    text = CI_RUN.read_text()
    assert "plan=$(.venv/bin/python noxfile.py)" in text
    assert '.venv/bin/nox -r -s "$1"' in text
    assert 'run) [ "$minor" = "$default_minor" ] || session "tests-$minor" "$version" ;;' in text
    assert "missing) missing_versions+=" in text and "MISSING" in text
    assert 'session pyodide "3.14 (Pyodide)"' in text  # the suite under Pyodide, after the CPythons
    assert len(text.splitlines()) <= 120


def test_nox_comes_from_the_dev_extra():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(re.match(r"nox\b", requirement) for requirement in extras["dev"])


# -- noxfile.py -----------------------------------------------------------------------------

def test_this_python_is_one_pyproject_admits():
    assert platform.python_version() in SpecifierSet(REQUIRES), (
        f"Python {platform.python_version()} is not admitted by requires-python {REQUIRES!r}")


def test_there_is_a_tests_session_per_supported_version_and_pyodide_and_bench_kept_out(noxfile):
    newest = noxfile.newest_minor(datetime.date.today())
    assert noxfile.PYTHONS[: len(supported_minors(REQUIRES, newest))] == supported_minors(REQUIRES, newest)
    assert HERE in noxfile.PYTHONS and "3.10" in noxfile.PYTHONS
    assert noxfile.nox.options.sessions == ["tests"]  # `nox` alone never runs the benchmark
    assert noxfile.nox.options.download_python == "never"
    listed = subprocess.run([sys.executable, "-m", "nox", "-l", "-f", str(NOXFILE)], capture_output=True,
                            text=True, cwd=ROOT, timeout=240)
    assert listed.returncode == 0, listed.stderr
    sessions = re.findall(r"^[*-] (\S+)", listed.stdout, re.M)
    assert sessions == [f"tests-{m}" for m in noxfile.PYTHONS] + ["pyodide", "bench"]


@pytest.mark.parametrize("today, newest", [((2026, 9, 30), 14), ((2026, 10, 1), 15), ((2020, 10, 5), 9)])
def test_the_newest_supported_version_comes_from_the_date(noxfile, today, newest):
    assert noxfile.newest_minor(datetime.date(*today)) == newest


def test_the_plan_runs_this_python_found_on_path_or_in_pyenv(tmp_path):
    assert plan(tmp_path / "path", f"=={HERE}.*", sys.executable) == [
        ["run", HERE, platform.python_version(), str(tmp_path / "path" / "bin" / f"python{HERE}")]]
    found = plan(tmp_path / "pyenv", f"=={HERE}.*", pyenv=[sys.executable])
    assert found == [["run", HERE, platform.python_version(),
                      str(tmp_path / "pyenv" / "pyenv" / "versions" / platform.python_version() / "bin" / "python3")]]


def test_the_plan_reports_every_supported_version_it_does_not_find(tmp_path):
    """With no Pythons to hand each supported minor version (up to this one at least) is
    reported missing, and none is run or passed over."""
    lines = plan(tmp_path, REQUIRES)
    assert all(kind == "missing" for kind, *_ in lines)
    missing = [rest[0] for _, *rest in lines]
    assert supported_minors(REQUIRES, sys.version_info.minor) == missing[: len(supported_minors(REQUIRES, sys.version_info.minor))]
    assert all(f"{m}.0" in SpecifierSet(REQUIRES) or f"{m}.99" in SpecifierSet(REQUIRES) for m in missing)


@pytest.mark.parametrize("requires", ["<3.0", ">=4"])
def test_the_plan_leaves_out_a_python_requires_python_does_not_admit(tmp_path, requires):
    assert [line for line in plan(tmp_path, requires, sys.executable) if line[0] == "run"] == []


def test_the_plan_keeps_the_newest_final_cpython_of_each_minor_version(noxfile):
    answers = {"/a/3.12.1": ("cpython", "3.12.1", "final"), "/b/3.12.4": ("cpython", "3.12.4", "final"),
               "/c/3.13.0rc1": ("cpython", "3.13.0rc1", "candidate"), "/d/pypy": ("pypy", "3.10.14", "final"),
               "/e/shim": None, "/f/3.9": ("cpython", "3.9.18", "final")}
    found, missing, skipped = noxfile.plan(SpecifierSet(">=3.10"), list(answers), datetime.date(2024, 11, 1),
                                           ask=answers.get)
    assert found == {"3.12": ("3.12.4", "/b/3.12.4")}
    assert missing == ["3.10", "3.11", "3.13"]
    assert skipped == ["3.13.0rc1 (/c/3.13.0rc1): a pre-release", "3.10.14 (/d/pypy): pypy, not CPython"]
