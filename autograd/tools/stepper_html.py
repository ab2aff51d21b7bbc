"""The trace as HTML: one self-contained stepper page, and a static filmstrip for notebooks.

The page inlines every frame as SVG with its equation, and steps with Prev/Next buttons,
the arrow keys or a click on a step in the list. The drawing fits the window's width and
stays put from step to step; "Actual size" shows a wide one full size, scrolled to keep
the highlighted part in view. It loads nothing: no CDN, no fonts, and a
Content-Security-Policy that allows only the page's own script (by its hash), so nothing a
label smuggles in can run. Every piece of text from the graph is HTML-escaped, with control
characters and lone surrogates written as ``\\x07``, ``\\ud800`` as in the drawing (so the
page is valid UTF-8 whatever the labels hold); the SVG comes from Graphviz, whose drawing
escapes labels too. ``to_html(rankdir="TB", timeout=300)`` passes drawing options to the frames.

    >>> from autograd import Value, trace
    >>> a = Value(3.0, label="a")
    >>> page = trace(a * a).to_html()
    >>> page.startswith("<!DOCTYPE html>"), page.count('<figure class="frame"')
    (True, 4)
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
from pathlib import Path
from typing import Any

from ..errors import TraceError
from .markup import visible

__all__ = ["write_page", "frame_html", "Filmstrip"]

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)  # the <?xml ...?> and <!DOCTYPE ...> before <svg
_ID = re.compile(r'\bid="([^"]*)"')
_strips = itertools.count()

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 1.2em; color: #222; }
h1 { font-size: 1.25em; margin: 0 0 .6em; }
#controls { display: flex; gap: .6em; align-items: center; margin-bottom: .6em; }
#controls button { font-size: 1em; padding: .3em .9em; }
#zoom[aria-pressed="true"] { background: #d8d8d8; }
#counter { font-variant-numeric: tabular-nums; min-width: 8em; text-align: center; }
.kind { display: inline-block; padding: 0 .5em; border-radius: .6em; font-size: .85em;
        background: #eee; margin-right: .4em; }
.kind.forward { background: #d6eaff; } .kind.seed { background: #c9f2c9; }
.kind.backward { background: #ffe2b8; }
.equation { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 1.05em;
            padding: .5em .7em; background: #f7f7f7; border-left: 4px solid #d62728;
            margin: 0 0 .6em; white-space: pre-wrap; }
.note { color: #8a1c1c; background: #ffecec; padding: .3em .7em; margin: -.3em 0 .6em; }
.frame { margin: 0; }
.frame svg { max-width: 100%; height: auto; }
/* All frames share one grid cell per part, the hidden ones laid out but invisible, so the
   equation row is as tall as the tallest equation and the drawing never moves when stepping. */
#frames { display: grid; grid-template-columns: minmax(0, 1fr); }
#frames > .frame { display: contents; }
#frames > .frame > * { grid-column: 1; }
#frames > .frame > .equation { grid-row: 1; }
#frames > .frame > .notes { grid-row: 2; }
#frames > .frame > svg { grid-row: 3; }
#frames > .frame[hidden] > * { visibility: hidden; }
/* Actual size: a wide drawing scrolls sideways under its equation, which stays in view. */
#frames.actual { overflow-x: auto; }
#frames.actual svg { max-width: none; }
#frames.actual .equation, #frames.actual .notes { position: sticky; left: 0; }
#steps { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85em;
         color: #555; padding-left: 3em; }
#steps li { cursor: pointer; padding: .1em .3em; }
#steps li.current { background: #fde8e8; color: #000; }
.hint { color: #777; font-size: .85em; }
"""

# The stepper. It reads no data of its own: the frames and steps are in the DOM.
_SCRIPT = """
(function () {
  var frames = document.querySelectorAll("figure.frame");
  var items = document.querySelectorAll("#steps li");
  var counter = document.getElementById("counter");
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var area = document.getElementById("frames"), zoom = document.getElementById("zoom");
  var current = 0;
  function follow() {  // at actual size, scroll the highlighted part of the drawing into view
    if (!area.classList.contains("actual")) return;
    var view = area.getBoundingClientRect(), left = Infinity, right = -Infinity;
    frames[current].dataset.highlighted.split(" ").forEach(function (id) {
      var part = id && document.getElementById(id);
      if (!part) return;
      var box = part.getBoundingClientRect();
      left = Math.min(left, box.left);
      right = Math.max(right, box.right);
    });
    if (left < view.left || right > view.right) {
      area.scrollLeft += (left + right - view.left - view.right) / 2;
    }
  }
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    frames[current].hidden = true;
    items[current].classList.remove("current");
    current = k;
    frames[k].hidden = false;
    items[k].classList.add("current");
    counter.textContent = "Step " + (k + 1) + " / " + frames.length;
    prev.disabled = k === 0;
    next.disabled = k === frames.length - 1;
    try { history.replaceState(null, "", "#step=" + (k + 1)); } catch (e) { /* file:// in some browsers */ }
    follow();
  }
  zoom.addEventListener("click", function () {
    var actual = area.classList.toggle("actual");
    zoom.setAttribute("aria-pressed", String(actual));
    follow();
  });
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  items.forEach(function (item, k) { item.addEventListener("click", function () { show(k); }); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight" || e.key === "ArrowDown") { show(current + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { show(current - 1); e.preventDefault(); }
    else if (e.key === "Home") { show(0); } else if (e.key === "End") { show(frames.length - 1); }
  });
  var m = /step=(\\d+)/.exec(location.hash);
  show(m ? parseInt(m[1], 10) - 1 : 0);
})();
"""


def _hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


_CSP = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src '{_hash(_SCRIPT)}'")


def inline_svg(svg: str, prefix: str) -> str:
    """Graphviz SVG ready to sit inside HTML: no XML prolog, every id prefixed so frames can share a page."""
    svg = _PROLOG.sub("", svg, count=1)
    return _ID.sub(lambda m: f'id="{prefix}{m[1]}"', svg)


def _text(text: str) -> str:
    """Text from the graph as HTML: escaped, control characters and lone surrogates visible."""
    return html.escape(visible(text))


def _figure(trace, k: int, prefix: str, frame: tuple, hidden: bool = False) -> str:
    step = trace.steps[k]
    drawing, svg = frame
    notes = "".join(f'<p class="note">&#9888; {_text(note)}</p>' for note in step.notes)
    notes = f'<div class="notes">{notes}</div>\n' if notes else ""
    highlighted = " ".join(f"{prefix}-{part}" for part in drawing.highlighted)
    return (f'<figure class="frame" id="{prefix}" data-step="{k}" data-kind="{step.kind}" '
            f'data-highlighted="{highlighted}"{" hidden" if hidden else ""}>\n'
            f'<p class="equation"><span class="kind {step.kind}">{step.kind}</span> '
            f'{_text(step.text)}</p>\n{notes}'
            f'{inline_svg(svg, prefix + "-")}\n</figure>')


def frame_html(trace, k: int) -> str:
    """One frame as an HTML fragment: its equation above its drawing (used by notebooks and the widget)."""
    return _figure(trace, k, f"gg{next(_strips)}-f{k}", trace.rendered_frames([k])[0])


def page(trace, **draw_options: Any) -> str:
    """The whole stepper page as a string; ``draw_options`` go to every frame (see ``Trace.frame``)."""
    name = _text(trace.root.label or trace.notation[trace.root])
    rendered = trace.rendered_frames(range(len(trace)), **draw_options)  # side by side, up front
    frames = "\n".join(_figure(trace, k, f"f{k}", frame, hidden=k > 0) for k, frame in enumerate(rendered))
    steps = "\n".join(f'<li value="{k + 1}">{_text(s.text)}</li>' for k, s in enumerate(trace))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backprop step by step: {name}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Backprop step by step: {name}</h1>
<div id="controls">
<button id="prev" type="button" title="previous step (left arrow)">&#9664; Prev</button>
<span id="counter">Step 1 / {len(trace)}</span>
<button id="next" type="button" title="next step (right arrow)">Next &#9654;</button>
<button id="zoom" type="button" aria-pressed="false" title="show the drawing at its actual size, scrolling sideways">Actual size</button>
<span class="hint">arrow keys step; click a step below to jump</span>
</div>
<main id="frames">
{frames}
</main>
<ol id="steps">
{steps}
</ol>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def write_page(trace, path=None, **draw_options: Any) -> str:
    """The page as a string; also written (UTF-8) to ``path`` when one is given."""
    text = page(trace, **draw_options)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


class Filmstrip:
    """Frames of a trace side by side, as static HTML: it needs no kernel and no JavaScript.

    >>> from autograd import Value, trace
    >>> x = Value(2.0, label="x")
    >>> strip = trace((x * 3).exp()).filmstrip(every=2)
    >>> strip.steps
    [0, 2, 4]
    """

    def __init__(self, trace, every: int = 1, max_frames: int = 60):
        for name, x in (("every", every), ("max_frames", max_frames)):
            if isinstance(x, bool) or not isinstance(x, int) or x < 1:
                raise ValueError(f"Trace.filmstrip: {name} must be a positive int, got {x!r}")
        steps = _every(len(trace), every)
        if len(steps) > max_frames:
            fits = next(e for e in itertools.count(every) if len(_every(len(trace), e)) <= max_frames)
            raise TraceError(f"Trace.filmstrip: {len(steps)} frames is more than max_frames={max_frames}; "
                             f"pass every={fits} or a larger max_frames")
        self.trace, self.steps = trace, steps

    def _repr_html_(self) -> str:
        strip = f"gg{next(_strips)}"
        cells = "".join(
            f'<div style="flex: 0 0 auto; max-width: 32em; border: 1px solid #ddd; padding: .4em;">'
            f'<div style="font-family: monospace; font-size: .85em; margin: .2em 0;">'
            f'{_text(self.trace.steps[k].text)}</div>'
            f'{_scaled(inline_svg(svg, f"{strip}-f{k}-"))}</div>'
            for k, svg in zip(self.steps, self.trace.svgs(self.steps)))
        return f'<div style="display: flex; flex-wrap: wrap; gap: .5em;">{cells}</div>'

    def __repr__(self) -> str:
        return "\n".join(f"{self.trace.title(k)}: {self.trace.steps[k].text}" for k in self.steps)


def _every(n: int, every: int) -> list[int]:
    """Every ``every``-th of ``n`` steps, and always the last one."""
    steps = list(range(0, n, every))
    return steps if steps[-1] == n - 1 else steps + [n - 1]


def _scaled(svg: str) -> str:
    return svg.replace("<svg ", '<svg style="max-width: 100%; height: auto;" ', 1)
