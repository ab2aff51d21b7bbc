"""Rosenblatt's perceptron: converges on what a line separates, says so when it cannot,
and shows why its 0/1 loss gives no gradient."""

import pytest

import autograd as ag
import nn


@pytest.mark.parametrize("dataset", [nn.data.and_, nn.data.or_])
@pytest.mark.parametrize("seed", [None, 0, 1, 2])
def test_converges_on_and_and_or(dataset, seed):
    X, y = dataset(labels=(-1, 1))
    p = nn.Perceptron(2, seed=seed)
    result = p.fit(X, y, epochs=50)
    assert result.converged
    assert result.mistakes[-1] == 0 and result.epochs == len(result.mistakes) <= 50
    assert p.predict(X) == y


@pytest.mark.parametrize("seed", [None, 0, 1])
def test_converges_on_separable_blobs(seed):
    X, y = nn.data.blobs(200, seed=3, labels=(-1, 1))
    p = nn.Perceptron(2, seed=seed)
    mistakes, converged = p.fit(X, y, epochs=100)
    assert converged and mistakes[-1] == 0
    assert p.predict(X) == y


def test_does_not_converge_on_xor_and_says_so():
    X, y = nn.data.xor(labels=(-1, 1))
    p = nn.Perceptron(2)
    result = p.fit(X, y, epochs=30)
    assert result.converged is False
    assert len(result.mistakes) == 30 and all(m > 0 for m in result.mistakes)


def test_the_rule_updates_only_on_mistakes():
    p = nn.Perceptron(2, threshold=0.5, lr=0.25)
    # (1, 1) -> w.x = 0 <= 0.5 -> -1: a mistake for label +1, so w += 0.25 * x, phi -= 0.25
    result = p.fit([[1.0, 1.0]], [1], epochs=1)
    assert [w.data for w in p.w] == [0.25, 0.25] and p.threshold == 0.25
    assert result.mistakes == [1]
    # now 0.5 > 0.25 -> +1: right, so nothing moves
    result = p.fit([[1.0, 1.0]], [1], epochs=5)
    assert result == ([0], True)
    assert [w.data for w in p.w] == [0.25, 0.25] and p.threshold == 0.25


def test_prediction_follows_the_threshold_rule():
    p = nn.Perceptron(2, threshold=1.0)
    p.w[0].data, p.w[1].data = 1.0, 1.0
    assert p.predict([0.5, 0.5]) == -1  # w.x = 1 is not > phi = 1
    assert p.predict([0.5, 0.6]) == 1


def test_as_a_value_it_is_step_of_dot_and_gets_no_gradient():
    p = nn.Perceptron(2, seed=0)
    out = p([1.0, 0.5])
    assert out.op == "step" and out.label == "y_hat"
    z = out.parents[0]
    assert z.op == "dot" and z.label == "z"
    assert [n.label for n in z.parents[:2]] == ["w[0]", "w[1]"]
    assert out.data == p.predict([1.0, 0.5])
    out.backward()
    assert all(q.grad == 0.0 for q in p.parameters())


def test_zero_one_loss_has_zero_gradient_everywhere():
    X, y = nn.data.blobs(20, seed=1, labels=(-1, 1))
    p = nn.Perceptron(2)  # w = 0: every point is called -1
    loss = nn.losses.zero_one([p(x) for x in X], y)
    loss.backward()
    assert loss.data == 0.5  # it is wrong on half the points...
    assert [q.grad for q in p.parameters()] == [0.0, 0.0, 0.0]  # ...and the gradient cannot say how to fix it


def test_predict_many_and_graph_match():
    X, y = nn.data.or_(labels=(-1, 1))
    p = nn.Perceptron(2, seed=4)
    p.fit(X, y)
    assert p.predict(X) == [int(p(x).data) for x in X]


# -- bad input -----------------------------------------------------------------------------

def test_labels_must_be_plus_minus_one():
    X, y = nn.data.and_()  # labels 0/1
    p = nn.Perceptron(2)
    with pytest.raises(nn.InputError, match=r"label y\[0\] = 0 is not in \{-1, 1\}.*labels=\(-1, 1\)"):
        p.fit(X, y)
    assert [w.data for w in p.w] == [0.0, 0.0] and p.threshold == 0.0


@pytest.mark.parametrize("X, y, message", [
    ([], [], "the dataset is empty"),
    ([[0.0, 1.0]], [1, -1], "X has 1 rows but y has 2 labels"),
    ([[0.0, 1.0], [1.0]], [1, -1], r"X\[1\] has 1 feature, expected 2"),
    ([[0.0, 1.0], [1.0, float("nan")]], [1, -1], r"X\[1\]\[1\] must be finite, got nan"),
    ([[0.0, float("inf")]], [1], r"X\[0\]\[1\] must be finite, got inf"),
    ([[0.0, 1.0]], [float("nan")], r"y\[0\] must be finite"),
])
def test_bad_data_changes_nothing(X, y, message):
    p = nn.Perceptron(2, seed=3)
    before = p.state_dict()
    with pytest.raises(nn.InputError, match=message):
        p.fit(X, y)
    assert p.state_dict() == before


def test_bad_arguments():
    with pytest.raises(nn.InputError, match="learning rate lr must be > 0, got 0.0"):
        nn.Perceptron(2, lr=0)
    with pytest.raises(nn.InputError, match="learning rate lr must be > 0"):
        nn.Perceptron(2, lr=-1.0)
    with pytest.raises(nn.InputError, match="threshold must be finite"):
        nn.Perceptron(2, threshold=float("nan"))
    with pytest.raises(nn.InputError, match="epochs must be a positive int"):
        nn.Perceptron(2).fit([[0.0, 0.0]], [1], epochs=0)
    with pytest.raises(nn.InputError, match="Perceptron.predict: expects 2 inputs, got 3"):
        nn.Perceptron(2).predict([1.0, 2.0, 3.0])
    with pytest.raises(nn.InputError, match="Perceptron: expects 2 inputs, got 1"):
        nn.Perceptron(2)([1.0])
    assert isinstance(nn.Perceptron(2)([1.0, 2.0]), ag.Value)


def test_score_is_positive_exactly_where_the_unit_says_plus_one():
    X, y = nn.data.blobs(30, seed=2, labels=(-1, 1))
    p = nn.Perceptron(2, seed=0)
    for x in X:
        assert (p.score(x) > 0) == (p.predict(x) == 1)
