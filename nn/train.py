"""``fit``: the training loop, with a progress bar and a history of loss and accuracy.

Each step is the loop the course writes by hand::

    outputs = [model(x) for x in X_batch]
    loss = loss_fn(outputs, y_batch)          # + l2 * sum(p * p)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

When the same batch comes back with a graph of the same shape (every epoch of full-batch
training, or fixed batches with ``shuffle=False``), ``fit`` builds that graph only once,
writes it out as straight-line Python with :func:`autograd.compile`, and calls the code on
later steps instead: the same numbers bit for bit, several times faster. The parameters are
still Values whose ``.data`` and ``.grad`` change as above (see ``compiled=`` in :func:`fit`).

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
from .mlp import MLP, Layer, Neuron
from .optim import Optimizer, Schedule
from .perceptron import Perceptron

__all__ = ["fit", "History", "Epoch", "COMPILE_FROM_EPOCHS"]

COMPILE_FROM_EPOCHS = 20
"""``compiled="auto"`` compiles only when training runs at least this many epochs: writing and
compiling a batch's code costs about ten eager steps (0.7 s for micrograd's demo network on
100 samples, where a compiled step then takes 4 ms instead of 70), so it pays off only when
each batch comes back often enough."""


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

    ``compiled`` says whether a batch's graph is built once and then run as generated code
    (:func:`autograd.compile`). That is only right while the graph keeps its shape as the
    weights move, so ``fit`` compiles only what it knows does: nn's own models (``MLP``,
    ``Layer``, ``Neuron``, ``Perceptron`` with named activations: relu, sigmoid, tanh and
    linear make the same nodes whatever their inputs), the losses of :mod:`nn.losses` (their
    shape depends on the labels only; ``bce``'s clamp of log near 0 depends on the outputs, so
    ``fit`` checks it after each step and rebuilds the graph when it changes side), and batches
    that come back (full batch, or ``shuffle=False``). ``"auto"`` (the default) compiles when
    all of that holds and there are at least :data:`COMPILE_FROM_EPOCHS` epochs to pay for
    compiling, and trains eagerly otherwise; ``True`` compiles or raises
    :class:`~nn.InputError` saying why it cannot; ``False`` never compiles. The results are
    the same bit for bit either way: parameters, gradients, loss and accuracy.

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
    repeats = size == n or not shuffle  # the same batches, in the same order, every epoch
    plan = _compile_plan(model, loss, compiled, repeats, epochs, where)
    cache: dict[int, _Compiled] = {}
    params = list(model.parameters()) if l2 else None
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
                        batch_loss, batch_right = _compiled_step(cache, start, plan, model, xb, yb, loss,
                                                                 optimizer, params, l2, split)
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


class _Compiled:
    """A batch's compiled step: the function, and the branch ``bce`` took at each sample."""

    __slots__ = ("fn", "branches")

    def __init__(self, fn, branches):
        self.fn = fn
        self.branches = branches


def _compiled_step(cache: dict, key: int, guard, model, xb: list, yb: list[float], loss: Callable,
                   optimizer: Optimizer, params, l2: float, split: float | None) -> tuple[float, int]:
    """:func:`_step` through the batch's compiled graph (compiled on the batch's first step).

    ``guard`` is False when the graph's shape depends on the labels only; for ``bce`` it gives
    the side of the log's clamp each output is on: if one crossed, the gradients just added
    are put back and the graph is rebuilt and compiled again for this side."""
    step = cache.get(key)
    if step is not None:
        fn = step.fn
        optimizer.zero_grad()
        if not guard:
            run = fn.backward()
        else:
            before = [p.grad for p in fn.inputs]
            try:
                run = fn.backward()
            except ag.OpError:  # e.g. log(0): an output crossed the clamp; the rebuild decides
                run = None
            if run is None or guard(run.also, yb) != step.branches:
                for p, g in zip(fn.inputs, before):
                    p.grad = g
                run = None
        if run is not None:
            optimizer.step()
            right = _losses.count_correct(run.also, yb, split) if split is not None else 0
            return run.value, right
    outputs = [model(x) for x in xb]
    value = loss(outputs, yb)
    if l2:
        value = value + _losses.l2(params, l2)
    fn = ag.compile(value, list(model.parameters()), also=outputs, name="fit_step", comments=False)
    branches = guard([o.data for o in outputs], yb) if guard else None
    del outputs, value  # the graph is freed here: the compiled step holds none of it
    cache[key] = _Compiled(fn, branches)
    optimizer.zero_grad()
    run = fn.backward()
    optimizer.step()
    right = _losses.count_correct(run.also, yb, split) if split is not None else 0
    return run.value, right


_SHAPE_KEPT_BY_LABELS = (_losses.hinge, _losses.bce_with_logits, _losses.mse, _losses.zero_one)
"""Losses whose graph is decided by the labels alone (hinge's relu(1 - s) or relu(s + 1), ...)."""


def _compile_plan(model, loss, compiled, repeats: bool, epochs: int, where: str):
    """None to train eagerly; else the shape guard :func:`_compiled_step` uses (a function,
    or False when the labels alone decide the shape). Raises for ``compiled=True`` when
    compiling would not be right, saying why."""
    if compiled is not True and compiled is not False and compiled != "auto":
        raise InputError(f"{where}: compiled must be True, False or 'auto', got {_checks.short(compiled)}")
    if compiled is False:
        return None
    reason = None
    if not _keeps_shape(model):
        reason = (f"its model is a {type(model).__name__}; fit compiles only nn's own models (MLP, Layer, "
                  f"Neuron, Perceptron with named activations), whose graph keeps its shape as the weights "
                  f"move (a model of your own could branch on .data, and the compiled step would not follow)")
    elif loss is not _losses.bce and not any(loss is known for known in _SHAPE_KEPT_BY_LABELS):
        reason = (f"its loss {getattr(loss, '__name__', type(loss).__name__)!r} is not one of nn.losses "
                  f"(bce, bce_with_logits, hinge, mse, zero_one), whose graph fit knows keeps its shape")
    elif not repeats:
        reason = ("shuffled minibatches make a new graph every step, so there is nothing to reuse "
                  "(use shuffle=False or full batch, batch_size=None)")
    if reason is None and compiled == "auto" and epochs < COMPILE_FROM_EPOCHS:
        return None  # too few steps to pay for compiling; True compiles anyway
    if reason is not None:
        if compiled is True:
            raise InputError(f"{where}: cannot compile the training step: {reason}; "
                             f"pass compiled='auto' or False to train eagerly")
        return None
    return getattr(loss, "branches", None) or False  # bce's log clamp: see losses.bce_branches


def _keeps_shape(model) -> bool:
    """True for nn's own models with named activations: their graph is the same whatever the
    weights (no Python branch on a value)."""
    kind = type(model)
    if kind is Perceptron:
        return True
    if kind is MLP:
        layers = model.layers
    elif kind is Layer:
        layers = [model]
    elif kind is Neuron:
        return isinstance(model.activation, str)
    else:
        return False
    return all(type(layer) is Layer and all(type(unit) is Neuron and isinstance(unit.activation, str)
                                            for unit in layer.neurons) for layer in layers)


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
