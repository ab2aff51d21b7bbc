"""fit: the course's two classic demos, the history, the progress bar, and bad input refused
before any parameter moves."""

import pytest

import nn
from nn import data, losses, optim


def test_mlp_reaches_100_percent_on_moons_with_hinge_loss_in_100_steps():
    # micrograd's demo: MLP(2, [16, 16, 1]), hinge loss + L2 1e-4, lr 1.0 -> 0.1, full batch
    X, y = data.moons(100, noise=0.1, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [16, 16, 1], seed=1)
    opt = optim.SGD(model.parameters(), lr=1.0)
    history = nn.fit(model, (X, y), losses.hinge, opt, epochs=100, progress=False, l2=1e-4,
                     schedule=optim.LinearLR(opt, end_factor=0.1, total_steps=100))
    assert len(history) == 100
    assert losses.accuracy([model(x) for x in X], y) == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]
    assert history[-1].lr == pytest.approx(1.0 - 0.9 * 99 / 100)


def test_mlp_with_sigmoids_and_bce_solves_xor():
    X, y = data.xor()
    model = nn.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    history = nn.fit(model, (X, y), losses.bce, optim.SGD(model.parameters(), lr=2.0), epochs=500,
                     progress=False)
    assert [round(model(x).data) for x in X] == y
    assert history[-1].accuracy == 1.0 and history.loss[-1] < 0.05


def test_xor_with_bce_with_logits():
    X, y = data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=2)
    nn.fit(model, (X, y), losses.bce_with_logits, optim.Adam(model.parameters(), lr=0.05), epochs=300,
           progress=False)
    assert losses.accuracy([model(x) for x in X], y, threshold=0.0) == 1.0


def test_minibatches_are_deterministic_with_a_seed():
    X, y = data.circles(60, noise=0.05, seed=0)

    def run(seed):
        model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
        history = nn.fit(model, (X, y), losses.bce_with_logits, optim.Adam(model, lr=0.05), epochs=3,
                         batch_size=16, progress=False, seed=seed)
        return model.state_dict(), history.loss

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_history_records_loss_accuracy_and_lr_per_epoch():
    X, y = data.blobs(20, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [3, 1], seed=0)
    history = nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.05), epochs=4, progress=False)
    assert [e.epoch for e in history] == [1, 2, 3, 4]
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)
    assert history.as_dicts()[0].keys() == {"epoch", "loss", "accuracy", "lr"}


def test_regression_targets_have_no_accuracy():
    X = [[0.0], [1.0], [2.0]]
    y = [0.5, 2.5, 4.5]
    model = nn.MLP(1, [1], seed=0)
    history = nn.fit(model, (X, y), losses.mse, optim.SGD(model, lr=0.1), epochs=400, progress=False)
    assert history[-1].accuracy is None
    (w,), b = model.linear_equivalent()
    assert w[0] == pytest.approx(2.0, abs=1e-3) and b[0] == pytest.approx(0.5, abs=1e-3)


def test_progress_bar_shows_loss_and_accuracy(capsys):
    X, y = data.and_(labels=(-1, 1))
    model = nn.MLP(2, [1], seed=0)
    nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.1), epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "3/3" in err and "loss=" in err and "acc=" in err
    nn.fit(model, (X, y), losses.hinge, optim.SGD(model, lr=0.1), epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")


# -- bad input: a clear error, nothing half-updated ----------------------------------------

def bad_fit_calls():
    X, y = data.moons(10, seed=0, labels=(-1, 1))
    X01, y01 = data.moons(10, seed=0)
    nan_X = [row[:] for row in X]
    nan_X[3][1] = float("nan")
    inf_X = [row[:] for row in X]
    inf_X[9][0] = float("inf")
    wide = [row + [0.0] for row in X]
    return [
        (dict(data=([], [])), "the dataset is empty"),
        (dict(data=(X01, y01)), r"hinge: label y\[\d+\] = 0 is not in \{-1, 1\}"),
        (dict(data=(X, y), loss=losses.bce), r"bce: label y\[\d+\] = -1 is not in \[0, 1\]"),
        (dict(data=(nan_X, y)), r"X\[3\]\[1\] must be finite, got nan"),
        (dict(data=(inf_X, y)), r"X\[9\]\[0\] must be finite, got inf"),
        (dict(data=(wide, y)), r"X\[0\] has 3 features, expected 2 \(the model's input size\)"),
        (dict(data=(X, y[:-1])), "X has 10 rows but y has 9 labels"),
        (dict(data=X), r"data must be a pair \(X, y\)"),
        (dict(epochs=0), "epochs must be a positive int"),
        (dict(batch_size=0), "batch_size must be a positive int"),
        (dict(l2=-1.0), "l2 must be >= 0"),
        (dict(optimizer="sgd"), "optimizer must be an nn.optim optimizer"),
    ]


@pytest.mark.parametrize("changes, message", bad_fit_calls())
def test_bad_input_is_refused_before_anything_changes(changes, message):
    X, y = data.moons(10, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    args = dict(model=model, data=(X, y), loss=losses.hinge, optimizer=optim.SGD(model, lr=0.1), epochs=2)
    args.update(changes)
    with pytest.raises(nn.InputError, match=message):
        nn.fit(progress=False, **args)
    assert model.state_dict() == before


def test_learning_rate_zero_is_refused_before_training():
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(nn.InputError, match="learning rate lr must be > 0, got 0.0"):
        nn.fit(model, data.xor(), losses.bce_with_logits, optim.SGD(model, lr=0.0), epochs=1)


def test_pausing_the_collector_changes_nothing_but_speed():
    import gc

    X, y = nn.data.xor()
    runs = []
    for pause in (True, False):
        model = nn.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
        opt = nn.optim.SGD(model.parameters(), lr=2.0)
        runs.append([e.loss for e in nn.fit(model, (X, y), nn.losses.bce, opt, epochs=5, progress=False,
                                            pause_gc=pause).epochs])
    assert runs[0] == runs[1]
    assert gc.isenabled()                         # resumed after every step
    gc.disable()
    try:
        nn.fit(model, (X, y), nn.losses.bce, opt, epochs=2, progress=False)
        assert not gc.isenabled()                 # a collector the learner switched off stays off
    finally:
        gc.enable()
