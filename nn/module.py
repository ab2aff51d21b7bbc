"""``Module``: what every model in ``nn`` shares.

Parameters are ``autograd.Value`` leaves with readable labels (``W1[0,1]``,
``b1[0]``); a parameter's name *is* its label. ``Module`` gives

* ``parameters()`` in a fixed order, ``named_parameters()``, ``zero_grad()``;
* a PyTorch-like ``repr``;
* ``state_dict()`` / ``load_state_dict()`` (name -> float);
* ``save(path)`` / ``load(path)`` as JSON, never pickle. Saving writes a temporary
  file next to ``path`` and renames it over ``path``, so a crash mid-save leaves
  any old file whole. Loading checks the whole file first and only then assigns,
  so a damaged or wrong-shaped file raises :class:`~nn.ModelFileError` and
  leaves the model as it was.

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], seed=0)
    >>> [name for name, _ in model.named_parameters()][:4]
    ['W1[0,0]', 'W1[0,1]', 'b1[0]', 'W1[1,0]']
    >>> model.shapes()
    {'W1': [3, 2], 'b1': [3], 'W2': [1, 3], 'b2': [1]}
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from typing import Any

from autograd import Value

from .errors import ModelFileError

__all__ = ["Module", "FORMAT", "VERSION"]

FORMAT = "glassgrad.nn"
"""The ``format`` tag of a saved model file."""
VERSION = 1
"""The version of the saved model file format this code writes and reads."""

_LABEL = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*?)(?:\[(\d+(?:,\d+)*)\])?$")


class Module:
    """Base class of ``Perceptron``, ``Neuron``, ``Layer`` and ``MLP``.

    A subclass defines ``forward`` and ``parameters`` (or ``children``), and
    optionally ``extra_repr`` and ``config`` (its constructor arguments, so a saved
    file can rebuild it with :meth:`from_file`).
    """

    _registry: dict[str, type["Module"]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Module._registry[cls.__name__] = cls

    # -- calling ----------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # -- parameters -------------------------------------------------------------
    def children(self) -> list[tuple[str, "Module"]]:
        """The named sub-modules, in order (empty for a module with no sub-modules)."""
        return []

    def parameters(self) -> list[Value]:
        """Every parameter, in a fixed order (the children's, in order)."""
        return [p for _, child in self.children() for p in child.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` pairs in ``parameters()`` order; the name is the label."""
        return [(p.label, p) for p in self.parameters()]

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    def shapes(self) -> dict[str, list[int]]:
        """The parameter tensors read off the labels: ``{'W1': [3, 2], 'b1': [3], ...}``.

        ``W1[i,j]`` belongs to tensor ``W1``; a label without an index is a scalar (``[]``).
        """
        return _shapes([name for name, _ in self.named_parameters()])

    # -- repr -------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's one-line repr."""
        return ""

    def __repr__(self) -> str:
        children = self.children() if self._show_children else []
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"

    _show_children = True

    # -- state ------------------------------------------------------------------
    def state_dict(self) -> dict[str, float]:
        """A copy of every parameter's value, by name, in ``parameters()`` order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter from ``state`` (name -> number).

        Every name must be present, no extra name is allowed, and every value must be a
        finite number; otherwise :class:`~nn.ModelFileError` is raised and nothing changes.
        """
        named = self.named_parameters()
        values = _checked_state(state, [name for name, _ in named], type(self).__name__)
        for (_, p), v in zip(named, values):
            p.data = v

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments that rebuild this module's shape (None if it cannot
        be rebuilt from a file, e.g. it uses a custom activation function)."""
        return None

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` as JSON, atomically (a temporary file, then a rename).

        The file holds a format tag and version, the class, its ``config()``, the
        tensor shapes and every parameter by label. Floats are written with ``repr``,
        so loading gives back exactly the same numbers.
        """
        document = {
            "format": FORMAT,
            "version": VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "shapes": self.shapes(),
            "parameters": self.state_dict(),
        }
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
        _atomic_write(os.fspath(path), text)

    def load(self, path: str | os.PathLike) -> "Module":
        """Read parameters saved by :meth:`save` into this model and return it.

        The whole file is checked first (format, version, class, shapes, names,
        finite numbers); on any problem :class:`~nn.ModelFileError` says what and where,
        and the model is unchanged.
        """
        return self._assign(_read(os.fspath(path)), f"load {os.fspath(path)!r}")

    def _assign(self, document: dict, where: str) -> "Module":
        """Check a read model file against this model, then take its parameters."""
        if document["class"] != type(self).__name__:
            raise ModelFileError(f"{where}: the file holds a {document['class']}, not a {type(self).__name__}")
        self._check_shapes(document, where)
        named = self.named_parameters()
        values = _checked_state(document["parameters"], [name for name, _ in named], where)
        for (_, p), v in zip(named, values):
            p.data = v
        return self

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Module":
        """Build a model from a file written by :meth:`save` (its class and ``config``
        rebuild the shape, then the parameters are loaded).

        ``nn.Module.from_file(path)`` builds whatever class the file names;
        ``nn.MLP.from_file(path)`` also checks that it is an MLP. Before anything is built,
        the number of parameters the config asks for is worked out and must be the number
        the file holds, so a tampered config cannot make it build an enormous network.
        """
        document = _read(os.fspath(path))
        where = f"load {os.fspath(path)!r}"
        name = document["class"]
        target = Module._registry.get(name)
        if target is None or (cls is not Module and not issubclass(target, cls)):
            expected = "a known nn model" if cls is Module else f"a {cls.__name__}"
            raise ModelFileError(f"{where}: the file holds a {name!r}, expected {expected}")
        config = document["config"]
        if not isinstance(config, dict):
            raise ModelFileError(f"{where}: the file has no config to rebuild the {name} from "
                                 f"(it was saved with a custom function); build the model "
                                 f"yourself and call model.load(path)")
        wanted, held = _config_parameters(target, config), len(document["parameters"])
        if wanted is not None and wanted != held:
            raise ModelFileError(f"{where}: the saved config asks for a {name} of {wanted} parameters, "
                                 f"but the file holds {held}")
        try:
            model = target(**config)
        except (TypeError, ValueError) as e:
            raise ModelFileError(f"{where}: the saved config cannot rebuild a {name}: {e}") from None
        return model._assign(document, where)  # the document already read: the file is read once

    def _check_shapes(self, document: dict, where: str) -> None:
        saved, own = document["shapes"], self.shapes()
        if not isinstance(saved, dict):
            raise ModelFileError(f"{where}: 'shapes' must be an object")
        for name, shape in own.items():
            if name not in saved:
                raise ModelFileError(f"{where}: the file has no tensor {name} (this model has {name} "
                                     f"of shape {shape})")
            if saved[name] != shape:
                raise ModelFileError(f"{where}: {name} has shape {saved[name]} in the file but {shape} "
                                     f"in this model")
        extra = [name for name in saved if name not in own]
        if extra:
            raise ModelFileError(f"{where}: the file has tensors this model does not: {', '.join(extra)}")


# -- helpers ----------------------------------------------------------------------

def _shapes(names: list[str]) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for name in names:
        m = _LABEL.match(name or "")
        if m is None:
            raise ValueError(f"parameter label {name!r} is not of the form NAME or NAME[i,j,...]")
        tensor, index = m.group(1), m.group(2)
        idx = [int(i) for i in index.split(",")] if index else []
        shape = shapes.setdefault(tensor, [0] * len(idx))
        if len(shape) != len(idx):
            raise ValueError(f"parameter {name!r}: tensor {tensor} is indexed with "
                             f"{len(shape)} and {len(idx)} indices")
        for k, i in enumerate(idx):
            shape[k] = max(shape[k], i + 1)
    return shapes


def _config_parameters(cls: type, config: dict) -> int | None:
    """How many parameters ``cls(**config)`` would have, by arithmetic, without building it;
    None when this is not one of nn's models or the config's sizes are not positive ints
    (the constructor then refuses them before it allocates anything).

    >>> from nn import MLP
    >>> _config_parameters(MLP, {"n_inputs": 2, "sizes": [3, 1]}), MLP(2, [3, 1]).num_parameters()
    (13, 13)
    >>> _config_parameters(MLP, {"n_inputs": 10 ** 4, "sizes": [10 ** 6, 1]})
    10002000001
    """
    from .mlp import MLP, Layer, Neuron  # here: nn.mlp imports this module
    from .perceptron import Perceptron

    if cls is MLP:
        sizes = config.get("sizes")
        widths = [config.get("n_inputs"), *sizes] if isinstance(sizes, list) and sizes else [None]
    elif cls is Layer:
        widths = [config.get("n_inputs"), config.get("n_outputs")]
    elif cls is Neuron or cls is Perceptron:  # n weights and a bias (a threshold)
        widths = [config.get("n_inputs"), 1]
    else:
        return None
    if not all(type(n) is int and n >= 1 for n in widths):
        return None
    return sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))


def _checked_state(state, names: list[str], where: str) -> list[float]:
    """The values of ``state`` for ``names``, in order, after checking everything."""
    _check_mapping(state, where)
    missing = [n for n in names if n not in state]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ModelFileError(f"{where}: missing parameter{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing[:5])}{more}")
    known = set(names)
    extra = [n for n in state if n not in known]
    if extra:
        more = f" and {len(extra) - 5} more" if len(extra) > 5 else ""
        raise ModelFileError(f"{where}: unexpected parameter{'s' if len(extra) > 1 else ''} "
                             f"{', '.join(map(str, extra[:5]))}{more} (not in this model)")
    values = []
    for n in names:
        v = state[n]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ModelFileError(f"{where}: parameter {n} must be a number, got {type(v).__name__} {v!r:.40}")
        v = float(v)
        if not math.isfinite(v):
            raise ModelFileError(f"{where}: parameter {n} is {v!r}; parameters must be finite")
        values.append(v)
    return values


def _read(path: str) -> dict:
    """A model file parsed and its envelope checked (format, version, fields)."""
    where = f"load {path!r}"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ModelFileError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{where}: cannot read the file ({e})") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as e:  # RecursionError: nested too deeply ("[[[[...")
        raise ModelFileError(f"{where}: the file is damaged or not JSON ({e})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not a glassgrad model file (expected \"format\": {FORMAT!r})")
    if document.get("version") != VERSION:
        raise ModelFileError(f"{where}: file format version {document.get('version')!r} is not "
                             f"supported (this glassgrad reads version {VERSION})")
    for key in ("class", "config", "shapes", "parameters"):
        if key not in document:
            raise ModelFileError(f"{where}: the file has no {key!r} field")
    if not isinstance(document["class"], str):
        raise ModelFileError(f"{where}: 'class' must be a string")
    _check_mapping(document["parameters"], where)
    return document


def _check_mapping(state, where: str) -> None:
    if not isinstance(state, dict):
        raise ModelFileError(f"{where}: the parameters must be a mapping of name -> number, "
                             f"got {type(state).__name__}")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed: parameters must be finite")


def _atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see either the old file or the new one."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _mode_for(path: str) -> int:
    """The permissions of the file being replaced, or, for a new file, what ``open`` would
    give it: rw-rw-rw- less the umask (``mkstemp`` makes its file readable by the owner only)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without setting it (``os.umask`` can only be read by changing
    it, which would race with other threads); 0o022, the usual one, where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable where the OS allows it (POSIX); best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

