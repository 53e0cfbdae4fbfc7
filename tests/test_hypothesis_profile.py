"""The property tests run under the CI profile: no deadline, the same inputs every run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import settings


def test_default_profile_has_no_deadline_and_is_derandomized() -> None:
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci":
        pytest.skip("another hypothesis profile was asked for")
    assert settings.default.deadline is None
    assert settings.default.derandomize


def test_a_slow_property_passes_under_the_profile(tmp_path) -> None:
    """A property slower than hypothesis' 200 ms default deadline still passes."""
    test_file = tmp_path / "test_slow.py"
    test_file.write_text(textwrap.dedent("""
        import time
        from hypothesis import given, settings, strategies as st

        @settings(max_examples=3)
        @given(st.integers())
        def test_slow(number):
            time.sleep(0.25)
    """))
    conftest = os.path.join(os.path.dirname(__file__), "conftest.py")
    (tmp_path / "conftest.py").write_text(open(conftest, encoding="utf-8").read())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--hypothesis-seed=0", str(test_file)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "HYPOTHESIS_PROFILE": "ci"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
