// A lesson page: the notebook's cells (embedded by build.py as JSON), markdown rendered and code cells
// that can be edited and run (Shift+Enter) in the Python worker.
import { Kernel, Output, markdown } from "./site.js";

const lesson = JSON.parse(document.getElementById("lesson").textContent);
const status = document.getElementById("status");
const kernel = new Kernel((state, text) => { status.dataset.state = state; status.textContent = text; });
const cells = [];

function grow(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight + 2}px`;
}

async function run(cell) {
  cell.output.clear();
  cell.box.dataset.status = "running";
  cell.count.textContent = "[*]";
  const started = performance.now();
  let ended = "error";
  try {
    ended = await kernel.run(cell.index, cell.editor.value, (message) => {
      if (message.kind === "needs") {
        const note = document.createElement("div");
        note.className = "needs";
        const what = message.ran ? `This cell ran, but its drawing needs ${message.package}`
                                 : `This cell needs ${message.package}`;
        note.textContent = `${what}, which the browser version of the course does not have (glassgrad itself ` +
          `does not need it). Below is ${message.ran ? "the figure" : "the output"} saved in the notebook; in Jupyter the cell runs as it is.`;
        cell.output.area.append(note);
        for (const saved of cell.saved) if (!message.ran || saved.kind === "display") cell.output.add(saved);
      } else if (message.kind === "done") {
        cell.box.dataset.ms = message.ms;
      } else {
        cell.output.add(message);
      }
    });
  } catch (error) {
    cell.output.add({ kind: "error", text: String(error.message || error) });
  }
  cell.box.dataset.status = ended;
  cell.box.dataset.roundTripMs = Math.round(performance.now() - started);
  cell.count.textContent = `[${++run.count}]`;
  return ended;
}
run.count = 0;

function codeCell(source, saved, index) {
  const box = document.createElement("section");
  box.className = "cell code";
  box.dataset.index = index;
  const side = document.createElement("div");
  side.className = "side";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "run";
  button.title = "Run this cell (Shift+Enter)";
  button.textContent = "▶";
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = "[ ]";
  side.append(button, count);
  const editor = document.createElement("textarea");
  editor.className = "editor";
  editor.spellcheck = false;
  editor.value = source;
  editor.setAttribute("aria-label", `code cell ${index}`);
  const area = document.createElement("div");
  area.className = "output";
  const main = document.createElement("div");
  main.className = "main";
  main.append(editor, area);
  box.append(side, main);
  const cell = { index, box, editor, count, saved, output: new Output(area) };
  button.addEventListener("click", () => run(cell));
  editor.addEventListener("input", () => grow(editor));
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.shiftKey) {
      event.preventDefault();
      run(cell);
      const next = cells.find((c) => c.index > index);
      if (next) next.editor.focus();
    } else if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
      grow(editor);
    }
  });
  cells.push(cell);
  return box;
}

const notebook = document.getElementById("notebook");
lesson.cells.forEach((c, index) => {
  if (c.type === "markdown") {
    const box = document.createElement("section");
    box.className = "cell markdown";
    box.innerHTML = markdown(c.source);
    notebook.append(box);
  } else if (c.type === "raw") {
    const box = document.createElement("pre");
    box.className = "cell raw";
    box.textContent = c.source;
    notebook.append(box);
  } else {
    notebook.append(codeCell(c.source, c.saved, index));
  }
});
cells.forEach((c) => grow(c.editor));

document.getElementById("run-all").addEventListener("click", async () => {
  for (const cell of cells) await run(cell);
});
document.getElementById("restart").addEventListener("click", () => {
  kernel.restart();
  for (const cell of cells) { cell.output.clear(); cell.count.textContent = "[ ]"; delete cell.box.dataset.status; }
  run.count = 0;
});
window.glassgrad.kernel = kernel;
window.glassgrad.runCell = (index) => run(cells.find((c) => c.index === index));
