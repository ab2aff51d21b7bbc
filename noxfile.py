"""nox sessions: glassgrad's test suite on every supported CPython, and a quick benchmark.

    nox -l                              # list the sessions (a tests-3.N for each supported version)
    nox -s tests-3.12                   # the whole suite on CPython 3.12, in .nox/tests-3-12
    nox -s tests-3.12 -- -k drawing     # arguments after -- go to pytest
    nox                                 # the tests on every supported CPython this machine has
    nox -s pyodide                      # the suite under Pyodide (CPython 3.14, WebAssembly) in Node
    nox -s bench                        # a quick benchmark run (not part of CI)

The supported versions are those ``requires-python`` admits, from its lower bound up to the
newest CPython released (a new minor version every October, PEP 602). nox finds a version's
interpreter on PATH; this file also looks in pyenv's versions (``$PYENV_ROOT/versions``, where a
pyenv shim for a version that is not selected cannot start) and puts the newest final CPython of
each minor version first on PATH. A version found nowhere is skipped, never downloaded.
``.ci/run`` runs README's test command, then these sessions for the other versions found.

``python noxfile.py`` prints the plan: ``run 3.12 3.12.1 /path/to/python3`` for each version
found, ``missing 3.14`` for each supported one that is not here, ``skip ...`` for what is left
out (a pre-release, another implementation).
"""

from __future__ import annotations

import datetime
import glob
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent
REQUIRES_PYTHON = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
ASK = ("import platform, sys; print(sys.implementation.name, platform.python_version(), "
       "sys.version_info.releaselevel)")


def newest_minor(today: datetime.date) -> int:
    """The newest CPython 3.N released by ``today``: 3.9 came out in October 2020, and a new
    minor version every October since (PEP 602)."""
    return today.year - 2011 - (today.month < 10)


def supported(spec: SpecifierSet, today: datetime.date, also: tuple[int, ...] = ()) -> list[str]:
    """Every minor version ``spec`` admits, up to the newest released (or one found that is newer)."""
    newest = max([newest_minor(today), *also])
    return [f"3.{n}" for n in range(newest + 1) if f"3.{n}.0" in spec or f"3.{n}.99" in spec]


def candidates(spec: SpecifierSet = REQUIRES_PYTHON) -> list[str]:
    """Interpreters to ask: pyenv's versions, then every python3.N on PATH; those whose name
    says they are a version ``spec`` does not admit (pyenv's 2.7.18, python3.6) are left out."""
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = [p for p in sorted(glob.glob(os.path.join(pyenv, "versions", "*", "bin", "python3")))
             if not re.fullmatch(r"\d+\.\d+\.\d+", Path(p).parent.parent.name)
             or Path(p).parent.parent.name in spec]
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for p in sorted(glob.glob(os.path.join(folder or ".", "python3.*"))):
            name = re.fullmatch(r"python(3\.\d+)", os.path.basename(p))
            if name and (f"{name[1]}.0" in spec or f"{name[1]}.99" in spec):
                found.append(p)
    return list(dict.fromkeys(found))


def describe(python: str) -> tuple[str, str, str] | None:
    """(implementation, version, release level) of ``python``, or None if it does not start
    (a pyenv shim for a version that is not selected)."""
    try:
        out = subprocess.run([python, "-c", ASK], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    fields = out.stdout.split()
    return (fields[0], fields[1], fields[2]) if out.returncode == 0 and len(fields) == 3 else None


def plan(spec: SpecifierSet, pythons: list[str], today: datetime.date,
         ask=describe) -> tuple[dict[str, tuple[str, str]], list[str], list[str]]:
    """({minor: (version, path)} for the newest final CPython of each supported minor version
    among ``pythons``, the supported minor versions missing, what was left out and why)."""
    best: dict[str, tuple[tuple[int, ...], str, str]] = {}
    skipped = []
    pythons = list(dict.fromkeys(pythons))
    with ThreadPoolExecutor(max_workers=8) as pool:  # each answer takes a process start
        answers = list(pool.map(ask, pythons))
    for python, info in zip(pythons, answers):
        if info is None:
            continue  # it does not start: a pyenv shim for a version that is not selected
        implementation, version, level = info
        if implementation != "cpython":
            skipped.append(f"{version} ({python}): {implementation}, not CPython")
        elif level != "final":
            skipped.append(f"{version} ({python}): a pre-release")
        elif re.fullmatch(r"\d+\.\d+\.\d+", version) and version in spec:
            key = tuple(int(part) for part in version.split("."))
            minor = ".".join(version.split(".")[:2])
            if minor not in best or key > best[minor][0]:
                best[minor] = (key, version, python)
    minors = supported(spec, today, tuple(int(m.split(".")[1]) for m in best))
    found = {m: (best[m][1], best[m][2]) for m in sorted(best, key=lambda m: best[m][0])}
    return found, [m for m in minors if m not in found], skipped


FOUND, MISSING, SKIPPED = plan(REQUIRES_PYTHON, candidates(), datetime.date.today())
PYTHONS = supported(REQUIRES_PYTHON, datetime.date.today(), tuple(int(m.split(".")[1]) for m in FOUND))
# nox looks for python3.N on PATH: the interpreters found above come first
os.environ["PATH"] = os.pathsep.join([*(str(Path(path).parent) for _, path in FOUND.values()),
                                      os.environ.get("PATH", "")])

if __name__ == "__main__":
    for minor, (version, path) in FOUND.items():
        print("run", minor, version, path)
    for minor in MISSING:
        print("missing", minor)
    for line in SKIPPED:
        print("skip", line)
    sys.exit(0)

import nox  # noqa: E402  (the plan above needs only the standard library and packaging)

nox.options.sessions = ["tests"]            # `nox` alone: the tests; the benchmark only when asked
nox.options.error_on_missing_interpreters = False  # a version not here is skipped (and reported)
nox.options.download_python = "never"      # never fetch an interpreter from the network


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite (unit, property and browser tests, doctests, notebooks), as README runs it."""
    session.install("-q", "-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=False)
def pyodide(session: nox.Session) -> None:
    """The suite under Pyodide (CPython 3.14 for WebAssembly) in Node.js: what Pyodide can run,
    the rest skipped or left out with the reason (docs/site/run_pyodide_tests.py; needs node, npm)."""
    session.run("python", "docs/site/run_pyodide_tests.py", *session.posargs, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """A quick benchmark run (a few minutes; writes nothing unless --out FILE is passed after --)."""
    session.install("-q", "-e", ".[bench,fast]")
    session.run("python", "-m", "benchmarks", "--quick", *session.posargs)
