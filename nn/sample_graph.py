"""What both of fit's compiled steps share: the graph of one sample's loss, and a step's frame.

``fit`` compiles the model and the loss on ONE sample, a *case* per label value (hinge builds
``relu(1 - s)`` for y = 1 and ``relu(s + 1)`` for y = -1), on the same model part. A step then
runs that code on a batch: the per-sample loop (``nn.train``, :func:`autograd.compile_loop`) or
NumPy columns (``nn.array_step``, :func:`autograd.compile_arrays`). Around the run, both do
what ``loss.backward()`` on the whole batch's graph does: the L2 term's edges are added first
(its node comes last in that graph), every sample's gradient is seeded with 1/n (the loss is a
mean), and the mean itself is ``(sum of the samples' losses + 0.0) / n``, as ``ag.sum(terms) / n``.

    >>> import nn
    >>> model = nn.MLP(2, [2, 1], seed=0)
    >>> graph = SampleGraph(model, nn.losses.hinge, [0.5, -0.5], [-1.0, 1.0])
    >>> [case.op for case in graph.cases], graph.notes
    (['ReLU', 'ReLU'], ['y = -1', 'y = 1'])
"""

from __future__ import annotations

import math

import autograd as ag

from . import losses as _losses

__all__ = ["SampleGraph"]


class SampleGraph:
    """One sample's loss on ``model``, a case per label of ``labels``, built at ``first_row``."""

    def __init__(self, model, loss, first_row, labels: list[float]):
        self.params = list(dict.fromkeys(model.parameters()))  # a tied weight is one argument
        self.features = [ag.Value(float(v), f"x[{j}]") for j, v in enumerate(first_row)]
        out = model(self.features)
        self.outputs = out if isinstance(out, list) else [out]
        self.single_output = not isinstance(out, list)
        self.cases = [loss(self.outputs, [t]) for t in labels]  # one model part; each label's loss of it
        for case in self.cases:
            case.label = "L"
        self.notes = [f"y = {t:g}" for t in labels]
        self._l2 = None  # the L2 term's compiled graph, (alpha, fn), made on first use

    def begin(self, optimizer, params, l2: float) -> tuple[list[float], list[float], float]:
        """Zero the optimizer's gradients; return the parameters' values, where their gradients
        start (with the L2 term's share: backward adds its edges first) and the L2 term's value."""
        optimizer.zero_grad()
        start = [p.grad for p in self.params]
        values = [p.data for p in self.params]
        if not l2:
            return values, start, 0.0
        if self._l2 is None or self._l2[0] != l2:
            self._l2 = (l2, ag.compile(_losses.l2(params, l2), self.params, name="l2_term"))
        reg, reg_grads = self._l2[1](values)
        return values, [g0 + g for g0, g in zip(start, reg_grads)], reg

    @staticmethod
    def seed(n: int) -> float:
        """Each sample's gradient seed: d mean / d loss_i = 1/n (1.0 for one sample: no mean node)."""
        return 1.0 / n if n > 1 else 1.0

    @staticmethod
    def mean(losses: list[float], reg: float, l2: float) -> float:
        """The batch's loss as the eager graph computes it: the mean, then + the L2 term."""
        n = len(losses)
        value = losses[0] if n == 1 else (math.fsum(losses) + 0.0) / n
        return value + reg if l2 else value

    def end(self, grads: list[float], optimizer) -> None:
        """Give the parameters their gradients and take the optimizer's step."""
        for p, g in zip(self.params, grads):
            p.grad = g
        optimizer.step()
