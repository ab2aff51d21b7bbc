"""Neurons, layers and MLPs: labels, fused and unfused graphs, gradients, the linear collapse."""

import math
import re

import pytest

import autograd as ag
import nn
from autograd import Value, no_grad

DRAWING_REGEX = re.compile(r"^[A-Za-z_]+(\d+)\[(\d+)")


def loss_of(model, X, y):
    return nn.losses.mse([model(x) for x in X], y)


def finite_difference_grads(model, X, y, h=1e-6):
    grads = []
    for p in model.parameters():
        old = p.data
        with no_grad():
            p.data = old + h
            up = loss_of(model, X, y).data
            p.data = old - h
            down = loss_of(model, X, y).data
        p.data = old
        grads.append((up - down) / (2 * h))
    return grads


# -- the course's steps --------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("fused", [True, False])
def test_mlp_gradients_match_finite_differences(activation, fused):
    model = nn.MLP(3, [4, 3, 1], activation=activation, seed=7, fused=fused)
    for layer in model.layers:  # biases start at 0: move them so no ReLU input is exactly on its kink
        for i, neuron in enumerate(layer.neurons):
            neuron.b.data = 0.1 + 0.05 * i
    X = [[0.3, -1.2, 0.7], [1.5, 0.2, -0.4], [-0.8, 0.9, 1.1]]
    y = [1.0, -0.5, 0.25]
    model.zero_grad()
    loss_of(model, X, y).backward()
    analytic = [p.grad for p in model.parameters()]
    numeric = finite_difference_grads(model, X, y)
    for (name, _), a, n in zip(model.named_parameters(), analytic, numeric):
        assert a == pytest.approx(n, rel=1e-5, abs=1e-7), name


def test_multi_output_gradients_match_finite_differences():
    model = nn.MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=3)
    X = [[0.5, -0.25], [-1.0, 2.0]]

    def loss():
        outs = [model(x) for x in X]
        return ag.sum([o[0] * 2.0 - o[1] * o[1] for o in outs])

    model.zero_grad()
    loss().backward()
    for p in model.parameters():
        old, h = p.data, 1e-6
        with no_grad():
            p.data = old + h
            up = loss().data
            p.data = old - h
            down = loss().data
        p.data = old
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), p.label


def test_stacked_linear_layers_are_one_linear_map():
    deep = nn.MLP(3, [5, 4, 2], activation="linear", seed=11)
    W, b = deep.linear_equivalent()
    assert (len(W), len(W[0]), len(b)) == (2, 3, 2)
    for x in ([0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [3.0, 0.25, -1.5]):
        outs = [o.data for o in deep(x)]
        assert deep.linear_equivalent()(x) == pytest.approx(outs, rel=1e-12, abs=1e-12)
    assert deep.linear_equivalent()([0.0, 0.0, 0.0]) == pytest.approx(b)


def test_linear_equivalent_refuses_a_nonlinear_network():
    with pytest.raises(nn.InputError, match=r"layer 1 uses the activation 'relu'"):
        nn.MLP(2, [3, 1]).linear_equivalent()


def test_one_neuron_on_a_thousand_inputs():
    # micrograd's sum() chain recurses in backward and breaks near 1,000 inputs
    x = [math.sin(j) for j in range(1000)]
    for fused in (True, False):
        neuron = nn.Neuron(1000, activation="tanh", seed=0, fused=fused)
        out = neuron(x)
        out.backward()
        z = math.fsum(w.data * v for w, v in zip(neuron.w, x))
        assert out.data == pytest.approx(math.tanh(z), rel=1e-9)
        d = 1 - out.data ** 2
        assert [w.grad for w in neuron.w[:5]] == pytest.approx([d * v for v in x[:5]], rel=1e-9)
        assert neuron.b.grad == pytest.approx(d)


def test_a_fused_neuron_is_one_dot_node_plus_its_activation():
    neuron = nn.Neuron(3, activation="relu", seed=1)
    h = neuron([1.0, 2.0, 3.0])
    z = h.parents[0]
    assert (h.op, z.op) == ("ReLU", "dot")
    assert [p.label for p in z.parents] == ["W1[0,0]", "W1[0,1]", "W1[0,2]", "x[0]", "x[1]", "x[2]", "b1[0]"]
    assert len(ag.topological_order(h)) == 3 + 3 + 1 + 2


def test_an_unfused_neuron_is_micrograd_shaped():
    neuron = nn.Neuron(3, activation="linear", seed=1, fused=False)
    z = neuron([1.0, 2.0, 3.0])
    assert z.label == "z1[0]" and z.op == "+"
    left, bias = z.parents
    assert bias.label == "b1[0]"
    # ((w0*x0 + w1*x1) + w2*x2) + b, left to right
    assert left.op == "+" and left.parents[1].op == "*"
    assert [p.label for p in left.parents[1].parents] == ["W1[0,2]", "x[2]"]


def test_fused_and_unfused_networks_share_weights_and_agree():
    fused = nn.MLP(2, [16, 16, 1], seed=5)
    unfused = nn.MLP(2, [16, 16, 1], seed=5, fused=False)
    assert fused.state_dict() == unfused.state_dict()
    x = [0.3, -0.7]
    a, b = fused(x), unfused(x)
    assert a.data == pytest.approx(b.data, rel=1e-12)
    a.backward()
    b.backward()
    for p, q in zip(fused.parameters(), unfused.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-9, abs=1e-12)
    assert len(ag.topological_order(a)) < len(ag.topological_order(b))


# -- labels ----------------------------------------------------------------------------

def test_labels_follow_the_course_notation():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:7] == ["W1[0,0]", "W1[0,1]", "b1[0]", "W1[1,0]", "W1[1,1]", "b1[1]", "W1[2,0]"]
    assert names[-4:] == ["W2[0,0]", "W2[0,1]", "W2[0,2]", "b2[0]"]
    out = model([0.5, 1.0])
    labels = [n.label for n in ag.topological_order(out)]
    assert labels.count("x[0]") == 1 and labels.count("x[1]") == 1  # inputs wrapped once per call
    for label in ("z1[0]", "h1[0]", "h1[2]", "z2[0]"):
        assert label in labels
    for node in ag.topological_order(out):
        assert node.label is not None
        if not node.label.startswith("x["):
            assert DRAWING_REGEX.match(node.label), node.label


def test_layer_numbers_count_from_one_and_match_the_drawing_regex():
    model = nn.MLP(2, [2, 2, 1], seed=0)
    layers = {int(DRAWING_REGEX.match(name).group(1)) for name, _ in model.named_parameters()}
    assert layers == {1, 2, 3}


def test_sigmoid_output_is_labelled_h():
    model = nn.MLP(2, [2, 1], output_activation="sigmoid", seed=0)
    out = model([1.0, 1.0])
    assert out.label == "h2[0]" and out.op == "σ" and out.parents[0].label == "z2[0]"


# -- shapes of outputs ---------------------------------------------------------------------

def test_layer_always_returns_a_list_and_mlp_a_value_for_one_unit():
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), list)
    assert isinstance(nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    outs = nn.MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 2


def test_values_as_inputs_are_used_as_they_are():
    model = nn.MLP(2, [2, 1], seed=0)
    x0, x1 = Value(1.0, label="a"), Value(2.0, label="b")
    out = model([x0, x1])
    out.backward()
    assert x0.grad != 0.0
    assert "a" in [n.label for n in ag.topological_order(out)]


def test_works_under_no_grad():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    with no_grad():
        out = model([1.0, 2.0])
    assert out.is_leaf and out.data == pytest.approx(model([1.0, 2.0]).data)


# -- initialisation ------------------------------------------------------------------------

def test_same_seed_same_weights_and_no_global_random_state():
    import random
    random.seed(123)
    state = random.getstate()
    a = nn.MLP(2, [4, 1], seed=42).state_dict()
    assert random.getstate() == state
    assert a == nn.MLP(2, [4, 1], seed=42).state_dict()
    assert a != nn.MLP(2, [4, 1], seed=43).state_dict()


@pytest.mark.parametrize("scheme", ["uniform", "xavier", "he"])
def test_init_schemes(scheme):
    model = nn.MLP(50, [40, 1], seed=0, init=scheme)
    weights = [n.w for n in model.layers[0].neurons]
    values = [w.data for row in weights for w in row]
    var = math.fsum(v * v for v in values) / len(values)
    expected = {"uniform": 1 / 3, "xavier": 2 / (50 + 40), "he": 2 / 50}[scheme]
    assert var == pytest.approx(expected, rel=0.1)
    if scheme != "he":
        limit = 1.0 if scheme == "uniform" else math.sqrt(6 / 90)
        assert max(map(abs, values)) <= limit
    assert all(n.b.data == 0.0 for n in model.layers[0].neurons)


def test_custom_init_and_activation():
    model = nn.MLP(2, [2, 1], activation=lambda z: z * z, init=lambda rng, fan_in, fan_out: 0.5, seed=0)
    out = model([1.0, 1.0])
    # h = (0.5 + 0.5)^2 = 1 for both hidden units; output 0.5 + 0.5
    assert out.data == pytest.approx(1.0)
    assert model.config() is None


# -- bad input -----------------------------------------------------------------------------

def test_wrong_input_length_names_the_expected_size():
    model = nn.MLP(3, [2, 1], seed=0)
    with pytest.raises(nn.InputError, match="MLP: expects 3 inputs, got 2"):
        model([1.0, 2.0])
    with pytest.raises(nn.InputError, match="Layer: expects 3 inputs, got 4"):
        model.layers[0]([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(nn.InputError, match="expects a sequence of 3 inputs, got a single number"):
        model(1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_or_inf_input_is_refused(bad):
    with pytest.raises(nn.InputError, match=r"x\[1\] .*finite"):
        nn.MLP(2, [2, 1], seed=0)([0.0, bad])


def test_non_number_input_is_refused():
    with pytest.raises(nn.InputError, match=r"x\[0\] must be a number, got str"):
        nn.MLP(2, [2, 1], seed=0)(["a", 1.0])


@pytest.mark.parametrize("activation", ["softmax", "ReLU", None, 3])
def test_unknown_activation_is_refused(activation):
    with pytest.raises(nn.InputError, match="unknown activation"):
        nn.MLP(2, [3, 1], activation=activation)


def test_unknown_output_activation_and_init_are_refused():
    with pytest.raises(nn.InputError, match="unknown activation 'softmax'"):
        nn.MLP(2, [3, 1], output_activation="softmax")
    with pytest.raises(nn.InputError, match="unknown init scheme 'glorot'"):
        nn.MLP(2, [3, 1], init="glorot")


@pytest.mark.parametrize("sizes", [[], [0], [3, -1], "31", [2.5]])
def test_bad_sizes(sizes):
    with pytest.raises(nn.InputError, match="sizes"):
        nn.MLP(2, sizes)


def test_bad_n_inputs_and_seed():
    with pytest.raises(nn.InputError, match="n_inputs must be a positive int"):
        nn.MLP(0, [1])
    with pytest.raises(nn.InputError, match="seed must be"):
        nn.MLP(2, [1], seed="0")


def test_activation_returning_a_non_value_is_a_clear_error():
    model = nn.MLP(2, [2, 1], activation=lambda z: 1.0, seed=0)
    with pytest.raises(nn.InputError, match="must return a Value"):
        model([1.0, 1.0])


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "linear"])
def test_score_is_the_output_as_floats_without_a_graph(activation):
    model = nn.MLP(2, [5, 4, 2], activation=activation, output_activation="sigmoid", seed=3)
    for x in ([0.0, 0.0], [1.5, -2.0], [-3.0, 0.25]):
        assert model.score(x) == [o.data for o in model(x)]
    single = nn.MLP(2, [3, 1], activation=lambda z: z.tanh() * 2, seed=0)
    assert single.score([0.5, 0.5]) == pytest.approx(single([0.5, 0.5]).data, rel=1e-15)
    with pytest.raises(nn.InputError, match="MLP.score: expects 2 inputs, got 1"):
        model.score([1.0])
