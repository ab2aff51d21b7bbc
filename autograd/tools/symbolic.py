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
    sp = _sympy()
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
    order = topological_order(root)
    exprs: dict = {}
    symbols: dict = {}
    taken: set[str] = set()
    for k, node in enumerate(order):
        if is_symbol(node):
            name = _free_name(node.label or f"v{k}", taken)
            exprs[node] = symbols[node] = sp.Symbol(name, real=True)
        elif node.is_leaf:
            exprs[node] = _number(sp, node.data)
        else:
            op = node.op_def
            if op.sympy is None:
                raise GlassgradError(f"to_sympy: the op {op.name!r} has no sympy rule in its table entry")
            const = None if node.const is None else _number(sp, node.const)
            exprs[node] = op.sympy_at(sp, [exprs[p] for p in node.parents], const)
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
