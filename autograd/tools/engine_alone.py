"""Each op of a learner's engine run alone, and what a wrong walk looks like, for check_engine.

A wrong gradient in a whole graph can come from any op under a node used several times, or from
the walk itself. So every op node of their graph is also run *alone* (:func:`run_alone`): their
class makes fresh operands with the same data, their op is applied to them, their ``_backward``
runs with ``out.grad = 1.5`` (a 1 would hide a backward that forgets ``out.grad``), and each
operand's grad is compared with glassgrad's local derivative times 1.5. A second run starts
every operand's grad at 0.25: a backward that adds (``+=``) keeps it, one that assigns (``=``)
loses it. :func:`slip` names the classic slips; :func:`diagnose_walk` is for when every op is
right alone and the graph's gradients are still wrong.

    >>> class V:  # a micrograd-like Value with one op, its backward written with `=`
    ...     def __init__(self, data, _children=(), _op=""):
    ...         self.data, self.grad, self._prev, self._op = data, 0.0, set(_children), _op
    ...         self._backward = lambda: None
    ...     def __mul__(self, other):
    ...         out = V(self.data * other.data, (self, other), "*")
    ...         def _backward():
    ...             self.grad = other.data * out.grad
    ...             other.grad = self.data * out.grad
    ...         out._backward = _backward
    ...         return out
    >>> from autograd import ops
    >>> check = run_one(V, "*", ops.mul, (2.0, 5.0), None, ("a", "b"))
    >>> check.theirs, check.expected, check.keeps    # right derivatives, but `=` loses 0.25
    ((5.0, 2.0), (5.0, 2.0), False)
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, replace

from ..errors import OperandError
from ..ops import Op, _num
from ..value import Value, apply

SEED = 1.5    # out.grad for a run alone
BEFORE = 0.25  # each operand's grad before the second run alone

_BINARY = {"+": operator.add, "*": operator.mul, "-": operator.sub, "/": operator.truediv}


@dataclass(frozen=True)
class AloneCheck:
    """Their op ``op`` run alone on fresh operands with ``data`` (named ``names`` in their graph).

    ``theirs`` and ``expected`` hold, per operand, the local derivative their backward gave
    (operand grad / out.grad) and glassgrad's; ``keeps`` is False when a grad already there was
    lost (``=`` for ``+=``), None when that could not be tried; ``skipped`` says why the op could
    not be run alone ('' when it was).
    """

    op: str
    names: tuple[str, ...]
    data: tuple[float, ...]
    const: float | None = None
    out: float = 0.0
    theirs: tuple[float, ...] = ()
    expected: tuple[float, ...] = ()
    keeps: bool | None = None
    skipped: str = ""
    atol: float = 1e-6
    rtol: float = 1e-6
    op_def: Op | None = None

    @property
    def wrong(self) -> list[int]:
        """The operand positions whose local derivative is wrong."""
        return [p for p, (t, e) in enumerate(zip(self.theirs, self.expected))
                if not close(t, e, self.atol, self.rtol)]

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.wrong and self.keeps is not False


class _CannotRun(Exception):
    pass


def run_one(cls: type, code: str, op: Op, data: tuple[float, ...], const: float | None,
            names: tuple[str, ...], atol: float = 1e-6, rtol: float = 1e-6) -> AloneCheck:
    """Their op ``code`` (class ``cls``) run alone at ``data``, against glassgrad's ``op``."""
    made = apply(op, *[Value(x) for x in data], const=const)
    base = AloneCheck(code, names, data, const, made.data, (), made.local_grads,
                      atol=atol, rtol=rtol, op_def=op)
    try:
        fresh = [cls(x) for x in data]
        out = _apply_theirs(code, fresh, const)
        keeps = None
        if callable(getattr(out, "_backward", None)):
            theirs = _step(out, fresh, 0.0)
            if any(theirs) or not any(made.local_grads):
                again = _step(out, fresh, BEFORE)  # `+=` gives the same derivatives, `=` loses BEFORE
                keeps = all(close(a, b, atol, 0.0) for a, b in zip(again, theirs))
            else:  # their _backward did nothing: maybe their backward() does the work
                try:
                    theirs = _whole_backward(out, fresh)
                except _CannotRun:
                    pass
        else:
            theirs = _whole_backward(out, fresh)
    except _CannotRun as e:
        return replace(base, skipped=str(e))
    except Exception as e:  # their code: say what it raised, run alone, and go on with the graph check
        return replace(base, skipped=f"running it alone raised {type(e).__name__}: {str(e)[:80]}")
    return replace(base, theirs=tuple(theirs), keeps=keeps)


def _apply_theirs(code: str, fresh: list, const):
    """Their op applied to their fresh operands, checked to be one node with those children."""
    if code.startswith("**"):
        out = fresh[0] ** exponent(code)
    elif len(fresh) == 2 and code in _BINARY:
        out = _BINARY[code](*fresh)
    elif len(fresh) == 1 and code in ("-", "neg"):
        out = -fresh[0]
    else:
        name = code if hasattr(fresh[0], code) else code.lower()
        method = getattr(fresh[0], name, None) if name.isidentifier() and not name.startswith("_") else None
        if not callable(method):
            raise _CannotRun(f"{type(fresh[0]).__name__} has no method {code!r} to apply it with")
        out = method(*fresh[1:])
    if getattr(out, "_op", None) != code:
        raise _CannotRun(f"applied to fresh operands it makes a node with _op "
                         f"{getattr(out, '_op', None)!r}, not {code!r}")
    if {id(c) for c in children(out)} != {id(f) for f in fresh}:
        raise _CannotRun("applied to fresh operands it makes a node whose _prev is not those operands")
    return out


def _step(out, fresh: list, before: float) -> list[float]:
    """out._backward() once with out.grad = SEED and each operand's grad at ``before``; returns
    each operand's local derivative as their backward gave it."""
    for f in fresh:
        f.grad = before
    out.grad = SEED
    out._backward()
    return [(float(f.grad) - before) / SEED for f in fresh]


def _whole_backward(out, fresh: list) -> list[float]:
    """Their backward() on the one-op graph, for engines that do not keep a _backward per node."""
    if not callable(getattr(out, "backward", None)):
        raise _CannotRun("their nodes have neither _backward nor backward")
    for f in fresh:
        f.grad = 0.0
    out.grad = 0.0
    out.backward()
    seed = float(out.grad)
    if seed == 0:
        raise _CannotRun("their backward() leaves out.grad at 0")
    return [float(f.grad) / seed for f in fresh]


def exponent(code: str) -> float:
    """The k of micrograd's ``'**k'`` op string, an int when it is written as one."""
    text = code[2:]
    try:
        return int(text)
    except ValueError:
        return float(text)


def children(node) -> tuple:
    """A node's children, from ``_prev`` (micrograd) or ``_children``; an OperandError when that
    is not a collection of nodes."""
    kids = getattr(node, "_prev", None)
    if kids is None:
        kids = getattr(node, "_children", ())
    if isinstance(kids, (str, bytes)) or not hasattr(kids, "__iter__"):
        raise OperandError(f"check_engine: a node's _prev must be a set, tuple or list of its "
                           f"children, got {type(kids).__name__} {kids!r:.40} "
                           f"(node with _op {getattr(node, '_op', None)!r}, "
                           f"data {getattr(node, 'data', None)!r:.20})")
    kids = tuple(kids)
    for kid in kids:
        missing = [attr for attr in ("data", "grad", "_op") if not hasattr(kid, attr)]
        if missing:
            raise OperandError(f"check_engine: the node with _op {getattr(node, '_op', None)!r} "
                               f"has a child that is not a node (no {' or '.join(missing)}): "
                               f"{type(kid).__name__} {kid!r:.40}")
    return kids


def rule_text(op: Op, const, names, pos: int) -> str:
    """glassgrad's local derivative d out / d operand ``pos``, written with their names."""
    c = "" if const is None else _num(const)
    return op.rule_text[min(pos, len(op.rule_text) - 1)].format(*names, c=c, out="out", args="xs")


# -- what a wrong run alone says ------------------------------------------------------------

def describe(check: AloneCheck, prefer: int | None = None) -> tuple[str, str]:
    """One line naming the op and what its backward did alone, and a hint for the slip;
    ``prefer`` is the operand position to speak of when it is among the wrong ones."""
    names = _shown(check.names)
    at = ", ".join(f"{n} = {x:.8g}" + (f" ({label})" if n != label else "")
                   for n, label, x in zip(names, check.names, check.data))
    if check.wrong:
        p = prefer if prefer in check.wrong else check.wrong[0]
        whose = f" for {names[p]}" if len(names) > 1 else ""
        rule = rule_text(check.op_def, check.const, names, p)
        rule += f" (out = {check.out:.8g})" if "out" in rule else ""
        hint = slip(check, p)
        if hint.startswith("multiply"):  # the number it gives is not a derivative: say what it did
            return (f"{check.op}: your backward adds {check.theirs[p] * SEED:.8g} to {names[p]}.grad "
                    f"when out.grad = {SEED}, expected {SEED} * {check.expected[p]:.8g} = "
                    f"{SEED * check.expected[p]:.8g} (d/d{names[p]} = {rule}), run alone at {at}", hint)
        return (f"{check.op}: your backward gives {check.theirs[p]:.8g}{whose}, expected "
                f"{check.expected[p]:.8g} = {rule}, run alone at {at}", hint)
    return (f"{check.op}: your backward overwrites its operands' grads: run alone at {at}, with "
            f"each grad already {BEFORE} and out.grad = {SEED}, it does not keep the {BEFORE}",
            f"accumulate with `+=` in {check.op}'s _backward, not `=`: a node used several times "
            f"gets one contribution from each use")


def _shown(names: tuple[str, ...]) -> tuple[str, ...]:
    """Their labels for the operands, or x (a, b) for unlabelled ones (named #k) and repeats."""
    generic = ("x",) if len(names) == 1 else ("a", "b", "c", "d")[:len(names)]
    if len(set(names)) < len(names) or len(names) > 4:
        return generic if len(names) <= 4 else names
    return tuple(g if n.startswith("#") else n for n, g in zip(names, generic))


def slip(check: AloneCheck, p: int) -> str:
    """A hint when their local derivative equals a classic slip's, else ''."""
    t, e = check.theirs[p], check.expected[p]
    try:
        known = _classic_slips(check.op_def.name, p, check.data, check.out, check.const)
    except (ArithmeticError, ValueError):  # a slip's value out of range here: no hint from it
        known = []
    for value, hint in known:
        if isinstance(value, (int, float)) and close(t, value, check.atol, check.rtol) \
                and not close(value, e, check.atol, check.rtol):
            return hint
    if close(t * SEED, e, check.atol, check.rtol):
        return "multiply the local derivative by out.grad (the chain rule): yours leaves out.grad out"
    if t == 0:
        return ("your backward leaves the grad at 0: is out._backward = _backward set, and does "
                "_backward add to each operand's grad?")
    if close(t, -e, check.atol, check.rtol):
        return "the sign is the wrong way round"
    return ""


def _classic_slips(name: str, p: int, xs: tuple[float, ...], out: float, c) -> list[tuple[float, str]]:
    """(what the slip gives, the hint) for op ``name``'s operand ``p`` at ``xs``."""
    x = xs[p]
    if name == "pow_c":
        return [(c * x ** c, "the power rule lowers the exponent by one: k * x**(k - 1); yours keeps x**k"),
                (x ** (c - 1), "the power rule multiplies by the exponent: k * x**(k - 1); "
                               "yours leaves out k")]
    if name == "exp":
        return [(x, "exp's derivative is exp(x) itself, the output (out.data); yours uses the input x")]
    if name == "tanh":
        return [(1 - x * x, "tanh's derivative is written with its output t = out.data; yours "
                            "squares the input x"),
                (1 - out, "yours is 1 - t: t not squared (t = out.data)")]
    if name == "sigmoid":
        return [(x * (1 - x), "sigmoid's derivative is written with its output s = out.data; "
                              "yours uses the input x"),
                (out, "sigmoid's derivative is s * (1 - s); yours is s alone")]
    if name == "mul":
        return [(x, "each operand of a * b gets the *other* one's data: self.grad += other.data * "
                    "out.grad, other.grad += self.data * out.grad")]
    if name == "relu":
        return [(1.0 if x <= 0 else math.nan, "relu passes the gradient only where its input is > 0: "
                                              "(out.data > 0) * out.grad"),
                (x, "relu's derivative is 1 where the input is > 0 and 0 elsewhere, not the input")]
    if name == "log":
        return [(x, "log's derivative is 1/x; yours is x")]
    if name == "sub" and p == 1:
        return [(1.0, "in a - b, b gets -out.grad: other.grad -= out.grad")]
    if name == "div" and p == 1:
        return [(1 / xs[1], "in a / b, d/db = -a / b**2; yours is 1/b")]
    if name == "neg":
        return [(1.0, "neg passes -out.grad: self.grad -= out.grad")]
    return []


# -- when every op is right alone -----------------------------------------------------------

def simulate(ops_of, mine: list[Value], visits, runs: int = 1) -> list[float]:
    """The grads a backward with right ops gives when it runs the nodes' backward in ``visits``
    order, ``runs`` times without zeroing grads (the root's grad set to 1 each time)."""
    grads, visits = [0.0] * len(mine), list(visits)
    for _ in range(runs):
        grads[-1] = 1.0
        for k in visits:
            if ops_of[k][0] is not None:
                for local, i in zip(mine[k].local_grads, ops_of[k][1]):
                    grads[i] += local * grads[k]
    return grads


def diagnose_walk(theirs: list[float], ops_of, mine: list[Value], ops_seen: str,
                  atol: float, rtol: float) -> tuple[str, str]:
    """Why the graph's gradients are wrong when every op is right alone (``ops_seen`` lists
    them): the walk's order, grads left from an earlier backward, or, in general, how it
    should be."""
    n = len(mine)
    same = lambda grads: all(close(t, g, atol, rtol) for t, g in zip(theirs, grads))  # noqa: E731
    right = f"every op's backward is right alone ({ops_seen})"
    if same(simulate(ops_of, mine, range(n))):
        return (f"{right}, so the walk is wrong: your backward visits the nodes in forward order "
                f"(inputs first), so each node passes on its grad before its uses have added into "
                f"it. Visit them in reverse topological order, the root first",
                "build topo with each node after its children, then `for v in reversed(topo): "
                "v._backward()`")
    for runs in (2, 3):
        if same(simulate(ops_of, mine, reversed(range(n)), runs)):
            return (f"{right}, but the grads are what {runs} backward passes over this graph "
                    f"add up to: grads are not reset between calls of backward()",
                    "set every node's grad to 0 before calling backward() again (micrograd: "
                    "`p.grad = 0` for each parameter, and build the graph anew)")
    return (f"{right}, so the walk or the accumulation is wrong: backward must run each node's "
            f"_backward exactly once, after every node that uses it has added into its grad "
            f"(reverse topological order), and every grad must start at 0 and be added to with `+=`",
            "build topo with each node after its children (once each: keep a visited set), set "
            "root.grad = 1, then `for v in reversed(topo): v._backward()`")


def close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)
