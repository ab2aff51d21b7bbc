"""Shared test settings.

Hypothesis runs derandomized by default, so every run (and CI) checks the same
examples. Explore with more, random examples locally:

    HYPOTHESIS_PROFILE=explore python -m pytest tests
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow], database=None, print_blob=True)
settings.register_profile("explore", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# --doctest-modules would import this file a second time as the top-level module "conftest",
# which notebooks/conftest.py already is: an "import file mismatch" error. It holds no doctests.
collect_ignore = ["conftest.py"]
