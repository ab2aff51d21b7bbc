"""Rosenblatt's perceptron: ``y_hat = 1 if w . x > phi else -1``.

The perceptron learning rule touches the weights only on a mistake::

    w   <- w   + lr * y * x
    phi <- phi - lr * y

It converges on any linearly separable data (AND, OR, separable blobs) and keeps
making mistakes on XOR. As a graph, the unit is ``step(dot(w, x, bias=-phi))``;
``step`` has derivative 0 everywhere, so no gradient ever reaches ``w`` -- the
reason the 0/1 loss cannot be trained by gradient descent.

    >>> import nn
    >>> X, y = nn.data.and_(labels=(-1, 1))
    >>> p = nn.Perceptron(2)
    >>> result = p.fit(X, y, epochs=20)
    >>> result.converged, [p.predict(x) for x in X]
    (True, [-1, -1, -1, 1])
    >>> nn.Perceptron(2).fit(*nn.data.xor(labels=(-1, 1)), epochs=20).converged
    False
"""

from __future__ import annotations

import math
import random
from typing import Any, NamedTuple

from autograd import Value, dot

from . import _checks
from . import init as _init
from .mlp import wrap_inputs
from .module import Module

__all__ = ["Perceptron", "PerceptronFit"]


class PerceptronFit(NamedTuple):
    """What ``Perceptron.fit`` returns: mistakes made in each epoch, and whether the last
    epoch made none. Unpacks as ``mistakes, converged = p.fit(X, y)``."""

    mistakes: list[int]
    converged: bool

    @property
    def epochs(self) -> int:
        """How many epochs ran (training stops after the first epoch with no mistake)."""
        return len(self.mistakes)


class Perceptron(Module):
    """Rosenblatt's threshold unit with a learned threshold ``phi``.

    ``seed=None`` starts from ``w = 0`` (Rosenblatt's start); an int seed starts from
    weights drawn uniform(-1, 1) by ``random.Random(seed)``. Parameters are labelled
    ``w[j]`` and ``phi``.

    >>> p = Perceptron(2, threshold=0.5)
    >>> p.predict([1.0, 0.0]), p.predict([[1.0, 0.0], [0.0, 0.0]])
    (-1, [-1, -1])
    >>> out = p([1.0, 1.0])
    >>> out.op, out.data
    ('step', -1.0)
    """

    def __init__(self, n_inputs: int, threshold: float = 0.0, lr: float = 1.0,
                 seed: int | random.Random | None = None):
        where = "Perceptron"
        self.n_inputs = _checks.positive_int(n_inputs, "n_inputs", where)
        phi = _checks.number(threshold, "threshold", where)
        self.lr = _checks.positive_number(lr, "the learning rate lr", where)
        if seed is None:
            weights = [0.0] * self.n_inputs
        else:
            rng = _init.make_rng(seed, where)
            weights = [rng.uniform(-1.0, 1.0) for _ in range(self.n_inputs)]
        self.w = [Value(v, f"w[{j}]") for j, v in enumerate(weights)]
        self.phi = Value(phi, "phi")

    @property
    def threshold(self) -> float:
        """The current threshold phi (learned by ``fit``)."""
        return self.phi.data

    def forward(self, x) -> Value:
        """The unit as a graph: ``step(dot(w, x, bias=-phi))`` (+1 or -1, gradient 0)."""
        xs = wrap_inputs(x, self.n_inputs, "Perceptron")
        z = dot(self.w, xs, bias=-self.phi)
        z.label = "z"
        y_hat = z.step()
        y_hat.label = "y_hat"
        return y_hat

    def predict(self, x) -> int | list[int]:
        """+1 or -1 for one input vector; a list of them for a list of input vectors."""
        if _is_batch(x):
            return [self._predict(_checks.inputs(row, self.n_inputs, f"Perceptron.predict: X[{i}]"))
                    for i, row in enumerate(x)]
        return self._predict(_checks.inputs(x, self.n_inputs, "Perceptron.predict"))

    def score(self, x) -> float:
        """``w . x - phi`` as a float: positive exactly where the unit says +1.

        >>> p = Perceptron(2, threshold=0.5)
        >>> p.w[0].data = 1.0
        >>> p.score([2.0, 7.0])
        1.5
        """
        xs = _checks.inputs(x, self.n_inputs, "Perceptron.score")
        return math.fsum(w.data * float(v) for w, v in zip(self.w, xs)) - self.phi.data

    def _predict(self, xs: list[float]) -> int:
        s = math.fsum(w.data * float(v) for w, v in zip(self.w, xs))
        return 1 if s > self.phi.data else -1

    def fit(self, X, y, epochs: int = 100) -> PerceptronFit:
        """Train with the perceptron rule, one pass over ``(X, y)`` per epoch, in order.

        Labels must be -1 or +1. Stops early after an epoch without a mistake
        (``converged=True``). Data that no line separates (XOR) never gets there:
        ``converged`` is False after ``epochs`` epochs -- no exception. Everything is
        checked before the weights change.
        """
        where = "Perceptron.fit"
        rows, labels = _checks.dataset(X, y, where, self.n_inputs)
        _checks.labels_in(labels, (-1.0, 1.0), where,
                          hint="; the perceptron uses labels -1/+1 (e.g. nn.data.and_(labels=(-1, 1)))")
        epochs = _checks.positive_int(epochs, "epochs", where)
        w = [p.data for p in self.w]
        phi = self.phi.data
        lr = self.lr
        history: list[int] = []
        for _ in range(epochs):
            mistakes = 0
            for xs, target in zip(rows, labels):
                s = math.fsum([wj * xj for wj, xj in zip(w, xs)])
                if (1.0 if s > phi else -1.0) != target:
                    mistakes += 1
                    step = lr * target
                    w = [wj + step * xj for wj, xj in zip(w, xs)]
                    phi -= step
            history.append(mistakes)
            if mistakes == 0:
                break
        for p, v in zip(self.w, w):
            p.data = v
        self.phi.data = phi
        return PerceptronFit(history, history[-1] == 0)

    def parameters(self) -> list[Value]:
        """``w[0], ..., w[n-1], phi``."""
        return [*self.w, self.phi]

    def extra_repr(self) -> str:
        return f"n_inputs={self.n_inputs}, threshold={self.phi.data!r}, lr={self.lr!r}"

    def config(self) -> dict[str, Any]:
        return {"n_inputs": self.n_inputs, "lr": self.lr}

    @classmethod
    def _count_parameters(cls, config: dict) -> int | None:
        return cls._dense_count([config.get("n_inputs"), 1])  # n weights and a threshold


def _is_batch(x) -> bool:
    """True for a list of input vectors (its first item is itself a sequence)."""
    try:
        first = x[0]
    except (TypeError, IndexError, KeyError):
        return False
    return not isinstance(first, (str, bytes, Value)) and hasattr(first, "__len__")
