"""glassgrad's neural-network kit, built only on ``autograd``'s public API.

The course in a few lines each::

    import nn
    X, y = nn.data.and_(labels=(-1, 1))
    nn.Perceptron(2).fit(X, y)                         # Rosenblatt's rule converges
    nn.Perceptron(2).fit(*nn.data.xor(labels=(-1, 1)))  # ...and does not on XOR
    nn.MLP(2, [3, 1], activation="linear").linear_equivalent()   # stacked linear = linear
    model = nn.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    nn.fit(model, nn.data.xor(), nn.losses.bce, nn.optim.Adam(model.parameters(), lr=0.1), epochs=300)

    >>> import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=0)
    >>> model.num_parameters()
    337
"""

from ._engine import check_engine as _check_engine

_check_engine()  # before anything imports autograd: HIPS autograd has the same import name

from . import data, init, losses, optim, plot
from .errors import InputError, ModelFileError
from .mlp import MLP, Layer, LinearMap, Neuron
from .module import Module
from .perceptron import Perceptron, PerceptronFit
from .train import History, fit

__all__ = [
    "Module", "Perceptron", "PerceptronFit", "Neuron", "Layer", "MLP", "LinearMap",
    "fit", "History", "InputError", "ModelFileError",
    "losses", "optim", "data", "init", "plot",
]

