"""``glassgrad demo``: train an MLP on a toy dataset and write what it learned, and how.

:func:`run_demo` trains ``MLP(2, [16, 16, 1])`` and writes into a folder the decision
boundary and the loss curve (with matplotlib), the graph of one sample's loss, and an HTML
stepper through a small network; :func:`command` is the ``glassgrad demo`` subcommand around
it. The files are written into a temporary folder beside ``out`` (in its parent, so on the
same file system) and moved into ``out`` together at the end
(:func:`autograd.files.replace_together`): a failure or Ctrl-C at any moment leaves ``out`` with
the previous run's files, none of this run's, and no temporary folder.

    from nn.demo import run_demo
    result = run_demo("demo-out", epochs=20, progress=False)   # result.files: what it wrote
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import autograd as ag
from autograd.files import replace_together

from . import data as _data
from . import losses as _losses
from . import optim as _optim
from .cli_io import EXIT_OK, Streams, drawing_bytes, size, write_output
from .errors import CommandFailed, InputError, UsageError
from .mlp import MLP
from .train import fit

__all__ = ["run_demo", "DemoResult", "command", "DATASETS", "DEMO_OUT"]

DATASETS = ("moons", "circles", "blobs")
"""The toy datasets the demo can learn."""
DEMO_OUT = "glassgrad-out"
"""Where ``glassgrad demo`` writes its files unless ``--out`` says otherwise."""


def command(args, io: Streams) -> int:
    """``glassgrad demo``: make the ``--out`` folder, run the demo, say what it wrote."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {str(out)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandFailed(f"cannot create the folder {str(out)!r}: {e.strerror or e}") from None
    started = time.perf_counter()
    try:
        result = run_demo(out, epochs=args.epochs, samples=args.samples, seed=args.seed,
                          dataset=args.dataset, progress=not args.no_progress, say=io.say)
    except OSError as e:
        raise CommandFailed(f"cannot write into {str(out)!r}: {e.strerror or e}") from None
    io.say(f"done in {time.perf_counter() - started:.1f} s; open {out / 'backprop-stepper.html'} in a browser")
    for line in result.skipped:
        io.warn(line)
    return EXIT_OK


@dataclass
class DemoResult:
    """What :func:`run_demo` did: the final loss and accuracy, the files written, what it skipped."""

    loss: float
    accuracy: float
    files: list[tuple[Path, str]]
    skipped: list[str]


def run_demo(out: str | os.PathLike, *, epochs: int = 100, samples: int = 100, seed: int = 0, dataset: str = "moons",
             progress: bool = True, say: Callable[[str], None] = print) -> DemoResult:
    """Train ``MLP(2, [16, 16, 1])`` on a toy dataset and write the pictures and the stepper into ``out``.

    Full-batch Adam on binary cross-entropy of the output score (``bce_with_logits``, labels
    0/1), with a progress bar. Writes the decision boundary and the loss curve (when
    matplotlib is installed), the graph of the loss of the sample the trained network finds
    hardest (every path from the first-layer weight with the largest gradient, and the whole
    graph), and an HTML stepper through a 2-2-1 sigmoid network with BCE on one sample.

    BCE rather than the hinge loss: after training every sample is past the hinge's margin,
    so its loss and every gradient in the drawn graph would be 0; BCE's stay readable.

    The files are written into a temporary folder in ``out``'s parent and moved into ``out``
    together at the end; after a failure or an interrupt ``out`` holds what it held before.
    """
    if dataset not in DATASETS:
        raise InputError(f"run_demo: unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.resolve().name}.glassgrad-", dir=out.resolve().parent))
    try:
        return _run(out, staging, epochs, samples, seed, dataset, progress, say)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _run(out: Path, staging: Path, epochs: int, samples: int, seed: int, dataset: str,
         progress: bool, say: Callable[[str], None]) -> DemoResult:
    """run_demo's work: every file goes into ``staging``, then all move into ``out`` at once."""
    make = {"moons": _data.moons, "circles": _data.circles, "blobs": _data.blobs}[dataset]
    X, y = make(samples, seed=seed, labels=(0, 1))
    model = MLP(2, [16, 16, 1], activation="relu", seed=seed)
    optimizer = _optim.Adam(model.parameters(), lr=0.05)
    say(f"glassgrad demo: MLP(2, [16, 16, 1]), ReLU, {model.num_parameters()} parameters, learns "
        f"{dataset} ({len(X)} samples, labels 0/1): BCE on the output score, Adam, {epochs} full-batch steps")
    started = time.perf_counter()
    loss_fn = _losses.bce_with_logits
    l2 = 1e-4
    history = fit(model, (X, y), loss_fn, optimizer, epochs=epochs, progress=progress, l2=l2)
    trained = time.perf_counter() - started
    with ag.no_grad():
        outputs = [model(x) for x in X]
        losses = [loss_fn(o, t).data for o, t in zip(outputs, y)]
        loss = loss_fn(outputs, y).data
        accuracy = _losses.accuracy(outputs, y, threshold=model.decision_threshold)
    penalty = l2 * math.fsum(p.data * p.data for p in model.parameters())
    right = round(accuracy * len(X))
    say(f"trained in {trained:.1f} s: final loss {loss + penalty:.4f} (mean BCE over the {len(X)} samples "
        f"{loss:.4f} + L2 penalty {penalty:.4f}), accuracy {accuracy:.1%} ({right} of {len(X)})")

    files: list[tuple[Path, str]] = []
    skipped: list[str] = []
    try:
        from .plot import plot_decision_boundary, plot_loss

        ax = plot_decision_boundary(model, X, y, path=staging / "decision-boundary.png",
                                    title=f"{dataset}: decision boundary after {epochs} steps "
                                          f"(accuracy {accuracy:.0%})")
        files.append((out / "decision-boundary.png", "the learned decision boundary over the data"))
        import matplotlib.pyplot as plt  # there, since the plot above worked

        plt.close(ax.figure)
        ax = plot_loss(history, path=staging / "loss-curve.png")
        plt.close(ax.figure)
        files.append((out / "loss-curve.png", "loss and accuracy per step"))
    except ImportError:  # nn.plot imports matplotlib on first use
        skipped.append('skipped decision-boundary.png and loss-curve.png: they need matplotlib, an '
                       'optional extra; get it with: pip install "glassgrad[plot]"')

    # the graph of the loss of one sample: the hardest one for the trained network
    k = max(range(len(X)), key=lambda i: losses[i])
    sample_loss = loss_fn(model(X[k]), y[k])
    sample_loss.label = "L"
    sample_loss.zero_grad()
    sample_loss.backward()
    first_layer = [p for p in model.layers[0].parameters() if p.label.startswith("W")]
    weight = max(first_layer, key=lambda p: abs(p.grad))
    point = f"x = ({X[k][0]:.3g}, {X[k][1]:.3g}), y = {y[k]:g}"
    part = ag.draw(sample_loss, start=weight, parameters=model.parameters(), title=f"sample {k} ({point}), loss L = {sample_loss.data:.4g}: "
                                                    f"every path from {weight.label} to L")
    for suffix in (".svg", ".png"):
        write_output(staging / f"loss-graph{suffix}", drawing_bytes(part, suffix))
    files.append((out / "loss-graph.svg", f"sample {k}'s loss: every path from {weight.label} "
                                          "(the largest first-layer gradient) to L"))
    files.append((out / "loss-graph.png", "the same picture as PNG"))
    whole = ag.draw(sample_loss, parameters=model.parameters(), collapse=True, show_edge_labels=False,
                    title=f"sample {k} ({point}): the whole graph of its loss, without the weights "
                          f"and biases (hover over an op for its formula and numbers)")
    write_output(staging / "loss-graph-full.svg", drawing_bytes(whole, ".svg"))
    n_values = len(ag.topological_order(sample_loss))
    files.append((out / "loss-graph-full.svg",
                  f"the whole graph of that loss ({n_values} values; drawn without the "
                  f"{model.num_parameters()} weights and biases, one box per neuron)"))

    # the stepper: a 2-2-1 sigmoid network with BCE on one sample of XOR (nn's labels, W1[j,k];
    # the course's network, notebook 04's, is 2-3-1)
    small = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
    small_loss = _losses.bce(small([1.0, 0.0]), 1)
    small_loss.label = "L"
    steps = ag.trace(small_loss)
    write_output(staging / "backprop-stepper.html", steps.to_html())
    files.append((out / "backprop-stepper.html",
                  f"{len(steps)} steps through forward and backward of a 2-2-1 sigmoid network "
                  "with BCE, x = (1, 0), y = 1"))

    replace_together([(staging / path.name, path) for path, _ in files], CommandFailed)
    width = max(len(p.name) for p, _ in files)
    say(f"wrote into {out}/:")
    for path, what in files:
        say(f"  {path.name:<{width}}  {size(path):>8}  {what}")
    return DemoResult(loss, accuracy, files, skipped)
