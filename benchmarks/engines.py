"""The workloads, written once per engine: glassgrad, micrograd 0.1.0 and PyTorch 0-d tensors.

Each engine class builds the same computations the way a user of that library writes them:

* ``chain(n)``: ``y = y * 1.0001 + 0.5``, n times (glassgrad folds the constants into the
  nodes; micrograd makes a leaf for each constant, as its ``__mul__`` does);
* ``wide(n)``: the sum of n products of fresh leaves (glassgrad: one ``sum`` node, or with
  ``variant="+"`` a left-to-right chain of binary ``+`` as micrograd's builtin ``sum`` makes);
* the micrograd demo step: ``MLP(2, [16, 16, 1])`` with ReLU, max-margin loss + 1e-4 L2 on
  100 two-moons points, full batch, SGD;
* ``neurons(...)``: an unfused ReLU network of leaves and binary ops, to draw and trace.

Only this module imports the engines; a worker process imports the one it runs.
"""

from __future__ import annotations

import sys

_CHAIN_MUL, _CHAIN_ADD = 1.0001, 0.5


def demo_learning_rate(step: int) -> float:
    """micrograd's demo schedule: 1.0 at step 0 down to 0.1 at step 100."""
    return 1.0 - 0.9 * (step % 100) / 100


def _set_weights(model, weights: list) -> None:
    """Give a micrograd-shaped MLP (glassgrad's has the same layers/neurons/w/b) these weights."""
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, (w, b) in zip(layer.neurons, layer_weights):
            for p, value in zip(neuron.w, w):
                p.data = value
            neuron.b.data = b


class _Engine:
    """The workloads every engine runs the same way, given how it makes a leaf (``make_leaf``)."""

    make_leaf = None  # the engine's Value class, or a function making a leaf tensor

    def chain(self, n: int, variant: str = ""):
        x = self.make_leaf(1.0)
        y = x
        for _ in range(n):
            y = y * _CHAIN_MUL + _CHAIN_ADD
        return x, y

    def wide(self, n: int, variant: str = ""):
        leaf = self.make_leaf
        return sum(leaf(1.0) * leaf(2.0) for _ in range(n))

    def backward(self, root) -> None:
        root.backward()


class Glassgrad(_Engine):
    """This project's engine (``autograd``) and its networks (``nn``)."""

    name = "glassgrad"

    def __init__(self):
        import autograd
        import nn

        self.ag, self.nn = autograd, nn
        self.Value = self.make_leaf = autograd.Value
        self.models: dict = {}

    def version(self) -> str:
        import importlib.metadata

        try:
            return importlib.metadata.version("glassgrad")
        except importlib.metadata.PackageNotFoundError:
            return "working tree"

    # -- wide: one n-ary sum node, or micrograd's chain of binary + ---------------------------
    def wide(self, n: int, variant: str = ""):
        if variant == "+":
            return super().wide(n)
        V = self.Value
        return self.ag.sum([V(1.0) * V(2.0) for _ in range(n)])

    def grad_of(self, leaf) -> float:
        return leaf.grad

    def count(self, root) -> int:
        return len(self.ag.topological_order(root))

    # -- the demo step ------------------------------------------------------------------------------
    def demo_setup(self, key: str, weights: list, fused: bool) -> None:
        model = self.nn.MLP(2, [16, 16, 1], activation="relu", seed=0, fused=fused)
        _set_weights(model, weights)
        self.models[key] = (model, model.parameters())

    def demo_forward(self, key: str, X: list, y: list):
        model, _ = self.models[key]
        losses = self.nn.losses
        scores = [model(x) for x in X]
        return losses.hinge(scores, y) + losses.l2(model, 1e-4)

    def demo_backward(self, key: str, loss) -> None:
        model, _ = self.models[key]
        model.zero_grad()
        loss.backward()

    def demo_update(self, key: str, lr: float) -> None:
        for p in self.models[key][1]:
            p.data -= lr * p.grad

    def demo_fit(self, key: str, X: list, y: list, lr: float) -> None:
        """The same step as a notebook runs it: one full-batch epoch of ``nn.fit``, eagerly
        (``compiled=False``: this row measures the engine; ``bench_compile`` measures the
        compiled step)."""
        model, params = self.models[key]
        optimizer = self.nn.optim.SGD(params, lr=lr)
        self.nn.fit(model, (X, y), self.nn.losses.hinge, optimizer, epochs=1, progress=False, l2=1e-4,
                    compiled=False)

    def loss_value(self, loss) -> float:
        return loss.data

    # -- drawing and tracing ----------------------------------------------------------------------
    def neurons(self, n_inputs: int, widths: list[int]):
        return _neurons(self.Value, n_inputs, widths, relu=lambda v: v.relu())

    def draw(self, root) -> str:
        return self.ag.draw(root, max_nodes=10**6).source

    def trace(self, root):
        return self.ag.trace(root)


class Micrograd(_Engine):
    """micrograd 0.1.0 (``pip install micrograd==0.1.0``, the ``bench`` extra), used as its demo uses it."""

    name = "micrograd"

    def __init__(self):
        from micrograd import engine, nn

        self.Value, self.mnn = engine.Value, nn
        self.make_leaf = engine.Value
        self.models: dict = {}

    def version(self) -> str:
        import importlib.metadata

        return importlib.metadata.version("micrograd")

    def grad_of(self, leaf) -> float:
        return leaf.grad

    def count(self, root) -> int:
        seen, todo = {root}, [root]
        while todo:
            for child in todo.pop()._prev:
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return len(seen)

    def demo_setup(self, key: str, weights: list, fused: bool) -> None:
        model = self.mnn.MLP(2, [16, 16, 1])
        _set_weights(model, weights)
        self.models[key] = (model, model.parameters())

    def demo_forward(self, key: str, X: list, y: list):
        # micrograd's demo.ipynb, loss() with the full batch
        model, params = self.models[key]
        V = self.Value
        inputs = [list(map(V, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        return data_loss + reg_loss

    def demo_backward(self, key: str, loss) -> None:
        self.models[key][0].zero_grad()
        loss.backward()

    def demo_update(self, key: str, lr: float) -> None:
        for p in self.models[key][1]:
            p.data -= lr * p.grad

    def loss_value(self, loss) -> float:
        return float(loss.data)

    def neurons(self, n_inputs: int, widths: list[int]):
        return _neurons(self.Value, n_inputs, widths, relu=lambda v: v.relu())

    def draw(self, root) -> str:
        return _micrograd_draw_dot(root).source

    def trace(self, root):
        raise NotImplementedError("micrograd has no tracer")


class Torch(_Engine):
    """PyTorch with 0-d float64 tensors, driven by the same Python loops as micrograd's demo."""

    name = "torch"

    def __init__(self):
        import torch

        torch.set_num_threads(1)  # scalars gain nothing from threads; the machine is shared
        self.torch = torch
        self.make_leaf = self._leaf
        self.models: dict = {}

    def version(self) -> str:
        return self.torch.__version__

    def _leaf(self, x: float, grad: bool = True):
        return self.torch.tensor(x, dtype=self.torch.float64, requires_grad=grad)

    def grad_of(self, leaf) -> float:
        return float(leaf.grad)

    def count(self, root) -> int:
        return 0  # its graph holds autograd functions, not one object per value

    def demo_setup(self, key: str, weights: list, fused: bool) -> None:
        layers = [[([self._leaf(v) for v in w], self._leaf(b)) for w, b in layer] for layer in weights]
        params = [p for layer in layers for w, b in layer for p in (*w, b)]
        self.models[key] = (layers, params)

    def demo_forward(self, key: str, X: list, y: list):
        layers, params = self.models[key]
        relu = self.torch.relu
        scores = []
        for row in X:
            x = [self._leaf(v, grad=False) for v in row]
            for k, layer in enumerate(layers):
                outs = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
                x = [relu(o) for o in outs] if k < len(layers) - 1 else outs
            scores.append(x[0])
        losses = [relu(1 + -yi * si) for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        return data_loss + reg_loss

    def demo_backward(self, key: str, loss) -> None:
        for p in self.models[key][1]:
            p.grad = None
        loss.backward()

    def demo_update(self, key: str, lr: float) -> None:
        with self.torch.no_grad():
            for p in self.models[key][1]:
                p -= lr * p.grad

    def loss_value(self, loss) -> float:
        return float(loss.item())


ENGINES = {cls.name: cls for cls in (Glassgrad, Micrograd, Torch)}


def _neurons(Value, n_inputs: int, widths: list[int], relu):
    """An unfused ReLU network of leaves and binary ops: the same node count in every engine."""
    h = [Value(0.01 * (j + 1)) for j in range(n_inputs)]
    for width in widths:
        outs = []
        for i in range(width):
            z = Value(0.0)
            for j, inp in enumerate(h):
                z = z + Value(0.01 * (i - j)) * inp
            outs.append(relu(z))
        h = outs
    return h[0]


def _micrograd_draw_dot(root):
    """The draw_dot of micrograd's trace_graph.ipynb (one record per value, an op node per op)."""
    from graphviz import Digraph

    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ data %.4f | grad %.4f }" % (n.data, n.grad), shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def needs_deep_recursion(engine: str) -> bool:
    """micrograd's backward and draw_dot recurse once per node."""
    return engine == "micrograd"


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run the suite with: python -m benchmarks")
