"""``import mlxp`` stays light: the standard library and PyYAML, nothing else."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pandas", "numpy", "torch", "matplotlib", "ruamel", "ruamel.yaml", "tinydb", "hydra",
         "omegaconf", "git"]


def test_import_mlxp_loads_no_optional_or_heavy_package() -> None:
    code = (
        "import sys, json; before = set(sys.modules); import mlxp; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    assert "mlxp.launcher" in loaded  # the check is real: mlxp's own modules do show up
    offenders = [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
    assert offenders == []


# Standard-library modules that cost milliseconds each and serve only rare paths (starting a
# process, an error's did-you-mean or traceback, dataclasses): imported where they are used.
SLOW_STDLIB = ["subprocess", "dataclasses", "inspect", "difflib", "traceback", "ast"]


def test_import_mlxp_loads_no_slow_standard_module() -> None:
    code = "import sys, json; import mlxp; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    assert "mlxp.launcher" in loaded
    assert [name for name in SLOW_STDLIB if name in loaded] == []


def test_import_mlxp_loads_no_cluster_module() -> None:
    """The cluster side (parsing, submission, the backends) loads only when submitting."""
    code = (
        "import sys, json; import mlxp; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('mlxp'))))"
    )
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    assert "mlxp.launcher" in loaded
    cluster = [m for m in loaded if m.startswith(("mlxp.cluster", "mlxp.schedulers", "mlxp.sub",
                                                   "mlxp.status"))]
    assert cluster == []


def test_import_mlxp_installs_no_signal_handler() -> None:
    code = (
        "import signal; before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}; "
        "import mlxp; print(all(signal.getsignal(s) == h for s, h in before.items()))"
    )
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "True"


def test_import_mlxp_loads_no_dashboard_module() -> None:
    """``mlxp ui`` (its server, http.server, the results layer) loads only when it runs."""
    code = "import sys, json; import mlxp; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    assert "mlxp.launcher" in loaded
    assert [m for m in loaded if m.startswith(("mlxp.ui", "mlxp.commands.ui", "http.server",
                                               "webbrowser"))] == []


def test_mlxp_ls_loads_no_scheduler_backend(tmp_path) -> None:
    """The ``mlxp`` command registers every subcommand; only the one run loads its side
    (``mlxp ls`` reads runs: no backend, no cancelling, no submission)."""
    (tmp_path / "logs").mkdir()
    code = (
        "import sys, json\n"
        "from mlxp.__main__ import main\n"
        "code = main(['ls', 'logs'])\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.startswith('mlxp'))]))"
    )
    output = subprocess.check_output([sys.executable, "-c", code], text=True, cwd=str(tmp_path))
    code, loaded = json.loads(output.splitlines()[-1])
    assert code == 0 and "mlxp.commands.ls" in loaded and "mlxp.commands.cancel" in loaded
    assert [m for m in loaded if m.startswith(("mlxp.cluster.schedulers", "mlxp.cluster.cancel",
                                               "mlxp.cluster.submit"))] == []
