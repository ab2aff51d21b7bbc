"""``load`` compares the saved configuration with the model (issue 23): activations, the output
activation and the kind of layer; ``from_file`` rebuilds from it; paths may be bytes."""

from __future__ import annotations

import json

import pytest

import nn


def values(model) -> list[float]:
    return [p.data for p in model.parameters()]


@pytest.fixture
def relu_file(tmp_path):
    path = tmp_path / "relu.json"
    nn.MLP(2, [3, 1], activation="relu", seed=0).save(path)
    return path


def test_a_relu_file_does_not_load_into_a_tanh_model_of_the_same_shape(relu_file):
    """Before: it loaded silently, and the model computed something the file never did."""
    model = nn.MLP(2, [3, 1], activation="tanh", seed=1)
    before = values(model)
    with pytest.raises(nn.ModelFileError) as info:
        model.load(relu_file)
    assert str(info.value) == (
        f"load {str(relu_file)!r}: the file holds an MLP that computes something else: activation "
        "'relu' in the file, 'tanh' in this model; build the model with the file's settings, or "
        "rebuild it from the file with nn.MLP.from_file(path)")
    assert values(model) == before


@pytest.mark.parametrize("model, differs", [
    (lambda: nn.MLP(2, [3, 1], activation="relu", output_activation="sigmoid"),
     "output_activation None in the file, 'sigmoid' in this model"),
    (lambda: nn.MLP(2, [3, 1], activation="relu", fused=False), "fused True in the file, False in this model"),
    (lambda: nn.MLP(2, [3, 1], activation=lambda v: v.tanh()),
     "activation 'relu' in the file, the function <lambda> in this model"),
    (lambda: nn.MLP(2, [3, 1], activation="sigmoid", output_activation="tanh", fused=False),
     "activation 'relu' in the file, 'sigmoid' in this model; output_activation None in the file, "
     "'tanh' in this model; fused True in the file, False in this model"),
])
def test_every_setting_that_differs_is_named(relu_file, model, differs):
    model = model()
    before = values(model)
    with pytest.raises(nn.ModelFileError, match="computes something else: ") as info:
        model.load(relu_file)
    assert differs + "; build the model" in str(info.value)
    assert values(model) == before


def test_the_same_settings_load_and_no_output_activation_is_the_linear_one(relu_file):
    saved = nn.MLP.from_file(relu_file)
    for model in (nn.MLP(2, [3, 1], activation="relu", seed=5),
                  nn.MLP(2, [3, 1], activation="relu", output_activation="linear", seed=5)):
        assert values(model.load(relu_file)) == values(saved)


def test_from_file_rebuilds_the_model_the_file_describes(tmp_path):
    original = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", fused=False, seed=3)
    original.save(tmp_path / "m.json")
    rebuilt = nn.MLP.from_file(tmp_path / "m.json")
    assert (rebuilt.activation, rebuilt.output_activation, rebuilt.fused) == ("tanh", "sigmoid", False)
    assert values(rebuilt) == values(original)
    assert rebuilt([0.3, -0.7]).data == original([0.3, -0.7]).data


def test_neurons_and_layers_compare_their_activation_too(tmp_path):
    nn.Neuron(2, activation="sigmoid", seed=0).save(tmp_path / "n.json")
    with pytest.raises(nn.ModelFileError, match="activation 'sigmoid' in the file, 'relu' in this model"):
        nn.Neuron(2, activation="relu").load(tmp_path / "n.json")
    nn.Layer(2, 3, activation="tanh", seed=0).save(tmp_path / "l.json")
    with pytest.raises(nn.ModelFileError, match="the file holds a Layer that computes something else"):
        nn.Layer(2, 3, activation="linear").load(tmp_path / "l.json")
    nn.Perceptron(2).save(tmp_path / "p.json")
    assert nn.Perceptron(2, lr=0.5).load(tmp_path / "p.json").lr == 0.5  # lr trains, it does not compute


def test_a_file_saved_with_a_custom_function_is_compared_by_its_shapes_only(tmp_path):
    """Such a file has no config (None): nothing to compare but the shapes and names."""
    custom = nn.MLP(2, [3, 1], activation=lambda v: v.tanh(), seed=0)
    custom.save(tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text())["config"] is None
    assert values(nn.MLP(2, [3, 1], activation="tanh").load(tmp_path / "c.json")) == values(custom)


def test_a_tampered_setting_is_refused_and_shown_short(relu_file):
    document = json.loads(relu_file.read_text())
    document["config"]["activation"] = "x" * 500
    relu_file.write_text(json.dumps(document))
    with pytest.raises(nn.ModelFileError, match=r"activation 'x{36}\.\.\. in the file, 'relu' in this model"):
        nn.MLP(2, [3, 1], activation="relu").load(relu_file)
    document["config"] = ["relu"]
    relu_file.write_text(json.dumps(document))
    with pytest.raises(nn.ModelFileError, match="'config' must be an object or null, got list"):
        nn.MLP(2, [3, 1]).load(relu_file)


def test_a_path_given_as_bytes_saves_and_loads(tmp_path):
    """Before: ``model.save(b"path")`` raised TypeError while ``from_file(b"path")`` worked."""
    path = bytes(tmp_path / "bytes.json")
    model = nn.MLP(2, [3, 1], seed=0)
    model.save(path)
    assert values(nn.MLP.from_file(path)) == values(model)
    assert values(nn.MLP(2, [3, 1], seed=9).load(path)) == values(model)
    assert (tmp_path / "bytes.json").is_file()


@pytest.mark.parametrize("bad", [3, None, 1.5, ["m.json"]])
def test_a_path_that_is_no_file_name_is_refused_by_save_load_and_from_file(bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = nn.MLP(2, [3, 1], seed=0)
    for call, doing in ((lambda: model.save(bad), "save"), (lambda: model.load(bad), "load"),
                        (lambda: nn.MLP.from_file(bad), "load")):
        with pytest.raises(nn.ModelFileError) as info:
            call()
        assert str(info.value).startswith(f"{doing}: the path must be a file name (a str, bytes or "
                                          f"os.PathLike), got {type(bad).__name__}")
    assert list(tmp_path.iterdir()) == []  # save(3) never wrote to file descriptor 3
