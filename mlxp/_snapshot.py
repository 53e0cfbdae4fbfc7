"""The code a run executes, as a value: a ``Snapshot`` and the launch record that hands it to
a run re-executed from it. Version managers (``mlxp.vcs``) make snapshots; the launcher,
mlxpsub and the runs read them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple

from mlxp import _layout
from mlxp.errors import VersionManagerError
from mlxp.settings import SNAPSHOT_ENV

DIFF_FILE = "git_diff.patch"
REQUIREMENTS_FILE = "requirements.txt"
_RECORDS_DIR = "records"  # next to the <commit> directories; a commit hash never reads "records"


@dataclass(frozen=True)
class Snapshot:
    """The code a run executes: commit ``commit_hash`` of ``repo_path``, copied at ``path``.

    Attributes:
        path: the snapshot directory, ``<parent_work_dir>/<repo name>/<commit_hash>``.
        repo_path: the top directory of the user's repository.
        commit_hash: the commit the snapshot holds.
        diff: ``git diff HEAD`` at launch: the uncommitted changes the run does *not* execute.
        requirements: ``name==version`` of the installed distributions, or None when not asked.
        record_path: the launch record a re-executed run reads back (see ``environment``).
        recorded_info: ``info.version_manager`` as a user's version manager gave it.
    """

    path: str
    repo_path: str
    commit_hash: str
    diff: str = ""
    requirements: Optional[Tuple[str, ...]] = None
    record_path: Optional[str] = None
    recorded_info: Optional[Dict[str, Any]] = None

    @property
    def dirty(self) -> bool:
        """True when tracked files differed from the commit at launch."""
        return bool(self.diff)

    def task_path(self, task_file: str) -> str:
        """The copy, in the snapshot, of ``task_file`` from the user's repository."""
        return _move(task_file, self.repo_path, self.path)

    def original_path(self, path: str) -> str:
        """The user's-repository path of ``path`` in the snapshot (unchanged if outside it).

        A re-executed run maps its task directory back with this, so that relative
        ``config_path`` and ``parent_log_dir`` still point into the user's project.
        """
        return _move(path, self.path, self.repo_path)

    def work_dir(self, original_cwd: str) -> str:
        """Where to run from: ``original_cwd``'s place in the snapshot, if it is in the repository.

        A directory missing from the commit (an untracked ``data/``) gives its nearest
        ancestor in the snapshot; a cwd outside the repository is kept.
        """
        moved = _move(original_cwd, self.repo_path, self.path)
        if moved == original_cwd:
            return original_cwd
        while not self._is_dir(moved) and inside(os.path.dirname(moved), self.path):
            moved = os.path.dirname(moved)
        return moved

    def _is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def info(self) -> Dict[str, Any]:
        """``info.version_manager`` of a run: ``commit_hash, repo_path, dirty, requirements``."""
        if self.recorded_info is not None:
            return dict(self.recorded_info)
        requirements = None if self.requirements is None else list(self.requirements)
        return {"commit_hash": self.commit_hash, "repo_path": self.repo_path,
                "dirty": self.dirty, "requirements": requirements}

    def write_run_files(self, metadata_dir: str) -> List[str]:
        """Write ``git_diff.patch`` (if dirty) and ``requirements.txt`` (if computed) atomically.

        Returns:
            The paths written.
        """
        written = []
        if self.dirty:
            written.append(os.path.join(metadata_dir, DIFF_FILE))
            _layout.atomic_write_text(written[-1], self.diff)
        if self.requirements is not None:
            written.append(os.path.join(metadata_dir, REQUIREMENTS_FILE))
            _layout.atomic_write_text(written[-1], "".join(f"{r}\n" for r in self.requirements))
        return written

    def environment(self) -> Dict[str, str]:
        """The variable to give a run re-executed from the snapshot, so it skips ``prepare``."""
        if self.record_path is None:
            raise ValueError("this snapshot has no launch record; it did not come from prepare()")
        return {SNAPSHOT_ENV: self.record_path}


def running_snapshot(task_file: str, environ: Optional[Mapping[str, str]] = None
                     ) -> Optional[Snapshot]:
    """The snapshot this process runs from, or None in a launch from the user's own tree.

    The variable alone is not trusted: a task that starts another experiment passes its
    environment on, so the snapshot counts only if ``task_file`` lies inside it.

    Raises:
        VersionManagerError: the launch record named by the variable cannot be read.
    """
    record_path = (os.environ if environ is None else environ).get(SNAPSHOT_ENV)
    if not record_path:
        return None
    try:
        with open(record_path, encoding="utf-8") as stream:
            fields = json.load(stream)
        if fields.get("requirements") is not None:
            fields["requirements"] = tuple(fields["requirements"])
        snapshot = Snapshot(**{**fields, "record_path": record_path})
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise VersionManagerError(
            f"cannot read the version manager's launch record {record_path} ({SNAPSHOT_ENV}):"
            f" {error}\n  launch the run again from your repository", path=record_path,
        ) from error
    return snapshot if inside(task_file, snapshot.path) else None




def record_of(snapshot: Snapshot, repo_snapshots: str) -> Tuple[str, str]:
    """``(path, text)`` of the snapshot's launch record under ``repo_snapshots``, named by
    its content so that equal launches share one."""
    fields = {k: v for k, v in asdict(snapshot).items() if k != "record_path"}
    text = json.dumps(fields, indent=1, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    return os.path.join(repo_snapshots, _RECORDS_DIR, f"{digest}.json"), text


def with_record(snapshot: Snapshot, repo_snapshots: str) -> Snapshot:
    """Save the snapshot's launch record (see :func:`record_of`)."""
    path, text = record_of(snapshot, repo_snapshots)
    if not os.path.isfile(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _layout.atomic_write_text(path, text)
    return replace(snapshot, record_path=path)


def inside(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _move(path: str, source: str, destination: str) -> str:
    """``path`` under ``source`` re-rooted under ``destination``; other paths are unchanged."""
    if not inside(path, source):
        return path
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(source))
    return os.path.normpath(os.path.join(destination, relative))
