"""The backend registry, directive detection, and each backend's facts (ids, names, commands)."""

from __future__ import annotations

import re
from typing import Optional

import pytest

import mlxp.cluster.schedulers as schedulers
from mlxp.errors import JobScriptError, SchedulerError, SubmissionError
from mlxp.schedulers import (
    Scheduler,
    available,
    detect_scheduler,
    get_scheduler,
    register_scheduler,
)

BUILTIN_NAMES = ["local", "lsf", "mwm", "oar", "sge", "slurm", "torque"]


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register backends without leaking them into other tests."""
    monkeypatch.setattr(schedulers, "_registry", dict(schedulers._registry))


class FluxScheduler(Scheduler):
    name = "flux"
    directive = "#FLUX:"
    job_name_flag = "--job-name="
    stdout_flag = "--output="
    stderr_flag = "--error="
    submit_command = ("flux", "batch")
    cancel_command = ("flux", "cancel")
    job_id_pattern = re.compile(r"^(f\w+)$", re.MULTILINE)


def test_builtins_are_available() -> None:
    assert available() == BUILTIN_NAMES
    for name in BUILTIN_NAMES:
        assert get_scheduler(name).name == name


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(SchedulerError) as info:
        get_scheduler("slrum")
    message = str(info.value)
    assert message.splitlines()[0] == "unknown scheduler 'slrum' (did you mean 'slurm'?)"
    assert "available: local, lsf, mwm, oar, sge, slurm, torque" in message
    assert info.value.choices == tuple(BUILTIN_NAMES)


def test_register_a_backend(registry: None) -> None:
    assert register_scheduler(FluxScheduler) is FluxScheduler
    assert "flux" in available()
    assert isinstance(get_scheduler("flux"), FluxScheduler)
    assert detect_scheduler("#!/bin/bash\n#FLUX: -N 1\n") == FluxScheduler()


def test_duplicate_name_is_an_error(registry: None) -> None:
    class OtherSlurm(FluxScheduler):
        name = "slurm"
        directive = "#OTHER"

    with pytest.raises(SchedulerError, match="'slurm' is already registered"):
        register_scheduler(OtherSlurm)


def test_duplicate_directive_is_an_error(registry: None) -> None:
    class PbsPro(FluxScheduler):
        name = "pbspro"
        directive = "#PBS"

    with pytest.raises(SchedulerError, match="'#PBS', which 'torque' already uses"):
        register_scheduler(PbsPro)


@pytest.mark.parametrize("thing", [object, FluxScheduler(), type("Nameless", (Scheduler,), {})])
def test_register_refuses_what_is_not_a_named_backend(registry: None, thing: object) -> None:
    with pytest.raises(SchedulerError, match="needs a Scheduler subclass with a name"):
        register_scheduler(thing)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "script, expected",
    [
        pytest.param("#SBATCH --time=1:00:00\n", "slurm", id="slurm"),
        pytest.param("#OAR -l core=1\n", "oar", id="oar"),
        pytest.param("#PBS -l walltime=1:00:00\n", "torque", id="torque"),
        pytest.param("#$ -l h_rt=1:00:00\n", "sge", id="sge"),
        pytest.param("#MSUB -l nodes=1\n", "mwm", id="mwm"),
        pytest.param("#BSUB -n 1\n", "lsf", id="lsf"),
        pytest.param(
            "#!/bin/bash\n\n# notes\n#SBATCH -N 1\n#SBATCH -n 2\n", "slurm", id="after-comments"
        ),
        pytest.param("  #SBATCH -N 1\n", "slurm", id="indented"),
        pytest.param("#SBATCH\n", "slurm", id="bare-prefix"),
        pytest.param("#!/bin/bash\npython main.py\n", None, id="none"),
        pytest.param("##SBATCH --time=1\n", None, id="commented-out-directive"),
        pytest.param("#SBATCHX -N 1\n", None, id="longer-word"),
        pytest.param("#$HOME is not a directive\n", None, id="sge-prefix-without-blank"),
        pytest.param("echo '#SBATCH -N 1'\n", None, id="inside-a-command"),
    ],
)
def test_detect_scheduler(script: str, expected: Optional[str]) -> None:
    found = detect_scheduler(script)
    assert (found.name if found else None) == expected
    lines = detect_scheduler(script.splitlines())
    assert (lines.name if lines else None) == expected


def test_mixed_directives_name_both_lines() -> None:
    script = "#!/bin/bash\n#SBATCH --time=1:00:00\n#SBATCH -N 1\n#OAR -l core=1\npython a.py\n"
    with pytest.raises(JobScriptError) as info:
        detect_scheduler(script, path="job.sh")
    error = info.value
    assert (error.path, error.line, error.other_line) == ("job.sh", 4, 2)
    assert str(error).splitlines() == [
        "job.sh:4: #OAR directive in a script for slurm (#SBATCH at line 2); use one scheduler",
        "    line 2: #SBATCH --time=1:00:00",
        "    line 4: #OAR -l core=1",
    ]


@pytest.mark.parametrize(
    "scheduler, log_dir, expected",
    [
        pytest.param("sge", "logs/3", "logs_3", id="sge-slash"),
        pytest.param("sge", "3", "job_3", id="sge-leading-digit"),
        pytest.param("sge", "my logs/12", "my_logs_12", id="sge-space"),
        pytest.param("sge", "a:b@c\\d*e?f", "a_b_c_d_e_f", id="sge-all-forbidden"),
        pytest.param("sge", "_x/1", "job__x_1", id="sge-leading-underscore"),
        pytest.param("torque", "3/logs", "job_3/logs", id="torque-leading-digit"),
        pytest.param("torque", "logs/3", "logs/3", id="torque-slash-kept"),
        pytest.param("slurm", "logs/3", "logs/3", id="slurm-unchanged"),
        pytest.param("slurm", "my logs/3", "my_logs/3", id="slurm-space"),
        pytest.param("oar", "logs/3", "logs/3", id="oar-unchanged"),
        pytest.param("lsf", "logs/3", "logs/3", id="lsf-unchanged"),
    ],
)
def test_job_name(scheduler: str, log_dir: str, expected: str) -> None:
    assert get_scheduler(scheduler).job_name(log_dir) == expected


@pytest.mark.parametrize(
    "scheduler, output, job_id",
    [
        pytest.param("slurm", "Submitted batch job 1234\n", "1234", id="slurm"),
        pytest.param(
            "oar",
            "[ADMISSION RULE] Modify resource description with type constraints\nOAR_JOB_ID=42\n",
            "42",
            id="oar",
        ),
        pytest.param(
            "oar", "OAR_JOB_ID=7\nOAR_JOB_ID=8\nOAR_JOB_ID=9\nOAR_ARRAY_ID=7\n", "7", id="oar-array"
        ),
        pytest.param("torque", "1234.torque-server\n", "1234.torque-server", id="torque"),
        pytest.param("torque", "8\n", "8", id="torque-bare-id"),
        pytest.param(
            "torque", "1235[].pbs01.example.org\n", "1235[].pbs01.example.org", id="torque-array"
        ),
        pytest.param("sge", 'Your job 77 ("logs_1") has been submitted\n', "77", id="sge"),
        pytest.param(
            "sge", 'Your job-array 3.1-4:1 ("arr") has been submitted\n', "3", id="sge-array"
        ),
        pytest.param("mwm", "\nMoab.123\n\n", "Moab.123", id="mwm"),
        pytest.param("mwm", "\n4567\n", "4567", id="mwm-number"),
        pytest.param("lsf", "Job <5> is submitted to default queue <normal>.\n", "5", id="lsf"),
        pytest.param("local", "31337\n", "31337", id="local"),
    ],
)
def test_parse_job_id(scheduler: str, output: str, job_id: str) -> None:
    assert get_scheduler(scheduler).parse_job_id(output) == job_id


@pytest.mark.parametrize(
    "scheduler, output",
    [
        pytest.param("slurm", "sbatch: error: Batch job submission failed", id="slurm"),
        pytest.param("oar", "OAR_JOB_ID=-5\n", id="oar-negative"),
        pytest.param("sge", "Unable to run job: unknown resource", id="sge"),
        pytest.param("lsf", "Request aborted by esub. Job not submitted.", id="lsf"),
        pytest.param("mwm", "\n\n", id="mwm-blank"),
        pytest.param("torque", "qsub: submit error (Bad UID for job execution)", id="torque"),
    ],
)
def test_output_without_a_job_id(scheduler: str, output: str) -> None:
    with pytest.raises(SubmissionError) as info:
        get_scheduler(scheduler).parse_job_id(output)
    assert info.value.output == output
    assert f"no {scheduler} job id" in str(info.value)


@pytest.mark.parametrize(
    "scheduler, submit, cancel",
    [
        pytest.param("slurm", ["sbatch", "/j/s.sh"], ["scancel", "1", "2"], id="slurm"),
        pytest.param("oar", ["oarsub", "-S", "/j/s.sh"], ["oardel", "1", "2"], id="oar"),
        pytest.param("torque", ["qsub", "/j/s.sh"], ["qdel", "1", "2"], id="torque"),
        pytest.param("sge", ["qsub", "/j/s.sh"], ["qdel", "1", "2"], id="sge"),
        pytest.param("mwm", ["msub", "/j/s.sh"], ["mjobctl", "-c", "1", "2"], id="mwm"),
        pytest.param("lsf", ["bsub"], ["bkill", "1", "2"], id="lsf"),
        pytest.param("local", ["/j/s.sh"], ["kill", "-TERM", "--", "-1", "-2"], id="local"),
    ],
)
def test_commands(scheduler: str, submit: list, cancel: list) -> None:
    backend = get_scheduler(scheduler)
    assert backend.submit_argv("/j/s.sh") == submit
    assert backend.cancel_argv(["1", "2"]) == cancel


def test_only_lsf_reads_the_script_on_stdin(tmp_path) -> None:
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/bash\n#BSUB -n 1\necho hi\n")
    assert get_scheduler("lsf").submit_stdin(str(script)) == script.read_text()
    for name in BUILTIN_NAMES:
        if name != "lsf":
            assert get_scheduler(name).submit_stdin(str(script)) is None


@pytest.mark.parametrize(
    "scheduler, flag, value, line",
    [
        pytest.param("slurm", "--time=", "1:00:00", "#SBATCH --time=1:00:00", id="plain"),
        pytest.param("slurm", "--output=", "/a b/out", '#SBATCH --output="/a b/out"', id="quoted"),
        pytest.param("sge", "-N ", "logs_1", "#$ -N logs_1", id="sge"),
        pytest.param("lsf", "-J ", "it's", '#BSUB -J "it\'s"', id="single-quote-inside"),
        pytest.param("oar", "-n ", "name with space", "#OAR -n name with space", id="oar-verbatim"),
        pytest.param(
            "oar",
            "-l ",
            "core=1, walltime=1:00:00",
            "#OAR -l core=1, walltime=1:00:00",
            id="oar-comma-space",
        ),
    ],
)
def test_directive_line(scheduler: str, flag: str, value: str, line: str) -> None:
    assert get_scheduler(scheduler).directive_line(flag, value) == line


@pytest.mark.parametrize("value", ['say "hi"', "C:\\logs"])
def test_directive_value_without_a_portable_spelling(value: str) -> None:
    with pytest.raises(JobScriptError, match="cannot hold a value"):
        get_scheduler("slurm").directive_line("--job-name=", value)


def test_local_has_no_directives() -> None:
    with pytest.raises(JobScriptError, match="local scheduler has no directives"):
        get_scheduler("local").directive_line("-N ", "x")


def test_slurm_keeps_a_literal_percent_in_paths() -> None:
    assert get_scheduler("slurm").output_path("/runs/100%/log.stdout") == "/runs/100%%/log.stdout"


@pytest.mark.parametrize("path", ["/runs/a:b/log.stdout", "/runs/'x'/log.stdout", "/runs/é/log"])
def test_oar_refuses_paths_oarsub_refuses(path: str) -> None:
    with pytest.raises(JobScriptError, match="oarsub refuses this stdout/stderr path"):
        get_scheduler("oar").output_path(path)
