"""Labels are the learner's text: quotes, braces, markup, ``<script>``, newlines, any unicode.

Every output that shows a label must stay well-formed and inert:

* DOT: Graphviz renders it (the DOT parses), the SVG is well-formed XML with no script
  element, no event-handler attribute, and the label's text is there to read;
* the stepper page: exactly one ``<script>`` element (the page's own), no event handlers,
  no ``javascript:`` URL, and the page encodes as UTF-8;
* LaTeX: braces balanced, no ``$`` that would leave math mode, no ``\\end`` closing the block;
* Markdown: no HTML tag outside code spans and math, no code span or math block broken by
  a blank line, no table row broken by a newline;
* text: one line per step; JSON: the labels come back exactly.
"""

from __future__ import annotations

import html.parser
import json
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Value

HOSTILE = [
    "<script>alert(1)</script>", "</text></svg><script>x</script>", "<img src=x onerror=alert(1)>",
    '"double" \'single\'', "{braces} [brackets] |pipe|", "back\\slash \\n \\", "}", "{", "\\end{aligned}",
    "new\nline", "blank\n\nline", "tab\there", "\r\n", "\u2028 line separator", "\x00\x01\x1b[31m\x7f",
    "ünïcödé ŷ δ_h 你好 🙂", "\u202e right-to-left", "$x^2$ $$", "`code` ``", "*bold* _em_ # h",
    "]]><!-- -->", "javascript:alert(1)", "&lt;script&gt; &amp; &#x3C;", "x" * 300, "", " ", "W1[0,1]",
    "\\(\\) \\[ \\]", "%comment", "---", "| a | b |",
]
printable_label = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


def graph(label):
    """A small graph with the label on an input, a weight and the output (two ops, a reused node)."""
    x, w = Value(0.5, label=label), Value(-2.0, label=label)
    y = (w * x + x).tanh()
    y.label = label
    return x, w, y


# -- checkers ---------------------------------------------------------------------------------

class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers, self.urls = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "xlink:href", "src", "action") and value and \
                    value.strip().lower().startswith("javascript:"):
                self.urls.append((tag, name, value))


def check_svg(svg: str, label: str):
    root = ET.fromstring(svg.encode("utf-8"))     # well-formed XML
    names = [el.tag.rsplit("}", 1)[-1] for el in root.iter()]
    assert "script" not in names and "foreignObject" not in names
    assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
    texts = " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text"))
    texts = texts.replace("\u2060", "")   # a word joiner after & keeps Graphviz from reading entities
    shown = label.split("\n")[0].strip()
    if shown and shown.isprintable() and len(shown) < 40:
        assert shown in texts, (shown, texts[:300])


def check_page(page: str):
    page.encode("utf-8")
    tags = _Tags()
    tags.feed(page)
    assert tags.tags.count("script") == 1, tags.tags.count("script")
    assert not tags.handlers and not tags.urls
    assert len(re.findall(r"<script\b", page, re.I)) == 1


def _unescaped(text: str, ch: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*" + re.escape(ch), text)) - len(re.findall(r"(?<!\\)(?:\\\\)*\\" + re.escape(ch), text))


def check_latex(latex: str):
    body = re.sub(r"\\\\", "", latex)                  # line breaks \\ of the aligned block
    body = re.sub(r"\\[{}$%#&_]", "", body)            # escaped specials
    assert body.count("{") == body.count("}"), latex
    assert "$" not in body and "%" not in body
    assert latex.count("\\end{aligned}") == 1 and latex.count("\\begin{aligned}") == 1
    assert "\n\n" not in latex                         # a blank line ends display math in Markdown


def check_markdown(md: str):
    math_blocks = re.findall(r"\$\$\n.*?\n\$\$", md, re.S)
    for block in math_blocks:
        assert "\n\n" not in block, block
    rest = re.sub(r"\$\$\n.*?\n\$\$", "", md, flags=re.S)
    spans = re.findall(r"`[^`]*`", rest)
    for span in spans:
        assert "\n" not in span, span                  # a code span cut by a newline stops being code
    outside = re.sub(r"`[^`]*`", "", rest)
    assert not re.search(r"<[A-Za-z/!?]", outside), outside
    for line in rest.splitlines():
        if line.startswith("|"):
            assert line.rstrip().endswith("|"), line   # every table row whole


# -- DOT and SVG --------------------------------------------------------------------------------

@pytest.mark.timeout(300)
@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_in_dot_and_svg(label, tmp_path):
    x, w, y = graph(label)
    y.backward()
    d = ag.draw(y, legend=True, title=label or None)
    check_svg(d.svg(), label)
    assert d.save(tmp_path / "g.dot").read_text(encoding="utf-8") == d.source
    check_svg(d.save(tmp_path / "g.svg").read_text(encoding="utf-8"), label)


@pytest.mark.timeout(300)
@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(label=st.text(max_size=30))
def test_any_text_as_a_label_renders_to_a_well_formed_svg(label):
    x, w, y = graph(label)
    check_svg(ag.draw(y, title=label or None).svg(), label)


@pytest.mark.timeout(60)
def test_an_empty_title_renders():
    x, w, y = graph("x")
    check_svg(ag.draw(y, title="").svg(), "x")


# -- the stepper page ------------------------------------------------------------------------

@pytest.mark.timeout(300)
@pytest.mark.parametrize("label", [lab for lab in HOSTILE if len(lab) < 100])
def test_hostile_labels_in_the_stepper_page(label, tmp_path):
    x, w, y = graph(label)
    t = ag.trace(y)
    page = t.to_html(tmp_path / "page.html")
    check_page(page)
    assert (tmp_path / "page.html").read_bytes().decode("utf-8") == page
    for step in t:
        assert "\n" not in step.text or "\n" in label


@pytest.mark.timeout(600)
@settings(max_examples=max(5, settings.default.max_examples // 10))
@given(label=st.text(max_size=20))
def test_any_label_keeps_the_stepper_page_inert(label):
    x, w, y = graph(label)
    check_page(ag.trace(y).to_html())


@pytest.mark.timeout(60)
def test_a_lone_surrogate_in_a_label_does_not_break_the_page(tmp_path):
    x, w, y = graph("bad \ud800 half")
    page = ag.trace(y).to_html(tmp_path / "page.html")
    check_page(page)


# -- LaTeX and Markdown -----------------------------------------------------------------------------

MULTI_LINE = [lab for lab in HOSTILE if "\n" in lab or "\r" in lab or "\u2028" in lab]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_in_latex_and_markdown(label):
    x, w, y = graph(label)
    for node in (x, w):
        e = ag.explain(node, y)
        check_latex(e.latex)
        check_markdown(e.markdown)
        assert e.text.startswith("Chain rule at")


@settings(max_examples=settings.default.max_examples)
@given(label=st.text(max_size=20), wrt=st.sampled_from(["x", "w"]))
def test_any_label_keeps_latex_and_markdown_well_formed(label, wrt):
    x, w, y = graph(label)
    e = ag.explain(x if wrt == "x" else w, y)
    check_latex(e.latex)
    check_markdown(e.markdown)
    report = ag.gradcheck(lambda a, b: (a * b + a).tanh(), [x, w], per_op=True)
    check_markdown(report._repr_markdown_())


@pytest.mark.parametrize("label", ["a\n\n<b>bold</b>", "blank\n\nline"])
def test_labels_with_newlines_keep_markdown_well_formed(label):
    x, w, y = graph(label)
    check_markdown(ag.explain(x, y).markdown)


def test_labels_with_newlines_keep_latex_in_one_block():
    x, w, y = graph("blank\n\nline")
    check_latex(ag.explain(x, y).latex)


def test_a_backtick_in_a_label_keeps_markdown_well_formed():
    x, w, y = graph("`")
    check_markdown(ag.explain(x, y).markdown)


@pytest.mark.parametrize("label", ["x\\", "\\end{aligned}"])
def test_labels_that_look_like_latex_cannot_break_the_block(label):
    x, w, y = graph(label)
    check_latex(ag.explain(x, y).latex)


@pytest.mark.parametrize("label", MULTI_LINE)
def test_multi_line_labels_never_crash_any_text_output(label):
    x, w, y = graph(label)
    e = ag.explain(x, y)
    assert e.text and e.latex and e.markdown
    assert str(ag.trace(y)) and repr(ag.trace(y))


# -- gradcheck reports and JSON --------------------------------------------------------------------

@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_in_gradcheck_reports(label):
    x, w = Value(0.5, label=label), Value(-2.0, label=label + "2")
    report = ag.gradcheck(lambda a, b: (a * b + a).tanh(), [x, w], per_op=True)
    assert report.ok
    tags = _Tags()
    tags.feed(report._repr_html_())
    assert "script" not in tags.tags and "img" not in tags.tags and not tags.handlers
    data = json.loads(json.dumps(report.to_dict()))
    # an unlabelled input is named after the function's parameter (a), as the report's text says it
    assert [row["name"] for row in data["rows"]] == [label or "a", label + "2"]
    assert str(report).count("\n") >= 2
    check_markdown(report._repr_markdown_())


def test_gradcheck_markdown_table_rows_stay_whole_with_newlines_in_labels():
    x, w = Value(0.5, label="new\nline"), Value(-2.0, label="w")
    report = ag.gradcheck(lambda a, b: (a * b).tanh(), [x, w])
    check_markdown(report._repr_markdown_())


@pytest.mark.parametrize("label", HOSTILE)
def test_repr_and_errors_with_hostile_labels(label):
    v = Value(0.0, label=label)
    assert repr(label) in repr(v) and "\n" not in repr(v)
    with pytest.raises(ag.OpError, match="^log: "):
        v.log()
    with pytest.raises(ag.GlassgradError) as info:
        ag.explain(v, Value(1.0, label=label))
    assert label in str(info.value) or not label


@pytest.mark.timeout(300)
@pytest.mark.parametrize("label", ["<script>alert(1)</script>", "</div><img src=x onerror=alert(1)>", "new\nline"])
def test_hostile_labels_in_the_filmstrip_and_a_single_frame(label):
    x, w, y = graph(label)
    t = ag.trace(y)
    for fragment in (t.filmstrip(every=3)._repr_html_(), t._repr_html_()):
        tags = _Tags()
        tags.feed(fragment)
        assert "script" not in tags.tags and "img" not in tags.tags and not tags.handlers and not tags.urls
