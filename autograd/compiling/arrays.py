"""``autograd.compile_arrays``: one sample's graph, run on a whole batch of samples at once.

The code is the one-sample code :func:`autograd.compile` writes, line for line: one line per
node, then one line per edge. Only what a name holds changes. A ``data=`` leaf is a *column*
(a NumPy array, one number per sample), so every node computed from one is an array too, and
each line computes that node for every sample in one NumPy operation. Parameters (``inputs``)
stay single numbers; a parameter's gradient is summed over the samples. Ops that branch on a
value (relu, abs, step, clamped_log) use their array templates from the op table
(:mod:`autograd.ops`), with the same conventions at the kink (ReLU'(0) = 0).

    >>> import pytest; np = pytest.importorskip("numpy")     # NumPy is an optional extra
    >>> from autograd import Value
    >>> from autograd.compiling.arrays import compile_arrays
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> y = (w * x).relu(); y.label = "y"
    >>> fn = compile_arrays(y, [w], data=[x])                # x: a column of samples
    >>> run = fn([np.array([2.0, -1.0, 4.0])])
    >>> run.values.tolist(), run.grads                       # y per sample; dy/dw summed
    ([1.0, 0.0, 2.0], [6.0])
    >>> print(fn.source, end="")
    def step(w, x, seed):
        \"\"\"y for every sample (x: one number per sample) and the sum over the samples
        of seed * d y / d each input (written by autograd.compile_arrays).\"\"\"
        # forward pass: one line per node, each for every sample at once
        t2 = w * x
        y = maximum(t2, 0.0)
        # backward pass, outputs first: d_v = seed * d y / d v for every sample, summed over the edges out of v
        d_y = seed
        d_t2 = (t2 > 0.0) * d_y  # dy/dt2 = 1 if t2 > 0 else 0
        d_x = w * d_t2  # dt2/dx = w
        d_w = x @ d_t2  # dt2/dw = x, summed over the samples
        # eager mode refuses inf and nan at every node and gradient; these could hide one: their sum tells
        check = add_all([y, t2, d_x])
        # the inputs' gradients, each summed over the samples
        grads = [d_w]
        return y, grads, check

``x @ d_t2`` is the dot product of two columns: the sum over the samples of ``x * d_t2``.

**Cases.** When a sample's graph has more than one shape (hinge builds ``relu(1 - s)`` for
y = 1 and ``relu(s + 1)`` for y = -1), give one output per shape, built on the same inputs and
data leaves, and say each sample's case. The nodes every case has (the model) are written once
and run on every sample; each case's own nodes (its loss) run on its samples only
(:mod:`.array_cases`).

**Errors are eager mode's.** A sample whose value or gradient eager mode refuses (log of 0,
an overflow, a division by 0) raises the same :class:`~autograd.OpError` or
:class:`~autograd.BackwardError` as eager mode on the graph of all the samples: the forward
passes first (the first sample that fails), then backward from the last sample; the message
names the op and the values and ends ``(in sample k)``. The vectorised run checks one sum per
sample; only when it is not finite is the batch halved until the failing sample is found, and
that sample's graph is run eagerly to raise eager's error.

**Exactness.** Each sample's numbers equal eager mode's to rounding, not bit for bit: NumPy's
``exp``, ``log`` and ``tanh`` may differ from math's by an ulp, ``sum`` and ``dot`` add their
terms left to right where eager mode rounds once (``fsum``), and the sums over the samples are
NumPy's (pairwise), not backward's sample after sample. On nn's networks and losses the
results agree with eager mode to about 1e-13 relative (tests/test_compile_arrays.py checks
1e-9; training for 8 epochs, tests/test_nn_array_step.py, too). Where a sum cancels, the
difference is what its rounding makes it: ``1 + 1e119 - 1e119`` is 1.0 rounded once and 0.0
added left to right. NumPy is an optional extra (``pip install "glassgrad[fast]"``), imported
on first use.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from ..errors import GlassgradError, MissingExtra, OperandError, describe, finite_float, require
from ..backprop import overflow_error
from .array_cases import CasesSource
from .array_source import FORWARD, GRADS, LOCALS, ArraySource, function, helpers
from .compiled import check_size, replay
from .tape import Tape

__all__ = ["compile_arrays", "ArrayLoop", "ArrayRun", "CHUNK", "available"]

CHUNK = 8192
"""Samples per vectorised call: a batch runs in chunks of this many samples, so its memory
(about two arrays of CHUNK floats per node) does not grow with the batch, and a chunk's arrays
(64 KB each) stay in the CPU's cache. (Arrays of 128 KB and more are each a fresh mapping of
memory for the C library, which made chunks of 16384 samples several times slower here.)"""


class ArrayRun(NamedTuple):
    """One call's results: each sample's output (an array, in the samples' order), the inputs'
    gradients summed over the samples (added to ``start``), and each sample's ``also`` values
    (an array with a row per sample and a column per ``also`` node)."""

    values: object
    grads: list[float]
    also: object


def compile_arrays(outputs, inputs, *, data, also=(), name: str = "step", comments: bool = True,
                   case_notes: Sequence[str] | None = None) -> "ArrayLoop":
    """One sample's graph as code that runs on a whole batch of samples at once (NumPy).

    ``outputs`` is one sample's output (a Value), or a list of them: the *cases*, the shapes
    the sample's graph takes (one per label value, say), all built on the same ``inputs`` and
    ``data`` leaves. ``inputs`` are the parameters: single numbers for the whole batch, whose
    gradients are summed over the samples. ``data`` are the leaves that differ per sample (its
    features); each call gives one column per data leaf. Every other leaf is a constant,
    written into the code. ``also`` are nodes whose values each sample reports (a list of
    nodes, or one list per case). ``case_notes`` label the cases in the source.

    ``fn(columns, values=None, *, cases=None, seed=1.0, start=None, numbers=None)`` gives an
    :class:`ArrayRun`: each sample's output, for each input the sum over the samples of
    ``seed * d output / d input`` added to ``start`` (``seed`` a number, ``1/n`` for the
    gradient of a mean, or one number per sample), and the ``also`` values. See the module
    docstring for an example, the errors and how exact it is.
    """
    np = _numpy()
    cases = [outputs] if hasattr(outputs, "parents") else list(outputs)
    if not cases:
        raise OperandError("compile_arrays: give at least one output (one case of the sample's graph)")
    also = list(also)
    if also and hasattr(also[0], "parents"):  # one list for every case
        also = [also] * len(cases)
    tapes = [Tape.read(case, inputs, data, also[k] if also else (), where="compile_arrays")
             for k, case in enumerate(cases)]
    for tape in tapes:
        check_size(tape, "compile_arrays")
    return ArrayLoop(tapes, list(_as_list(inputs)), list(_as_list(data)), name=name, comments=comments,
                     case_notes=case_notes, numpy=np)


class ArrayLoop:
    """One sample's graph (in one or more cases) run on columns of samples; made by
    :func:`compile_arrays`. ``fn(columns)`` -> :class:`ArrayRun`; ``fn.forward(columns)`` the
    same without gradients; ``fn.source`` is the generated code."""

    def __init__(self, tapes: list[Tape], inputs: list, data: list, name: str = "step",
                 comments: bool = True, case_notes: Sequence[str] | None = None, numpy=None):
        if not data:
            raise OperandError("compile_arrays: data= must give at least one leaf: the columns a call "
                               "gives, one number per sample (autograd.compile runs a single point)")
        if len({len(tape.also) for tape in tapes}) > 1:
            raise OperandError("compile_arrays: every case must report the same number of also= nodes")
        self._np = np = numpy if numpy is not None else _numpy()
        self._helpers = helpers(np)
        self._tapes = tapes
        self.inputs = tuple(inputs)
        self.data = tuple(data)
        self.name = name
        if len(tapes) == 1:
            self._writer = ArraySource(tapes[0], name, comments, self._helpers)
        else:
            self._writer = CasesSource(tapes, name, comments, self._helpers, list(case_notes or []))
        self.source = self._writer.text(GRADS)
        self._functions = {GRADS: function(self.source, name, self._helpers)}

    # -- calls -----------------------------------------------------------------------------------
    def __call__(self, columns, values=None, *, cases=None, seed=1.0, start=None,
                 numbers: Sequence[int] | None = None, chunk: int = CHUNK) -> ArrayRun:
        """Run every sample of ``columns``: one column per ``data=`` leaf, in that order, each
        one number per sample (a 2-D array of shape (n_data, n_samples) is such a list: ``X.T``
        for an array X with a row per sample).

        ``values`` are the inputs' values (default: their ``.data`` now); ``cases`` the case
        of each sample (default: case 0 for all); ``seed`` the output's gradient, a number or
        one per sample; ``start`` what the summed gradients start from (default 0.0 each);
        ``numbers`` how errors name the samples (default: their positions); ``chunk`` how many
        samples each vectorised call takes (memory and speed, not the results).
        """
        return self._run(columns, values, cases, seed, start, numbers, chunk, GRADS)

    def forward(self, columns, values=None, *, cases=None, numbers: Sequence[int] | None = None,
                chunk: int = CHUNK) -> ArrayRun:
        """Each sample's output and ``also`` values, without gradients (``grads`` is empty)."""
        return self._run(columns, values, cases, 1.0, None, numbers, chunk, FORWARD)

    @property
    def forward_source(self) -> str:
        """The generated forward-only function."""
        return self._writer.text(FORWARD, self.name + "_forward")

    def _function(self, mode: str):
        found = self._functions.get(mode)
        if found is None:
            name = f"{self.name}_{mode}"
            found = self._functions[mode] = function(self._writer.text(mode, name), name,
                                                                  self._helpers)
        return found

    def _run(self, columns, values, cases, seed, start, numbers, chunk, mode) -> ArrayRun:
        np = self._np
        batch = _Batch(self, self._values(values), *self._columns(columns), numbers, mode)
        batch.seeds = self._seeds(seed, batch.n)
        batch.cases = self._cases(cases, batch.n)
        batch.chunk = chunk if type(chunk) is int and chunk > 0 else CHUNK
        start = self._start(start) if mode == GRADS else None
        with np.errstate(all="ignore"):
            parts = batch.fast()
            if parts is None:
                parts = batch.careful()
            return batch.combined(parts, start)

    # -- arguments ---------------------------------------------------------------------------------
    def _values(self, values) -> list:
        np = self._np
        n = len(self.inputs)
        if values is None:
            values = [x.data for x in self.inputs]
        elif isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise OperandError(f"{self.name}: values must be a list of {n} number(s), one per input, "
                               f"got {type(values).__name__}")
        values = list(values)
        if len(values) != n:
            raise OperandError(f"{self.name}: expects {n} input value(s), in the order of inputs "
                               f"({_first_labels(self.inputs)}), got {len(values)}")
        # NumPy scalars, so that a node of parameters alone follows NumPy's rules too (x / 0.0 is
        # inf, found by the check; (-8.0) ** 0.5 is nan, not a complex number)
        if all(type(v) is float for v in values):
            array = np.array(values, dtype=np.float64)
            if np.isfinite(array).all():
                return list(array)
        return [np.float64(finite_float(v, self.name, f"values[{k}] ({describe(x)})"))
                for k, (v, x) in enumerate(zip(values, self.inputs))]

    def _columns(self, columns) -> tuple[list, int]:
        np = self._np
        n_data = len(self.data)
        if isinstance(columns, (str, bytes)) or not hasattr(columns, "__len__"):
            raise OperandError(f"{self.name}: columns must be a list of {n_data} column(s), one per data= "
                               f"leaf, got {type(columns).__name__}")
        if len(columns) != n_data:
            raise OperandError(f"{self.name}: expects {n_data} column(s), one per data= leaf "
                               f"({_first_labels(self.data)}), got {len(columns)}")
        cols, n = [], None
        for j, raw in enumerate(columns):
            what = f"column {j} ({_leaf_name(self.data[j])})"
            try:
                col = np.ascontiguousarray(raw, dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise OperandError(f"{self.name}: {what} must be numbers, one per sample: {e}") from None
            if col.ndim != 1:
                raise OperandError(f"{self.name}: {what} must be one number per sample (1-D), "
                                   f"got shape {col.shape}")
            if n is None:
                n = len(col)
                if n == 0:
                    raise OperandError(f"{self.name}: no samples ({what} is empty)")
            elif len(col) != n:
                raise OperandError(f"{self.name}: {what} has {len(col)} samples, column 0 has {n}")
            finite = np.isfinite(col)
            if not finite.all():
                k = int(np.argmin(finite))
                raise OperandError(f"{self.name}: {what} must be finite, got {float(col[k])!r} at sample {k}")
            cols.append(col)
        return cols, n

    def _seeds(self, seed, n: int):
        np = self._np
        if not hasattr(seed, "__len__"):
            return np.full(n, finite_float(seed, self.name, "seed"))
        try:
            seeds = np.ascontiguousarray(seed, dtype=np.float64)
        except (TypeError, ValueError):
            raise OperandError(f"{self.name}: seed must be a number or one number per sample, "
                               f"got {type(seed).__name__}") from None
        if seeds.shape != (n,):
            raise OperandError(f"{self.name}: seed must be a number or one number per sample ({n}), "
                               f"got shape {seeds.shape}")
        finite = np.isfinite(seeds)
        if not finite.all():
            raise OperandError(f"{self.name}: seed must be finite, got {float(seeds[np.argmin(finite)])!r}")
        return seeds

    def _cases(self, cases, n: int):
        """Each sample's case (an array), or None when there is one case."""
        np = self._np
        if cases is None:
            return None
        try:
            array = np.asarray(cases)
        except (TypeError, ValueError):
            array = None
        if array is None or array.shape != (n,) or array.dtype.kind not in "iu":
            raise OperandError(f"{self.name}: cases must be one case number (an int) per sample ({n})")
        bad = (array < 0) | (array >= len(self._tapes))
        if bad.any():
            k = int(np.argmax(bad))
            raise OperandError(f"{self.name}: cases[{k}] = {int(array[k])} is not a case number "
                               f"(0 to {len(self._tapes) - 1})")
        return None if len(self._tapes) == 1 else array

    def _start(self, start) -> list:
        n = len(self.inputs)
        if start is None:
            return [0.0] * n
        if isinstance(start, (str, bytes)) or not hasattr(start, "__len__") or len(start) != n:
            raise OperandError(f"{self.name}: start must be a list of {n} number(s), one per input")
        return [finite_float(v, self.name, f"start[{k}]") for k, v in enumerate(start)]

    # -- how it shows --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (f"<ArrayLoop {self.name}: {len(self._tapes)} case(s), {len(self.inputs)} inputs, "
                f"{len(self.data)} data columns; .source has {self.source.count(chr(10))} lines>")

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.source}```\n"


class _Part(NamedTuple):
    """Results for the samples lo..hi-1 of the batch."""

    lo: int
    hi: int
    values: object
    grads: object
    also: object


class _Batch:
    """One call: its arguments, and how a range of its samples is run."""

    cases = seeds = None
    chunk = CHUNK

    def __init__(self, loop: ArrayLoop, args: list, cols: list, n: int, numbers, mode: str):
        self.loop, self.np, self.args, self.cols, self.n = loop, loop._np, args, cols, n
        self.numbers, self.mode = numbers, mode
        if numbers is not None and len(numbers) != n:
            raise OperandError(f"{loop.name}: numbers has {len(numbers)} entries for {n} samples")

    # -- vectorised runs --------------------------------------------------------------------------
    def run(self, lo: int, hi: int, mode: str) -> _Part | None:
        """Samples lo..hi-1 as arrays, in chunks; None if a check is not finite."""
        np = self.np
        fn = self.loop._function(mode)
        n_cases = len(self.loop._tapes)
        values, grads, also = [], [], []
        for a in range(lo, hi, self.chunk):
            b = min(a + self.chunk, hi)
            arguments = [*self.args, *(col[a:b] for col in self.cols)]
            if mode == GRADS:
                arguments.append(self.seeds[a:b])
            if n_cases > 1:
                cases = self.cases[a:b] if self.cases is not None else np.zeros(b - a, dtype=int)
                arguments += [np.flatnonzero(cases == k) for k in range(n_cases)]
            try:
                if mode == GRADS:
                    out, g, check, *extra = fn(*arguments)
                else:
                    (out, check, *extra), g = fn(*arguments), ()
                total = np.add(check, out)
                if total.dtype.kind != "f" or not np.isfinite(total).all():
                    return None
                g = np.array(g, dtype=np.float64)
            except (ArithmeticError, ValueError, TypeError):  # a node of parameters alone in plain floats
                return None
            if not np.isfinite(g).all():
                return None
            values.append(_per_sample(np, out, b - a))
            grads.append(g)
            also.append(np.column_stack([_per_sample(np, x, b - a) for x in extra[0]]) if extra else
                        np.empty((b - a, 0)))
        total = grads[0] if len(grads) == 1 else np.sum(grads, axis=0)
        if not np.isfinite(total).all():
            return None
        return _Part(lo, hi, values[0] if len(values) == 1 else np.concatenate(values), total,
                     also[0] if len(also) == 1 else np.concatenate(also))

    def fast(self) -> list[_Part] | None:
        """The whole batch, vectorised; None when a check is not finite."""
        part = self.run(0, self.n, self.mode)
        return None if part is None else [part]

    # -- the careful run: eager mode's order of refusals -------------------------------------------------
    def careful(self) -> list[_Part]:
        """The batch when its vectorised run is not finite, as eager mode on the graph of all
        the samples runs it: the forward passes first, sample after sample (the first sample
        whose values or local derivatives eager mode refuses raises), then backward from the
        last sample (the last one whose gradient eager mode refuses raises). The batch is halved
        until the failing sample is found; a sample the arrays flag but eager mode runs (only
        the rounding overflowed) gets eager mode's numbers."""
        forward = LOCALS if self.mode == GRADS else FORWARD
        for kind, k in self._walk(forward, last_first=False):
            if kind == "bad":
                self.eager(k, grads=False)  # raises eager's error, or the sample is fine forward
        parts = []
        for kind, item in self._walk(self.mode, last_first=True):
            parts.append(item if kind == "ok" else self.eager(item, grads=self.mode == GRADS))
        return parts

    def _walk(self, mode: str, last_first: bool):
        """Halve the batch until each range runs: ("ok", part) for a range that does, ("bad", k)
        for a single sample k that does not, in sample order (or last first)."""
        todo = [(0, self.n)]
        while todo:
            a, b = todo.pop()
            part = self.run(a, b, mode)
            if part is not None:
                yield "ok", part
            elif b - a == 1:
                yield "bad", a
            else:
                mid = (a + b) // 2
                todo += [(a, mid), (mid, b)] if last_first else [(mid, b), (a, mid)]

    def eager(self, k: int, grads: bool) -> _Part:
        """Sample k by eager mode (its error, said for this sample), as a part of the batch."""
        np = self.np
        tape = self.loop._tapes[0 if self.cases is None else int(self.cases[k])]
        try:
            value, g, also = _eager_sample(tape, [float(a) for a in self.args], [float(c[k]) for c in self.cols],
                                           float(self.seeds[k]), grads)
        except GlassgradError as e:
            number = k if self.numbers is None else self.numbers[k]
            raise type(e)(f"{e} (in sample {number})") from None
        return _Part(k, k + 1, np.array([value]), np.array(g if grads else [0.0] * len(self.loop.inputs)),
                     np.array([also]))

    # -- the results in the samples' order ------------------------------------------------------------
    def combined(self, parts: list[_Part], start: list | None) -> ArrayRun:
        np, loop = self.np, self.loop
        if len(parts) == 1:
            values, also = parts[0].values, parts[0].also
        else:
            values = np.empty(self.n)
            also = np.empty((self.n, len(loop._tapes[0].also)))
            for part in parts:
                values[part.lo:part.hi] = part.values
                also[part.lo:part.hi] = part.also
        if start is None:
            return ArrayRun(values, [], also)
        total = parts[0].grads if len(parts) == 1 else np.sum([part.grads for part in parts], axis=0)
        grads = (np.array(start) + total) if any(start) else total
        finite = np.isfinite(grads)
        if not finite.all():  # every sample's gradient is finite, their sum is not
            k = int(np.argmin(finite))
            raise overflow_error("backward", loop.inputs[k], float(grads[k]),
                                 f" (summed over the {self.n} samples)")
        return ArrayRun(values, grads.tolist(), also)


def _eager_sample(tape: Tape, values: list[float], row: list[float], seed: float, grads: bool):
    """(value, input gradients, also values) of one sample by eager mode: every node made by
    ``apply`` (and its local derivatives checked), every gradient added as ``backward`` adds it."""
    run = replay(tape, [*values, *row], True, seed, backward=grads)
    return run.value, run.grads, run.also


def _per_sample(np, x, n: int):
    """``x`` as one float per sample (a node of parameters alone is the same for every sample)."""
    return x.astype(np.float64, copy=False) if np.ndim(x) else np.full(n, float(x))


def _numpy():
    return require("numpy", "fast", "compile_arrays")


def available() -> bool:
    """True when NumPy is installed, so :func:`compile_arrays` can run."""
    try:
        _numpy()
    except MissingExtra:
        return False
    return True


def _as_list(xs):
    return [xs] if hasattr(xs, "parents") else xs


def _leaf_name(leaf) -> str:
    return repr(leaf.label) if type(leaf.label) is str else "unlabelled"


def _first_labels(leaves: tuple, n: int = 3) -> str:
    shown = [_leaf_name(leaf) for leaf in leaves[:n]]
    return ", ".join(shown) + (", ..." if len(leaves) > n else "") if leaves else "none"
