"""The ``Value`` node: a finite float, its gradient, and the local derivative of every edge.

A node records its ``parents`` in operand order (``a*a`` has ``a`` twice) and, for each,
``d self / d parent`` as a plain float (``local_grads``), computed when the node is made.
There are no closures and no references from a node to its consumers, so a graph is
freed by reference counting alone.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> y.data, y.op, [p.label for p in y.parents], y.local_grads
    (10.0, '+1', [None], (1.0,))
    >>> y.backward(); x.grad
    6.0

Every op is a method below, and every method makes its node the same way: :func:`apply`
runs the op's value rule and local-derivative rule from its entry in :mod:`autograd.ops`.
"""

from __future__ import annotations

import math
import numbers
from operator import attrgetter
from typing import Iterable

from . import ops
from .backprop import backward, topological_order, zero_grad
from .errors import OpError, OperandError, describe, finite_float
from .grad_mode import _mode
from .ops import Op

__all__ = ["Value", "apply", "sum", "dot", "bce_with_logits"]

Number = float | int


class Value:
    """A scalar node of the computation graph.

    ``data`` (a finite float) and ``grad`` (d root / d self after ``backward``), ``label``
    (a name or None), and what made it: ``parents`` (a tuple of Values, in operand order),
    ``local_grads`` (d self / d parent for each entry of ``parents``), ``op_def`` (the op's
    entry in :mod:`autograd.ops`, None for a leaf) and ``const`` (a plain number folded into
    the op, as 3 in ``x * 3``, else None). ``op`` is how the op is written (``'*'``, ``'*3'``).

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b
    >>> c.op, c.parents == (a, b), c.local_grads
    ('*', True, (-3.0, 2.0))
    """

    __slots__ = ("_data", "_grad", "_label", "parents", "local_grads", "op_def", "const", "__weakref__")

    def __init__(self, data: Number, label: str | None = None, parents: tuple = (),
                 local_grads: tuple = (), op_def: Op | None = None, const: float | None = None):
        # a leaf is Value(data, label); apply() makes a node with the other four
        if type(data) is not float or not math.isfinite(data):
            if isinstance(data, Value):
                raise OperandError(f"Value: data is already a Value ({describe(data)}); use it as it "
                                   f"is, or data.detach() for a new leaf with its value")
            data = finite_float(data, "Value", "data")
        if label is not None and type(label) is not str:
            label = _checked_label(label)
        self._data = data
        self._grad = 0.0
        self._label = label
        self.parents = parents
        self.local_grads = local_grads
        self.op_def = op_def
        self.const = const

    # data and grad are always finite floats. Reading one is a plain read of the slot behind it
    # (_data, _grad: attrgetter does it in C); assigning checks the value first, so a nan or a
    # str is refused here, not found later deep inside an op.
    def _set_data(self, x: Number) -> None:
        if type(x) is not float or not math.isfinite(x):  # convert it, or say why it cannot be
            x = finite_float(x, "Value", "data")
        self._data = x

    def _set_grad(self, g: Number) -> None:
        if type(g) is not float or not math.isfinite(g):
            g = finite_float(g, "Value", "grad")
        self._grad = g

    def _set_label(self, label: str | None) -> None:
        if label is not None and type(label) is not str:
            label = _checked_label(label)
        self._label = label

    data = property(attrgetter("_data"), _set_data, doc="The node's value, a finite float.")
    grad = property(attrgetter("_grad"), _set_grad,
                    doc="d root / d self after ``root.backward()``, a finite float.")
    label = property(attrgetter("_label"), _set_label,
                     doc="The node's name (a str) or None; anything else is refused, as by ``Value(...)``.")

    # -- the ops: each makes a node from its entry in autograd.ops ----------------------
    def __add__(self, other):
        """self + other; local derivatives 1 and 1."""
        if isinstance(other, Value):
            return apply(ops.add, self, other)
        return apply(ops.add_c, self, const=_constant(other, ops.add_c))  # a number, folded in

    def __radd__(self, other):
        """other + self, other a number; local derivative 1."""
        return apply(ops.add_c, self, const=_constant(other, ops.add_c))

    def __sub__(self, other):
        """self - other; local derivatives 1 and -1."""
        if isinstance(other, Value):
            return apply(ops.sub, self, other)
        return apply(ops.sub_c, self, const=_constant(other, ops.sub_c))  # a number, folded in

    def __rsub__(self, other):
        """other - self, other a number; local derivative -1."""
        return apply(ops.rsub_c, self, const=_constant(other, ops.rsub_c))

    def __mul__(self, other):
        """self * other; local derivatives other and self."""
        if isinstance(other, Value):
            return apply(ops.mul, self, other)
        return apply(ops.mul_c, self, const=_constant(other, ops.mul_c))  # a number, folded in

    def __rmul__(self, other):
        """other * self, other a number; local derivative other."""
        return apply(ops.mul_c, self, const=_constant(other, ops.mul_c))

    def __truediv__(self, other):
        """self / other; local derivatives 1/other and -self/other**2 (written -out/other)."""
        if isinstance(other, Value):
            return apply(ops.div, self, other)
        return apply(ops.div_c, self, const=_constant(other, ops.div_c))  # a number, folded in

    def __rtruediv__(self, other):
        """other / self, other a number; local derivative -other/self**2 (written -out/self)."""
        return apply(ops.rdiv_c, self, const=_constant(other, ops.rdiv_c))

    def __pow__(self, other):
        """self ** other; local derivatives other * self**(other-1) and self**other * log(self)."""
        if isinstance(other, Value):
            return apply(ops.pow, self, other)
        return apply(ops.pow_c, self, const=_constant(other, ops.pow_c))  # a number, folded in

    def __rpow__(self, other):
        """other ** self, other a number > 0; local derivative other**self * log(other)."""
        return apply(ops.rpow_c, self, const=_constant(other, ops.rpow_c))

    def __neg__(self):
        """-self; local derivative -1."""
        return apply(ops.neg, self)

    def __pos__(self):
        return self

    def abs(self):
        """|self|; local derivative sign(self), with abs'(0) = 0."""
        return apply(ops.abs, self)

    __abs__ = abs

    def exp(self):
        """e ** self; local derivative e ** self (the node's own value)."""
        return apply(ops.exp, self)

    def log(self):
        """Natural logarithm (the input must be > 0); local derivative 1/self."""
        return apply(ops.log, self)

    def clamped_log(self):
        """bce's log: log(self), or log(self + e^-100) below e^-100 (so about -100 at 0, as
        PyTorch's BCELoss clamps it); local derivative 1/self (1/(self + e^-100) below)."""
        return apply(ops.clamped_log, self)

    def sigmoid(self):
        """s = 1 / (1 + e ** -self), stable for any input; local derivative s(1 - s)."""
        return apply(ops.sigmoid, self)

    def tanh(self):
        """t = tanh(self); local derivative 1 - t**2."""
        return apply(ops.tanh, self)

    def relu(self):
        """max(self, 0); local derivative 1 if self > 0 else 0, so ReLU'(0) = 0."""
        return apply(ops.relu, self)

    def step(self):
        """The perceptron's threshold unit, 1 if self > 0 else -1; local derivative 0."""
        return apply(ops.step, self)

    # -- gradients ----------------------------------------------------------------------
    def backward(self, grad: Number = 1.0) -> None:
        """Backpropagate from this node: see :func:`autograd.backward`."""
        backward(self, grad)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this node and every node it was computed from."""
        zero_grad(self)

    def detach(self) -> "Value":
        """A new leaf with the same data and label, cut off from the graph."""
        return Value(self.data, self.label)

    # -- what the node is ----------------------------------------------------------------
    @property
    def op(self) -> str:
        """How the op that made this node is written (``'+'``, ``'*3'``, ``'exp'``); ``''`` for a leaf."""
        return "" if self.op_def is None else self.op_def.label(self.const)

    @property
    def is_leaf(self) -> bool:
        """True when the node has no parents (an input, a parameter or a constant)."""
        return self.op_def is None

    def __repr__(self) -> str:
        extra = f", op={self.op!r}" if self.op_def is not None else ""
        if self.label is not None:
            extra += f", label={self.label!r}"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __float__(self) -> float:
        return self.data

    # -- comparisons: nodes are dict keys, so == is identity; order compares the data ----
    def __eq__(self, other):
        if isinstance(other, Value) or not isinstance(other, numbers.Number):
            return self is other
        raise TypeError(f"Value == {other!r}: a Value is a graph node and compares by identity "
                        f"(is it this node?); to compare numbers write v.data == {other!r}")

    __hash__ = object.__hash__

    def __lt__(self, other):
        return self.data < _compared(other)

    def __le__(self, other):
        return self.data <= _compared(other)

    def __gt__(self, other):
        return self.data > _compared(other)

    def __ge__(self, other):
        return self.data >= _compared(other)

    def __bool__(self) -> bool:
        """``v.data != 0``, as for a number (and a 0-d tensor)."""
        return self.data != 0.0

    # -- copies and pickles, made without recursion so graphs of any depth work ----------
    def __copy__(self) -> "Value":
        """A new node with the same data, grad, label and parents (the graph is shared)."""
        node = Value(self.data, self.label, parents=self.parents, local_grads=self.local_grads,
                     op_def=self.op_def, const=self.const)
        node.grad = self.grad
        return node

    def __deepcopy__(self, memo: dict) -> "Value":
        for node in topological_order(self):  # parents first, so each copy finds its parents' copies
            if id(node) not in memo:
                copy = node.__copy__()
                copy.parents = tuple(memo[id(p)] for p in node.parents)
                memo[id(node)] = copy
        return memo[id(self)]

    def __reduce__(self):
        # A leaf pickles as its numbers (so leaves shared by several pickled graphs stay shared);
        # a node as the flat list of the nodes it depends on, parents given by position.
        if self.op_def is None:
            return (_leaf, (self.data, self.grad, self.label))
        order = topological_order(self)
        position = {node: k for k, node in enumerate(order)}
        rows = [node if node.op_def is None else
                (node.data, node.grad, node.label, node.op_def, node.const, node.local_grads,
                 tuple(position[p] for p in node.parents)) for node in order]
        return (_graph, (rows,))

    def __getattr__(self, name: str):  # only called for names a Value does not have
        hint = _OTHER_ENGINES.get(name)
        if hint:
            raise AttributeError(f"'Value' object has no attribute {name!r}: {hint}")
        raise AttributeError(f"'Value' object has no attribute {name!r}")


_OTHER_ENGINES = {  # names a micrograd Value has, and where glassgrad keeps the same thing
    "_prev": "the nodes a Value was computed from are v.parents (a tuple, in operand order)",
    "_children": "the nodes a Value was computed from are v.parents (a tuple, in operand order)",
    "_backward": "glassgrad keeps no closure per node: each edge's local derivative is in "
                 "v.local_grads, and autograd.backward(root) loops over autograd.topological_order(root)",
    "_op": "the op is v.op (as written, e.g. '*') and v.op_def (its entry in autograd.ops)",
}


def _leaf(data: float, grad: float, label: str | None) -> Value:
    leaf = Value(data, label)
    leaf.grad = grad
    return leaf


def _graph(rows: list) -> Value:
    """The graph a pickled node depends on, rebuilt from its rows (see Value.__reduce__)."""
    nodes: list[Value] = []
    for row in rows:
        if not isinstance(row, Value):
            data, grad, label, op_def, const, local_grads, parents = row
            row = Value(data, label, parents=tuple(nodes[k] for k in parents),
                        local_grads=tuple(local_grads), op_def=op_def, const=const)
            row.grad = grad
        nodes.append(row)
    return nodes[-1]


# -- making a node ---------------------------------------------------------------------------

def apply(op: Op, *operands: Value, const: float | None = None) -> Value:
    """The node ``op(*operands)``: its value and the local derivative of each edge, from the
    op's rules at the operands' data. Every Value method makes its node here.

    >>> from autograd import Value, ops
    >>> z = apply(ops.mul, Value(2.0), Value(5.0))
    >>> z.data, z.local_grads
    (10.0, (5.0, 2.0))
    """
    args = op.arguments([x.data for x in operands], const)  # what the op's rules take
    try:
        out = op.forward(*args)
        if not math.isfinite(out):
            raise OverflowError(out)
        if _mode.off:  # inside no_grad: no graph, the result is a plain leaf
            return Value(out)
        local_grads = op.local(*args, out)
    except (ArithmeticError, ValueError) as e:
        raise _op_error(op, operands, const, e) from None
    for local in local_grads:
        if not math.isfinite(local):
            raise _op_error(op, operands, const, _InfiniteDerivative())
    return Value(out, None, operands, local_grads, op, const)  # data, label, parents, local_grads, op_def, const


def _checked_label(label) -> str:
    """``label`` if it is a str (a subclass of str too), or an OperandError: a label is shown by
    draw, explain and trace as text, so an int or a bytes there would break them later."""
    if isinstance(label, str):
        return label
    raise OperandError(f"Value: label must be a str or None, got {type(label).__name__} {label!r:.40}")


def _constant(x, op: Op) -> float:
    return finite_float(x, op.family, "the constant")


def _compared(other) -> float:
    return other.data if isinstance(other, Value) else finite_float(other, "comparison")


class _InfiniteDerivative(ArithmeticError):
    """A rule gave a local derivative that is not a finite float."""


def _op_error(op: Op, operands: tuple, const, cause: BaseException) -> OpError:
    """One clear line: the op, what went wrong, and the expression with its values and labels."""
    if isinstance(cause, _InfiniteDerivative):  # inside the domain, but too steep: log(5e-324)
        reason = "its local derivative at this input is too large for a float"
    elif isinstance(cause, OverflowError):
        reason = "the result is too large for a float"
    else:
        reason = op.domain or "math domain error"
    shown = [describe(v, sep="=") for v in operands[:4]]
    if len(operands) > 4:
        shown.append(f"... {len(operands)} operands")
    expr = op.text.format(*shown, c=repr(const), args=", ".join(shown), out="")
    return OpError(f"{op.family}: {reason}; got {expr}")


# -- n-ary ops -----------------------------------------------------------------------------

def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - autograd.sum, not exported by *
    """The sum of ``values`` as one node (plain numbers are folded into its constant).

    >>> from autograd import Value, sum
    >>> s = sum([Value(1.0), Value(2.0), 3])
    >>> s.data, len(s.parents), s.local_grads, s.op
    (6.0, 2, (1.0, 1.0), 'Σ+3')
    """
    if isinstance(values, Value):
        raise OperandError("sum: expects an iterable of Values and numbers, got a single Value")
    nodes, c = [], 0.0
    for v in _iterate(values, "sum"):
        if isinstance(v, Value):
            nodes.append(v)
        else:
            c += finite_float(v, "sum")
    if not nodes:
        return Value(c)
    return apply(ops.sum, *nodes, const=c or None)


def dot(ws: Iterable[Value | Number], xs: Iterable[Value | Number],
        bias: Value | Number | None = None) -> Value:
    """``w . x (+ bias)`` as one node: parents are ``(*ws, *xs, bias)``, local derivatives
    ``(*xs, *ws, 1)``. Plain numbers become constant leaves, so every edge stays visible.

    >>> from autograd import Value, dot
    >>> w = [Value(2.0, label="w0"), Value(-1.0, label="w1")]
    >>> z = dot(w, [3.0, 4.0], bias=Value(0.5, label="b"))
    >>> z.data, z.local_grads
    (2.5, (3.0, 4.0, 2.0, -1.0, 1.0))
    """
    ws = [w if isinstance(w, Value) else Value(finite_float(w, "dot", "weight")) for w in _iterate(ws, "dot")]
    xs = [x if isinstance(x, Value) else Value(finite_float(x, "dot", "input")) for x in _iterate(xs, "dot")]
    if len(ws) != len(xs):
        raise OperandError(f"dot: ws and xs must have the same length, got {len(ws)} and {len(xs)}")
    if not ws:
        raise OperandError("dot: needs at least one weight and input, got two empty sequences")
    if isinstance(bias, Value):  # a Value bias is the last operand
        return apply(ops.dot, *ws, *xs, bias)
    c = None if bias is None else finite_float(bias, "dot", "bias")
    return apply(ops.dot, *ws, *xs, const=c or None)


def bce_with_logits(z: Value, y: Number) -> Value:
    """Binary cross-entropy of ``sigmoid(z)`` against the label ``y`` (0 or 1, or in between),
    as ONE stable node whose local derivative is ``sigmoid(z) - y``.

    >>> from autograd import Value, bce_with_logits
    >>> loss = bce_with_logits(Value(0.0, label="z"), 1)
    >>> round(loss.data, 4), loss.local_grads, loss.op
    (0.6931, (-0.5,), 'BCE y=1')
    """
    if not isinstance(z, Value):
        raise OperandError(f"bce_with_logits: z must be a Value, got {type(z).__name__}")
    y = finite_float(y, "bce_with_logits", "label y")
    if not 0.0 <= y <= 1.0:
        raise OpError(f"bce_with_logits: the label y must be in [0, 1], got {y!r}")
    return apply(ops.bce_logits, z, const=y)


def _iterate(values, opname: str):
    try:
        return iter(values)
    except TypeError:
        raise OperandError(f"{opname}: expects an iterable, got {type(values).__name__}") from None
