"""glassgrad's engine: scalar reverse-mode autodiff where every local derivative is visible.

    >>> import autograd as ag
    >>> w, x, b = ag.Value(0.5, label="w"), ag.Value(2.0, label="x"), ag.Value(-1.0, label="b")
    >>> y = (w * x + b).sigmoid()
    >>> y.backward()
    >>> round(w.grad, 4)   # x * s(1 - s) at s = sigmoid(0) = 0.5
    0.5

The tools (drawing, tracing, explaining, checking) are imported on first use, so
``import autograd`` stays light.
"""

from importlib import import_module

from . import ops
from .backprop import backward, free, grad, topological_order, zero_grad
from .errors import (BackwardError, CheckTooLarge, CompileTooLarge, DrawingError, ExplainError, ExpressionError,
                     FileWriteError, GlassgradError, GradcheckError, GraphTooLarge, GraphvizNotFound, KinkWarning,
                     MissingExtra, OperandError, OpError, TraceError)
from .ops import OPS, Op
from .grad_mode import is_grad_enabled, no_grad
from .value import Value, apply, bce_with_logits, dot, sum  # noqa: F401 (ag.sum)
from .compiling import compile, compile_arrays, compile_loop  # noqa: A001,F401 (ag.compile; like sum, not in __all__)

# public name -> module that defines it (imported when the name is first used)
_TOOLS = {
    "draw": "drawing", "Drawing": "drawing",
    "trace": "tracing", "Trace": "tracing",
    "explain": "explaining", "Explanation": "explaining",
    "gradcheck": "gradchecking", "gradcheck_ops": "gradchecking",
    "GradcheckReport": "gradcheck_report",
    "check_formula": "formula_check", "FormulaCheck": "formula_check",
    "parse": "expression", "build": "expression", "Expr": "expression",
    "to_sympy": "symbolic",
    "diagnose": "diagnostics",
    "check_engine": "engine_check", "EngineCheck": "engine_check",
    "Question": "tracing",
}

# What `from autograd import *` gives. autograd.sum is left out on purpose: it would replace
# the builtin sum (sum(range(10)) would become a Value); write ag.sum.
__all__ = [
    "Value", "apply", "dot", "bce_with_logits", "backward", "grad", "zero_grad", "free", "topological_order",
    "no_grad", "is_grad_enabled", "ops", "OPS", "Op",
    "GlassgradError", "OpError", "OperandError", "BackwardError", "MissingExtra", "DrawingError",
    "GraphTooLarge", "GraphvizNotFound", "FileWriteError", "CompileTooLarge", "CheckTooLarge", "TraceError",
    "GradcheckError", "KinkWarning", "ExplainError", "ExpressionError",
    *_TOOLS,
]


def __getattr__(name: str):
    module = _TOOLS.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    value = getattr(import_module(f".tools.{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*__all__, "sum"})
