"""``mlxp/`` type-checks cleanly with mypy (house style: mypy clean, ``py.typed`` shipped)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_error_in_the_package() -> None:
    pytest.importorskip("mypy", reason="mypy is in the dev extra: pip install -e '.[dev]'")
    result = subprocess.run([sys.executable, "-m", "mypy", "mlxp"], cwd=str(REPO),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_ships_its_type_marker() -> None:
    assert (REPO / "mlxp" / "py.typed").exists()
