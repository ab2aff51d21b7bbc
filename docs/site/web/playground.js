// The playground: a formula of the CLI's language -> its drawing, its stepper and a gradient check.
import { Kernel, showData } from "./site.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const kernel = new Kernel((state, text) => { status.dataset.state = state; status.textContent = text; });
window.glassgrad.kernel = kernel;

async function draw() {
  const result = JSON.parse(await kernel.call("playground", $("formula").value, $("at").value, $("quiz").checked));
  $("problem").hidden = result.ok;
  $("verdict").replaceChildren();
  if (!result.ok) {   // nothing of the previous formula stays on the page
    $("problem").textContent = result.error;
    $("header").textContent = "";
    $("drawing").replaceChildren();
    $("stepper").replaceChildren();
    $("wrt").replaceChildren();
    window.glassgrad.drawn = (window.glassgrad.drawn || 0) + 1;
    return;
  }
  $("header").textContent = result.header + (result.unused.length ? `  (not used: ${result.unused.join(", ")})` : "");
  $("drawing").innerHTML = result.svg.replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?/i, "");
  const stepper = $("stepper");
  if (result.stepper) stepper.replaceChildren(showData({ "text/html": result.stepper }));
  else stepper.textContent = "(too big a graph to step through frame by frame)";
  const wrt = $("wrt");
  const keep = wrt.value;
  wrt.replaceChildren(...result.names.map((n) => Object.assign(document.createElement("option"), { value: n, textContent: n })));
  if (result.names.includes(keep)) wrt.value = keep;
  window.glassgrad.drawn = (window.glassgrad.drawn || 0) + 1;
}

async function check() {
  if (!$("wrt").value) {
    $("verdict").replaceChildren(Object.assign(document.createElement("pre"), { className: "error", textContent: "Draw a formula first (it has no names yet)." }));
    window.glassgrad.checked = (window.glassgrad.checked || 0) + 1;
    return;
  }
  const result = JSON.parse(await kernel.call("playground_check", $("formula").value, $("at").value, $("wrt").value, $("answer").value));
  $("verdict").replaceChildren(result.ok ? showData(result.data) : Object.assign(document.createElement("pre"), { className: "error", textContent: result.error }));
  window.glassgrad.checked = (window.glassgrad.checked || 0) + 1;
}

$("formula-form").addEventListener("submit", (event) => { event.preventDefault(); draw(); });
$("check-form").addEventListener("submit", (event) => { event.preventDefault(); check(); });
kernel.ready.then(draw);
