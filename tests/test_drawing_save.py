"""Drawing.save writes atomically: a failed write raises FileWriteError naming the path and the
reason, keeps the old file and leaves no temporary file behind."""

import os

import pytest

import autograd as ag
from autograd import FileWriteError, Value


def _drawing():
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    y = (w * x).tanh()
    y.label = "y"
    y.backward()
    return ag.draw(y)


@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot"])
def test_a_missing_folder_is_a_file_write_error_naming_the_path_and_the_reason(tmp_path, suffix):
    path = tmp_path / "no" / "such" / f"x{suffix}"
    with pytest.raises(FileWriteError) as caught:
        _drawing().save(path)
    message = str(caught.value)
    assert message.startswith("Drawing.save: ") and str(path) in message
    assert "does not exist" in message
    assert isinstance(caught.value, OSError) and isinstance(caught.value, ag.GlassgradError)
    assert not (tmp_path / "no").exists()


def test_the_issue_s_example_path():
    with pytest.raises(FileWriteError, match=r"'/no/such/dir/x\.svg'.*does not exist"):
        _drawing().save("/no/such/dir/x.svg")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    old = tmp_path / "g.svg"
    old.write_text("old drawing", encoding="utf-8")
    folder = tmp_path / "g.png"          # a folder where the file should go
    folder.mkdir()
    with pytest.raises(FileWriteError, match="it is a folder"):
        _drawing().save(folder)
    old.chmod(0o444)                     # read-only: refused, the old file stays
    try:
        with pytest.raises(FileWriteError, match="read-only"):
            _drawing().save(old)
    finally:
        old.chmod(0o644)
    assert old.read_text(encoding="utf-8") == "old drawing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]   # no .gg-*.tmp left


def test_save_replaces_a_file_and_returns_its_path(tmp_path):
    path = tmp_path / "g.dot"
    path.write_text("old", encoding="utf-8")
    d = _drawing()
    assert d.save(str(path)) == path
    assert path.read_text(encoding="utf-8") == d.source
    assert os.listdir(tmp_path) == ["g.dot"]


@pytest.mark.parametrize("bad", [None, 3, b"x.svg"])
def test_a_path_that_is_not_a_file_name_is_refused(bad):
    with pytest.raises(FileWriteError, match="path must be a file name"):
        _drawing().save(bad)


def test_an_unknown_suffix_is_refused_before_rendering(tmp_path, monkeypatch):
    from autograd.tools import drawing
    monkeypatch.setattr(drawing, "_run_renderer", lambda *a: pytest.fail("the renderer ran"))
    with pytest.raises(ag.DrawingError, match="suffix '.pdf'"):
        _drawing().save(tmp_path / "g.pdf")
    assert not list(tmp_path.iterdir())
