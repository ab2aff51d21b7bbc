"""Build the course as a static site: ``python docs/site/build.py OUT``.

OUT then holds everything the pages need, and works from any static file host, or offline
(``python -m http.server -d OUT``, then open http://127.0.0.1:8000): the lessons
(``notebooks/*.ipynb``) as pages whose code cells run in the browser, and a playground.

What goes in, all fetched at build time, never from a CDN at run time:

* from npm (``package.json``, pinned with ``package-lock.json``, whose sha512 ``npm ci`` checks):
  Pyodide (CPython 3.14 for WebAssembly), ``@viz-js/viz`` (Graphviz for WebAssembly), ``marked``
  (markdown) and KaTeX (math);
* from PyPI (``site-wheels.txt``: pinned, sha256 checked): the wheels of graphviz and tqdm;
* from this repository: glassgrad's sources (``autograd``, ``nn``) as a zip, the lessons, and the
  page sources in ``web/``.

Downloads are kept between builds in ``$GLASSGRAD_SITE_CACHE`` (default ``~/.cache/glassgrad-site``),
so a second build fetches nothing. The site is assembled in a fresh folder next to OUT and then
put in OUT's place, so OUT is never half-built.

    python docs/site/build.py /tmp/site && python -m http.server -d /tmp/site 8000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WEB = HERE / "web"
MARK = ".glassgrad-site"          # a file in every built site: OUT may be replaced only if it has it

# (npm package, file pattern in node_modules/<package>/, folder of the site it goes to)
NPM_FILES = [
    *(("pyodide", name, "pyodide") for name in
      ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")),
    ("@viz-js/viz", "dist/viz.js", "viz"),
    ("marked", "lib/marked.esm.js", "marked"),
    ("katex", "dist/katex.mjs", "katex"),
    ("katex", "dist/katex.min.css", "katex"),
    ("katex", "dist/fonts/*.woff2", "katex/fonts"),   # woff2 is enough: every browser with wasm reads it
]
# Arimo (metrics of Arial, so of Helvetica) under the name Helvetica: Graphviz wasm sizes a drawing's boxes
# with Helvetica's metrics, and the browser then draws the text in a font of exactly those widths
FONT_SUBSETS = ("latin", "latin-ext", "greek")
FONT_STYLES = ("400", "700", "400-italic", "700-italic")
PAGE_SOURCES = ["glassgrad_web.py", "worker.mjs", "site.js", "lesson.js", "playground.html", "playground.js", "site.css"]


class BuildError(Exception):
    """The site cannot be built; the message says why and what to do."""


def cache_dir() -> Path:
    return Path(os.environ.get("GLASSGRAD_SITE_CACHE") or Path.home() / ".cache" / "glassgrad-site")


def log(message: str) -> None:
    print(f"build.py: {message}", file=sys.stderr, flush=True)


# -- npm ------------------------------------------------------------------------------------------

def npm_modules() -> Path:
    """``node_modules`` as ``package-lock.json`` pins it, installed once per lock file by ``npm ci``."""
    lock = (HERE / "package-lock.json").read_bytes()
    target = cache_dir() / f"npm-{hashlib.sha256(lock).hexdigest()[:16]}"
    if (target / ".done").exists():
        return target / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not on PATH: the site's JavaScript packages (Pyodide, Graphviz wasm) come "
                         "from the npm registry. Install Node.js 18+ with npm (apt-get install nodejs npm)")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="npm-", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(HERE / name, work / name)
        log(f"npm ci into {target} ...")
        done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=work, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"npm ci failed (exit {done.returncode}); is the npm registry reachable?\n"
                             f"{done.stderr.strip()[-2000:]}")
        (work / ".done").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        try:
            os.replace(work, target)
        except OSError:   # another build put the same lock's install there first: keep that one
            if not (target / ".done").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / "node_modules"


# -- PyPI -----------------------------------------------------------------------------------------

_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([A-Za-z0-9_.!+-]+)\s+--hash=sha256:([0-9a-f]{64})\s*$")


def pins(requirements: Path) -> list[tuple[str, str, str]]:
    """(name, version, sha256) of each line ``name==version --hash=sha256:...`` (comments skipped)."""
    found = []
    for number, line in enumerate(requirements.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if match is None:
            raise BuildError(f"{requirements.name}:{number}: want 'name==version --hash=sha256:<64 hex>', got {line!r}")
        found.append(match.groups())
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheels(requirements: Path) -> list[Path]:
    """The pinned wheels, from the cache or downloaded by ``pip download`` (hash-checked by pip and here)."""
    folder = cache_dir() / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    found = []
    for name, version, digest in pins(requirements):
        prefix = f"{name.replace('-', '_').lower()}-{version}-"
        have = [p for p in folder.glob("*.whl") if p.name.lower().startswith(prefix) and sha256(p) == digest]
        if not have:
            log(f"pip download {name}=={version} ...")
            with tempfile.TemporaryDirectory(dir=folder) as tmp:
                pin = Path(tmp) / "pin.txt"
                pin.write_text(f"{name}=={version} --hash=sha256:{digest}\n")
                done = subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
                     "--python-version", "3.14", "--platform", "any", "--disable-pip-version-check",
                     "-d", tmp, "-r", str(pin)], capture_output=True, text=True)
                got = [p for p in Path(tmp).glob("*.whl")]
                if done.returncode != 0 or len(got) != 1:
                    raise BuildError(f"pip download {name}=={version} failed (exit {done.returncode}); is PyPI "
                                     f"reachable?\n{done.stderr.strip()[-2000:]}")
                if sha256(got[0]) != digest:
                    raise BuildError(f"{got[0].name}: sha256 {sha256(got[0])} is not the pinned {digest}")
                os.replace(got[0], folder / got[0].name)
                have = [folder / got[0].name]
        found.append(have[0])
    return found


# -- glassgrad and the lessons ----------------------------------------------------------------------

def glassgrad_zip(path: Path) -> None:
    """glassgrad's packages (``autograd``, ``nn``) as a zip to unpack into Pyodide's site-packages."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for package in ("autograd", "nn"):
            for file in sorted((REPO / package).rglob("*.py")):
                if "__pycache__" not in file.parts:
                    info = zipfile.ZipInfo(file.relative_to(REPO).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, file.read_bytes())


def _text(x) -> str:
    return "".join(x) if isinstance(x, list) else str(x)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def saved_outputs(cell: dict) -> list[dict]:
    """A code cell's outputs saved in the notebook, as the page's output messages."""
    shown = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            shown.append({"kind": "stream", "name": out.get("name", "stdout"), "text": _text(out.get("text", ""))})
        elif kind in ("display_data", "execute_result"):
            data = {mime: _text(v) for mime, v in out.get("data", {}).items() if not mime.startswith("application/")}
            if data:
                shown.append({"kind": "display", "data": data})
        elif kind == "error":
            shown.append({"kind": "error", "text": _ANSI.sub("", "\n".join(out.get("traceback", [])))})
    return shown


def lesson(notebook: Path) -> dict:
    """A notebook as the page needs it: its title and cells (markdown; code with its saved outputs)."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        cells = []
        for cell in nb["cells"]:
            source = _text(cell.get("source", ""))
            if cell["cell_type"] == "markdown":
                cells.append({"type": "markdown", "source": source})
            elif cell["cell_type"] == "code":
                cells.append({"type": "code", "source": source, "saved": saved_outputs(cell)})
            else:  # raw: kept, so a cell's position is the notebook's
                cells.append({"type": "raw", "source": source})
    except (ValueError, KeyError, TypeError) as e:
        raise BuildError(f"{notebook}: not a notebook this build can read: {e}") from None
    heading = next((re.match(r"#\s+(.+)", c["source"]) for c in cells if c["type"] == "markdown"), None)
    return {"name": notebook.stem, "title": heading[1].strip() if heading else notebook.stem, "cells": cells}


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"


# -- the site --------------------------------------------------------------------------------------

def _copy_npm(modules: Path, out: Path) -> None:
    for package, pattern, folder in NPM_FILES:
        matches = sorted((modules / package).glob(pattern))
        if not matches:
            raise BuildError(f"npm package {package} has no {pattern}: is package-lock.json up to date?")
        (out / folder).mkdir(parents=True, exist_ok=True)
        for source in matches:
            shutil.copyfile(source, out / folder / source.name)


def drawing_font(modules: Path, out: Path) -> None:
    """``fonts/drawing.css``: @font-face rules naming Arimo's woff2 files Helvetica (see FONT_SUBSETS)."""
    package = modules / "@fontsource" / "arimo"
    rules = []
    for style in FONT_STYLES:
        css = (package / f"{style}.css").read_text(encoding="utf-8")
        for block in re.findall(r"/\* arimo-([a-z-]+)-\d+-(?:normal|italic) \*/\s*@font-face \{(.*?)\}", css, re.S):
            subset, body = block
            if subset not in FONT_SUBSETS:
                continue
            body = re.sub(r"font-family:[^;]*;", "font-family: Helvetica;", body)
            files = re.findall(r"url\(\./files/([^)]+\.woff2)\)", body)
            if len(files) != 1:
                raise BuildError(f"@fontsource/arimo {style}.css: cannot read the {subset} rule")
            body = re.sub(r"src:[^;]*;", f"src: url({files[0]}) format('woff2');", body)
            shutil.copyfile(package / "files" / files[0], out / "fonts" / files[0])
            rules.append(f"@font-face {{{body}}}")
    if len(rules) != len(FONT_SUBSETS) * len(FONT_STYLES):
        raise BuildError(f"@fontsource/arimo: found {len(rules)} of the {len(FONT_SUBSETS) * len(FONT_STYLES)} font rules")
    (out / "fonts" / "drawing.css").write_text(
        "/* Arimo (SIL OFL 1.1, from @fontsource/arimo), named Helvetica: the drawings' font, with the metrics "
        "Graphviz wasm lays them out with */\n" + "\n".join(rules) + "\n", encoding="utf-8")


def assemble(out: Path) -> dict:
    """Write the whole site into the empty folder ``out``; returns its manifest."""
    modules = npm_modules()
    site_wheels = wheels(HERE / "site-wheels.txt")
    _copy_npm(modules, out)
    (out / "fonts").mkdir()
    drawing_font(modules, out)
    for name in PAGE_SOURCES:
        shutil.copyfile(WEB / name, out / name)
    (out / "wheels").mkdir()
    for wheel in site_wheels:
        shutil.copyfile(wheel, out / "wheels" / wheel.name)
    glassgrad_zip(out / "glassgrad.zip")

    template = (WEB / "lesson.html").read_text(encoding="utf-8")
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise BuildError(f"no lessons found in {REPO / 'notebooks'}")
    items = []
    for notebook in notebooks:
        data = lesson(notebook)
        embedded = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")  # no </script> or <!-- in it
        page = template.replace("{title}", _html(data["title"])).replace("{lesson}", embedded)
        (out / f"{data['name']}.html").write_text(page, encoding="utf-8")
        items.append(f'<li><a href="{data["name"]}.html">{_html(data["title"])}</a></li>')
    commit = _commit()
    index = (WEB / "index.html").read_text(encoding="utf-8")
    index = index.replace("{lessons}", "\n".join(items)).replace("{version}", "0.1.0").replace("{commit}", _html(commit))
    (out / "index.html").write_text(index, encoding="utf-8")
    manifest = {"archives": ["glassgrad.zip", *(f"wheels/{w.name}" for w in site_wheels)],
                "lessons": [n.stem for n in notebooks], "commit": commit}
    (out / "site.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (out / MARK).write_text("built by docs/site/build.py; the whole folder is replaced by the next build\n")
    return manifest


def build(out: Path) -> dict:
    """Build the site into ``out`` (replaced whole if it is an earlier build; refused if it holds anything else)."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARK).exists():
        raise BuildError(f"{out} is not empty and is not a site built by build.py: give a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        manifest = assemble(work)
        os.chmod(work, 0o755)
        if out.exists():
            old = out.with_name(f".{out.name}-old-{os.getpid()}")
            os.replace(out, old)
            os.replace(work, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the glassgrad course as a static site.")
    parser.add_argument("out", type=Path, help="the folder to build into (replaced whole)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        build(args.out)
    except BuildError as e:
        print(f"build.py: {e}", file=sys.stderr)
        return 1
    print(f"built {args.out} in {time.perf_counter() - started:.1f} s: {size(args.out) / 1e6:.1f} MB "
          f"(serve it: python -m http.server -d {args.out} 8000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
