"""Output files of ``glassgrad`` (draw, step, demo) are written atomically: a failed write -- a
really full disk, an injected write error -- exits 1 with one line naming the file, keeps the
old file whole and leaves no temporary file. Also: what ``check`` refuses to take on.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import string
import subprocess
import time

import pytest

from nn import cli_commands
from nn.cli import MAX_CHECK_WORK
from test_reliability_cli import call

GOOD = b"<svg>a good old drawing</svg>\n" * 10


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def failing_writes(monkeypatch, code=errno.ENOSPC):
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        real_write = f.write

        def write(data):
            real_write(data[: len(data) // 2])
            raise OSError(code, os.strerror(code))

        f.write = write
        return f

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.parametrize("command, name", [("draw", "graph.svg"), ("draw", "graph.dot"), ("step", "steps.html")])
def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch, command, name):
    (tmp_path / name).write_bytes(GOOD)
    failing_writes(monkeypatch)
    code, _, err = call([command, "x*2", "--at", "x=1", "-o", name], tmp_path)
    monkeypatch.undo()
    line = one_line(err)
    assert code == 1 and name in line and "No space left" in line and "old file is unchanged" in line
    assert ".tmp" not in line
    assert (tmp_path / name).read_bytes() == GOOD
    assert os.listdir(tmp_path) == [name]


def test_a_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    failing_writes(monkeypatch, errno.EIO)
    code, _, err = call(["draw", "x*2", "--at", "x=1", "-o", "graph.dot"], tmp_path)
    monkeypatch.undo()
    assert code == 1 and "nothing was written" in one_line(err)
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="modes and FIFOs are POSIX")
def test_read_only_files_and_fifos_are_refused_and_kept(tmp_path):
    (tmp_path / "graph.dot").write_bytes(GOOD)
    (tmp_path / "graph.dot").chmod(0o444)
    code, _, err = call(["draw", "x*2", "--at", "x=1", "-o", "graph.dot"], tmp_path)
    assert code == 1 and "read-only" in one_line(err)
    assert (tmp_path / "graph.dot").read_bytes() == GOOD
    os.mkfifo(tmp_path / "pipe.html")
    code, _, err = call(["step", "x*2", "--at", "x=1", "-o", "pipe.html"], tmp_path)
    assert code == 1 and "FIFO" in one_line(err)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe.html").st_mode)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_an_output_symlink_is_written_through(tmp_path):
    (tmp_path / "real.dot").write_bytes(GOOD)
    (tmp_path / "link.dot").symlink_to("real.dot")
    code, _, err = call(["draw", "x*2", "--at", "x=1", "-o", "link.dot"], tmp_path)
    assert code == 0, err
    assert (tmp_path / "link.dot").is_symlink()
    assert (tmp_path / "real.dot").read_text().startswith("digraph")


def test_the_demo_keeps_an_old_file_it_cannot_replace(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "backprop-stepper.html").write_bytes(GOOD)
    (out / "backprop-stepper.html").chmod(0o444)
    code, _, err = call(["demo", "--epochs", "1", "--samples", "6", "--no-progress", "--out", "out"], tmp_path)
    assert code == 1 and "backprop-stepper.html" in one_line(err) and "read-only" in err
    assert (out / "backprop-stepper.html").read_bytes() == GOOD
    assert not [n for n in os.listdir(out) if n.endswith(".tmp")]


# -- a real full file system ------------------------------------------------------------------------

@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 kB tmpfs, or a skip when this process may not mount one (not root, a container...)."""
    if os.name != "posix" or shutil.which("mount") is None:
        pytest.skip("no mount command here")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip() or 'not permitted'})")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True)


def fill(folder):
    """Fill the file system of ``folder`` up, leaving (almost) no free block."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


@pytest.mark.timeout(120)
def test_a_really_full_disk_keeps_the_old_file(small_tmpfs):
    for command, name in (("draw", "graph.svg"), ("step", "steps.html")):
        (small_tmpfs / name).write_bytes(GOOD)
    fill(small_tmpfs)
    for command, name in (("draw", "graph.svg"), ("step", "steps.html")):
        code, _, err = call([command, "sigmoid(w*x + b)", "--at", "w=0.5,x=2,b=-1", "-o", name], small_tmpfs)
        assert code == 1 and name in one_line(err) and "No space left" in err
        assert (small_tmpfs / name).read_bytes() == GOOD
    assert sorted(os.listdir(small_tmpfs)) == ["filler", "graph.svg", "steps.html"]


# -- check: work it refuses --------------------------------------------------------------------------

def many_names(n):
    letters = string.ascii_lowercase
    pool = [a + b + c for a in letters for b in letters for c in letters]
    return [name for name in pool if name not in {"exp", "log", "abs", "and", "for", "not", "def", "del",
                                                  "try"}][:n]


def test_check_with_thousands_of_names_is_refused_quickly(tmp_path):
    names = many_names(2499)
    started = time.perf_counter()
    code, _, err = call(["check", "+".join(names), "--at", ",".join(f"{n}=1" for n in names)], tmp_path)
    assert time.perf_counter() - started < 5
    line = one_line(err)
    assert code == 2 and "2,499 names" in line and f"{MAX_CHECK_WORK:,}" in line and "glassgrad grad" in line


def test_check_just_under_the_limit_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_commands, "MAX_CHECK_WORK", 3 * 5)   # x+y+z: 3 names, 5 values
    code, out, _ = call(["check", "x+y+z", "--at", "x=1,y=2,z=3"], tmp_path)
    assert code == 0 and "ok" in out
    code, _, err = call(["check", "x+y+z+w", "--at", "x=1,y=2,z=3,w=4"], tmp_path)
    assert code == 2 and "4 names in a graph of 7 values" in one_line(err)
