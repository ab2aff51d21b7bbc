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

import autograd as ag

from . import _checks
from . import losses as _losses
from .errors import InputError
from .sample_graph import SampleGraph

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
        self.graph = graph = SampleGraph(model, loss, columns[:, 0].tolist(), values)
        self.loop = ag.compile_arrays(graph.cases, graph.params, data=graph.features, also=graph.outputs,
                                      name="fit_step", case_notes=graph.notes)
        self.columns, self.labels = columns, labels
        self.cases = np.searchsorted(np.array(values), labels)
        try:
            self.label_set = _losses.label_set(values, "fit")
        except InputError:
            self.label_set = None  # regression targets: no accuracy

    def step(self, batch, yb, optimizer, params, l2: float, split: float | None) -> tuple[float, int]:
        """One optimizer step on the samples ``batch`` (positions in the data set; ``yb`` their
        labels, read from the data set here): (the batch's loss, how many it got right)."""
        np = self._np
        n = len(batch)
        graph = self.graph
        values, start, reg = graph.begin(optimizer, params, l2)
        if n == self.columns.shape[1]:  # every sample (a full batch: the sums do not depend on the order)
            columns, cases, labels, numbers = self.columns, self.cases, self.labels, None
        else:
            where = np.asarray(batch)
            columns, cases, labels, numbers = self.columns[:, where], self.cases[where], self.labels[where], batch
        run = self.loop(columns, values, cases=cases, seed=graph.seed(n), start=start, numbers=numbers)
        value = graph.mean(run.values.tolist(), reg, l2)
        graph.end(run.grads, optimizer)
        if split is None:
            return value, 0
        if not graph.single_output:
            return value, _losses.count_correct(run.also.tolist(), labels.tolist(), split)
        low, high = self.label_set
        predicted = np.where(run.also[:, 0] > split, float(high), float(low))
        return value, int(np.count_nonzero(predicted == labels))

