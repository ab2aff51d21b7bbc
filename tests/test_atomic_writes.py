"""Every file autograd and nn write goes through ``autograd.files.write_atomically`` (issue 23):
with the file size limited (RLIMIT_FSIZE) or on a really full disk (an 8 MB tmpfs: the trace
page of a 2-4-1 network is 3 MB), a write that fails keeps the old file byte for byte, leaves no
temporary file, and raises ``FileWriteError`` (a GlassgradError and an OSError; ``model.save``
keeps nn's ``ModelFileError``) naming the path and the reason.

Before: ``ag.draw(y).save(path)`` and ``ag.trace(y).to_html(path)`` wrote in place (an SVG of
6,624 bytes left as 2,208), raised a raw OSError, and could leave an empty new file behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autograd as ag
import nn
from autograd import FileWriteError, GlassgradError, Value

pytestmark = pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE and tmpfs are POSIX")

ROOT = Path(__file__).resolve().parent.parent
OLD = b"<svg>the old file, kept byte for byte</svg>\n" * 4  # 184 bytes

# Each writer: a suffix, and Python code that writes `path` (a str) with something larger than
# 4 kB (the file size limit below): the graph of a small network, drawn, traced, saved.
SETUP = """
import autograd as ag, nn
model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
y = model([0.5, -1.0]); y.label = "y"
"""
WRITERS = {
    "Drawing.save svg": (".svg", "ag.draw(y).save(path)"),
    "Drawing.save png": (".png", "ag.draw(y).save(path)"),
    "Drawing.save dot": (".dot", "ag.draw(y).save(path)"),
    "Trace.to_html": (".html", "ag.trace(y).to_html(path)"),
    "Module.save": (".json", "nn.MLP(2, [60, 1], seed=0).save(path)"),
    "nn.plot": (".png", "import nn.plot; nn.plot.plot_loss([1.0, 0.5, 0.25], path=path)"),
}
REASONS = {"Drawing.save": "Drawing.save: ", "Trace.to_html": "Trace.to_html: ", "Module.save": "save: ",
           "nn.plot": "nn.plot: "}
# model.save keeps nn's ModelFileError for every save and load failure (a GlassgradError too)
RAISES = {"Module.save": nn.ModelFileError}


def _needs(writer: str) -> None:
    if writer == "nn.plot":
        pytest.importorskip("matplotlib")


def leftovers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp") or name.startswith(".gg-")]


# -- the file size limited: RLIMIT_FSIZE, in a child process -----------------------------------

CHILD = """
import json, resource, sys
{setup}
path = sys.argv[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    {write}
except BaseException as e:
    print(json.dumps({{"type": type(e).__name__, "glassgrad": isinstance(e, ag.GlassgradError),
                      "oserror": isinstance(e, OSError), "message": str(e)}}))
else:
    print(json.dumps({{"type": None}}))
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("old", [True, False], ids=["over an old file", "a new file"])
def test_a_write_past_the_file_size_limit_keeps_the_old_file(writer, old, tmp_path):
    _needs(writer)
    suffix, write = WRITERS[writer]
    path = tmp_path / f"out{suffix}"
    if old:
        path.write_bytes(OLD)
    code = CHILD.format(setup=SETUP, write=write)
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=100)
    assert result.returncode == 0, result.stderr[-2000:]
    raised = json.loads(result.stdout.strip().splitlines()[-1])
    expected = RAISES.get(writer, FileWriteError)
    assert raised["type"] == expected.__name__, raised
    assert raised["glassgrad"] and raised["oserror"] == issubclass(expected, OSError)
    message = raised["message"]
    prefix = REASONS[writer.split(" ")[0]]
    assert message.startswith(f"{prefix}cannot write {str(path)!r}: File too large"), message
    if old:
        assert message.endswith("the old file is unchanged") and path.read_bytes() == OLD
    else:
        assert message.endswith("nothing was written") and not path.exists()
    assert leftovers(tmp_path) == []


# -- a really full disk: an 8 MB tmpfs -------------------------------------------------------

@pytest.fixture
def small_tmpfs(tmp_path):
    """An 8 MB tmpfs, or a skip when this process may not mount one (not root, a container...)."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mountpoint)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip() or 'not permitted'})")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True)


def fill(folder: Path) -> None:
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


def write_with(writer: str, path: Path) -> None:
    """What the child above runs for ``writer``, in this process."""
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    y = model([0.5, -1.0])
    y.label = "y"
    path = str(path)
    if writer.startswith("Drawing.save"):
        ag.draw(y).save(path)
    elif writer == "Trace.to_html":
        ag.trace(y).to_html(path)
    elif writer == "Module.save":
        nn.MLP(2, [60, 1], seed=0).save(path)
    else:
        import nn.plot as plot

        plot.plot_loss([1.0, 0.5, 0.25], path=path)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("writer", WRITERS)
def test_a_write_on_a_full_disk_keeps_the_old_file(writer, small_tmpfs):
    _needs(writer)
    path = small_tmpfs / f"out{WRITERS[writer][0]}"
    path.write_bytes(OLD)
    fill(small_tmpfs)
    expected = RAISES.get(writer, FileWriteError)
    with pytest.raises(expected) as info:
        write_with(writer, path)
    assert isinstance(info.value, GlassgradError)
    message = str(info.value)
    prefix = REASONS[writer.split(" ")[0]]
    assert message.startswith(f"{prefix}cannot write {str(path)!r}: "), message
    assert "No space left on device" in message and message.endswith("the old file is unchanged")
    assert path.read_bytes() == OLD
    assert sorted(os.listdir(small_tmpfs)) == ["filler", path.name]
    os.unlink(small_tmpfs / "filler")  # room again: the same write now replaces the file
    write_with(writer, path)
    assert path.read_bytes() != OLD and leftovers(small_tmpfs) == []


# -- the raw errors of the issue ---------------------------------------------------------------

def test_saving_into_a_missing_folder_is_a_file_write_error_naming_the_folder(tmp_path):
    """Before: ``ag.draw(y).save("/no/such/dir/x.svg")`` raised a raw FileNotFoundError."""
    y = Value(2.0, label="x").exp()
    for call, prefix in ((lambda p: ag.draw(y).save(p), "Drawing.save"),
                         (lambda p: ag.trace(y).to_html(p), "Trace.to_html")):
        target = tmp_path / "no" / "such" / "dir" / "x.svg"
        with pytest.raises(FileWriteError) as info:
            call(target)
        assert str(info.value) == (f"{prefix}: cannot write {str(target)!r}: the folder "
                                   f"{str(target.parent)!r} does not exist")
    assert list(tmp_path.iterdir()) == []
