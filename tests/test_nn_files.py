"""Model files against an adversarial file system: what ``save`` may replace and how, and what
``load`` may read.

save: never a device, FIFO or folder; through a symlink to its target, atomically in the
target's folder; never a read-only file; never loses the old file; errors name the user's
path; a 255-character file name works. load: only regular files, of bounded size; strict
version; no duplicate keys; huge integers; parameters that share a label.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import threading

import pytest

import nn
from nn import module as nn_module

needs_posix = pytest.mark.skipif(os.name != "posix", reason="symlinks, FIFOs and modes are POSIX")


def make(seed=0):
    return nn.MLP(2, [3, 1], activation="tanh", seed=seed)


def listing(folder):
    return sorted(os.listdir(folder))


# -- save: what it replaces ------------------------------------------------------------------------

@needs_posix
def test_save_refuses_a_fifo_and_leaves_it(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(nn.ModelFileError, match=r"pipe\.json'.*FIFO"):
        make().save(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert listing(tmp_path) == ["pipe.json"]


@needs_posix
def test_save_refuses_a_device_and_leaves_it(tmp_path):
    if os.geteuid() == 0:  # a null device of our own: a bug here must not replace the real /dev/null
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    else:  # nobody but root could replace /dev/null anyway
        device = "/dev/null"
    for path in (device, "/dev/full"):
        if not os.path.exists(path) or (path == "/dev/full" and os.geteuid() == 0):
            continue
        with pytest.raises(nn.ModelFileError, match="a device, not a regular file"):
            make().save(path)
        assert stat.S_ISCHR(os.stat(path).st_mode)


def test_save_refuses_a_folder(tmp_path):
    (tmp_path / "model.json").mkdir()
    with pytest.raises(nn.ModelFileError, match="is a folder"):
        make().save(tmp_path / "model.json")
    with pytest.raises(nn.ModelFileError, match="names a folder"):
        make().save(str(tmp_path / "new") + os.sep)
    assert listing(tmp_path) == ["model.json"]


@needs_posix
def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    make(0).save(target)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    make(1).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert make(5).load(target).state_dict() == make(1).state_dict()
    assert listing(tmp_path / "real") == ["model.json"]  # the temporary file was in the target's folder
    assert listing(tmp_path) == ["link.json", "real"]


@needs_posix
def test_save_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to("made.json")
    make(1).save(link)
    assert link.is_symlink() and (tmp_path / "made.json").is_file()


@needs_posix
def test_save_refuses_a_read_only_file_even_as_root(tmp_path):
    path = tmp_path / "model.json"
    make(0).save(path)
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(nn.ModelFileError, match=r"model\.json'.*read-only.*chmod u\+w"):
        make(1).save(path)
    assert path.read_bytes() == before
    path.chmod(0o644)
    make(1).save(path)
    assert make(5).load(path).state_dict() == make(1).state_dict()


@needs_posix
def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "model.json"
    make(0).save(path)
    path.chmod(0o600)
    make(1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_255_character_file_name_works(tmp_path):
    name = "m" * 250 + ".json"
    make(1).save(tmp_path / name)
    make(2).save(tmp_path / name)  # replacing it too
    assert make(5).load(tmp_path / name).state_dict() == make(2).state_dict()
    assert listing(tmp_path) == [name]


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(nn.ModelFileError, match=r"the folder '.*nowhere' does not exist"):
        make().save(tmp_path / "nowhere" / "model.json")


@pytest.mark.parametrize("errno_, words", [(errno.ENOSPC, "No space left"), (errno.EIO, "error")])
def test_a_failed_write_names_the_path_keeps_the_old_file_and_leaves_no_temporary_file(
        tmp_path, monkeypatch, errno_, words):
    path = tmp_path / "model.json"
    make(0).save(path)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        real_write = f.write

        def write(data):
            real_write(data[:10])
            raise OSError(errno_, os.strerror(errno_))

        f.write = write
        return f

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(nn.ModelFileError) as caught:
        make(1).save(path)
    monkeypatch.undo()
    message = str(caught.value)
    assert repr(str(path)) in message and words in message and "old file is unchanged" in message
    assert ".tmp" not in message and ".gg-" not in message
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["model.json"]


def test_a_folder_without_write_permission_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(nn.ModelFileError, match=r"cannot write '.*model\.json': cannot create a file in"):
        make().save(tmp_path / "model.json")


# -- save: what it saves ---------------------------------------------------------------------------

def test_two_parameters_with_one_label_are_refused_at_save_and_load(tmp_path):
    model = make()
    model.parameters()[1].label = model.parameters()[0].label
    with pytest.raises(nn.ModelFileError, match=r"two parameters share the label 'W1\[0,0\]'"):
        model.save(tmp_path / "model.json")
    assert listing(tmp_path) == []
    with pytest.raises(nn.ModelFileError, match="share the label"):
        model.state_dict()
    make().save(tmp_path / "good.json")
    with pytest.raises(nn.ModelFileError, match="share the label"):
        model.load(tmp_path / "good.json")


def test_a_parameter_without_a_label_is_refused_at_save(tmp_path):
    model = make()
    model.parameters()[0].label = None
    with pytest.raises(nn.ModelFileError, match="label None is not of the form"):
        model.save(tmp_path / "model.json")


def test_a_non_finite_parameter_cannot_be_made_so_a_saved_model_is_always_finite(tmp_path):
    model = make()
    with pytest.raises(ValueError, match="data must be finite"):
        model.parameters()[0].data = float("inf")
    model.save(tmp_path / "model.json")
    assert "Infinity" not in (tmp_path / "model.json").read_text()


# -- load ------------------------------------------------------------------------------------------

def document():
    return json.loads(json.dumps({"format": nn_module.FORMAT, "version": nn_module.VERSION, "class": "MLP",
                                  "config": make().config(), "shapes": make().shapes(),
                                  "parameters": make(3).state_dict()}))


def write(tmp_path, text, name="model.json"):
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_refused(path, match):
    model = make()
    before = model.state_dict()
    with pytest.raises(nn.ModelFileError, match=match):
        model.load(path)
    assert model.state_dict() == before
    with pytest.raises(nn.ModelFileError, match=match):
        nn.Module.from_file(path)


def test_a_huge_integer_parameter_is_a_model_file_error(tmp_path):
    doc = document()
    doc["parameters"]["b2[0]"] = 10 ** 400
    assert_refused(write(tmp_path, json.dumps(doc)), r"b2\[0\] is an integer of 401 digits")


@pytest.mark.parametrize("version", [1.0, True, "1", None, 2])
def test_the_version_must_be_the_int_1(tmp_path, version):
    doc = document()
    doc["version"] = version
    assert_refused(write(tmp_path, json.dumps(doc)), "version .* is not supported")


def test_duplicate_keys_are_refused(tmp_path):
    text = json.dumps(document(), indent=1)
    text = text.replace('"b2[0]": ', '"b2[0]": 0.5,\n  "b2[0]": ', 1)
    assert_refused(write(tmp_path, text), r"the key 'b2\[0\]' appears twice")
    text = json.dumps(document()).replace('"version": 1', '"version": 1, "version": 1', 1)
    assert_refused(write(tmp_path, text), "the key 'version' appears twice")


@needs_posix
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    done = []
    worker = threading.Thread(target=lambda: done.append(pytest.raises(nn.ModelFileError, make().load, fifo)),
                              daemon=True)
    worker.start()
    worker.join(10)
    assert done, "loading a FIFO blocked"
    assert "FIFO" in str(done[0].value)


@needs_posix
def test_devices_and_folders_are_refused_before_reading(tmp_path):
    if os.path.exists("/dev/zero"):
        assert_refused("/dev/zero", "a device, not a regular file")
    assert_refused(tmp_path, "it is a folder")


def test_a_file_larger_than_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, json.dumps(document()))
    monkeypatch.setattr(nn_module, "MAX_FILE_BYTES", 100)
    assert_refused(path, "larger than the 100")


def test_a_missing_file_is_named(tmp_path):
    assert_refused(tmp_path / "nope.json", r"nope\.json': no such file")


def test_a_file_that_is_not_utf8_is_damaged(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b'{"format": "\xff"}')
    assert_refused(path, "not UTF-8")
