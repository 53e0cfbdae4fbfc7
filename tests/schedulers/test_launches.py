"""mlxp.cluster.launches: which python commands of a job script are @mlxp.launch scripts,
read from their syntax tree and never run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlxp.cluster.jobscript import PythonCommand
from mlxp.cluster.launches import is_launch_script, uses_mlxp_launch
from mlxp.errors import JobScriptError

TASK = "def train(ctx):\n    pass\n"


@pytest.mark.parametrize(
    "source, expected",
    [
        pytest.param("import mlxp\n@mlxp.launch(config_path='./configs')\n" + TASK, True,
                     id="decorator-call"),
        pytest.param("import mlxp\n@mlxp.launch\n" + TASK, True, id="bare-decorator"),
        pytest.param("import mlxp as m\n@m.launch(config_path='c')\n" + TASK, True,
                     id="module-alias"),
        pytest.param("from mlxp import launch\n@launch(config_path='c')\n" + TASK, True,
                     id="from-import"),
        pytest.param("from mlxp import Context, launch as go\n@go()\n" + TASK, True,
                     id="from-import-alias"),
        pytest.param("import mlxp.launcher\n@mlxp.launcher.launch()\n" + TASK, True,
                     id="launcher-module"),
        pytest.param("import mlxp.launcher\n@mlxp.launch()\n" + TASK, True,
                     id="submodule-import-binds-mlxp"),
        pytest.param("import mlxp.launcher as ml\n@ml.launch()\n" + TASK, True,
                     id="launcher-module-alias"),
        pytest.param("import mlxp as m\n@mlxp.launch()\n" + TASK, False,
                     id="alias-does-not-bind-mlxp"),
        pytest.param("# -*- coding: latin-1 -*-\nimport mlxp\n# caf\xe9\n@mlxp.launch()\n"
                     + TASK, True, id="coding-line"),
        pytest.param("import mlxp\n" + TASK + "if __name__ == '__main__':\n"
                     "    mlxp.launch(config_path='c')(train)()\n", True,
                     id="called-not-decorated"),
        pytest.param("import mlxp\nasync def f():\n    pass\n"
                     "def main():\n    @mlxp.launch()\n    async def t(ctx):\n        pass\n",
                     True, id="nested-async"),
        # the tutorial's read.py: it uses mlxp, but only to read
        pytest.param("import mlxp\nreader = mlxp.Reader('./logs/')\nprint(len(reader))\n", False,
                     id="reader-only"),
        pytest.param("print('hello')\n", False, id="no-mlxp"),
        pytest.param("import mlxp\nlaunch = print\n@launch\n" + TASK, False,
                     id="launch-not-from-mlxp"),
        pytest.param("import other as mlxp_like\n@mlxp_like.launch()\n" + TASK, False,
                     id="other-module-launch"),
        pytest.param("from .mlxp import launch\n@launch()\n" + TASK, False,
                     id="relative-import"),
        pytest.param("import mlxp\n# @mlxp.launch()\ns = '@mlxp.launch()'\n", False,
                     id="comment-and-string"),
        pytest.param("import mlxp\nf = mlxp.launch\n", False, id="reference-not-used"),
    ],
)
def test_a_launch_is_a_decorator_or_call_of_mlxp_launch(source: str, expected: bool) -> None:
    assert uses_mlxp_launch(source.encode("latin-1")) is expected


def _command(script: str, module: bool = False) -> PythonCommand:
    return PythonCommand("", "python", script, (), line=7, module=module)


def test_the_script_is_read_and_never_run(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "import mlxp\nopen('RAN', 'w').close()\n@mlxp.launch()\n" + TASK)
    (tmp_path / "read.py").write_text("open('RAN', 'w').close()\n")
    assert is_launch_script(_command("main.py"), "job.sh", str(tmp_path)) is True
    assert is_launch_script(_command("read.py"), "job.sh", str(tmp_path)) is False
    assert not (tmp_path / "RAN").exists()


@pytest.mark.parametrize(
    "files, script, module, expected",
    [
        pytest.param({"pkg/__init__.py": "raise SystemExit('imported')\n",
                      "pkg/train.py": "from mlxp import launch\n@launch()\n" + TASK},
                     "pkg.train", True, True, id="module-in-package"),
        pytest.param({"tool/__init__.py": "raise SystemExit('imported')\n",
                      "tool/__main__.py": "print('hi')\n"}, "tool", True, False,
                     id="package-main"),
        pytest.param({"sub/dir/main.py": "import mlxp\n@mlxp.launch()\n" + TASK},
                     "sub/dir/main.py", False, True, id="script-in-subdirectory"),
    ],
)
def test_modules_and_paths_are_found_from_the_submit_directory(
    tmp_path: Path, files, script: str, module: bool, expected: bool
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert is_launch_script(_command(script, module), "job.sh", str(tmp_path)) is expected


@pytest.mark.parametrize(
    "files, script, module, words",
    [
        pytest.param({}, "missing.py", False, "cannot read missing.py", id="missing-script"),
        pytest.param({"bad.py": "def f(:\n"}, "bad.py", False, "cannot parse bad.py",
                     id="syntax-error"),
        pytest.param({"bin.py": b"\xff\xfe\x00"}, "bin.py", False, "cannot parse bin.py",
                     id="not-utf8"),
        pytest.param({"ns/x.txt": "x"}, "ns", False, "cannot read ns", id="a-directory"),
        pytest.param({}, "nowhere.mod", True, "no module named 'nowhere'", id="missing-module"),
        pytest.param({"nul.py": b"x = 1\0\n"}, "nul.py", False, "cannot parse nul.py",
                     id="null-byte"),
        pytest.param({"deep.py": "x = " + "(" * 5000 + ")" * 5000 + "\n"}, "deep.py", False,
                     "cannot parse deep.py", id="nested-too-deep"),
        pytest.param({"ns/x.txt": "x"}, "ns", True, "module 'ns' has no Python source",
                     id="namespace-without-main"),
    ],
)
def test_a_script_that_cannot_be_decided_on_is_an_error_naming_the_line(
    tmp_path: Path, files, script: str, module: bool, words: str
) -> None:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    with pytest.raises(JobScriptError) as raised:
        is_launch_script(_command(script, module), "job.sh", str(tmp_path))
    message = str(raised.value)
    assert message.startswith("job.sh:7: ") and words in message
    assert "bash -c 'python ...'" in message  # how to fix it
    assert raised.value.line == 7 and raised.value.path == "job.sh"


def test_the_docs_example_scripts_are_launches() -> None:
    quickstart = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
    source = (quickstart / "main.py").read_text()
    assert uses_mlxp_launch(textwrap.dedent(source))
