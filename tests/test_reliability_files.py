"""Model files: a save interrupted at any point leaves the old file whole; a damaged, truncated or
tampered file fails with ``ModelFileError`` and leaves the model exactly as it was.

Beyond the nn tests: a failure injected at *every* step of the save (write, fsync, chmod,
rename, even Ctrl-C), a real ``kill -9`` of a process in the middle of saving, every
truncation of a file, random byte edits, random JSON in every field, deep nesting, and a
config that asks for an enormous network.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import module as nn_module

STATS = {"damaged files loaded": 0}


def make(seed=0):
    return nn.MLP(2, [3, 1], activation="tanh", seed=seed)


def temporary_files(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


# -- interrupted saves ----------------------------------------------------------------------------

class Boom(Exception):
    pass


def _failing_file(real_fdopen):
    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)


        real_write = f.write

        def write(text):
            real_write(text[: len(text) // 2])
            raise Boom("disk full halfway through the write")

        f.write = write
        return f
    return fdopen


FAILURES = {
    "write": lambda mp: mp.setattr(os, "fdopen", _failing_file(os.fdopen)),
    "fsync": lambda mp: mp.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(Boom("fsync failed"))),
    "chmod": lambda mp: mp.setattr(os, "chmod", lambda *a, **k: (_ for _ in ()).throw(Boom("chmod failed"))),
    "replace": lambda mp: mp.setattr(os, "replace", lambda *a, **k: (_ for _ in ()).throw(Boom("rename failed"))),
    "ctrl-c at the rename": lambda mp: mp.setattr(os, "replace",
                                                  lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt())),
}


@pytest.mark.parametrize("where", FAILURES)
def test_a_save_interrupted_at_any_step_leaves_the_old_file_whole(where, tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    old = make(0)
    old.save(path)
    before = path.read_bytes()
    FAILURES[where](monkeypatch)
    with pytest.raises((Boom, KeyboardInterrupt)):
        make(1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert temporary_files(tmp_path) == []
    assert make(5).load(path).state_dict() == old.state_dict()


@pytest.mark.parametrize("where", FAILURES)
def test_a_first_save_interrupted_at_any_step_leaves_no_file(where, tmp_path, monkeypatch):
    FAILURES[where](monkeypatch)
    with pytest.raises((Boom, KeyboardInterrupt)):
        make(1).save(tmp_path / "model.json")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


@pytest.mark.timeout(120)
def test_kill_9_in_the_middle_of_saving_leaves_one_whole_version(tmp_path):
    """A process saving two versions in a loop is killed at random moments; the file is always one of them."""
    path = tmp_path / "model.json"
    big = lambda seed: nn.MLP(8, [64, 64, 1], seed=seed)   # ~4.8k parameters, ~150 kB of JSON  # noqa: E731
    versions = {seed: big(seed).state_dict() for seed in (1, 2)}
    child = textwrap.dedent(f"""
        import sys, nn
        models = [nn.MLP(8, [64, 64, 1], seed=s) for s in (1, 2)]
        models[0].save({str(path)!r})
        print("ready", flush=True)
        k = 0
        while True:
            models[k % 2].save({str(path)!r})
            k += 1
    """)
    delays = [0.0, 0.003, 0.011, 0.02, 0.037, 0.05, 0.08, 0.13]
    for delay in delays:
        proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            proc.stdout.close()
        loaded = big(0).load(path).state_dict()
        assert loaded in versions.values()
    # a killed save may leave its temporary file behind (nothing can remove it), but never a broken model
    assert all(name.startswith(".gg-") for name in temporary_files(tmp_path))


# -- damaged files ---------------------------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.json"
    make(1).save(path)
    return path, path.read_bytes()


def load_checked(data: bytes, tmp_path, name="damaged.json"):
    """Load ``data`` into a model; it must fail cleanly (model unchanged) or load exactly what it says."""
    STATS["damaged files loaded"] += 1
    path = tmp_path / name
    path.write_bytes(data)
    model = make(0)
    before = model.state_dict()
    try:
        model.load(path)
    except nn.ModelFileError as e:
        assert model.state_dict() == before
        assert str(path) in str(e) or repr(str(path)) in str(e)
        loaded = None
    else:
        loaded = model.state_dict()
        document = json.loads(data.decode("utf-8"))
        assert loaded == {k: float(v) for k, v in document["parameters"].items()}
    try:
        rebuilt = nn.Module.from_file(path)
    except nn.ModelFileError:
        pass
    else:
        assert loaded is None or rebuilt.state_dict() == loaded
    return loaded


def test_every_truncation_of_a_file_fails_cleanly(saved, tmp_path):
    path, data = saved
    whole = make(1).state_dict()
    for cut in range(len(data)):
        loaded = load_checked(data[:cut], tmp_path)
        assert loaded is None or (loaded == whole and data[:cut].strip() == data.strip())


@settings(max_examples=2 * settings.default.max_examples)
@given(edits=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255)), min_size=1, max_size=3))
def test_random_byte_edits_fail_cleanly_or_load_exactly_what_the_file_says(edits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit")
    path = folder / "good.json"
    make(1).save(path)
    data = bytearray(path.read_bytes())
    for position, byte in edits:
        data[position % len(data)] = byte
    load_checked(bytes(data), folder)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=2 * settings.default.max_examples)
@given(field=st.sampled_from(["format", "version", "class", "config", "shapes", "parameters", "extra"]),
       value=json_values, data=st.data())
def test_any_json_in_any_field_fails_cleanly(field, value, data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("field")
    path = folder / "good.json"
    make(1).save(path)
    document = json.loads(path.read_text())
    if field in ("config", "parameters", "shapes") and isinstance(document[field], dict) and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(document[field])))
        document[field][key] = value                  # one entry replaced
    else:
        document[field] = value
    load_checked(json.dumps(document).encode(), folder)


@pytest.mark.parametrize("text", [
    "", "\x00" * 10, "null", "[]", "{}", '"glassgrad.nn"', "1e999", "{" * 10, "NaN", "\ufeff{}",
])
def test_odd_small_files(text, tmp_path):
    assert load_checked(text.encode("utf-8"), tmp_path) is None


def test_binary_garbage_and_a_directory(tmp_path):
    assert load_checked(os.urandom(4096) + b"\xff", tmp_path) is None
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(nn.ModelFileError):
        make().load(tmp_path / "folder.json")


@pytest.mark.parametrize("text", ["[" * 100_000, '{"format": "glassgrad.nn", "parameters": ' + "[" * 100_000])
def test_deeply_nested_json_fails_cleanly(text, tmp_path):
    assert load_checked(text.encode(), tmp_path) is None


@pytest.mark.timeout(60)
def test_a_config_asking_for_an_enormous_network_is_refused_quickly(tmp_path):
    path = tmp_path / "model.json"
    make(1).save(path)
    document = json.loads(path.read_text())
    document["config"].update(n_inputs=10 ** 4, sizes=[10 ** 6, 1])
    path.write_text(json.dumps(document))
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1_000_000_000, 1_000_000_000))
        import nn
        try:
            nn.Module.from_file({str(path)!r})
        except nn.ModelFileError as e:
            print("ModelFileError")
    """)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3)
    except subprocess.TimeoutExpired:
        pytest.fail("from_file was still building the network after 3 s")
    assert out.stdout.strip() == "ModelFileError", out.stderr[-300:]


# -- what save writes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("label", ["<script>alert(1)</script>", 'W1[0,0]"}', "new\nline", "", "W1[0,0]"])
def test_a_renamed_parameter_saves_as_json_or_is_refused_before_anything_is_written(label, tmp_path):
    path = tmp_path / "model.json"
    model = make(1)
    model.save(path)
    before = path.read_bytes()
    model.parameters()[0].label = label
    try:
        model.save(path)
    except ValueError as e:
        assert path.read_bytes() == before and temporary_files(tmp_path) == []
        assert "\n" not in str(e).replace(repr(label), "")
        return
    document = json.loads(path.read_text(encoding="utf-8"))   # whatever was written is valid JSON
    assert label in document["parameters"]


@settings(max_examples=settings.default.max_examples)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308]),
                       min_size=13, max_size=13))
def test_any_finite_parameters_round_trip_bit_for_bit(values, tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "m.json"
    model = make(0)
    for p, v in zip(model.parameters(), values):
        p.data = v
    model.save(path)
    back = [p.data for p in nn.Module.from_file(path).parameters()]
    assert [v.hex() for v in back] == [float(v).hex() for v in values]
