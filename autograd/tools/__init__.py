"""The tools that read the engine's graphs: they draw, trace, explain and check them.

Each reads a graph through the public parts of a node (``parents``, ``local_grads``,
``op_def``) and the op table; none of them changes how the engine computes.

* ``drawing``: the graph as Graphviz (``autograd.draw``), with its parts ``drawing_layout``,
  ``drawing_labels``, ``drawing_legend``, ``drawing_style``, ``drawing_checks`` and
  ``drawing_render``;
* ``tracing``: the forward and backward passes one step at a time (``autograd.trace``),
  with ``stepper_html`` (a self-contained page, the quiz) and ``stepper_widget`` (ipywidgets;
  ``zoom`` crops its drawing around the step);
* ``explaining``: the chain rule at one node (``autograd.explain``);
* ``checking``: gradients against finite differences, and a learner's formula
  (``autograd.gradcheck``, ``autograd.check_formula``), gathered from ``gradchecking``,
  ``gradcheck_report``, ``finite_differences``, ``formula_check``, ``formula_names`` and
  ``formula_replay``; with ``expression`` (the formula parser) and ``symbolic`` (sympy, an extra);
* ``engine_check``: a learner's own micrograd-style engine against glassgrad's
  (``autograd.check_engine``), with ``engine_alone`` (each op run alone) and ``engine_report``;
* ``lab``: the notebooks' exercises (``check_answer``, ``check_formula`` with hints);
* ``notation``, ``markup``, ``diagnostics``: how nodes are written and noted, shared by the above.
"""
