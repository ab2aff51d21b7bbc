"""Run the lesson notebooks top to bottom and save them with their outputs, for a static viewer.

    python notebooks/build_notebooks.py           # every notebook in this folder
    python notebooks/build_notebooks.py 03 04     # the notebooks whose names start so

Each notebook runs in a fresh ``python3`` kernel as a learner first meets it: its exercise blanks
``___`` stay unfilled, so each exercise's saved output is its "fill in the blank" message and no
output gives a solution away. (The test run, ``pytest --nbmake``, runs each notebook with its blanks
filled from its Solution blocks instead: ``notebooks/conftest.py``.) Then:

* every widget output (the trace stepper, the progress bar of ``nn.fit``) gets a static
  fallback, ``text/html`` and ``text/plain`` made from the widget's saved state, so a viewer
  without a kernel (GitHub) shows the frame or the finished bar instead of nothing;
* widget model ids are renumbered in order of appearance, and consecutive prints of a cell
  joined into one output, so a rebuild changes only what changed;
* the outputs are checked for machine paths and memory addresses, and the notebook for anything
  that gives a solution away (:func:`notebook_exercises.spoilers`): the build fails on one;
  each notebook's run time is printed: it must stay under 60 s.

Needs the ``dev`` extra (nbformat, nbclient, ipykernel, ipywidgets).
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from notebook_exercises import spoilers  # noqa: E402  (a module beside this script)
from autograd.files import write_atomically  # noqa: E402
TIME_LIMIT = 60.0  # seconds per notebook, on 2 cores
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
FORBIDDEN = re.compile(r"/work/|/tmp/|/home/|/Users/|site-packages|\b0x[0-9a-fA-F]{6,}")


def widget_static(model_id: str, state: dict) -> tuple[str, str]:
    """``(html, text)`` showing a widget as its saved state has it: boxes, HTML, buttons,
    sliders and progress bars (what the stepper and tqdm are made of).

    >>> state = {"b": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_h", "IPY_MODEL_p"]}},
    ...          "h": {"model_name": "HTMLModel", "state": {"value": "fit:&nbsp;100%"}},
    ...          "p": {"model_name": "FloatProgressModel", "state": {"value": 5, "max": 5}}}
    >>> widget_static("b", state)[1]
    'fit: 100% |██████████|'
    """
    entry = state.get(model_id, {})
    kind, s = entry.get("model_name", ""), entry.get("state", {})
    if kind in ("HBoxModel", "VBoxModel", "BoxModel", "GridBoxModel"):
        parts = [widget_static(c.removeprefix("IPY_MODEL_"), state) for c in s.get("children", [])]
        row = kind == "HBoxModel"
        style = "display:flex;gap:.5em;align-items:center" if row else ""
        text = (" " if row else "\n").join(t for _, t in parts if t)
        return f'<div style="{style}">{"".join(h for h, _ in parts)}</div>', text
    if kind in ("HTMLModel", "LabelModel"):
        value = str(s.get("value", ""))
        return f"<div>{value}</div>", _plain(value)
    if kind in ("FloatProgressModel", "IntProgressModel"):
        value, top = float(s.get("value", 0)), float(s.get("max", 100)) or 1.0
        filled = round(10 * max(0.0, min(value / top, 1.0)))
        return (f'<progress value="{value:g}" max="{top:g}"></progress>',
                f"|{'█' * filled}{' ' * (10 - filled)}|")
    if kind == "ButtonModel":
        label = html.escape(str(s.get("description", "")))
        return f"<button disabled>{label}</button>", f"[{s.get('description', '')}]"
    if kind in ("IntSliderModel", "FloatSliderModel"):
        text = f"{s.get('description', '')} {s.get('value')} (of {s.get('min')} to {s.get('max')})".strip()
        return f"<span>{html.escape(text)}</span>", text
    return "", ""


def _plain(markup: str) -> str:
    """Text of an HTML fragment: drawings dropped, tags removed, entities and spaces normalised."""
    markup = re.sub(r"<svg\b.*?</svg>", " ", markup, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup)).replace("\u2007", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def add_static_fallbacks(nb) -> int:
    """Give each widget output in ``nb`` a ``text/html`` and ``text/plain`` rendering of its saved state."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            markup, text = widget_static(view["model_id"], state)
            if markup:
                out["data"]["text/html"] = markup
            out["data"]["text/plain"] = text or "(an interactive widget: run the notebook to use it)"
            count += 1
    return count


def merge_streams(nb) -> None:
    """Join consecutive stdout (or stderr) outputs of a cell into one, as a notebook shows them:
    how the kernel happened to flush its output then changes nothing in the file."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (out.output_type == "stream" and last is not None and last.output_type == "stream"
                    and last.name == out.name):
                last.text += out.text
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged


def renumber_widgets(nb):
    """The notebook with its widget model ids replaced by ``0000...01``, ``0000...02``... in a fixed
    order: the widgets shown, cell by cell, then the models each one refers to, depth first."""
    import nbformat

    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = [out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
             if WIDGET_VIEW in out.get("data", {})]
    order: list[str] = []
    stack = list(reversed(shown))
    while stack:
        model = stack.pop()
        if model in order or model not in state:
            continue
        order.append(model)
        refs = re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[model], sort_keys=True))
        stack.extend(reversed(refs))
    order += sorted((m for m in state if m not in order), key=lambda m: json.dumps(state[m], sort_keys=True))
    text = nbformat.writes(nb)
    for k, old in enumerate(order, 1):
        text = text.replace(old, f"{k:032x}")
    return nbformat.reads(text, as_version=4)


def problems(nb) -> list[str]:
    """Machine paths and memory addresses found in the outputs (and the saved widget state)."""
    found = []
    for i, cell in enumerate(nb.cells):
        blob = json.dumps(cell.get("outputs", []), ensure_ascii=False)
        found += [f"cell {i}: {m[0]!r}" for m in FORBIDDEN.finditer(blob)]
    blob = json.dumps(nb.metadata.get("widgets", {}), ensure_ascii=False)
    found += [f"widget state: {m[0]!r}" for m in FORBIDDEN.finditer(blob)]
    return found


def build(path: Path) -> float:
    """Execute the notebook at ``path`` in place, with fallbacks and checks; return its run time."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                   record_timing=False, resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    merge_streams(nb)
    add_static_fallbacks(nb)
    nb = renumber_widgets(nb)
    bad = problems(nb)
    if bad:
        raise SystemExit(f"{path.name}: outputs hold machine paths or addresses: {bad[:5]}")
    given_away = spoilers(nb)
    if given_away:
        raise SystemExit(f"{path.name}: gives solutions away: {given_away[:5]}")
    write_atomically(path, nbformat.writes(nb).encode("utf-8"), _fail)
    return seconds


def _fail(message: str) -> Exception:
    from autograd.errors import FileWriteError

    return FileWriteError(f"build_notebooks: {message}")


def main(argv: list[str]) -> int:
    paths = sorted(HERE.glob("[0-9]*.ipynb"))
    if argv:
        paths = [p for p in paths if any(p.name.startswith(a) for a in argv)]
    slow = []
    for path in paths:
        seconds = build(path)
        print(f"{path.name}: {seconds:.1f} s")
        if seconds > TIME_LIMIT:
            slow.append(path.name)
    if slow:
        print(f"over {TIME_LIMIT:g} s: {', '.join(slow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
