"""Pictures of training: the decision boundary of a 2-input model, and the loss curve.

matplotlib is optional (``pip install glassgrad[plot]``); it is imported only when a
function draws, and a missing install says how to get it. Each function draws on
``ax`` (or a new figure), optionally saves to ``path``, and returns the Axes
(``ax.figure`` is the figure). Without a display, matplotlib draws with Agg.

    import nn
    from nn.plot import plot_decision_boundary, plot_loss
    ax = plot_decision_boundary(model, X, y, path="boundary.png")
    plot_loss(history, path="loss.png")
"""

from __future__ import annotations

import io
import math
import os

from autograd import FileWriteError, Value, no_grad

from . import _checks
from autograd.files import write_atomically
from .errors import InputError

__all__ = ["plot_decision_boundary", "plot_loss"]


def _pyplot():
    """matplotlib.pyplot, or an ImportError that says how to install it.

    Without a display matplotlib picks its Agg backend by itself, so figures can be
    saved on a headless machine; a notebook keeps its inline backend.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("nn.plot needs matplotlib, an optional extra: pip install 'glassgrad[plot]' "
                          "(or pip install matplotlib)") from None
    return plt


def _axes(ax, plt, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _save(ax, path) -> None:
    """Save the figure to ``path`` atomically: drawn into memory, then written to a temporary
    file and renamed over ``path``, so a failed save (a full disk...) keeps the old file.
    The suffix picks the format (.png, .svg, .pdf...; no suffix: PNG). A failed write raises
    ``autograd.FileWriteError`` (an ``OSError``) naming ``path`` and the reason."""
    if path is None:
        return
    buffer = io.BytesIO()
    suffix = os.path.splitext(os.fspath(path))[1]
    ax.figure.savefig(buffer, format=suffix[1:].lower() or None, dpi=120, bbox_inches="tight")
    write_atomically(path, buffer.getvalue(), lambda message: FileWriteError(f"nn.plot: {message}"))


def _score(model, x: list[float]) -> float:
    score = getattr(model, "score", None)  # a perceptron's w.x - phi draws a smoother line than its +-1
    out = score(x) if callable(score) else model(x)
    if isinstance(out, list):
        raise InputError("plot_decision_boundary: the model has several outputs; it needs a model "
                         "whose last layer has one unit")
    return out.data if isinstance(out, Value) else float(out)


def plot_decision_boundary(model, X, y, ax=None, *, threshold: float | None = None, resolution: int = 120,
                           margin: float = 0.5, path=None, title: str | None = None):
    """Shade the plane by the model's predicted class, draw the boundary, scatter the data.

    ``model`` maps 2 inputs to one output (or has a ``score(x)`` method, as the
    perceptron does); the classes split where the output crosses ``threshold``
    (default ``model.decision_threshold`` if it has one -- 0.5 after a sigmoid -- else 0). Points are coloured by label (0/1 or -1/+1). The model is
    evaluated under ``no_grad``, so no graph is built.
    """
    plt = _pyplot()
    rows, labels = _checks.dataset(X, y, "plot_decision_boundary", 2)
    resolution = _checks.positive_int(resolution, "resolution", "plot_decision_boundary")
    if threshold is None:
        threshold = getattr(model, "decision_threshold", 0.0)
    x0s, x1s = [r[0] for r in rows], [r[1] for r in rows]
    lo0, hi0 = min(x0s) - margin, max(x0s) + margin
    lo1, hi1 = min(x1s) - margin, max(x1s) + margin
    g0 = [lo0 + (hi0 - lo0) * i / (resolution - 1 or 1) for i in range(resolution)]
    g1 = [lo1 + (hi1 - lo1) * j / (resolution - 1 or 1) for j in range(resolution)]
    with no_grad():
        scores = [[_score(model, [a, b]) for a in g0] for b in g1]
    ax = _axes(ax, plt, (5.5, 4.5))
    finite = [s for row in scores for s in row if math.isfinite(s)]
    span = max((abs(s - threshold) for s in finite), default=1.0) or 1.0
    ax.contourf(g0, g1, scores, levels=[threshold - span - 1, threshold, threshold + span + 1],
                colors=["#f4a582", "#92c5de"], alpha=0.55)
    ax.contour(g0, g1, scores, levels=[threshold], colors="k", linewidths=1.5)
    positive = max(labels) if labels else 1.0
    for is_positive, colour, marker in ((False, "#b2182b", "o"), (True, "#2166ac", "s")):
        pts = [(a, b) for (a, b), t in zip(rows, labels) if (t == positive) == is_positive]
        if pts:
            name = f"y = {positive:g}" if is_positive else f"y = {min(labels):g}"
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], c=colour, marker=marker, s=28,
                       edgecolors="white", linewidths=0.6, label=name, zorder=3)
    ax.set_xlim(lo0, hi0)
    ax.set_ylim(lo1, hi1)
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(title or f"decision boundary (output = {threshold:g})")
    ax.legend(loc="best", framealpha=0.85)
    _save(ax, path)
    return ax


def plot_loss(history, ax=None, *, path=None, title: str | None = None, log_scale: bool = False):
    """The loss per epoch, with the accuracy on a second axis when the history has it.

    ``history`` is what ``nn.fit`` returns (or a plain list of loss values).
    """
    plt = _pyplot()
    if hasattr(history, "loss"):
        losses, accuracy = list(history.loss), list(history.accuracy)
    else:
        losses, accuracy = [_checks.number(v, f"history[{i}]", "plot_loss") for i, v in enumerate(history)], []
    if not losses:
        raise InputError("plot_loss: the history is empty")
    epochs = list(range(1, len(losses) + 1))
    ax = _axes(ax, plt, (6, 3.8))
    ax.plot(epochs, losses, color="#b2182b", lw=1.8, label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color="#b2182b")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if accuracy and all(a is not None for a in accuracy):
        twin = ax.twinx()
        twin.plot(epochs, accuracy, color="#2166ac", lw=1.5, ls="--", label="accuracy")
        twin.set_ylabel("accuracy", color="#2166ac")
        twin.set_ylim(-0.02, 1.02)
    ax.set_title(title or "training loss")
    _save(ax, path)
    return ax
