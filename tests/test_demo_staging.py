"""``glassgrad demo`` writes into a temporary folder beside its output folder and moves the files
in together at the end (issue 23): an interrupt or a failure at any moment leaves the previous
run's files, none of this run's, and no temporary folder. Also ``autograd.files.replace_together``,
which does the moving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nn.demo
from autograd import FileWriteError
from autograd.files import replace_together
from nn.errors import CommandFailed

NAMES = {"decision-boundary.png", "loss-curve.png", "loss-graph.svg", "loss-graph.png",
         "loss-graph-full.svg", "backprop-stepper.html"}


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def demo(out: Path, seed: int):
    return nn.demo.run_demo(out, epochs=1, samples=8, seed=seed, progress=False, say=lambda line: None)


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory):
    """The files of a finished run (seed 0), to be put in ``out`` before each interrupted one."""
    folder = tmp_path_factory.mktemp("previous") / "out"
    demo(folder, seed=0)
    files = contents(folder)
    assert set(files) == NAMES
    return files


def fresh(tmp_path: Path, files: dict[str, bytes]) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


# After the two plots (written by nn.plot) four files go through write_output: the two loss
# graphs, the whole graph, the stepper. An interrupt before each of them; the next test
# interrupts each rename of the move.
@pytest.mark.parametrize("at", range(4))
def test_an_interrupt_while_writing_leaves_the_previous_files(at, tmp_path, monkeypatch, previous_run):
    out = fresh(tmp_path, previous_run)
    real, calls = nn.demo.write_output, []

    def write_output(path, data):
        calls.append(path)
        if len(calls) > at:
            raise KeyboardInterrupt
        return real(path, data)

    monkeypatch.setattr(nn.demo, "write_output", write_output)
    with pytest.raises(KeyboardInterrupt):
        demo(out, seed=1)
    assert contents(out) == previous_run
    assert os.listdir(tmp_path) == ["out"]  # no temporary folder left beside it


@pytest.mark.parametrize("at", range(6))
@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_an_interrupt_or_a_failure_while_moving_the_files_in_puts_every_old_file_back(
        at, failure, tmp_path, monkeypatch, previous_run):
    out = fresh(tmp_path, previous_run)
    real, state = os.replace, {"moved in": 0, "failed": False}

    def replace(src, dst):
        if Path(dst).parent == out and not state["failed"]:  # a file moved into out
            if state["moved in"] == at:
                state["failed"] = True
                raise failure
            state["moved in"] += 1
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    raised = KeyboardInterrupt if failure is KeyboardInterrupt else CommandFailed
    with pytest.raises(raised) as info:
        demo(out, seed=1)
    if failure is not KeyboardInterrupt:
        assert str(info.value).endswith("No space left on device; every file is as it was before")
    assert state["failed"]
    assert contents(out) == previous_run
    assert os.listdir(tmp_path) == ["out"]


def test_a_finished_run_replaces_every_file_and_leaves_no_temporary_folder(tmp_path, previous_run):
    out = fresh(tmp_path, previous_run)
    (out / "notes.txt").write_text("mine")
    (out / "backprop-stepper.html").chmod(0o640)
    result = demo(out, seed=1)
    after = contents(out)
    assert set(after) == NAMES | {"notes.txt"} and after["notes.txt"] == b"mine"
    assert after["loss-graph.svg"] != previous_run["loss-graph.svg"]  # another seed, another graph
    assert {p for p, _ in result.files} == {out / name for name in NAMES}
    assert (out / "backprop-stepper.html").stat().st_mode & 0o777 == 0o640  # its permissions kept
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.timeout(300)
def test_ctrl_c_after_training_leaves_the_previous_runs_files(tmp_path, previous_run):
    """Before: Ctrl-C while the demo wrote its files could leave part of this run's six.

    A Ctrl-C can land where Python only reports it ("Exception ignored in" a weakref callback)
    or after the files are in: then the run ends normally with all six of its own files, and
    the test tries again, a little sooner, until one run is really interrupted."""
    for attempt, delay in enumerate((0.2, 0.1, 0.05, 0.0, 0.0)):
        folder = tmp_path / f"attempt{attempt}"
        folder.mkdir()
        out = fresh(folder, previous_run)
        proc = subprocess.Popen([sys.executable, "-m", "nn", "demo", "--epochs", "1", "--samples", "8",
                                 "--seed", "1", "--no-progress", "--out", "out"], cwd=folder,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        for line in proc.stdout:
            if line.startswith(b"trained in"):  # the training is over: the files are being written
                break
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert os.listdir(folder) == ["out"]  # no temporary folder left, either way
        if proc.returncode == 0:  # not interrupted: this run's six files, whole
            assert set(contents(out)) == NAMES and contents(out) != previous_run
            continue
        assert proc.returncode == 130, err.decode()[-500:]
        assert err.decode().strip().splitlines()[-1] == "glassgrad: interrupted"
        assert contents(out) == previous_run
        return
    pytest.fail("no run of the demo was interrupted by Ctrl-C in five tries")


# -- replace_together ----------------------------------------------------------------------------

def staged(tmp_path: Path, names: list[str], text: str = "new") -> tuple[Path, Path]:
    staging, out = tmp_path / "staging", tmp_path / "out"
    staging.mkdir()
    out.mkdir(exist_ok=True)
    for name in names:
        (staging / name).write_text(f"{text} {name}")
    return staging, out


def test_replace_together_checks_every_target_before_moving_any(tmp_path):
    staging, out = staged(tmp_path, ["a", "b", "c"])
    (out / "a").write_text("old a")
    (out / "c").write_text("old c")
    (out / "c").chmod(0o444)
    with pytest.raises(FileWriteError, match=r"cannot write '.*/out/c': the file is read-only"):
        replace_together([(staging / n, out / n) for n in "abc"], FileWriteError)
    assert contents(out) == {"a": b"old a", "c": b"old c"}
    (out / "b").mkdir()
    (out / "c").chmod(0o644)
    with pytest.raises(FileWriteError, match=r"cannot write '.*/out/b': it is a folder, not a file"):
        replace_together([(staging / n, out / n) for n in "abc"], FileWriteError)
    assert (out / "a").read_text() == "old a" and (out / "b").is_dir()


def test_replace_together_moves_every_file_and_replaces_a_symlink_itself(tmp_path):
    staging, out = staged(tmp_path, ["a", "b"])
    (tmp_path / "elsewhere").write_text("kept")
    (out / "b").symlink_to(tmp_path / "elsewhere")
    replace_together([(staging / n, out / n) for n in "ab"], FileWriteError)
    assert contents(out) == {"a": b"new a", "b": b"new b"} and not (out / "b").is_symlink()
    assert (tmp_path / "elsewhere").read_text() == "kept"
    assert os.listdir(staging) == []


@pytest.mark.parametrize("bad", [3, None])
def test_replace_together_refuses_what_is_no_file_name(bad, tmp_path):
    with pytest.raises(FileWriteError, match="a file name must be a str, bytes or os.PathLike"):
        replace_together([(bad, tmp_path / "x")], FileWriteError)
