"""A Graphviz drawing cropped around some of its elements, at the drawing's own scale.

Where no script can scroll a view (an ipywidgets ``HTML``, a static notebook), the widget's
quiz shows the part of the drawing that matters, readable, by cropping the SVG's ``viewBox``:
the elements it names (a step's boxes and edge) if they fit in the window, else the first of
them (the asked node) in the middle. At scale 1 Graphviz's 11 pt text is about 15 px high.

    >>> svg = ('<svg width="900pt" height="300pt" viewBox="0.00 0.00 900.00 300.00">'
    ...        '<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 296)">'
    ...        '<g id="v1" class="node"><text x="780" y="-150" font-size="14.00">far right</text></g></g></svg>')
    >>> print(zoomed_svg(svg, ["v1"], width=400, height=200)[:71])
    <svg width="400pt" height="200pt" viewBox="500.00 39.00 400.00 200.00">
"""

from __future__ import annotations

import re
from typing import Sequence

__all__ = ["zoomed_svg", "element_box"]

_NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="[^"]*"')
_TRANSLATE = re.compile(rf'class="graph" transform="scale\(1 1\) rotate\(0\) translate\(({_NUMBER}) ({_NUMBER})\)"')
_NEXT = re.compile(r'<!-- |<g id="[^"]*" class="(?:node|edge|cluster)"')
_POINTS = re.compile(r'\b(?:points|d)="([^"]*)"')
_PAIR = re.compile(rf"({_NUMBER})[, ]({_NUMBER})")
_TEXT = re.compile(r"<text\b([^>]*)>([^<]*)</text>")
_ATTRIBUTE = re.compile(rf'\b(x|y|font-size)="({_NUMBER})"')
_ELLIPSE = re.compile(rf'<ellipse[^>]*\bcx="({_NUMBER})" cy="({_NUMBER})" rx="({_NUMBER})" ry="({_NUMBER})"')


def element_box(svg: str, element_id: str) -> tuple[float, float, float, float] | None:
    """``(left, top, right, bottom)`` of the node or edge ``element_id`` in Graphviz's own
    coordinates (y grows downwards, from minus the height to 0), or None if it is not there."""
    start = svg.find(f'<g id="{element_id}" class=')
    if start < 0:
        return None
    found = _NEXT.search(svg, start + 1)
    part = svg[start:found.start() if found else len(svg)]
    xs: list[float] = []
    ys: list[float] = []
    for points in _POINTS.findall(part):
        for x, y in _PAIR.findall(points):
            xs.append(float(x))
            ys.append(float(y))
    for attributes, text in _TEXT.findall(part):  # from its baseline, about 0.6 em per character
        at = {name: float(number) for name, number in _ATTRIBUTE.findall(attributes)}
        if "x" in at and "y" in at:
            em = at.get("font-size", 14.0)
            xs += [at["x"], at["x"] + 0.6 * em * len(text)]
            ys += [at["y"] - em, at["y"]]
    for cx, cy, rx, ry in _ELLIPSE.findall(part):
        xs += [float(cx) - float(rx), float(cx) + float(rx)]
        ys += [float(cy) - float(ry), float(cy) + float(ry)]
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def zoomed_svg(svg: str, focus: Sequence[str], around: Sequence[str] = (), *, width: float = 720.0,
               height: float = 300.0) -> str:
    """``svg`` (Graphviz's, with its prolog or without) as a window of at most ``width`` x ``height``
    points at scale 1: centred on the elements ``around`` when they fit in it, else on ``focus``.
    A drawing smaller than the window is returned whole; one without the elements, uncropped."""
    svg = svg[svg.find("<svg"):]
    size, moved = _SIZE.search(svg), _TRANSLATE.search(svg)
    if size is None or moved is None:
        return svg
    full_w, full_h = float(size[1]), float(size[2])
    w, h = min(width, full_w), min(height, full_h)
    dx, dy = float(moved[1]), float(moved[2])

    def union(ids):
        boxes = [b for b in (element_box(svg, i) for i in ids) if b is not None]
        if not boxes:
            return None
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))

    box = union(around)
    if box is None or box[2] - box[0] > w or box[3] - box[1] > h:
        box = union(focus) or box
    if box is None:
        return svg
    cx, cy = (box[0] + box[2]) / 2 + dx, (box[1] + box[3]) / 2 + dy
    left = min(max(cx - w / 2, 0.0), full_w - w)
    top = min(max(cy - h / 2, 0.0), full_h - h)
    return _SIZE.sub(f'<svg width="{w:g}pt" height="{h:g}pt" viewBox="{left:.2f} {top:.2f} {w:.2f} {h:.2f}"',
                     svg, count=1)
