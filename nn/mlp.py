"""Neurons, layers and multi-layer perceptrons, built on ``autograd.dot``.

A neuron is one ``dot`` node ``z = w . x + b`` plus its activation ``h = act(z)``.
Every node a network makes carries a label in the course's notation: parameters
``W{l}[i,j]`` (layer l, unit i, input j) and ``b{l}[i]``, pre-activations
``z{l}[i]``, activations ``h{l}[i]`` and inputs ``x[j]`` (layers count from 1).

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    >>> model
    MLP(
      (layer1): Layer(in_features=2, out_features=3, activation='tanh')
      (layer2): Layer(in_features=3, out_features=1, activation='linear')
    )
    >>> out = model([1.0, -2.0])
    >>> out.label, [p.label for p in out.parents][:4]
    ('z2[0]', ['W2[0,0]', 'W2[0,1]', 'W2[0,2]', 'h1[0]'])

With ``fused=False`` a neuron is built micrograd-style from binary nodes,
``w0*x0 + w1*x1 + ... + b`` left to right; the same seed gives the same weights,
so the two graphs can be compared.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, NamedTuple, Sequence

from autograd import OPS, Value, dot, no_grad

from . import _checks
from . import init as _init
from .errors import InputError
from .module import Module

__all__ = ["Neuron", "Layer", "MLP", "LinearMap", "ACTIVATIONS"]


ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "linear": None,  # the identity: no node at all
}
"""Activation names and the ``Value`` method each one applies (None: no activation node)."""


# the engine's own float rules for the same activations, for MLP.score (no graph)
_FLOAT_ACTIVATIONS: dict[str, Callable[[float], float] | None] = {
    name: OPS[name].forward for name in ("relu", "sigmoid", "tanh")}
_FLOAT_ACTIVATIONS["linear"] = None


def _activation(activation, where: str) -> tuple[str | Callable, Callable | None]:
    """(the activation as given, the function to apply or None for linear)."""
    if isinstance(activation, str):
        if activation in ACTIVATIONS:
            return activation, ACTIVATIONS[activation]
    elif callable(activation):
        return activation, activation
    raise InputError(f"{where}: unknown activation {_checks.short(activation)}; use one of "
                     f"{', '.join(map(repr, ACTIVATIONS))} or a callable")


def _activation_name(activation) -> str:
    return activation if isinstance(activation, str) else getattr(activation, "__name__", repr(activation))


def _index(x, what: str, where: str, minimum: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < minimum:
        raise InputError(f"{where}: {what} must be an int >= {minimum}, got {_checks.short(x)}")
    return x


_X_LABELS: list[str] = []


def _x_labels(n: int) -> list[str]:
    """``['x[0]', 'x[1]', ...]``, made once and shared."""
    while len(_X_LABELS) < n:
        _X_LABELS.append(f"x[{len(_X_LABELS)}]")
    return _X_LABELS


def wrap_inputs(x, n: int, where: str) -> list[Value]:
    """One input vector as ``n`` Values: plain numbers become leaves labelled ``x[j]``,
    Values are used as they are. Wrong lengths and NaN/inf are refused, naming the size.

    >>> [v.label for v in wrap_inputs([0.5, 2], 2, "demo")]
    ['x[0]', 'x[1]']
    """
    xs = _checks.inputs(x, n, where)
    labels = _x_labels(n)
    return [v if isinstance(v, Value) else Value(v, labels[j]) for j, v in enumerate(xs)]


class Neuron(Module):
    """One unit: ``z = w . x + b`` as one ``dot`` node, then ``h = activation(z)``.

    ``layer`` and ``unit`` only name the parameters (``W{layer}[{unit},j]``,
    ``b{layer}[{unit}]``). Weights are drawn by ``init`` from ``random.Random(seed)``;
    the bias starts at 0.

    >>> n = Neuron(3, activation="sigmoid", seed=1)
    >>> [p.label for p in n.parameters()]
    ['W1[0,0]', 'W1[0,1]', 'W1[0,2]', 'b1[0]']
    >>> h = n([1.0, 2.0, 3.0])
    >>> h.label, h.op, h.parents[0].label, h.parents[0].op
    ('h1[0]', 'σ', 'z1[0]', 'dot')
    """

    def __init__(self, n_inputs: int, activation: str | Callable = "relu", init: str | Callable = "uniform",
                 seed: int | random.Random | None = None, fused: bool = True, *,
                 layer: int = 1, unit: int = 0, fan_out: int = 1):
        where = "Neuron"
        self.n_inputs = _checks.positive_int(n_inputs, "n_inputs", where)
        self.activation, self._act = _activation(activation, where)
        self.init = init
        scheme = _init.get(init, where)
        self.layer = _index(layer, "layer", where, 1)
        self.unit = _index(unit, "unit", where, 0)
        self.fan_out = _checks.positive_int(fan_out, "fan_out", where)
        self.fused = bool(fused)
        rng = _init.make_rng(seed, where)
        weights = [_checks.number(scheme(rng, self.n_inputs, self.fan_out), "an initial weight", where)
                   for _ in range(self.n_inputs)]
        self.w = [Value(v, f"W{layer}[{unit},{j}]") for j, v in enumerate(weights)]
        self.b = Value(0.0, f"b{layer}[{unit}]")
        self._z_label = f"z{layer}[{unit}]"
        self._h_label = f"h{layer}[{unit}]"

    def forward(self, x) -> Value:
        """The neuron's output for one input vector (numbers or Values)."""
        return self._forward(wrap_inputs(x, self.n_inputs, "Neuron"))

    def _forward(self, xs: list[Value]) -> Value:
        if self.fused:
            z = dot(self.w, xs, self.b)
        else:  # micrograd's shape: ((w0*x0 + w1*x1) + ...) + b
            w = self.w
            z = w[0] * xs[0]
            for j in range(1, len(w)):
                z = z + w[j] * xs[j]
            z = z + self.b
        z.label = self._z_label
        act = self._act
        if act is None:
            return z
        h = act(z)
        if h is not z:
            if not isinstance(h, Value):
                raise InputError(f"Neuron: the activation {_activation_name(self.activation)} must return "
                                 f"a Value, got {type(h).__name__}")
            h.label = self._h_label
        return h

    def _score(self, xs: list[float]) -> float:
        """The same output as plain floats, no graph (as the fused ``dot`` computes it)."""
        z = math.fsum(map(float.__mul__, [w.data for w in self.w], xs)) + self.b.data
        act = self.activation
        if isinstance(act, str):
            f = _FLOAT_ACTIVATIONS[act]
            return z if f is None else f(z)
        with no_grad():
            return act(Value(z)).data

    def parameters(self) -> list[Value]:
        """``w[0], ..., w[n-1], b``."""
        return [*self.w, self.b]

    def extra_repr(self) -> str:
        text = f"in_features={self.n_inputs}, activation={_activation_name(self.activation)!r}"
        return text if self.fused else text + ", fused=False"

    def config(self) -> dict[str, Any] | None:
        if not isinstance(self.activation, str) or not isinstance(self.init, str):
            return None
        return {"n_inputs": self.n_inputs, "activation": self.activation, "init": self.init,
                "fused": self.fused, "layer": self.layer, "unit": self.unit, "fan_out": self.fan_out}

    def _settings(self) -> dict[str, Any]:
        return {"activation": self.activation, "fused": self.fused}

    @classmethod
    def _count_parameters(cls, config: dict) -> int | None:
        return cls._dense_count([config.get("n_inputs"), 1])  # n weights and a bias


class Layer(Module):
    """``n_outputs`` neurons reading the same inputs; calling it always returns a list.

    >>> layer = Layer(2, 3, activation="relu", seed=0, layer=1)
    >>> outs = layer([1.0, 1.0])
    >>> len(outs), [h.label for h in outs]
    (3, ['h1[0]', 'h1[1]', 'h1[2]'])
    """

    _show_children = False  # a layer's repr summarises its neurons

    def __init__(self, n_inputs: int, n_outputs: int, activation: str | Callable = "relu",
                 init: str | Callable = "uniform", seed: int | random.Random | None = None,
                 fused: bool = True, *, layer: int = 1):
        where = "Layer"
        self.n_inputs = _checks.positive_int(n_inputs, "n_inputs", where)
        self.n_outputs = _checks.positive_int(n_outputs, "n_outputs", where)
        self.activation, _ = _activation(activation, where)
        _init.get(init, where)
        self.init = init
        self.layer = _index(layer, "layer", where, 1)
        self.fused = bool(fused)
        rng = _init.make_rng(seed, where)
        self.neurons = [Neuron(self.n_inputs, activation, init, rng, fused,
                               layer=layer, unit=i, fan_out=self.n_outputs) for i in range(self.n_outputs)]

    def forward(self, x) -> list[Value]:
        """The layer's outputs (a list, even for one neuron) for one input vector."""
        return self._forward(wrap_inputs(x, self.n_inputs, "Layer"))

    def _forward(self, xs: list[Value]) -> list[Value]:
        return [n._forward(xs) for n in self.neurons]

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), n) for i, n in enumerate(self.neurons)]

    def parameters(self) -> list[Value]:
        """Neuron by neuron: ``W[0,0..], b[0], W[1,0..], b[1], ...``."""
        return [p for n in self.neurons for p in (*n.w, n.b)]

    def weights(self) -> list[list[float]]:
        """The weight matrix as floats, one row per neuron (``out_features x in_features``)."""
        return [[w.data for w in n.w] for n in self.neurons]

    def biases(self) -> list[float]:
        """The bias vector as floats."""
        return [n.b.data for n in self.neurons]

    def extra_repr(self) -> str:
        text = (f"in_features={self.n_inputs}, out_features={self.n_outputs}, "
                f"activation={_activation_name(self.activation)!r}")
        return text if self.fused else text + ", fused=False"

    def config(self) -> dict[str, Any] | None:
        if not isinstance(self.activation, str) or not isinstance(self.init, str):
            return None
        return {"n_inputs": self.n_inputs, "n_outputs": self.n_outputs, "activation": self.activation,
                "init": self.init, "fused": self.fused, "layer": self.layer}

    def _settings(self) -> dict[str, Any]:
        return {"activation": self.activation, "fused": self.fused}

    @classmethod
    def _count_parameters(cls, config: dict) -> int | None:
        return cls._dense_count([config.get("n_inputs"), config.get("n_outputs")])


class LinearMap(NamedTuple):
    """``x -> W x + b`` as plain floats: ``W`` has one row per output."""

    W: list[list[float]]
    b: list[float]

    def __call__(self, x: Sequence[float]) -> list[float]:
        """Apply the map to one input vector."""
        return [math.fsum([*(w * v for w, v in zip(row, x)), bias]) for row, bias in zip(self.W, self.b)]


class MLP(Module):
    """A multi-layer perceptron: ``MLP(n_inputs, sizes)`` stacks ``Layer``s of the given sizes.

    Hidden layers use ``activation``; the last layer uses ``output_activation``
    (None: linear, so the output is a raw score or logit). Calling the network on one
    input vector returns a Value if the last layer has one unit, else a list.
    ``init`` is ``"uniform"`` (-1, 1), ``"xavier"``, ``"he"`` or a function; all
    randomness comes from ``random.Random(seed)``.

    >>> model = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    >>> model.num_parameters(), model.sizes
    (17, [4, 1])
    >>> 0.0 < model([0.0, 1.0]).data < 1.0
    True
    """

    def __init__(self, n_inputs: int, sizes: Sequence[int], activation: str | Callable = "relu",
                 output_activation: str | Callable | None = None, seed: int | random.Random | None = None,
                 init: str | Callable = "uniform", fused: bool = True):
        where = "MLP"
        self.n_inputs = _checks.positive_int(n_inputs, "n_inputs", where)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise InputError(f"{where}: sizes must be a non-empty list of layer sizes, "
                             f"got {_checks.short(sizes)}")
        self.sizes = [_checks.positive_int(s, f"sizes[{i}]", where) for i, s in enumerate(sizes)]
        self.activation, _ = _activation(activation, where)
        self.output_activation = output_activation
        last, _ = _activation("linear" if output_activation is None else output_activation, where)
        _init.get(init, where)
        self.init = init
        self.fused = bool(fused)
        rng = _init.make_rng(seed, where)
        widths = [self.n_inputs, *self.sizes]
        n_layers = len(self.sizes)
        self.layers = [Layer(widths[k], widths[k + 1], activation if k < n_layers - 1 else last,
                             init, rng, fused, layer=k + 1) for k in range(n_layers)]

    def forward(self, x) -> Value | list[Value]:
        """The network's output for one input vector: a Value for one output unit, else a list."""
        xs = wrap_inputs(x, self.n_inputs, "MLP")
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs[0] if len(xs) == 1 else xs

    def score(self, x) -> float | list[float]:
        """The network's output as plain floats, building no graph (fast: for plots and
        evaluation). Equal to ``model(x).data`` for a fused network.

        >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
        >>> model.score([0.5, -1.0]) == model([0.5, -1.0]).data
        True
        """
        xs = [float(v) for v in _checks.inputs(x, self.n_inputs, "MLP.score")]
        for layer in self.layers:
            xs = [n._score(xs) for n in layer.neurons]
        return xs[0] if len(xs) == 1 else xs

    def children(self) -> list[tuple[str, Module]]:
        return [(f"layer{k + 1}", layer) for k, layer in enumerate(self.layers)]

    def parameters(self) -> list[Value]:
        """Layer by layer, neuron by neuron: ``W1[0,0], W1[0,1], b1[0], W1[1,0], ...``."""
        return [p for layer in self.layers for n in layer.neurons for p in (*n.w, n.b)]

    @property
    def decision_threshold(self) -> float:
        """Where the output splits the two classes: 0.5 after a sigmoid, else 0 (a score)."""
        return 0.5 if self.layers[-1].activation == "sigmoid" else 0.0

    def linear_equivalent(self) -> LinearMap:
        """The single linear map this network computes, when every activation is ``"linear"``.

        Stacked linear layers collapse: ``W = W_L ... W_2 W_1`` and
        ``b = W_L(... (W_2 b_1 + b_2) ...) + b_L``. A network with any non-linear
        activation raises :class:`~nn.InputError` (it is not one linear map).

        >>> deep = MLP(2, [3, 3, 1], activation="linear", seed=0)
        >>> W, b = deep.linear_equivalent()
        >>> len(W), len(W[0]), len(b)
        (1, 2, 1)
        >>> abs(deep([0.5, -1.0]).data - deep.linear_equivalent()([0.5, -1.0])[0]) < 1e-12
        True
        """
        for k, layer in enumerate(self.layers):
            if layer.activation != "linear":
                raise InputError(
                    f"linear_equivalent: layer {k + 1} uses the activation "
                    f"{_activation_name(layer.activation)!r}; only a network whose activations are all "
                    f"'linear' is one linear map (MLP(..., activation='linear'))")
        W, b = self.layers[0].weights(), self.layers[0].biases()
        for layer in self.layers[1:]:
            Wl, bl = layer.weights(), layer.biases()
            W = [[math.fsum(row[k] * W[k][j] for k in range(len(W))) for j in range(len(W[0]))] for row in Wl]
            b = [math.fsum([*(row[k] * b[k] for k in range(len(b))), bias]) for row, bias in zip(Wl, bl)]
        return LinearMap(W, b)

    def config(self) -> dict[str, Any] | None:
        named = (self.activation, self.output_activation or "linear", self.init)
        if not all(isinstance(a, str) for a in named):
            return None
        return {"n_inputs": self.n_inputs, "sizes": list(self.sizes), "activation": self.activation,
                "output_activation": self.output_activation, "init": self.init, "fused": self.fused}

    def _settings(self) -> dict[str, Any]:
        """The hidden layers' activation, the output layer's, and the kind of layer (``fused``:
        one ``dot`` node per neuron, or micrograd-style binary nodes)."""
        return {"activation": self.activation, "output_activation": self.output_activation,
                "fused": self.fused}

    @classmethod
    def _count_parameters(cls, config: dict) -> int | None:
        sizes = config.get("sizes")
        return cls._dense_count([config.get("n_inputs"), *sizes] if isinstance(sizes, list) and sizes else [None])
