"""Losses: each takes the model's outputs and the targets and returns one Value.

Every loss accepts one sample (a Value and a number) or a batch (a list of Values
and a list of numbers) and returns the *mean* over the batch, built with
``autograd.sum``. Targets are checked first: a label outside the loss's set is an
:class:`~nn.InputError` naming the first bad one.

=================== ==================== ===========================================
loss                labels               output it expects
=================== ==================== ===========================================
``bce``             0/1 (or in [0, 1])   a probability (after a sigmoid)
``bce_with_logits`` 0/1 (or in [0, 1])   a logit z; one fused node, d/dz = s(z) - y
``hinge``           -1/+1                a score; micrograd's max-margin loss
``mse``             any number           anything
``zero_one``        0/1 or -1/+1         a score; its gradient is 0 everywhere
=================== ==================== ===========================================

    >>> from autograd import Value
    >>> from nn import losses
    >>> z = Value(0.0, label="z")
    >>> loss = losses.bce_with_logits(z, 1)
    >>> loss.backward(); round(loss.data, 4), z.grad     # log 2, and s(0) - 1
    (0.6931, -0.5)
    >>> losses.hinge([Value(2.0), Value(0.5)], [1, -1]).data   # (0 + 1.5) / 2
    0.75
"""

from __future__ import annotations

from typing import Callable, Iterable

import autograd as ag
from autograd import Value

from . import _checks
from .errors import InputError

__all__ = ["bce", "bce_with_logits", "hinge", "mse", "zero_one", "l2", "accuracy"]



def _targets(check: Callable[[list[float], str], None], threshold: float | None):
    """Record on a loss what targets it accepts and where its output splits the classes
    (``nn.fit`` reads both: it checks labels before training and measures accuracy)."""
    def mark(loss):
        loss.check_targets = check
        loss.threshold = threshold
        return loss
    return mark


def _plus_minus_one(y: list[float], where: str) -> None:
    _checks.labels_in(y, (-1.0, 1.0), where, hint=f"; {where} uses labels -1/+1 (nn.data.*(labels=(-1, 1)))")


def _unit_interval(y: list[float], where: str) -> None:
    for i, v in enumerate(y):
        if not 0.0 <= v <= 1.0:
            raise InputError(f"{where}: label y[{i}] = {v:g} is not in [0, 1]; {where} uses labels 0/1 "
                             f"(nn.data.*(labels=(0, 1)))")


def _binary(y: list[float], where: str) -> None:
    label_set(y, where)


def _any(y: list[float], where: str) -> None:
    pass


def label_set(y: Iterable[float], where: str = "labels") -> tuple[int, int]:
    """Which binary label set ``y`` uses: (0, 1) or (-1, 1); mixing them is an error.

    >>> label_set([1, 0, 1]), label_set([-1, 1])
    ((0, 1), (-1, 1))
    """
    y = list(y)
    if all(v in (0.0, 1.0) for v in y):
        return (0, 1)
    if all(v in (-1.0, 1.0) for v in y):
        return (-1, 1)
    bad = next(((i, v) for i, v in enumerate(y) if v not in (-1.0, 0.0, 1.0)), None)
    if bad is not None:
        raise InputError(f"{where}: label y[{bad[0]}] = {bad[1]:g} is not a class label; "
                         f"use labels 0/1 or -1/+1")
    raise InputError(f"{where}: the labels mix 0 and -1; use 0/1 or -1/+1, not both")


def _batch(y_hat, y, where: str, check) -> tuple[list[Value], list[float]]:
    """(outputs as Values, targets as floats), checked: the same length, not empty,
    one output per sample, finite targets from the loss's set."""
    if isinstance(y_hat, Value) or isinstance(y_hat, (int, float)):
        outs, ys = [y_hat], [y]
    else:
        outs = list(y_hat) if not isinstance(y_hat, (str, bytes)) else None
        if outs is None:
            raise InputError(f"{where}: expects a Value or a list of Values, got a string")
        if isinstance(y, (str, bytes)) or not hasattr(y, "__iter__"):
            raise InputError(f"{where}: {len(outs)} outputs but the target {_checks.short(y)} is not a list")
        ys = list(y)
    if not outs:
        raise InputError(f"{where}: empty batch (no outputs)")
    if len(outs) != len(ys):
        raise InputError(f"{where}: {len(outs)} outputs but {len(ys)} targets")
    targets = [_checks.number(v.data if isinstance(v, Value) else v, f"target y[{i}]", where)
               for i, v in enumerate(ys)]
    check(targets, where)
    values = []
    for i, o in enumerate(outs):
        if isinstance(o, Value):
            values.append(o)
        elif isinstance(o, (list, tuple)):
            raise InputError(f"{where}: output {i} is a list of {len(o)} values; this loss expects one "
                             f"output per sample (a network whose last layer has one unit)")
        else:
            values.append(Value(_checks.number(o, f"output {i}", where)))
    return values, targets


def _mean(terms: list[Value]) -> Value:
    """The mean of the per-sample terms: the term itself for one sample, else sum / n."""
    if len(terms) == 1:
        return terms[0]
    return ag.sum(terms) / len(terms)


@_targets(_unit_interval, 0.5)
def bce(y_hat, y) -> Value:
    """Binary cross-entropy of probabilities ``y_hat`` (after a sigmoid) against labels 0/1:
    mean of ``-y log(y_hat) - (1 - y) log(1 - y_hat)``.

    Only the term a label needs is built (``-log(y_hat)`` for y = 1). Its log is the op
    ``clamped_log``: an input below e^-100 is lifted by e^-100, so log(0) is about -100 (as
    PyTorch clamps it); for raw scores use :func:`bce_with_logits`, which never needs that.

    >>> from autograd import Value
    >>> round(bce(Value(0.9), 1).data, 4), round(bce([Value(0.9), Value(0.2)], [1, 0]).data, 4)
    (0.1054, 0.1643)
    """
    outs, ys = _batch(y_hat, y, "bce", _unit_interval)
    terms = []
    for i, (p, t) in enumerate(zip(outs, ys)):
        if not 0.0 <= p.data <= 1.0:
            raise InputError(f"bce: output {i} = {p.data:g} is not a probability in [0, 1]; give bce the "
                             f"output of a sigmoid, or use bce_with_logits on raw scores")
        if t == 1.0:
            terms.append(p.clamped_log())
        elif t == 0.0:
            terms.append((1.0 - p).clamped_log())
        else:
            terms.append(p.clamped_log() * t + (1.0 - p).clamped_log() * (1.0 - t))
    return -_mean(terms)


@_targets(_unit_interval, 0.0)
def bce_with_logits(z, y) -> Value:
    """Binary cross-entropy of ``sigmoid(z)`` against labels 0/1, one fused node per sample.

    Each node's local derivative is ``sigmoid(z) - y``: the sigmoid's s(1 - s) and
    BCE's (s - y) / (s(1 - s)) cancel. Stable for any finite z (|z| = 1000 is fine).

    >>> from autograd import Value
    >>> z = Value(1000.0)
    >>> loss = bce_with_logits(z, 0); loss.backward()
    >>> loss.data, z.grad
    (1000.0, 1.0)
    """
    outs, ys = _batch(z, y, "bce_with_logits", _unit_interval)
    return _mean([ag.bce_with_logits(o, t) for o, t in zip(outs, ys)])


@_targets(_plus_minus_one, 0.0)
def hinge(scores, y) -> Value:
    """The max-margin loss of micrograd's demo: mean of ``relu(1 - y * score)``, labels -1/+1.

    A sample classified right with margin >= 1 costs nothing and passes no gradient.

    >>> from autograd import Value
    >>> hinge(Value(0.25), 1).data, hinge(Value(3.0), 1).data
    (0.75, 0.0)
    """
    outs, ys = _batch(scores, y, "hinge", _plus_minus_one)
    return _mean([(1.0 - s).relu() if t == 1.0 else (s + 1.0).relu() for s, t in zip(outs, ys)])


@_targets(_any, None)
def mse(y_hat, y) -> Value:
    """Mean squared error: mean of ``(y_hat - y) ** 2``.

    >>> from autograd import Value
    >>> mse([Value(1.0), Value(3.0)], [0, 1]).data
    2.5
    """
    outs, ys = _batch(y_hat, y, "mse", _any)
    return _mean([(o - t) ** 2 if t else o ** 2 for o, t in zip(outs, ys)])


@_targets(_binary, 0.0)
def zero_one(scores, y, threshold: float = 0.0) -> Value:
    """The fraction of misclassified samples, built from ``step`` (labels 0/1 or -1/+1).

    A score above ``threshold`` predicts the positive class. The value is the error
    rate we care about, but ``step`` has derivative 0, so the gradient is 0 for every
    parameter, everywhere: gradient descent cannot move.

    >>> from autograd import Value
    >>> s = [Value(2.0), Value(-1.0), Value(0.5)]
    >>> loss = zero_one(s, [1, 1, 0]); loss.backward()
    >>> round(loss.data, 4), [v.grad for v in s]
    (0.6667, [0.0, 0.0, 0.0])
    """
    outs, ys = _batch(scores, y, "zero_one", _binary)
    t = _checks.number(threshold, "threshold", "zero_one")
    terms = []
    for s, label in zip(outs, ys):
        predicted = (s - t if t else s).step()  # +1 or -1
        terms.append(1.0 - predicted if label == 1.0 else predicted + 1.0)  # 0 if right, 2 if wrong
    return _mean(terms) / 2.0


def l2(params, alpha: float = 1e-4) -> Value:
    """L2 regularisation ``alpha * sum(p * p)``, as one ``dot`` node (p . p) times alpha.

    ``params`` is a list of Values or a model. Add it to the data loss.

    >>> from autograd import Value
    >>> l2([Value(1.0), Value(-2.0)], alpha=0.5).data
    2.5
    """
    ps = list(params.parameters()) if hasattr(params, "parameters") else list(params)
    alpha = _checks.non_negative_number(alpha, "alpha", "l2")
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise InputError(f"l2: params[{i}] must be a Value, got {type(p).__name__}")
    if not ps:
        raise InputError("l2: no parameters")
    return ag.dot(ps, ps) * alpha


def accuracy(y_hat, y, threshold: float = 0.0) -> float:
    """The fraction of samples classified right, as a float.

    Binary outputs (one per sample; Values or numbers) predict the positive class
    when above ``threshold`` (0 for scores and logits, 0.5 for probabilities); the
    labels are 0/1 or -1/+1. Outputs with several units (a list per sample) predict
    the index of the largest, compared with integer labels 0..k-1.

    >>> accuracy([2.0, -1.0, 0.3], [1, -1, -1])
    0.6666666666666666
    >>> accuracy([0.9, 0.2], [1, 0], threshold=0.5)
    1.0
    """
    outs = list(y_hat) if not isinstance(y_hat, (Value, int, float)) else [y_hat]
    ys = list(y) if hasattr(y, "__iter__") else [y]
    if not outs:
        raise InputError("accuracy: empty batch (no outputs)")
    if len(outs) != len(ys):
        raise InputError(f"accuracy: {len(outs)} outputs but {len(ys)} labels")
    labels = [_checks.number(v.data if isinstance(v, Value) else v, f"label y[{i}]", "accuracy")
              for i, v in enumerate(ys)]
    return count_correct(outs, labels, _checks.number(threshold, "threshold", "accuracy")) / len(outs)


def count_correct(outputs: list, labels: list[float], threshold: float) -> int:
    """How many outputs give the right class (the rule of :func:`accuracy`; nothing is checked)."""
    if isinstance(outputs[0], (list, tuple)):
        return sum(max(range(len(o)), key=lambda k: float(o[k])) == t for o, t in zip(outputs, labels))
    low, high = label_set(labels, "accuracy")
    return sum((high if float(o) > threshold else low) == t for o, t in zip(outputs, labels))
