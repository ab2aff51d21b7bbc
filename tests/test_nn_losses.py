"""Losses: the values and gradients the course derives, stability, and refused labels."""

import math

import pytest

import autograd as ag
import nn
from autograd import Value
from nn import losses


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


# -- binary cross-entropy ------------------------------------------------------------------

@pytest.mark.parametrize("p, y", [(0.9, 1), (0.9, 0), (0.2, 1), (0.5, 0), (0.3, 0.25)])
def test_bce_value_and_gradient(p, y):
    y_hat = Value(p)
    loss = losses.bce(y_hat, y)
    loss.backward()
    assert loss.data == pytest.approx(-y * math.log(p) - (1 - y) * math.log(1 - p))
    assert y_hat.grad == pytest.approx((p - y) / (p * (1 - p)))  # the course's dL/dy_hat


def test_bce_through_a_sigmoid_is_s_minus_y():
    z = Value(0.7)
    losses.bce(z.sigmoid(), 1).backward()
    assert z.grad == pytest.approx(sigmoid(0.7) - 1)


def test_bce_batch_is_the_mean():
    outs = [Value(0.9), Value(0.2), Value(0.6)]
    loss = losses.bce(outs, [1, 0, 1])
    assert loss.data == pytest.approx(-(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3)


def test_bce_survives_a_saturated_sigmoid():
    z = Value(800.0)
    loss = losses.bce(z.sigmoid(), 0)  # sigmoid(800) == 1.0 exactly; log(1 - 1) would be -inf
    loss.backward()
    assert 99 < loss.data < 101 and math.isfinite(z.grad)


def test_bce_refuses_outputs_that_are_not_probabilities():
    with pytest.raises(nn.InputError, match="output 1 = 1.5 is not a probability.*bce_with_logits"):
        losses.bce([Value(0.5), Value(1.5)], [1, 0])


def test_bce_with_logits_is_one_fused_node_with_local_derivative_s_minus_y():
    z = Value(0.3, label="z")
    loss = losses.bce_with_logits(z, 1)
    assert loss.parents == (z,)
    assert loss.local_grads == pytest.approx((sigmoid(0.3) - 1,))
    loss.backward()
    assert z.grad == pytest.approx(sigmoid(0.3) - 1)
    assert loss.data == pytest.approx(-math.log(sigmoid(0.3)))


@pytest.mark.parametrize("z", [1e3, -1e3, 700.0, -750.0, 36.5, 0.0])
@pytest.mark.parametrize("y", [0, 1])
def test_bce_with_logits_is_stable_for_large_logits(z, y):
    node = Value(z)
    loss = losses.bce_with_logits(node, y)
    loss.backward()
    # -log s(z) = softplus(-z) for y = 1, -log(1 - s(z)) = softplus(z) for y = 0
    t = -z if y == 1 else z
    softplus = max(t, 0.0) + math.log1p(math.exp(-abs(t)))
    assert loss.data == pytest.approx(softplus, rel=1e-12, abs=1e-300)
    expected = (1.0 if z > 0 else 0.0) if abs(z) > 40 else sigmoid(z)
    assert node.grad == pytest.approx(expected - y, abs=1e-15)


def test_bce_with_logits_batch_matches_bce_on_sigmoids():
    zs = [0.5, -1.2, 2.0]
    ys = [1, 0, 0]
    a = losses.bce_with_logits([Value(z) for z in zs], ys).data
    b = losses.bce([Value(z).sigmoid() for z in zs], ys).data
    assert a == pytest.approx(b, rel=1e-12)


# -- hinge, mse, zero-one, l2 --------------------------------------------------------------

def test_hinge_is_micrographs_max_margin_loss():
    scores = [Value(2.0), Value(0.5), Value(-0.25), Value(-3.0)]
    y = [1, 1, -1, 1]
    loss = losses.hinge(scores, y)
    expected = sum(max(0.0, 1 - yi * s.data) for s, yi in zip(scores, y)) / 4
    assert loss.data == pytest.approx(expected)
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -0.25, 0.25, -0.25]


def test_mse():
    a, b = Value(1.0), Value(3.0)
    loss = losses.mse([a, b], [0, 1])
    loss.backward()
    assert loss.data == 2.5 and (a.grad, b.grad) == (1.0, 2.0)


@pytest.mark.parametrize("labels", [(0, 1), (-1, 1)])
def test_zero_one_counts_mistakes_and_has_no_gradient(labels):
    low, high = labels
    scores = [Value(1.0), Value(-2.0), Value(0.3), Value(-0.1)]
    loss = losses.zero_one(scores, [high, high, low, low])
    loss.backward()
    assert loss.data == 0.5
    assert [s.grad for s in scores] == [0.0] * 4


def test_zero_one_threshold():
    assert losses.zero_one([Value(0.7), Value(0.2)], [1, 0], threshold=0.5).data == 0.0
    assert losses.zero_one([Value(0.7), Value(0.2)], [1, 0]).data == 0.5


def test_l2_is_one_dot_node_times_alpha():
    model = nn.MLP(2, [2, 1], seed=0)
    reg = losses.l2(model, alpha=0.1)
    assert reg.data == pytest.approx(0.1 * sum(p.data ** 2 for p in model.parameters()))
    assert reg.parents[0].op == "dot"
    reg.backward()
    for p in model.parameters():
        assert p.grad == pytest.approx(0.2 * p.data)


def test_single_sample_losses_add_no_mean_node():
    z = Value(0.5)
    assert losses.hinge(z, 1).op == "ReLU"
    assert losses.mse(z, 2).op == "**2"


def test_batch_losses_use_one_sum_node():
    outs = [Value(float(i)) for i in range(100)]
    loss = losses.hinge(outs, [1] * 100)
    assert loss.op == "/100" and loss.parents[0].op == "Σ" and len(loss.parents[0].parents) == 100


# -- accuracy ------------------------------------------------------------------------------

def test_accuracy():
    assert losses.accuracy([Value(2.0), Value(-1.0), Value(0.3)], [1, -1, -1]) == pytest.approx(2 / 3)
    assert losses.accuracy([0.9, 0.4], [1, 0], threshold=0.5) == 1.0
    assert losses.accuracy([0.9, 0.4], [1, 0]) == 0.5
    assert losses.accuracy([[0.1, 0.9], [2.0, 1.0]], [1, 0]) == 1.0  # several outputs: argmax


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("loss, y, message", [
    (losses.hinge, [1, 0], r"hinge: label y\[1\] = 0 is not in \{-1, 1\}"),
    (losses.bce, [1, -1], r"bce: label y\[1\] = -1 is not in \[0, 1\]"),
    (losses.bce_with_logits, [2, 1], r"label y\[0\] = 2 is not in \[0, 1\]"),
    (losses.zero_one, [1, 2], r"label y\[1\] = 2 is not a class label"),
    (losses.zero_one, [0, -1], "mix 0 and -1"),
    (losses.mse, [1, float("nan")], r"target y\[1\] must be finite"),
    (losses.hinge, [1], "2 outputs but 1 targets"),
])
def test_bad_targets(loss, y, message):
    with pytest.raises(nn.InputError, match=message):
        loss([Value(0.5), Value(0.25)], y)


def test_empty_batch_and_multi_output_are_refused():
    with pytest.raises(nn.InputError, match="empty batch"):
        losses.mse([], [])
    with pytest.raises(nn.InputError, match="output 0 is a list of 2 values"):
        losses.mse([[Value(1.0), Value(2.0)]], [1])
    with pytest.raises(nn.InputError, match="empty batch"):
        losses.accuracy([], [])


def test_loss_metadata_used_by_fit():
    assert losses.hinge.threshold == 0.0 and losses.bce.threshold == 0.5
    assert losses.bce_with_logits.threshold == 0.0 and losses.mse.threshold is None


def test_fused_op_is_autograds_public_one():
    assert losses.bce_with_logits(Value(0.0), 1).op_def is ag.OPS["bce_logits"]
