"""glassgrad's engine: scalar reverse-mode autodiff where every local derivative is visible.

    >>> import autograd as ag
    >>> w, x, b = ag.Value(0.5, label="w"), ag.Value(2.0, label="x"), ag.Value(-1.0, label="b")
    >>> y = (w * x + b).sigmoid()
    >>> y.backward()
    >>> round(w.grad, 4)   # x * s(1 - s) at s = sigmoid(0) = 0.5
    0.5
"""

from .backward import backward, grad, topological_order, zero_grad
from .errors import BackwardError, GlassgradError, OpError, OperandError
from .ops import OPS, Op
from .value import Value, dot, is_grad_enabled, no_grad, sum

__all__ = [
    "Value", "sum", "dot", "backward", "grad", "zero_grad", "topological_order",
    "no_grad", "is_grad_enabled", "OPS", "Op",
    "GlassgradError", "OpError", "OperandError", "BackwardError",
]
