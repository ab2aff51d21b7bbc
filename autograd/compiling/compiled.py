"""``CompiledGraph``: a graph's generated function, called with floats, checked as eager mode checks.

A call runs the straight-line code, then looks at one number: the sum of the output, the
gradients and the ``check`` the code computes (the operands of ops that could hide an inf
or a nan). When that sum is not finite, or the code raised (log of 0, a division by 0, an
overflow), the graph is run again eagerly, op by op through :func:`autograd.apply`, at the
same values: eager mode's own checks find the first node that fails and raise its error,
word for word. A mistake costs one eager pass; a good call costs nothing extra.
"""

from __future__ import annotations

import builtins
import html
import math
import types
from typing import NamedTuple

from ..backprop import _one_pass_at_a_time, overflow_error
from ..errors import CompileTooLarge, OperandError, describe, finite_float
from ..value import Value, _InfiniteDerivative, _op_error, apply
from .source import HELPERS, Source
from .tape import CONSTANT, Tape

__all__ = ["CompiledGraph", "Run"]

_SHOWN_LINES = 400  # how much of the source a notebook shows

MAX_SIZE = 250_000
"""The largest graph ``compile`` writes out, in nodes + edges (a line each). Writing and
compiling take about 6 KB per line while they run (Python's compiler), so this bounds a
compile to about 1.5 GB; a larger graph is refused up front with :class:`CompileTooLarge`."""


def check_size(tape: Tape, where: str = "compile") -> None:
    """Refuse a graph beyond :data:`MAX_SIZE`, saying its size and the way out."""
    nodes, edges = len(tape.ops), sum(map(len, tape.operands))
    if nodes + edges > MAX_SIZE:
        raise CompileTooLarge(f"{where}: the graph has {nodes:,} nodes and {edges:,} edges, more than the "
                              f"{MAX_SIZE:,} (nodes + edges) autograd.compile writes out (compiling takes "
                              f"about 6 KB per node and edge); run it eagerly instead: output.backward() "
                              f"(nn.fit: compiled=False), or compile one sample's graph")


class Run(NamedTuple):
    """What one call gives: the output's value, d output / d input for each input (empty
    for a forward-only call), and the values of the ``also`` nodes."""

    value: float
    grads: list[float]
    also: list[float]


class CompiledGraph:
    """The graph of ``output`` as a Python function of its inputs; made by :func:`autograd.compile`.

    ``fn(values)`` -> ``(value, grads)``; ``fn.forward(values)`` -> value; ``fn.run(values)``
    -> :class:`Run` (with the ``also`` values); ``fn.backward()`` reads the inputs' ``.data``
    and adds to their ``.grad``. ``fn.source`` is the generated code.
    """

    def __init__(self, tape: Tape, inputs: list, data: list, name: str = "step", comments: bool = True):
        check_size(tape)
        self._tape = tape
        self.inputs = tuple(inputs)
        self.data = tuple(data)
        self.name = name
        self._writer = Source(tape, name, comments)
        self.source = self._writer.text(grads=True)
        self._step = _function(self.source, name)
        self._forward = None  # the forward-only function, written on first use
        self._n_arguments = len(inputs) + len(data)
        self.signature = tape.signature()

    # -- calls ---------------------------------------------------------------------------
    def __call__(self, values, data=None) -> tuple[float, list[float]]:
        """``(value, grads)``: the output and d output / d input for each input, at ``values``
        (floats in the order of ``inputs``; ``data`` in the order of ``data=`` if given)."""
        run = self.run(values, data)
        return run.value, run.grads

    def run(self, values, data=None) -> Run:
        """The output, the inputs' gradients and the ``also`` values at ``values``."""
        args = self._arguments(values, data)
        try:
            results = self._step(*args)
        except (ArithmeticError, ValueError):
            return self._replay(args, grads=True)
        value, grads, check = results[0], results[1], results[2]
        total = sum(grads, value + check)
        if total - total != 0.0:  # an inf or nan somewhere (or a sum too large): eager mode decides
            return self._replay(args, grads=True)
        return Run(value, grads, results[3] if len(results) > 3 else [])

    def forward(self, values, data=None) -> float:
        """The output's value at ``values``, without gradients (as under ``no_grad``)."""
        return self.run_forward(values, data).value

    def run_forward(self, values, data=None) -> Run:
        """The output and the ``also`` values at ``values`` (no gradients)."""
        if self._forward is None:
            self._forward = _function(self.forward_source, self.name + "_forward")
        args = self._arguments(values, data)
        try:
            results = self._forward(*args)
        except (ArithmeticError, ValueError):
            return self._replay(args, grads=False)
        value, check = results[0], results[1]
        if (value + check) - (value + check) != 0.0:
            return self._replay(args, grads=False)
        return Run(value, [], results[2] if len(results) > 2 else [])

    def backward(self, data=None) -> Run:
        """As ``output.backward()`` on the graph built at the inputs' current ``.data``: adds
        d output / d input to each input's ``.grad`` (leaves accumulate; equal bit for bit to
        eager mode when they start at 0, e.g. after ``zero_grad``). Returns the :class:`Run`.
        If a gradient would overflow, no ``.grad`` is changed."""
        with _one_pass_at_a_time:  # as eager backward: threads sharing leaves lose nothing
            run = self.run([x.data for x in self.inputs], data)
            new = [x.grad + g for x, g in zip(self.inputs, run.grads)]
            for x, g in zip(self.inputs, new):
                if g - g != 0.0:
                    raise overflow_error("backward", x, g, " (no .grad was changed)")
            for x, g in zip(self.inputs, new):
                x.grad = g
        return run

    @property
    def forward_source(self) -> str:
        """The generated forward-only function (written on first use)."""
        return self._writer.text(grads=False)

    # -- arguments -------------------------------------------------------------------------
    def _arguments(self, values, data) -> list:
        args = _listed(values, f"{self.name}: values", len(self.inputs))
        n_inputs, n_data = len(self.inputs), len(self.data)
        if len(args) != n_inputs:
            raise OperandError(f"{self.name}: expects {n_inputs} input value(s), in the order of inputs "
                               f"({_first_labels(self.inputs)}), got {len(args)}")
        if data is not None or n_data:
            data = [] if data is None else _listed(data, f"{self.name}: data", n_data)
            if len(data) != n_data:
                raise OperandError(f"{self.name}: expects {n_data} data value(s), in the order of data= "
                                   f"({_first_labels(self.data)}), got {len(data)}")
            args += data
        for v in args:
            if type(v) is not float or v - v != 0.0:
                return [finite_float(v, self.name, _argument(k, self.inputs + self.data))
                        for k, v in enumerate(args)]
        return args

    # -- the slow path: eager mode at the same values ----------------------------------------
    def _replay(self, args: list, grads: bool) -> Run:
        return replay(self._tape, args, grads)

    # -- how it shows ------------------------------------------------------------------------
    def __repr__(self) -> str:
        tape = self._tape
        n_nodes = sum(op is not None for op in tape.ops)
        n_edges = sum(map(len, tape.operands))
        return (f"<CompiledGraph {self.name}: {len(self.inputs)} inputs, {len(self.data)} data, "
                f"{n_nodes} ops, {n_edges} edges; .source has {self.source.count(chr(10))} lines>")

    def _shown_source(self) -> str:
        lines = self.source.splitlines()
        if len(lines) <= _SHOWN_LINES:
            return self.source
        return "\n".join(lines[:_SHOWN_LINES]) + f"\n# ... {len(lines) - _SHOWN_LINES} more lines in .source\n"

    def _repr_markdown_(self) -> str:
        return f"```python\n{self._shown_source()}```\n"

    def _repr_html_(self) -> str:
        text = self._shown_source()
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f"<pre>{html.escape(text)}</pre>"
        return highlight(text, PythonLexer(), HtmlFormatter(noclasses=True))


def replay(tape: Tape, args: list, grads: bool, seed: float = 1.0, start: list | None = None,
           backward: bool = True) -> Run:
    """Run the tape eagerly at ``args``, op by op through :func:`autograd.apply`: raise eager
    mode's error, or (when a check only overflowed) return eager mode's numbers. The output's
    gradient is ``seed``; the inputs' gradients are added to ``start`` (zeros by default).
    With ``grads`` but not ``backward``, the forward pass checks the local derivatives too, as
    eager mode's forward pass does, and stops there."""
    nodes = []
    for i, op in enumerate(tape.ops):
        label = tape.labels[i]
        if op is None:
            value = tape.values[i] if tape.roles[i] == CONSTANT else args[tape.slots[i]]
            nodes.append(Value(value, label))
            continue
        operands = [nodes[p] for p in tape.operands[i]]
        node = apply(op, *operands, const=tape.consts[i])  # eager's checks, eager's error
        node.label = label
        nodes.append(node)
    locals_ = [_local_grads(op, nodes, tape, i) if grads and op is not None else ()
               for i, op in enumerate(tape.ops)]
    value = nodes[tape.output].data
    also = [nodes[i].data for i in tape.also]
    if not grads or not backward:
        return Run(value, [], also)
    d = [0.0] * len(nodes)
    for slot, i in enumerate(tape.arguments[:tape.n_inputs]):
        if i is not None and start is not None:
            d[i] = start[slot]
    d[tape.output] += seed
    for i in range(tape.output, -1, -1):
        for p, local in zip(tape.operands[i], locals_[i]):
            d[p] += local * d[i]
            if d[p] - d[p] != 0.0:
                raise overflow_error("backward", nodes[p], d[p], " (no .grad was changed)")
    starts = start if start is not None else [0.0] * tape.n_inputs
    return Run(value, [starts[k] if i is None else d[i] for k, i in enumerate(tape.arguments[:tape.n_inputs])],
               also)


def _listed(values, what: str, n: int) -> list:
    """``values`` as a list, or an OperandError saying what was expected."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise OperandError(f"{what} must be a list of {n} number(s), got {type(values).__name__} "
                           f"{_short(values)}")
    return list(values)


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _local_grads(op, nodes: list, tape: Tape, i: int) -> tuple:
    """Node i's local derivatives, checked as ``apply`` checks them (it skips them under no_grad)."""
    node = nodes[i]
    if node.op_def is not None:  # apply made them (and checked them)
        return node.local_grads
    operands = [nodes[p] for p in tape.operands[i]]
    try:
        local = op.local_at([x.data for x in operands], tape.consts[i], node.data)
    except (ArithmeticError, ValueError) as e:
        raise _op_error(op, operands, tape.consts[i], e) from None
    if not all(map(math.isfinite, local)):
        raise _op_error(op, operands, tape.consts[i], _InfiniteDerivative())
    return local


def _function(source: str, name: str):
    """The function ``name`` defined by ``source``, whose only globals are the helpers.

    The source is compiled (Python's ``compile``) and the function made from its code object
    directly: nothing else in the text runs, and the function sees no builtins.
    """
    module = builtins.compile(source, f"<autograd.compile {name}>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    return types.FunctionType(code, {**HELPERS, "__builtins__": {}}, name)


def _argument(k: int, leaves: tuple) -> str:
    return f"argument {k} ({describe(leaves[k])})" if k < len(leaves) else f"argument {k}"


def _first_labels(leaves: tuple, n: int = 3) -> str:
    shown = [leaf.label if type(leaf.label) is str else "unlabelled" for leaf in leaves[:n]]
    return ", ".join(map(repr, shown)) + (", ..." if len(leaves) > n else "") if leaves else "none"

