"""``autograd.compile``: a graph written out as straight-line Python, to read and to run fast.

    >>> import autograd as ag
    >>> w, x = ag.Value(0.5, label="w"), ag.Value(2.0, label="x")
    >>> y = (w * x).sigmoid(); y.label = "y"
    >>> fn = ag.compile(y, [w])               # w is the argument; x is written in as a constant
    >>> value, grads = fn([0.5])
    >>> value == y.data, round(grads[0], 6)   # dy/dw = x * y(1 - y)
    (True, 0.393224)
    >>> print(fn.source, end="")
    def step(w):
        \"\"\"y and d y / d each input, at the arguments' values (written by autograd.compile).\"\"\"
        # constants
        x = 2.0
        # forward pass: one line per node
        t2 = w * x
        y = sigmoid(t2)
        # backward pass, outputs first: d_v = d y / d v, summed over the edges out of v
        d_y = 1.0
        d_t2 = y * (1.0 - y) * d_y  # dy/dt2 = y(1 - y)
        d_x = w * d_t2  # dt2/dx = w
        d_w = x * d_t2  # dt2/dw = x
        # eager mode refuses inf and nan at every node; these values could hide one: their sum tells
        check = t2 + d_x
        # the inputs' gradients (+ 0.0: backward starts each at 0.0, so it never gives -0.0)
        grads = [d_w + 0.0]
        return y, grads, check

Every node's gradient is computed, as ``backward`` computes it (``d_x`` above, though x is a
constant), so that the code refuses what eager mode refuses: an overflow anywhere raises.

:func:`compile_loop` writes one sample's graph as a loop over samples (see :mod:`.loop`):
what ``nn.fit`` runs, a batch of any size in one call. :func:`compile_arrays` writes the same
one-sample code for NumPy (see :mod:`.arrays`): each name holds a column of samples.

The modules: :mod:`.tape` reads the graph into plain lists; :mod:`.source` writes the code
from the op table's ``code`` and ``local_code`` templates; :mod:`.compiled` runs it and
checks the results as eager mode would; :mod:`.loop` runs one sample's code over many.
"""

from __future__ import annotations

from .arrays import ArrayLoop, ArrayRun, compile_arrays
from .compiled import MAX_SIZE, CompiledGraph, Run
from .loop import LoopRun, SampleLoop
from .source import identifier
from .tape import Tape

__all__ = ["compile", "compile_loop", "compile_arrays", "signature", "CompiledGraph", "Run", "SampleLoop",
           "LoopRun", "ArrayLoop", "ArrayRun", "identifier", "MAX_SIZE"]


def compile(output, inputs, *, data=(), also=(), name: str = "step",  # noqa: A001 - autograd.compile
            comments: bool = True) -> CompiledGraph:
    """The graph of ``output`` as a function of ``inputs``: ``value, grads = fn(values)``.

    ``inputs`` are leaves (Values without parents): the function's arguments, in that order,
    and the leaves whose gradients it returns. ``data`` are more leaves that are arguments
    (``fn(values, data_values)``) but get no gradient: a batch of samples, for instance. Every
    other leaf is a constant: its value now is written into the code. ``also`` are nodes of
    the graph whose values :meth:`CompiledGraph.run` reports too (a model's outputs).

    The results are the numbers ``backward`` gives on the graph built at those values, bit
    for bit; values that eager mode refuses (log of 0, a division by 0, an overflow) raise
    the same :class:`~autograd.OpError`. ``fn.source`` is the generated code, meant to be
    read: a line per node, then a line per edge with its local-derivative rule.

    >>> import autograd as ag
    >>> a, b = ag.Value(2.0, label="a"), ag.Value(-3.0, label="b")
    >>> fn = ag.compile(a * b + a, [a, b])
    >>> fn([2.0, -3.0]), fn.forward([1.0, 1.0])
    ((-4.0, [-2.0, 2.0]), 2.0)
    """
    tape = Tape.read(output, inputs, data, also)
    return CompiledGraph(tape, list(_as_list(inputs)), list(_as_list(data)), name=name, comments=comments)


def compile_loop(outputs, inputs, *, data=(), also=(), name: str = "step", comments: bool = True,
                 case_notes=None) -> SampleLoop:
    """One sample's graph as a loop over samples: ``run = loop(rows)``.

    ``outputs`` is one sample's output (a Value), or a list of them: the *cases*, the shapes
    the sample's graph takes (one per label value, say), all built on the same ``inputs``
    (the leaves whose gradients are summed: a model's parameters) and ``data`` leaves (the
    sample's features, one column each). ``also`` are nodes whose values each sample reports
    (a list of nodes, or one list per case). Every other leaf is a constant.
    ``loop(rows, cases=..., seed=..., start=...)`` gives each sample's output, the inputs'
    gradients summed over the samples and each sample's ``also`` values (a
    :class:`LoopRun`), the numbers ``backward`` gives on the graph of all the samples.

    >>> import autograd as ag
    >>> w = ag.Value(2.0, label="w"); x = ag.Value(0.0, label="x")
    >>> loop = ag.compile_loop(w * x, [w], data=[x])
    >>> loop([[1.0], [3.0]], seed=0.5)               # d/dw of the mean of w * x: (1 + 3) / 2
    LoopRun(values=[2.0, 6.0], grads=[2.0], also=[[], []])
    """
    cases = [outputs] if hasattr(outputs, "parents") else _as_list(outputs)
    if not isinstance(cases, (list, tuple)):
        cases = list(cases)
    if also and hasattr(also[0], "parents"):  # one list for every case
        also = [also] * len(cases)
    tapes = [Tape.read(case, inputs, data, also[k] if also else (), where="compile_loop")
             for k, case in enumerate(cases)]
    return SampleLoop(tapes, list(_as_list(inputs)), list(_as_list(data)), name=name, comments=comments,
                      case_notes=case_notes)


def signature(output, inputs, data=()) -> str:
    """The fingerprint ``compile(output, inputs, data=data).signature`` would have, without
    writing any code: equal fingerprints mean the compiled function can be reused."""
    return Tape.read(output, inputs, data).signature()


def _as_list(xs):
    return [xs] if hasattr(xs, "parents") else xs
