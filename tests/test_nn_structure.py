"""How ``nn`` is put together: ``nn.module`` is at the bottom (it imports none of the models built
on it, not even inside a function), and every error class of ``nn`` is defined in ``nn/errors.py``."""

import ast
import pathlib

NN = pathlib.Path(__file__).resolve().parents[1] / "nn"


def imported(path):
    """Every ``nn`` module ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = f"nn.{node.module}" if node.level else node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("nn")}


def test_module_imports_no_model():
    bad = {name for name in imported(NN / "module.py")
           if name.startswith(("nn.mlp", "nn.perceptron", "nn.train", "nn.cli")) or name == "nn"}
    assert not bad


def test_models_find_their_class_by_registry():
    import nn

    assert nn.Module._registry["MLP"] is nn.MLP and nn.Module._registry["Perceptron"] is nn.Perceptron


def test_every_error_class_is_in_errors_py():
    elsewhere = []
    for path in NN.glob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    "Error" in ast.unparse(base) or "Exception" in ast.unparse(base) for base in node.bases):
                elsewhere.append(f"{path.name}: {node.name}")
            elif isinstance(node, ast.ClassDef) and ("Error" in node.name or "Failed" in node.name):
                elsewhere.append(f"{path.name}: {node.name}")
    assert elsewhere == []
