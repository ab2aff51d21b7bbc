"""nn.fit's array step (nn.array_step): training through compile_arrays equals eager training
to 1e-9 relative, full batch and shuffled minibatches, with every nn loss."""

import random

import pytest

np = pytest.importorskip("numpy")

import autograd as ag  # noqa: E402
import nn  # noqa: E402
from autograd.compiling import arrays  # noqa: E402
from nn import array_step  # noqa: E402


@pytest.fixture(autouse=True)
def exported(monkeypatch):
    """ag.compile_arrays, as autograd exports it (set here too, in case it is not exported yet)."""
    monkeypatch.setattr(ag, "compile_arrays", arrays.compile_arrays, raising=False)


def train_with_array_step(model, X, y, loss, optimizer, epochs, batch_size=None, l2=0.0, seed=0):
    """fit's loop (the same batches, shuffled by the same random.Random(seed)) with ArrayStep."""
    step = array_step.ArrayStep(model, loss, X, y)
    n = len(X)
    size = n if batch_size is None else batch_size
    rng, order = random.Random(seed), list(range(n))
    split = nn.train._threshold(loss, [float(t) for t in y], None)
    history = []
    for _ in range(epochs):
        if size < n:
            rng.shuffle(order)
        total, right = 0.0, 0
        for start in range(0, n, size):
            batch = order[start:start + size]
            value, ok = step.step(batch, [y[i] for i in batch], optimizer, model.parameters(), l2, split)
            total += value * len(batch)
            right += ok
        history.append((total / n, right / n))
    return history


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


@pytest.mark.parametrize("loss, labels, output_activation, batch_size, l2", [
    (nn.losses.hinge, (-1, 1), None, None, 1e-4),
    (nn.losses.bce_with_logits, (0, 1), None, 16, 0.0),
    (nn.losses.bce, (0, 1), "sigmoid", None, 0.0),
    (nn.losses.mse, (0, 1), None, 32, 1e-3),
])
def test_training_equals_eager_training(loss, labels, output_activation, batch_size, l2):
    X, y = nn.data.moons(120, noise=0.2, seed=4, labels=labels)
    results = []
    for engine in ("eager", "arrays"):
        model = nn.MLP(2, [8, 8, 1], output_activation=output_activation, seed=2)
        opt = nn.optim.Adam(model.parameters(), lr=0.02)
        if engine == "eager":
            history = nn.fit(model, (X, y), loss, opt, epochs=8, batch_size=batch_size, l2=l2, progress=False,
                             compiled=False)
            history = [(e.loss, e.accuracy) for e in history]
        else:
            history = train_with_array_step(model, X, y, loss, opt, 8, batch_size, l2)
        results.append((history, [p.data for p in model.parameters()]))
    (eager_history, eager_params), (ours, params) = results
    assert all(close(a[0], b[0]) and a[1] == b[1] for a, b in zip(ours, eager_history)), (ours, eager_history)
    assert all(close(a, b, 1e-8) for a, b in zip(params, eager_params))


def test_numpy_arrays_as_the_data_and_errors_name_the_dataset_sample():
    X, y = nn.data.moons(30, seed=0, labels=(0, 1))
    model = nn.MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    step = array_step.ArrayStep(model, nn.losses.bce, np.array(X), np.array(y))
    assert step.columns.shape == (2, 30) and "# case 1 (y = 1): its samples only" in step.loop.source
    model.layers[0].neurons[0].w[0].data = 1e308  # z1[0] overflows where x[0] > 1.8
    big = [k for k, row in enumerate(X) if abs(row[0]) > 1.8]
    batch = [0, 1, *big[:2]]
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ag.OpError, match=rf"^dot: the result is too large.*\(in sample {big[0]}\)$"):
        step.step(batch, None, opt, model.parameters(), 0.0, 0.5)


def test_available_and_the_crossover_constant():
    assert array_step.available() and 1 <= array_step.FASTER_FROM <= 10_000
