"""The course's one-hidden-layer sigmoid network with BCE, checked against the hand derivation.

Forward (course notation, row vector x):  z^h = x W^i,  h = σ(z^h),  z^o = h W^o,
ŷ = σ(z^o),  L = -y log ŷ - (1 - y) log(1 - ŷ).

Node labels, as a formula writes them (an index in brackets is part of the name):

    x[k]      input k                      Wi[k,j]   input-to-hidden weight
    zh[j]     hidden pre-activation        h[j]      hidden activation σ(zh[j])
    Wo[j]     hidden-to-output weight      zo        output pre-activation
    yhat      ŷ = σ(zo)                     y         target (0 or 1)
    L         the BCE loss

The hand derivation (steps 1, 1a, 2, 2a, delta_h, 3 of the notes), each checked by
``check_formula`` against the engine's ``autograd.grad``:

    1   dL/dŷ      = (ŷ - y) / (ŷ (1 - ŷ))
    1a  dL/dz^o    = ŷ - y                          = δ^o
    2   dL/dW^o_j  = h_j δ^o
    2a  dL/dh_j    = W^o_j δ^o
        δ^h_j      = σ(z^h_j)(1 - σ(z^h_j)) W^o_j δ^o = dL/dz^h_j
    3   dL/dW^i_kj = x_k δ^h_j
"""

import random

import pytest

import autograd as ag
from autograd import Value

N_IN, N_HIDDEN = 2, 3
SEEDS = [0, 1, 2, 3]


def course_network(seed: int) -> dict:
    """The network at a random point; every node the formulas mention, by label."""
    rng = random.Random(seed)
    x = [Value(rng.uniform(-2, 2), label=f"x[{k}]") for k in range(N_IN)]
    Wi = [[Value(rng.uniform(-1.5, 1.5), label=f"Wi[{k},{j}]") for j in range(N_HIDDEN)]
          for k in range(N_IN)]
    Wo = [Value(rng.uniform(-1.5, 1.5), label=f"Wo[{j}]") for j in range(N_HIDDEN)]
    y = Value(float(rng.randint(0, 1)), label="y")

    zh = [ag.dot([Wi[k][j] for k in range(N_IN)], x) for j in range(N_HIDDEN)]  # z^h = x W^i
    h = [z.sigmoid() for z in zh]                                               # h = σ(z^h)
    zo = ag.dot(Wo, h)                                                          # z^o = h W^o
    yhat = zo.sigmoid()                                                         # ŷ = σ(z^o)
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()                            # BCE
    for j in range(N_HIDDEN):
        zh[j].label, h[j].label = f"zh[{j}]", f"h[{j}]"
    zo.label, yhat.label, L.label = "zo", "yhat", "L"
    return {"x": x, "Wi": Wi, "Wo": Wo, "y": y, "zh": zh, "h": h, "zo": zo, "yhat": yhat, "L": L}


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def net(request):
    return course_network(request.param)


def test_step_1_dL_dyhat(net):
    assert ag.check_formula(net["L"], "yhat", "(yhat - y) / (yhat * (1 - yhat))").ok


def test_step_1a_delta_o_is_yhat_minus_y(net):
    check = ag.check_formula(net["L"], "zo", "yhat - y")
    assert check.ok and check.values == {"yhat": net["yhat"].data, "y": net["y"].data}


def test_step_2_dL_dWo_is_h_times_delta_o(net):
    for j in range(N_HIDDEN):
        assert ag.check_formula(net["L"], f"Wo[{j}]", f"h[{j}] * (yhat - y)").ok


def test_step_2a_dL_dh(net):
    for j in range(N_HIDDEN):
        assert ag.check_formula(net["L"], f"h[{j}]", f"Wo[{j}] * (yhat - y)").ok


def test_delta_h_in_both_forms(net):
    for j in range(N_HIDDEN):
        with_h = f"h[{j}] * (1 - h[{j}]) * Wo[{j}] * (yhat - y)"
        with_sigma = f"sigmoid(zh[{j}]) * (1 - sigmoid(zh[{j}])) * Wo[{j}] * (yhat - y)"
        assert ag.check_formula(net["L"], f"zh[{j}]", with_h).ok
        assert ag.check_formula(net["L"], f"zh[{j}]", with_sigma).ok


def test_step_3_dL_dWi_is_x_times_delta_h(net):
    for k in range(N_IN):
        for j in range(N_HIDDEN):
            delta_h = f"h[{j}] * (1 - h[{j}]) * Wo[{j}] * (yhat - y)"
            assert ag.check_formula(net["L"], f"Wi[{k},{j}]", f"x[{k}] * {delta_h}").ok


def test_formulas_agree_with_backward_too(net):
    """The same numbers through .backward(): what a training loop would use."""
    net["L"].backward()
    delta_o = net["yhat"].data - net["y"].data
    for j, h in enumerate(net["h"]):
        assert net["Wo"][j].grad == pytest.approx(h.data * delta_o, rel=1e-12, abs=1e-15)


def test_a_forgotten_sigmoid_derivative_is_caught(net):
    """The classic slip: delta_h without the σ'(z^h) factor."""
    check = ag.check_formula(net["L"], "Wi[0,0]", "x[0] * Wo[0] * (yhat - y)",
                             raise_on_mismatch=False)
    assert not check.ok
    with pytest.raises(ag.GradcheckError, match=r"dL/dWi\[0,0\]"):
        ag.check_formula(net["L"], "Wi[0,0]", "x[0] * Wo[0] * (yhat - y)")


def test_sympy_agrees_with_the_hand_formulas():
    pytest.importorskip("sympy")
    net = course_network(7)
    for wrt, formula in [("zo", "yhat - y"), ("Wo[1]", "h[1] * (yhat - y)"),
                         ("Wi[1,2]", "x[1] * h[2] * (1 - h[2]) * Wo[2] * (yhat - y)")]:
        check = ag.check_formula(net["L"], wrt, formula, symbolic=True)
        assert check.ok
        assert check.symbolic_value == pytest.approx(check.engine_value, rel=1e-9, abs=1e-12)


def test_whole_network_passes_gradcheck():
    net = course_network(0)
    leaves = [*net["x"], *(w for row in net["Wi"] for w in row), *net["Wo"]]

    def loss(*values):
        x, flat_Wi, Wo = values[:N_IN], values[N_IN:N_IN + N_IN * N_HIDDEN], values[-N_HIDDEN:]
        h = [ag.dot([flat_Wi[k * N_HIDDEN + j] for k in range(N_IN)], x).sigmoid()
             for j in range(N_HIDDEN)]
        yhat = ag.dot(Wo, h).sigmoid()
        y = net["y"].data
        return -y * yhat.log() - (1 - y) * (1 - yhat).log()

    report = ag.gradcheck(loss, leaves, per_op=True)
    assert report.ok and len(report.rows) == len(leaves)
    assert [r.name for r in report.rows][:3] == ["x[0]", "x[1]", "Wi[0,0]"]
