"""fit(compiled=...): one sample's graph is compiled once and run over every batch, with the same
numbers as eager training bit for bit, at any batch size, shuffled or not; what fit cannot
vouch for trains eagerly (or is refused with compiled=True, saying why)."""

import math

import pytest

import autograd as ag
import nn
from nn import data, losses, optim
from nn import array_step
from nn import train as train_module
from nn.mlp import ACTIVATIONS


@pytest.fixture
def compiles(monkeypatch):
    """How many loops fit compiled (a list of their numbers of cases)."""
    made = []
    real = ag.compile_loop

    def counting(outputs, inputs, **kwargs):
        made.append(len(outputs) if isinstance(outputs, list) else 1)
        return real(outputs, inputs, **kwargs)

    monkeypatch.setattr(train_module.ag, "compile_loop", counting)
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
@pytest.mark.parametrize("batch_size, shuffle", [(None, True), (16, False), (16, True), (1, True)])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_compiled_training_equals_eager_bit_for_bit(loss, labels, batch_size, shuffle, activation, compiles):
    lr = 0.05 if batch_size == 1 else 0.5  # one sample a step: smaller steps
    eager = _train(False, loss=loss, labels=labels, batch_size=batch_size, shuffle=shuffle,
                   activation=activation, lr=lr)
    assert compiles == []
    compiled = _train(True, loss=loss, labels=labels, batch_size=batch_size, shuffle=shuffle,
                      activation=activation, lr=lr)
    _same(eager, compiled)
    assert compiles == [2]  # once, a case for each label; every batch runs it


def test_unfused_network_and_adam_with_momentum_state_equal_eager():
    options = dict(fused=False, optimizer=optim.Adam, lr=0.05, epochs=5)
    _same(_train(False, **options), _train(True, **options))


def test_micrograd_demo_in_100_steps_equals_eager_and_compiles_once(compiles):
    X, y = data.moons(100, noise=0.1, seed=0, labels=(-1, 1))
    results = []
    for compiled in (False, "loop", "auto"):
        model = nn.MLP(2, [16, 16, 1], seed=1)
        opt = optim.SGD(model.parameters(), lr=1.0)
        history = nn.fit(model, (X, y), losses.hinge, opt, epochs=100, progress=False, l2=1e-4,
                         schedule=optim.LinearLR(opt, end_factor=0.1, total_steps=100), compiled=compiled)
        results.append((model, history))
    _same(results[0], results[1])  # the loop: bit for bit
    assert compiles == ([2] if array_step.available() else [2, 2])  # "auto": NumPy's step, or the loop again
    # "auto" takes NumPy arrays from 48 samples a batch, when NumPy is there: equal to rounding
    (eager, eager_history), (model, history) = results[0], results[2]
    assert all(math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)
               for a, b in zip(eager.parameters(), model.parameters()))
    assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(eager_history.loss, history.loss))
    assert history.accuracy == eager_history.accuracy and history[-1].accuracy == 1.0


def test_bce_output_crossing_the_log_clamp_needs_no_recompiling(compiles):
    # one sigmoid unit at z = -120: p = e^-120 < e^-100, so bce takes log(p + e^-100); the big
    # step moves p near 1, where it takes log(p): the branch is in clamped_log's code
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
    assert compiles == [1]


def test_bce_output_that_underflows_to_zero_takes_the_clamp_in_compiled_code_too(compiles):
    # sample 0 pulls w up hard; sample 1's p = sigmoid(-w) becomes exactly 0.0: log(0 + e^-100)
    def run(compiled):
        model = nn.Neuron(1, activation="sigmoid", seed=0)
        model.w[0].data, model.b.data = 0.0, 0.0
        history = nn.fit(model, ([[10.0], [-1.0]], [1, 1]), losses.bce, optim.SGD(model.parameters(), lr=1000.0),
                         epochs=3, progress=False, compiled=compiled)
        return model, history

    eager = run(False)
    compiled = run(True)
    _same(eager, compiled)
    assert eager[0]([-1.0]).data == 0.0
    assert compiles == [1]


def test_bce_on_sigmoid_outputs_equals_eager():
    options = dict(loss=losses.bce, labels=(0, 1), output_activation="sigmoid", epochs=5, batch_size=16,
                   shuffle=False)
    _same(_train(False, **options), _train(True, **options))


def test_auto_compiles_only_when_the_sample_steps_pay_for_it(compiles):
    X, y = data.blobs(20, seed=0, labels=(-1, 1))
    enough = train_module.COMPILE_FROM_SAMPLES // 20
    for epochs in (enough - 1, enough):
        model = nn.MLP(2, [3, 1], seed=0)
        nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.05), epochs=epochs, progress=False)
    assert len(compiles) == 1


def _leaky(z):  # branches on data: a compiled step would keep the first step's branch
    return z if z.data > 0 else z * 0.01


@pytest.fixture
def leaky_registered():
    ACTIVATIONS["leaky"] = _leaky
    yield "leaky"
    del ACTIVATIONS["leaky"]


def test_auto_trains_eagerly_what_it_cannot_compile_and_true_says_why(compiles, leaky_registered, monkeypatch):
    X, y = data.blobs(20, seed=0, labels=(-1, 1))

    class Custom(nn.MLP):  # could branch on .data in forward: fit cannot know
        pass

    def my_hinge(outputs, targets):
        return losses.hinge(outputs, targets)

    replaced = nn.MLP(2, [3, 1], seed=0)
    replaced.forward = lambda x: nn.MLP.forward(replaced, x)
    cases = [
        (dict(model=Custom(2, [3, 1], seed=0)), "model is a Custom"),
        (dict(loss=my_hinge), "loss 'my_hinge' is not one of nn.losses"),
        (dict(model=nn.MLP(2, [3, 1], activation=lambda v: v.tanh(), seed=0)), "not one of nn's built-in"),
        (dict(model=nn.MLP(2, [3, 1], activation=leaky_registered, seed=0)), "'leaky' is not one of nn's"),
        (dict(model=replaced), "whose forward was replaced on the instance"),
        (dict(loss=losses.bce, labels=(0, 1)), "bce needs outputs in \\[0, 1\\]"),
        (dict(loss=losses.mse, targets=[i / 10 for i in range(20)]), "20 distinct values, more than the 16"),
    ]
    for case, why in cases:
        model = case.get("model", nn.MLP(2, [3, 1], seed=0))
        loss = case.get("loss", losses.hinge)
        targets = case.get("targets", [(v + 1) / 2 for v in y] if case.get("labels") == (0, 1) else y)
        before = model.state_dict()
        with pytest.raises(nn.InputError, match=why):
            nn.fit(model, (X, targets), loss, optim.SGD(model, lr=0.05), epochs=30, progress=False,
                   compiled=True)
        assert model.state_dict() == before  # refused before any step
        if loss is not losses.bce:
            nn.fit(model, (X, targets), loss, optim.SGD(model, lr=0.05), epochs=30, progress=False)  # "auto"
    assert compiles == []


def test_a_replaced_class_forward_is_not_compiled(compiles, monkeypatch):
    X, y = data.blobs(20, seed=0, labels=(-1, 1))
    original = nn.MLP.forward
    monkeypatch.setattr(nn.MLP, "forward", lambda self, x: original(self, x))
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(nn.InputError, match="class's forward was replaced"):
        nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.05), epochs=30, progress=False, compiled=True)


def test_a_data_branching_activation_trains_under_auto_exactly_as_eager(leaky_registered, compiles):
    runs = []
    for compiled in (False, "auto"):
        X, y = data.moons(60, noise=0.1, seed=0, labels=(-1, 1))
        model = nn.MLP(2, [8, 1], activation=leaky_registered, seed=1)
        history = nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.2), epochs=25, progress=False)
        runs.append((model.state_dict(), history.as_dicts()))
    assert runs[0] == runs[1] and compiles == []


def test_tied_weights_train_compiled_as_eager():
    def run(compiled):
        model = nn.MLP(2, [3, 1], seed=0)
        shared = model.layers[0].neurons[0].w[0]
        model.layers[0].neurons[1].w[0] = shared  # one Value in two neurons
        X, y = data.moons(30, noise=0.1, seed=0, labels=(-1, 1))
        params = list(dict.fromkeys(model.parameters()))  # an optimizer takes each Value once
        history = nn.fit(model, (X, y), losses.hinge, optim.SGD(params, lr=0.3), epochs=8, batch_size=7,
                         progress=False, l2=1e-3, compiled=compiled)
        return model, history

    (eager, eager_history), (model, history) = run(False), run(True)
    assert [(p.data, p.grad) for p in eager.parameters()] == [(p.data, p.grad) for p in model.parameters()]
    assert eager_history.as_dicts() == history.as_dicts()
    assert model.layers[0].neurons[1].w[0] is model.layers[0].neurons[0].w[0]


def test_the_compiled_step_does_not_grow_with_the_data(compiles, monkeypatch):
    made = []
    real = train_module._SampleStep

    def keep(*args):
        made.append(real(*args))
        return made[-1]

    monkeypatch.setattr(train_module, "_SampleStep", keep)
    for n in (40, 400):
        X, y = data.moons(n, noise=0.1, seed=0, labels=(-1, 1))
        model = nn.MLP(2, [4, 1], seed=1)
        nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.1), epochs=2, batch_size=32, progress=False,
               compiled=True)
    assert made[0].loop.source == made[1].loop.source  # one sample's code, whatever the data


def test_a_sample_eager_refuses_is_refused_compiled_with_the_same_error_and_its_number():
    def run(compiled):
        model = nn.MLP(2, [3, 1], seed=0)
        X = [[0.5, 0.5], [1e300, 1e300], [0.1, 0.2]]
        with pytest.raises(ag.GlassgradError) as error:
            nn.fit(model, (X, [1, -1, 1]), losses.mse, optim.SGD(model, lr=0.1), epochs=1, progress=False,
                   compiled=compiled)  # sample 1's output squared overflows
        return model, error.value

    (eager_model, eager), (model, compiled) = run(False), run(True)
    assert type(compiled) is type(eager)
    assert str(compiled) == f"{eager} (in sample 1)"
    assert model.state_dict() == eager_model.state_dict()


@pytest.mark.parametrize("bad", ["yes", 1, 0, None, "checked"])
def test_compiled_must_be_true_false_or_auto(bad):
    X, y = data.blobs(10, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(nn.InputError, match=r"compiled must be True, False, 'auto', 'loop' or 'arrays', got"):
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


def test_fit_picks_numpy_arrays_for_large_batches_and_the_loop_without_numpy(monkeypatch):
    pytest.importorskip("numpy")
    made = []
    for cls in ("_SampleStep", "ArrayStep"):
        real = getattr(train_module, cls)
        monkeypatch.setattr(train_module, cls, lambda *a, real=real, cls=cls: made.append(cls) or real(*a))

    def run(compiled, batch_size=None):
        X, y = data.moons(120, noise=0.1, seed=0, labels=(0, 1))
        model = nn.MLP(2, [8, 8, 1], seed=1, output_activation="sigmoid")
        history = nn.fit(model, (X, y), losses.bce, optim.Adam(model, lr=0.05), epochs=6, progress=False,
                         batch_size=batch_size, l2=1e-4, compiled=compiled)
        return model, history

    eager = run(False)
    for compiled, batch_size, kind in (("auto", None, "ArrayStep"), ("auto", 16, "_SampleStep"),
                                       ("arrays", 16, "ArrayStep"), ("loop", None, "_SampleStep")):
        made.clear()
        model, history = run(compiled, batch_size)
        assert made == [kind]
        if batch_size is None:
            assert all(math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)
                       for a, b in zip(eager[0].parameters(), model.parameters()))
            assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(eager[1].loss, history.loss))
    monkeypatch.setattr(train_module, "_arrays_available", lambda: False)  # as without NumPy
    made.clear()
    _same(eager, run("auto"))
    assert made == ["_SampleStep"]
    with pytest.raises(nn.InputError, match="needs NumPy"):
        run("arrays")
