"""Command-line options and the hypothesis profile of the test suite (pytest reads options only
from the top conftest)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI runs on loaded machines: a property must never fail on time alone, and a failure must
# reproduce on the next run. HYPOTHESIS_PROFILE=explore searches with fresh random inputs.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files under tests/golden/ instead of comparing with them",
    )
