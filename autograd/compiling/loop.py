"""``SampleLoop``: one sample's graph compiled once, then run over many samples in one call.

A model and its loss on ONE sample make a small graph: its parameters are the inputs, the
sample's features are ``data=`` leaves. :func:`autograd.compile_loop` writes that graph as
the body of a loop over samples, with each parameter's gradient a running sum, so a batch of
any size costs one call and no more memory than one sample's graph (JAX's ``vmap`` idea, in
plain Python: the per-sample code stays the truth, the batch is how it is run)::

    for x_0, x_1, case in samples:
        z = fsum([w_0 * x_0, w_1 * x_1]) + b + 0.0
        ...
        d_w_0 += x_0 * d_z        # sums over the samples, as backward sums over their edges

When a sample's graph has more than one shape (hinge builds ``relu(1 - s)`` for y = 1 and
``relu(s + 1)`` for y = -1), each shape is a *case*, written once, and each sample says which.

    >>> import autograd as ag
    >>> w = ag.Value(0.5, label="w"); x = ag.Value(1.0, label="x")
    >>> y = (w * x).tanh(); y.label = "y"
    >>> loop = ag.compile_loop([y], [w], data=[x])
    >>> run = loop([[1.0], [2.0], [-1.0]])          # three samples, one feature each
    >>> [round(v, 6) for v in run.values], round(run.grads[0], 6)
    ([0.462117, 0.761594, -0.462117], 0.839949)

The numbers are those of ``backward`` on the graph of all the samples with every output's
gradient ``seed``: the inputs' gradients are summed in backward's order (the last sample's
edges first), so they equal eager mode's bit for bit. A value or gradient eager mode would
refuse raises eager's error for the first such sample, with its number.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from ..errors import GlassgradError, OperandError, finite_float
from .compiled import _function, _listed, check_size, replay
from .source import Source, loop_text
from .tape import Tape

__all__ = ["SampleLoop", "LoopRun"]


class LoopRun(NamedTuple):
    """One call's results: each sample's output (in the samples' order), the inputs'
    gradients summed over the samples (added to ``start``), each sample's ``also`` values."""

    values: list[float]
    grads: list[float]
    also: list[list[float]]


class SampleLoop:
    """One sample's graph (in one or more cases) as a loop over samples; made by
    :func:`autograd.compile_loop`. ``loop(rows)`` -> :class:`LoopRun`; ``loop.source`` is the
    generated code."""

    def __init__(self, tapes: list[Tape], inputs: list, data: list, name: str = "step",
                 comments: bool = True, case_notes: Sequence[str] | None = None):
        if not tapes:
            raise OperandError("compile_loop: give at least one output (one case of the sample's graph)")
        for tape in tapes:
            check_size(tape, "compile_loop")
        self._tapes = tapes
        self.inputs = tuple(inputs)
        self.data = tuple(data)
        self.name = name
        sources = [Source(tape, name, comments) for tape in tapes]
        self.source = loop_text(sources, name, list(case_notes) if case_notes else None)
        self._loop = _function(self.source, name)

    def __call__(self, rows, values=None, *, cases=None, seed: float = 1.0, start=None,
                 numbers: Sequence[int] | None = None) -> LoopRun:
        """Run every sample of ``rows`` (each a list of its ``data`` values, in ``data=``'s order).

        ``values`` are the inputs' values (default: their ``.data`` now); ``cases`` the case
        of each sample (default: case 0 for all); ``seed`` each output's gradient (``1 / n``
        for a mean over n samples); ``start`` what the summed gradients start from (default
        0.0 each); ``numbers`` how errors name the samples (default: their positions).
        """
        n_data = len(self.data)
        rows = _listed(rows, f"{self.name}: rows", n_data)
        if cases is None:
            cases = [0] * len(rows)
        else:
            cases = _listed(cases, f"{self.name}: cases", len(rows))
            if len(cases) != len(rows):
                raise OperandError(f"{self.name}: {len(rows)} rows but {len(cases)} cases")
            for k, case in enumerate(cases):
                if type(case) is not int or not 0 <= case < len(self._tapes):
                    raise OperandError(f"{self.name}: cases[{k}] = {case!r} is not a case number "
                                       f"(0 to {len(self._tapes) - 1})")
        samples = []
        for k, row in enumerate(rows):
            row = _listed(row, f"{self.name}: rows[{k}]", n_data)
            if len(row) != n_data:
                raise OperandError(f"{self.name}: rows[{k}] has {len(row)} value(s); the graph has "
                                   f"{n_data} data leaves")
            for v in row:
                if type(v) is not float or v - v != 0.0:
                    row = [finite_float(v, self.name, f"rows[{k}][{j}]") for j, v in enumerate(row)]
                    break
            samples.append((*row, cases[k]))
        return self.run_samples(samples, values, seed=seed, start=start, numbers=numbers)

    def run_samples(self, samples: list[tuple], values=None, *, seed: float = 1.0, start=None,
                    numbers: Sequence[int] | None = None) -> LoopRun:
        """As calling the loop, with the samples already made: tuples ``(*data values, case)``
        of finite floats and case numbers (what ``nn.fit`` keeps for a whole dataset)."""
        n = len(self.inputs)
        values = [x.data for x in self.inputs] if values is None else [
            finite_float(v, self.name, f"values[{k}]") for k, v in enumerate(_listed(values, f"{self.name}: values", n))]
        if len(values) != n:
            raise OperandError(f"{self.name}: expects {n} input value(s), got {len(values)}")
        start = [0.0] * n if start is None else [
            finite_float(v, self.name, f"start[{k}]") for k, v in enumerate(_listed(start, f"{self.name}: start", n))]
        seed = finite_float(seed, self.name, "seed")
        try:
            outputs, grads, check, also = self._loop(*values, reversed(samples), seed, *start)
        except (ArithmeticError, ValueError):
            return self._replay(samples, values, seed, start, numbers)
        total = sum(grads, check)
        if total - total != 0.0:  # an inf or nan somewhere (or a sum too large): eager mode decides
            return self._replay(samples, values, seed, start, numbers)
        outputs.reverse()
        also.reverse()
        return LoopRun(outputs, grads, also if also else [[] for _ in outputs])

    def _replay(self, samples, values, seed, start, numbers) -> LoopRun:
        """Every sample eagerly, in eager mode's order (the forward passes first, then backward
        from the last sample): the first refusal is raised, naming its sample."""
        n_data = len(self.data)

        def arguments(sample):
            return [*values, *sample[:n_data]]

        outputs, also = [], []
        for k, sample in enumerate(samples):
            run = _named(k, numbers, replay, self._tapes[sample[-1]], arguments(sample), True, seed, None, False)
            outputs.append(run.value)
            also.append(run.also)
        grads = list(start)
        for k in range(len(samples) - 1, -1, -1):
            sample = samples[k]
            grads = _named(k, numbers, replay, self._tapes[sample[-1]], arguments(sample), True, seed, grads).grads
        return LoopRun(outputs, grads, also)

    def __repr__(self) -> str:
        return (f"<SampleLoop {self.name}: {len(self._tapes)} case(s), {len(self.inputs)} inputs, "
                f"{len(self.data)} data; .source has {self.source.count(chr(10))} lines>")


def _named(k: int, numbers, f, *args):
    """``f(*args)``, with an error saying which sample it came from."""
    try:
        return f(*args)
    except GlassgradError as e:
        number = numbers[k] if numbers is not None else k
        raise type(e)(f"{e} (in sample {number})") from None
