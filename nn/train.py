"""``fit``: the training loop, with a progress bar and a history of loss and accuracy.

Each step is the loop the course writes by hand::

    outputs = [model(x) for x in X_batch]
    loss = loss_fn(outputs, y_batch)          # + l2 * sum(p * p)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

By default ``fit`` builds the graph of ONE sample's loss once (the model and the loss on one
sample, its features as ``data=`` leaves), writes it out as straight-line Python with
:func:`autograd.compile_loop`, and runs that code over the samples of every batch, summing
each parameter's gradient as ``backward`` would: the same numbers bit for bit, many times
faster, and memory that does not grow with the data. The parameters are still Values whose
``.data`` and ``.grad`` change as above (see ``compiled=`` in :func:`fit`).

    >>> import nn
    >>> model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    >>> X, y = nn.data.blobs(40, seed=0, labels=(-1, 1))
    >>> history = nn.fit(model, (X, y), nn.losses.hinge, nn.optim.SGD(model.parameters(), lr=0.1),
    ...                  epochs=20, progress=False)
    >>> len(history), history[-1].accuracy
    (20, 1.0)
"""

from __future__ import annotations

import gc
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

import autograd as ag

from . import _checks
from . import losses as _losses
from .errors import InputError
from .array_step import FASTER_FROM, ArrayStep
from .array_step import available as _arrays_available
from .mlp import ACTIVATIONS, MLP, Layer, Neuron
from .module import Module
from .optim import Optimizer, Schedule
from .perceptron import Perceptron
from .sample_graph import SampleGraph

__all__ = ["fit", "History", "Epoch", "COMPILE_FROM_SAMPLES", "MAX_CASES", "FASTER_FROM"]

COMPILE_FROM_SAMPLES = 200
"""``compiled="auto"`` compiles only when training runs at least this many sample steps
(epochs x samples): writing and compiling one sample's code costs about as much as 100 eager
sample steps of micrograd's demo network (60 ms; a sample then costs about 40 us instead of
700), so below that eager training is as quick."""

MAX_CASES = 16
"""The most label values ``fit`` compiles a case for: a loss builds a differently shaped graph
for each label (hinge: relu(1 - s) for y = 1, relu(s + 1) for y = -1). Targets with more
distinct values (regression) train eagerly."""


@dataclass(frozen=True)
class Epoch:
    """One epoch of training: its mean loss, its accuracy (None if the targets are not
    class labels) and the learning rate it used. Loss and accuracy are measured on the
    outputs of the forward passes of that epoch, before each batch's update."""

    epoch: int
    loss: float
    accuracy: float | None
    lr: float


@dataclass
class History:
    """The epochs of a ``fit``, in order; indexable and iterable like a list.

    ``history.loss`` and ``history.accuracy`` give the columns as lists.
    """

    epochs: list[Epoch] = field(default_factory=list)

    @property
    def loss(self) -> list[float]:
        return [e.loss for e in self.epochs]

    @property
    def accuracy(self) -> list[float | None]:
        return [e.accuracy for e in self.epochs]

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, i):
        return self.epochs[i]

    def __iter__(self) -> Iterator[Epoch]:
        return iter(self.epochs)

    def as_dicts(self) -> list[dict]:
        """The epochs as plain dicts (for JSON, pandas...)."""
        return [vars(e).copy() for e in self.epochs]


def fit(model, data, loss: Callable, optimizer: Optimizer, epochs: int, batch_size: int | None = None,
        progress: bool = True, *, l2: float = 0.0, schedule: Schedule | None = None,
        threshold: float | None = None, shuffle: bool = True, seed: int | None = 0,
        pause_gc: bool = True, compiled: bool | str = "auto") -> History:
    """Train ``model`` on ``data = (X, y)`` for ``epochs`` epochs; return the :class:`History`.

    ``batch_size=None`` trains full-batch (one step per epoch); otherwise each epoch
    takes steps on batches of ``batch_size`` samples, shuffled by
    ``random.Random(seed)`` when ``shuffle`` is true. ``l2`` adds
    ``l2 * sum(p * p)`` to the loss; ``schedule`` is stepped after every epoch.
    Accuracy splits the classes at ``threshold`` (by default the loss's own: 0 for
    scores and logits, 0.5 for ``bce``; else halfway between the labels).

    ``pause_gc`` pauses Python's cyclic garbage collector during each step (the engine's
    graphs are freed by reference counting; the collector would only rescan them): a step is
    up to twice as fast. The collector runs as usual between steps.

    ``compiled`` says whether the step runs as generated code: one sample's graph, built once
    and compiled, then run on the samples of each batch; any batch size, shuffled or not, in
    memory that does not grow with the data. Two backends run it: a loop over the samples in
    plain Python (:func:`autograd.compile_loop`; eager mode's numbers bit for bit) and, when
    NumPy is installed, the same code over columns of samples (:func:`autograd.compile_arrays`;
    eager mode's numbers to rounding, about 1e-13 relative), used from :data:`FASTER_FROM`
    samples a batch, where it is the faster. Compiling is only right for code whose graph ``fit``
    knows: nn's own models (``MLP``, ``Layer``, ``Neuron``, ``Perceptron``) with their built-in
    activations and their own ``forward`` (checked by identity: a registered or replaced
    function could branch on ``.data``), the losses of :mod:`nn.losses` (``bce`` after a sigmoid
    output), and at most :data:`MAX_CASES` distinct targets. ``"auto"`` (the default) compiles
    when all of that holds and there are at least :data:`COMPILE_FROM_SAMPLES` sample steps to
    pay for compiling, and trains eagerly otherwise; ``True`` compiles or raises
    :class:`~nn.InputError` saying why it cannot; ``"loop"`` and ``"arrays"`` are ``True`` with
    the backend named; ``False`` never compiles. Refusals are eager mode's: a value or gradient
    eager mode refuses raises the same error, naming the sample.

    The progress bar (``tqdm.auto``, which also draws in notebooks) shows loss and
    accuracy; ``progress=False`` is silent. Everything -- data, labels against the
    loss, sizes, the learning rate -- is checked before any parameter changes.
    """
    where = "fit"
    if not callable(model):
        raise InputError(f"{where}: model must be callable (an nn model), got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise InputError(f"{where}: optimizer must be an nn.optim optimizer, got {type(optimizer).__name__}")
    _check_optimizer_trains(model, optimizer, where)
    if not callable(loss):
        raise InputError(f"{where}: loss must be a function (outputs, targets) -> Value, "
                         f"got {type(loss).__name__}")
    try:
        X, y = data
    except (TypeError, ValueError):
        raise InputError(f"{where}: data must be a pair (X, y), got {_checks.short(data)}") from None
    rows, targets = _checks.dataset(X, y, where, getattr(model, "n_inputs", None))
    check_targets = getattr(loss, "check_targets", None)
    loss_name = getattr(loss, "__name__", "the loss")
    if check_targets is not None:
        check_targets(targets, loss_name)
    epochs = _checks.positive_int(epochs, "epochs", where)
    n = len(rows)
    size = n if batch_size is None else min(_checks.positive_int(batch_size, "batch_size", where), n)
    l2 = _checks.non_negative_number(l2, "l2", where)
    if schedule is not None and (not isinstance(schedule, Schedule) or schedule.optimizer is not optimizer):
        raise InputError(f"{where}: schedule must be an nn.optim schedule of this optimizer")
    split = _threshold(loss, targets, threshold)
    params = list(model.parameters()) if l2 else None
    plan = _compile_plan(model, loss, compiled, rows, targets, epochs, size, where)
    rng = random.Random(seed)
    order = list(range(n))

    from tqdm.auto import tqdm  # imported here so `import nn` stays light

    history = History()
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress, leave=True)
    try:
        for epoch in bar:
            if shuffle and size < n:
                rng.shuffle(order)
            lr = optimizer.lr
            total, right = 0.0, 0
            for start in range(0, n, size):
                batch = order[start:start + size]
                xb = [rows[i] for i in batch]
                yb = [targets[i] for i in batch]
                with _collector_paused(pause_gc):
                    if plan is None:
                        batch_loss, batch_right = _step(model, xb, yb, loss, optimizer, params, l2, split)
                    else:
                        batch_loss, batch_right = plan.step(batch, yb, optimizer, params, l2, split)
                total += batch_loss * len(batch)
                right += batch_right
            record = Epoch(epoch + 1, total / n, right / n if split is not None else None, lr)
            history.epochs.append(record)
            if progress:
                shown = {"loss": f"{record.loss:.4f}"}
                if record.accuracy is not None:
                    shown["acc"] = f"{record.accuracy:.1%}"
                bar.set_postfix(shown, refresh=False)
            if schedule is not None:
                schedule.step()
    finally:
        bar.close()
    return history


def _step(model, xb: list, yb: list[float], loss: Callable, optimizer: Optimizer, params, l2: float,
          split: float | None) -> tuple[float, int]:
    """One optimizer step on a batch: (its loss, how many it got right). The step's graph is
    freed when this returns."""
    outputs = [model(x) for x in xb]
    value = loss(outputs, yb)
    if l2:
        value = value + _losses.l2(params, l2)
    optimizer.zero_grad()
    value.backward()
    optimizer.step()
    right = _losses.count_correct(outputs, yb, split) if split is not None else 0
    return value.data, right


class _SampleStep:
    """fit's compiled step: one sample's loss as a loop over samples (:func:`autograd.compile_loop`),
    a case per label value, for every batch of the data set."""

    def __init__(self, model, loss, rows: list, targets: list[float]):
        labels = sorted(set(targets))
        case_of = {t: k for k, t in enumerate(labels)}
        self.graph = graph = SampleGraph(model, loss, rows[0], labels)
        self.loop = ag.compile_loop(graph.cases, graph.params, data=graph.features, also=graph.outputs,
                                    name="fit_step", case_notes=graph.notes)
        self.samples = [(*row, case_of[t]) for row, t in zip(rows, targets)]

    def step(self, batch: list[int], yb: list[float], optimizer: Optimizer, params, l2: float,
             split: float | None) -> tuple[float, int]:
        """:func:`_step` on the samples ``batch``, through the compiled loop: (loss, right)."""
        graph, samples = self.graph, self.samples
        values, start, reg = graph.begin(optimizer, params, l2)
        run = self.loop.run_samples([samples[i] for i in batch], values, seed=graph.seed(len(batch)),
                                    start=start, numbers=batch)
        value = graph.mean(run.values, reg, l2)
        graph.end(run.grads, optimizer)
        if split is None:
            return value, 0
        outputs = [also[0] for also in run.also] if graph.single_output else run.also
        return value, _losses.count_correct(outputs, yb, split)


_OWN_LOSSES = (_losses.hinge, _losses.bce, _losses.bce_with_logits, _losses.mse, _losses.zero_one)
"""nn's losses: each the mean of a one-sample graph that only the label shapes."""

_OWN_CODE = {cls: {name: cls.__dict__.get(name) for name in ("forward", "_forward", "__call__")}
             for cls in (Module, MLP, Layer, Neuron, Perceptron)}
"""nn's own forward code, as it was when nn was imported (fit compiles only that)."""

_OWN_ACTIVATIONS = dict(ACTIVATIONS)
"""The built-in activations, by name, as nn defines them (a name registered later is not one)."""


_COMPILED = (True, False, "auto", "loop", "arrays")


def _compile_plan(model, loss, compiled, rows: list, targets: list[float], epochs: int, size: int,
                  where: str):
    """None to train eagerly; else the compiled step (over NumPy arrays, or a loop over the
    samples). Raises for ``compiled=True`` (or a named backend) when compiling would not be
    right, saying why."""
    if not any(compiled is c if isinstance(c, bool) else compiled == c for c in _COMPILED) \
            or (isinstance(compiled, int) and not isinstance(compiled, bool)):
        raise InputError(f"{where}: compiled must be True, False, 'auto', 'loop' or 'arrays', "
                         f"got {_checks.short(compiled)}")
    if compiled is False:
        return None
    demanded = compiled is not True and compiled != "auto"  # "loop" or "arrays": as True, and which
    reason = _why_not_compiled(model, loss, targets)
    if compiled == "arrays" and reason is None and not _arrays_available():
        reason = "compiled='arrays' needs NumPy (pip install \"glassgrad[fast]\")"
    if reason is None and compiled == "auto" and epochs * len(rows) < COMPILE_FROM_SAMPLES:
        return None  # too few steps to pay for compiling; True compiles anyway
    if reason is not None:
        if compiled is True or demanded:
            raise InputError(f"{where}: cannot compile the training step: {reason}; "
                             f"pass compiled='auto' or False to train eagerly")
        return None
    arrays = compiled == "arrays" or (compiled != "loop" and size >= FASTER_FROM and _arrays_available())
    try:
        return (ArrayStep if arrays else _SampleStep)(model, loss, rows, targets)
    except ag.CompileTooLarge as e:
        if compiled is True or demanded:
            raise InputError(f"{where}: cannot compile the training step: {e}") from None
        return None
    except (ag.GlassgradError, InputError):
        if compiled is True or demanded:
            raise
        return None  # eager training meets the same error, in its own words


def _why_not_compiled(model, loss, targets: list[float]) -> str | None:
    """Why fit cannot vouch for compiled code of this model and loss (None: it can)."""
    if not any(loss is own for own in _OWN_LOSSES):
        return (f"its loss {getattr(loss, '__name__', type(loss).__name__)!r} is not one of nn.losses "
                f"(bce, bce_with_logits, hinge, mse, zero_one), whose graphs fit knows")
    units = _units(model)
    if units is None:
        return (f"its model is {_own_code_problem(model) or 'a ' + type(model).__name__}; fit compiles only "
                f"nn's own models (MLP, Layer, Neuron, Perceptron) with their own forward and built-in "
                f"activations (your code could branch on .data, and compiled code would not follow)")
    for unit in units:
        if isinstance(unit, Neuron):
            act = unit.activation
            if not isinstance(act, str) or _OWN_ACTIVATIONS.get(act, False) is not unit._act \
                    or (unit._act is not None and getattr(ag.Value, act, None) is not unit._act):
                return (f"a neuron's activation {_checks.short(act)} is not one of nn's built-in ones "
                        f"(relu, sigmoid, tanh, linear) as nn defines them; fit compiles only those (yours "
                        f"could branch on .data)")
    if loss is _losses.bce and not _ends_in_sigmoid(model, units):
        return ("bce needs outputs in [0, 1], and this model's last layer is not a sigmoid (use "
                "output_activation='sigmoid', or bce_with_logits on raw scores)")
    if len(set(targets)) > MAX_CASES:
        return (f"the targets take {len(set(targets))} distinct values, more than the {MAX_CASES} cases "
                f"fit compiles (one per label value)")
    return None


def _units(model) -> list | None:
    """The model's modules, if every one is nn's own with nn's own forward; else None."""
    kind = type(model)
    if kind is Perceptron:
        modules = [model]
    elif kind is MLP:
        modules = [model, *model.layers, *(n for layer in model.layers for n in layer.neurons)]
    elif kind is Layer:
        modules = [model, *model.neurons]
    elif kind is Neuron:
        modules = [model]
    else:
        return None
    for module in modules:
        if type(module) not in _OWN_CODE or _own_code_problem(module):
            return None
    return [m for m in modules if isinstance(m, (Neuron, Perceptron))]


def _own_code_problem(module) -> str | None:
    """What replaced nn's own forward code on this module (its class or itself), or None."""
    for cls in (Module, type(module)):
        for name, original in _OWN_CODE.get(cls, {}).items():
            if cls.__dict__.get(name) is not original:
                return f"a {type(module).__name__} whose class's {name} was replaced"
    for name in ("forward", "_forward", "__call__"):
        if name in vars(module):
            return f"a {type(module).__name__} whose {name} was replaced on the instance"
    return None


def _ends_in_sigmoid(model, units: list) -> bool:
    last = model.layers[-1].neurons if type(model) is MLP else model.neurons if type(model) is Layer else units
    return all(isinstance(u, Neuron) and u.activation == "sigmoid" for u in last)


def _check_optimizer_trains(model, optimizer: Optimizer, where: str) -> None:
    """Refuse an optimizer that holds none of the model's parameters (made for another model):
    training would change nothing and say nothing. Some of them is fine (fine-tuning a layer)."""
    parameters = getattr(model, "parameters", None)
    if not callable(parameters):
        return  # a plain function as the model: no parameters to compare with
    own = {id(p) for p in parameters()}
    if own and not any(id(p) in own for p in optimizer.params):
        raise InputError(f"{where}: the optimizer's {len(optimizer.params)} parameters are none of the "
                         f"model's {len(own)} (was it made for another model?); make it from this one, "
                         f"e.g. {type(optimizer).__name__}(model.parameters(), lr=...)")


@contextmanager
def _collector_paused(pause: bool):
    """Pause Python's cyclic garbage collector for one training step (when ``pause``).

    A step builds tens of thousands of nodes and frees them all when it ends, by reference
    counting alone: the engine makes no reference cycles. But CPython starts a collection
    every few hundred allocations, so without the pause it rescans the half-built graph again
    and again and finds nothing to free (about 40% of an unfused MLP step). The collector is
    resumed after the step, so cycles that your own code makes are still collected. Only a
    collector that was on is paused, and each pause resumes only what it paused.
    """
    collecting = pause and gc.isenabled()
    if collecting:
        gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _threshold(loss, targets: list[float], threshold: float | None) -> float | None:
    """Where outputs split the classes for accuracy; None when the targets are not labels."""
    try:
        low, high = _losses.label_set(targets, "fit")
    except InputError:
        return None  # regression targets: accuracy means nothing
    if threshold is not None:
        return _checks.number(threshold, "threshold", "fit")
    own = getattr(loss, "threshold", None)
    return own if own is not None else (low + high) / 2.0
