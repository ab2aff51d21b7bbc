"""The test run executes every notebook with the exercises' solutions filled in, so every check runs.

A learner's blank ``___`` is checked with its registered solution only when this variable is set
(see autograd/tools/lab.py); the kernels nbmake starts inherit it.
"""

import os

os.environ.setdefault("GLASSGRAD_SOLUTIONS", "1")
