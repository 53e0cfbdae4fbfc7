"""The git version manager: runs execute a snapshot of the last commit, never the working tree.

``GitVM.prepare()`` is called once per launch: it reports (and, on a terminal, offers to add or
commit) what is not committed, then materialises HEAD under ``<parent_work_dir>/<repo>/<commit>``.
It drives the ``git`` command line through ``_shell`` and asks its questions with ``_prompts``;
see docs/version-manager.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from mlxp import _layout, _shell
from mlxp._prompts import DEFAULT_COMMIT_MESSAGE, ask_commit_message, ask_files_to_add
from mlxp.errors import VersionManagerError
from mlxp.settings import SNAPSHOT_ENV

__all__ = ["DEFAULT_COMMIT_MESSAGE", "SNAPSHOT_ENV", "GitVM", "Snapshot", "ask_commit_message",
           "ask_files_to_add", "exclude_from_status", "installed_requirements",
           "materialise_commit", "running_snapshot"]

#: A run re-executed from a snapshot finds its launch record through this variable.
DIFF_FILE = "git_diff.patch"
REQUIREMENTS_FILE = "requirements.txt"
_RECORDS_DIR = "records"  # next to the <commit> directories; a commit hash never reads "records"
_TURN_OFF = "or run with mlxp.use_version_manager=false"
_GIT_TIMEOUT = 600.0


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
    """

    path: str
    repo_path: str
    commit_hash: str
    diff: str = ""
    requirements: Optional[Tuple[str, ...]] = None
    record_path: Optional[str] = None

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
        while not os.path.isdir(moved) and _inside(os.path.dirname(moved), self.path):
            moved = os.path.dirname(moved)
        return moved

    def info(self) -> Dict[str, Any]:
        """``info.version_manager`` of a run: ``commit_hash, repo_path, dirty, requirements``."""
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
    return snapshot if _inside(task_file, snapshot.path) else None


class GitVM:
    """Snapshots the commit a launch runs, once per launch (not once per sweep point).

    Args:
        parent_work_dir: absolute directory of the snapshots (the launcher anchors it).
        compute_requirements: also record the installed distributions.
        interactive_mode: may ask questions; they are asked only when stdin is a terminal.
        parent_log_dir: the runs' directory: like the snapshots, never offered for a commit
            nor listed as untracked.
    """

    def __init__(self, parent_work_dir: str, compute_requirements: bool = False,
                 interactive_mode: bool = True, parent_log_dir: Optional[str] = None) -> None:
        self.parent_work_dir = os.path.abspath(parent_work_dir)
        self.compute_requirements = compute_requirements
        self.interactive_mode = interactive_mode
        self.parent_log_dir = os.path.abspath(parent_log_dir) if parent_log_dir else None

    def prepare(self, task_file: str) -> Snapshot:
        """Check the repository of ``task_file``, talk to the user, and snapshot HEAD.

        Raises:
            VersionManagerError: git is missing, ``task_file`` is not in a repository or not
                in its last commit, the repository has no commit, or a git command failed.
        """
        task_file = os.path.abspath(task_file)
        repo = _repository_of(task_file)
        exclude_from_status(repo, self.parent_work_dir)
        interactive = self.interactive_mode and sys.stdin is not None and sys.stdin.isatty()
        outputs = [d for d in (self.parent_work_dir, self.parent_log_dir) if d is not None]
        untracked, changes = _status(repo, outputs)
        asked = interactive and bool(untracked or changes)
        if asked:
            untracked, changes = _ask_user(repo, outputs, untracked, changes, sys.stdin,
                                           sys.stderr)
        commit = _head_commit(repo, task_file)
        _warn(repo, commit, untracked, changes, sys.stderr, listed=asked)
        diff = _git(repo, "diff", "--binary", "--no-color", "--no-ext-diff", commit).stdout
        path = materialise_commit(repo, commit, os.path.join(
            self.parent_work_dir, os.path.basename(repo), commit))
        requirements = tuple(installed_requirements()) if self.compute_requirements else None
        snapshot = Snapshot(path, repo, commit, diff, requirements)
        if not os.path.isfile(snapshot.task_path(task_file)):
            raise VersionManagerError(
                f"{_layout.display_path(task_file)} is not in commit {commit[:12]}, so the"
                f" snapshot cannot run it\n  add and commit it (git add, git commit) {_TURN_OFF}",
                path=task_file, commit_hash=commit,
            )
        return _with_record(snapshot, os.path.dirname(path))


def materialise_commit(repo: str, commit: str, target: str) -> str:
    """Extract ``commit`` of ``repo`` at ``target`` unless it is there; returns ``target``.

    The tree is built in a temporary directory next to ``target`` and renamed into place, so
    a concurrent launch sees no snapshot or a complete one; the loser of the rename race
    discards its copy and uses the winner's.
    """
    if os.path.isdir(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                               dir=os.path.dirname(target))
    try:
        archive, tree = os.path.join(scratch, "src.tar"), os.path.join(scratch, "tree")
        _git(repo, "archive", "--format=tar", "-o", archive, commit)
        os.mkdir(tree)  # not the mkdtemp directory itself: that one is private (mode 0700)
        with tarfile.open(archive) as tar:
            # The archive is the user's own commit; "tar" still refuses paths leaving ``tree``.
            if hasattr(tarfile, "tar_filter"):
                tar.extractall(tree, filter="tar")
            else:  # Python < 3.9.17 has no extraction filters
                tar.extractall(tree)
        try:
            os.rename(tree, target)
        except OSError:
            if not os.path.isdir(target):
                raise
    except (OSError, tarfile.TarError) as error:
        raise VersionManagerError(
            f"cannot create the snapshot {target}: {error}", path=target) from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def exclude_from_status(repo: str, parent_work_dir: str) -> None:
    """Keep snapshots out of ``git status`` via ``.git/info/exclude`` (added once).

    That file lives inside ``.git``: the working tree is left untouched. Nothing is added
    when ``parent_work_dir`` is outside the repository.
    """
    real_repo, real_dir = os.path.realpath(repo), os.path.realpath(parent_work_dir)
    if real_dir == real_repo or not _inside(real_dir, real_repo):
        return
    relative = os.path.relpath(real_dir, real_repo).replace(os.sep, "/")
    entry = "/" + re.sub(r"([*?\[\]\\!# ])", r"\\\1", relative) + "/"
    exclude = _git(repo, "rev-parse", "--git-path", "info/exclude").stdout.strip()
    exclude = os.path.join(repo, exclude)  # relative to ``repo``, or absolute in a worktree
    try:
        with open(exclude, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        text = ""
    if entry in text.splitlines():
        return
    os.makedirs(os.path.dirname(exclude), exist_ok=True)
    prefix = "" if not text or text.endswith("\n") else "\n"
    # A whole-file atomic replace: concurrent launches writing the same entry leave one copy.
    _layout.atomic_write_text(exclude, f"{text}{prefix}# mlxp code snapshots\n{entry}\n")


def installed_requirements() -> List[str]:
    """``name==version`` of every distribution this interpreter sees, sorted case-insensitively."""
    from importlib import metadata

    found: Dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in found:  # the first on sys.path is the one imported
            found[name.lower()] = f"{name}=={dist.version}"
    return [found[key] for key in sorted(found)]


# --- helpers --------------------------------------------------------------------------------


def _git(repo: str, *args: str, check: bool = True) -> _shell.ShellResult:
    """Run ``git args`` in ``repo``; with ``check`` a failure raises, quoting git."""
    argv = ["git", "--no-optional-locks", *args]  # never contend for the index with the user
    # Untranslated messages: "not a git repository" is recognised by its words.
    env = {**os.environ, "LC_ALL": "C"}
    try:
        result = _shell.run(argv, cwd=repo, env=env, timeout=_GIT_TIMEOUT)
    except FileNotFoundError as error:
        raise VersionManagerError(
            f"the version manager needs git, which is not installed ({error})\n"
            f"  install git {_TURN_OFF}", path=repo) from error
    except TimeoutError as error:
        raise VersionManagerError(f"git {args[0]}: {error}", path=repo) from error
    if check and result.returncode != 0:
        raise VersionManagerError(
            f"git {' '.join(args)} failed in {repo}:\n  {result.output}", path=repo,
            output=result.output)
    return result


def _repository_of(task_file: str) -> str:
    try:
        result = _git(os.path.dirname(task_file), "rev-parse", "--show-toplevel")
    except VersionManagerError as error:
        if "not a git repository" not in getattr(error, "output", ""):
            raise
        raise VersionManagerError(
            f"{_layout.display_path(task_file)} is not inside a git repository, and"
            " mlxp.use_version_manager=true runs the code of a commit\n"
            f"  create one (git init, git add, git commit) {_TURN_OFF}", path=task_file,
        ) from error
    return os.path.realpath(result.stdout.strip())


def _status(repo: str, outputs: Sequence[str]) -> Tuple[List[str], List[str]]:
    """``(untracked paths, "XY path" changes)``, paths relative to the repository's top.

    Untracked paths inside ``outputs`` (the runs and snapshots mlxp writes) are left out:
    they are results, not code to commit.
    """
    entries = iter(_git(repo, "status", "--porcelain=v1", "-z").stdout.split("\0"))
    untracked, changes = [], []
    for entry in entries:
        code, path = entry[:2], entry[3:]
        if code == "??":
            if not any(_inside(os.path.join(repo, path), output) for output in outputs):
                untracked.append(path)
        elif code.strip():
            if "R" in code or "C" in code:  # -z gives the source as a field of its own, next
                path = f"{next(entries, '')} -> {path}"
            changes.append(f"{code} {path}")
    return untracked, changes


def _ask_user(repo: str, outputs: Sequence[str], untracked: List[str], changes: List[str],
              stdin: TextIO, stderr: TextIO) -> Tuple[List[str], List[str]]:
    """The questions of an interactive launch; returns the status they leave."""
    if untracked:
        chosen = ask_files_to_add(untracked, stdin, stderr)
        if chosen:
            _git(repo, "add", "--", *chosen)
            untracked, changes = _status(repo, outputs)
    if changes:
        _list("uncommitted changes", changes, stderr)
        message = ask_commit_message(stdin, stderr)
        if message is not None:
            _git(repo, "commit", "--all", "--quiet", "-m", message)
            commit = _git(repo, "rev-parse", "--short", "HEAD").stdout.strip()
            stderr.write(f"mlxp: committed {commit} {message!r}\n")
            untracked, changes = _status(repo, outputs)
    return untracked, changes


def _head_commit(repo: str, task_file: str) -> str:
    result = _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    if result.returncode != 0:
        raise VersionManagerError(
            f"the repository {repo} has no commit yet, so there is no code to snapshot\n"
            f"  commit your code (git add, git commit) {_TURN_OFF}", path=task_file)
    return result.stdout.strip()


def _warn(repo: str, commit: str, untracked: List[str], changes: List[str], stderr: TextIO,
          listed: bool) -> None:
    """Say what the run leaves out (listing it, unless the questions did)."""
    if not listed:
        _list("uncommitted changes", changes, stderr)
        _list("untracked files", untracked, stderr)
    left_out = []
    if changes:
        left_out.append("uncommitted changes (recorded in metadata/git_diff.patch)")
    if untracked:
        left_out.append("untracked files")
    if left_out:
        stderr.write(f"mlxp: warning: the run executes the last commit, {commit[:12]} of {repo},"
                     f" without its {' and '.join(left_out)}\n")


def _list(what: str, entries: Sequence[str], stderr: TextIO) -> None:
    if entries:
        stderr.write(f"mlxp: {what} ({len(entries)}):\n")
        stderr.write("".join(f"  {entry}\n" for entry in entries))


def _with_record(snapshot: Snapshot, repo_snapshots: str) -> Snapshot:
    """Save the snapshot's launch record, named by its content so equal launches share one."""
    fields = {k: v for k, v in asdict(snapshot).items() if k != "record_path"}
    text = json.dumps(fields, indent=1, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    path = os.path.join(repo_snapshots, _RECORDS_DIR, f"{digest}.json")
    if not os.path.isfile(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _layout.atomic_write_text(path, text)
    return replace(snapshot, record_path=path)


def _inside(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _move(path: str, source: str, destination: str) -> str:
    """``path`` under ``source`` re-rooted under ``destination``; other paths are unchanged."""
    if not _inside(path, source):
        return path
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(source))
    return os.path.normpath(os.path.join(destination, relative))
