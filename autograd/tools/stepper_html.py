"""The trace as HTML: one self-contained stepper page, and a static filmstrip for notebooks.

The page inlines every frame as SVG with its equation, and steps with Prev/Next buttons,
the arrow keys, a click on a step in the list or a ``#step=5`` address. It follows the step:
the drawing is zoomed so the text of the nodes at work is at least 11 px, and scrolled to put
them in the middle of a view that ends inside the window; "Whole graph" fits the whole drawing
to the width instead (it then stays put from step to step), and its - and + buttons (keys - and
+) zoom it up to 8x, to readable text, while dragging the drawing pans it. With a quiz
(``to_html(quiz=True)``, see ``Trace.questions``) a step that completes a node's gradient first
asks for it: the question's drawing keeps the answer back and its asked node in sight, the answer
is checked within 1% (or 1e-4), the page keeps a score and then shows the chain rule with its
numbers. It loads nothing: no CDN, no fonts, and a
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
import os
import re
from typing import Any

from ..errors import FileWriteError, TraceError
from ..files import write_atomically
from .markup import visible

__all__ = ["write_page", "frame_html", "Filmstrip"]

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)  # the <?xml ...?> and <!DOCTYPE ...> before <svg
_ID = re.compile(r'\bid="([^"]*)"')
_strips = itertools.count()

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 1.2em; color: #222; }
h1 { font-size: 1.25em; margin: 0 0 .6em; }
#controls { display: flex; flex-wrap: wrap; gap: .6em; align-items: center; margin-bottom: .6em; }
#controls button, #score { font-size: 1em; padding: .3em .9em; white-space: nowrap; }
#zoom[aria-pressed="true"] { background: #d8d8d8; }
.quiz { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; padding: .5em .7em;
        background: #fff8e1; border-left: 4px solid #f0a000; margin: 0 0 .6em; }
.quiz input { font: inherit; width: 9em; }
.quiz .verdict.right { color: #1a7f1a; } .quiz .verdict.wrong { color: #b00020; }
#score { font-variant-numeric: tabular-nums; }
.frame .equation.unanswered, .frame svg.answer.unanswered, .frame svg.question.answered { display: none; }
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
#frames > .frame > .quiz { grid-row: 1; }
#frames > .frame > .equation { grid-row: 2; }
#frames > .frame > .notes { grid-row: 3; }
#frames > .frame > .view { grid-row: 4; }
#frames > .frame[hidden] > * { visibility: hidden; }
/* Following the step: the drawing zoomed (--width, set by the script) in a view that scrolls. */
#frames .view { overflow: auto; max-height: var(--view-height, 72vh); cursor: grab; }
#frames .view svg { width: var(--width, auto); max-width: none; height: auto; }
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
  var counter = document.getElementById("counter"), score = document.getElementById("score");
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var area = document.getElementById("frames"), zoom = document.getElementById("zoom");
  var zoomIn = document.getElementById("zoom-in"), zoomOut = document.getElementById("zoom-out");
  var current = 0, right = 0, asked = 0, level = 1, MAX_LEVEL = 8;  // level: the whole graph's zoom
  function byIds(ids) {
    return (ids || "").split(" ").map(function (id) { return id && document.getElementById(id); })
      .filter(Boolean);
  }
  function asking(frame) {  // a question waits: its drawing is the one shown
    var q = frame.querySelector("svg.question");
    return !!q && !q.classList.contains("answered");
  }
  function visibleSvg(frame) {
    var all = frame.querySelectorAll("svg");
    return asking(frame) ? all[0] : all[all.length - 1];
  }
  function parts(frame) { return byIds(asking(frame) ? frame.dataset.question : frame.dataset.highlighted); }
  function bounds(elements) {
    var box = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
    elements.forEach(function (e) {
      var p = e.getBoundingClientRect();
      if (!p.width && !p.height) return;
      box.left = Math.min(box.left, p.left); box.top = Math.min(box.top, p.top);
      box.right = Math.max(box.right, p.right); box.bottom = Math.max(box.bottom, p.bottom);
    });
    return box.left === Infinity ? null : box;
  }
  function centre(view, box) {
    var v = view.getBoundingClientRect();
    view.scrollLeft += (box.left + box.right) / 2 - (v.left + v.right) / 2;
    view.scrollTop += (box.top + box.bottom) / 2 - (v.top + v.bottom) / 2;
  }
  function fitHeight(view) {  // the view ends inside the window, so what it shows is on screen
    var top = view.getBoundingClientRect().top + window.scrollY;
    area.style.setProperty("--view-height", Math.round(Math.max(240, window.innerHeight - top - 12)) + "px");
  }
  function inView(element, view) {
    var r = element.getBoundingClientRect(), v = view.getBoundingClientRect();
    return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom &&
      r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  }
  function follow() {  // zoom so the text of the nodes at work is >= 11 px, and centre them in the view
    var frame = frames[current], svg = visibleSvg(frame), view = frame.querySelector(".view");
    var focus = asking(frame) ? document.getElementById(frame.dataset.focus) : null;
    fitHeight(view);
    if (!area.classList.contains("follow")) {
      area.style.setProperty("--width", Math.round(view.clientWidth * level) + "px");
      keepInSight(focus, view);
      return;
    }
    var box = svg.viewBox.baseVal, shown = svg.getBoundingClientRect();
    if (!box || !box.width || !shown.width) return;
    var scale = shown.width / box.width, smallest = Infinity;
    parts(frame).forEach(function (part) {
      part.querySelectorAll("text").forEach(function (t) {
        var h = t.getBoundingClientRect().height;
        if (h > 0) smallest = Math.min(smallest, h / scale);
      });
    });
    if (smallest === Infinity) smallest = 10;
    // text of 13 px; a drawing narrower than the view grows to its width, but not past 16 px text
    var width = box.width * 13 / smallest;
    if (width < view.clientWidth) width = Math.min(view.clientWidth, box.width * 16 / smallest);
    area.style.setProperty("--width", Math.round(width) + "px");
    var all = bounds(parts(frame)), v = view.getBoundingClientRect();
    if (focus && (!all || all.right - all.left > v.width || all.bottom - all.top > v.height)) {
      all = bounds([focus]);  // the step's parts do not fit: the asked node comes first
    }
    if (all) centre(view, all);
    keepInSight(focus, view);
  }
  function keepInSight(focus, view) {  // the asked node, while its question waits
    if (!focus || inView(focus, view)) return;
    var box = bounds([focus]);
    if (box) centre(view, box);
    if (!inView(focus, view)) focus.scrollIntoView({block: "nearest", inline: "nearest"});
  }
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    var from = frames[current].querySelector(".view");
    frames[current].hidden = true;
    items[current].classList.remove("current");
    current = k;
    frames[k].hidden = false;
    items[k].classList.add("current");
    counter.textContent = "Step " + (k + 1) + " / " + frames.length;
    prev.disabled = k === 0;
    next.disabled = k === frames.length - 1;
    try { history.replaceState(null, "", "#step=" + (k + 1)); } catch (e) { /* file:// in some browsers */ }
    var view = frames[k].querySelector(".view");
    if (!area.classList.contains("follow") && view !== from) {  // the whole graph stays put
      view.scrollLeft = from.scrollLeft; view.scrollTop = from.scrollTop;
    }
    var input = frames[k].querySelector(".quiz input");
    if (input && !input.disabled) input.focus({preventScroll: true});
    follow();
  }
  function reveal(frame) {
    frame.querySelectorAll(".unanswered").forEach(function (e) { e.classList.remove("unanswered"); });
    frame.querySelectorAll("svg.question").forEach(function (e) { e.classList.add("answered"); });
  }
  document.querySelectorAll("form.quiz").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = form.querySelector("input"), verdict = form.querySelector(".verdict");
      var given = Number(input.value.trim().replace("\\u2212", "-")), answer = parseFloat(form.dataset.answer);
      if (input.disabled) return;
      if (!input.value.trim() || !isFinite(given)) { verdict.textContent = "type a number"; return; }
      var ok = Math.abs(given - answer) <= Math.max(0.01 * Math.abs(answer), 1e-4);
      input.disabled = true;
      form.querySelector("button").disabled = true;
      asked += 1; right += ok ? 1 : 0;
      verdict.className = "verdict " + (ok ? "right" : "wrong");
      verdict.textContent = ok ? "right!" : "not quite: it is " + form.dataset.shown + ". The step:";
      form.closest("figure").dataset.result = ok ? "right" : "wrong";
      score.textContent = "Score " + right + " / " + asked;
      reveal(form.closest("figure"));
      follow();
    });
  });
  function setLevel(to) {  // zoom the whole graph about the middle of the view
    var view = frames[current].querySelector(".view");
    var cx = (view.scrollLeft + view.clientWidth / 2) / view.scrollWidth;
    var cy = (view.scrollTop + view.clientHeight / 2) / view.scrollHeight;
    level = Math.max(1, Math.min(MAX_LEVEL, to));
    follow();
    view.scrollLeft = cx * view.scrollWidth - view.clientWidth / 2;
    view.scrollTop = cy * view.scrollHeight - view.clientHeight / 2;
    if (asking(frames[current])) keepInSight(document.getElementById(frames[current].dataset.focus), view);
    zoomOut.disabled = level <= 1; zoomIn.disabled = level >= MAX_LEVEL;
  }
  zoom.addEventListener("click", function () {
    var whole = area.classList.toggle("follow") === false;
    zoom.setAttribute("aria-pressed", String(whole));
    zoomIn.hidden = zoomOut.hidden = !whole;
    level = 1;
    setLevel(1);
  });
  zoomIn.addEventListener("click", function () { setLevel(level * 1.5); });
  zoomOut.addEventListener("click", function () { setLevel(level / 1.5); });
  area.addEventListener("pointerdown", function (e) {  // drag the drawing to pan
    var view = e.target.closest && e.target.closest(".view");
    if (!view || e.button !== 0) return;
    var x = e.clientX, y = e.clientY, left = view.scrollLeft, top = view.scrollTop;
    function move(m) { view.scrollLeft = left - (m.clientX - x); view.scrollTop = top - (m.clientY - y); }
    function up() { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); }
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  });
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  items.forEach(function (item, k) { item.addEventListener("click", function () { show(k); }); });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "INPUT") return;  // typing an answer
    if (e.key === "ArrowRight" || e.key === "ArrowDown") { show(current + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { show(current - 1); e.preventDefault(); }
    else if (e.key === "Home") { show(0); } else if (e.key === "End") { show(frames.length - 1); }
    else if ((e.key === "+" || e.key === "=") && !zoomIn.hidden) { setLevel(level * 1.5); }
    else if (e.key === "-" && !zoomOut.hidden) { setLevel(level / 1.5); }
  });
  window.addEventListener("resize", follow);
  function fromAddress() {  // #step=5 opens step 5, on load and when the address changes
    var m = /step=(\\d+)/.exec(location.hash);
    return m ? parseInt(m[1], 10) - 1 : null;
  }
  window.addEventListener("hashchange", function () { var k = fromAddress(); if (k !== null) show(k); });
  var k = fromAddress();
  show(k === null ? 0 : k);
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


def _figure(trace, k: int, prefix: str, frame: tuple, hidden: bool = False, question=None,
            asked: tuple | None = None) -> str:
    """Step ``k`` as a ``<figure>``: its equation, notes and drawing. With ``question`` (a
    :class:`~autograd.tools.tracing.Question`) and ``asked`` (the frame drawn as a question) the
    step first asks: a form, the question drawing, and the explanation and drawing of the answer
    hidden until the form is answered. ``data-focus`` names the asked node's box in the question
    drawing, which the page keeps in view while the question waits."""
    step = trace.steps[k]
    drawing, svg = frame
    notes = "".join(f'<p class="note">&#9888; {_text(note)}</p>' for note in step.notes)
    notes = f'<div class="notes">{notes}</div>\n' if notes else ""
    highlighted = " ".join(f"{prefix}-{part}" for part in drawing.highlighted)
    quiz, hide, extra, drawings = "", "", "", inline_svg(svg, prefix + "-")
    equation = step.text
    if question is not None:
        hide = " unanswered"
        equation = question.explanation
        q_drawing, q_svg = asked
        extra = (f' data-question="{" ".join(f"{prefix}-q-{part}" for part in q_drawing.highlighted)}"'
                 f' data-focus="{prefix}-q-{q_drawing.node_id(question.node)}"')
        quiz = (f'<form class="quiz" data-answer="{question.answer!r}" data-shown="{_text(question.shown)}">'
                f'<span class="kind backward">predict</span> {_text(question.prompt)} '
                f'<label>{_text(question.asks)} = <input type="text" inputmode="decimal" autocomplete="off" '
                f'aria-label="your value of {_text(question.asks)}"></label> <button type="submit">Check</button> '
                f'<span class="verdict" aria-live="polite"></span></form>\n')
        drawings = (_classed(inline_svg(q_svg, prefix + "-q-"), "question")
                    + _classed(drawings, "answer unanswered"))
    return (f'<figure class="frame" id="{prefix}" data-step="{k}" data-kind="{step.kind}" '
            f'data-highlighted="{highlighted}"{extra}{" hidden" if hidden else ""}>\n{quiz}'
            f'<p class="equation{hide}"><span class="kind {step.kind}">{step.kind}</span> '
            f'{_text(equation)}</p>\n{notes}'
            f'<div class="view">{drawings}</div>\n</figure>')


def _listed(step, quiz: bool) -> str:
    """A step as the list under the drawing shows it: in a quiz, a backward step without its numbers."""
    if quiz and step.kind == "backward":
        return step.text.split(" = ")[0] + " = ?"
    return step.text


def _classed(svg: str, classes: str) -> str:
    return svg.replace("<svg ", f'<svg class="{classes}" ', 1)


def _next_prefix(k: int) -> str:
    """An id prefix no other fragment in the notebook uses."""
    return f"gg{next(_strips)}-f{k}"


def frame_html(trace, k: int) -> str:
    """One frame as an HTML fragment: its equation above its drawing (used by notebooks and the widget)."""
    return _figure(trace, k, _next_prefix(k), trace.rendered_frames([k])[0])


def page(trace, questions=None, **draw_options: Any) -> str:
    """The whole stepper page as a string; ``draw_options`` go to every frame (see ``Trace.frame``).
    ``questions`` (``Trace.questions``; None: no quiz) are asked before their steps are shown."""
    quiz = questions is not None
    name = _text(trace.root.label or trace.notation[trace.root])
    rendered = trace.rendered_frames(range(len(trace)), **draw_options)  # side by side, up front
    by_step = {q.step: q for q in questions or ()}
    asked: dict[int, tuple] = {}
    for kind in ("gradient", "contribution"):
        ks = [k for k, q in by_step.items() if q.kind == kind]
        asked.update(zip(ks, trace.rendered_frames(ks, ask=kind, **draw_options)))
    frames = "\n".join(_figure(trace, k, f"f{k}", frame, hidden=k > 0, question=by_step.get(k),
                               asked=asked.get(k))
                       for k, frame in enumerate(rendered))
    steps = "\n".join(f'<li value="{k + 1}">{_text(_listed(s, quiz))}</li>' for k, s in enumerate(trace))
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
<button id="zoom" type="button" aria-pressed="false" title="fit the whole drawing to the window (instead of following the step)">Whole graph</button>
<button id="zoom-out" type="button" hidden disabled title="zoom out (-)">&minus;</button>
<button id="zoom-in" type="button" hidden title="zoom in (+); drag the drawing to move around">+</button>
<span id="score">{"Score 0 / 0" if quiz else ""}</span>
<span class="hint">arrow keys step; click a step below to jump; drag the drawing to pan{"; type your value and press Enter" if quiz else ""}</span>
</div>
<main id="frames" class="follow">
{frames}
</main>
<ol id="steps">
{steps}
</ol>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def write_page(trace, path=None, questions=None, **draw_options: Any) -> str:
    """The page as a string; also written (UTF-8) to ``path`` when one is given, atomically
    (:func:`autograd.files.write_atomically`: a failed write raises FileWriteError naming the
    path and the reason, and leaves the old file as it was)."""
    text = page(trace, questions, **draw_options)
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise FileWriteError(f"Trace.to_html: path must be a file name (str or Path), got "
                                 f"{type(path).__name__} {path!r:.40}")
        write_atomically(path, text.encode("utf-8"), _write_error)
    return text


def _write_error(message: str) -> FileWriteError:
    return FileWriteError(f"Trace.to_html: {message}")


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
