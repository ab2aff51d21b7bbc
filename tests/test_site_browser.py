"""The course site (docs/site/build.py) in a real browser, offline: lesson 04's first exercise, a drawing,
the playground's stepper, and no request leaving 127.0.0.1.

The site is built once per run (its npm and PyPI downloads are cached in ~/.cache/glassgrad-site, or
$GLASSGRAD_SITE_CACHE), served from 127.0.0.1 by a thread of this test, and opened in headless
Chromium with a fresh profile (a cold load: nothing cached). Chromium may reach no other host: every
host name resolves to nothing (``--host-resolver-rules``), and every request not to the loopback goes
to a proxy of this test that refuses it and records it; the test asserts it recorded nothing.

No skip: without chromium, npm or the registries the build or the browser fails with the reason.
"""

from __future__ import annotations

import base64
import http.server
import importlib.util
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from chromium_devtools import Chromium

REPO = Path(__file__).resolve().parents[1]
SHOTS = Path(tempfile.gettempdir())
sys.path.insert(0, str(REPO / "notebooks"))
from notebook_exercises import exercises  # noqa: E402  (the notebooks' own reader of exercises)


def _build_module():
    spec = importlib.util.spec_from_file_location("glassgrad_site_build", REPO / "docs" / "site" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def _site_handler(folder: Path):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format, *args):
            self.server.seen.append(f"{self.client_address[0]} {self.headers.get('Host')} {self.path}")
    return Handler


class _Refuse(http.server.BaseHTTPRequestHandler):
    """The proxy for every host but the loopback: records the request and refuses it."""

    def _refuse(self):
        self.server.seen.append(f"{self.requestline} referer={self.headers.get('Referer')} origin={self.headers.get('Origin')}")
        self.send_error(403, "no network in this test")

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_CONNECT = _refuse

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    build = _build_module()
    out = tmp_path_factory.mktemp("site") / "site"   # the downloads are cached; the site is made anew
    started = time.perf_counter()
    try:
        build.build(out)
    except build.BuildError as e:
        pytest.fail(f"the site could not be built: {e}")
    megabytes = build.size(out) / 1e6
    print(f"\nsite built in {time.perf_counter() - started:.1f} s, {megabytes:.1f} MB")
    assert megabytes < 60                                     # the budget
    return out


@pytest.fixture(scope="module")
def servers(site):
    server, proxy = _Recorder(_site_handler(site)), _Recorder(_Refuse)
    yield server, proxy
    server.stop()
    proxy.stop()


@pytest.fixture
def browser(tmp_path, servers):
    _, proxy = servers
    chromium = Chromium(tmp_path / "profile", extra_args=[
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}"])   # the loopback bypasses it
    def watch_workers(event):   # each worker starts paused: record its requests from its first one
        if event.get("method") == "Target.attachedToTarget":
            session = event["params"]["sessionId"]
            if event["params"]["targetInfo"]["type"] != "page":
                chromium.call("Network.enable", session=session)
            chromium.call("Runtime.runIfWaitingForDebugger", session=session)

    chromium.on_event = watch_workers
    chromium.page("Network.enable")
    chromium.page("Page.enable")
    chromium.page("Target.setAutoAttach", autoAttach=True, waitForDebuggerOnStart=True, flatten=True)
    yield chromium
    chromium.close()


def screenshot(browser: Chromium, name: str) -> Path:
    png = base64.b64decode(browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"])
    path = SHOTS / name
    path.write_bytes(png)
    return path


def open_page(browser: Chromium, url: str, timeout: float = 60.0) -> float:
    """Open ``url`` and wait until its Python is ready; the milliseconds from navigation to ready."""
    browser.page("Page.navigate", url=url)
    browser.wait_for("window.glassgrad && (window.glassgrad.ready || document.getElementById('status').dataset.state === 'failed')",
                     timeout, "Python ready in the page")
    state = browser.evaluate("document.getElementById('status').textContent")
    assert browser.evaluate("window.glassgrad.ready"), state
    return browser.evaluate("window.glassgrad.readyMs")


def run_cell(browser: Chromium, index: int, source: str | None = None, timeout: float = 60.0) -> dict:
    """Put ``source`` in code cell ``index`` (if given), run it; its status, output text and timing."""
    if source is not None:
        browser.evaluate(f"document.querySelector('.cell.code[data-index=\"{index}\"] textarea').value = {json.dumps(source)}")
    browser.evaluate(f"window.glassgrad.runCell({index})", timeout=timeout)
    return browser.evaluate(f"""(() => {{ const c = document.querySelector('.cell.code[data-index="{index}"]');
        return {{status: c.dataset.status, text: c.querySelector('.output').innerText,
                 ms: +c.dataset.roundTripMs, svgs: c.querySelectorAll('.output svg').length}}; }})()""")


def left_localhost(browser: Chromium, servers) -> list[str]:
    """Every request of the site (its page, frames and worker) that was not for the test's server.

    Three records: the DevTools Network events of the page and of its worker (attached paused, so
    from its first request), the worker's own resource timing, and the server's log. The proxy
    refuses whatever else Chromium tries (its own update and time checks too, which are not the
    site's: printed, not counted); a request of the site through it would carry the site's Referer.
    """
    server, proxy = servers
    sent = [e for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    from_worker = [e["params"]["request"]["url"] for e in sent if e.get("sessionId") != browser.session]
    urls = [e["params"]["request"]["url"] for e in sent] + browser.evaluate("window.glassgrad.kernel.resources()")
    assert any("pyodide.asm.wasm" in url for url in from_worker), "the worker's requests were not recorded"
    assert server.seen and all("127.0.0.1" in line for line in server.seen)
    if proxy.seen:
        print(f"chromium's own requests, refused by the proxy: {sorted(set(proxy.seen))}")
    return ([url for url in urls if not url.startswith((server.url, "data:", "about:"))]
            + [line for line in proxy.seen if server.url in line or "127.0.0.1" in line])


def wrong(solution: str) -> str:
    """A wrong answer of the solution's kind: a formula in quotes, or a number."""
    if solution[:1] in "\"'":
        return json.dumps(f"({json.loads(solution)}) * 2 + 1")
    return f"({solution}) * 2 + 1"


NOT_IN_BROWSER = re.compile(r"\bnp\.|numpy|plt\.|matplotlib|sympy|symbolic=True")


def first_browser_exercise(nb):
    """Lesson 04's first exercise that needs no NumPy, matplotlib or SymPy (not in the browser)."""
    for exercise in exercises(nb):
        if not NOT_IN_BROWSER.search(nb.cells[exercise.cell].source + " ".join(exercise.blanks.values())):
            return exercise
    pytest.fail("lesson 04 has no exercise that runs without NumPy, matplotlib or SymPy")


def answered(source: str, answers: dict[str, str]) -> str:
    """The exercise's code with each blank ``name = ___`` replaced by ``answers[name]``."""
    lines = source.split("\n")
    for row, line in enumerate(lines):
        name = line.split("=", 1)[0].strip()
        if name in answers and line.split("=", 1)[1].lstrip().startswith("___"):
            lines[row] = line.replace("___", answers[name], 1)
    return "\n".join(lines)


def test_lesson_04_first_exercise_blank_wrong_right_with_its_drawing(browser, servers):
    server, _ = servers
    nb = nbformat.read(REPO / "notebooks" / "04_backprop_by_hand.ipynb", as_version=4)
    exercise = first_browser_exercise(nb)
    ready_ms = open_page(browser, server.url + "04_backprop_by_hand.html")
    print(f"\nlesson 04: Python ready {ready_ms / 1000:.1f} s after a cold load")
    assert ready_ms < 30_000

    drawings = 0
    for index in range(exercise.cell):                       # everything before the exercise
        if nb.cells[index].cell_type == "code":
            done = run_cell(browser, index)
            assert done["status"] in ("ok", "needs"), (index, done)
            drawings += done["svgs"]
    assert drawings, "no drawing before the exercise"
    nodes = browser.evaluate("""Math.max(...[...document.querySelectorAll('.output svg')]
        .map(s => s.querySelectorAll('g.node').length))""")
    labels = browser.evaluate("[...document.querySelectorAll('.output svg g.node text')].map(t => t.textContent).join(' ')")
    assert nodes >= 10 and "yhat" in labels                  # the graph's nodes, with the course's labels

    blank = run_cell(browser, exercise.cell)
    assert blank["status"] == "ok" and "fill in the blank" in blank["text"] and "✓" not in blank["text"]
    source = nb.cells[exercise.cell].source
    bad = run_cell(browser, exercise.cell, answered(source, {n: wrong(s) for n, s in exercise.blanks.items()}))
    assert bad["status"] == "ok" and "✗" in bad["text"] and "hint" in bad["text"], bad
    browser.evaluate(f"document.querySelector('.cell.code[data-index=\"{exercise.cell}\"]').scrollIntoView()")
    screenshot(browser, "glassgrad_site_lesson04_wrong.png")
    good = run_cell(browser, exercise.cell, answered(source, exercise.blanks))
    assert good["status"] == "ok" and "✓" in good["text"] and "✗" not in good["text"], good
    print(f"lesson 04: the exercise cell re-run in {good['ms']} ms")
    assert good["ms"] < 5_000
    assert not left_localhost(browser, servers)


def test_playground_draws_steps_and_checks_a_gradient(browser, servers):
    server, _ = servers
    open_page(browser, server.url + "playground.html")
    browser.wait_for("window.glassgrad.drawn", 30, "the playground's first drawing")
    formula = "tanh(w*x + b)"
    browser.evaluate(f"""(() => {{ document.getElementById('formula').value = {json.dumps(formula)};
        document.getElementById('at').value = 'w=0.5, x=2, b=-1';
        document.querySelector('#formula-form button').click(); }})()""")
    browser.wait_for("window.glassgrad.drawn >= 2", 30, "the drawing of the new formula")
    assert "tanh(w * x + b)" in browser.evaluate("document.getElementById('header').textContent")
    nodes = browser.evaluate("[...document.querySelectorAll('#drawing svg g.node text')].map(t => t.textContent).join(' ')")
    assert "w" in nodes.split() and "tanh" in nodes

    counter = "document.querySelector('iframe.stepper').contentDocument.getElementById('counter')?.textContent"
    first = browser.wait_for(counter, 20, "the stepper page in its frame")
    assert first.startswith("Step 1 / ")
    browser.evaluate("document.querySelector('iframe.stepper').contentDocument.getElementById('next').click()")
    assert browser.evaluate(counter).startswith("Step 2 / ")   # the stepper steps

    def check(answer: str) -> str:
        before = browser.evaluate("window.glassgrad.checked || 0")
        browser.evaluate(f"""(() => {{ document.getElementById('wrt').value = 'w';
            document.getElementById('answer').value = {json.dumps(answer)};
            document.querySelector('#check-form button').click(); }})()""")
        browser.wait_for(f"(window.glassgrad.checked || 0) > {before}", 20, "the formula check")
        return browser.evaluate("document.getElementById('verdict').innerText")

    right, bad = check("x * (1 - f**2)"), check("x * f")
    assert right != bad and ("✓" in right or "ok" in right.lower()), right
    screenshot(browser, "glassgrad_site_playground.png")
    assert not left_localhost(browser, servers)
