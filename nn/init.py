"""Weight initialisation schemes. Each draws one weight from a ``random.Random``.

A scheme is a function ``scheme(rng, fan_in, fan_out) -> float``; ``MLP(init=...)``
takes a scheme's name or any such function. Biases always start at 0.

* ``"uniform"``: uniform(-1, 1), as in micrograd;
* ``"xavier"``: Glorot uniform, uniform(-a, a) with a = sqrt(6 / (fan_in + fan_out)),
  which keeps the variance of sigmoid/tanh activations steady from layer to layer;
* ``"he"``: He (Kaiming) normal, gauss(0, sqrt(2 / fan_in)), the same idea for ReLU.

    >>> import random
    >>> from nn import init
    >>> rng = random.Random(0)
    >>> round(init.uniform(rng, 2, 16), 4)
    0.6888
    >>> sorted(init.SCHEMES)
    ['he', 'uniform', 'xavier']
"""

from __future__ import annotations

import math
import random
from typing import Callable

from ._checks import short
from .errors import InputError

__all__ = ["uniform", "xavier", "he", "SCHEMES", "get"]

Scheme = Callable[[random.Random, int, int], float]


def uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """uniform(-1, 1), whatever the layer size (micrograd's choice)."""
    return rng.uniform(-1.0, 1.0)


def xavier(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """Glorot uniform: uniform(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit)


def he(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """He normal: gauss(0, sqrt(2 / fan_in))."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


SCHEMES: dict[str, Scheme] = {"uniform": uniform, "xavier": xavier, "he": he}


def get(scheme: str | Scheme, where: str = "init") -> Scheme:
    """The scheme function for a name (or the callable itself).

    >>> get("he") is he
    True
    """
    if callable(scheme):
        return scheme
    if isinstance(scheme, str) and scheme in SCHEMES:
        return SCHEMES[scheme]
    raise InputError(f"{where}: unknown init scheme {short(scheme)}; "
                     f"use one of {', '.join(map(repr, SCHEMES))} or a function (rng, fan_in, fan_out)")


def make_rng(seed: int | random.Random | None, where: str) -> random.Random:
    """A private ``random.Random`` for ``seed`` (an int, None for fresh entropy, or an
    existing ``Random`` to share). The global ``random`` state is never used."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise InputError(f"{where}: seed must be an int, None or a random.Random, got {short(seed)}")
