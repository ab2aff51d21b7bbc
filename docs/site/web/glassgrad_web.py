"""glassgrad in the browser: runs a lesson's cells in Pyodide (a web worker) and tells the page what to show.

The worker loads this module after unpacking glassgrad and its pure-Python dependencies. It:

* gives glassgrad a ``dot`` program: Graphviz compiled to WebAssembly (``@viz-js/viz``), called
  synchronously from JavaScript, so ``ag.draw(y)`` renders the same DOT text to SVG as on a desktop;
* runs the thread pools glassgrad uses (rendering a trace's frames) one job at a time, as
  WebAssembly here has no threads;
* turns ``trace.widget()`` (ipywidgets, which needs a Jupyter kernel) into the HTML stepper page
  of ``trace.to_html()``;
* lets a cell ``import numpy`` or ``matplotlib`` (not in the browser: a placeholder, given to the
  cells' code only) and, when the cell then uses them, says so: the page shows the output saved in
  the notebook instead; matplotlib's calls do nothing, so the work around a plot still runs;
* runs a cell as Jupyter does (the last expression's value is displayed with its ``_repr_*_``).

Messages go to the page as JSON text through ``emit`` (a JavaScript function of the worker).
"""

from __future__ import annotations

import ast
import concurrent.futures
import concurrent.futures.thread
import builtins
import json
import os
import subprocess
import sys
import time
import traceback
import types

NOT_IN_BROWSER = ("numpy", "matplotlib", "sympy", "ipywidgets", "scipy", "pandas", "PIL", "IPython")
"""Packages a lesson may import that the browser does not have (no WebAssembly build is shipped)."""

_emit = None        # the worker's emit(json_text), set by start()
_render_svg = None  # the worker's renderDot(dot_text) -> svg text, set by start()
_cell = None        # the id of the cell running now (its output goes there)


def start(emit, render_svg) -> None:
    """Called once by the worker: hook glassgrad up to the page and to Graphviz wasm."""
    global _emit, _render_svg
    _emit = emit
    install_graphviz(render_svg)
    install_serial_pools()
    sys.stdout = _Stream("stdout")
    sys.stderr = _Stream("stderr")
    os.environ.setdefault("TQDM_MININTERVAL", "0.5")
    import autograd as ag  # noqa: F401  (imported now, so the first cell is quick)
    ag.Trace.widget = _widget


def send(kind: str, **fields) -> None:
    _emit(json.dumps({"kind": kind, "cell": _cell, **fields}))


# -- Graphviz: a `dot` on PATH whose runs are rendered by Graphviz wasm -------------------------

_DOT = "/usr/local/bin/dot"


def install_graphviz(render_svg) -> None:
    """glassgrad looks for `dot` on PATH and runs it with subprocess.run: give it both, the runs
    rendered by ``render_svg(dot_text) -> svg_text`` (Graphviz wasm, a JavaScript function)."""
    global _render_svg
    _render_svg = render_svg
    os.makedirs(os.path.dirname(_DOT), exist_ok=True)
    with open(_DOT, "w") as f:
        f.write("#!/bin/sh\n# rendered by Graphviz wasm in the page's worker (glassgrad_web.py)\n")
    os.chmod(_DOT, 0o755)
    os.environ["PATH"] = os.path.dirname(_DOT) + os.pathsep + os.environ.get("PATH", "")
    real_run = subprocess.run

    def run(args, *rest, input=None, timeout=None, **kwargs):
        if isinstance(args, (list, tuple)) and args and str(args[0]) == _DOT:   # our dot only, not one a test made
            started = time.perf_counter()
            done = _run_dot(list(args), input)
            if timeout is not None and time.perf_counter() - started > timeout:   # told afterwards: wasm
                raise subprocess.TimeoutExpired(args, timeout)                     # cannot be interrupted
            return done
        return real_run(args, *rest, input=input, timeout=timeout, **kwargs)

    subprocess.run = run


def _run_dot(args: list, source: bytes | None) -> subprocess.CompletedProcess:
    formats = [a[2:] for a in args[1:] if str(a).startswith("-T")]
    if formats != ["svg"]:
        return subprocess.CompletedProcess(args, 1, b"", (
            f"in the browser, Graphviz (WebAssembly) renders SVG only, not {', '.join(formats) or '?'}: "
            f"use the drawing's SVG (ag.draw(y) shows it)").encode())
    try:
        svg = _render_svg((source or b"").decode("utf-8"))
    except Exception as e:  # a JavaScript error from Graphviz wasm: its message, as dot's stderr
        return subprocess.CompletedProcess(args, 1, b"", str(e).encode())
    return subprocess.CompletedProcess(args, 0, str(svg).encode("utf-8"), b"")


# -- no threads in WebAssembly: thread pools run their jobs one after another ------------------

class _SerialFuture(concurrent.futures.Future):
    pass


class SerialExecutor(concurrent.futures.Executor):
    """A ThreadPoolExecutor that runs each job at once, in the calling thread."""

    def __init__(self, max_workers=None, *args, **kwargs):
        self._shut = False

    def submit(self, fn, /, *args, **kwargs):
        future = _SerialFuture()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # kept in the future, raised by .result() as with threads
            future.set_exception(e)
        return future


def install_serial_pools() -> None:
    concurrent.futures.ThreadPoolExecutor = SerialExecutor
    concurrent.futures.thread.ThreadPoolExecutor = SerialExecutor


# -- the stepper: the HTML page of trace.to_html() instead of ipywidgets -----------------------

class StepperPage:
    """``trace.widget()`` in the browser: the self-contained stepper page, shown in a frame."""

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "<the stepper page of trace.to_html()>"


def _widget(self, **options) -> StepperPage:
    """``trace.widget(quiz=..., params=...)``: the same options go to ``trace.to_html``."""
    return StepperPage(self.to_html(**options))


# -- numpy & co: importable from a cell, but saying so when used --------------------------------

class NotInBrowser(Exception):
    """A cell used a package the browser does not have."""

    def __init__(self, package: str):
        super().__init__(f"{package} is not available in the browser")
        self.package = package


class _Missing(types.ModuleType):
    """numpy & co in a cell: any use stops the cell (a made-up array would compute nonsense)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotInBrowser(self.__name__.split(".")[0])


_used: set[str] = set()   # the plotting packages the running cell called (their calls do nothing)


class _Plot:
    """matplotlib in a cell: every call does nothing and gives another _Plot, so the glassgrad work
    around a plot (training, say) still runs; the page then shows the cell's saved figures. What
    cannot be faked (unpacking ``fig, ax = plt.subplots()``, numbers) stops the cell."""

    def __init__(self, package: str):
        object.__setattr__(self, "_package", package)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        _used.add(self._package)
        return self

    def __setattr__(self, name, value):
        _used.add(self._package)

    def __call__(self, *args, **kwargs):
        _used.add(self._package)
        return self

    def __getitem__(self, key):
        return self

    def __iter__(self):
        raise NotInBrowser(self._package)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __float__(self):
        raise NotInBrowser(self._package)

    __int__ = __index__ = __len__ = __float__


class _MissingPlot(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        _used.add(self.__name__.split(".")[0])
        return _Plot(self.__name__.split(".")[0])


PLOTTING = ("matplotlib",)


def _stub(name: str) -> types.ModuleType:
    """The placeholder for ``name`` (and its parents, each an attribute of the one above)."""
    parts = name.split(".")
    for k in range(1, len(parts) + 1):
        dotted = ".".join(parts[:k])
        if dotted not in _stubs:
            kind = _MissingPlot if parts[0] in PLOTTING else _Missing
            _stubs[dotted] = module = kind(dotted)
            module.__dict__["__path__"] = []
            if k > 1:
                _stubs[".".join(parts[:k - 1])].__dict__[parts[k - 1]] = module
    return _stubs[name]


_stubs: dict[str, types.ModuleType] = {}   # never in sys.modules: glassgrad's own imports see the truth


def _cell_import(name, globals=None, locals=None, fromlist=(), level=0):
    """``import`` in a cell's code: a package the browser lacks gives a placeholder, not an
    ImportError. Only the cells' code imports this way (their ``__builtins__``): glassgrad's own
    ``import numpy`` and ``importlib.util.find_spec("numpy")`` still find no numpy."""
    try:
        return _real_import(name, globals, locals, fromlist, level)
    except ImportError:
        if level or name.split(".")[0] not in NOT_IN_BROWSER:
            raise
    module = _stub(name)
    return module if fromlist else _stubs[name.split(".")[0]]


def _needs(error: BaseException) -> str | None:
    """The missing package behind ``error`` (or its causes), if that is what stopped the cell."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NotInBrowser):
            return error.package
        if isinstance(error, ImportError) and (error.name or "").split(".")[0] in NOT_IN_BROWSER:
            return error.name.split(".")[0]
        if type(error).__name__ == "MissingExtra":
            text = str(error)
            found = [p for p in NOT_IN_BROWSER if p.lower() in text.lower()]
            if found:
                return found[0]
        error = error.__cause__ or error.__context__
    return None


# -- running a cell -----------------------------------------------------------------------------

class _Stream:
    def __init__(self, name: str):
        self.name = name

    def write(self, text: str) -> int:
        if text:
            send("stream", name=self.name, text=text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


_real_import = builtins.__import__
_CELL_BUILTINS = {**builtins.__dict__, "__import__": _cell_import}
namespace: dict = {"__name__": "__main__", "__builtins__": _CELL_BUILTINS}
_needed_before: list[str] = []   # the packages earlier cells stopped on (since the last reset)


def display(*objects, **_ignored) -> None:
    """IPython's display(): each object shown as Jupyter would."""
    for obj in objects:
        send("display", data=mimebundle(obj))


namespace["display"] = display

_REPRS = (("text/html", "_repr_html_"), ("image/svg+xml", "_repr_svg_"), ("text/markdown", "_repr_markdown_"),
          ("text/latex", "_repr_latex_"), ("image/png", "_repr_png_"))


def mimebundle(obj) -> dict:
    """What Jupyter would show for ``obj``: ``_repr_mimebundle_``, then each ``_repr_*_``, then repr."""
    data: dict = {}
    method = getattr(type(obj), "_repr_mimebundle_", None)
    if method is not None:
        bundle = method(obj)
        data.update(bundle[0] if isinstance(bundle, tuple) else bundle or {})
    for mime, name in _REPRS:
        method = getattr(type(obj), name, None)
        if mime not in data and method is not None:
            value = method(obj)
            if value is not None:
                data[mime] = value
    if isinstance(data.get("image/png"), bytes):
        import base64
        data["image/png"] = base64.b64encode(data["image/png"]).decode()
    data.setdefault("text/plain", repr(obj))
    return {k: v for k, v in data.items() if isinstance(v, str)}


def run_cell(code: str, cell: str) -> str:
    """Run one cell's code in the lesson's namespace; its output goes to the page as it comes.
    Returns how it ended: ``ok``, ``error`` or ``needs`` (a package the browser lacks)."""
    global _cell
    _cell = cell
    _used.clear()
    started = time.perf_counter()
    try:
        tree = ast.parse(code, filename=f"<cell {cell}>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"<cell {cell}>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"<cell {cell}>", "eval"), namespace)
            if value is not None and not isinstance(value, _Plot) and not code.rstrip().endswith(";"):
                display(value)
        status = "ok"
        if _used:   # it ran, but its plots were not drawn
            package = sorted(_used)[0]
            send("needs", package=package, ran=True)
            status = "needs"
    except BaseException as e:  # everything a cell raises is shown in the cell, as Jupyter does
        package = _needs(e)
        if package is None and isinstance(e, NameError) and _needed_before:
            package = _needed_before[-1]   # a name an earlier cell, stopped by that package, would have made
        if package:
            send("needs", package=package, ran=False)
            status = "needs"
        else:
            send("error", ename=type(e).__name__, text=_traceback(e))
            status = "error"
    if status == "needs":
        _needed_before.append(package)
    send("done", status=status, ms=round((time.perf_counter() - started) * 1000, 1))
    _cell = None
    return status


def _traceback(e: BaseException) -> str:
    """The traceback from the cell's own code down (this module's frames left out)."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    if isinstance(e, SyntaxError):
        tb = None
    return "".join(traceback.format_exception(type(e), e, tb))


def reset() -> None:
    """Forget every name the cells defined (the page's Restart)."""
    namespace.clear()
    _needed_before.clear()
    namespace.update({"__name__": "__main__", "__builtins__": _CELL_BUILTINS, "display": display})


# -- the playground -------------------------------------------------------------------------------

def playground(text: str, at: str, quiz: bool = False) -> str:
    """A formula of the CLI's language at some values: its header, drawing, stepper page, names."""
    import autograd as ag
    from nn.cli_formula import load_formula
    try:
        formula = load_formula(text, [at] if at.strip() else [])
        formula.root.backward()
        drawing = ag.draw(formula.root, show_grad=not quiz)   # a quiz asks for the grads: not shown before
        trace = ag.trace(formula.root)
        stepper = trace.to_html(quiz=quiz) if trace.drawable() else None
        return json.dumps({"ok": True, "header": formula.header(), "svg": drawing.svg(),
                           "stepper": stepper, "names": list(formula.leaves), "unused": formula.unused})
    except Exception as e:  # the formula's own error (a caret under the problem): shown as it is
        return json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"})


def playground_check(text: str, at: str, wrt: str, answer: str) -> str:
    """``ag.check_formula`` on the playground's formula: is ``answer`` the gradient with respect to ``wrt``?"""
    import autograd as ag
    from nn.cli_formula import load_formula
    try:
        formula = load_formula(text, [at] if at.strip() else [])
        result = ag.check_formula(formula.root, wrt, answer, raise_on_mismatch=False)
        return json.dumps({"ok": True, "data": mimebundle(result)})
    except Exception as e:
        return json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"})
