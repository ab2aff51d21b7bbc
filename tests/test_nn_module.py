"""Module: parameters, repr, state dicts and JSON files that load back exactly or not at all."""

import json
import os

import pytest
from hypothesis import given, settings, strategies as st

import nn


def make(seed=0):
    return nn.MLP(2, [3, 1], activation="tanh", seed=seed)


def test_parameters_have_a_fixed_order_and_names_are_labels():
    model = make()
    assert model.parameters() == model.parameters()
    assert [p.label for p in model.parameters()] == [n for n, _ in model.named_parameters()]
    assert model.num_parameters() == 3 * 3 + 4
    assert model.shapes() == {"W1": [3, 2], "b1": [3], "W2": [1, 3], "b2": [1]}


def test_zero_grad():
    model = make()
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_is_pytorch_like():
    assert repr(make()) == (
        "MLP(\n"
        "  (layer1): Layer(in_features=2, out_features=3, activation='tanh')\n"
        "  (layer2): Layer(in_features=3, out_features=1, activation='linear')\n"
        ")")
    assert repr(nn.Neuron(4, seed=0)) == "Neuron(in_features=4, activation='relu')"
    assert repr(nn.Perceptron(2)) == "Perceptron(n_inputs=2, threshold=0.0, lr=1.0)"


def test_state_dict_round_trip():
    a, b = make(0), make(1)
    assert a.state_dict() != b.state_dict()
    b.load_state_dict(a.state_dict())
    assert a.state_dict() == b.state_dict()
    assert list(a.state_dict()) == [n for n, _ in a.named_parameters()]


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("b2[0]"), "missing parameter b2"),
    (lambda s: s.update({"W9[0,0]": 1.0}), r"unexpected parameter W9\[0,0\]"),
    (lambda s: s.update({"b1[0]": "0.5"}), r"parameter b1\[0\] must be a number"),
    (lambda s: s.update({"b1[0]": float("nan")}), r"b1\[0\] is nan"),
    (lambda s: s.update({"b1[0]": True}), r"b1\[0\] must be a number"),
])
def test_bad_state_dict_changes_nothing(change, message):
    model = make()
    before = model.state_dict()
    state = make(5).state_dict()
    change(state)
    with pytest.raises(nn.ModelFileError, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


# -- files ---------------------------------------------------------------------------------

def test_save_load_round_trips_exactly(tmp_path):
    path = tmp_path / "model.json"
    model = nn.MLP(2, [16, 16, 1], seed=3)
    for p in model.parameters():  # awkward floats: repr must carry every bit
        p.data = p.data / 3.0 + 1e-300
    model.save(path)
    other = nn.MLP(2, [16, 16, 1], seed=4)
    assert other.load(path) is other
    assert other.state_dict() == model.state_dict()
    x = [0.123, -4.56]
    assert other(x).data == model(x).data


def test_file_is_readable_json_with_format_version_shapes_and_labels(tmp_path):
    path = tmp_path / "m.json"
    make().save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "glassgrad.nn" and document["version"] == 1
    assert document["class"] == "MLP"
    assert document["shapes"]["W1"] == [3, 2]
    assert "W1[0,1]" in document["parameters"]
    assert document["config"] == {"n_inputs": 2, "sizes": [3, 1], "activation": "tanh",
                                  "output_activation": None, "init": "uniform", "fused": True}
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o666 & ~_current_umask())


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_new_model_file_gets_the_permissions_the_umask_allows(tmp_path):
    old = os.umask(0o077)
    try:
        make().save(tmp_path / "private.json")
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "private.json").st_mode & 0o777) == oct(0o600)
    (tmp_path / "shared.json").write_text("{}")
    os.chmod(tmp_path / "shared.json", 0o640)
    make().save(tmp_path / "shared.json")        # replacing a file keeps its permissions
    assert oct(os.stat(tmp_path / "shared.json").st_mode & 0o777) == oct(0o640)


def test_from_file_rebuilds_the_model(tmp_path):
    path = tmp_path / "m.json"
    model = nn.MLP(2, [4, 2], activation="sigmoid", output_activation="tanh", seed=9, init="xavier")
    model.save(path)
    for loaded in (nn.MLP.from_file(path), nn.Module.from_file(path)):
        assert isinstance(loaded, nn.MLP)
        assert repr(loaded) == repr(model)
        assert loaded.state_dict() == model.state_dict()
    p = nn.Perceptron(3, threshold=0.5, seed=1)
    p.save(tmp_path / "p.json")
    assert nn.Module.from_file(tmp_path / "p.json").state_dict() == p.state_dict()
    with pytest.raises(nn.ModelFileError, match="holds a 'Perceptron', expected a MLP"):
        nn.MLP.from_file(tmp_path / "p.json")


@pytest.mark.parametrize("model, bigger", [
    (nn.MLP(2, [3, 2, 1], seed=0), {"sizes": [3, 2, 10 ** 6]}),
    (nn.Layer(3, 2, seed=0), {"n_outputs": 10 ** 6}),
    (nn.Neuron(3, seed=0), {"n_inputs": 10 ** 7}),
    (nn.Perceptron(3), {"n_inputs": 10 ** 7}),
])
def test_from_file_checks_the_config_against_the_parameters_before_building(model, bigger, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    assert nn.Module.from_file(path).state_dict() == model.state_dict()   # the count agrees for each class
    document = json.loads(path.read_text())
    document["config"].update(bigger)
    path.write_text(json.dumps(document))
    name, held = type(model).__name__, model.num_parameters()
    with pytest.raises(nn.ModelFileError, match=rf"config asks for a {name} of \d+ parameters, but the "
                                                rf"file holds {held}$"):
        nn.Module.from_file(path)   # refused at once: building any of these would take seconds


def test_custom_activation_saves_but_cannot_be_rebuilt_from_the_file(tmp_path):
    path = tmp_path / "m.json"
    model = nn.MLP(2, [3, 1], activation=lambda z: z * z, seed=0)
    model.save(path)
    with pytest.raises(nn.ModelFileError, match="no config"):
        nn.MLP.from_file(path)
    twin = nn.MLP(2, [3, 1], activation=lambda z: z * z, seed=1)
    assert twin.load(path).state_dict() == model.state_dict()


def test_save_is_atomic_a_crash_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    make(0).save(path)
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk unplugged mid-save")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(nn.ModelFileError, match=r"save: cannot write '.*model\.json': disk unplugged") as caught:
        make(1).save(path)
    assert ".tmp" not in str(caught.value)  # the user's path, not the temporary file
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


def test_a_model_parameter_refuses_a_non_finite_value(tmp_path):
    model = make()
    with pytest.raises(ValueError, match="data must be finite"):
        model.parameters()[0].data = float("nan")
    assert model.parameters()[0].data == make().parameters()[0].data


def damaged_files(tmp_path):
    good = tmp_path / "good.json"
    make(1).save(good)
    text = good.read_text()
    document = json.loads(text)

    def variant(name, content):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path

    def edit(**changes):
        d = json.loads(text)
        d.update(changes)
        return d

    params = dict(document["parameters"])
    params["W1[0,0]"] = "x"
    nan_text = text.replace(repr(document["parameters"]["b2[0]"]), "NaN", 1)
    return [
        (variant("truncated.json", text[: len(text) // 2]), "damaged or not JSON"),
        (variant("empty.json", ""), "damaged or not JSON"),
        (variant("deep.json", "[" * 100_000), "damaged or not JSON"),   # json recurses: RecursionError
        (variant("list.json", [1, 2]), "not a glassgrad model file"),
        (variant("format.json", edit(format="torch")), "not a glassgrad model file"),
        (variant("version.json", edit(version=99)), "version 99 is not supported"),
        (variant("noparams.json", {k: v for k, v in document.items() if k != "parameters"}),
         "no 'parameters' field"),
        (variant("string.json", edit(parameters=params)), r"W1\[0,0\] must be a number"),
        (variant("listparams.json", edit(parameters=[1.0])), "parameters must be a mapping"),
        (variant("nan.json", nan_text), "NaN is not allowed"),
        (variant("class.json", edit(**{"class": "Perceptron"})), "holds a Perceptron, not a MLP"),
        (tmp_path / "missing.json", "no such file"),
    ]


def test_damaged_files_give_a_clear_error_and_leave_the_model_unchanged(tmp_path):
    model = make(0)
    before = model.state_dict()
    for path, message in damaged_files(tmp_path):
        with pytest.raises(nn.ModelFileError, match=message):
            model.load(path)
        assert model.state_dict() == before, path.name
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(nn.ModelFileError, match="binary.json"):
        model.load(tmp_path / "binary.json")


def test_a_file_of_the_wrong_shape_names_the_tensor(tmp_path):
    path = tmp_path / "big.json"
    nn.MLP(2, [8, 1], seed=0).save(path)
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(nn.ModelFileError, match=r"W1 has shape \[8, 2\] in the file but \[3, 2\] in this model"):
        model.load(path)
    assert model.state_dict() == before
    nn.MLP(2, [3, 1, 1], seed=0).save(path)  # W1, W2 fit; W3 is extra
    with pytest.raises(nn.ModelFileError, match="tensors this model does not: W3, b3"):
        model.load(path)
    assert model.state_dict() == before


@settings(max_examples=30)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=3, max_size=3))
def test_any_finite_floats_round_trip_through_a_file(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("rt") / "p.json"
    p = nn.Perceptron(2)
    for param, v in zip(p.parameters(), values):
        param.data = v
    p.save(path)
    q = nn.Perceptron(2).load(path)
    assert [x.data for x in q.parameters()] == values
