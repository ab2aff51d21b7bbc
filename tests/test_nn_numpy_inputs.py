"""nn takes NumPy arrays wherever it takes lists of rows and labels: the same checks, the same
messages, the same numbers; arrays of numbers are checked in one pass (not number by number)."""

import math

import pytest

import nn
from nn import data
from nn._checks import dataset, dataset_columns

np = pytest.importorskip("numpy")


def test_arrays_give_what_lists_give():
    X, y = data.moons(50, noise=0.2, seed=0)
    assert data.check(np.array(X), np.array(y)) == data.check(X, y)
    assert data.check(np.array(X, dtype=np.float32), np.array(y, dtype=np.uint8)) == data.check(
        np.array(X, dtype=np.float32).tolist(), y)
    rows, labels = dataset(np.array(X), np.array(y), "fit", 2)
    assert type(rows[0][0]) is float and type(labels[0]) is float


@pytest.mark.parametrize("X, y, message", [
    ([[1.0, math.nan], [0.0, 0.0]], [0, 1], r"X\[0\]\[1\] must be finite, got nan"),
    ([[1.0, 2.0], [0.0, -math.inf]], [0, 1], r"X\[1\]\[1\] must be finite, got -inf"),
    ([[1.0, 2.0], [0.0, 0.0]], [0, math.inf], r"y\[1\] must be finite, got inf"),
    ([[1.0, 2.0], [0.0, 0.0]], [0, 1, 1], "X has 2 rows but y has 3 labels"),
    ([[1.0, 2.0, 3.0]], [0], r"X\[0\] has 3 features, expected 2 \(the model's input size\)"),
])
def test_the_same_messages_as_for_lists(X, y, message):
    for given in ((X, y), (np.array(X), np.array(y))):
        with pytest.raises(nn.InputError, match=message):
            dataset(*given, "fit", 2)


def test_a_column_of_labels_says_how_to_make_one_label_per_sample():
    with pytest.raises(nn.InputError, match=r"y has shape \(2, 1\).*y.ravel\(\)"):
        data.check(np.zeros((2, 2)), np.zeros((2, 1)))


def test_arrays_of_other_things_are_checked_number_by_number():
    with pytest.raises(nn.InputError, match=r"X\[0\]\[0\] must be a number, got str"):
        data.check(np.array([["a", "b"]]), np.array([1]))
    with pytest.raises(nn.InputError, match="must be a number"):
        data.check(np.array([[True, False]]), np.array([1]))


def test_columns_for_compile_arrays():
    X, y = data.moons(20, seed=1)
    columns, labels = dataset_columns(np.array(X), np.array(y), "fit", 2)
    assert columns.shape == (2, 20) and columns.flags["C_CONTIGUOUS"]
    assert columns.T.tolist() == X and labels.tolist() == y
    same = dataset_columns(X, y, "fit", 2)  # lists work too
    assert (same[0] == columns).all() and (same[1] == labels).all()
    with pytest.raises(nn.InputError, match=r"X\[3\]\[0\] must be finite"):
        dataset_columns(np.where(np.arange(40).reshape(20, 2) == 6, np.nan, 1.0), labels, "fit", 2)


def test_fit_a_model_and_a_plot_take_arrays():
    X, y = data.moons(40, noise=0.1, seed=0, labels=(-1, 1))
    histories = []
    for given in ((X, y), (np.array(X), np.array(y))):
        model = nn.MLP(2, [4, 1], seed=0)
        histories.append(nn.fit(model, given, nn.losses.hinge, nn.optim.SGD(model, lr=0.1), epochs=3,
                                progress=False, compiled=False).loss)
    assert histories[0] == histories[1]
    assert model(np.array(X)[0]).data == model(X[0]).data
    plt = pytest.importorskip("matplotlib.pyplot")
    ax = nn.plot.plot_decision_boundary(model, np.array(X), np.array(y), resolution=10)
    assert len(ax.collections) >= 2
    plt.close(ax.figure)
