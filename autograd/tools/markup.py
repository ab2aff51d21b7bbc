r"""A label in each output: shown literally, never breaking the output nor becoming markup.

Labels are the learner's text, so they may hold anything: newlines, control characters,
lone surrogates, backticks, ``<script>``, ``\end{aligned}``. The drawing, the stepper page,
``explain`` and ``gradcheck`` put them through these helpers:

* :func:`visible`: control characters and lone surrogates written as ``\x07``, ``\ud800``
  (text every encoder and renderer takes);
* :func:`markdown` / :func:`markdown_code`: one line of literal Markdown text or code;
* :func:`latex_text`: a label as LaTeX math that shows its characters.

    >>> from autograd.tools.markup import markdown, latex_text
    >>> print(markdown("a|b <i>"))
    a\|b &lt;i&gt;
    >>> print(latex_text("x_1%"))
    \text{x}\_\text{1}\%
"""

from __future__ import annotations

import re

__all__ = ["visible", "one_line", "markdown", "markdown_code", "latex_text"]

# control characters, lone surrogates and noncharacters (U+FDD0..U+FDEF, U+FFFE, U+FFFF and the
# last two of every plane): Graphviz, XML and some encoders refuse the last
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                      + "".join(chr(plane << 16 | 0xfffe) + chr(plane << 16 | 0xffff) for plane in range(1, 17))
                      + "]")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # str.splitlines' breaks


def visible(text: str) -> str:
    r"""``text`` with control characters (other than newline), lone surrogates and
    noncharacters written as ``\x07``, ``\ud800``, ``\ufffe``, and a tab as a space.

    >>> print(visible("a\tb\x07 \ud800 \uffff ok"))
    a b\x07 \ud800 \uffff ok
    """
    return _CONTROL.sub(_escape_control, text)


def _escape_control(m: re.Match) -> str:
    ch = m[0]
    if ch == "\n":
        return ch
    if ch == "\t":
        return " "
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str) -> str:
    r""":func:`visible` text on one line: every line break (``\r\n``, ``\u2028``...) a space.

    >>> one_line("blank\n\nline\r\n")
    'blank  line '
    """
    return visible(_LINE_BREAK.sub(" ", text))


# A backslash and "$" become character references: written as "\\" and "\$" they could pair up
# with a neighbour into a math delimiter ("\\[", "$$") for Jupyter, which finds math before
# Markdown; a backtick too, as simple scanners take "\`" for the start of a code span.
_MARKDOWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "&#92;", "$": "&#36;",
                           "`": "&#96;", **{ch: "\\" + ch for ch in "*_|~"}})
_LINK = re.compile(r"\](?=[(\[:])")  # "](", "][", "]:" make links; x[0] is left as written
_BLOCK = re.compile(r"^( *)(#|[-+](?![\d.])|\d{1,9}(?=[.)](?: |$)))")  # a heading or list item in a list item


def markdown(text: str) -> str:
    r"""``text`` as one line of literal Markdown (CommonMark, GitHub tables, Jupyter): no HTML, no
    emphasis, link, code, math, heading, list or table cell comes out of it.

    >>> print(markdown("*x* `y`\n\n<b>$z$</b> [a](b) x[0]"))
    \*x\* &#96;y&#96;  &lt;b&gt;&#36;z&#36;&lt;/b&gt; [a\](b) x[0]
    >>> print(markdown("# h"), markdown("1. item"), markdown("-0.5"))
    \# h 1\. item -0.5
    """
    text = _LINK.sub("\\\\]", one_line(text).translate(_MARKDOWN))
    return _BLOCK.sub(lambda m: m[0] + "\\" if m[2][0].isdigit() else m[1] + "\\" + m[2], text)


def markdown_code(text: str) -> str:
    r"""``text`` as an inline code span on one line (a backtick, which would end it, shown as ``'``).

    >>> print(markdown_code("a\n<b>`c`"))
    `a <b>'c'`
    """
    return "`" + one_line(text).replace("`", "'") + "`"


# TeX's special characters, as math symbols that show them
_LATEX_SPECIAL = {"#": "\\#", "$": "\\$", "%": "\\%", "&": "\\&", "_": "\\_", "{": "\\{", "}": "\\}",
                  "\\": "\\backslash ", "^": "\\hat{}", "~": "\\sim ", "<": "\\lt ", ">": "\\gt "}
_LATEX_SPLIT = re.compile("([" + re.escape("".join(_LATEX_SPECIAL)) + "])")


def latex_text(text: str) -> str:
    r"""``text`` as LaTeX math that shows it literally, on one line: runs of ordinary characters
    in ``\text{...}``, TeX's special characters as the math symbols that show them (inside
    ``\text`` renderers disagree on what escapes mean).

    >>> print(latex_text("a_b {c}\\end"))
    \text{a}\_\text{b }\{\text{c}\}\backslash \text{end}
    """
    return "".join(_LATEX_SPECIAL.get(part) or f"\\text{{{part}}}"
                   for part in _LATEX_SPLIT.split(one_line(text)) if part)
