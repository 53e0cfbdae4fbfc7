"""Writing the files of submitted runs: many files with one ``sync``, and ``info.yaml``
records that give way to a job which started, and rewrote its file, before its submission
was recorded.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._yaml import dump_yaml, load_yaml_file

__all__ = ["InfoDumper", "RunInfo", "file_stamp", "write_files"]


class RunInfo:
    """A run's ``metadata/info.yaml`` as this submission last wrote it.

    A fast scheduler may start a job before its submission is recorded; the job then
    rewrites the file (status RUNNING). An update notices that the file changed and sets only
    the ``scheduler`` entry in what the job wrote, so the run never goes back to STARTING.
    """

    def __init__(self, log_dir: str, info: Dict[str, Any]) -> None:
        self.path = os.path.join(log_dir, _layout.METADATA_DIR, _layout.INFO_FILE)
        self.info = info
        self.stamp: Optional[Tuple[int, int]] = None

    def changed(self) -> bool:
        """True if someone else has replaced the file since this submission wrote it."""
        return file_stamp(self.path) != self.stamp

    def update(self, **fields: Any) -> None:
        """Merge ``fields`` into the file and rewrite it atomically, under the run's info lock
        (the job's own Logger takes it too)."""
        with _layout.info_lock(os.path.dirname(os.path.dirname(self.path))):
            if self.changed():
                self._take_over(fields)
            self.info.update(fields)
            _layout.atomic_write_text(self.path, dump_yaml(self.info))
            self.stamp = file_stamp(self.path)

    def _take_over(self, fields: Dict[str, Any]) -> None:
        """Continue from what the job wrote; only the scheduler's ids are still ours to add."""
        current = load_yaml_file(self.path)
        self.info = current if isinstance(current, dict) else {}
        for key in list(fields):
            if key != "scheduler":
                del fields[key]


class InfoDumper:
    """``info.yaml`` texts, dumped one top-level key at a time, each piece remembered.

    The runs of a sweep share most of their info (host, user, date, executable), and a run's
    two writes (STARTING, then with its job's id) differ only in ``scheduler``. Dumping
    ``{key: value}`` alone gives that key's part of the whole mapping's block YAML, so a
    thousand runs cost a few thousand small dumps instead of two thousand whole ones.
    """

    def __init__(self) -> None:
        self._pieces: Dict[Tuple[str, str], str] = {}

    def __call__(self, info: Dict[str, Any]) -> str:
        parts = []
        for key, value in info.items():
            token = (key, repr(value))
            if token not in self._pieces:
                self._pieces[token] = dump_yaml({key: value})
            parts.append(self._pieces[token])
        return "".join(parts)


def file_stamp(path: str) -> Optional[Tuple[int, int]]:
    """``(inode, mtime)`` of ``path``, which a replaced file changes; None if it is missing."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def write_files(files: Sequence[Tuple[str, str, int]],
                still_ours: Callable[[str], bool] = lambda path: True) -> List[str]:
    """Write each ``(path, text, mode)`` so that a crash never leaves a torn file, with one
    ``sync`` for them all; ``mode`` is for a file this creates (``0o755``: executable).

    A new file is written in place: until ``sync`` returns nothing has been submitted, so a
    crash only leaves an abandoned run. An existing file is replaced by a renamed temp file
    after the sync, and left as it is if ``still_ours(path)`` has turned false by then; those
    paths are returned. One fsync per file would cost about a millisecond each on a
    journaling file system (every fsync of a new file commits the journal); one sync commits
    a thousand files at once.
    """
    renames: List[Tuple[str, str]] = []
    left: List[str] = []
    try:
        for path, text, mode in files:
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            except FileExistsError:
                directory, name = os.path.split(path)
                temp = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
                descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
                renames.append((temp, path))
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(text)
        os.sync()
        for temp, path in renames:
            if still_ours(path):
                os.replace(temp, path)
            else:
                os.unlink(temp)
                left.append(path)
    except BaseException:
        for temp, _ in renames:
            if os.path.exists(temp):
                os.unlink(temp)
        raise
    return left
