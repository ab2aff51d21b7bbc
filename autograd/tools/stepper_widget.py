"""A stepper for a live notebook: a slider and Prev/Next buttons over the frames of a trace.

Needs ipywidgets (``pip install "glassgrad[widgets]"``); without a kernel use
``trace.filmstrip()`` or ``trace.to_html(path)`` instead. The slider counts steps from 1, as
people do (``trace.step``, a Python index, is the slider's value minus 1).

``quiz=True``: predict, then reveal. At a step that completes a node's gradient (see
``Trace.questions``: ``quiz="contribution"`` asks every edge's contribution instead, and
``params=[...]`` skips the label arithmetic and the inputs) the widget first shows the question,
and the drawing with the answer kept back, zoomed on the asked node; Check compares the answer
within 1% (or 1e-4), keeps a score and then shows the chain rule with its numbers, right or wrong.

    >>> from autograd import Value, trace
    >>> x = Value(2.0, label="x")
    >>> t = trace(x * x)
    >>> box = t.widget()
    >>> box.children[0].children[1].value = 3      # move the slider to step 3
    >>> t.step, "step 3 of 4" in box.children[1].value
    (2, True)
    >>> quiz = t.widget(quiz=True)                 # x has 2 uses: asked once, at step 4
    >>> quiz.children[0].children[1].value = 4
    >>> "What is ∂(x * x)/∂x, the whole sum?" in quiz.children[1].value
    True
"""

from __future__ import annotations

from ..errors import require
from .stepper_html import _next_prefix, _text, inline_svg
from .zoom import zoomed_svg

__all__ = ["stepper_widget"]


_MONO = 'font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace'


def stepper_widget(trace, questions=None):
    """``VBox([HBox([Prev, slider, Next, Whole graph]), HTML(frame)])``, with ``HBox([answer, Check,
    verdict, score])`` at the end for a quiz (``questions``: ``Trace.questions``); moving either
    moves the trace's cursor. The drawing follows the step: it is cropped around the nodes at
    work (the asked node while a question waits) at the drawing's own scale, so its text is
    readable; "Whole graph" shows all of it, fitted to the width."""
    widgets = require("ipywidgets", "widgets", "Trace.widget (or use trace.to_html(path) or trace.filmstrip())")
    count = len(trace)
    prev = widgets.Button(description="◀ Prev", layout=widgets.Layout(width="6em"))
    slider = widgets.IntSlider(value=trace.step + 1, min=1, max=count, description="step",
                               continuous_update=False)
    nxt = widgets.Button(description="Next ▶", layout=widgets.Layout(width="6em"))
    whole = widgets.ToggleButton(value=False, description="Whole graph", layout=widgets.Layout(width="9em"),
                                 tooltip="show the whole drawing, fitted to the width (instead of following the step)")
    shown = widgets.HTML()
    answer = widgets.FloatText(description="your value", layout=widgets.Layout(width="16em"))
    check = widgets.Button(description="Check", layout=widgets.Layout(width="6em"))
    verdict, score = widgets.HTML(), widgets.HTML()
    by_step = {q.step: q for q in questions or ()}
    answered: dict[int, bool] = {}  # step index -> right?

    def asking(k: int) -> bool:
        return k in by_step and k not in answered

    def drawing_html(k: int, ask: str | None = None) -> str:
        """Step ``k``'s drawing (as a question of kind ``ask``): cropped around the step, or whole."""
        drawing, svg = trace.rendered_frames([k], **({"ask": ask} if ask else {}))[0]
        if not whole.value:
            focus = [drawing.node_id(by_step[k].node)] if ask else drawing.highlighted
            svg = zoomed_svg(svg, focus, drawing.highlighted)
        return inline_svg(svg, _next_prefix(k) + "-").replace(
            "<svg ", '<svg style="max-width: 100%; height: auto;" ', 1)

    def render() -> None:
        k = trace.step
        step = trace.steps[k]
        title = f"<b>{_text(trace.title(k))}</b>"
        if asking(k):
            q = by_step[k]
            shown.value = (f"<p>{title}: <b>predict</b> <span style='{_MONO}'>{_text(q.prompt)}</span></p>"
                           f"<p>{_text(q.asks)} = ? (type it below, then Check)</p>" + drawing_html(k, q.kind))
            answer.description = q.asks if len(q.asks) <= 14 else "your value"
            verdict.value = ""
        else:
            text = by_step[k].explanation if k in by_step else step.text
            notes = "".join(f"<p style='color: #8a1c1c'>&#9888; {_text(note)}</p>" for note in step.notes)
            shown.value = (f"<p>{title}: <span style='{_MONO}'>{_text(text)}</span></p>{notes}"
                           + drawing_html(k))
        check.disabled = answer.disabled = not asking(k)

    def on_move(change) -> None:
        trace.goto(change["new"] - 1)
        render()

    def on_check(_) -> None:
        k = trace.step
        if not asking(k):
            return
        q = by_step[k]
        ok = answered[k] = q.check(answer.value)
        right = sum(answered.values())
        verdict.value = ("<b style='color:#1a7f1a'>right!</b>" if ok else
                         f"<b style='color:#b00020'>not quite: it is {_text(q.shown)}</b>")
        score.value = f"Score {right} / {len(answered)}"
        render()

    slider.observe(on_move, names="value")
    prev.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 1)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, count)))
    check.on_click(on_check)
    whole.observe(lambda _: render(), names="value")
    render()
    rows = [widgets.HBox([prev, slider, nxt, whole]), shown]
    if questions is not None:
        score.value = "Score 0 / 0"
        rows.append(widgets.HBox([answer, check, verdict, score]))
    return widgets.VBox(rows)
