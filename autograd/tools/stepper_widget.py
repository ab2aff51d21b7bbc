"""A stepper for a live notebook: a slider and Prev/Next buttons over the frames of a trace.

Needs ipywidgets (``pip install "glassgrad[widgets]"``); without a kernel use
``trace.filmstrip()`` or ``trace.to_html(path)`` instead. The slider counts steps from 1, as
people do (``trace.step``, a Python index, is the slider's value minus 1).

``quiz=True``: predict, then reveal. A backward step first shows its drawing with the grad it
computes kept back and asks for that grad; Check compares the answer within 1% (or 1e-4),
keeps a score and then shows the step's equation, right or wrong.

    >>> from autograd import Value, trace
    >>> x = Value(2.0, label="x")
    >>> t = trace(x * x)
    >>> box = t.widget()
    >>> box.children[0].children[1].value = 3      # move the slider to step 3
    >>> t.step, "step 3 of 4" in box.children[1].value
    (2, True)
"""

from __future__ import annotations

import math

from ..errors import require
from .stepper_html import _figure, _next_prefix, frame_html

__all__ = ["stepper_widget", "answer_is_right"]


def answer_is_right(given: float, answer: float) -> bool:
    """The quiz's tolerance: within 1% of the answer, or 1e-4 of it near 0.

    >>> answer_is_right(0.2499, 0.25), answer_is_right(0.3, 0.25)
    (True, False)
    """
    return math.isfinite(given) and abs(given - answer) <= max(0.01 * abs(answer), 1e-4)


def stepper_widget(trace, quiz: bool = False):
    """``VBox([HBox([Prev, slider, Next]), HTML(frame)])``, with ``HBox([answer, Check, verdict, score])``
    at the end for a quiz; moving either moves the trace's cursor."""
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
    answered: dict[int, bool] = {}  # step index -> right?

    def asking(k: int) -> bool:
        return quiz and trace.steps[k].kind == "backward" and k not in answered

    def render() -> None:
        k = trace.step
        if asking(k):
            step = trace.steps[k]
            question = trace.rendered_frames([k], ask=True)[0]
            lhs = trace.notation.partial(trace.root, step.parent)
            shown.value = (f"<p><b>predict</b> {_escape(step.text.split(' = ')[0])}: what is "
                           f"{_escape(lhs)} now?</p>" + _drawing_only(trace, k, question))
            verdict.value = ""
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
        step = trace.steps[k]
        ok = answered[k] = answer_is_right(answer.value, step.parent_grad)
        right = sum(answered.values())
        verdict.value = ("<b style='color:#1a7f1a'>right!</b>" if ok else
                         f"<b style='color:#b00020'>not quite: it is {trace.notation.number(step.parent_grad)}</b>")
        score.value = f"Score {right} / {len(answered)}"
        render()

    slider.observe(on_move, names="value")
    prev.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 1)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, count)))
    check.on_click(on_check)
    render()
    rows = [widgets.HBox([prev, slider, nxt]), shown]
    if quiz:
        score.value = "Score 0 / 0"
        rows.append(widgets.HBox([answer, check, verdict, score]))
    return widgets.VBox(rows)


def _escape(text: str) -> str:
    from .stepper_html import _text
    return _text(text)


def _drawing_only(trace, k: int, frame) -> str:
    """Step ``k``'s question drawing without its equation (which would give the answer away)."""
    figure = _figure(trace, k, _next_prefix(k), frame)
    start = figure.index('<div class="view">')
    return figure[start:figure.index("</figure>")]
