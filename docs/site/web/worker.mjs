// The Python of a page: Pyodide (CPython for WebAssembly) with glassgrad, in a web worker so the page
// stays responsive while a cell runs. Everything is loaded from this site (see site.json), never a CDN.
//
// Page -> worker: {id, type: "run", code, cell} | {id, type: "call", fn, args} | {id, type: "reset"}
//                 | {id, type: "resources"}
// Worker -> page: {type: "ready", ms, python} | {type: "failed", error} | {type: "out", message}
//                 | {id, type: "reply", value} | {id, type: "error", error}
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.js";

const started = performance.now();
let web = null;

async function fetchBytes(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const timings = {};
const mark = (name) => { timings[name] = Math.round(performance.now() - started); };

async function boot() {
  const manifest = (async () => (await fetch("site.json")).json())();
  const downloads = manifest.then((m) => Promise.all(m.archives.map(fetchBytes)));   // while Pyodide starts
  const runtimeText = fetch("glassgrad_web.py").then((r) => r.text());
  const [pyodide, viz] = await Promise.all([
    loadPyodide({ indexURL: new URL("pyodide/", import.meta.url).href, packages: [] }),
    vizInstance().then((viz) => { mark("graphviz"); return viz; }),
  ]);
  mark("pyodide");
  const names = (await manifest).archives;
  const archives = await downloads;
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  archives.forEach((bytes, i) => pyodide.unpackArchive(bytes, names[i].endsWith(".whl") ? "wheel" : "zip",
                                                       { extractDir: sitePackages }));
  mark("unpacked");
  const runtime = await runtimeText;
  pyodide.FS.writeFile("/home/pyodide/glassgrad_web.py", runtime);
  pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
  web = pyodide.pyimport("glassgrad_web");
  const emit = (text) => postMessage({ type: "out", message: JSON.parse(text) });
  const renderDot = (source) => viz.renderString(source, { format: "svg", engine: "dot" });
  web.start(emit, renderDot);
  mark("glassgrad");
  postMessage({ type: "ready", ms: Math.round(performance.now() - started), python: pyodide.runPython("import sys; sys.version.split()[0]"),
                graphviz: viz.graphvizVersion, timings });
}

const booted = boot().catch((error) => { postMessage({ type: "failed", error: String(error && error.stack || error) }); throw error; });

self.onmessage = async (event) => {
  const { id, type } = event.data;
  try {
    await booted;
    let value = null;
    if (type === "run") value = web.run_cell(event.data.code, String(event.data.cell));
    else if (type === "call") value = web[event.data.fn](...event.data.args);
    else if (type === "reset") web.reset();
    else if (type === "resources") value = performance.getEntriesByType("resource").map((e) => e.name);
    postMessage({ id, type: "reply", value });
  } catch (error) {
    const message = String(error && error.message || error);
    postMessage({ id, type: "error", error: message });
    // a fatal error (a WebAssembly stack overflow, say) leaves this Python unusable: the page says so
    if (/call stack size|fatally failed|fatal error/i.test(message)) postMessage({ type: "crashed", error: message.split("\n").pop() });
  }
};
