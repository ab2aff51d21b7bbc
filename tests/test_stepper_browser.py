"""The HTML stepper in a real browser: headless Chromium, pressing Next, reading the page, screenshots.

Chromium is driven with the DevTools protocol over a pipe (``tests/chromium_devtools.py``), so
the test needs no server and no extra package. The screenshots are left in the temp directory
(``glassgrad_stepper_before.png`` / ``_after.png``) for a person to look at.
"""

import base64
import io
import tempfile
import time
from pathlib import Path

import pytest

from autograd import Value, trace
from chromium_devtools import CHROMIUM, Chromium

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (CI installs it)")

HIGHLIGHT = (0xD6, 0x27, 0x28)  # the drawing's highlight colour, #d62728
SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def browser(tmp_path):
    chromium = Chromium(tmp_path / "profile", ["--host-resolver-rules=MAP * ~NOTFOUND"])
    yield chromium
    chromium.close()


# what a reader sees: the visible frame, its equation, the counter and the highlighted SVG elements
SHOWN = """(() => {
  const frames = [...document.querySelectorAll("figure.frame")].filter(f => !f.hidden);
  const frame = frames[0];
  const svg = frame.querySelector("svg").getBoundingClientRect();
  const red = [...frame.querySelectorAll('[stroke="#d62728"]')]
      .filter(e => e.getBoundingClientRect().width > 0)
      .map(e => e.closest("g.node, g.edge").id);
  return {visible: frames.length, step: +frame.dataset.step, counter: document.getElementById("counter").textContent,
          equation: frame.querySelector(".equation").textContent, highlighted: [...new Set(red)].sort(),
          svg: [svg.left, svg.top, svg.right, svg.bottom]};
})()"""


def neuron():
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    z = w * x + b; z.label = "z"
    y = z.sigmoid(); y.label = "y"
    return y


def open_page(browser: Chromium, url: str) -> None:
    browser.page("Page.enable")
    browser.page("Page.navigate", url=url)
    deadline = time.monotonic() + 20
    while browser.evaluate("document.readyState") != "complete" or browser.evaluate(
            "document.getElementById('counter') === null"):
        assert time.monotonic() < deadline, "the page did not load"
        time.sleep(0.05)


def press(browser: Chromium, key: str, code: int) -> None:
    for kind in ("keyDown", "keyUp"):
        browser.page("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                     windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)


def enter(browser: Chromium) -> None:
    """Press Enter in the focused field (with its text, so a form is submitted)."""
    browser.page("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter", text="\r",
                 windowsVirtualKeyCode=13, nativeVirtualKeyCode=13)
    browser.page("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter",
                 windowsVirtualKeyCode=13, nativeVirtualKeyCode=13)


def screenshot(browser: Chromium, name: str) -> Path:
    png = base64.b64decode(browser.page("Page.captureScreenshot", format="png")["data"])
    path = SHOTS / name
    path.write_bytes(png)
    return path


def highlighted_pixels(path: Path, box) -> int:
    import numpy as np
    from PIL import Image  # matplotlib's dependency, so in the dev extras

    image = Image.open(io.BytesIO(path.read_bytes())).convert("RGB")
    region = np.asarray(image.crop(tuple(int(v) for v in box)), dtype=int)
    return int((np.abs(region - HIGHLIGHT) <= 12).all(axis=-1).sum())


def test_pressing_next_moves_the_highlight_and_the_equation(browser, tmp_path):
    t = trace(neuron())
    page = tmp_path / "stepper.html"
    t.to_html(page)
    browser.page("Network.enable")
    open_page(browser, page.as_uri())
    browser.evaluate("document.getElementById('zoom').click()")   # the whole graph: it stays put

    before = browser.evaluate(SHOWN)
    assert before["visible"] == 1 and before["step"] == 0 and before["counter"] == "Step 1 / 9"
    assert before["equation"] == "forward w * x = 0.5 * 2 = 1"
    # SVG ids are positions in the topological order: w 0, x 1, w*x 2, b 3, z 4, y 5 (v value, o op, e edge)
    assert before["highlighted"] == ["f0-e2_0", "f0-e2_1", "f0-o2", "f0-r2", "f0-v2"]   # w*x: edges in, op, result
    shot_before = screenshot(browser, "glassgrad_stepper_before.png")

    press(browser, "ArrowRight", 39)
    after_key = browser.evaluate(SHOWN)
    assert after_key["step"] == 1 and after_key["counter"] == "Step 2 / 9"
    assert after_key["equation"] == "forward z = w * x + b = 1 + (-1) = 0"
    assert after_key["highlighted"] == ["f1-e4_0", "f1-e4_1", "f1-o4", "f1-r4", "f1-v4"]   # z = w*x + b

    x, y = browser.evaluate("""(() => { const r = document.getElementById("next").getBoundingClientRect();
                                         return [r.x + r.width / 2, r.y + r.height / 2]; })()""")
    for _ in range(6):                                       # click Next with the mouse, to step 8
        for kind in ("mousePressed", "mouseReleased"):
            browser.page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    after = browser.evaluate(SHOWN)
    assert after["step"] == 7 and after["counter"] == "Step 8 / 9"
    assert after["equation"] == "backward ∂y/∂w += ∂y/∂(w * x) · ∂(w * x)/∂w = ∂y/∂(w * x) · x = 0.25 · 2 = 0.5, so ∂y/∂w = 0.5"
    # the edge w -> *, with the way back from w*x (its grad is upstream) to w (which receives)
    assert after["highlighted"] == ["f7-e2_0", "f7-o2", "f7-r2", "f7-v0", "f7-v2"]
    assert before["svg"] == after_key["svg"] == after["svg"]       # the drawing did not move or resize
    shot_after = screenshot(browser, "glassgrad_stepper_after.png")

    assert highlighted_pixels(shot_before, before["svg"]) > 100     # the red highlight is on screen
    assert highlighted_pixels(shot_after, after["svg"]) > 100
    assert shot_before.read_bytes() != shot_after.read_bytes()

    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert requests and all(url.startswith("file://") for url in requests)   # nothing from the network


def test_the_page_opens_at_the_step_in_its_address_and_left_goes_back(browser, tmp_path):
    page = tmp_path / "stepper.html"
    trace(neuron()).to_html(page)
    open_page(browser, page.as_uri() + "#step=4")
    assert browser.evaluate(SHOWN)["equation"] == "seed ∂y/∂y = 1 (backprop starts at the output)"
    press(browser, "ArrowLeft", 37)
    shown = browser.evaluate(SHOWN)
    assert shown["step"] == 2 and shown["equation"].endswith("y = sigmoid(z) = sigmoid(0) = 0.5")
    assert browser.evaluate("location.hash") == "#step=3"


def test_stepping_never_moves_the_drawing(browser, tmp_path):
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    y = (w * x + b).sigmoid(); y.label = "y"                 # z unlabelled: "w * x + b" makes long equations
    page = tmp_path / "stepper.html"
    trace(y).to_html(page)
    open_page(browser, page.as_uri())
    browser.evaluate("document.getElementById('zoom').click()")   # the whole graph
    text_height = """(() => { const range = document.createRange();   // of the text, not of its grid row
        range.selectNodeContents(document.querySelector("figure.frame:not([hidden]) .equation"));
        return range.getBoundingClientRect().height; })()"""
    drawings, equations = set(), set()
    for _ in range(9):
        drawings.add(tuple(browser.evaluate(SHOWN)["svg"]))
        equations.add(round(browser.evaluate(text_height)))
        press(browser, "ArrowRight", 39)
    assert len(equations) > 1                                 # one-line and two-line equations...
    assert len(drawings) == 1                                 # ...and the drawing stays put


FOLLOWED = """(() => { const frame = document.querySelector("figure.frame:not([hidden])");
    const view = frame.querySelector(".view").getBoundingClientRect();
    const svg = [...frame.querySelectorAll("svg")].filter(s => s.getBoundingClientRect().width > 0)[0];
    const parts = frame.dataset.highlighted.split(" ").map(id => document.getElementById(id))
        .filter(p => p && p.getBoundingClientRect().width > 0);
    const texts = parts.flatMap(p => [...p.querySelectorAll("text")]).map(t => t.getBoundingClientRect().height);
    const inside = parts.every(p => { const r = p.getBoundingClientRect();
        return r.left >= view.left - 1 && r.right <= view.right + 1 && r.top >= view.top - 1 && r.bottom <= view.bottom + 1; });
    return {wide: svg.getBoundingClientRect().width > view.width + 1, inside: parts.length > 0 && inside,
            smallest: Math.min(...texts)}; })()"""


def course_network_221():
    from test_tracing import two_two_one
    return two_two_one()


def test_the_page_follows_the_step_with_readable_text_and_whole_graph_fits(browser, tmp_path):
    t = trace(course_network_221())
    page = tmp_path / "stepper.html"
    t.to_html(page)
    open_page(browser, page.as_uri())
    for k in (0, t.forward_steps, len(t) - 1):              # the first dot, the seed (far right), the last edge
        open_page(browser, page.as_uri() + f"#step={k + 1}")
        shown = browser.evaluate(FOLLOWED)
        assert shown["wide"] and shown["inside"], (k, shown)
        assert shown["smallest"] >= 11, (k, shown)          # readable without pressing anything
    screenshot(browser, "glassgrad_stepper_follow.png")
    browser.evaluate("document.getElementById('zoom').click()")
    assert browser.evaluate("document.getElementById('zoom').getAttribute('aria-pressed')") == "true"
    whole = browser.evaluate(FOLLOWED)
    assert not whole["wide"] and whole["smallest"] < 11       # the whole graph, fitted to the window


def test_the_quiz_checks_a_right_and_a_wrong_answer_and_keeps_score(browser, tmp_path):
    t = trace(neuron())
    page = tmp_path / "quiz.html"
    t.to_html(page, quiz=True)
    first = t.forward_steps + 1                              # the first backward step: dy/dz = 0.25
    open_page(browser, page.as_uri() + f"#step={first + 1}")
    state = """(() => { const f = document.querySelector("figure.frame:not([hidden])");
        const shown = e => e && e.getBoundingClientRect().height > 0;
        return {equation: shown(f.querySelector(".equation")), verdict: f.querySelector(".verdict").textContent,
                score: document.getElementById("score").textContent, answerDrawing: shown(f.querySelector("svg.answer")),
                question: f.querySelector(".quiz").textContent}; })()"""
    before = browser.evaluate(state)
    assert before["equation"] is False and before["answerDrawing"] is False   # nothing given away yet
    question_svg = browser.evaluate("document.querySelector('figure.frame:not([hidden]) svg.question').textContent")
    assert "grad 0.25" not in question_svg and "grad ?" in question_svg   # the drawing keeps the answer back
    assert before["question"].startswith("predict ∂y/∂z = ∂y/∂y · ∂sigmoid(z)/∂z (z has one use: y). What is ∂y/∂z?")
    assert before["score"] == "Score 0 / 0"
    browser.page("Input.insertText", text="0.25")            # the input has the focus
    enter(browser)
    right = browser.evaluate(state)
    assert right["verdict"] == "right!" and right["score"] == "Score 1 / 1"
    assert right["equation"] and right["answerDrawing"]
    screenshot(browser, "glassgrad_quiz_right.png")

    browser.evaluate("document.getElementById('next').click()")   # dy/d(w*x) = 0.25: answer 0.3
    browser.evaluate("document.querySelector('figure.frame:not([hidden]) .quiz input').focus()")
    browser.page("Input.insertText", text="0.3")
    enter(browser)
    wrong = browser.evaluate(state)
    assert wrong["verdict"] == "not quite: it is 0.25. The step:" and wrong["score"] == "Score 1 / 2"
    assert wrong["equation"]                                  # the explanation, after the miss
    screenshot(browser, "glassgrad_quiz_wrong.png")
    press(browser, "ArrowRight", 39)                          # typing done: the arrows step again
    assert browser.evaluate("document.getElementById('counter').textContent") == f"Step {first + 3} / {len(t)}"
