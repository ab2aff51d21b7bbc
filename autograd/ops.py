"""The op table: every operation the engine knows, defined once.

Each :class:`Op` holds

* ``forward``: the value rule, on plain floats;
* ``local``: the local-derivative rule, d(out)/d(operand) for each Value operand.
  It is written with ordinary arithmetic, so the same rule runs on floats (a
  normal backward pass) and on :class:`~autograd.Value` nodes (``grad(...,
  create_graph=True)``, which gives second derivatives);
* how the op is written: ``symbol`` (for graphs), ``text`` and ``latex``
  templates for the expression, and ``rule_text`` / ``rule_latex`` templates
  for each local derivative (used by ``explain``);
* ``domain``: what inputs are allowed, quoted in error messages;
* ``kinks``: points where the derivative is a convention, not a limit.

Template fields: ``{0}``, ``{1}`` the Value operands, ``{c}`` a folded
constant, ``{out}`` the node's own value, ``{args}`` the n-ary operand list.

Kinds of op:

* ``unary``   one Value operand: ``forward(x)``, ``local(x, out) -> (dx,)``
* ``binary``  two Value operands: ``forward(a, b)``, ``local(a, b, out) -> (da, db)``
* ``folded``  a Value and a plain-number constant ``c`` kept in the node:
  ``forward(x, c)``, ``local(x, c, out) -> (dx,)``
* ``nary``    any number of Value operands plus a constant:
  ``forward(xs, c)``, ``local(xs, c, out) -> tuple``

Example::

    >>> from autograd.ops import OPS
    >>> OPS["mul"].forward(2.0, 3.0), OPS["mul"].local(2.0, 3.0, 6.0)
    (6.0, (3.0, 2.0))
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Op", "OPS", "constant", "d_is_c", "sigmoid_float"]


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: its value rule, its local-derivative rule and how it is written."""

    name: str
    kind: str  # "unary" | "binary" | "folded" | "nary"
    symbol: str
    forward: Callable
    local: Callable
    text: str
    latex: str
    rule_text: tuple[str, ...]
    rule_latex: tuple[str, ...]
    domain: str = ""
    kinks: tuple[float, ...] = ()
    kink_note: str = ""
    constant_first: bool = False  # folded op written "c - x" rather than "x - c"
    family: str = ""  # the user-facing name in messages ("div" for div_c); defaults to name
    # the tuple ``local`` returns when it is written as a constant, e.g. (1.0, 1.0) for add;
    # the engine then reuses it instead of calling the rule for every node
    constant_local: tuple | None = field(default=None, init=False, repr=False)

    def label(self, const: float | None = None) -> str:
        """The op as shown on a graph node, with a folded constant: ``*3``, ``2-``, ``exp``."""
        if self.kind != "folded" or const is None:
            if self.kind == "nary" and const:
                return f"{self.symbol}{_num(const, signed=True)}"
            return self.symbol
        if self.constant_first:
            return f"{_num(const)}{self.symbol}"
        if self.symbol.isalpha():
            return f"{self.symbol} y={_num(const)}"
        return f"{self.symbol}{_num(const)}"

    def __post_init__(self):
        if not self.family:  # "rdiv_c" is written "div" in messages
            family = self.name.removesuffix("_c") if self.kind == "folded" else self.name
            if self.constant_first:
                family = family.removeprefix("r")
            object.__setattr__(self, "family", family)
        object.__setattr__(self, "constant_local", getattr(self.local, "local_grads", None))

    @property
    def local_is_c(self) -> bool:
        """True for a folded op whose local derivative is its constant (``x * c``): the engine
        then takes ``c`` instead of calling the rule."""
        return self.local is d_is_c

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def constant(*local_grads: float) -> Callable:
    """A local-derivative rule that does not depend on the operands, e.g. add's ``constant(1.0, 1.0)``.

    The engine reuses the tuple instead of calling the rule for every node.

    >>> rule = constant(1.0, -1.0)
    >>> rule(2.0, 3.0, -1.0), rule.local_grads
    ((1.0, -1.0), (1.0, -1.0))
    """
    def rule(*operands_and_out):
        return local_grads
    rule.local_grads = local_grads
    return rule


def d_is_c(x, c, out):
    """The local-derivative rule of ``x * c``: d/dx is the folded constant ``c`` itself
    (the engine then takes ``c`` without calling the rule).

    >>> d_is_c(2.0, 3.0, 6.0)
    (3.0,)
    """
    return (c,)


def _num(c: float, signed: bool = False) -> str:
    """A constant as written in an op label: ``3`` not ``3.0``, ``0.5``, ``1e-05``."""
    text = f"{c:g}" if c == c else repr(c)
    if signed and not text.startswith("-"):
        text = "+" + text
    return text


# -- helpers the rules use; each works on a float or on a Value --------------

def _data(x):
    """The number inside ``x`` (a float stays a float)."""
    return getattr(x, "data", x)


def _log(x):
    return x.log() if hasattr(x, "log") else math.log(x)


def sigmoid_float(x: float) -> float:
    """A sigmoid that never overflows: exp is only ever taken of a non-positive number."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid(x):
    return x.sigmoid() if hasattr(x, "sigmoid") else sigmoid_float(x)


def _bce_logits(z: float, y: float) -> float:
    """-y log s(z) - (1-y) log(1 - s(z)), written so no exp overflows: max(z,0) - z y + log(1 + e^-|z|)."""
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0


# dot's operands are (*w, *x) or (*w, *x, bias); w and x have the same length (dot checks),
# so an odd count means a bias


def _dot_forward(xs, c):
    """w . x (+ bias) + c."""
    n = len(xs) // 2
    out = math.fsum(map(operator.mul, xs[:n], xs[n:2 * n]))
    return (out + xs[-1] if len(xs) % 2 else out) + c


def _dot_local(xs, c, out):
    """d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1."""
    n = len(xs) // 2
    return (*xs[n:-1], *xs[:n], 1.0) if len(xs) % 2 else (*xs[n:], *xs[:n])


# -- the table ----------------------------------------------------------------

_TABLE = [
    # name, kind, symbol, forward, local, text, latex, rule_text, rule_latex, extras
    # (a forward rule is a C function where one exists: operator.mul, not lambda a, b: a * b,
    # saves a Python call for every node made)
    Op("add", "binary", "+", operator.add, constant(1.0, 1.0),
       "{0} + {1}", "{0} + {1}", ("1", "1"), ("1", "1")),
    Op("sub", "binary", "-", operator.sub, constant(1.0, -1.0),
       "{0} - {1}", "{0} - {1}", ("1", "-1"), ("1", "-1")),
    Op("mul", "binary", "*", operator.mul, lambda a, b, out: (b, a),
       "{0} * {1}", "{0} \\cdot {1}", ("{1}", "{0}"), ("{1}", "{0}")),
    Op("div", "binary", "/", operator.truediv, lambda a, b, out: (1.0 / b, -a / (b * b)),
       "{0} / {1}", "\\frac{{{0}}}{{{1}}}", ("1/{1}", "-{0}/{1}**2"),
       ("\\frac{{1}}{{{1}}}", "-\\frac{{{0}}}{{{1}^2}}"),
       domain="the divisor must not be 0"),
    # math.pow, not **: it raises for (-8) ** 0.5 where ** returns a complex number
    Op("pow", "binary", "**", math.pow,
       lambda a, b, out: (b * a ** (b - 1.0), out * _log(a)),
       "{0} ** {1}", "{{{0}}}^{{{1}}}", ("{1} * {0}**({1} - 1)", "{0}**{1} * log({0})"),
       ("{1} {{{0}}}^{{{1} - 1}}", "{{{0}}}^{{{1}}} \\ln {0}"),
       domain="a ** b with b a Value needs a base a > 0 (d/db = a**b * log(a))"),

    Op("add_c", "folded", "+", operator.add, constant(1.0),
       "{0} + {c}", "{0} + {c}", ("1",), ("1",)),
    Op("sub_c", "folded", "-", operator.sub, constant(1.0),
       "{0} - {c}", "{0} - {c}", ("1",), ("1",)),
    Op("rsub_c", "folded", "-", lambda x, c: c - x, constant(-1.0),
       "{c} - {0}", "{c} - {0}", ("-1",), ("-1",), constant_first=True),
    Op("mul_c", "folded", "*", operator.mul, d_is_c,
       "{0} * {c}", "{c} \\cdot {0}", ("{c}",), ("{c}",)),
    Op("div_c", "folded", "/", operator.truediv, lambda x, c, out: (1.0 / c,),
       "{0} / {c}", "\\frac{{{0}}}{{{c}}}", ("1/{c}",), ("\\frac{{1}}{{{c}}}",),
       domain="the divisor must not be 0"),
    Op("rdiv_c", "folded", "/", lambda x, c: c / x, lambda x, c, out: (-c / (x * x),),
       "{c} / {0}", "\\frac{{{c}}}{{{0}}}", ("-{c}/{0}**2",), ("-\\frac{{{c}}}{{{0}^2}}",),
       domain="the divisor must not be 0", constant_first=True),
    Op("pow_c", "folded", "**", math.pow, lambda x, c, out: (_pow_local(x, c),),
       "{0} ** {c}", "{{{0}}}^{{{c}}}", ("{c} * {0}**({c} - 1)",), ("{c} {{{0}}}^{{{c} - 1}}",),
       domain="x ** c needs x > 0 when c is not an integer, and x != 0 when c < 1 "
              "(a complex result, a division by zero or an infinite derivative)"),
    Op("rpow_c", "folded", "**", lambda x, c: math.pow(c, x), lambda x, c, out: (out * math.log(c),),
       "{c} ** {0}", "{{{c}}}^{{{0}}}", ("{c}**{0} * log({c})",), ("{{{c}}}^{{{0}}} \\ln {c}",),
       domain="c ** x with x a Value needs a base c > 0", constant_first=True),

    Op("neg", "unary", "neg", operator.neg, constant(-1.0),
       "-{0}", "-{0}", ("-1",), ("-1",)),
    Op("exp", "unary", "exp", math.exp, lambda x, out: (out,),
       "exp({0})", "e^{{{0}}}", ("exp({0})",), ("e^{{{0}}}",),
       domain="exp(x) overflows a float for x > 709.78"),
    Op("log", "unary", "log", math.log, lambda x, out: (1.0 / x,),
       "log({0})", "\\ln {0}", ("1/{0}",), ("\\frac{{1}}{{{0}}}",),
       domain="log needs an input > 0"),
    Op("sigmoid", "unary", "σ", sigmoid_float, lambda x, out: (out * (1.0 - out),),
       "sigmoid({0})", "\\sigma({0})", ("{out}(1 - {out})",), ("{out}(1 - {out})",)),
    Op("tanh", "unary", "tanh", math.tanh, lambda x, out: (1.0 - out * out,),
       "tanh({0})", "\\tanh {0}", ("1 - {out}**2",), ("1 - {out}^2",)),
    Op("relu", "unary", "ReLU", lambda x: x if x > 0.0 else 0.0,
       lambda x, out: (1.0 if _data(x) > 0.0 else 0.0,),
       "relu({0})", "\\mathrm{{ReLU}}({0})", ("1 if {0} > 0 else 0",), ("\\mathbb{{1}}[{0} > 0]",),
       kinks=(0.0,), kink_note="ReLU'(0) = 0 (as in PyTorch)"),
    Op("abs", "unary", "abs", abs,
       lambda x, out: (1.0 if _data(x) > 0.0 else -1.0 if _data(x) < 0.0 else 0.0,),
       "abs({0})", "|{0}|", ("sign({0})",), ("\\operatorname{{sign}}({0})",),
       kinks=(0.0,), kink_note="abs'(0) = 0 (as in PyTorch)"),
    Op("step", "unary", "step", _step, constant(0.0),
       "step({0})", "\\operatorname{{step}}({0})", ("0",), ("0",),
       kinks=(0.0,), kink_note="step(x) = 1 if x > 0 else -1; its derivative is 0 everywhere "
                                "(undefined at 0, where the engine also uses 0)"),

    # BCE of sigmoid(z) against the label y, fused: s(z)(1-s(z)) * (s(z)-y)/(s(z)(1-s(z))) cancels
    Op("bce_logits", "folded", "BCE", _bce_logits, lambda z, y, out: (_sigmoid(z) - y,),
       "bce_with_logits({0}, {c})", "\\mathrm{{BCE}}(\\sigma({0}), {c})",
       ("sigmoid({0}) - {c}",), ("\\sigma({0}) - {c}",)),

    Op("sum", "nary", "Σ", lambda xs, c: math.fsum(xs) + c,
       lambda xs, c, out: (1.0,) * len(xs),
       "sum({args})", "\\sum_i {args}", ("1",), ("1",)),
    Op("dot", "nary", "dot", _dot_forward, _dot_local,
       "dot({args})", "\\sum_i w_i x_i", ("x_i for w_i, w_i for x_i, 1 for the bias",),
       ("x_i,\\ w_i,\\ 1",)),
]


def _pow_local(x, c: float):
    """d/dx x**c = c * x**(c-1), with the exact answers at c = 0 and c = 1."""
    if c == 0.0:
        return 0.0
    if c == 1.0:
        return 1.0
    if _data(x) == 0.0 and c < 1.0:
        raise ZeroDivisionError("infinite derivative")
    return c * x ** (c - 1.0)


OPS: dict[str, Op] = {op.name: op for op in _TABLE}
