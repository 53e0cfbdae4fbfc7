"""Every error mlxp raises on purpose, in one tree.

Each class also inherits the built-in exception a caller would naturally catch, and carries
the place at fault as fields (``.path``, ``.line``, ``.key``, ``.column`` ...) so that code and
tests can inspect it without parsing the message::

    MLXPError
    ├── ConfigError
    │   ├── ConfigFileError          (ValueError)  a config/metadata YAML file is malformed
    │   ├── ConfigKeyError           (KeyError)    a dotted key is missing or already there
    │   │   └── ConfigAttributeError (AttributeError)  ``cfg.missing`` attribute access
    │   ├── InterpolationError       (ValueError)  ``${...}`` cannot be resolved
    │   ├── InstantiationError       (ValueError)  ``mlxp.instantiate`` cannot build a node
    │   └── ConfigGroupError         (ValueError)  a defaults list or group override cannot compose
    ├── OverrideError                (ValueError)  an override mlxp refuses (``hydra.*``)
    │   └── OverrideSyntaxError                    a malformed command-line argument
    ├── SettingsError                (ValueError)  mlxp.yaml / ``mlxp.*``: unknown key, bad type
    ├── UsageError                   (ValueError)  a command-line flag is misused
    ├── LoggerError
    │   ├── MetricValueError         (TypeError)   a metric value cannot be written as JSON
    │   ├── InvalidNameError         (ValueError)  protected log name, artifact name leaving the run
    │   ├── RunDirectoryError        (FileExistsError)  a run directory cannot be (re)used
    │   │   └── RunLockedError                     another live process writes the run
    │   └── ArtifactError            (LookupError) unknown artifact type or missing artifact
    ├── RunFailedError               (RuntimeError) a run of ``task.run(...)``'s sweep FAILED
    ├── MissingDependencyError       (ImportError) an optional package is not installed
    ├── QueryError                   (ValueError)  a Reader query is malformed
    ├── ReaderError                  (ValueError)  a Reader/DataFrame operation is misused
    │   └── ColumnError              (KeyError)    a DataFrame column does not exist
    ├── SchedulerError
    │   ├── JobScriptError           (ValueError)  a script given to mlxpsub cannot be used
    │   └── SubmissionError          (RuntimeError) the scheduler refused a job
    ├── VersionManagerError          (RuntimeError) git state prevents a versioned run
    └── UnknownSystemError           (OSError)     MLXP's name (below), never raised

``exit_code`` is what a command-line entry point exits with: 2 for usage errors (bad config,
bad argument), 1 otherwise.

MLXP 1.0.5's exception names (``JobSubmissionError``, ``InvalidKeyError``, ...) are kept for
code written for MLXP: each is an alias, at the end of this module, of the class above that
mlxp raises in its place, so ``except JobSubmissionError`` catches it (docs/mlxp-names.md).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from mlxp._paths import display_path


class MLXPError(Exception):
    """Base class of every error mlxp raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        for name, value in fields.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        # KeyError's own __str__ would wrap the message in quotes.
        return self.message


class ConfigError(MLXPError):
    """A configuration problem: the user fixes a file or an argument."""

    exit_code = 2


class ConfigFileError(ConfigError, ValueError):
    """A YAML file is malformed; ``path``, ``line`` and ``column`` (1-based) say where."""

    def __init__(
        self, message: str, path: str, line: Optional[int] = None, column: Optional[int] = None
    ) -> None:
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}", path=path, line=line, column=column, reason=message)


class ConfigKeyError(ConfigError, KeyError):
    """A dotted ``key`` is missing (or present where it must not be)."""

    def __init__(self, message: str, key: str, suggestions: Sequence[str] = ()) -> None:
        if suggestions:
            message += f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)"
        super().__init__(message, key=key, suggestions=tuple(suggestions))


class ConfigAttributeError(ConfigKeyError, AttributeError):
    """Attribute access to a missing key, so that ``getattr(cfg, k, default)`` still works."""


class InterpolationError(ConfigError, ValueError):
    """A ``${...}`` reference at ``key`` cannot be resolved."""

    def __init__(self, message: str, key: str, expression: str) -> None:
        super().__init__(
            f"cannot resolve {expression!r} at {key!r}: {message}", key=key, expression=expression
        )


class InstantiationError(ConfigError, ValueError):
    """``mlxp.instantiate`` cannot build a node: ``key`` is where (``model.encoder._target_``),
    ``target`` the import path; when the target itself raised, its exception is the
    ``__cause__``, with its traceback."""

    def __init__(self, message: str, key: str, target: Any = None,
                 suggestions: Sequence[str] = ()) -> None:
        if suggestions:
            message += f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)"
        super().__init__(message, key=key, target=target, suggestions=tuple(suggestions))
class ConfigGroupError(ConfigError, ValueError):
    """Config groups cannot compose: an unknown group or option, a cycle in defaults lists, a
    package chosen twice, ``_self_`` twice. ``path``/``line`` name the defaults entry at fault
    (None for a command-line override), ``group`` its group and ``options`` the group's options.
    """

    def __init__(self, message: str, path: Optional[str] = None, line: Optional[int] = None,
                 group: Optional[str] = None, options: Sequence[str] = ()) -> None:
        shown = display_path(path) if path else ""
        where = f"{shown}:{line}: " if path and line else f"{shown}: " if path else ""
        text = f"{where}{message}"
        if options:
            text += f"; the options of {group!r} are: {', '.join(options)}"
        super().__init__(text, path=path, line=line, group=group, options=tuple(options),
                         reason=message)


class OverrideError(MLXPError, ValueError):
    """A command-line override cannot be applied."""

    exit_code = 2


class OverrideSyntaxError(OverrideError):
    """A malformed override; ``index`` is its argument position, ``column`` 0-based."""

    def __init__(self, reason: str, argument: str, index: int, column: int, hint: str = "") -> None:
        caret = " " * column + "^"
        message = (
            f"argument {index}: {reason}\n    {argument}\n    {caret}"
            + (f"\n  {hint}" if hint else "")
        )
        super().__init__(
            message, reason=reason, argument=argument, index=index, column=column, hint=hint
        )


class SettingsError(MLXPError, ValueError):
    """An mlxp setting is unknown or has the wrong type; ``path`` is its file if any."""

    exit_code = 2

    def __init__(
        self, message: str, key: str, path: Optional[str] = None, choices: Sequence[str] = ()
    ) -> None:
        where = f"{path}: " if path else ""
        text = f"{where}{message}"
        if choices:
            text += f"\n  valid choices: {', '.join(choices)}"
        super().__init__(text, key=key, path=path, choices=tuple(choices))


class UsageError(MLXPError, ValueError):
    """A command-line flag is misused."""

    exit_code = 2


class LoggerError(MLXPError):
    """The logger cannot do what was asked."""


class MetricValueError(LoggerError, TypeError):
    """A metric value at ``key`` cannot be written as JSON; nothing was written."""


class InvalidNameError(LoggerError, ValueError):
    """A log or artifact ``name`` is protected or would leave the run directory."""


class RunDirectoryError(LoggerError, FileExistsError):
    """A run directory (``path``) cannot be used without mixing or losing a run's data."""

    exit_code = 2  # the user picks another forced_log_id, or adds mlxp.resume=true


class RunLockedError(RunDirectoryError):
    """Another live process holds the run: ``.host`` and ``.pid`` name it, ``.path`` the run."""

    exit_code = 1  # not a mistake in the command: the same command works once the holder ends


class ArtifactError(LoggerError, LookupError):
    """An artifact type is unknown, or an artifact is not there."""


class RunFailedError(MLXPError, RuntimeError):
    """Runs of a sweep started with ``task.run(...)`` FAILED: ``run_dirs`` lists every run's
    directory in point order, ``failed`` those that FAILED; the first failure is the
    ``__cause__``."""


class MissingDependencyError(MLXPError, ImportError):
    """An optional ``package`` is needed; the message says what to install."""


class QueryError(MLXPError, ValueError):
    """A Reader query is malformed; ``column`` (0-based) is where."""

    exit_code = 2


class ReaderError(MLXPError, ValueError):
    """A Reader or DataFrame operation is misused (a malformed map, a bad ``result_format``)."""


class ColumnError(ReaderError, KeyError):
    """A DataFrame ``column`` does not exist; ``suggestions`` holds close column names."""

    def __init__(self, message: str, column: str, suggestions: Sequence[str] = ()) -> None:
        if suggestions:
            message += f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)"
        super().__init__(message, column=column, suggestions=tuple(suggestions))


class SchedulerError(MLXPError):
    """A job scheduler problem."""


class JobScriptError(SchedulerError, ValueError):
    """A script handed to mlxpsub cannot be used; ``path`` and ``line`` say where."""

    exit_code = 2


class SubmissionError(SchedulerError, RuntimeError):
    """The scheduler refused a job; ``output`` holds what it printed."""


class VersionManagerError(MLXPError, RuntimeError):
    """The git state prevents a versioned run."""

    exit_code = 2


class UnknownSystemError(MLXPError, OSError):
    """MLXP's error for an unknown operating system; mlxp never raises it."""


# MLXP 1.0.5's names (see the module docstring): aliases, not new classes.
JobSubmissionError = SubmissionError
InvalidKeyError = ColumnError
MissingFieldError = ConfigKeyError
InvalidArtifactError = ArtifactError
InvalidMapError = ReaderError
InvalidShellPathError = SchedulerError
InvalidSchedulerError = SchedulerError
InvalidConfigFileError = SettingsError
