"""A graph as a sympy expression, so its derivative can be checked symbolically.

sympy is optional (``pip install "glassgrad[sympy]"``) and imported on first use. The
expression is built from the graph node by node, parents first, with one sympy rule per
op of the table; sympy's string parser is never used.

    >>> from autograd import Value, to_sympy
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> to_sympy((w * x).sigmoid() + 3)
    3 + 1/(1 + exp(-w*x))

The kinks follow the engine: ``relu`` and ``step`` are written as ``Piecewise`` so their
derivative at 0 is 0, and ``abs`` is ``Abs``, whose derivative ``sign`` is 0 at 0.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable

from ..backprop import topological_order
from ..errors import SympyTooDeep, require, GlassgradError, OperandError
from ..value import Value

__all__ = ["to_sympy", "sympy_grad", "SympyTooDeep", "SIMPLIFY_UP_TO"]


SIMPLIFY_UP_TO = 40
"""sympy_grad simplifies derivatives this small (sympy's simplify can be slow on big ones)."""


@contextmanager
def _sympy_depth(what: str):
    """sympy walks expressions recursively: turn its RecursionError into one clear error."""
    try:
        yield
    except RecursionError:
        raise SympyTooDeep(f"{what}: the expression is nested too deeply for sympy, which recurses "
                           f"over it; cut it at labelled nodes with symbols_for='labels', or use a "
                           f"smaller graph (autograd.grad and gradcheck have no such limit)") from None


def _sympy():
    return require("sympy", "sympy", "symbolic checks")


def to_sympy(root: Value, *, symbols_for: str | Iterable[Value] = "leaves"):
    """The expression ``root`` computes, as a sympy expression.

    ``symbols_for`` says which nodes become sympy Symbols (real, named by their labels):

    * ``"leaves"`` (default): every labelled leaf; unlabelled leaves are numbers;
    * ``"labels"``: every labelled node but the root, so the expression stops at labelled
      intermediate nodes (``-y*log(yhat) - ...`` rather than the whole network);
    * a collection of Values: exactly those nodes; every other leaf is a number.

    Two different nodes with the same label get distinct symbols (``b``, ``b_2``).

    >>> from autograd import Value
    >>> y, z = Value(1.0, label="y"), Value(0.3, label="z")
    >>> yhat = z.sigmoid(); yhat.label = "yhat"
    >>> L = -(y * yhat.log()); L.label = "L"
    >>> to_sympy(L, symbols_for="labels")
    -y*log(yhat)
    >>> to_sympy(L, symbols_for=[z])
    -log(1/(1 + exp(-z)))
    """
    with _sympy_depth("to_sympy"):
        return _translate(root, symbols_for)[0]


def sympy_grad(root: Value, wrt: Value):
    """sympy's derivative of ``root`` with respect to the node ``wrt``, and its value here.

    Labelled leaves and ``wrt`` are the symbols (an intermediate ``wrt`` cuts the graph
    there, as backprop's ``dL/dz`` does). Returns ``(derivative, value)``; a derivative
    of at most :data:`SIMPLIFY_UP_TO` operations is simplified first.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> sympy_grad(x ** 2 * 5, x)
    (10*x, 30.0)
    """
    sp = _sympy()
    nodes = [n for n in topological_order(root) if n.is_leaf and n.label]
    with _sympy_depth("sympy_grad"):
        expr, symbols = _translate(root, [*nodes, wrt])
        if wrt not in symbols:  # root does not depend on wrt
            return sp.Integer(0), 0.0
        derivative = sp.diff(expr, symbols[wrt])
        if sp.count_ops(derivative) <= SIMPLIFY_UP_TO:
            derivative = sp.simplify(derivative)
        point = {symbol: _number(sp, node.data) for node, symbol in symbols.items()}
        value = derivative.evalf(30, subs=point)
    try:
        return derivative, float(value)
    except TypeError:
        raise GlassgradError(f"sympy_grad: sympy's derivative is not a real number here "
                             f"({value}); derivative: {derivative}") from None


def _translate(root: Value, symbols_for) -> tuple:
    """(expression of root, {node: Symbol}) without recursion over the graph."""
    if not isinstance(root, Value):
        raise OperandError(f"to_sympy: expects a Value, got {type(root).__name__}")
    if symbols_for == "leaves":
        def is_symbol(node):
            return node.is_leaf and bool(node.label)
    elif symbols_for == "labels":
        def is_symbol(node):
            return bool(node.label) and (node is not root or node.is_leaf)
    elif isinstance(symbols_for, str):
        raise OperandError(f"to_sympy: symbols_for must be 'leaves', 'labels' or a collection "
                           f"of Values, got {symbols_for!r}")
    else:
        chosen = set(symbols_for)

        def is_symbol(node):
            return node in chosen
    exprs, symbols = _translate_all(root, [node for node in topological_order(root) if is_symbol(node)])
    return exprs[root], symbols


def _free_name(name: str, taken: set[str]) -> str:
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    taken.add(candidate)
    return candidate


def _number(sp, x: float):
    """A float as sympy sees it: an Integer when whole, else the exact binary value."""
    if x.is_integer() and abs(x) < 2.0 ** 53:
        return sp.Integer(int(x))
    return sp.Float(x, precision=53)


# -- comparing a hand formula with the graph's derivative, within bounds -----------------------

SIMPLIFY_MAX_OPS = 400
"""check_formula(symbolic=True) calls sympy's simplify only on a difference of at most this many
operations (counted with a capped walk); a larger one is compared at points instead."""
SIMPLIFY_SECONDS = 5.0
"""The time sympy's simplify gets (in the main thread, where a timer can stop it)."""
EVALUATE_MAX_NODES = 20_000
"""The largest expression tree evaluated at points when simplify cannot decide."""


class _TimedOut(BaseException):
    """Not an Exception: sympy catches ``Exception`` in places, and must not swallow the stop."""


@contextmanager
def _time_limit(seconds: float):
    """Stop the block after ``seconds`` with _TimedOut (main thread on POSIX; elsewhere no limit).

    The alarm repeats every 0.25 s until the block ends, so a stop that lands where it cannot
    be raised is raised at the next one; a timer that was already set (pytest-timeout's) is
    set again afterwards with the time it had left."""
    import signal
    import threading
    import time

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    running = [True]

    def stop(signum, frame):
        if running[0]:
            raise _TimedOut()

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, stop)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
    try:
        yield
    finally:
        try:
            running[0] = False  # from here on an alarm does nothing
        except _TimedOut:  # one landed just before: the block is over anyway (the next is 0.25 s away)
            running[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:
            left = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def _tree_size(expr, cap: int) -> int:
    """Nodes of sympy's expression tree, counting stops past ``cap`` (so a huge tree is cheap)."""
    import sympy as sp

    n = 0
    for _ in sp.preorder_traversal(expr):
        n += 1
        if n > cap:
            break
    return n


def check_symbolically(root: Value, target: Value, formula, where: dict, bound: dict,
                       const_names: dict, fixed: dict, points: list) -> tuple:
    """(sympy's derivative as text, its value here, verdict, ok or None when undecided).

    Used by ``check_formula(symbolic=True)``. sympy differentiates ``root`` with respect to
    ``target`` (labelled leaves, folded labels named in the formula, and ``target`` as
    symbols); the formula is translated with each name standing for its node's expression;
    the difference, with ``target`` replaced by its own expression, is simplified when it is
    at most :data:`SIMPLIFY_MAX_OPS` operations, within :data:`SIMPLIFY_SECONDS`. When
    simplify does not reach 0 (or is not tried), the difference is evaluated at the given
    point and at ``points`` (leaf values by topological index); a nonzero value there is a
    mismatch, zero everywhere is "agrees at N points (not proven)".
    """
    sp = _sympy()
    from ..ops import OPS
    from .expression import ARITHMETIC, fold

    order = topological_order(root)
    leaves = [n for n in order if n.is_leaf and n.label]
    const_symbols = {order[k]: name for name, k in const_names.items()}
    with _sympy_depth("check_formula(symbolic=True)"):
        exprs, symbols = _translate_all(root, [*leaves, target], const_symbols)
        full, _ = _translate_all(root, leaves, const_symbols)
        if target not in symbols:
            derivative = sp.Integer(0)
        else:
            derivative = sp.diff(exprs[root], symbols[target])
        env = {name: exprs[node] for name, node in bound.items()}
        env.update({name: _number(sp, v) for name, v in fixed.items()})
        env.update({name: sp.Symbol(name, real=True) for name in const_names})
        def binary(op: str, a, b):
            return sp.nan if op == "/" and b == 0 else ARITHMETIC[op](a, b)

        for name, sub in [*where.items(), (None, formula)]:
            value = fold(sub, number=lambda v: _number(sp, v), name=env.__getitem__,
                         call=lambda func, x: OPS[func].sympy_at(sp, [x]), binary=binary)
            if name is None:
                by_hand = value
            else:
                env[name] = value
        difference = derivative - by_hand
        if target in symbols and not target.is_leaf:
            difference = difference.xreplace({symbols[target]: full[target]})
        leaf_symbols = {node: s for node, s in symbols.items() if node is not target or target.is_leaf}
        given = {s: _number(sp, node.data) for node, s in leaf_symbols.items()}
        given.update({sp.Symbol(name, real=True): _number(sp, order[k].const) for name, k in const_names.items()})
        here = derivative.evalf(30, subs={**given, **({symbols[target]: _number(sp, target.data)}
                                                      if target in symbols else {})})
    text = str(derivative) if _tree_size(derivative, 2000) <= 2000 else "(too long to show)"
    try:
        value = float(here)
    except TypeError:
        value = None
    size = _tree_size(difference, SIMPLIFY_MAX_OPS)
    if difference == 0:
        return text, value, "equal: sympy finds the same expression", True
    why = ""
    if size <= SIMPLIFY_MAX_OPS:
        try:
            with _time_limit(SIMPLIFY_SECONDS), _sympy_depth("simplify"):
                if sp.simplify(difference) == 0:
                    return text, value, "equal: sympy simplifies the difference to 0", True
            why = "sympy's simplify does not reach 0"
        except _TimedOut:
            why = f"sympy's simplify ran past {SIMPLIFY_SECONDS:g} s"
    else:
        why = f"the difference has more than {SIMPLIFY_MAX_OPS} operations, too many to simplify"
    if _tree_size(difference, EVALUATE_MAX_NODES) > EVALUATE_MAX_NODES:
        return text, value, f"not decided: {why}, and it is too large to evaluate; the numeric points stand", None
    index = {node: k for k, node in enumerate(order)}
    tried = 0
    try:
        with _time_limit(SIMPLIFY_SECONDS):
            for at in [{}, *points]:
                subs = dict(given)
                subs.update({s: _number(sp, float(at.get(index[node], node.data)))
                             for node, s in leaf_symbols.items()})
                gap = difference.evalf(30, subs=subs)
                if gap.is_number and gap.is_real:
                    tried += 1
                    if abs(float(gap)) > 1e-9 * max(1.0, abs(value or 0.0)):
                        return text, value, (f"different: {why}, and the difference is "
                                             f"{float(gap):.3g} at a point"), False
    except _TimedOut:
        return text, value, f"not decided: {why}, and evaluating it ran past {SIMPLIFY_SECONDS:g} s", None
    return text, value, f"agrees at {tried} points ({why}, so not proven)", None


def _translate_all(root: Value, symbols_for, const_symbols: dict | None = None) -> tuple[dict, dict]:
    """({node: expression}, {node: Symbol}) for every node, without recursion over the graph;
    the nodes in ``symbols_for`` become Symbols, and the folded constants of the nodes in
    ``const_symbols`` too (named by its values)."""
    sp = _sympy()
    chosen = set(symbols_for)
    const_symbols = const_symbols or {}
    exprs: dict = {}
    symbols: dict = {}
    taken: set[str] = set(const_symbols.values())
    for k, node in enumerate(topological_order(root)):
        if node in chosen:
            exprs[node] = symbols[node] = sp.Symbol(_free_name(node.label or f"v{k}", taken), real=True)
        elif node.is_leaf:
            exprs[node] = _number(sp, node.data)
        else:
            op = node.op_def
            if op.sympy is None:
                raise GlassgradError(f"to_sympy: the op {op.name!r} has no sympy rule in its table entry")
            if node in const_symbols:
                const = sp.Symbol(const_symbols[node], real=True)
            else:
                const = None if node.const is None else _number(sp, node.const)
            exprs[node] = op.sympy_at(sp, [exprs[p] for p in node.parents], const)
    return exprs, symbols
