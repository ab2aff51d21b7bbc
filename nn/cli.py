"""The ``glassgrad`` command: train the demo network, and take apart any formula without writing Python.

    glassgrad demo                                           # the main job (see README)
    glassgrad grad    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1  # value = 0.5, d/dw = 0.5, ...
    glassgrad explain "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1  # the chain rule at every name
    glassgrad draw    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 -o graph.svg
    glassgrad step    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 -o steps.html
    glassgrad check   "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1  # engine vs finite differences

``python -m nn`` runs the same command. A formula is read by the project's own parser
(:func:`autograd.expression.parse`, never ``eval``) and built from Values with
:func:`autograd.expression.build`; the subcommands hand the graph to the existing tools:
``autograd.grad``, ``explain``, ``draw``, ``trace(...).to_html`` and ``gradcheck``.

``--at`` gives the names their values: ``NAME=VALUE`` pairs separated by commas, the
option may be repeated, a name may carry an index (``W1[0,1]=0.3``). A name given twice
is an error; a name the formula does not use gets a warning line (the result is still
right for the formula as written), a name the formula uses without a value is an error.

Exit codes: 0 done; 1 the input was fine but the work failed -- a math error (``log`` of
0 at these values, an overflow), a gradient check that disagrees, no renderer, a file
that cannot be written; 2 a usage error -- bad arguments, a syntax error (shown with a
caret under the column), an unknown function, a name without a value, a bad ``--at``,
a bad output suffix, a graph too large for the tool. Every error is one line on stderr
(plus the formula and a caret for errors at a column); never a traceback.

    >>> main(["grad", "x**2 + 3*x", "--at", "x=2"])
    value = 10.0
    d/dx = 7.0
    0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TextIO

import autograd as ag
from autograd import Expr, ExpressionError, GlassgradError, OpError, OperandError, Value, build, parse

__all__ = ["main", "build_parser", "parse_at", "load_formula", "Formula", "run_demo", "DemoResult",
           "UsageError", "exit_code", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
"""Exit codes: done; the work failed (math error, failed check, renderer or file); usage error."""

MAX_AT_LENGTH = 20_000
"""Most characters in all ``--at`` options together."""
MAX_NUMBER_LENGTH = 64
"""Most characters in one ``--at`` value."""
MAX_DRAW_VALUES = 500
"""``draw`` refuses larger graphs: a picture that big is unreadable, and slow to lay out."""
DRAW_TIMEOUT = 30.0
"""Seconds the renderer may take to lay out one drawing before ``draw`` gives up with an error."""
MAX_STEP_EDGES = 40
"""``step`` draws one frame per step, one backward step per edge: at most this many edges."""
MAX_EXPLAINED = 12
"""``explain`` without ``--wrt`` writes out at most this many nodes."""
DEMO_OUT = "glassgrad-out"
"""Where ``glassgrad demo`` writes its files unless ``--out`` says otherwise."""

_ROOT_NAMES = ("f", "out", "output", "result")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_PLACEHOLDER = "\0glassgrad-argument-"  # NUL never occurs in a real argument


class UsageError(GlassgradError, ValueError):
    """The command line asks for something the command cannot do (exit code 2)."""


# -- errors and exit codes -------------------------------------------------------------

def exit_code(error: BaseException) -> int:
    """The exit code for an error raised on purpose: 2 when the input is wrong, else 1.

    >>> exit_code(UsageError("x")), exit_code(ag.OpError("log of 0"))
    (2, 1)
    """
    from .errors import InputError

    usage = (UsageError, ExpressionError, OperandError, ag.GraphTooLarge, InputError,
             ag.TraceError, ag.ExplainError)
    return EXIT_USAGE if isinstance(error, usage) else EXIT_FAILED


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _report(error: GlassgradError, err: TextIO) -> int:
    """Write ``error`` to ``err`` (one line, plus the caret display) and return its exit code."""
    code = exit_code(error)
    if isinstance(error, ExpressionError):
        hint = ""
        if error.kind == "no value":
            hint = "; give every name a value with --at NAME=VALUE,..."
        print(f"glassgrad: {_one_line(str(error))}{hint}", file=err)
        if error.text is not None and error.text.strip() and error.position is not None:
            print(error.caret(), file=err)
    elif isinstance(error, OpError):
        print(f"glassgrad: math error: {_one_line(str(error))}", file=err)
    else:
        text = _one_line(str(error))
        print(text if text.startswith("glassgrad") else f"glassgrad: {text}", file=err)
    return code


# -- the formula -------------------------------------------------------------------------

def parse_at(items: Sequence[str] | None) -> dict[str, float]:
    """The values of ``--at``: ``NAME=VALUE`` pairs separated by commas, from every ``--at`` given.

    Names are read by the expression parser (so ``W1[0, 1]`` is ``W1[0,1]``); a comma
    inside an index does not split pairs. Values are decimal numbers, with a sign and an
    exponent if wanted. Raises :class:`UsageError` for anything else, and for a name given twice.

    >>> parse_at(["w=0.5, x=2", "b=-1e-3"])
    {'w': 0.5, 'x': 2.0, 'b': -0.001}
    >>> parse_at(["W1[0, 1]=3"])
    {'W1[0,1]': 3.0}
    """
    values: dict[str, float] = {}
    items = list(items or ())
    if sum(len(item) for item in items) > MAX_AT_LENGTH:
        raise UsageError(f"--at: longer than {MAX_AT_LENGTH:,} characters")
    for item in items:
        for pair in _split_pairs(item):
            if not pair.strip():
                continue  # "w=1," or "w=1,,x=2": an empty pair says nothing
            name_text, equals, number = pair.partition("=")
            if not equals:
                raise UsageError(f"--at: {_clip(pair.strip())} is not NAME=VALUE "
                                 "(for example --at w=0.5,x=2,b=-1)")
            name = _name(name_text.strip(), "--at")
            value = _number(number.strip(), name)
            if name in values:
                raise UsageError(f"--at: {name!r} is given twice ({values[name]:g} and {value:g}); "
                                 "give each name one value")
            values[name] = value
    return values


def _split_pairs(text: str) -> list[str]:
    """``text`` split at the commas outside square brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _clip(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _name(text: str, option: str) -> str:
    """``text`` as a name of the expression language (canonical form), or a UsageError."""
    if not text:
        raise UsageError(f"{option}: a name is missing before '='" if option == "--at"
                         else f"{option}: the name is empty")
    try:
        expr = parse(text)
    except ExpressionError as e:
        raise UsageError(f"{option}: {_clip(text)} is not a name ({e.message})") from None
    if expr.names != (str(expr),):  # a formula that is just one name
        raise UsageError(f"{option}: {_clip(text)} is not a name (names look like w, x_1, ŷ or W1[0,1])")
    return expr.name


def _number(text: str, name: str) -> float:
    if not text:
        raise UsageError(f"--at: {name!r} has no value after '='")
    if len(text) > MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(text):
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, is not a number "
                         "(write numbers like 2, -0.5 or 1e-3)")
    value = float(text)
    if not math.isfinite(value):
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, is too large for a float")
    if value == 0.0 and re.search("[1-9]", re.split("[eE]", text)[0]):
        raise UsageError(f"--at: the value of {name!r}, {_clip(text)}, is too small for a float "
                         "(it would be 0)")
    return value


@dataclass
class Formula:
    """A parsed formula built at the ``--at`` values: one leaf per name, ``root`` the result."""

    expr: Expr
    values: dict[str, float]
    leaves: dict[str, Value]
    root: Value
    unused: list[str]

    def header(self) -> str:
        """``f = sigmoid(w * x + b) = 0.5 at w = 0.5, x = 2, b = -1``."""
        at = ", ".join(f"{n} = {self.values[n]:g}" for n in self.leaves)
        formula = _shorten(str(self.expr))
        text = f"{formula} = {self.root.data:.6g}"
        if self.root.label != formula:  # the formula "w" is the leaf w itself
            text = f"{self.root.label} = {text}"
        return text + (f" at {at}" if at else "")


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_formula(text: str, at: Sequence[str] | None) -> Formula:
    """Parse ``text``, read the ``--at`` items, and build the graph with one labelled leaf per name.

    The result is labelled ``f`` (or ``out``... when the formula uses ``f`` as a name).
    ``unused`` lists the ``--at`` names the formula does not use.

    >>> formula = load_formula("sigmoid(w*x + b)", ["w=0.5,x=2,b=-1"])
    >>> formula.header()
    'f = sigmoid(w * x + b) = 0.5 at w = 0.5, x = 2, b = -1'
    >>> list(formula.leaves), formula.root.op
    (['w', 'x', 'b'], 'σ')
    """
    expr = parse(text)
    values = parse_at(at)
    leaves = {n: Value(values[n], label=n) for n in expr.names if n in values}
    root = build(expr, leaves)  # a name without a value: ExpressionError "no value", with a caret
    if root.label is None:
        root.label = next((n for n in _ROOT_NAMES if n not in expr.names), None)
    return Formula(expr, values, leaves, root, [n for n in values if n not in expr.names])


def _edges(root: Value) -> int:
    return sum(len(node.parents) for node in ag.topological_order(root))


# -- output paths -------------------------------------------------------------------------

def _output(path: str, suffixes: tuple[str, ...], what: str) -> Path:
    """``path`` checked before any work: a known suffix, an existing folder, not a folder itself."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise UsageError(f"-o: cannot tell the format of {str(out)!r} from its suffix "
                         f"{out.suffix or '(none)'!r}; {what} writes {', '.join(suffixes)}")
    if out.is_dir():
        raise UsageError(f"-o: {str(out)!r} is a folder; give a file name such as {out / ('graph' + suffixes[0])}")
    if not out.parent.is_dir():
        raise UsageError(f"-o: the folder {str(out.parent)!r} does not exist")
    return out


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


# -- the subcommands ------------------------------------------------------------------------

@dataclass
class _Streams:
    out: TextIO
    err: TextIO

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(f"glassgrad: {text}", file=self.err)


def _formula(args, io: _Streams, need_names: bool = False) -> Formula:
    formula = load_formula(args.expr, args.at)
    if need_names and not formula.leaves:
        raise UsageError(f"{args.command}: the formula has no names, so there is no derivative to "
                         f'{args.command} (for example: glassgrad {args.command} "x**2" --at x=3)')
    if formula.unused:
        io.warn(f"warning: --at gives {', '.join(map(repr, formula.unused))}, which the formula does "
                f"not use; its names are: {', '.join(formula.expr.names) or 'none'}")
    return formula


def _cmd_grad(args, io: _Streams) -> int:
    formula = _formula(args, io)
    leaves = list(formula.leaves.values())
    grads = ag.grad(formula.root, leaves) if leaves else []
    gradients = {name: g for name, g in zip(formula.leaves, grads)}
    if args.json:
        io.say(json.dumps({"expression": str(formula.expr), "at": formula.values,
                           "value": formula.root.data, "gradients": gradients},
                          indent=2, ensure_ascii=False))
        return EXIT_OK
    io.say(f"value = {formula.root.data!r}")
    for name, g in gradients.items():
        io.say(f"d/d{name} = {g!r}")
    return EXIT_OK


def _cmd_explain(args, io: _Streams) -> int:
    formula = _formula(args, io, need_names=True)
    root = formula.root
    if args.wrt is not None:
        name = _name(args.wrt.strip(), "--wrt")
        if name not in formula.leaves:
            raise UsageError(f"--wrt: {name!r} is not a name in the formula; its names are: "
                             f"{', '.join(formula.leaves)}")
        nodes = [formula.leaves[name]]
    elif args.all:
        nodes = [n for n in reversed(ag.topological_order(root)) if n is not root] or [root]
    else:
        nodes = list(formula.leaves.values())
    io.say(formula.header())
    for node in nodes[:MAX_EXPLAINED]:
        io.say()
        if node is root:  # the formula is one name: nothing flows back to it but the seed
            io.say(f"∂{root.label}/∂{root.label} = 1: the formula is the name {root.label} itself")
        else:
            io.say(ag.explain(node, root).text)
    if len(nodes) > MAX_EXPLAINED:
        io.say()
        io.say(f"... and {len(nodes) - MAX_EXPLAINED} more; pick one with --wrt NAME")
    return EXIT_OK


def _cmd_draw(args, io: _Streams) -> int:
    path = None if args.output == "-" else _output(args.output, (".svg", ".png", ".dot", ".gv"), "draw")
    formula = _formula(args, io)
    root = formula.root
    if not args.no_backward:
        root.backward()
    drawing = ag.draw(root, rankdir=args.rankdir, show_grad=not args.no_backward,
                      title=_shorten(formula.header(), 100), max_nodes=MAX_DRAW_VALUES,
                      timeout=DRAW_TIMEOUT)
    if path is None:
        io.say(drawing.source.rstrip("\n"))
        return EXIT_OK
    _write(lambda: drawing.save(path), path)
    io.say(f"wrote {path} ({_size(path)}): {repr(drawing)[1:-1]}")
    return EXIT_OK


def _cmd_step(args, io: _Streams) -> int:
    path = _output(args.output, (".html", ".htm"), "step")
    formula = _formula(args, io)
    edges = _edges(formula.root)
    if edges > MAX_STEP_EDGES:
        raise UsageError(f"step: the graph has {edges} edges; the stepper draws a frame per step "
                         f"(one per edge going backwards) for up to {MAX_STEP_EDGES}. Read the "
                         "steps as text with: glassgrad explain --all ...")
    steps = ag.trace(formula.root)
    _write(lambda: steps.to_html(path), path)
    backward = len(steps) - steps.forward_steps - 1
    io.say(f"wrote {path} ({_size(path)}): {len(steps)} steps ({steps.forward_steps} forward, "
           f"the seed, {backward} backward); open it in a browser (arrow keys step)")
    return EXIT_OK


def _cmd_check(args, io: _Streams) -> int:
    formula = _formula(args, io, need_names=True)
    names, expr = list(formula.leaves), formula.expr

    def f(*leaves: Value) -> Value:
        return build(expr, dict(zip(names, leaves)))

    f.__name__ = _shorten(str(expr), 60)
    inputs = [Value(formula.values[n], label=n) for n in names]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = ag.gradcheck(f, inputs, raise_on_failure=False, per_op=args.per_op)
    io.say(str(report))
    for w in caught:
        kind = "note" if issubclass(w.category, ag.KinkWarning) else "warning"
        io.warn(f"{kind}: {_one_line(str(w.message))}")
    if not report.ok:
        io.warn(f"check failed: {_one_line(report.summary())}")
        return EXIT_FAILED
    return EXIT_OK


def _write(save: Callable[[], object], path: Path) -> None:
    try:
        save()
    except OSError as e:
        raise _Failed(f"cannot write {str(path)!r}: {e.strerror or e}") from None


class _Failed(GlassgradError, RuntimeError):
    """The work failed for a reason outside the formula (a file could not be written)."""


# -- the demo ---------------------------------------------------------------------------------

_DATASETS = ("moons", "circles", "blobs")


def _cmd_demo(args, io: _Streams) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {str(out)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _Failed(f"cannot create the folder {str(out)!r}: {e.strerror or e}") from None
    started = time.perf_counter()
    try:
        result = run_demo(out, epochs=args.epochs, samples=args.samples, seed=args.seed,
                          dataset=args.dataset, progress=not args.no_progress, say=io.say)
    except OSError as e:
        raise _Failed(f"cannot write into {str(out)!r}: {e.strerror or e}") from None
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
    """
    import nn

    if dataset not in _DATASETS:
        raise nn.InputError(f"run_demo: unknown dataset {dataset!r}; use one of {', '.join(_DATASETS)}")
    out = Path(out)
    make = {"moons": nn.data.moons, "circles": nn.data.circles, "blobs": nn.data.blobs}[dataset]
    X, y = make(samples, seed=seed, labels=(0, 1))
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=seed)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    say(f"glassgrad demo: MLP(2, [16, 16, 1]), ReLU, {model.num_parameters()} parameters, learns "
        f"{dataset} ({len(X)} samples, labels 0/1): BCE on the output score, Adam, {epochs} full-batch steps")
    started = time.perf_counter()
    loss_fn = nn.losses.bce_with_logits
    l2 = 1e-4
    history = nn.fit(model, (X, y), loss_fn, optimizer, epochs=epochs, progress=progress, l2=l2)
    trained = time.perf_counter() - started
    with ag.no_grad():
        outputs = [model(x) for x in X]
        losses = [loss_fn(o, t).data for o, t in zip(outputs, y)]
        loss = loss_fn(outputs, y).data
        accuracy = nn.losses.accuracy(outputs, y, threshold=model.decision_threshold)
    penalty = l2 * math.fsum(p.data * p.data for p in model.parameters())
    right = round(accuracy * len(X))
    say(f"trained in {trained:.1f} s: final loss {loss + penalty:.4f} (mean BCE over the {len(X)} samples "
        f"{loss:.4f} + L2 penalty {penalty:.4f}), accuracy {accuracy:.1%} ({right} of {len(X)})")

    files: list[tuple[Path, str]] = []
    skipped: list[str] = []
    try:
        from nn.plot import plot_decision_boundary, plot_loss

        ax = plot_decision_boundary(model, X, y, path=out / "decision-boundary.png",
                                    title=f"{dataset}: decision boundary after {epochs} steps "
                                          f"(accuracy {accuracy:.0%})")
        files.append((out / "decision-boundary.png", "the learned decision boundary over the data"))
        import matplotlib.pyplot as plt  # there, since the plot above worked

        plt.close(ax.figure)
        ax = plot_loss(history, path=out / "loss-curve.png")
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
    part = ag.draw(sample_loss, start=weight, title=f"sample {k} ({point}), loss L = {sample_loss.data:.4g}: "
                                                    f"every path from {weight.label} to L")
    for suffix in (".svg", ".png"):
        part.save(out / f"loss-graph{suffix}")
    files.append((out / "loss-graph.svg", f"sample {k}'s loss: every path from {weight.label} "
                                          "(the largest first-layer gradient) to L"))
    files.append((out / "loss-graph.png", "the same picture as PNG"))
    whole = ag.draw(sample_loss, title=f"sample {k} ({point}): the whole graph of its loss")
    whole.save(out / "loss-graph-full.svg")
    n_values = len(ag.topological_order(sample_loss))
    files.append((out / "loss-graph-full.svg",
                  f"the whole graph of that loss ({n_values} values, one box per neuron; a tall "
                  "page to scroll in a browser)"))

    # the stepper: the course's 2-2-1 sigmoid network with BCE, on one sample of XOR
    small = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
    small_loss = nn.losses.bce(small([1.0, 0.0]), 1)
    small_loss.label = "L"
    steps = ag.trace(small_loss)
    steps.to_html(out / "backprop-stepper.html")
    files.append((out / "backprop-stepper.html",
                  f"{len(steps)} steps through forward and backward of a 2-2-1 sigmoid network "
                  "with BCE, x = (1, 0), y = 1"))

    width = max(len(p.name) for p, _ in files)
    say(f"wrote into {out}/:")
    for path, what in files:
        say(f"  {path.name:<{width}}  {_size(path):>8}  {what}")
    return DemoResult(loss, accuracy, files, skipped)


# -- the parser ---------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` (one line) instead of printing usage and exiting."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


_AT_HELP = ("the values: NAME=VALUE pairs separated by commas, e.g. w=0.5,x=2,b=-1 "
            "(may be repeated; a name given twice is an error, a name the formula does not use "
            "a warning)")
_EXPR_HELP = ("the formula: numbers, names, + - * / **, unary -, parentheses and the functions "
              "exp log sigmoid relu tanh abs step. Quote it. One that starts with '-' works "
              "('-x**2'), except '-h...', '-o...' and '--' and a letter: write '(-h)'")
_EXAMPLE = '"sigmoid(w*x + b)" --at w=0.5,x=2,b=-1'


def _positive_int(limit: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"{value} is not between 1 and {limit:,}")
        return value
    return read


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 2**32 - 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``glassgrad`` and its subcommands."""
    parser = _Parser(
        prog="glassgrad", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="glassgrad: a glass-box autograd engine for learning backpropagation.\n"
                    "Train the demo network, or take any formula apart without writing Python.",
        epilog="examples:\n"
               "  glassgrad demo\n"
               f"  glassgrad grad    {_EXAMPLE}\n"
               f"  glassgrad explain {_EXAMPLE} --wrt w\n"
               f"  glassgrad draw    {_EXAMPLE} -o graph.svg\n"
               f"  glassgrad step    {_EXAMPLE} -o steps.html\n"
               f"  glassgrad check   {_EXAMPLE}\n\n"
               "exit codes: 0 done; 1 a math error, a failed check, no renderer or an unwritable file;\n"
               "2 a usage error (bad arguments, syntax error, unknown function, name without a value).")
    parser.add_argument("--version", action="version", version=f"glassgrad {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, examples: str, *, formula: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary, epilog=examples,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if formula:
            sub.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
            sub.add_argument("--at", action="append", metavar="NAME=VALUE,...", help=_AT_HELP)
        return sub

    demo = command("demo", "train an MLP on a toy dataset; write the decision boundary, the graph "
                           "of one sample's loss and an HTML backprop stepper",
                   "example:\n  glassgrad demo                 # writes into glassgrad-out/\n"
                   "  glassgrad demo --dataset circles --out circles-out\n\n"
                   "The pictures of training need matplotlib: pip install \"glassgrad[plot]\".",
                   formula=False)
    demo.add_argument("--out", default=DEMO_OUT, metavar="DIR", help=f"output folder (default {DEMO_OUT})")
    demo.add_argument("--dataset", choices=_DATASETS, default="moons", help="the data (default moons)")
    demo.add_argument("--samples", type=_positive_int(5000), default=100, metavar="N",
                      help="number of samples (default 100)")
    demo.add_argument("--epochs", type=_positive_int(100_000), default=100, metavar="N",
                      help="full-batch training steps (default 100)")
    demo.add_argument("--seed", type=_seed, default=0, help="seed of the data and the weights (default 0)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=_cmd_demo)

    draw = command("draw", "draw the graph: every value with its data and grad, every edge with "
                           "its local derivative",
                   f"examples:\n  glassgrad draw {_EXAMPLE} -o graph.svg\n"
                   f"  glassgrad draw {_EXAMPLE} -o graph.png --rankdir TB\n"
                   f"  glassgrad draw {_EXAMPLE} -o - | dot -Tpdf > graph.pdf   # DOT on stdout\n\n"
                   f"Graphs of more than {MAX_DRAW_VALUES} values are refused.")
    draw.add_argument("-o", "--output", default="graph.svg", metavar="FILE",
                      help="graph.svg (default), .png or .dot; '-' writes the DOT text to stdout")
    draw.add_argument("--no-backward", action="store_true",
                      help="draw the forward pass only: values and local derivatives, no grads")
    draw.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                      help="left to right (LR, default) or top to bottom (TB)")
    draw.set_defaults(run=_cmd_draw)

    explain = command("explain", "the chain rule at each name, in symbols and with the numbers",
                      f"examples:\n  glassgrad explain {_EXAMPLE}\n"
                      f"  glassgrad explain {_EXAMPLE} --wrt w\n"
                      f"  glassgrad explain {_EXAMPLE} --all    # inner nodes too\n\n"
                      "The first line is the formula and its value; then, for each name, its chain "
                      "rule and the\nproduct of local derivatives along every path from the output "
                      "down to it.")
    which = explain.add_mutually_exclusive_group()
    which.add_argument("--wrt", metavar="NAME", help="explain only this name")
    which.add_argument("--all", action="store_true",
                       help=f"explain every node, from the output down (at most {MAX_EXPLAINED})")
    explain.set_defaults(run=_cmd_explain)

    step = command("step", "write a self-contained HTML page stepping through every forward and "
                           "backward step",
                   f"example:\n  glassgrad step {_EXAMPLE} -o steps.html\n\n"
                   f"At most {MAX_STEP_EDGES} edges (one backward step each).")
    step.add_argument("-o", "--output", default="steps.html", metavar="FILE",
                      help="the page to write (default steps.html)")
    step.set_defaults(run=_cmd_step)

    check = command("check", "compare the engine's gradients with finite differences (a table)",
                    f"examples:\n  glassgrad check {_EXAMPLE}\n"
                    f"  glassgrad check {_EXAMPLE} --per-op\n\n"
                    "Exit code 1 when a derivative disagrees with its finite difference.")
    check.add_argument("--per-op", action="store_true", help="also check every local derivative")
    check.set_defaults(run=_cmd_check)

    grad = command("grad", "the value and the gradient with respect to every name",
                   f"examples:\n  glassgrad grad {_EXAMPLE}\n"
                   "      value = 0.5\n      d/dw = 0.5\n      d/dx = 0.125\n      d/db = 0.25\n"
                   f"  glassgrad grad {_EXAMPLE} --json\n"
                   '      {"expression": ..., "at": {...}, "value": 0.5, "gradients": {"w": 0.5, ...}}\n\n'
                   "Names come in the order they first appear in the formula; numbers are written "
                   "in full\n(Python's shortest repr that reads back exactly).")
    grad.add_argument("--json", action="store_true",
                      help="one JSON object: expression, at, value, gradients")
    grad.set_defaults(run=_cmd_grad)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("glassgrad")
    except Exception:  # not installed (run from a checkout): no version to show
        return "(not installed)"


_SHORT_OPTIONS = {"draw": ("-h", "-o"), "step": ("-h", "-o"), "explain": ("-h",), "check": ("-h",),
                  "grad": ("-h",)}
"""The short options of each subcommand that takes a formula."""


def _protect(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Hide arguments that start with '-' but are formulas (``-x**2``, ``-1 + x``) from argparse.

    argparse reads any argument starting with '-' as an option; after a subcommand that
    takes a formula, one that starts no option of it (``-h``/``-o`` with or without an
    attached value, ``--`` and a letter) is a formula, so it is swapped for a placeholder
    that :func:`_restore` puts back.
    """
    hidden: dict[str, str] = {}
    protected = []
    command = None
    for arg in argv:
        if command in _SHORT_OPTIONS and _looks_like_formula(arg, _SHORT_OPTIONS[command]):
            key = f"{_PLACEHOLDER}{len(hidden)}"
            hidden[key] = arg
            arg = key
        elif command is None and not arg.startswith("-"):
            command = arg
        protected.append(arg)
    return protected, hidden


def _looks_like_formula(arg: str, short_options: tuple[str, ...]) -> bool:
    """``-x**2``, ``-1``, ``---x``: a leading '-' that starts no option (``-o``, ``--at``, ``--``)."""
    if len(arg) < 2 or arg[0] != "-":
        return False
    if arg[1] != "-":
        return not arg.startswith(short_options)
    return len(arg) > 2 and not arg[2].isalpha()


def _restore(args: argparse.Namespace, hidden: dict[str, str]) -> None:
    for key, value in vars(args).items():
        if isinstance(value, str) and value in hidden:
            setattr(args, key, hidden[value])
        elif isinstance(value, list):
            setattr(args, key, [hidden.get(v, v) if isinstance(v, str) else v for v in value])


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``glassgrad`` with ``argv`` (default: the command line) and return the exit code.

    Output goes to ``sys.stdout``; errors are one line on ``sys.stderr`` (plus a caret
    display for an error at a column of the formula). Errors glassgrad raises on purpose
    never show a traceback; anything else is a bug and does.

    >>> main(["grad", "-x**2", "--at", "x=3", "--json"])
    {
      "expression": "-x**2",
      "at": {
        "x": 3.0
      },
      "value": -9.0,
      "gradients": {
        "x": -6.0
      }
    }
    0
    """
    _tolerate_any_text()
    io = _Streams(sys.stdout, sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    protected, hidden = _protect(argv)
    try:
        args = build_parser().parse_args(protected)
    except SystemExit as done:  # --help and --version print and stop
        return done.code if isinstance(done.code, int) else EXIT_OK
    except GlassgradError as e:
        for key, arg in hidden.items():  # say what was typed, not the placeholder
            e.args = (str(e).replace(key, arg),)
        return _report(e, io.err)
    _restore(args, hidden)
    try:
        code = args.run(args, io)
        io.out.flush()  # a full disk or a closed pipe shows up here, not at interpreter exit
        return code
    except GlassgradError as e:
        return _report(e, io.err)
    except KeyboardInterrupt:
        print("glassgrad: interrupted", file=io.err)
        return 130
    except BrokenPipeError:  # `glassgrad ... | head`: the reader left; say nothing more
        _silence_stdout()
        return EXIT_FAILED
    except OSError as e:  # stdout on a full disk, EIO...: one line, then nothing more to write
        _silence_stdout()
        print(f"glassgrad: cannot write the output: {e.strerror or e}", file=io.err)
        return EXIT_FAILED


def _tolerate_any_text() -> None:
    """Never fail on a character the terminal's encoding lacks (``∂``, ``σ``): escape it instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or unusual stream: leave it as it is
                pass


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
