"""``import nn`` with HIPS autograd (the pip package ``autograd``, same import name) found first
fails with a message naming the clash and the fix, not "cannot import name 'Value'"."""

import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_a_foreign_autograd_gets_a_clear_message(tmp_path):
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text(textwrap.dedent('''
        """Stands in for HIPS autograd: a grad function, no Value."""
        def grad(fun, argnum=0):
            return fun
    '''))
    code = "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import nn"
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(ROOT)], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: nn cannot use the 'autograd' package found at ")
    assert str(fake / "__init__.py") in last
    for words in ("HIPS autograd", "separate virtual environment", "pip uninstall autograd",
                  "cannot import name"):
        assert words in last, words


def test_our_autograd_imports_cleanly():
    result = subprocess.run([sys.executable, "-c", "import nn; print(nn.MLP.__name__)"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip() == "MLP", result.stderr
