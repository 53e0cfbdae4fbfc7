"""The git version manager, in throw-away git repositories made by each test."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from mlxp import vcs
from mlxp.errors import MLXPError, VersionManagerError
from mlxp.vcs import GitVM, Snapshot, ask_commit_message, ask_files_to_add, running_snapshot

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="git is not installed",
)

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    # The machine's own git configuration (signing, hooks paths, ...) stays out of the tests.
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
FILES = {"main.py": "print('v1')\n", "pkg/util.py": "X = 1\n", "README.md": "hello\n"}


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def write(repo: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)


def make_repo(root: Path, files: Dict[str, str] = FILES, commit: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    write(root, files)
    if commit:
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "first")
    return root


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def prepare(repo: Path, **options: bool) -> Snapshot:
    options.setdefault("interactive_mode", False)
    return GitVM(str(repo / ".work_dir"), **options).prepare(str(repo / "main.py"))


def snapshot_files(path: str) -> List[str]:
    return sorted(
        os.path.relpath(os.path.join(top, name), path).replace(os.sep, "/")
        for top, _, names in os.walk(path) for name in names
    )


# --- the snapshot ---------------------------------------------------------------------------


def test_clean_tree_snapshot_holds_head_and_not_later_edits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    snapshot = prepare(repo)
    commit = head(repo)
    assert snapshot.path == str(repo / ".work_dir" / "proj" / commit)
    assert snapshot.commit_hash == commit and snapshot.repo_path == os.path.realpath(repo)
    assert snapshot_files(snapshot.path) == sorted(FILES)
    for name in FILES:
        assert Path(snapshot.path, name).read_text() == git(repo, "show", f"HEAD:{name}")
    (repo / "main.py").write_text("print('v2')\n")
    assert Path(snapshot.task_path(str(repo / "main.py"))).read_text() == "print('v1')\n"
    assert snapshot.info() == {"commit_hash": commit, "repo_path": os.path.realpath(repo),
                               "dirty": False, "requirements": None}


def test_uncommitted_edit_is_not_in_the_snapshot_but_in_the_patch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    (repo / "main.py").write_text("print('v2')\n")
    snapshot = prepare(repo)
    assert snapshot.dirty and snapshot.info()["dirty"] is True
    assert Path(snapshot.path, "main.py").read_text() == "print('v1')\n"
    assert "-print('v1')" in snapshot.diff and "+print('v2')" in snapshot.diff
    metadata = tmp_path / "metadata"
    metadata.mkdir()
    assert snapshot.write_run_files(str(metadata)) == [str(metadata / "git_diff.patch")]
    # The patch is exactly what turns the commit into the working tree.
    git(repo, "apply", "--check", "--reverse", str(metadata / "git_diff.patch"))


def test_changes_are_listed_as_git_shows_them(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    repo = make_repo(tmp_path / "proj")
    git(repo, "mv", "README.md", "LISEZ-MOI.md")
    write(repo, {"pkg/util.py": "X = 2\n", "données é.txt": "1\n"})
    snapshot = prepare(repo)
    stderr = capsys.readouterr().err
    assert "R  README.md -> LISEZ-MOI.md\n" in stderr and " M pkg/util.py\n" in stderr
    assert "untracked files (1):\n  données é.txt\n" in stderr
    assert "LISEZ-MOI.md" in snapshot.diff and "données" not in snapshot.diff


def test_clean_run_writes_no_patch(tmp_path: Path) -> None:
    snapshot = prepare(make_repo(tmp_path / "proj"))
    assert snapshot.diff == "" and snapshot.write_run_files(str(tmp_path)) == []


def test_snapshot_is_made_once_per_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    first = prepare(repo)
    marker = Path(first.path, "marker")
    marker.write_text("kept")
    assert prepare(repo).path == first.path and marker.exists()
    write(repo, {"main.py": "print('v3')\n"})
    git(repo, "commit", "-qam", "second")
    second = prepare(repo)
    assert second.path != first.path and Path(second.path, "main.py").read_text() == "print('v3')\n"


def test_requirements_are_installed_distributions_sorted(tmp_path: Path) -> None:
    snapshot = prepare(make_repo(tmp_path / "proj"), compute_requirements=True)
    requirements = snapshot.info()["requirements"]
    names = [line.split("==")[0] for line in requirements]
    assert names == sorted(names, key=str.lower)
    assert any(name.lower() == "pyyaml" for name in names)
    written = snapshot.write_run_files(str(tmp_path))
    assert written == [str(tmp_path / "requirements.txt")]
    assert (tmp_path / "requirements.txt").read_text().splitlines() == requirements


# --- where the run goes -------------------------------------------------------------------


def test_paths_map_between_the_repository_and_the_snapshot(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    (repo / "data").mkdir()  # untracked: not in the snapshot
    snapshot = prepare(repo)
    assert snapshot.task_path(str(repo / "pkg" / "util.py")) == os.path.join(
        snapshot.path, "pkg", "util.py")
    assert snapshot.work_dir(str(repo / "pkg")) == os.path.join(snapshot.path, "pkg")
    assert snapshot.work_dir(str(repo / "data")) == snapshot.path
    assert snapshot.work_dir(str(tmp_path)) == str(tmp_path)
    assert snapshot.original_path(os.path.join(snapshot.path, "pkg")) == str(
        Path(os.path.realpath(repo), "pkg"))
    assert snapshot.original_path(str(tmp_path)) == str(tmp_path)


def test_a_run_from_the_snapshot_finds_its_launch_record(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    (repo / "main.py").write_text("print('v2')\n")
    snapshot = prepare(repo, compute_requirements=True)
    environ = snapshot.environment()
    assert running_snapshot(snapshot.task_path(str(repo / "main.py")), environ) == snapshot
    # A variable inherited by another experiment does not capture it.
    assert running_snapshot(str(repo / "main.py"), environ) is None
    assert running_snapshot(snapshot.task_path(str(repo / "main.py")), {}) is None
    with pytest.raises(VersionManagerError, match="launch record"):
        running_snapshot(snapshot.path, {vcs.SNAPSHOT_ENV: str(tmp_path / "missing.json")})


# --- errors -------------------------------------------------------------------------------


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("")
    with pytest.raises(VersionManagerError) as caught:
        GitVM(str(tmp_path / ".work_dir")).prepare(str(tmp_path / "main.py"))
    error = caught.value
    assert isinstance(error, MLXPError) and isinstance(error, RuntimeError)
    assert error.exit_code == 2 and error.path == str(tmp_path / "main.py")
    assert "not inside a git repository" in str(error)
    assert "mlxp.use_version_manager=false" in str(error)
    assert not (tmp_path / ".work_dir").exists()


def test_missing_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "proj")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(VersionManagerError, match="needs git, which is not installed") as caught:
        prepare(repo)
    assert "mlxp.use_version_manager=false" in str(caught.value)


def test_repository_without_commit_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj", commit=False)
    with pytest.raises(VersionManagerError, match="has no commit yet"):
        prepare(repo)


def test_task_file_missing_from_the_commit_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj", files={"README.md": "x\n"})
    (repo / "main.py").write_text("")
    with pytest.raises(VersionManagerError, match="main.py is not in commit"):
        prepare(repo)


# --- .git/info/exclude --------------------------------------------------------------------


def test_work_dir_is_excluded_from_status_once(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    prepare(repo)
    prepare(repo)
    vcs.exclude_from_status(str(repo), str(repo / ".work_dir"))
    lines = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert lines.count("/.work_dir/") == 1
    assert git(repo, "status", "--porcelain") == ""


def test_work_dir_outside_the_repository_is_not_excluded(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    before = (repo / ".git" / "info" / "exclude").read_text()
    GitVM(str(tmp_path / "snapshots"), interactive_mode=False).prepare(str(repo / "main.py"))
    assert (repo / ".git" / "info" / "exclude").read_text() == before
    assert (tmp_path / "snapshots" / "proj" / head(repo)).is_dir()


def test_exclude_entry_escapes_pattern_characters(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proj")
    vcs.exclude_from_status(str(repo), str(repo / "runs #1"))
    assert "/runs\\ \\#1/" in (repo / ".git" / "info" / "exclude").read_text().splitlines()
    (repo / "runs #1").mkdir()
    (repo / "runs #1" / "f").write_text("")
    assert git(repo, "status", "--porcelain") == ""


# --- concurrency --------------------------------------------------------------------------

PREPARE_SCRIPT = """
import sys
from mlxp.vcs import GitVM
snapshot = GitVM(sys.argv[1], interactive_mode=sys.argv[3] == "1").prepare(sys.argv[2])
print("SNAPSHOT", snapshot.path, snapshot.dirty, flush=True)
"""


def test_concurrent_launches_make_one_complete_snapshot(tmp_path: Path) -> None:
    files = {f"pkg/module_{i}.py": f"VALUE = {i}\n" * 50 for i in range(300)}
    repo = make_repo(tmp_path / "proj", files={**FILES, **files})
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PREPARE_SCRIPT, str(repo / ".work_dir"), str(repo / "main.py"),
             "0"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 8, outputs
    commit = head(repo)
    assert {out.split()[1] for out, _ in outputs} == {str(repo / ".work_dir" / "proj" / commit)}
    assert sorted(os.listdir(repo / ".work_dir" / "proj")) == [commit, "records"]
    snapshot = repo / ".work_dir" / "proj" / commit
    assert snapshot_files(str(snapshot)) == sorted({*FILES, *files})
    assert all((snapshot / name).read_text() == text for name, text in files.items())
    assert (repo / ".git" / "info" / "exclude").read_text().splitlines().count("/.work_dir/") == 1


def test_losing_the_rename_race_uses_the_winners_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "proj")
    target = tmp_path / "snapshots" / head(repo)
    real_rename = os.rename

    def another_process_wins(source: str, destination: str) -> None:
        import shutil

        shutil.copytree(source, destination)  # the winner's complete copy appears first
        real_rename(source, destination)  # so this raises, as the real race would

    monkeypatch.setattr(os, "rename", another_process_wins)
    assert vcs.materialise_commit(str(repo), head(repo), str(target)) == str(target)
    assert snapshot_files(str(target)) == sorted(FILES)
    assert os.listdir(target.parent) == [target.name]


# --- talking to the user ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, chosen, retries",
    [
        pytest.param("\n", [], 0, id="enter-none"),
        pytest.param("", [], 0, id="end-of-input-none"),
        pytest.param("a\n", ["x.py", "y.py", "data/"], 0, id="all"),
        pytest.param("3 1\n", ["data/", "x.py"], 0, id="numbers-in-given-order"),
        pytest.param("1-2,2\n", ["x.py", "y.py"], 0, id="range-and-repeat"),
        pytest.param("4\n2\n", ["y.py"], 1, id="out-of-range-asks-again"),
        pytest.param("one\n\n", [], 1, id="not-a-number-asks-again"),
        pytest.param("2-1\n0\na\n", ["x.py", "y.py", "data/"], 2, id="reversed-range-and-zero"),
    ],
)
def test_ask_files_to_add(answers: str, chosen: List[str], retries: int) -> None:
    stderr = io.StringIO()
    assert ask_files_to_add(["x.py", "y.py", "data/"], io.StringIO(answers), stderr) == chosen
    assert stderr.getvalue().count("please answer with numbers from 1 to 3") == retries
    assert stderr.getvalue().count("Add which files?") == retries + 1


@pytest.mark.parametrize(
    "answers, message, questions",
    [
        pytest.param("y\nfix lr\n", "fix lr", 1, id="yes-with-message"),
        pytest.param("Y\n\n", vcs.DEFAULT_COMMIT_MESSAGE, 1, id="yes-default-message"),
        pytest.param("n\n", None, 1, id="no"),
        pytest.param("maybe\nyes\nm\n", "m", 2, id="wrong-answer-asks-again"),
        pytest.param("", None, 1, id="end-of-input-is-no"),
    ],
)
def test_ask_commit_message(answers: str, message: Optional[str], questions: int) -> None:
    stderr = io.StringIO()
    assert ask_commit_message(io.StringIO(answers), stderr) == message
    assert stderr.getvalue().count("Commit all changes now") == questions


def run_on_terminal(repo: Path, dialogue: Sequence[Tuple[str, str]]) -> str:
    """Run ``prepare`` with a pseudo-terminal as stdin/stdout/stderr, answering each prompt.

    ``dialogue`` holds (text to wait for, answer to type); returns everything the terminal showed.
    """
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", PREPARE_SCRIPT, str(repo / ".work_dir"), str(repo / "main.py"), "1"],
        stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    shown, looked_at = "", 0
    try:
        for expected, answer in [*dialogue, ("SNAPSHOT", "")]:
            deadline = time.monotonic() + 30
            while expected not in shown[looked_at:]:
                ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
                chunk = os.read(master, 4096) if ready else b""
                assert chunk, f"waited for {expected!r}; the terminal showed:\n{shown}"
                shown += chunk.decode("utf-8", "replace")
            looked_at = shown.index(expected, looked_at) + len(expected)  # the next prompt is later
            if answer:
                os.write(master, answer.encode())
        while True:
            ready, _, _ = select.select([master], [], [], 10)
            try:
                chunk = os.read(master, 4096) if ready else b""
            except OSError:  # Linux: EIO once the child has closed the terminal
                chunk = b""
            if not chunk:
                break
            shown += chunk.decode("utf-8", "replace")
        assert process.wait(timeout=30) == 0, shown
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return shown


def dirty_repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "proj")
    write(repo, {"main.py": "print('v2')\n", "new.py": "N = 1\n"})
    return repo


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_terminal_user_adds_and_commits(tmp_path: Path) -> None:
    repo = dirty_repo(tmp_path)
    shown = run_on_terminal(repo, [
        ("Add which files?", "1\n"),
        ("[y/n]: ", "y\n"),
        ("Commit message", "try v2\n"),
    ])
    assert "new.py" in shown and "warning" not in shown
    assert git(repo, "log", "-1", "--format=%s").strip() == "try v2"
    assert git(repo, "status", "--porcelain") == ""
    snapshot = repo / ".work_dir" / "proj" / head(repo)
    assert (snapshot / "new.py").read_text() == "N = 1\n"
    assert (snapshot / "main.py").read_text() == "print('v2')\n"
    assert f"{snapshot} False" in shown


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_terminal_user_declines(tmp_path: Path) -> None:
    repo = dirty_repo(tmp_path)
    before = (head(repo), git(repo, "status", "--porcelain"))
    shown = run_on_terminal(repo, [("Add which files?", "\n"), ("[y/n]: ", "n\n")])
    assert (head(repo), git(repo, "status", "--porcelain")) == before
    assert "warning: the run executes the last commit" in shown
    assert "metadata/git_diff.patch" in shown and " True" in shown.split("SNAPSHOT")[-1]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_terminal_wrong_answers_ask_again(tmp_path: Path) -> None:
    repo = dirty_repo(tmp_path)
    shown = run_on_terminal(repo, [
        ("Add which files?", "9\n"),
        ("please answer with numbers", ""),
        ("Add which files?", "\n"),
        ("[y/n]: ", "perhaps\n"),
        ("please answer y or n", ""),
        ("[y/n]: ", "n\n"),
    ])
    assert shown.count("Commit all changes now") == 2 and "Commit message" not in shown
    assert git(repo, "log", "-1", "--format=%s").strip() == "first"


def test_without_a_terminal_nothing_is_asked_added_or_committed(tmp_path: Path) -> None:
    repo = dirty_repo(tmp_path)
    before = (head(repo), git(repo, "status", "--porcelain"), git(repo, "ls-files", "--stage"))
    done = subprocess.run(
        [sys.executable, "-c", PREPARE_SCRIPT, str(repo / ".work_dir"), str(repo / "main.py"), "1"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    after = (head(repo), git(repo, "status", "--porcelain"), git(repo, "ls-files", "--stage"))
    assert after == before
    assert "Add which files?" not in done.stderr and "[y/n]" not in done.stderr
    assert "M main.py" in done.stderr and "new.py" in done.stderr
    assert "warning: the run executes the last commit" in done.stderr
    assert "uncommitted changes (recorded in metadata/git_diff.patch) and untracked files" in (
        done.stderr)
    # Nothing but the snapshot directory appeared in the working tree.
    assert sorted(os.listdir(repo)) == [
        ".git", ".work_dir", "README.md", "main.py", "new.py", "pkg"]
