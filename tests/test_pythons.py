"""The Pythons glassgrad claims: pyproject's ``requires-python``, and what ``.ci/run`` tests.

``.ci/run`` runs README's test command with the default ``python3``, then the whole suite with
every other CPython that ``requires-python`` admits and the machine has, and reports each
supported version it did not find. What holds on which version: docs/guarantees.md.
These tests check the parts that can be checked quickly: README's command is in it word for
word, and the snippet that picks the Pythons reads ``requires-python`` and reports a missing
version rather than passing over it.
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib
from packaging.specifiers import SpecifierSet

REQUIRES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def default_python3_minor() -> str | None:
    """The minor version of ``python3`` on PATH: README's command tests that one."""
    try:
        out = subprocess.run(["python3", "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return minor(out.stdout.strip()) if out.returncode == 0 else None


def plan(tmp_path: Path, requires: str, *pythons: str) -> list[list[str]]:
    """Run .ci/run's snippet that picks the Pythons, with a pyproject admitting ``requires``."""
    snippet = re.search(r"<<'PY'\n(.*?)\nPY\n", CI_RUN.read_text(), re.S)
    assert snippet, ".ci/run: the Python snippet (<<'PY' ... PY) is not there"
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\nrequires-python = "{requires}"\n')
    out = subprocess.run([sys.executable, "-", *pythons], input=snippet.group(1), capture_output=True,
                         text=True, cwd=tmp_path, timeout=240)
    assert out.returncode == 0, out.stderr
    lines = [line.split(maxsplit=3) for line in out.stdout.splitlines()]
    assert lines[0] == ["requires-python", str(SpecifierSet(requires))]
    return lines[1:]


def test_ci_runs_readmes_test_command_word_for_word():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("run the tests**"):]
    command = re.search(r"```bash\n(.*?)\n```", section, re.S).group(1)
    assert command.startswith("python3 -m venv .venv")
    assert command in CI_RUN.read_text().splitlines()


def test_this_python_is_one_pyproject_admits():
    assert platform.python_version() in SpecifierSet(REQUIRES), (
        f"Python {platform.python_version()} is not admitted by requires-python {REQUIRES!r}")


def test_ci_tests_this_python_unless_readmes_command_did(tmp_path):
    here = minor(platform.python_version())
    lines = plan(tmp_path, f"=={here}.*", sys.executable, str(tmp_path / "no-such-python3"))
    if default_python3_minor() == here:
        assert lines == []        # README's command has tested this minor version
    else:
        assert lines == [["run", here, platform.python_version(), sys.executable]]


def test_ci_reports_every_supported_version_it_does_not_find(tmp_path):
    """With no Pythons to hand, each supported minor version (up to this one at least) is
    reported missing, except the default python3's, and none is run or passed over."""
    lines = plan(tmp_path, REQUIRES)
    assert all(kind == "missing" for kind, *_ in lines)
    missing = {rest[0] for _, *rest in lines}
    default = default_python3_minor()
    expected = {f"3.{n}" for n in range(sys.version_info.minor + 1)
                if f"3.{n}.0" in SpecifierSet(REQUIRES) or f"3.{n}.99" in SpecifierSet(REQUIRES)} - {default}
    assert expected <= missing
    assert all(f"{m}.0" in SpecifierSet(REQUIRES) or f"{m}.99" in SpecifierSet(REQUIRES) for m in missing)


@pytest.mark.parametrize("requires", ["<3.0", ">=4"])
def test_ci_leaves_out_a_python_requires_python_does_not_admit(tmp_path, requires):
    lines = plan(tmp_path, requires, sys.executable)
    assert [line for line in lines if line[0] == "run"] == []
