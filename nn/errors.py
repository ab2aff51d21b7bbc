"""The errors ``nn`` raises on purpose.

Both are ``ValueError`` subclasses (and ``autograd.GlassgradError``), so
``except ValueError`` catches them too.

    >>> import nn
    >>> try:
    ...     nn.MLP(2, [3], activation="softmax")
    ... except nn.InputError as e:
    ...     print(e)
    MLP: unknown activation 'softmax'; use one of 'relu', 'sigmoid', 'tanh', 'linear' or a callable
"""

from __future__ import annotations

from autograd import GlassgradError

__all__ = ["InputError", "ModelFileError"]


class InputError(GlassgradError, ValueError):
    """Bad input to ``nn``: a wrong shape, a label outside the chosen set, NaN or inf,
    an empty dataset, an unknown activation, a learning rate <= 0...

    Raised before anything is changed, so a model or optimizer is never half-updated.
    """


class ModelFileError(InputError):
    """A model file (or state dict) that cannot be loaded: damaged, of another format,
    or of the wrong shape. The model is left unchanged."""
