"""``autograd.compile_arrays``: one sample's graph, run on a whole batch of samples at once.

The code is the one-sample code :func:`autograd.compile` writes, line for line: one line per
node, then one line per edge. Only what a name holds changes. A ``data=`` leaf is a *column*
(a NumPy array with one number per sample), so every node that depends on one is an array
too, and each line computes that node for every sample in one NumPy operation. Parameters
(``inputs``) stay single numbers; a parameter's gradient is summed over the samples. Ops that
branch on a value (relu, abs, step, clamped_log) use their array templates from the op table
(:mod:`autograd.ops`), with the same conventions at the kink.

    >>> import pytest; np = pytest.importorskip("numpy")     # NumPy is an optional extra
    >>> from autograd import Value
    >>> from autograd.compiling.arrays import compile_arrays
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> y = (w * x).relu(); y.label = "y"
    >>> fn = compile_arrays(y, [w], data=[x])                # x is a column of samples
    >>> run = fn.run([0.5], [np.array([2.0, -1.0, 4.0])], per_sample=True)
    >>> run.values.tolist(), run.value, run.grads           # y per sample, their sum, sum of dy/dw
    ([1.0, 0.0, 2.0], 3.0, [6.0])
    >>> print(fn.source, end="")
    def step(w, x, seed):
        \"\"\"y for every sample (x: columns, one number per sample) and the sum over the samples of
        seed * d y / d each input (written by autograd.compile_arrays).\"\"\"
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

Errors are eager mode's: a sample whose value or gradient eager mode refuses (log of 0, an
overflow, a division by 0) raises the same :class:`~autograd.OpError` or
:class:`~autograd.BackwardError`, naming the op and the values, with ``(sample k)`` added. The
vectorised run checks one sum per sample; when it is not finite, the batch is halved until
the first bad sample is found, and that sample's graph is run eagerly to raise eager's error.

Exactness: each sample's numbers equal eager mode's to rounding, not bit for bit: NumPy's
``exp``, ``log``, ``tanh`` may differ from math's by an ulp, ``sum`` and ``dot`` add their terms
left to right where eager mode rounds once (``fsum``), and the sums over samples are NumPy's.
NumPy is an optional extra (``pip install "glassgrad[fast]"``), imported on first use.
"""

from __future__ import annotations

import builtins
import dis
import keyword
import math
import re
import types
from typing import NamedTuple

from ..backprop import _one_pass_at_a_time, overflow_error
from ..errors import MissingExtra, OperandError, describe, finite_float, require
from ..value import Value, _InfiniteDerivative, _op_error, apply
from .source import comment_text, identifier, literal
from .tape import CONSTANT, DATA, INPUT, Tape

__all__ = ["compile_arrays", "ArrayGraph", "ArrayRun", "CHUNK"]

CHUNK = 8192
"""Samples per vectorised call: a batch is run in chunks of this many samples, so memory
stays bounded (about 2 arrays of CHUNK floats per node) whatever the batch size, and each
chunk's arrays stay in the CPU's cache."""

_TERMS_PER_STATEMENT = 64  # Python's compiler recurses once per term of a + b + ...
_CHECKS_PER_LINE = 12
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_BARE = re.compile(r"\{([0-9]+)\}\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OWN_NAMES = {"add_all", "sum", "where", "maximum", "sign", "sigmoid", "bce_logits",
              "check", "grads", "also", "seed"}


class ArrayRun(NamedTuple):
    """What one call gives: ``value``, the output summed over the samples; ``grads``, for each
    input the sum over the samples of ``seed * d output / d input``; ``values``, the output
    per sample (an array, when asked with ``per_sample=True``, else None); ``also``, the
    ``also`` nodes' values per sample (arrays)."""

    value: float
    grads: list[float]
    values: object
    also: list


def compile_arrays(output, inputs, *, data, also=(), name: str = "step",
                   comments: bool = True) -> "ArrayGraph":
    """One sample's graph of ``output`` as code that runs on a batch of samples at once (NumPy).

    ``inputs`` are the parameters: leaves that are single numbers for the whole batch, whose
    gradients are summed over the samples. ``data`` are the leaves that differ per sample
    (a sample's features, its label): each call gives one column per data leaf. Every other
    leaf is a constant, written into the code. ``also`` are nodes whose values per sample
    each call returns too (a model's outputs).

    ``fn.run(values, columns, seed=1.0, per_sample=False)`` gives an :class:`ArrayRun`: the
    output summed over the samples, the sum over the samples of ``seed * d output / d input``
    for each input (``seed`` a number, or one number per sample: ``1/n`` gives the gradient of
    the mean), and with ``per_sample=True`` the output per sample. ``fn.backward(columns,
    seed=...)`` reads the inputs' ``.data`` and adds those sums to their ``.grad``.
    ``fn.source`` is the generated code. See the module docstring for an example.
    """
    np = _numpy("compile_arrays")
    tape = Tape.read(output, inputs, data, also, where="compile_arrays")
    return ArrayGraph(tape, list(_as_list(inputs)), list(_as_list(data)), name=name, comments=comments,
                      numpy=np)


class ArrayGraph:
    """The code of one sample's graph, run on columns of samples; made by :func:`compile_arrays`.

    ``fn(values, columns)`` -> ``(value, grads)``; ``fn.run(...)`` -> :class:`ArrayRun`;
    ``fn.forward(values, columns)`` -> the output per sample (an array; no gradients);
    ``fn.backward(columns)`` adds to the inputs' ``.grad``. ``fn.source`` is the code.
    """

    def __init__(self, tape: Tape, inputs: list, data: list, name: str = "step", comments: bool = True,
                 numpy=None):
        if not data:
            raise OperandError("compile_arrays: data= must name at least one leaf: the columns a call "
                               "gives, one number per sample (use autograd.compile for a single point)")
        self._np = numpy if numpy is not None else _numpy("compile_arrays")
        self._helpers = _helpers(self._np)
        self._tape = tape
        self.inputs = tuple(inputs)
        self.data = tuple(data)
        self.name = name
        self._writer = _ArraySource(tape, name, comments, self._helpers)
        self.source = self._writer.text(grads=True)
        self._step = _function(self.source, name, self._helpers)
        self._forward = None  # the forward-only function, written on first use
        self.signature = tape.signature()

    # -- calls ---------------------------------------------------------------------------
    def __call__(self, values, columns, *, seed=1.0) -> tuple[float, list[float]]:
        """``(value, grads)``: the output summed over the samples and, for each input, the sum
        over the samples of ``seed * d output / d input``."""
        run = self.run(values, columns, seed=seed)
        return run.value, run.grads

    def run(self, values, columns, *, seed=1.0, per_sample: bool = False, sample_ids=None,
            chunk: int = CHUNK) -> ArrayRun:
        """The output, the gradients and the ``also`` values on the samples ``columns``.

        ``values``: the inputs' values (numbers, in the order of ``inputs``). ``columns``: one
        column per ``data=`` leaf, in that order, each one number per sample (a 2-D array of
        shape (n_data, n_samples) works too: ``X.T`` for rows of samples X). ``seed``: a number
        or one per sample. ``sample_ids``: how errors name the samples (default 0, 1, ...; give
        the dataset's indices when ``columns`` is a part of it). ``chunk``: samples per
        vectorised call (memory and speed only, not results beyond rounding).
        """
        return self._run(values, columns, seed, per_sample, sample_ids, chunk, grads=True)

    def forward(self, values, columns, *, sample_ids=None):
        """The output per sample (an array), without gradients."""
        return self.run_forward(values, columns, sample_ids=sample_ids).values

    def run_forward(self, values, columns, *, sample_ids=None, chunk: int = CHUNK) -> ArrayRun:
        """The output (summed, and per sample) and the ``also`` values; no gradients."""
        if self._forward is None:
            self._forward = _function(self.forward_source, self.name + "_forward", self._helpers)
        return self._run(values, columns, 1.0, True, sample_ids, chunk, grads=False)

    def backward(self, columns, *, seed=1.0, per_sample: bool = False, sample_ids=None,
                 chunk: int = CHUNK) -> ArrayRun:
        """As eager mode's ``backward`` of each sample's output seeded with ``seed``, samples one
        after another: adds the sum over the samples of ``seed * d output / d input`` to each
        input's ``.grad`` (at the inputs' current ``.data``). Returns the :class:`ArrayRun`.
        If a gradient would overflow, no ``.grad`` is changed."""
        run = self.run([x.data for x in self.inputs], columns, seed=seed, per_sample=per_sample,
                       sample_ids=sample_ids, chunk=chunk)
        with _one_pass_at_a_time:  # threads sharing these leaves add one pass at a time
            new = [x.grad + g for x, g in zip(self.inputs, run.grads)]
            for x, g in zip(self.inputs, new):
                if g - g != 0.0:
                    raise overflow_error("backward", x, g, " (summed over the samples; no .grad was changed)")
            for x, g in zip(self.inputs, new):
                x.grad = g
        return run

    @property
    def forward_source(self) -> str:
        """The generated forward-only function (written on first use)."""
        return self._writer.text(grads=False)

    # -- the vectorised run, chunk by chunk ----------------------------------------------------
    def _run(self, values, columns, seed, per_sample: bool, sample_ids, chunk: int, grads: bool) -> ArrayRun:
        np = self._np
        args = self._values(values)
        cols, n = self._columns(columns)
        seeds = self._seeds(seed, n)
        ids = self._ids(sample_ids, n)
        chunk = chunk if type(chunk) is int and chunk > 0 else CHUNK
        batch = _Batch(self, args, cols, seeds, ids, grads)
        parts = []
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            part = batch.part(start, stop)
            parts += [part] if part is not None else batch.careful(start, stop)
        return self._combined(parts, n, per_sample or not grads, grads)

    def _combined(self, parts: list, n: int, per_sample: bool, grads: bool) -> ArrayRun:
        np = self._np
        value = math.fsum(part.value for part in parts)
        if value - value != 0.0:
            raise OperandError(f"{self.name}: the output summed over the {n} samples overflows a float "
                               f"(every sample's value is finite)")
        sums = []
        if grads:
            with np.errstate(all="ignore"):
                total = parts[0].grads if len(parts) == 1 else np.sum([part.grads for part in parts], axis=0)
            finite = np.isfinite(total)
            if not finite.all():
                k = int(np.argmin(finite))
                raise overflow_error("backward", self.inputs[k], float(total[k]), f" (summed over the {n} samples)")
            sums = total.tolist()
        values = np.concatenate([part.values for part in parts]) if per_sample else None
        also = [np.concatenate([part.also[k] for part in parts]) for k in range(len(self._tape.also))]
        return ArrayRun(value, sums, values, also)

    # -- arguments -------------------------------------------------------------------------------
    def _values(self, values) -> list:
        np = self._np
        values = list(values)
        if len(values) != len(self.inputs):
            raise OperandError(f"{self.name}: expects {len(self.inputs)} input value(s), in the order of "
                               f"inputs ({_first_labels(self.inputs)}), got {len(values)}")
        # NumPy scalars, so that a node of parameters alone follows NumPy's rules too (x / 0 is
        # inf, found by the check; (-8.0) ** 0.5 is nan, not a complex number)
        if all(type(v) is float for v in values):
            array = np.array(values, dtype=np.float64)
            if np.isfinite(array).all():
                return list(array)
        return [np.float64(finite_float(v, self.name, f"input value {k} ({describe(x)})"))
                for k, (v, x) in enumerate(zip(values, self.inputs))]

    def _columns(self, columns) -> tuple[list, int]:
        np = self._np
        if isinstance(columns, (str, bytes)) or not hasattr(columns, "__len__"):
            raise OperandError(f"{self.name}: columns must be a list of {len(self.data)} column(s), one per "
                               f"data= leaf, got {type(columns).__name__}")
        if len(columns) != len(self.data):
            raise OperandError(f"{self.name}: expects {len(self.data)} column(s), one per data= leaf "
                               f"({_first_labels(self.data)}), got {len(columns)}")
        cols, n = [], None
        for j, raw in enumerate(columns):
            what = f"column {j} ({_leaf_name(self.data[j])})"
            try:
                col = np.ascontiguousarray(raw, dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise OperandError(f"{self.name}: {what} must be numbers, one per sample: {e}") from None
            if col.ndim != 1:
                raise OperandError(f"{self.name}: {what} must be one-dimensional (one number per sample), "
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
        if isinstance(seed, (int, float)) or type(seed).__module__ == "numpy" and np.ndim(seed) == 0:
            return np.full(n, finite_float(seed, self.name, "seed"))
        try:
            seeds = np.ascontiguousarray(seed, dtype=np.float64)
        except (TypeError, ValueError):
            raise OperandError(f"{self.name}: seed must be a number or one number per sample, "
                               f"got {type(seed).__name__}") from None
        if seeds.shape != (n,):
            raise OperandError(f"{self.name}: seed must be a number or one number per sample ({n}), "
                               f"got shape {seeds.shape}")
        if not np.isfinite(seeds).all():
            raise OperandError(f"{self.name}: seed must be finite, got {float(seeds[np.argmin(np.isfinite(seeds))])!r}")
        return seeds

    def _ids(self, sample_ids, n: int):
        if sample_ids is None:
            return None
        if len(sample_ids) != n:
            raise OperandError(f"{self.name}: sample_ids has {len(sample_ids)} entries for {n} samples")
        return sample_ids

    # -- how it shows ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        tape = self._tape
        n_nodes = sum(op is not None for op in tape.ops)
        n_edges = sum(map(len, tape.operands))
        return (f"<ArrayGraph {self.name}: {len(self.inputs)} inputs, {len(self.data)} data columns, "
                f"{n_nodes} ops, {n_edges} edges; .source has {self.source.count(chr(10))} lines>")

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.source}```\n"


class _Part(NamedTuple):
    """The results of some samples: the output summed, the gradients summed, per sample arrays."""

    value: float
    grads: list
    values: object
    also: list


class _Batch:
    """One call's arguments, and how a range of its samples is run (vectorised, or carefully)."""

    def __init__(self, graph: ArrayGraph, args: list, cols: list, seeds, ids, grads: bool):
        self.graph, self.args, self.cols, self.seeds, self.ids, self.grads = graph, args, cols, seeds, ids, grads

    def part(self, start: int, stop: int) -> _Part | None:
        """Samples start..stop-1 run as arrays; None when a value or gradient is not finite."""
        graph, np = self.graph, self.graph._np
        n = stop - start
        columns = [c[start:stop] for c in self.cols]
        try:
            with np.errstate(all="ignore"):
                if self.grads:
                    results = graph._step(*self.args, *columns, self.seeds[start:stop])
                    out, grads, check = results[0], results[1], results[2]
                else:
                    results = graph._forward(*self.args, *columns)
                    out, grads, check = results[0], [], results[1]
                total = np.add(check, out)
                if total.dtype.kind != "f" or not np.isfinite(total).all():
                    return None
                sums = np.array(grads, dtype=np.float64)
                value = float(np.sum(out)) if np.ndim(out) else float(out) * n
        except (ArithmeticError, ValueError, TypeError):  # a node of constants alone: 1.0 / 0.0
            return None
        if not np.isfinite(sums).all() or value - value != 0.0:
            return None
        also = results[3] if len(results) > 3 else []
        return _Part(value, sums, _per_sample(np, out, n), [_per_sample(np, a, n) for a in also])

    def careful(self, start: int, stop: int) -> list[_Part]:
        """Samples start..stop-1 when their vectorised run is not finite: halved until each part
        runs, and a single sample that does not is run eagerly (eager's error, or its numbers)."""
        parts, todo = [], [(start, stop)]
        while todo:  # a stack: the left half is done first, so the first bad sample is found first
            a, b = todo.pop()
            part = self.part(a, b) if (a, b) != (start, stop) else None
            if part is not None:
                parts.append(part)
            elif b - a == 1:
                parts.append(self.eager(a))
            else:
                mid = (a + b) // 2
                todo += [(mid, b), (a, mid)]
        return parts

    def eager(self, k: int) -> _Part:
        """Sample k's graph built and differentiated by eager mode: its error, with the sample's
        index added, or its numbers (when only the arrays' rounding overflowed)."""
        graph, np = self.graph, self.graph._np
        name = k if self.ids is None else self.ids[k]
        seed = float(self.seeds[k])
        try:
            value, grads, also = _eager_sample(graph._tape, [float(a) for a in self.args],
                                               [float(c[k]) for c in self.cols], seed, self.grads)
        except Exception as e:  # eager's own error (OpError, BackwardError), said for this sample
            if not isinstance(e, (ArithmeticError, ValueError)):
                raise
            raise type(e)(f"{e} (sample {name})") from None
        return _Part(value, np.array(grads), np.array([value]), [np.array([a]) for a in also])


def _eager_sample(tape: Tape, values: list[float], row: list[float], seed: float, grads: bool):
    """(value, input gradients, also values) of one sample, by eager mode: every node made by
    ``apply`` and every gradient added as ``backward`` adds it, with eager's checks and errors."""
    nodes = []
    n_inputs = tape.n_inputs
    for i, op in enumerate(tape.ops):
        if op is None:
            role, slot = tape.roles[i], tape.slots[i]
            value = tape.values[i] if role == CONSTANT else values[slot] if role == INPUT else row[slot - n_inputs]
            nodes.append(Value(value, tape.labels[i]))
            continue
        node = apply(op, *(nodes[p] for p in tape.operands[i]), const=tape.consts[i])
        node.label = tape.labels[i]
        nodes.append(node)
    out = nodes[tape.output]
    also = [nodes[i].data for i in tape.also]
    if not grads:
        return out.data, [], also
    locals_ = [_local_grads(op, nodes, tape, i) if op is not None else () for i, op in enumerate(tape.ops)]
    d = [0.0] * len(nodes)
    d[tape.output] = seed
    for i in range(tape.output, -1, -1):  # backward's loop: outputs first, each edge in operand order
        for p, local in zip(tape.operands[i], locals_[i]):
            d[p] += local * d[i]
            if d[p] - d[p] != 0.0:
                raise overflow_error("backward", nodes[p], d[p], " (no .grad was changed)")
    return out.data, [0.0 if i is None else d[i] for i in tape.arguments[:n_inputs]], also


def _local_grads(op, nodes: list, tape: Tape, i: int) -> tuple:
    """Node i's local derivatives, checked as ``apply`` checks them (under no_grad it skips them)."""
    node = nodes[i]
    if node.op_def is not None:
        return node.local_grads
    operands = [nodes[p] for p in tape.operands[i]]
    try:
        local = op.local_at([x.data for x in operands], tape.consts[i], node.data)
    except (ArithmeticError, ValueError) as e:
        raise _op_error(op, operands, tape.consts[i], e) from None
    if not all(map(math.isfinite, local)):
        raise _op_error(op, operands, tape.consts[i], _InfiniteDerivative())
    return local


def _per_sample(np, x, n: int):
    """``x`` as one float per sample (a node of parameters alone is the same for every sample)."""
    return x.astype(np.float64, copy=False) if np.ndim(x) else np.full(n, float(x))


# -- the code ---------------------------------------------------------------------------------------

class _ArraySource:
    """The generated text: ``compile``'s layout, with the op table's array templates, every
    node's gradient (eager mode computes and checks them all), and each input's gradient
    summed over the samples (``x @ d_z``: the dot product of two columns)."""

    def __init__(self, tape: Tape, name: str, comments: bool, helpers: dict):
        self.reserved = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *helpers, *_OWN_NAMES}
        if not _IDENTIFIER.match(name) or name in self.reserved or name.startswith("__"):
            raise OperandError(f"compile_arrays: name must be a plain identifier, got {name!r}")
        self.tape, self.name, self.comments, self.helpers = tape, name, comments, helpers
        self._cache = {}
        self.names = self._name_nodes()
        self.is_array = self._arrays()
        self._array_names = {name for name, array in zip(self.names, self.is_array) if array}

    # -- names ----------------------------------------------------------------------------
    def _claim(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken or "d_" + name in self.taken or name in self.reserved:
            k += 1
            name = f"{base}_{k}"
        self.taken.update((name, "d_" + name))
        return name

    def _name_nodes(self) -> list[str]:
        tape = self.tape
        self.taken: set[str] = set()
        self.argument_names = []
        for k, label in enumerate(tape.argument_labels):
            base = identifier(label) or (f"p{k}" if k < tape.n_inputs else f"data{k - tape.n_inputs}")
            self.argument_names.append(self._claim(base))
        names, self.named_constants = [], []
        for i, (label, role) in enumerate(zip(tape.labels, tape.roles)):
            if role in (INPUT, DATA):
                names.append(self.argument_names[tape.slots[i]])
            elif role == CONSTANT:
                base = identifier(label)
                if base and base not in self.reserved and base not in self.taken and "d_" + base not in self.taken:
                    self.named_constants.append(i)
                    names.append(self._claim(base))
                else:
                    names.append(literal(tape.values[i]))
            else:
                names.append(self._claim(identifier(label) or f"t{i}"))
        # a constant written as a number still has a gradient (eager mode computes it): a name for it
        self.grad_names = [f"d_{name}" if _IDENTIFIER.match(name) else f"d_{self._claim(f'c{i}')}"
                           for i, name in enumerate(names)]
        return names

    def _arrays(self) -> list[bool]:
        """Which nodes hold one number per sample: the data leaves and what depends on them."""
        tape, arrays = self.tape, []
        for role, operands in zip(tape.roles, tape.operands):
            arrays.append(role == DATA or any(arrays[p] for p in operands))
        return arrays

    def _holds_array(self, expression: str) -> bool:
        """Whether a filled template names a node that holds one number per sample."""
        return any(name in self._array_names for name in _NAME.findall(expression))

    # -- templates --------------------------------------------------------------------------
    def _templates(self, i: int) -> tuple[str, tuple[str, ...]]:
        """Node i's array templates (the float ones where the op table gives none)."""
        op, n, const = self.tape.ops[i], len(self.tape.operands[i]), self.tape.consts[i]
        key = (op, n, const)
        found = self._cache.get(key)
        if found is None:
            code = op.array_code or op.code
            local_code = op.array_local_code or op.local_code
            code = code(n, const) if callable(code) else code
            local_code = tuple(local_code(n, const) if callable(local_code) else local_code)
            if not code or len(local_code) != n:
                raise OperandError(f"compile_arrays: the op {op.name!r} has no code template for {n} operand(s) "
                                   f"(its Op entry needs code=... and local_code=..., see autograd.ops)")
            found = self._cache[key] = (code, local_code)
        return found

    def _filled(self, i: int, templates) -> list[str]:
        tape, names = self.tape, self.names
        shown = [names[p] for p in tape.operands[i]]
        const = tape.consts[i]
        c = literal(float(const)) if const is not None else "0.0"
        filled = []
        for template in templates:
            bare = _BARE.match(template)
            filled.append(shown[int(bare.group(1))] if bare else
                          template.format(*shown, c=c, out=names[i], args=", ".join(shown)))
        return filled

    def _rules(self, i: int, locals_: list[str]) -> list[str]:
        """Node i's local-derivative rules as the op table writes them, for comments."""
        op, tape = self.tape.ops[i], self.tape
        if op.arity is None or len(op.rule_text) != len(tape.operands[i]):
            return [local.replace("1.0", "1") if local in ("1.0", "-1.0") else local for local in locals_]
        const = tape.consts[i]
        shown = [self.names[p] for p in tape.operands[i]]
        c = "" if const is None else f"{const:g}"
        return [rule.format(*shown, c=c, out=self.names[i]) for rule in op.rule_text]

    # -- the text -----------------------------------------------------------------------------
    def text(self, grads: bool = True) -> str:
        tape, names = self.tape, self.names
        out = names[tape.output]
        name = self.name if grads else self.name + "_forward"
        data_names = self.argument_names[tape.n_inputs:]
        lines = _wrapped(f"def {name}(", self.argument_names + (["seed"] if grads else []), "):")
        columns = ", ".join(data_names[:3]) + (", ..." if len(data_names) > 3 else "")
        if grads:
            lines += [f'    """{out} for every sample ({columns}: columns, one number per sample) and the sum '
                      f'over the samples of',
                      f'    seed * d {out} / d each input (written by autograd.compile_arrays)."""']
        else:
            lines.append(f'    """{out} for every sample ({columns}: columns, one number per sample) '
                         f'(written by autograd.compile_arrays)."""')
        if self.named_constants:
            lines.append("    # constants")
            lines += [f"    {names[i]} = {literal(tape.values[i])}" for i in self.named_constants]
        lines.append("    # forward pass: one line per node, each for every sample at once")
        checked = [out]  # eager mode checks every value: the output and what could hide an inf or nan
        for i, op in enumerate(tape.ops):
            if op is None:
                continue
            code, _ = self._templates(i)
            line = f"    {names[i]} = {self._filled(i, (code,))[0]}"
            label = tape.labels[i]
            if self.comments and label is not None and identifier(label) != names[i]:
                line += f"  # {comment_text(label)}"
            lines.append(line)
            if op.hides_inf:
                checked += [names[p] for p in tape.operands[i] if tape.roles[p] not in (INPUT, DATA, CONSTANT)]
        if grads:
            lines += self._backward_lines()
            checked += [self.grad_names[i] for i, role in enumerate(tape.roles)
                        if role in (DATA, CONSTANT) and self._has_edges[i]]
        lines += self._check_lines(checked)
        if grads:
            returned = [self.grad_names[i] if i is not None and self._has_edges[i] else "0.0"
                        for i in tape.arguments[:tape.n_inputs]]
            lines.append("    # the inputs' gradients, each summed over the samples")
            lines += _wrapped("    grads = [", returned, "]")
        if tape.also:
            lines += _wrapped("    also = [", [names[i] for i in tape.also], "]")
        results = [out, *(["grads"] if grads else []), "check", *(["also"] if tape.also else [])]
        lines.append(f"    return {', '.join(results)}")
        return "\n".join(lines) + "\n"

    def _backward_lines(self) -> list[str]:
        """``d_v`` is seed * d output / d v for every sample, summed over the edges out of v, the
        edges in the order backward adds them; an input's is also summed over the samples."""
        tape, names, grad_names = self.tape, self.names, self.grad_names
        out = tape.output
        lines = [f"    # backward pass, outputs first: d_v = seed * d {names[out]} / d v for every sample, "
                 f"summed over the edges out of v",
                 f"    {grad_names[out]} = " + ("sum(seed)" if tape.roles[out] == INPUT else "seed")]
        uses = [[] for _ in tape.ops]
        for i in range(out, -1, -1):
            if tape.ops[i] is None:
                continue
            _, local_code = self._templates(i)
            locals_ = self._filled(i, local_code)
            rules = self._rules(i, locals_) if self.comments else locals_
            for k, p in enumerate(tape.operands[i]):
                uses[p].append((locals_[k], grad_names[i], f"d{names[i]}/d{names[p]} = {rules[k]}"))
        self._has_edges = [bool(u) for u in uses]
        self._has_edges[out] = True
        for p in range(out - 1, -1, -1):
            if uses[p]:
                lines += self._sum_lines(grad_names[p], uses[p], over_samples=tape.roles[p] == INPUT)
        return lines

    def _sum_lines(self, target: str, edges: list, over_samples: bool) -> list[str]:
        lines = []
        for start in range(0, len(edges), _TERMS_PER_STATEMENT):
            chunk = edges[start:start + _TERMS_PER_STATEMENT]
            terms = [] if start == 0 else [target]
            terms += [self._summed(local, d) if over_samples else _term(local, d) for local, d, _ in chunk]
            where = ", summed over the samples" if over_samples else ""
            comments = [""] * (len(terms) - len(chunk)) + [
                f"  # {comment_text(rule, 60, quoted=False)}{where}" if self.comments else ""
                for _, _, rule in chunk]
            if len(terms) == 1:
                lines.append(f"    {target} = {terms[0]}{comments[0]}")
                continue
            head = f"    {target} = ("
            pad = " " * len(head)
            for k, (term, comment) in enumerate(zip(terms, comments)):
                text = term if k == 0 else (f"- {term[1:]}" if term.startswith("-") else f"+ {term}")
                end = ")" if k == len(terms) - 1 else ""
                lines.append(f"{head if k == 0 else pad}{text}{end}{comment}")
        return lines

    def _summed(self, local: str, d: str) -> str:
        """The sum over the samples of local * d: ``x @ d`` (x a column), ``sum(d)`` (local 1)."""
        if self._holds_array(local):
            return f"{local if _NAME.fullmatch(local) else f'({local})'} @ {d}"
        if local == "1.0":
            return f"sum({d})"
        if local == "-1.0":
            return f"-sum({d})"
        return f"{local} * sum({d})"

    def _check_lines(self, checked: list[str]) -> list[str]:
        lines = ["    # eager mode refuses inf and nan at every node and gradient; these could hide one: "
                 "their sum tells"]
        if len(checked) == 1:
            return lines + [f"    check = {checked[0]}"]
        return lines + _wrapped("    check = add_all([", checked, "])")


def _term(local: str, d: str) -> str:
    if local == "1.0":
        return d
    if local == "-1.0":
        return f"-{d}"
    return f"{local} * {d}"


def _wrapped(head: str, items: list[str], tail: str, width: int = 100) -> list[str]:
    lines, line = [], head
    indent = " " * 8
    for k, item in enumerate(items):
        piece = item + (", " if k < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip() and line != head:
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line + tail)
    return lines


# -- the helpers the array code calls ---------------------------------------------------------------

def _numpy(what: str):
    return require("numpy", "fast", what)


_HELPERS_CACHE: dict = {}


def _helpers(np) -> dict:
    """The array code's only globals: NumPy's functions under math's names, and a few of ours."""
    found = _HELPERS_CACHE.get(id(np))
    if found is not None:
        return found
    helpers = {}
    for name, f in vars(math).items():
        if callable(f) and not name.startswith("_") and isinstance(getattr(np, name, None), np.ufunc):
            helpers[name] = getattr(np, name)
    helpers.update(sum=np.add.reduce, pow=np.power, fabs=np.fabs, where=np.where, maximum=np.maximum, sign=np.sign,
                   sigmoid=_sigmoid(np), bce_logits=_bce_logits(np), add_all=_add_all)
    _HELPERS_CACHE[id(np)] = helpers
    return helpers


def _add_all(terms: list):
    """The terms added left to right (``fsum``'s place in array code: one rounding per term)."""
    total = terms[0]
    if len(terms) == 1:
        return total
    total = total + terms[1]  # a new array: adding the rest in place touches no operand
    for term in terms[2:]:
        total += term
    return total


def _sigmoid(np):
    def sigmoid(x):
        """1 / (1 + e^-x), with exp only ever taken of a non-positive number (as sigmoid_float)."""
        e = np.exp(-np.fabs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    return sigmoid


def _bce_logits(np):
    def bce_logits(z, y):
        """max(z, 0) - z y + log(1 + e^-|z|), as ops._bce_logits."""
        return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.fabs(z)))
    return bce_logits


def _function(source: str, name: str, helpers: dict):
    """The function ``name`` defined by ``source``, whose only globals are the helpers (as
    autograd.compile makes its functions: the text is compiled, only the function is made)."""
    module = builtins.compile(source, f"<autograd.compile_arrays {name}>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    called = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    unknown = sorted(called - set(helpers))
    if unknown:
        raise OperandError(f"compile_arrays: the code calls {', '.join(unknown)}, which has no NumPy "
                           f"version here; give the op an array_code / array_local_code template "
                           f"(see autograd.ops)")
    return types.FunctionType(code, {**helpers, "__builtins__": {}}, name)


def _as_list(xs):
    return [xs] if hasattr(xs, "parents") else xs


def _leaf_name(leaf) -> str:
    return repr(leaf.label) if type(leaf.label) is str else "unlabelled"


def _first_labels(leaves: tuple, n: int = 3) -> str:
    shown = [_leaf_name(leaf) for leaf in leaves[:n]]
    return ", ".join(shown) + (", ..." if len(leaves) > n else "") if leaves else "none"


def available() -> bool:
    """True when NumPy is installed (this backend can run)."""
    try:
        _numpy("compile_arrays")
    except MissingExtra:
        return False
    return True
