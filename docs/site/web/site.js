// What every page of the course site shares: the Python worker, markdown with math, and outputs shown
// the way Jupyter shows them (text, drawings, HTML steppers, markdown explanations).
import { marked } from "./marked/marked.esm.js";
import katex from "./katex/katex.mjs";

// -- the Python worker ------------------------------------------------------------------------------

export class Kernel {
  constructor(onStatus) {
    this.onStatus = onStatus;
    this.start();
  }

  start() {
    this.worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
    this.pending = new Map();
    this.listeners = new Map();   // cell id -> function(message)
    this.nextId = 0;
    this.ready = new Promise((resolve, reject) => { this._resolve = resolve; this._reject = reject; });
    window.glassgrad.ready = false;
    this.onStatus("starting", "Python is starting (a few seconds, the first time)…");
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => this.onStatus("failed", `Python could not start: ${event.message}`);
  }

  receive(data) {
    if (data.type === "ready") {
      window.glassgrad.ready = true;
      window.glassgrad.readyMs = performance.now();
      window.glassgrad.bootMs = data.ms;
      window.glassgrad.timings = data.timings;
      this.onStatus("ready", `Python ${data.python} ready (glassgrad, Graphviz ${data.graphviz})`);
      this._resolve();
    } else if (data.type === "failed") {
      this.onStatus("failed", `Python could not start: ${data.error}`);
      this._reject(new Error(data.error));
    } else if (data.type === "crashed") {
      window.glassgrad.ready = false;
      this.onStatus("failed", `Python stopped (${data.error}): press Restart. A graph thousands of nodes deep ` +
                    "overflows the browser's stack when it is dropped: call ag.free(root) on it first.");
    } else if (data.type === "out") {
      const listener = this.listeners.get(data.message.cell);
      if (listener) listener(data.message);
    } else {
      const waiting = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (waiting) (data.type === "error" ? waiting.reject(new Error(data.error)) : waiting.resolve(data.value));
    }
  }

  request(message) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  /** Run `code` as cell `cell`; `listener` gets each output message as it comes. */
  run(cell, code, listener) {
    this.listeners.set(String(cell), listener);
    return this.request({ type: "run", cell: String(cell), code });
  }

  /** Call a function of glassgrad_web (the playground's). */
  call(fn, ...args) { return this.request({ type: "call", fn, args }); }

  resources() { return this.request({ type: "resources" }); }

  restart() {
    this.worker.terminate();
    for (const waiting of this.pending.values()) waiting.reject(new Error("Python was restarted"));
    this.start();
  }
}

window.glassgrad = window.glassgrad || { ready: false };

// -- markdown with $math$ ---------------------------------------------------------------------------

function tex(source, display) {
  return katex.renderToString(source, { displayMode: display, throwOnError: false, output: "html" });
}

/** Markdown to HTML, with $...$ and $$...$$ typeset by KaTeX (code spans and blocks left alone). */
export function markdown(source) {
  const code = [], math = [];
  let text = source.replace(/```[\s\S]*?```|`[^`\n]*`/g, (m) => `\uE000${code.push(m) - 1}\uE001`);
  text = text.replace(/\$\$([\s\S]+?)\$\$/g, (m, t) => `\uE002${math.push(tex(t, true)) - 1}\uE003`)
             .replace(/\$([^$\n]+?)\$/g, (m, t) => `\uE002${math.push(tex(t, false)) - 1}\uE003`);
  text = text.replace(/\uE000(\d+)\uE001/g, (m, i) => code[i]);
  return marked.parse(text).replace(/\uE002(\d+)\uE003/g, (m, i) => math[i]);
}

// -- outputs ----------------------------------------------------------------------------------------

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A stepper page (a whole document with its script) in a frame of its own. */
function frame(html) {
  const iframe = element("iframe", "stepper");
  iframe.title = "stepper";
  const font = `<link rel="stylesheet" href="${new URL("./fonts/drawing.css", import.meta.url)}">`;
  iframe.srcdoc = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + font) : font + html;
  return iframe;
}

/** One display (a MIME bundle), as Jupyter picks: HTML, SVG, PNG, markdown, LaTeX, then plain text. */
export function showData(data) {
  const box = element("div", "display");
  if (data["text/html"] !== undefined) {
    const html = data["text/html"];
    if (/<script|<!doctype|<html/i.test(html)) box.append(frame(html));
    else box.innerHTML = html;
  } else if (data["image/svg+xml"] !== undefined) {
    box.classList.add("drawing");
    box.innerHTML = data["image/svg+xml"].replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?/i, "");
  } else if (data["image/png"] !== undefined) {
    const img = element("img");
    img.src = `data:image/png;base64,${data["image/png"].replace(/\s/g, "")}`;
    box.append(img);
  } else if (data["text/markdown"] !== undefined) {
    box.classList.add("markdown");
    box.innerHTML = markdown(data["text/markdown"]);
  } else if (data["text/latex"] !== undefined) {
    box.innerHTML = tex(data["text/latex"].replace(/^\$+|\$+$/g, ""), true);
  } else {
    box.append(element("pre", "plain", data["text/plain"] ?? ""));
  }
  return box;
}

/** Text as a terminal shows it: a carriage return goes back to the start of its line (tqdm's bar). */
function terminal(text) {
  return text.split("\n").map((line) => line.split("\r").filter((part, i, all) => part || i === all.length - 1).pop() ?? "").join("\n");
}

/** Appends output messages (from the worker, or saved in the notebook) to a cell's output area. */
export class Output {
  constructor(area) { this.area = area; this.clear(); }

  clear() { this.area.replaceChildren(); this.stream = null; this.raw = ""; }

  add(message) {
    if (message.kind === "stream") {
      if (!this.stream || this.stream.dataset.name !== message.name) {
        this.stream = element("pre", `stream ${message.name}`);
        this.stream.dataset.name = message.name;
        this.raw = "";
        this.area.append(this.stream);
      }
      this.raw += message.text;
      this.stream.textContent = terminal(this.raw);
      return;
    }
    this.stream = null;
    if (message.kind === "display") this.area.append(showData(message.data));
    else if (message.kind === "error") this.area.append(element("pre", "error", message.text));
  }
}
