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
        # eager mode refuses inf and nan at every node; these values could hide one: their sum tells
        check = t2
        # backward pass, outputs first: d_v = d y / d v, summed over the edges out of v
        d_y = 1.0
        d_t2 = y * (1.0 - y) * d_y  # dy/dt2 = y(1 - y)
        d_w = x * d_t2  # dt2/dw = x
        # the inputs' gradients (+ 0.0: backward starts each at 0.0, so it never gives -0.0)
        grads = [d_w + 0.0]
        return y, grads, check

The modules: :mod:`.tape` reads the graph into plain lists; :mod:`.source` writes the code
from the op table's ``code`` and ``local_code`` templates; :mod:`.compiled` runs it and
checks the results as eager mode would.
"""

from __future__ import annotations

from .compiled import CompiledGraph, Run
from .source import identifier
from .tape import Tape

__all__ = ["compile", "signature", "CompiledGraph", "Run", "identifier"]


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


def signature(output, inputs, data=()) -> str:
    """The fingerprint ``compile(output, inputs, data=data).signature`` would have, without
    writing any code: equal fingerprints mean the compiled function can be reused."""
    return Tape.read(output, inputs, data).signature()


def _as_list(xs):
    return [xs] if hasattr(xs, "parents") else xs
