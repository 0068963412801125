"""Hypothesis profiles: `ci` (the default) is bounded and derandomised, so every run tries the same examples
and a failure reproduces; `long` explores for local runs: HYPOTHESIS_PROFILE=long pytest tests/fuzz."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=40, derandomize=True, print_blob=True)
settings.register_profile("long", max_examples=2_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
