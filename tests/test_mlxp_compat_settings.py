"""MLXP 1.0.5's mlxp.yaml read unchanged, each key with its meaning (issue 14, item 1), and
``ctx.info`` / ``ctx.mlxp`` with attribute access (item 2).

``tests/fixtures/mlxp105_tutorial/mlxp.yaml`` holds every key of MLXP 1.0.5's schema with its
defaults, as MLXP's tutorial writes it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from mlxp._yaml import load_yaml_file
from mlxp.config import iter_leaf_keys
from mlxp.errors import SettingsError
from mlxp.settings import default_settings, load_settings, named_class
from projects import make_project, read_yaml, run_main

MLXP105_SETTINGS = Path(__file__).parent / "fixtures" / "mlxp105_tutorial" / "mlxp.yaml"

SHOWS_CONTEXT = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx: mlxp.Context) -> None:
    print("config.lr", ctx.config.lr, type(ctx.config).__name__)
    print("logger", type(ctx.logger).__name__)
    print("info.status", ctx.info.status, ctx.info.logger.log_id)
    print("mlxp.logger.name", ctx.mlxp.logger.name)

if __name__ == "__main__":
    task()
"""

TASK_WITHOUT_LOGGER = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx: mlxp.Context) -> None:
    print(ctx.logger)

if __name__ == "__main__":
    task()
"""

USER_LOGGERS = """
import mlxp

class MyLogger(mlxp.DefaultLogger):
    '''Written for MLXP: its three arguments, no **kwargs.'''

    def __init__(self, parent_log_dir, forced_log_id, log_streams_to_file=False):
        super().__init__(parent_log_dir, forced_log_id, log_streams_to_file=log_streams_to_file)
        self.log_metrics({"made_by": "MyLogger"}, log_name="marker")

class NotALogger:
    pass
"""


def _project(tmp_path: Path, settings: str = "", main: str = SHOWS_CONTEXT) -> Path:
    files = {"mypkg/__init__.py": "", "mypkg/loggers.py": USER_LOGGERS}
    project = make_project(tmp_path / "project", main=main,
                           config="seed: 3\nlr: ${seed}\n", files=files)
    if settings:
        (project / "configs" / "mlxp.yaml").write_text(settings)
    return project


@pytest.mark.parametrize("key", list(iter_leaf_keys(load_yaml_file(str(MLXP105_SETTINGS)))))
def test_every_key_of_mlxp105_schema_is_a_setting(key: str) -> None:
    section, _, field = key.rpartition(".")
    settings = default_settings()
    assert field in (settings[section] if section else settings), key


def test_mlxp105_tutorial_settings_run_unchanged(tmp_path: Path) -> None:
    project = _project(tmp_path)
    shutil.copy(MLXP105_SETTINGS, project / "configs" / "mlxp.yaml")
    result = run_main(project)
    assert result.returncode == 0, result.stderr
    assert "logger Logger" in result.stdout and "config.lr 3 ConfigDict" in result.stdout
    assert read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")["status"] == "COMPLETE"


def test_ctx_info_and_ctx_mlxp_allow_attribute_access(tmp_path: Path) -> None:
    result = run_main(_project(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "info.status RUNNING 1" in result.stdout
    assert "mlxp.logger.name mlxp.DefaultLogger" in result.stdout


@pytest.mark.parametrize("name", ["mlxp.DefaultLogger", "DefaultLogger", "mlxp.Logger"])
def test_mlxp_own_logger_names_import_nothing(name: str) -> None:
    settings = default_settings()
    settings.logger.name = name
    assert named_class(settings, "logger.name", "/nonexistent", "configs/mlxp.yaml") is None


def test_a_user_logger_next_to_main_is_built_from_any_directory(tmp_path: Path) -> None:
    project = _project(tmp_path, "logger:\n  name: mypkg.loggers.MyLogger\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_main(project, "+tag=a", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "logger MyLogger" in result.stdout
    run = project / "logs" / "1"
    assert "MyLogger" in (run / "metrics" / "marker.json").read_text()
    info = read_yaml(run / "metadata" / "info.yaml")  # recorded though MyLogger takes no info=
    assert info["overrides"] == ["+tag=a"] and info["status"] == "COMPLETE"


def test_a_logger_without_resume_keyword_cannot_resume(tmp_path: Path) -> None:
    project = _project(tmp_path, "logger:\n  name: mypkg.loggers.MyLogger\n")
    assert run_main(project, "mlxp.logger.forced_log_id=5").returncode == 0
    result = run_main(project, "mlxp.logger.forced_log_id=5", "mlxp.resume=true")
    assert result.returncode == 2
    assert "needs MyLogger.__init__ to accept the keyword 'resume'" in result.stderr


@pytest.mark.parametrize(
    "name, words",
    [
        pytest.param("mypkg.logers.MyLogger", ["no module named 'mypkg.logers'"], id="no-module"),
        pytest.param("nopkg.MyLogger", ["no module named 'nopkg'"], id="no-package"),
        pytest.param("mypkg.loggers.MyLoger", ["has no class 'MyLoger'",
                                               "did you mean mypkg.loggers.MyLogger"], id="typo"),
        pytest.param("mypkg.loggers.NotALogger", ["not a subclass of mlxp.Logger"],
                     id="not-a-logger"),
        pytest.param("Nope", ["module 'mlxp' has no class 'Nope'"], id="bare-unknown"),
        pytest.param("my-pkg.Logger", ["not a dotted path"], id="malformed"),
    ],
)
def test_a_logger_name_that_cannot_be_used_is_an_error_naming_file_and_path(
    tmp_path: Path, name: str, words: list
) -> None:
    project = _project(tmp_path, f"logger:\n  name: {name}\n")
    result = run_main(project)
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("main.py: error: configs/mlxp.yaml: ") and repr(name) in first
    for word in words:
        assert word in first
    assert not (project / "logs").exists()


def test_a_class_setting_is_imported_only_when_used(tmp_path: Path) -> None:
    project = _project(tmp_path, "logger:\n  name: nopkg.L\nversion_manager:\n  name: nopkg.V\n",
                       main=TASK_WITHOUT_LOGGER)
    result = run_main(project, "mlxp.use_logger=false")
    assert result.returncode == 0, result.stderr


def test_a_logger_name_on_the_command_line_is_named_as_such(tmp_path: Path) -> None:
    result = run_main(_project(tmp_path), "mlxp.logger.name=nopkg.L")
    assert result.returncode == 2 and "error: command line: mlxp.logger.name" in result.stderr


def test_a_user_module_own_import_error_keeps_its_traceback(tmp_path: Path) -> None:
    project = _project(tmp_path, "logger:\n  name: mypkg.broken.L\n")
    (project / "mypkg" / "broken.py").write_text("import not_installed_anywhere\n")
    result = run_main(project)
    assert result.returncode == 1 and "Traceback" in result.stderr
    assert "No module named 'not_installed_anywhere'" in result.stderr


def test_resolve_false_keeps_interpolations_for_the_task_only(tmp_path: Path) -> None:
    project = _project(tmp_path, "resolve: false\nas_ConfigDict: false\n")
    result = run_main(project)
    assert result.returncode == 0, result.stderr
    assert "config.lr ${seed} ConfigDict" in result.stdout
    assert read_yaml(project / "logs" / "1" / "metadata" / "config.yaml")["lr"] == 3


def test_settings_file_reads_the_mlxp105_file() -> None:
    settings = load_settings(str(MLXP105_SETTINGS.parent))
    assert settings.resolve is True and settings.as_ConfigDict is True
    assert settings.version_manager.name == "mlxp.GitVM"


def test_unknown_keys_stay_errors_with_a_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "mlxp.yaml").write_text("as_configdict: true\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(str(tmp_path))
    assert "did you mean 'mlxp.as_ConfigDict'" in str(caught.value)


USER_VM = """
import os, shutil
from mlxp.version_manager import VersionManager

class CopyVM(VersionManager):
    '''Written for MLXP: copies the launch directory's code and runs from the copy.'''

    def __init__(self, parent_work_dir, compute_requirements):
        self.target = os.path.join(parent_work_dir, "copy")

    def make_working_directory(self):
        if not os.path.isdir(self.target):
            shutil.copytree(os.getcwd(), self.target,
                            ignore=shutil.ignore_patterns("logs", ".work_dir"))
        return self.target

    def get_info(self):
        return {"commit_hash": "abc123", "tool": "CopyVM"}

class Half:
    def get_info(self):
        return {}
"""

PRINTS_FILE = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx: mlxp.Context) -> None:
    print("running", __file__)

if __name__ == "__main__":
    task()
"""


def test_a_user_version_manager_runs_the_task_from_its_directory(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", main=PRINTS_FILE,
                           files={"vms.py": USER_VM, "configs/mlxp.yaml":
                                  "version_manager:\n  name: vms.CopyVM\n"
                                  "use_version_manager: true\n"})
    result = run_main(project)
    assert result.returncode == 0, result.stderr
    copy = project / ".work_dir" / "copy"
    assert f"running {copy / 'main.py'}" in result.stdout
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["version_manager"] == {"commit_hash": "abc123", "tool": "CopyVM"}


def test_a_version_manager_without_mlxp_methods_is_an_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", main=PRINTS_FILE,
                           files={"vms.py": USER_VM, "configs/mlxp.yaml":
                                  "version_manager:\n  name: vms.Half\n"
                                  "use_version_manager: true\n"})
    result = run_main(project)
    assert result.returncode == 2
    assert "has no method make_working_directory()" in result.stderr


def test_gitvm_get_info_needs_a_working_directory_first(tmp_path: Path) -> None:
    from mlxp.errors import VersionManagerError
    from mlxp.vcs import GitVM

    with pytest.raises(VersionManagerError, match="make_working_directory"):
        GitVM(str(tmp_path)).get_info()


def test_the_user_module_path_is_not_left_on_sys_path(tmp_path: Path) -> None:
    (tmp_path / "leftpkg.py").write_text("class L:\n    pass\n")
    settings = default_settings()
    settings.logger.name = "leftpkg.L"
    before = list(sys.path)
    assert named_class(settings, "logger.name", str(tmp_path), "x").__name__ == "L"
    assert sys.path == before
