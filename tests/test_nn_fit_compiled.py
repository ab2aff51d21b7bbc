"""fit(compiled=...): a batch's graph is built once and run as generated code, with the same
numbers as eager training bit for bit; what cannot be compiled safely trains eagerly (or is
refused with compiled=True, saying why)."""

import pytest

import autograd as ag
import nn
from nn import data, losses, optim
from nn import train as train_module


@pytest.fixture
def compiles(monkeypatch):
    """How many graphs fit compiled (a list of their sizes in nodes)."""
    made = []
    real = ag.compile

    def counting(output, inputs, **kwargs):
        made.append(len(ag.topological_order(output)))
        return real(output, inputs, **kwargs)

    monkeypatch.setattr(train_module.ag, "compile", counting)
    return made


def _train(compiled, *, loss=losses.hinge, labels=(-1, 1), sizes=(8, 8, 1), fused=True, epochs=6,
           batch_size=None, optimizer=optim.SGD, lr=0.5, shuffle=True, **model_options):
    X, y = data.moons(40, noise=0.1, seed=0, labels=labels)
    model = nn.MLP(2, list(sizes), seed=1, fused=fused, **model_options)
    opt = optimizer(model.parameters(), lr=lr)
    history = nn.fit(model, (X, y), loss, opt, epochs=epochs, batch_size=batch_size, progress=False,
                     l2=1e-4, shuffle=shuffle, compiled=compiled)
    return model, history


def _same(a, b):
    (model_a, history_a), (model_b, history_b) = a, b
    assert list(model_a.state_dict().values()) == list(model_b.state_dict().values())
    assert [p.grad for p in model_a.parameters()] == [p.grad for p in model_b.parameters()]
    assert history_a.as_dicts() == history_b.as_dicts()


@pytest.mark.parametrize("loss, labels", [(losses.hinge, (-1, 1)), (losses.bce_with_logits, (0, 1)),
                                          (losses.mse, (-1, 1))])
@pytest.mark.parametrize("batch_size", [None, 16])  # 16 of 40: batches of 16, 16 and 8
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_compiled_training_equals_eager_bit_for_bit(loss, labels, batch_size, activation, compiles):
    eager = _train(False, loss=loss, labels=labels, batch_size=batch_size, shuffle=False,
                   activation=activation)
    assert compiles == []
    compiled = _train(True, loss=loss, labels=labels, batch_size=batch_size, shuffle=False,
                      activation=activation)
    _same(eager, compiled)
    assert len(compiles) == (1 if batch_size is None else 3)  # once per batch, then reused


def test_unfused_network_and_adam_with_momentum_state_equal_eager():
    options = dict(fused=False, optimizer=optim.Adam, lr=0.05, epochs=5)
    _same(_train(False, **options), _train(True, **options))


def test_micrograd_demo_in_100_steps_equals_eager_and_compiles_once(compiles):
    X, y = data.moons(100, noise=0.1, seed=0, labels=(-1, 1))
    results = []
    for compiled in (False, "auto"):
        model = nn.MLP(2, [16, 16, 1], seed=1)
        opt = optim.SGD(model.parameters(), lr=1.0)
        history = nn.fit(model, (X, y), losses.hinge, opt, epochs=100, progress=False, l2=1e-4,
                         schedule=optim.LinearLR(opt, end_factor=0.1, total_steps=100), compiled=compiled)
        results.append((model, history))
    _same(*results)
    assert len(compiles) == 1
    assert results[1][1][-1].accuracy == 1.0


def test_bce_recompiles_when_an_output_crosses_the_log_clamp(compiles):
    # one sigmoid unit at z = -120: p = e^-120 < e^-100, so bce takes log(p + e^-100); the big
    # step moves p near 1, where bce takes log(p): the compiled graph no longer fits
    def run(compiled):
        model = nn.Neuron(1, activation="sigmoid", seed=0)
        model.w[0].data, model.b.data = -120.0, 0.0
        history = nn.fit(model, ([[1.0]], [1]), losses.bce, optim.SGD(model.parameters(), lr=1e12),
                         epochs=3, progress=False, compiled=compiled)
        return model, history

    eager = run(False)
    compiled = run(True)
    _same(eager, compiled)
    assert eager[0].w[0].data > 0.0  # it did cross
    assert len(compiles) == 2


def test_bce_output_that_underflows_to_zero_takes_the_eager_branch(compiles):
    # sample 0 pulls w up hard; sample 1's p = sigmoid(-w) becomes exactly 0.0: the compiled
    # code (built at p = 0.5) would take log(0); fit rebuilds the clamped graph instead
    def run(compiled):
        model = nn.Neuron(1, activation="sigmoid", seed=0)
        model.w[0].data, model.b.data = 0.0, 0.0
        history = nn.fit(model, ([[10.0], [-1.0]], [1, 1]), losses.bce, optim.SGD(model.parameters(), lr=1000.0),
                         epochs=3, progress=False, compiled=compiled)
        return model, history

    eager = run(False)
    compiled = run(True)
    _same(eager, compiled)
    assert model_output(eager[0], [-1.0]) == 0.0
    assert len(compiles) == 2


def model_output(model, x):
    return model(x).data


def test_bce_on_sigmoid_outputs_equals_eager():
    options = dict(loss=losses.bce, labels=(0, 1), output_activation="sigmoid", epochs=5, batch_size=16,
                   shuffle=False)
    _same(_train(False, **options), _train(True, **options))


def test_auto_compiles_only_when_the_epochs_pay_for_it(compiles):
    X, y = data.blobs(20, seed=0, labels=(-1, 1))
    for epochs in (train_module.COMPILE_FROM_EPOCHS - 1, train_module.COMPILE_FROM_EPOCHS):
        model = nn.MLP(2, [3, 1], seed=0)
        nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.05), epochs=epochs, progress=False)
    assert len(compiles) == 1


def test_auto_trains_eagerly_what_it_cannot_compile_and_true_says_why(compiles):
    X, y = data.blobs(20, seed=0, labels=(-1, 1))

    class Custom(nn.MLP):  # could branch on .data in forward: fit cannot know
        pass

    def my_hinge(outputs, targets):
        return losses.hinge(outputs, targets)

    cases = [
        (dict(model=Custom(2, [3, 1], seed=0)), "model is a Custom"),
        (dict(loss=my_hinge), "loss 'my_hinge' is not one of nn.losses"),
        (dict(batch_size=5), "shuffled minibatches"),
        (dict(model=nn.MLP(2, [3, 1], activation=lambda v: v.tanh(), seed=0)), "named activations"),
    ]
    for case, why in cases:
        model = case.get("model", nn.MLP(2, [3, 1], seed=0))
        loss = case.get("loss", losses.hinge)
        before = model.state_dict()
        with pytest.raises(nn.InputError, match=why):
            nn.fit(model, (X, y), loss, optim.SGD(model, lr=0.05), epochs=30,
                   batch_size=case.get("batch_size"), progress=False, compiled=True)
        assert model.state_dict() == before  # refused before any step
        nn.fit(model, (X, y), loss, optim.SGD(model, lr=0.05), epochs=30, batch_size=case.get("batch_size"),
               progress=False)  # "auto": eager, no error
    assert compiles == []


@pytest.mark.parametrize("bad", ["yes", 1, 0, None, "checked"])
def test_compiled_must_be_true_false_or_auto(bad):
    X, y = data.blobs(10, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(nn.InputError, match=r"compiled must be True, False or 'auto', got"):
        nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.05), epochs=2, progress=False, compiled=bad)


def test_parameters_stay_values_that_draw_and_explain_after_compiled_training():
    model, _ = _train(True, epochs=3)
    assert all(isinstance(p, ag.Value) for p in model.parameters())
    assert any(p.grad != 0.0 for p in model.parameters())  # the last step's gradients are there
    out = model([0.5, -0.5])
    assert "W1[0,0]" in str(ag.explain(model.layers[0].neurons[0].w[0], out))


def test_perceptron_and_zero_one_compile_and_match():
    X, y = data.blobs(20, seed=0, labels=(-1, 1))
    runs = []
    for compiled in (False, True):
        p = nn.Perceptron(2)
        history = nn.fit(p, (X, y), losses.zero_one, optim.SGD(p, lr=0.1), epochs=3, progress=False,
                         compiled=compiled)
        runs.append((p.state_dict(), history.as_dicts()))
    assert runs[0] == runs[1]
