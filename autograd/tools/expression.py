"""glassgrad's own small expression language: parse a formula, then build it from Values.

The language: numbers (``2``, ``0.5``, ``1e-3``), names (``w``, ``ŷ``, ``δ_h``, and node
labels with an index such as ``W1[0,1]`` or ``x[0]``), ``+ - * / **`` with Python's
precedence (``**`` is right-associative and binds tighter than a unary minus on its
left, so ``-x**2`` is ``-(x**2)``), unary ``-`` and ``+``, parentheses, and the engine's
functions ``abs exp log relu sigmoid step tanh`` with one argument each.

Symbols as the course notes write them (the full list; :func:`describe_aliases` says it in words):

* functions (:data:`ALIASES`): ``σ(z)`` and ``sigma(z)`` are ``sigmoid(z)``, ``ln(x)`` is
  ``log(x)``; the parsed tree uses the engine's name.
* names (:data:`NAME_ALIASES`): ``ŷ`` stands for the node labelled ``yhat`` (and ``yhat`` for one
  labelled ``ŷ``), also with an index (``ŷ[0]``). The tree keeps the name as written;
  :func:`resolve_names` (used by :func:`build` and the formula checks) swaps it for its
  alias where only the alias has a node or a value.

Nothing is ever run as Python: the text is read character by character by the scanner
and parser below (no ``eval``, ``exec``, ``compile`` or ``ast``), and :func:`build`
makes the graph with the engine's own ops.

    >>> from autograd.tools.expression import parse, build
    >>> expr = parse("sigmoid(w*x + b)")
    >>> str(expr), expr.names
    ('sigmoid(w * x + b)', ('w', 'x', 'b'))
    >>> y = build(expr, {"w": 0.5, "x": 2.0, "b": -1.0})
    >>> y.data, y.op
    (0.5, 'σ')

Limits keep every input cheap: at most :data:`MAX_LENGTH` characters and
:data:`MAX_TOKENS` tokens, at most :data:`MAX_DEPTH` unfinished parts at once (open
parentheses and calls, operators waiting for their right operand), and number literals
that fit a float (:data:`MAX_EXPONENT`). The scanner reads left to right, so the first
problem in the text is the one reported. Everything that walks an expression tree is
iterative, so a long chain ``a + a + ... + a`` is as safe as a short one.
"""

from __future__ import annotations

import keyword
import operator
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable, Iterator, Mapping, Union

from ..errors import ExpressionError, GlassgradError, OperandError
from ..ops import OPS
from ..grad_mode import no_grad
from ..value import Value

__all__ = [
    "parse", "build", "evaluate", "ExpressionError", "Expr", "Number", "Name", "Unary", "Binary",
    "Call", "FUNCTIONS", "ALIASES", "NAME_ALIASES", "resolve_names", "describe_aliases", "MAX_LENGTH", "MAX_TOKENS", "MAX_DEPTH", "MAX_EXPONENT",
]

MAX_LENGTH = 10_000
"""Longest accepted text, in characters."""
MAX_TOKENS = 5_000
"""Most tokens (numbers, names, operators, parentheses) in one expression."""
MAX_DEPTH = 100
"""Most unfinished parts at once: open parentheses and calls, operators awaiting an operand."""
MAX_EXPONENT = 400
"""Largest exponent written in a number literal (``1e400`` is already beyond any float)."""

FUNCTIONS: tuple[str, ...] = tuple(sorted(
    name for name, op in OPS.items() if op.arity == 1 and not op.takes_constant and name != "neg"))
"""The functions an expression may call: the engine's unary ops (``neg`` is written ``-x``)."""

ALIASES: dict[str, str] = {"σ": "sigmoid", "sigma": "sigmoid", "ln": "log"}
"""Other names for functions, as the course notes write them; a call ``σ(z)`` is read as ``sigmoid(z)``."""

NAME_ALIASES: dict[str, str] = {"ŷ": "yhat", "y\u0302": "yhat"}
"""Names as the course notes write them -> the label code gives that node: ``ŷ`` (precomposed, or
``y`` with a combining circumflex) is ``yhat``. Used both ways by :func:`resolve_names`."""

# Each function is the Value method of the same name (Value.exp, Value.sigmoid, ...).
_METHODS = {name: getattr(Value, name) for name in FUNCTIONS}


# -- errors --------------------------------------------------------------------


# -- the tree --------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)
class Expr:
    """An expression tree node. Equality and hashing are structural; ``pos`` (the column a
    node starts at) and ``source`` (the parsed text, kept on the root) are not compared.

    ``str(expr)`` is the canonical text (spaces around ``+ - * /``, none around ``**``,
    only the parentheses the precedence needs); ``parse(str(expr)) == expr``.
    """

    pos: int | None = field(default=None, kw_only=True)
    source: str | None = field(default=None, kw_only=True)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The names used, each once, in order of first appearance."""
        return tuple(dict.fromkeys(n.name for n in _postorder(self) if type(n) is Name))

    def __str__(self) -> str:
        return _to_text(self)

    def __repr__(self) -> str:
        return f"parse({str(self)!r})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Expr):
            return NotImplemented
        return self is other or _signature(self) == _signature(other)

    def __hash__(self) -> int:
        return hash(_signature(self))


@dataclass(frozen=True, eq=False, repr=False)
class Number(Expr):
    """A number literal (always stored as a float)."""

    value: float


@dataclass(frozen=True, eq=False, repr=False)
class Name(Expr):
    """A name: a variable, or a node label such as ``W1[0,1]`` (index written without spaces)."""

    name: str


@dataclass(frozen=True, eq=False, repr=False)
class Unary(Expr):
    """``-operand`` or ``+operand``."""

    op: str
    operand: Expr


@dataclass(frozen=True, eq=False, repr=False)
class Binary(Expr):
    """``left op right`` with op one of ``+ - * / **``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False, repr=False)
class Call(Expr):
    """``func(arg)`` with func one of :data:`FUNCTIONS`."""

    func: str
    arg: Expr


def _children(node: Expr) -> tuple[Expr, ...]:
    t = type(node)
    if t is Binary:
        return node.left, node.right
    if t is Unary:
        return (node.operand,)
    if t is Call:
        return (node.arg,)
    return ()


def _postorder(root: Expr) -> Iterator[Expr]:
    """Every node, children (left to right) before their parent; no recursion."""
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        kids = _children(node)
        if expanded or not kids:
            yield node
        else:
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(kids))


def _signature(root: Expr) -> tuple:
    """The tree in postorder with each node's own content: equal exactly when trees are equal."""
    return tuple((type(n).__name__, _content(n)) for n in _postorder(root))


def _content(node: Expr):
    t = type(node)
    if t is Number:
        return node.value
    if t is Name:
        return node.name
    if t is Call:
        return node.func
    return node.op


# Binding strength, as in Python: + - < * / < unary < ** < atoms.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "**": 4}
_ATOM = 5


def _to_text(root: Expr) -> str:
    results: list[tuple[str, int]] = []  # (text, precedence of its top operator)
    for node in _postorder(root):
        t = type(node)
        if t is Number:
            results.append((_number_text(node.value), 3 if node.value < 0 else _ATOM))
        elif t is Name:
            results.append((node.name, _ATOM))
        elif t is Call:
            arg, _ = results.pop()
            results.append((f"{node.func}({arg})", _ATOM))
        elif t is Unary:
            text, prec = results.pop()
            if prec < 3:
                text = f"({text})"
            results.append((node.op + text, 3))
        else:
            (right, rprec), (left, lprec) = results.pop(), results.pop()
            p = _PRECEDENCE[node.op]
            if node.op == "**":  # right-associative; a unary minus may stand on the right
                if lprec <= p:
                    left = f"({left})"
                if rprec < 3:
                    right = f"({right})"
                results.append((f"{left}**{right}", p))
            else:
                if lprec < p:
                    left = f"({left})"
                if rprec <= p:
                    right = f"({right})"
                results.append((f"{left} {node.op} {right}", p))
    return results[0][0]


def _number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


# -- scanning ----------------------------------------------------------------------

_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?", re.ASCII)
_INDEX = re.compile(r"\[\s*[0-9]+(?:\s*,\s*[0-9]+)*\s*\]", re.ASCII)
_OPERATORS = ("**", "+", "-", "*", "/", "(", ")", ",")
_HINTS = {
    "'": "strings are not part of the expression language",
    '"': "strings are not part of the expression language",
    ".": "attributes are not part of the expression language",
    "[": "square brackets only index a name, as in W1[0,1]",
    "]": "square brackets only index a name, as in W1[0,1]",
    "=": "an expression has no assignments or comparisons",
    "<": "an expression has no comparisons",
    ">": "an expression has no comparisons",
    "^": "write powers as x**2",
    "%": "the operators are + - * / **",
    "@": "the operators are + - * / **",
    "//": "the operators are + - * / **",
    ":": "an expression has no slices, lambdas or blocks",
    ";": "an expression is a single expression",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", an operator or parenthesis, or "end"
    text: str
    pos: int
    value: float = 0.0


def _scan(text: str) -> Iterator[_Token]:
    """The tokens of ``text``, read lazily so the first problem (left to right) is reported.

    Only the first ``MAX_LENGTH + 1`` characters are ever looked at.
    """
    n = min(len(text), MAX_LENGTH + 1)
    i = count = 0
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            if n > MAX_LENGTH:
                raise ExpressionError(f"longer than {MAX_LENGTH:,} characters", kind="too long",
                                      position=MAX_LENGTH, text=text)
            yield _Token("end", "", i)
            return
        count += 1
        if count > MAX_TOKENS:
            raise ExpressionError(f"more than {MAX_TOKENS:,} tokens", kind="too long",
                                  position=i, text=text)
        ch = text[i]
        if ch.isdigit() or (ch == "." and text[i + 1:i + 2].isdigit()):
            match = _NUMBER.match(text, i, n)
            if match is None:  # a digit outside 0-9 (Arabic-Indic, fullwidth...)
                raise ExpressionError(f"unexpected character {ch!r} (digits are 0-9)",
                                      position=i, text=text)
            yield _Token("number", match.group(), i, _number_value(match, text))
            i = match.end()
        elif ch.isidentifier():
            start = i
            i += 1
            while i < n and ("_" + text[i]).isidentifier():
                i += 1
            word = text[start:i]
            if keyword.iskeyword(word):
                raise ExpressionError(f"{word!r} is a Python keyword; the expression language has "
                                      "none", position=start, text=text)
            if i < n and text[i] == "[":
                index = _INDEX.match(text, i, n)
                if index is None:
                    raise ExpressionError("an index after a name holds whole numbers, as in "
                                          "W1[0,1]", position=i, text=text)
                word += re.sub(r"\s+", "", index.group())
                i = index.end()
            yield _Token("name", word, start)
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None or text.startswith("//", i):
                shown = "//" if op else ch
                hint = _HINTS.get(shown, "the operators are + - * / **")
                raise ExpressionError(f"unexpected {shown!r} ({hint})", position=i, text=text)
            yield _Token(op, op, i)
            i += len(op)


def _number_value(match: re.Match, text: str) -> float:
    literal, pos = match.group(), match.start()
    exponent = (match.group(1) or "").lstrip("+-").lstrip("0")
    if len(exponent) > 4 or int(exponent or "0") > MAX_EXPONENT:
        raise ExpressionError(f"the exponent of {_clip(literal)} is beyond {MAX_EXPONENT}",
                              kind="number out of range", position=pos, text=text)
    value = float(literal)
    if value == float("inf"):
        raise ExpressionError(f"{_clip(literal)} is too large for a float",
                              kind="number out of range", position=pos, text=text)
    if value == 0.0 and re.search("[1-9]", re.split("[eE]", literal)[0]):
        raise ExpressionError(f"{_clip(literal)} is too small for a float (it would be 0)",
                              kind="number out of range", position=pos, text=text)
    return value


def _clip(literal: str) -> str:
    if len(literal) <= 24:
        return literal
    return f"{literal[:10]}...{literal[-8:]} ({len(literal)} characters)"


# -- parsing -----------------------------------------------------------------------

def parse(text: str) -> Expr:
    """Read ``text`` into an :class:`Expr` tree, or raise :class:`ExpressionError`.

    >>> parse("-x**2 + 2*x")
    parse('-x**2 + 2 * x')
    >>> parse("h[0]*(yhat - y)").names
    ('h[0]', 'yhat', 'y')
    """
    if not isinstance(text, str):
        raise OperandError(f"parse: expects a str, got {type(text).__name__}")
    return replace(_Parser(text).run(), source=text)


class _Parser:
    """Operator precedence by the shunting-yard method: two stacks and a loop, no recursion.

    ``operators`` holds ``(kind, symbol, pos)`` with kind ``"binary"``, ``"unary"``,
    ``"("`` or ``"call"``; ``operands`` holds finished subtrees. The parser alternates
    between wanting an operand (a number, a name, a call, ``(`` or a unary sign) and
    wanting what may follow one (a binary operator, ``)`` or the end).
    """

    def __init__(self, text: str):
        self.text = text
        self.operators: list[tuple[str, str, int]] = []
        self.operands: list[Expr] = []

    def error(self, message: str, position: int | None, kind: str = "syntax error") -> ExpressionError:
        return ExpressionError(message, kind=kind, position=position, text=self.text)

    def run(self) -> Expr:
        tokens = _scan(self.text)
        token = next(tokens)
        while True:
            # wanting an operand
            kind = token.kind
            if kind == "number":
                self.operands.append(Number(token.value, pos=token.pos))
                token = next(tokens)
            elif kind == "name":
                after = next(tokens)
                if after.kind == "(":
                    self.call(token)
                    token = next(tokens)
                    continue
                if token.text in _METHODS:
                    raise self.error(f"{token.text} is a function: write {token.text}(...)", token.pos)
                self.operands.append(Name(token.text, pos=token.pos))
                token = after
            elif kind in ("(", "+", "-"):
                self.push("(" if kind == "(" else "unary", kind, token.pos)
                token = next(tokens)
                continue
            else:
                raise self.error(self.missing_operand(token), token.pos)
            # wanting what follows an operand
            while token.kind == ")":
                self.close(token)
                token = next(tokens)
            if token.kind == "end":
                return self.finish()
            if token.kind in _PRECEDENCE:
                self.reduce_for(token.kind)
                self.push("binary", token.kind, token.pos)
                token = next(tokens)
            elif token.kind == ",":
                raise self.error(self.comma_message(), token.pos)
            else:
                found = "a number" if token.kind == "number" else repr(token.text)
                raise self.error(f"expected an operator before {found} (to multiply, write a * b)",
                                 token.pos)

    def call(self, name: _Token) -> None:
        name = replace(name, text=ALIASES.get(name.text, name.text))
        if name.text not in _METHODS:
            raise self.error(f"{name.text!r} is not a function; the functions are "
                             f"{', '.join(FUNCTIONS)}, or {', '.join(ALIASES)} (to multiply, put * before '(')",
                             name.pos, "unknown function")
        self.push("call", name.text, name.pos)

    def missing_operand(self, token: _Token) -> str:
        if token.kind == "end":
            return "the expression ends where an operand is expected" if self.text.strip() \
                else "the expression is empty"
        if token.kind == ")" and self.operators and self.operators[-1][0] == "call":
            return f"{self.operators[-1][1]}() needs one argument"
        if token.kind == ",":
            return self.comma_message()
        return f"expected a number, a name or '(' but found {token.text!r}"

    def push(self, kind: str, symbol: str, pos: int) -> None:
        if len(self.operators) >= MAX_DEPTH:
            raise self.error(f"more than {MAX_DEPTH} nested parentheses, calls or pending operators",
                             pos, "too deep")
        self.operators.append((kind, symbol, pos))

    def reduce_for(self, op: str) -> None:
        """Apply the waiting operators that bind at least as tightly as the incoming ``op``."""
        p = _PRECEDENCE[op]
        while self.operators and self.operators[-1][0] in ("binary", "unary"):
            kind, symbol, _ = self.operators[-1]
            top = _PRECEDENCE["unary" if kind == "unary" else symbol]
            if top < p or (top == p and op == "**"):  # ** groups from the right
                break
            self.apply()

    def apply(self) -> None:
        kind, symbol, pos = self.operators.pop()
        if kind == "binary":
            right, left = self.operands.pop(), self.operands.pop()
            self.operands.append(Binary(symbol, left, right, pos=left.pos))
        else:
            self.operands.append(Unary(symbol, self.operands.pop(), pos=pos))

    def close(self, token: _Token) -> None:
        while self.operators and self.operators[-1][0] in ("binary", "unary"):
            self.apply()
        if not self.operators:
            raise self.error("')' has no matching '('", token.pos)
        kind, symbol, pos = self.operators.pop()
        if kind == "call":
            self.operands.append(Call(symbol, self.operands.pop(), pos=pos))

    def finish(self) -> Expr:
        while self.operators:
            kind, symbol, pos = self.operators[-1]
            if kind == "(":
                raise self.error("'(' is never closed", pos)
            if kind == "call":
                raise self.error(f"'{symbol}(' is never closed", pos)
            self.apply()
        return self.operands.pop()

    def comma_message(self) -> str:
        for kind, symbol, _ in reversed(self.operators):
            if kind == "call":
                return f"{symbol}() takes one argument"
            if kind == "(":
                break
        return "a comma only appears inside a label index, as in W1[0,1]"


# -- the notes' names ---------------------------------------------------------------

def _alias_of(name: str) -> list[str]:
    """The other spellings of ``name`` (``ŷ[0]`` -> ``yhat[0]``; ``yhat`` -> ``ŷ``), nearest first."""
    base, bracket, index = name.partition("[")
    rest = bracket + index
    if base in NAME_ALIASES:
        return [NAME_ALIASES[base] + rest]
    return [alias + rest for alias, label in NAME_ALIASES.items() if label == base]


def resolve_names(expr: Expr, known) -> Expr:
    """``expr`` with each name that ``known`` (labels, or an env's keys) lacks replaced by its
    alias from :data:`NAME_ALIASES` that ``known`` has; other names are left as they are (so an
    unknown name is still reported as written). Positions and the source text are kept.

    >>> resolve_names(parse("ŷ - y"), {"yhat", "y"})
    parse('yhat - y')
    >>> resolve_names(parse("yhat[0]"), {"ŷ[0]"}).names
    ('ŷ[0]',)
    """
    renames = {}
    for name in expr.names:
        if name not in known:
            found = next((alias for alias in _alias_of(name) if alias in known), None)
            if found is not None:
                renames[name] = found
    if not renames:
        return expr
    rebuilt: list[Expr] = []
    for node in _postorder(expr):
        t = type(node)
        if t is Name:
            rebuilt.append(replace(node, name=renames.get(node.name, node.name), source=None))
        elif t is Number:
            rebuilt.append(replace(node, source=None))
        elif t is Unary:
            rebuilt.append(replace(node, operand=rebuilt.pop(), source=None))
        elif t is Call:
            rebuilt.append(replace(node, arg=rebuilt.pop(), source=None))
        else:
            right, left = rebuilt.pop(), rebuilt.pop()
            rebuilt.append(replace(node, left=left, right=right, source=None))
    return replace(rebuilt.pop(), source=expr.source)


def describe_aliases() -> str:
    """The notes' symbols the formulas accept, in one line (for help texts and hints).

    >>> describe_aliases()
    'ŷ = yhat, σ(z) = sigma(z) = sigmoid(z), ln(x) = log(x)'
    """
    functions: dict[str, list[str]] = {}
    for alias, name in ALIASES.items():
        functions.setdefault(name, []).append(alias)
    parts = [f"{alias} = {label}" for alias, label in NAME_ALIASES.items() if alias.isprintable()
             and len(alias) == 1]
    parts += [" = ".join(f"{n}({'z' if name == 'sigmoid' else 'x'})" for n in (*aliases, name))
              for name, aliases in functions.items()]
    return ", ".join(parts)


# -- building ----------------------------------------------------------------------

ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,  # the formulas' operators
              "**": operator.pow}

ValueOrFloat = Union[Value, float]


def build(expr: Expr | str, env: Mapping[str, Value | float]) -> Value:
    """The graph of ``expr`` made with the engine's ops, names taken from ``env``.

    A number in ``env`` becomes a leaf Value labelled with its name, and every use of
    the name is that same leaf; a Value in ``env`` is used as it is. Number literals
    stay plain numbers, so they fold into ops (``x*2`` is one node ``*2``) and parts
    made only of numbers are computed right away. Math errors are the engine's
    :class:`~autograd.OpError`; a name missing from ``env`` is an :class:`ExpressionError`.

    >>> y = build("x*x + 2*x", {"x": 3.0})
    >>> y.data, [p.op or p.label for p in y.parents]
    (15.0, ['*', '*2'])
    >>> y.parents[0].parents[0] is y.parents[0].parents[1]   # x*x: one leaf, two edges
    True
    """
    if isinstance(expr, str):
        expr = parse(expr)
    elif not isinstance(expr, Expr):
        raise OperandError(f"build: expects an expression or its text, got {type(expr).__name__}")
    expr = resolve_names(expr, env)
    leaves = _leaves(expr, env)

    def call(func: str, x):
        method = _METHODS[func]
        return method(x) if isinstance(x, Value) else _constant(method, x)

    def binary(op: str, a, b):
        fn = ARITHMETIC[op]
        return fn(a, b) if isinstance(a, Value) or isinstance(b, Value) else _constant(fn, a, b)

    result = fold(expr, number=lambda value: value, name=leaves.__getitem__, call=call, binary=binary)
    return result if isinstance(result, Value) else Value(result)


def fold(expr: Expr, *, number: Callable, name: Callable, call: Callable, binary: Callable):
    """``expr`` computed bottom-up, each kind of node given its meaning by a function:
    ``number(value)``, ``name(text)``, ``call(function name, x)``, ``binary(op, a, b)``
    (unary minus is ``-x``). No recursion, so nesting as deep as the parser allows works.

    >>> fold(parse("2 * (x + 1)"), number=float, name={"x": 3.0}.__getitem__,
    ...      call=None, binary=lambda op, a, b: a * b if op == "*" else a + b)
    8.0
    """
    results: list = []
    for node in _postorder(expr):
        t = type(node)
        if t is Number:
            results.append(number(node.value))
        elif t is Name:
            results.append(name(node.name))
        elif t is Unary:
            x = results.pop()
            results.append(-x if node.op == "-" else x)
        elif t is Call:
            results.append(call(node.func, results.pop()))
        else:
            b, a = results.pop(), results.pop()
            results.append(binary(node.op, a, b))
    return results.pop()


def _constant(fn, a: float, *rest: float) -> float:
    """``fn`` on plain numbers, computed by the engine so errors and results match its ops."""
    with no_grad():
        return fn(Value(a), *rest).data


def _leaves(expr: Expr, env: Mapping[str, Value | float]) -> dict[str, Value]:
    missing = [n for n in expr.names if n not in env]
    if missing:
        first = next(n for n in _postorder(expr) if type(n) is Name and n.name == missing[0])
        given = ", ".join(sorted(env)) if env else "none"
        names = ", ".join(repr(n) for n in missing)
        raise ExpressionError(f"{names} {'has' if len(missing) == 1 else 'have'} no value "
                              f"(values given: {given})", kind="no value",
                              position=first.pos if expr.source is not None else None,
                              text=expr.source if expr.source is not None else str(expr))
    leaves = {}
    for name in expr.names:
        v = env[name]
        if isinstance(v, Value):
            leaves[name] = v
            continue
        try:
            leaves[name] = Value(v, label=name)
        except GlassgradError as e:
            raise type(e)(f"build: the value of {name!r}: {str(e).removeprefix('Value: ')}") from None
    return leaves


def evaluate(expr: Expr | str, env: Mapping[str, float]) -> float:
    """The value of ``expr`` at ``env``, as a float, without keeping a graph.

    >>> evaluate("(yhat - y) / (yhat * (1 - yhat))", {"yhat": 0.8, "y": 1.0})
    -1.25
    """
    with no_grad():
        return build(expr, env).data
