"""Plots: a decision boundary and a loss curve rendered to PNG, and a clear message without matplotlib."""

import builtins
import sys

import pytest

import nn
from nn import data, losses, optim, plot

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def trained():
    X, y = data.moons(60, noise=0.1, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [8, 8, 1], seed=1)
    opt = optim.SGD(model, lr=0.5)
    history = nn.fit(model, (X, y), losses.hinge, opt, epochs=30, progress=False)
    return model, X, y, history


def test_decision_boundary_png(trained, tmp_path):
    model, X, y, _ = trained
    path = tmp_path / "boundary.png"
    ax = plot.plot_decision_boundary(model, X, y, path=path, resolution=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ax.get_xlabel() == "x[0]" and len(ax.collections) >= 2
    plt.close(ax.figure)


def test_loss_curve_png(trained, tmp_path):
    *_, history = trained
    path = tmp_path / "loss.png"
    ax = plot.plot_loss(history, path=path)
    assert path.stat().st_size > 1000
    assert list(ax.lines[0].get_ydata()) == history.loss
    plt.close(ax.figure)
    ax = plot.plot_loss([3.0, 2.0, 1.0])  # a plain list of losses works too
    plt.close(ax.figure)


def test_draws_on_a_given_axes(trained):
    model, X, y, history = trained
    fig, (left, right) = plt.subplots(1, 2)
    assert plot.plot_decision_boundary(model, X, y, ax=left, resolution=10) is left
    assert plot.plot_loss(history, ax=right) is right
    plt.close(fig)


def test_a_sigmoid_model_splits_at_one_half():
    model = nn.MLP(2, [2, 1], output_activation="sigmoid", seed=0)
    X, y = data.xor()
    ax = plot.plot_decision_boundary(model, X, y, resolution=8)
    assert "0.5" in ax.get_title()
    plt.close(ax.figure)


def test_bad_input():
    with pytest.raises(nn.InputError, match="history is empty"):
        plot.plot_loss([])
    with pytest.raises(nn.InputError, match="expected 2"):
        plot.plot_decision_boundary(nn.MLP(3, [1], seed=0), [[0.0, 1.0, 2.0]], [1])


def test_missing_matplotlib_gives_a_clear_message(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    for name in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=r"pip install 'glassgrad\[plot\]'"):
        plot.plot_loss([1.0, 0.5])


def test_a_perceptron_boundary_is_drawn_from_its_score(tmp_path):
    X, y = data.blobs(40, seed=0, labels=(-1, 1))
    p = nn.Perceptron(2)
    p.fit(X, y)
    ax = plot.plot_decision_boundary(p, X, y, resolution=30, path=tmp_path / "perceptron.png")
    assert (tmp_path / "perceptron.png").exists()
    plt.close(ax.figure)
