"""Datasets: pure Python, deterministic with a seed, labels 0/1 or -1/+1."""

import math
import random

import pytest

import nn
from nn import data


@pytest.mark.parametrize("make, truth", [
    (data.xor, [0, 1, 1, 0]), (data.and_, [0, 0, 0, 1]), (data.or_, [0, 1, 1, 1])])
def test_logic_gates(make, truth):
    X, y = make()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == truth
    assert make(labels=(-1, 1)).y == [1 if t else -1 for t in truth]


@pytest.mark.parametrize("make", [data.moons, data.circles, data.blobs])
def test_random_datasets_are_deterministic_with_a_seed(make):
    random.seed(1)
    state = random.getstate()
    a = make(60, seed=7)
    assert random.getstate() == state  # no global random state
    assert a == make(60, seed=7)
    assert a != make(60, seed=8)
    assert len(a.X) == len(a.y) == 60
    assert all(len(row) == 2 and all(isinstance(v, float) for v in row) for row in a.X)
    assert sorted(set(a.y)) == [0, 1] and a.y.count(1) == 30
    assert make(60, seed=7, labels=(-1, 1)).y == [1 if t else -1 for t in a.y]


def test_moons_shape_without_noise():
    X, y = data.moons(200, noise=0.0, seed=0)
    for (x0, x1), label in zip(X, y):
        if label == 0:  # upper moon: the unit half circle
            assert math.hypot(x0, x1) == pytest.approx(1.0) and x1 >= -1e-12
        else:           # lower moon: centred at (1, 0.5)
            assert math.hypot(x0 - 1, x1 - 0.5) == pytest.approx(1.0) and x1 <= 0.5 + 1e-12


def test_circles_radii():
    X, y = data.circles(100, noise=0.0, factor=0.3, seed=0)
    for x, label in zip(X, y):
        assert math.hypot(*x) == pytest.approx(0.3 if label else 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_blobs_are_always_linearly_separable(seed):
    X, y = data.blobs(300, spread=1.0, distance=3.0, seed=seed)
    margins = [(x0 + x1) / math.sqrt(2) * (1 if t else -1) for (x0, x1), t in zip(X, y)]
    assert min(margins) >= 0.3 - 1e-12


@pytest.mark.parametrize("call, message", [
    (lambda: data.moons(0), "n must be a positive int"),
    (lambda: data.moons(10, noise=-0.1), "noise must be >= 0"),
    (lambda: data.moons(10, noise=float("nan")), "noise must be finite"),
    (lambda: data.moons(10, labels=(0, 2)), r"labels must be \(0, 1\) or \(-1, 1\)"),
    (lambda: data.xor(labels=(1, 0)), r"labels must be \(0, 1\) or \(-1, 1\)"),
    (lambda: data.circles(10, factor=1.5), "factor must be in"),
    (lambda: data.blobs(10, spread=10.0), "too wide"),
    (lambda: data.blobs(10, seed=1.5), "seed must be"),
])
def test_bad_arguments(call, message):
    with pytest.raises(nn.InputError, match=message):
        call()


def test_check():
    assert data.check([[1, 2]], [1], labels=(0, 1)) == ([[1.0, 2.0]], [1.0])
    with pytest.raises(nn.InputError, match=r"y\[1\] = -1 is not in \{0, 1\}"):
        data.check([[1, 2], [3, 4]], [1, -1], labels=(0, 1))
    with pytest.raises(nn.InputError, match="empty"):
        data.check([], [])
    with pytest.raises(nn.InputError, match=r"X\[0\]\[0\] must be a number"):
        data.check([["a", 1]], [1])


def test_numpy_arrays_are_accepted():
    np = pytest.importorskip("numpy")
    X, y = data.check(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0, 1]))
    assert X == [[1.0, 2.0], [3.0, 4.0]] and y == [0.0, 1.0]
