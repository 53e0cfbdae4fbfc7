"""mlxp's own settings: defaults, mlxp.yaml and checks (mlxp.settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlxp.errors import SettingsError
from mlxp.settings import default_settings, load_settings, set_setting


def test_defaults_match_the_design() -> None:
    settings = default_settings()
    assert settings.logger.parent_log_dir == "./logs"
    assert settings.logger.forced_log_id == -1
    assert settings.logger.log_streams_to_file is False
    assert settings.version_manager.parent_work_dir == "./.work_dir"
    assert settings.use_logger is True and settings.use_scheduler is False
    assert settings.interactive_mode is True and settings.resume is False
    assert settings.strict_overrides is False and settings.use_version_manager is False
    assert settings.max_sweep_points == 1_000_000


def test_file_values_override_defaults(tmp_path: Path) -> None:
    (tmp_path / "mlxp.yaml").write_text("logger:\n  forced_log_id: 4\nuse_logger: false\n")
    settings = load_settings(str(tmp_path))
    assert settings.logger.forced_log_id == 4
    assert settings.logger.parent_log_dir == "./logs"
    assert settings.use_logger is False


def test_a_file_wrapped_in_an_mlxp_section_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "mlxp.yaml").write_text("mlxp:\n  resume: true\n")
    assert load_settings(str(tmp_path)).resume is True


@pytest.mark.parametrize(
    "key, value, words",
    [
        pytest.param("use_loger", False, ["unknown mlxp setting 'mlxp.use_loger'",
                                          "did you mean 'mlxp.use_logger'"], id="typo"),
        pytest.param("use_logger", "maybe", ["must be true or false", "'maybe'"],
                     id="string-for-bool"),
        pytest.param("use_logger", 2, ["must be true or false", "2"], id="int-for-bool"),
        pytest.param("logger.forced_log_id", True, ["must be an integer"], id="bool-for-int"),
        pytest.param("logger.forced_log_id", 1.5, ["must be an integer"], id="float-for-int"),
        pytest.param("scheduler.name", "pbs", ["cannot be 'pbs'", "slurm, oar"], id="bad-choice"),
        pytest.param("logger", 3, ["must be a mapping"], id="section-scalar"),
    ],
)
def test_bad_settings_are_typed_errors(key: str, value: object, words) -> None:
    with pytest.raises(SettingsError) as caught:
        set_setting(default_settings(), key, value, source="configs/mlxp.yaml")
    assert caught.value.key.startswith(key.split(".")[0])
    message = str(caught.value)
    assert message.startswith("configs/mlxp.yaml: ")
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    "value, expected",
    [pytest.param(word, True, id=f"true-{word}") for word in ("yes", "Yes", "on", "y", "TRUE", "1", 1)]
    + [pytest.param(word, False, id=f"false-{word}") for word in ("no", "OFF", "n", "false", "0", 0)],
)
def test_boolean_settings_take_mlxps_words(value: object, expected: bool) -> None:
    """MLXP 1.0.5 took these for its boolean settings: mlxp.use_logger=no keeps working."""
    settings = default_settings()
    set_setting(settings, "use_logger", value)
    assert settings.use_logger is expected


def test_unknown_key_lists_valid_choices() -> None:
    with pytest.raises(SettingsError) as caught:
        set_setting(default_settings(), "nope", 1)
    assert "mlxp.logger.parent_log_dir" in caught.value.choices


def test_line_lists_accept_a_block_string() -> None:
    settings = default_settings()
    set_setting(settings, "scheduler.option_cmd", "-l walltime=1:00\n-t besteffort\n")
    assert settings.scheduler.option_cmd == ["-l walltime=1:00", "-t besteffort"]
