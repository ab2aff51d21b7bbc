"""Toy datasets in pure Python: deterministic for a given seed, labels 0/1 or -1/+1.

Each function returns a :class:`Dataset`, a named tuple ``(X, y)``: ``X`` a list of
rows (lists of floats), ``y`` a list of int labels. ``labels=(0, 1)`` (the default)
or ``labels=(-1, 1)`` picks the label set. All randomness comes from
``random.Random(seed)``; ``seed=None`` draws fresh entropy.

    >>> from nn import data
    >>> X, y = data.xor()
    >>> X, y
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> data.and_(labels=(-1, 1)).y
    [-1, -1, -1, 1]
    >>> moons = data.moons(100, noise=0.1, seed=0)
    >>> len(moons.X), sorted(set(moons.y)), moons == data.moons(100, noise=0.1, seed=0)
    (100, [0, 1], True)
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple

from . import _checks
from . import init as _init
from .errors import InputError

__all__ = ["Dataset", "xor", "and_", "or_", "moons", "circles", "blobs", "check"]


class Dataset(NamedTuple):
    """Inputs ``X`` (one row per sample) and labels ``y``; unpacks as ``X, y = dataset``."""

    X: list[list[float]]
    y: list[int]


_CORNERS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def _logic(truth: list[int], labels) -> Dataset:
    low, high = _checks.label_set(labels, "data")
    return Dataset([row[:] for row in _CORNERS], [high if t else low for t in truth])


def xor(labels=(0, 1)) -> Dataset:
    """The four corners of the unit square, positive when exactly one input is 1.
    No line separates the classes."""
    return _logic([0, 1, 1, 0], labels)


def and_(labels=(0, 1)) -> Dataset:
    """The four corners of the unit square, positive when both inputs are 1."""
    return _logic([0, 0, 0, 1], labels)


def or_(labels=(0, 1)) -> Dataset:
    """The four corners of the unit square, positive when either input is 1."""
    return _logic([0, 1, 1, 1], labels)


def _setup(n, noise, seed, labels, where: str):
    n = _checks.positive_int(n, "n", where)
    noise = _checks.non_negative_number(noise, "noise", where)
    low, high = _checks.label_set(labels, where)
    return n, noise, _init.make_rng(seed, where), low, high


def _finish(points: list[tuple[float, float, int]], rng: random.Random, noise: float, low: int, high: int
            ) -> Dataset:
    rows = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] if noise else [x, y]
            for x, y, _ in points]
    order = list(range(len(points)))
    rng.shuffle(order)
    return Dataset([rows[i] for i in order], [high if points[i][2] else low for i in order])


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + k * step for k in range(n)]


def moons(n: int = 100, noise: float = 0.1, seed: int | None = None, labels=(0, 1)) -> Dataset:
    """Two interleaving half circles (as scikit-learn's ``make_moons``): the upper moon is
    the negative class, the lower one positive; Gaussian ``noise`` is added to each point.

    >>> X, y = moons(4, noise=0.0, seed=0)
    >>> sorted(zip(y, X))[0]
    (0, [-1.0, 1.2246467991473532e-16])
    """
    n, noise, rng, low, high = _setup(n, noise, seed, labels, "moons")
    n_out = n // 2
    n_in = n - n_out
    points = [(math.cos(t), math.sin(t), 0) for t in _linspace(0.0, math.pi, n_out)]
    points += [(1.0 - math.cos(t), 0.5 - math.sin(t), 1) for t in _linspace(0.0, math.pi, n_in)]
    return _finish(points, rng, noise, low, high)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None,
            labels=(0, 1)) -> Dataset:
    """A circle of radius 1 (negative) around one of radius ``factor`` (positive).

    >>> X, y = circles(8, noise=0.0, seed=0)
    >>> sorted({round(math.hypot(*x), 6) for x in X})
    [0.5, 1.0]
    """
    n, noise, rng, low, high = _setup(n, noise, seed, labels, "circles")
    factor = _checks.positive_number(factor, "factor", "circles")
    if factor >= 1.0:
        raise InputError(f"circles: factor must be in (0, 1) (the inner circle's radius), got {factor!r}")
    n_out = n // 2
    n_in = n - n_out
    points = [(math.cos(t), math.sin(t), 0) for t in _linspace(0.0, 2 * math.pi, n_out, endpoint=False)]
    points += [(factor * math.cos(t), factor * math.sin(t), 1)
               for t in _linspace(0.0, 2 * math.pi, n_in, endpoint=False)]
    return _finish(points, rng, noise, low, high)


def blobs(n: int = 100, spread: float = 0.6, distance: float = 3.0, seed: int | None = None,
          labels=(0, 1)) -> Dataset:
    """Two Gaussian blobs (standard deviation ``spread``) whose centres are ``distance``
    apart, at (-d/2, -d/2)/sqrt(2) and (d/2, d/2)/sqrt(2). Linearly separable, always:
    a point drawn on the wrong side of the margin is drawn again, so the line
    x0 + x1 = 0 separates the classes with a margin of at least ``distance / 10``.

    >>> X, y = blobs(50, seed=0, labels=(-1, 1))
    >>> all((x0 + x1 > 0) == (label == 1) for (x0, x1), label in zip(X, y))
    True
    """
    n = _checks.positive_int(n, "n", "blobs")
    spread = _checks.positive_number(spread, "spread", "blobs")
    distance = _checks.positive_number(distance, "distance", "blobs")
    low, high = _checks.label_set(labels, "blobs")
    rng = _init.make_rng(seed, "blobs")
    if distance / 2 - distance / 10 < 0.5 * spread:
        raise InputError(f"blobs: spread={spread!r} is too wide for distance={distance!r}; the blobs "
                         f"would need too many redraws to stay separable (use spread <= {distance * 0.8:g})")
    half, margin = distance / 2.0, distance / 10.0
    points = []
    for i in range(n):
        positive = i >= n // 2
        sign = 1.0 if positive else -1.0
        while True:  # redraw points that land within the margin or across the line
            x0, x1 = rng.gauss(0.0, spread), rng.gauss(0.0, spread)
            along = sign * half + (x0 + x1) / math.sqrt(2.0)  # coordinate along the centres' axis
            if sign * along >= margin:
                break
        across = (x0 - x1) / math.sqrt(2.0)
        points.append(((along + across) / math.sqrt(2.0), (along - across) / math.sqrt(2.0), positive))
    order = list(range(n))
    rng.shuffle(order)
    return Dataset([[points[i][0], points[i][1]] for i in order], [high if points[i][2] else low for i in order])


def check(X, y, n_inputs: int | None = None, labels=None, where: str = "data") -> Dataset:
    """``(X, y)`` checked and copied as floats: not empty, same length, same row width
    (``n_inputs`` if given), finite, and labels from ``labels`` if given.

    >>> check([[0, 1]], [1]).X
    [[0.0, 1.0]]
    >>> check([[0, float("nan")]], [1])
    Traceback (most recent call last):
      ...
    nn.errors.InputError: data: X[0][1] must be finite, got nan
    """
    rows, targets = _checks.dataset(X, y, where, n_inputs)
    if labels is not None:
        _checks.labels_in(targets, _checks.label_set(labels, where), where)
    return Dataset(rows, targets)
