"""fit's compiled step over NumPy arrays: one sample's loss, run on a whole batch at once.

The same step as fit's per-sample loop (``nn.train``): the model and the loss on ONE sample
make a small graph, a case per label value, compiled once; a step runs it on the batch's
samples and sums the parameters' gradients (``autograd.compile_arrays``). Each line of the
code computes one node for every sample of the batch in one NumPy operation, so a large batch
costs a few hundred NumPy calls instead of a few hundred Python lines per sample. Below
:data:`FASTER_FROM` samples a batch, the per-sample loop is faster.

Results equal eager training to rounding (about 1e-13 relative per step; the sums over the
samples are NumPy's, not backward's sample after sample): see ``autograd.compile_arrays``.
NumPy is an optional extra (``pip install "glassgrad[fast]"``); :func:`available` says whether
it is installed, and nothing here imports it before a step is made.
"""

from __future__ import annotations

import importlib
import math

import autograd as ag

from . import _checks
from . import losses as _losses
from .errors import InputError

__all__ = ["ArrayStep", "FASTER_FROM", "available"]

FASTER_FROM = 48
"""The batch size from which this step is faster than fit's per-sample loop, for micrograd's
demo network (``MLP(2, [16, 16, 1])``, hinge loss + L2, SGD): ``python -m benchmarks.bench_arrays``
measured the loop at 0.89x this step's speed on 32 samples and 1.2x on 48 (1.2 to 1.4 ms a step
here from 1 to 128 samples; benchmarks/RESULTS_arrays.md). Smaller batches pay NumPy's cost per
call (about a microsecond for each of the ~1,500 NumPy calls in its 850 lines) more than they save."""


def available() -> bool:
    """True when NumPy is installed (this step can run)."""
    try:
        _numpy()
    except ag.MissingExtra:
        return False
    return True


def _numpy():
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ag.MissingExtra("numpy", "fast", "nn.fit's array step") from None


class ArrayStep:
    """One sample's loss compiled for columns of samples (a case per label value); ``step``
    takes an optimizer step on a batch, as ``nn.train._SampleStep.step`` does.

    ``rows`` and ``targets`` are the whole data set: lists of floats as ``fit`` has checked them,
    or NumPy arrays (``X`` with a row per sample), checked here; a step names its batch by the
    samples' positions in it.
    """

    def __init__(self, model, loss, rows, targets):
        self._np = np = _numpy()
        if isinstance(rows, list) and isinstance(targets, list):  # fit's checked lists of floats
            columns = np.ascontiguousarray(np.array(rows, dtype=np.float64).T)
            labels = np.array(targets, dtype=np.float64)
        else:
            columns, labels = _checks.dataset_columns(rows, targets, "fit", getattr(model, "n_inputs", None))
        values = sorted(set(labels.tolist()))
        self.params = list(dict.fromkeys(model.parameters()))  # a tied weight is one argument
        self.features = [ag.Value(float(v), f"x[{j}]") for j, v in enumerate(columns[:, 0])]
        out = model(self.features)
        outputs = out if isinstance(out, list) else [out]
        cases = [loss(outputs, [t]) for t in values]  # one model part; each label's loss of it
        for case in cases:
            case.label = "L"
        self.loop = ag.compile_arrays(cases, self.params, data=self.features, also=outputs, name="fit_step",
                                      case_notes=[f"y = {t:g}" for t in values])
        self.columns, self.labels = columns, labels
        self.cases = np.searchsorted(np.array(values), labels)
        self.single_output = not isinstance(out, list)
        try:
            self.label_set = _losses.label_set(values, "fit")
        except InputError:
            self.label_set = None  # regression targets: no accuracy
        self.l2 = None  # the L2 term's compiled graph, (alpha, fn), made on first use

    def _l2(self, params, alpha: float):
        """The L2 term of the step, compiled once: its value and d/d each parameter."""
        if self.l2 is None or self.l2[0] != alpha:
            self.l2 = (alpha, ag.compile(_losses.l2(params, alpha), self.params, name="l2_term"))
        return self.l2[1]

    def step(self, batch, yb, optimizer, params, l2: float, split: float | None) -> tuple[float, int]:
        """One optimizer step on the samples ``batch`` (positions in the data set; ``yb`` their
        labels, read from the data set here): (the batch's loss, how many it got right)."""
        np = self._np
        n = len(batch)
        optimizer.zero_grad()
        start = [p.grad for p in self.params]
        values = [p.data for p in self.params]
        if l2:
            reg, reg_grads = self._l2(params, l2)(values)
            start = [g0 + g for g0, g in zip(start, reg_grads)]
        if n == self.columns.shape[1]:  # every sample (a full batch: the sums do not depend on the order)
            columns, cases, labels, numbers = self.columns, self.cases, self.labels, None
        else:
            where = np.asarray(batch)
            columns, cases, labels, numbers = self.columns[:, where], self.cases[where], self.labels[where], batch
        run = self.loop(columns, values, cases=cases, seed=1.0 / n if n > 1 else 1.0, start=start,
                        numbers=numbers)
        # the losses are means: (sum of the samples' losses + 0.0) / n, as ag.sum(terms) / n
        value = float(run.values[0]) if n == 1 else (math.fsum(run.values.tolist()) + 0.0) / n
        if l2:
            value = value + reg
        for p, g in zip(self.params, run.grads):
            p.grad = g
        optimizer.step()
        if split is None:
            return value, 0
        if not self.single_output:
            return value, _losses.count_correct(run.also.tolist(), labels.tolist(), split)
        low, high = self.label_set
        predicted = np.where(run.also[:, 0] > split, float(high), float(low))
        return value, int(np.count_nonzero(predicted == labels))

