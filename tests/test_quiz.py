"""The quiz asks what a learner derives: a node's whole gradient once all its contributions are in
(or, asked for, each edge's contribution with the running total said), and with ``params`` only
the nodes between the params and the output (not the label arithmetic, not the inputs)."""

import pytest

import autograd as ag
from autograd import Value, trace
from autograd.tools.tracing import TraceError
from test_tracing import two_two_one


def nodes_by_label(root):
    return {n.label: n for n in ag.topological_order(root) if n.label}


def params_of(root):
    return [n for n in ag.topological_order(root) if n.label and n.label[:2] in ("W1", "b1", "W2", "b2")]


def test_a_node_with_two_uses_is_asked_once_its_whole_gradient_is_in():
    L = two_two_one()
    t = trace(L)
    yhat = nodes_by_label(L)["yhat"]
    steps = [s for s in t if s.kind == "backward" and s.parent is yhat]
    assert len(steps) == 2 and steps[0].parent_grad == 0.0          # the first contribution is 0 (y = 1)
    questions = {q.node: q for q in t.questions()}
    q = questions[yhat]
    assert q.step == steps[1].index and q.answer == t.grads[yhat] == ag.grad(L, [yhat])[0]
    assert q.asks == "∂L/∂yhat" and q.shown == t.notation.number(t.grads[yhat])
    assert "yhat has 2 uses" in q.prompt and "the whole sum" in q.prompt
    assert t.notation.number(q.answer) not in q.prompt                  # the question keeps the answer back
    assert q.explanation.startswith("∂L/∂yhat = ") and q.explanation.endswith(f"= {q.shown}")
    assert " + " in q.explanation.split(" = ")[1]                       # both uses, summed
    assert steps[0].index not in {q.step for q in t.questions()}        # the running 0 is never asked


def test_every_node_but_the_output_is_asked_once_and_the_answers_are_the_gradients():
    L = two_two_one()
    t = trace(L)
    questions = t.questions()
    assert [q.node for q in questions].count(L) == 0
    assert len({q.node for q in questions}) == len(questions) == len(t.order) - 1
    assert all(q.answer == t.grads[q.node] for q in questions)
    assert [q.step for q in questions] == sorted(q.step for q in questions)


def test_params_skip_the_label_arithmetic_and_the_inputs():
    L = two_two_one()
    t = trace(L)
    asked = {t.notation[q.node] for q in t.questions(params=params_of(L))}
    assert not asked & {"y", "1 - y", "-y", "x[0]", "x[1]"}
    assert {"yhat", "h[0]", "h[1]", "W1[0,0]", "b2", "log(yhat)", "1 - yhat"} <= asked
    everything = {t.notation[q.node] for q in t.questions()}
    assert everything - asked == {"y", "1 - y", "-y", "x[0]", "x[1]"}


def test_contributions_say_which_use_and_the_running_total():
    L = two_two_one()
    t = trace(L)
    yhat = nodes_by_label(L)["yhat"]
    questions = t.questions("contribution", params=params_of(L))
    mine = [q for q in questions if q.node is yhat]
    assert [q.answer for q in mine] == [0.0, pytest.approx(t.grads[yhat])]
    assert "use 1 of the 2 uses of yhat" in mine[0].prompt and "so far: nothing yet (0)" in mine[0].prompt
    assert "use 2 of the 2 uses of yhat" in mine[1].prompt and "∂L/∂yhat so far: 0," in mine[1].prompt
    totals: dict = {}
    for q in questions:
        totals[q.node] = totals.get(q.node, 0.0) + q.answer
    assert all(total == pytest.approx(t.grads[node], abs=1e-12) for node, total in totals.items())


def test_the_quiz_options_are_checked():
    L = two_two_one()
    t = trace(L)
    with pytest.raises(TraceError, match="quiz must be True, False, 'gradient' or 'contribution', got 'sums'"):
        t.to_html(quiz="sums")
    with pytest.raises(TraceError, match=r"the param z = 3 is not in the graph"):
        t.questions(params=[Value(3.0, label="z")])
    with pytest.raises(ag.OperandError, match="params must hold Values, got str 'W1'"):
        t.questions(params=["W1"])
    with pytest.raises(ag.OperandError, match="params must be a list of Values"):
        t.questions(params=3)
    assert t.questions(False) == ()


def test_a_question_frame_hides_the_whole_gradient():
    L = two_two_one()
    t = trace(L)
    yhat = nodes_by_label(L)["yhat"]
    q = next(q for q in t.questions() if q.node is yhat)
    box = t.frame(q.step, ask="gradient").source
    answer = t.frame(q.step).source
    assert f"grad {q.shown}" in answer and f"grad {q.shown}" not in box
