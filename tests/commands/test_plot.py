"""``mlxp plot``: an SVG of our own drawing (parsed here), and a PNG with matplotlib."""

from __future__ import annotations

import importlib.util
import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import List

import pytest

from mlxp.results.svg import Curve, nice_ticks, render_svg

from tests.commands.conftest import mlxp

SVG = "{http://www.w3.org/2000/svg}"


def _paths(svg: Path, kind: str) -> List[ElementTree.Element]:
    root = ElementTree.parse(svg).getroot()
    return [p for p in root.iter(f"{SVG}path") if p.get("class") == kind]


def _legend(svg: Path) -> List[str]:
    root = ElementTree.parse(svg).getroot()
    items = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    return [item.find(f"{SVG}text").text or "" for item in items]  # type: ignore[union-attr]


def test_plot_draws_one_curve_per_run_with_a_legend(project: Path) -> None:
    result = mlxp(project, "plot", "--metric", "train.loss", "--x", "epoch", "-o", "c.svg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "wrote c.svg (4 runs)"
    series = _paths(project / "c.svg", "series")
    assert [p.get("data-run") for p in series] == ["1", "2", "3", "4"]
    assert [p.get("d", "").count("L") for p in series] == [4, 4, 4, 1]  # 5, 5, 5, 2 points
    assert _legend(project / "c.svg")[0].startswith("1: api_key=****, note=plain")


def test_plot_groups_draw_a_band_and_a_mean_each(project: Path) -> None:
    result = mlxp(project, "plot", "-m", "train.loss", "--group-by", "optimizer.lr",
                  "--band", "std", "--where", "info.status == 'COMPLETE' | config.seed == 2",
                  "-o", "g.svg")
    assert result.returncode == 0, result.stderr
    bands, means = _paths(project / "g.svg", "band"), _paths(project / "g.svg", "mean")
    groups = ["optimizer.lr=0.01", "optimizer.lr=0.1"]
    assert [p.get("data-group") for p in bands] == groups
    assert [p.get("data-group") for p in means] == groups
    assert _legend(project / "g.svg") == ["optimizer.lr=0.01 (2 runs)", "optimizer.lr=0.1 (2 runs)"]


def test_plot_keeps_the_columns_of_a_big_metrics_file_and_draws_the_same(project: Path) -> None:
    metrics = project / "logs" / "1" / "metrics" / "train.json"
    metrics.write_text("".join(json.dumps({"epoch": e, "loss": 1.0 / (e + 1)}) + "\n"
                               for e in range(40_000)))  # over a MiB: its columns are kept
    drawn = []
    for _ in range(2):  # parsed (and kept), then from the columns
        result = mlxp(project, "plot", "-m", "train.loss", "--x", "epoch", "-o", "c.svg")
        assert result.returncode == 0, result.stderr
        drawn.append((project / "c.svg").read_text())
        assert any((project / "logs" / ".mlxp_columns").rglob("*")), "no columns kept"
    shutil.rmtree(project / "logs" / ".mlxp_columns")
    (project / "logs" / ".mlxp_columns").write_text("")  # cannot be made: parsed as before
    result = mlxp(project, "plot", "-m", "train.loss", "--x", "epoch", "-o", "c.svg")
    assert result.returncode == 0, result.stderr
    assert drawn[0] == drawn[1] == (project / "c.svg").read_text()
    assert len(_paths(project / "c.svg", "series")[0].get("d", "")) > 1000  # the big curve


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib missing")
def test_plot_writes_a_png_with_matplotlib(project: Path) -> None:
    result = mlxp(project, "plot", "-m", "train.loss", "-o", "c.svg")
    assert "wrote c.png" in result.stdout
    assert (project / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_so(project: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['matplotlib'] = None; from mlxp.__main__ import main;"
            " sys.exit(main(['plot', '-m', 'train.loss', '-o', 'c.svg']))")
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "matplotlib is not installed" in result.stderr and not (project / "c.png").exists()


@pytest.mark.parametrize("args, words", [
    pytest.param(["-m", "valid.loss"], "logs: train", id="unknown-log"),
    pytest.param(["-m", "train.acc"], "no numeric values of train.acc", id="unknown-key"),
    pytest.param(["-m", "train.loss", "-g", "optimizer.lrr"], "no config key 'optimizer.lrr'",
                 id="unknown-group-key"),
    pytest.param(["-m", "train.loss", "-o", "c.png"], "must end in .svg", id="not-svg"),
])
def test_plot_errors(project: Path, args: list, words: str) -> None:
    result = mlxp(project, "plot", *args)
    assert result.returncode == 2 and result.stderr.startswith("mlxp: error: ")
    assert words in result.stderr


def test_svg_escapes_labels_and_drops_characters_xml_cannot_hold(tmp_path: Path) -> None:
    label = "<script>x</script> \x1b[31m & \x07"
    svg = render_svg([Curve("1", label, [0, 1], [1, 2])], "t", "step", "loss")
    path = tmp_path / "c.svg"
    path.write_text(svg)
    assert _legend(path) == ["<script>x</script> \ufffd[31m & \ufffd"]
    assert "<script>" not in svg


@pytest.mark.parametrize("low, high, expected", [
    pytest.param(0, 10, [0, 2, 4, 6, 8, 10], id="round"),
    pytest.param(0.13, 0.91, [0.2, 0.4, 0.6, 0.8], id="fractions"),
    pytest.param(-3, 3, [-2, 0, 2], id="negative"),
    pytest.param(5, 5, [5], id="flat"),
])
def test_nice_ticks(low: float, high: float, expected: List[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)
