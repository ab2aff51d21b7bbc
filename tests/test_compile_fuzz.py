"""autograd.compile with hostile labels: nothing a label says runs, nothing breaks.

Labels reach the generated code only as checked identifiers or as escaped comments. Each test
plants labels that would create a file if they were ever executed, and checks the file is not
there, the source tokenizes to names the generator made, and the numbers are still backward's.
"""

import io
import keyword
import re
import tokenize

from hypothesis import given
from hypothesis import strategies as st

import pytest

import autograd as ag
from autograd import Value

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def hostile(path) -> list[str]:
    """Labels that would touch ``path`` if they were code."""
    shell = f"__import__('os').system('touch {path}')"
    return [
        shell,
        f"x = {shell}",
        f"'); {shell}; ('",
        f'"""); {shell}; ("""',
        f"a\n{shell}\n",
        f"a\r{shell}",
        f"a\x0c{shell}",
        f"a\u2028{shell}",
        f"a\\\n{shell}",
        f"# \n{shell}",
        f"open({str(path)!r}, 'w')",
        "\x00",
        "\ud800",                    # a lone surrogate
        "ŷ", "σ(z)", "W1[0,1]", "__class__", "lambda", "d_t1", "t1", "", " ", "]", "[", ",",
        "x" * 5000,
        "{0}{1}{c}{out}", "{", "}",  # format fields: templates are filled with names, never labels
    ]


def check_source(fn) -> None:
    """Every name in the code is an ASCII identifier; the one string is the docstring; comments
    are printable ASCII; the source is one function."""
    tokens = list(tokenize.generate_tokens(io.StringIO(fn.source).readline))
    strings = [t for t in tokens if t.type == tokenize.STRING]
    assert len(strings) == 1 and strings[0].string.startswith('"""')
    for t in tokens:
        if t.type == tokenize.NAME:
            assert _IDENTIFIER.match(t.string), t.string
            assert not t.string.startswith("__") or t.string == "__", t.string
            assert t.string not in ("import", "exec", "eval", "open", "lambda") or keyword.iskeyword(t.string)
        if t.type == tokenize.COMMENT:
            assert t.string.isascii() and t.string.isprintable(), t.string
    assert fn.source.isascii()
    assert sum(1 for line in fn.source.splitlines() if line.startswith("def ")) == 1


def build(labels: list[str]):
    """A small graph with every kind of node labelled: inputs, data, constants, ops, the output."""
    def label(k):
        return labels[k % len(labels)] if labels else None

    w = [Value(0.5 + k, label=label(k)) for k in range(3)]
    x = Value(2.0, label=label(3))
    k = Value(-1.5, label=label(4))
    z = ag.dot(w[:2], [x, k], bias=w[2])
    z.label = label(5)
    h = z.tanh()
    h.label = label(6)
    out = (h * k + w[0].sigmoid()).relu() + w[1] * 3.0
    out.label = label(7)
    return w, x, out


def run_everything(labels, tmp_path):
    target = tmp_path / "pwned"
    w, x, out = build(labels)
    fn = ag.compile(out, w, data=[x], also=[out])
    check_source(fn)
    out.backward()
    value, grads = fn([p.data for p in w], [2.0])
    assert value == out.data and grads == [p.grad for p in w]
    fn.forward([p.data for p in w], [2.0])
    assert fn._repr_html_() and fn._repr_markdown_() and repr(fn)
    assert not target.exists()


def test_the_hostile_labels(tmp_path):
    labels = hostile(tmp_path / "pwned")
    for start in range(len(labels)):  # each label in each place
        run_everything(labels[start:] + labels[:start], tmp_path)


def test_labels_that_are_not_strings_are_refused_and_compile_reads_only_strings(tmp_path):
    class Evil(str):  # a str subclass passes the label check; compile must not call its methods
        def __repr__(self):
            (tmp_path / "pwned").touch()
            return "evil"

        __str__ = __format__ = __repr__

    w, x, out = build(["w"])
    with pytest.raises(ag.OperandError, match="label must be a str"):
        x.label = 123
    for v in (*w, x, out):
        v.label = Evil("w")
    fn = ag.compile(out, w, data=[x])
    check_source(fn)
    assert not (tmp_path / "pwned").exists()


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=()), max_size=30), min_size=1, max_size=8))
def test_any_labels(labels):
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run_everything(labels + hostile(pathlib.Path(folder) / "pwned")[:3], pathlib.Path(folder))
