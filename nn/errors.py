"""The errors ``nn`` raises on purpose (every error class of ``nn`` is defined here).

All are ``autograd.GlassgradError`` subclasses. ``InputError``, ``ModelFileError`` and
``UsageError`` are also ``ValueError`` subclasses, so ``except ValueError`` catches them too;
``CommandFailed`` (the ``glassgrad`` command's work failed: a file it cannot write) is a
``RuntimeError``.

    >>> import nn
    >>> try:
    ...     nn.MLP(2, [3], activation="softmax")
    ... except nn.InputError as e:
    ...     print(e)
    MLP: unknown activation 'softmax'; use one of 'relu', 'sigmoid', 'tanh', 'linear' or a callable
"""

from __future__ import annotations

from autograd import GlassgradError

__all__ = ["InputError", "ModelFileError", "UsageError", "CommandFailed"]


class InputError(GlassgradError, ValueError):
    """Bad input to ``nn``: a wrong shape, a label outside the chosen set, NaN or inf,
    an empty dataset, an unknown activation, a learning rate <= 0...

    Raised before anything is changed, so a model or optimizer is never half-updated.
    """


class ModelFileError(InputError):
    """A model file (or state dict) that cannot be loaded -- damaged, of another format,
    of the wrong shape (the model is left unchanged) -- or saved: a path that is not a
    regular file, a read-only file, a full disk (the old file is left whole)."""


class UsageError(GlassgradError, ValueError):
    """The ``glassgrad`` command line asks for something the command cannot do (exit code 2)."""


class CommandFailed(GlassgradError, RuntimeError):
    """The ``glassgrad`` command's work failed for a reason outside the formula, such as an
    output file it cannot write (exit code 1)."""
