"""Make sure ``import autograd`` gives glassgrad's engine, and say how to fix it when not.

``autograd`` is also the import name of HIPS autograd (the pip package ``autograd``). With
both installed in one environment, ``import autograd`` may find HIPS autograd, and every
``from autograd import Value`` in ``nn`` would fail with a bare "cannot import name 'Value'".
:func:`check_engine` turns that into a message naming the clash and the fix.

    >>> check_engine()   # glassgrad's engine: nothing to say
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["check_engine"]


def check_engine() -> None:
    """Raise ``ImportError`` with a clear message unless ``autograd`` is glassgrad's engine."""
    try:
        from autograd import GlassgradError, Value
    except ImportError as e:
        raise ImportError(_message(e)) from e
    del GlassgradError, Value  # imported only to see that they can be


def _message(error: ImportError) -> str:
    module = sys.modules.get("autograd")
    if module is None:
        try:
            module = importlib.import_module("autograd")
        except ImportError:
            return ("nn needs glassgrad's engine, the package 'autograd' that comes with glassgrad, "
                    f"but it cannot be imported ({error}); reinstall glassgrad: pip install glassgrad")
    where = getattr(module, "__file__", None) or "an unknown place"
    return (f"nn cannot use the 'autograd' package found at {where}: it is not glassgrad's engine "
            f"({error}). It is probably HIPS autograd (the pip package 'autograd'), which uses the "
            "same import name as glassgrad's engine, so the two cannot share an environment. "
            "Fix: install glassgrad in a separate virtual environment "
            "(python -m venv .venv && .venv/bin/pip install glassgrad), or remove HIPS autograd "
            "with: pip uninstall autograd (then pip install --force-reinstall glassgrad, since "
            "both install into the same 'autograd' folder)")
