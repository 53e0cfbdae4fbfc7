"""Version managers: runs execute a snapshot of the code, never the working tree.

``VersionManager`` is the interface ``mlxp.version_manager.name`` names (MLXP's two methods,
plus mlxp's optional ``prepare``); ``GitVM`` is the built-in one. ``GitVM.prepare()`` is called
once per launch: it reports (and, on a terminal, offers to add or commit) what is not committed,
then materialises HEAD under ``<parent_work_dir>/<repo>/<commit>``. It drives the ``git``
command line through ``_shell`` and asks its questions with ``_prompts``; see
docs/version-manager.md.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Sequence, TextIO, Tuple

from mlxp import _layout, _shell
from mlxp._prompts import DEFAULT_COMMIT_MESSAGE, ask_commit_message, ask_files_to_add
from mlxp._snapshot import Snapshot, inside, record_of, running_snapshot, with_record
from mlxp.errors import VersionManagerError
from mlxp.settings import SNAPSHOT_ENV

__all__ = ["DEFAULT_COMMIT_MESSAGE", "SNAPSHOT_ENV", "GitVM", "Snapshot", "VersionManager",
           "ask_commit_message", "ask_files_to_add", "exclude_from_status",
           "installed_requirements", "materialise_commit", "running_snapshot",
           "snapshot_from_manager"]

_TURN_OFF = "or run with mlxp.use_version_manager=false"
_GIT_TIMEOUT = 600.0


class VersionManager:
    """What a version manager implements; ``mlxp.version_manager.name`` names a subclass.

    The launcher builds it with the ``version_manager.*`` keys of mlxp.yaml as keywords (but
    ``name``), once per launch. MLXP's two methods are enough; mlxp's ``prepare`` is optional
    (docs/version-manager.md).
    """

    def make_working_directory(self) -> str:
        """The directory the runs execute from: where the launch directory's copy of the code is.

        Called first, once per launch. MLXP's method; return ``os.getcwd()`` to run in place.
        """
        raise NotImplementedError

    def get_info(self) -> Dict[str, Any]:
        """What each run records as ``info.version_manager`` (a mapping of YAML values).

        Called after ``make_working_directory``. MLXP's method.
        """
        raise NotImplementedError


def snapshot_from_manager(manager: Any, task_file: str, records_dir: str) -> Snapshot:
    """The snapshot of a version manager that has only MLXP's two methods.

    The launch directory maps to ``make_working_directory()``; the launch record goes under
    ``records_dir``.

    Raises:
        VersionManagerError: the task's file has no copy in the working directory.
    """
    work_dir = os.path.abspath(manager.make_working_directory())
    info = dict(manager.get_info())
    snapshot = Snapshot(work_dir, os.getcwd(), str(info.get("commit_hash") or ""),
                        recorded_info=info)
    copy = snapshot.task_path(task_file)
    if not (inside(copy, work_dir) and os.path.isfile(copy)):
        raise VersionManagerError(
            f"{type(manager).__name__}.make_working_directory() gave {work_dir}, which holds no"
            f" copy of {_layout.display_path(task_file)}\n  launch from the directory that"
            f" make_working_directory() copies {_TURN_OFF}", path=work_dir)
    return with_record(snapshot, records_dir)


class GitVM(VersionManager):
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
        self.snapshot: Optional[Snapshot] = None  # set by make_working_directory()

    def make_working_directory(self) -> str:
        """MLXP's method: snapshot the commit of the running script; the launch directory's
        place in the snapshot."""
        self.snapshot = self.prepare(os.path.abspath(sys.argv[0]))
        return self.snapshot.work_dir(os.getcwd())

    def get_info(self) -> Dict[str, Any]:
        """MLXP's method: ``commit_hash, repo_path, dirty, requirements`` of the snapshot.

        Raises:
            VersionManagerError: ``make_working_directory()`` was not called first.
        """
        if self.snapshot is None:
            raise VersionManagerError("GitVM.get_info() needs a snapshot: call"
                                      " make_working_directory() first", path=self.parent_work_dir)
        return self.snapshot.info()

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
        snapshot = self._snapshot(repo, commit)
        materialise_commit(repo, commit, snapshot.path)
        if not os.path.isfile(snapshot.task_path(task_file)):
            raise _not_in_commit(task_file, commit)
        return with_record(snapshot, os.path.dirname(snapshot.path))

    def preview(self, task_file: str) -> Snapshot:
        """The snapshot :meth:`prepare` would give now, without asking, warning or writing
        anything: ``mlxpsub --dry-run`` shows the job scripts that name it.

        Raises:
            VersionManagerError: as :meth:`prepare`.
        """
        task_file = os.path.abspath(task_file)
        repo = _repository_of(task_file)
        commit = _head_commit(repo, task_file)
        snapshot = self._snapshot(repo, commit)
        in_commit = os.path.relpath(os.path.realpath(task_file), repo).replace(os.sep, "/")
        if _git(repo, "cat-file", "-e", f"{commit}:{in_commit}", check=False).returncode:
            raise _not_in_commit(task_file, commit)
        record_path, _ = record_of(snapshot, os.path.dirname(snapshot.path))
        return _Preview(**{**asdict(snapshot), "record_path": record_path})

    def _snapshot(self, repo: str, commit: str) -> Snapshot:
        """The snapshot of ``commit``, not materialised yet, with the diff and requirements."""
        diff = _git(repo, "diff", "--binary", "--no-color", "--no-ext-diff", commit).stdout
        path = os.path.join(self.parent_work_dir, os.path.basename(repo), commit)
        requirements = tuple(installed_requirements()) if self.compute_requirements else None
        return Snapshot(path, repo, commit, diff, requirements)


@dataclass(frozen=True)
class _Preview(Snapshot):
    """A snapshot not materialised yet: its directories are those of the commit's tree."""

    def _is_dir(self, path: str) -> bool:
        relative = os.path.relpath(path, self.path).replace(os.sep, "/")
        if relative == ".":
            return True
        return _git(self.repo_path, "cat-file", "-t", f"{self.commit_hash}:{relative}",
                    check=False).stdout.strip() == "tree"


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
    if real_dir == real_repo or not inside(real_dir, real_repo):
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
            if not any(inside(os.path.join(repo, path), output) for output in outputs):
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


def _not_in_commit(task_file: str, commit: str) -> VersionManagerError:
    return VersionManagerError(
        f"{_layout.display_path(task_file)} is not in commit {commit[:12]}, so the"
        f" snapshot cannot run it\n  add and commit it (git add, git commit) {_TURN_OFF}",
        path=task_file, commit_hash=commit,
    )
