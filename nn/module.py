"""``Module``: what every model in ``nn`` shares.

Parameters are ``autograd.Value`` leaves with readable labels (``W1[0,1]``,
``b1[0]``); a parameter's name *is* its label. ``Module`` gives

* ``parameters()`` in a fixed order, ``named_parameters()``, ``zero_grad()``;
* a PyTorch-like ``repr``;
* ``state_dict()`` / ``load_state_dict()`` (name -> float);
* ``save(path)`` / ``load(path)`` as JSON, never pickle. Saving writes a temporary
  file next to the file it replaces and renames it over it, so a crash or a full disk
  mid-save leaves any old file whole; it writes through a symlink to its target and
  never replaces a folder, device, FIFO or read-only file (see :mod:`autograd.files`).
  Loading reads only a regular file of at most :data:`MAX_FILE_BYTES`, checks the whole
  file first and only then assigns, so a damaged or wrong-shaped file raises
  :class:`~nn.ModelFileError` and leaves the model as it was. ``load`` also compares the
  saved configuration with the model: a file saved from a relu MLP does not load into a
  tanh one of the same shape (the error says what differs; ``from_file`` rebuilds the
  model the file describes). A path is a str, bytes or os.PathLike.

Parameters are saved by name (their labels), so two parameters of one model may not share
a label: ``save``, ``state_dict`` and loading refuse such a model with a ModelFileError
rather than silently keeping one value for both.

Subclasses register themselves by class name (``Module.from_file`` builds the class a file
names) and say how many parameters a config asks for (``_count_parameters``), so this
module, at the bottom of ``nn``, imports none of the models built on it.

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
from typing import Any

from autograd import Value

from autograd.files import read_regular, write_atomically
from .errors import ModelFileError

__all__ = ["Module", "FORMAT", "VERSION", "MAX_FILE_BYTES"]

FORMAT = "glassgrad.nn"
"""The ``format`` tag of a saved model file."""
VERSION = 1
"""The version of the saved model file format this code writes and reads."""

MAX_FILE_BYTES = 64 * 2**20
"""The largest model file ``load`` reads (64 MiB: about two million parameters)."""

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

    @classmethod
    def _count_parameters(cls, config: dict) -> int | None:
        """How many parameters ``cls(**config)`` would have, worked out without building it;
        None when unknown (the default) or when the config's sizes are not positive ints
        (the constructor then refuses them before it allocates anything). ``from_file``
        compares it with the file's count before building anything.

        >>> from nn import MLP
        >>> MLP._count_parameters({"n_inputs": 2, "sizes": [3, 1]}), MLP(2, [3, 1]).num_parameters()
        (13, 13)
        >>> MLP._count_parameters({"n_inputs": 10 ** 4, "sizes": [10 ** 6, 1]})
        10002000001
        """
        return None

    @staticmethod
    def _dense_count(widths: list) -> int | None:
        """The parameters of dense layers between ``widths`` (weights and a bias per unit);
        None unless every width is a positive int."""
        if not all(type(n) is int and n >= 1 for n in widths):
            return None
        return sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))

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

    def _unique_names(self, where: str) -> list[tuple[str, Value]]:
        """``named_parameters()``, after checking that every name is a label of the form
        NAME or NAME[i,j,...] and that no two parameters share one: state is kept by name,
        so two parameters with one label would be saved as one value."""
        named = self.named_parameters()
        seen: set[str] = set()
        for name, _ in named:
            if not isinstance(name, str) or _LABEL.match(name) is None:
                raise ModelFileError(f"{where}: parameter label {name!r} is not of the form NAME or "
                                     "NAME[i,j,...]; give every parameter such a label")
            if name in seen:
                raise ModelFileError(f"{where}: two parameters share the label {name!r}; parameters are "
                                     "saved and loaded by label, so give each a label of its own")
            seen.add(name)
        return named

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
        """A copy of every parameter's value, by name, in ``parameters()`` order.

        Raises :class:`~nn.ModelFileError` if two parameters share a label."""
        return {name: p.data for name, p in self._unique_names(f"{type(self).__name__}.state_dict")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter from ``state`` (name -> number).

        Every name must be present, no extra name is allowed, and every value must be a
        finite number; otherwise :class:`~nn.ModelFileError` is raised and nothing changes.
        """
        named = self._unique_names(f"{type(self).__name__}.load_state_dict")
        values = _checked_state(state, [name for name, _ in named], type(self).__name__)
        for (_, p), v in zip(named, values):
            p.data = v

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments that rebuild this module's shape (None if it cannot
        be rebuilt from a file, e.g. it uses a custom activation function)."""
        return None

    def _settings(self) -> dict[str, Any]:
        """The settings that change what the model computes beyond its shapes (the shapes are
        compared through the labels): activations, the output activation, the kind of layer.
        Values as the constructor took them (a custom function too); ``load`` compares them
        with the saved config, key by key (see :func:`_same_setting`)."""
        return {}

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` as JSON, atomically (a temporary file, then a rename).

        The file holds a format tag and version, the class, its ``config()``, the
        tensor shapes and every parameter by label. Floats are written with ``repr``,
        so loading gives back exactly the same numbers. A symlink is written through to
        its target; a folder, device, FIFO or read-only file is refused, and so is a model
        with two parameters of one label, with :class:`~nn.ModelFileError` naming ``path``;
        on any failure the old file is left whole.
        """
        where = f"save {_file_name(path, 'save')!r}"
        named = self._unique_names(where)
        values = {}
        for name, p in named:
            if not math.isfinite(p.data):
                raise ModelFileError(f"{where}: parameter {name} is {p.data!r}; only finite "
                                     "parameters can be saved")
            values[name] = p.data
        document = {
            "format": FORMAT,
            "version": VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "shapes": _shapes([name for name, _ in named]),
            "parameters": values,
        }
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
        write_atomically(path, text.encode("utf-8"), lambda message: ModelFileError(f"save: {message}"))

    def load(self, path: str | os.PathLike) -> "Module":
        """Read parameters saved by :meth:`save` into this model and return it.

        The whole file is checked first (format, version, class, the settings that change
        what the model computes, shapes, names, finite numbers); on any problem
        :class:`~nn.ModelFileError` says what and where, and the model is unchanged. A file
        saved from a relu ``MLP(2, [3, 1])`` does not load into a tanh ``MLP(2, [3, 1])``:

        >>> import nn, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "relu.json")
        >>> nn.MLP(2, [3, 1], activation="relu", seed=0).save(path)
        >>> try:
        ...     nn.MLP(2, [3, 1], activation="tanh").load(path)
        ... except nn.ModelFileError as e:
        ...     print(str(e).replace(path, "relu.json"))  # doctest: +NORMALIZE_WHITESPACE
        load 'relu.json': the file holds an MLP that computes something else: activation 'relu'
        in the file, 'tanh' in this model; build the model with the file's settings, or rebuild
        it from the file with nn.MLP.from_file(path)
        """
        shown = _file_name(path, "load")
        return self._assign(_read(shown), f"load {shown!r}")

    def _assign(self, document: dict, where: str) -> "Module":
        """Check a read model file against this model, then take its parameters."""
        if document["class"] != type(self).__name__:
            raise ModelFileError(f"{where}: the file holds a {document['class']}, not a {type(self).__name__}")
        self._check_settings(document["config"], where)
        named = self._unique_names(where)
        self._check_shapes(document, where)
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
        shown = _file_name(path, "load")
        document = _read(shown)
        where = f"load {shown!r}"
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
        wanted, held = target._count_parameters(config), len(document["parameters"])
        if wanted is not None and wanted != held:
            raise ModelFileError(f"{where}: the saved config asks for a {name} of {wanted} parameters, "
                                 f"but the file holds {held}")
        try:
            model = target(**config)
        except (TypeError, ValueError) as e:
            raise ModelFileError(f"{where}: the saved config cannot rebuild a {name}: {e}") from None
        return model._assign(document, where)  # the document already read: the file is read once

    def _check_settings(self, saved, where: str) -> None:
        """Refuse a file whose config differs from this model in what it computes. A file
        saved from a model with a custom function has no config (None): only its shapes
        and names can be compared."""
        if saved is None:
            return
        if not isinstance(saved, dict):
            raise ModelFileError(f"{where}: 'config' must be an object or null, got "
                                 f"{type(saved).__name__}")
        differ = [f"{key} {_shown_setting(saved[key])} in the file, {_shown_setting(mine)} in this model"
                  for key, mine in self._settings().items()
                  if key in saved and not _same_setting(key, saved[key], mine)]
        if differ:
            name = type(self).__name__
            article = "an" if name[0] in "AEIOU" or name.isupper() and name[0] in "AEFHILMNORSX" else "a"
            raise ModelFileError(f"{where}: the file holds {article} {name} that computes something "
                                 f"else: {'; '.join(differ)}; build the model with the file's "
                                 f"settings, or rebuild it from the file with "
                                 f"nn.{name}.from_file(path)")

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
        try:
            v = float(v)
        except OverflowError:  # an integer of hundreds of digits
            raise ModelFileError(f"{where}: parameter {n} is an integer of {len(str(v))} digits, too "
                                 "large for a float; parameters must be finite") from None
        if not math.isfinite(v):
            raise ModelFileError(f"{where}: parameter {n} is {v!r}; parameters must be finite")
        values.append(v)
    return values


def _file_name(path, doing: str) -> str:
    """``path`` as a str (bytes decoded as the OS does), or a ModelFileError naming what it is."""
    try:
        return os.fsdecode(path)
    except TypeError:
        raise ModelFileError(f"{doing}: the path must be a file name (a str, bytes or os.PathLike), "
                             f"got {type(path).__name__} {path!r:.40}") from None


def _same_setting(key: str, saved: Any, mine: Any) -> bool:
    """A saved setting equals this model's: no output activation is the linear one."""
    if key == "output_activation":
        saved, mine = saved or "linear", mine or "linear"
    return type(saved) is type(mine) and saved == mine


def _shown_setting(value: Any) -> str:
    if callable(value):
        return f"the function {getattr(value, '__name__', type(value).__name__)}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read(path: str) -> dict:
    """A model file parsed and its envelope checked (format, version, fields)."""
    where = f"load {path!r}"
    data = read_regular(path, MAX_FILE_BYTES, lambda message: ModelFileError(f"load {message}"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{where}: the file is damaged or not JSON (not UTF-8: {e})") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:  # RecursionError: nested too deeply ("[[[[...")
        raise ModelFileError(f"{where}: the file is damaged or not JSON ({e})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not a glassgrad model file (expected \"format\": {FORMAT!r})")
    if type(document.get("version")) is not int or document["version"] != VERSION:  # not 1.0, not true
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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object as a dict, refusing a key given twice (``json`` keeps the last silently)."""
    document = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"the key {key!r} appears twice in one object; a model file gives "
                             "each name once")
        document[key] = value
    return document


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed: parameters must be finite")
