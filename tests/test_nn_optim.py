"""Optimizers and schedules: the update rules, all-or-nothing steps, refused learning rates."""

import math

import pytest

import nn
from autograd import Value
from nn import optim


def params_with_grads(values, grads):
    ps = [Value(v, label=f"p[{i}]") for i, v in enumerate(values)]
    for p, g in zip(ps, grads):
        p.grad = g
    return ps


def test_sgd_step():
    ps = params_with_grads([1.0, -2.0], [0.5, -1.0])
    optim.SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == pytest.approx([0.95, -1.9])


def test_sgd_weight_decay_is_l2_gradient():
    ps = params_with_grads([2.0], [0.0])
    optim.SGD(ps, lr=0.5, weight_decay=0.1).step()
    assert ps[0].data == pytest.approx(2.0 - 0.5 * 0.1 * 2.0)


def test_sgd_momentum_accumulates_velocity():
    ps = params_with_grads([0.0], [1.0])
    opt = optim.SGD(ps, lr=1.0, momentum=0.5)
    opt.step()
    opt.step()  # v = 1, then 0.5 * 1 + 1
    assert ps[0].data == pytest.approx(-2.5)


def test_adam_matches_the_reference_formula():
    p = Value(1.0)
    opt = optim.Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    m = v = 0.0
    x = 1.0
    for t, g in enumerate([0.3, -0.1, 0.7, 0.2], start=1):
        p.grad = g
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x -= 0.01 * (m / (1 - 0.9 ** t)) / (math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        assert p.data == pytest.approx(x, rel=1e-12)


def test_optimizer_accepts_a_model_and_zero_grads_it():
    model = nn.MLP(2, [2, 1], seed=0)
    opt = optim.SGD(model, lr=0.1)
    model([1.0, 1.0]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert len(opt.params) == model.num_parameters()


@pytest.mark.parametrize("lr", [0, 0.0, -0.1, float("nan"), float("inf"), "0.1", None])
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_learning_rate_must_be_positive(cls, lr):
    with pytest.raises(nn.InputError, match="learning rate lr"):
        cls([Value(1.0)], lr=lr)


def test_learning_rate_cannot_be_set_to_zero_later():
    opt = optim.SGD([Value(1.0)], lr=0.1)
    with pytest.raises(nn.InputError, match="must be > 0"):
        opt.lr = 0.0
    assert opt.lr == 0.1


def test_bad_optimizer_arguments():
    with pytest.raises(nn.InputError, match="momentum must be in"):
        optim.SGD([Value(1.0)], lr=0.1, momentum=1.0)
    with pytest.raises(nn.InputError, match="weight_decay must be >= 0"):
        optim.SGD([Value(1.0)], lr=0.1, weight_decay=-1)
    with pytest.raises(nn.InputError, match="betas must be in"):
        optim.Adam([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(nn.InputError, match="no parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(nn.InputError, match=r"params\[1\] must be a Value"):
        optim.SGD([Value(1.0), 2.0], lr=0.1)
    p = Value(1.0)
    with pytest.raises(nn.InputError, match="more than once"):
        optim.SGD([p, p], lr=0.1)


def test_a_step_that_would_overflow_changes_nothing():
    ps = params_with_grads([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    opt = optim.SGD(ps, lr=0.1)
    ps[2].grad = 1e308
    ps[2].data = -1.7e308
    with pytest.raises(nn.InputError, match=r"p\[2\].*nothing was changed"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0, -1.7e308]


def test_adam_cannot_be_given_an_infinite_gradient():
    """Adam normalises its steps, so only an infinite gradient could overflow it: a Value refuses one."""
    ps = params_with_grads([1.0], [1.0])
    with pytest.raises(ValueError, match="grad must be finite"):
        ps[0].grad = float("inf")
    opt = optim.Adam(ps, lr=0.1)
    ps[0].grad, ps[0].data = 1e308, -1.7e308
    opt.step()
    assert ps[0].data == -1.7e308 - 0.1 and opt.t == 1


# -- schedules -----------------------------------------------------------------------------

def test_linear_schedule_is_micrographs_demo():
    opt = optim.SGD([Value(0.0)], lr=1.0)
    schedule = optim.LinearLR(opt, end_factor=0.1, total_steps=100)
    lrs = [opt.lr]
    for _ in range(120):
        schedule.step()
        lrs.append(opt.lr)
    assert lrs[:100] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(100)])
    assert lrs[100:] == pytest.approx([0.1] * 21)


def test_step_and_exponential_schedules():
    opt = optim.SGD([Value(0.0)], lr=0.8)
    s = optim.StepLR(opt, step_size=3, gamma=0.5)
    assert [s.step() for _ in range(6)] == pytest.approx([0.8, 0.8, 0.4, 0.4, 0.4, 0.2])
    opt = optim.Adam([Value(0.0)], lr=1.0)
    e = optim.ExponentialLR(opt, gamma=0.9)
    assert [e.step() for _ in range(3)] == pytest.approx([0.9, 0.81, 0.729])


def test_schedule_arguments_are_checked():
    opt = optim.SGD([Value(0.0)], lr=1.0)
    with pytest.raises(nn.InputError, match="end_factor must be > 0"):
        optim.LinearLR(opt, end_factor=0.0, total_steps=10)
    with pytest.raises(nn.InputError, match="expects an optimizer"):
        optim.StepLR("sgd", step_size=1)


def test_a_schedule_whose_rate_is_refused_stays_where_it_was():
    from autograd import Value

    s = optim.ExponentialLR(optim.SGD([Value(0.0)], lr=1.0), gamma=1e-200)
    s.step()                                   # lr = 1e-200, still a positive float
    with pytest.raises(nn.InputError):
        s.step()                               # 1e-400 underflows to 0: refused
    assert s.t == 1 and s.lr == 1e-200
