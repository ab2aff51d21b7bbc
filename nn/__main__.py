"""``python -m nn`` runs the ``glassgrad`` command line (see :mod:`nn.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
