"""Drawing's limits: work linear in edges, a size guard that counts edges, graphs dot cannot lay
out refused before it runs, a renderer crash explained, any label text rendered."""

import re
import shutil

import pytest

import autograd as ag
from autograd import Value
from autograd.errors import DrawingError, GraphTooLarge
from autograd.tools import drawing, drawing_layout, drawing_render, notation
from test_drawing import reused_sum

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")


def operands_written(n, monkeypatch):
    """How many times drawing sum([x] * n) writes an operand's name."""
    calls = 0
    real = notation.Notation._wrapped

    def counting(self, *args):
        nonlocal calls
        calls += 1
        return real(self, *args)

    monkeypatch.setattr(notation.Notation, "_wrapped", counting)
    x = Value(1.5, label="x")
    ag.draw(ag.sum([x] * n), max_nodes=10 * n)
    monkeypatch.setattr(notation.Notation, "_wrapped", real)
    return calls


def test_drawing_a_many_operand_node_writes_each_operand_a_bounded_number_of_times(monkeypatch):
    small, big = operands_written(1000, monkeypatch), operands_written(2000, monkeypatch)
    assert big <= 2.2 * small                # linear, not quadratic (which would be 4x)
    assert big < 10 * 2000                   # a few writes per edge


def test_the_size_guard_counts_edges_too_and_names_both_counts():
    x = Value(1.0, label="x")
    with pytest.raises(GraphTooLarge, match=r"has at least 2 values and more than 2000 edges; draw\(\) takes "
                                            r"at most max_nodes=2000 of each"):
        ag.draw(ag.sum([x] * 8000))
    y = ag.sum([x] * 50) * 2
    with pytest.raises(GraphTooLarge, match="has 3 values and 51 edges"):
        ag.draw(y, start=x, max_nodes=40)
    assert ag.draw(ag.sum([x] * 2000)).source.count("v0 -> o1") == 2000


def test_a_graph_dot_cannot_lay_out_is_refused_before_dot_runs(monkeypatch):
    monkeypatch.setattr(drawing, "_run_renderer", lambda *a: pytest.fail("the renderer ran"))
    d = ag.draw(reused_sum(260))                 # x used at 259 depths: ~67,000 virtual nodes
    assert d.virtual_nodes > 60000 and "v0 -> o1" in d.source
    with pytest.raises(GraphTooLarge, match=r"its edges cross 6\d,\d{3} ranks in all .* x \+ x \+ \.\.\. "
                                            r"\+ x.*start=<a node>"):
        d.svg()
    assert ag.draw(reused_sum(20)).virtual_nodes < 2000         # an ordinary size is left alone
    assert "nslimit=5" in ag.draw(reused_sum(60)).source        # a costly one gets fewer iterations


def test_a_renderer_that_crashes_silently_gets_a_message_with_its_signal(tmp_path, monkeypatch):
    crasher = tmp_path / "dot"
    crasher.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crasher.chmod(0o755)
    monkeypatch.setattr(drawing_render, "_find_renderer", lambda: str(crasher))
    with pytest.raises(DrawingError) as caught:
        ag.draw(Value(1.0, label="x") * 2).svg()
    message = str(caught.value)
    assert "killed by signal 11 (SIGSEGV)" in message
    assert re.search(r"gave no message; .*start=<a node>", message)


@needs_dot
@pytest.mark.parametrize("label", ["a\ufffeb", "\uffff", "x\U0010ffff", "\ufdd0z", "w" * 16000,
                                   "<&>\\N" * 4000])
def test_any_label_renders_as_svg_and_png(label):
    x = Value(2.0, label=label)
    y = (x * x).tanh()
    y.label = label
    y.backward()
    d = ag.draw(y, title=label)
    svg = d.svg()
    assert d.png()[:4] == b"\x89PNG"
    if "\ufffe" in label:
        assert "a\\ufffeb" in svg
    if len(label) > 1000:
        assert "…" in svg and len(svg) < 60000       # cut in the box, the tooltip bounded


def test_parameters_are_what_the_caller_says_and_the_guess_is_modest():
    labels = ["W1[0,1]", "b1[0]", "Wi", "Wo[2]", "W^i", "W^{(o)}", "w^{(1)}", "b", "w", "W", "x1",
              "weight", "Wide"]
    leaves = [Value(1.0, label=s) for s in labels]
    root = ag.sum(leaves)
    kinds = drawing_layout._kinds({v: i for i, v in enumerate(leaves + [root])}, root, None)
    guessed = [s for s, v in zip(labels, leaves) if kinds[v] == "parameter"]
    assert guessed == ["W1[0,1]", "b1[0]", "Wi", "Wo[2]", "W^i", "W^{(o)}", "w^{(1)}"]
    told = drawing_layout._kinds({v: i for i, v in enumerate(leaves + [root])}, root, [leaves[7]])
    assert [s for s, v in zip(labels, leaves) if told[v] == "parameter"] == ["b"]


def test_collapse_leaves_the_parameters_out_and_dashes_their_ops():
    w, x = Value(0.5, label="W1[0,0]"), Value(2.0, label="x[0]")
    y = (w * x).tanh()
    d = ag.draw(y, collapse=True)
    assert "W1[0,0]" not in d.source.split("tooltip")[0] and "v0 " not in d.source
    assert 'style="filled,dashed"' in d.source and "1 operand(s) not drawn" in d.source
    assert "v0 " in ag.draw(y, collapse=True, parameters=[]).source    # told: no parameters


def test_in_a_notebook_the_svg_scales_down_to_the_page_width():
    svg = '<svg width="1678pt" height="1054pt"\n viewBox="0.00 0.00 1678.00 1054.09">'
    assert drawing_render._fit_width(svg) == ('<svg width="100%" style="max-width: 1678pt; height: auto"\n'
                                       ' viewBox="0.00 0.00 1678.00 1054.09">')
