"""The tools that read the engine's graphs: they draw, trace, explain and check them.

Each reads a graph through the public parts of a node (``parents``, ``local_grads``,
``op_def``) and the op table; none of them changes how the engine computes.

* ``drawing``: the graph as Graphviz (``autograd.draw``);
* ``tracing``: the forward and backward passes one step at a time (``autograd.trace``),
  with ``stepper_html`` (a self-contained page) and ``stepper_widget`` (ipywidgets);
* ``explaining``: the chain rule at one node (``autograd.explain``);
* ``checking``: gradients against finite differences, and a learner's formula
  (``autograd.gradcheck``, ``autograd.check_formula``), with ``expression`` (the formula
  parser) and ``symbolic`` (sympy, an extra);
* ``notation``, ``markup``, ``diagnostics``: how nodes are written and noted, shared by the above.
"""
