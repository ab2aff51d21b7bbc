"""Argument checks shared by the ``nn`` modules: each raises :class:`~nn.errors.InputError`
with a message that says where, what was expected and what came instead."""

from __future__ import annotations

import math
import numbers
from autograd import Value

from .errors import InputError

_LARGEST = 1.7976931348623157e308  # the largest finite float

LABEL_SETS = ((0, 1), (-1, 1))
"""The label sets a classifier in ``nn`` understands: {0, 1} and {-1, +1}."""


def short(x) -> str:
    """``repr(x)`` cut to 40 characters, for error messages."""
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def number(x, what: str, where: str) -> float:
    """``x`` as a finite float (a bool is refused: it is almost always a mistake)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise InputError(f"{where}: {what} must be a number, got {type(x).__name__} {short(x)}")
    try:
        f = float(x)
    except OverflowError:
        raise InputError(f"{where}: {what} {short(x)} is too large for a float") from None
    if not math.isfinite(f):
        raise InputError(f"{where}: {what} must be finite, got {f!r}")
    return f


def positive_number(x, what: str, where: str) -> float:
    """A finite float > 0 (a learning rate, a step size)."""
    f = number(x, what, where)
    if f <= 0.0:
        raise InputError(f"{where}: {what} must be > 0, got {f!r}")
    return f


def non_negative_number(x, what: str, where: str) -> float:
    f = number(x, what, where)
    if f < 0.0:
        raise InputError(f"{where}: {what} must be >= 0, got {f!r}")
    return f


def positive_int(x, what: str, where: str) -> int:
    """An int >= 1 (a size, a number of epochs)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise InputError(f"{where}: {what} must be a positive int, got {type(x).__name__} {short(x)}")
    if x < 1:
        raise InputError(f"{where}: {what} must be a positive int, got {x!r}")
    return int(x)


def label_set(labels, where: str) -> tuple[int, int]:
    """``labels`` checked to be (0, 1) or (-1, 1)."""
    try:
        pair = tuple(labels)
    except TypeError:
        pair = None
    if pair not in LABEL_SETS:
        raise InputError(f"{where}: labels must be (0, 1) or (-1, 1), got {short(labels)}")
    return pair  # type: ignore[return-value]


def inputs(x, n: int, where: str) -> list:
    """One input vector: a sequence of ``n`` finite numbers (or Values), as a list.

    Floats stay floats and Values stay Values; anything else is refused with the index.
    """
    if not isinstance(x, (list, tuple)):
        if isinstance(x, (Value, numbers.Real)):
            raise InputError(f"{where}: expects a sequence of {n} inputs, got a single number {short(x)}")
        seq = _sequence(x)
        if seq is None:
            raise InputError(
                f"{where}: expects a sequence of {n} inputs, got {type(x).__name__} {short(x)}")
        x = seq
    if len(x) != n:
        raise InputError(f"{where}: expects {n} input{'s' if n != 1 else ''}, got {len(x)}")
    out = []
    for j, v in enumerate(x):
        if type(v) is float:
            if v - v != 0.0:
                raise InputError(f"{where}: input x[{j}] is {v!r}; inputs must be finite")
            out.append(v)
        elif isinstance(v, Value):
            out.append(v)
        else:
            out.append(number(v, f"input x[{j}]", where))
    return out


def dataset(X, y, where: str, n_inputs: int | None = None) -> tuple[list[list[float]], list[float]]:
    """``(X, y)`` checked: not empty, the same length, every row of the same (or the
    given) width, every number finite. Returns plain float copies.

    Lists of rows and labels, or NumPy arrays (``X`` with a row per sample, ``y`` one label
    per sample); arrays of numbers are checked and copied in one pass, not number by number."""
    arrays = _numpy_dataset(X, y, where, n_inputs)
    if arrays is not None:
        return arrays[0].tolist(), arrays[1].tolist()
    X = _rows(X, "X", where)
    y = _rows(y, "y", where)
    if not X:
        raise InputError(f"{where}: the dataset is empty (X has no rows)")
    if len(X) != len(y):
        raise InputError(f"{where}: X has {len(X)} rows but y has {len(y)} labels")
    width = n_inputs if n_inputs is not None else _width(X[0], where)
    rows = []
    for i, raw in enumerate(X):
        row = _sequence(raw)
        if row is None:
            raise InputError(f"{where}: X[{i}] must be a sequence of {width} numbers, "
                             f"got {type(raw).__name__} {short(raw)}")
        if len(row) != width:
            raise InputError(f"{where}: X[{i}] has {len(row)} feature{'s' if len(row) != 1 else ''}, "
                             f"expected {width}" + (" (the model's input size)" if n_inputs else ""))
        rows.append([number(v, f"X[{i}][{j}]", where) for j, v in enumerate(row)])
    labels = [number(v.data if isinstance(v, Value) else v, f"y[{i}]", where) for i, v in enumerate(y)]
    return rows, labels


def _numpy_dataset(X, y, where: str, n_inputs: int | None):
    """``dataset`` for NumPy arrays of numbers (None for anything else, which is checked
    number by number). Only the arrays' own methods are used: nn never imports NumPy."""
    if not (_is_numeric_array(X) and X.ndim == 2 and X.shape[0] > 0):
        return None
    if _is_numeric_array(y) and y.ndim == 2 and y.shape[1] == 1 and y.shape[0] == X.shape[0]:
        raise InputError(f"{where}: y has shape {y.shape}: one label per sample is a 1-D array "
                         f"(y.ravel() makes one)")
    if not (_is_numeric_array(y) and y.ndim == 1):
        return None
    if len(X) != len(y):
        raise InputError(f"{where}: X has {len(X)} rows but y has {len(y)} labels")
    width = n_inputs if n_inputs is not None else X.shape[1]
    if X.shape[1] == 0:
        raise InputError(f"{where}: X[0] has no features")
    if X.shape[1] != width:
        raise InputError(f"{where}: X[0] has {X.shape[1]} feature{'s' if X.shape[1] != 1 else ''}, "
                         f"expected {width}" + (" (the model's input size)" if n_inputs else ""))
    rows, labels = X.astype("float64"), y.astype("float64")
    for name, values in (("X", rows), ("y", labels)):
        bad = ~(abs(values) <= _LARGEST)  # inf or nan (an int too large for a float became inf)
        if bad.any():
            index = tuple(int(k[0]) for k in bad.nonzero())
            shown = "".join(f"[{k}]" for k in index)
            raise InputError(f"{where}: {name}{shown} must be finite, got {float(values[index])!r}")
    return rows, labels


def dataset_columns(X, y, where: str, n_inputs: int | None = None):
    """``(X, y)`` checked as :func:`dataset` checks it, as NumPy arrays: the columns (shape
    (n_features, n_samples), one contiguous column per feature: what
    ``autograd.compile_arrays`` takes) and the labels. Needs NumPy (nn.fit's fast path calls
    it only when NumPy is installed); NumPy arrays given are not copied number by number."""
    import numpy as np

    arrays = _numpy_dataset(X, y, where, n_inputs)
    rows, labels = arrays if arrays is not None else dataset(X, y, where, n_inputs)
    return np.ascontiguousarray(np.asarray(rows, dtype=np.float64).T), np.asarray(labels, dtype=np.float64)


def _is_numeric_array(x) -> bool:
    """A NumPy array of ints or floats (not bools, objects, strings or complex numbers)."""
    return type(x).__module__ == "numpy" and type(x).__name__ == "ndarray" and x.dtype.kind in "iuf"


def labels_in(y: list[float], allowed, where: str, hint: str = "") -> None:
    """Every label is one of ``allowed``; the first one that is not is named."""
    allowed_set = set(allowed)
    for i, v in enumerate(y):
        if v not in allowed_set:
            shown = ", ".join(f"{a:g}" for a in allowed)
            raise InputError(f"{where}: label y[{i}] = {v:g} is not in {{{shown}}}{hint}")


def _sequence(x) -> list | tuple | None:
    """``x`` as a list (or itself if already a list or tuple); None if it is not a sequence.

    Strings and scalars are not sequences here; numpy rows and other iterables are.
    """
    if isinstance(x, (list, tuple)):
        return x
    if isinstance(x, (str, bytes, numbers.Number, Value)) or not hasattr(x, "__iter__"):
        return None
    try:
        return list(x)
    except TypeError:
        return None


def _rows(x, what: str, where: str) -> list:
    rows = _sequence(x)
    if rows is None:
        raise InputError(f"{where}: {what} must be a sequence, got {type(x).__name__} {short(x)}")
    return list(rows)


def _width(raw, where: str) -> int:
    row = _sequence(raw)
    if row is None:
        raise InputError(f"{where}: X[0] must be a sequence of numbers, got {type(raw).__name__} {short(raw)}")
    if len(row) == 0:
        raise InputError(f"{where}: X[0] has no features")
    return len(row)
