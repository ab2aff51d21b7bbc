"""The formula subcommands of ``glassgrad``: ``grad``, ``explain``, ``draw``, ``step``, ``check`` and ``code``.

Each takes the parsed arguments and the :class:`~nn.cli_io.Streams` to write to, hands the
formula's graph to the engine's tools (``autograd.grad``, ``explain``, ``draw``,
``trace(...).to_html``, ``gradcheck`` and ``compile``), and returns the exit code. Output files are
written atomically (:func:`nn.cli_io.write_output`).

    >>> import argparse, io, sys
    >>> grad(argparse.Namespace(expr="x*y", at=["x=2,y=3"], json=False), Streams(sys.stdout, sys.stderr))
    value = 6.0
    d/dx = 3.0
    d/dy = 2.0
    0
"""

from __future__ import annotations

import json
import keyword
import warnings

import autograd as ag
from autograd import Value, build

from .cli_formula import Formula, edges, load_formula, read_name, shorten
from .cli_io import EXIT_FAILED, EXIT_OK, Streams, drawing_bytes, one_line, output_path, size, write_output
from .errors import UsageError

__all__ = ["grad", "explain", "draw", "step", "check", "code",
           "MAX_DRAW_VALUES", "DRAW_TIMEOUT", "MAX_STEP_EDGES", "MAX_EXPLAINED", "MAX_CHECK_WORK"]

MAX_DRAW_VALUES = 500
"""``draw`` refuses larger graphs: a picture that big is unreadable, and slow to lay out."""
DRAW_TIMEOUT = 30.0
"""Seconds the renderer may take to lay out one drawing before ``draw`` gives up with an error."""
MAX_FRAME_NODES, MAX_FRAME_EDGES = ag.Trace.MAX_FRAME_NODES, ag.Trace.MAX_FRAME_EDGES
MAX_STEP_EDGES = MAX_FRAME_EDGES
"""``step`` draws one frame per step, one backward step per edge, each frame drawing every edge:
the page grows as edges squared, so it stops where the trace's frames stop (100 edges; 98 make a 21 MB page)."""
MAX_EXPLAINED = 12
"""``explain`` without ``--wrt`` writes out at most this many nodes."""
MAX_CHECK_WORK = 1_000_000
"""``check`` refuses when names x values of the graph exceed this: the finite differences
evaluate the whole graph twice per name, so the time grows as their product (about 2 s here)."""


def _formula(args, io: Streams, need_names: bool = False) -> Formula:
    """The formula of ``args``, warning about ``--at`` names it does not use."""
    formula = load_formula(args.expr, args.at)
    if need_names and not formula.leaves:
        raise UsageError(f"{args.command}: the formula has no names, so there is no derivative to "
                         f'{args.command} (for example: glassgrad {args.command} "x**2" --at x=3)')
    if formula.unused:
        io.warn(f"warning: --at gives {', '.join(map(repr, formula.unused))}, which the formula does "
                f"not use; its names are: {', '.join(formula.expr.names) or 'none'}")
    return formula


def grad(args, io: Streams) -> int:
    """``glassgrad grad``: the value and the gradient with respect to every name."""
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


def explain(args, io: Streams) -> int:
    """``glassgrad explain``: the chain rule at each name (or ``--wrt`` one, or ``--all`` nodes)."""
    formula = _formula(args, io, need_names=True)
    root = formula.root
    if args.wrt is not None:
        name = read_name(args.wrt.strip(), "--wrt")
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


def draw(args, io: Streams) -> int:
    """``glassgrad draw``: the graph as SVG, PNG or DOT (``-o -``: DOT on stdout)."""
    path = None if args.output == "-" else output_path(args.output, (".svg", ".png", ".dot", ".gv"), "draw")
    formula = _formula(args, io)
    root = formula.root
    if not args.no_backward:
        root.backward()
    drawing = ag.draw(root, rankdir=args.rankdir, show_grad=not args.no_backward,
                      title=shorten(formula.header(), 100), max_nodes=MAX_DRAW_VALUES,
                      timeout=DRAW_TIMEOUT)
    if path is None:
        io.say(drawing.source.rstrip("\n"))
        return EXIT_OK
    write_output(path, drawing_bytes(drawing, path.suffix))
    io.say(f"wrote {path} ({size(path)}): {repr(drawing)[1:-1]}")
    return EXIT_OK


def step(args, io: Streams) -> int:
    """``glassgrad step``: a self-contained HTML page stepping through forward and backward;
    ``--quiz`` asks each gradient before showing it (``--contributions``: each edge's share;
    ``--params w,b``: only about those names and the nodes between them and the output)."""
    path = output_path(args.output, (".html", ".htm"), "step")
    formula = _formula(args, io)
    n_edges = edges(formula.root)
    if n_edges > MAX_STEP_EDGES:
        raise UsageError(f"step: the graph has {n_edges} edges; the stepper draws a frame per step "
                         f"(one per edge going backwards), each showing every edge, for up to "
                         f"{MAX_STEP_EDGES} (the page grows as edges squared). Read the steps as text "
                         "with: glassgrad explain --all ...")
    n_nodes = len(ag.topological_order(formula.root))
    if n_nodes > MAX_FRAME_NODES:
        raise UsageError(f"step: the graph has {n_nodes} nodes; the stepper draws frames for up to "
                         f"{MAX_FRAME_NODES}. Read the steps as text with: glassgrad explain --all ...")
    quiz = getattr(args, "quiz", False)
    contributions, names = getattr(args, "contributions", False), getattr(args, "params", None)
    if not quiz and (contributions or names is not None):
        raise UsageError(f"step: {'--contributions' if contributions else '--params'} goes with --quiz "
                         "(it says what the quiz asks)")
    params = None if names is None else [formula.leaves[n] for n in _names(names, formula, "--params")]
    steps = ag.trace(formula.root)
    kind = ("contribution" if contributions else "gradient") if quiz else False
    write_output(path, steps.to_html(quiz=kind, params=params))
    backward = len(steps) - steps.forward_steps - 1
    asked = f"; it asks {len(steps.questions(kind, params))} questions" if quiz else ""
    io.say(f"wrote {path} ({size(path)}): {len(steps)} steps ({steps.forward_steps} forward, "
           f"the seed, {backward} backward){asked}; open it in a browser (arrow keys step)")
    return EXIT_OK


def _names(text: str, formula: Formula, option: str) -> list[str]:
    """The names of a comma-separated list, each one a name of the formula, in order, once."""
    names: list[str] = []
    for item in text.split(","):
        n = read_name(item.strip(), option)
        if n not in formula.leaves:
            raise UsageError(f"{option}: {n!r} is not a name in the formula; its names are: "
                             f"{', '.join(formula.leaves) or 'none'}")
        if n not in names:
            names.append(n)
    return names


def check(args, io: Streams) -> int:
    """``glassgrad check``: the engine's gradients against finite differences; exit 1 if they disagree."""
    formula = _formula(args, io, need_names=True)
    names, expr = list(formula.leaves), formula.expr

    def f(*leaves: Value) -> Value:
        return build(expr, dict(zip(names, leaves)))

    n_values = len(ag.topological_order(formula.root))
    if len(names) * n_values > MAX_CHECK_WORK:
        raise UsageError(f"check: {len(names):,} names in a graph of {n_values:,} values: the finite "
                         f"differences evaluate the whole graph twice per name, {len(names):,} x "
                         f"{n_values:,} = {len(names) * n_values:,} steps, more than the "
                         f"{MAX_CHECK_WORK:,} check takes; check a smaller formula, or get the "
                         "gradients alone with: glassgrad grad ...")
    f.__name__ = shorten(str(expr), 60)
    inputs = [Value(formula.values[n], label=n) for n in names]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = ag.gradcheck(f, inputs, raise_on_failure=False, per_op=args.per_op)
    io.say(str(report))
    for w in caught:
        kind = "note" if issubclass(w.category, ag.KinkWarning) else "warning"
        io.warn(f"{kind}: {one_line(str(w.message))}")
    if not report.ok:
        io.warn(f"check failed: {one_line(report.summary())}")
        return EXIT_FAILED
    return EXIT_OK


def code(args, io: Streams) -> int:
    """``glassgrad code``: the formula's forward and backward pass as straight-line Python
    (``autograd.compile``), then what it returns at the ``--at`` values, as a comment.

    The names of ``--wrt`` (all names by default) become the function's arguments, in the
    order they first appear in the formula; the other names are written in as constants.

    >>> import argparse, sys
    >>> _ = code(argparse.Namespace(expr="x*y", at=["x=2,y=3"], wrt="x", forward=False, name="step",
    ...                             no_comments=True), Streams(sys.stdout, sys.stderr))
    def step(x):
        \"\"\"f and d f / d each input, at the arguments' values (written by autograd.compile).\"\"\"
        # constants
        y = 3.0
        # forward pass: one line per node
        f = x * y
        # backward pass, outputs first: d_v = d f / d v, summed over the edges out of v
        d_f = 1.0
        d_y = x * d_f
        d_x = y * d_f
        # eager mode refuses inf and nan at every node; these values could hide one: their sum tells
        check = d_y
        # the inputs' gradients (+ 0.0: backward starts each at 0.0, so it never gives -0.0)
        grads = [d_x + 0.0]
        return f, grads, check
    <BLANKLINE>
    # at x = 2.0 it returns f = 6.0 and grads = [3.0] (df/dx)
    """
    formula = _formula(args, io)
    name = args.name
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        raise UsageError(f"code: --name {shorten(name, 60)!r} is not a Python function name "
                         f"(letters, digits and _, not starting with a digit or __)")
    if args.wrt is None:
        wrt = list(formula.leaves)
    else:
        wrt = _names(args.wrt, formula, "--wrt")
    inputs = [formula.leaves[n] for n in formula.leaves if n in wrt]  # the formula's order
    try:
        fn = ag.compile(formula.root, inputs, name=name, comments=not args.no_comments)
    except ag.OperandError as e:
        if "name must be" not in str(e):
            raise
        raise UsageError(f"code: --name {name!r} is a name the generated code keeps for itself "
                         f"(like grads, check and its helpers); pick another") from None
    values = [x.data for x in inputs]
    out = formula.root.label
    at = ", ".join(f"{n} = {v!r}" for n, v in zip(wrt_order(formula, inputs), values))
    at = f"at {at}" if at else "with no arguments"
    if args.forward:
        io.say(fn.forward_source.rstrip("\n"))
        io.say()
        io.say(f"# {at} it returns {out} = {fn.forward(values)!r}")
    else:
        io.say(fn.source.rstrip("\n"))
        io.say()
        value, grads = fn(values)
        names = ", ".join(f"d{out}/d{n}" for n in wrt_order(formula, inputs))
        io.say(f"# {at} it returns {out} = {value!r} and grads = {grads!r}" + (f" ({names})" if names else ""))
    return EXIT_OK


def wrt_order(formula: Formula, inputs: list) -> list[str]:
    """The names of ``inputs`` (leaves of ``formula``), in their order."""
    name_of = {id(leaf): n for n, leaf in formula.leaves.items()}
    return [name_of[id(x)] for x in inputs]
