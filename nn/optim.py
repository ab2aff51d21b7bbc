"""Optimizers and learning-rate schedules. They update ``p.data`` in place with plain floats.

An optimizer computes every new value first and assigns only if all are finite,
so a step is all or nothing.

    >>> from autograd import Value
    >>> from nn import optim
    >>> w = Value(1.0, label="w")
    >>> opt = optim.SGD([w], lr=0.1)
    >>> loss = w * w; loss.backward()      # d/dw = 2w = 2
    >>> opt.step(); w.data                 # 1 - 0.1 * 2
    0.8
    >>> opt.zero_grad(); w.grad
    0.0
"""

from __future__ import annotations

import math

from autograd import Value

from . import _checks
from .errors import InputError

__all__ = ["Optimizer", "SGD", "Adam", "Schedule", "LinearLR", "StepLR", "ExponentialLR"]


class Optimizer:
    """What SGD and Adam share: the parameter list, ``lr``, ``zero_grad`` and the
    all-or-nothing commit of a step."""

    def __init__(self, params, lr: float, where: str):
        self._where = where
        if hasattr(params, "parameters"):
            params = params.parameters()
        if isinstance(params, Value):
            raise InputError(f"{where}: params must be a list of Values (or a model), got a single Value")
        try:
            self.params: list[Value] = list(params)
        except TypeError:
            raise InputError(f"{where}: params must be a list of Values (or a model), "
                             f"got {type(params).__name__}") from None
        if not self.params:
            raise InputError(f"{where}: no parameters to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise InputError(f"{where}: params[{i}] must be a Value, got {type(p).__name__}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise InputError(f"{where}: a parameter appears more than once in params")
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; setting it checks it is a finite number > 0."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _checks.positive_number(value, "the learning rate lr", self._where)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def _commit(self, new: list[float]) -> None:
        """Assign the new values, or raise without changing anything if one is not finite."""
        for p, v in zip(self.params, new):
            if v - v != 0.0:
                raise InputError(f"{self._where}: the step would make {p.label or 'a parameter'} = {v!r} "
                                 f"(grad {p.grad!r}); nothing was changed. Lower the learning rate?")
        for p, v in zip(self.params, new):
            p.data = v

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, {self._extra()})"

    def _extra(self) -> str:
        return f"lr={self.lr!r}"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay::

        g = p.grad + weight_decay * p
        v = momentum * v + g          (v = g when momentum = 0)
        p = p - lr * v

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = 1.0; opt.step()
    >>> round(w.data, 12)               # 1 - 0.5 * 1 - 0.5 * 1.9
    -0.45
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr, "SGD")
        self.momentum = _checks.non_negative_number(momentum, "momentum", "SGD")
        if self.momentum >= 1.0:
            raise InputError(f"SGD: momentum must be in [0, 1), got {self.momentum!r}")
        self.weight_decay = _checks.non_negative_number(weight_decay, "weight_decay", "SGD")
        self.velocity: list[float] | None = None

    def step(self) -> None:
        """One update of every parameter from its ``grad``."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        params = self.params
        grads = [p.grad + wd * p.data for p in params] if wd else [p.grad for p in params]
        if mu:
            old = self.velocity or [0.0] * len(params)
            velocity = [mu * v + g for v, g in zip(old, grads)]
            self._commit([p.data - lr * v for p, v in zip(params, velocity)])
            self.velocity = velocity
        else:
            self._commit([p.data - lr * g for p, g in zip(params, grads)])

    def _extra(self) -> str:
        text = f"lr={self.lr!r}"
        if self.momentum:
            text += f", momentum={self.momentum!r}"
        if self.weight_decay:
            text += f", weight_decay={self.weight_decay!r}"
        return text


class Adam(Optimizer):
    """Adam (Kingma & Ba): per-parameter steps scaled by running averages of the
    gradient and of its square, with bias correction.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 123.0; opt.step(); round(w.data, 6)   # the first step is lr, whatever the grad
    0.9
    """

    def __init__(self, params, lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr, "Adam")
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise InputError(f"Adam: betas must be a pair of numbers, got {_checks.short(betas)}") from None
        self.betas = (_checks.number(b1, "betas[0]", "Adam"), _checks.number(b2, "betas[1]", "Adam"))
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise InputError(f"Adam: betas must be in [0, 1), got {self.betas!r}")
        self.eps = _checks.positive_number(eps, "eps", "Adam")
        self.weight_decay = _checks.non_negative_number(weight_decay, "weight_decay", "Adam")
        n = len(self.params)
        self.m, self.v, self.t = [0.0] * n, [0.0] * n, 0

    def step(self) -> None:
        """One Adam update of every parameter."""
        b1, b2 = self.betas
        wd, lr, eps = self.weight_decay, self.lr, self.eps
        t = self.t + 1
        params = self.params
        grads = [p.grad + wd * p.data for p in params] if wd else [p.grad for p in params]
        m = [b1 * mi + (1.0 - b1) * g for mi, g in zip(self.m, grads)]
        v = [b2 * vi + (1.0 - b2) * g * g for vi, g in zip(self.v, grads)]
        c1, c2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        self._commit([p.data - lr * (mi / c1) / (math.sqrt(vi / c2) + eps)
                      for p, mi, vi in zip(params, m, v)])
        self.m, self.v, self.t = m, v, t

    def _extra(self) -> str:
        return f"lr={self.lr!r}, betas={self.betas!r}"


# -- schedules -------------------------------------------------------------------

class Schedule:
    """Sets ``optimizer.lr = base_lr * factor(t)``; call ``step()`` once per epoch (``nn.fit``
    does, when given ``schedule=``)."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise InputError(f"{type(self).__name__}: expects an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.t = 0

    def factor(self, t: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch; returns the new learning rate."""
        self.optimizer.lr = self.base_lr * self.factor(self.t + 1)  # validated before t moves
        self.t += 1
        return self.optimizer.lr

    @property
    def lr(self) -> float:
        """The current learning rate."""
        return self.optimizer.lr


class LinearLR(Schedule):
    """From ``start_factor * lr`` to ``end_factor * lr`` linearly over ``total_steps``
    steps, then constant. micrograd's demo (lr = 1 - 0.9 k / 100) is
    ``LinearLR(opt, end_factor=0.1, total_steps=100)`` with lr = 1.

    >>> from autograd import Value
    >>> s = LinearLR(SGD([Value(0.0)], lr=1.0), end_factor=0.1, total_steps=100)
    >>> [round(s.step(), 3) for _ in range(2)]
    [0.991, 0.982]
    """

    def __init__(self, optimizer: Optimizer, end_factor: float, total_steps: int, start_factor: float = 1.0):
        super().__init__(optimizer)
        self.start_factor = _checks.positive_number(start_factor, "start_factor", "LinearLR")
        self.end_factor = _checks.positive_number(end_factor, "end_factor", "LinearLR")
        self.total_steps = _checks.positive_int(total_steps, "total_steps", "LinearLR")
        optimizer.lr = self.base_lr * self.start_factor

    def factor(self, t: int) -> float:
        frac = min(t, self.total_steps) / self.total_steps
        return self.start_factor + (self.end_factor - self.start_factor) * frac


class StepLR(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    >>> from autograd import Value
    >>> s = StepLR(SGD([Value(0.0)], lr=1.0), step_size=2, gamma=0.5)
    >>> [s.step() for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size = _checks.positive_int(step_size, "step_size", "StepLR")
        self.gamma = _checks.positive_number(gamma, "gamma", "StepLR")

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


class ExponentialLR(Schedule):
    """Multiply the learning rate by ``gamma`` every step.

    >>> from autograd import Value
    >>> s = ExponentialLR(SGD([Value(0.0)], lr=1.0), gamma=0.5)
    >>> [s.step() for _ in range(3)]
    [0.5, 0.25, 0.125]
    """

    def __init__(self, optimizer: Optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = _checks.positive_number(gamma, "gamma", "ExponentialLR")

    def factor(self, t: int) -> float:
        return self.gamma ** t
