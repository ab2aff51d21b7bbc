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
from .stepper_html import _next_prefix, _text, frame_html, inline_svg
from .zoom import zoomed_svg

__all__ = ["stepper_widget"]


def stepper_widget(trace, questions=None):
    """``VBox([HBox([Prev, slider, Next]), HTML(frame)])``, with ``HBox([answer, Check, verdict, score])``
    at the end for a quiz (``questions``: ``Trace.questions``); moving either moves the trace's cursor."""
    widgets = require("ipywidgets", "widgets", "Trace.widget (or use trace.to_html(path) or trace.filmstrip())")
    count = len(trace)
    prev = widgets.Button(description="◀ Prev", layout=widgets.Layout(width="6em"))
    slider = widgets.IntSlider(value=trace.step + 1, min=1, max=count, description="step",
                               continuous_update=False)
    nxt = widgets.Button(description="Next ▶", layout=widgets.Layout(width="6em"))
    shown = widgets.HTML()
    answer = widgets.FloatText(description="your value", layout=widgets.Layout(width="16em"))
    check = widgets.Button(description="Check", layout=widgets.Layout(width="6em"))
    verdict, score = widgets.HTML(), widgets.HTML()
    by_step = {q.step: q for q in questions or ()}
    answered: dict[int, bool] = {}  # step index -> right?

    def asking(k: int) -> bool:
        return k in by_step and k not in answered

    def render() -> None:
        k = trace.step
        if asking(k):
            q = by_step[k]
            drawing, svg = trace.rendered_frames([k], ask=q.kind)[0]
            parts = [drawing.node_id(q.node)]
            shown.value = (f"<p><b>{_text(trace.title(k))}: predict</b> {_text(q.prompt)}</p>"
                           f"<p>{_text(q.asks)} = ? (type it below, then Check)</p>"
                           + inline_svg(zoomed_svg(svg, parts, drawing.highlighted), _next_prefix(k) + "-"))
            answer.description = q.asks if len(q.asks) <= 14 else "your value"
            verdict.value = ""
        elif k in by_step:
            q = by_step[k]
            figure = frame_html(trace, k)
            shown.value = f'<p style="font-family: monospace">{_text(q.explanation)}</p>' + figure
        else:
            shown.value = frame_html(trace, k)
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
    render()
    rows = [widgets.HBox([prev, slider, nxt]), shown]
    if questions is not None:
        score.value = "Score 0 / 0"
        rows.append(widgets.HBox([answer, check, verdict, score]))
    return widgets.VBox(rows)
