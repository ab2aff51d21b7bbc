"""``nn.fit`` refuses an optimizer over none of the model's parameters (it would train nothing and
say nothing); an optimizer over some of them (fine-tuning one layer) is fine."""

import pytest

import nn


def data():
    return nn.data.blobs(20, seed=0, labels=(-1, 1))


def test_an_optimizer_of_another_model_is_refused_and_nothing_changes():
    model, other = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    before, other_before = model.state_dict(), other.state_dict()
    with pytest.raises(nn.InputError, match=r"fit: the optimizer's 13 parameters are none of the model's 13"):
        nn.fit(model, data(), nn.losses.hinge, nn.optim.SGD(other.parameters(), lr=0.1), epochs=2,
               progress=False)
    assert model.state_dict() == before and other.state_dict() == other_before


def test_an_optimizer_of_one_layer_fine_tunes_only_that_layer():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    first = model.layers[0].state_dict()
    last = model.layers[1].state_dict()
    nn.fit(model, data(), nn.losses.hinge, nn.optim.SGD(model.layers[1].parameters(), lr=0.1), epochs=3,
           progress=False)
    assert model.layers[0].state_dict() == first
    assert model.layers[1].state_dict() != last


def test_a_plain_function_as_the_model_is_not_compared():
    w = nn.Neuron(2, activation="linear", seed=0)
    history = nn.fit(lambda x: w(x), data(), nn.losses.hinge, nn.optim.SGD(w.parameters(), lr=0.1),
                     epochs=1, progress=False)
    assert len(history) == 1
