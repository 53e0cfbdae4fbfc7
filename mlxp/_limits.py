"""What the launcher refuses before it creates anything: a sweep too large, a log directory
that cannot hold runs, an argument that is not text. See docs/errors.md (limits).
"""

from __future__ import annotations

import os
from typing import Sequence

from mlxp.errors import SettingsError, UsageError
from mlxp.sweep import Sweep

__all__ = ["check_parent_log_dir", "check_sweep_size", "checked_arguments"]

#: file systems of the kernel, which look like directories but cannot hold files of ours
_KERNEL_DIRS = ("/proc", "/sys", "/dev")


def checked_arguments(argv: Sequence[str]) -> Sequence[str]:
    """Refuse an argument that is not UTF-8 text: it could not be recorded in ``info.yaml``.

    Python hands such bytes over as lone surrogates (PEP 383); a run would fail after its
    directory was made.
    """
    for index, argument in enumerate(argv, start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError as error:
            shown = argument.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise UsageError(
                f"argument {index} is not UTF-8 text: {shown!r} (\ufffd marks the bytes that"
                " are not); pass it as UTF-8, e.g. with LANG=C.UTF-8 in the shell"
            ) from error
    return argv


def check_sweep_size(sweep: Sweep, limit: int) -> None:
    """Refuse a sweep of more than ``limit`` points (``mlxp.max_sweep_points``).

    A product of a few large axes is far more often a typo than an experiment, and even a
    dry run of it would take minutes.

    Raises:
        SettingsError: the sweep is too large, or the limit is not positive.
    """
    if limit < 1:
        raise SettingsError(f"mlxp.max_sweep_points must be 1 or more, not {limit}",
                            key="max_sweep_points")
    if sweep.size > limit:
        sizes = " x ".join(f"{size:,}" for size in sweep.shape if size > 1)
        raise SettingsError(
            f"a sweep of {sweep.size:,} points ({sizes}) is more than mlxp.max_sweep_points"
            f" ({limit:,}): fewer values, or raise the limit with mlxp.max_sweep_points=N"
            " (on the command line or in configs/mlxp.yaml)",
            key="max_sweep_points",
        )


def check_parent_log_dir(path: str) -> None:
    """Refuse a log directory that cannot hold runs, before any run directory is made.

    Raises:
        SettingsError: a control character (it would break job scripts and listings), a
            path under a kernel file system (/proc, /sys, /dev), or a file in the way.
    """
    key = "logger.parent_log_dir"
    if any(ord(character) < 32 or character == "\x7f" for character in path):
        raise SettingsError(
            f"mlxp.logger.parent_log_dir {path!r} holds a control character (a newline?);"
            " choose a directory name without one", key=key)
    real = os.path.realpath(path)
    for system in _KERNEL_DIRS:
        if real == system or real.startswith(system + "/"):
            raise SettingsError(
                f"mlxp.logger.parent_log_dir {path!r} is under {system}, a kernel file system"
                " that cannot hold runs; choose a directory on disk, e.g. ./logs", key=key)
    existing = real
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise SettingsError(
            f"mlxp.logger.parent_log_dir {path!r}: {existing} is a file, not a directory;"
            " choose another directory", key=key)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SettingsError(
            f"mlxp.logger.parent_log_dir {path!r}: {existing} is not writable by you;"
            " choose another directory", key=key)
