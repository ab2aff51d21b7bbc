"""A stepper for a live notebook: a slider and Prev/Next buttons over the frames of a trace.

Needs ipywidgets (``pip install "glassgrad[widgets]"``); without a kernel use
``trace.filmstrip()`` or ``trace.to_html(path)`` instead.

    >>> from autograd import Value, trace
    >>> x = Value(2.0, label="x")
    >>> t = trace(x * x)
    >>> box = t.widget()
    >>> box.children[0].children[1].value = 2      # move the slider
    >>> t.step, "step 3 of 4" in box.children[1].value
    (2, True)
"""

from __future__ import annotations

from ..errors import require
from .stepper_html import frame_html

__all__ = ["stepper_widget"]


def stepper_widget(trace):
    """``VBox([HBox([Prev, slider, Next]), HTML(frame)])``; moving either moves the trace's cursor."""
    widgets = require("ipywidgets", "widgets", "Trace.widget (or use trace.to_html(path) or trace.filmstrip())")
    last = len(trace) - 1
    prev = widgets.Button(description="◀ Prev", layout=widgets.Layout(width="6em"))
    slider = widgets.IntSlider(value=trace.step, min=0, max=last, description="step",
                               continuous_update=False)
    nxt = widgets.Button(description="Next ▶", layout=widgets.Layout(width="6em"))
    shown = widgets.HTML(value=frame_html(trace, trace.step))

    def on_move(change) -> None:
        trace.goto(change["new"])
        shown.value = frame_html(trace, trace.step)

    slider.observe(on_move, names="value")
    prev.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 0)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, last)))
    return widgets.VBox([widgets.HBox([prev, slider, nxt]), shown])
