"""The quiz page and the "Whole graph" view in headless Chromium: the asked node is on screen while its
question waits, a right answer, a wrong one, the score; the whole graph zooms to readable text and pans.

Screenshots are left in the temp directory (``glassgrad_quiz_*.png``, ``glassgrad_whole_*.png``)
for a person to look at.
"""

import pytest

from autograd import trace
from test_quiz import nodes_by_label, params_of
from test_stepper_browser import CHROMIUM, browser, enter, open_page, screenshot  # noqa: F401 (a fixture)
from test_tracing import two_two_one

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (CI installs it)")

# the frame shown, its question (if any), and where the asked node is: inside the view and the window?
ASKED = """(() => {
  const f = document.querySelector("figure.frame:not([hidden])");
  const shown = e => !!e && e.getBoundingClientRect().height > 0;
  const focus = f.dataset.focus ? document.getElementById(f.dataset.focus) : null;
  const view = f.querySelector(".view").getBoundingClientRect(), r = focus && focus.getBoundingClientRect();
  const inside = !!r && r.width > 0 && r.left >= view.left - 1 && r.right <= view.right + 1
      && r.top >= view.top - 1 && r.bottom <= view.bottom + 1
      && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
  const texts = focus ? [...focus.querySelectorAll("text")].map(t => t.getBoundingClientRect().height) : [];
  return {step: +f.dataset.step, asking: shown(f.querySelector("svg.question")),
          answerShown: shown(f.querySelector("svg.answer")), equation: shown(f.querySelector(".equation")),
          question: f.querySelector(".quiz") ? f.querySelector(".quiz").textContent : null,
          verdict: f.querySelector(".verdict") ? f.querySelector(".verdict").textContent : null,
          inside: inside, text: Math.min(...texts), score: document.getElementById("score").textContent,
          focusText: focus ? focus.textContent : null};
})()"""


def quiz_page(tmp_path):
    L = two_two_one()
    t = trace(L)
    page = tmp_path / "quiz.html"
    t.to_html(page, quiz=True, params=params_of(L))
    return L, t, page


def click(browser, element_id: str) -> None:
    browser.evaluate(f"document.getElementById({element_id!r}).click()")


def test_every_question_keeps_its_node_in_view_until_answered(browser, tmp_path):
    L, t, page = quiz_page(tmp_path)
    questions = t.questions(params=params_of(L))
    asked = {q.step for q in questions}
    open_page(browser, page.as_uri())
    seen = []
    for k in range(len(t)):                                  # Next, as a learner steps (the field has the focus)
        shown = browser.evaluate(ASKED)
        assert shown["step"] == k
        if k in asked:
            q = next(q for q in questions if q.step == k)
            seen.append(k)
            assert shown["asking"] and not shown["answerShown"] and not shown["equation"], shown
            assert shown["inside"] and shown["text"] >= 11, (k, shown)   # on screen, readable
            assert t.notation[q.node] in shown["focusText"] and "grad ?" in shown["focusText"]
            assert shown["question"].startswith(f"predict {q.prompt}")
        else:
            assert not shown["asking"] and shown["equation"]
        click(browser, "next")
    assert seen == sorted(asked) and len(seen) == 20         # 44 steps, 20 questions with params


def test_the_learners_derivative_is_right_a_wrong_one_is_told_and_the_score_kept(browser, tmp_path):
    L, t, page = quiz_page(tmp_path)
    yhat = nodes_by_label(L)["yhat"]
    q = next(q for q in t.questions(params=params_of(L)) if q.node is yhat)
    first_contribution = next(s for s in t if s.kind == "backward" and s.parent is yhat)
    open_page(browser, page.as_uri() + f"#step={first_contribution.index + 1}")
    assert not browser.evaluate(ASKED)["asking"]             # the running 0 is shown, not asked

    open_page(browser, page.as_uri() + f"#step={q.step + 1}")
    before = browser.evaluate(ASKED)
    assert before["asking"] and before["inside"] and before["score"] == "Score 0 / 0"
    assert "yhat has 2 uses" in before["question"] and q.shown not in before["question"]
    screenshot(browser, "glassgrad_quiz_question.png")
    derived = (yhat.data - 1.0) / (yhat.data * (1 - yhat.data))   # notes' step 1 at y = 1, by hand
    browser.page("Input.insertText", text=f"{derived:.3f}")   # the field has the focus
    enter(browser)
    right = browser.evaluate(ASKED)
    assert right["verdict"] == "right!" and right["score"] == "Score 1 / 1"
    assert right["answerShown"] and right["equation"] and not right["asking"]
    equation = browser.evaluate("document.querySelector('figure.frame:not([hidden]) .equation').textContent")
    assert equation.endswith(f"= {q.shown}") and " + " in equation           # the sum over both uses
    screenshot(browser, "glassgrad_quiz_answered.png")

    click(browser, "next")                                   # dL/dt3: answer with the wrong sign
    t3 = browser.evaluate(ASKED)
    assert t3["asking"] and t3["inside"]
    answer = t.grads[yhat.parents[0]]
    browser.page("Input.insertText", text=f"{-answer:.4f}")
    enter(browser)
    wrong = browser.evaluate(ASKED)
    assert wrong["verdict"] == f"not quite: it is {t.notation.number(answer)}. The step:"
    assert wrong["score"] == "Score 1 / 2" and wrong["equation"] and wrong["answerShown"]
    screenshot(browser, "glassgrad_quiz_wrong_answer.png")


WHOLE = """(() => {
  const f = document.querySelector("figure.frame:not([hidden])"), view = f.querySelector(".view");
  const svg = [...f.querySelectorAll("svg")].filter(s => s.getBoundingClientRect().width > 0)[0];
  const v = view.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("g.node text")].map(t => t.getBoundingClientRect())
      .filter(r => r.height > 0);
  const inView = texts.filter(r => r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom);
  return {smallest: Math.min(...texts.map(r => r.height)), shownTexts: inView.length,
          fits: svg.getBoundingClientRect().width <= v.width + 1, left: view.scrollLeft, top: view.scrollTop,
          pannable: view.scrollWidth > view.clientWidth + 1};
})()"""


def test_the_whole_graph_zooms_to_readable_text_and_pans(browser, tmp_path):
    page = tmp_path / "steps.html"
    trace(two_two_one()).to_html(page)
    open_page(browser, page.as_uri())
    click(browser, "zoom")
    fitted = browser.evaluate(WHOLE)
    assert fitted["fits"] and fitted["smallest"] < 11 and not fitted["pannable"]   # all of it, small
    screenshot(browser, "glassgrad_whole_fitted.png")
    presses = 0
    while browser.evaluate(WHOLE)["smallest"] < 11:
        assert presses < 4, browser.evaluate(WHOLE)
        click(browser, "zoom-in")
        presses += 1
    zoomed = browser.evaluate(WHOLE)
    assert zoomed["pannable"] and zoomed["shownTexts"] > 0       # readable, and some of it in the view
    screenshot(browser, "glassgrad_whole_zoomed.png")

    box = browser.evaluate("(() => { const r = document.querySelector('figure.frame:not([hidden]) .view')"
                           ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    x, y = box
    browser.page("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", clickCount=1)
    browser.page("Input.dispatchMouseEvent", type="mouseMoved", x=x - 300, y=y, button="left", buttons=1)
    browser.page("Input.dispatchMouseEvent", type="mouseReleased", x=x - 300, y=y, button="left", clickCount=1)
    dragged = browser.evaluate(WHOLE)
    assert dragged["left"] == pytest.approx(zoomed["left"] + 300, abs=2)      # dragging pans the drawing

    click(browser, "next")                                          # stepping keeps the zoom and the place
    stepped = browser.evaluate(WHOLE)
    assert stepped["smallest"] >= 11 and (stepped["left"], stepped["top"]) == (dragged["left"], dragged["top"])
    for _ in range(presses):
        click(browser, "zoom-out")
    assert browser.evaluate(WHOLE)["fits"]
    assert browser.evaluate("document.getElementById('zoom-out').disabled")
