"""OAR: ``#OAR`` directives, ``oarsub -S`` / ``oardel``."""

from __future__ import annotations

import os
import re
from typing import Optional

from mlxp._shell import ShellResult, run
from mlxp.errors import JobScriptError
from mlxp.schedulers.base import Scheduler

__all__ = ["OarScheduler"]

# oarsub refuses any other character in -O/-E paths ("Invalid stdout file name (bad
# character)", OAR 2.5 OAR/IO.pm).
_OAR_PATH = re.compile(r"[a-zA-Z0-9_./\-%\\ ]+")


class OarScheduler(Scheduler):
    """OAR. ``oarsub -S job.sh`` prints ``[ADMISSION RULE] ...`` lines then ``OAR_JOB_ID=42``.

    ``-S`` makes oarsub read the ``#OAR`` lines and then run the file itself, so the script
    must be executable: oarsub accepts a non-executable one and the job then fails with
    "Permission denied". oarsub takes a directive's value as the rest of the line, verbatim:
    spaces need no quotes, and quotes are kept as part of the value (and refused in paths).
    ``-S`` takes a command line, split at blanks with no quoting, so the script is submitted
    as ``./script.sh`` from its own directory (which becomes the job's starting directory).
    An array job prints one ``OAR_JOB_ID=`` line per sub-job; the first is returned.
    """

    name = "oar"
    directive = "#OAR"
    job_name_flag = "-n "
    stdout_flag = "-O "
    stderr_flag = "-E "
    submit_command = ("oarsub", "-S")
    needs_executable_script = True
    cancel_command = ("oardel",)
    job_id_pattern = re.compile(r"^OAR_JOB_ID=(\d+)\s*$", re.MULTILINE)

    def directive_value(self, value: str) -> str:
        """The value verbatim: oarsub would keep quotes as part of it."""
        return value

    def output_path(self, path: str) -> str:
        """``path`` checked against the characters oarsub accepts in ``-O``/``-E``."""
        if not _OAR_PATH.fullmatch(path):
            raise JobScriptError(
                f"oarsub refuses this stdout/stderr path: {path!r}\n"
                "    OAR accepts only letters, digits, spaces and _ . / - % \\ in it;"
                " choose a log directory without other characters",
                value=path,
            )
        return path

    def run_submit(self, script_path: str, timeout: Optional[float]) -> ShellResult:
        """``oarsub -S ./<name>`` from the script's directory, whose path may hold blanks.

        oarsub takes the job's launching directory from ``$PWD``, not from the process's
        working directory, so both are set.
        """
        directory, name = os.path.split(script_path)
        if any(ch.isspace() for ch in name):
            raise JobScriptError(
                f"oarsub cannot run a job script whose file name holds a blank: {name!r}",
                path=script_path,
            )
        directory = directory or os.getcwd()
        env = {**os.environ, "PWD": directory}
        return run(self.submit_argv(f"./{name}"), cwd=directory, env=env, timeout=timeout)
