"""Step through backprop on your own graph: every forward computation, then every edge backwards.

``trace(root)`` records, without touching any ``.grad``:

* one **forward** step per op node, in the order a person computes them, from the inputs
  towards the output (deeper subgraphs first): ``z = w * x + b = 1 + (-1) = 0``; a ``dot``
  reads ``W[0]·x[0] + W[1]·x[1] + b = 0.5·1 + 2·0 + 0`` (at most six terms, then ``+ … (n more)``);
* the **seed**: ``∂y/∂y = 1``;
* one **backward** step per edge, in the order backprop processes them (nodes in reverse
  topological order, each node's operands in order): the upstream grad, the local
  derivative, their product (the contribution) and the parent's grad after adding it.

People see steps numbered from 1 (``print(t)``, the page, the widget, the repr); Python's
indexing stays 0-based: ``t[0]`` is step 1, and ``t.step`` is the index of the current step.

A cursor walks the steps (``next``, ``prev``, ``goto``); each step prints as text and
draws as a graph frame (``frame``): a forward step lights the op at work, its operand edges
and its result; a backward step lights the edge in use, the box whose grad flows back
(upstream) and the box that receives the contribution. Numbers not computed yet show as
``?``, unlabelled nodes carry the names the text gives them (``n7``, ``w * x``), and every
frame of a trace has the same layout, so stepping moves nothing but the highlight.

    >>> from autograd import Value, trace
    >>> w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    >>> z = w * x + b; z.label = "z"
    >>> y = z.sigmoid(); y.label = "y"
    >>> t = trace(y)
    >>> len(t), t.step
    (9, 0)
    >>> print(t.current)
    w * x = 0.5 * 2 = 1
    >>> print(t.goto(3))
    ∂y/∂y = 1 (backprop starts at the output)
    >>> print(t.next())
    ∂y/∂z += ∂y/∂y · ∂sigmoid(z)/∂z = ∂y/∂y · y(1 - y) = 1 · 0.5(1 - 0.5) = 0.25, so ∂y/∂z = 0.25
    >>> w.grad   # the trace computes its own gradients
    0.0
"""

from __future__ import annotations

import hashlib
import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Iterator

from ..backprop import overflow_error, topological_order
from .diagnostics import diagnose
from ..errors import TraceError, GlassgradError, OperandError
from ..value import Value
from .drawing import Drawing, draw
from .explaining import _SHOWN_TERMS, _definition, chain_rule_rows, legend, written_sum
from .markup import visible
from .notation import Notation
from .stepper_html import Filmstrip, frame_html, write_page
from .stepper_widget import stepper_widget

__all__ = ["trace", "computing_order", "Trace", "Step", "ForwardStep", "SeedStep", "BackwardStep", "Question",
           "QUIZ_KINDS", "answer_is_right", "TraceError"]

MAX_FRAME_NODES = 80
"""Frames (and so the HTML page, the filmstrip and the widget) are drawn for graphs up to this size:
a page holds one drawing per step, about 2.5 steps per node."""
MAX_FRAME_EDGES = 100
"""... and up to this many edges: a page holds one drawing per step, one backward step per edge,
and each drawing shows every edge, so a page grows as edges squared (98 edges: 21 MB, 6 s)."""


# -- steps ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False, slots=True)
class Step:
    """One step of a trace. ``kind`` is "forward", "seed" or "backward"; ``node`` is the node
    computed (forward), the output (seed) or the node whose edge carries the grad (backward)."""

    index: int
    node: Value
    _graph: "_Graph"

    kind = ""

    @property
    def text(self) -> str:
        """The step as one line of text."""
        raise NotImplementedError

    @property
    def notes(self) -> tuple[str, ...]:
        """Diagnostics of the op at work in this step (a saturated sigmoid, a ReLU that is off...)."""
        return tuple(diagnose(self.node)) if self.kind != "seed" else ()

    @property
    def highlight(self) -> tuple[Value, ...]:
        """The nodes whose boxes a frame of this step highlights."""
        return (self.node,)

    @property
    def highlight_edges(self) -> tuple[tuple[Value, int], ...]:
        """The edges ``(node, operand index)`` a frame of this step highlights (with the op they enter)."""
        return ()

    @property
    def highlight_ops(self) -> tuple[Value, ...]:
        """The nodes whose op, and its arrow into them, a frame of this step highlights."""
        return ()

    def __str__(self) -> str:
        return visible(self.text)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} step {self.index + 1} (t[{self.index}]): {self.text}>"


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class ForwardStep(Step):
    """The forward pass computes ``node`` from its parents."""

    kind = "forward"

    @property
    def value(self) -> float:
        return self.node.data

    @property
    def text(self) -> str:
        n, node = self._graph.notation, self.node
        form = written_sum(n, node)
        if form is not None:  # dot: the products in sight, W[0]·x[0] + W[1]·x[1] + b
            parts = [n[node], form, written_sum(n, node, numbers=True)]
        elif node.op_def.arity is None and len(node.parents) > _SHOWN_TERMS:
            parts = [_definition(n, node), n.expression(node, numbers=True)]
        else:
            parts = [n.definition(node), n.expression(node, numbers=True)]
        return " = ".join(dict.fromkeys([*parts, n.number(node.data)]))

    @property
    def highlight_edges(self) -> tuple[tuple[Value, int], ...]:
        return tuple((self.node, i) for i in range(len(self.node.parents)))

    @property
    def highlight_ops(self) -> tuple[Value, ...]:
        return (self.node,)


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class SeedStep(Step):
    """Backprop starts: the output's gradient with respect to itself is 1."""

    kind = "seed"

    @property
    def text(self) -> str:
        n = self._graph.notation
        return f"{n.partial(self.node, self.node)} = 1 (backprop starts at the output)"


@dataclass(frozen=True, eq=False, repr=False, slots=True)
class BackwardStep(Step):
    """The edge from ``parent`` (operand ``operand`` of ``node``) passes ``upstream * local`` back."""

    operand: int
    upstream: float
    local: float
    contribution: float
    parent_grad: float  # the parent's gradient after this contribution is added

    kind = "backward"

    @property
    def parent(self) -> Value:
        return self.node.parents[self.operand]

    @property
    def text(self) -> str:
        n, root = self._graph.notation, self._graph.root
        rows = chain_rule_rows(n, root, self.parent, [(self.node, self.operand, self.upstream)],
                               self.contribution)
        lhs = n.partial(root, self.parent)
        return f"{lhs} += {' = '.join(rows)}, so {lhs} = {n.number(self.parent_grad)}"

    @property
    def highlight(self) -> tuple[Value, ...]:
        return (self.node, self.parent)

    @property
    def highlight_edges(self) -> tuple[tuple[Value, int], ...]:
        return ((self.node, self.operand),)

    @property
    def highlight_ops(self) -> tuple[Value, ...]:
        return (self.node,)  # the way back from the upstream box: arrow, op, edge


# -- the quiz -----------------------------------------------------------------------

QUIZ_KINDS = ("gradient", "contribution")
"""What a quiz asks at a backward step: a node's whole ``gradient``, once the last of its
contributions is in (the default, ``quiz=True``), or each edge's ``contribution`` to it."""


def answer_is_right(given: float, answer: float) -> bool:
    """The quiz's tolerance: within 1% of the answer, or 1e-4 of it near 0.

    >>> answer_is_right(0.2499, 0.25), answer_is_right(0.3, 0.25)
    (True, False)
    """
    return isinstance(given, (int, float)) and given - given == 0 and abs(given - answer) <= max(
        0.01 * abs(answer), 1e-4)


@dataclass(frozen=True, eq=False, slots=True)
class Question:
    """One question of a quiz, asked at backward step ``step`` (a list index) before it is shown.

    ``asks`` names what the learner types the value of (``∂L/∂yhat``, or ``contribution``),
    ``prompt`` says plainly what is asked, ``answer`` is the value (``shown``: as the trace writes
    numbers), and ``explanation`` is the chain rule with its numbers, shown after the answer.
    """

    step: int
    node: Value
    kind: str
    asks: str
    prompt: str
    answer: float
    shown: str
    explanation: str

    def check(self, given: float) -> bool:
        """Whether ``given`` is right: within 1% of the answer (or 1e-4 near 0)."""
        return answer_is_right(given, self.answer)


def _quiz_kind(quiz, what: str) -> str | None:
    """``quiz=`` as a kind of question (None: no quiz); a clear error for anything else."""
    if quiz is False or quiz is None:
        return None
    if quiz is True:
        return "gradient"
    if isinstance(quiz, str) and quiz in QUIZ_KINDS:
        return quiz
    raise TraceError(f"{what}: quiz must be True, False, 'gradient' or 'contribution', got {quiz!r:.60}")


# -- the trace ----------------------------------------------------------------------

class _Graph:
    """What steps need to write themselves: the output, the nodes in order, the notation.
    Steps hold this, not the trace, so a trace and its steps form no reference cycle
    (the graph is freed by reference counting alone when the trace goes)."""

    __slots__ = ("root", "order", "number_format", "_notation")

    def __init__(self, root: Value, order: list[Value], number_format: str):
        self.root, self.order, self.number_format = root, order, number_format
        self._notation: Notation | None = None

    @property
    def notation(self) -> Notation:
        if self._notation is None:
            self._notation = Notation(self.order, self.number_format, max_operands=_SHOWN_TERMS)
        return self._notation


def computing_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, parents first, in the order a person computes them: at
    each node the deeper operand's subgraph first (ties in operand order), so the inputs and
    parameters come before the short side branches (``x·W`` before ``-y``). Iterative.

    >>> from autograd import Value
    >>> x, y = Value(2.0, label="x"), Value(1.0, label="y")
    >>> L = -y + (x * 3).exp(); L.label = "L"
    >>> [n.label or n.op for n in computing_order(L)]
    ['x', '*3', 'exp', 'y', 'neg', 'L']
    """
    height: dict[Value, int] = {}
    for node in topological_order(root):
        height[node] = 1 + max((height[p] for p in node.parents), default=-1)
    order: list[Value] = []
    visited = {root}

    def deeper_first(node: Value):
        parents = node.parents
        return iter(sorted(parents, key=lambda p: -height[p]) if len(parents) > 1 else parents)

    stack = [(root, deeper_first(root))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, deeper_first(parent)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


class Trace:
    """The steps of the forward and backward pass through ``root``'s graph, with a cursor.

    ``len(t)``; ``t.step`` (the cursor: the 0-based index of the current step, which people
    see as step ``t.step + 1``); ``t.current``; ``t.next()`` and ``t.prev()``
    move one step and stop at the ends; ``t.goto(k)`` takes a list index (``-1`` is the last
    step) and raises IndexError outside the trace. ``t[k]``, ``for s in t``, ``str(t)``
    (every step), ``t.frame(k)`` (a drawing), ``t.to_html(path)``, ``t.filmstrip()``,
    ``t.widget()``; ``t.to_html(path, quiz=True, params=[w, b])`` and ``t.widget(quiz=True, ...)``
    ask what the learner derived first (``t.questions()``). ``t.grads`` holds the final
    gradients, d root / d node.

    In backward frames a grad shows ``?`` until the first contribution reaches it, then its
    running sum; it is final once every consumer of the node has been processed.
    """

    MAX_FRAME_NODES = MAX_FRAME_NODES  # frames are drawn for graphs up to this size...
    MAX_FRAME_EDGES = MAX_FRAME_EDGES  # ... and this many edges

    def __init__(self, root: Value, number_format: str = ".4g"):
        if not isinstance(root, Value):
            raise OperandError(f"trace: root must be a Value, got {type(root).__name__} {root!r:.40}")
        try:
            format(1.5, number_format)
        except (TypeError, ValueError):
            raise TraceError(f"trace: number_format {number_format!r} is not a format spec for floats; "
                             "try '.4g'") from None
        self.root = root
        self.number_format = number_format
        self.order = computing_order(root)
        graph = self._graph = _Graph(root, self.order, number_format)
        steps: list[Step] = [ForwardStep(k, node, graph) for k, node in
                             enumerate(node for node in self.order if node.parents)]
        self.forward_steps = len(steps)
        steps.append(SeedStep(len(steps), root, graph))
        grads = {root: 1.0}
        get = grads.get
        for node in reversed(topological_order(root)):  # backprop's own order
            g = get(node, 0.0)
            if g - g != 0.0:  # the same refusal as backward and grad: never show an inf gradient
                raise overflow_error("trace", node, g)
            for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                grads[parent] = after = get(parent, 0.0) + local * g
                steps.append(BackwardStep(len(steps), node, graph, i, g, local, local * g, after))
        for node in self.order:  # a node no edge reaches (none, as every node leads to root) stays 0
            grads.setdefault(node, 0.0)
        self.grads: dict[Value, float] = grads
        self.steps: tuple[Step, ...] = tuple(steps)
        self._cursor = 0
        self._svgs: dict[bytes, str] = {}  # digest of a frame's DOT text -> its SVG
        self._widths: dict[str, int] = {}

    @property
    def notation(self) -> Notation:
        """How the nodes are written in the steps' text (built on first use)."""
        return self._graph.notation

    @property
    def edges(self) -> int:
        """The graph's edges: one backward step each."""
        return len(self.steps) - self.forward_steps - 1

    def legend(self) -> list[str]:
        """``n9 = W1[0,0]·x[0] + b1[0]``: the definition of every generated name the steps use."""
        return legend(self.notation, self.order)

    # -- the cursor -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k: int) -> Step:
        return self.steps[self._index(k, "trace[k]")]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    @property
    def step(self) -> int:
        """The cursor: the index of the current step."""
        return self._cursor

    @property
    def current(self) -> Step:
        """The step under the cursor."""
        return self.steps[self._cursor]

    def next(self) -> Step:
        """Move one step forward (staying on the last step) and return the new current step."""
        self._cursor = min(self._cursor + 1, len(self.steps) - 1)
        return self.current

    def prev(self) -> Step:
        """Move one step back (staying on the first step) and return the new current step."""
        self._cursor = max(self._cursor - 1, 0)
        return self.current

    def goto(self, k: int) -> Step:
        """Move to step ``k`` (a list index: ``-1`` is the last step) and return it."""
        self._cursor = self._index(k, "goto")
        return self.current

    def _index(self, k, what: str) -> int:
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"Trace.{what}: the step must be an int, got {type(k).__name__} {k!r:.40}")
        n = len(self.steps)
        if not -n <= k < n:
            raise IndexError(f"Trace.{what}: step {k} is out of range; this trace has {n} steps "
                             f"(0 to {n - 1}, or -{n} to -1 from the end)")
        return k % n

    # -- text -------------------------------------------------------------------------
    def text(self) -> str:
        """Every step, numbered from 1, under the headings forward / backward; the cursor marked
        ``>``; then ``where n9 = ...`` for every generated name. Each step's text is bounded (at
        most six operands written out), so this is linear in the graph."""
        lines = []
        for s in self.steps:
            if s.index == 0 and s.kind == "forward":
                lines.append("forward:")
            elif s.kind == "seed":
                lines.append("backward:")
            mark = ">" if s.index == self._cursor else " "
            lines.append(f"{mark}{s.index + 1:>4}  {s.text}")
            lines.extend(f"        note: {note}" for note in s.notes)
        defined = self.legend()
        if defined:
            lines.append("where:")
            lines.extend(f"      {d}" for d in defined)
        return visible("\n".join(lines))

    __str__ = text

    def __repr__(self) -> str:
        n_back = len(self.steps) - self.forward_steps - 1
        name = self.root.label or self.root.op or "leaf"
        return (f"<Trace of {name!r}: {self.forward_steps} forward steps, the seed, {n_back} backward "
                f"steps; at step {self._cursor + 1} of {len(self.steps)}>")

    # -- frames -------------------------------------------------------------------------
    def state(self, k: int | None = None) -> tuple[dict, dict]:
        """``(values, grads)`` as known after step ``k`` (default: the current step); None is unknown."""
        k = self._cursor if k is None else self._index(k, "state")
        step = self.steps[k]
        values: dict = {}
        if step.kind == "forward":
            done = {s.node for s in self.steps[:k + 1]}
            values = {node: None for node in self.order if node.parents and node not in done}
        grads: dict = dict.fromkeys(self.order)
        if step.kind != "forward":
            grads[self.root] = 1.0
            for s in self.steps[self.forward_steps + 1:k + 1]:
                grads[s.parent] = s.parent_grad
        return values, grads

    def frame(self, k: int | None = None, *, ask: bool | str = False, **draw_options) -> Drawing:
        """A drawing of step ``k`` (default: the current step) with ``autograd.draw``.

        ``ask=True`` (or ``"contribution"``) draws a backward step as a question: the grad it
        changes shows the value it had before the step (``?`` if none), so the frame does not
        give the answer away; ``ask="gradient"`` shows that grad as ``?`` and lights every use
        of the node (its whole gradient is asked: the sum over those edges).

        ``draw_options`` go to ``draw`` (``rankdir="TB"``, ``number_format``...). Frames name
        unlabelled nodes as the steps' text does and reserve room for the widest number of
        the trace, so all frames share one layout (``names=None``, ``number_width=None`` undo this).

        >>> from autograd import Value, trace
        >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
        >>> t = trace((w * x).tanh())
        >>> t[4].kind, t[4].parent is w         # the grad of w * x flows back to w
        ('backward', True)
        >>> t.frame(4).highlighted              # edge w -> *, the * op, its arrow, both boxes
        ['e2_0', 'o2', 'r2', 'v0', 'v2']
        >>> "<B>w * x</B>" in t.frame(4).source
        True
        """
        k = self._cursor if k is None else self._index(k, "frame")
        self._check_drawable("frame")
        step = self.steps[k]
        values, grads = self.state(k)
        if ask and step.kind == "backward":
            grads[step.parent] = None if ask == "gradient" else self.state(k - 1)[1].get(step.parent)
        options = {"number_format": self.number_format, "title": self.title(k),
                   "names": self._frame_names, **draw_options}
        if "number_width" not in options:
            options["number_width"] = self._number_width(options["number_format"])
        highlight, edges, ops = step.highlight, step.highlight_edges, step.highlight_ops
        if ask == "gradient" and step.kind == "backward":  # the whole gradient: every use of the node
            uses = self._uses[step.parent]
            highlight = (step.parent, *dict.fromkeys(s.node for s in uses))
            edges = tuple((s.node, s.operand) for s in uses)
            ops = tuple(dict.fromkeys(s.node for s in uses))
        return draw(self.root, highlight=highlight, highlight_edges=edges, highlight_ops=ops,
                    values=values, grads=grads, **options)

    @cached_property
    def _uses(self) -> dict[Value, list[BackwardStep]]:
        """Each node's backward steps (one per use), in the order backprop takes them."""
        uses: dict[Value, list] = {}
        for s in self.steps[self.forward_steps + 1:]:
            uses.setdefault(s.parent, []).append(s)
        return uses

    @cached_property
    def _frame_names(self) -> dict[Value, str]:
        """What frames call the unlabelled nodes (inputs too): the names of the steps' text."""
        return {node: self.notation[node] for node in self.order if not node.label}

    def _number_width(self, number_format) -> int | None:
        """The characters of the widest number any frame shows (values, grads as they grow, local
        derivatives); None for a format ``draw`` will refuse."""
        widths = self._widths
        if not isinstance(number_format, str):
            return None
        if number_format not in widths:
            numbers = itertools.chain((n.data for n in self.order), (1.0,),
                                      (s.parent_grad for s in self.steps[self.forward_steps + 1:]),
                                      (g for n in self.order for g in n.local_grads))
            try:
                widths[number_format] = max(len(format(x + 0.0, number_format)) for x in numbers)
            except (TypeError, ValueError):
                return None
        return widths[number_format]

    def title(self, k: int) -> str:
        """``step 4 of 9 · backward``: the caption of frame ``k``."""
        return f"step {k + 1} of {len(self.steps)} · {self.steps[k].kind}"

    def svg(self, k: int | None = None, **draw_options: Any) -> str:
        """Frame ``k`` as SVG text, drawn with ``draw_options`` (each drawing is rendered once, then kept)."""
        k = self._cursor if k is None else self._index(k, "svg")
        return self.svgs([k], **draw_options)[0]

    def svgs(self, ks: Iterable[int], **draw_options: Any) -> list[str]:
        """Frames ``ks`` as SVG text; the ones not rendered yet are rendered side by side."""
        return [svg for _, svg in self.rendered_frames(ks, **draw_options)]

    def rendered_frames(self, ks: Iterable[int], **draw_options: Any) -> list[tuple[Drawing, str]]:
        """Frames ``ks`` drawn with ``draw_options`` (see :meth:`frame`), each with its SVG text.
        The drawings not rendered yet are rendered side by side; renders are kept by DOT text.

        >>> from autograd import Value, trace
        >>> t = trace(Value(2.0, label="x").exp())
        >>> [(d.highlighted, svg[:4]) for d, svg in t.rendered_frames([0, -1], rankdir="TB")]
        [(['e1_0', 'o1', 'r1', 'v1'], '<?xm'), (['e1_0', 'o1', 'r1', 'v0', 'v1'], '<?xm')]
        """
        ks = [self._index(k, "svgs") for k in ks]
        drawings = [self.frame(k, **draw_options) for k in ks]
        keys = [hashlib.blake2b(d.source.encode("utf-8"), digest_size=16).digest()
                for d in drawings]
        missing = {key: d for key, d in zip(keys, drawings) if key not in self._svgs}
        if missing:
            workers = min(len(missing), os.cpu_count() or 1, 4)
            with ThreadPoolExecutor(max_workers=workers) as pool:  # the renderer runs outside the GIL
                self._svgs.update(zip(missing, pool.map(lambda d: d.svg(), missing.values())))
        return [(d, self._svgs[key]) for d, key in zip(drawings, keys)]

    def drawable(self) -> bool:
        """Whether frames are drawn for this graph: at most MAX_FRAME_NODES nodes and MAX_FRAME_EDGES edges."""
        return len(self.order) <= MAX_FRAME_NODES and self.edges <= MAX_FRAME_EDGES

    def _check_drawable(self, what: str) -> None:
        if len(self.order) > MAX_FRAME_NODES:
            raise TraceError(f"Trace.{what}: the graph has {len(self.order)} nodes; frames are drawn "
                             f"for up to {MAX_FRAME_NODES}. Trace a smaller graph, or read the steps "
                             f"as text: print(trace)")
        if self.edges > MAX_FRAME_EDGES:
            raise TraceError(f"Trace.{what}: the graph has {self.edges} edges; frames are drawn for up to "
                             f"{MAX_FRAME_EDGES} (one frame per edge, each drawing every edge: the page "
                             f"grows as edges squared). Trace a smaller graph, or read the steps as "
                             f"text: print(trace)")

    # -- the quiz -------------------------------------------------------------------------
    def questions(self, quiz: bool | str = True, params: Iterable[Value] | None = None) -> tuple[Question, ...]:
        """The questions a quiz asks, in step order.

        ``quiz=True`` (or ``"gradient"``) asks for a node's whole gradient at the step that adds
        the last of its contributions, as a learner derives it (``∂L/∂yhat``, the sum over its
        uses); the steps adding the earlier ones are shown, not asked. ``quiz="contribution"``
        asks at every edge what it adds, and says which use it is and the running total so far.

        ``params`` (the weights and biases you learn): ask only about them and the nodes between
        them and the output, so the arithmetic of the labels (``y``, ``1 - y``, ``-y``) and the
        inputs are shown, not asked. Without it, every node is asked about.

        >>> from autograd import Value, trace
        >>> a, b = Value(3.0, label="a"), Value(2.0, label="b")
        >>> c = a * b + a; c.label = "c"
        >>> t = trace(c)
        >>> [(q.step + 1, q.asks, q.answer) for q in t.questions()]   # a's two uses summed, at step 6
        [(4, '∂c/∂(a * b)', 1.0), (6, '∂c/∂a', 3.0), (7, '∂c/∂b', 3.0)]
        >>> print(t.questions()[1].prompt)
        ∂c/∂a = ∂c/∂c · ∂(a * b + a)/∂a + ∂c/∂(a * b) · ∂(a * b)/∂a (a has 2 uses; this step adds the last contribution, so the gradient is complete). What is ∂c/∂a, the whole sum?
        >>> [q.asks for q in t.questions(params=[a])]                  # b is not asked
        ['∂c/∂(a * b)', '∂c/∂a']
        >>> [(q.step + 1, q.answer) for q in t.questions("contribution", params=[a])]
        [(4, 1.0), (5, 1.0), (6, 2.0)]
        >>> q = t.questions()[1]; q.check(3.01), q.check(1.0)         # within 1%
        (True, False)
        """
        kind = _quiz_kind(quiz, "Trace.questions")
        if kind is None:
            return ()
        asked = self._asked_nodes(params)
        backward, uses = self.steps[self.forward_steps + 1:], self._uses
        n, root = self.notation, self.root
        questions = []
        for s in backward:
            node = s.parent
            if node not in asked:
                continue
            mine = uses[node]
            lhs, name, through = n.partial(root, node), n[node], n[s.node]
            if kind == "gradient":
                if s is not mine[-1]:
                    continue
                rows = chain_rule_rows(n, root, node, [(u.node, u.operand, u.upstream) for u in mine],
                                       s.parent_grad)
                if len(mine) == 1:
                    prompt = f"{lhs} = {rows[0]} ({name} has one use: {through}). What is {lhs}?"
                else:
                    prompt = (f"{lhs} = {rows[0]} ({name} has {len(mine)} uses; this step adds the last "
                              f"contribution, so the gradient is complete). What is {lhs}, the whole sum?")
                questions.append(Question(s.index, node, kind, lhs, prompt, s.parent_grad,
                                          n.number(s.parent_grad), f"{lhs} = {' = '.join(rows)}"))
            else:
                rows = chain_rule_rows(n, root, node, [(s.node, s.operand, s.upstream)], s.contribution)
                k = mine.index(s) + 1
                if len(mine) == 1:
                    said = f"the only use of {name} (by {through}), so its contribution is all of {lhs}"
                else:
                    before = n.number(mine[k - 2].parent_grad) if k > 1 else "nothing yet (0)"
                    said = (f"use {k} of the {len(mine)} uses of {name} (by {through}); {lhs} so far: "
                            f"{before}, and this adds to it")
                prompt = f"{lhs} += {rows[0]}: {said}. What does this use contribute?"
                questions.append(Question(s.index, node, kind, "contribution", prompt, s.contribution,
                                          n.number(s.contribution), s.text))
        return tuple(questions)

    def _asked_nodes(self, params) -> set[Value]:
        """The nodes a quiz asks about: every node but the output, or (with ``params``) the params
        and every node on a path from one of them to the output."""
        order = self.order
        if params is None:
            return set(order) - {self.root}
        if isinstance(params, Value):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise OperandError(f"trace quiz: params must be a list of Values (the weights and biases), "
                               f"got {type(params).__name__} {params!r:.40}") from None
        in_graph = set(order)
        for p in params:
            if not isinstance(p, Value):
                raise OperandError(f"trace quiz: params must hold Values, got {type(p).__name__} {p!r:.40}")
            if p not in in_graph:
                raise TraceError(f"trace quiz: the param {p.label or 'Value'} = {p.data:g} is not in the graph "
                                 f"of {self.notation[self.root]!r}")
        asked = set(params)
        for node in order:  # parents first: a node is asked about when one of its parents is
            if node not in asked and any(p in asked for p in node.parents):
                asked.add(node)
        asked.discard(self.root)
        return asked

    # -- steppers --------------------------------------------------------------------------
    def to_html(self, path=None, *, quiz: bool | str = False, params: Iterable[Value] | None = None,
                **draw_options: Any) -> str:
        """One self-contained HTML page stepping through every frame; written to ``path`` if given
        (atomically: a failed write raises FileWriteError naming the path, and keeps the old file).

        ``quiz=True``: predict, then reveal. The page asks the questions of :meth:`questions`
        (``quiz=True`` each node's whole gradient once its contributions are in,
        ``quiz="contribution"`` each edge's contribution; ``params=[...]`` only about the params
        and the nodes between them and the output) before showing their steps: the question's
        drawing keeps the answer back and the asked node in view, the answer is checked within
        1% (or 1e-4), the page keeps a score, and the chain rule with its numbers appears after
        the answer, right or wrong.

        The page needs no network: all frames are inline SVG, with Prev/Next buttons and the
        arrow keys. ``draw_options`` go to every frame, as in :meth:`frame`: ``rankdir="TB"``,
        ``number_format=".3f"``, ``timeout=300`` (seconds per frame, for big graphs)...
        See :mod:`autograd.tools.stepper_html`.

        >>> from autograd import Value, trace
        >>> x = Value(2.0, label="x")
        >>> page = trace((x * x).exp()).to_html(rankdir="TB", number_format=".2f")
        >>> "data 4.00" in page
        True
        >>> w, b = Value(0.5, label="w"), Value(-1.0, label="b")
        >>> y = (w * x + b).sigmoid(); y.label = "y"
        >>> quiz = trace(y).to_html(quiz=True, params=[w, b])   # not x's gradient: x is an input
        >>> quiz.count('<form class="quiz"'), "What is ∂y/∂w?" in quiz, "What is ∂y/∂x?" in quiz
        (4, True, False)
        """
        self._check_drawable("to_html")
        questions = self.questions(_quiz_kind(quiz, "Trace.to_html"), params)
        return write_page(self, path, questions=questions if quiz else None, **draw_options)

    def filmstrip(self, every: int = 1, max_frames: int = 60) -> Filmstrip:
        """Every ``every``-th frame side by side, static (no JavaScript): for notebooks viewed without
        a kernel. At most ``max_frames`` frames; the last step is always shown."""
        self._check_drawable("filmstrip")
        return Filmstrip(self, every, max_frames)

    def widget(self, *, quiz: bool | str = False, params: Iterable[Value] | None = None):
        """An ipywidgets stepper (slider, Prev/Next) for a live notebook: ``pip install "glassgrad[widgets]"``.
        ``quiz=True`` (or ``"contribution"``) and ``params`` ask the questions of :meth:`questions`
        before showing their steps, as ``to_html(quiz=True)`` does."""
        self._check_drawable("widget")
        questions = self.questions(_quiz_kind(quiz, "Trace.widget"), params)
        return stepper_widget(self, questions=questions if quiz else None)

    def _repr_html_(self) -> str | None:
        if not self.drawable():
            return None  # the notebook falls back to repr()
        try:
            return frame_html(self, self._cursor)
        except GlassgradError:  # no renderer: the text repr is shown instead
            return None


def trace(root: Value, *, number_format: str = ".4g") -> Trace:
    """Record every step of the forward and backward pass through ``root``'s graph.

    No ``.grad`` is read or written: the trace computes its own gradients (``t.grads``).

    >>> from autograd import Value, trace
    >>> a = Value(3.0, label="a")
    >>> c = a * a; c.label = "c"
    >>> t = trace(c)
    >>> [s.kind for s in t]
    ['forward', 'seed', 'backward', 'backward']
    >>> [s.parent_grad for s in t if s.kind == "backward"]   # a is used twice: 3, then 3 + 3
    [3.0, 6.0]
    """
    return Trace(root, number_format)
