"""Fake scheduler commands placed first on PATH, recording what they were given.

Each fake is a small executable that records its argv and stdin, prints what the real
command prints, and exits with the real exit status.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable, List, NamedTuple

import pytest

FAKE = """#!{python}
import json, os, sys, time
with open({record!r}, "a") as record:
    call = {{"argv": sys.argv[1:], "stdin": sys.stdin.read(), "cwd": os.getcwd(), "pwd": os.environ.get("PWD")}}
    record.write(json.dumps(call) + "\\n")
time.sleep({sleep})
sys.stdout.write({stdout!r})
sys.stderr.write({stderr!r})
sys.exit({status})
"""


class Call(NamedTuple):
    argv: List[str]
    stdin: str
    cwd: str
    pwd: str


class FakeCommands:
    """Installs fake commands in a directory put first on PATH and reads what they got."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}")

    def install(
        self, name: str, stdout: str = "", stderr: str = "", status: int = 0, sleep: float = 0
    ) -> Callable[[], List[Call]]:
        record = self.bin / f"{name}.calls"
        path = self.bin / name
        path.write_text(
            FAKE.format(
                python=sys.executable, record=str(record), sleep=sleep,
                stdout=stdout, stderr=stderr, status=status,
            )
        )
        path.chmod(0o755)

        def calls() -> List[Call]:
            if not record.exists():
                return []
            return [Call(**json.loads(line)) for line in record.read_text().splitlines()]

        return calls
