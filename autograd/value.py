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
"""

from __future__ import annotations

import functools
import inspect
import numbers
import threading
from typing import Callable, Iterable

from .errors import OpError, OperandError, describe
from .ops import OPS, Op

__all__ = ["Value", "sum", "dot", "bce_with_logits", "no_grad", "is_grad_enabled"]

Number = float | int


class _GradMode(threading.local):
    off = 0  # > 0 inside no_grad (per thread: threading.local gives each thread its own)


_mode = _GradMode()
# no_grad blocks open in all threads together. While it is 0 (nearly always) an op need not
# look up the thread-local switch, which costs as much as a quarter of making a node.
_open_blocks = 0
_open_blocks_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad``."""
    return _mode.off == 0


class _NonFinite(ArithmeticError):
    """Raised inside the op machinery when a result or a local derivative is not finite."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


# -- making nodes ------------------------------------------------------------------
# Value's arithmetic and math methods are made below, one per table entry, so that making a node
# is one Python call with the op's rules already at hand. They run once per node of every
# forward pass, so they fill the new node's slots themselves (a helper call would cost as much
# as the filling), skip the thread-local no_grad look-up while no block is open, and reuse an
# op's constant local derivatives (add: (1.0, 1.0)) instead of calling its rule.

_UNNAMED = "Value.<made>"  # a made method's name until the class that holds it names it


def _unary_method(op: Op | str, doc: str) -> Callable[["Value"], "Value"]:
    """A method like ``Value.exp``: makes the node of a one-operand op (given as its table
    entry or its name)."""
    op = OPS[op] if isinstance(op, str) else op
    forward, local, constant_local = op.forward, op.local, op.constant_local

    def method(self):
        xd = self.data
        try:
            out = forward(xd)
            if out - out != 0.0:
                raise _NonFinite("result")
            if _open_blocks and _mode.off:
                return _leaf(out)
            if constant_local:
                (d,) = constant_local
            else:
                (d,) = local(xd, out)
                if d - d != 0.0:
                    raise _NonFinite("derivative")
        except (ArithmeticError, ValueError) as e:
            raise _op_error(op, (self,), None, e) from None
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v.label = None
        v._op = op
        v._a = self
        v._b = None
        v._da = d
        return v

    method.__qualname__, method.__doc__ = _UNNAMED, doc
    return method


def _arithmetic(binary: Op | str | None, folded: Op | str) -> Callable[["Value", object], "Value"]:
    """A method like ``Value.__mul__``: ``self * other`` makes a ``binary`` node when ``other``
    is a Value and a ``folded`` node holding it as a constant when it is a number. With
    ``binary`` None, a reflected method (``__rmul__``: ``2 * x``) or a function of a Value and
    a number. Ops are given as table entries or their names."""
    op_c = OPS[folded] if isinstance(folded, str) else folded
    forward_c, local_c, constant_local_c = op_c.forward, op_c.local, op_c.constant_local
    family, local_is_c = op_c.family, op_c.local_is_c
    op = OPS[binary] if isinstance(binary, str) else binary
    forward, local, constant_local = (op.forward, op.local, op.constant_local) if op else (None,) * 3

    def method(self, other):
        if type(other) is not float:
            if op is not None and isinstance(other, Value):
                ad, bd = self.data, other.data
                try:
                    out = forward(ad, bd)
                    if out - out != 0.0:
                        raise _NonFinite("result")
                    if _open_blocks and _mode.off:
                        return _leaf(out)
                    if constant_local:
                        da, db = constant_local
                    else:
                        da, db = local(ad, bd, out)
                        if da - da != 0.0 or db - db != 0.0:
                            raise _NonFinite("derivative")
                except (ArithmeticError, ValueError) as e:
                    raise _op_error(op, (self, other), None, e) from None
                v = _new(Value)
                v.data = out
                v.grad = 0.0
                v.label = None
                v._op = op
                v._a = self
                v._b = other
                v._da = da
                v._db = db
                return v
            other = _number(other, family)
        elif other - other != 0.0:
            raise OpError(f"{family}: the constant must be finite, got {other!r}")
        xd = self.data
        try:
            out = forward_c(xd, other)
            if out - out != 0.0:
                raise _NonFinite("result")
            if _open_blocks and _mode.off:
                return _leaf(out)
            if local_is_c:  # x * c: d/dx is c, already checked to be finite
                d = other
            elif constant_local_c:
                (d,) = constant_local_c
            else:
                (d,) = local_c(xd, other, out)
                if d - d != 0.0:
                    raise _NonFinite("derivative")
        except (ArithmeticError, ValueError) as e:
            raise _op_error(op_c, (self,), other, e) from None
        v = _new(_FoldedValue)
        v.data = out
        v.grad = 0.0
        v.label = None
        v._op = op_c
        v._a = self
        v._b = None
        v._da = d
        v._const = other
        return v

    method.__qualname__ = _UNNAMED
    if op:
        method.__doc__ = f"self {op.symbol} other: op {op.name!r} for a Value, {op_c.name!r} for a number."
    else:
        method.__doc__ = f"{op_c.text.format('self', c='other')}, other a number: one {op_c.name!r} node."
    return method


class Value:
    """A scalar node of the computation graph.

    Attributes: ``data`` (float), ``grad`` (float), ``label`` (str or None), and,
    read-only, ``parents`` (tuple of Value, in operand order), ``local_grads``
    (tuple of float, d self / d parent for each entry of ``parents``) and ``op``
    (how the op is written, e.g. ``'*'`` or ``'*3'``; ``''`` for a leaf).

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b
    >>> c.op, c.parents == (a, b), c.local_grads
    ('*', True, (-3.0, 2.0))
    """

    # One or two parents (nearly every node) sit in the node itself, _a and _b with their local
    # derivatives _da and _db, rather than in tuples: a tuple holding Values is one more object
    # that Python's cyclic GC tracks and rescans for as long as the graph lives. _b is None for
    # a one-parent node, both are None for a leaf and for an n-ary node (_NaryValue, below).
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_da", "_db", "__weakref__")

    data: float
    grad: float
    label: str | None

    def __init__(self, data: Number, label: str | None = None):
        if type(data) is not float or data - data != 0.0:  # a finite float needs no conversion
            data = _number(data, "Value", "data")
        self.data = data
        self.grad = 0.0
        if label is not None and not isinstance(label, str):
            raise OperandError(f"Value: label must be a str or None, got {type(label).__name__}")
        self.label = label
        self._op = None
        self._a = self._b = None

    @property
    def parents(self) -> tuple["Value", ...]:
        """The operands this node was computed from, in order (``a*a`` gives ``(a, a)``)."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each entry of ``parents``, computed when the node was made."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    # -- what the node is -----------------------------------------------------
    @property
    def op(self) -> str:
        """How the op that made this node is written (``'+'``, ``'*3'``, ``'exp'``); ``''`` for a leaf."""
        return "" if self._op is None else self._op.label(self.const)

    @property
    def op_def(self) -> Op | None:
        """The :class:`~autograd.ops.Op` table entry that made this node (None for a leaf)."""
        return self._op

    @property
    def const(self) -> float | None:
        """The plain-number constant folded into this node's op (``3.0`` for ``x*3``), or None."""
        return None

    @property
    def is_leaf(self) -> bool:
        """True when the node has no parents (an input, a parameter or a constant)."""
        return self._op is None

    def __repr__(self) -> str:
        extra = ""
        if self._op is not None:
            extra += f", op={self.op!r}"
        if self.label is not None:
            extra += f", label={self.label!r}"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __float__(self) -> float:
        return self.data

    # -- arithmetic and math: each method is made from its op's entry in ops.py ---------
    # x + y makes an `add` node when y is a Value and an `add_c` node (y folded in) when it
    # is a number; 2 + x comes here as __radd__.
    __add__, __radd__ = _arithmetic("add", "add_c"), _arithmetic(None, "add_c")
    __sub__, __rsub__ = _arithmetic("sub", "sub_c"), _arithmetic(None, "rsub_c")
    __mul__, __rmul__ = _arithmetic("mul", "mul_c"), _arithmetic(None, "mul_c")
    __truediv__, __rtruediv__ = _arithmetic("div", "div_c"), _arithmetic(None, "rdiv_c")
    __pow__, __rpow__ = _arithmetic("pow", "pow_c"), _arithmetic(None, "rpow_c")
    __neg__ = _unary_method("neg", "-self.")
    __abs__ = abs = _unary_method("abs", "|self|; the engine uses abs'(0) = 0.")
    exp = _unary_method("exp", "e ** self.")
    log = _unary_method("log", "Natural logarithm; the input must be > 0.")
    sigmoid = _unary_method("sigmoid", "1 / (1 + e ** -self), stable for any finite input.")
    tanh = _unary_method("tanh", "Hyperbolic tangent.")
    relu = _unary_method("relu", "max(self, 0); the engine uses ReLU'(0) = 0.")
    step = _unary_method("step", "The perceptron's threshold unit: 1 if self > 0 else -1. "
                                 "Its derivative is 0.")

    def __pos__(self):
        return self

    # -- gradients -------------------------------------------------------------
    def backward(self, grad: Number = 1.0) -> None:
        """Backpropagate from this node; see :func:`autograd.backward`."""
        _backward(self, grad)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this node and every node it was computed from."""
        _zero_grad(self)

    def detach(self) -> "Value":
        """A new leaf with the same data and label, cut off from the graph."""
        return Value(self.data, self.label)


# -- turning operands into floats ----------------------------------------------

def _number(x, opname: str, what: str = "operand") -> float:
    """``x`` as a finite float, or a clear error naming the op."""
    t = type(x)
    if t is float:
        f = x
    elif t is int or isinstance(x, numbers.Real):  # int, bool, numpy scalars, Fraction...
        try:
            f = float(x)
        except OverflowError:
            raise OpError(f"{opname}: {what} {_short(x)} is too large for a float") from None
    elif isinstance(x, numbers.Complex):
        raise OperandError(f"{opname}: {what} must be a real number, got the complex number {x!r}")
    else:
        raise OperandError(
            f"{opname}: {what} must be a number or a Value, got {type(x).__name__} {_short(x)}")
    if f - f != 0.0:
        raise OpError(f"{opname}: {what} must be finite, got {f!r}")
    return f


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


# -- the other kinds of node, and the n-ary maker -------------------------------

class _FoldedValue(Value):
    """A one-parent node whose op holds a plain-number constant (``x*3``, ``x - 2``).

    Only these nodes pay for the extra slot, so the common node stays small.
    """

    __slots__ = ("_const",)

    @property
    def const(self) -> float | None:
        return self._const


class _NaryValue(Value):
    """A node of an n-ary op (``sum``, ``dot``): its parents and local derivatives in tuples."""

    __slots__ = ("_ps", "_ls", "_const")

    @property
    def parents(self) -> tuple[Value, ...]:
        return self._ps

    @property
    def local_grads(self) -> tuple[float, ...]:
        return self._ls

    @property
    def const(self) -> float | None:
        return self._const


_new = object.__new__


def _leaf(data: float) -> Value:
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = None
    v._op = None
    v._a = v._b = None
    return v


def _nary(op: Op, values: tuple, c: float, datas: list | None = None) -> Value:
    if datas is None:
        datas = [v.data for v in values]
    try:
        out = op.forward(datas, c)
        if out - out != 0.0:
            raise _NonFinite("result")
    except (ArithmeticError, ValueError) as e:
        raise _op_error(op, values, c, e) from None
    if _open_blocks and _mode.off:
        return _leaf(out)
    v = _new(_NaryValue)
    v.data = out
    v.grad = 0.0
    v.label = None
    v._op = op
    v._a = v._b = None
    v._ps = values
    v._ls = op.local(datas, c, out)
    v._const = c or None
    return v


def _op_error(op: Op, operands: tuple, const, cause: BaseException) -> OpError:
    """One clear line: the op, what went wrong, and the expression with its values and labels."""
    if isinstance(cause, _NonFinite) and cause.what == "derivative":
        reason = "its local derivative is infinite or too large for a float"
        if op.domain:
            reason += f" ({op.domain})"
    elif isinstance(cause, (_NonFinite, OverflowError)):
        reason = "the result is too large for a float"
    else:
        reason = op.domain or "math domain error"
    shown = [describe(v, sep="=") for v in operands[:4]]
    if len(operands) > 4:
        shown.append(f"... {len(operands)} operands")
    expr = op.text.format(*shown, c=repr(const), args=", ".join(shown))
    return OpError(f"{op.family}: {reason}; got {expr}")


def _name_made_methods(cls: type) -> None:
    """Give each method the factories made the name the class holds it by (the first, for
    ``__abs__ = abs``), so help(), tracebacks and pickle find it."""
    for name, method in vars(cls).items():
        if getattr(method, "__qualname__", "") == _UNNAMED:
            method.__name__, method.__qualname__ = name, f"{cls.__name__}.{name}"


_name_made_methods(Value)

_SUM, _DOT = OPS["sum"], OPS["dot"]
_bce_with_logits = _arithmetic(None, "bce_logits")
_bce_with_logits.__name__ = _bce_with_logits.__qualname__ = "_bce_with_logits"


# -- n-ary ops -------------------------------------------------------------------

def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - mirrors builtins.sum on purpose
    """The sum of ``values`` as one node (plain numbers are folded into its constant).

    >>> from autograd import Value, sum
    >>> s = sum([Value(1.0), Value(2.0), 3])
    >>> s.data, len(s.parents), s.local_grads, s.op
    (6.0, 2, (1.0, 1.0), 'Σ+3')
    """
    if isinstance(values, Value):
        raise OperandError("sum: expects an iterable of Values and numbers, got a single Value")
    items = tuple(_iterate(values, "sum"))
    datas = [v.data for v in items if isinstance(v, Value)]
    if items and len(datas) == len(items):  # all Values: the common case, one pass
        return _nary(_SUM, items, 0.0, datas)
    nodes, c = [], 0.0
    for v in items:
        if isinstance(v, Value):
            nodes.append(v)
        else:
            c += _number(v, "sum")
    if not nodes:
        return Value(c)
    return _nary(_SUM, tuple(nodes), c)


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
    ws = ws if type(ws) is list else list(_iterate(ws, "dot"))
    xs = xs if type(xs) is list else list(_iterate(xs, "dot"))
    tail = (bias,) if isinstance(bias, Value) else ()  # a Value bias is the last operand
    operands = (*ws, *xs, *tail)
    datas = [v.data for v in operands if isinstance(v, Value)]
    if len(datas) != len(operands):  # some plain numbers: make them leaves
        ws = [w if isinstance(w, Value) else Value(_number(w, "dot", "weight")) for w in ws]
        xs = [x if isinstance(x, Value) else Value(_number(x, "dot", "input")) for x in xs]
        operands = (*ws, *xs, *tail)
        datas = [v.data for v in operands]
    if len(ws) != len(xs):
        raise OperandError(f"dot: ws and xs must have the same length, got {len(ws)} and {len(xs)}")
    if not ws:
        raise OperandError("dot: needs at least one weight and input, got two empty sequences")
    c = 0.0 if bias is None or tail else _number(bias, "dot", "bias")
    return _nary(_DOT, operands, c, datas)


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
    y = _number(y, "bce_with_logits", "label y")
    if not 0.0 <= y <= 1.0:
        raise OpError(f"bce_with_logits: the label y must be in [0, 1], got {y!r}")
    return _bce_with_logits(z, y)


def _iterate(values, opname: str):
    try:
        return iter(values)
    except TypeError:
        raise OperandError(f"{opname}: expects an iterable, got {type(values).__name__}") from None


# -- no_grad ------------------------------------------------------------------

class no_grad:
    """Build no graph inside this block or function: results are plain leaves.

    Works as a context manager and as a decorator (``@no_grad`` or ``@no_grad()``).
    The switch is per thread: ``no_grad`` in one thread does not affect another.

    >>> from autograd import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """

    def __init__(self, func: Callable | None = None):
        if func is not None:
            if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
                # other tasks run on this thread while it awaits: the switch would leak into them
                raise TypeError(f"no_grad cannot decorate the async function {func.__qualname__}; "
                                f"use 'with no_grad():' around the work inside it")
            if inspect.isgeneratorfunction(func):
                func = _generator_without_grad(func)
            functools.update_wrapper(self, func)
        self._func = func

    def __enter__(self) -> "no_grad":
        global _open_blocks
        with _open_blocks_lock:
            _open_blocks += 1
        _mode.off += 1
        return self

    def __exit__(self, *exc) -> None:
        global _open_blocks
        _mode.off -= 1
        with _open_blocks_lock:
            _open_blocks -= 1

    def __call__(self, *args, **kwargs):
        if self._func is None:  # used as @no_grad(): wrap the function we are given
            if len(args) != 1 or kwargs or not callable(args[0]):
                raise TypeError("no_grad() used as a decorator expects one function")
            return no_grad(args[0])
        with self:
            return self._func(*args, **kwargs)

    def __get__(self, obj, objtype=None):  # so @no_grad works on methods too
        if obj is None or self._func is None:
            return self
        return functools.partial(self.__call__, obj)


def _generator_without_grad(func: Callable) -> Callable:
    """``func`` (a generator function) whose body runs under no_grad each time it resumes,
    and only then: between two ``next`` calls the caller's own setting holds."""
    @functools.wraps(func)
    def resumed_without_grad(*args, **kwargs):
        gen = func(*args, **kwargs)
        send, value = gen.send, None
        while True:
            try:
                with no_grad():
                    item = send(value)
            except StopIteration as done:
                return done.value
            try:
                value = yield item
                send = gen.send
            except GeneratorExit:
                gen.close()
                raise
            except BaseException as e:  # thrown in by the caller: pass it on to the body
                value, send = e, gen.throw
    return resumed_without_grad


from .backprop import backward as _backward, zero_grad as _zero_grad  # noqa: E402  (cycle-free: backward needs no Value)
