"""The project's own promises: README's Python examples run as written, and the layering holds
(``autograd`` never imports ``nn``; ``nn`` uses only names ``autograd`` exports)."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_python_examples_run_in_order(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    # a fresh interpreter in an empty folder, as a reader would run them
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0.5 0.5" in result.stdout                        # y.data, w.grad of the first example
    assert (tmp_path / "model.json").exists() and (tmp_path / "steps.html").exists()


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                yield node.module, alias.name


def test_autograd_never_imports_nn():
    for path in (ROOT / "autograd").glob("*.py"):
        for module, _ in _imports(path):
            assert module.split(".")[0] != "nn", f"{path.name} imports {module}"


def test_nn_uses_only_the_public_api_of_autograd():
    """autograd's exports, and autograd.files (the one writer every file of autograd and nn goes
    through, public by its __all__)."""
    import autograd.files

    public = {"autograd": set(autograd.__all__), "autograd.files": set(autograd.files.__all__)}
    for path in (ROOT / "nn").glob("*.py"):
        for module, name in _imports(path):
            if module.split(".")[0] != "autograd":
                continue
            assert module in public, f"{path.name} imports the private module {module}"
            assert name is None or name in public[module], (
                f"{path.name} imports {name}, which {module} does not export")
