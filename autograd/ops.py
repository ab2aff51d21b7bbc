"""The op table: every operation the engine knows, each defined once.

An :class:`Op` is first of all two rules:

* ``forward``: the op's value, computed from its operands' values;
* ``local``: its local derivatives, d out / d operand for each operand, given the operands
  and ``out``. The rule is written with ordinary arithmetic, so it runs on floats (a normal
  backward pass) and on :class:`~autograd.Value` nodes (``grad(..., create_graph=True)``,
  which gives second derivatives).

The other fields say how the op is written (``symbol`` on a graph node, ``text`` / ``latex``
for its expression, ``rule_text`` / ``rule_latex`` for each local derivative), what sympy
calls it, where its input must lie (``domain``, quoted in errors) and what a learner should
notice about it (``kinks``, ``saturates``, ``blocks``). Drawing, explaining, checking,
tracing, symbolic export and compiling all read these fields; none of them knows ops by name.

Templates: ``{0}``, ``{1}`` are the operands, ``{c}`` a folded constant, ``{out}`` the
node's value, ``{args}`` the operand list of an n-ary op.

``code`` and ``local_code`` are the same two rules as Python expressions, for
:func:`autograd.compile`, which writes one line of straight-line code per node and per edge.
They do the same float operations in the same order as ``forward`` and ``local``, so compiled
code gives the same numbers bit for bit. Names in them (``fsum``, ``exp``, ``log``, ``tanh``,
``fabs``, ``pow``: math's; ``sigmoid``, ``bce_logits``: this module's) are the compiled code's
helpers. Where a template depends on the operand count or the constant (``dot``, ``pow_c``),
the field is a function ``(n_operands, c) -> template(s)``.

``array_code`` and ``array_local_code`` are the same rules once more, for
:func:`autograd.compile_arrays`, where a name holds one number per sample (a NumPy array) and
the one-sample code runs on a whole batch at once. Left empty, ``code`` and ``local_code`` are
used as they are: arithmetic works on arrays unchanged, and the names ``exp``, ``log``,
``tanh``, ``fabs``, ``pow``, ``sigmoid``, ``bce_logits`` (and math's other names) are NumPy's
or this module's functions there. An op needs its own array template only where its code
branches on a value: ``x if x > 0.0 else 0.0`` becomes ``maximum(x, 0.0)``, with the same
conventions at the kink (ReLU'(0) = 0, abs'(0) = 0, step's 1/-1, clamped_log's floor).
``fsum`` becomes ``add_all``: the terms added left to right, one rounding each (not exactly
once, as ``fsum``), so array results equal the float ones to rounding, not bit for bit.

Calling convention (:meth:`Op.forward_at`, :meth:`Op.local_at`, :meth:`Op.sympy_at`): a rule
takes the operands one by one, then the folded constant if the op has one
(``takes_constant``); an n-ary op (``arity=None``) takes the operand list and its constant.

    >>> mul.forward(2.0, 3.0), mul.local(2.0, 3.0, 6.0)
    (6.0, (3.0, 2.0))
    >>> mul_c.forward_at([2.0], 10.0), mul_c.local_at([2.0], 10.0, 20.0)
    (20.0, (10.0,))

Adding an op, say ``sin``: one entry here and one method on ``Value``::

    sin = Op(name="sin", arity=1,
             forward=math.sin,
             local=lambda x, out: (_cos(x),),          # d/dx sin x = cos x
             symbol="sin", text="sin({0})", latex="\\\\sin {0}", rule_text=("cos({0})",),
             sympy=lambda sp, x: sp.sin(x),
             code="sin({0})", local_code=("cos({0})",))   # for autograd.compile
    OPS["sin"] = sin

    class Value:
        ...
        def sin(self):
            \"\"\"sin(self); local derivative cos(self).\"\"\"
            return apply(ops.sin, self)

(``_cos`` works on floats and on Values, as ``_log`` below does, so second derivatives work.)
Every tool picks the new op up from its entry: ``tests/test_engine_new_op.py`` does exactly
this from outside the package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

__all__ = ["Op", "OPS", "sigmoid_float"]


@dataclass(frozen=True, eq=False, kw_only=True)
class Op:
    """One operation: its value rule and local-derivative rule, then how it is written."""

    name: str
    forward: Callable  # the value:               forward(*operands[, c]) -> float
    local: Callable    # the local derivatives:   local(*operands[, c], out) -> tuple, one per operand
    arity: int | None  # 1, 2, or None for any number of operands (passed as one list)
    takes_constant: bool = False  # a plain number folded into the node: x * 3 keeps 3 as its constant
    constant_is_label: bool = False  # that constant is a 0/1 label (checks try both labels)
    # -- how it is written
    symbol: str
    text: str
    latex: str = ""  # defaults to text
    rule_text: tuple[str, ...]
    rule_latex: tuple[str, ...] = ()  # defaults to rule_text
    constant_first: bool = False  # a folded op written "c - x" rather than "x - c"
    local_is_partner: bool = False  # operands pair up (w_i, x_i): each one's derivative is the other
    family: str = ""  # the name in messages: "div" for div_c and rdiv_c; defaults to name
    # -- what sympy calls it: sympy(sp, *operands[, c]), sp the sympy module
    sympy: Callable | None = None
    # -- what a learner should know about it
    domain: str = ""  # where its input must lie, quoted when it is not there
    kinks: tuple[float, ...] = ()  # inputs where the derivative is a convention, not a limit
    kink_note: str = ""  # the convention
    saturates: bool = False  # its derivative vanishes for large inputs (sigmoid, tanh)
    blocks: Callable[[float], bool] | None = None  # blocks(x): passes no gradient at input x
    blocks_note: str = ""  # what to say then; {x} is the input
    # -- the rules as Python expressions, for compiled code (autograd.compile)
    code: str | Callable = ""  # the value: "{0} * {1}"; or a function (n_operands, c) -> template
    local_code: tuple[str, ...] | Callable = ()  # each local derivative: ("{1}", "{0}"); or (n, c) -> tuple
    hides_inf: bool = False  # its value can be finite for an inf or nan operand (relu(-inf) = 0)
    # -- the rules over NumPy arrays (autograd.compile_arrays); empty: code / local_code as they are
    array_code: str | Callable = ""  # "maximum({0}, 0.0)"; or a function (n_operands, c) -> template
    array_local_code: tuple[str, ...] | Callable = ()  # ("({0} > 0.0)",); or (n, c) -> tuple

    def __post_init__(self):
        if not self.latex:
            object.__setattr__(self, "latex", self.text)
        if not self.rule_latex:
            object.__setattr__(self, "rule_latex", self.rule_text)
        if not self.family:
            family = self.name.removesuffix("_c") if self.takes_constant else self.name
            object.__setattr__(self, "family", family.removeprefix("r") if self.constant_first else family)

    # -- the one calling convention --------------------------------------------------
    def arguments(self, operands, const=None) -> tuple:
        """The arguments the rules take for these operands (floats or Values) and constant."""
        if self.arity is None:
            return (operands, const or 0.0)
        return (*operands, const) if self.takes_constant else tuple(operands)

    def forward_at(self, operands, const=None):
        """The op's value at ``operands``."""
        return self.forward(*self.arguments(operands, const))

    def local_at(self, operands, const, out) -> tuple:
        """The op's local derivatives at ``operands``, given its value ``out``."""
        return self.local(*self.arguments(operands, const), out)

    def sympy_at(self, sp, operands, const=None):
        """The op applied to sympy expressions (``sp`` is the sympy module)."""
        return self.sympy(sp, *self.arguments(operands, const))

    def label(self, const: float | None = None) -> str:
        """The op as shown on a graph node, with a folded constant: ``*3``, ``2-``, ``exp``."""
        if self.arity is None:
            return f"{self.symbol}{_num(const, signed=True)}" if const else self.symbol
        if not self.takes_constant or const is None:
            return self.symbol
        if self.constant_first:
            return f"{_num(const)}{self.symbol}"
        if self.symbol.isalpha():
            return f"{self.symbol} y={_num(const)}"
        return f"{self.symbol}{_num(const)}"

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __reduce__(self):  # pickled by name: the rules are functions of this module
        return (_op_named, (self.name,))


def _op_named(name: str) -> Op:
    return OPS[name]


def _num(c: float, signed: bool = False) -> str:
    """A constant as written in an op label: ``3`` not ``3.0``, ``0.5``, ``1e-05``."""
    text = f"{c:g}"
    if signed and not text.startswith("-"):
        text = "+" + text
    return text


# -- helpers the rules use; each works on a float or on a Value --------------------------

def _data(x):
    """The number inside ``x`` (a float stays a float)."""
    return getattr(x, "data", x)


def _log(x):
    return x.log() if hasattr(x, "log") else math.log(x)


def _sigmoid(x):
    return x.sigmoid() if hasattr(x, "sigmoid") else sigmoid_float(x)


def sigmoid_float(x: float) -> float:
    """A sigmoid that never overflows: exp is only ever taken of a non-positive number."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _bce_logits(z: float, y: float) -> float:
    """-y log s(z) - (1-y) log(1 - s(z)), written so no exp overflows: max(z,0) - z y + log(1 + e^-|z|)."""
    return max(z, 0.0) - z * y + math.log1p(math.exp(-math.fabs(z)))


def _pow_c_local(x, c: float, out):
    """d/dx x**c = c * x**(c-1), exactly 0 and 1 at c = 0 and c = 1."""
    if c == 0.0:
        return (0.0,)
    if c == 1.0:
        return (1.0,)
    if _data(x) == 0.0 and c < 1.0:
        raise ZeroDivisionError("infinite derivative")
    return (c * x ** (c - 1.0),)


# dot's operands are (*w, *x) or (*w, *x, bias): w and x have the same length (dot checks),
# so an odd count means a bias.

def _dot_forward(xs, c):
    """w . x (+ bias) + c, with the products summed exactly once rounded."""
    n = len(xs) // 2
    out = math.fsum([w * x for w, x in zip(xs[:n], xs[n:2 * n])])
    return (out + xs[-1] if len(xs) % 2 else out) + c


def _dot_local(xs, c, out):
    """d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1."""
    n = len(xs) // 2
    return (*xs[n:2 * n], *xs[:n], 1.0) if len(xs) % 2 else (*xs[n:], *xs[:n])


def _dot_code(n: int, c) -> str:
    """fsum([w0 * x0, w1 * x1, ...]) [+ bias] + c, as _dot_forward computes it."""
    k = n // 2
    products = ", ".join(f"{{{i}}} * {{{k + i}}}" for i in range(k))
    return f"fsum([{products}])" + (f" + {{{n - 1}}}" if n % 2 else "") + " + {c}"


def _dot_local_code(n: int, c) -> tuple[str, ...]:
    """x_i for w_i, w_i for x_i, 1.0 for the bias, as _dot_local gives them."""
    k = n // 2
    bias = ("1.0",) if n % 2 else ()
    return (*(f"{{{k + i}}}" for i in range(k)), *(f"{{{i}}}" for i in range(k)), *bias)


def _pow_c_local_code(n: int, c: float) -> tuple[str, ...]:
    return ("0.0",) if c == 0.0 else ("{c} * {0} ** ({c} - 1.0)",)  # c = 1 gives 1.0 * x ** 0.0 = 1.0


# Over arrays (autograd.compile_arrays): a left-to-right sum of arrays, and no "+ 0.0" pass over
# every sample when there is no constant; pow(...) where Python's ** could give a complex number.

def _plus_c(c) -> str:
    return " + {c}" if c else ""


def _dot_array_code(n: int, c) -> str:
    """add_all([w0 * x0, w1 * x1, ...]) [+ bias] [+ c]: the products added left to right."""
    k = n // 2
    products = ", ".join(f"{{{i}}} * {{{k + i}}}" for i in range(k))
    return f"add_all([{products}])" + (f" + {{{n - 1}}}" if n % 2 else "") + _plus_c(c)


def _pow_c_array_local_code(n: int, c: float) -> tuple[str, ...]:
    return ("0.0",) if c == 0.0 else ("{c} * pow({0}, {c} - 1.0)",)


def _dot_sympy(sp, xs, c):
    n = len(xs) // 2
    return sp.Add(*(w * x for w, x in zip(xs[:n], xs[n:2 * n])), *xs[2 * n:]) + c


# -- the table ------------------------------------------------------------------------------
# Two Values: a op b.

add = Op(name="add", arity=2,
         forward=lambda a, b: a + b,
         local=lambda a, b, out: (1.0, 1.0),
         symbol="+", text="{0} + {1}", rule_text=("1", "1"),
         sympy=lambda sp, a, b: a + b,
         code="{0} + {1}", local_code=("1.0", "1.0"))

sub = Op(name="sub", arity=2,
         forward=lambda a, b: a - b,
         local=lambda a, b, out: (1.0, -1.0),
         symbol="-", text="{0} - {1}", rule_text=("1", "-1"),
         sympy=lambda sp, a, b: a - b,
         code="{0} - {1}", local_code=("1.0", "-1.0"))

mul = Op(name="mul", arity=2,
         forward=lambda a, b: a * b,
         local=lambda a, b, out: (b, a),
         symbol="*", text="{0} * {1}", latex="{0} \\cdot {1}", rule_text=("{1}", "{0}"),
         sympy=lambda sp, a, b: a * b,
         code="{0} * {1}", local_code=("{1}", "{0}"))

# d(a/b)/db = -a/b**2 is written -out/b: differentiating it again does not square b again
div = Op(name="div", arity=2,
         forward=lambda a, b: a / b,
         local=lambda a, b, out: (1.0 / b, -out / b),
         symbol="/", text="{0} / {1}", latex="\\frac{{{0}}}{{{1}}}",
         rule_text=("1/{1}", "-{out}/{1}"), rule_latex=("\\frac{{1}}{{{1}}}", "-\\frac{{{out}}}{{{1}}}"),
         sympy=lambda sp, a, b: a / b,
         domain="the divisor must not be 0",
         code="{0} / {1}", local_code=("1.0 / {1}", "-{out} / {1}"), hides_inf=True)

# math.pow, not **: it raises for (-8) ** 0.5 where ** gives a complex number
pow = Op(name="pow", arity=2,  # noqa: A001 - the op's name
         forward=math.pow,
         local=lambda a, b, out: (b * a ** (b - 1.0), out * _log(a)),
         symbol="**", text="{0} ** {1}", latex="{{{0}}}^{{{1}}}",
         rule_text=("{1} * {0}**({1} - 1)", "{0}**{1} * log({0})"),
         rule_latex=("{1} {{{0}}}^{{{1} - 1}}", "{{{0}}}^{{{1}}} \\ln {0}"),
         sympy=lambda sp, a, b: a ** b,
         domain="a ** b with b a Value needs a base a > 0 (d/db = a**b * log(a))",
         code="pow({0}, {1})", local_code=("{1} * {0} ** ({1} - 1.0)", "{out} * log({0})"), hides_inf=True,
         array_local_code=("{1} * pow({0}, {1} - 1.0)", "{out} * log({0})"))

# A Value and a plain number c, folded into the node.

add_c = Op(name="add_c", arity=1, takes_constant=True,
           forward=lambda x, c: x + c,
           local=lambda x, c, out: (1.0,),
           symbol="+", text="{0} + {c}", rule_text=("1",),
           sympy=lambda sp, x, c: x + c,
           code="{0} + {c}", local_code=("1.0",))

sub_c = Op(name="sub_c", arity=1, takes_constant=True,
           forward=lambda x, c: x - c,
           local=lambda x, c, out: (1.0,),
           symbol="-", text="{0} - {c}", rule_text=("1",),
           sympy=lambda sp, x, c: x - c,
           code="{0} - {c}", local_code=("1.0",))

rsub_c = Op(name="rsub_c", arity=1, takes_constant=True, constant_first=True,
            forward=lambda x, c: c - x,
            local=lambda x, c, out: (-1.0,),
            symbol="-", text="{c} - {0}", rule_text=("-1",),
            sympy=lambda sp, x, c: c - x,
            code="{c} - {0}", local_code=("-1.0",))

mul_c = Op(name="mul_c", arity=1, takes_constant=True,
           forward=lambda x, c: x * c,
           local=lambda x, c, out: (c,),
           symbol="*", text="{0} * {c}", latex="{c} \\cdot {0}", rule_text=("{c}",),
           sympy=lambda sp, x, c: x * c,
           code="{0} * {c}", local_code=("{c}",))

div_c = Op(name="div_c", arity=1, takes_constant=True,
           forward=lambda x, c: x / c,
           local=lambda x, c, out: (1.0 / c,),
           symbol="/", text="{0} / {c}", latex="\\frac{{{0}}}{{{c}}}",
           rule_text=("1/{c}",), rule_latex=("\\frac{{1}}{{{c}}}",),
           sympy=lambda sp, x, c: x / c,
           domain="the divisor must not be 0",
           code="{0} / {c}", local_code=("1.0 / {c}",))

rdiv_c = Op(name="rdiv_c", arity=1, takes_constant=True, constant_first=True,
            forward=lambda x, c: c / x,
            local=lambda x, c, out: (-out / x,),  # -c/x**2, written so x is not squared
            symbol="/", text="{c} / {0}", latex="\\frac{{{c}}}{{{0}}}",
            rule_text=("-{out}/{0}",), rule_latex=("-\\frac{{{out}}}{{{0}}}",),
            sympy=lambda sp, x, c: c / x,
            domain="the divisor must not be 0",
            code="{c} / {0}", local_code=("-{out} / {0}",), hides_inf=True)

pow_c = Op(name="pow_c", arity=1, takes_constant=True,
           forward=math.pow,
           local=_pow_c_local,
           symbol="**", text="{0} ** {c}", latex="{{{0}}}^{{{c}}}",
           rule_text=("{c} * {0}**({c} - 1)",), rule_latex=("{c} {{{0}}}^{{{c} - 1}}",),
           sympy=lambda sp, x, c: x ** c,
           domain="x ** c needs x > 0 when c is not an integer, and x != 0 when c < 1 "
                  "(a complex result, a division by zero or an infinite derivative)",
           code="pow({0}, {c})", local_code=_pow_c_local_code, hides_inf=True,
           array_local_code=_pow_c_array_local_code)

rpow_c = Op(name="rpow_c", arity=1, takes_constant=True, constant_first=True,
            forward=lambda x, c: math.pow(c, x),
            local=lambda x, c, out: (out * math.log(c),),
            symbol="**", text="{c} ** {0}", latex="{{{c}}}^{{{0}}}",
            rule_text=("{c}**{0} * log({c})",), rule_latex=("{{{c}}}^{{{0}}} \\ln {c}",),
            sympy=lambda sp, x, c: c ** x,
            domain="c ** x with x a Value needs a base c > 0",
            code="pow({c}, {0})", local_code=("{out} * log({c})",), hides_inf=True)

# BCE of sigmoid(z) against the label y, fused: s(z)(1-s(z)) * (s(z)-y)/(s(z)(1-s(z))) cancels
bce_logits = Op(name="bce_logits", arity=1, takes_constant=True, constant_is_label=True,
                forward=_bce_logits,
                local=lambda z, y, out: (_sigmoid(z) - y,),
                symbol="BCE", text="bce_with_logits({0}, {c})", latex="\\mathrm{{BCE}}(\\sigma({0}), {c})",
                rule_text=("sigmoid({0}) - {c}",), rule_latex=("\\sigma({0}) - {c}",),
                sympy=lambda sp, z, y: sp.log(1 + sp.exp(z)) - y * z,
                code="bce_logits({0}, {c})", local_code=("(sigmoid({0}) - {c})",))

# One Value.

neg = Op(name="neg", arity=1,
         forward=lambda x: -x,
         local=lambda x, out: (-1.0,),
         symbol="neg", text="-{0}", rule_text=("-1",),
         sympy=lambda sp, x: -x,
         code="-{0}", local_code=("-1.0",))

exp = Op(name="exp", arity=1,
         forward=math.exp,
         local=lambda x, out: (out,),
         symbol="exp", text="exp({0})", latex="e^{{{0}}}", rule_text=("exp({0})",), rule_latex=("e^{{{0}}}",),
         sympy=lambda sp, x: sp.exp(x),
         domain="exp(x) overflows a float for x > 709.78",
         code="exp({0})", local_code=("{out}",), hides_inf=True)

log = Op(name="log", arity=1,
         forward=math.log,
         local=lambda x, out: (1.0 / x,),
         symbol="log", text="log({0})", latex="\\ln {0}", rule_text=("1/{0}",), rule_latex=("\\frac{{1}}{{{0}}}",),
         sympy=lambda sp, x: sp.log(x),
         domain="log needs an input > 0",
         code="log({0})", local_code=("1.0 / {0}",))

# bce's log: log(x) kept finite down to x = 0, as PyTorch's BCELoss keeps it (>= about -100)
LOG_FLOOR = math.exp(-100.0)


def _lifted(x):
    """x, or x + e^-100 below e^-100: what clamped_log takes the log of (a float or a Value)."""
    return x if _data(x) >= LOG_FLOOR else x + LOG_FLOOR


clamped_log = Op(name="clamped_log", arity=1,
                 forward=lambda x: math.log(_lifted(x)),
                 local=lambda x, out: (1.0 / _lifted(x),),
                 symbol="log", text="clamped_log({0})", latex="\\ln {0}",
                 rule_text=("1/{0}",), rule_latex=("\\frac{{1}}{{{0}}}",),
                 sympy=lambda sp, x: sp.log(x),
                 domain="clamped_log needs an input >= 0",
                 kinks=(LOG_FLOOR,), kink_note="below e^-100 it is log(x + e^-100), so log(0) is about -100 "
                                              "(as PyTorch's BCELoss clamps it)",
                 code="log({0} if {0} >= 3.720075976020836e-44 else {0} + 3.720075976020836e-44)",
                 local_code=("1.0 / ({0} if {0} >= 3.720075976020836e-44 else {0} + 3.720075976020836e-44)",),
                 array_code="log(where({0} >= 3.720075976020836e-44, {0}, {0} + 3.720075976020836e-44))",
                 array_local_code=("1.0 / where({0} >= 3.720075976020836e-44, {0}, {0} + 3.720075976020836e-44)",))

sigmoid = Op(name="sigmoid", arity=1,
             forward=sigmoid_float,
             local=lambda x, out: (out * (1.0 - out),),
             symbol="σ", text="sigmoid({0})", latex="\\sigma({0})", rule_text=("{out}(1 - {out})",),
             sympy=lambda sp, x: 1 / (1 + sp.exp(-x)),
             saturates=True,
             code="sigmoid({0})", local_code=("{out} * (1.0 - {out})",), hides_inf=True)

tanh = Op(name="tanh", arity=1,
          forward=math.tanh,
          local=lambda x, out: (1.0 - out * out,),
          symbol="tanh", text="tanh({0})", latex="\\tanh {0}", rule_text=("1 - {out}**2",),
          rule_latex=("1 - {out}^2",),
          sympy=lambda sp, x: sp.tanh(x),
          saturates=True,
          code="tanh({0})", local_code=("(1.0 - {out} * {out})",), hides_inf=True)

relu = Op(name="relu", arity=1,
          forward=lambda x: x if x > 0.0 else 0.0,
          local=lambda x, out: (1.0,) if _data(x) > 0.0 else (0.0,),
          symbol="ReLU", text="relu({0})", latex="\\mathrm{{ReLU}}({0})",
          rule_text=("1 if {0} > 0 else 0",), rule_latex=("\\mathbb{{1}}[{0} > 0]",),
          sympy=lambda sp, x: sp.Piecewise((x, x > 0), (0, True)),
          kinks=(0.0,), kink_note="ReLU'(0) = 0 (as in PyTorch)",
          blocks=lambda x: x <= 0.0, blocks_note="ReLU is off (input {x:g} <= 0): it passes no gradient",
          code="{0} if {0} > 0.0 else 0.0", local_code=("(1.0 if {0} > 0.0 else 0.0)",), hides_inf=True,
          array_code="maximum({0}, 0.0)", array_local_code=("({0} > 0.0)",))  # True is 1, False 0

abs = Op(name="abs", arity=1,  # noqa: A001 - the op's name
         forward=math.fabs,
         local=lambda x, out: (1.0,) if _data(x) > 0.0 else (-1.0,) if _data(x) < 0.0 else (0.0,),
         symbol="abs", text="abs({0})", latex="|{0}|",
         rule_text=("sign({0})",), rule_latex=("\\operatorname{{sign}}({0})",),
         sympy=lambda sp, x: sp.Abs(x),
         kinks=(0.0,), kink_note="abs'(0) = 0 (as in PyTorch)",
         code="fabs({0})", local_code=("(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0)",),
         array_local_code=("sign({0})",))

step = Op(name="step", arity=1,
          forward=lambda x: 1.0 if x > 0.0 else -1.0,
          local=lambda x, out: (0.0,),
          symbol="step", text="step({0})", latex="\\operatorname{{step}}({0})", rule_text=("0",),
          sympy=lambda sp, x: sp.Piecewise((1, x > 0), (-1, True)),
          kinks=(0.0,), kink_note="step(x) = 1 if x > 0 else -1; its derivative is 0 everywhere "
                                  "(undefined at 0, where the engine also uses 0)",
          blocks=lambda x: True, blocks_note="step has derivative 0 everywhere: no gradient flows through it",
          code="1.0 if {0} > 0.0 else -1.0", local_code=("0.0",), hides_inf=True,
          array_code="where({0} > 0.0, 1.0, -1.0)")

# Any number of Values (and a folded constant c, 0 when there is none).

sum = Op(name="sum", arity=None,  # noqa: A001 - the op's name
         forward=lambda xs, c: math.fsum(xs) + c,
         local=lambda xs, c, out: (1.0,) * len(xs),
         symbol="Σ", text="sum({args})", latex="\\sum_i {args}", rule_text=("1",),
         sympy=lambda sp, xs, c: sp.Add(*xs) + c,
         code="fsum([{args}]) + {c}", local_code=lambda n, c: ("1.0",) * n,
         array_code=lambda n, c: "add_all([{args}])" + _plus_c(c))

dot = Op(name="dot", arity=None, local_is_partner=True,
         forward=_dot_forward,
         local=_dot_local,
         symbol="dot", text="dot({args})", latex="\\sum_i w_i x_i",
         rule_text=("x_i for w_i, w_i for x_i, 1 for the bias",), rule_latex=("x_i,\\ w_i,\\ 1",),
         sympy=_dot_sympy,
         code=_dot_code, local_code=_dot_local_code, array_code=_dot_array_code)


OPS: dict[str, Op] = {op.name: op for op in (
    add, sub, mul, div, pow, add_c, sub_c, rsub_c, mul_c, div_c, rdiv_c, pow_c, rpow_c, bce_logits,
    neg, exp, log, clamped_log, sigmoid, tanh, relu, abs, step, sum, dot)}
"""Every op by name."""
