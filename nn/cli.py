"""The ``glassgrad`` command: train the demo network, and take apart any formula without writing Python.

    glassgrad demo                                           # the main job (see README)
    glassgrad grad    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1  # value = 0.5, d/dw = 0.5, ...
    glassgrad explain "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1  # the chain rule at every name
    glassgrad draw    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 -o graph.svg
    glassgrad step    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 -o steps.html
    glassgrad step    "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 --quiz --params w,b -o quiz.html
    glassgrad check   "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1  # engine vs finite differences

``python -m nn`` runs the same command. This module is the argument parser and ``main``;
the work is done by :mod:`nn.demo` (the demo), :mod:`nn.cli_commands` (the formula
subcommands), :mod:`nn.cli_formula` (reading the formula and ``--at``) and :mod:`nn.cli_io`
(exit codes, error lines, output files). A formula is read by the project's own parser
(:func:`autograd.parse`, never ``eval``) and built from Values with :func:`autograd.build`;
the subcommands hand the graph to the existing tools: ``autograd.grad``, ``explain``,
``draw``, ``trace(...).to_html`` and ``gradcheck``. Output files are written atomically:
a failed write (a full disk) keeps the old file whole.

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
import os
import sys
from typing import Callable, Sequence

from autograd import GlassgradError

from . import cli_commands as formula_commands
from .cli_commands import DRAW_TIMEOUT, MAX_CHECK_WORK, MAX_DRAW_VALUES, MAX_EXPLAINED, MAX_STEP_EDGES
from .cli_formula import MAX_AT_LENGTH, MAX_NUMBER_LENGTH, Formula, load_formula, parse_at
from .cli_io import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Streams, exit_code, report
from .demo import DATASETS, DEMO_OUT, DemoResult, run_demo
from .demo import command as demo_command
from .errors import UsageError

__all__ = ["main", "build_parser", "parse_at", "load_formula", "Formula", "run_demo", "DemoResult",
           "UsageError", "exit_code", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE",
           "MAX_AT_LENGTH", "MAX_NUMBER_LENGTH", "MAX_DRAW_VALUES", "DRAW_TIMEOUT", "MAX_STEP_EDGES",
           "MAX_EXPLAINED", "MAX_CHECK_WORK", "DEMO_OUT"]

_PLACEHOLDER = "\0glassgrad-argument-"  # NUL never occurs in a real argument


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
               f"  glassgrad check   {_EXAMPLE}\n"
               f"  glassgrad code    {_EXAMPLE}\n\n"
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
    demo.add_argument("--dataset", choices=DATASETS, default="moons", help="the data (default moons)")
    demo.add_argument("--samples", type=_positive_int(5000), default=100, metavar="N",
                      help="number of samples (default 100)")
    demo.add_argument("--epochs", type=_positive_int(100_000), default=100, metavar="N",
                      help="full-batch training steps (default 100)")
    demo.add_argument("--seed", type=_seed, default=0, help="seed of the data and the weights (default 0)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=demo_command)

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
    draw.set_defaults(run=formula_commands.draw)

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
    explain.set_defaults(run=formula_commands.explain)

    step = command("step", "write a self-contained HTML page stepping through every forward and "
                           "backward step",
                   f"examples:\n  glassgrad step {_EXAMPLE} -o steps.html\n"
                   f"  glassgrad step {_EXAMPLE} --quiz -o quiz.html          # asks each gradient\n"
                   f"  glassgrad step {_EXAMPLE} --quiz --params w,b          # not x's\n"
                   f"  glassgrad step {_EXAMPLE} --quiz --contributions       # each edge's share\n\n"
                   f"At most {MAX_STEP_EDGES} edges (one backward step each).")
    step.add_argument("-o", "--output", default="steps.html", metavar="FILE",
                      help="the page to write (default steps.html)")
    step.add_argument("--quiz", action="store_true",
                      help="predict, then reveal: ask each node's gradient once all its contributions "
                           "are in, before showing it; the page checks the answer and keeps a score")
    step.add_argument("--contributions", action="store_true",
                      help="with --quiz: ask what each edge contributes instead (and say the running total)")
    step.add_argument("--params", metavar="NAME,...",
                      help="with --quiz: ask only about these names (the ones you learn) and the nodes "
                           "between them and the output, not about the other names and their arithmetic")
    step.set_defaults(run=formula_commands.step)

    check = command("check", "compare the engine's gradients with finite differences (a table)",
                    f"examples:\n  glassgrad check {_EXAMPLE}\n"
                    f"  glassgrad check {_EXAMPLE} --per-op\n\n"
                    "Exit code 1 when a derivative disagrees with its finite difference. The work grows as\n"
                    f"names x graph values; more than {MAX_CHECK_WORK:,} is refused.")
    check.add_argument("--per-op", action="store_true", help="also check every local derivative")
    check.set_defaults(run=formula_commands.check)

    grad = command("grad", "the value and the gradient with respect to every name",
                   f"examples:\n  glassgrad grad {_EXAMPLE}\n"
                   "      value = 0.5\n      d/dw = 0.5\n      d/dx = 0.125\n      d/db = 0.25\n"
                   f"  glassgrad grad {_EXAMPLE} --json\n"
                   '      {"expression": ..., "at": {...}, "value": 0.5, "gradients": {"w": 0.5, ...}}\n\n'
                   "Names come in the order they first appear in the formula; numbers are written "
                   "in full\n(Python's shortest repr that reads back exactly).")
    grad.add_argument("--json", action="store_true",
                      help="one JSON object: expression, at, value, gradients")
    grad.set_defaults(run=formula_commands.grad)

    code = command("code", "print the forward and backward pass as straight-line Python "
                           "(autograd.compile): a line per node, a line per edge with its rule",
                   f"examples:\n  glassgrad code {_EXAMPLE}\n"
                   f"  glassgrad code {_EXAMPLE} --wrt w,b     # x is written in as a constant\n"
                   f"  glassgrad code {_EXAMPLE} --forward     # the forward pass only\n\n"
                   "The last line, a comment, is what the function returns at the --at values\n"
                   "(the same numbers as glassgrad grad, bit for bit).")
    code.add_argument("--wrt", metavar="NAME,...",
                      help="the names that become arguments with a gradient (default: every name); "
                           "the others are constants in the code")
    code.add_argument("--forward", action="store_true", help="only the forward pass (no gradients)")
    code.add_argument("--name", default="step", metavar="NAME",
                      help="the function's name (default step)")
    code.add_argument("--no-comments", action="store_true",
                      help="leave out each backward line's comment (its local-derivative rule)")
    code.set_defaults(run=formula_commands.code)
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
    io = Streams(sys.stdout, sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    protected, hidden = _protect(argv)
    try:
        args = build_parser().parse_args(protected)
    except SystemExit as done:  # --help and --version print and stop
        return done.code if isinstance(done.code, int) else EXIT_OK
    except GlassgradError as e:
        for key, arg in hidden.items():  # say what was typed, not the placeholder
            e.args = (str(e).replace(key, arg),)
        return report(e, io.err)
    _restore(args, hidden)
    try:
        code = args.run(args, io)
        io.out.flush()  # a full disk or a closed pipe shows up here, not at interpreter exit
        return code
    except GlassgradError as e:
        return report(e, io.err)
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
