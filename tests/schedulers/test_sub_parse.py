"""mlxp.sub.parse_job_script: job scripts taken apart without running them."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest
from hypothesis import given, settings

from mlxp.errors import JobScriptError
from mlxp.sub import ParsedScript, PythonCommand, parse_job_script
from strategies import shell_words

# The quick start's script, verbatim (section 5).
QUICKSTART = """#!/bin/bash

#OAR -l core=1, walltime=6:00:00
#OAR -t besteffort
#OAR -t idempotent

python main.py  optimizer.lr=10.,1. seed=1,2
python main.py  model.num_units=100,200 seed=1,2
"""


def test_quickstart_script() -> None:
    assert parse_job_script(QUICKSTART, "script.sh") == ParsedScript(
        path="script.sh",
        scheduler="oar",
        shebang="#!/bin/bash",
        directives=("#OAR -l core=1, walltime=6:00:00", "#OAR -t besteffort", "#OAR -t idempotent"),
        env_lines=(),
        commands=(
            PythonCommand("", "python", "main.py", ("optimizer.lr=10.,1.", "seed=1,2"), line=7),
            PythonCommand("", "python", "main.py", ("model.num_units=100,200", "seed=1,2"), line=8),
        ),
        post_lines=(),
    )


def test_nothing_in_the_script_is_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = "#SBATCH -N 1\ntouch BEFORE\npython main.py a=1\ntouch AFTER\n"
    parsed = parse_job_script(text, "job.sh")
    assert parsed.env_lines == ("touch BEFORE",)
    assert parsed.post_lines == ("touch AFTER",)
    assert os.listdir(tmp_path) == []


def _one(text: str) -> ParsedScript:
    return parse_job_script("#SBATCH --time=1:00:00\n" + text, "job.sh")


# Each case: script body after one #SBATCH line -> fields of the parsed script that matter.
CASES = [
    pytest.param(
        "python main.py \\\n    optimizer.lr=1.,2. \\\n    seed=1\n",
        {
            "commands": (
                PythonCommand("", "python", "main.py", ("optimizer.lr=1.,2.", "seed=1"), line=2),
            )
        },
        id="continuation",
    ),
    pytest.param(
        "srun python3 main.py a=1\n",
        {"commands": (PythonCommand("srun", "python3", "main.py", ("a=1",), line=2),)},
        id="srun-prefix",
    ),
    pytest.param(
        "srun -n $SLURM_NTASKS --cpu-bind=cores python3.11 main.py a=1\n",
        {
            "commands": (
                PythonCommand(
                    "srun -n $SLURM_NTASKS --cpu-bind=cores",
                    "python3.11",
                    "main.py",
                    ("a=1",),
                    line=2,
                ),
            )
        },
        id="srun-prefix-with-expansion",
    ),
    pytest.param(
        "mpirun -np 4 /opt/venv/bin/python train.py\n",
        {
            "commands": (
                PythonCommand("mpirun -np 4", "/opt/venv/bin/python", "train.py", (), line=2),
            )
        },
        id="mpirun-absolute-interpreter",
    ),
    pytest.param(
        "CUDA_VISIBLE_DEVICES=0,1 python main.py\n",
        {"commands": (PythonCommand("CUDA_VISIBLE_DEVICES=0,1", "python", "main.py", (), line=2),)},
        id="assignment-prefix",
    ),
    pytest.param(
        "python -u -X dev -m pkg.train a=1 b=2\n",
        {
            "commands": (
                PythonCommand(
                    "",
                    "python",
                    "pkg.train",
                    ("a=1", "b=2"),
                    line=2,
                    options=("-u", "-X", "dev"),
                    module=True,
                ),
            )
        },
        id="module",
    ),
    pytest.param(
        "python -um pkg.train\n",
        {
            "commands": (
                PythonCommand("", "python", "pkg.train", (), line=2, options=("-u",), module=True),
            )
        },
        id="module-in-flag-cluster",
    ),
    pytest.param(
        "python -Wignore -OO main.py\n",
        {
            "commands": (
                PythonCommand("", "python", "main.py", (), line=2, options=("-W", "ignore", "-OO")),
            )
        },
        id="options-attached-value",
    ),
    pytest.param(
        "python main.py 'data.name=a b' data.sep=\"x;y\" x=a\\ b note='#1' c=d#e  # a comment\n",
        {
            "commands": (
                PythonCommand(
                    "",
                    "python",
                    "main.py",
                    ("data.name=a b", "data.sep=x;y", "x=a b", "note=#1", "c=d#e"),
                    line=2,
                ),
            )
        },
        id="quoting-and-comment",
    ),
    pytest.param(
        "python main.py price='$5' cmd='`x`' cost=5$\n",
        {
            "commands": (
                PythonCommand("", "python", "main.py", ("price=$5", "cmd=`x`", "cost=5$"), line=2),
            )
        },
        id="dollar-that-does-not-expand",
    ),
    pytest.param(
        "module load cuda  # gpu\nsource venv/bin/activate\nexport A=1\nA=1\nB=2 C=3\ncd /scratch\n"
        "echo $HOSTNAME > host.txt\npython main.py\ncd ..\necho done | tee -a log\n",
        {
            "env_lines": (
                "module load cuda  # gpu",
                "source venv/bin/activate",
                "export A=1",
                "echo $HOSTNAME > host.txt",
            ),
            "post_lines": ("echo done | tee -a log",),
            "dropped": ((5, "A=1"), (6, "B=2 C=3"), (7, "cd /scratch"), (10, "cd ..")),
        },
        id="env-and-post-lines",
    ),
    pytest.param(
        "python a.py\necho between\npython b.py\n",
        {
            "post_lines": ("echo between",),
            "commands": (
                PythonCommand("", "python", "a.py", (), line=2),
                PythonCommand("", "python", "b.py", (), line=4),
            ),
        },
        id="line-between-commands-is-post",
    ),
    pytest.param(
        "module load python3\nmodule load python/3.11\nsrun hostname\necho python main.py\n"
        "python main.py\n",
        {
            "env_lines": (
                "module load python3",
                "module load python/3.11",
                "srun hostname",
                "echo python main.py",
            )
        },
        id="python-word-in-other-commands",
    ),
    pytest.param(
        "\n# comment\n   \n##SBATCH --mem=1G\npython main.py\n\n",
        {"directives": ("#SBATCH --time=1:00:00",), "env_lines": (), "post_lines": ()},
        id="blank-and-comment-lines",
    ),
    pytest.param(
        "python main.py\n#SBATCH --mem=1G\n",
        {"directives": ("#SBATCH --time=1:00:00", "#SBATCH --mem=1G")},
        id="late-directive-still-collected",
    ),
    pytest.param(
        "python main.py a=1\r\necho x\r\n",
        {
            "commands": (PythonCommand("", "python", "main.py", ("a=1",), line=2),),
            "post_lines": ("echo x",),
        },
        id="crlf",
    ),
    pytest.param(
        "# a comment \\\npython main.py\n",
        {"commands": (PythonCommand("", "python", "main.py", (), line=3),)},
        id="comment-does-not-continue",
    ),
]


@pytest.mark.parametrize("body, expected", CASES)
def test_parse(body: str, expected: Dict[str, Any]) -> None:
    parsed = _one(body)
    for field, value in expected.items():
        assert getattr(parsed, field) == value, field


@pytest.mark.parametrize(
    "text, shebang",
    [
        pytest.param(
            "#!/usr/bin/env bash\n#SBATCH -N 1\npython m.py\n", "#!/usr/bin/env bash", id="env-bash"
        ),
        pytest.param("#!/bin/zsh  \n#SBATCH -N 1\npython m.py\n", "#!/bin/zsh", id="zsh"),
        pytest.param("#SBATCH -N 1\npython m.py\n", "#!/bin/bash", id="default"),
        pytest.param("\n#!/bin/sh\n#SBATCH -N 1\npython m.py\n", "#!/bin/bash", id="not-on-line-1"),
    ],
)
def test_shebang(text: str, shebang: str) -> None:
    assert parse_job_script(text, "job.sh").shebang == shebang


@pytest.mark.parametrize(
    "text, scheduler",
    [
        pytest.param("#SBATCH -N 1\npython m.py\n", "slurm", id="slurm"),
        pytest.param("#OAR -l core=1\npython m.py\n", "oar", id="oar"),
        pytest.param("#PBS -l nodes=1\npython m.py\n", "torque", id="torque"),
        pytest.param("#$ -cwd\npython m.py\n", "sge", id="sge"),
        pytest.param("#MSUB -l nodes=1\npython m.py\n", "mwm", id="mwm"),
        pytest.param("#BSUB -n 1\npython m.py\n", "lsf", id="lsf"),
    ],
)
def test_directives_pick_the_scheduler(text: str, scheduler: str) -> None:
    assert parse_job_script(text, "job.sh").scheduler == scheduler


def test_argv_of_a_command() -> None:
    (command,) = _one("srun python -u -m pkg.main a=1\n").commands
    assert command.argv == ("python", "-u", "-m", "pkg.main", "a=1")


ERRORS = [
    pytest.param(
        "#!/bin/bash\npython main.py\n", None, "no scheduler directive", id="no-directive"
    ),
    pytest.param(
        "#SBATCH -N 1\n#OAR -l core=1\npython m.py\n",
        2,
        "#OAR directive in a script for slurm",
        id="mixed",
    ),
    pytest.param("#SBATCH -N 1\necho hi\n", None, "no python command", id="no-python"),
    pytest.param(
        "#SBATCH -N 1\npython -c 'print(1)'\n", 2, "'python -c' has no script", id="dash-c"
    ),
    pytest.param("#SBATCH -N 1\npython -u\n", 2, "python command without a script", id="no-script"),
    pytest.param(
        "#SBATCH -N 1\npython - < in.py\n", 2, "'<' in a python command", id="stdin-script"
    ),
    pytest.param(
        "#SBATCH -N 1\npython -m\n", 2, "python option -m needs a value", id="dash-m-alone"
    ),
    pytest.param(
        "#SBATCH -N 1\npython main.py > out.txt\n", 2, "'>' in a python command", id="redirect"
    ),
    pytest.param("#SBATCH -N 1\npython main.py | tee x\n", 2, "'|' in a python command", id="pipe"),
    pytest.param(
        "#SBATCH -N 1\npython main.py && echo ok\n", 2, "'&' in a python command", id="and-list"
    ),
    pytest.param(
        "#SBATCH -N 1\n\npython main.py a=1; echo\n", 3, "';' in a python command", id="semicolon"
    ),
    pytest.param(
        "#SBATCH -N 1\npython main.py dir=$HOME/x\n",
        2,
        "shell expansion in 'dir=$HOME/x'",
        id="expansion",
    ),
    pytest.param(
        '#SBATCH -N 1\npython main.py d="${X}"\n',
        2,
        "shell expansion in 'd=\"${X}\"'",
        id="expansion-in-double-quotes",
    ),
    pytest.param(
        "#SBATCH -N 1\npython main.py n=`hostname`\n",
        2,
        "shell expansion in 'n=`hostname`'",
        id="backticks",
    ),
    pytest.param("#SBATCH -N 1\npython main.py 'a=1\n", 2, "unterminated ' quote", id="open-quote"),
    pytest.param("#SBATCH -N 1\npython main.py seed=range(0,6)\n", 2,
                 "unquoted '(' in 'seed=range(0,6)': bash stops at it with a syntax error, so the"
                 " script cannot run as written; quote the argument: 'seed=range(0,6)'",
                 id="unquoted-range"),
    pytest.param("#SBATCH -N 1\npython main.py a=choice(x,y) b=1\n", 2,
                 "quote the argument: 'a=choice(x,y)'", id="unquoted-choice"),
    pytest.param("#SBATCH -N 1\npython main.py msg=$'a\\tb'\n", 2, "shell expansion in",
                 id="ansi-c-quoting"),
    pytest.param("#SBATCH -N 1\npython main.py seed={1,2}\n", 2, "unquoted braces in"
                 " 'seed={1,2}': bash expands them into several words; quote the argument:"
                 " 'seed={1,2}'", id="brace-expansion"),
    pytest.param("#SBATCH -N 1\npython main.py a={k:1,j:'x y'}\n", 2,
                 "quote the argument: 'a={k:1,j:x y}'", id="brace-expansion-of-a-mapping"),
    pytest.param("#SBATCH -N 1\npython main.py seed={1..3}\n", 2, "unquoted braces",
                 id="brace-sequence"),
    pytest.param(
        '#SBATCH -N 1\npython main.py \\\n  a="1\n',
        2,
        'unterminated " quote',
        id="open-quote-continued",
    ),
]


@pytest.mark.parametrize("text, line, message", ERRORS)
def test_errors(text: str, line: Optional[int], message: str) -> None:
    with pytest.raises(JobScriptError) as info:
        parse_job_script(text, "job.sh")
    error = info.value
    assert message in str(error)
    assert (error.path, error.line) == ("job.sh", line)
    where: Tuple[str, ...] = ("job.sh:",) if line is None else (f"job.sh:{line}: ",)
    assert str(error).startswith(where)


def test_error_shows_the_offending_line() -> None:
    with pytest.raises(JobScriptError) as info:
        parse_job_script("#SBATCH -N 1\npython main.py | tee x\n", "job.sh")
    assert str(info.value).splitlines()[1] == "    python main.py | tee x"


# Words of a job script line, each compared with what bash itself hands the command. None of
# them runs anything in bash: every $ and backquote is escaped or single-quoted.
BASH_WORDS = [
    pytest.param(r""" "msg='\$(x)'" """, id="escaped-dollar-in-double-quotes"),
    pytest.param(r""" "cmd=\`x\`" """, id="escaped-backquote-in-double-quotes"),
    pytest.param(r""" "a=\"q\"" """, id="escaped-double-quote"),
    pytest.param(r""" "a=\\b" """, id="escaped-backslash-in-double-quotes"),
    pytest.param(r""" "a=\b" "c=\n" "d=\'" "e=\{x}" """, id="other-backslashes-kept"),
    pytest.param(r""" "a=\\\$HOME" """, id="backslash-then-escaped-dollar"),
    pytest.param(r""" 'a=\$x' 'b=\\' """, id="single-quotes-keep-everything"),
    pytest.param(r""" a=\$x b=\\c d=\"e\" f=\'g """, id="unquoted-escapes"),
    pytest.param(r""" "a=b"c'd'\e """, id="adjacent-quoted-parts"),
    pytest.param(r""" a=b\ c 'it'\''s' """, id="escaped-space-and-quote"),
    pytest.param(r""" "a=$" "b=$'x'" "c=$\"" """, id="dollars-that-do-not-expand"),
    pytest.param(r""" "seed=1,2" 'lr=[1, 2]' "x=a#b" y=c#d """, id="override-syntax"),
    pytest.param(r""" 'a={k:1,j:2}' "b={1,2}" c=\{1,2\} d={x} e={} f={1\,2} g='{'1,2} """,
                 id="braces-that-do-not-expand"),
    pytest.param(r""" "n=123456789012345678901234567890123456789012345678901234567890123456" """,
                 id="long-integer"),
    pytest.param(r""" "msg='\$(touch PWNED)'" 'cmd=`touch PWNED`' "x=\`touch PWNED\`" """,
                 id="would-be-commands"),
]


@pytest.mark.parametrize("arguments", BASH_WORDS)
def test_words_are_the_ones_bash_passes(arguments: str, tmp_path: Path) -> None:
    import subprocess

    bash = subprocess.run(["bash", "-c", f"printf '%s\\0' {arguments}"], cwd=str(tmp_path),
                          capture_output=True, text=True, check=True)
    expected = tuple(bash.stdout.split("\0")[:-1])
    assert _one(f"python main.py {arguments}\n").commands[0].arguments == expected
    assert not (tmp_path / "PWNED").exists()


@settings(max_examples=60, deadline=None)
@given(shell_words)
def test_any_quoted_words_are_read_as_bash_reads_them(arguments: str) -> None:
    import subprocess

    bash = subprocess.run(["bash", "-c", f"printf '%s\\0' {arguments}"], capture_output=True,
                          text=True, check=True)
    expected = tuple(bash.stdout.split("\0")[:-1])
    assert _one(f"python main.py {arguments}\n").commands[0].arguments == expected


@pytest.mark.parametrize(
    "body, env_lines, launches, post_lines, kept",
    [
        pytest.param("python main.py a=1\nsleep 10\npython read.py\n", (), (2,),
                     ("sleep 10", "python read.py"), (4,), id="tutorial-read-after"),
        pytest.param("python prep.py --x 1\npython main.py\n", ("python prep.py --x 1",), (3,), (),
                     (2,), id="prepare-before"),
        pytest.param("python main.py\npython read.py\npython main.py b=2\necho end\n", (),
                     (2, 4), ("python read.py", "echo end"), (3,), id="between-two-launches"),
        pytest.param("srun -n 2 python3 \\\n  read.py\npython main.py\n",
                     ("srun -n 2 python3   read.py",), (4,), (), (2,), id="continued-with-prefix"),
        pytest.param("python main.py\npython read.py --out $HOME/x | tee log > out.txt\n", (),
                     (2,), ("python read.py --out $HOME/x | tee log > out.txt",), (3,),
                     id="pipe-and-expansion-after-the-script"),
        pytest.param("srun -n $N python read.py seed={1,2}\npython main.py\n",
                     ("srun -n $N python read.py seed={1,2}",), (3,), (), (2,),
                     id="braces-and-prefix-expansion"),
    ],
)
def test_python_commands_that_are_not_launches_are_shell_lines(
    body: str, env_lines, launches, post_lines, kept
) -> None:
    parsed = parse_job_script("#SBATCH --time=1\n" + body, "job.sh",
                              is_launch=lambda command: command.script == "main.py")
    assert parsed.env_lines == env_lines and parsed.post_lines == post_lines
    assert tuple(c.line for c in parsed.commands) == launches
    assert tuple(c.line for c in parsed.kept) == kept


@pytest.mark.parametrize(
    "line, words",
    [
        pytest.param("python main.py | tee log", "'|' in a python command", id="launch-with-pipe"),
        pytest.param("python $SCRIPT", "shell expansion in '$SCRIPT'", id="script-is-an-expansion"),
        pytest.param("python read.py>out", "'>' in a python command", id="operator-in-script-word"),
        pytest.param("python -u $X", "shell expansion in '$X'", id="no-script-before-expansion"),
    ],
)
def test_a_python_command_mlxpsub_cannot_take_apart_is_an_error_unless_it_is_no_launch(
    line: str, words: str
) -> None:
    with pytest.raises(JobScriptError, match=re.escape(f"job.sh:2: {words}")):
        parse_job_script(f"#SBATCH --time=1\n{line}\npython main.py\n", "job.sh",
                         is_launch=lambda command: command.script == "main.py")


def test_a_script_with_no_launch_is_an_error() -> None:
    with pytest.raises(JobScriptError, match="job.sh: no @mlxp.launch python command"):
        parse_job_script("#SBATCH --time=1\npython read.py\n", "job.sh",
                         is_launch=lambda command: False)
