"""The steppers: one self-contained HTML page, a static filmstrip, and the ipywidgets stepper."""

import base64
import hashlib
import re
import sys

import pytest

import autograd as ag
from autograd import Value, trace
from autograd.tools.tracing import TraceError

EVIL = "<script>alert(1)</script>"


def neuron():
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    z = w * x + b; z.label = "z"
    y = z.sigmoid(); y.label = "y"
    return y


@pytest.fixture(scope="module")
def page():
    return trace(neuron()).to_html()


def test_the_page_has_one_frame_per_step_and_shows_the_first(page):
    frames = re.findall(r'<figure class="frame" id="f(\d+)" data-step="\d+" data-kind="(\w+)" '
                        r'data-highlighted="[^"]*"( hidden)?>', page)
    assert [int(k) for k, _, _ in frames] == list(range(9))
    assert [kind for _, kind, _ in frames] == ["forward"] * 3 + ["seed"] + ["backward"] * 5
    assert [hidden for _, _, hidden in frames] == [""] + [" hidden"] * 8
    assert page.count("<svg") == 9
    assert '<span id="counter">Step 1 / 9</span>' in page
    assert "z = w * x + b = 1 + (-1) = 0" in page            # the equations are in the page
    assert 'id="f7" data-step="7" data-kind="backward" data-highlighted="f7-e2_0 f7-o2 f7-r2 f7-v0 f7-v2"' in page


def test_the_page_loads_nothing_from_the_network(page):
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert not re.search(r'\b(src|href)="(?!#)', page)      # no external scripts, styles, images
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert set(re.findall(r'https?://[^\s"\'<>]+', page)) <= namespaces
    assert "default-src 'none'" in page


def test_only_the_pages_own_script_may_run(page):
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1 and page.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page


def test_every_id_in_the_page_is_unique(page):
    ids = re.findall(r'\bid="([^"]*)"', page)
    assert len(ids) == len(set(ids)) > 9 * 10


def test_a_label_with_a_script_tag_is_escaped_everywhere():
    x = Value(1.0, label=EVIL)
    y = (x * 2).relu(); y.label = f'"{EVIL}'
    page = trace(y).to_html()
    assert page.count("<script") == 1                         # ours; the labels are text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    strip = trace(y).filmstrip()._repr_html_()
    assert "<script" not in strip and "&lt;script&gt;" in strip


def test_to_html_writes_the_page_to_a_file(tmp_path):
    t = trace(neuron())
    path = tmp_path / "stepper.html"
    text = t.to_html(path)
    assert path.read_text(encoding="utf-8") == text


def test_any_label_makes_a_page_that_encodes_as_utf8(tmp_path):
    x = Value(1.0, label="bad \ud800 half \x07")            # a lone surrogate and a control character
    y = (x * 2).tanh(); y.label = "\udfff"
    text = trace(y).to_html(tmp_path / "page.html")
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == text
    assert "bad \\ud800 half \\x07" in text and "\\udfff" in text   # shown as escapes, as draw does


def svg_size(svg):
    return [float(n) for n in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()]


def test_to_html_passes_drawing_options_to_every_frame():
    t = trace(neuron())
    wide, high = svg_size(t.svg(0))
    page = t.to_html(rankdir="TB", number_format=".2f")
    sizes = [svg_size(svg) for svg in re.findall(r"<svg\b[^>]*>", page)]
    assert len(sizes) == 9 and all(h > w for w, h in sizes) and wide > high   # top to bottom, not LR
    assert "data 0.50" in page and "z = w * x + b = 1 + (-1) = 0" in page     # frames .2f, text as traced
    assert t.svg(0) != t.svg(0, rankdir="TB") == trace(neuron()).svg(0, rankdir="TB")
    with pytest.raises(ag.DrawingError, match="took more than 1e-09 s"):
        trace(neuron()).to_html(timeout=1e-9)


def test_the_filmstrip_is_static_and_keeps_the_last_step():
    t = trace(neuron())
    strip = t.filmstrip(every=4)
    assert strip.steps == [0, 4, 8]
    html = strip._repr_html_()
    assert html.count("<svg") == 3 and "<script" not in html
    assert "step 9 of 9" in html and "∂y/∂x = 0.125" in html
    assert repr(strip).splitlines()[1].startswith("step 5 of 9 · backward: ∂y/∂z += ")
    with pytest.raises(TraceError, match="9 frames is more than max_frames=4; pass every=3"):
        t.filmstrip(max_frames=4)
    with pytest.raises(ValueError, match="every must be a positive int, got 0"):
        t.filmstrip(every=0)


def test_a_trace_shows_its_current_frame_in_a_notebook():
    t = trace(neuron())
    t.goto(4)
    html = t._repr_html_()
    assert "step 5 of 9" in html and "∂y/∂z += " in html


def test_the_widget_moves_the_frame_with_the_slider_and_the_buttons():
    t = trace(neuron())
    box = t.widget()
    prev, slider, nxt, whole = box.children[0].children
    shown = box.children[1]
    assert "step 1 of 9" in shown.value and (slider.min, slider.max, slider.value) == (1, 9, 1)  # from 1
    slider.value = 6
    assert t.step == 5 and "step 6 of 9" in shown.value       # the slider shows step 6: t[5]
    nxt.click()
    assert slider.value == 7 and "step 7 of 9" in shown.value
    prev.click(); prev.click()
    assert t.step == 4 and "step 5 of 9" in shown.value


def test_the_widget_quiz_asks_before_it_shows_and_keeps_score():
    t = trace(neuron())
    box = t.widget(quiz=True)
    (prev, slider, nxt, whole), shown, (answer, check, verdict, score) = box.children[0].children, \
        box.children[1], box.children[2].children
    first = t.forward_steps + 2                              # the first backward step, as people count
    slider.value = first
    assert "predict" in shown.value and "0.25 · 1" not in shown.value and "grad 0.25" not in shown.value
    assert "so ∂y/∂z" not in shown.value                      # the answer is kept back
    answer.value = 0.25
    check.click()
    assert "right!" in verdict.value and score.value == "Score 1 / 1"
    assert "∂y/∂z = ∂y/∂y · ∂sigmoid(z)/∂z = ∂y/∂y · y(1 - y) = 1 · 0.5(1 - 0.5) = 0.25" in shown.value
    nxt.click()
    answer.value = 0.3
    check.click()
    assert "not quite: it is 0.25" in verdict.value and score.value == "Score 1 / 2"
    assert "∂y/∂(w * x) = ∂y/∂z · ∂z/∂(w * x) = ∂y/∂z · 1 = 0.25 · 1 = 0.25" in shown.value   # after the miss
    slider.value = 1
    assert "predict" not in shown.value and check.disabled    # forward steps ask nothing


def test_the_widget_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)      # as if it were not installed
    with pytest.raises(ImportError, match=r'pip install "glassgrad\[widgets\]"'):
        trace(neuron()).widget()


def test_frames_are_refused_above_the_node_cap():
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y + 1
    with pytest.raises(TraceError, match="Trace.to_html: the graph has 301 nodes"):
        trace(y).to_html()


def test_the_page_shows_the_diagnostics_of_a_step():
    h = Value(-2.0, label="h")
    page = trace(h.relu() * 3).to_html()
    assert '<p class="note">&#9888; ReLU is off (input -2 &lt;= 0): it passes no gradient</p>' in page


def test_to_html_into_a_missing_folder_is_a_file_write_error_naming_the_path(tmp_path):
    target = tmp_path / "no such folder" / "steps.html"
    with pytest.raises(ag.FileWriteError, match=r"Trace.to_html: cannot write '.*no such folder/steps.html': "
                                                r"the folder '.*no such folder' does not exist"):
        trace(neuron()).to_html(target)
    assert not target.parent.exists()


def test_a_failed_to_html_keeps_the_old_page_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "steps.html"
    path.write_text("the old page", encoding="utf-8")
    path.chmod(0o444)                                          # read-only: "do not overwrite"
    with pytest.raises(ag.FileWriteError, match=r"steps.html': the file is read-only"):
        trace(neuron()).to_html(path)
    assert path.read_text(encoding="utf-8") == "the old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]
    with pytest.raises(ag.FileWriteError, match="path must be a file name .str or Path., got int 3"):
        trace(neuron()).to_html(3)


def test_to_html_replaces_a_page_atomically_with_what_it_returns(tmp_path):
    path = tmp_path / "steps.html"
    path.write_text("the old page", encoding="utf-8")
    text = trace(neuron()).to_html(path, quiz=True)
    assert path.read_bytes() == text.encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]


def in_view_box(html: str, element: str) -> bool:
    """Whether the element (``v5``) of the one drawing in ``html`` lies inside the drawing's viewBox."""
    from autograd.tools.zoom import element_box
    prefix = re.search(rf'id="([^"]*-){element}"', html)[1]
    svg = html[html.index("<svg"):]
    left, top, width, height = map(float, re.search(r'viewBox="([^"]*)"', svg)[1].split())
    dx, dy = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", svg).groups())
    x0, y0, x1, y1 = element_box(svg, prefix + element)
    return left <= x0 + dx and x1 + dx <= left + width and top <= y0 + dy and y1 + dy <= top + height


def test_the_widget_quiz_asks_a_whole_gradient_with_the_asked_node_in_view():
    from test_tracing import two_two_one
    from test_quiz import nodes_by_label, params_of
    L = two_two_one()
    t = trace(L)
    yhat = nodes_by_label(L)["yhat"]
    q = next(q for q in t.questions(params=params_of(L)) if q.node is yhat)
    box = t.widget(quiz=True, params=params_of(L))
    (prev, slider, nxt, whole), shown, (answer, check, verdict, score) = box.children[0].children, \
        box.children[1], box.children[2].children
    slider.value = next(s for s in t if s.kind == "backward" and s.parent is yhat).index + 1
    assert "predict" not in shown.value and check.disabled     # the first of yhat's contributions: shown
    slider.value = q.step + 1
    assert "yhat has 2 uses" in shown.value and "grad -2.075" not in shown.value and not check.disabled
    node = t.frame(q.step).node_id(yhat)
    assert in_view_box(shown.value, node)                       # cropped around the asked node, at scale 1
    for other in t.questions(params=params_of(L)):             # and so every question of the quiz
        slider.value = other.step + 1
        assert in_view_box(shown.value, t.frame(other.step).node_id(other.node)), t.notation[other.node]
    slider.value = q.step + 1
    width = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', shown.value)[1])
    assert width <= 720 < float(re.search(r'<svg width="([\d.]+)pt"', t.svg(q.step))[1])
    whole.value = True
    assert f'viewBox="0.00 0.00' in shown.value                  # the whole drawing, fitted to the width
    whole.value = False
    answer.value = -2.075
    check.click()
    assert "right!" in verdict.value and score.value == "Score 1 / 1"
    assert q.explanation in shown.value.replace("&#x27;", "'")    # the sum over both uses, with numbers
