"""The ``glassgrad`` command under abuse: random command lines, odd bytes, odd terminals, full
disks, closed pipes, Ctrl-C. Always exit 0, 1 or 2 (130 after Ctrl-C) with one clear line on
stderr, never a traceback, and never a half-written output file.

``tests/test_cli*.py`` fuzz the formula text; here the fuzz is over the *shape* of the command
line (which options, in which order, repeated, missing their value...), run in-process through
``main(argv)`` in a fresh folder, plus a few real processes for what only a process shows:
bytes that are not UTF-8, an ASCII-only terminal, stdout on a full disk or a closed pipe, SIGINT.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.cli import main

GLASSGRAD = [sys.executable, "-m", "nn"]
STATS = {"command lines": 0}


def call(argv, cwd):
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def clean(code, err, allowed=(0, 1, 2)):
    assert code in allowed, (code, err)
    assert "Traceback" not in err
    if code:
        lines = err.splitlines()
        assert lines and lines[0].startswith("glassgrad"), err
        assert len(lines) in (1, 3), lines        # one line, or one line + the formula and a caret


def run(*args, cwd, env=None, timeout=120, **kwargs):
    return subprocess.run([*GLASSGRAD, *args], cwd=cwd, capture_output=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})), **kwargs)


# -- random command lines, in-process ------------------------------------------------------------------

FORMULAS = ["sigmoid(w*x + b)", "x**2", "-x", "log(x)", "x/y", "2*3", "W1[0,1]*x", "relu(x) - abs(y)",
            "(x", "x ^ 2", "", " ", "z", "exp(1000*x)", "-.5*x", "--x", "-o", "--at"]
ATS = ["w=0.5,x=2,b=-1", "x=1", "x=1,x=2", "x=", "=1", "x=nan", "x=1e999", "W1[0,1]=3", "y=0", "x=1,,y=2",
       "x=-0", "<script>=1", "x=0x10", "x=1_000", "ŷ=1", "x = 2 , y = 3"]
OPTIONS = [["--at"], ["--json"], ["--all"], ["--per-op"], ["--wrt", "x"], ["--wrt", "nope"], ["--wrt"],
           ["-o", "out.svg"], ["-o", "out.png"], ["-o", "out.dot"], ["-o", "out.html"], ["-o", "out.txt"],
           ["-o", "noext"], ["-o", "-"], ["-o", "sub/dir/out.svg"], ["-o"], ["--rankdir", "TB"],
           ["--rankdir", "XX"], ["--no-backward"], ["--"], ["-q"], ["--help"], ["--at=x=1"], ["--json=1"]]
SUBCOMMANDS = ["grad", "explain", "check", "draw", "step", "", "nope", "demo"]


@st.composite
def command_lines(draw):
    sub = draw(st.sampled_from(SUBCOMMANDS))
    parts = [[sub]] if sub else []
    pieces = draw(st.lists(st.one_of(
        st.sampled_from(FORMULAS).map(lambda f: [f]),
        st.sampled_from(ATS).map(lambda a: ["--at", a]),
        st.sampled_from(OPTIONS)), max_size=6))
    argv = [arg for part in parts + pieces for arg in part]
    if sub == "demo":   # keep the training tiny
        argv += ["--epochs", "1", "--samples", "6", "--no-progress", "--out", "demo-out"]
    return argv


@pytest.mark.timeout(600)
@settings(max_examples=settings.default.max_examples)
@given(argv=command_lines())
def test_random_command_lines_exit_cleanly_and_never_leave_half_files(argv, tmp_path_factory):
    STATS["command lines"] += 1
    folder = tmp_path_factory.mktemp("cli")
    code, out, err = call(argv, folder)
    clean(code, err)
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    if code:
        assert written == [], (argv, written)       # a failed command writes nothing
    assert not [name for name in written if name.endswith(".tmp") or name.startswith(".")]


# -- what only a real process shows ------------------------------------------------------------------

def one_line_error(result, code):
    err = result.stderr.decode("utf-8", "replace") if isinstance(result.stderr, bytes) else result.stderr
    assert result.returncode == code, (result.returncode, err)
    clean(result.returncode, err)
    return err


@pytest.mark.timeout(120)
def test_bytes_that_are_not_utf8_in_the_command_line(tmp_path):
    for argv, code in ([b"grad", b"x\xff", b"--at", b"x=1"], 2), ([b"grad", b"x", b"--at", b"x=1\xff"], 2), \
                      ([b"draw", b"x*2", b"--at", b"x=1", b"-o", b"\xffa.svg"], 0):
        result = subprocess.run([sys.executable.encode(), b"-m", b"nn", *argv], cwd=tmp_path,
                                capture_output=True, timeout=120)
        one_line_error(result, code)
    assert (tmp_path / os.fsdecode(b"\xffa.svg")).read_bytes().lstrip().startswith((b"<?xml", b"<svg"))


@pytest.mark.timeout(120)
def test_an_ascii_only_terminal_gets_escapes_not_a_crash(tmp_path):
    env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"}
    result = run("explain", "sigmoid(w*x) + ŷ", "--at", "w=1,x=2,ŷ=0.5", "--all", cwd=tmp_path, env=env)
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    assert b"\\u2202" in result.stdout                              # the escaped partial sign
    result = run("grad", "ŷ*(", "--at", "ŷ=1", cwd=tmp_path, env=env)
    one_line_error(result, 2)


@pytest.mark.timeout(120)
def test_an_output_file_on_a_full_disk_is_a_one_line_error(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    for name, command in (("full.svg", "draw"), ("full.html", "step")):
        (tmp_path / name).symlink_to("/dev/full")
        one_line_error(run(command, "x*2", "--at", "x=1", "-o", name, cwd=tmp_path), 1)


@pytest.mark.timeout(120)
def test_stdout_on_a_full_disk_is_a_one_line_error(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        result = subprocess.run([*GLASSGRAD, "grad", "x*y", "--at", "x=1,y=2", "--json"], cwd=tmp_path,
                                stdout=full, stderr=subprocess.PIPE, timeout=120)
    one_line_error(result, 1)


@pytest.mark.timeout(120)
def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    proc = subprocess.Popen([*GLASSGRAD, "explain", "+".join(f"x{i}*y{i}" for i in range(30)), "--all",
                             "--at", ",".join(f"x{i}=1,y{i}=2" for i in range(30))],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()                              # like `glassgrad ... | head -c 10`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(120) in (0, 1) and "Traceback" not in err


@pytest.mark.timeout(180)
def test_ctrl_c_during_the_demo_is_one_line_and_exit_130(tmp_path):
    proc = subprocess.Popen([*GLASSGRAD, "demo", "--epochs", "100000", "--samples", "200", "--no-progress",
                             "--out", "out"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.stdout.readline().startswith(b"glassgrad demo:")   # the training has begun
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-500:]
    assert err.decode().strip().splitlines()[-1] == "glassgrad: interrupted"
    assert b"Traceback" not in err


@pytest.mark.timeout(120)
def test_a_formula_as_long_as_one_argument_can_be_is_refused_quickly(tmp_path):
    result = run("grad", "x+" * 60_000 + "x", "--at", "x=1", cwd=tmp_path, timeout=60)   # 120 kB: near the OS limit
    err = one_line_error(result, 2)
    assert "too long" in err and len(err) < 2000
