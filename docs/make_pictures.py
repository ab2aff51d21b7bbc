"""Render the README's picture of a neuron, and the drawings we check by eye.

    python docs/make_pictures.py          # writes docs/neuron.png (the only committed render)
    python docs/make_pictures.py /tmp/x   # also writes sigmoid.png, relu_neuron.png, mlp.png,
                                          # network_04.png and network_04_tail.png there
"""

import sys
from pathlib import Path

import autograd as ag
from autograd import Value


def neuron() -> ag.Drawing:
    """The README picture: y-hat = sigmoid(w . x + b) after backward, with the colour key."""
    ws = [Value(0.8, label="w0"), Value(-0.5, label="w1")]
    xs = [Value(1.5, label="x0"), Value(0.5, label="x1")]
    y = ag.dot(ws, xs, Value(0.1, label="b")).sigmoid()
    y.label = "ŷ"
    y.backward()
    return ag.draw(y, title="ŷ = σ(w·x + b) after backward", legend=True)


def sigmoid() -> ag.Drawing:
    """sigmoid(w*x + b), one binary op at a time."""
    w, x, b = Value(0.5, label="w"), Value(2.0, label="x"), Value(-1.0, label="b")
    y = (w * x + b).sigmoid()
    y.label = "y"
    y.backward()
    return ag.draw(y)


def relu_neuron() -> ag.Drawing:
    """A fused ReLU neuron that is off: the drawing says why no gradient flows."""
    ws = [Value(0.8, label="W1[0,0]"), Value(-0.5, label="W1[0,1]")]
    xs = [Value(1.0, label="x[0]"), Value(2.0, label="x[1]")]
    h = ag.dot(ws, xs, Value(-0.3, label="b1[0]")).relu()
    h.label = "h1[0]"
    h.backward()
    return ag.draw(h)


def mlp() -> ag.Drawing:
    """nn.MLP(2, [4, 1]) on one sample, squared error against 1: one box per neuron."""
    import nn

    model = nn.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return ag.draw(loss, parameters=model.parameters(), title="MLP(2, [4, 1]) on one sample")


def _network_04():
    """Notebook 04's 2-3-1 network (Wi[k,j], Wo[j]) with BCE on one sample, and its box per unit."""
    x = [Value(1.0, label="x[0]"), Value(-0.5, label="x[1]")]
    Wi = [[Value(w, label=f"Wi[{k},{j}]") for j, w in enumerate(row)]
          for k, row in enumerate([[0.4, -0.6, 0.9], [0.7, 0.2, -0.8]])]
    Wo = [Value(w, label=f"Wo[{j}]") for j, w in enumerate([0.5, -1.2, 0.8])]
    y = Value(1.0, label="y")
    zh = [ag.dot([row[j] for row in Wi], x) for j in range(3)]
    h = [z.sigmoid() for z in zh]
    zo = ag.dot(Wo, h)
    yhat = zo.sigmoid()
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    for j in range(3):
        zh[j].label, h[j].label = f"zh[{j}]", f"h[{j}]"
    zo.label, yhat.label, L.label = "zo", "yhat", "L"
    L.backward()

    def unit(node):
        name = node.label or ""
        if name.startswith(("Wi[", "zh[", "h[")):
            return f"hidden unit {name[-2]}"
        if name.startswith("Wo[") or name in ("zo", "yhat"):
            return "output unit"
        return "loss" if name in ("", "L") else None

    return [w for row in Wi for w in row] + Wo, zo, L, unit


def network_04() -> ag.Drawing:
    """Notebook 04's network drawn TB, a box per unit: weights in index order across, each edge's
    number beside it, the unlabelled product named t1 as in its tail below."""
    params, _, L, unit = _network_04()
    return ag.draw(L, rankdir="TB", parameters=params, cluster=unit)


def network_04_tail() -> ag.Drawing:
    """Its tail from zo: the same t1, dashed ops (operands cut off) and their key."""
    _, zo, L, _ = _network_04()
    return ag.draw(L, start=zo, rankdir="TB")


if __name__ == "__main__":
    print(neuron().save(Path(__file__).with_name("neuron.png"), dpi=110))
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
        folder.mkdir(parents=True, exist_ok=True)
        for make in (sigmoid, relu_neuron, mlp, network_04, network_04_tail):
            print(make().save(folder / f"{make.__name__}.png", dpi=110))
