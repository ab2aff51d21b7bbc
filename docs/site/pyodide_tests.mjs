// glassgrad's tests under Pyodide (CPython 3.14 for WebAssembly) in Node.js. Run it through
// run_pyodide_tests.py, which fetches what it needs (npm ci, pinned wheels) and passes:
//   node pyodide_tests.mjs NODE_MODULES REPO WHEEL... -- TARGET... -- PYTEST_ARGS...
// The repository is mounted at /repo. Each TARGET (a test file, or a package for its doctests) is one
// pytest run. A test that crashes Pyodide itself (a WebAssembly stack overflow is fatal to the
// interpreter; CPython frees a deep graph recursively) is named apart, and the rest of its file
// runs in a fresh Pyodide. A test that fails on what WebAssembly lacks (a subprocess, a thread,
// a PNG renderer, an extra not shipped) is reported as skipped, with the reason.
// The last line is the total: "N passed, M failed, K skipped"; the exit code is 1 if any failed.
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const [setup, targets, pytestArgs] = (() => {
  const first = args.indexOf("--"), second = args.indexOf("--", first + 1);
  return [args.slice(0, first), args.slice(first + 1, second), args.slice(second + 1)];
})();
const [modules, repo, ...wheels] = setup;
// Pyodide reports a fatal error with its whole wasm stack: keep the messages, drop the "at ..." lines
const printError = console.error.bind(console);
console.error = (...parts) => printError(parts.map(String).join(" ").split("\n").filter((l) => !/^\s+at /.test(l)).join("\n"));
const { loadPyodide } = await import(path.join(modules, "pyodide", "pyodide.mjs"));
const viz = await (await import(path.join(modules, "@viz-js", "viz", "dist", "viz.js"))).instance();
const totals = { passed: 0, failed: 0, skipped: 0, errors: 0, xfailed: 0, xpassed: 0 };
const crashed = [];
const failures = [];   // every failed test, named again at the end (a crash can cut its file's summary)

const PYTHON = `
import os, sys
os.chdir("/repo")
if "/repo" not in sys.path:
    sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True   # the mounted repository stays as it is
import pytest
if "/repo/docs/site/web" not in sys.path:
    sys.path.insert(0, "/repo/docs/site/web")
import glassgrad_web   # what the site's pages do: dot is Graphviz wasm, thread pools run serially
glassgrad_web.install_graphviz(js_render_svg)
glassgrad_web.install_serial_pools()

WASM_CANNOT = ("subprocess.py", "threading.py", "concurrent/futures/thread.py", "multiprocessing")


def not_in_wasm(excinfo) -> str | None:
    """Why a test could not run here, if it failed on what WebAssembly (or this Pyodide) lacks."""
    error = excinfo.value
    if type(error).__name__ == "UnexpectedException":   # a doctest's example raised: look at what
        error = error.exc_info[1]
    text = str(error)
    if isinstance(error, (OSError, RuntimeError)):
        for entry in excinfo.traceback:
            where = str(entry.path)
            if where.endswith(WASM_CANNOT) or "multiprocessing" in where:
                return f"starts {'a thread' if 'thread' in where else 'a subprocess'}, which WebAssembly cannot"
    if "[Errno 138]" in text:   # emscripten's "not supported": a process
        return "starts a subprocess, which WebAssembly cannot"
    if "renders SVG only" in text:
        return "renders PNG: Graphviz for WebAssembly renders SVG only"
    if type(error).__name__ == "GraphvizNotFound":   # a test that hides dot to find graphviz-pure
        return "needs graphviz-pure, a native program"
    if type(error).__name__ == "MissingExtra":
        return f"needs an optional extra not shipped for Pyodide: {text.split(': needs ', 1)[-1].split(',')[0]}"
    if isinstance(error, AttributeError) and text.startswith("module 'os' has no attribute"):
        return f"calls os.{getattr(error, 'name', '?')}, which WebAssembly lacks"
    return None


class Tally:
    """Skips what WebAssembly cannot run (saying so); tells Node each test as it starts and each
    outcome as it is known, so a crash of Pyodide loses none."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        why = report.failed and call.excinfo is not None and not_in_wasm(call.excinfo)
        if why:   # reported as skipped, with why: the test runs on every CPython of .ci/run
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {why}")
        return report

    def pytest_runtest_logstart(self, nodeid, location):
        js_started(nodeid)
    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            kind = ("xfailed" if report.skipped else "xpassed") if hasattr(report, "wasxfail") else report.outcome
        elif report.failed:
            kind = "errors"
        elif report.skipped:
            kind = "skipped"
        else:
            return
        js_outcome(report.nodeid, kind)


int(pytest.main(list(pytest_args), plugins=[Tally()]))
`;

async function freshPyodide() {
  const pyodide = await loadPyodide({ indexURL: path.join(modules, "pyodide") + path.sep, packages: [] });
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of wheels) pyodide.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: sitePackages });
  pyodide.FS.mkdirTree("/repo");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repo }, "/repo");
  pyodide.setStdout({ write: (bytes) => { fs.writeSync(1, bytes); return bytes.length; } });
  pyodide.setStderr({ write: (bytes) => { fs.writeSync(2, bytes); return bytes.length; } });
  return pyodide;
}

async function main() {
  let pyodide = await freshPyodide();
  for (const target of targets) {
    console.log(`\n== ${target}`);
    const done = new Set();
    let current = null;
    for (;;) {
      const deselect = [...done].flatMap((id) => ["--deselect", id]);
      pyodide.globals.set("pytest_args", pyodide.toPy([...pytestArgs, ...deselect, target]));
      pyodide.globals.set("js_started", (id) => { current = id; });
      pyodide.globals.set("js_render_svg", (source) => viz.renderString(source, { format: "svg", engine: "dot" }));
      pyodide.globals.set("js_outcome", (id, kind) => { totals[kind] += 1; done.add(id); if (kind === "failed" || kind === "errors") failures.push(id); });
      try {
        pyodide.runPython(PYTHON);
        break;
      } catch (error) {
        if (!String(error.message).includes("call stack size")) throw error;   // not a stack overflow: stop, failed
        const culprit = current === null || done.has(current) ? `${target} (after its tests, freeing them)` : current;
        console.log(`\nCRASHED ${culprit}: ${String(error.message || error).split("\n").pop()}`);
        crashed.push(culprit);
        pyodide = await freshPyodide();
        if (culprit !== current) break;
        done.add(current);
      }
    }
  }
  const parts = [`${totals.passed} passed`, `${totals.failed} failed`, `${totals.skipped} skipped`];
  for (const kind of ["errors", "xfailed", "xpassed"]) if (totals[kind]) parts.push(`${totals[kind]} ${kind}`);
  const python = pyodide.runPython("import sys; sys.version.split()[0]");
  if (crashed.length) {
    console.log(`\nOverflowed WebAssembly's stack, which ends Pyodide (not counted below; each went on in a fresh Pyodide):` +
                `\n  ${crashed.join("\n  ")}`);
  }
  if (failures.length) console.log(`\nFailed:\n  ${failures.join("\n  ")}`);
  console.log(`\nPyodide ${pyodide.version}, Python ${python}: ${crashed.length} stack overflows (listed above)`);
  console.log(parts.join(", "));
  return totals.failed || totals.errors ? 1 : 0;
}

// an error is printed as its message (node would print a line of Pyodide's minified source)
main().then((code) => { process.exitCode = code; },
            (error) => { console.error(`pyodide_tests.mjs: ${error && error.message || error}`); process.exitCode = 3; });
